"""The Airflow DAG and the Ray driver, run for real.

One multi-artifact session with shared upstream work, a step that changes a shared array in
place, and an integer parameter, exported through the CLI exactly as a user would; then
``airflow dags test`` against a throwaway Airflow home (SQLite metadata DB, migrated once per
module) and ``python P_ray.py`` on a local Ray, each with default parameters and with an
override. Every artifact written under ``$LINEAGE_DATA_DIR`` must equal the stored value (or,
overridden, what the session computes with the new value).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from lineage import cli
from tests.test_export import (
    Case,
    capture,
    check_rebuilt,
    child_env,
    cli_export,
    overridden,
    run,
    stored,
)

BIN = Path(sys.executable).parent

SESSION = Case(
    "orchestrated",
    (
        "import numpy as np\nimport pandas as pd",
        "N_ROWS = 40\nrng = np.random.default_rng(0)\n"
        'df = pd.DataFrame({"x": rng.normal(size=N_ROWS), "g": rng.integers(0, 3, size=N_ROWS)})',
        'df["y"] = df["x"] * 2 + df["g"]',
        "weights = np.linspace(1.0, 2.0, N_ROWS)\n"
        'total = float((df["y"].to_numpy() * weights).sum())',
        'summary = df.groupby("g")["y"].agg(["mean", "count"])',
        "weights *= 3\nscaled = weights",
    ),
    {"total": "total", "summary": "summary", "scaled": "scaled"},
    params=("N_ROWS",),
    override=("N_ROWS", 25),
)


def export(shell, tmp_path: Path, target: str) -> Path:
    return cli_export(shell, tmp_path, SESSION, target, "sales")


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A throwaway Airflow home with a migrated SQLite metadata DB, shared by the module."""
    home = tmp_path_factory.mktemp("airflow-home")
    env = child_env(
        home / "unused",
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
    )
    run([str(BIN / "airflow"), "db", "migrate"], home, env)
    return env


def test_airflow_dag(shell, tmp_path: Path, airflow_env: dict[str, str]) -> None:
    out = export(shell, tmp_path, "airflow")
    dag = (out / "sales_dag.py").read_text()
    assert "from airflow.sdk import" in dag and 'dag_id="sales"' in dag and "schedule=None" in dag
    name, value = SESSION.override or ("", 0)
    for conf, expected in ((None, stored(SESSION)), ({name: value}, None)):
        data = tmp_path / f"data-{bool(conf)}"
        env = {**airflow_env, "AIRFLOW__CORE__DAGS_FOLDER": str(out), "LINEAGE_DATA_DIR": str(data)}
        cmd = [str(BIN / "airflow"), "dags", "test", "sales"]
        run([*cmd, "-c", json.dumps(conf)] if conf else cmd, tmp_path, env)
        check_rebuilt(data, expected or overridden(SESSION, tmp_path / "expected"))
        assert (data / "intermediate").is_dir()  # values between tasks went through files


def test_airflow_file_edge(shell, tmp_path: Path, airflow_env: dict[str, str]) -> None:
    """A file one statement writes and others read is an edge between tasks: the writer's
    task runs first, each artifact is its own task, and the values are rebuilt."""
    from tests.test_export_facts import FILE_HANDOFF
    from tests.test_export_facts import capture as capture_cells

    saves = {"cleaned": "cleaned", "stats": "stats"}
    capture_cells(shell, FILE_HANDOFF, saves)
    out = tmp_path / "pipeline"
    assert cli.main(["export", *saves, "--to", "airflow", "-o", str(out), "--name", "raw"]) == 0
    dag = (out / "raw_dag.py").read_text()
    assert "write_raw_json" in dag and ">> [cleaned_task, stats_task]" in dag.replace("\n", " ")
    data = tmp_path / "data"
    env = {**airflow_env, "AIRFLOW__CORE__DAGS_FOLDER": str(out), "LINEAGE_DATA_DIR": str(data)}
    run([str(BIN / "airflow"), "dags", "test", "raw"], tmp_path, env)
    check_rebuilt(data, {name: __import__("lineage").get(name).get_value() for name in saves})


def test_ray_driver(shell, tmp_path: Path) -> None:
    out = export(shell, tmp_path, "ray")
    driver = (out / "sales_ray.py").read_text()
    assert "copy.deepcopy(weights)" in driver  # the step that changes it in place gets a copy
    name, value = SESSION.override or ("", 0)
    for args, expected in (([], stored(SESSION)), ([f"--{name}", str(value)], None)):
        data = tmp_path / f"data-{bool(args)}"
        run([sys.executable, str(out / "sales_ray.py"), *args], tmp_path, child_env(data))
        check_rebuilt(data, expected or overridden(SESSION, tmp_path / "expected"))


FILES = Case(
    "files",
    (
        "import json",
        "with open('seed.json') as f:\n    seed = json.load(f)",
        "with open('raw.json', 'w') as f:\n    json.dump([seed, seed * 2], f)",
        "with open('raw.json') as f:\n    back = json.load(f)",
        "total = sum(back)",
        "doubled = [b * 2 for b in back]",
    ),
    {"total": "total", "doubled": "doubled"},
    inputs={"seed.json": "21"},
)


def test_airflow_files_from_the_input_location(
    shell, tmp_path: Path, airflow_env: dict[str, str]
) -> None:
    """A first task copies the input files from the ``input_dir`` param; tasks read and
    write them under the data location, never in the session's folder, and never chdir."""
    capture(shell, FILES)
    session = Path.cwd()
    out = tmp_path / "pipeline"
    assert cli.main(["export", *FILES.saves, "--to", "airflow", "-o", str(out), "--name", "f"]) == 0
    dag = (out / "f_dag.py").read_text()
    assert "os.chdir" not in dag and "stage_inputs" in dag
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "seed.json").write_text("21")
    (session / "seed.json").unlink()  # the session's folder no longer has it
    data = tmp_path / "data"
    env = {**airflow_env, "AIRFLOW__CORE__DAGS_FOLDER": str(out), "LINEAGE_DATA_DIR": str(data)}
    cmd = [str(BIN / "airflow"), "dags", "test", "f", "-c", json.dumps({"input_dir": str(inputs)})]
    run(cmd, tmp_path, env)
    check_rebuilt(data, stored(FILES))
    assert (data / "files" / "raw.json").is_file()
    assert sorted(p.name for p in session.iterdir()) == ["raw.json"]


def test_ray_files_from_the_input_location(shell, tmp_path: Path) -> None:
    """The driver copies the input files (--input-dir); workers, shipped the steps module
    alone, read and write them under the driver's data location."""
    capture(shell, FILES)
    session = Path.cwd()
    out = tmp_path / "pipeline"
    assert cli.main(["export", *FILES.saves, "--to", "ray", "-o", str(out), "--name", "f"]) == 0
    driver = (out / "f_ray.py").read_text()
    assert "working_dir" not in driver and '"py_modules": [steps]' in driver
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "seed.json").write_text("21")
    (session / "seed.json").unlink()
    data = tmp_path / "data"
    run(
        [sys.executable, str(out / "f_ray.py"), "--input-dir", str(inputs)],
        tmp_path,
        child_env(data),
    )
    check_rebuilt(data, stored(FILES))
    assert sorted(p.name for p in session.iterdir()) == ["raw.json"]


# -- --reuse: the pipeline loads a stored artifact instead of recomputing it -------------------

REUSED = Case("reused", SESSION.cells, {"frame": "df", **SESSION.saves}, params=("N_ROWS",))


def export_reusing(shell, tmp_path: Path, target: str) -> Path:
    """The session's artifacts, but for ``frame`` (the data frame), which the pipeline loads
    from the store: the random draws that made it leave the steps; ``N_ROWS`` stays, since
    ``weights`` reads it too."""
    capture(shell, REUSED)
    out = tmp_path / "pipeline"
    argv = ["export", *SESSION.saves, "--to", target, "-o", str(out), "--name", "sales"]
    assert cli.main([*argv, "--param", "N_ROWS", "--reuse", "frame"]) == 0
    module = (out / "sales_module.py").read_text()
    assert "df = load_frame()" in module and "default_rng" not in module
    assert '"N_ROWS": 40' in module
    return out


def test_airflow_dag_reusing_an_artifact(
    shell, tmp_path: Path, airflow_env: dict[str, str]
) -> None:
    out = export_reusing(shell, tmp_path, "airflow")
    data = tmp_path / "data"
    env = {**airflow_env, "AIRFLOW__CORE__DAGS_FOLDER": str(out), "LINEAGE_DATA_DIR": str(data)}
    run([str(BIN / "airflow"), "dags", "test", "sales"], tmp_path, env)
    check_rebuilt(data, stored(SESSION))


def test_ray_driver_reusing_an_artifact(shell, tmp_path: Path) -> None:
    out = export_reusing(shell, tmp_path, "ray")
    data = tmp_path / "data"
    run([sys.executable, str(out / "sales_ray.py")], tmp_path, child_env(data))
    check_rebuilt(data, stored(SESSION))
