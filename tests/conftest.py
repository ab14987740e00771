"""Shared fixtures: a fresh IPython shell with lineage loaded, in an empty folder and store."""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("lineage-home")
    monkeypatch.setenv("LINEAGE_HOME", str(home))
    monkeypatch.setenv("LINEAGE_DEV_MODE", "1")
    return home


def forget_shell(shell: InteractiveShell) -> None:
    """Drop the exit hook IPython registers for every shell: it keeps the shell (and its
    session) alive until the process ends, then runs a full ``gc.collect()`` per shell, which
    for a whole suite's shells took longer than the suite."""
    atexit.unregister(shell.atexit_operations)


def new_shell() -> InteractiveShell:
    """A fresh shell (the old singleton is dropped), history off."""
    if InteractiveShell.initialized():
        forget_shell(InteractiveShell.instance())
    InteractiveShell.clear_instance()
    config = Config()
    config.HistoryManager.enabled = False
    return InteractiveShell.instance(config=config)


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """A fresh InteractiveShell with ``%load_ext lineage``, run from an empty folder."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    sh = new_shell()
    sh.run_line_magic("load_ext", "lineage")
    from lineage.tracer import active_tracer

    tracer = active_tracer()
    yield sh
    assert not tracer.errors, f"capture failed: {tracer.errors!r}"
    sh.run_line_magic("unload_ext", "lineage")
    forget_shell(sh)
    InteractiveShell.clear_instance()
    os.chdir(tmp_path)
