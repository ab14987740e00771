"""The IPython extension: symmetric load/unload, one session per shell, failing open."""

from __future__ import annotations

import pytest

import lineage
from lineage import tracer as tracer_mod
from lineage.errors import ExtensionNotLoadedError

from .conftest import new_shell


def _hooks(shell) -> dict[str, int]:
    return {e: len(shell.events.callbacks[e]) for e in ("pre_run_cell", "post_run_cell")}


def test_load_unload_restore_shell_exactly() -> None:
    shell = new_shell()
    before_events = _hooks(shell)
    before_transformers = list(shell.ast_transformers)
    shell.run_line_magic("load_ext", "lineage")
    assert _hooks(shell) == {k: v + 1 for k, v in before_events.items()}
    assert shell.ast_transformers == before_transformers  # no AST transformer registered
    assert "transform_ast" in shell.__dict__
    shell.run_line_magic("unload_ext", "lineage")
    assert _hooks(shell) == before_events
    assert shell.ast_transformers == before_transformers
    assert "transform_ast" not in shell.__dict__


@pytest.mark.parametrize("magic", ["reload_ext", "load_ext"])
def test_reload_or_double_load_keeps_one_tracer_and_the_history(magic: str) -> None:
    shell = new_shell()
    before = _hooks(shell)
    shell.run_line_magic("load_ext", "lineage")
    shell.run_cell("a = [1]", store_history=True)
    shell.run_line_magic(magic, "lineage")
    shell.run_cell("a.append(2)", store_history=True)
    assert _hooks(shell) == {k: v + 1 for k, v in before.items()}
    shell.run_cell("import lineage\nart = lineage.save(a, 'a')", store_history=True).raise_error()
    assert lineage.get("a").code == "a = [1]\na.append(2)\n"
    shell.run_line_magic("unload_ext", "lineage")
    assert _hooks(shell) == before


def test_save_without_extension_says_what_to_do() -> None:
    shell = new_shell()
    result = shell.run_cell("import lineage\nx = 1\nlineage.save(x, 'x')")
    assert isinstance(result.error_in_exec, ExtensionNotLoadedError)
    assert "%load_ext lineage" in str(result.error_in_exec)
    assert "lineage run" in str(result.error_in_exec)


def test_records_hold_no_user_objects(shell) -> None:
    shell.run_cell("big = list(range(10))\ndef f():\n    return big", store_history=True)
    session = tracer_mod.active_tracer().session
    record = session.records[-1]

    def atoms(value) -> bool:
        if isinstance(value, tuple):
            return all(atoms(v) for v in value)
        return value is None or isinstance(value, (str, int))

    assert record._fields and atoms(tuple(record))


def test_capture_failure_is_reported_once_and_cell_still_runs(shell, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LINEAGE_DEV_MODE", "0")
    tracer = tracer_mod.active_tracer()

    def broken(names):
        raise RuntimeError("boom")

    monkeypatch.setattr(tracer, "_observe", broken)
    for _ in range(3):
        result = shell.run_cell("y = 41 + 1", store_history=True)
        assert result.success
    assert shell.user_ns["y"] == 42
    err = capsys.readouterr().err
    assert err.count("lineage: capture failed") == 1


def test_dev_mode_makes_capture_failures_raise(shell, monkeypatch) -> None:
    tracer = tracer_mod.active_tracer()
    monkeypatch.setattr(tracer, "_observe", lambda names: 1 / 0)
    shell.run_cell("z = 1", store_history=True)  # IPython shows errors raised in its hooks
    assert isinstance(tracer.errors[0], ZeroDivisionError)
    monkeypatch.undo()
    result = shell.run_cell("import lineage\nlineage.save(z, 'z')", store_history=True)
    assert isinstance(result.error_in_exec, RuntimeError)
    assert "capture failed earlier" in str(result.error_in_exec)
    tracer.errors.clear()


def test_silent_and_empty_cells_are_ignored(shell) -> None:
    session = tracer_mod.active_tracer().session
    n = len(session.records)
    shell.run_cell("", store_history=True)
    shell.run_cell("hidden = 1", silent=True)
    assert len(session.records) == n
