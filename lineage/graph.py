"""The session graph: one node per executed statement, edges to the statements it depends on.

The builder replays the captured history in execution order, combining each statement's static
facts with what was observed at run time (object identities and types at the end of each cell)
and with the library specs. It keeps, for every name, the statements that last bound it and the
*location* (object) it holds; for every location and pseudo-location (``state:random``,
``file:/abs/path``), the statements that last wrote it. A statement depends on the binders and
last writers of everything it reads or changes. Those dependencies are the graph's edges; a
slice is a backward closure over them (see :mod:`lineage.slicer`).

Building is incremental: complete cells are appended once; the statements of the cell that is
still running when ``save`` is called are replayed on a copy of the state.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NewType

import networkx as nx

from lineage.analysis.cells import Stmt
from lineage.analysis.facts import CallSite, PathExpr, Summary
from lineage.analysis.specs import Effect, FileEffect, Specs, mode_op

NodeId = NewType("NodeId", int)
Loc = int | str  # an object location (int) or a pseudo-location ("state:random", "file:/p")
Deps = tuple[NodeId, ...]

WILDCARD_FILE = "file:*"
_STATE_HOLDERS = ("sys.path.", "os.environ.")
_CONTAINER_MODULES = ("builtins.", "collections.")
# method names that change nothing on any type we know of; used when the receiver's type is unknown
_PURE_METHOD_NAMES = frozenset(
    "copy get keys values items count index startswith endswith format join split rsplit "
    "strip lstrip rstrip lower upper title replace find rfind isdigit isalpha encode decode "
    "__len__ __contains__ __repr__ __str__".split()
)


@dataclass(frozen=True, slots=True)
class RuntimeName:
    """What a name held at the end of its cell, as observed by the tracer."""

    obj_id: int
    type_name: str
    func: tuple[str, int, str] | None = None  # (co_filename, co_firstlineno, co_name)


@dataclass(slots=True)
class Node:
    id: NodeId
    cell: int  # index of the cell record in the session
    execution_count: int | None
    text: str
    deps: Deps
    binds: frozenset[str]
    reads: frozenset[str]
    is_import: bool
    excluded: bool  # magics and lineage calls: never part of a slice


@dataclass(slots=True)
class _State:
    binders: dict[str, Deps] = field(default_factory=dict)
    loc_of: dict[str, int] = field(default_factory=dict)
    parent: dict[int, int] = field(default_factory=dict)  # union-find over locations
    writers: dict[Loc, Deps] = field(default_factory=dict)
    loc_type: dict[int, str] = field(default_factory=dict)
    loc_func: dict[int, Summary] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)  # name -> imported dotted path
    consts: dict[str, str] = field(default_factory=dict)  # name -> known path string
    rid: dict[str, tuple[int, str]] = field(default_factory=dict)
    id_map: dict[tuple[int, str], str] = field(default_factory=dict)
    file_locs: set[str] = field(default_factory=set)
    next_loc: int = 0
    # a shallow copy's location -> the locations whose elements it shares
    elements_of: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def copy(self) -> _State:
        return _State(
            dict(self.binders), dict(self.loc_of), dict(self.parent), dict(self.writers),
            dict(self.loc_type), dict(self.loc_func), dict(self.modules), dict(self.consts),
            dict(self.rid), dict(self.id_map), set(self.file_locs), self.next_loc,
            dict(self.elements_of),
        )  # fmt: skip


class _Effects:
    """What one statement reads and changes, gathered before the state is updated."""

    __slots__ = ("applied", "binds_may", "deps", "mutated", "pseudo_reads", "pseudo_writes")

    def __init__(self) -> None:
        self.deps: set[NodeId] = set()
        self.mutated: set[int] = set()
        self.pseudo_reads: set[str] = set()
        self.pseudo_writes: set[str] = set()
        self.binds_may: set[str] = set()
        self.applied: set[int] = set()  # ids of summaries already applied (cycle guard)


class SessionGraph:
    """Replays statements into dependency edges. ``resolve_func`` maps a run-time function
    identity (co_filename, co_firstlineno, co_name) to its summary, when it can be found."""

    def __init__(self, specs: Specs, resolve_func=None) -> None:
        self.specs = specs
        self._immutable: dict[str, bool] = {}
        self.nodes: list[Node] = []
        self._state = _State()
        self._resolve_func = resolve_func or (lambda key: None)

    # -- public -------------------------------------------------------------------------------------
    def add_cell(
        self,
        cell: int,
        execution_count: int | None,
        stmts: Iterable[Stmt],
        runtime: dict[str, RuntimeName],
        cwd: str,
    ) -> None:
        """Append the executed statements of a complete cell."""
        _Replay(self, self._state, self.nodes, cell, execution_count, cwd).run(list(stmts), runtime)

    def read_deps(self, name: str, state: _State | None = None) -> Deps:
        """Statements a read of ``name`` depends on, at the current end of the history."""
        st = state or self._state
        eff = _Effects()
        _Replay(self, st, self.nodes, -1, None, "/").read(name, eff)
        return tuple(sorted(eff.deps))

    def preview(
        self,
        cell: int,
        execution_count: int | None,
        stmts: Iterable[Stmt],
        runtime: dict[str, RuntimeName],
        cwd: str,
    ) -> tuple[list[Node], _State]:
        """Replay a running cell's executed prefix without changing the graph."""
        state = self._state.copy()
        extra: list[Node] = []
        _Replay(self, state, extra, cell, execution_count, cwd, base=len(self.nodes)).run(
            list(stmts), runtime
        )
        return extra, state

    def is_immutable(self, type_name: str) -> bool:
        known = self._immutable.get(type_name)
        if known is None:
            known = self._immutable[type_name] = self.specs.is_immutable(type_name)
        return known

    def to_networkx(self, extra: Iterable[Node] = ()) -> nx.DiGraph:
        """Edges point from a statement to the statements it depends on."""
        g = nx.DiGraph()
        for node in [*self.nodes, *extra]:
            g.add_node(node.id, node=node)
            g.add_edges_from((node.id, d) for d in node.deps)
        return g


class _Replay:
    """Applies statements to a state; one instance per cell replay."""

    def __init__(
        self,
        graph: SessionGraph,
        state: _State,
        out: list[Node],
        cell: int,
        execution_count: int | None,
        cwd: str,
        base: int | None = None,
    ) -> None:
        self.g = graph
        self.st = state
        self.out = out
        self.cell = cell
        self.count = execution_count
        self.cwd = cwd
        self.base = 0 if base is None else base
        self._links: dict[str, tuple[str, object]] = {}
        self._call_results: dict[int, tuple[str, object]] = {}
        self._elements: frozenset[str] = frozenset()

    # -- locations ------------------------------------------------------------------------------------
    def find(self, loc: int) -> int:
        parent = self.st.parent
        while parent.get(loc, loc) != loc:
            grand = parent.get(parent[loc], parent[loc])
            parent[loc] = grand
            loc = grand
        return loc

    def new_loc(self, writer: NodeId) -> int:
        loc = self.st.next_loc
        self.st.next_loc += 1
        self.st.writers[loc] = (writer,)
        return loc

    def merge(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        st = self.st
        st.parent[rb] = ra
        st.writers[ra] = _union(st.writers.get(ra, ()), st.writers.pop(rb, ()))
        if ra not in st.loc_type and rb in st.loc_type:
            st.loc_type[ra] = st.loc_type[rb]
        if ra not in st.loc_func and rb in st.loc_func:
            st.loc_func[ra] = st.loc_func[rb]
        if rb in st.elements_of:
            st.elements_of[ra] = st.elements_of.get(ra, ()) + st.elements_of.pop(rb)
        return ra

    def element_sources(self, loc: int) -> list[int]:
        """The locations whose elements a (shallow copy) location shares, transitively; its
        elements live there. Empty for an object that is not a copy."""
        out: list[int] = []
        stack = list(self.st.elements_of.get(self.find(loc), ()))
        while stack:
            src = self.find(stack.pop())
            if src not in out and src != self.find(loc):
                out.append(src)
                stack.extend(self.st.elements_of.get(src, ()))
        return out

    def loc(self, name: str) -> int | None:
        loc = self.st.loc_of.get(name)
        return None if loc is None else self.find(loc)

    def type_of(self, name: str) -> str | None:
        loc = self.loc(name)
        return None if loc is None else self.st.loc_type.get(loc)

    def func_of(self, name: str) -> Summary | None:
        loc = self.loc(name)
        return None if loc is None else self.st.loc_func.get(loc)

    def immutable(self, name: str | None) -> bool:
        if name is None:
            return True
        t = self.type_of(name)
        return t is not None and self.g.is_immutable(t)

    # -- replay ---------------------------------------------------------------------------------------
    def run(self, stmts: list[Stmt], runtime: dict[str, RuntimeName]) -> None:
        # run-time facts describe the end of the cell: they belong to each name's last binder
        last_binder: dict[str, int] = {}
        for i, stmt in enumerate(stmts):
            for name in stmt.facts.binds | stmt.facts.may_binds:
                if name in runtime:
                    last_binder[name] = i
        finals: dict[int, dict[str, RuntimeName]] = {}
        for name, i in last_binder.items():
            finals.setdefault(i, {})[name] = runtime[name]
        for i, stmt in enumerate(stmts):
            self.statement(stmt, finals.get(i, {}))

    def statement(self, stmt: Stmt, runtime: dict[str, RuntimeName]) -> None:
        f = stmt.facts
        nid = NodeId(self.base + len(self.out))
        eff = _Effects()
        excluded = stmt.magic or f.mentions_lineage
        call_results: dict[int, tuple[str, object]] = {}
        # names bound inside this statement (loop variables...) stand for what they link to
        self._links, self._call_results = f.links, call_results
        self._elements = f.elements
        if not excluded:
            if f.is_import:
                eff.pseudo_reads.add("state:sys.path")
            applied_names: set[str] = set()
            for i, call in enumerate(f.calls):
                call_results[i] = self.call(call, eff, lambda n: n, applied_names)
            for summary in f.inline_funcs:
                self.apply_summary(summary, eff, {}, self_root=None)
            for name in f.reads:
                self.read(name, eff, apply_func=name not in applied_names)
            for name in f.stores:
                self.mutate(name, eff)
            for name in f.deep_stores:
                self.mutate(name, eff, element=True)
            for name in f.augs:
                if not self.immutable(name) and name in self.st.loc_of:
                    self.mutate(name, eff)
        else:
            for name in f.reads:
                self.read(name, eff, apply_func=False)
        st = self.st
        for p in eff.pseudo_reads:
            eff.deps.update(self.pseudo_writers(p))
        for loc in eff.mutated:
            eff.deps.update(st.writers.get(self.find(loc), ()))
        # -- the statement has run: update the state ------------------------------------------------
        for loc in eff.mutated:
            st.writers[self.find(loc)] = (nid,)
        for p in eff.pseudo_writes:
            if p == WILDCARD_FILE:
                st.writers[p] = _union(st.writers.get(p, ()), (nid,))
            else:
                st.writers[p] = (nid,)
                if p.startswith("file:"):
                    st.file_locs.add(p)
        for container, value in f.inserts:
            self.insert(container, value)
        for name in f.dels:
            st.binders.pop(name, None)
            st.loc_of.pop(name, None)
            st.consts.pop(name, None)
            st.modules.pop(name, None)
        self.bind_all(f, nid, call_results, runtime, eff)
        self.out.append(
            Node(
                id=nid, cell=self.cell, execution_count=self.count, text=stmt.text,
                deps=tuple(sorted(eff.deps)), binds=f.binds | f.may_binds,
                reads=f.reads, is_import=f.is_import and not excluded, excluded=excluded,
            )
        )  # fmt: skip

    # -- reads, mutations, pseudo-locations ------------------------------------------------------------
    def read(self, name: str, eff: _Effects, apply_func: bool = True) -> None:
        st = self.st
        if name in self._elements:
            # a loop variable inside its loop: an element of the iterable, read through it
            for source, _ in self.link_sources(name):
                if source != name:
                    self.read(source, eff, apply_func)
            return
        eff.deps.update(st.binders.get(name, ()))
        loc = self.loc(name)
        if loc is None:
            return
        eff.deps.update(st.writers.get(loc, ()))
        if st.elements_of:
            for src in self.element_sources(loc):  # a copy's elements changed through the original
                eff.deps.update(st.writers.get(src, ()))
        if apply_func:
            summary = st.loc_func.get(loc)
            if summary is not None:
                # a notebook function passed along may be called by whoever receives it
                self.apply_summary(summary, eff, {}, self_root=None)

    def mutate(
        self,
        name: str | None,
        eff: _Effects,
        element: bool = False,
        _seen: frozenset[str] = frozenset(),
    ) -> None:
        """``name``'s object may change; ``element``: through one of its elements or parts
        (``x[0].append(1)``), which for a shallow copy is an object the original holds too."""
        if name is None:
            return
        inside = name in self._elements
        for source, kind in self.link_sources(name):
            if source in _seen or (kind == "copy" and not (element or inside)):
                continue  # a copy's own container changing leaves the original alone
            self.mutate(source, eff, element or inside or kind != "same", _seen | {name})
        if inside:
            return  # a loop variable inside its loop holds an element, not its earlier value
        loc = self.loc(name)
        if loc is None or self.immutable(name):
            return
        self.read(name, eff, apply_func=False)
        sources = self.element_sources(loc) if element and self.st.elements_of else ()
        eff.mutated.update(sources or (loc,))

    def link_sources(self, name: str) -> list[tuple[str, str]]:
        """For a name bound inside the running statement, the names whose objects it may be
        (part of), with the kind of link: changing it changes them
        (``for row in rows: row.append(0)``)."""
        link = self._links.get(name)
        if link is None:
            return []
        kind, value = link
        if kind == "call":
            kind, value = self._call_results.get(int(value), ("new", ""))  # type: ignore[call-overload]
        if kind in ("same", "part", "item") and isinstance(value, str):
            return [(value, kind)]
        if kind in ("parts", "copy"):
            return [(v, kind) for v in value]  # type: ignore[attr-defined]
        return []

    def insert(self, container: str, value: str) -> None:
        """``container`` now holds ``value``'s object: they share history from here on."""
        if self.immutable(value) or self.immutable(container):
            return
        a, b = self.loc(container), self.loc(value)
        if a is not None and b is not None:
            self.merge(a, b)

    def pseudo_writers(self, p: str) -> Deps:
        st = self.st
        if p == WILDCARD_FILE:
            out: tuple[NodeId, ...] = st.writers.get(WILDCARD_FILE, ())
            for f in st.file_locs:
                out = _union(out, st.writers.get(f, ()))
            return out
        if p.startswith("file:"):
            return _union(st.writers.get(p, ()), st.writers.get(WILDCARD_FILE, ()))
        return st.writers.get(p, ())

    # -- calls ------------------------------------------------------------------------------------------
    def call(
        self,
        call: CallSite,
        eff: _Effects,
        rootmap,
        applied_names: set[str],
    ) -> tuple[str, object]:
        """Apply a call's effects; return how its result relates to existing objects."""
        func = call.func
        if not func:
            self.unknown_call(call, eff, rootmap)
            return ("new", "")
        head = rootmap(func[0])
        qual = self.qualify(func, head)
        if qual is not None:
            effect = self.g.specs.function(qual)
            if effect is None and qual.startswith(_STATE_HOLDERS):
                # sys.path.append(...), os.environ.update(...): process-wide state
                eff.pseudo_writes.add("state:" + ".".join(qual.split(".")[:2]))
            if effect is None or effect.unknown:
                if len(func) == 1 and head is not None and self.func_of(head) is not None:
                    pass  # a notebook function imported under a module name: fall through
                else:
                    self.unknown_call(call, eff, rootmap, module=qual.split(".")[0])
                    return ("new", "")
            else:
                self.apply_effect(effect, call, eff, rootmap, receiver=None)
                return self.result_link(effect, call, rootmap, receiver=None)
        if len(func) == 1:
            if head is None:
                self.unknown_call(call, eff, rootmap)
                return ("new", "")
            summary = self.func_of(head)
            if summary is None:
                self.unknown_call(call, eff, rootmap)
                # calling a callable object may change it
                self.mutate(head, eff)
                return ("new", "")
            applied_names.add(func[0])
            self.read(head, eff, apply_func=False)
            if summary.is_class:
                init = _method(summary, "__init__")
                if init is not None:
                    self.apply_summary(init, eff, self.arg_map(init, call, rootmap, 1), None)
                return ("instance", summary)
            params = self.arg_map(summary, call, rootmap, 0)
            self.apply_summary(summary, eff, params, None, callee=head)
            return ("new", "")
        # a method call on a value: receiver root ``head``, method ``func[-1]``
        method = func[-1]
        if head is None:
            # a method of a function's local object: it changes that object, not its arguments
            for root in [*call.args, *(r for _, r in call.kwargs)]:
                name = rootmap(root) if root is not None else None
                if name is not None:
                    self.read(name, eff)
            return ("new", "")
        receiver_type = None if (call.receiver_chain or len(func) > 2) else self.type_of(head)
        cls = self._notebook_class(head) if receiver_type is not None else None
        if cls is not None:
            summary = _method(cls, method)
            if summary is not None:
                self.read(head, eff, apply_func=False)
                self.apply_summary(summary, eff, self.arg_map(summary, call, rootmap, 1), head)
                return ("part", head)
            self.mutate(head, eff)
            self.unknown_call(call, eff, rootmap)
            return ("part", head)
        effect = self.g.specs.method(receiver_type, method) if receiver_type else None
        if effect is None and receiver_type and self.g.is_immutable(receiver_type):
            effect = Effect()  # nothing reachable from an immutable value can change
        if effect is None and receiver_type is None and method in _PURE_METHOD_NAMES:
            effect = Effect(returns="part")
        if effect is None or effect.unknown:
            # on a part of the receiver (a.b.m(), a[0].m()) it changes one of its elements
            self.mutate(head, eff, element=call.receiver_chain or len(func) > 2)
            self.unknown_call(call, eff, rootmap)
            self.hold_args(head, call, rootmap)  # it may keep references to its arguments
            return ("part", head)
        self.read(head, eff, apply_func=False)
        self.apply_effect(effect, call, eff, rootmap, receiver=head)
        if "self" in effect.mutates and (receiver_type or "").startswith(_CONTAINER_MODULES):
            self.hold_args(head, call, rootmap)  # lst.append(x), d.setdefault(k, v), s.add(x)
        return self.result_link(effect, call, rootmap, receiver=head)

    def hold_args(self, receiver: str, call: CallSite, rootmap) -> None:
        for root in (*call.args, *(r for _, r in call.kwargs)):
            name = rootmap(root) if root is not None else None
            if name is not None and name != receiver:
                self.insert(receiver, name)

    def qualify(self, func: tuple[str, ...], head: str | None) -> str | None:
        """``np.random.seed`` -> "numpy.random.seed" when ``np`` is an imported module;
        an unbound single name -> "builtins.<name>"."""
        if head is None:
            return None
        st = self.st
        path = st.modules.get(head)
        if path is not None and head in st.binders:
            return ".".join((path, *func[1:]))
        if len(func) == 1 and head not in st.binders:
            return "builtins." + head
        return None

    def unknown_call(
        self, call: CallSite, eff: _Effects, rootmap, module: str | None = None
    ) -> None:
        """A call no spec covers: its mutable arguments may change; a library without specs may
        keep state between calls."""
        self.unknown_args(call, eff, rootmap)
        if module is not None and module not in ("builtins",) and not self.g.specs.knows(module):
            eff.pseudo_reads.add(f"state:{module}")
            eff.pseudo_writes.add(f"state:{module}")

    def unknown_args(
        self, call: CallSite, eff: _Effects, rootmap, only_specs: bool = False
    ) -> None:
        roots = [*call.args, *(r for _, r in call.kwargs)]
        for root in roots:
            name = rootmap(root) if root is not None else None
            if name is None:
                continue
            if only_specs:
                self.read(name, eff)
            else:
                self.mutate(name, eff)

    def arg_map(
        self, summary: Summary, call: CallSite, rootmap, skip: int
    ) -> dict[str, str | None]:
        """Map a notebook function's parameters to the caller's argument roots."""
        params = summary.params[skip:]
        mapping: dict[str, str | None] = {}
        if call.starred:
            for p in (*params, *summary.kwonly):
                mapping[p] = None
            roots = [*call.args, *(r for _, r in call.kwargs)]
            for root in roots:
                name = rootmap(root) if root is not None else None
                if name is not None:
                    mapping[f"*{name}"] = name  # may be any parameter
            return mapping
        for p, root in zip(params, call.args, strict=False):
            mapping[p] = rootmap(root) if root is not None else None
        for kw, root in call.kwargs:
            mapping[kw] = rootmap(root) if root is not None else None
        return mapping

    def apply_summary(
        self,
        summary: Summary,
        eff: _Effects,
        params: dict[str, str | None],
        self_root: str | None,
        callee: str | None = None,
    ) -> None:
        """What calling a notebook function does, seen from the caller. ``callee`` is the name
        the function was called through (a closure's state lives in that function object)."""
        key = id(summary)
        if key in eff.applied:  # recursion
            return
        eff.applied.add(key)
        try:
            self._apply_summary(summary, eff, params, self_root, callee)
        finally:
            eff.applied.discard(key)

    def _apply_summary(
        self,
        summary: Summary,
        eff: _Effects,
        params: dict[str, str | None],
        self_root: str | None,
        callee: str | None,
    ) -> None:
        if summary.is_class:
            for m in summary.methods:
                self.apply_summary(m, eff, {}, None)
            return
        if self_root is not None and summary.params:
            params = {**params, summary.params[0]: self_root}
        local = summary.locals
        links = summary.links

        closure = summary.closure

        def rootmap(name: str | None, _depth: int = 0) -> str | None:
            if name is None:
                return None
            if name in closure:
                return callee  # a variable of the enclosing call, kept by the closure
            if name in params:
                return params[name]
            if name in local:
                # a local that holds (part of) a parameter or a global stands for it
                kind, value = links.get(name, ("new", ""))
                if kind == "call" and isinstance(value, int) and value < len(summary.calls):
                    call = summary.calls[value]
                    if len(call.func) >= 2 and call.func[-1] not in _PURE_METHOD_NAMES:
                        kind, value = "part", call.func[0]
                if kind in ("same", "part", "item") and isinstance(value, str) and _depth < 8:
                    return rootmap(value, _depth + 1)
                return None
            return name

        if callee is not None and summary.nonlocal_writes:
            self.mutate(callee, eff)  # calling the closure changes the state it keeps
        applied: set[str] = set()
        for call in summary.calls:
            self.call(call, eff, rootmap, applied)
        called = {c.func[0] for c in summary.calls if len(c.func) == 1}
        for nested in summary.nested:
            # nested functions and lambdas may run during this call (closures returned to the
            # caller read their globals later, when they are called)
            for call in nested.calls:
                self.call(call, eff, rootmap, applied)
            if nested.name == "<lambda>" or nested.name in called:
                for name in nested.reads - local:
                    self.read(name, eff)
        for name in summary.reads:
            self.read(name, eff, apply_func=name not in applied)
        for name in summary.global_binds:
            eff.binds_may.add(name)
            self.read(name, eff, apply_func=False)
        for root in summary.stores:
            self.mutate(rootmap(root), eff)
        for root in summary.deep_stores:
            self.mutate(rootmap(root), eff, element=True)
        for container, held in summary.inserts:
            c, v = rootmap(container), rootmap(held)
            if c is not None and v is not None:
                self.insert(c, v)
        for name, arg in params.items():
            if name.startswith("*") and arg is not None:
                self.mutate(arg, eff)

    def apply_effect(
        self, effect: Effect, call: CallSite, eff: _Effects, rootmap, receiver: str | None
    ) -> None:
        for target in effect.mutates:
            if target == "self":
                if effect.mutates_when is not None:
                    kw, value = effect.mutates_when
                    if (kw, value) not in call.consts and dict(call.consts).get(kw) != value:
                        continue
                self.mutate(receiver, eff)
            else:
                self.mutate(self._arg_root(call, target, rootmap), eff)
        for root in [*call.args, *(r for _, r in call.kwargs)]:
            name = rootmap(root) if root is not None else None
            if name is not None:
                self.read(name, eff)
        eff.pseudo_reads.update(effect.reads)
        for w in effect.writes:
            eff.pseudo_writes.add(w)
        for fe in effect.files:
            self.file_effect(fe, call, eff, rootmap, receiver)

    def _arg_root(self, call: CallSite, target: int | str, rootmap) -> str | None:
        if isinstance(target, int):
            if call.starred:
                return None
            root = call.args[target] if target < len(call.args) else None
        else:
            root = dict(call.kwargs).get(target)
        return rootmap(root) if root is not None else None

    def file_effect(
        self, fe: FileEffect, call: CallSite, eff: _Effects, rootmap, receiver: str | None
    ) -> None:
        if fe.path == "self":
            path = self.fold(("name", receiver)) if receiver else None
        else:
            pexpr: PathExpr | None = None
            if isinstance(fe.path, int) and fe.path < len(call.paths):
                pexpr = call.paths[fe.path]
            if pexpr is None and fe.path_kw is not None:
                pexpr = dict(call.kwpaths).get(fe.path_kw)
            if pexpr is not None and pexpr[0] == "name" and rootmap(pexpr[1]) is None:
                pexpr = None
            path = self.fold(pexpr) if pexpr is not None else None
        loc = f"file:{path}" if path is not None else WILDCARD_FILE
        op = fe.op
        if op == "mode":
            mode = fe.default_mode
            if isinstance(fe.mode, int) and fe.mode < len(call.paths):
                m = call.paths[fe.mode]
                mode = m[1] if m is not None and m[0] == "lit" else mode
            if fe.mode_kw is not None:
                m = dict(call.kwpaths).get(fe.mode_kw)
                if m is not None and m[0] == "lit":
                    mode = m[1]
            reads, writes, truncates = mode_op(mode)
            if reads or not truncates:
                eff.pseudo_reads.add(loc)
            if writes:
                eff.pseudo_writes.add(loc)
        elif op == "read":
            eff.pseudo_reads.add(loc)
        elif op == "append":
            eff.pseudo_reads.add(loc)
            eff.pseudo_writes.add(loc)
        else:  # write, delete
            eff.pseudo_writes.add(loc)

    def fold_text(self, pexpr: PathExpr) -> str | None:
        """A path expression as text, if every part is known."""
        kind = pexpr[0]
        if kind == "lit":
            return pexpr[1]
        if kind == "name":
            return self.st.consts.get(pexpr[1])
        parts = [self.fold_text(p) for p in pexpr[1:]]
        if any(p is None for p in parts):
            return None
        return posixpath.join(*parts) if kind == "join" else "".join(parts)  # type: ignore[arg-type]

    def fold(self, pexpr: PathExpr) -> str | None:
        """A path expression as an absolute, normalised path, if every part is known."""
        text = self.fold_text(pexpr)
        if text is None:
            return None
        return os.path.normpath(os.path.join(self.cwd, os.path.expanduser(text)))

    def result_link(
        self, effect: Effect, call: CallSite, rootmap, receiver: str | None
    ) -> tuple[str, object]:
        ret = effect.returns
        if ret == "self" and receiver is not None:
            return ("same", receiver)
        if ret == "part" and receiver is not None:
            return ("part", receiver)
        if ret == "copy" and receiver is not None:
            return ("copy", (receiver,))
        if ret.startswith("copy:"):
            which = ret[5:]
            if which == "*":
                roots = [rootmap(r) for r in (*call.args, *(r for _, r in call.kwargs)) if r]
                return ("copy", tuple(r for r in roots if r is not None))
            root = self._arg_root(call, int(which) if which.isdigit() else which, rootmap)
            return ("copy", (root,)) if root is not None else ("new", "")
        if ret.startswith("arg:"):
            which = ret[4:]
            if which == "*":
                roots = [rootmap(r) for r in (*call.args, *(r for _, r in call.kwargs)) if r]
                return ("parts", tuple(r for r in roots if r is not None))
            root = self._arg_root(call, int(which) if which.isdigit() else which, rootmap)
            if root is not None:
                return ("part", root)
        return ("new", "")

    def item_link(self, root: str) -> str:
        """``x = root[...]``: a part of root, unless root's type copies on indexing (specs)."""
        t = self.type_of(root)
        effect = self.g.specs.method(t, "__getitem__") if t else None
        return "new" if effect is not None and effect.returns == "new" else "part"

    def _notebook_class(self, name: str) -> Summary | None:
        t = self.type_of(name)
        if t is None or not t.startswith("__main__."):
            return None
        cls = self.func_of(t.split(".", 1)[1])
        if cls is not None and cls.is_class:
            return cls
        loc = self.loc(name)
        return self.st.loc_func.get(loc) if loc is not None else None

    # -- bindings -----------------------------------------------------------------------------------------
    def bind_all(
        self,
        f,
        nid: NodeId,
        call_results: dict[int, tuple[str, object]],
        runtime: dict[str, RuntimeName],
        eff: _Effects,
    ) -> None:
        st = self.st
        links, defs, imports, literal, consts = (
            f.links, f.defs, f.imports, f.literal_types, f.consts
        )  # fmt: skip
        names = f.binds | f.may_binds | eff.binds_may
        # where each link's source points before any target is rebound (``a, b = b, a``)
        sources = {
            v: self.loc(v)
            for k, v in links.values()
            if k in ("same", "part", "item") and isinstance(v, str)
        }
        for k, v in links.values():
            if k == "parts":
                sources.update((r, self.loc(r)) for r in v if r not in sources)
        siblings = [n for n in names if links.get(n, ("",))[0] == "sibling"]
        for name in names:
            if name in siblings:
                continue
            may = name not in f.binds
            kind, value = links.get(name, ("new", ""))
            if kind == "call":
                kind, value = call_results.get(int(value), ("new", ""))
            elif kind == "item":
                kind = self.item_link(str(value))
                if isinstance(value, str) and value not in sources:
                    sources[value] = self.loc(value)
            old = self.loc(name)
            if name in f.augs and old is not None and not self.immutable(name):
                loc = old  # in-place update: same object
            elif kind == "same" and isinstance(value, str) and sources.get(value) is not None:
                loc = self.find(sources[value])  # type: ignore[arg-type]
            else:
                loc = self.new_loc(nid)
                if kind in ("part", "parts"):
                    rt = runtime.get(name)
                    if rt is None or not self.g.is_immutable(rt.type_name):
                        for part_of in value if kind == "parts" else (value,):
                            src = sources.get(part_of, self.loc(part_of))
                            if src is not None and not self.immutable(part_of):
                                # sharing parts with src is not writing src: this statement
                                # stays the name's binder only; a part of a copy is a part
                                # of what was copied
                                st.writers[loc] = ()
                                for target in self.element_sources(src) or [src]:
                                    loc = self.merge(target, loc)
                elif kind == "copy":
                    originals = tuple(
                        src
                        for part_of in value
                        if not self.immutable(part_of)
                        and (src := sources.get(part_of, self.loc(part_of))) is not None
                    )
                    if originals:
                        st.elements_of[loc] = originals
                elif kind == "instance":
                    assert isinstance(value, Summary)
                    st.loc_type[loc] = "__main__." + value.name
                    st.loc_func[loc] = value
            rt = runtime.get(name)
            if rt is not None:
                loc = self.observe(name, loc, rt)
            elif name in literal:
                st.loc_type[loc] = literal[name]
            if name in defs:
                st.loc_func[self.find(loc)] = defs[name]
            if may and old is not None:
                loc = self.merge(old, loc)
                st.binders[name] = _union(st.binders.get(name, ()), (nid,))
            else:
                st.binders[name] = (nid,)
            st.loc_of[name] = loc
            if name in imports:
                st.modules[name] = imports[name]
            elif not may:
                st.modules.pop(name, None)
            if name in consts and not may:
                folded = self.fold_text(consts[name])
                if folded is not None:
                    st.consts[name] = folded
                else:
                    st.consts.pop(name, None)
            elif kind == "same" and isinstance(value, str) and value in st.consts and not may:
                st.consts[name] = st.consts[value]
            else:
                st.consts.pop(name, None)
        for name in siblings:  # x = y = value: y holds the object x was just bound to
            first = str(links[name][1])
            st.binders[name] = (nid,)
            st.loc_of[name] = st.loc_of.get(first, self.new_loc(nid))
            st.consts.pop(name, None)
            if first in st.consts:
                st.consts[name] = st.consts[first]

    def observe(self, name: str, loc: int, rt: RuntimeName) -> int:
        """Use the run-time identity: a name holding an object another name holds is an alias."""
        st = self.st
        if self.g.is_immutable(rt.type_name):
            # interned/cached immutable objects share identities without sharing history
            st.loc_type[self.find(loc)] = rt.type_name
            return self.find(loc)
        key = (rt.obj_id, rt.type_name)
        other = st.id_map.get(key)
        if other is not None and other != name and st.rid.get(other) == key:
            other_loc = self.loc(other)
            if other_loc is not None and other_loc != self.find(loc):
                loc = self.merge(other_loc, loc)
        st.rid[name] = key
        st.id_map[key] = name
        root = self.find(loc)
        st.loc_type[root] = rt.type_name
        if rt.func is not None:
            summary = self.g._resolve_func(rt.func)
            if summary is not None:
                st.loc_func[root] = summary
        return root


def _method(cls: Summary, name: str) -> Summary | None:
    for m in cls.methods:
        if m.name == name:
            return m
    return None


def _union(a: Deps, b: Deps) -> Deps:
    if not a:
        return b
    if not b:
        return a
    return tuple(sorted(set(a) | set(b)))
