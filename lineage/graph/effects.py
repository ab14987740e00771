"""The effects interpreter: what reading, changing and calling do in one statement."""

from __future__ import annotations

import builtins
import functools
from typing import TYPE_CHECKING, Literal

from lineage._sentinel import Sentinel
from lineage.analysis.records import NO_NAMES, CallSite, Facts, Link
from lineage.analysis.specs import Effect, Specs, union_effects
from lineage.graph.library import LibraryEffects
from lineage.graph.notebook import NotebookCode, method_of
from lineage.graph.objects import ObjectModel
from lineage.graph.records import (
    CONTAINER_MODULES,
    MODULE_ATTRS,
    PLAIN_CONTAINERS,
    PURE_METHOD_NAMES,
    STAR_IMPORTS,
    STATE_HOLDERS,
    NodeId,
    StatementEffects,
    in_order,
)

if TYPE_CHECKING:
    from lineage.graph import SessionGraph

_BUILTIN_NAMES = frozenset(dir(builtins))
_SHARES_ARGS = Effect(returns="arg:*")  # a call no spec covers: its result may share its arguments


def _same_name(name: str) -> str:
    """The rootmap of a top-level statement's calls: names stand for themselves."""
    return name


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
        # the call being applied runs whenever its top-level statement runs
        self.sure = True
        self.notebook = NotebookCode(self)  # calls of notebook functions and classes
        self.library = LibraryEffects(self)  # calls the specs cover

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

    def gather(self, f: Facts, eff: StatementEffects) -> None:
        """What the statement begun last reads and changes, into ``eff``: its calls (in order),
        the notebook functions it defines and uses inline, the iterators it consumes, the names
        it reads and the objects it stores into."""
        if f.is_import:
            eff.pseudo_reads.add("state:sys.path")
        applied_names: set[str] = set()
        for i, call in enumerate(f.calls):
            self.top_call = call
            self._call_results[i] = self.call(call, eff, _same_name, applied_names)
            self.site_links[id(call)] = self._call_results[i]
        self.top_call = None
        for summary in f.inline_funcs:
            self.notebook.apply_summary(summary, eff, {}, self_root=None)
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
        precise = self.precise_slot_stores(f.slot_stores) if f.slot_stores else NO_NAMES
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
                outer, self.sure = self.sure, False
                try:
                    self.notebook.apply_summary(summary, eff, {}, self_root=None, callee=name)
                    # or what it returns (sorted(xs, key=make_key()) calls make_key's lambda)
                    self.notebook.apply_reachable(summary, eff, frozenset(), 0)
                finally:
                    self.sure = outer

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
        outer, self.sure = self.sure, self.sure and call.unconditional
        try:
            return self._call(call, eff, rootmap, applied_names)
        finally:
            self.sure = outer

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
                self.notebook.call_value(call.callee_root, eff, rootmap)  # make()(3), fs[0](x)
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
            return self.unknown_result(call, rootmap)
        self.library.apply_effect(effect, call, eff, rootmap, receiver=None)
        return self.library.result_link(effect, call, rootmap, receiver=None)

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
            return self.unknown_result(call, rootmap)
        applied_names.add(func[0])
        self.read(head, eff, apply_func=False)
        if summary.is_class:
            init = method_of(summary, "__init__")
            if init is not None:
                self.notebook.apply_summary(
                    init, eff, self.notebook.arg_map(init, call, rootmap, 1), None
                )
            return ("instance", summary)
        params = self.notebook.arg_map(summary, call, rootmap, 0)
        self.notebook.apply_summary(summary, eff, params, None, callee=head)
        return self.notebook.function_result(summary, call, rootmap)

    def call_method(self, head: str | None, call: CallSite, eff: StatementEffects, rootmap) -> Link:
        """A method call on a value: receiver root ``head``, method ``func[-1]``."""
        func = call.func
        method = func[-1]
        chain = call.receiver_chain or len(func) > 2
        if chain and head is not None and self.notebook.notebook_rooted(head):
            self.notebook.call_methods(
                method, call, eff, rootmap
            )  # Foo().bar(), Foo().new(1).bar(0)
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
        if not chain and self.notebook.class_call(head, method, call, eff, rootmap):
            return ("new", "")  # Foo.create(), Foo.helper(x): a method of the class object
        cls = self.notebook.notebook_class(head) if receiver_type is not None else None
        if cls is not None:
            summary = method_of(cls, method)
            if summary is not None:
                self.read(head, eff, apply_func=False)
                self.notebook.apply_summary(
                    summary, eff, self.notebook.arg_map(summary, call, rootmap, 1), head
                )
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
        self.library.apply_effect(effect, call, eff, rootmap, receiver=head, element=chain)
        if "self" in effect.mutates and (receiver_type or "").startswith(CONTAINER_MODULES):
            self.hold_args(head, call, rootmap)  # lst.append(x), d.setdefault(k, v), s.add(x)
        return self.library.result_link(effect, call, rootmap, receiver=head)

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
        self.library.apply_effect(effect, call, eff, rootmap, receiver=None)
        return self.library.result_link(effect, call, rootmap, receiver=None)

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
                self.library.may_write_object_state(state)

    def unknown_result(self, call: CallSite, rootmap) -> Link:
        """What a call no spec covers returns may share with any of its arguments (a view of
        an array, the argument itself, a wrapper holding it): when unsure, it may."""
        return self.library.result_link(_SHARES_ARGS, call, rootmap, receiver=None)

    def unknown_args(self, call: CallSite, eff: StatementEffects, rootmap) -> None:
        """A call no spec covers may change every argument it is passed."""
        for root in (*call.args, *(r for _, r in call.kwargs)):
            name = rootmap(root) if root is not None else None
            if name is not None:
                self.mutate(name, eff)

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
            cls = self.notebook.notebook_class(name)
            return cls is None or method_of(cls, "__next__") is not None
        if summary is not None:
            return False  # a function or a class
        return t is None or _iterator_type(self.g.specs, t)

    def item_link(self, root: str) -> Literal["new", "part"]:
        """``x = root[...]``: a part of root, unless root's type copies on indexing (specs)."""
        t = self.objects.type_of(root)
        effect = self.g.specs.method(t, "__getitem__") if t else None
        return "new" if effect is not None and effect.returns == "new" else "part"


_NEW_OBJECT = Sentinel("NEW_OBJECT")  # a computed receiver that is an object nobody else holds


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
