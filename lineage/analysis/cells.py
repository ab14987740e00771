"""Split a cell's transformed source into the statements that ran, with their facts.

IPython turns magics into ``get_ipython().run_line_magic(...)`` calls. Those never enter a slice,
except the Python code that ``%time``, ``%%time`` and ``%%capture`` run, which counts as the
statements it contains.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from lineage.analysis.facts import EMPTY_FACTS, Facts, statement_facts

# magics whose argument is Python code run once in the user's namespace
_LINE_CODE_MAGICS = frozenset({"time"})
_CELL_CODE_MAGICS = frozenset({"time", "capture"})


@dataclass(slots=True)
class Stmt:
    """One executed statement. ``line`` is its first line in the cell's transformed source; for
    code inside a magic, ``body_line`` is its first line within the magic's body. Never changed
    after it is made (not frozen only because a frozen dataclass is slow to build)."""

    text: str
    line: int
    end: tuple[int, int]  # (line, column) where the statement ends in the cell
    body_line: int
    body_end: tuple[int, int]  # for code inside a magic: where it ends within the body
    facts: Facts
    magic: bool  # IPython syntax: runs, may bind names, never appears in a slice
    col: int = 0  # the column its text starts at, on its first line (in the cell or the body)
    # for a statement that raised: the builtin exception class its text catches (its facts are
    # then what it may have done before it raised; see lineage.analysis.failures)
    raised: str = ""


def _magic_call(node: ast.stmt) -> tuple[str, list[ast.expr]] | None:
    """``get_ipython().run_line_magic('time', 'x = 1')`` -> ("run_line_magic", [args])."""
    value = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute):
        return None
    owner = value.func.value
    if (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Name)
        and owner.func.id == "get_ipython"
    ):
        return value.func.attr, list(value.args)
    return None


def _str_args(args: list[ast.expr]) -> list[str] | None:
    out = []
    for arg in args:
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return None
        out.append(arg.value)
    return out


# characters str.splitlines() breaks on but Python's tokenizer does not
_ODD_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class _Lines:
    """A source split into lines once; ``ast.get_source_segment`` re-splits the whole source
    on every call, which is quadratic over a cell."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = None if _ODD_BREAKS.search(source) else source.splitlines(keepends=True)

    def segment(self, node: ast.stmt) -> str:
        """The user's own text of a statement, decorators included."""
        start: ast.stmt | ast.expr = node
        decorators = getattr(node, "decorator_list", None)
        if decorators:
            start = decorators[0]
        lines = self.lines
        if lines is None or node.end_lineno is None or node.end_col_offset is None:
            if decorators:
                return self._slow_decorated(node)
            return ast.get_source_segment(self.source, node) or ""
        first, last = start.lineno - 1, node.end_lineno - 1
        col = start.col_offset - (1 if decorators else 0)
        if first == last:
            return _cut(lines[first], col, node.end_col_offset)
        parts = [_cut(lines[first], col, None), *lines[first + 1 : last]]
        parts.append(_cut(lines[last], 0, node.end_col_offset))
        return "".join(parts)

    def _slow_decorated(self, node: ast.stmt) -> str:
        lines = self.source.splitlines(keepends=True)
        first = node.decorator_list[0]  # type: ignore[attr-defined]
        chunk = lines[first.lineno - 1 : node.end_lineno]
        chunk[0] = chunk[0][max(first.col_offset - 1, 0) :]
        return "".join(chunk).rstrip()


def _cut(line: str, start: int, end: int | None) -> str:
    """A slice of ``line`` by UTF-8 byte offsets (what the AST's columns count)."""
    if line.isascii():
        return line[start:end]
    raw = line.encode()
    return raw[start:end].decode()


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None)
    return decorators[0].lineno if decorators else node.lineno


def _magic_stmt(node: ast.stmt, lines: _Lines, line: int, body_line: int) -> Stmt:
    facts = statement_facts(node) if isinstance(node, ast.Assign) else EMPTY_FACTS
    text = lines.segment(node)
    return Stmt(text, line, _end(node, line), body_line, (0, 0), facts, True, _col(node))


def split_statements(
    source: str,
    transform: Callable[[str], str],
    *,
    _line: int = 0,
) -> tuple[Stmt, ...]:
    """The statements of a (transformed) cell in execution order, magics expanded."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    out: list[Stmt] = []
    lines = _Lines(source)
    for node in tree.body:
        line = _line or _first_line(node)
        body_line = node.lineno if _line else 0
        magic = _magic_call(node)
        if magic is None:
            text = lines.segment(node)
            out.append(
                Stmt(
                    text, line, (_line, 0) if _line else _end(node, line), body_line,
                    _end(node, line) if _line else (0, 0),
                    statement_facts(node), False, _col(node),
                )
            )  # fmt: skip
            continue
        kind, args = magic
        strs = _str_args(args)
        if kind == "run_line_magic" and strs and len(strs) == 2 and strs[0] in _LINE_CODE_MAGICS:
            out.extend(split_statements(transform(strs[1]), transform, _line=line))
        elif kind == "run_cell_magic" and strs and len(strs) == 3 and strs[0] in _CELL_CODE_MAGICS:
            out.append(_magic_stmt(node, lines, line, body_line))
            if strs[0] == "capture" and strs[1].split():
                # ``%%capture out`` binds ``out`` to the captured output: IPython-only, never sliced
                name = [w for w in strs[1].split() if not w.startswith("-")]
                if name and name[0].isidentifier():
                    assign = ast.parse(f"{name[0]} = None").body[0]
                    out.append(
                        Stmt(
                            "",
                            line,
                            (line, 0),
                            body_line,
                            (0, 0),
                            statement_facts(assign),
                            magic=True,
                        )
                    )
            out.extend(split_statements(transform(strs[2]), transform, _line=line))
        else:
            out.append(_magic_stmt(node, lines, line, body_line))
    return tuple(out)


def _end(node: ast.stmt, line: int) -> tuple[int, int]:
    return (node.end_lineno or line, node.end_col_offset or 0)


def _col(node: ast.stmt) -> int:
    """The column a statement's text starts at (its first decorator's ``@``)."""
    decorators = getattr(node, "decorator_list", None)
    return max(decorators[0].col_offset - 1, 0) if decorators else node.col_offset


def executed(
    stmts: tuple[Stmt, ...],
    failed_at: tuple[int, int] | None,
    magic_failures: tuple[tuple[int, int, int], ...] = (),
    raised: tuple[tuple[str, str], ...] = (),
) -> tuple[Stmt, ...]:
    """The statements that ran. ``failed_at`` is the (line, column) of the instruction that
    raised in the cell (None: the cell completed); ``magic_failures`` are (line of the magic,
    line and column within its body) where code run by ``%time``/``%%capture`` raised and the
    magic carried on; ``raised`` the exceptions' types (CellRecord.raised).

    The statement that raised counts too, as what it may have done before it raised
    (:func:`lineage.analysis.failures.raised_statement`); those after it did not run."""
    out = stmts
    if failed_at is not None:
        exc = raised[len(magic_failures)] if len(raised) > len(magic_failures) else None
        out = _up_to(out, failed_at, exc, _cell_end)
    for i, (line, body_line, body_col) in enumerate(magic_failures):
        exc = raised[i] if i < len(raised) else None
        out = _up_to(out, (body_line, body_col), exc, functools.partial(_body_end, line))
    return out


def _cell_end(s: Stmt) -> tuple[tuple[int, int], bool]:
    """Where ``s`` ends in the cell; whether its text is the cell's (not a magic body's)."""
    return s.end, not s.body_line


def _body_end(line: int, s: Stmt) -> tuple[tuple[int, int], bool] | None:
    """Where ``s`` ends in the body of the magic on ``line``; None if it is not in that body."""
    return (s.body_end, True) if s.body_line and s.line == line else None


def _up_to(
    stmts: tuple[Stmt, ...],
    at: tuple[int, int],
    exc: tuple[str, str] | None,
    end: Callable[[Stmt], tuple[tuple[int, int], bool] | None],
) -> tuple[Stmt, ...]:
    """Of the statements in the code that raised at ``at`` (``end`` gives where each ends in
    that code, and whether its text is that code's own), those that ended before ``at``, and
    the one that raised there as what it may have done; statements elsewhere are kept."""
    from lineage.analysis.failures import raised_statement, start

    out: list[Stmt] = []
    found = False
    for s in stmts:
        where = end(s)
        if where is None or where[0] <= at:
            out.append(s)
        elif not found and where[1] and not s.magic and start(s) <= at:
            found = True
            failed = raised_statement(s, at, exc)
            if failed is not None:
                out.append(failed)
    return tuple(out)
