"""Statements that use lineage itself, and what is left of them in a slice.

lineage never appears in a slice: it is not needed to rebuild a value, and the slice must run
where lineage is not installed. Which names stand for lineage objects comes from the imports
(``import lineage as lg``, ``from lineage import save as keep``) and from the run-time identity
of what a name holds (``s = lineage.save``); see :func:`lineage_objects`.

:func:`without_lineage` rewrites one statement's text:

- an import keeps its other names (``import json, lineage`` -> ``import json``);
- a statement that only calls lineage (``lineage.save(m, "m")``, ``from lineage import save``)
  is dropped; inside a block, a body left empty becomes ``pass``;
- a save call inside a bigger expression is replaced by the value it saves
  (``print(lg.save(m, "m"))`` -> ``print(m)``); any other use of lineage drops its statement;
- with ``stop=True``, save calls become calls of :data:`SAVE_POINT` instead, a helper the slice
  defines to stop the statement that saved an artifact at the very call that saved it.

The user's own text is kept; only the spans that change are replaced, with ``ast.unparse`` for
synthesised imports.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass

SAVE_PATHS = frozenset({"lineage.save", "lineage.api.save"})
GET_PATHS = frozenset({"lineage.get", "lineage.api.get"})
SAVE_POINT = "_save_point"
HANDLE = "artifact:"  # the path of a name holding ``lineage.get(NAME, VERSION)``: "artifact:[..]"
_SIMPLE = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant, ast.List, ast.Dict)


def lineage_objects() -> dict[int, str]:
    """``id`` -> dotted path of every lineage module loaded and of the public functions: a
    name holding one of these objects stands for lineage (they live as long as the process)."""
    out: dict[int, str] = {}
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "lineage" or name.startswith("lineage.")):
            continue
        out[id(module)] = name
    import lineage

    for attr in lineage.__all__:
        value = getattr(lineage, attr, None)
        if callable(value) and not isinstance(value, type):
            out[id(value)] = f"lineage.{attr}"
    return out


def is_lineage_path(path: str) -> bool:
    return path == "lineage" or path.startswith("lineage.")


def lineage_path(expr: ast.AST, names: Mapping[str, str]) -> str | None:
    """``lg.save`` -> ``"lineage.save"`` when ``lg`` stands for the lineage module."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name) and expr.id in names:
        return ".".join([names[expr.id], *reversed(parts)])
    return None


def imported_names(tree: ast.AST) -> dict[str, str]:
    """Names an import inside ``tree`` binds to lineage objects."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if is_lineage_path(alias.name):
                    if alias.asname:
                        out[alias.asname] = alias.name
                    else:
                        out["lineage"] = "lineage"
        elif (
            isinstance(node, ast.ImportFrom)
            and not node.level
            and node.module
            and is_lineage_path(node.module)
        ):
            for alias in node.names:
                out[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return out


def artifact_read(node: ast.AST, names: Mapping[str, str]) -> tuple[str, int | None] | None:
    """(name, version) when ``node`` is ``lineage.get(NAME[, VERSION]).get_value()`` with
    literal arguments, or ``a.get_value()`` where ``a`` holds such a ``lineage.get``."""
    if not (
        isinstance(node, ast.Call)
        and not node.args
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_value"
    ):
        return None
    held = node.func.value
    if isinstance(held, ast.Name) and names.get(held.id, "").startswith(HANDLE):
        name, version = json.loads(names[held.id][len(HANDLE) :])
        return str(name), version
    return artifact_handle(held, names)


def artifact_handle(node: ast.AST, names: Mapping[str, str]) -> tuple[str, int | None] | None:
    """(name, version) of ``lineage.get(NAME[, VERSION])`` with literal arguments."""
    if not isinstance(node, ast.Call) or lineage_path(node.func, names) not in GET_PATHS:
        return None
    args = list(node.args) + [kw.value for kw in node.keywords if kw.arg in ("name", "version")]
    values = [a.value for a in args if isinstance(a, ast.Constant)]
    if len(values) != len(args) or not 1 <= len(values) <= 2 or not isinstance(values[0], str):
        return None
    version = values[1] if len(values) == 2 else None
    if version is not None and not isinstance(version, int):
        return None
    return values[0], version


def rebuilder(name: str, version: int | None) -> str:
    """The function a slice defines to recompute an artifact the session read back."""
    return "_rebuild_" + re.sub(r"\W", "_", name) + (f"_v{version}" if version else "")


def artifact_reads(text: str, names: Mapping[str, str]) -> list[tuple[str, int | None]]:
    """The artifacts a statement reads back with ``get_value()`` (see :func:`artifact_read`)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    names = {**names, **imported_names(tree)}
    found = (artifact_read(n, names) for n in ast.walk(tree))
    return list(dict.fromkeys(f for f in found if f is not None))


def without_lineage(text: str, names: Mapping[str, str], stop: bool = False) -> str | None:
    """``text`` with lineage taken out; None when nothing else is left (see the module doc)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    rewriter = _Rewriter(text, {**names, **imported_names(tree)}, stop)
    if not rewriter.body(tree.body, top=True):
        return None
    return rewriter.apply()


@dataclass(frozen=True)
class _Edit:
    start: int  # byte offsets into the statement's UTF-8 text
    end: int
    text: str


class _Rewriter:
    def __init__(self, text: str, names: Mapping[str, str], stop: bool) -> None:
        self.raw = text.encode()
        self.names = names
        self.stop = stop
        self.edits: list[_Edit] = []
        self.starts = [0]
        for line in self.raw.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    # -- positions and edits -------------------------------------------------------------------
    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        first = getattr(node, "decorator_list", None) or [node]
        start = self.offset(first[0].lineno, first[0].col_offset)
        if first[0] is not node:
            start -= 1  # the ``@``
        return start, self.offset(node.end_lineno or 1, node.end_col_offset or 0)  # type: ignore[attr-defined]

    def replace(self, node: ast.AST, text: str) -> None:
        start, end = self.span(node)
        self.edits.append(_Edit(start, end, text))

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.raw[start:end].decode()

    def delete(self, node: ast.stmt) -> None:
        """Remove a statement: its whole lines when it has them alone, else leave ``pass``."""
        start, end = self.span(node)
        line_start = self.starts[node.lineno - 1]
        line_end = self.starts[min(node.end_lineno or node.lineno, len(self.starts) - 1)]
        before = self.raw[line_start:start]
        after = self.raw[end:line_end]
        if not before.strip() and (not after.strip() or after.strip().startswith(b"#")):
            self.edits.append(_Edit(line_start, line_end, ""))
        else:
            self.edits.append(_Edit(start, end, "pass"))

    def apply(self) -> str:
        raw = self.raw
        for edit in sorted(self.edits, key=lambda e: e.start, reverse=True):
            raw = raw[: edit.start] + edit.text.encode() + raw[edit.end :]
        return raw.decode()

    # -- statements ------------------------------------------------------------------------------
    def body(self, stmts: list[ast.stmt], top: bool = False) -> bool:
        """Rewrite a block; False when every statement of it went (top level only)."""
        dropped = []
        for stmt in stmts:
            mark = len(self.edits)
            if not self.statement(stmt):
                del self.edits[mark:]
                dropped.append(stmt)
        if len(dropped) == len(stmts):
            if top:
                return False
            self.replace(stmts[0], "pass")
            dropped = stmts[1:]
        for stmt in dropped:
            i = stmts.index(stmt)
            prev = stmts[i - 1] if i else None
            if prev is not None and prev not in dropped and prev.end_lineno == stmt.lineno:
                # ``a = 1; lineage.save(a, "a")``: drop from the end of ``a = 1``
                start = self.span(prev)[1]
                self.edits.append(_Edit(start, self.span(stmt)[1], ""))
            else:
                self.delete(stmt)
        return True

    def statement(self, node: ast.stmt) -> bool:
        """Record the edits of one statement; False when it must go entirely."""
        if isinstance(node, ast.Import):
            kept = [a for a in node.names if not is_lineage_path(a.name)]
            if not kept:
                return False
            if len(kept) < len(node.names):
                self.replace(node, ast.unparse(ast.Import(names=kept)))
            return True
        if isinstance(node, ast.ImportFrom):
            return node.level > 0 or not is_lineage_path(node.module or "")
        if isinstance(node, ast.Expr) and self.save_call(node.value) and not self.stop:
            return False  # only a save
        blocks = _blocks(node)
        for name, value in ast.iter_fields(node):
            if name in _BLOCK_FIELDS:
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST) and not self.expression(child):
                    return False
        for block in blocks:
            self.body(block)
        return True

    def expression(self, node: ast.AST) -> bool:
        """Rewrite save calls inside ``node``; False when another use of lineage is there."""
        if isinstance(node, ast.Call) and self.save_call(node):
            if self.stop:
                self.replace(node.func, SAVE_POINT)
            else:
                value = _saved_value(node)
                text = self.segment(value) if value is not None else "None"
                simple = value is None or isinstance(value, _SIMPLE)
                self.replace(node, text if simple else f"({text})")
            return True
        read = artifact_read(node, self.names)
        if read is not None:  # recomputed by a function the slice defines
            self.replace(node, rebuilder(*read) + "()")
            return True
        if isinstance(node, ast.Name) and node.id in self.names:
            return False
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                if not self.statement(child):  # a lambda or comprehension has no statements;
                    return False  # a nested def is a block handled by ``statement``
            elif not self.expression(child):
                return False
        return True

    def save_call(self, node: ast.AST) -> bool:
        if not isinstance(node, ast.Call):
            return False
        path = lineage_path(node.func, self.names)
        return path is not None and path in SAVE_PATHS


_BLOCK_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})


def _blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists inside a compound statement (handlers' and cases' bodies too)."""
    out: list[list[ast.stmt]] = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            out.append(value)
    for holder in [*getattr(node, "handlers", ()), *getattr(node, "cases", ())]:
        out.append(holder.body)
    return out


def _saved_value(call: ast.Call) -> ast.expr | None:
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    for kw in call.keywords:
        if kw.arg == "obj":
            return kw.value
    return None
