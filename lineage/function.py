"""``lineage.get_function``: saved artifacts -> a function that recomputes them in this process.

The in-process twin of an exported pipeline, with one model behind both: the plan
(:func:`lineage.export.plan_of`) and the steps module rendered from it are those ``export``
writes as ``P_module.py`` (:func:`get_source` returns that text), and the function calls the
module's ``run``, which calls the steps in the order the exported script does.

Where values go: ``run(save=False)`` writes no values, it returns them. The steps still read
and write the files the session's code named under a data location (``file_path``): each
call gets a temporary one, removed when the call ends, and first copies the input files
there from the input location, as every exported run does (``input_dir``, default
``$LINEAGE_INPUT_DIR``, else the session's folder). Nothing is written to the user's folder,
nor to ``$LINEAGE_DATA_DIR``.

Each call runs the module's text afresh in a new module object (never put in
``sys.modules``), so no state of one call (a cache, a mutable default) leaks into the next;
the state of the process the steps change (the random generator's seed, an option) stays
changed, as it would in the session. While a call runs, ``sys.argv`` (when the steps set it
to the session's) and ``sys.path`` (when they import the session folder's own modules) are
changed, then put back: calls from several threads at once may see each other's.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import linecache
import os
import sys
import tempfile
import types
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lineage.emitters.model import Plan

Recompute = Callable[..., dict[str, object]]


def get_source(
    names: str | Sequence[str],
    input_parameters: str | Sequence[str] | None = None,
    reuse: str | Sequence[str] | None = None,
) -> str:
    """The code of :func:`get_function`'s function as a module: the steps module ``export``
    writes for the same artifacts, parameters and reused artifacts (``P_module.py``), whose
    ``run(**params) -> dict[str, object]`` rebuilds the artifacts and returns them by name."""
    return _source(names, input_parameters, reuse)[1]


def get_function(
    names: str | Sequence[str],
    input_parameters: str | Sequence[str] | None = None,
    reuse: str | Sequence[str] | None = None,
) -> Recompute:
    """A function that recomputes the artifacts ``names`` in this process and returns them by
    name, ``{artifact: value}``.

    Each name in ``input_parameters`` (a top-level assignment ``NAME = <literal>`` of the
    slices, as ``export(params=...)`` takes them) becomes a keyword argument whose default
    is the session's value; with input files, ``input_dir`` picks the input location. The
    result equals what the exported pipeline rebuilds with the same parameters. Each name in
    ``reuse`` is an artifact whose stored value (the version that is the latest now) each
    call loads from this process's store instead of recomputing it, as ``export(reuse=...)``.
    """
    plan, source = _source(names, input_parameters, reuse, doing="rebuild")
    digest = hashlib.sha256(source.encode()).hexdigest()[:8]
    filename = f"<lineage function {plan.pipeline} {digest}>"  # one name per text
    code = compile(source, filename, "exec", dont_inherit=True)  # not this file's __future__
    # tracebacks through the steps show their lines, as for a file
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    with _process_kept(plan):
        run = _load(code, plan, data=None).run
    keywords = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for p in inspect.signature(run).parameters.values()
        if p.name != "save"
    ]
    accepted = [p.name for p in keywords]

    def recompute(*args: object, **params: object) -> dict[str, object]:
        if args:
            raise TypeError(
                f"{plan.pipeline}() takes keyword arguments only "
                f"({', '.join(accepted) or 'none'}), got {len(args)} positional"
            )
        unknown = [k for k in params if k not in accepted]
        if unknown:
            raise TypeError(
                f"{plan.pipeline}() got unexpected keyword argument(s) "
                f"{', '.join(map(repr, unknown))}; it accepts "
                f"{', '.join(accepted) or 'no arguments'}"
            )
        scratch = tempfile.TemporaryDirectory(prefix=f"lineage-{plan.pipeline}-")
        with scratch as data, _process_kept(plan):
            module = _load(code, plan, data)
            values: dict[str, object] = module.run(**params)
        return values

    recompute.__name__ = recompute.__qualname__ = plan.pipeline
    recompute.__doc__ = _doc(plan, keywords)
    recompute.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        keywords, return_annotation=dict[str, object]
    )
    return recompute


def _source(
    names: str | Sequence[str],
    input_parameters: str | Sequence[str] | None,
    reuse: str | Sequence[str] | None,
    doing: str = "show",
) -> tuple[Plan, str]:
    """The plan of the artifacts and the steps module rendered from it, as ``export``
    (default pipeline name, the script target) renders it."""
    from lineage.api import get
    from lineage.emitters.render import Pipeline, render_module
    from lineage.export import plan_of, reused_artifacts, wanted_names

    wanted = wanted_names(names, doing)
    arts = [get(name) for name in wanted]
    plan = plan_of(arts, None, input_parameters, reused_artifacts(reuse, wanted))
    spec = Pipeline(plan, ("script",), (), tuple(a.name for a in arts))
    return plan, render_module(spec)


def _load(code: types.CodeType, plan: Plan, data: str | None) -> types.ModuleType:
    """A fresh module running ``code``, its data location ``data`` when given."""
    module = types.ModuleType(f"{plan.pipeline}_module")
    exec(code, module.__dict__)
    if data is not None:

        def data_root() -> str:
            return data

        module.data_root = data_root  # type: ignore[attr-defined]  # file_path's folder
    if plan.reused:

        def load_reused(name: str, version: int, key: str) -> object:
            from lineage.reuse import load_stored
            from lineage.store import Store

            return load_stored(name, version, key, store=Store())  # this process's store

        module.load_reused = load_reused  # type: ignore[attr-defined]
    return module


@contextlib.contextmanager
def _process_kept(plan: Plan) -> Iterator[None]:
    """Steps that ran with the session's command line set ``sys.argv`` to it: put the
    process's back afterwards. The session folder's own modules the steps import are found
    there while they run, as the export's copies are found next to its module."""
    argv, args = sys.argv, list(sys.argv)
    folders = [
        f
        for f in dict.fromkeys(os.path.dirname(m) for m in plan.local_modules)
        if f not in sys.path
    ]
    sys.path[:0] = folders
    try:
        yield
    finally:
        argv[:] = args  # the same list, as it was
        sys.argv = argv
        for folder in folders:
            with contextlib.suppress(ValueError):
                sys.path.remove(folder)


def _doc(plan: Plan, keywords: Sequence[inspect.Parameter]) -> str:
    from lineage.emitters.params import literal_or_repr

    artifacts = [a for a, _, _ in plan.artifacts]
    listed = ", ".join(map(repr, artifacts[:-1]))
    listed = f"{listed} and {artifacts[-1]!r}" if listed else repr(artifacts[-1])
    lines = [
        f"Recompute the artifact{'s' if len(artifacts) > 1 else ''} {listed} in this process; "
        "return them by name.",
        "",
        "The steps are those lineage.export writes for them (lineage.get_source shows them).",
    ]
    if keywords:
        lines += ["", "Keyword arguments (default: the session's value):"]
        for p in keywords:
            default = literal_or_repr(p.default)
            if p.name == "input_dir":
                lines.append(
                    f"    input_dir: the folder or fsspec URL of the input files ({default})"
                )
            else:
                lines.append(f"    {p.name} = {default}")
    return "\n".join(lines)
