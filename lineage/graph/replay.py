"""Replaying statements: each becomes a node whose edges point to what it depends on."""

from __future__ import annotations

import ast
import json
import re
from typing import TYPE_CHECKING, Any

from lineage.analysis.cells import Stmt, code_magic
from lineage.analysis.own_calls import (
    HANDLE,
    artifact_handle,
    is_lineage_path,
    without_lineage,
)
from lineage.analysis.records import (
    NO_NAMES,
    CallSite,
    Facts,
    Link,
    LinkKind,
    Summary,
    sorted_names,
)
from lineage.graph.effects import Effects
from lineage.graph.library import given_keywords
from lineage.graph.node_facts import (
    ARGV,
    changed_names,
    deferred_reads,
    reads_argv,
    statement_kind,
)
from lineage.graph.objects import ObjectModel
from lineage.graph.records import (
    CWD,
    PLAIN,
    PLAIN_CONTAINERS,
    STAR_IMPORTS,
    WILDCARD_FILE,
    CellEndReset,
    Node,
    NodeId,
    RuntimeName,
    State,
    StatementEffects,
    Traits,
    alone,
    in_order,
    union,
)

if TYPE_CHECKING:
    from lineage.graph import SessionGraph

_LINEAGE_STAR = re.compile(r"from\s+lineage(?:\.api)?\s+import\s+\*")
_RESOLVED_KINDS = frozenset(("call", "callpart", "item", "concat"))  # see resolve_link
# what a statement reading the command line has in its text (the analysis then decides)
_MAY_READ_ARGV = re.compile(r"argv|parse_|getopt")
_NEW: Link = ("new", "")
_CHANGES_DIR = re.compile(r"run_line_magic\(\s*['\"](?:cd|pushd|popd)['\"]")


def _plain_call(text: str) -> bool:
    """The statement is one call, run unconditionally (``os.chdir('data')``)."""
    try:
        body = ast.parse(text).body
    except SyntaxError:
        return False
    return len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call)


class Replay:
    """Sequences the statements of one cell: for each, the effects interpreter says what it
    reads and changes, and the replay makes it a node and updates the state (binders, last
    writers, locations through the object model). One instance per cell."""

    def __init__(
        self,
        graph: SessionGraph,
        state: State,
        out: list[Node],
        cell: int,
        execution_count: int | None,
        cwd: str | None,
        base: int | None = None,
        cell_text: str = "",
    ) -> None:
        self.g = graph
        # the cell's text, which the session keeps: the nodes' texts are parts of it when found
        # there (from ``at`` on: the statements come in order), not copies
        self.cell_text = cell_text
        self.at = 0
        self.st = state
        self.out = out
        self.cell = cell
        self.count = execution_count
        self.base = 0 if base is None else base
        self.objects = ObjectModel(state, graph.is_immutable)
        self.effects = Effects(graph, self.objects, cwd)

    def read(self, name: str, eff: StatementEffects) -> None:
        """A read of ``name`` at the current end of the history (no statement is replayed)."""
        self.effects.read(name, eff)

    def run(self, stmts: list[Stmt], runtime: dict[str, RuntimeName]) -> None:
        # run-time facts describe the end of the cell: they belong to each name's last binder
        last_binder: dict[str, int] = {}
        for i, stmt in enumerate(stmts):
            for names in (stmt.facts.binds, stmt.facts.may_binds):
                for name in names:
                    if name in runtime:
                        last_binder[name] = i
        finals: dict[int, dict[str, RuntimeName]] = {}
        for name, i in last_binder.items():
            finals.setdefault(i, {})[name] = runtime[name]
        for reset in self.g.cell_end_resets:
            self.cell_end_reset(reset)
        for i, stmt in enumerate(stmts):
            self.statement(stmt, finals.get(i, {}))

    def statement(self, stmt: Stmt, runtime: dict[str, RuntimeName]) -> None:
        f = stmt.facts
        nid = NodeId(self.base + len(self.out))
        eff = StatementEffects()
        lineage = () if stmt.magic else self.lineage_mentioned(stmt)
        excluded = stmt.magic or (
            bool(lineage) and without_lineage(stmt.text, dict(lineage)) is None
        )
        # %timeit/%prun code: what it may change counts (the node never enters a slice)
        opaque = stmt.magic and not f.mentions_lineage and code_magic(stmt.text) is not None
        call_results: dict[int, Link] = {}
        effects = self.effects
        effects.begin(f, call_results, nid)
        if not excluded or opaque:
            self.effects.gather(f, eff)
        else:
            for name in f.reads:
                self.effects.read(name, eff, apply_func=False)
        if stmt.magic and _CHANGES_DIR.search(stmt.text):
            eff.pseudo_writes.add(CWD)  # %cd: what reads relative paths after it needs it
        for p in eff.pseudo_reads:
            eff.deps.update(self.objects.pseudo_writers(p))
        for loc in eff.mutated:
            eff.deps.update(self.objects.whole_writers(self.objects.find(loc)))
        # names bound to what it changed, before its own bindings move them
        changes = (
            changed_names(self.objects, f, eff)
            if eff.mutated or eff.slot_writes
            else (NO_NAMES, False)
        )
        self.record_changes(f, eff, nid, may_write=bool(stmt.raised))
        self.bind_all(f, nid, call_results, runtime, eff)
        if lineage and f.binds:
            self.bind_handle(stmt.text, dict(lineage))
        if lineage and f.star_import and _LINEAGE_STAR.search(stmt.text):
            import lineage as own  # ``from lineage import *`` binds its public names

            self.st.lineage_names.update((n, f"lineage.{n}") for n in own.__all__)
        self.effects.notebook.bind_lazy(f)
        changed_dir = CWD in eff.pseudo_writes or (stmt.magic and _CHANGES_DIR.search(stmt.text))
        if changed_dir and not (effects.moved and _plain_call(stmt.text)):
            # a change the analysis cannot place (in a loop or branch, undone by a with block,
            # by a file descriptor, %cd): relative paths after it in this cell are unknown, so
            # they stand for any file (the next cell starts from the folder its record has)
            effects.cwd = None
        binds = f.binds | f.may_binds | eff.binds_may if f.may_binds or eff.binds_may else f.binds
        source, span = self.text_of(stmt.text)
        binds_names, sure, traits = self.node_facts(f, eff, changes, stmt.text, binds)
        traits = traits._replace(
            is_import=f.is_import and not excluded, excluded=excluded, lineage=lineage
        )
        self.out.append(
            Node(
                id=nid, record=self.cell, execution_count=self.count, source=source, span=span,
                deps=tuple(sorted(eff.deps - {nid})), reads=sorted_names(f.reads),
                binds=binds_names, sure=sure, traits=self.shared_traits(traits),
            )
        )  # fmt: skip

    def text_of(self, text: str) -> tuple[str, int]:
        """A node's ``source`` and ``span`` for a statement whose text is ``text``: a part of
        the cell's text when it is there (a match is the same text wherever it is), else its
        own text."""
        cell = self.cell_text
        start = cell.find(text, self.at) if cell and text else -1
        if start < 0:
            return text, -1
        self.at = end = start + len(text)
        return cell, start << 32 | end

    def record_changes(self, f: Facts, eff: StatementEffects, nid: NodeId, may_write: bool) -> None:
        """Statement ``nid`` has run: it is the last writer of what it changed, and the objects,
        files and states it changed are updated. ``may_write``: it raised, so what it changes
        may not have changed yet (the earlier writers stay)."""
        st = self.st
        for loc in eff.mutated:
            root = self.objects.find(loc)
            st.writers[root] = (
                union(st.writers.get(root, ()), alone(nid)) if may_write else alone(nid)
            )
            if st.slots and not may_write:
                st.slots.pop(root, None)  # a whole change ends the elements' own
        for loc in eff.deep:
            root = self.objects.find(loc)
            deep = st.deep_writers.get(root, ()) if may_write else ()
            st.deep_writers[root] = union(deep, alone(nid))
        if eff.slot_writes and may_write:  # it raised: the elements' earlier writers stay
            for loc, _ in eff.slot_writes:
                root = self.objects.find(loc)
                st.writers[root] = union(st.writers.get(root, ()), alone(nid))
            self.objects.touch_containers(eff.mutated | {loc for loc, _ in eff.slot_writes}, nid)
        elif eff.slot_writes:
            self.objects.set_slots(eff.slot_writes, nid)
            self.objects.touch_containers(eff.mutated | {loc for loc, _ in eff.slot_writes}, nid)
        else:
            self.objects.touch_containers(eff.mutated, nid)
        for p in eff.pseudo_writes:
            if p == WILDCARD_FILE or may_write:
                st.writers[p] = union(st.writers.get(p, ()), alone(nid))
            else:
                st.writers[p] = alone(nid)
            if p != WILDCARD_FILE and p.startswith("file:"):
                st.file_locs.add(p)
        if f.star_import:
            st.writers[STAR_IMPORTS] = union(st.writers.get(STAR_IMPORTS, ()), alone(nid))
        for container, value in f.inserts:
            self.objects.insert(container, value)
        for name in f.dels:
            st.binders.pop(name, None)
            st.loc_of.pop(name, None)
            st.consts.pop(name, None)
            st.modules.pop(name, None)
            st.rid.pop(name, None)

    def node_facts(
        self,
        f: Facts,
        eff: StatementEffects,
        changes: tuple[frozenset[str], bool],
        text: str,
        binds: frozenset[str],
    ) -> tuple[tuple[str, ...], tuple[str, ...], Traits]:
        """The statement's facts by name, for exporters (:mod:`lineage.graph.node_facts`): the
        names it may bind (``binds``), those it surely binds (the same tuple when it is all of
        them), and the rest as traits."""
        deferred, global_writes = deferred_reads(f)
        mutates, unnamed = changes
        state_reads = eff.pseudo_reads
        if _MAY_READ_ARGV.search(text) and reads_argv(self.objects, f, deferred, text):
            state_reads = state_reads | {ARGV}  # kept for the exporters, not a dependency
        sure = f.binds | eff.binds_sure if eff.binds_sure else f.binds
        binds_names = sorted_names(binds)
        share = self.share
        traits = Traits(
            dels=sorted_names(f.dels),
            deferred=share(sorted_names(deferred)),
            global_writes=share(sorted_names(global_writes)),
            mutates=share(sorted_names(mutates)),
            state_reads=share(sorted_names(state_reads)),
            state_writes=share(sorted_names(eff.pseudo_writes)),
            changes=unnamed,
            kind=statement_kind(f),
            modules=share(tuple(f.imports.values())) if f.is_import else (),
        )
        return binds_names, binds_names if sure == binds else sorted_names(sure), traits

    def share(self, items: tuple[str, ...]) -> tuple[str, ...]:
        """The graph's one tuple equal to ``items`` (see ``SessionGraph.shared_names``)."""
        return self.g.shared_names.setdefault(items, items) if items else items

    def shared_traits(self, traits: Traits) -> Traits:
        """The graph's one :class:`Traits` equal to ``traits`` (most nodes share the default)."""
        return PLAIN if traits == PLAIN else self.g.shared_traits.setdefault(traits, traits)

    def lineage_mentioned(self, stmt: Stmt) -> tuple[tuple[str, str], ...]:
        """The names standing for lineage objects when the statement's text names one, else ()."""
        names = self.st.lineage_names
        text = stmt.text
        if "lineage" not in text:
            for name in names:
                if name in text:
                    break
            else:
                return ()
        return (("lineage", "lineage"), *names.items())

    def cell_end_reset(self, reset: CellEndReset) -> None:
        """The cell before this one ended, and the shell reset ``reset.state`` (the inline
        backend closed pyplot's figures): a statement that does the same in a script, on which
        the next use of the state depends, so a slice never draws two cells' plots on one figure.
        Only when the state held an object."""
        st = self.st
        if not st.state_objects.get(reset.state):
            return
        nid = NodeId(self.base + len(self.out))
        alias = next(
            (n for n, m in st.modules.items() if m == reset.module and n in st.binders), None
        )
        if alias is None:
            top, _, rest = reset.module.partition(".")
            alias = f"__import__({reset.module!r}).{rest}" if rest else f"__import__({top!r})"
        text = f"{alias}.{reset.call}  # the inline backend closed the figures at cell end"
        deps = st.binders.get(alias, ())
        self.effects.library.bind_object_state(
            reset.state, self.objects.new_loc(nid), nid, used=False
        )
        st.state_objects[reset.state] = ()
        self.out.append(
            Node(
                id=nid, record=self.cell, execution_count=self.count, source=text, deps=deps,
                binds=(), reads=(alias,) if alias in st.binders else (),
                traits=self.shared_traits(Traits(state_writes=(reset.state,))),
            )
        )  # fmt: skip

    def bind_all(
        self,
        f: Facts,
        nid: NodeId,
        call_results: dict[int, Link],
        runtime: dict[str, RuntimeName],
        eff: StatementEffects,
    ) -> None:
        """Bind the names statement ``nid`` binds (surely or maybe), each to its location."""
        names = f.binds | f.may_binds | eff.binds_may if f.may_binds or eff.binds_may else f.binds
        resolved, sources, siblings = self.resolve_links(f, names, call_results, runtime)
        for name in in_order(names):
            if siblings and name in siblings:
                continue
            may = name not in f.binds and name not in eff.binds_sure
            link = resolved.get(name, _NEW)
            self.bind_name(name, f, nid, link, sources, runtime.get(name), may)
        for name in siblings:  # x = y = value: y holds the object x was just bound to
            self.bind_sibling(name, str(f.links[name][1]), nid)

    def resolve_links(
        self,
        f: Facts,
        names: frozenset[str],
        call_results: dict[int, Link],
        runtime: dict[str, RuntimeName],
    ) -> tuple[dict[str, Link], dict[str, int | None], list[str]]:
        """The targets' links resolved against the state; where each link's source points
        before any target is rebound (``a, b = b, a``); the later targets of ``x = y = v``."""
        sources: dict[str, int | None] = {}
        siblings: list[str] = []
        resolved: dict[str, Link] = {}
        for target, (k, v) in f.links.items():
            if k == "sibling":
                if target in names:
                    siblings.append(target)
                continue
            if k in _RESOLVED_KINDS:
                k, v = self.resolve_link(k, v, call_results, runtime.get(target))
            resolved[target] = (k, v)
            if k in ("same", "part") and isinstance(v, str):
                sources.setdefault(v, self.objects.loc(v))
            elif k in ("parts", "holds", "copy"):
                sources.update((r, self.objects.loc(r)) for r in v if r not in sources)
        return resolved, sources, siblings

    def bind_name(
        self,
        name: str,
        f: Facts,
        nid: NodeId,
        link: Link,
        sources: dict[str, int | None],
        rt: RuntimeName | None,
        may: bool,
    ) -> None:
        """``name`` is bound by statement ``nid`` (``may``: on some paths only) to what
        ``link`` says; ``rt``: what it held at the end of the cell, when this is its last
        binder."""
        st = self.st
        element, made_by = _static_role(name, f, rt)
        kind, value = link
        old = self.objects.loc(name)
        fresh: int | None = None  # the name's own new location, while nothing shares it
        if name in f.augs and old is not None and not self.objects.immutable(name):
            loc = old  # in-place update: same object
        elif kind == "same" and isinstance(value, str) and sources.get(value) is not None:
            loc = self.objects.find(sources[value])  # type: ignore[arg-type]
        else:
            loc = fresh = self.objects.new_loc(nid)
            loc = self.link_new(loc, link, sources, rt, element=element, may=may)
        if made_by is not None and kind == "new" and not may:
            keywords = given_keywords(made_by)
            if keywords:
                st.configured[self.objects.find(loc)] = keywords
        if rt is not None:
            loc = self.observe(name, loc, rt, fresh)
        elif not (name in f.augs and loc == old):
            st.rid.pop(name, None)  # the object observed before is no longer this name's
        if rt is None and name in f.literal_types:
            root = self.objects.find(loc)
            self.objects.set_type(root, f.literal_types[name], replace=root == fresh)
        if name in f.defs:
            st.loc_func[self.objects.find(loc)] = f.defs[name]
        if may and old is not None:
            loc = self.objects.merge(old, loc)
            st.binders[name] = union(st.binders.get(name, ()), alone(nid))
        else:
            st.binders[name] = alone(nid)
        st.loc_of[name] = loc
        if name in f.imports:
            st.modules[name] = f.imports[name]
        elif not may:
            st.modules.pop(name, None)
        self.bind_lineage(name, f.imports.get(name), rt)
        self.bind_const(name, f, link, may)

    def link_new(
        self,
        loc: int,
        link: Link,
        sources: dict[str, int | None],
        rt: RuntimeName | None,
        *,
        element: bool,
        may: bool,
    ) -> int:
        """A name's new location ``loc`` relates to existing objects as ``link`` says: a part
        of them, a display holding them, a copy sharing their elements, an immutable value, an
        instance of a notebook class. Returns the location (a part may be merged)."""
        st = self.st
        kind, value = link
        if kind in ("part", "parts"):
            if rt is None or not self.g.is_immutable(rt.type_name):
                for part_of in value if kind == "parts" else (value,):
                    src = sources.get(part_of, self.objects.loc(part_of))
                    if src is not None and not self.objects.immutable(part_of):
                        # sharing parts with src is not writing src: this statement
                        # stays the name's binder only
                        st.writers[loc] = ()
                        loc = self.objects.link_part(loc, src, element=element)
        elif kind == "holds":
            for held in value:  # a display: the new container holds these objects
                src = sources.get(held, self.objects.loc(held))
                if src is not None and not self.objects.immutable(held) and held not in st.modules:
                    self.objects.contain(loc, src)
        elif kind == "copy":
            originals = tuple(
                src
                for part_of in value
                if not self.objects.immutable(part_of)
                and (src := sources.get(part_of, self.objects.loc(part_of))) is not None
            )
            if originals:
                st.elements_of[loc] = originals
        elif kind == "immutable" and not may:
            # x1 = x0 + 1 with x0 an int: the same immutable type (for later chains)
            types = {self.objects.type_of(n) for n in value}
            if len(types) == 1:
                st.loc_type[loc] = types.pop()  # type: ignore[assignment]
        elif kind == "instance":
            assert isinstance(value, Summary)
            st.loc_type[loc] = "__main__." + value.name
            st.loc_func[loc] = value
        return loc

    def bind_const(self, name: str, f: Facts, link: Link, may: bool) -> None:
        """The path-like string ``name`` surely holds now, if it is known."""
        st = self.st
        kind, value = link
        if name in f.consts and not may:
            folded = self.objects.fold_text(f.consts[name])
            if folded is not None:
                st.consts[name] = folded
            else:
                st.consts.pop(name, None)
        elif kind == "same" and isinstance(value, str) and value in st.consts and not may:
            st.consts[name] = st.consts[value]
        else:
            st.consts.pop(name, None)

    def bind_sibling(self, name: str, first: str, nid: NodeId) -> None:
        """``first = name = value``: ``name`` holds the object ``first`` was just bound to."""
        st = self.st
        st.binders[name] = alone(nid)
        st.loc_of[name] = st.loc_of.get(first, self.objects.new_loc(nid))
        st.consts.pop(name, None)
        if first in st.consts:
            st.consts[name] = st.consts[first]

    def bind_handle(self, text: str, names: dict[str, str]) -> None:
        """``a = lineage.get("x")``: ``a.get_value()`` later reads artifact x back."""
        try:
            body = ast.parse(text).body
        except SyntaxError:
            return
        node = body[0] if len(body) == 1 else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            handle = artifact_handle(node.value, names)
            if handle is not None and isinstance(target, ast.Name):
                self.st.lineage_names[target.id] = HANDLE + json.dumps(list(handle))

    def bind_lineage(self, name: str, imported: str | None, rt: RuntimeName | None) -> None:
        """Keep track of the names bound to lineage's module or functions (``lg``, ``save``)."""
        names = self.st.lineage_names
        path = imported
        if rt is not None and path is None:
            path = self.g.lineage_ids.get(rt.obj_id)
            if path is not None and rt.type_name not in ("builtins.module", "builtins.function"):
                path = None
            if path is not None:
                self.st.modules[name] = path  # ``s = lineage.save``: a call of s is a save
        if path is not None and is_lineage_path(path) and name != "lineage":
            names[name] = path
        elif names and name in names:
            del names[name]

    def resolve_link(
        self,
        kind: LinkKind,
        value: Any,
        call_results: dict[int, Link],
        rt: RuntimeName | None,
    ) -> Link:
        """A static link with calls, indexing and concatenation resolved against the state:
        one of same / part / parts / holds / copy / instance / new."""
        if kind == "call":
            return call_results.get(int(value), ("new", ""))
        if kind == "callpart":  # a part of what a call returned: f(x)[0], sorted(g)[0]
            return self.effects.result_part(int(value))
        if kind == "item":
            return (self.effects.item_link(str(value)), value)
        if kind == "concat":
            # g + h holds the operands' elements when it is a list or tuple (else a new value:
            # numbers, strings, arrays); immutable operands make no container
            if rt is not None:
                plain = rt.type_name in ("builtins.list", "builtins.tuple")
                return ("copy", value) if plain else ("new", "")
            mutable = tuple(n for n in value if not self.objects.immutable(n))
            return ("copy", mutable) if mutable else ("immutable", value)
        return (kind, value)

    def observe(self, name: str, loc: int, rt: RuntimeName, fresh: int | None = None) -> int:
        """Use the run-time identity: a name holding an object another name holds is an alias.
        ``fresh``: the new location made for this binding (its type is the observed one)."""
        st = self.st
        if self.g.is_immutable(rt.type_name):
            # interned/cached immutable objects share identities without sharing history
            root = self.objects.find(loc)
            self.objects.set_type(root, rt.type_name, replace=root == fresh)
            return root
        key = (rt.obj_id, rt.type_name)
        other = st.id_map.get(key)
        if other is not None and other != name and st.rid.get(other) == key:
            other_loc = self.objects.loc(other)
            if other_loc is not None and other_loc != self.objects.find(loc):
                loc = self.objects.merge(other_loc, loc)
        st.rid[name] = key
        st.id_map[key] = name
        root = self.objects.find(loc)
        self.objects.set_type(root, rt.type_name, replace=root == fresh)
        if rt.func is not None:
            summary = self.g._resolve_func(rt.func)
            if summary is not None:
                st.loc_func[root] = summary
        return root


def _static_role(name: str, f: Facts, rt: RuntimeName | None) -> tuple[bool, CallSite | None]:
    """Whether ``name`` surely holds an element of what it is taken from, and the call that
    made its object (``RandomForestClassifier(random_state=0)``), from the static link."""
    static_kind, value = f.links.get(name, _NEW)
    # a static part of a plain container (``x = c[0]``, ``for x in c``) is one of its
    # elements: changing the container itself leaves it alone; so is a part a call
    # returned (``d.get("k")``, ``min(g)``) that is no view or iterator of it
    element = static_kind in ("item", "part") or name in f.elements
    if static_kind == "call" and not element:
        element = rt is not None and (
            rt.type_name in PLAIN_CONTAINERS or not rt.type_name.startswith("builtins.")
        )
    made_by = None
    if static_kind == "call" and isinstance(value, int) and value < len(f.calls):
        made_by = f.calls[value]
    return element, made_by
