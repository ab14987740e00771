"""Static facts of one top-level statement: what it binds, reads, deletes and may change.

Pure: takes AST nodes, returns small frozen records. Nothing here knows about IPython, the
store or run-time values; the graph combines these facts with run-time identities and specs.
"""

from __future__ import annotations

import ast

from lineage.analysis.expressions import (
    CONST_TYPES,
    DISPLAY_TYPES,
    dotted,
    literal_key,
    path_expr,
    root_name,
    value_link,
)
from lineage.analysis.records import (
    EMPTY_FACTS,
    NO_ITEMS,
    NO_NAMES,
    CallSite,
    Facts,
    Link,
    PathExpr,
    Summary,
    names,
)
from lineage.analysis.visitor import scope_facts

__all__ = [
    "EMPTY_FACTS",
    "CallSite",
    "Facts",
    "PathExpr",
    "Summary",
    "dotted",
    "path_expr",
    "root_name",
    "statement_facts",
]

# expressions whose reads are just the names in them: no calls, scopes or bindings
_SIMPLE_EXPR = (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Tuple, ast.List, ast.Set)


def _simple_reads(node: ast.AST, out: set) -> bool:
    """Collect the names a call-free expression reads; False when it is not that simple.
    A read of an element under a literal key (``lst[0]``) is collected as ``(name, key)``."""
    t = type(node)
    if t is ast.Name:
        out.add(node.id)  # type: ignore[attr-defined]
        return True
    if t is ast.Constant:
        return True
    if t is ast.BinOp:
        return _simple_reads(node.left, out) and _simple_reads(node.right, out)  # type: ignore[attr-defined]
    if t is ast.Attribute:
        return _simple_reads(node.value, out)  # type: ignore[attr-defined]
    if t is ast.Subscript:
        value = node.value  # type: ignore[attr-defined]
        if type(value) is ast.Name:
            ok, key = literal_key(node.slice)  # type: ignore[attr-defined]
            if ok:
                out.add((value.id, key))
                return True
        return _simple_reads(value, out) and _simple_reads(node.slice, out)  # type: ignore[attr-defined]
    if t is ast.Slice:
        return all(
            _simple_reads(part, out)
            for part in (node.lower, node.upper, node.step)  # type: ignore[attr-defined]
            if part is not None
        )
    if t in _SIMPLE_EXPR:
        for name in node._fields:
            value = getattr(node, name)
            if type(value) is list:
                if not all(_simple_reads(v, out) for v in value):
                    return False
            elif isinstance(value, ast.expr) and not _simple_reads(value, out):
                return False
        return True
    return False


def _fast_facts(node: ast.stmt) -> Facts | None:
    """``name = <call-free expression>``: by far the most common statement, done directly."""
    if type(node) is not ast.Assign or len(node.targets) != 1:
        return None
    target = node.targets[0]
    if type(target) is not ast.Name:
        return None
    found: set = set()
    value = node.value
    if not _simple_reads(value, found):
        return None
    reads: set[str] = set()
    slots: dict[str, tuple[int | str, ...]] = {}
    for item in found:
        if type(item) is str:
            reads.add(item)
        else:
            slots[item[0]] = (*slots.get(item[0], ()), item[1])
    if slots:
        for n in [n for n in slots if n in reads]:
            del slots[n]  # read whole somewhere else too
        reads.update(slots)
    name = target.id
    vt = type(value)
    if vt is ast.Name:
        link: Link = ("same", value.id)  # type: ignore[attr-defined]
    elif vt is ast.Subscript and type(value.value) is ast.Name:  # type: ignore[attr-defined]
        link = ("item", value.value.id)  # type: ignore[attr-defined]
    else:
        link = value_link(value)  # no calls here
    display = DISPLAY_TYPES.get(vt)
    if display is None and vt is ast.Constant:
        display = CONST_TYPES.get(type(value.value))  # type: ignore[attr-defined]
    pexpr = path_expr(value) if vt is ast.Constant or vt is ast.BinOp else None
    return Facts(
        reads=names(reads), binds=frozenset((name,)), may_binds=NO_NAMES, dels=NO_NAMES,
        stores=NO_NAMES, augs=NO_NAMES, calls=(), links={name: link},
        consts={name: pexpr} if pexpr is not None else NO_ITEMS, imports=NO_ITEMS,
        literal_types={name: display} if display is not None else NO_ITEMS, defs=NO_ITEMS,
        inline_funcs=(), is_import=False, mentions_lineage="lineage" in reads,
        slot_reads=slots or NO_ITEMS,
    )  # fmt: skip


def statement_facts(node: ast.stmt) -> Facts:
    """Facts of one top-level statement."""
    fast = _fast_facts(node)
    if fast is not None:
        return fast
    scope = scope_facts([node], in_function=False)
    must = scope.bound & scope.binds
    slot_reads = {
        n: tuple(keys) for n, keys in scope.slot_reads.items() if n not in scope.whole_reads
    }
    return Facts(
        reads=names(scope.reads),
        binds=names(must),
        may_binds=names(scope.binds - must),
        dels=names(scope.dels),
        stores=names(scope.stores),
        augs=names(scope.augs),
        calls=tuple(scope.calls),
        links=scope.links or NO_ITEMS,
        consts=scope.consts or NO_ITEMS,
        imports=scope.imports or NO_ITEMS,
        literal_types=scope.literal_types or NO_ITEMS,
        defs=scope.defs or NO_ITEMS,
        inline_funcs=tuple(scope.inline),
        is_import=isinstance(node, (ast.Import, ast.ImportFrom)),
        mentions_lineage=scope.mentions_lineage,
        inserts=tuple(scope.inserts),
        deep_stores=names(scope.deep_stores),
        elements=names(scope.elements),
        star_import=scope.star_import,
        iterated=names(scope.iterated),
        slot_reads=slot_reads or NO_ITEMS,
        slot_stores=tuple(s for s in scope.slot_stores if s[0] not in scope.whole_stores),
    )
