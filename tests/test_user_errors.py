"""Every error a user can meet is a LineageError with a message that says what to do, shown
without lineage's frames (issue 11, item 11).

- the store: a home that cannot be a folder, a directory where the database should be, a
  read-only or full store, an empty ``lineage.db`` (refused: lineage only uses a database it
  made itself, see lineage/store.py);
- IPython shows a LineageError as its message alone, and leaves the user's own exceptions and
  the shell's handlers as they were;
- the warning about a value that cannot be pickled points at the user's line.

Tests may run as root, where ``chmod`` does not stop writes: those cases are skipped when a
write still succeeds, and the other cases use mechanisms that hold for root too (a file where a
folder must be, ``/proc``, a folder where the database must be, ``RLIMIT_FSIZE``)."""

from __future__ import annotations

import importlib.util
import linecache
import os
import re
import resource
import shlex
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

import lineage
from lineage.errors import (
    CaptureFailedError,
    CorruptStoreError,
    LineageError,
    StoreAccessError,
    UnpicklableValueWarning,
)
from lineage.store import Store
from tests.conftest import forget_shell, new_shell

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = str(ROOT / "lineage")


def save(store: Store, name: str, value: object) -> None:
    store.save(name, value, code=f"{name} = ...", session_code="", session_id="s")


def _still_writable(folder: Path) -> bool:
    """chmod does not stop root (or a file system that ignores modes)."""
    probe = folder / ".probe"
    try:
        probe.write_text("x")
    except OSError:
        return False
    probe.unlink()
    return True


# -- the store --------------------------------------------------------------------------------


def _parent_is_file(tmp: Path) -> Path:
    (tmp / "file").write_text("not a folder")
    return tmp / "file" / "home"


def _on_proc(tmp: Path) -> Path:
    return Path("/proc/lineage-test-home")


def _db_is_folder(tmp: Path) -> Path:
    (tmp / "home" / "lineage.db").mkdir(parents=True)
    return tmp / "home"


def _values_is_file(tmp: Path) -> Path:
    (tmp / "home").mkdir()
    (tmp / "home" / "values").write_text("")
    return tmp / "home"


def _empty_db(tmp: Path) -> Path:
    (tmp / "home").mkdir()
    (tmp / "home" / "lineage.db").write_bytes(b"")
    return tmp / "home"


def _read_only_home(tmp: Path) -> Path:
    home = tmp / "home"
    save(Store(home), "old", 1)
    for path in (home, home / "values"):
        path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if _still_writable(home):
        pytest.skip("chmod does not stop writes here (root): the other cases cover root")
    return home


def _read_only_db(tmp: Path) -> Path:
    home = tmp / "home"
    save(Store(home), "old", 1)
    (home / "lineage.db").chmod(stat.S_IRUSR)
    try:
        with open(home / "lineage.db", "ab"):
            pass
    except OSError:
        return home
    pytest.skip("chmod does not stop writes here (root): the other cases cover root")


@dataclass(frozen=True)
class StoreCase:
    id: str
    make: Callable[[Path], Path]  # returns the home to use
    error: type[LineageError]
    says: str
    reads_fail: bool = True  # `lineage list` fails too, not only saving


STORE_CASES = [
    StoreCase("parent-is-a-file", _parent_is_file, StoreAccessError, "Not a directory"),
    StoreCase("home-on-proc", _on_proc, StoreAccessError, "No such file or directory"),
    StoreCase("database-is-a-folder", _db_is_folder, StoreAccessError, "is a folder"),
    StoreCase("values-is-a-file", _values_is_file, StoreAccessError, "values"),
    StoreCase("empty-database", _empty_db, CorruptStoreError, "is empty (a file lineage did not"),
    StoreCase("read-only-home", _read_only_home, StoreAccessError, "cannot use", False),
    StoreCase("read-only-database", _read_only_db, StoreAccessError, "readonly", False),
]


@pytest.fixture
def restore_modes(tmp_path: Path) -> Iterator[None]:
    yield
    for folder, dirs, _ in os.walk(tmp_path):  # let pytest remove what chmod made read-only
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o755)


@pytest.mark.parametrize("case", STORE_CASES, ids=[c.id for c in STORE_CASES])
def test_unusable_store(case: StoreCase, tmp_path: Path, restore_modes: None) -> None:
    home = case.make(tmp_path)
    db = home / "lineage.db"
    before = db.read_bytes() if db.is_file() else None
    store = Store(home)
    calls: list[Callable[[], object]] = [lambda: save(store, "x", [1])]
    if case.reads_fail:
        calls += [store.list, lambda: store.get("x")]
    for call in calls:
        with pytest.raises(case.error, match="LINEAGE_HOME") as info:
            call()
        assert case.says in str(info.value)
    if before is not None:
        assert db.read_bytes() == before  # refused, not taken over
    env = {**os.environ, "LINEAGE_HOME": str(home), "PYTHONPATH": str(ROOT)}
    command = "list" if case.reads_fail else "delete"
    proc = subprocess.run(
        [sys.executable, "-m", "lineage", command, *(["old"] if command == "delete" else [])],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("lineage: ") and "Traceback" not in proc.stderr
    assert case.says in proc.stderr


def test_new_store_is_made_whole_even_when_processes_race(tmp_path: Path) -> None:
    """lineage.db appears complete (linked into place), so concurrent first saves all land in
    one store and no temporary file stays behind."""
    home = tmp_path / "home"
    script = (
        "import sys\nfrom lineage.store import Store\n"
        "Store(sys.argv[1]).save('x', int(sys.argv[2]), code='', session_code='', "
        "session_id='s')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(home), str(i)], env=env)
        for i in range(6)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0] * 6
    records = Store(home).list()
    assert sorted(r.version for r in records) == [1, 2, 3, 4, 5, 6]
    assert sorted(p.name for p in home.iterdir()) == ["lineage.db", "values"]
    with sqlite3.connect(home / "lineage.db") as conn:
        assert dict(conn.execute("SELECT key, value FROM meta"))["app"] == "lineage"
    conn.close()


def _read_only_mount(folder: Path, command: list[str]) -> list[str]:
    """``command`` run with ``folder`` mounted read-only in a private mount namespace: a real
    read-only file system, which stops root too (needs root and ``unshare``)."""
    quoted = shlex.quote(str(folder))
    mount = f"mount --bind {quoted} {quoted} && mount -o remount,bind,ro {quoted} {quoted}"
    return ["unshare", "-m", "sh", "-c", f"{mount} && exec {shlex.join(command)}"]


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (("run", "job.py"), 1, "StoreAccessError: cannot use the lineage store at"),
        (("delete", "old"), 2, "lineage: cannot use the lineage store at"),
        (("list",), 2, "lineage: cannot use the lineage store at"),
    ],
    ids=["save", "delete", "list"],
)
def test_read_only_file_system(
    args: tuple[str, ...], status: int, says: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    save(Store(home), "old", 1)
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare (the chmod cases above cover other users)")
    probe = subprocess.run(_read_only_mount(home, ["true"]), capture_output=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount read-only here: {probe.stderr.decode().strip()}")
    (tmp_path / "job.py").write_text("import lineage\nx = [1]\nlineage.save(x, 'x')\n")
    env = {**os.environ, "LINEAGE_HOME": str(home), "PYTHONPATH": str(ROOT)}
    command = _read_only_mount(home, [sys.executable, "-m", "lineage", *args])
    proc = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == status, proc.stdout + proc.stderr
    output = proc.stdout + proc.stderr
    assert says in output and "LINEAGE_HOME" in output and "Traceback" not in output
    assert [(r.name, r.version) for r in Store(home).list()] == [("old", 1)]


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


@pytest.mark.parametrize(
    "session",
    [
        "import lineage\nblob = 'x' * 300_000\nlineage.save(blob, 'blob')\n",  # the value file
        # no value file (a generator): the database row is what does not fit
        "import lineage\nblob = '" + "y" * 300_000 + "'\ng = iter(blob)\nlineage.save(g, 'g')\n",
    ],
    ids=["value-file", "database"],
)
def test_full_disk(session: str, tmp_path: Path) -> None:
    """A store on a full disk, simulated for this process alone (works as root)."""
    home = tmp_path / "home"
    Store(home).list()  # the store exists; the save is what does not fit
    (tmp_path / "session.py").write_text(session)
    env = {**os.environ, "LINEAGE_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "lineage", "run", "session.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_file_size,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    output = proc.stdout + proc.stderr
    assert "StoreAccessError: cannot use the lineage store at" in output
    assert "free space" in output and "Traceback" not in output
    assert Store(home).list() == []
    assert list((home / "values").iterdir()) == []


# -- IPython shows lineage's errors as their message --------------------------------------------


@dataclass(frozen=True)
class ShellCase:
    id: str
    cell: str
    says: str  # on stderr or stdout
    traceback: bool  # a full traceback is shown (the user's own exceptions)


SHELL_CASES = [
    ShellCase(
        id="unknown-artifact",
        cell="lineage.get('modle')",
        says="ArtifactNotFoundError: no artifact named 'modle'; did you mean 'model'?",
        traceback=False,
    ),
    ShellCase(
        id="invalid-name",
        cell="lineage.save(1, 'a/b')",
        says="InvalidArtifactNameError: artifact names cannot contain '/'",
        traceback=False,
    ),
    ShellCase(
        id="unknown-version",
        cell="lineage.get('model', version=9)",
        says="VersionNotFoundError: artifact 'model' has no version 9",
        traceback=False,
    ),
    ShellCase(
        id="name-not-a-string",
        cell="lineage.get(5)",
        says="InvalidArtifactNameError: artifact names must be strings, not int",
        traceback=False,
    ),
    ShellCase(
        id="version-not-a-number",
        cell="lineage.delete('model', version='1')",
        says="InvalidVersionError: an artifact version is a whole number from 1",
        traceback=False,
    ),
    ShellCase(
        id="inside-a-user-function",
        cell="def load():\n    return lineage.get('nope')\nload()",
        says="ArtifactNotFoundError: no artifact named 'nope'",
        traceback=False,
    ),
    ShellCase(
        id="users-own-exception",
        cell="def f():\n    raise ValueError('mine')\nf()",
        says="ValueError: mine",
        traceback=True,
    ),
    ShellCase(
        id="users-class-named-LineageError",
        cell="class LineageError(Exception):\n    pass\nraise LineageError('also mine')",
        says="LineageError: also mine",
        traceback=True,
    ),
]


def _run(shell: InteractiveShell, cell: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    shell.run_cell(cell)
    captured = capsys.readouterr()
    return re.sub(r"\x1b\[[0-9;]*m", "", captured.out + captured.err)  # without colours


@pytest.mark.parametrize("case", SHELL_CASES, ids=[c.id for c in SHELL_CASES])
def test_shell_shows_lineage_errors_as_message(
    case: ShellCase, shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_cell("import lineage\nmodel = [1]\nlineage.save(model, 'model')")
    output = _run(shell, case.cell, capsys)
    assert case.says in output, output
    shown_frames = "Traceback (most recent call last)" in output or "Cell In[" in output
    assert shown_frames is case.traceback, output
    if not case.traceback:
        assert PACKAGE not in output, output  # none of lineage's frames
        assert output.strip().count("\n") == 0, output  # the message alone, one line


def test_shell_error_is_an_error_and_tb_shows_it(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    result = shell.run_cell("import lineage\nlineage.get('nope')")
    assert isinstance(result.error_in_exec, LineageError) and not result.success
    output = _run(shell, "%tb", capsys)
    assert "lineage/store/__init__.py" in output and "ArtifactNotFoundError" in output


def _previous_handler(
    self: InteractiveShell,
    etype: type[BaseException],
    value: BaseException,
    tb: object,
    tb_offset: int | None = None,
) -> list[str]:
    print(f"custom handler saw {etype.__name__}")
    return []


def test_load_and_unload_keep_the_shells_handlers(capsys: pytest.CaptureFixture[str]) -> None:
    """A handler the user set before loading keeps its exceptions; unloading puts it back, and
    %reload_ext leaves one registration."""
    shell = new_shell()
    try:
        shell.set_custom_exc((ZeroDivisionError,), _previous_handler)
        before = (shell.custom_exceptions, shell.CustomTB)
        shell.run_line_magic("load_ext", "lineage")
        shell.run_line_magic("reload_ext", "lineage")
        assert _run(shell, "1 / 0", capsys).strip() == "custom handler saw ZeroDivisionError"
        output = _run(shell, "import lineage\nlineage.get('nope')", capsys)
        assert output.strip() == (
            "ArtifactNotFoundError: no artifact named 'nope' (`lineage list` shows all)"
        )
        shell.run_line_magic("unload_ext", "lineage")
        assert (shell.custom_exceptions, shell.CustomTB) == before
        assert "Traceback" in _run(shell, "lineage.get('nope')", capsys)
        assert _run(shell, "1 / 0", capsys).strip() == "custom handler saw ZeroDivisionError"
    finally:
        forget_shell(shell)
        InteractiveShell.clear_instance()


def test_unload_leaves_no_handler(capsys: pytest.CaptureFixture[str]) -> None:
    shell = new_shell()
    try:
        shell.run_line_magic("load_ext", "lineage")
        shell.run_line_magic("unload_ext", "lineage")
        assert shell.custom_exceptions == ()
        assert "Traceback" in _run(shell, "import lineage\nlineage.get('nope')", capsys)
    finally:
        forget_shell(shell)
        InteractiveShell.clear_instance()


def test_capture_failure_is_a_lineage_error(shell: InteractiveShell) -> None:
    from lineage.tracer import active_tracer

    tracer = active_tracer()
    tracer.errors.append(ValueError("broken record"))  # what a capture failure leaves (dev mode)
    try:
        result = shell.run_cell("import lineage\nx = 1\nlineage.save(x, 'x')")
    finally:
        tracer.errors.clear()
    assert isinstance(result.error_in_exec, CaptureFailedError)
    assert "ValueError: broken record" in str(result.error_in_exec)


# -- the unpicklable-value warning points at the user's line ----------------------------------


@dataclass(frozen=True)
class WarningCase:
    id: str
    cell: str
    line: int  # of the cell, where the warning must point


WARNING_CASES = [
    WarningCase(
        "in-the-cell", "import lineage\ng = (i for i in range(3))\nlineage.save(g, 'g')", 3
    ),
    WarningCase(
        "in-a-user-function",
        "import lineage\ndef keep(v):\n    return lineage.save(v, 'g')\n\nkeep(i for i in [1])",
        3,
    ),
    WarningCase("imported-as", "from lineage import save as keep\nkeep((i for i in [1]), 'g')", 2),
]


@pytest.mark.parametrize("case", WARNING_CASES, ids=[c.id for c in WARNING_CASES])
def test_unpicklable_warning_points_at_the_cell(case: WarningCase, shell: InteractiveShell) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shell.run_cell(case.cell)
    (warning,) = [w for w in caught if issubclass(w.category, UnpicklableValueWarning)]
    assert not warning.filename.startswith(PACKAGE)
    assert warning.filename.startswith("<ipython-input-"), warning.filename
    expected = case.cell.splitlines()[case.line - 1]
    assert linecache.getline(warning.filename, warning.lineno).rstrip() == expected


def test_unpicklable_warning_points_at_the_script_line(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(
        "import lineage\n\ng = (i for i in [1])\nlineage.save(g, 'g')\n"
    )
    env = {**os.environ, "LINEAGE_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "lineage", "run", "job.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert ":4: UnpicklableValueWarning: could not pickle the value of 'g'" in proc.stderr
    assert "lineage/store.py" not in proc.stderr and "lineage/api.py" not in proc.stderr


def test_lineage_error_is_exported() -> None:
    assert lineage.LineageError is LineageError


def _notebook_runner() -> ModuleType:
    """``examples/notebook_runner.py`` (not a package), as tests/test_notebooks.py loads it."""
    name = "lineage_examples_notebook_runner"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / "notebook_runner.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_in_a_jupyter_kernel(tmp_path: Path) -> None:
    """The same in a real Jupyter kernel: a LineageError is a one-line stderr message and the
    cell counts as failed; the user's own exception keeps its traceback; the warning names the
    cell's line."""
    import nbformat

    cells = [
        ("%load_ext lineage\nimport lineage", False),
        ("lineage.get('nope')", True),
        ("def f():\n    raise ValueError('mine')\nf()", True),
        ("g = (i for i in [1])\nlineage.save(g, 'g')", False),
    ]
    nb = nbformat.v4.new_notebook()
    for source, raises in cells:
        cell = nbformat.v4.new_code_cell(source)
        if raises:
            cell.metadata["tags"] = ["raises-exception"]
        nb.cells.append(cell)
    path = tmp_path / "errors.ipynb"
    nbformat.write(nb, str(path))
    done = _notebook_runner().execute_notebook(path, tmp_path, env={"LINEAGE_DEV_MODE": "1"})
    outputs = [cell.outputs for cell in done.cells]

    def text(cell_outputs: list[Any]) -> str:
        return "".join(o.get("text", "") for o in cell_outputs if o.output_type == "stream")

    assert [o.output_type for o in outputs[1]] == ["stream"]
    assert text(outputs[1]) == (
        "ArtifactNotFoundError: no artifact named 'nope' (`lineage list` shows all)\n"
    )
    (error,) = [o for o in outputs[2] if o.output_type == "error"]
    assert error.ename == "ValueError" and len(error.traceback) > 1
    warning = text(outputs[3])
    assert "UnpicklableValueWarning" in warning and PACKAGE not in warning
    assert ":2: UnpicklableValueWarning" in warning and "lineage.save(g, 'g')" in warning


def test_in_a_jupyter_kernel_the_cell_fails(tmp_path: Path) -> None:
    """The message replaces the traceback, not the error: Jupyter still stops at the cell."""
    import nbformat

    runner = _notebook_runner()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext lineage\nimport lineage"),
        nbformat.v4.new_code_cell("lineage.get('nope')"),
        nbformat.v4.new_code_cell("after = 1"),
    ]
    path = tmp_path / "stops.ipynb"
    nbformat.write(nb, str(path))
    with pytest.raises(runner.NotebookError) as info:
        runner.execute_notebook(path, tmp_path, env={"LINEAGE_DEV_MODE": "1"})
    message = str(info.value)
    assert "lineage.get('nope')" in message and "after = 1" not in message
    assert "ArtifactNotFoundError: no artifact named 'nope'" in message
    assert "Traceback" not in message and PACKAGE not in message
