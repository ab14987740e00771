"""Names in emitted code: valid identifiers that never collide, and safe Python literals.

Everything user-supplied that ends up in generated code passes through here first: names become
identifiers (:func:`identifier`), strings and other values become literals (:func:`literal`),
so no artifact name or parameter value can ever inject code into a template.
"""

from __future__ import annotations

import builtins
import math
import sys
from collections.abc import Iterable

from lineage.identifiers import identifier

BUILTINS = frozenset(dir(builtins))


def module_name(text: str) -> str:
    """An identifier for files named after a pipeline, never shadowing an importable module
    (``random.py`` next to the pipeline would hide the standard library's ``random``)."""
    ident = identifier(text)
    if ident in sys.stdlib_module_names or ident in sys.builtin_module_names or _installed(ident):
        ident += "_pipeline"
    return ident


def _installed(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


class Namer:
    """Hands out identifiers that are unique among each other and avoid the ``taken`` ones."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.taken = set(taken)

    def __call__(self, base: str) -> str:
        name = identifier(base, default="value")
        if name in BUILTINS:
            name += "_"
        stem, n = name, 2
        while name in self.taken:
            name, n = f"{stem}_{n}", n + 1
        self.taken.add(name)
        return name


def string(text: str) -> str:
    """A Python string literal for ``text``, double-quoted as a formatter would write it."""
    lit = repr(text)
    if lit.startswith("'") and '"' not in text:
        lit = '"' + lit[1:-1] + '"'
    return lit


def literal(value: object) -> str:
    """Python source that evaluates to ``value`` (a literal: str, number, bool, None or a
    list/tuple/set/dict of those). Raises TypeError for anything else."""
    if isinstance(value, str):
        return string(value)
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(value)
        return f'float("{value}")'
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, (set, frozenset)):
        if not value:
            return "set()"
        return "{" + ", ".join(sorted(literal(v) for v in value)) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"not a literal: {type(value).__name__}")
