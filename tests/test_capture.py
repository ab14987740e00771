"""Capture in real shells: the cell that loads the extension, whole sessions in one cell
(``ipython -c``, ``ipython file.ipy``), top-level ``await``, code run by magics, the working
directory (read without wrapping ``os.chdir``, and removed under the process), and capture that
leaves what the user sees unchanged.

Table cases run their cells in a fresh shell, save ``target``, check the slice's statements and
re-run it alone in a fresh interpreter in an empty folder (as tests/test_slicing.py does)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import lineage
from lineage import tracer as tracer_mod
from lineage.errors import UnreplayedCodeWarning
from lineage.verify import verify

from .conftest import forget_shell, new_shell

LINEAGE_DIR = str(Path(lineage.__file__).parent)
IPYTHON = str(Path(sys.executable).with_name("ipython"))


@dataclass(frozen=True)
class Case:
    id: str
    cells: tuple[str, ...]
    target: str = ""  # variable to save in a final cell; empty when the cells save themselves
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    warns: str = ""  # a warning the save must give (UnreplayedCodeWarning), matched as text
    rebuilds: bool = True  # the slice rebuilds the value (False: the save warns it may not)
    name: str = "art"
    loaded: bool = True  # False: the cells load the extension themselves


def stmts(code: str) -> list[str]:
    tree = ast.parse(code)
    return [(ast.get_source_segment(code, n) or "").strip() for n in tree.body]


@pytest.fixture
def bare_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """A fresh shell without lineage, in an empty folder."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    sh = new_shell()
    yield sh
    with_tracer = tracer_mod._TRACERS.get(id(sh))
    if with_tracer is not None:
        assert not with_tracer.errors, f"capture failed: {with_tracer.errors!r}"
        sh.run_line_magic("unload_ext", "lineage")
    forget_shell(sh)
    InteractiveShell.clear_instance()
    os.chdir(tmp_path)


def run_case(sh: InteractiveShell, case: Case, tmp_path: Path) -> None:
    if case.loaded:
        sh.run_line_magic("load_ext", "lineage")
    for cell in case.cells:
        sh.run_cell(cell, store_history=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if case.target:
            result = sh.run_cell(
                f"import lineage\nlineage.save({case.target}, {case.name!r})", store_history=True
            )
            result.raise_error()
    found = [str(w.message) for w in caught if issubclass(w.category, UnreplayedCodeWarning)]
    if case.warns:
        assert any(case.warns in m for m in found), f"no warning about {case.warns!r}: {found}"
    elif case.target:
        assert not found, found
    code = lineage.get(case.name).code
    assert "lineage" not in code
    assert "get_ipython" not in code
    got = stmts(code)
    for s in case.must:
        assert s in got, f"slice lacks {s!r}:\n{code}"
    for s in case.must_not:
        assert s not in got, f"slice should not hold {s!r}:\n{code}"
    for s, n in case.counts.items():
        assert got.count(s) == n, f"{s!r} should appear {n} times:\n{code}"
    empty = tmp_path / "empty"
    empty.mkdir()
    result = verify(case.name, cwd=empty)
    assert result.ok == case.rebuilds, f"{result.detail}\n--- slice ---\n{code}"


# -- the cell that loads the extension -----------------------------------------------------------------
LOAD_CASES = [
    Case(
        "loading_cell_binds",
        (
            "%load_ext lineage\nimport lineage\nimport json\nbase = [1, 2, 3]",
            "s = json.dumps(base)",
        ),
        "s",
        must=("import json", "base = [1, 2, 3]"),
        loaded=False,
    ),
    Case(
        "statements_before_the_magic_count",
        ("pre = [0]\n%load_ext lineage\npre.append(1)", "pre.append(2)"),
        "pre",
        must=("pre = [0]", "pre.append(1)", "pre.append(2)"),
        loaded=False,
    ),
    Case(
        "save_in_the_loading_cell",
        (
            "%load_ext lineage\nimport lineage\nx = [1]\nx.append(2)\nlineage.save(x, 'art')\n"
            "x.append(3)",
        ),
        must=("x = [1]", "x.append(2)"),
        must_not=("x.append(3)",),
        loaded=False,
    ),
    Case(
        "function_defined_in_the_loading_cell",
        ("%load_ext lineage\nk = 3\ndef f(v):\n    return v * k", "y = f(2)"),
        "y",
        must=("k = 3", "y = f(2)"),
        loaded=False,
    ),
    Case(
        "loading_cell_that_raised",
        ("%load_ext lineage\nz = [1]\nz.append(2)\n1 / 0\nz.append(3)",),
        "z",
        must=("z = [1]", "z.append(2)"),
        must_not=("z.append(3)",),
        loaded=False,
    ),
    Case(
        "time_magic_in_the_loading_cell",
        ("%load_ext lineage\n%time q = [1, 2]", "q.append(3)"),
        "q",
        must=("q = [1, 2]", "q.append(3)"),
        loaded=False,
    ),
    Case(
        "reload_in_a_cell",
        ("a = [1]", "%reload_ext lineage\na.append(2)", "a.append(3)"),
        "a",
        must=("a = [1]", "a.append(2)", "a.append(3)"),
    ),
    Case(
        "load_again_in_a_cell",
        ("a = [1]", "%load_ext lineage\na.append(2)"),
        "a",
        must=("a = [1]", "a.append(2)"),
    ),
]


@pytest.mark.parametrize("case", LOAD_CASES, ids=lambda c: c.id)
def test_loading_cell(case: Case, bare_shell: InteractiveShell, tmp_path: Path) -> None:
    run_case(bare_shell, case, tmp_path)


def _run_ipython(args: list[str], home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LINEAGE_HOME": str(home), "LINEAGE_DEV_MODE": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(LINEAGE_DIR).parent), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [IPYTHON, "--no-banner", "--HistoryManager.enabled=False", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


SESSION = """%load_ext lineage
import lineage
import json
base = [1, 2, 3]
unused = [0]
%time base.append(9)
def grow(v):
    base.append(v)
grow(4)
s = json.dumps(base)
lineage.save(s, 'whole')
unused.append(1)
"""


@pytest.mark.parametrize("how", ["-c", "file.ipy"])
def test_a_whole_session_in_one_cell(how: str, tmp_path: Path, monkeypatch) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    if how == "-c":
        proc = _run_ipython(["-c", SESSION], home, work)
    else:
        (work / "session.ipy").write_text(SESSION)
        proc = _run_ipython(["session.ipy"], home, work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Error" not in proc.stderr, proc.stderr
    monkeypatch.setenv("LINEAGE_HOME", str(home))
    code = lineage.get("whole").code
    got = stmts(code)
    for s in (
        "import json",
        "base = [1, 2, 3]",
        "base.append(9)",
        "grow(4)",
        "s = json.dumps(base)",
    ):
        assert s in got, code
    assert "unused = [0]" not in got and "lineage" not in code
    empty = tmp_path / "empty"
    empty.mkdir()
    assert verify("whole", cwd=empty).ok
    env = {**os.environ, "LINEAGE_HOME": str(home)}
    cli = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "verify", "whole", "--cwd", str(empty)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0 and "ok" in cli.stdout, cli.stdout + cli.stderr


def test_cells_of_a_file_run_silently_are_captured(bare_shell, tmp_path) -> None:
    """IPython runs the cells of ``ipython notebook.ipynb`` silently (no pre/post_run_cell)."""
    with capture_output():
        for cell in ("%load_ext lineage\nx = [1]", "x.append(2)", "%%capture\nx.append(3)",
                     "1 / 0", "import lineage\nx.append(4)\nlineage.save(x, 'x')\nx.append(5)",
                     "x.append(6)\nlineage.save(x, 'x6')"):  # fmt: skip
            bare_shell.run_cell(cell, silent=True)
    assert lineage.get("x").code == "x = [1]\nx.append(2)\nx.append(3)\nx.append(4)\n"
    assert lineage.get("x6").code.endswith("x.append(5)\nx.append(6)\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert verify("x", cwd=empty).ok and verify("x6", cwd=empty).ok


def test_a_notebook_run_by_ipython(tmp_path: Path, monkeypatch) -> None:
    import nbformat

    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    cells = ["%load_ext lineage\nimport lineage", "import json\nbase = [1, 2]",
             "def grow(v):\n    base.append(v)", "grow(3)", "s = json.dumps(base)",
             "lineage.save(s, 'nb')"]  # fmt: skip
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, str(work / "session.ipynb"))
    proc = _run_ipython(["session.ipynb"], home, work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    monkeypatch.setenv("LINEAGE_HOME", str(home))
    code = lineage.get("nb").code
    assert stmts(code) == ["import json", "base = [1, 2]", "def grow(v):\n    base.append(v)",
                           "grow(3)", "s = json.dumps(base)"]  # fmt: skip
    empty = tmp_path / "empty"
    empty.mkdir()
    assert verify("nb", cwd=empty).ok


def test_save_from_a_silent_cell_of_a_frontend_is_refused(shell) -> None:
    """A frontend's silent cell is not part of the session: a save there must not slice from a
    stale cell."""
    shell.run_cell("x = [1]", store_history=True)
    result = shell.run_cell("import lineage\nlineage.save(x, 'x')", silent=True)
    assert isinstance(result.error_in_exec, lineage.LineageError)
    assert "did not see start" in str(result.error_in_exec)
    shell.run_cell("y = 1", store_history=True).raise_error()  # capture carries on
    assert tracer_mod.active_tracer().session.records[-1].raw == "y = 1"


# -- top-level await ----------------------------------------------------------------------------------
ASYNC_DEF = "import asyncio\nasync def f(n):\n    await asyncio.sleep(0)\n    return [n]"
AWAIT_CASES = [
    Case("await_binds", (ASYNC_DEF, "x = await f(3)", "y = 2"), "x", must=("import asyncio",)),
    Case("await_mutates", (ASYNC_DEF, "x = [0]", "x.append(await f(1))"), "x"),
    Case(
        "await_in_a_loop_body", (ASYNC_DEF, "x = []\nfor i in range(3):\n    x += await f(i)"), "x"
    ),
    Case(
        "async_for",
        (
            "async def gen():\n    for i in range(3):\n        yield i",
            "x = []\nasync for v in gen():\n    x.append(v)",
        ),
        "x",
    ),
    Case(
        "async_with",
        (
            "import contextlib\n@contextlib.asynccontextmanager\nasync def opened():\n    yield [7]",
            "async with opened() as box:\n    got = box + [8]",
        ),
        "got",
    ),
    Case("async_comprehension", (ASYNC_DEF, "x = [await f(i) for i in range(3)]"), "x"),
    Case(
        "one_loop_for_the_whole_slice",
        ("import asyncio", "q = asyncio.Queue()", "await q.put(5)", "x = [await q.get()]"),
        "x",
        must=("q = asyncio.Queue()",),
    ),
    Case(
        "a_task_awaited_in_a_later_cell",
        (
            ASYNC_DEF,
            "async def start():\n    return asyncio.ensure_future(f(4))",
            "t = await start()",
            "x = await t",
        ),
        "x",
    ),
    Case(
        "await_with_a_multiline_string",
        (ASYNC_DEF, 'x = await f("""a\n  b""")', "x.append(1)"),
        "x",
    ),
    Case("await_names_a_clash", (ASYNC_DEF, "_loop = 1\nx = await f(_loop)"), "x"),
    Case(
        "await_binds_by_walrus_and_import",
        (ASYNC_DEF, "import json\nif (n := await f(2)):\n    import math\n    x = n + [math.pi]"),
        "x",
    ),
    Case(
        "save_an_await_expression",
        (ASYNC_DEF, "import lineage\nlineage.save(await f(9), 'art')"),
    ),
]


@pytest.mark.parametrize("case", AWAIT_CASES, ids=lambda c: c.id)
def test_top_level_await(case: Case, bare_shell: InteractiveShell, tmp_path: Path) -> None:
    run_case(bare_shell, case, tmp_path)


# -- code run by magics ----------------------------------------------------------------------------------
SCRIPT = "helper.py"
MAGIC_CASES = [
    # %timeit -n N [-r R] runs its code N x R times (R is 7 by default), in a function: replayed so
    Case(
        "timeit_mutates",
        ("import numpy as np\nc = np.zeros(3)", "%timeit -n1 -r1 np.add.at(c, [0], 1)"),
        "c",
        must=("for _timeit_round in range(1):\n    _timeit_run()",),
    ),
    Case(
        "timeit_runs_its_code_n_times_r_runs",
        ("d = []", "%timeit -q -n 3 -r2 d.append(len(d))"),
        "d",
        must=("for _timeit_round in range(2):\n    _timeit_run()",),
    ),
    Case("timeit_default_repeat", ("d = []", "%timeit -q -n2 d.append(1)"), "d"),
    Case(
        "timeit_cell_magic_with_setup",
        ("d = [1]", "%%timeit -q -n 2 -r 1 d.append(0)\nd.append(1)"),
        "d",
    ),
    Case(
        "timeit_binds_in_a_function_of_its_own",
        ("v = [1]", "%timeit -q -n1 -r1 v = [2]", "w = list(v)"),
        "w",
        must=("v = [1]",),
    ),
    Case(
        "timeit_mutates_through_an_alias",
        ("d = [1]\nalias = d", "%timeit -q -n3 -r1 alias.append(0)"),
        "d",
    ),
    Case(
        "timeit_mutation_earlier_changes_still_kept",
        ("c = [1]", "c.append(2)", "%timeit -q -n1 -r1 c.append(3)", "c.append(4)"),
        "c",
        must=("c = [1]", "c.append(2)", "c.append(4)"),
    ),
    # without -n, %timeit calibrates how many times it runs: the save warns
    Case(
        "timeit_calibrated_warns",
        ("d = [1]", "%timeit -q -r1 d.append(0)"),
        "d",
        warns="%timeit -q -r1 d.append(0)` in cell [2]",
        rebuilds=False,
    ),
    Case(
        "timeit_calibrated_cell_magic_warns",
        ("d = [1]", "%%timeit -q -r 1 d.append(0)\nd.append(1)"),
        "d",
        warns="%%timeit -q -r 1 d.append(0)",
        rebuilds=False,
    ),
    Case(
        "timeit_of_pure_code_is_silent",
        ("e = [5]", "%timeit -q -r1 sum(e)", "r = %timeit -q -o -n1 -r1 len(e)", "e.append(1)"),
        "e",
        must=("e = [5]", "e.append(1)"),
    ),
    Case(
        "timeit_of_another_value_is_silent",
        ("e = [5]\nother = [1]", "%timeit -q -r1 other.append(0)"),
        "e",
        must=("e = [5]",),
    ),
    Case(
        "prun_runs_its_code_once",
        ("e = [5]", "%prun -q -l 1 e.append(2)", "e.append(3)"),
        "e",
        must=("e = [5]", "e.append(2)", "e.append(3)"),
    ),
    Case(
        "prun_cell_magic",
        ("e = [5]", "%%prun -q\ne.append(2)\ng = len(e)"),
        "g",
        must=("e.append(2)", "g = len(e)"),
    ),
    Case(
        "run_script_warns",
        (f"open({SCRIPT!r}, 'w').write('made = [1]\\n')", f"%run -i {SCRIPT}", "v = [2]"),
        "v",
        warns=f"%run -i {SCRIPT}` in cell",
    ),
]


@pytest.mark.parametrize("case", MAGIC_CASES, ids=lambda c: c.id)
def test_code_run_by_magics(case: Case, bare_shell: InteractiveShell, tmp_path: Path) -> None:
    with capture_output():
        run_case(bare_shell, case, tmp_path)


# -- the working directory -------------------------------------------------------------------------------
def test_os_chdir_is_left_alone(bare_shell) -> None:
    original, original_fd = os.chdir, os.fchdir
    bare_shell.run_cell("%load_ext lineage", store_history=True)
    assert os.chdir is original and os.fchdir is original_fd
    assert os.chdir.__module__ == original.__module__
    bare_shell.run_cell(
        "import os\nsame = os.chdir is __import__('posix').chdir", store_history=True
    )
    assert bare_shell.user_ns["same"] is True


def test_a_failing_chdir_shows_no_lineage_frame(bare_shell) -> None:
    def failure(sh: InteractiveShell) -> list[str]:
        with capture_output() as out:
            result = sh.run_cell("import os\nos.chdir('missing')", store_history=True)
        assert isinstance(result.error_in_exec, FileNotFoundError)
        frames = traceback.extract_tb(result.error_in_exec.__traceback__)
        assert not [f for f in frames if f.filename.startswith(LINEAGE_DIR)]
        return [line for line in out.stdout.splitlines() if "In[" not in line]

    plain = failure(bare_shell)
    bare_shell.run_line_magic("load_ext", "lineage")
    assert failure(bare_shell) == plain


CWD_CASES = [
    Case(
        "chdir_through_an_alias",
        (
            "import os\nfrom os import chdir as go\nos.makedirs('a')",
            "go('a')",
            "open('f.txt', 'w').write('hi')",
            "go('..')",
            "v = open('a/f.txt').read()",
        ),
        "v",
        must=("go('a')", "open('f.txt', 'w').write('hi')", "go('..')"),
    ),
    Case(
        "chdir_in_a_notebook_function",
        (
            "import os\ndef enter(d):\n    os.chdir(d)",
            "os.makedirs('a')",
            "enter('a')",
            "open('f.txt', 'w').write('hi')",
            "enter('..')",
            "v = open('a/f.txt').read()",
        ),
        "v",
        must=("open('f.txt', 'w').write('hi')",),
    ),
    Case(
        "pushd_popd_warn",  # a magic that moves cannot be in a slice: the save says so
        (
            "import os\nos.makedirs('a')",
            "%pushd -q a",
            "open('f.txt', 'w').write('hi')",
            "%popd -q",
            "v = open('a/f.txt').read()",
        ),
        "v",
        must=("open('f.txt', 'w').write('hi')",),
        warns="%pushd -q a` in cell [2] changed the working directory",
        rebuilds=False,
    ),
    Case(
        "cd_magic_no_path_after_it_needs_no_warning",
        ("import os\nos.makedirs('a')", "%cd -q a", "x = [1]", "x.append(len(os.sep))"),
        "x",
        must=("x = [1]",),
    ),
    # a working directory removed under the process: paths relative to it stand for unknown files
    Case(
        "removed_folder_later_values",
        (
            "import os\nos.makedirs('gone')\ndata = [1]",
            "os.chdir('gone')\nos.rmdir(os.getcwd())",
            "data.append(2)",
            "size = len(data)",
        ),
        "size",
        must=("data = [1]", "data.append(2)"),
    ),
    Case(
        "removed_folder_then_back_by_absolute_path",
        (
            "import os\nroot = os.getcwd()\nopen('in.txt', 'w').write('42')",
            "os.makedirs('gone')\nos.chdir('gone')\nos.rmdir(os.path.join(root, 'gone'))",
            "os.chdir(root)",
            "v = int(open('in.txt').read())",
        ),
        "v",
        must=("open('in.txt', 'w').write('42')",),
    ),
    Case(
        "removed_folder_by_a_function",
        (
            "import os, shutil\nos.makedirs('gone')\nos.chdir('gone')\nlog = []",
            "shutil.rmtree(os.getcwd())",
            "log.append(1)",
        ),
        "log",
        must=("log = []", "log.append(1)"),
    ),
    Case(
        "save_inside_a_removed_folder",
        (
            "import os\nos.makedirs('gone')\nos.chdir('gone')\nos.rmdir(os.getcwd())\nw = [3]",
            "import lineage\nlineage.save(w, 'art')",
        ),
        must=("w = [3]",),
    ),
]


@pytest.mark.parametrize("case", CWD_CASES, ids=lambda c: c.id)
def test_working_directory(case: Case, bare_shell: InteractiveShell, tmp_path: Path) -> None:
    with capture_output():
        run_case(bare_shell, case, tmp_path)


def test_save_works_after_the_folder_was_removed(shell, tmp_path) -> None:
    shell.run_cell("import os\nos.makedirs('gone')\nos.chdir('gone')", store_history=True)
    shell.run_cell("os.rmdir(os.getcwd())", store_history=True)
    shell.run_cell("x = [1]\nx.append(2)", store_history=True).raise_error()
    result = shell.run_cell("import lineage\nart = lineage.save(x, 'x')", store_history=True)
    result.raise_error()
    assert lineage.get("x").code == "x = [1]\nx.append(2)\n"
    assert shell.user_ns["art"].record.meta["cwd"] == ""
    records = tracer_mod.active_tracer().session.records
    assert records[-2].cwd == ""  # unknown, not a capture failure
    os.chdir(tmp_path)


# -- capture leaves what the user sees as it was ---------------------------------------------------------
SEEN_CELLS = [
    "x = [1, 2]",
    "x",
    "print('out', x)",
    "import warnings\nwarnings.warn('careful')",
    "1 / 0",
    "y = undefined_name",
    "%time z = sum(x)",
    "%timeit -n1 -r1 x.append(0)",
    "import os\nos.chdir('missing')",
    "def f():\n    raise KeyError('k')\nf()",
    "%%capture cap\nprint('hidden')\nw = 1 / 0",
    "cap.stdout",
    "%prun -q -l 1 x.append(1)",
    "import asyncio\nawait asyncio.sleep(0)\nasync def g():\n    raise ValueError('v')\nawait g()",
    "%timeit -n1 -r1 x.append(2)",
    "x",
    "_",
    "len(Out)",
]


def _seen(sh: InteractiveShell) -> list[tuple[object, ...]]:
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            delattr(sys, name)
    out = []
    for cell in SEEN_CELLS:
        with warnings.catch_warnings(record=True) as caught, capture_output() as io:
            warnings.simplefilter("always")
            result = sh.run_cell(cell, store_history=True)
        error = result.error_in_exec
        last = sys.last_value if hasattr(sys, "last_value") else None
        text = "\n".join(
            line
            for line in (io.stdout + io.stderr).splitlines()
            if "In[" not in line and "per loop" not in line and "Wall time" not in line
            and "CPU times" not in line
        )  # fmt: skip
        out.append(
            (
                cell,
                result.success,
                type(error).__name__,
                type(last).__name__,
                repr(result.result),
                text,
                [str(w.message) for w in caught],
            )
        )
    return out


def test_capture_changes_nothing_the_user_sees(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    plain = _seen(new_shell())
    traced_shell = new_shell()
    traced_shell.run_line_magic("load_ext", "lineage")
    traced = _seen(traced_shell)
    assert not tracer_mod.active_tracer().errors
    traced_shell.run_line_magic("unload_ext", "lineage")
    forget_shell(traced_shell)
    InteractiveShell.clear_instance()
    assert traced == plain


# which folder each cell started in, for changes the text shows in other ways
RECORD_CASES = [
    pytest.param(["import os\nfrom os import chdir as go", "go('a')", "x = 1"], [".", ".", "a"],
                 id="alias"),
    pytest.param(["%time %cd -q a", "x = 1"], [".", "a"], id="cd_inside_time"),
    pytest.param(["%%capture\n%cd a", "x = 1"], [".", "a"], id="cd_inside_capture"),
    pytest.param(["%%capture\ncd a", "x = 1"], [".", "a"], id="automagic_cd_inside_capture"),
    pytest.param(["%pushd -q a", "%popd -q", "x = 1"], [".", "a", "."], id="pushd_popd"),
    pytest.param(["import os\ndef enter(d):\n    os.chdir(d)", "enter('a')", "x = 1"],
                 [".", ".", "a"], id="notebook_function"),
    pytest.param(["open('s.py', 'w').write('import os\\nos.chdir(\"a\")')", "%run -i s.py",
                  "x = 1"], [".", ".", "a"], id="run_script"),
]  # fmt: skip


@pytest.mark.parametrize(("cells", "started_in"), RECORD_CASES)
def test_each_record_has_the_folder_its_cell_started_in(
    shell, cells: list[str], started_in: list[str]
) -> None:
    work = os.getcwd()
    os.makedirs("a")
    session = tracer_mod.active_tracer().session
    n = len(session.records)
    with capture_output():
        for cell in cells:
            shell.run_cell(cell, store_history=True).raise_error()
    got = [os.path.relpath(r.cwd, work) for r in session.records[n:]]
    assert got == [os.path.normpath(p) for p in started_in]
