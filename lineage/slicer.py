"""Pure functions over the session graph: backward slices, shared steps, clean code."""

from __future__ import annotations

import keyword
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lineage.analysis.cells import code_magic, magic_source
from lineage.analysis.own_calls import SAVE_POINT, is_lineage_path
from lineage.errors import UnreplayedCodeWarning
from lineage.graph import Node, NodeId


def backward_slice(nodes: Mapping[NodeId, Node], roots: Iterable[NodeId]) -> list[NodeId]:
    """Every statement the roots depend on, transitively, in execution order.

    Magics and lineage calls never enter a slice; what they depend on does not either (they are
    not recomputed)."""
    seen: set[NodeId] = set()
    opaque: dict[NodeId, Node] = {}
    stack = [r for r in roots if r in nodes]
    while stack:
        nid = stack.pop()
        if nid in seen or nid in opaque:
            continue
        node = nodes[nid]
        if node.excluded:
            if "_magic(" in node.text and code_magic(node.text) is not None:
                # %timeit/%prun code changed what the slice needs: what it read still counts
                opaque[nid] = node
                stack.extend(d for d in node.deps if d not in seen)
            continue
        seen.add(nid)
        stack.extend(d for d in node.deps if d not in seen)
    _warn_unreplayed(nodes, opaque)
    return sorted(seen)


def _warn_unreplayed(nodes: Mapping[NodeId, Node], reached: Mapping[NodeId, Node]) -> None:
    """Warn about the magics whose code changed what the slice needs (``reached``), and about
    every magic that ran code lineage cannot see (%run), which may have changed anything."""
    found = dict(reached)
    for nid, node in nodes.items():
        if node.excluded and "_magic(" in node.text:
            kind = code_magic(node.text)
            if kind is not None and kind[1] == "unseen":
                found[nid] = node
    for nid in sorted(found):
        node = found[nid]
        count = node.execution_count if node.execution_count is not None else " "
        kind = code_magic(node.text)
        if kind is not None and kind[1] == "moves":
            why = "changed the working directory that relative paths the slice uses depend on,"
            why += " which a slice cannot replay"
            fix = "Change folders with os.chdir(...) to have it in the slice."
        elif nid in reached:
            why = "may have changed what the saved value is built from, and a slice cannot "
            why += "replay it as it ran (a number of times, or under a debugger)"
            fix = "Make the change in a plain statement (or under %time) to have it in the slice."
        else:
            why = "ran code lineage cannot see, which may have changed or defined anything"
            fix = "Run that code in cells (or import it) to have it in the slice."
        warnings.warn(
            f"lineage: `{magic_source(node.text)}` in cell [{count}] {why}; the saved code may "
            f"not rebuild the value. {fix}",
            UnreplayedCodeWarning,
            stacklevel=4,
        )


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
    from lineage.awaits import AwaitRunner

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
    if "await" in "".join(lines) or "async" in "".join(lines):  # top-level await: made runnable
        runner = AwaitRunner(lines)
        lines = [runner.rewrite(text) for text in lines]
    return "\n".join(lines) + ("\n" if lines else "")


def identifier(name: str, taken: Sequence[str] = ()) -> str:
    """A valid, non-keyword Python identifier derived from ``name``."""
    ident = re.sub(r"\W", "_", name.strip()) or "artifact"
    if ident[0].isdigit():
        ident = "_" + ident
    if keyword.iskeyword(ident) or ident in taken:
        ident += "_"
    return ident


# -- the slice's facts, kept with the artifact for exporters ---------------------------------------
FACTS_VERSION = 1  # meta["facts"]: the statements carry the graph's facts (binds, reads, ...)
_NAME_SETS = ("binds", "sure", "dels", "reads", "deferred", "global_writes", "mutates")


def statement_record(node: Node, text: str, extra: Mapping[str, Any] | None = None) -> dict:
    """One slice statement as stored with the artifact: its text as the slice shows it, its
    dependencies, and the graph's facts about what it did (empty facts are left out). Names
    standing for lineage are dropped with the text that used them."""
    own = {n for n, _ in node.lineage}
    record: dict[str, Any] = {
        "id": node.id,
        "text": text,
        "deps": list(node.deps),
        "execution_count": node.execution_count,
    }
    for key in _NAME_SETS:
        names = set(getattr(node, key)) - own
        names.update((extra or {}).get(key, ()))
        if names:
            record[key] = sorted(names)
    if node.state_reads:
        record["state_reads"] = list(node.state_reads)
    if node.state_writes:
        record["state_writes"] = list(node.state_writes)
    if node.changes or (extra or {}).get("changes"):
        record["changes"] = True
    if node.kind != "code":
        record["kind"] = node.kind
    modules = [m for m in node.modules if not is_lineage_path(m)]
    if modules:
        record["modules"] = modules
    rebuilt = rebuilder_reads(node)
    if rebuilt:  # lineage.get(...).get_value() became a call of a function the slice defines
        key = "deferred" if node.kind in ("def", "class") else "reads"
        record[key] = sorted({*record.get(key, ()), *rebuilt})
    if SAVE_POINT in text and SAVE_POINT not in node.text:  # save calls became stops
        key = "deferred" if node.kind in ("def", "class") else "reads"
        record[key] = sorted({*record.get(key, ()), SAVE_POINT})
    literal = _literal(node, text)
    if literal is not None:
        record["literal"] = literal
    return record


def rebuilder_reads(node: Node) -> tuple[str, ...]:
    """The functions rebuilding artifacts that the statement's slice text calls (it read them
    back with ``get_value()``, see :func:`lineage.analysis.own_calls.rebuilder`)."""
    if not node.lineage:
        return ()
    from lineage.analysis.own_calls import artifact_reads, rebuilder

    reads = artifact_reads(node.text, dict(node.lineage))
    return tuple(dict.fromkeys(rebuilder(name, version) for name, version in reads))


def helper_record(nid: int, text: str, binds: Iterable[str], kind: str = "code") -> dict:
    """A statement lineage wrote into the slice (the stop helper, the functions rebuilding
    artifacts read back): it binds ``binds`` and reads nothing of the session."""
    record: dict[str, Any] = {"id": nid, "text": text, "deps": [], "execution_count": None}
    names = sorted(binds)
    if names:
        record["binds"] = record["sure"] = names
    if kind != "code":
        record["kind"] = kind
    return record


def _literal(node: Node, text: str) -> list[str] | None:
    """``NAME = <literal>``: [NAME, the literal's source] (a candidate pipeline parameter)."""
    if node.kind != "code" or node.reads or node.changes or len(node.binds) != 1:
        return None
    if node.sure != node.binds or "=" not in text:
        return None
    import ast

    try:
        body = ast.parse(text).body
    except SyntaxError:
        return None
    stmt = body[0] if len(body) == 1 else None
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and stmt.simple:
        target, value = stmt.target, stmt.value
    else:
        return None
    if not isinstance(target, ast.Name):
        return None
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return [target.id, ast.get_source_segment(text, value) or ast.unparse(value)]
