"""The scoped statement visitor, and summaries of notebook functions and classes.

It walks statements in execution order, tracking which names are surely bound on every path,
so that a read counts as a read of the outer binding only when nothing inside the statement
bound the name first.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Callable
from typing import Any

from lineage.analysis.expressions import (
    CONST_TYPES,
    DISPLAY_TYPES,
    dotted,
    flatten_targets,
    literal,
    literal_key,
    may_share,
    part_link,
    path_expr,
    root_name,
    value_link,
)
from lineage.analysis.records import CallSite, Link, PathExpr, Summary


class _Scope:
    """Facts gathered while walking one scope (a top-level statement or a function body)."""

    def __init__(self) -> None:
        self.reads: set[str] = set()
        self.bound: set[str] = set()  # names surely bound so far on this path
        self.binds: set[str] = set()  # every name bound anywhere
        self.dels: set[str] = set()
        self.stores: set[str] = set()
        self.deep_stores: set[str] = set()
        self.augs: set[str] = set()
        self.calls: list[CallSite] = []
        self.links: dict[str, Link] = {}
        self.consts: dict[str, PathExpr] = {}
        self.imports: dict[str, str] = {}
        self.literal_types: dict[str, str] = {}
        self.defs: dict[str, Summary] = {}
        self.inserts: list[tuple[str, str]] = []
        self.elements: set[str] = set()
        self.star_import = False
        self.call_index: dict[int, int] = {}  # id of a Call node -> its index in ``calls``
        self.inline: list[Summary] = []
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self.mentions_lineage = False
        self.iterated: set[str] = set()  # roots looped over or unpacked
        self.cond = 0  # > 0 inside a branch, loop, try, with or comprehension
        self.exited = False  # a return or raise was seen (later code may not run)
        self.sure_globals: set[str] = set()  # ``global`` names bound on every path
        self.generator = False  # a yield was seen
        self.walrus_or_lambda = 0  # ``:=`` and lambda nodes visited (see _comprehension)
        # element-level facts: names read or stored only through literal keys (``lst[0]``)
        self.slot_reads: dict[str, set[int | str]] = {}
        self.whole_reads: set[str] = set()
        self.slot_stores: list[tuple[str, int | str, bool]] = []
        self.whole_stores: set[str] = set()


_AT_NAME = re.compile(r"@([A-Za-z_]\w*)")
# operator and context nodes carry no names
_LEAVES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
_DISPATCH: dict[type, Callable[[_Visitor, Any], None]] = {}


class _Visitor(ast.NodeVisitor):
    """Walks statements in execution order, tracking which names are surely bound.

    A read counts as a read of the outer binding unless an earlier binding on every path inside
    the same statement shadows it. Function, lambda and class bodies get their own summaries.
    """

    def __init__(self, scope: _Scope, in_function: bool) -> None:
        self.s = scope
        self.in_function = in_function

    # -- dispatch: a type-keyed table instead of NodeVisitor's per-node getattr ------------------
    def visit(self, node: ast.AST) -> None:
        t = type(node)
        if t is ast.Name:
            self.visit_Name(node)  # type: ignore[arg-type]
        elif t is not ast.Constant:
            method = _DISPATCH.get(t)
            if method is None:
                method = _DISPATCH[t] = getattr(
                    _Visitor, "visit_" + t.__name__, _Visitor.generic_visit
                )
            method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        for name in node._fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
                self.visit(value)

    # the commonest expression nodes, visited as generic_visit would (same fields, same order)
    # without its per-field lookups: a tenth of the analysis of a call-heavy statement
    def visit_BinOp(self, node: ast.BinOp) -> None:
        self.visit(node.left)
        self.visit(node.right)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        self.visit(node.operand)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.visit(node.value)

    def visit_keyword(self, node: ast.keyword) -> None:
        self.visit(node.value)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        for value in node.values:
            self.visit(value)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        self.visit(node.value)
        if node.format_spec is not None:
            self.visit(node.format_spec)

    def visit_Tuple(self, node: ast.Tuple | ast.List | ast.Set) -> None:
        for elt in node.elts:
            self.visit(elt)

    visit_List = visit_Set = visit_Tuple

    def visit_Expr(self, node: ast.Expr) -> None:
        self.visit(node.value)

    # -- binding helpers ----------------------------------------------------------------------
    def _bind(self, name: str) -> None:
        self.s.bound.add(name)
        self.s.binds.add(name)
        s = self.s
        if s.globals and name in s.globals and not s.cond and not s.exited:
            s.sure_globals.add(name)

    def _bind_target(self, target: ast.AST) -> None:
        flat: list[ast.AST] = []
        flatten_targets(target, flat)
        for t in flat:
            if isinstance(t, ast.Name):
                self._bind(t.id)
            else:
                # x[i] = v / x.a = v: evaluates x (and the index), then changes what x holds
                self._visit_store_target(t, slot="set")

    def _visit_store_target(self, t: ast.AST, slot: str = "") -> None:
        """``slot``: "set" for ``x[k] = v``, "aug" for ``x[k] += v`` (a literal key may then
        change only that element); empty for ``del`` and the rest."""
        if isinstance(t, ast.Subscript):
            if slot and type(t.value) is ast.Name and self._slot_store(t.value.id, t, slot):
                return
            self.visit(t.value)
            self.visit(t.slice)
        elif isinstance(t, ast.Attribute):
            self.visit(t.value)
        else:
            self.visit(t)
            return
        root = root_name(t)
        if root is not None:
            # x[i] = v changes x itself; x[i][j] = v or x.a.b = v changes an element of x
            deep = not isinstance(t.value, ast.Name)
            (self.s.deep_stores if deep else self.s.stores).add(root)
            self.s.whole_stores.add(root)

    def _slot_store(self, name: str, t: ast.Subscript, slot: str) -> bool:
        """``name[<literal>] = v``: record the element written; False when the key is not a
        literal int or str."""
        ok, key = literal_key(t.slice)
        if not ok:
            return False
        if name not in self.s.bound:
            self.s.reads.add(name)  # the object is read (it must exist), not its elements
            self.s.slot_reads.setdefault(name, set())
        self.s.stores.add(name)
        self.s.slot_stores.append((name, key, slot == "aug"))  # type: ignore[arg-type]
        return True

    def visit_Subscript(self, node: ast.Subscript) -> None:
        value = node.value
        if type(value) is ast.Name and type(node.ctx) is ast.Load and value.id != "lineage":
            ok, key = literal_key(node.slice)
            if ok:  # lst[0], d["k"]: a read of one element
                if value.id not in self.s.bound:
                    self.s.reads.add(value.id)
                    self.s.slot_reads.setdefault(value.id, set()).add(key)  # type: ignore[arg-type]
                return
        self.generic_visit(node)

    # -- names ----------------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if node.id not in self.s.bound:
                self.s.reads.add(node.id)
                self.s.whole_reads.add(node.id)
            if node.id == "lineage":
                self.s.mentions_lineage = True
        elif isinstance(node.ctx, ast.Store):
            self._bind(node.id)
        else:  # Del
            self.s.dels.add(node.id)
            self.s.bound.discard(node.id)

    def visit_Global(self, node: ast.Global) -> None:
        self.s.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.s.nonlocals.update(node.names)

    # -- simple statements ----------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        target = node.targets[0]
        if (
            isinstance(node.value, ast.GeneratorExp)
            and len(node.targets) == 1
            and isinstance(target, ast.Name)
            and not self.in_function  # a function's local generator runs during its call
        ):
            self._lazy_generator(target.id, node.value)
            return
        if isinstance(target, (ast.Tuple, ast.List)) and not isinstance(
            node.value, (ast.Tuple, ast.List)
        ):
            self._iterates(node.value)  # a, b = it: unpacking consumes an iterator
        if (
            isinstance(node.value, ast.Lambda)
            and len(node.targets) == 1
            and isinstance(target, ast.Name)
        ):
            # ``f = lambda ...`` defines a function: its free names are read when it is called
            for default in node.value.args.defaults + [d for d in node.value.args.kw_defaults if d]:
                self.visit(default)
            self.s.defs[target.id] = summarize_function(node.value, target.id)
            self.s.links[target.id] = ("new", "")
            self._bind(target.id)
            return
        self.visit(node.value)
        value_root = root_name(node.value) if may_share(node.value) else None
        first = node.targets[0]
        for i, target in enumerate(node.targets):
            if i and isinstance(target, ast.Name) and isinstance(first, ast.Name):
                self.s.links[target.id] = ("sibling", first.id)  # x = y = []: one object
            else:
                self._record_links(target, node.value)
            self._bind_target(target)
            if value_root is not None and isinstance(target, (ast.Subscript, ast.Attribute)):
                container = root_name(target)
                if container is not None:
                    self.s.inserts.append((container, value_root))

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._record_links(node.target, node.value)
            self._bind_target(node.target)
        if not self.in_function:
            self.visit(node.annotation)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        target = node.target
        if isinstance(target, ast.Name):
            if target.id not in self.s.bound:
                self.s.reads.add(target.id)
            self.s.augs.add(target.id)
            self._bind(target.id)
        else:
            self._visit_store_target(target, slot="aug")
            root = root_name(target)
            if root is not None:
                # x[k] += v changes the old x[k] in place first when it is mutable
                self.s.deep_stores.add(root)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.s.walrus_or_lambda += 1
        self.visit(node.value)
        self._record_links(node.target, node.value)
        self._bind(node.target.id)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.s.dels.add(target.id)
                self.s.bound.discard(target.id)
            else:
                self._visit_store_target(target)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.s.imports[alias.asname] = alias.name
                self._bind(alias.asname)
            else:
                top = alias.name.split(".")[0]
                self.s.imports[top] = top
                self._bind(top)
            if alias.name.split(".")[0] == "lineage":
                self.s.mentions_lineage = True

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = ("." * node.level) + (node.module or "")
        if (node.module or "").split(".")[0] == "lineage":
            self.s.mentions_lineage = True
        for alias in node.names:
            if alias.name == "*":
                self.s.star_import = True
                continue
            name = alias.asname or alias.name
            self.s.imports[name] = f"{module}.{alias.name}"
            self._bind(name)

    # -- calls ------------------------------------------------------------------------------------
    def _query_reads(self, node: ast.Call) -> None:
        """``df.query("x > @limit")`` (or ``eval``) reads ``limit``."""
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in ("query", "eval")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            for name in _AT_NAME.findall(node.args[0].value):
                if name not in self.s.bound:
                    self.s.reads.add(name)

    def visit_Call(self, node: ast.Call) -> None:
        callee, args, keywords = node.func, node.args, node.keywords
        callee_type = type(callee)
        if callee_type is ast.Attribute and callee.attr in ("query", "eval"):  # type: ignore[attr-defined]
            self._query_reads(node)
        self.visit(callee)
        for arg in args:
            self.visit(arg)
        for kw in keywords:
            self.visit(kw.value)
        func = dotted(callee)
        receiver_chain = callee_type is ast.Attribute and type(callee.value) is not ast.Name  # type: ignore[attr-defined]
        computed = False
        receiver = receiver_path = None
        if receiver_chain:
            receiver = self._link_of(callee.value)  # type: ignore[attr-defined]
            receiver_path = path_expr(callee.value)  # type: ignore[attr-defined]
        if not func and callee_type is ast.Attribute:
            # method of a computed receiver: df.dropna().fillna(...), d["k"].append(x)
            root = root_name(callee.value)  # type: ignore[attr-defined]
            if root is None and receiver_path is not None:
                root = "<path>"  # (folder / "a.txt").write_text(...): a new path object
            if root is not None:
                func = (root, callee.attr)  # type: ignore[attr-defined]
                receiver_chain = computed = True
        arg_calls: tuple[CallSite | None, ...] = ()
        for a in args:
            if type(a) is ast.Call:  # next(iter(g)): the argument's own call site
                arg_calls = tuple([self._site_of(x) for x in args])
                break
        self.s.call_index[id(node)] = len(self.s.calls)
        self.s.calls.append(
            CallSite(
                arg_calls=arg_calls,
                func=func,
                args=tuple([root_name(a) for a in args]),
                kwargs=tuple([(kw.arg or "**", root_name(kw.value)) for kw in keywords]),
                paths=tuple([path_expr(a) for a in args]),
                kwpaths=_keyword_paths(keywords) if keywords else (),
                consts=_literal_keywords(node) if keywords else (),
                starred=any([type(a) is ast.Starred for a in args])
                or any([kw.arg is None for kw in keywords]),
                receiver_chain=receiver_chain,
                computed=computed,
                receiver=receiver,
                receiver_path=receiver_path,
                callee_root=None if func else root_name(callee),
                unconditional=not self.s.cond,
            )
        )

    # -- hidden state: iterators consumed, generators run lazily, exits ----------------------------
    def _iterates(self, node: ast.AST) -> None:
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            root = root_name(node)
            if root is not None:
                self.s.iterated.add(root)

    def visit_Starred(self, node: ast.Starred) -> None:
        if isinstance(node.ctx, ast.Load):
            self._iterates(node.value)  # f(*it), [*it]
        self.visit(node.value)

    def visit_Compare(self, node: ast.Compare) -> None:
        self.generic_visit(node)
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                self._iterates(right)  # x in it: consumes up to the first match

    def visit_Return(self, node: ast.Return) -> None:
        if isinstance(node.value, ast.Lambda):
            # a returned lambda runs when the caller calls it: its free names are read then
            lam = node.value
            for default in lam.args.defaults + [d for d in lam.args.kw_defaults if d]:
                self.visit(default)
            summary = summarize_function(lam, "<lambda>")
            self.s.inline.append(dataclasses.replace(summary, deferred=True))
        elif node.value is not None:
            self.visit(node.value)
        self.s.exited = True

    def visit_Raise(self, node: ast.Raise) -> None:
        self.generic_visit(node)
        self.s.exited = True

    def visit_Yield(self, node: ast.Yield) -> None:
        self.s.generator = True
        if node.value is not None:
            self.visit(node.value)

    def visit_YieldFrom(self, node: ast.YieldFrom) -> None:
        self.s.generator = True
        self.visit(node.value)
        self._iterates(node.value)

    def _lazy_generator(self, name: str, node: ast.GeneratorExp) -> None:
        """``gen = (f(x) for x in xs)``: only ``xs`` is evaluated now; the rest runs when the
        generator is drained, reading the globals live then. It holds ``xs`` (not a copy of
        it): a later change of ``xs`` shows in what it yields."""
        self.visit(node.generators[0].iter)
        self.s.defs[name] = summarize_genexp(node)
        root = root_name(node.generators[0].iter)
        self.s.links[name] = ("holds", (root,)) if root is not None else ("new", "")
        self.s.literal_types[name] = "builtins.generator"
        self._bind(name)

    def _site_of(self, node: ast.AST) -> CallSite | None:
        i = self.s.call_index.get(id(node)) if type(node) is ast.Call else None
        return self.s.calls[i] if i is not None else None

    # -- control flow: bindings inside branches are "may" bindings --------------------------------
    def _branch(self, body: list[ast.stmt]) -> set[str]:
        before = set(self.s.bound)
        self.s.cond += 1
        for stmt in body:
            self.visit(stmt)
        self.s.cond -= 1
        after = self.s.bound
        self.s.bound = before
        return after

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        then = self._branch(node.body)
        other = self._branch(node.orelse)
        self.s.bound |= then & other

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.visit(node.test)
        before = set(self.s.bound)
        self.s.cond += 1
        self.visit(node.body)
        self.s.bound = set(before)
        self.visit(node.orelse)
        self.s.cond -= 1
        self.s.bound = before

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self.visit(node.values[0])
        before = set(self.s.bound)
        self.s.cond += 1
        for value in node.values[1:]:
            self.visit(value)
        self.s.cond -= 1
        self.s.bound = before

    def _loop(self, target: ast.AST | None, body: list[ast.stmt], orelse: list[ast.stmt]) -> None:
        before = set(self.s.bound)
        self.s.cond += 1
        if target is not None:
            self._bind_target(target)
        for stmt in body:
            self.visit(stmt)
        self.s.bound = set(before)
        for stmt in orelse:
            self.visit(stmt)
        self.s.cond -= 1
        self.s.bound = before

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self._iterates(node.iter)
        self._element_links(node.target, node.iter)
        self._loop(node.target, node.body, node.orelse)

    def _element_links(self, target: ast.AST, iterable: ast.AST) -> None:
        """Loop and comprehension variables hold elements of what they iterate."""
        kind, value = _element_of(self._link_of(iterable))
        flat: list[ast.AST] = []
        flatten_targets(target, flat)
        for t in flat:
            if isinstance(t, ast.Name):
                self.s.links[t.id] = (kind, value)
                self.s.elements.add(t.id)

    visit_AsyncFor = visit_For  # type: ignore[assignment]

    def visit_While(self, node: ast.While) -> None:
        self.visit(node.test)
        self._loop(None, node.body, node.orelse)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            target = item.optional_vars
            if isinstance(target, ast.Name):
                # ``as`` binds what the manager's __enter__ returns: the manager itself
                # (open), its argument (nullcontext, closing) or a part of either (a
                # @contextmanager yielding x[0]): a part of the manager, or of what it holds
                self.s.links[target.id] = part_link(self._link_of(item.context_expr))
            elif target is not None:
                self._record_links(target, item.context_expr)
            if target is not None:
                self._bind_target(target)
        if any(_may_suppress(item.context_expr) for item in node.items):
            # __exit__ may swallow an exception raised in the body (contextlib.suppress): what
            # the body binds after that point was not bound, so its bindings are "may" ones
            self._branch(node.body)
            return
        self.s.cond += 1
        for stmt in node.body:
            self.visit(stmt)
        self.s.cond -= 1

    visit_AsyncWith = visit_With  # type: ignore[assignment]

    def visit_Try(self, node: ast.Try) -> None:
        self.s.cond += 1
        self._try(node)
        self.s.cond -= 1

    def _try(self, node: ast.Try) -> None:
        before = set(self.s.bound)
        body = self._branch(node.body)
        self.s.bound = set(before)
        for handler in node.handlers:
            if handler.type is not None:
                self.visit(handler.type)
            inner = set(before)
            self.s.bound = inner
            if handler.name:
                self._bind(handler.name)
            for stmt in handler.body:
                self.visit(stmt)
            self.s.bound = set(before)
        if node.orelse:
            self.s.bound = set(body)
            for stmt in node.orelse:
                self.visit(stmt)
        self.s.bound = set(before)
        for stmt in node.finalbody:
            self.visit(stmt)

    visit_TryStar = visit_Try

    def visit_Match(self, node: ast.Match) -> None:
        self.visit(node.subject)
        before = set(self.s.bound)
        self.s.cond += 1
        for case in node.cases:
            self.s.bound = set(before)
            self.visit(case.pattern)
            if case.guard is not None:
                self.visit(case.guard)
            for stmt in case.body:
                self.visit(stmt)
        self.s.cond -= 1
        self.s.bound = before

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self._bind(node.name)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.generic_visit(node)
        if node.rest:
            self._bind(node.rest)

    # -- nested scopes ----------------------------------------------------------------------------
    def _comprehension(self, node: ast.AST, elts: list[ast.AST]) -> None:
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        seen = self.s.walrus_or_lambda
        before = set(self.s.bound)
        binds_before = set(self.s.binds)
        self.visit(gens[0].iter)
        self.s.cond += 1
        for i, gen in enumerate(gens):
            self._iterates(gen.iter)
            if i:
                self.visit(gen.iter)
            self._element_links(gen.target, gen.iter)
            flat: list[ast.AST] = []
            flatten_targets(gen.target, flat)
            for t in flat:
                if isinstance(t, ast.Name):
                    self.s.bound.add(t.id)
                else:
                    self.visit(t)
            for cond in gen.ifs:
                self.visit(cond)
        for elt in elts:
            self.visit(elt)
        self.s.cond -= 1
        # comprehension variables are local to the comprehension; walrus targets leak out
        # (found by a walk only when a walrus or a lambda, which may hold one, was visited)
        walrus: set[str] = set()
        if self.s.walrus_or_lambda != seen:
            walrus = {n.target.id for n in ast.walk(node) if isinstance(n, ast.NamedExpr)}
        self.s.bound = before | (walrus & self.s.bound)
        self.s.binds = binds_before | walrus

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_ListComp  # type: ignore[assignment]
    visit_GeneratorExp = visit_ListComp  # type: ignore[assignment]

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, [node.key, node.value])

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.s.walrus_or_lambda += 1
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(default)
        summary = summarize_function(node, "<lambda>")
        self.s.inline.append(summary)
        self.s.reads |= summary.reads - self.s.bound

    def _decorators_and_defaults(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for dec in node.decorator_list:
            self.visit(dec)
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(default)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._decorators_and_defaults(node)
        summary = summarize_function(node, node.name)
        # a nested def reads its free names when it is called, not when it is defined
        self.s.defs[node.name] = summary
        self._bind(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for dec in node.decorator_list:
            self.visit(dec)
        for base in node.bases:
            self.visit(base)
        for kw in node.keywords:
            self.visit(kw.value)
        summary = summarize_class(node)
        # the class body runs now: what it reads at top level is read by this statement
        self.s.reads |= summary.reads - self.s.bound
        self.s.defs[node.name] = summary
        self._bind(node.name)

    # -- links: how a bound name relates to existing objects ---------------------------------------
    def _record_links(self, target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                for t, v in zip(target.elts, value.elts, strict=True):
                    self._record_links(t, v)
                return
            flat: list[ast.AST] = []
            flatten_targets(target, flat)
            link = _element_of(self._link_of(value))
            for flat_target in flat:
                if isinstance(flat_target, ast.Name):
                    self.s.links[flat_target.id] = link
            return
        if isinstance(target, ast.Starred):
            target = target.value
        if not isinstance(target, ast.Name):
            return
        self.s.links[target.id] = self._link_of(value)
        pexpr = path_expr(value)
        if pexpr is not None and pexpr[0] != "name":
            self.s.consts[target.id] = pexpr
        display = DISPLAY_TYPES.get(type(value))
        if display is None and isinstance(value, ast.Constant):
            display = CONST_TYPES.get(type(value.value))
        if display is not None:
            self.s.literal_types[target.id] = display

    def _link_of(self, value: ast.AST) -> Link:
        return value_link(value, self._call_link)

    def _call_link(self, call: ast.Call) -> Link:
        return ("call", self.s.call_index.get(id(call), len(self.s.calls) - 1))


def _keyword_paths(keywords: list[ast.keyword]) -> tuple[tuple[str, PathExpr], ...]:
    """The keyword arguments that are path-like expressions, with those expressions."""
    return tuple(
        (kw.arg, p)
        for kw in keywords
        if kw.arg is not None and (p := path_expr(kw.value)) is not None
    )


def _literal_keywords(node: ast.Call) -> tuple[tuple[str, object], ...]:
    """The keyword arguments given as literals (``inplace=True``), with their values."""
    consts = []
    for kw in node.keywords:
        if kw.arg is not None:
            ok, value = literal(kw.value)
            if ok:
                consts.append((kw.arg, value))
    return tuple(consts)


def _element_of(link: Link) -> Link:
    """The link of an element of a value linked by ``link`` (unpacking, iterating): a part of
    the object, or of one of the objects a display or copy holds."""
    kind, value = link
    if kind in ("same", "item"):
        return ("part", value)
    if kind in ("holds", "copy", "concat"):
        return ("parts", value)
    if kind == "call":
        return ("callpart", value)  # for r in sorted(rows): an element of what sorted returned
    return link


def scope_facts(body: list[ast.stmt], in_function: bool) -> _Scope:
    scope = _Scope()
    visitor = _Visitor(scope, in_function)
    for stmt in body:
        visitor.visit(stmt)
    return scope


def _params(args: ast.arguments) -> tuple[tuple[str, ...], tuple[str, ...]]:
    positional = tuple(a.arg for a in args.posonlyargs + args.args)
    kwonly = tuple(a.arg for a in args.kwonlyargs)
    extra = tuple(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    return positional, kwonly + extra


def summarize_function(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, name: str
) -> Summary:
    positional, kwonly = _params(node.args)
    body: list[ast.stmt] = node.body if isinstance(node.body, list) else [ast.Return(node.body)]
    scope = _Scope()
    scope.bound.update(positional + kwonly)
    visitor = _Visitor(scope, in_function=True)
    for stmt in body:
        visitor.visit(stmt)
    declared_global = scope.globals
    local = (set(positional) | set(kwonly) | scope.binds | scope.dels) - declared_global
    local -= scope.nonlocals
    # every name read that is not local is read from the notebook's globals at call time
    # (names bound by enclosing functions are resolved by the caller of the closure's maker)
    reads = {n for n in scope.reads if n not in local} | (scope.augs & declared_global)
    return Summary(
        name=name,
        lineno=node.lineno,
        params=positional,
        kwonly=kwonly,
        reads=frozenset(reads),
        global_binds=frozenset((scope.binds | scope.augs | scope.dels) & declared_global),
        stores=frozenset(scope.stores),
        calls=tuple(scope.calls),
        locals=frozenset(local),
        nested=tuple(scope.defs.values()) + tuple(scope.inline),
        links=scope.links,
        inserts=tuple(scope.inserts),
        deep_stores=frozenset(scope.deep_stores),
        nonlocal_writes=frozenset((scope.binds | scope.augs) & scope.nonlocals),
        default_state=_default_state(node.args, scope),
        wrapped=_wrapped(node),
        generator=scope.generator,
        sure_globals=frozenset()
        if scope.generator
        else frozenset((scope.sure_globals & declared_global) - scope.dels),
        iterated=frozenset(scope.iterated),
    )


def summarize_genexp(node: ast.GeneratorExp) -> Summary:
    """A generator expression as the function it is: its first iterable is its argument."""
    first = node.generators[0]
    source = ast.Name(id=".0", ctx=ast.Load())
    inner = ast.GeneratorExp(
        elt=node.elt,
        generators=[
            ast.comprehension(target=first.target, iter=source, ifs=first.ifs, is_async=0),
            *node.generators[1:],
        ],
    )
    args = ast.arguments(
        posonlyargs=[], args=[ast.arg(arg=".0")], vararg=None, kwonlyargs=[], kw_defaults=[],
        kwarg=None, defaults=[],
    )  # fmt: skip
    lam = ast.Lambda(args=args, body=inner)
    lam.lineno = node.lineno
    return dataclasses.replace(summarize_function(lam, "<genexpr>"), generator=True)


# decorators that keep no state between calls of the function they decorate
_STATELESS_DECORATORS = frozenset(
    "staticmethod classmethod property setter getter deleter abstractmethod wraps overload "
    "override final contextmanager asynccontextmanager".split()
)


def _wrapped(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> bool:
    """Decorated by something that may keep state between calls (``functools.lru_cache``)."""
    for dec in getattr(node, "decorator_list", ()):
        name = dotted(dec.func if isinstance(dec, ast.Call) else dec)
        if not name or name[-1] not in _STATELESS_DECORATORS:
            return True
    return False


def _immutable_default(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple):
        return all(_immutable_default(e) for e in node.elts)
    return False


def _default_state(args: ast.arguments, scope: _Scope) -> frozenset[str]:
    """Parameters whose default may be a mutable object the body may change: the function
    object keeps it between calls (``def f(x, acc=[]): acc.append(x)``)."""
    positional = args.posonlyargs + args.args
    pairs = list(
        zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
    )
    pairs += [
        (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
    ]
    mutable = {a.arg for a, d in pairs if not _immutable_default(d)}
    if not mutable:
        return frozenset()
    touched = scope.stores | scope.deep_stores | scope.augs | scope.iterated
    touched |= {c for c, _ in scope.inserts}
    for call in scope.calls:
        if len(call.func) >= 2:
            touched.add(call.func[0])
        touched.update(r for r in call.args if r is not None)
        touched.update(r for _, r in call.kwargs if r is not None)
    return frozenset(mutable & touched)


def summarize_class(node: ast.ClassDef) -> Summary:
    methods: list[Summary] = []
    class_body: list[ast.stmt] = []
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            methods.append(summarize_function(stmt, stmt.name))
            class_body.extend(_decorator_stmts(stmt))
        else:
            class_body.append(stmt)
    scope = scope_facts(class_body, in_function=True)
    return Summary(
        name=node.name,
        lineno=node.lineno,
        params=(),
        kwonly=(),
        reads=frozenset(scope.reads - scope.binds),
        global_binds=frozenset(),
        stores=frozenset(),
        calls=tuple(scope.calls),
        locals=frozenset(scope.binds),
        nested=tuple(methods),
        methods=tuple(methods),
        is_class=True,
        bases=tuple(".".join(dotted(b)) for b in node.bases if dotted(b)),
    )


def _decorator_stmts(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    exprs = list(node.decorator_list) + list(node.args.defaults)
    exprs += [d for d in node.args.kw_defaults if d is not None]
    return [ast.Expr(e) for e in exprs]


# context managers known never to swallow an exception raised in their body (their __exit__
# returns a false value): called by these names, a ``with`` body's bindings are sure ones
_NON_SUPPRESSING = frozenset(
    "open closing nullcontext redirect_stdout redirect_stderr chdir catch_warnings errstate "
    "no_grad enable_grad inference_mode option_context rc_context context TemporaryDirectory "
    "NamedTemporaryFile TemporaryFile SpooledTemporaryFile Lock RLock Pool ThreadPoolExecutor "
    "ProcessPoolExecutor localcontext timer".split()
)


def _may_suppress(expr: ast.expr) -> bool:
    """A ``with`` item whose context manager may swallow an exception from the body: anything
    but a call of a manager known not to (``open(...)``, ``np.errstate(...)``). When unsure,
    it may (its body's bindings are then "may" bindings, which only keep earlier ones)."""
    if not isinstance(expr, ast.Call):
        return True
    func = expr.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name not in _NON_SUPPRESSING
