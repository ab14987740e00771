"""``lineage.export``: saved artifacts -> a pipeline folder (script, Airflow, Dagster,
Kubeflow, Prefect, Ray).

Reads the artifacts, plans the steps (:mod:`lineage.emitters.plan`), renders the files
(:mod:`lineage.emitters`), stages them with the saved values the generated tests compare
against in a scratch folder, runs the script once there (:mod:`lineage.trial`) to write
``requirements.txt``, then moves everything into the output folder. A marker file there
records which pipeline the folder holds, so exporting the same pipeline again refreshes it
and another pipeline is refused (unless ``force``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from lineage.errors import ExportError

if TYPE_CHECKING:
    from lineage.api import Artifact
    from lineage.emitters.model import Plan, Slice, StatementFacts
    from lineage.emitters.render import Pipeline
    from lineage.emitters.reuse import Reused
    from lineage.reuse import StoreAddress
    from lineage.trial import Trial

MARKER = ".lineage-pipeline"


class MissingExtraWarning(UserWarning):
    """An entry point was written for an orchestrator that is not installed here."""


class TrialRunWarning(UserWarning):
    """The exported pipeline failed when it ran once to find what it imports."""


def export(
    names: str | Sequence[str],
    to: str = "script",
    output_dir: str | Path = ".",
    pipeline_name: str | None = None,
    params: str | Sequence[str] | None = None,
    force: bool = False,
    reuse: str | Sequence[str] | None = None,
) -> list[Path]:
    """Write a pipeline that rebuilds the artifacts ``names`` into ``output_dir``.

    ``to`` picks the entry point: ``"script"`` (``P.py``), ``"airflow"`` (``P_dag.py``),
    ``"dagster"`` (``P_dagster.py``), ``"kubeflow"`` (``P_kfp.py``), ``"prefect"``
    (``P_flow.py``) or ``"ray"``
    (``P_ray.py``); the steps module
    ``P_module.py``, the script, ``requirements.txt`` and the tests ``test_P.py`` are always
    written. ``P`` is ``pipeline_name`` (default: the
    first artifact's name) made a valid identifier. Each name in ``params`` turns the top-level
    assignment ``NAME = <literal>`` into a pipeline parameter. An output folder holding another
    pipeline's files is refused unless ``force``. Each name in ``reuse`` is a saved artifact
    whose stored value (its latest version) the pipeline loads from the store instead of
    recomputing it; the steps only it needed are left out. Returns the paths written.

    All or nothing: the files are staged in a scratch folder, the script runs there once (its
    imports make ``requirements.txt``, see :mod:`lineage.trial`), and only then are they
    moved into ``output_dir``; on an error nothing there changes.
    """
    from lineage.api import get
    from lineage.emitters import emitter, targets
    from lineage.emitters.render import Pipeline, render_common, render_requirements
    from lineage.trial import trial_run

    wanted = wanted_names(names, "export")
    chosen = emitter(to)  # an unknown target fails before anything is read or written
    arts = [get(name) for name in wanted]
    _check_values(arts)
    plan = plan_of(arts, pipeline_name, params, reused_artifacts(reuse, wanted))
    out = Path(output_dir)
    previous = _claim(out, plan.pipeline, force)
    registered = targets()
    chosen_targets = {"script", chosen.name, *previous}
    order = tuple(t for t in registered if t in chosen_targets)
    expected = tuple(a.name for a in arts)
    spec = Pipeline(plan, order, (), expected)
    files = render_common(spec)
    for target in order:
        files.update(emitter(target).render(spec))
    with _staging(out) as staging:
        _write_files(staging, files, arts, spec)
        trial = trial_run(staging / spec.file("{name}.py"))
        spec = replace(spec, requirements=_requirements(plan, order, trial))
        requirements = render_requirements(spec)
        (staging / "requirements.txt").write_text(requirements, encoding="utf-8")
        written = _move_into_place(staging, out, spec)
    if trial.error:
        warnings.warn(
            f"the exported pipeline failed in a trial run ({trial.error.strip()}); "
            "requirements.txt lists only what its code imports",
            TrialRunWarning,
            stacklevel=2,
        )
    for target in order:
        _warn_if_missing(target)
    return written


def wanted_names(names: str | Sequence[str], doing: str) -> list[str]:
    """The artifact names asked for, each once; :class:`ExportError` when there are none."""
    wanted = [names] if isinstance(names, str) else list(dict.fromkeys(names))
    if not wanted:
        raise ExportError(f"nothing to {doing}: give the name of at least one saved artifact")
    return wanted


def reused_artifacts(reuse: str | Sequence[str] | None, wanted: Sequence[str]) -> list[Artifact]:
    """The artifacts named in ``reuse`` (latest versions), each with a stored value; an
    :class:`ExportError` saying what to do for an unknown one, one without a value, or one
    that is also exported."""
    from lineage.api import get
    from lineage.errors import ArtifactNotFoundError

    names = [reuse] if isinstance(reuse, str) else list(dict.fromkeys(reuse or ()))
    out = []
    for name in names:
        if name in wanted:
            raise ExportError(
                f"{name!r} is both exported and reused: a pipeline cannot rebuild an artifact "
                f"it loads from the store; drop it from the names or from --reuse"
            )
        try:
            art = get(name)
        except ArtifactNotFoundError as e:
            raise ExportError(f"cannot reuse {name!r}: {e}") from e
        if art.record.value_path is None or not art.store.has_value(art.record):
            raise ExportError(
                f"cannot reuse {name!r}: version {art.version} has no stored value (it could "
                "not be pickled, or its file is gone); save it again, or export without "
                f"--reuse {name}"
            )
        out.append(art)
    return out


def plan_of(
    arts: Sequence[Artifact],
    pipeline_name: str | None = None,
    params: str | Sequence[str] | None = None,
    reuse: Sequence[Artifact] = (),
) -> Plan:
    """The pipeline plan of the artifacts ``arts``, named ``pipeline_name`` (default: the
    first artifact's name) made an identifier, with the parameters ``params``, loading the
    stored values of ``reuse`` instead of recomputing them. The exported files and
    :func:`lineage.get_function` are both rendered from it."""
    from lineage.emitters.naming import module_name
    from lineage.emitters.plan import make_plan

    pipeline = module_name(pipeline_name or arts[0].name)
    wanted_params = [params] if isinstance(params, str) else list(params or ())
    slices = [_slice(a) for a in arts]
    if not reuse:
        return make_plan(pipeline, slices, wanted_params)
    kept, reused = _reuse(slices, reuse)
    plan = make_plan(pipeline, kept, _params_left(wanted_params, slices, kept), _loaders(reused))
    # a loaded value needs the module of its type where it is unpickled (pandas for a frame)
    loaded = {a.value_type.split(".")[0] for a in reuse} - set(sys.stdlib_module_names)
    # a function, or an object of a class the session defined, passes by value between steps
    by_value = any(a.value_type.startswith("__main__.") or a.value_type in _BY_VALUE for a in reuse)
    return replace(
        plan,
        reused=tuple(reused),
        reuse_store=_store_of(reuse),
        modules=tuple(sorted(set(plan.modules) | loaded - {"builtins", "__main__"})),
        cloudpickle=plan.cloudpickle or by_value,
    )


_BY_VALUE = frozenset({"builtins.function", "builtins.type"})


def _reuse(slices: list[Slice], reuse: Sequence[Artifact]) -> tuple[list[Slice], list[Reused]]:
    """The slices reading the stored values of ``reuse`` (:mod:`lineage.emitters.reuse`), and
    the reused artifacts whose value some step still loads."""
    from lineage.emitters.model import RESERVED
    from lineage.emitters.naming import Namer, identifier
    from lineage.emitters.reuse import Reused, holds, substitute, target_of

    used = {n for a in slices for s in a.statements for n in s.facts.binds | s.facts.reads}
    namer = Namer(RESERVED | used | {a.target for a in slices})
    reused: list[Reused] = []
    original = slices
    for art in reuse:
        source = _slice(art)
        record = Reused(
            artifact=art.name,
            version=art.version,
            key=str(art.record.value_path),
            variable=art.target,
            function=namer("load_" + identifier(art.name, default="artifact")),
        )
        target = target_of(source, record)
        if not any(holds(a, source, target) for a in slices) and any(
            holds(a, source, target) for a in original
        ):
            others = ", ".join(repr(r.artifact) for r in reused)
            verb = "is" if len(reused) == 1 else "are"
            raise ExportError(
                f"no step reads {art.name!r} once {others} {verb} reused: drop --reuse {art.name}"
            )
        slices = substitute(slices, source, record)
        reused.append(record)
    loads = {s.text.strip() for a in slices for s in a.statements}
    for record in reused:  # a later one left out the statement loading an earlier one
        if f"{record.variable} = {record.function}()" not in loads:
            others = ", ".join(repr(r.artifact) for r in reused if r is not record)
            raise ExportError(
                f"no step reads {record.artifact!r} once {others} is reused: drop "
                f"--reuse {record.artifact}"
            )
    return slices, reused


def _loaders(reused: Sequence[Reused]) -> list[str]:
    return [r.function for r in reused]


def _params_left(wanted: list[str], before: Sequence[Slice], after: Sequence[Slice]) -> list[str]:
    """The parameters asked for, without those whose assignment only the reused artifacts'
    statements, now left out, had."""

    def literals(slices: Sequence[Slice]) -> set[str]:
        return {str(s.facts.literal[0]) for a in slices for s in a.statements if s.facts.literal}

    gone = literals(before) - literals(after)
    return [p for p in wanted if p not in gone]


def _store_of(reuse: Sequence[Artifact]) -> StoreAddress:
    from lineage.reuse import store_address

    return store_address(reuse[0].store)


def _slice(art: Artifact) -> Slice:
    from lineage.emitters.model import Slice, Statement

    meta = art.record.meta
    if "statements" not in meta or "facts" not in meta:
        missing = "statement data" if "statements" not in meta else "statement facts"
        raise ExportError(
            f"artifact {art.name!r} version {art.version} was saved without the {missing} "
            "export needs: save it again with this version of lineage"
        )
    stmts = tuple(
        Statement(
            id=int(s["id"]),
            text=str(s["text"]),
            deps=tuple(s["deps"]),
            cell=s.get("execution_count"),
            facts=_facts(s),
        )
        for s in meta["statements"]
    )
    return Slice(
        artifact=art.name,
        session=art.record.session_id,
        target=art.target,
        statements=stmts,
        extra=_target_statement(meta),
        extra_facts=_facts(meta.get("target_facts") or {}),
        cwd=str(meta.get("cwd") or ""),
        argv=tuple(str(a) for a in meta["argv"]) if "argv" in meta else None,
        stopped_at=int(meta["stopped_at"]) if "stopped_at" in meta else None,
    )


def _facts(record: dict) -> StatementFacts:
    """A statement's facts as :func:`lineage.slicer.statement_record` stored them."""
    import ast  # a parameter's literal is stored as its source

    from lineage.emitters.model import StatementFacts

    def names(key: str) -> frozenset[str]:
        return frozenset(str(n) for n in record.get(key, ()))

    literal = record.get("literal")
    value: tuple[str, object] | None = None
    if literal:
        value = (str(literal[0]), ast.literal_eval(str(literal[1])))
    return StatementFacts(
        reads=names("reads"),
        deferred=names("deferred") - names("reads"),
        binds=names("binds") | names("dels"),
        sure=names("binds") - names("maybe") - names("dels"),
        mutates=names("mutates"),
        global_writes=names("global_writes"),
        state_reads=names("state_reads"),
        state_writes=names("state_writes"),
        changes=bool(record.get("changes")),
        kind=str(record.get("kind", "code")),
        literal=value,
        modules=tuple(str(m) for m in record.get("modules", ())),
    )


def _target_statement(meta: dict) -> str:
    """The statement that binds the artifact's variable when the session saved an expression
    (``lineage.save(len(xs), "n")``): the slice's code ends with it, the statements lack it."""
    return str(meta.get("target_statement") or "")


def _claim(out: Path, pipeline: str, force: bool) -> list[str]:
    """Check ``out`` may receive ``pipeline``; return the targets exported there before."""
    marker = out / MARKER
    if marker.is_file():
        try:
            record = json.loads(marker.read_text(encoding="utf-8"))
            other = str(record["pipeline"])
        except (ValueError, KeyError, TypeError):
            other, record = "(unreadable marker)", {}
        if other == pipeline:
            return [str(t) for t in record.get("targets", [])]
        if not force:
            raise ExportError(
                f"{out} holds the files of pipeline {other!r}: export {pipeline!r} to another "
                "folder (-o DIR), or replace it with force=True (--force)"
            )
        return []  # its files go once the new ones are written
    if out.is_dir() and not force:
        clash = sorted(p.name for p in _own_files(out, pipeline) if p.exists())
        if clash:
            raise ExportError(
                f"{out} already has {', '.join(clash)}, not written by lineage: export to "
                "another folder (-o DIR), or overwrite them with force=True (--force)"
            )
    return []


def _own_files(out: Path, pipeline: str) -> list[Path]:
    from lineage.emitters import emitter, targets

    patterns = ["{name}_module.py", "test_{name}.py"]
    patterns += [emitter(t).entry_point for t in targets()]
    return [out / p.format(name=pipeline) for p in patterns] + [out / "requirements.txt"]


def _remove(out: Path, files: Iterable[object]) -> None:
    for rel in files:
        path = out / str(rel)
        if path.resolve().is_relative_to(out.resolve()) and path.is_file():
            path.unlink()


def _check_values(arts: Sequence[Artifact]) -> None:
    """Every artifact's saved value is there: the tests compare with it, and a value that
    could not be pickled cannot be stored or handed on by a pipeline either."""
    for art in arts:
        if art.record.value_path is None:
            raise ExportError(
                f"artifact {art.name!r} ({art.record.value_type}) could not be pickled when it "
                "was saved, so no pipeline can store it or hand it to another step: save a "
                "value that pickles instead (a list rather than a generator, the data rather "
                "than an open file), then export again"
            )
        if not art.store.has_value(art.record):
            raise ExportError(
                f"the stored value of artifact {art.name!r} version {art.version} is missing "
                f"({art.store.value_location(art.record)}): save it again, then export"
            )


@contextlib.contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A scratch folder next to ``out`` (on the same file system, so moves are renames),
    removed at the end whatever happens; OS errors become an :class:`ExportError`."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name or 'export'}-", dir=out.parent))
    except OSError as e:
        raise ExportError(f"cannot write into {out.parent} ({e.strerror or e})") from e
    try:
        yield staging
    except OSError as e:
        name = f" {e.filename}" if e.filename else ""
        raise ExportError(
            f"exporting to {out} failed:{name} {e.strerror or e}; check the folder can be "
            "written and has room, then export again"
        ) from e
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_files(
    staging: Path, files: dict[str, str], arts: list[Artifact], spec: Pipeline
) -> None:
    """The rendered files and the saved values the tests compare with, into ``staging``."""
    for rel, text in files.items():
        (staging / rel).write_text(text, encoding="utf-8")
    for source in map(Path, spec.plan.local_modules):  # the session's own modules it imports
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(source, staging / source.name, ignore=ignore)
        else:
            shutil.copyfile(source, staging / source.name)
    expected = staging / "expected"
    expected.mkdir()
    for art in arts:
        # from whichever store holds it (a folder, a bucket): _check_values saw it is there
        (expected / spec.value_file(art.name)).write_bytes(art.store.value_bytes(art.record))


def _move_into_place(staging: Path, out: Path, spec: Pipeline) -> list[Path]:
    """Move the staged files into ``out``; then drop what an earlier export of this pipeline
    wrote there and this one did not (saying so), and record what is there now."""
    rel_written = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
    old = _recorded_files(out)
    record = {"pipeline": spec.name, "targets": list(spec.targets), "files": rel_written}
    (staging / MARKER).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if not out.exists():
        staging.rename(out)  # one rename: the folder appears whole
        staging.mkdir()  # for _staging to remove
    else:
        for rel in [*rel_written, MARKER]:
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, target)
        stale = [f for f in old if f not in rel_written]
        if stale:
            print(f"removed from {out}, no longer part of the export: {', '.join(stale)}")
        _remove(out, stale)
    return [out / rel for rel in rel_written]


def _recorded_files(out: Path) -> list[str]:
    marker = out / MARKER
    if not marker.is_file():
        return []
    try:
        return [str(f) for f in json.loads(marker.read_text(encoding="utf-8")).get("files", [])]
    except (ValueError, AttributeError):
        return []


def _requirements(plan: Plan, targets: Sequence[str], trial: Trial) -> tuple[str, ...]:
    """Pinned requirement lines: what the pipeline imported in its trial run (what the steps
    import, when that run failed), then what each entry point needs."""
    from lineage.emitters import emitter

    dists = _module_distributions()
    lines: list[str] = []
    unknown: list[str] = []
    modules = sorted(set(plan.modules) | set(trial.modules)) if trial.error else trial.modules
    for module in modules:
        if module in sys.stdlib_module_names or module == "__future__":
            continue
        found = sorted(dists.get(module, []))
        if found:
            lines += [_pin(d) for d in found]
        elif not module.startswith("_"):  # private modules are parts of others
            unknown.append(module)
    if plan.cloudpickle:
        lines.append(_pin("cloudpickle"))
    if plan.reused:  # the steps load them with lineage, through the store's drivers
        lines = [line for line in lines if not line.startswith("notebook-lineage")]
        lines.append(_lineage_pin(plan))
    lines = sorted(dict.fromkeys(lines), key=str.lower)
    if unknown:
        lines.append(f"# also imported, from no installed distribution: {', '.join(unknown)}")
    for target in targets:
        e = emitter(target)
        if e.distribution:
            lines += [f"# {e.entry_point.format(name=plan.pipeline)}", _pin(e.distribution)]
    if not any(line.startswith("fsspec==") for line in lines):
        lines.append("# a data or input location on object storage (s3://, gs://...) also")
        lines.append("# needs fsspec and its driver (s3fs, gcsfs...)")
    lines += [f"# test_{plan.pipeline}.py", _pin("pytest")]
    return tuple(lines)


def _module_distributions() -> Mapping[str, list[str]]:
    """Top-level module -> the distributions that install it. Python 3.10 reads only their
    top_level.txt, which wheels not built by setuptools (numpy, pandas) lack: their modules are
    then found from the files they install, as Python 3.11 and later do."""
    import importlib.metadata  # here, not at the top: it costs memory in every traced session

    if sys.version_info >= (3, 11):
        return importlib.metadata.packages_distributions()
    found = dict(importlib.metadata.packages_distributions())
    for dist in importlib.metadata.distributions():
        if dist.read_text("top_level.txt") is not None:
            continue
        files = dist.files or ()
        tops = {f.parts[0] if len(f.parts) > 1 else f.name.split(".")[0] for f in files}
        for top in tops:
            if top.isidentifier() and dist.metadata["Name"] not in found.get(top, []):
                found.setdefault(top, []).append(dist.metadata["Name"])
    return found


def _lineage_pin(plan: Plan) -> str:
    """notebook-lineage, with the extras the reused artifacts' store needs."""
    extras = plan.reuse_store.extras if plan.reuse_store else ()
    pinned = _pin("notebook-lineage")
    if not extras:
        return pinned
    name, _, version = pinned.partition("==")
    return f"{name}[{','.join(extras)}]" + (f"=={version}" if version else "")


def _pin(distribution: str) -> str:
    import importlib.metadata

    try:
        return f"{distribution}=={importlib.metadata.version(distribution)}"
    except importlib.metadata.PackageNotFoundError:
        return distribution


def _warn_if_missing(target: str) -> None:
    from lineage.emitters import emitter

    e = emitter(target)
    if e.module and importlib.util.find_spec(e.module) is None:
        warnings.warn(
            f"{e.module} is not installed here: the {target} entry point was written anyway; "
            f"to run it, install the extra: pip install 'notebook-lineage[{e.extra}]'",
            MissingExtraWarning,
            stacklevel=3,
        )
