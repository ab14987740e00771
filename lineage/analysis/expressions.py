"""Small facts about expressions: roots, dotted names, path-like constants, links."""

from __future__ import annotations

import ast
from collections.abc import Callable

from lineage.analysis.records import Link, PathExpr

DISPLAY_TYPES: dict[type[ast.AST], str] = {
    ast.List: "builtins.list",
    ast.ListComp: "builtins.list",
    ast.Dict: "builtins.dict",
    ast.DictComp: "builtins.dict",
    ast.Set: "builtins.set",
    ast.SetComp: "builtins.set",
    ast.Tuple: "builtins.tuple",
    ast.JoinedStr: "builtins.str",
    ast.GeneratorExp: "builtins.generator",
}
CONST_TYPES = {
    int: "builtins.int",
    float: "builtins.float",
    str: "builtins.str",
    bytes: "builtins.bytes",
    bool: "builtins.bool",
    complex: "builtins.complex",
    type(None): "builtins.NoneType",
}


def root_name(node: ast.AST) -> str | None:
    """The name an attribute/subscript/call chain hangs from, if any."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return None


def dotted(node: ast.AST) -> tuple[str, ...]:
    """``a.b.c`` -> ("a", "b", "c"); () when the node is not a plain dotted name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return tuple(reversed(parts))
    return ()


def path_expr(node: ast.AST | None) -> PathExpr | None:
    """A path-like expression we may fold to a constant later, or None."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return ("lit", node.value)
    if isinstance(node, ast.Name):
        return ("name", node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Add)):
        right = path_expr(node.right)  # often a number (``x + 1``): no need to look left
        if right is None:
            return None
        left = path_expr(node.left)
        if left is None:
            return None
        return ("join" if isinstance(node.op, ast.Div) else "cat", left, right)
    if isinstance(node, ast.JoinedStr):
        parts: list[PathExpr] = []
        for value in node.values:
            inner = value.value if isinstance(value, ast.FormattedValue) else value
            if isinstance(value, ast.FormattedValue) and (
                value.format_spec or value.conversion != -1
            ):
                return None
            part = path_expr(inner)
            if part is None:
                return None
            parts.append(part)
        return ("cat", *parts)
    if isinstance(node, ast.Call) and not node.keywords:
        callee = dotted(node.func)
        if callee and callee[-1] in ("Path", "PurePath", "PosixPath", "join") and node.args:
            folded = [path_expr(a) for a in node.args]
            known = [p for p in folded if p is not None]
            if len(known) != len(folded):
                return None
            return ("join", *known) if len(known) > 1 else known[0]
        if (
            callee
            and callee[-1] in ("resolve", "absolute", "expanduser")
            and isinstance(node.func, ast.Attribute)
        ):
            return path_expr(node.func.value)
    return None


def may_share(node: ast.AST) -> bool:
    """An expression whose value may be (part of) an existing object: a name, an attribute or
    an item of one, possibly starred."""
    if isinstance(node, ast.Starred):
        node = node.value
    return isinstance(node, (ast.Name, ast.Attribute, ast.Subscript))


def display_link(value: ast.List | ast.Tuple | ast.Set | ast.Dict) -> Link:
    """A display holds its elements: changing one of them changes the container, changing the
    container itself does not change them."""
    roots: list[str] = []
    _held_roots(value, roots)
    return ("holds", tuple(roots)) if roots else ("new", "")


def _held_roots(value: ast.AST, out: list[str]) -> None:
    """Roots of the objects a display holds, nested displays included (``[[c], d]``)."""
    elts = value.values if isinstance(value, ast.Dict) else value.elts  # type: ignore[attr-defined]
    for e in elts:
        if e is None:
            continue
        if isinstance(e, ast.Starred):
            e = e.value
        if isinstance(e, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            _held_roots(e, out)
        elif may_share(e) or (isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute)):
            # a name, a part of one, or what a method returns (``d.values()``, ``m.fit(X)``)
            r = root_name(e)
            if r is not None and r not in out:
                out.append(r)


def comprehension_link(
    value: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
) -> Link:
    """``[r for r in rows if ...]`` holds the elements of rows itself, as a shallow copy does;
    ``[f(r) for r in rows]`` holds new values."""
    elts = [value.key, value.value] if isinstance(value, ast.DictComp) else [value.elt]
    shared = any(
        may_share(e) or (isinstance(e, (ast.Tuple, ast.List)) and any(may_share(x) for x in e.elts))
        for e in elts
    )
    if not shared:
        return ("new", "")
    roots = tuple(r for g in value.generators if (r := root_name(g.iter)) is not None)
    return ("copy", roots) if roots else ("new", "")


def literal(node: ast.AST) -> tuple[bool, object]:
    if isinstance(node, ast.Constant):
        return True, node.value
    return False, None


def literal_key(node: ast.AST) -> tuple[bool, object]:
    """A literal int or str key (``lst[0]``, ``d["k"]``); bools and floats are not keys we
    can tell apart from ints."""
    if type(node) is ast.Constant and type(node.value) in (int, str):
        return True, node.value
    if (
        type(node) is ast.UnaryOp
        and type(node.op) is ast.USub
        and type(node.operand) is ast.Constant
        and type(node.operand.value) is int
    ):
        return True, -node.operand.value
    return False, None


def flatten_targets(target: ast.AST, out: list[ast.AST]) -> None:
    if isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            flatten_targets(elt, out)
    elif isinstance(target, ast.Starred):
        flatten_targets(target.value, out)
    else:
        out.append(target)


_NEW: Link = ("new", "")


def value_link(value: ast.AST, call_link: Callable[[ast.Call], Link] | None = None) -> Link:
    """How the value of an expression relates to existing objects (see ``Facts.links``): it
    may be (a part of) any mutable object it reads, unless its form proves it new.
    ``call_link`` gives the link of a call's result (the analysis numbers the calls)."""
    t = type(value)
    if t is ast.Name:
        return ("same", value.id)  # type: ignore[attr-defined]
    if t is ast.Constant:
        return _NEW
    if t is ast.BinOp:
        if type(value.op) is not ast.Add and type(value.op) is not ast.Mult:  # type: ignore[attr-defined]
            return _NEW
        # g + h, g * 2: a new list or tuple of the operands' elements (numbers are immutable)
        roots = link_names(value_link(value.left, call_link))  # type: ignore[attr-defined]
        roots += link_names(value_link(value.right, call_link))  # type: ignore[attr-defined]
        return ("concat", roots) if roots else _NEW
    if t in (ast.List, ast.Tuple, ast.Set, ast.Dict):
        return display_link(value)  # type: ignore[arg-type]
    if t in (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp):
        return comprehension_link(value)  # type: ignore[arg-type]
    if t is ast.Subscript and type(value.value) is ast.Name:  # type: ignore[attr-defined]
        return ("item", value.value.id)  # type: ignore[attr-defined]  # the root's specs decide
    if t is ast.Attribute or t is ast.Subscript:
        # a part of whatever the base is: g.x[0], (g + [])[0], [*g][0], f(x)[0]
        return part_link(value_link(value.value, call_link))  # type: ignore[attr-defined]
    if t is ast.Call:
        return call_link(value) if call_link is not None else ("new", "")  # type: ignore[arg-type]
    if t is ast.NamedExpr or t is ast.Starred or t is ast.Await:
        return value_link(value.value, call_link)  # type: ignore[attr-defined]
    if t is ast.IfExp:
        return _either([value_link(v, call_link) for v in (value.body, value.orelse)])  # type: ignore[attr-defined]
    if t is ast.BoolOp:
        return _either([value_link(v, call_link) for v in value.values])  # type: ignore[attr-defined]
    return _NEW


def link_names(link: Link) -> tuple[str, ...]:
    """The names a link relates to (a call's result relates to none known statically)."""
    kind, value = link
    if kind in ("same", "part", "item") and isinstance(value, str):
        return (value,)
    if kind in ("parts", "holds", "copy", "concat"):
        return tuple(value)
    return ()


def part_link(link: Link) -> Link:
    """The link of a part (item, attribute) of a value linked by ``link``."""
    kind, value = link
    if kind in ("call", "callpart"):
        return ("callpart", value)
    if kind in ("same", "item", "part"):
        return ("part", value)
    if kind == "new":
        return link
    return ("parts", link_names(link))


def _either(links: list[Link]) -> Link:
    """The link of a value that is one of several (``a if c else b``, ``a or b``)."""
    shared = [link for link in links if link[0] != "new"]
    if len(shared) <= 1:
        return shared[0] if shared else ("new", "")
    names = tuple(n for link in shared for n in link_names(link))
    return ("parts", names) if names else shared[0]
