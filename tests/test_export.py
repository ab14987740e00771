"""``lineage.export``: saved artifacts -> pipelines that really run.

Table-driven: each case is a session run in a real IPython shell with lineage loaded; its
artifacts are saved, exported (through the API or the CLI), and the emitted script runs in a
fresh interpreter from another folder, with default parameters and with an override. Every
rebuilt artifact is compared with ``lineage.get(name).get_value()`` (or, overridden, with
what the session computes with that value). The Airflow and Ray entry points run in
``test_export_orchestrators.py``.

Golden files under ``tests/golden/<case>/`` keep the emitted code of a few sessions under
review; regenerate them with ``LINEAGE_FIX_GOLDEN=1``.
"""

from __future__ import annotations

import ast
import os
import pickle
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import lineage
from lineage import cli
from lineage.compare import values_equal
from lineage.emitters import targets
from lineage.emitters.naming import identifier, module_name
from lineage.errors import ArtifactNotFoundError, ExportError
from lineage.export import MissingExtraWarning
from lineage.verify import verify
from tests.conftest import new_shell

GOLDEN = Path(__file__).parent / "golden"


@dataclass(frozen=True)
class Case:
    id: str
    cells: tuple[str, ...]
    saves: dict[str, str]  # artifact -> the expression saved, after the cells
    params: tuple[str, ...] = ()
    override: tuple[str, object] | None = None  # a parameter and another value for it
    inputs: dict[str, str] = field(default_factory=dict)  # files present before the session
    steps: int | None = None  # how many step functions the module must have
    golden: bool = False


CASES = [
    Case(
        "shared_param",
        (
            "import math\nimport random\nimport statistics\nfrom collections import Counter",
            "N_ORDERS = 200\nSEED = 7\nTHRESHOLD = 50.0",
            "def price(i):\n    return round(5 + (i * 37 % 101) * 0.9, 2)",
            "random.seed(SEED)\n"
            "orders = [\n"
            "    {\n"
            '        "id": i,\n'
            '        "amount": price(i) * random.randint(1, 3),\n'
            '        "region": random.choice("NSEW"),\n'
            "    }\n"
            "    for i in range(N_ORDERS)\n"
            "]",
            'flags = {o["id"]: o["amount"] >= THRESHOLD for o in orders}',
            'by_region = Counter()\nfor o in orders:\n    by_region[o["region"]] += o["amount"]',
            "report = {r: round(v, 2) for r, v in sorted(by_region.items())}",
            'big = [o for o in orders if flags[o["id"]]]\n'
            "stats = {\n"
            '    "n": len(big),\n'
            '    "log_total": round(math.log(sum(o["amount"] for o in big)), 6),\n'
            '    "median": statistics.median(o["amount"] for o in big),\n'
            "}",
        ),
        {"region report": "report", "big_stats": "stats", "double count": "len(orders) * 2"},
        params=("THRESHOLD", "N_ORDERS"),
        override=("THRESHOLD", 80.0),
        golden=True,
    ),
    Case(
        "late_global_in_function",
        (
            "MIN_ORDER = 50.0\n\ndef is_big(row):\n    return row['amount'] >= MIN_ORDER",
            "rows = [{'amount': a} for a in (10.0, 60.0, 120.0, 300.0)]",
            "MIN_ORDER = 100.0",
            "big_orders = [r for r in rows if is_big(r)]",
            "count = len(big_orders)\namounts = [r['amount'] for r in big_orders]",
        ),
        {"count": "count", "amounts": "amounts"},
        params=("MIN_ORDER",),
        override=("MIN_ORDER", 5.0),
    ),
    Case(
        "numpy_pandas",
        (
            "import numpy as np\nimport pandas as pd",
            "N_ROWS = 30\n"
            "rng = np.random.default_rng(0)\n"
            "x = rng.normal(size=N_ROWS)\ng = rng.integers(0, 3, size=N_ROWS)\n"
            'df = pd.DataFrame({"x": x, "g": g})',
            'df["y"] = df["x"] * 2 + df["g"]',
            'by_group = df.groupby("g")["y"].mean()',
            'matrix = df[["x", "y"]].to_numpy()\ntotal = float(matrix.sum())',
        ),
        {"by_group": "by_group", "matrix": "matrix", "total": "total"},
        params=("N_ROWS",),
        override=("N_ROWS", 12),
        golden=True,
    ),
    Case(
        "input_file",
        (
            "import csv",
            "with open('prices.csv', newline='') as f:\n    prices = [float(r['p']) for r in csv.DictReader(f)]",
            "SCALE = 2",
            "scaled = [p * SCALE for p in prices]",
        ),
        {"scaled": "scaled", "n_prices": "len(prices)"},
        params=("SCALE",),
        override=("SCALE", 3),
        inputs={"prices.csv": "p\n1.5\n2.0\n4.25\n"},
    ),
    Case(
        "rebinding_between_artifacts",
        ("x = 1", "a = x + 1", "x = 10", "b = x * 2", "x = x + 5", "c = [a, b, x]"),
        {"a": "a", "b": "b", "c": "c"},
    ),
    Case(
        "options_types",
        (
            "LABEL = 'total: '\nVERBOSE = False\nWEIGHTS = [1, 2, 3]\nLIMITS = (0, 10)",
            "values = [w * 2 for w in WEIGHTS if LIMITS[0] <= w <= LIMITS[1]]",
            "text = LABEL + str(sum(values)) + ('!' if VERBOSE else '')",
        ),
        {"text": "text"},
        params=("LABEL", "VERBOSE", "WEIGHTS", "LIMITS"),
        override=("VERBOSE", True),
        steps=1,
    ),
    Case(
        "single_artifact",
        ("data = list(range(10))", "evens = [d for d in data if d % 2 == 0]"),
        {"evens": "evens"},
        steps=1,
    ),
]


# -- helpers, shared with test_export_orchestrators.py -----------------------------------------


def capture(shell, case: Case) -> None:
    """Run the case's session in ``shell`` (in its folder) and save its artifacts."""
    for rel, text in case.inputs.items():
        Path(rel).write_text(text)
    for cell in case.cells:
        shell.run_cell(cell, store_history=True).raise_error()
    saves = "\n".join(f"lineage.save({expr}, {name!r})" for name, expr in case.saves.items())
    shell.run_cell(f"import lineage\n{saves}", store_history=True).raise_error()


def cli_export(shell, tmp_path: Path, case: Case, target: str, name: str) -> Path:
    """Capture ``case`` and export it to ``target`` with the CLI, as pipeline ``name``, its
    parameters included; return the output folder."""
    capture(shell, case)
    out = tmp_path / "pipeline"
    argv = ["export", *case.saves, "--to", target, "-o", str(out), "--name", name]
    argv += [arg for p in case.params for arg in ("--param", p)]
    assert cli.main(argv) == 0
    return out


def overridden(case: Case, folder: Path) -> dict[str, object]:
    """The artifacts as the session computes them with the overridden parameter."""
    assert case.override is not None
    name, value = case.override
    folder.mkdir(parents=True, exist_ok=True)
    for rel, text in case.inputs.items():
        (folder / rel).write_text(text)
    namespace: dict[str, object] = {}
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for cell in case.cells:
            cell = re.sub(rf"^{name} = .*$", f"{name} = {value!r}", cell, flags=re.M)
            exec(compile(cell, "<cell>", "exec"), namespace)
        return {art: eval(expr, namespace) for art, expr in case.saves.items()}
    finally:
        os.chdir(cwd)


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    output = f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{output}"
    return proc.stdout


def child_env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RAY_"))}
    return {**env, "LINEAGE_DATA_DIR": str(data), **extra}


def check_rebuilt(data: Path, expected: dict[str, object]) -> None:
    """Each artifact file under ``data`` holds the expected value."""
    for name, value in expected.items():
        with open(data / f"{identifier(name, default='artifact')}.pkl", "rb") as f:
            rebuilt = pickle.load(f)
        assert values_equal(rebuilt, value), f"{name}: rebuilt {rebuilt!r}, expected {value!r}"


def stored(case: Case) -> dict[str, object]:
    return {name: lineage.get(name).get_value() for name in case.saves}


def flag(value: object) -> str:
    """A parameter value as the command line takes it."""
    if isinstance(value, (list, tuple, dict)) or value is None:
        import json

        return json.dumps(value)
    return str(value)


# -- the emitted code itself ----------------------------------------------------------------------


def step_functions(module: Path) -> list[ast.FunctionDef]:
    """The module's step functions (each under a comment naming the artifacts it serves)."""
    text = module.read_text()
    lines = text.splitlines()
    return [
        n
        for n in ast.parse(text).body
        if isinstance(n, ast.FunctionDef)
        and lines[n.lineno - 2].startswith(("# artifact", "# shared by"))
    ]


def check_shape(out: Path, pipeline: str) -> None:
    """No lineage import, imports at the module top, each statement in one function only."""
    for path in out.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert not any(n.split(".")[0] == "lineage" for n in names), path
    module = out / f"{pipeline}_module.py"
    seen: dict[str, str] = {}
    for func in step_functions(module):
        for node in func.body:
            assert not isinstance(node, (ast.Import, ast.ImportFrom)), ast.unparse(node)
            if isinstance(node, ast.Return):
                continue
            text = ast.unparse(node)
            assert text not in seen, f"{text!r} is in both {seen[text]}() and {func.name}()"
            seen[text] = func.name


# -- the script, for every case ---------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_script_rebuilds_artifacts(case: Case, shell, tmp_path: Path) -> None:
    capture(shell, case)
    out = tmp_path / "pipeline"
    pipeline = module_name(next(iter(case.saves)))
    paths = lineage.export(list(case.saves), to="script", output_dir=out, params=case.params)
    assert out / f"{pipeline}.py" in paths
    check_shape(out, pipeline)
    if case.steps is not None:
        assert len(step_functions(out / f"{pipeline}_module.py")) == case.steps
    elsewhere = tmp_path / "elsewhere"  # the script must not depend on the folder it runs from
    elsewhere.mkdir()
    data = tmp_path / "data"
    run([sys.executable, str(out / f"{pipeline}.py")], elsewhere, child_env(data))
    check_rebuilt(data, stored(case))
    if case.override:
        name, value = case.override
        data2 = tmp_path / "data-override"
        script = [sys.executable, str(out / f"{pipeline}.py"), f"--{name}", flag(value)]
        run(script, elsewhere, child_env(data2))
        check_rebuilt(data2, overridden(case, tmp_path / "expected-override"))
    tests = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
        out,
        child_env(tmp_path / "unused"),
    )
    assert f"{len(case.saves)} passed" in tests


def test_cli_export_shared_steps_once(shell, tmp_path: Path, capsys) -> None:
    case = CASES[0]
    capture(shell, case)
    out = tmp_path / "out"
    argv = ["export", *case.saves, "--to", "script", "-o", str(out), "--name", "orders"]
    argv += [arg for p in case.params for arg in ("--param", p)]
    assert cli.main(argv) == 0
    assert str(out / "orders.py") in capsys.readouterr().out
    functions = step_functions(out / "orders_module.py")
    shared = [f for f in functions if f.name not in {"region_report", "big_stats", "double_count"}]
    assert shared, "the work the artifacts share has a step of its own"
    assert {"THRESHOLD", "N_ORDERS"} <= {a.arg for f in functions for a in f.args.args}
    data = tmp_path / "data"
    run([sys.executable, str(out / "orders.py"), "--N_ORDERS", "20"], tmp_path, child_env(data))
    fewer = Case(**{**vars(case), "override": ("N_ORDERS", 20)})
    check_rebuilt(data, overridden(fewer, tmp_path / "expected"))


# -- golden files ---------------------------------------------------------------------------------


def _normalised(path: Path) -> str:
    text = path.read_text()
    if path.name == "requirements.txt":  # versions depend on the machine
        text = re.sub(r"==\S+", "==<version>", _without_indirect(text, path.parent))
    return text


def _without_indirect(requirements: str, folder: Path) -> str:
    """``requirements`` without the pins of distributions the exported code does not import
    itself but another pinned one needs: which of its dependencies a release imports (pandas
    and dateutil's six) is the release's business, not the export's."""
    import importlib.metadata

    dists = importlib.metadata.packages_distributions()
    direct = {
        _canonical(d)
        for f in folder.glob("*.py")
        for top in _imported_tops(f.read_text())
        for d in dists.get(top, ())
    }
    pinned = [_canonical(line.split("==")[0]) for line in requirements.splitlines() if "==" in line]
    closures = {p: _closure(p) for p in pinned}
    indirect = {
        p
        for p in pinned
        if p not in direct
        and any(p in closures[q] and q not in closures[p] for q in pinned if q != p)
    }
    return "".join(
        line
        for line in requirements.splitlines(keepends=True)
        if "==" not in line or _canonical(line.split("==")[0]) not in indirect
    )


def _closure(distribution: str) -> set[str]:
    """The distributions ``distribution`` needs, transitively (unconditional requirements)."""
    import importlib.metadata

    from packaging.requirements import Requirement

    needed: set[str] = set()
    todo = [distribution]
    while todo:
        try:
            requires = importlib.metadata.requires(todo.pop()) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for r in map(Requirement, requires):
            name = _canonical(r.name)
            if (r.marker is None or r.marker.evaluate({"extra": ""})) and name not in needed:
                needed.add(name)
                todo.append(name)
    return needed


def _canonical(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _imported_tops(source: str) -> set[str]:
    tops = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            tops.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            tops.add(node.module.split(".")[0])
    return tops


@pytest.mark.parametrize("case", [c for c in CASES if c.golden], ids=lambda c: c.id)
def test_golden(case: Case, shell, tmp_path: Path) -> None:
    capture(shell, case)
    out = tmp_path / "out"
    for target in targets():
        lineage.export(list(case.saves), to=target, output_dir=out, params=case.params)
    emitted = sorted(p for p in out.iterdir() if p.is_file() and not p.name.startswith("."))
    folder = GOLDEN / case.id
    if os.environ.get("LINEAGE_FIX_GOLDEN"):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for path in emitted:
            (folder / path.name).write_text(_normalised(path))
    assert sorted(p.name for p in folder.iterdir()) == [p.name for p in emitted]
    assert (GOLDEN / "conftest.py").exists()  # keeps pytest from collecting test_*.py here
    for path in emitted:
        golden = folder / path.name
        assert _normalised(path) == golden.read_text(), (
            f"{path.name} differs from {golden}; if the change is intended, regenerate with "
            "LINEAGE_FIX_GOLDEN=1"
        )
        if path.suffix == ".py":
            compile(golden.read_text(), str(golden), "exec")
    ruff = Path(sys.executable).parent / "ruff"
    run([str(ruff), "format", "--isolated", "--check", "."], out, dict(os.environ))
    run([str(ruff), "check", "--isolated", "--select", "E,F,W,I,B,UP", "."], out, dict(os.environ))


# -- names, injection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my model-v2", "my_model_v2"),
        ("class", "class_"),
        ("1st", "pipeline_1st"),
        ("Café au lait", "Cafe_au_lait"),
        ("", "pipeline"),
        ('x"; import os; os.system("echo pwned")#', "x_import_os_os_system_echo_pwned"),
        ("sales", "sales"),
    ],
)
def test_identifier(text: str, expected: str) -> None:
    assert identifier(text) == expected
    assert expected.isidentifier()


@pytest.mark.parametrize("name", ["random", "json", "os", "pytest"])
def test_pipeline_never_shadows_a_module(name: str) -> None:
    assert module_name(name) == f"{name}_pipeline"


def test_pipeline_name_made_an_identifier(shell, tmp_path: Path) -> None:
    capture(shell, CASES[-1])
    paths = lineage.export(["evens"], output_dir=tmp_path, pipeline_name="my model-v2")
    assert {p.name for p in paths} >= {"my_model_v2.py", "my_model_v2_module.py"}


def test_no_injection(shell, tmp_path: Path) -> None:
    """Artifact names and parameter values are data, never code, in every emitted file."""
    name = 'x"; import os; os.system("echo pwned")#'
    evil = "a\"b'c\n\"\"\" ''' \\ {{ x }} {% y %}"
    cells = (f"TEXT = {evil!r}\nKEYS = {{{evil!r}: 1}}", "out = TEXT * 2 + str(KEYS)")
    capture(shell, Case("evil", cells, {name: "out"}))
    out = tmp_path / "out"
    for target in targets():
        lineage.export([name], to=target, output_dir=out, params=["TEXT", "KEYS"])
    for path in out.glob("*.py"):
        tree = ast.parse(path.read_text())  # valid Python...
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        assert not any(isinstance(c.func, ast.Attribute) and c.func.attr == "system" for c in calls)
    script = out / "x_import_os_os_system_echo_pwned.py"
    stdout = run([sys.executable, str(script)], tmp_path, child_env(tmp_path / "d"))
    assert "pwned" not in stdout.splitlines()
    with open(tmp_path / "d" / "x_import_os_os_system_echo_pwned.pkl", "rb") as f:
        assert pickle.load(f) == lineage.get(name).get_value()


# -- errors -----------------------------------------------------------------------------------------


def test_unknown_target(shell, tmp_path: Path, capsys) -> None:
    capture(shell, CASES[-1])
    known = "airflow, dagster, kubeflow, prefect, ray, script"
    with pytest.raises(
        ExportError, match=rf"unknown export target 'luigi': choose one of {known}$"
    ):
        lineage.export(["evens"], to="luigi", output_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit):
        cli.main(["export", "evens", "--to", "luigi"])
    err = capsys.readouterr().err
    assert "invalid choice: 'luigi'" in err and all(f"'{t}'" in err for t in targets())


def test_unknown_artifact(shell, tmp_path: Path, capsys) -> None:
    capture(shell, CASES[-1])
    with pytest.raises(ArtifactNotFoundError, match="did you mean 'evens'"):
        lineage.export(["evns"], output_dir=tmp_path)
    assert cli.main(["export", "evns", "-o", str(tmp_path)]) == 2
    assert "no artifact named 'evns'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("NOPE", r"--param 'NOPE'.*no top-level assignment `NOPE = <literal>`.*found: LIMIT"),
        ("data", r"--param 'data'.*no top-level assignment"),  # assigned, but not a literal
    ],
)
def test_param_naming_no_literal(shell, tmp_path: Path, capsys, param: str, message: str) -> None:
    capture(shell, Case("p", ("LIMIT = 3", "data = list(range(LIMIT))"), {"data": "data"}))
    out = tmp_path / "out"
    with pytest.raises(ExportError, match=message):
        lineage.export(["data"], output_dir=out, params=[param])
    assert cli.main(["export", "data", "-o", str(out), "--param", param]) == 2
    assert f"--param {param!r}" in capsys.readouterr().err
    assert not out.exists()


def test_output_dir_of_another_pipeline(shell, tmp_path: Path) -> None:
    capture(shell, Case("two", ("a = [1]", "b = [2]"), {"a": "a", "b": "b"}))
    lineage.export(["a"], to="airflow", output_dir=tmp_path)
    lineage.export(["a"], to="script", output_dir=tmp_path)  # the same pipeline: fine
    assert (tmp_path / "a_dag.py").exists()  # and its other entry points stay in step
    with pytest.raises(ExportError, match=r"holds the files of pipeline 'a'.*--force"):
        lineage.export(["b"], output_dir=tmp_path)
    lineage.export(["b"], output_dir=tmp_path, force=True)
    assert not (tmp_path / "a.py").exists() and not (tmp_path / "a_dag.py").exists()
    assert (tmp_path / "b.py").exists()


def test_output_dir_with_files_lineage_did_not_write(shell, tmp_path: Path, capsys) -> None:
    capture(shell, CASES[-1])
    (tmp_path / "evens.py").write_text("print('mine')\n")
    (tmp_path / "notes.txt").write_text("unrelated files are fine\n")
    assert cli.main(["export", "evens", "-o", str(tmp_path)]) == 2
    assert "already has evens.py" in capsys.readouterr().err
    assert (tmp_path / "evens.py").read_text() == "print('mine')\n"
    assert cli.main(["export", "evens", "-o", str(tmp_path), "--force"]) == 0
    assert "import evens_module as steps" in (tmp_path / "evens.py").read_text()
    assert (tmp_path / "notes.txt").exists()


def test_missing_orchestrator_writes_anyway(shell, tmp_path: Path, monkeypatch, capsys) -> None:
    import importlib.util

    capture(shell, CASES[-1])
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda n, *a: None if n in ("airflow", "ray", "dagster", "kfp", "prefect") else real(n, *a),
    )
    with pytest.warns(MissingExtraWarning, match=r"pip install 'notebook-lineage\[airflow\]'"):
        paths = lineage.export(["evens"], to="airflow", output_dir=tmp_path / "a")
    assert tmp_path / "a" / "evens_dag.py" in paths
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert cli.main(["export", "evens", "--to", "ray", "-o", str(tmp_path / "r")]) == 0
    assert "notebook-lineage[ray]" in capsys.readouterr().err
    assert (tmp_path / "r" / "evens_ray.py").exists()
    with pytest.warns(MissingExtraWarning, match=r"pip install 'notebook-lineage\[dagster\]'"):
        lineage.export(["evens"], to="dagster", output_dir=tmp_path / "g")
    assert (tmp_path / "g" / "evens_dagster.py").exists()
    with pytest.warns(MissingExtraWarning, match=r"pip install 'notebook-lineage\[kubeflow\]'"):
        lineage.export(["evens"], to="kubeflow", output_dir=tmp_path / "k")
    assert (tmp_path / "k" / "evens_kfp.py").exists()
    with pytest.warns(MissingExtraWarning, match=r"pip install 'notebook-lineage\[prefect\]'"):
        lineage.export(["evens"], to="prefect", output_dir=tmp_path / "p")
    assert (tmp_path / "p" / "evens_flow.py").exists()


def test_requirements_pin_what_the_code_imports(shell, tmp_path: Path) -> None:
    import numpy

    capture(shell, CASES[2])
    lineage.export(list(CASES[2].saves), to="airflow", output_dir=tmp_path)
    lines = (tmp_path / "requirements.txt").read_text().splitlines()
    assert f"numpy=={numpy.__version__}" in lines
    assert any(line.startswith("pandas==") for line in lines)
    assert any(line.startswith("apache-airflow==") for line in lines)
    assert not any(line.startswith(("ray", "math", "os")) for line in lines)


def test_sessions_never_share_steps(shell, tmp_path: Path) -> None:
    """Two sessions with the same code: each artifact keeps its own steps."""
    capture(shell, Case("one", ("base = [1, 2]", "total = sum(base)"), {"first": "total"}))
    shell.run_line_magic("unload_ext", "lineage")
    second = new_shell()
    second.run_line_magic("load_ext", "lineage")
    try:
        capture(
            second, Case("two", ("base = [1, 2]", "total = sum(base) * 10"), {"second": "total"})
        )
    finally:
        second.run_line_magic("unload_ext", "lineage")
    assert lineage.get("first").record.session_id != lineage.get("second").record.session_id
    out = tmp_path / "out"
    lineage.export(["first", "second"], output_dir=out)
    assert [f.name for f in step_functions(out / "first_module.py")] == ["first", "second"]
    data = tmp_path / "data"
    run([sys.executable, str(out / "first.py")], tmp_path, child_env(data))
    check_rebuilt(data, {"first": 3, "second": 30})


# -- files the code names: input location and data location ---------------------------------


@dataclass(frozen=True)
class FileCase:
    id: str
    cells: tuple[str, ...]
    inputs: dict[str, str]  # files in the session's folder before it runs
    saves: dict[str, str]
    how: str = "flag"  # how the run learns the input location: "flag", "env", "url", "default"


FILE_CASES = [
    FileCase(
        "input_by_flag",
        (
            "import csv",
            "with open('prices.csv', newline='') as f:\n    rows = list(csv.DictReader(f))",
        ),
        {"prices.csv": "p\n1.5\n2.0\n"},
        {"rows": "rows"},
    ),
    FileCase(
        "round_trip_by_env",
        (
            "import json",
            "with open('seed.json') as f:\n    seed = json.load(f)",
            "with open('raw.json', 'w') as f:\n    json.dump([seed, seed * 2], f)",
            "with open('raw.json') as f:\n    back = json.load(f)",
            "total = sum(back)",
        ),
        {"seed.json": "21"},
        {"total": "total", "back": "back"},
        how="env",
    ),
    FileCase(
        "input_by_url",
        ("import json", "with open('seed.json') as f:\n    seed = json.load(f) + 1"),
        {"seed.json": "41"},
        {"seed": "seed"},
        how="url",
    ),
    FileCase(
        "subfolder_and_absolute_default",
        (
            "import os\nHERE = os.getcwd()",
            "text = open('data/notes.txt').read()",
            "size = len(open(os.path.join(HERE, 'data/notes.txt')).read())",
            "with open('out/report.txt', 'w') as f:\n    f.write(text.upper())",
            "report = open('out/report.txt').read()",
        ),
        {"data/notes.txt": "some notes", "out/report.txt": "old"},
        {"report": "report", "size": "size"},
        how="default",
    ),
]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda c: c.id)
def test_files_stay_under_the_data_location(case: FileCase, shell, tmp_path: Path) -> None:
    """The script, run from another folder, reads the inputs from the input location and
    writes only under the data location; verify writes nothing in the session's folder."""
    session = Path.cwd()  # the shell fixture runs the session in its own folder
    for rel, text in case.inputs.items():
        (session / rel).parent.mkdir(parents=True, exist_ok=True)
        (session / rel).write_text(text)
    capture(shell, Case(case.id, case.cells, case.saves))
    before = _snapshot(session)
    for name in case.saves:
        assert verify(name).ok
    out = tmp_path / "pipeline"
    lineage.export(list(case.saves), to="script", output_dir=out)
    pipeline = module_name(next(iter(case.saves)))
    assert str(session) not in (out / f"{pipeline}.py").read_text()
    module = (out / f"{pipeline}_module.py").read_text()
    assert "os.chdir" not in module and "file_path(" in module
    elsewhere, data = tmp_path / "elsewhere", tmp_path / "data"
    elsewhere.mkdir()
    inputs = tmp_path / "inputs"
    shutil.copytree(session, inputs)
    cmd, env = [sys.executable, str(out / f"{pipeline}.py")], child_env(data)
    if case.how == "flag":
        cmd += ["--input-dir", str(inputs)]
    elif case.how == "env":
        env["LINEAGE_INPUT_DIR"] = str(inputs)
    elif case.how == "url":  # through fsspec
        cmd += ["--input-dir", inputs.as_uri()]
    run(cmd, elsewhere, env)
    check_rebuilt(data, stored(Case(case.id, case.cells, case.saves)))
    assert _snapshot(session) == before  # neither verify nor the run wrote there
    assert list(elsewhere.iterdir()) == []
    assert (data / "files").is_dir()


# -- all or nothing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenCase:
    id: str
    cells: tuple[str, ...]
    saves: dict[str, str]
    breaks: str  # what goes wrong on the second export: "value file", "unpicklable"
    message: str  # in the error the CLI prints


BROKEN_CASES = [
    BrokenCase("missing_value_file", ("xs = [1, 2]",), {"xs": "xs"}, "value file", "is missing"),
    BrokenCase(
        "generator",
        ("xs = [1, 2]", "gen = (x * 2 for x in xs)"),
        {"xs": "xs", "gen": "gen"},
        "unpicklable",
        "could not be pickled",
    ),
]


@pytest.mark.parametrize("case", BROKEN_CASES, ids=lambda c: c.id)
def test_failed_export_leaves_the_previous_one(
    case: BrokenCase, shell, tmp_path: Path, capsys
) -> None:
    """An export that fails prints the reason (no traceback) and changes nothing."""
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the generator's unpicklable-value warning
        capture(shell, Case(case.id, case.cells, case.saves))
    assert cli.main(["export", "xs", "-o", str(out), "--name", "p"]) == 0
    before = _snapshot(out)
    if case.breaks == "value file":
        art = lineage.get("xs")
        assert art.record.value_path is not None
        (art.store.home / "values" / art.record.value_path).unlink()
    capsys.readouterr()
    assert cli.main(["export", *case.saves, "-o", str(out), "--name", "p"]) != 0
    err = capsys.readouterr().err
    assert case.message in err and "Traceback" not in err
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "work"]  # no scratch left


def test_value_files_are_identifiers(shell, tmp_path: Path) -> None:
    long_name = "révénue été " * 16  # 192 characters, 320 bytes: too long for a file name
    capture(shell, Case("long", ("xs = [1, 2]",), {long_name: "xs", "a b": "xs", "a_b": "xs"}))
    out = tmp_path / "out"
    paths = lineage.export([long_name, "a b", "a_b"], output_dir=out, pipeline_name="p")
    values = sorted(p.name for p in paths if p.parent.name == "expected")
    stem = identifier(long_name)
    assert len(stem) <= 60 and " " not in stem
    assert values == sorted(["a_b.pkl", "a_b_2.pkl", f"{stem}.pkl"])
    data = tmp_path / "data"
    run([sys.executable, str(out / "p.py")], tmp_path, child_env(data))
    assert sorted(p.name for p in data.iterdir() if p.is_file()) == values


def test_subset_reexport_says_what_it_removes(shell, tmp_path: Path, capsys) -> None:
    capture(shell, Case("two", ("a = [1]", "b = [2]"), {"a": "a", "b": "b"}))
    out = tmp_path / "out"
    assert cli.main(["export", "a", "b", "-o", str(out), "--name", "p"]) == 0
    assert (out / "expected" / "b.pkl").exists()
    capsys.readouterr()
    assert cli.main(["export", "a", "-o", str(out), "--name", "p"]) == 0
    said = capsys.readouterr().out
    assert "removed from" in said and "expected/b.pkl" in said
    assert not (out / "expected" / "b.pkl").exists()


def test_session_modules_travel_with_the_export(shell, tmp_path: Path) -> None:
    """``import helpers`` of the session folder's helpers.py: the export carries a copy."""
    Path("helpers.py").write_text("def double(x):\n    return 2 * x\n")
    cells = ("import sys\nsys.path.insert(0, '.')", "import helpers", "y = helpers.double(21)")
    capture(shell, Case("helpers", cells, {"y": "y"}))
    out = tmp_path / "out"
    lineage.export(["y"], to="script", output_dir=out)
    assert (out / "helpers.py").is_file()
    copy = tmp_path / "elsewhere" / "out"
    shutil.copytree(out, copy)
    Path("helpers.py").unlink()  # the session's folder no longer has it
    data = tmp_path / "data"
    run([sys.executable, str(copy / "y.py")], copy.parent, child_env(data))
    check_rebuilt(data, {"y": 42})
