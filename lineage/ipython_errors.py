"""Errors lineage raises on purpose are shown in IPython as their message alone, as IPython
shows a ``UsageError``: the user made a mistake lineage can explain, and lineage's own frames
would only hide the explanation. ``%tb`` still prints the whole traceback.

The extension registers one handler, for :class:`LineageError` only, through IPython's
``set_custom_exc``; a handler registered before it keeps handling its own exceptions, and
unloading the extension puts back what was there.
"""

from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from lineage.errors import LineageError


@dataclass(frozen=True)
class _Registration:
    ours: tuple[type[BaseException], ...]  # the tuple lineage set (identity tells it is ours)
    previous: tuple[type[BaseException], ...]
    # the shell's CustomTB before lineage's, unbound when it was the shell's own method (a
    # bound method would hold the shell and keep it alive as this weak dictionary's key)
    previous_handler: Any
    bound: bool

    def handler(self, shell: Any) -> Any:
        return self.previous_handler.__get__(shell) if self.bound else self.previous_handler


_REGISTERED: weakref.WeakKeyDictionary[Any, _Registration] = weakref.WeakKeyDictionary()


def _show(
    shell: Any,
    etype: type[BaseException],
    value: BaseException,
    tb: TracebackType | None,
    tb_offset: int | None = None,
) -> list[str] | None:
    if not isinstance(value, LineageError):  # an exception a handler before lineage's took
        return _REGISTERED[shell].handler(shell)(etype, value, tb, tb_offset)
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # for %tb and %debug
    if sys.version_info >= (3, 12):
        sys.last_exc = value
    print(f"{etype.__name__}: {value}", file=sys.stderr)
    return []


def register(shell: Any) -> None:
    """Show ``shell``'s LineageErrors as their message (once per shell)."""
    if shell in _REGISTERED:
        return
    previous = tuple(shell.custom_exceptions)
    handler = shell.CustomTB
    bound = getattr(handler, "__self__", None) is shell
    registration = _Registration(
        ours=(LineageError, *previous),
        previous=previous,
        previous_handler=handler.__func__ if bound else handler,
        bound=bound,
    )
    _REGISTERED[shell] = registration
    shell.set_custom_exc(registration.ours, _show)


def unregister(shell: Any) -> None:
    """Undo :func:`register`; a handler set after lineage's is left in place."""
    registration = _REGISTERED.pop(shell, None)
    if registration is not None and shell.custom_exceptions is registration.ours:
        shell.custom_exceptions = registration.previous
        shell.CustomTB = registration.handler(shell)
