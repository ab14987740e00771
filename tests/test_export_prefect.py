"""The Prefect flow, run for real.

The session of ``test_export_orchestrators.py`` (three artifacts sharing upstream work, a step
that changes a shared array in place, an integer parameter) exported through the CLI and run
as its docstring says, ``python P_flow.py [--NAME VALUE]``, in a subprocess: Prefect in its
ephemeral mode (a temporary local server per run) with a throwaway ``PREFECT_HOME`` shared
by the module, nothing sent anywhere. Every artifact written under ``$LINEAGE_DATA_DIR`` must
equal the stored value (or, overridden, what the session computes with the new value); the
flow run's log must show each task, the shared one too, finished once.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.test_export import (
    Case,
    check_rebuilt,
    child_env,
    cli_export,
    overridden,
    stored,
)
from tests.test_export_orchestrators import FILES, SESSION

pytest.importorskip("prefect")

FINISHED = re.compile(r"Task run '(.+)-[0-9a-f]+' - Finished in state Completed\(\)")


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prefect-home")


def export(shell, tmp_path: Path, case: Case, name: str) -> Path:
    return cli_export(shell, tmp_path, case, "prefect", name)


def run_flow(flow: Path, args: list[str], data: Path, home: Path) -> str:
    """``python P_flow.py ARGS`` with Prefect local and offline; return its log."""
    env = {k: v for k, v in child_env(data).items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        # Prefect 3.7 puts these under ~/.prefect whatever PREFECT_HOME says
        PREFECT_SERVER_MEMO_STORE_PATH=str(home / "memo_store.toml"),
        PREFECT_RESULTS_LOCAL_STORAGE_PATH=str(home / "storage"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="240",  # 10-45 s on 2 busy cores
        PREFECT_LOGGING_LEVEL="INFO",
        PREFECT_LOGGING_SERVER_LEVEL="WARNING",
    )
    cmd = [sys.executable, str(flow), *args]
    proc = subprocess.run(
        cmd, cwd=flow.parent.parent, env=env, capture_output=True, text=True, timeout=600
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{log[-6000:]}"
    return log


def test_flow_runs(shell, tmp_path: Path, prefect_home: Path) -> None:
    out = export(shell, tmp_path, SESSION, "sales")
    text = (out / "sales_flow.py").read_text()
    assert '@flow(name="sales")' in text and "def sales_flow(N_ROWS: int = 40) -> None:" in text
    steps = re.findall(r'@task\(name="(\w+)"', text)
    assert set(SESSION.saves) <= set(steps) and len(steps) > len(SESSION.saves)  # one shared
    data = tmp_path / "data"
    log = run_flow(out / "sales_flow.py", [], data, prefect_home)
    check_rebuilt(data, stored(SESSION))
    assert Counter(FINISHED.findall(log)) == dict.fromkeys(steps, 1)  # each task ran once
    assert not (data / "intermediate").exists()  # values between tasks stayed in memory


def test_parameter_on_the_command_line(shell, tmp_path: Path, prefect_home: Path) -> None:
    out = export(shell, tmp_path, SESSION, "sales")
    name, value = SESSION.override or ("", 0)
    data = tmp_path / "data"
    run_flow(out / "sales_flow.py", [f"--{name}", str(value)], data, prefect_home)
    check_rebuilt(data, overridden(SESSION, tmp_path / "expected"))


def test_files_from_the_input_location(shell, tmp_path: Path, prefect_home: Path) -> None:
    """A first task copies the input files from --input-dir; the tasks read and write them
    under the data location, never in the session's folder."""
    out = export(shell, tmp_path, FILES, "f")
    assert (
        "def f_flow(input_dir: str = steps.INPUT_DIR) -> None:" in (out / "f_flow.py").read_text()
    )
    session = Path.cwd()
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "seed.json").write_text("21")
    (session / "seed.json").unlink()
    data = tmp_path / "data"
    run_flow(out / "f_flow.py", ["--input-dir", str(inputs)], data, prefect_home)
    check_rebuilt(data, stored(FILES))
    assert (data / "files" / "raw.json").is_file()
    assert sorted(p.name for p in session.iterdir()) == ["raw.json"]


def test_file_edge(shell, tmp_path: Path, prefect_home: Path) -> None:
    """A step that hands on no value (it writes a file the others read) is a task that
    returns nothing, called before the tasks that read the file."""
    from tests.test_export_facts import FILE_HANDOFF

    case = Case("raw", FILE_HANDOFF, {"cleaned": "cleaned", "stats": "stats"})
    out = export(shell, tmp_path, case, "raw")
    text = (out / "raw_flow.py").read_text()
    assert "def write_raw_json_task() -> None:" in text
    body = text[text.index("def raw_flow") :]
    assert body.index("write_raw_json_task()") < body.index("cleaned_task(")
    data = tmp_path / "data"
    run_flow(out / "raw_flow.py", [], data, prefect_home)
    check_rebuilt(data, stored(case))


def test_parameter_names_prefect_cannot_take(shell, tmp_path: Path, prefect_home: Path) -> None:
    """A private parameter (pydantic refuses it), one named like Flow.__call__'s own
    keywords, containers and None: flow arguments under other names where needed, set on
    the command line by their own."""
    cells = (
        "copy = 3\nwait_for = 'x'\n_hidden = [1, 2]\nLIMITS = (0, 10)\nnothing = None",
        "back = [copy, wait_for, _hidden]",
        "first = [back, LIMITS, nothing]",
        "second = len(back) * copy",
    )
    params = ("copy", "wait_for", "_hidden", "LIMITS", "nothing")
    case = Case("odd", cells, {"first": "first", "second": "second"}, params=params)
    out = export(shell, tmp_path, case, "odd")
    text = (out / "odd_flow.py").read_text()
    assert 'param_hidden: list = steps.PARAMS["_hidden"]' in text
    assert "param_wait_for: str" in text and "LIMITS: tuple = (0, 10)" in text
    assert "nothing: object = None" in text
    args = ["--copy", "5", "--_hidden", "[7]", "--LIMITS", "[1, 2]", "--nothing", '{"a": null}']
    data = tmp_path / "data"
    run_flow(out / "odd_flow.py", args, data, prefect_home)
    check_rebuilt(data, {"first": [[5, "x", [7]], (1, 2), {"a": None}], "second": 15})


def test_no_injection(shell, tmp_path: Path, prefect_home: Path) -> None:
    """An artifact name and parameter values that look like code or templates stay data,
    given on the command line too (test_export.py's test_no_injection checks the emitted
    files themselves)."""
    name = 'x"; import os; os.system("echo pwned")#'
    evil = "a\"b'c\n\"\"\" ''' \\ {{ x }} {% y %}"
    cells = (f"TEXT = {evil!r}\nKEYS = {{{evil!r}: 1}}", "out = TEXT * 2 + str(KEYS)")
    case = Case("evil", cells, {name: "out"}, params=("TEXT", "KEYS"))
    out = export(shell, tmp_path, case, "evil")
    other = evil + "{{ steps }}"
    args = ["--TEXT", other, "--KEYS", json.dumps({other: 2})]
    data = tmp_path / "data"
    log = run_flow(out / "evil_flow.py", args, data, prefect_home)
    assert "pwned" not in log.splitlines()
    check_rebuilt(data, {name: other * 2 + str({other: 2})})


def test_without_prefect(shell, tmp_path: Path) -> None:
    """Run where Prefect cannot be imported (no site-packages): the flow says what to
    install."""
    out = export(shell, tmp_path, SESSION, "sales")
    cmd = [sys.executable, "-S", str(out / "sales_flow.py")]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "pip install 'notebook-lineage[prefect]'" in proc.stderr
