"""Files the notebook's code names by path, and how an export finds them on another machine.

A slice that opens ``"prices.csv"`` or writes ``"raw.json"`` names paths relative to the folder
the session ran in (or absolute paths inside it). An exported pipeline never runs there and
never changes its process's directory: each such path literal becomes a call
``file_path("prices.csv")`` of a helper in the steps module, which answers with a path under
the run's data location. Each run first copies the input files there from the *input
location* (the session's folder by default), so the steps read and write only the data
location, and a file the session wrote then read back goes through it as well.

Which literals are such paths: those naming a file or folder that exists in the session's
folder when the export (or ``lineage verify``) runs; the session either read it or wrote it,
and copying a file the steps then overwrite costs a copy but never changes a result.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Sequence

HELPER = "file_path"  # the steps module's function that resolves a file the notebook named


def looks_like_path(text: str) -> bool:
    """A string constant that may name a file: short, one line, with a dot or a slash."""
    return (
        0 < len(text) < 256
        and ("." in text or "/" in text)
        and "\n" not in text
        and "\0" not in text
        and "://" not in text
        and text not in (".", "..")
    )


def local_name(text: str, cwd: str) -> str | None:
    """The path ``text`` relative to ``cwd`` when it names something that exists there
    (relative, or absolute inside ``cwd``); None otherwise."""
    if not looks_like_path(text):
        return None
    path = os.path.normpath(os.path.join(cwd, os.path.expanduser(text)))
    root = os.path.normpath(cwd)
    if path == root or not path.startswith(root + os.sep) or not os.path.exists(path):
        return None
    return os.path.relpath(path, root).replace(os.sep, "/")


def input_files(cwd: str, strings: Iterable[str]) -> dict[str, str]:
    """For each string constant naming a file or folder in ``cwd``: constant -> its path
    relative to ``cwd`` (sorted by constant)."""
    if not cwd or not os.path.isdir(cwd):
        return {}
    found = {text: local_name(text, cwd) for text in set(strings)}
    return {text: name for text, name in sorted(found.items()) if name is not None}


def constants(code: str) -> list[str]:
    """The string constants of ``code`` (empty when it does not parse)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def local_modules(code: str, cwd: str) -> set[str]:
    """The files and packages in ``cwd`` that ``code`` may import by a top-level name."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    roots = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    roots |= {
        n.module.split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module and n.level == 0
    }
    found = {f"{r}.py" for r in roots if os.path.isfile(os.path.join(cwd, f"{r}.py"))}
    return found | {r for r in roots if os.path.isdir(os.path.join(cwd, r))}


def rewrite(text: str, names: dict[str, str]) -> str:
    """``text`` with each plain string literal whose value is a key of ``names`` replaced by
    ``file_path(<names[value]>)``; docstrings, f-string parts and everything else as written."""
    if not names:
        return text
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    skip = {id(n) for n in _docstrings_and_fstring_parts(tree)}
    spans = sorted(
        (
            (n.lineno, n.col_offset, n.end_lineno or n.lineno, n.end_col_offset or 0, n.value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant)
            and isinstance(n.value, str)
            and n.value in names
            and id(n) not in skip
        ),
        reverse=True,
    )
    lines = text.splitlines(keepends=True)
    for line, col, end_line, end_col, value in spans:
        start = _offset(lines, line, col)
        end = _offset(lines, end_line, end_col)
        flat = "".join(lines)
        flat = f"{flat[:start]}{HELPER}({_literal(names[value])}){flat[end:]}"
        lines = flat.splitlines(keepends=True)
    return "".join(lines)


def _docstrings_and_fstring_parts(tree: ast.AST) -> Sequence[ast.AST]:
    out: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            out.extend(node.values)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            out.append(node.value)
        elif isinstance(node, ast.MatchValue):
            out.append(node.value)  # a pattern cannot hold a call
    return out


def _offset(lines: list[str], line: int, col: int) -> int:
    """Character offset of (1-based ``line``, UTF-8 byte ``col``) in the joined ``lines``."""
    before = sum(len(x) for x in lines[: line - 1])
    return before + len(lines[line - 1].encode("utf-8")[:col].decode("utf-8", "ignore"))


def _literal(text: str) -> str:
    from lineage.emitters.naming import string

    return string(text)
