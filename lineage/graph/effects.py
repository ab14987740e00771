"""What reading, changing and calling do: specs, notebook function summaries, files."""

from __future__ import annotations

import builtins
import dataclasses
import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from lineage._sentinel import Sentinel
from lineage.analysis.records import CallSite, Facts, Link, PathExpr, Summary
from lineage.analysis.specs import GIVEN, Effect, FileEffect, Specs, mode_op, union_effects
from lineage.graph.objects import ObjectModel
from lineage.graph.records import (
    CONTAINER_MODULES,
    CWD,
    MODULE_ATTRS,
    PLAIN_CONTAINERS,
    PURE_METHOD_NAMES,
    STAR_IMPORTS,
    STATE_HOLDERS,
    WILDCARD_FILE,
    NodeId,
    StatementEffects,
    in_order,
    union,
)

if TYPE_CHECKING:
    from lineage.graph import SessionGraph

_NONE: frozenset[str] = frozenset()
_BUILTIN_NAMES = frozenset(dir(builtins))
# inside a function, what these return is a part of their receiver or first argument
_PART_GETTERS = frozenset(("get", "values", "items", "keys"))
_PART_BUILTINS = frozenset(
    "sorted reversed iter next min max enumerate filter list tuple set frozenset".split()
)


class Effects:
    """The effects interpreter: what the calls, reads and changes of one statement do, with
    the specs and the notebook functions' summaries, gathered into a
    :class:`StatementEffects`. It asks the object model where names point and what they are;
    the object-state calls (pyplot's figure) and the files a call opens update it directly.
    One instance per replayed cell; :meth:`begin` starts each statement."""

    def __init__(self, graph: SessionGraph, objects: ObjectModel, cwd: str | None) -> None:
        self.g = graph
        self.objects = objects
        self.st = objects.st
        self.cwd = cwd  # relative paths are resolved against it; None when unknown
        self.moved = False  # the statement being replayed changed directory through a spec
        self.nid = NodeId(0)  # the node the statement being replayed becomes
        self._links: dict[str, Link] = {}
        self._call_results: dict[int, Link] = {}
        self._calls: tuple[CallSite, ...] = ()  # the running statement's calls
        self.elements: frozenset[str] = frozenset()
        self.top_call: object = None  # the statement's own call being applied (not a callee's)
        # the result link of each call of the running statement, by id of its CallSite
        self.site_links: dict[int, Link] = {}
        self._lazy_calls: dict[int, Summary] = {}  # generators made by this statement's calls

    def begin(self, facts: Facts, call_results: dict[int, Link], nid: NodeId) -> None:
        """Statement ``nid`` with these facts is replayed next; ``call_results`` fills up with
        how each of its calls' results relate to existing objects."""
        self.nid = nid
        self._links, self._call_results, self._calls = facts.links, call_results, facts.calls
        self.elements = facts.elements
        self.moved = False
        self.site_links = {}

    def slot_precise(self, name: str, keys: tuple[int | str, ...]) -> bool:
        """Elements of ``name`` under these literal keys can be told apart: a list (keys that
        are non-negative ints) or a dict, of a type known exactly."""
        if name in self.elements or name in self.st.modules:
            return False
        if self.st.slots and not self.objects.slots_told_apart(self.objects.loc(name)):
            return False
        t = self.objects.type_of(name)
        if t == "builtins.dict":
            return True
        return t == "builtins.list" and all(type(k) is int and k >= 0 for k in keys)

    def link_sources(self, name: str) -> list[tuple[str, str]]:
        """For a name bound inside the running statement, the names whose objects it may be
        (part of), with the kind of link: changing it changes them
        (``for row in rows: row.append(0)``)."""
        link = self._links.get(name)
        if link is None:
            return []
        kind, value = link
        if kind == "call":
            kind, value = self._call_results.get(int(value), ("new", ""))
        elif kind == "callpart":
            kind, value = self.result_part(int(value))
        elif kind == "concat":
            kind = "copy"
        if kind in ("same", "part", "item") and isinstance(value, str):
            return [(value, kind)]
        if kind in ("parts", "copy", "holds"):
            return [(v, kind) for v in value]
        return []

    def result_part(self, index: int) -> Link:
        """How a part of what call ``index`` of the running statement returned relates to
        existing objects (``f(x)[0]``, ``sorted(g)[0]``, ``with M(x) as z``): a part of what
        the result shares; for an instance of a notebook class, a part of any argument it was
        built from (its ``__enter__`` may return ``self.d['a']``)."""
        kind, value = self._call_results.get(index, ("new", ""))
        if kind in ("same", "part"):
            return ("part", value)
        if kind in ("parts", "copy", "holds"):
            return ("parts", value)  # an element of a copy is an element of the original
        if kind == "instance" and index < len(self._calls):
            call = self._calls[index]
            roots = tuple(r for r in (*call.args, *(r for _, r in call.kwargs)) if r is not None)
            if roots:
                return ("parts", roots)
        return ("new", "")

    def absolute(self, text: str) -> str | None:
        """A path (``~`` already expanded) as an absolute, normalised path; None when it is
        relative and the working directory is unknown (after a change of directory the analysis
        could not follow)."""
        if self.cwd is None and not os.path.isabs(text):
            return None
        return os.path.normpath(os.path.join(self.cwd or "", text))

    def gather(self, f: Facts, eff: StatementEffects) -> None:
        """What the statement begun last reads and changes, into ``eff``: its calls (in order),
        the notebook functions it defines and uses inline, the iterators it consumes, the names
        it reads and the objects it stores into."""
        if f.is_import:
            eff.pseudo_reads.add("state:sys.path")
        applied_names: set[str] = set()
        for i, call in enumerate(f.calls):
            self.top_call = call
            self._call_results[i] = self.call(call, eff, lambda n: n, applied_names)
            self.site_links[id(call)] = self._call_results[i]
        self.top_call = None
        for summary in f.inline_funcs:
            self.apply_summary(summary, eff, {}, self_root=None)
        self.hidden_state(f, eff)
        # the names a statement reads before binding them are the outer bindings, even a
        # loop variable's (``for i, names in enumerate(names)``)
        self.elements = frozenset()
        slot_reads = f.slot_reads
        # reading a name may apply a function's summary, the one step whose order counts:
        # a fixed order then, whatever the hash seed (no summary yet: no cost)
        for name in in_order(f.reads) if self.st.loc_func else f.reads:
            keys = slot_reads.get(name) if slot_reads else None
            if keys is not None and self.slot_precise(name, keys):
                self.read_slots(name, keys, eff)  # y = lst[1]: not lst[0]'s writers
            else:
                self.read(name, eff, apply_func=name not in applied_names)
        self.elements = f.elements
        precise = self.precise_slot_stores(f.slot_stores) if f.slot_stores else _NONE
        for name in f.stores:
            if name not in precise:
                self.mutate(name, eff, shallow=True)  # x[k] = v, x.a = v, del x[k]
        for name in f.deep_stores:
            if name not in precise:
                self.mutate(name, eff, element=True)
        for name, key, aug in f.slot_stores if precise else ():
            if name in precise:
                self.write_slot(name, key, aug, eff)
        for name in f.augs:
            if not self.objects.immutable(name) and name in self.st.loc_of:
                self.mutate(name, eff, shallow=self.objects.type_of(name) in PLAIN_CONTAINERS)

    def read_slots(self, name: str, keys: tuple[int | str, ...], eff: StatementEffects) -> None:
        """A read of ``name``'s elements under literal keys only (``lst[1]``): its binders, its
        whole changes, and the last writers of those elements."""
        st = self.st
        eff.deps.update(st.binders.get(name, ()))
        loc = self.objects.loc(name)
        if loc is None:
            return
        eff.deps.update(st.writers.get(loc, ()))
        slots = st.slots.get(loc) if st.slots else None
        if slots:
            for key in keys:
                eff.deps.update(slots.get(key, ()))
        if st.elements_of:
            for src in self.objects.element_sources(loc):
                eff.deps.update(st.deep_writers.get(src, ()))

    def precise_slot_stores(
        self, stores: tuple[tuple[str, int | str, bool], ...]
    ) -> frozenset[str]:
        """The names whose element stores in this statement can all be told apart."""
        keys: dict[str, list[int | str]] = {}
        for name, key, _ in stores:
            keys.setdefault(name, []).append(key)
        return frozenset(n for n, ks in keys.items() if self.slot_precise(n, tuple(ks)))

    def write_slot(self, name: str, key: int | str, aug: bool, eff: StatementEffects) -> None:
        """``name[key] = v`` overwrites one element of a list (it needs the object, not the
        element's history; a dict's key keeps the place its first writer gave it, so that writer
        stays); ``name[key] += v`` updates it, and may change the old element in place."""
        keeps_place = self.objects.type_of(name) == "builtins.dict"
        self.read_slots(name, (key,) if aug or keeps_place else (), eff)
        loc = self.objects.loc(name)
        if loc is None:
            return
        eff.slot_writes.append((loc, key))
        if aug:
            # the old element, if mutable, changed in place: whichever object name holds
            for held in (*self.objects.element_sources(loc), *self.objects.contents_of(loc)):
                eff.mutated.add(held)
                eff.deep.add(held)

    def read(self, name: str, eff: StatementEffects, apply_func: bool = True) -> None:
        st = self.st
        if name in self.elements:
            # a loop variable inside its loop: an element of the iterable, read through it
            for source, _ in self.link_sources(name):
                if source != name:
                    self.read(source, eff, apply_func)
            return
        binders = st.binders.get(name)
        if binders:
            eff.deps.update(binders)
            module = st.modules.get(name)
            if module is not None:
                eff.pseudo_reads.add(MODULE_ATTRS + module.split(".")[0])  # mod.x = 1 earlier
        elif STAR_IMPORTS in st.writers and name not in _BUILTIN_NAMES:
            eff.deps.update(st.writers[STAR_IMPORTS])  # perhaps bound by ``from m import *``
        loc = self.objects.loc(name)
        if loc is None:
            return
        eff.deps.update(self.objects.whole_writers(loc) if st.slots else st.writers.get(loc, ()))
        if st.elements_of:
            for src in self.objects.element_sources(
                loc
            ):  # a copy's elements changed through the original
                eff.deps.update(st.deep_writers.get(src, ()))
        if apply_func:
            summary = st.loc_func.get(loc)
            if summary is not None:
                # a notebook function passed along may be called by whoever receives it
                outer, self._sure = self._sure, False
                try:
                    self.apply_summary(summary, eff, {}, self_root=None, callee=name)
                    # or what it returns (sorted(xs, key=make_key()) calls make_key's lambda)
                    self.apply_reachable(summary, eff, frozenset(), 0)
                finally:
                    self._sure = outer

    def mutate(
        self,
        name: str | None,
        eff: StatementEffects,
        element: bool = False,
        _seen: frozenset[str] = frozenset(),
        shallow: bool = False,
    ) -> None:
        """``name``'s object may change; ``element``: through one of its elements or parts
        (``x[0].append(1)``), which for a shallow copy is an object the original holds too;
        ``shallow``: only the object itself, never what it holds (``lst.append(x)``,
        ``c[k] = v``)."""
        if name is None:
            return
        module = self.st.modules.get(name)
        if module is not None and name in self.st.binders:
            # pd.options.display.max_rows = 5: module state, not the module object's history
            eff.pseudo_writes.add("state:" + module.split(".")[0])
            if not element:  # mymod.setting = 2 (not an option deeper down: pd.options.a.b)
                eff.pseudo_writes.add(MODULE_ATTRS + module.split(".")[0])
            return
        inside = name in self.elements
        for source, kind in self.link_sources(name):
            if source in _seen or (kind in ("copy", "holds") and not (element or inside)):
                continue  # a copy's or a display's own changes leave what it holds alone
            self.mutate(source, eff, element or inside or kind != "same", _seen | {name})
        if inside:
            return  # a loop variable inside its loop holds an element, not its earlier value
        loc = self.objects.loc(name)
        if loc is None or self.objects.immutable(name):
            return
        self.read(name, eff, apply_func=False)
        sources = self.objects.element_sources(loc) if element and self.st.elements_of else ()
        eff.mutated.update(sources or (loc,))
        if element:
            eff.deep.update(sources or (loc,))
            if self.st.holds:
                # through one of its elements: whichever object it holds may be the one changed
                for held in sources or (loc,):
                    inner = self.objects.contents_of(held)
                    eff.mutated.update(inner)
                    eff.deep.update(inner)
        elif not shallow:
            eff.deep.add(loc)

    def call(
        self,
        call: CallSite,
        eff: StatementEffects,
        rootmap,
        applied_names: set[str],
    ) -> Link:
        """Apply a call's effects; return how its result relates to existing objects."""
        outer, self._sure = self._sure, self._sure and call.unconditional
        try:
            return self._call(call, eff, rootmap, applied_names)
        finally:
            self._sure = outer

    def _call(
        self,
        call: CallSite,
        eff: StatementEffects,
        rootmap,
        applied_names: set[str],
    ) -> Link:
        func = call.func
        if not func:
            self.unknown_call(call, eff, rootmap)
            if call.callee_root is not None:
                self.call_value(call.callee_root, eff, rootmap)  # make()(3), fs[0](x)
            return ("new", "")
        head = rootmap(func[0])
        qual = None if call.computed else self.qualify(func, head)
        if qual is not None:
            link = self.call_qualified(qual, call, head, eff, rootmap)
            if link is not None:
                return link
        if len(func) == 1:
            return self.call_name(head, call, eff, rootmap, applied_names)
        return self.call_method(head, call, eff, rootmap)

    def call_qualified(
        self, qual: str, call: CallSite, head: str | None, eff: StatementEffects, rootmap
    ) -> Link | None:
        """A call of a module's function or a builtin (``np.random.seed``, ``len``): its
        spec's effects; None for a notebook function imported under a module name."""
        func = call.func
        effect = self.g.specs.function(qual)
        if effect is None and qual.startswith(STATE_HOLDERS):
            # sys.path.append(...), os.environ.update(...): process-wide state
            eff.pseudo_writes.add("state:" + ".".join(qual.split(".")[:2]))
        if effect is None or effect.unknown:
            if len(func) == 1 and head is not None and self.objects.func_of(head) is not None:
                return None  # a notebook function imported under a module name: fall through
            self.unknown_call(call, eff, rootmap, module=qual.split(".")[0])
            return ("new", "")
        self.apply_effect(effect, call, eff, rootmap, receiver=None)
        return self.result_link(effect, call, rootmap, receiver=None)

    def call_name(
        self,
        head: str | None,
        call: CallSite,
        eff: StatementEffects,
        rootmap,
        applied_names: set[str],
    ) -> Link:
        """A call through a plain name: a notebook function or class (its summary), or a
        callable object (which it may change)."""
        func = call.func
        if head is None:
            self.unknown_call(call, eff, rootmap)
            return ("new", "")
        summary = self.objects.func_of(head)
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
        return self.function_result(summary, call, rootmap)

    def call_method(self, head: str | None, call: CallSite, eff: StatementEffects, rootmap) -> Link:
        """A method call on a value: receiver root ``head``, method ``func[-1]``."""
        func = call.func
        method = func[-1]
        chain = call.receiver_chain or len(func) > 2
        if chain and head is not None and self.notebook_rooted(head):
            self.call_methods(method, call, eff, rootmap)  # Foo().bar(), Foo().new(1).bar(0)
        if call.receiver is not None and call is self.top_call:
            resolved = self.resolve_receiver(call.receiver)
            if resolved is _NEW_OBJECT:
                return self.call_on_new(call, method, eff, rootmap)
            if isinstance(resolved, str):
                head = resolved  # plt.gca().plot(x): the object gca returned a part of
        if head is None:
            # a method of a function's local object: it changes that object, not its arguments
            for root in [*call.args, *(r for _, r in call.kwargs)]:
                name = rootmap(root) if root is not None else None
                if name is not None:
                    self.read(name, eff)
            return ("new", "")
        receiver_type = None if chain else self.objects.type_of(head)
        if not chain and self.class_call(head, method, call, eff, rootmap):
            return ("new", "")  # Foo.create(), Foo.helper(x): a method of the class object
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
        if effect is None and receiver_type is None:
            effect = self.chain_effect(head, method)
        if effect is None or effect.unknown:
            # on a part of the receiver (a.b.m(), a[0].m()) it changes one of its elements
            self.mutate(head, eff, element=chain)
            self.unknown_call(call, eff, rootmap)
            self.hold_args(head, call, rootmap)  # it may keep references to its arguments
            return ("part", head)
        self.read(head, eff, apply_func=False)
        self.apply_effect(effect, call, eff, rootmap, receiver=head, element=chain)
        if "self" in effect.mutates and (receiver_type or "").startswith(CONTAINER_MODULES):
            self.hold_args(head, call, rootmap)  # lst.append(x), d.setdefault(k, v), s.add(x)
        return self.result_link(effect, call, rootmap, receiver=head)

    def resolve_receiver(self, link: Link) -> str | Sentinel | None:
        """The name whose object a computed receiver is a part of: ``("call", i)`` is what
        call i of the statement returned, ``("item", x)`` a new object when indexing ``x``'s
        type copies (pandas). :data:`_NEW_OBJECT` for a new object; None when unknown."""
        kind, value = link
        if kind == "new":
            return _NEW_OBJECT
        if kind == "item" and isinstance(value, str):
            return _NEW_OBJECT if self.item_link(value) == "new" else None
        if kind != "call" or not isinstance(value, int):
            return None
        result = self._call_results.get(value)
        if result is None:
            return None
        rkind, rvalue = result
        if rkind == "new":
            return _NEW_OBJECT
        if rkind in ("same", "part") and isinstance(rvalue, str):
            return rvalue
        return None

    def call_on_new(self, call: CallSite, method: str, eff: StatementEffects, rootmap) -> Link:
        """A method of an object nobody else holds (``df.dropna().to_csv(p)``, ``df["a"]``
        under copy-on-write): changing it changes nothing, but its files and state count."""
        effect = self.chain_effect(None, method)
        if effect is None or effect.unknown:
            self.unknown_call(call, eff, rootmap)
            return ("new", "")
        self.apply_effect(effect, call, eff, rootmap, receiver=None)
        return self.result_link(effect, call, rootmap, receiver=None)

    def hold_args(self, receiver: str, call: CallSite, rootmap) -> None:
        for root in (*call.args, *(r for _, r in call.kwargs)):
            name = rootmap(root) if root is not None else None
            if name is not None and name != receiver:
                self.objects.insert(receiver, name)

    def chain_effect(self, head: str | None, method: str) -> Effect | None:
        """A method called on something reached from ``head`` (``df["a"].mean()``), whose type
        is not known: what every type the specs list for that method agrees on, else what the
        root's own type says."""
        if method in PURE_METHOD_NAMES:
            return Effect(returns="part")
        effects = [e for e in self.g.specs.method_everywhere(method) if not e.unknown]
        if effects:
            return union_effects(effects)  # sound for whichever of those types it has
        root_type = self.objects.type_of(head) if head is not None else None
        return self.g.specs.method(root_type, method) if root_type else None

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
        self, call: CallSite, eff: StatementEffects, rootmap, module: str | None = None
    ) -> None:
        """A call no spec covers: its mutable arguments may change; a library without specs may
        keep state between calls."""
        self.unknown_args(call, eff, rootmap)
        if module is not None and module not in ("builtins",) and not self.g.specs.knows(module):
            eff.pseudo_reads.add(f"state:{module}")
            eff.pseudo_writes.add(f"state:{module}")
            # it may read what the notebook stored on any module it imported (mymod.setting = 2)
            tops = {path.lstrip(".").split(".")[0] for path in self.st.modules.values()}
            eff.pseudo_reads.update(MODULE_ATTRS + top for top in tops)
            for state in self.g.specs.object_states:
                self.may_write_object_state(state)

    def may_write_object_state(self, state: str) -> None:
        """A library we know nothing of may draw on pyplot's current figure (seaborn does): the
        call becomes one more writer of it (not a reader, which would tie what the library
        computes to the plots made before), or it makes the figure when there is none."""
        st = self.st
        nid = NodeId(self.nid)
        loc = self.objects.loc(state)
        if loc is None:
            self.bind_object_state(state, self.objects.new_loc(nid), nid)
        else:
            st.writers[loc] = union(st.writers.get(loc, ()), (nid,))
            self.mark_used(state, loc)

    def unknown_args(self, call: CallSite, eff: StatementEffects, rootmap) -> None:
        """A call no spec covers may change every argument it is passed."""
        for root in (*call.args, *(r for _, r in call.kwargs)):
            name = rootmap(root) if root is not None else None
            if name is not None:
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
        eff: StatementEffects,
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
        eff: StatementEffects,
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
        rootmap = _summary_rootmap(summary, params, callee)
        if callee is not None and summary.nonlocal_writes:
            self.mutate(callee, eff)  # calling the closure changes the state it keeps
        self.function_state(summary, eff, params, callee)
        applied: set[str] = set()
        for call in summary.calls:
            self.call(call, eff, rootmap, applied)
        called = {c.func[0] for c in summary.calls if len(c.func) == 1}
        outer, self._sure = self._sure, False
        try:
            for nested in summary.nested:
                # nested functions and lambdas may run during this call (closures returned to
                # the caller read their globals later, when they are called)
                if nested.deferred:
                    continue
                for call in nested.calls:
                    self.call(call, eff, rootmap, applied)
                if nested.name == "<lambda>" or nested.name in called:
                    for name in in_order(nested.reads - local):
                        self.read(name, eff)
        finally:
            self._sure = outer
        for name in in_order(summary.reads):
            self.read(name, eff, apply_func=name not in applied)
        for name in summary.global_binds:
            eff.binds_may.add(name)
            if self._sure and name in summary.sure_globals:
                eff.binds_sure.add(name)  # bound on every path of a call that surely runs
            else:
                self.read(name, eff, apply_func=False)
        for root in summary.iterated:
            self.consume(rootmap(root), eff)
        for root in summary.stores:
            self.mutate(rootmap(root), eff)
        for root in summary.deep_stores:
            self.mutate(rootmap(root), eff, element=True)
        for container, held in summary.inserts:
            c, v = rootmap(container), rootmap(held)
            if c is not None and v is not None:
                self.objects.insert(c, v)
        for name, arg in params.items():
            if name.startswith("*") and arg is not None:
                self.mutate(arg, eff)
        if callee is not None and summary.closure & _changed_roots(summary):
            self.mutate(callee, eff, element=True)  # a closure changes the objects it holds

    def apply_effect(
        self,
        effect: Effect,
        call: CallSite,
        eff: StatementEffects,
        rootmap,
        receiver: str | None,
        element: bool = False,
    ) -> None:
        """Apply a spec; ``element``: the receiver is a part of ``receiver`` (a.b.m())."""
        for target in effect.mutates:
            if target == "self":
                if effect.mutates_when is not None:
                    kw, value = effect.mutates_when
                    if (kw, value) not in call.consts and dict(call.consts).get(kw) != value:
                        continue
                plain = receiver is not None and self.objects.type_of(receiver) in PLAIN_CONTAINERS
                self.mutate(receiver, eff, element=element, shallow=plain)
            else:
                self.mutate(self._arg_root(call, target, rootmap), eff)
        nested = call.arg_calls
        for i, root in enumerate([*call.args, *(r for _, r in call.kwargs)]):
            name = rootmap(root) if root is not None else None
            if name is not None:
                self.read(name, eff)
                # an argument that is a call's result (``f(model.predict(X))``) is not the
                # object its expression starts from: iterating it consumes nothing of that
                if effect.iterates and not (i < len(nested) and nested[i] is not None):
                    self.consume(name, eff)  # sum(it), list(gen): the iterator is used up
        if not self._seeded(effect, call, receiver):
            held = self.g.specs.object_states
            if held and (held.intersection(effect.reads) or held.intersection(effect.writes)):
                self.object_state_effect(effect, call, eff, rootmap)
            else:
                eff.pseudo_reads.update(effect.reads)
                eff.pseudo_writes.update(effect.writes)
        if receiver is not None and "self" in effect.mutates:
            self.configure(receiver, call)  # est.set_params(random_state=0)
        for fe in effect.files:
            self.file_effect(fe, call, eff, rootmap, receiver)

    def object_state_effect(
        self, effect: Effect, call: CallSite, eff: StatementEffects, rootmap
    ) -> None:
        """Reads and writes of hidden state, where a state may hold an object (pyplot's current
        figure): reading it reads that object, writing it changes the object (made by this
        statement when the state holds none) unless ``holds`` says it then holds another."""
        held = self.g.specs.object_states
        eff.pseudo_reads.update(s for s in effect.reads if s not in held)
        eff.pseudo_writes.update(s for s in effect.writes if s not in held)
        holds = holds_after(effect, call)
        for state in effect.writes:
            if state in held:
                self.write_object_state(state, holds, call, eff, rootmap)
        for state in effect.reads:
            if state in held and state not in effect.writes:
                self.read(state, eff, apply_func=False)

    def write_object_state(
        self, state: str, holds: str | None, call: CallSite, eff: StatementEffects, rootmap
    ) -> None:
        st = self.st
        nid = NodeId(self.nid)
        if holds in ("new", "none"):
            # a new figure; or none, which the next use makes here (so it depends on this call)
            self.bind_object_state(state, self.objects.new_loc(nid), nid, used=holds == "new")
            if holds == "none":
                st.state_objects[state] = ()
            return
        target: int | None = None
        if holds == "any" and st.state_objects.get(state):
            # any object the state held before may be the one it holds now: they are one value
            target = self.objects.find(st.state_objects[state][0])
            for other in st.state_objects[state][1:]:
                target = self.objects.merge(target, other)
        elif holds is not None and holds.startswith("arg:"):
            which = holds[4:]
            root = self._arg_root(call, int(which) if which.isdigit() else which, rootmap)
            target = self.objects.loc(root) if root is not None else None
        if target is not None:
            eff.mutated.add(target)
            self.bind_object_state(state, target, nid)
            return
        loc = self.objects.loc(state)
        if loc is None:
            self.bind_object_state(state, self.objects.new_loc(nid), nid)  # plt.plot with no figure
            return
        self.mutate(state, eff)  # the object it holds changes
        self.mark_used(state, loc)

    def bind_object_state(self, state: str, loc: int, nid: NodeId, used: bool = True) -> None:
        st = self.st
        st.loc_of[state] = loc
        st.binders[state] = (nid,)
        if used:
            self.mark_used(state, loc)

    def mark_used(self, state: str, loc: int) -> None:
        """The state's object is a real one (a figure), not the none a reset left."""
        held = self.st.state_objects.get(state, ())
        if all(self.objects.find(h) != self.objects.find(loc) for h in held):
            self.st.state_objects[state] = (*held, loc)

    def _seeded(self, effect: Effect, call: CallSite, receiver: str | None) -> bool:
        """The call, or the making of its receiver, gave the effect's seed keyword a value."""
        kw = effect.seeded_by
        if kw is None:
            return False
        if kw in given_keywords(call):
            return True
        loc = self.objects.loc(receiver) if receiver is not None else None
        return loc is not None and kw in self.st.configured.get(loc, frozenset())

    def configure(self, name: str, call: CallSite) -> None:
        """Record the keywords a call gave ``name``'s object (a literal None takes one back)."""
        loc = self.objects.loc(name)
        if loc is None:
            return
        unset = {kw for kw, value in call.consts if value is None}
        now = (self.st.configured.get(loc, frozenset()) | given_keywords(call)) - unset
        if now:
            self.st.configured[loc] = now
        else:
            self.st.configured.pop(loc, None)

    def _arg_root(self, call: CallSite, target: int | str, rootmap) -> str | None:
        if isinstance(target, int):
            if call.starred:
                return None
            root = call.args[target] if target < len(call.args) else None
        else:
            root = dict(call.kwargs).get(target)
        return rootmap(root) if root is not None else None

    def file_effect(
        self, fe: FileEffect, call: CallSite, eff: StatementEffects, rootmap, receiver: str | None
    ) -> None:
        absent = isinstance(fe.path, int) and fe.path >= len(call.paths) and not call.starred
        if absent and (fe.path_kw is None or fe.path_kw not in dict(call.kwargs)):
            return  # no path given: nothing is read or written (df.to_csv() returns text)
        pexpr: PathExpr | None = None
        if fe.path == "self":
            pexpr = ("name", receiver) if receiver else call.receiver_path
        else:
            if isinstance(fe.path, int) and fe.path < len(call.paths):
                pexpr = call.paths[fe.path]
            if pexpr is None and fe.path_kw is not None:
                pexpr = dict(call.kwpaths).get(fe.path_kw)
            if pexpr is not None and pexpr[0] == "name" and rootmap(pexpr[1]) is None:
                pexpr = None
        text = self.objects.fold_text(pexpr) if pexpr is not None else None
        if text is not None:
            text = os.path.expanduser(text)
        if text is None or not os.path.isabs(text):
            eff.pseudo_reads.add(CWD)  # where the path points depends on the working directory
        path = self.absolute(text) if text is not None else None
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
        elif op == "chdir":
            eff.pseudo_reads.add(loc)  # the folder must exist
            self.cwd = path  # relative paths from here on, None if unknown
            self.moved = True
        elif op == "append":
            eff.pseudo_reads.add(loc)
            eff.pseudo_writes.add(loc)
        else:  # write, delete
            eff.pseudo_writes.add(loc)

    def result_link(self, effect: Effect, call: CallSite, rootmap, receiver: str | None) -> Link:
        ret = effect.returns
        if ret == "self" and receiver is not None:
            return ("same", receiver)
        if ret == "part" and receiver is not None:
            return ("part", receiver)
        if ret.startswith("state:"):
            return ("part", ret) if ret in self.st.loc_of else ("new", "")
        if ret == "copy" and receiver is not None:
            return ("copy", (receiver,))
        if ret.startswith("copy:"):
            which = ret[5:]
            if which == "*":
                return ("copy", self.arg_names(call, rootmap, None))
            names = self.arg_names(call, rootmap, int(which) if which.isdigit() else which)
            return ("copy", names) if names else ("new", "")
        if ret.startswith("holds:"):
            # a lazy view or iterator over the argument (iter(xs)): it holds that object, so a
            # change of it shows in the result, and using the result up leaves it alone
            which = ret[6:]
            names = self.arg_names(
                call, rootmap, None if which == "*" else int(which) if which.isdigit() else which
            )
            return ("holds", names) if names else ("new", "")
        if ret.startswith("arg:"):
            which = ret[4:]
            if which == "*":
                return ("parts", self.arg_names(call, rootmap, None))
            names = self.arg_names(call, rootmap, int(which) if which.isdigit() else which)
            if len(names) == 1:
                return ("part", names[0])
            if names:
                return ("parts", names)
        return ("new", "")

    # -- state held inside objects and functions ---------------------------------------------------
    _sure = True  # the call being applied runs whenever its top-level statement runs

    def hidden_state(self, f: Facts, eff: StatementEffects) -> None:
        """A statement's loops and unpackings consume the iterators they go over; an import
        reads the attributes earlier statements stored on the module."""
        for name in f.iterated:
            self.consume(name, eff)
        if f.is_import:
            eff.pseudo_reads.update(MODULE_ATTRS + path.lstrip(".").split(".")[0]
                                    for path in f.imports.values())  # fmt: skip

    def consume(self, name: str | None, eff: StatementEffects) -> None:
        """``name`` is looped over: if it holds an iterator, that changes it."""
        if name is not None and name not in self.elements and self.consumable(name):
            self.mutate(name, eff)

    def consumable(self, name: str) -> bool:
        """``name`` may hold an iterator (a generator, a file, ``map(...)``): known from the
        type's ``__next__`` spec or a notebook class's ``__next__``; a type no spec lists may be
        one."""
        loc = self.objects.loc(name)
        if loc is None or (name in self.st.modules and name in self.st.binders):
            return False
        summary = self.st.loc_func.get(loc)
        if summary is not None and summary.generator:
            return True
        t = self.st.loc_type.get(loc)
        if t is not None and t.startswith("__main__."):
            cls = self._notebook_class(name)
            return cls is None or _method(cls, "__next__") is not None
        if summary is not None:
            return False  # a function or a class
        return t is None or _iterator_type(self.g.specs, t)

    def function_state(
        self, summary: Summary, eff: StatementEffects, params: dict[str, str | None], callee
    ) -> None:
        """A function that keeps state in its function object (a mutable default it changes,
        a cache): each call reads and writes that state, so calls stay ordered."""
        if not (summary.default_state or summary.wrapped):
            return
        starred = any(p.startswith("*") for p in params)
        if summary.wrapped or starred or any(p not in params for p in summary.default_state):
            key = f"state:function:{summary.name}:{id(summary)}"
            eff.pseudo_reads.add(key)
            eff.pseudo_writes.add(key)

    def function_result(self, summary: Summary, call: CallSite, rootmap) -> Link:
        """What a notebook function's result holds: a generator runs the body when drained
        (reading its arguments and globals then); a closure keeps the arguments it captured."""
        roots = tuple(
            name
            for root in (*call.args, *(r for _, r in call.kwargs))
            if root is not None and (name := rootmap(root)) is not None
        )
        if summary.generator:
            self._lazy_calls[id(call)] = summary
            return ("holds", roots) if roots else ("new", "")
        if roots and _keeps_cells(summary):
            return ("copy", roots)
        return ("new", "")

    def bind_lazy(self, f: Facts) -> None:
        """Names bound to a generator made by a notebook generator function hold its body."""
        lazy = self._lazy_calls
        if not lazy:
            return
        for name, (kind, value) in f.links.items():
            if kind == "call" and isinstance(value, int) and value < len(f.calls):
                summary = lazy.get(id(f.calls[value]))
                loc = self.objects.loc(name)
                if summary is not None and loc is not None:
                    self.st.loc_func[loc] = summary
        lazy.clear()

    def notebook_rooted(self, head: str) -> bool:
        """``head`` holds a notebook function, class or instance."""
        loc = self.objects.loc(head)
        if loc is None:
            return False
        t = self.st.loc_type.get(loc) or ""
        return loc in self.st.loc_func or t.startswith("__main__.")

    def _classes(self) -> list[Summary]:
        seen: dict[int, Summary] = {}
        for s in self.st.loc_func.values():
            if s.is_class:
                seen.setdefault(id(s), s)
        return list(seen.values())

    def _functions(self) -> list[Summary]:
        seen: dict[int, Summary] = {}
        for s in self.st.loc_func.values():
            if not s.is_class and not s.generator:
                seen.setdefault(id(s), s)
        return list(seen.values())

    def class_call(
        self, head: str, method: str, call: CallSite, eff: StatementEffects, rootmap
    ) -> bool:
        """A method called on a notebook class itself (a classmethod or staticmethod, or a
        function called with an explicit instance): apply it; False if ``head`` is no class."""
        cls = self.objects.func_of(head)
        if (
            cls is None
            or not cls.is_class
            or (self.objects.type_of(head) or "").startswith("__main__.")
        ):
            return False  # not a class, or an instance of one
        m = _method(cls, method)
        if m is None:
            return False
        skip = 1 if m.params and m.params[0] == "cls" else 0
        self.read(head, eff, apply_func=False)
        self.apply_summary(m, eff, self.arg_map(m, call, rootmap, skip), head if skip else None)
        return True

    def call_methods(self, method: str, call: CallSite, eff: StatementEffects, rootmap) -> None:
        """A method called on a computed receiver made from notebook code (``Foo().bar()``):
        it may be that method of any notebook class."""
        outer, self._sure = self._sure, False
        try:
            for cls in self._classes():
                m = _method(cls, method)
                if m is not None:
                    self.apply_summary(m, eff, self.arg_map(m, call, rootmap, 1), None)
        finally:
            self._sure = outer

    def call_value(self, root: str, eff: StatementEffects, rootmap) -> None:
        """A function value computed from ``root`` is called (``make()(3)``, ``fs[0](x)``,
        ``obj.getter()(x)``): it may be any function that ``root``'s function or class defines,
        and it reads their globals now."""
        name = rootmap(root)
        if name is None or name not in self.st.binders or name in self.st.modules:
            return  # a builtin (getattr(c, "m")()) or a module: nothing notebook-made
        summary = self.objects.func_of(name)
        t = self.objects.type_of(name) or "builtins.function"
        outer, self._sure = self._sure, False
        try:
            if summary is not None and (t == "builtins.function" or t.startswith("__main__.")):
                self.apply_reachable(summary, eff, frozenset(), 0)
                return
            # taken out of a container (``fs[0](x)``, ``ops["add"](x)``): any notebook function
            for s in self._functions():
                self.apply_summary(s, eff, {}, None)
                self.apply_reachable(s, eff, frozenset(), 0)
        finally:
            self._sure = outer

    def apply_reachable(
        self, summary: Summary, eff: StatementEffects, enclosing: frozenset[str], depth: int
    ) -> None:
        if depth > 3:
            return
        inner = enclosing if summary.is_class else enclosing | summary.locals
        for nested in summary.nested:
            # the copy made below has an identity of its own: guard on the original's, or
            # classes whose methods make each other (Foo.new -> Bar(), Bar.foo -> Foo()) recurse
            key = id(nested)
            if key in eff.applied:
                continue
            eff.applied.add(key)
            try:
                self.apply_summary(
                    dataclasses.replace(nested, reads=nested.reads - inner), eff, {}, None
                )
                self.apply_reachable(nested, eff, inner, depth + 1)
            finally:
                eff.applied.discard(key)

    def arg_names(self, call: CallSite, rootmap, which: int | str | None) -> tuple[str, ...]:
        """The names an argument's value may be (a part of): its root, or for an argument that
        is itself a call (``next(iter(g))``) what that call's result links to; ``which``: a
        position or keyword, None for every argument."""
        out: list[str] = []
        positions = range(len(call.args)) if which is None else (which,)
        for i in positions:
            nested = call.arg_calls[i] if isinstance(i, int) and i < len(call.arg_calls) else None
            link = self.site_links.get(id(nested)) if nested is not None else None
            if link is not None and link[0] not in ("new", "instance"):
                value = link[1]
                out.extend((value,) if isinstance(value, str) else value)
                continue
            root = self._arg_root(call, i, rootmap)
            if root is not None:
                out.append(root)
        if which is None:
            out.extend(n for _, r in call.kwargs if r and (n := rootmap(r)) is not None)
        return tuple(out)

    def item_link(self, root: str) -> Literal["new", "part"]:
        """``x = root[...]``: a part of root, unless root's type copies on indexing (specs)."""
        t = self.objects.type_of(root)
        effect = self.g.specs.method(t, "__getitem__") if t else None
        return "new" if effect is not None and effect.returns == "new" else "part"

    def _notebook_class(self, name: str) -> Summary | None:
        t = self.objects.type_of(name)
        if t is None or not t.startswith("__main__."):
            return None
        cls = self.objects.func_of(t.split(".", 1)[1])
        if cls is not None and cls.is_class:
            return cls
        loc = self.objects.loc(name)
        return self.st.loc_func.get(loc) if loc is not None else None


_NEW_OBJECT = Sentinel("NEW_OBJECT")  # a computed receiver that is an object nobody else holds


def holds_after(effect: Effect, call: CallSite) -> str | None:
    """What the object states a call writes hold afterwards: the first ``holds_when`` case the
    call matches (the argument passed, not as a literal None; or passed as that literal), else
    ``holds``."""
    for index, kw, equals, holds in effect.holds_when:
        value = _argument_value(call, index, kw)
        if value is _ABSENT or value is None:
            continue
        if equals is GIVEN or value == equals:
            return holds
    return effect.holds


_ABSENT = Sentinel("ABSENT")  # the argument is not passed
_UNKNOWN = Sentinel("UNKNOWN")  # it is passed, as an expression


def _argument_value(call: CallSite, index: int | None, kw: str | None) -> object:
    """A passed argument's literal value (strings positionally, any literal by keyword)."""
    if call.starred:
        return _UNKNOWN
    if index is not None and index < len(call.args):
        p = call.paths[index]
        return p[1] if p is not None and p[0] == "lit" else _UNKNOWN
    if kw is not None and kw in dict(call.kwargs):
        consts = dict(call.consts)
        return consts.get(kw, _UNKNOWN)
    return _ABSENT


@functools.lru_cache(maxsize=1024)
def _iterator_type(specs: Specs, type_name: str) -> bool:
    """The type's ``__next__`` changes it; a type no spec lists may be an iterator."""
    if type_name in _NOT_ITERATORS:
        return False
    effect = specs.listed_method(type_name, "__next__")
    if effect is not None and not effect.unknown:
        return "self" in effect.mutates
    if specs.is_immutable(type_name):
        return False
    return not specs.lists_type(type_name)


_NOT_ITERATORS = frozenset(
    "builtins.function builtins.type builtins.builtin_function_or_method builtins.method "
    "builtins.module functools.partial".split()
)


def _summary_rootmap(
    summary: Summary, params: dict[str, str | None], callee: str | None
) -> Callable[..., str | None]:
    """Inside a call of ``summary``: the caller's name a name of the body stands for (an
    argument for a parameter, the function itself for a variable its closure keeps, a
    parameter or global for a local holding a part of it), None for a local of its own."""
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
            if (
                kind in ("call", "callpart")
                and isinstance(value, int)
                and value < len(summary.calls)
            ):
                call = summary.calls[value]
                if len(call.func) >= 2 and (
                    call.func[-1] not in PURE_METHOD_NAMES or call.func[-1] in _PART_GETTERS
                ):
                    kind, value = "part", call.func[0]
                elif len(call.func) == 1 and call.func[0] in _PART_BUILTINS and call.args:
                    kind, value = "part", call.args[0]  # for r in sorted(rows)
            if kind in ("same", "part", "item") and isinstance(value, str) and _depth < 8:
                return rootmap(value, _depth + 1)
            return None
        return name

    return rootmap


def _changed_roots(summary: Summary) -> set[str]:
    """Names a function body may change objects through."""
    out = set(summary.stores | summary.deep_stores | summary.iterated | summary.nonlocal_writes)
    out.update(c for c, _ in summary.inserts)
    for call in summary.calls:
        if len(call.func) >= 2 and call.func[-1] not in PURE_METHOD_NAMES:
            out.add(call.func[0])
        out.update(r for r in call.args if r is not None)
    return out


def _keeps_cells(summary: Summary) -> bool:
    """A function defining closures over its own locals: its result may hold them."""
    return any(nested.reads & summary.locals for nested in summary.nested)


def given_keywords(call: CallSite) -> frozenset[str]:
    """Keywords a call passes a value other than a literal None."""
    none = {kw for kw, value in call.consts if value is None}
    return frozenset(kw for kw, _ in call.kwargs if kw != "**" and kw not in none)


def _method(cls: Summary, name: str) -> Summary | None:
    for m in cls.methods:
        if m.name == name:
            return m
    return None
