"""Calls of notebook code: what calling a notebook function, class or method does, read from
the summary the analysis made of it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

from lineage.analysis.records import CallSite, Facts, Link, Summary
from lineage.graph.records import (
    PURE_METHOD_NAMES,
    StatementEffects,
    in_order,
)

if TYPE_CHECKING:
    from lineage.graph.effects import Effects

# inside a function, what these return is a part of their receiver or first argument
_PART_GETTERS = frozenset(("get", "values", "items", "keys"))
_PART_BUILTINS = frozenset(
    "sorted reversed iter next min max enumerate filter list tuple set frozenset".split()
)


class NotebookCode:
    """What a call of notebook code reads and changes, from the summaries the analysis made of
    its functions and classes (keyed by their code objects at run time)."""

    def __init__(self, fx: Effects) -> None:
        self.fx = fx  # the interpreter this works for: reads, changes and calls go through it
        self.g = fx.g
        self.st = fx.st
        self.objects = fx.objects
        self._lazy_calls: dict[int, Summary] = {}  # generators made by this statement's calls

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
            self.fx.mutate(callee, eff)  # calling the closure changes the state it keeps
        self.function_state(summary, eff, params, callee)
        applied: set[str] = set()
        for call in summary.calls:
            self.fx.call(call, eff, rootmap, applied)
        called = {c.func[0] for c in summary.calls if len(c.func) == 1}
        outer, self.fx.sure = self.fx.sure, False
        try:
            for nested in summary.nested:
                # nested functions and lambdas may run during this call (closures returned to
                # the caller read their globals later, when they are called)
                if nested.deferred:
                    continue
                for call in nested.calls:
                    self.fx.call(call, eff, rootmap, applied)
                if nested.name == "<lambda>" or nested.name in called:
                    for name in in_order(nested.reads - local):
                        self.fx.read(name, eff)
        finally:
            self.fx.sure = outer
        for name in in_order(summary.reads):
            self.fx.read(name, eff, apply_func=name not in applied)
        for name in summary.global_binds:
            eff.binds_may.add(name)
            if self.fx.sure and name in summary.sure_globals:
                eff.binds_sure.add(name)  # bound on every path of a call that surely runs
            else:
                self.fx.read(name, eff, apply_func=False)
        for root in summary.iterated:
            self.fx.consume(rootmap(root), eff)
        for root in summary.stores:
            self.fx.mutate(rootmap(root), eff)
        for root in summary.deep_stores:
            self.fx.mutate(rootmap(root), eff, element=True)
        for container, held in summary.inserts:
            c, v = rootmap(container), rootmap(held)
            if c is not None and v is not None:
                self.objects.insert(c, v)
        for name, arg in params.items():
            if name.startswith("*") and arg is not None:
                self.fx.mutate(arg, eff)
        if callee is not None and summary.closure & _changed_roots(summary):
            self.fx.mutate(callee, eff, element=True)  # a closure changes the objects it holds

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
        m = method_of(cls, method)
        if m is None:
            return False
        skip = 1 if m.params and m.params[0] == "cls" else 0
        self.fx.read(head, eff, apply_func=False)
        self.apply_summary(m, eff, self.arg_map(m, call, rootmap, skip), head if skip else None)
        return True

    def call_methods(self, method: str, call: CallSite, eff: StatementEffects, rootmap) -> None:
        """A method called on a computed receiver made from notebook code (``Foo().bar()``):
        it may be that method of any notebook class."""
        outer, self.fx.sure = self.fx.sure, False
        try:
            for cls in self._classes():
                m = method_of(cls, method)
                if m is not None:
                    self.apply_summary(m, eff, self.arg_map(m, call, rootmap, 1), None)
        finally:
            self.fx.sure = outer

    def call_value(self, root: str, eff: StatementEffects, rootmap) -> None:
        """A function value computed from ``root`` is called (``make()(3)``, ``fs[0](x)``,
        ``obj.getter()(x)``): it may be any function that ``root``'s function or class defines,
        and it reads their globals now."""
        name = rootmap(root)
        if name is None or name not in self.st.binders or name in self.st.modules:
            return  # a builtin (getattr(c, "m")()) or a module: nothing notebook-made
        summary = self.objects.func_of(name)
        t = self.objects.type_of(name) or "builtins.function"
        outer, self.fx.sure = self.fx.sure, False
        try:
            if summary is not None and (t == "builtins.function" or t.startswith("__main__.")):
                self.apply_reachable(summary, eff, frozenset(), 0)
                return
            # taken out of a container (``fs[0](x)``, ``ops["add"](x)``): any notebook function
            for s in self._functions():
                self.apply_summary(s, eff, {}, None)
                self.apply_reachable(s, eff, frozenset(), 0)
        finally:
            self.fx.sure = outer

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

    def notebook_class(self, name: str) -> Summary | None:
        t = self.objects.type_of(name)
        if t is None or not t.startswith("__main__."):
            return None
        cls = self.objects.func_of(t.split(".", 1)[1])
        if cls is not None and cls.is_class:
            return cls
        loc = self.objects.loc(name)
        return self.st.loc_func.get(loc) if loc is not None else None


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


def method_of(cls: Summary, name: str) -> Summary | None:
    for m in cls.methods:
        if m.name == name:
            return m
    return None
