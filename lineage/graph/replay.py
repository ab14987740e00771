"""Replaying statements: each becomes a node whose edges point to what it depends on."""

from __future__ import annotations

import ast
import json
import re

from lineage.analysis.cells import Stmt, code_magic
from lineage.analysis.own_calls import (
    HANDLE,
    artifact_handle,
    is_lineage_path,
    without_lineage,
)
from lineage.analysis.records import Summary
from lineage.graph.effects import Effects, given_keywords
from lineage.graph.records import (
    CWD,
    STAR_IMPORTS,
    WILDCARD_FILE,
    CellEndReset,
    Node,
    NodeId,
    RuntimeName,
    StatementEffects,
    in_order,
    union,
)

_LINEAGE_STAR = re.compile(r"from\s+lineage(?:\.api)?\s+import\s+\*")
_CHANGES_DIR = re.compile(r"run_line_magic\(\s*['\"](?:cd|pushd|popd)['\"]")


def _plain_call(text: str) -> bool:
    """The statement is one call, run unconditionally (``os.chdir('data')``)."""
    try:
        body = ast.parse(text).body
    except SyntaxError:
        return False
    return len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call)


class Replay(Effects):
    """Applies the statements of one cell to a state; one instance per cell."""

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
        call_results: dict[int, tuple[str, object]] = {}
        # names bound inside this statement (loop variables...) stand for what they link to
        self._links, self._call_results = f.links, call_results
        self._elements = f.elements
        self.moved = False
        if not excluded or opaque:
            if f.is_import:
                eff.pseudo_reads.add("state:sys.path")
            applied_names: set[str] = set()
            for i, call in enumerate(f.calls):
                self._top_call = call
                call_results[i] = self.call(call, eff, lambda n: n, applied_names)
            self._top_call = None
            for summary in f.inline_funcs:
                self.apply_summary(summary, eff, {}, self_root=None)
            self.hidden_state(f, eff)
            # reading a name may apply a function's summary, the one step whose order counts:
            # a fixed order then, whatever the hash seed (no summary yet: no cost)
            for name in in_order(f.reads) if self.st.loc_func else f.reads:
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
        if stmt.magic and _CHANGES_DIR.search(stmt.text):
            eff.pseudo_writes.add(CWD)  # %cd: what reads relative paths after it needs it
        for p in eff.pseudo_reads:
            eff.deps.update(self.pseudo_writers(p))
        for loc in eff.mutated:
            eff.deps.update(st.writers.get(self.find(loc), ()))
        # -- the statement has run: update the state ------------------------------------------------
        may_write = bool(stmt.raised)  # it raised: what it changes may not have changed yet
        for loc in eff.mutated:
            root = self.find(loc)
            st.writers[root] = union(st.writers.get(root, ()), (nid,)) if may_write else (nid,)
        for p in eff.pseudo_writes:
            if p == WILDCARD_FILE or may_write:
                st.writers[p] = union(st.writers.get(p, ()), (nid,))
            else:
                st.writers[p] = (nid,)
            if p != WILDCARD_FILE and p.startswith("file:"):
                st.file_locs.add(p)
        if f.star_import:
            st.writers[STAR_IMPORTS] = union(st.writers.get(STAR_IMPORTS, ()), (nid,))
        for container, value in f.inserts:
            self.insert(container, value)
        for name in f.dels:
            st.binders.pop(name, None)
            st.loc_of.pop(name, None)
            st.consts.pop(name, None)
            st.modules.pop(name, None)
        self.bind_all(f, nid, call_results, runtime, eff)
        if lineage and f.binds:
            self.bind_handle(stmt.text, dict(lineage))
        if lineage and f.star_import and _LINEAGE_STAR.search(stmt.text):
            import lineage as own  # ``from lineage import *`` binds its public names

            self.st.lineage_names.update((n, f"lineage.{n}") for n in own.__all__)
        self.bind_lazy(f)
        changed_dir = CWD in eff.pseudo_writes or (stmt.magic and _CHANGES_DIR.search(stmt.text))
        if changed_dir and not (self.moved and _plain_call(stmt.text)):
            # a change the analysis cannot place (in a loop or branch, undone by a with block,
            # by a file descriptor, %cd): relative paths after it in this cell are unknown, so
            # they stand for any file (the next cell starts from the folder its record has)
            self.cwd = None
        self.out.append(
            Node(
                id=nid, cell=self.cell, execution_count=self.count, text=stmt.text,
                deps=tuple(sorted(eff.deps - {nid})),
                binds=f.binds | f.may_binds if f.may_binds else f.binds,
                reads=f.reads, is_import=f.is_import and not excluded, excluded=excluded,
                lineage=lineage,
            )
        )  # fmt: skip

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
        if not st.held.get(reset.state):
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
        self.bind_object_state(reset.state, self.new_loc(nid), nid, used=False)
        st.held[reset.state] = ()
        self.out.append(
            Node(
                id=nid, cell=self.cell, execution_count=self.count, text=text, deps=deps,
                binds=frozenset(), reads=frozenset({alias}) if alias in st.binders else frozenset(),
                is_import=False, excluded=False,
            )
        )  # fmt: skip

    def bind_all(
        self,
        f,
        nid: NodeId,
        call_results: dict[int, tuple[str, object]],
        runtime: dict[str, RuntimeName],
        eff: StatementEffects,
    ) -> None:
        st = self.st
        links, defs, imports, literal, consts = (
            f.links, f.defs, f.imports, f.literal_types, f.consts
        )  # fmt: skip
        names = f.binds | f.may_binds | eff.binds_may if f.may_binds or eff.binds_may else f.binds
        # where each link's source points before any target is rebound (``a, b = b, a``)
        sources: dict[str, int | None] = {}
        siblings: list[str] = []
        for target, (k, v) in links.items():
            if k in ("same", "part", "item") and isinstance(v, str):
                sources[v] = self.loc(v)
            elif k == "parts":
                sources.update((r, self.loc(r)) for r in v if r not in sources)
            elif k == "sibling" and target in names:
                siblings.append(target)
        for name in in_order(names):
            if siblings and name in siblings:
                continue
            may = name not in f.binds and name not in eff.binds_sure
            fresh: int | None = None  # the name's own new location, while nothing shares it
            kind, value = links.get(name, ("new", ""))
            made_by = None
            if kind == "call" and isinstance(value, int) and value < len(f.calls):
                made_by = f.calls[value]  # RandomForestClassifier(random_state=0)
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
                loc = fresh = self.new_loc(nid)
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
            if made_by is not None and kind == "new" and not may:
                keywords = given_keywords(made_by)
                if keywords:
                    st.configured[self.find(loc)] = keywords
            rt = runtime.get(name)
            if rt is not None:
                loc = self.observe(name, loc, rt, fresh)
            elif name in literal:
                root = self.find(loc)
                self.set_type(root, literal[name], replace=root == fresh)
            if name in defs:
                st.loc_func[self.find(loc)] = defs[name]
            if may and old is not None:
                loc = self.merge(old, loc)
                st.binders[name] = union(st.binders.get(name, ()), (nid,))
            else:
                st.binders[name] = (nid,)
            st.loc_of[name] = loc
            if name in imports:
                st.modules[name] = imports[name]
            elif not may:
                st.modules.pop(name, None)
            self.bind_lineage(name, imports.get(name), rt)
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

    def observe(self, name: str, loc: int, rt: RuntimeName, fresh: int | None = None) -> int:
        """Use the run-time identity: a name holding an object another name holds is an alias.
        ``fresh``: the new location made for this binding (its type is the observed one)."""
        st = self.st
        if self.g.is_immutable(rt.type_name):
            # interned/cached immutable objects share identities without sharing history
            root = self.find(loc)
            self.set_type(root, rt.type_name, replace=root == fresh)
            return root
        key = (rt.obj_id, rt.type_name)
        other = st.id_map.get(key)
        if other is not None and other != name and st.rid.get(other) == key:
            other_loc = self.loc(other)
            if other_loc is not None and other_loc != self.find(loc):
                loc = self.merge(other_loc, loc)
        st.rid[name] = key
        st.id_map[key] = name
        root = self.find(loc)
        self.set_type(root, rt.type_name, replace=root == fresh)
        if rt.func is not None:
            summary = self.g._resolve_func(rt.func)
            if summary is not None:
                st.loc_func[root] = summary
        return root
