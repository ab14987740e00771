"""Top-level ``await`` in a slice: IPython runs a cell that awaits at top level on its event loop;
a script cannot await at top level, so such a statement is emitted as the body of an ``async``
function run on one event loop shared by the whole slice (as IPython shares one across cells).
The names the statement binds stay module globals (the function declares them ``global``)."""

from __future__ import annotations

import ast
import io
import re
import tokenize

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_WORD = re.compile(r"\w+")


def awaits_at_top_level(text: str) -> bool:
    """Whether a statement awaits outside any function (``await``, ``async for``/``with``)."""
    if "await" not in text and "async" not in text:
        return False
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    return any(_awaits(node) for node in tree.body)


def _awaits(node: ast.AST) -> bool:
    if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
        return True
    if isinstance(node, ast.comprehension) and node.is_async:
        return True
    if isinstance(node, _SCOPES):
        # a definition's body runs later, in its own scope; its decorators, defaults and bases
        # run now
        outer: list[ast.AST] = list(getattr(node, "decorator_list", ()))
        args = getattr(node, "args", None)
        if isinstance(args, ast.arguments):
            outer += [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
        outer += [*getattr(node, "bases", ()), *getattr(node, "keywords", ())]
        return any(_awaits(child) for child in outer)
    return any(_awaits(child) for child in ast.iter_child_nodes(node))


def bound_names(text: str) -> list[str]:
    """Names a statement binds or deletes in the scope it runs in, in order of appearance."""
    out: dict[str, None] = {}
    for node in ast.parse(text).body:
        _bound(node, out, in_comprehension=False)
    return list(out)


def _bound(node: ast.AST, out: dict[str, None], in_comprehension: bool) -> None:
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        if not in_comprehension:
            out[node.id] = None
        return
    if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
        out[node.target.id] = None  # binds in the enclosing scope, even from a comprehension
        _bound(node.value, out, in_comprehension)
        return
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            if alias.name != "*":
                out[(alias.asname or alias.name).split(".")[0]] = None
        return
    if isinstance(node, _SCOPES):
        if not isinstance(node, ast.Lambda):
            out[node.name] = None
        return
    name = getattr(node, "name", None)  # except E as name, match captures
    if isinstance(name, str) and isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
        out[name] = None
    rest = getattr(node, "rest", None)
    if isinstance(rest, str) and isinstance(node, ast.MatchMapping):
        out[rest] = None
    inner = in_comprehension or isinstance(node, _COMPREHENSIONS)
    for child in ast.iter_child_nodes(node):
        _bound(child, out, inner)


class AwaitRunner:
    """Rewrites the awaiting statements of one slice; names never clash with the slice's own."""

    def __init__(self, texts: list[str]) -> None:
        self._taken = set(_WORD.findall("\n".join(texts)))
        self._loop: str | None = None
        self._count = 0

    def _fresh(self, base: str) -> str:
        name = base
        while name in self._taken:
            name += "_"
        self._taken.add(name)
        return name

    def _module(self, name: str) -> tuple[str, str]:
        """(import line, name it binds) for a standard module, under a name the slice lacks."""
        if name not in self._taken:
            self._taken.add(name)
            return f"import {name}", name
        alias = self._fresh(f"_{name}")
        return f"import {name} as {alias}", alias

    def rewrite(self, text: str) -> str:
        """``text`` unchanged, or run as an async function on the slice's event loop."""
        if not awaits_at_top_level(text):
            return text
        lines = []
        if self._loop is None:
            line, asyncio = self._module("asyncio")
            self._loop = self._fresh("_loop")
            lines += [line, f"{self._loop} = {asyncio}.new_event_loop()  # one loop, as in IPython"]
        self._count += 1
        func = self._fresh(f"_await_{self._count}")
        body = _as_function(text, func)
        if body is None:  # cannot be a function body as it stands: compiled as IPython does it
            line, ast_name = self._module("ast")
            flags = f"{ast_name}.PyCF_ALLOW_TOP_LEVEL_AWAIT"
            run = f"eval(compile({text!r}, '<cell>', 'exec', flags={flags}))"
            return "\n".join([*lines, line, f"{self._loop}.run_until_complete({run})"])
        return "\n".join([*lines, body, f"{self._loop}.run_until_complete({func}())"])


def _as_function(text: str, func: str) -> str | None:
    """``async def func(): global <names it binds>; <text>``, or None if that does not compile
    (an annotated global, say). Lines inside a multi-line string are not indented."""
    try:
        inside = _string_lines(text)
        names = bound_names(text)
    except (SyntaxError, tokenize.TokenError, IndentationError):
        return None
    lines = [f"async def {func}():  # the statement awaits at top level in the session"]
    if names:
        lines.append(f"    global {', '.join(names)}")
    for number, line in enumerate(text.splitlines(), start=1):
        lines.append(line if number in inside or not line.strip() else f"    {line}")
    code = "\n".join(lines)
    try:
        compile(code, "<slice>", "exec")
    except SyntaxError:
        return None
    return code


def indent(text: str, prefix: str) -> str:
    """``text`` with ``prefix`` before each line, except lines inside a multi-line string."""
    inside = _string_lines(text)
    return "\n".join(
        line if number in inside or not line.strip() else prefix + line
        for number, line in enumerate(text.splitlines(), start=1)
    )


def _string_lines(text: str) -> set[int]:
    """Line numbers (from 1) that start inside a multi-line string token."""
    out: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.end[0] > token.start[0]:
            out.update(range(token.start[0] + 1, token.end[0] + 1))
    return out
