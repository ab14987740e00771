"""Locations: which objects names hold, which statements last changed them."""

from __future__ import annotations

import os
import posixpath
from typing import TYPE_CHECKING

from lineage.analysis.records import PathExpr, Summary
from lineage.graph.records import (
    MIXED,
    WILDCARD_FILE,
    Deps,
    Node,
    NodeId,
    State,
    union,
)

if TYPE_CHECKING:
    from lineage.graph import SessionGraph


class Objects:
    """Location bookkeeping for one replay: union-find over object locations, their last
    writers, and what shallow copies share."""

    def __init__(
        self,
        graph: SessionGraph,
        state: State,
        out: list[Node],
        cell: int,
        execution_count: int | None,
        cwd: str | None,
        base: int | None = None,
    ) -> None:
        self.g = graph
        self.st = state
        self.out = out
        self.cell = cell
        self.count = execution_count
        self.cwd = cwd
        self.moved = False  # the statement being replayed changed directory through a spec
        self.base = 0 if base is None else base
        self._links: dict[str, tuple[str, object]] = {}
        self._call_results: dict[int, tuple[str, object]] = {}
        self._elements: frozenset[str] = frozenset()
        self._top_call: object = None  # the statement's own call being applied (not a callee's)

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
        st.writers[ra] = union(st.writers.get(ra, ()), st.writers.pop(rb, ()))
        if rb in st.loc_type:
            self.set_type(ra, st.loc_type[rb])
        if ra not in st.loc_func and rb in st.loc_func:
            st.loc_func[ra] = st.loc_func[rb]
        if rb in st.elements_of:
            st.elements_of[ra] = st.elements_of.get(ra, ()) + st.elements_of.pop(rb)
        if rb in st.configured:
            st.configured[ra] = st.configured.get(ra, frozenset()) | st.configured.pop(rb)
        return ra

    def set_type(self, root: int, type_name: str, replace: bool = False) -> None:
        """Give a location a type. A location that holds several objects (a container merged
        with its parts, the two values of a may-binding) has one type only while they agree;
        otherwise it is MIXED, whatever order the objects were seen in. ``replace``: the
        location is the name's own new object (a run-time type beats a static guess)."""
        types = self.st.loc_type
        known = types.get(root)
        if replace or known is None:
            types[root] = type_name
        elif known != type_name:
            types[root] = MIXED

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
        """The type of the object ``name`` holds; None when unknown, or when its location
        holds objects of different types (calls on it are then judged as on an unknown type)."""
        loc = self.loc(name)
        if loc is None:
            return None
        found = self.st.loc_type.get(loc)
        return None if found == MIXED else found

    def func_of(self, name: str) -> Summary | None:
        loc = self.loc(name)
        return None if loc is None else self.st.loc_func.get(loc)

    def immutable(self, name: str | None) -> bool:
        if name is None:
            return True
        t = self.type_of(name)
        return t is not None and self.g.is_immutable(t)

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
                out = union(out, st.writers.get(f, ()))
            return out
        if p.startswith("file:"):
            return union(st.writers.get(p, ()), st.writers.get(WILDCARD_FILE, ()))
        return st.writers.get(p, ())

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

    def absolute(self, text: str) -> str | None:
        """A path (``~`` already expanded) as an absolute, normalised path; None when it is
        relative and the working directory is unknown (after a change of directory the analysis
        could not follow)."""
        if self.cwd is None and not os.path.isabs(text):
            return None
        return os.path.normpath(os.path.join(self.cwd or "", text))
