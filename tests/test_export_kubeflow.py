"""The Kubeflow pipeline, compiled and run for real.

The session of ``test_export_orchestrators.py`` (three artifacts sharing upstream work, a step
that changes a shared array in place, an integer parameter) exported through the CLI;
``python P_kfp.py`` compiles the pipeline spec (it must parse, one component per step, the
parameter typed), and ``python P_kfp.py --run-local`` runs it with ``kfp.local``'s
SubprocessRunner, each component in a subprocess (every shared step once), with the default
parameter and with it overridden. Every artifact written under ``$LINEAGE_DATA_DIR`` must
equal the stored value (or, overridden, what the session computes with the new value).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_export import (
    Case,
    check_rebuilt,
    child_env,
    cli_export,
    overridden,
    run,
    stored,
)
from tests.test_export_orchestrators import FILES, SESSION

pytest.importorskip("kfp")
yaml = pytest.importorskip("yaml")


def export(shell, tmp_path: Path, case: Case, name: str) -> Path:
    return cli_export(shell, tmp_path, case, "kubeflow", name)


def run_local(out: Path, name: str, data: Path, *args: str) -> list[str]:
    """``python P_kfp.py --run-local ARGS`` from another folder; the tasks it executed."""
    cwd = out.parent / "elsewhere"
    cwd.mkdir(exist_ok=True)
    script = str(out / f"{name}_kfp.py")
    log = run([sys.executable, script, "--run-local", *args], cwd, child_env(data))
    assert list(cwd.iterdir()) == []  # nothing written where it ran
    return re.findall(r"Executing task '([^']+)'", re.sub(r"\x1b\[[0-9;]*m", "", log))


def compiled(out: Path, name: str, *args: str) -> dict:
    """``python P_kfp.py ARGS``: the pipeline spec it compiles, parsed."""
    run([sys.executable, str(out / f"{name}_kfp.py"), *args], out, child_env(out / "data"))
    return yaml.safe_load((out / f"{name}_pipeline.yaml").read_text())


def shared_steps(out: Path, name: str) -> list[str]:
    """The steps module's functions serving several artifacts and rebuilding none."""
    lines = (out / f"{name}_module.py").read_text().splitlines()
    return [
        re.match(r"def (\w+)\(", line)[1]  # type: ignore[index]
        for i, line in enumerate(lines)
        if line.startswith("def ") and i and lines[i - 1].startswith("# shared by")
    ]


def test_compiled_and_run_locally(shell, tmp_path: Path) -> None:
    out = export(shell, tmp_path, SESSION, "sales")
    text = (out / "sales_kfp.py").read_text()
    assert "packages_to_install=[]" in text and "install_kfp_package=False" in text
    spec = compiled(out, "sales")
    assert spec["pipelineInfo"]["name"] == "sales"
    shared = shared_steps(out, "sales")
    assert shared, "the session's artifacts share a step"
    assert len(spec["components"]) == len(shared) + len(SESSION.saves)  # one per step
    params = spec["root"]["inputDefinitions"]["parameters"]
    assert params["N_ROWS"] == {
        "defaultValue": 40,
        "isOptional": True,
        "parameterType": "NUMBER_INTEGER",
    }
    for component in spec["deploymentSpec"]["executors"].values():
        container = component["container"]
        assert "pip install" not in " ".join(container["command"])  # nothing installed
        assert "__KFP_EMBEDDED_ARCHIVE_B64" in container["command"][-1]  # the module travels

    data = tmp_path / "data"
    tasks = run_local(out, "sales", data)
    for step in shared:
        assert tasks.count(step.replace("_", "-")) == 1, tasks  # once for all its users
    check_rebuilt(data, stored(SESSION))
    assert (out / "local_outputs").is_dir()  # values between components: KFP's artifacts


def test_parameter_overridden(shell, tmp_path: Path) -> None:
    """``--N_ROWS 25`` runs with that value, or, compiling, makes it the spec's default."""
    out = export(shell, tmp_path, SESSION, "sales")
    name, value = SESSION.override or ("", 0)
    data = tmp_path / "data"
    run_local(out, "sales", data, f"--{name}", str(value))
    check_rebuilt(data, overridden(SESSION, tmp_path / "expected"))
    spec = compiled(out, "sales", f"--{name}", str(value))
    assert spec["root"]["inputDefinitions"]["parameters"][name]["defaultValue"] == value


def test_files_from_the_input_location(shell, tmp_path: Path) -> None:
    """A first component copies the input files from the input_dir parameter; the others
    read and write them under the data location, never in the session's folder."""
    out = export(shell, tmp_path, FILES, "f")
    session = Path.cwd()
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "seed.json").write_text("21")
    (session / "seed.json").unlink()
    data = tmp_path / "data"
    tasks = run_local(out, "f", data, "--input-dir", str(inputs))
    assert tasks[0] == "stage-inputs"
    check_rebuilt(data, stored(FILES))
    assert (data / "files" / "raw.json").is_file()
    assert sorted(p.name for p in session.iterdir()) == ["raw.json"]


def test_file_edge(shell, tmp_path: Path) -> None:
    """A step that hands on no value (it writes a file the others read) is a component with
    no output, which the components reading the file run after."""
    from tests.test_export_facts import FILE_HANDOFF

    case = Case("raw", FILE_HANDOFF, {"cleaned": "cleaned", "stats": "stats"})
    out = export(shell, tmp_path, case, "raw")
    text = (out / "raw_kfp.py").read_text()
    assert "def write_raw_json(data_dir: str) -> None:" in text
    assert text.count(".after(write_raw_json_task)") == 2
    data = tmp_path / "data"
    tasks = run_local(out, "raw", data)
    assert tasks.index("write-raw-json") < min(tasks.index("cleaned"), tasks.index("stats"))
    check_rebuilt(data, stored(case))


def test_parameter_types(shell, tmp_path: Path) -> None:
    """Parameters of every kind: scalars typed, containers and None as JSON text (exact
    integers), names such as _hidden or data_dir; set on the command line too."""
    cells = (
        "copy = 3\nschema = 'x'\n_hidden = [1, 2]\nLIMITS = (0, 10)\nnothing = None\n"
        "data_dir = 'd'\nRATE = 0.5\nON = True\nTABLE = {'a': 1}",
        "back = [copy, schema, _hidden, data_dir]",
        "first = [back, LIMITS, nothing, TABLE]",
        "second = len(back) * copy * RATE if ON else 0",
    )
    params = ("copy", "schema", "_hidden", "LIMITS", "nothing", "data_dir", "RATE", "ON", "TABLE")
    case = Case("odd", cells, {"first": "first", "second": "second"}, params=params)
    out = export(shell, tmp_path, case, "odd")
    text = (out / "odd_kfp.py").read_text()
    assert 'LIMITS: str = "[0, 10]"' in text and 'nothing: str = "null"' in text
    assert "data_dir_2: str = steps.data_root()" in text
    data = tmp_path / "data"
    run_local(out, "odd", data)
    check_rebuilt(data, stored(case))
    again = tmp_path / "again"
    args = ["--copy", "5", "--_hidden", "[7]", "--LIMITS", "[1, 2]", "--nothing", '{"a": null}']
    run_local(out, "odd", again, *args, "--ON", "false", "--TABLE", '{"b": 2}')
    first = [[5, "x", [7], "d"], (1, 2), {"a": None}, {"b": 2}]
    check_rebuilt(again, {"first": first, "second": 0})


def test_no_injection(shell, tmp_path: Path) -> None:
    """An artifact name and parameter values that look like code or templates stay data: the
    pipeline rebuilds the saved value, and another such value given on the command line
    (test_export.py's test_no_injection checks the emitted files themselves)."""
    name = 'x"; import os; os.system("echo pwned")#'
    evil = "a\"b'c\n\"\"\" ''' \\ {{ x }} {% y %}"
    cells = (f"TEXT = {evil!r}\nKEYS = {{{evil!r}: 1}}", "out = TEXT * 2 + str(KEYS)")
    case = Case("evil", cells, {name: "out"}, params=("TEXT", "KEYS"))
    out = export(shell, tmp_path, case, "evil")
    data = tmp_path / "data"
    run_local(out, "evil", data)
    check_rebuilt(data, stored(case))
    other = evil + "{{ steps }}"
    again = tmp_path / "again"
    run_local(out, "evil", again, "--TEXT", other, "--KEYS", json.dumps({other: 2}))
    check_rebuilt(again, {name: other * 2 + str({other: 2})})


def test_without_kfp(shell, tmp_path: Path) -> None:
    """Run where kfp is not installed, the file says how to install it."""
    out = export(shell, tmp_path, FILES, "f")
    block = "import sys, runpy; sys.modules['kfp'] = None; runpy.run_path(sys.argv[1])"
    proc = subprocess.run(
        [sys.executable, "-c", block, str(out / "f_kfp.py")],
        capture_output=True,
        text=True,
        env=child_env(tmp_path / "data"),
    )
    assert proc.returncode != 0
    assert "pip install 'notebook-lineage[kubeflow]'" in proc.stderr


def test_session_modules_and_functions_travel(shell, tmp_path: Path) -> None:
    """The session folder's helpers.py travels embedded with the steps module, and a function
    a step defines reaches the steps after it (cloudpickled artifacts)."""
    Path("helpers.py").write_text("def double(x):\n    return 2 * x\n")
    cells = (
        "import sys\nsys.path.insert(0, '.')",
        "import helpers",
        "base = [1, 2, 3]",
        "def scale(x):\n    return helpers.double(x) * len(base)",
        "a = scale(2)",
        "b = [scale(i) for i in range(3)]",
    )
    case = Case("helpers", cells, {"a": "a", "b": "b"})
    out = export(shell, tmp_path, case, "hp")
    text = (out / "hp_kfp.py").read_text()
    assert "embedded_artifact_path=embedded()" in text and "import cloudpickle" in text
    Path("helpers.py").unlink()  # the session's folder no longer has it
    data = tmp_path / "data"
    run_local(out, "hp", data)
    check_rebuilt(data, {"a": 12, "b": [0, 6, 12]})
