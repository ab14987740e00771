"""Locations: which objects names hold, which statements last changed them."""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from lineage.analysis.records import PathExpr, Summary
from lineage.graph.records import (
    MIXED,
    PLAIN_CONTAINERS,
    WILDCARD_FILE,
    Deps,
    NodeId,
    State,
    alone,
    union,
)

_MAX_SLOTS = 32  # element-level writers kept per object
# an object given more literal keys than that: its elements are no longer told apart (until its
# next whole change), so that no read or write of it costs more than a few steps
_COARSE: dict[int | str, Deps] = {}


class ObjectModel:
    """The objects of a replay state: union-find over object locations, their types and last
    writers, what shallow copies share, and which objects hold which (containment). It knows
    nothing of statements: the effects interpreter and the replay ask it and update it.

    Containment API (shared by every part of the graph that knows one object holds another):

    * :meth:`contain` ``(container, element)``: one-way. Changing the element changes the
      container (its readers see the change); changing an element *through* the container
      (``c[0].append(1)``, :meth:`contents_of`) changes the element; changing the container
      itself (``c.append(1)``, ``c[0] = x``) leaves the element alone.
    * :meth:`share` ``(a, b)``: each holds the other, for a part whose relation is unknown (a
      view, an attribute of an opaque object, what an unknown call returned): a change of either
      is a change of both, while each keeps its own type.
    * :meth:`containers_of` / :meth:`contents_of`: transitively, what holds / is held by a
      location. :meth:`hold` picks one-way or mutual from the container's type.
    * ``merge`` (union-find) stays for one object under two names (``b = a``, same run-time id).
    """

    def __init__(self, state: State, is_immutable: Callable[[str], bool]) -> None:
        self.st = state
        self._is_immutable = is_immutable  # by type name (the specs, cached by the graph)

    def find(self, loc: int) -> int:
        parent = self.st.parent
        if loc not in parent:  # most objects were never merged
            return loc
        while parent.get(loc, loc) != loc:
            grand = parent.get(parent[loc], parent[loc])
            parent[loc] = grand
            loc = grand
        return loc

    def new_loc(self, writer: NodeId) -> int:
        loc = self.st.next_loc
        self.st.next_loc += 1
        self.st.writers[loc] = alone(writer)
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
        if rb in st.deep_writers:
            st.deep_writers[ra] = union(st.deep_writers.get(ra, ()), st.deep_writers.pop(rb))
        if st.slots and (ra in st.slots or rb in st.slots):
            # one object under two names: its elements' writers become the whole's
            for r in (ra, rb):
                for deps in st.slots.pop(r, {}).values():
                    st.writers[ra] = union(st.writers.get(ra, ()), deps)
        if rb in st.holds:
            st.holds.setdefault(ra, set()).update(st.holds.pop(rb))
        if rb in st.held_by:
            st.held_by.setdefault(ra, set()).update(st.held_by.pop(rb))
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

    # -- containment ------------------------------------------------------------------------------
    def contain(self, container: int, element: int) -> None:
        """``container`` holds ``element`` from now on (one-way; see the class docstring)."""
        st = self.st
        c, e = self.find(container), self.find(element)
        if c == e:
            return
        st.holds.setdefault(c, set()).add(e)
        st.held_by.setdefault(e, set()).add(c)

    def share(self, a: int, b: int) -> int:
        """``a`` and ``b`` may be parts of each other (a view, an attribute of an opaque object):
        a change of either changes both, so they are one location (constant time, where mutual
        containment would walk long chains such as ``node = node.next``); each name keeps the
        type observed for it at run time. Returns the location."""
        return self.merge(a, b)

    def hold(self, container: int, element: int) -> None:
        """``container`` holds ``element``: one-way when the container is a plain container
        (list, dict, tuple, set...), mutual otherwise (its own methods may change its parts)."""
        if self.st.loc_type.get(self.find(container)) in PLAIN_CONTAINERS:
            self.contain(container, element)
        else:
            self.share(container, element)

    def link_part(self, loc: int, src: int, element: bool = False) -> int:
        """The new location ``loc`` is (a part of) ``src``'s object; ``element``: surely one of
        its elements (``x = c[0]``, a loop variable). A part of a copy is a part of what was
        copied. Returns the location."""
        for target in self.element_sources(src) or [src]:
            if element and self.st.loc_type.get(self.find(target)) in PLAIN_CONTAINERS:
                self.contain(target, loc)
            else:
                loc = self.share(target, loc)
        return loc

    # -- elements under literal keys ------------------------------------------------------------
    def slots_told_apart(self, loc: int | None) -> bool:
        """The elements of the object at ``loc`` under literal keys are still told apart (it
        was not given more than _MAX_SLOTS of them since its last whole change)."""
        return not (self.st.slots and loc is not None and self.st.slots.get(loc) is _COARSE)

    def whole_writers(self, loc: int) -> Deps:
        """The last writers of a location and of each of its elements."""
        out = self.st.writers.get(loc, ())
        slots = self.st.slots.get(loc) if self.st.slots else None
        if slots:
            for deps in slots.values():
                out = union(out, deps)
        return out

    def set_slots(self, writes: list[tuple[int, int | str]], nid: NodeId) -> None:
        """After statement ``nid`` wrote these elements (location, key)."""
        st = self.st
        for loc, key in writes:
            root = self.find(loc)
            slots = dict(st.slots.get(root, ()))
            slots[key] = alone(nid)
            if len(slots) > _MAX_SLOTS:
                # many literal keys (a dict filled key by key): the whole object's writers
                for deps in slots.values():
                    st.writers[root] = union(st.writers.get(root, ()), deps)
                st.slots[root] = _COARSE
            else:
                st.slots[root] = slots

    def containers_of(self, loc: int) -> list[int]:
        """Every location that holds ``loc``, transitively (roots, ``loc`` itself excluded)."""
        return self._closure(loc, self.st.held_by)

    def contents_of(self, loc: int) -> list[int]:
        """Every location ``loc`` holds, transitively (roots, ``loc`` itself excluded)."""
        return self._closure(loc, self.st.holds)

    def _closure(self, loc: int, edges: dict[int, set[int]]) -> list[int]:
        if not edges:
            return []
        start = self.find(loc)
        seen = {start}
        out: list[int] = []
        stack = list(edges.get(start, ()))
        while stack:
            nxt = self.find(stack.pop())
            if nxt not in seen:
                seen.add(nxt)
                out.append(nxt)
                stack.extend(edges.get(nxt, ()))
        return out

    def touch_containers(self, changed: set[int], nid: NodeId) -> None:
        """After statement ``nid`` changed the locations ``changed``: every container holding
        one of them changed too (without the statement depending on the container's history)."""
        st = self.st
        if not st.held_by:
            return
        roots = {self.find(loc) for loc in changed}
        for loc in roots:
            for c in self.containers_of(loc):
                if c not in roots:
                    st.writers[c] = union(st.writers.get(c, ()), alone(nid))
                    st.deep_writers[c] = union(st.deep_writers.get(c, ()), alone(nid))

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
        observed = self.st.rid.get(name)  # one location may stand for a dict and its views
        if observed is not None:
            return observed[1]
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
        return t is not None and self._is_immutable(t)

    def insert(self, container: str, value: str) -> None:
        """``container`` now holds ``value``'s object (``c[k] = v``, ``c.attr = v``,
        ``c.append(v)``): changing the value changes the container from here on."""
        if self.immutable(value) or self.immutable(container):
            return
        a, b = self.loc(container), self.loc(value)
        if a is not None and b is not None:
            self.hold(a, b)

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
