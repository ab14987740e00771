"""Reusing stored artifacts: the wanted slices read a reused artifact's saved value from the
store instead of recomputing it (``export(..., reuse=["features"])``).

Pure: slices in, slices out, before :func:`lineage.emitters.plan.make_plan` merges them.

The stored value stands for the variable the reused artifact was saved from, right after the
statement that made it (its *target statement*: the last statement of its slice, which binds
or changes that variable). That is valid in a wanted slice only when the slice holds that very
statement (same session and position) and does not change the variable in place afterwards;
the reads of the variable after it, up to the next statement that surely binds it again, are
then *served* by the stored value. The statement becomes ``features = load_features()``, and a
statement of the reused artifact's slice stays only where a statement that stays still needs
it: a backward closure over the statements' dependencies and their stored facts (reads,
binds, changes, hidden state), in which the served reads need nothing. Anything else is an
:class:`~lineage.errors.ExportError` that says why: correct first, then small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from lineage.emitters.model import Slice, Statement, StatementFacts
from lineage.errors import ExportError

_END = math.inf  # the position of a slice's final expression statement (``Slice.extra``)


@dataclass(frozen=True)
class Reused:
    """A stored artifact the pipeline loads instead of recomputing it."""

    artifact: str
    version: int
    key: str  # its value's key in the store: the same version saved again is another value
    variable: str  # the variable the session saved it from
    function: str  # the steps module's function that loads it (``load_features``)


@dataclass(frozen=True)
class _Node:
    """A statement of a wanted slice while the closure is computed."""

    pos: float
    facts: StatementFacts
    deps: tuple[int, ...]
    text: str


def substitute(wanted: Sequence[Slice], source: Slice, reused: Reused) -> list[Slice]:
    """The slices ``wanted`` reading ``reused``'s stored value where they read the binding
    its slice ``source`` saved, without the statements only it needed."""
    if source.extra:
        raise ExportError(
            f"cannot reuse {reused.artifact!r}: it was saved from an expression or inside a "
            "function or loop, not from a variable the exported code reads; save it from a "
            f"variable (lineage.save({reused.variable}, {reused.artifact!r})), then export again"
        )
    target = target_of(source, reused)
    variable = reused.variable
    if variable not in target.facts.binds | target.facts.mutates:
        raise ExportError(
            f"cannot reuse {reused.artifact!r}: the last statement of its slice "
            f"(`{_short(target.text)}`) does not bind or change {variable!r}, so lineage cannot "
            "tell where its stored value stands in the code; export without --reuse "
            f"{reused.artifact}"
        )
    out: list[Slice] = []
    why: list[str] = []
    for art in wanted:
        if not holds(art, source, target):
            out.append(art)
            why.append(_not_read(art, variable, reused, source))
            continue
        out.append(_substituted(art, source, target, reused))
    if len(why) == len(wanted):
        raise ExportError(
            f"cannot reuse {reused.artifact!r}: {'; '.join(why)}; export without --reuse "
            f"{reused.artifact}"
        )
    return out


def _needed_otherwise(
    art: Slice, reused: Reused, target: Statement, node: _Node, names: frozenset[str]
) -> ExportError:
    """The statement that made the reused value is needed for more than that value."""
    made = f"the statement that made it (`{_short(target.text)}`)"
    other = sorted(n for n in names - {reused.variable} if n)
    if other:
        why = f"{made} also makes {', '.join(other)}, which `{_short(node.text)}` needs"
    else:
        why = (
            f"`{_short(node.text)}` depends on {made} through more than the value of "
            f"{reused.variable!r} (an object changed under another name, or one it does not "
            "name)"
        )
    return ExportError(
        f"cannot reuse {reused.artifact!r} for {art.artifact!r}: {why}; export without "
        f"--reuse {reused.artifact}"
    )


def target_of(source: Slice, reused: Reused) -> Statement:
    """The statement that made the saved value: the last of the artifact's slice."""
    if not source.statements:
        raise ExportError(f"cannot reuse {reused.artifact!r}: its slice has no statements")
    return source.statements[-1]


def holds(art: Slice, source: Slice, target: Statement) -> bool:
    """``art``'s slice holds ``target``, a statement of ``source``'s session."""
    return art.session == source.session and any(
        s.id == target.id and s.text == target.text for s in art.statements
    )


def _not_read(art: Slice, variable: str, reused: Reused, source: Slice) -> str:
    if art.session != source.session:
        return f"{art.artifact!r} was saved by another session than {reused.artifact!r}"
    reads = any(variable in s.facts.reads | s.facts.deferred for s in art.statements)
    reads = reads or variable in art.extra_facts.reads | art.extra_facts.deferred
    if not reads:
        return f"{art.artifact!r} does not use it"
    return (
        f"{art.artifact!r} reads another version of {variable!r} than the one saved as "
        f"{reused.artifact!r} version {reused.version}"
    )


def _substituted(art: Slice, source: Slice, target: Statement, reused: Reused) -> Slice:
    variable = reused.variable
    nodes = {float(s.id): _Node(float(s.id), s.facts, s.deps, s.text) for s in art.statements}
    if art.extra:
        nodes[_END] = _Node(_END, art.extra_facts, (), art.extra)
    order = sorted(nodes)
    served = _served(art, nodes, order, float(target.id), variable)
    theirs = {float(s.id) for s in source.statements}  # candidates for leaving
    kept = {p for p in order if p not in theirs}
    if not kept:
        changer = next((s for s in reversed(art.statements) if variable in s.facts.mutates), None)
        how = (
            f" (`{_short(changer.text)}` may change {variable!r} in place, as far as lineage "
            "can tell)"
            if changer
            else ""
        )
        raise ExportError(
            f"cannot reuse {reused.artifact!r} for {art.artifact!r}: every statement of "
            f"{art.artifact!r} is one {reused.artifact!r} needs too{how}, so nothing would be "
            f"left to compute; export without --reuse {reused.artifact}"
        )
    rebound = any(variable in nodes[p].facts.sure for p in order if p > target.id)
    index = _Index(nodes)
    todo = sorted(kept)
    loaded = False
    while todo:
        pos = todo.pop()
        node = nodes[pos]
        for need, names in index.needs(node):
            if need in kept:
                continue
            if need in theirs and names == {variable} and _serves(node, variable, served, rebound):
                loaded = True  # the stored value serves this read
                continue
            if need == target.id:
                raise _needed_otherwise(art, reused, target, node, names)
            kept.add(need)
            todo.append(need)
    if not loaded:
        raise ExportError(
            f"cannot reuse {reused.artifact!r}: {art.artifact!r} does not read the saved "
            f"value of {variable!r}; export without --reuse {reused.artifact}"
        )
    load = Statement(
        id=target.id,
        text=f"{variable} = {reused.function}()\n",
        cell=target.cell,
        facts=StatementFacts(binds=frozenset({variable}), sure=frozenset({variable})),
    )
    ids = {int(p) for p in kept if p != _END} | {target.id}
    statements = tuple(
        load if s.id == target.id else replace(s, deps=tuple(d for d in s.deps if d in ids))
        for s in art.statements
        if s.id in ids
    )
    return replace(art, statements=statements)


def _serves(node: _Node, variable: str, served: set[float], rebound: bool) -> bool:
    """The stored value may stand for what ``node`` reads of ``variable``: it reads the saved
    binding when it runs, or a function it defines reads it later and nothing binds it again
    after the save (the calls read it then, as their own facts say)."""
    late = variable in node.facts.deferred
    if node.pos in served:
        return not (late and rebound)
    return late and variable not in node.facts.reads and not rebound


def _served(
    art: Slice, nodes: dict[float, _Node], order: list[float], after: float, variable: str
) -> set[float]:
    """Positions whose reads of ``variable`` read the binding saved after ``after``: those
    after it up to (and including) the next statement that surely binds it again. A change in
    place before that is refused: the stored value is not what those reads see."""
    served: set[float] = set()
    for pos in order:
        if pos <= after:
            continue
        facts = nodes[pos].facts
        if variable in facts.mutates:
            raise ExportError(
                f"cannot reuse the value of {variable!r} for {art.artifact!r}: "
                f"`{_short(nodes[pos].text)}` changes it in place after it was saved, so "
                f"{art.artifact!r} does not read the saved value alone; export without --reuse"
            )
        served.add(pos)
        if variable in facts.sure:
            break
    return served


class _Index:
    """Who writes what in one wanted slice, for the closure: the statements binding or
    changing each name, writing each piece of hidden state, and defining functions that read
    globals later, each list in execution order."""

    def __init__(self, nodes: dict[float, _Node]) -> None:
        self.nodes = nodes
        self.writers: dict[str, list[float]] = {}
        self.states: dict[str, list[float]] = {}
        self.definers: dict[str, list[float]] = {}  # name -> statements binding it that defer
        for pos in sorted(nodes):
            f = nodes[pos].facts
            for name in f.binds | f.mutates:
                self.writers.setdefault(name, []).append(pos)
            for state in f.state_writes:
                self.states.setdefault(state, []).append(pos)
            if f.deferred:
                for name in f.binds:
                    self.definers.setdefault(name, []).append(pos)

    def needs(self, node: _Node) -> list[tuple[float, frozenset[str]]]:
        """The statements ``node`` may need, each with the names that link them (empty when
        only a dependency the graph recorded, or an object changed under no name, links
        them)."""
        f = node.facts
        wants = self.wants(node)
        out: dict[float, set[str]] = {}
        for d in node.deps:
            if float(d) in self.nodes:
                dep = self.nodes[float(d)].facts
                link = (dep.binds | dep.mutates) & wants | (dep.state_writes & f.state_reads)
                out.setdefault(float(d), set()).update(link)
                if dep.changes:
                    out[float(d)].add("")  # an unnamed object: never served
        for name in wants:
            later = name in f.deferred  # read when a function it defines runs: any writer
            for pos in reversed(self.writers.get(name, ())):
                if pos == node.pos or (pos > node.pos and not later):
                    continue
                out.setdefault(pos, set()).add(name)
                if pos < node.pos and name in self.nodes[pos].facts.sure:
                    break
        for state in f.state_reads:
            for pos in self.states.get(state, ()):
                if pos < node.pos:
                    out.setdefault(pos, set()).add(state)
        return [(pos, frozenset(names)) for pos, names in out.items()]

    def wants(self, node: _Node) -> frozenset[str]:
        """The names ``node`` reads or changes, with the globals the notebook functions it
        calls read when they run (a call's facts name the function only), transitively."""
        f = node.facts
        wants = set(f.reads | f.deferred | f.mutates)
        todo = list(wants)
        seen: set[float] = set()
        while todo:
            for pos in self.definers.get(todo.pop(), ()):
                if pos < node.pos and pos not in seen:
                    seen.add(pos)
                    new = self.nodes[pos].facts.deferred - wants
                    wants |= new
                    todo += new
        return frozenset(wants)


def _short(text: str, limit: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."
