"""Shared fixtures: a fresh IPython shell with lineage loaded, in an empty folder and store."""

from __future__ import annotations

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


def new_shell() -> InteractiveShell:
    """A fresh shell (the old singleton is dropped), history off."""
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
    InteractiveShell.clear_instance()
    os.chdir(tmp_path)
