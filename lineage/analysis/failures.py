"""A statement that raised: what it may have done before it raised, and how a slice repeats it.

A statement that raised may have changed state first (``xs.append(v) or 1/0``, a loop that
raised on its third pass, ``t[0] += [x]`` on a tuple). It counts as having run, with all its
effects as *may* effects: the names it binds are may-bindings (they keep their earlier binders),
and what it changes keeps its earlier writers too. Like any statement it enters a slice only
when something later depends on it; there it is rendered inside ``try:`` / ``except`` of the
builtin class of the exception it raised, with a comment, so the slice repeats what it did and
runs on.

Parts of the statement that surely did not run are left out of its facts, so a statement that
raised before changing anything is not a dependency: the exception's position in the cell names
the expression that raised, and a call enclosing that expression (``x.append(1 / 0)``), the
binding of an assignment whose value raised (``x = f()``: ``x`` keeps its earlier value) and the
body of a ``for`` whose iterable raised never ran, unless a loop around them repeats them.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import io
import sys
import tokenize
from typing import TYPE_CHECKING

from lineage.analysis.facts import Facts, statement_facts

if TYPE_CHECKING:
    from lineage.analysis.cells import Stmt

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def start(stmt: Stmt) -> tuple[int, int]:
    """Where a statement's text starts, in the coordinates of its end (the cell's, or for code
    inside a magic, the magic body's)."""
    end = stmt.body_end if stmt.body_line else stmt.end
    return (end[0] - stmt.text.count("\n"), stmt.col)


def raised_statement(stmt: Stmt, at: tuple[int, int], exc: tuple[str, str] | None) -> Stmt | None:
    """``stmt``, which raised at ``at`` (line, column, in the coordinates of :func:`start`), as
    what it may have done: its facts those of the part that may have run, all as may effects;
    its text guarded by ``try``/``except``. None when its text cannot be analysed again."""
    try:
        tree = ast.parse(stmt.text)
    except SyntaxError:
        return None
    if len(tree.body) != 1:
        return None
    first, col = start(stmt)
    node = tree.body[0]
    ast.increment_lineno(node, first - 1)  # lines as in the source, as the original facts have
    if sys.version_info < (3, 11):  # no column: any part of the statement may have run
        ran = node
    else:
        ran = what_ran(node, (at[0], at[1] - col if at[0] == first else at[1]))
    base = exc[1] if exc else "Exception"
    return dataclasses.replace(
        stmt, text=guarded(stmt.text, exc), facts=may_facts(statement_facts(ran)), raised=base
    )


def may_facts(facts: Facts) -> Facts:
    """The facts of a statement that may have stopped anywhere: every binding a may-binding,
    nothing surely deleted (its mutations keep their earlier writers in the graph)."""
    links = facts.links
    if any(kind == "sibling" for kind, _ in links.values()):  # x = y = v: y bound after x
        links = {k: v for k, v in links.items() if v[0] != "sibling"}
    return dataclasses.replace(
        facts,
        binds=frozenset(),
        may_binds=facts.binds | facts.may_binds,
        dels=frozenset(),
        links=links,
    )


# -- the part of a statement that may have run -----------------------------------------------------
def what_ran(node: ast.stmt, at: tuple[int, int]) -> ast.stmt:
    """``node`` without the parts that surely did not run when the expression starting at
    ``at`` raised (a copy; ``node`` itself when nothing can be left out)."""
    node = copy.deepcopy(node)
    path = _path(node, at)
    if len(path) < 2:
        return node
    repeats = [i for i in range(len(path) - 1) if _repeats(path, i)]
    limit = repeats[-1] if repeats else len(path) - 1  # inside a loop, every part may have run
    for i in range(limit - 1, -1, -1):
        reduced = _reduce(path[i], path[i + 1])
        if reduced is None:
            continue
        if i == 0:
            node = reduced  # type: ignore[assignment]
        else:
            _replace_child(path[i - 1], path[i], reduced)
        path[i] = reduced
    return node


def _path(node: ast.AST, at: tuple[int, int]) -> list[ast.AST]:
    """From ``node`` down to the outermost node starting at ``at`` (or the innermost holding
    it): nodes that start at the same place nest, so the one that raised is that node or
    inside it. Nodes without positions (comprehension clauses, ``with`` items) are passed
    through."""
    path = [node]
    while not _starts_at(path[-1], at):
        child = _child_holding(path[-1], at)
        if child is None:
            break
        path.extend(child)
    return path


def _child_holding(node: ast.AST, at: tuple[int, int]) -> list[ast.AST] | None:
    """The chain of children (unpositioned ones first) down to a positioned node holding
    ``at``."""
    for child in ast.iter_child_nodes(node):
        if _positioned(child):
            if _span(child)[0] <= at < _span(child)[1]:
                return [child]
        else:
            below = _child_holding(child, at)
            if below is not None:
                return [child, *below]
    return None


def _positioned(node: ast.AST) -> bool:
    return getattr(node, "end_col_offset", None) is not None and hasattr(node, "lineno")


def _span(node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
    return (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


def _starts_at(node: ast.AST, at: tuple[int, int]) -> bool:
    return _positioned(node) and _span(node)[0] == at


def _repeats(path: list[ast.AST], i: int) -> bool:
    """``path[i]`` runs ``path[i + 1]`` again and again (a loop body, a comprehension's
    element), so what lies below it may have run in earlier passes."""
    node, child = path[i], path[i + 1]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return child is not node.iter
    if isinstance(node, ast.While):
        return True
    if isinstance(node, _COMPREHENSIONS):
        first = node.generators[0]
        below = path[i + 2] if i + 2 < len(path) else None
        return not (child is first and below is first.iter)
    return False


def _reduce(node: ast.AST, child: ast.AST) -> ast.AST | None:
    """``node`` when the evaluation of ``child`` raised, as far as it ran: a call is not made,
    an assignment's targets are not bound, a loop whose iterable raised has no pass. None when
    all of ``node`` may have run."""
    new: ast.AST | None = None
    if isinstance(node, ast.Call):
        parts = [node.func, *node.args, *(kw.value for kw in node.keywords)]
        new = ast.Tuple(elts=parts, ctx=ast.Load())
    elif isinstance(node, (ast.Assign, ast.AnnAssign)) and child is node.value:
        new = ast.Expr(value=node.value)
    elif isinstance(node, ast.AugAssign) and child is node.value:
        new = ast.Expr(value=ast.Tuple(elts=[_load(node.target), node.value], ctx=ast.Load()))
    elif isinstance(node, (ast.For, ast.AsyncFor)) and child is node.iter:
        new = ast.Expr(value=node.iter)
    elif isinstance(node, ast.If) and child is node.test:
        new = ast.Expr(value=node.test)
    return ast.copy_location(new, node) if new is not None else None


def _load(target: ast.expr) -> ast.expr:
    """An assignment target read instead of written (``x[k] += v`` reads ``x[k]`` first)."""
    out = copy.deepcopy(target)
    for n in ast.walk(out):
        if hasattr(n, "ctx"):
            n.ctx = ast.Load()
    return out


def _replace_child(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return


# -- the text a slice holds ------------------------------------------------------------------------
def guarded(text: str, exc: tuple[str, str] | None) -> str:
    """The statement inside ``try:`` / ``except <builtin class of what it raised>:``."""
    qualified, base = exc if exc else ("", "Exception")
    shown = qualified.removeprefix("builtins.") or "an exception"
    note = f"it raised {shown} here in the session"
    if base == "KeyboardInterrupt":
        note = "interrupted here in the session: a re-run may not stop where it stopped"
    out = f"try:\n{_indent(text)}\nexcept {base}:  # {note}\n    pass"
    try:
        ast.parse(out)
    except SyntaxError:  # text the indentation would change: run it as it was
        out = f"try:\n    exec({text!r})\nexcept {base}:  # {note}\n    pass"
    return out


def _indent(text: str) -> str:
    """``text`` indented by four spaces, except lines that continue a string literal."""
    inside = _string_lines(text)
    lines = text.splitlines(keepends=True)
    return "".join(
        line if i in inside or not line.strip() else "    " + line
        for i, line in enumerate(lines, 1)
    ).rstrip("\n")


def _string_lines(text: str) -> set[int]:
    """Lines (from 1) that start inside a string literal spanning lines."""
    out: set[int] = set()
    fstring_start = getattr(tokenize, "FSTRING_START", None)
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    opened: list[int] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == fstring_start:
                opened.append(tok.start[0])
            elif tok.type == fstring_end and opened:
                out.update(range(opened.pop() + 1, tok.end[0] + 1))
            elif tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                out.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass
    return out
