"""``lineage.export``: saved artifacts -> a pipeline folder (script, Airflow DAG, Ray driver).

Reads the artifacts, plans the steps (:mod:`lineage.emitters.plan`), renders the files
(:mod:`lineage.emitters`), then writes them, with the saved values the generated tests compare
against, into the output folder. A marker file there records which pipeline the folder holds,
so exporting the same pipeline again refreshes it and another pipeline is refused (unless
``force``).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lineage.errors import ExportError

if TYPE_CHECKING:
    from lineage.api import Artifact
    from lineage.emitters.model import Plan, Slice
    from lineage.emitters.render import Pipeline

MARKER = ".lineage-pipeline"


class MissingExtraWarning(UserWarning):
    """An entry point was written for an orchestrator that is not installed here."""


def export(
    names: str | Sequence[str],
    to: str = "script",
    output_dir: str | Path = ".",
    pipeline_name: str | None = None,
    params: str | Sequence[str] | None = None,
    force: bool = False,
) -> list[Path]:
    """Write a pipeline that rebuilds the artifacts ``names`` into ``output_dir``.

    ``to`` picks the entry point: ``"script"`` (``P.py``), ``"airflow"`` (``P_dag.py``) or
    ``"ray"`` (``P_ray.py``); the steps module ``P_module.py``, the script, ``requirements.txt``
    and the tests ``test_P.py`` are always written. ``P`` is ``pipeline_name`` (default: the
    first artifact's name) made a valid identifier. Each name in ``params`` turns the top-level
    assignment ``NAME = <literal>`` into a pipeline parameter. An output folder holding another
    pipeline's files is refused unless ``force``. Returns the paths written.
    """
    from lineage.api import get
    from lineage.emitters import emitter, targets
    from lineage.emitters.naming import module_name
    from lineage.emitters.plan import make_plan
    from lineage.emitters.render import Pipeline, render_common

    wanted = [names] if isinstance(names, str) else list(dict.fromkeys(names))
    if not wanted:
        raise ExportError("nothing to export: give the name of at least one saved artifact")
    chosen = emitter(to)  # an unknown target fails before anything is read or written
    arts = [get(name) for name in wanted]
    pipeline = module_name(pipeline_name or wanted[0])
    wanted_params = [params] if isinstance(params, str) else list(params or ())
    plan = make_plan(pipeline, [_slice(a) for a in arts], wanted_params)
    out = Path(output_dir)
    previous = _claim(out, pipeline, force)
    registered = targets()
    chosen_targets = {"script", chosen.name, *previous}
    order = tuple(t for t in registered if t in chosen_targets)
    expected = tuple(a.name for a in arts if a.record.value_path is not None)
    spec = Pipeline(plan, order, _requirements(plan, order), expected)
    files = render_common(spec)
    for target in order:
        files.update(emitter(target).render(spec))
    written = _write(out, spec, files, arts)
    for target in order:
        _warn_if_missing(target)
    return written


def _slice(art: Artifact) -> Slice:
    from lineage.emitters.model import Slice, Statement

    meta = art.record.meta
    if "statements" not in meta:
        raise ExportError(
            f"artifact {art.name!r} version {art.version} was saved without the statement "
            "data export needs: save it again with this version of lineage"
        )
    stmts = tuple(
        Statement(int(s["id"]), str(s["text"]), tuple(s["deps"]), s.get("execution_count"))
        for s in meta["statements"]
    )
    return Slice(
        artifact=art.name,
        session=art.record.session_id,
        target=art.target,
        statements=stmts,
        extra=_target_statement(meta),
        cwd=str(meta.get("cwd") or ""),
        argv=tuple(str(a) for a in meta["argv"]) if "argv" in meta else None,
        stopped_at=int(meta["stopped_at"]) if "stopped_at" in meta else None,
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


def _write(out: Path, spec: Pipeline, files: dict[str, str], arts: list[Artifact]) -> list[Path]:
    """Write the files and the saved values the tests compare with; then drop what an
    earlier export wrote there and this one did not, and record what is there now."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"cannot create the output folder {out} ({e.strerror or e})") from e
    marker = out / MARKER
    old: list[str] = []
    if marker.is_file():
        try:
            old = list(json.loads(marker.read_text(encoding="utf-8")).get("files", []))
        except (ValueError, AttributeError):
            old = []
    written: list[Path] = []
    for rel, text in files.items():
        path = out / rel
        path.write_text(text, encoding="utf-8")
        written.append(path)
    expected = out / "expected"
    for art in arts:
        if art.record.value_path is None:
            warnings.warn(
                f"artifact {art.name!r} has no stored value (it could not be pickled): the "
                "pipeline rebuilds it, but the generated tests cannot check it",
                stacklevel=3,
            )
            continue
        expected.mkdir(exist_ok=True)
        path = expected / f"{art.name}.pkl"
        shutil.copyfile(art.store.home / art.record.value_path, path)
        written.append(path)
    rel_written = [str(p.relative_to(out)) for p in written]
    _remove(out, [f for f in old if f not in rel_written])
    record = {"pipeline": spec.name, "targets": list(spec.targets), "files": rel_written}
    marker.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return written


def _requirements(plan: Plan, targets: Sequence[str]) -> tuple[str, ...]:
    """Pinned requirement lines: what the steps import, then what each entry point needs."""
    from lineage.emitters import emitter

    dists = _module_distributions()
    lines: list[str] = []
    unknown: list[str] = []
    for module in plan.modules:
        if module in sys.stdlib_module_names or module == "__future__":
            continue
        found = sorted(dists.get(module, []))
        if found:
            lines.append(_pin(found[0]))
        else:
            unknown.append(module)
    if plan.cloudpickle:
        lines.append(_pin("cloudpickle"))
    lines = list(dict.fromkeys(lines))
    if unknown:
        lines.append(f"# also imported, from no installed distribution: {', '.join(unknown)}")
    for target in targets:
        e = emitter(target)
        if e.distribution:
            lines += [f"# {e.entry_point.format(name=plan.pipeline)}", _pin(e.distribution)]
    lines += [
        "# $LINEAGE_DATA_DIR on object storage (s3://, gs://, ...): fsspec, and s3fs, gcsfs...",
        _pin("fsspec"),
        f"# test_{plan.pipeline}.py",
        _pin("pytest"),
    ]
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
