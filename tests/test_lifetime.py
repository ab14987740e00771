"""Nothing lineage keeps per shell outlives the shell; a reload keeps the shell's session."""

from __future__ import annotations

import gc
import weakref
from dataclasses import dataclass

import pytest
from IPython.core.interactiveshell import InteractiveShell

from lineage import tracer as tracer_mod
from lineage.session import Session

from .conftest import forget_shell, new_shell


@dataclass(frozen=True)
class Case:
    name: str
    shells: int
    unload: bool  # the extension is unloaded before the shell is dropped


CASES = [
    Case(name="dropped while loaded", shells=30, unload=False),
    Case(name="unloaded then dropped", shells=30, unload=True),
]


def _drop(shell: InteractiveShell) -> None:
    """What the end of a shell does that keeps it no longer: IPython's exit hook is dropped (see
    forget_shell) and the ``__main__`` module it replaced is put back."""
    shell.restore_sys_module_state()
    forget_shell(shell)
    InteractiveShell.clear_instance()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_no_session_outlives_its_shell(case: Case) -> None:
    shells: list[weakref.ref[InteractiveShell]] = []
    sessions: list[weakref.ref[Session]] = []
    for _ in range(case.shells):
        shell = new_shell()
        shell.run_line_magic("load_ext", "lineage")
        shell.run_cell("x = [1]\nx.append(2)", store_history=True)
        shells.append(weakref.ref(shell))
        sessions.append(weakref.ref(tracer_mod.active_tracer().session))
        if case.unload:
            shell.run_line_magic("unload_ext", "lineage")
        _drop(shell)
        del shell
    gc.collect()
    # IPython itself keeps a shell or two alive (IPython.core.completer holds the ``__main__``
    # module of the shell that imported it): a session lives exactly as long as its shell
    outlived = [i for i, ref in enumerate(sessions) if ref() is not None and shells[i]() is None]
    assert not outlived, f"{len(outlived)} of {case.shells} sessions outlived their shell"
    kept = sum(ref() is not None for ref in shells)
    assert kept <= 2, f"{kept} shells kept alive"


def test_reload_keeps_the_session_and_its_records() -> None:
    shell = new_shell()
    shell.run_line_magic("load_ext", "lineage")
    shell.run_cell("a = 1", store_history=True)
    session = tracer_mod.active_tracer().session
    shell.run_line_magic("reload_ext", "lineage")
    gc.collect()
    assert tracer_mod.active_tracer().session is session
    assert [r.raw for r in session.records][-1] == "a = 1"
    shell.run_line_magic("unload_ext", "lineage")
    _drop(shell)
