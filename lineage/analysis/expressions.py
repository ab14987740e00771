"""Small facts about expressions: roots, dotted names, path-like constants, links."""

from __future__ import annotations

import ast

from lineage.analysis.records import PathExpr

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


def display_link(value: ast.List | ast.Tuple | ast.Set | ast.Dict) -> tuple[str, object]:
    """A display holds its elements: changing one of them changes the container."""
    elts = value.values if isinstance(value, ast.Dict) else value.elts
    roots = tuple(r for e in elts if e is not None and may_share(e) and (r := root_name(e)))
    return ("parts", roots) if roots else ("new", "")


def comprehension_link(
    value: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
) -> tuple[str, object]:
    """``[r for r in rows if ...]`` holds the elements of rows itself; ``[f(r) for r in rows]``
    holds new values."""
    elts = [value.key, value.value] if isinstance(value, ast.DictComp) else [value.elt]
    shared = any(
        may_share(e) or (isinstance(e, (ast.Tuple, ast.List)) and any(may_share(x) for x in e.elts))
        for e in elts
    )
    if not shared:
        return ("new", "")
    roots = tuple(r for g in value.generators if (r := root_name(g.iter)) is not None)
    return ("parts", roots) if roots else ("new", "")


def literal(node: ast.AST) -> tuple[bool, object]:
    if isinstance(node, ast.Constant):
        return True, node.value
    return False, None


def flatten_targets(target: ast.AST, out: list[ast.AST]) -> None:
    if isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            flatten_targets(elt, out)
    elif isinstance(target, ast.Starred):
        flatten_targets(target.value, out)
    else:
        out.append(target)
