"""Slices of values saved inside a running statement (a loop, ``with``, ``if``, ``try`` block, a
comprehension, or a function the statement called).

The value is the object at the moment of that save call, which the code after the call may
still change (the next iteration of a loop, the rest of the function). So the slice runs the
statement itself, with its save calls replaced by ``_save_point`` (see
:mod:`lineage.analysis.own_calls`), and stops it at the save call that made the artifact: the
same artifact name, after as many earlier saves of that name in this run of the statement as
the session made. The value that call received is bound to the artifact's variable.
"""

from __future__ import annotations

import ast
import io
import textwrap
import tokenize

SAVE_HELPER = '''\
class _SaveReached(BaseException):
    """Raised by ``_save_point`` to stop a statement where the session saved an artifact."""

    name = None  # the artifact wanted, while the statement runs
    skip = 0  # how many saves of it come before the one that made it


def _save_point(obj, name):
    """Stands where the session saved ``obj`` as ``name``: stops at the save that made it."""
    if name == _SaveReached.name:
        if _SaveReached.skip == 0:
            _SaveReached.name = None
            raise _SaveReached(obj)
        _SaveReached.skip -= 1
    return obj
'''


def stopped(statement: str, artifact: str, earlier: int, target: str) -> str:
    """``statement`` run up to the save of ``artifact`` that came after ``earlier`` others,
    binding what it saved to ``target``."""
    where = f"save number {earlier + 1} of it" if earlier else "its save"
    return (
        f"# the session saved {artifact!r} while the statement below ran: it runs up to {where}\n"
        f"_SaveReached.name, _SaveReached.skip = {artifact!r}, {earlier}\n"
        "try:\n"
        f"{indent(statement)}\n"
        "except _SaveReached as reached:\n"
        f"    {target} = reached.args[0]"
    )


def indent(code: str, prefix: str = "    ") -> str:
    """Indent every line of ``code`` except those inside a multi-line string literal."""
    code = code.strip("\n")
    inside: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.start[0] < tok.end[0] and tok.type in _STRING_TOKENS:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass
    lines = code.split("\n")
    return "\n".join(
        line if i in inside or not line.strip() else prefix + line
        for i, line in enumerate(lines, start=1)
    )


_STRING_TOKENS = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}


def unguarded(statement: str) -> str:
    """``if __name__ == "__main__": main()`` -> ``main()``: the guard held where the session
    ran (a script under ``lineage run``), and does not where the pipeline's steps run."""
    try:
        tree = ast.parse(statement)
    except SyntaxError:
        return statement
    node = tree.body[0] if len(tree.body) == 1 else None
    if not (isinstance(node, ast.If) and not node.orelse and _is_main_test(node.test)):
        return statement
    lines = statement.splitlines(keepends=True)
    body = "".join(lines[node.body[0].lineno - 1 : node.body[-1].end_lineno])
    if node.body[0].lineno == node.lineno:  # ``if __name__ == "__main__": main()``
        body = body[body.index(":") + 1 :]
    text = textwrap.dedent(body).strip("\n")
    try:
        ast.parse(text)
    except SyntaxError:  # a multi-line string kept its own indentation
        text = "\n".join(ast.unparse(n) for n in node.body)
    return text


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides = {type(test.left), type(test.comparators[0])}
    names = [n.id for n in (test.left, test.comparators[0]) if isinstance(n, ast.Name)]
    consts = [n.value for n in (test.left, test.comparators[0]) if isinstance(n, ast.Constant)]
    return sides == {ast.Name, ast.Constant} and names == ["__name__"] and consts == ["__main__"]
