"""Split a cell's transformed source into the statements that ran, with their facts.

IPython turns magics into ``get_ipython().run_line_magic(...)`` calls. Those never enter a slice,
except the Python code that ``%time``, ``%%time``, ``%%capture`` and ``%prun`` run, which counts
as the statements it contains, and ``%timeit -n N -r R``, which counts as the loops it ran.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from lineage.analysis.facts import EMPTY_FACTS, Facts, statement_facts

# magics whose argument is Python code run once in the user's namespace
# (%prun runs it once, under a profiler, in the user's namespace)
_LINE_CODE_MAGICS = frozenset({"time", "prun"})
_CELL_CODE_MAGICS = frozenset({"time", "capture", "prun"})
# magics that run Python code a slice cannot replay as it ran: %timeit runs it a number of times
# (found by calibration unless -n and -r say), in a function of its own; %debug under a debugger,
# where the user may change anything. What the code may change is known from its text, so the
# statement stands for that change; it never enters a slice, and a slice that needs it warns
# (lineage.slicer).
_OPAQUE_CODE_MAGICS = frozenset({"timeit", "debug"})
# options that take a value, per magic (the code follows the options)
_OPTIONS = {"timeit": "nrp", "prun": "DlsT", "debug": "b"}
# magics that run code lineage cannot see at all (a file, earlier input, the clipboard): any
# later slice warns
_UNSEEN_CODE_MAGICS = frozenset({"run", "rerun", "paste", "cpaste"})
_MAGIC_NAME = re.compile(r"get_ipython\(\)\.run_(?:line|cell)_magic\(\s*(['\"])(\w+)\1")
_WORD = re.compile(r"\s*(\S+)")


# magics that move the working directory: what relative paths after them need, a slice cannot do
_MOVING_MAGICS = frozenset({"cd", "pushd", "popd"})


def code_magic(text: str) -> tuple[str, str] | None:
    """For the text of a magic statement whose effect a slice cannot replay: (magic name, kind),
    kind "code" (%timeit: what its code may change is known), "unseen" (%run: code lineage
    cannot see) or "moves" (%cd). None for any other statement."""
    if "_magic(" not in text:
        return None
    match = _MAGIC_NAME.search(text)
    if match is None:
        return None
    name = match.group(2)
    if name in _OPAQUE_CODE_MAGICS:
        return name, "code"
    if name in _UNSEEN_CODE_MAGICS:
        return name, "unseen"
    if name in _MOVING_MAGICS:
        return name, "moves"
    return None


def magic_source(text: str) -> str:
    """``%timeit -n1 f(x)`` from ``get_ipython().run_line_magic('timeit', '-n1 f(x)')``."""
    try:
        magic = _magic_call(ast.parse(text).body[0])
    except (SyntaxError, IndexError):
        return text
    strs = _str_args(magic[1]) if magic is not None else None
    if magic is None or not strs:
        return text
    if magic[0] == "run_cell_magic" and len(strs) == 3:
        return f"%%{strs[0]} {strs[1]}".rstrip() + "\n" + strs[2].rstrip()
    return f"%{' '.join(strs)}".rstrip()


def _strip_options(magic: str, line: str) -> str:
    """The code after a magic's options (``-n1 -r 3 f(x)`` -> ``f(x)``)."""
    return _parse_options(magic, line)[0]


def _parse_options(magic: str, line: str) -> tuple[str, dict[str, str]]:
    """(code, options) of a magic's line, read as getopt reads it: options end at the first
    word that is not one, or after ``--``; ``-n3`` and ``-n 3`` give the value 3."""
    with_value = _OPTIONS[magic]
    options: dict[str, str] = {}
    pos = 0
    while True:
        match = _WORD.match(line, pos)
        if match is None:
            return "", options
        word = match.group(1)
        if word == "--":
            pos = match.end()
            break
        if word.startswith("--") and magic == "debug":
            pos = match.end()
            if word == "--breakpoint":
                pos = _skip_word(line, pos)
            continue
        if len(word) < 2 or word[0] != "-" or not word[1].isalpha():
            break  # the code starts here
        pos = match.end()
        letters = word[1:]
        for i, letter in enumerate(letters):
            if letter in with_value:
                if i == len(letters) - 1:  # "-n 3": the value is the next word
                    value = _WORD.match(line, pos)
                    options[letter] = value.group(1) if value is not None else ""
                    pos = _skip_word(line, pos)
                else:  # "-n3": the rest of the word is the value
                    options[letter] = letters[i + 1 :]
                break
            options[letter] = ""
    return line[pos:].strip(), options


# %timeit with -n runs its statement -n times per run, in a function of its own (``inner``,
# whose setup is the first line of %%timeit), and -r runs (7 unless -r says); without -n the
# number comes from a calibration the slice cannot know
_TIMEIT_DEFAULT_REPEAT = 7
_TIMEIT_FUNC = "_timeit_run"


def _timeit_replay(strs: list[str], transform: Callable[[str], str]) -> list[str] | None:
    """Statements that run a %timeit's code as it ran (number x repeat times, in a function),
    or None when the counts are unknown or the code cannot be replayed as Python."""
    from lineage.awaits import indent

    cell = len(strs) == 3
    code, options = _parse_options("timeit", strs[1])
    setup, stmt = (code, strs[2]) if cell else ("", code)
    try:
        number = int(options["n"])
        repeat = int(options.get("r", _TIMEIT_DEFAULT_REPEAT))
        setup, stmt = transform(setup) if setup.strip() else "pass", transform(stmt)
        ast.parse(setup), ast.parse(stmt)
    except (KeyError, ValueError, SyntaxError):
        return None
    if number < 0 or repeat < 0 or "get_ipython()" in setup + stmt or not stmt.strip():
        return None
    magic = f"%timeit {strs[1]}".strip() if not cell else f"%%timeit {strs[1]}".strip()
    func = [
        f"def {_TIMEIT_FUNC}():  # `{magic}` ran its code {number} x {repeat} times, so:",
        indent(setup.strip("\n"), "    "),
        f"    for _ in range({number}):",
        indent(stmt.strip("\n"), "        "),
    ]
    return ["\n".join(func), f"for _timeit_round in range({repeat}):\n    {_TIMEIT_FUNC}()"]


def _skip_word(line: str, pos: int) -> int:
    match = _WORD.match(line, pos)
    return match.end() if match is not None else pos


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
            code = strs[1] if strs[0] == "time" else _strip_options(strs[0], strs[1])
            out.extend(split_statements(transform(code), transform, _line=line))
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
        elif strs and strs[0] == "timeit" and (replay := _timeit_replay(strs, transform)):
            if isinstance(node, ast.Assign):  # ``r = %timeit -o ...`` binds r
                out.append(_magic_stmt(node, lines, line, body_line))
            for text in replay:
                facts = statement_facts(ast.parse(text).body[0])
                out.append(Stmt(text, line, _end(node, line), 0, (0, 0), facts, magic=False))
        elif (
            strs
            and strs[0] in _OPAQUE_CODE_MAGICS
            and len(strs) == (2 if kind == "run_line_magic" else 3)
        ):
            stmt = _magic_stmt(node, lines, line, body_line)
            stmt.facts = _opaque_facts(node, strs, transform)
            out.append(stmt)
        else:
            out.append(_magic_stmt(node, lines, line, body_line))
    return tuple(out)


def _opaque_facts(node: ast.stmt, strs: list[str], transform: Callable[[str], str]) -> Facts:
    """What the code of %timeit/%prun/%debug may do, as a statement that may run it (its
    bindings are "may" bindings: %timeit binds in a function of its own)."""
    magic = strs[0]
    if len(strs) == 2:
        code = _strip_options(magic, strs[1])
    elif magic == "timeit":  # %%timeit [options] setup, then the timed body
        code = _strip_options(magic, strs[1]) + "\n" + strs[2]
    else:
        code = strs[2]
    try:
        body: list[ast.stmt] = ast.parse(transform(code)).body
    except (SyntaxError, ValueError):
        body = []  # it did not compile, so it did not run
    if isinstance(node, ast.Assign):  # ``r = %timeit -o ...`` binds r
        body.append(ast.Assign(targets=node.targets, value=ast.Constant(None)))
    if not body:
        return EMPTY_FACTS
    test = ast.Name(id="__magic_ran__", ctx=ast.Load())
    synthetic = ast.fix_missing_locations(
        ast.copy_location(ast.If(test=test, body=body, orelse=[]), node)
    )
    return statement_facts(synthetic)


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
