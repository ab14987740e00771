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

import heapq
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx

from lineage.emitters.naming import BUILTINS, Namer, identifier
from lineage.emitters.params import Param, find_params
from lineage.emitters.source import Facts, analyze
from lineage.errors import ExportError

# Names the templates use next to the steps; no step function may take one of them.
RESERVED = frozenset(
    "os pickle Path fsspec cloudpickle PARAMS WORK_DIR data_path open_data save_value "
    "load_value argparse json ray pytest dag task Param get_current_context steps main run "
    "parse_args connect same load_expected".split()
)


@dataclass(frozen=True)
class Statement:
    """One statement of a slice, as saved in the artifact's metadata."""

    id: int
    text: str
    deps: tuple[int, ...] = ()
    cell: int | None = None  # execution count of the cell it ran in


@dataclass(frozen=True)
class Slice:
    """One artifact to export: its slice and the variable holding its value at the end."""

    artifact: str
    session: str
    target: str
    statements: tuple[Statement, ...]
    extra: str = ""  # a final statement binding ``target`` that the session did not run itself
    cwd: str = ""


@dataclass(frozen=True)
class Step:
    name: str  # the function's name
    body: tuple[tuple[str, int | None], ...]  # (statement text, cell) in execution order
    inputs: tuple[tuple[str, str], ...]  # (name, step producing it), in argument order
    params: tuple[str, ...]  # parameters it reads, after the inputs
    outputs: tuple[str, ...]  # names it returns
    artifacts: tuple[str, ...]  # artifacts it rebuilds: their values are among its outputs
    users: tuple[str, ...]  # artifacts that need it
    after: tuple[str, ...] = ()  # steps that must run before it


@dataclass(frozen=True)
class Plan:
    pipeline: str
    imports: tuple[str, ...]  # module-level imports, as written in the session
    helpers: tuple[str, ...]  # module-level notebook functions and classes
    steps: tuple[Step, ...]  # in run order
    params: tuple[Param, ...]
    artifacts: tuple[tuple[str, str, str], ...]  # (artifact, step, output holding its value)
    work_dir: str | None  # where relative input paths resolve; None when nothing reads any
    cloudpickle: bool  # values include functions or classes defined inside a step
    modules: tuple[str, ...]  # top-level modules the steps import


@dataclass(eq=False)
class _Stmt:
    key: tuple[str, float]  # (session, position in execution order)
    text: str
    deps: tuple[int, ...]
    cell: int | None
    facts: Facts
    users: list[str] = field(default_factory=list)  # artifacts whose slice holds it

    @property
    def session(self) -> str:
        return self.key[0]

    @property
    def pos(self) -> float:
        return self.key[1]

    def writes(self, name: str) -> bool:
        return name in self.facts.binds or name in self.facts.mutates


_PARAM = "param"  # provider marker: the value comes from a pipeline parameter


def make_plan(pipeline: str, slices: Sequence[Slice], param_names: Sequence[str] = ()) -> Plan:
    stmts = _collect(slices)
    literals = [
        (s.facts.literal[0], s.facts.literal[1], f"`{s.text.strip()}`")
        for s in stmts.values()
        if s.facts.literal is not None
    ]
    params = find_params(param_names, literals)
    param_keys = {k for k, s in stmts.items() if s.facts.literal and s.facts.literal[0] in params}
    imports, helpers, hoisted, module_names = _hoist(stmts, param_keys)
    rest = [s for k, s in stmts.items() if k not in param_keys and k not in hoisted]
    steps: list[Step] = []
    namer = Namer(RESERVED | module_names | set(params))
    for session in dict.fromkeys(a.session for a in slices):
        arts = [a for a in slices if a.session == session]
        steps += _Session(session, rest, arts, stmts, param_keys, module_names).plan(namer)
    artifacts = tuple(
        (a.artifact, step.name, a.target)
        for a in slices
        for step in steps
        if a.artifact in step.artifacts
    )
    modules = set().union(
        *(_top_modules(s.text) for s in stmts.values() if s.facts.kind == "import")
    )
    return Plan(
        pipeline=pipeline,
        imports=tuple(imports),
        helpers=tuple(helpers),
        steps=tuple(steps),
        params=tuple(params.values()),
        artifacts=artifacts,
        work_dir=_work_dir(slices, stmts),
        cloudpickle=any(s.facts.kind == "def" or "lambda" in s.text for s in rest),
        modules=tuple(sorted(modules)),
    )


def _collect(slices: Sequence[Slice]) -> dict[tuple[str, float], _Stmt]:
    """Every statement of the slices, once per session, knowing which artifacts use it."""
    stmts: dict[tuple[str, float], _Stmt] = {}
    for art in slices:
        last = -1.0
        for st in art.statements:
            key = (art.session, float(st.id))
            if key not in stmts:
                stmts[key] = _Stmt(key, st.text, tuple(st.deps), st.cell, analyze(st.text))
            stmts[key].users.append(art.artifact)
            last = max(last, float(st.id))
        if art.extra:
            key = (art.session, last + 0.5)
            while key in stmts:  # two expressions saved after the same statement
                key = (art.session, key[1] + (1 - key[1] % 1) / 2)
            cell = art.statements[-1].cell if art.statements else None
            stmts[key] = _Stmt(key, art.extra, (), cell, analyze(art.extra), [art.artifact])
        elif last < 0:
            raise ExportError(
                f"artifact {art.artifact!r} has no code to rebuild it (its value came from "
                "outside the captured session); save it again from code lineage captured"
            )
    return dict(sorted(stmts.items()))


HELPER_IMPORTS = ("import os", "import pickle", "from pathlib import Path")


def _hoist(
    stmts: dict[tuple[str, float], _Stmt], param_keys: set[tuple[str, float]]
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
    candidates = {
        k: s
        for k, s in stmts.items()
        if s.facts.kind == "def"
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
    helpers = list(dict.fromkeys(c.text for c in candidates.values()))
    return list(imports), helpers, hoisted, names


def _normal(s: _Stmt) -> str:
    """Imports compare by meaning, not spacing; everything else by text."""
    if s.facts.kind == "import":
        import ast

        return ast.unparse(ast.parse(s.text))
    return s.text


class _Session:
    """Steps for the artifacts of one session."""

    def __init__(
        self,
        session: str,
        rest: list[_Stmt],
        arts: list[Slice],
        everything: dict[tuple[str, float], _Stmt],
        param_keys: set[tuple[str, float]],
        module_names: Iterable[str],
    ) -> None:
        self.stmts = [s for s in rest if s.session == session]
        self.arts = arts
        mine = {k: s for k, s in everything.items() if k[0] == session}
        self.params = [s for k, s in mine.items() if k in param_keys]
        self.by_id = {int(k[1]): s for k, s in mine.items() if k[1] % 1 == 0}
        self.module = set(module_names)
        stmts = self.stmts
        groups: dict[frozenset[str], int] = {}
        self.step_of: dict[int, int] = {}  # id(stmt) -> group
        for s in stmts:
            self.step_of[id(s)] = groups.setdefault(frozenset(s.users), len(groups))

    # -- grouping ---------------------------------------------------------------------------
    def members(self) -> dict[int, list[_Stmt]]:
        out: dict[int, list[_Stmt]] = {}
        for s in self.stmts:
            out.setdefault(self.step_of[id(s)], []).append(s)
        return out

    def merge(self, a: int, b: int) -> None:
        for s in self.stmts:
            if self.step_of[id(s)] == b:
                self.step_of[id(s)] = a

    def writer(self, name: str, before: float, reader: _Stmt | None) -> object:
        """The last statement that wrote ``name`` before position ``before``: a statement,
        the parameter marker, or None."""
        best: tuple[float, object] | None = None
        for s in self.params:
            if s.facts.literal and s.facts.literal[0] == name and s.pos < before:
                best = (s.pos, _PARAM)
        for s in self.stmts:
            if s.pos >= before or (best and s.pos < best[0]):
                continue
            f = s.facts
            writes = name in f.binds or (name in f.mutates and name in f.reads)
            if not writes and reader is not None and name in f.reads and s.pos % 1 == 0:
                # a dependency that binds nothing the reader reads: it changed what it read
                writes = int(s.pos) in reader.deps and not (f.binds & reader.facts.reads)
            if writes:
                best = (s.pos, s)
        return None if best is None else best[1]

    # -- interface --------------------------------------------------------------------------
    def interface(self, step: int, members: list[_Stmt]) -> tuple[dict[str, object], set[int]]:
        """Inputs of ``step`` (name -> provider) and the steps it must merge with to be
        correct (an empty set when it can stand alone)."""
        inputs: dict[str, object] = {}
        conflicts: set[int] = set()
        written: set[str] = set()  # names this step has already bound or changed
        for s in members:
            for name in sorted((s.facts.reads | (s.facts.binds - s.facts.sure)) - self.module):
                provider = self.writer(name, s.pos, s)
                if not isinstance(provider, _Stmt) or self.step_of[id(provider)] != step:
                    self.take(name, provider, written, inputs, conflicts, step)
            written |= s.facts.binds | s.facts.mutates
        end = members[-1].pos + 0.25
        late = set().union(*(s.facts.deferred for s in members)) - written - self.module
        for art in self.arts:  # an artifact's value must be in hand at the end of its step
            if self.final(art) in members and art.target not in written:
                late.add(art.target)
        for name in sorted(late - set(inputs)):
            provider = self.writer(name, end, None)
            if provider is not None:
                self.take(name, provider, set(), inputs, conflicts, step)
            else:  # a function here reads a global that another step binds later
                conflicts |= {self.step_of[id(s)] for s in self.stmts if name in s.facts.binds}
        for name, provider in inputs.items():
            if isinstance(provider, _Stmt):  # the provider's step must end with that version
                home = self.step_of[id(provider)]
                if any(
                    self.step_of[id(u)] == home and u.pos > provider.pos and u.writes(name)
                    for u in self.stmts
                ):
                    conflicts.add(home)
        carried = set(inputs)
        carried |= {r for u in self.stmts if u.facts.binds & carried for r in u.facts.deferred}
        for s in members:  # dependencies no value carries (random state, files): merge
            for d in s.deps:
                dep = self.by_id.get(d)
                if dep is None or id(dep) not in self.step_of or self.step_of[id(dep)] == step:
                    continue
                if not (dep.facts.binds | dep.facts.mutates) & carried:
                    conflicts.add(self.step_of[id(dep)])
        return inputs, conflicts - {step}

    def take(
        self,
        name: str,
        provider: object,
        written: set[str],
        inputs: dict[str, object],
        conflicts: set[int],
        step: int,
    ) -> None:
        """Record that ``step`` reads ``name`` from ``provider`` (outside the step)."""
        if provider is None:
            return
        if name in written or (name in inputs and inputs[name] is not provider):
            # the step needs a value from the middle of another step's run
            if isinstance(provider, _Stmt):
                conflicts.add(self.step_of[id(provider)])
            else:
                raise ExportError(
                    f"cannot make {name!r} a parameter: the code assigns it both before and "
                    "after it is used; export without --param " + name
                )
            return
        inputs[name] = provider

    def final(self, art: Slice) -> _Stmt:
        return max((s for s in self.stmts if art.artifact in s.users), key=lambda s: s.pos)

    # -- the steps --------------------------------------------------------------------------
    def plan(self, namer: Namer) -> list[Step]:
        while True:
            groups = self.members()
            interfaces = {}
            merged = False
            for g, members in groups.items():
                inputs, conflicts = self.interface(g, members)
                if conflicts:
                    self.merge(min(conflicts | {g}), max(conflicts | {g}))
                    merged = True
                    break
                interfaces[g] = inputs
            if merged:
                continue
            graph = self.graph(groups, interfaces)
            cycle = next((c for c in nx.strongly_connected_components(graph) if len(c) > 1), None)
            if cycle is None:
                break
            first = min(cycle)
            for g in cycle:
                self.merge(first, g)
        return self.steps(groups, interfaces, graph, namer)

    def graph(self, groups: dict[int, list[_Stmt]], interfaces: dict[int, dict]) -> nx.DiGraph:
        graph = nx.DiGraph()
        graph.add_nodes_from(groups)
        readers: dict[tuple[int, str], list[tuple[int, float]]] = {}
        for g, inputs in interfaces.items():
            for name, provider in inputs.items():
                if isinstance(provider, _Stmt):
                    graph.add_edge(self.step_of[id(provider)], g)
                    first = min(
                        (s.pos for s in groups[g] if name in s.facts.reads | s.facts.deferred),
                        default=groups[g][-1].pos,
                    )
                    readers.setdefault((id(provider), name), []).append((g, first))
            for s in groups[g]:
                for d in s.deps:
                    dep = self.by_id.get(d)
                    if dep is not None and id(dep) in self.step_of and self.step_of[id(dep)] != g:
                        graph.add_edge(self.step_of[id(dep)], g)
        for (_, name), users in readers.items():  # the same object, read by several steps:
            for g, first in users:  # whoever changes it in place runs after the others read it
                for other, _ in users:
                    changes = [s.pos for s in groups[other] if name in s.facts.mutates]
                    if other != g and changes and min(changes) > first:
                        graph.add_edge(g, other)
        return graph

    def steps(
        self,
        groups: dict[int, list[_Stmt]],
        interfaces: dict[int, dict[str, object]],
        graph: nx.DiGraph,
        namer: Namer,
    ) -> list[Step]:
        order: list[int] = []
        indegree = {g: graph.in_degree(g) for g in groups}
        ready = [(groups[g][0].pos, g) for g, n in indegree.items() if n == 0]
        heapq.heapify(ready)
        while ready:
            _, g = heapq.heappop(ready)
            order.append(g)
            for nxt in graph.successors(g):
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    heapq.heappush(ready, (groups[nxt][0].pos, nxt))
        outputs: dict[int, dict[str, float]] = {g: {} for g in groups}
        for inputs in interfaces.values():
            for name, p in inputs.items():
                if isinstance(p, _Stmt):
                    outputs[self.step_of[id(p)]][name] = p.pos
        built: dict[int, list[Slice]] = {}
        for art in self.arts:
            home = self.step_of[id(self.final(art))]
            built.setdefault(home, []).append(art)
            final = self.final(art)
            if any(
                self.step_of[id(u)] == home and u.pos > final.pos and u.writes(art.target)
                for u in self.stmts
            ):
                raise ExportError(
                    f"cannot export artifact {art.artifact!r}: its variable {art.target!r} "
                    "changes again in a step that other artifacts need; export it separately"
                )
        names: dict[int, str] = {}
        for g in order:
            arts = built.get(g, [])
            rest = sorted(outputs[g], key=lambda n: (outputs[g][n], n))
            base = arts[0].artifact if arts else (rest[0] if rest else "step")
            names[g] = namer(identifier(base, default="step"))
        steps = []
        for g in order:
            arts = built.get(g, [])
            targets = list(dict.fromkeys(a.target for a in arts))
            others = sorted(outputs[g], key=lambda n: (outputs[g][n], n))
            inputs = interfaces[g]
            steps.append(
                Step(
                    name=names[g],
                    body=tuple((s.text, s.cell) for s in groups[g]),
                    inputs=tuple(
                        (n, names[self.step_of[id(p)]])
                        for n, p in inputs.items()
                        if isinstance(p, _Stmt)
                    ),
                    params=tuple(sorted(n for n, p in inputs.items() if p is _PARAM)),
                    outputs=tuple(dict.fromkeys(targets + others)),
                    artifacts=tuple(a.artifact for a in arts),
                    users=tuple(dict.fromkeys(u for s in groups[g] for u in s.users)),
                    after=tuple(names[p] for p in order if graph.has_edge(p, g)),
                )
            )
        return steps


def _top_modules(text: str) -> set[str]:
    """The top-level modules an import statement imports (relative imports excluded)."""
    import ast

    out: set[str] = set()
    for node in ast.parse(text).body:
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


def _work_dir(slices: Sequence[Slice], stmts: dict[tuple[str, float], _Stmt]) -> str | None:
    """The folder a session ran in, when its code names a relative path that exists there
    (an input file): the steps must run there to find it."""
    for art in slices:
        if not art.cwd or not os.path.isdir(art.cwd):
            continue
        for s in stmts.values():
            if s.session != art.session:
                continue
            for text in s.facts.strings:
                if _looks_like_path(text) and os.path.exists(os.path.join(art.cwd, text)):
                    return art.cwd
    return None


def _looks_like_path(text: str) -> bool:
    return (
        0 < len(text) < 256
        and ("." in text or "/" in text)
        and "\n" not in text
        and "://" not in text
        and not os.path.isabs(text)
        and text not in (".", "..")
    )
