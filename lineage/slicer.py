"""Pure functions over the session graph: backward slices, shared steps, clean code."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Mapping, Sequence

from lineage.graph import Node, NodeId


def backward_slice(nodes: Mapping[NodeId, Node], roots: Iterable[NodeId]) -> list[NodeId]:
    """Every statement the roots depend on, transitively, in execution order.

    Magics and lineage calls never enter a slice; what they depend on does not either (they are
    not recomputed)."""
    seen: set[NodeId] = set()
    stack = [r for r in roots if r in nodes]
    while stack:
        nid = stack.pop()
        if nid in seen:
            continue
        node = nodes[nid]
        if node.excluded:
            continue
        seen.add(nid)
        stack.extend(d for d in node.deps if d not in seen)
    return sorted(seen)


def ordered(nodes: Mapping[NodeId, Node], ids: Iterable[NodeId]) -> list[NodeId]:
    """Imports first (those that depend on nothing but imports), then execution order."""
    ids = sorted(set(ids))
    hoisted: set[NodeId] = set()
    for nid in ids:
        node = nodes[nid]
        if node.is_import and all(d in hoisted for d in node.deps):
            hoisted.add(nid)
    return [i for i in ids if i in hoisted] + [i for i in ids if i not in hoisted]


def statement_text(node: Node, stop: bool = False) -> str:
    """The statement as a slice shows it: without lineage (``stop``: save calls become stops,
    see :mod:`lineage.analysis.own_calls`)."""
    if not node.lineage:
        return node.text
    from lineage.analysis.own_calls import without_lineage

    return without_lineage(node.text, dict(node.lineage), stop) or ""


def render(
    nodes: Mapping[NodeId, Node],
    ids: Iterable[NodeId],
    target: str | None = None,
    stop: bool = False,
    prelude: str = "",
) -> str:
    """The slice as a flat script; ``target`` is an extra final line (``name = expr``) or block,
    ``prelude`` code placed after the imports."""
    lines: list[str] = []
    seen_imports: set[str] = set()
    for nid in ordered(nodes, ids):
        node = nodes[nid]
        if prelude and not node.is_import:
            lines.append(prelude)
            prelude = ""
        text = statement_text(node, stop).strip("\n")
        if node.is_import:
            if text in seen_imports:
                continue
            seen_imports.add(text)
        lines.append(text)
    if prelude:
        lines.append(prelude)
    if target:
        lines.append(target)
    return "\n".join(lines) + ("\n" if lines else "")


def identifier(name: str, taken: Sequence[str] = ()) -> str:
    """A valid, non-keyword Python identifier derived from ``name``."""
    ident = re.sub(r"\W", "_", name.strip()) or "artifact"
    if ident[0].isdigit():
        ident = "_" + ident
    if keyword.iskeyword(ident) or ident in taken:
        ident += "_"
    return ident
