"""From the slices of several artifacts to a pipeline plan: module-level imports and helpers,
and steps (functions) with their inputs, parameters and outputs, in run order.

Pure: slices in, :class:`Plan` out. How statements are grouped into steps:

- Imports, and notebook functions and classes that need nothing but imports, go to the module
  top; a ``--param`` assignment leaves the code and becomes a parameter.
- Every other statement belongs to the set of artifacts whose slice holds it; statements with
  the same set form one step, so work shared by several artifacts appears once. Statements of
  different sessions never share a step.
- A step takes, by name, the values it reads that upstream steps produced (the version current
  at its first read) and returns those that downstream steps read, plus artifact values.
- Where that cannot reproduce the session (a step needs a value in the middle of another step,
  or depends on hidden state such as the random generator or a file another step wrote), the
  two steps merge: correct first, then small.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Sequence

from lineage.analysis.own_calls import SAVE_POINT
from lineage.emitters.files import constants, input_files, local_modules, looks_like_path
from lineage.emitters.model import RESERVED, Plan, PlanStmt, Slice, Step
from lineage.emitters.naming import BUILTINS, Namer
from lineage.emitters.params import find_params
from lineage.emitters.partition import SessionSteps
from lineage.errors import ExportError


def make_plan(
    pipeline: str,
    slices: Sequence[Slice],
    param_names: Sequence[str] = (),
    reserved: Iterable[str] = (),
) -> Plan:
    """The plan of ``slices``; ``reserved``: names the steps module defines besides the
    steps (the functions loading reused artifacts), which no step may take."""
    stmts = _collect(slices)
    literals = [
        (s.facts.literal[0], s.facts.literal[1], f"`{s.text.strip()}`")
        for s in stmts.values()
        if s.facts.literal is not None
    ]
    params = find_params(param_names, literals)
    param_keys = {k for k, s in stmts.items() if s.facts.literal and s.facts.literal[0] in params}
    imports, helpers, hoisted, module_names = _hoist(stmts, param_keys)
    # an expression alone that changes nothing (``df["species"]``) has no place in a step
    rest = [
        s
        for k, s in stmts.items()
        if k not in param_keys and k not in hoisted and not s.facts.inert
    ]
    steps: list[Step] = []
    namer = Namer(RESERVED | module_names | set(params) | set(reserved))
    by_value = False  # functions or classes made inside steps may leave them
    for session in dict.fromkeys(a.session for a in slices):
        arts = [a for a in slices if a.session == session]
        planner = SessionSteps(session, rest, arts, stmts, param_keys, module_names)
        steps += planner.plan(namer)
        by_value = by_value or planner.by_value
    artifacts = tuple(
        (a.artifact, step.name, a.target)
        for a in slices
        for step in steps
        if a.artifact in step.artifacts
    )
    work_dir, input_names = _work_dir(slices, stmts)
    modules = {
        path.split(".")[0]
        for s in stmts.values()
        for path in s.facts.modules
        if not path.startswith(".")  # relative imports: the package's own modules
    }
    return Plan(
        pipeline=pipeline,
        imports=tuple(imports),
        helpers=tuple(helpers),
        steps=tuple(steps),
        params=tuple(params.values()),
        artifacts=artifacts,
        work_dir=work_dir,
        input_files=input_names,
        local_modules=_local_modules(slices, stmts),
        cloudpickle=by_value,
        modules=tuple(sorted(modules)),
        argv=_argv(slices),
    )


def _argv(slices: Sequence[Slice]) -> tuple[str, ...] | None:
    """The command-line arguments the sessions ran with, when a slice reads them."""
    found = {a.argv for a in slices if a.argv is not None}
    if len(found) > 1:
        raise ExportError(
            "these artifacts were saved by runs with different command-line arguments "
            f"({' and '.join(repr(list(a)) for a in sorted(found))}): export them separately"
        )
    return found.pop() if found else None


def _collect(slices: Sequence[Slice]) -> dict[tuple[str, float], PlanStmt]:
    """Every statement of the slices, once per session, knowing which artifacts use it."""
    stmts: dict[tuple[str, float], PlanStmt] = {}
    stopped: dict[tuple[str, int], tuple[str, PlanStmt]] = {}
    for art in slices:
        last = -1.0
        for st in art.statements:
            key = (art.session, float(st.id))
            if key not in stmts or _stops_where_saved(st.text, stmts[key].text):
                users = stmts[key].users if key in stmts else []
                stmts[key] = PlanStmt(key, st.text, tuple(st.deps), st.cell, st.facts, users)
            stmts[key].users.append(art.artifact)
            last = max(last, float(st.id))
        if art.extra:
            key = (art.session, last + 0.5)
            while key in stmts:  # two expressions saved after the same statement
                key = (art.session, key[1] + (1 - key[1] % 1) / 2)
            cell = art.statements[-1].cell if art.statements else None
            stmts[key] = PlanStmt(key, art.extra, (), cell, art.extra_facts, [art.artifact])
            if art.stopped_at is not None:
                _check_stopped(stopped, art, stmts[key])
        elif last < 0:
            raise ExportError(
                f"artifact {art.artifact!r} has no code to rebuild it (its value came from "
                "outside the captured session); save it again from code lineage captured"
            )
    return dict(sorted(stmts.items()))


def _check_stopped(
    seen: dict[tuple[str, int], tuple[str, PlanStmt]], art: Slice, extra: PlanStmt
) -> None:
    """Two artifacts saved inside one run of a statement that changes what it reads: each
    step would rerun the statement up to its own save, the later one on what the earlier one
    changed, which the session never had."""
    assert art.stopped_at is not None
    key = (art.session, art.stopped_at)
    if key in seen and (extra.facts.mutates or seen[key][1].facts.mutates):
        raise ExportError(
            f"artifacts {seen[key][0]!r} and {art.artifact!r} were saved inside the same run of "
            "one statement (a loop or a function) that changes its inputs, so one pipeline "
            "cannot rebuild both from the session's values: export them separately"
        )
    seen.setdefault(key, (art.artifact, extra))


def _stops_where_saved(text: str, kept: str) -> bool:
    """One statement as two artifacts' slices show it: a function that saved one of them
    shows its save calls as stops in that artifact's slice (lineage.save_point) and drops them
    in others'. The steps keep the stops, which do nothing unless a step asks for them."""
    return text != kept and SAVE_POINT in text and SAVE_POINT not in kept


# imports the steps module may need itself: the user's identical ones merge with them
HELPER_IMPORTS = frozenset(
    {
        "import os",
        "import pickle",
        "from pathlib import Path",
        "import argparse",
        "import json",
        "import cloudpickle",
        "import shutil",
        "import sys",
    }
)


def _hoist(
    stmts: dict[tuple[str, float], PlanStmt], param_keys: set[tuple[str, float]]
) -> tuple[list[str], list[str], set[tuple[str, float]], set[str]]:
    """Imports, and notebook functions and classes that use nothing but imports, move to the
    module top when nothing else binds their names.

    Returns (imports, helpers, keys of the statements moved, names the module top binds)."""
    binders: dict[str, set[str]] = {}
    mutated: set[str] = set()
    for s in stmts.values():
        for name in s.facts.binds:
            binders.setdefault(name, set()).add(_normal(s))
        mutated |= s.facts.mutates
    hoisted: set[tuple[str, float]] = set()
    imports: dict[str, None] = {}
    names: set[str] = set()
    for k, s in stmts.items():
        text = _normal(s)
        if (
            s.facts.kind == "import"
            and all(binders[n] == {text} for n in s.facts.binds)
            and (text in HELPER_IMPORTS or not s.facts.binds & RESERVED)
            and all(
                (s.session, float(d)) in hoisted for d in s.deps if (s.session, float(d)) in stmts
            )
        ):
            hoisted.add(k)
            imports.setdefault(text, None)
            names |= s.facts.binds
    constants = _shared_constants(stmts, param_keys, binders, mutated)
    hoisted |= set(constants)
    names |= {str(c.facts.literal[0]) for c in constants.values() if c.facts.literal}
    candidates = {
        k: s
        for k, s in stmts.items()
        if s.facts.kind in ("def", "class")
        and k not in param_keys
        and not s.facts.global_writes
        and all(binders[n] == {s.text} and n not in mutated for n in s.facts.binds)
        and not s.facts.binds & RESERVED
    }
    while True:  # drop candidates that need something the module top will not have
        known = names | BUILTINS | {n for c in candidates.values() for n in c.facts.binds}
        keep = {
            k: c
            for k, c in candidates.items()
            if (c.facts.reads | c.facts.deferred) - c.facts.binds <= known
        }
        if len(keep) == len(candidates):
            break
        candidates = keep
    hoisted |= set(candidates)
    names |= {n for c in candidates.values() for n in c.facts.binds}
    helpers = list(dict.fromkeys(c.text.strip("\n") for c in constants.values()))
    helpers += dict.fromkeys(c.text for c in candidates.values())
    return list(imports), helpers, hoisted, names


def _shared_constants(
    stmts: dict[tuple[str, float], PlanStmt],
    param_keys: set[tuple[str, float]],
    binders: dict[str, set[str]],
    mutated: set[str],
) -> dict[tuple[str, float], PlanStmt]:
    """``NAME = <immutable literal>`` statements several artifacts need, when nothing else
    binds, changes or reads NAME before: defined once at the module top, not handed from
    step to step."""
    written = {n for s in stmts.values() for n in s.facts.global_writes}
    out: dict[tuple[str, float], PlanStmt] = {}
    for k, s in stmts.items():
        lit = s.facts.literal
        if lit is None or k in param_keys or len(set(s.users)) < 2 or not _immutable(lit[1]):
            continue
        name = lit[0]
        if isinstance(lit[1], str) and looks_like_path(lit[1]):
            continue  # a file's path: resolved when a step runs (file_path), not at import
        if binders.get(name) != {s.text} or name in mutated | written | RESERVED:
            continue
        if any(
            o.session == s.session and o.pos < s.pos and name in o.facts.reads
            for o in stmts.values()
        ):
            continue
        out[k] = s
    return out


def _immutable(value: object) -> bool:
    if isinstance(value, (tuple, frozenset)):
        return all(_immutable(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, complex, str, bytes))


def _normal(s: PlanStmt) -> str:
    """Imports compare by meaning, not spacing; everything else by text."""
    if s.facts.kind == "import":
        return ast.unparse(ast.parse(s.text))
    return s.text


def _local_modules(
    slices: Sequence[Slice], stmts: dict[tuple[str, float], PlanStmt]
) -> tuple[str, ...]:
    """Modules in the sessions' folders the steps import (their paths): the export carries
    copies of them."""
    found: set[tuple[str, str]] = set()
    for art in slices:
        if not art.cwd or not os.path.isdir(art.cwd):
            continue
        for s in stmts.values():
            if s.session == art.session and s.facts.kind == "import":
                found |= {(art.cwd, m) for m in local_modules(s.text, art.cwd)}
    names = [m for _, m in found]
    if len(set(names)) < len(names):
        raise ExportError(
            "these artifacts import different modules named alike "
            f"({', '.join(sorted(os.path.join(c, m) for c, m in found))}): export them separately"
        )
    return tuple(sorted(os.path.join(cwd, m) for cwd, m in found))


def _work_dir(
    slices: Sequence[Slice], stmts: dict[tuple[str, float], PlanStmt]
) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """The folder a session ran in, when its code names files there (the input location's
    default), and those files: (string constant, path relative to the folder) pairs."""
    folders: dict[str, dict[str, str]] = {}
    for art in slices:
        strings = [t for s in stmts.values() if s.session == art.session for t in constants(s.text)]
        found = input_files(art.cwd, strings)
        if found:
            folders.setdefault(art.cwd, {}).update(found)
    if len(folders) > 1:
        raise ExportError(
            "these artifacts read files from different folders "
            f"({' and '.join(sorted(folders))}): export them separately"
        )
    for cwd, found in folders.items():
        return cwd, tuple(sorted(found.items()))
    return None, ()
