"""Shared fixtures: a fresh IPython shell with lineage loaded, in an empty folder and store."""

from __future__ import annotations

import atexit
import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import IPython
import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

import lineage._config

pytest_plugins = ["tests.servers"]  # the PostgreSQL and S3 servers of the team-store tests


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("lineage-home")
    monkeypatch.setenv("LINEAGE_HOME", str(home))
    monkeypatch.setenv("LINEAGE_DEV_MODE", "1")
    for name in ("LINEAGE_DATABASE_URL", "LINEAGE_ARTIFACT_URL"):  # the default store
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(lineage._config, "_configured", None)  # what lineage.configure set
    return home


def forget_shell(shell: InteractiveShell) -> None:
    """Drop the exit hook IPython registers for every shell: it keeps the shell (and its
    session) alive until the process ends, then runs a full ``gc.collect()`` per shell, which
    for a whole suite's shells took longer than the suite."""
    atexit.unregister(shell.atexit_operations)
    # IPython also registers the %%script magics' cleanup, which on IPython 8 holds the shell
    script_magics = shell.magics_manager.registry.get("ScriptMagics")
    if script_magics is not None:
        atexit.unregister(script_magics.kill_bg_processes)


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
    monkeypatch.setattr(sys, "path", list(sys.path))  # a case's sys.path.insert ends with it
    # ``sys.path.insert(0, '.')`` finds modules through a finder cached for "." that lists
    # the folder of the case before: every case looks at its own folder
    for relative in ("", "."):
        sys.path_importer_cache.pop(relative, None)
    importlib.invalidate_caches()
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
    _forget_modules_under(tmp_path)


def _forget_modules_under(folder: Path) -> None:
    """Drop the modules a case imported from its own folder (``helpers.py``), so a later case
    with a module of the same name imports its own."""
    root = os.path.join(os.path.realpath(folder), "")
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and os.path.realpath(os.path.join(folder, "work", path)).startswith(root):
            del sys.modules[name]


# -- what a Python or library version cannot do (`make test` runs the suite on several) --------
def _pandas_major() -> int:
    from importlib import metadata

    try:
        return int(metadata.version("pandas").split(".")[0])
    except (metadata.PackageNotFoundError, ValueError):
        return 0


# (test id as pytest names it, whether it cannot pass here, why): the specs of lineage/specs/
# describe pandas 3 (its types are named pandas.DataFrame, copy-on-write is always on); Python
# 3.10 has only pandas 2, where frames' methods are unknown calls the slice keeps (not minimal,
# still sound). Python 3.10 reports no column, so which statement of a line raised, and which
# part of a statement, is unknown (docs/architecture.md, "Known limits"). IPython 8's %time
# shows what its code raised and the cell does not fail; IPython 9 re-raises it.
_PANDAS_2 = _pandas_major() < 3
_PY310 = sys.version_info < (3, 11)
_IPYTHON_8 = int(IPython.__version__.split(".")[0]) < 9
# IPython < 8.22 hands over no transformed cell: the tracer reads the folder at every cell start,
# so a change between cells is recorded then and there is nothing left to warn about at save
_OLD_IP = IPython.version_info < (8, 22)
_CWD_READ = "IPython < 8.22: the folder is read at every cell"
# the data-science specs were generated from the newest numpy, pandas 3 and matplotlib (tools/
# specgen); Python 3.10 gets older releases, whose names and behaviour differ
_OLDER_LIBRARIES = "3.10's numpy, pandas and matplotlib are older than the specs'"
_NO_COLUMN = "no column on Python 3.10"
_FAILURES_NEEDING_COLUMNS = (
    "assignment_raised_not_a_dependency_of_its_target",
    "same_line_name_error",
    "same_line_failing_append_argument",
    "same_line_mutating_failure",
    "assignment_raised_target_slice_minimal",
    "multiline_after_semicolon_fails_on_first_line",
    "call_argument_raised_before_the_call",
    "for_iterable_raised_body_never_ran",
    "if_test_raised",
    "augmented_assignment_value_raised",
    "pandas_new_column_from_missing_one",
)
VERSION_SKIPS: tuple[tuple[str, bool, str], ...] = (
    ("test_ds_notebooks.py::test_slice_holds_what_matters_only", _PANDAS_2, "pandas 3 specs"),
    ("test_notebooks.py::test_slice_holds_what_matters_only", _PANDAS_2, "pandas 3 specs"),
    ("test_export.py::test_golden[numpy_pandas]", _PANDAS_2, "pandas 3 specs"),
    ("test_slicing_datascience.py::test_slice[pd_", _PANDAS_2, "pandas 3 specs"),
    ("test_slicing_datascience.py::test_slice[mpl_dataframe_", _PANDAS_2, "pandas 3 specs"),
    ("test_slicing_matplotlib.py::test_slice[pandas_", _PANDAS_2, "pandas 3 specs"),
    # pandas 2 keeps the statements that made the frame: test_export_reuse.py's PANDAS_2_CASES
    ("test_export_reuse.py::test_plan[scaler_and_its_input_leave]", _PANDAS_2, "pandas 3 specs"),
    ("test_export_orchestrators.py::test_airflow_dag_reusing_", _PANDAS_2, "pandas 3 specs"),
    ("test_export_orchestrators.py::test_ray_driver_reusing_", _PANDAS_2, "pandas 3 specs"),
    (
        "test_slicing_state.py::test_slice[dataframe_looped_not_consumed]",
        _PANDAS_2,
        "pandas 3 specs",
    ),
    ("test_slicing.py::test_slice[raised_same_line]", _PY310, _NO_COLUMN),
    ("test_slicing_failures.py::test_slice[or_then_raise_same_line]", _PY310, _NO_COLUMN),
    *(
        (f"test_slicing_failures.py::test_slice[{c}]", _PY310, _NO_COLUMN)
        for c in _FAILURES_NEEDING_COLUMNS
    ),
    ("test_slicing_failures.py::test_raised_records_the_exception_type", _IPYTHON_8, "IPython 8"),
    ("test_tracer.py::test_a_change_between_cells_is_seen_at_save", _OLD_IP, _CWD_READ),
    ("test_tracer.py::test_a_change_made_by_code_that_does_not_", _OLD_IP, _CWD_READ),
    ("test_specs_datascience.py::", _PY310, _OLDER_LIBRARIES),
    ("test_specs.py::test_function_names_exist", _PY310, _OLDER_LIBRARIES),
    ("test_specs.py::test_type_names_exist", _PY310, _OLDER_LIBRARIES),
    ("test_specs.py::test_method_names_exist", _PY310, _OLDER_LIBRARIES),
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        test_id = item.nodeid.rsplit("/", 1)[-1]
        for prefix, applies, why in VERSION_SKIPS:
            if applies and test_id.startswith(prefix):
                item.add_marker(pytest.mark.skip(reason=f"{why} (tests/conftest.py VERSION_SKIPS)"))
