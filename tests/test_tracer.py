"""The IPython extension: symmetric load/unload, one session per shell, failing open."""

from __future__ import annotations

import sys

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


# -- the working directory each cell started in -------------------------------------------------------
# The tracer reads the directory only once a cell's code may have moved it (its text names chdir,
# %cd, ...), so each case checks the folder recorded for every cell against where it started.
CWD_CASES = [
    pytest.param(["import os", "os.chdir('a')", "x = 1", "os.chdir('..')", "y = 2"],
                 [".", ".", "a", "a", "."], id="os_chdir"),
    pytest.param(["%cd a", "x = 1", "%cd -q ..", "y = 2"], [".", "a", "a", "."], id="cd_magic"),
    pytest.param(["import os\nfd = os.open('a', os.O_RDONLY)\nos.fchdir(fd)\nos.close(fd)",
                  "x = 1"], [".", "a"], id="os_fchdir"),
    pytest.param(["import os\nos.chdir('a')\nos.chdir('b')", "x = 1"], [".", "a/b"],
                 id="two_changes_in_one_cell"),
    pytest.param(["import os\ntry:\n    os.chdir('missing')\nexcept OSError:\n    pass",
                  "x = 1"], [".", "."], id="failed_chdir"),
    pytest.param(["import os\nos.chdir(path='a')", "x = 1"], [".", "a"], id="keyword_argument"),
    pytest.param(["import contextlib\nwith contextlib.chdir('a'):\n    pass", "x = 1"], [".", "."],
                 id="contextlib_chdir",
                 marks=pytest.mark.skipif(sys.version_info < (3, 11), reason="Python >= 3.11")),
]  # fmt: skip


@pytest.mark.parametrize(("cells", "started_in"), CWD_CASES)
def test_each_record_has_the_folder_its_cell_started_in(
    shell, cells: list[str], started_in: list[str]
) -> None:
    import os

    work = os.getcwd()
    os.makedirs("a/b")
    session = tracer_mod.active_tracer().session
    n = len(session.records)
    for cell in cells:
        shell.run_cell(cell, store_history=True).raise_error()
    got = [os.path.relpath(r.cwd, work) for r in session.records[n:]]
    assert got == [os.path.normpath(p) for p in started_in]


def test_a_change_between_cells_is_seen_at_save(shell, tmp_path) -> None:
    import os

    session = tracer_mod.active_tracer().session
    shell.run_cell("x = 1", store_history=True)
    os.chdir(tmp_path)  # not from a cell: a test, or a kernel's own code
    with pytest.warns(UserWarning, match="working directory changed"):
        shell.run_cell("import lineage\nart = lineage.save(x, 'x')", store_history=True)
    shell.run_cell("y = 2", store_history=True)
    assert session.records[-1].cwd == str(tmp_path)  # from then on, each cell reads it


def test_chdir_is_not_wrapped() -> None:
    import os

    original, original_fd = os.chdir, os.fchdir
    shell = new_shell()
    shell.run_line_magic("load_ext", "lineage")
    assert (os.chdir, os.fchdir) == (original, original_fd)
    assert os.chdir.__module__ == ("nt" if os.name == "nt" else "posix")
    shell.run_line_magic("unload_ext", "lineage")
    assert (os.chdir, os.fchdir) == (original, original_fd)


def test_a_change_made_by_code_that_does_not_name_it_is_reported_at_save(shell) -> None:
    import os

    os.mkdir("a")
    shell.run_cell("x = 1", store_history=True)
    shell.run_cell("import os\nmove = getattr(os, 'ch' + 'dir')", store_history=True)
    shell.run_cell("move('a')", store_history=True)  # no cell names chdir
    with pytest.warns(UserWarning, match="working directory changed"):
        saved = shell.run_cell("import lineage\nart = lineage.save(x, 'x')", store_history=True)
    saved.raise_error()
    shell.run_cell("y = 2", store_history=True)
    assert tracer_mod.active_tracer().session.records[-1].cwd == os.getcwd()


def test_ast_transformers_added_after_loading_still_apply(shell) -> None:
    """The wrap skips IPython's own transform_ast only while the shell has no transformers."""
    import ast

    class Double(ast.NodeTransformer):
        def visit_Constant(self, node: ast.Constant) -> ast.Constant:
            return ast.Constant(node.value * 2) if type(node.value) is int else node

    shell.run_cell("before = 1", store_history=True)
    shell.ast_transformers.append(Double())
    try:
        shell.run_cell("after = 1", store_history=True)
    finally:
        shell.ast_transformers.clear()
    shell.run_cell("cleared = 1", store_history=True)
    assert [shell.user_ns[n] for n in ("before", "after", "cleared")] == [1, 2, 1]
    observed = [r.names[0] for r in tracer_mod.active_tracer().session.records[-3:]]
    assert observed == ["before", "after", "cleared"]
