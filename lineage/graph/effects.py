"""What reading, changing and calling do: specs, notebook function summaries, files."""

from __future__ import annotations

import builtins
import os

from lineage.analysis.records import CallSite, PathExpr, Summary
from lineage.analysis.specs import Effect, FileEffect, mode_op, union_effects
from lineage.graph.objects import Objects
from lineage.graph.records import (
    CONTAINER_MODULES,
    CWD,
    PLAIN_CONTAINERS,
    PURE_METHOD_NAMES,
    STAR_IMPORTS,
    STATE_HOLDERS,
    WILDCARD_FILE,
    StatementEffects,
)

_BUILTIN_NAMES = frozenset(dir(builtins))
# inside a function, what these return is a part of their receiver or first argument
_PART_GETTERS = frozenset(("get", "values", "items", "keys"))
_PART_BUILTINS = frozenset(
    "sorted reversed iter next min max enumerate filter list tuple set frozenset".split()
)


class Effects(Objects):
    """Gathers one statement's effects into a :class:`StatementEffects`."""

    def read(self, name: str, eff: StatementEffects, apply_func: bool = True) -> None:
        st = self.st
        if name in self._elements:
            # a loop variable inside its loop: an element of the iterable, read through it
            for source, _ in self.link_sources(name):
                if source != name:
                    self.read(source, eff, apply_func)
            return
        binders = st.binders.get(name)
        if binders:
            eff.deps.update(binders)
        elif STAR_IMPORTS in st.writers and name not in _BUILTIN_NAMES:
            eff.deps.update(st.writers[STAR_IMPORTS])  # perhaps bound by ``from m import *``
        loc = self.loc(name)
        if loc is None:
            return
        eff.deps.update(self.whole_writers(loc) if st.slots else st.writers.get(loc, ()))
        if st.elements_of:
            for src in self.element_sources(loc):  # a copy's elements changed through the original
                eff.deps.update(st.deep_writers.get(src, ()))
        if apply_func:
            summary = st.loc_func.get(loc)
            if summary is not None:
                # a notebook function passed along may be called by whoever receives it
                self.apply_summary(summary, eff, {}, self_root=None)

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
            return
        inside = name in self._elements
        for source, kind in self.link_sources(name):
            if source in _seen or (kind in ("copy", "holds") and not (element or inside)):
                continue  # a copy's or a display's own changes leave what it holds alone
            self.mutate(source, eff, element or inside or kind != "same", _seen | {name})
        if inside:
            return  # a loop variable inside its loop holds an element, not its earlier value
        loc = self.loc(name)
        if loc is None or self.immutable(name):
            return
        self.read(name, eff, apply_func=False)
        sources = self.element_sources(loc) if element and self.st.elements_of else ()
        eff.mutated.update(sources or (loc,))
        if element:
            eff.deep.update(sources or (loc,))
            if self.st.holds:
                # through one of its elements: whichever object it holds may be the one changed
                for held in sources or (loc,):
                    inner = self.contents_of(held)
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
    ) -> tuple[str, object]:
        """Apply a call's effects; return how its result relates to existing objects."""
        func = call.func
        if not func:
            self.unknown_call(call, eff, rootmap)
            return ("new", "")
        head = rootmap(func[0])
        qual = None if call.computed else self.qualify(func, head)
        if qual is not None:
            effect = self.g.specs.function(qual)
            if effect is None and qual.startswith(STATE_HOLDERS):
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
        chain = call.receiver_chain or len(func) > 2
        receiver_type = None if chain else self.type_of(head)
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

    def hold_args(self, receiver: str, call: CallSite, rootmap) -> None:
        for root in (*call.args, *(r for _, r in call.kwargs)):
            name = rootmap(root) if root is not None else None
            if name is not None and name != receiver:
                self.insert(receiver, name)

    def chain_effect(self, head: str, method: str) -> Effect | None:
        """A method called on something reached from ``head`` (``df["a"].mean()``), whose type
        is not known: what every type the specs list for that method agrees on, else what the
        root's own type says."""
        if method in PURE_METHOD_NAMES:
            return Effect(returns="part")
        effects = [e for e in self.g.specs.method_everywhere(method) if not e.unknown]
        if effects:
            return union_effects(effects)  # sound for whichever of those types it has
        root_type = self.type_of(head)
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

    def unknown_args(
        self, call: CallSite, eff: StatementEffects, rootmap, only_specs: bool = False
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
                plain = receiver is not None and self.type_of(receiver) in PLAIN_CONTAINERS
                self.mutate(receiver, eff, element=element, shallow=plain)
            else:
                self.mutate(self._arg_root(call, target, rootmap), eff)
        for root in [*call.args, *(r for _, r in call.kwargs)]:
            name = rootmap(root) if root is not None else None
            if name is not None:
                self.read(name, eff)
        if not self._seeded(effect, call, receiver):
            eff.pseudo_reads.update(effect.reads)
            eff.pseudo_writes.update(effect.writes)
        if receiver is not None and "self" in effect.mutates:
            self.configure(receiver, call)  # est.set_params(random_state=0)
        for fe in effect.files:
            self.file_effect(fe, call, eff, rootmap, receiver)

    def _seeded(self, effect: Effect, call: CallSite, receiver: str | None) -> bool:
        """The call, or the making of its receiver, gave the effect's seed keyword a value."""
        kw = effect.seeded_by
        if kw is None:
            return False
        if kw in given_keywords(call):
            return True
        loc = self.loc(receiver) if receiver is not None else None
        return loc is not None and kw in self.st.configured.get(loc, frozenset())

    def configure(self, name: str, call: CallSite) -> None:
        """Record the keywords a call gave ``name``'s object (a literal None takes one back)."""
        loc = self.loc(name)
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
            pexpr = ("name", receiver) if receiver else None
        else:
            if isinstance(fe.path, int) and fe.path < len(call.paths):
                pexpr = call.paths[fe.path]
            if pexpr is None and fe.path_kw is not None:
                pexpr = dict(call.kwpaths).get(fe.path_kw)
            if pexpr is not None and pexpr[0] == "name" and rootmap(pexpr[1]) is None:
                pexpr = None
        text = self.fold_text(pexpr) if pexpr is not None else None
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
                return ("copy", self.arg_names(call, rootmap, None))
            names = self.arg_names(call, rootmap, int(which) if which.isdigit() else which)
            return ("copy", names) if names else ("new", "")
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

    def arg_names(self, call: CallSite, rootmap, which: int | str | None) -> tuple[str, ...]:
        """The names an argument's value may be (a part of): its root, or for an argument that
        is itself a call (``next(iter(g))``) what that call's result links to; ``which``: a
        position or keyword, None for every argument."""
        out: list[str] = []
        positions = range(len(call.args)) if which is None else (which,)
        for i in positions:
            nested = call.arg_calls[i] if isinstance(i, int) and i < len(call.arg_calls) else None
            link = self._site_links.get(id(nested)) if nested is not None else None
            if link is not None and link[0] not in ("new", "instance"):
                value = link[1]
                out.extend((value,) if isinstance(value, str) else value)  # type: ignore[arg-type]
                continue
            root = self._arg_root(call, i, rootmap)
            if root is not None:
                out.append(root)
        if which is None:
            out.extend(n for _, r in call.kwargs if r and (n := rootmap(r)) is not None)
        return tuple(out)

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


def given_keywords(call: CallSite) -> frozenset[str]:
    """Keywords a call passes a value other than a literal None."""
    none = {kw for kw, value in call.consts if value is None}
    return frozenset(kw for kw, _ in call.kwargs if kw != "**" and kw not in none)


def _method(cls: Summary, name: str) -> Summary | None:
    for m in cls.methods:
        if m.name == name:
            return m
    return None
