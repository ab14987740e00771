"""Steps for the artifacts of one session: group statements by the artifacts that use them,
work out what each group takes and returns, and merge groups where that cannot reproduce
the session. See :mod:`lineage.emitters.plan` for the rules."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import networkx as nx

from lineage.emitters.model import PARAM, PlanStmt, Slice, Step
from lineage.emitters.naming import Namer, identifier
from lineage.errors import ExportError


class SessionSteps:
    """Steps for the artifacts of one session."""

    def __init__(
        self,
        session: str,
        rest: list[PlanStmt],
        arts: list[Slice],
        everything: dict[tuple[str, float], PlanStmt],
        param_keys: set[tuple[str, float]],
        module_names: Iterable[str],
    ) -> None:
        self.stmts = [s for s in rest if s.session == session]
        self.arts = arts
        mine = {k: s for k, s in everything.items() if k[0] == session}
        self.params = [s for k, s in mine.items() if k in param_keys]
        self.by_id = {int(k[1]): s for k, s in mine.items() if k[1] % 1 == 0}
        self.module = set(module_names)
        self.by_value = False  # a value handed between steps may be a function made in one
        stmts = self.stmts
        groups: dict[frozenset[str], int] = {}
        self.step_of: dict[int, int] = {}  # id(stmt) -> group
        self.touching: dict[str, list[PlanStmt]] = {}  # name -> statements that use it, in order
        for s in stmts:
            self.step_of[id(s)] = groups.setdefault(frozenset(s.users), len(groups))
            for name in s.facts.binds | s.facts.mutates | s.facts.reads:
                self.touching.setdefault(name, []).append(s)
        self.finals = {
            art.artifact: max((s for s in stmts if art.artifact in s.users), key=lambda s: s.pos)
            for art in arts
        }

    # -- grouping ---------------------------------------------------------------------------
    def members(self) -> dict[int, list[PlanStmt]]:
        out: dict[int, list[PlanStmt]] = {}
        for s in self.stmts:
            out.setdefault(self.step_of[id(s)], []).append(s)
        return out

    def merge(self, a: int, b: int) -> None:
        for s in self.stmts:
            if self.step_of[id(s)] == b:
                self.step_of[id(s)] = a

    def writer(self, name: str, before: float, reader: PlanStmt | None) -> object:
        """The last statement that wrote ``name`` before position ``before``: a statement,
        the parameter marker, or None."""
        param = max(
            (
                s.pos
                for s in self.params
                if s.facts.literal and s.facts.literal[0] == name and s.pos < before
            ),
            default=None,
        )
        for s in reversed(self.touching.get(name, [])):
            if s.pos >= before:
                continue
            if param is not None and s.pos < param:
                break
            f = s.facts
            writes = name in f.binds or (name in f.mutates and name in f.reads)
            if not writes and reader is not None and name in f.reads and f.changes:
                # a dependency that binds nothing the reader reads, and changed an object it
                # does not name: it may be what the reader reads
                writes = int(s.pos) in reader.deps and not (f.binds & reader.facts.reads)
            if writes:
                return s
        return PARAM if param is not None else None

    # -- interface --------------------------------------------------------------------------
    def interface(
        self, step: int, members: list[PlanStmt], needed: set[str]
    ) -> tuple[dict[str, object], set[int]]:
        """Inputs of ``step`` (name -> provider) and the steps it must merge with to be
        correct (none when it can stand alone). ``needed``: names other steps take from it."""
        inputs: dict[str, object] = {}
        conflicts: set[int] = set()
        written: set[str] = set()  # names this step has already bound or changed
        maybe: dict[str, float] = {}  # names it may leave unbound: where it first binds them
        for s in members:
            for name in sorted(s.facts.reads - self.module):
                provider = self.writer(name, s.pos, s)
                if not isinstance(provider, PlanStmt) or self.step_of[id(provider)] != step:
                    self.take(name, provider, written, inputs, conflicts)
            for name in s.facts.binds - s.facts.sure - written:
                maybe.setdefault(name, s.pos)
            written |= s.facts.binds | s.facts.mutates
        for art in self.arts:  # an artifact's value must be in hand at the end of its step
            if self.final(art) in members:
                needed = needed | {art.target}
        end = members[-1].pos + 0.25
        late = {n: end for n in set().union(*(s.facts.deferred for s in members)) - written}
        late |= {n: end for n in needed - written}
        late |= {n: maybe[n] for n in needed & set(maybe)}  # the value it had before
        for name in sorted(set(late) - self.module - set(inputs)):
            provider = self.writer(name, late[name], None)
            if provider is not None:
                self.take(name, provider, set(), inputs, conflicts)
            elif name not in written:  # a function here reads a global bound by a later step
                conflicts |= {self.step_of[id(s)] for s in self.stmts if name in s.facts.binds}
        for name, provider in inputs.items():
            if isinstance(provider, PlanStmt):  # the provider's step must end with that version
                home = self.step_of[id(provider)]
                if any(
                    self.step_of[id(u)] == home and u.pos > provider.pos and u.writes(name)
                    for u in self.touching.get(name, [])
                ):
                    conflicts.add(home)
        carried = set(inputs)
        carried |= {r for u in self.stmts if u.facts.binds & carried for r in u.facts.deferred}
        for s in members:  # dependencies no value carries (random state): merge
            for d in s.deps:
                dep = self.by_id.get(d)
                if dep is None or id(dep) not in self.step_of or self.step_of[id(dep)] == step:
                    continue
                # it may have changed anything it read (through an alias), unless a module
                touched = dep.facts.binds | dep.facts.mutates | (dep.facts.reads - self.module)
                if not touched & carried and not _hands_file(dep, s):
                    conflicts.add(self.step_of[id(dep)])
        return inputs, conflicts - {step}

    def take(
        self,
        name: str,
        provider: object,
        written: set[str],
        inputs: dict[str, object],
        conflicts: set[int],
    ) -> None:
        """Record that ``step`` reads ``name`` from ``provider`` (outside the step)."""
        if provider is None:
            return
        if name in written or (name in inputs and inputs[name] is not provider):
            # the step needs a value from the middle of another step's run
            if isinstance(provider, PlanStmt):
                conflicts.add(self.step_of[id(provider)])
            else:
                raise ExportError(
                    f"cannot make {name!r} a parameter: the code assigns it both before and "
                    "after it is used; export without --param " + name
                )
            return
        inputs[name] = provider

    def declared(self, param: str) -> float:
        """Where the session assigned parameter ``param`` first (its place in signatures)."""
        return min(s.pos for s in self.params if s.facts.literal and s.facts.literal[0] == param)

    def final(self, art: Slice) -> PlanStmt:
        """The last statement of the artifact's slice: its value is in hand after it."""
        return self.finals[art.artifact]

    # -- the steps --------------------------------------------------------------------------
    def plan(self, namer: Namer) -> list[Step]:
        needed: dict[int, set[str]] = {}
        while True:
            groups = self.members()
            interfaces = {}
            merged = False
            for g, members in groups.items():
                inputs, conflicts = self.interface(g, members, needed.get(g, set()))
                if conflicts:
                    self.merge(min(conflicts | {g}), max(conflicts | {g}))
                    merged = True
                    break
                interfaces[g] = inputs
            if merged:
                needed = {}
                continue
            wanted: dict[int, set[str]] = {}
            for inputs in interfaces.values():
                for name, p in inputs.items():
                    if isinstance(p, PlanStmt):
                        wanted.setdefault(self.step_of[id(p)], set()).add(name)
            if wanted != needed:  # a step must now hand out a name it may not bind
                needed = wanted
                continue
            graph = self.graph(groups, interfaces)
            cycle = next((c for c in nx.strongly_connected_components(graph) if len(c) > 1), None)
            if cycle is None:
                break
            first = min(cycle)
            for g in cycle:
                self.merge(first, g)
        return self.steps(groups, interfaces, graph, namer)

    def graph(self, groups: dict[int, list[PlanStmt]], interfaces: dict[int, dict]) -> nx.DiGraph:
        graph = nx.DiGraph()
        graph.add_nodes_from(groups)
        readers: dict[tuple[int, str], list[tuple[int, float]]] = {}
        for g, inputs in interfaces.items():
            for name, provider in inputs.items():
                if isinstance(provider, PlanStmt):
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
        groups: dict[int, list[PlanStmt]],
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
        outputs: dict[int, dict[str, int]] = {g: {} for g in groups}  # name -> readers
        for inputs in interfaces.values():
            for name, p in inputs.items():
                if isinstance(p, PlanStmt):
                    home = self.step_of[id(p)]
                    outputs[home][name] = outputs[home].get(name, 0) + 1
                    self.by_value |= p.facts.kind == "def" or "lambda" in p.text
        self.by_value |= any(s.facts.kind == "class" for s in self.stmts)
        built: dict[int, list[Slice]] = {}
        for art in self.arts:
            home = self.step_of[id(self.final(art))]
            built.setdefault(home, []).append(art)
            final = self.final(art)
            if any(
                self.step_of[id(u)] == home and u.pos > final.pos and u.writes(art.target)
                for u in self.touching.get(art.target, [])
            ):
                raise ExportError(
                    f"cannot export artifact {art.artifact!r}: its variable {art.target!r} "
                    "changes again in a step that other artifacts need; export it separately"
                )
        names: dict[int, str] = {}
        for g in order:
            arts = built.get(g, [])
            rest = _by_use(outputs[g], groups[g])
            base = arts[0].artifact if arts else (rest[0] if rest else _written(groups[g]))
            names[g] = namer(identifier(base, default="step"))
        steps = []
        for g in order:
            arts = built.get(g, [])
            targets = list(dict.fromkeys(a.target for a in arts))
            others = _by_use(outputs[g], groups[g])
            inputs = interfaces[g]
            steps.append(
                Step(
                    name=names[g],
                    body=tuple((s.text, s.cell) for s in groups[g]),
                    inputs=tuple(
                        (n, names[self.step_of[id(p)]])
                        for n, p in inputs.items()
                        if isinstance(p, PlanStmt)
                    ),
                    params=tuple(
                        sorted((n for n, p in inputs.items() if p is PARAM), key=self.declared)
                    ),
                    outputs=tuple(dict.fromkeys(targets + others)),
                    artifacts=tuple(a.artifact for a in arts),
                    users=tuple(dict.fromkeys(u for s in groups[g] for u in s.users)),
                    after=tuple(names[p] for p in order if graph.has_edge(p, g)),
                    mutated=tuple(
                        n for n in inputs if any(n in s.facts.mutates for s in groups[g])
                    ),
                )
            )
        return steps


def _by_use(readers: dict[str, int], members: list[PlanStmt]) -> list[str]:
    """Output names, the one most steps read first (the step is named after it), then in
    the order the step binds them."""
    first = {n: min((s.pos for s in members if n in s.facts.binds), default=0.0) for n in readers}
    return sorted(readers, key=lambda n: (-readers[n], first[n], n))


def _hands_file(writer: PlanStmt, reader: PlanStmt) -> bool:
    """What links ``reader`` to its dependency ``writer`` needs no value handed over and no
    merge: a file the writer wrote and the reader reads (``raw.json``; an edge between their
    steps, the writer's first), or an object both changed under a name the reader binds anew
    before reading it (``with open(p) as f``). Not when the writer changed hidden state the
    reader reads, or an object it does not bind itself (only a value could carry that)."""
    shared = writer.facts.state_writes & reader.facts.state_reads
    if any(not loc.startswith("file:") for loc in shared) or writer.facts.changes:
        return False
    rebound = reader.facts.sure - reader.facts.reads
    return writer.facts.mutates <= writer.facts.binds | rebound


def _written(members: list[PlanStmt]) -> str:
    """A name for a step that hands on no value: after the file it writes, if any."""
    for s in members:
        for loc in s.facts.state_writes:
            if loc.startswith("file:") and loc != "file:*":
                return "write_" + loc.rsplit("/", 1)[-1]
    return "step"
