"""``--reuse``: a pipeline loads a saved artifact's stored value instead of recomputing it.

Table-driven. Each case is a session run in a real IPython shell (its saves in its cells).
The plan tables check, on the steps module ``export`` writes (``lineage.get_source``), which
statements stay in the steps and which leave, which parameters are left, and the refusals;
and that the in-process twin (``lineage.get_function``) rebuilds the saved values. The
script cases export and run ``P.py`` in a fresh interpreter and the generated tests; the
failure cases delete the reused version first. The PostgreSQL+S3 case loads from the team
store. The Airflow and Ray runs are in ``test_export_orchestrators.py``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

import lineage
from lineage import cli
from lineage.compare import values_equal
from lineage.emitters import emitter, targets
from lineage.errors import ExportError, StoreConfigError
from lineage.export import MissingExtraWarning
from lineage.reuse import load_stored
from tests.conftest import _PANDAS_2
from tests.test_export import check_rebuilt, child_env, run

# features <- raw <- seeded random draws; model and report read features, report raw too
PIPELINE = (
    "import random\nimport lineage",
    "N = 50\nSEED = 3\nSCALE = 10",
    "random.seed(SEED)\nraw = [random.random() for _ in range(N)]",
    "def scaled(values, factor):\n    return [v * factor for v in values]",
    "features = scaled(raw, SCALE)",
    "lineage.save(features, 'features')",
    "BIAS = 0.5\nmodel = sum(features) / len(features) + BIAS",
    'report = {"n": len(features), "top": max(features), "first_raw": raw[0]}',
    "lineage.save(model, 'model')\nlineage.save(report, 'report')",
)


@dataclass(frozen=True)
class PlanCase:
    id: str
    cells: tuple[str, ...]
    export: tuple[str, ...]
    reuse: tuple[str, ...]
    params: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # statements still in a step
    dropped: tuple[str, ...] = ()  # statements in no step (nor at the module top)
    left_params: tuple[str, ...] = ()  # PARAMS of the module
    refused: str | None = None  # the ExportError, a regular expression


SCALER_CELLS = (
    "import lineage\nfrom sklearn.datasets import load_iris\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from sklearn.preprocessing import StandardScaler",
    "df = load_iris(as_frame=True).frame",
    'X = df.drop(columns="target")',
    "scaler = StandardScaler()\nfeatures = scaler.fit_transform(X)",
    "lineage.save(features, 'features')",
    'model = LogisticRegression(max_iter=200).fit(features, df["target"])',
    'score = model.score(features, df["target"])\nlineage.save(score, "score")',
)

PLAN_CASES = [
    PlanCase(
        "only_features_needed_it",
        PIPELINE,
        ("model",),
        ("features",),
        params=("SCALE", "BIAS"),
        kept=("model = sum(features) / len(features) + BIAS",),
        dropped=(
            "random.seed(SEED)",
            "raw = [random.random() for _ in range(N)]",
            "features = scaled(raw, SCALE)",
            "N = 50",
            "SEED = 3",
            "import random",
            "def scaled(values, factor):\n    return [v * factor for v in values]",
        ),
        left_params=("BIAS",),
    ),
    PlanCase(
        "shared_upstream_stays",
        PIPELINE,
        ("model", "report"),
        ("features",),
        params=("SCALE", "BIAS", "N"),
        kept=(
            "random.seed(SEED)",
            "raw = [random.random() for _ in range(N)]",
            'report = {"n": len(features), "top": max(features), "first_raw": raw[0]}',
        ),
        dropped=(
            "features = scaled(raw, SCALE)",
            "def scaled(values, factor):\n    return [v * factor for v in values]",
        ),
        left_params=("BIAS", "N"),
    ),
    PlanCase(
        "rebinding_from_the_saved_value",
        (
            "import lineage\nxs = [3, 1, 2]",
            "feats = sorted(xs)",
            "lineage.save(feats, 'feats')",
            "feats = feats + [10]",
            "total = sum(feats)\nlineage.save(total, 'total')",
        ),
        ("total",),
        ("feats",),
        kept=("feats = feats + [10]", "total = sum(feats)"),
        dropped=("xs = [3, 1, 2]", "feats = sorted(xs)"),
    ),
    PlanCase(
        "function_reading_it_later",
        (
            "import lineage\nOFFSET = 1\ndef shifted():\n    return [f + OFFSET for f in feats]",
            "feats = [n * n for n in range(6)]",
            "lineage.save(feats, 'feats')",
            "out = shifted()\nlineage.save(out, 'out')",
        ),
        ("out",),
        ("feats",),
        kept=("out = shifted()", "OFFSET = 1"),
        dropped=("feats = [n * n for n in range(6)]",),
    ),
    PlanCase(
        "other_artifact_untouched",
        (*PIPELINE, "alone = [SEED] * 3", "lineage.save(alone, 'alone')"),
        ("model", "alone"),
        ("features",),
        kept=("alone = [SEED] * 3", "model = sum(features) / len(features) + BIAS"),
        dropped=("raw = [random.random() for _ in range(N)]",),
    ),
    PlanCase(
        "draws_after_it_but_not_its_value",
        (*PIPELINE[:6], "noise = random.random()\nlineage.save(noise, 'noise')"),
        ("noise",),
        ("features",),
        refused=r"'noise' does not use it",
    ),
    PlanCase(
        "draws_after_it_and_its_value",  # the draw needs the generator as the draws left it
        (*PIPELINE[:6], "noisy = features[0] + random.random()\nlineage.save(noisy, 'noisy')"),
        ("noisy",),
        ("features",),
        kept=("random.seed(SEED)", "raw = [random.random() for _ in range(N)]"),
        dropped=("features = scaled(raw, SCALE)",),
    ),
    PlanCase(
        "expression_saved_from_it",
        (*PIPELINE[:6], "lineage.save(len(features) * 2, 'double')"),
        ("double",),
        ("features",),
        dropped=("raw = [random.random() for _ in range(N)]", "random.seed(SEED)"),
    ),
    PlanCase(
        "changed_through_an_alias_after",
        (
            "import lineage\nfeats = []\nalias = feats",
            "feats.extend([1, 2])",
            "lineage.save(feats, 'feats')",
            "alias.append(10)",
            "total = sum(feats)\nlineage.save(total, 'total')",
        ),
        ("total",),
        ("feats",),
        refused=r"`alias.append\(10\)` depends on the statement that made it "
        r"\(`feats.extend\(\[1, 2\]\)`\) through more than the value of 'feats'",
    ),
    PlanCase(
        "scaler_and_its_input_leave",  # fit_transform changes the scaler: only features read it
        SCALER_CELLS,
        ("score",),
        ("features",),
        kept=(
            "df = load_iris(as_frame=True).frame",
            'model = LogisticRegression(max_iter=200).fit(features, df["target"])',
        ),
        dropped=(
            'X = df.drop(columns="target")',
            "scaler = StandardScaler()",
            "features = scaler.fit_transform(X)",
            "from sklearn.preprocessing import StandardScaler",
        ),
    ),
    PlanCase(
        "a_function_defined_in_the_session",  # loaded, then handed on by value
        (
            "import lineage\nK = 3",
            "def make(k):\n    return lambda v: v * k",
            "times = make(K)\nlineage.save(times, 'times')",
            "out = [times(i) for i in range(4)]\nlineage.save(out, 'out')",
        ),
        ("out",),
        ("times",),
        kept=("out = [times(i) for i in range(4)]",),
        dropped=("K = 3", "times = make(K)"),
    ),
    PlanCase(
        "changed_in_place_after",
        (
            "import lineage\nfeats = [3, 1, 2]",
            "lineage.save(feats, 'feats')",
            "feats.append(9)",
            "total = sum(feats)\nlineage.save(total, 'total')",
        ),
        ("total",),
        ("feats",),
        refused=r"`feats.append\(9\)` changes it in place after it was saved",
    ),
    PlanCase(
        "made_by_what_the_export_computes",  # feats was saved after the pop that made top
        (
            "import lineage\nfeats = [3, 1, 2]",
            "top = feats.pop()\nlineage.save(top, 'top')",
            "lineage.save(feats, 'feats')",
        ),
        ("top",),
        ("feats",),
        refused=r"every statement of 'top' is one 'feats' needs too \(`top = feats.pop\(\)` may "
        r"change 'feats' in place, as far as lineage can tell\), so nothing would be left",
    ),
    PlanCase(
        "another_version",
        (
            "import lineage\nfeats = [1, 2]",
            "lineage.save(feats, 'feats')",
            "feats = [5, 6]",
            "total = sum(feats)\nlineage.save(total, 'total')",
        ),
        ("total",),
        ("feats",),
        refused=r"'total' reads another version of 'feats' than the one saved as 'feats' version 1",
    ),
    PlanCase(
        "saved_again_later",
        (
            "import lineage\nfeats = [1, 2]",
            "total = sum(feats)\nlineage.save(total, 'total')",
            "feats = [5, 6]",
            "lineage.save(feats, 'feats')",
        ),
        ("total",),
        ("feats",),
        refused=r"reads another version of 'feats' than the one saved as 'feats' version 1",
    ),
    PlanCase(
        "not_used",
        (*PIPELINE, "alone = [SEED] * 3", "lineage.save(alone, 'alone')"),
        ("alone",),
        ("features",),
        refused=r"cannot reuse 'features': 'alone' does not use it",
    ),
    PlanCase(
        "its_statement_makes_more",
        (
            "import lineage\ndef split(v):\n    return v[:2], v[2:]",
            "feats, rest = split([1, 2, 3, 4])",
            "lineage.save(feats, 'feats')",
            "total = sum(feats) + sum(rest)\nlineage.save(total, 'total')",
        ),
        ("total",),
        ("feats",),
        refused=r"the statement that made it \(`feats, rest = split\(\[1, 2, 3, 4\]\)`\) also "
        r"makes rest, which `total = sum\(feats\) \+ sum\(rest\)` needs",
    ),
    PlanCase(
        "saved_from_an_expression",
        (
            "import lineage\nxs = [1, 2, 3]",
            "lineage.save(len(xs), 'n')",
            "m = len(xs) * 2\nlineage.save(m, 'm')",
        ),
        ("m",),
        ("n",),
        refused=r"cannot reuse 'n': it was saved from an expression",
    ),
    PlanCase(
        "reused_and_exported",
        PIPELINE,
        ("model", "features"),
        ("features",),
        refused=r"'features' is both exported and reused",
    ),
    PlanCase(
        "unknown",
        PIPELINE,
        ("model",),
        ("featurs",),
        refused=r"cannot reuse 'featurs': no artifact named 'featurs'; did you mean 'features'\?",
    ),
    PlanCase(
        "no_stored_value",
        (
            "import lineage\ngen = (i for i in range(3))",
            "lineage.save(gen, 'gen')",
            "total = sum(gen)\nlineage.save(total, 'total')",
        ),
        ("total",),
        ("gen",),
        refused=r"cannot reuse 'gen': version 1 has no stored value",
    ),
]


def session(shell, cells: tuple[str, ...]) -> None:
    for cell in cells:
        shell.run_cell(cell, store_history=True).raise_error()


def normal(text: str) -> str:
    return ast.unparse(ast.parse(text))


def module_statements(source: str) -> tuple[set[str], set[str]]:
    """(statements of the step functions, statements at the module top), normalised."""
    lines = source.splitlines()
    steps: set[str] = set()
    top: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and lines[node.lineno - 2].startswith(
            ("# artifact", "# shared by")
        ):
            steps |= {ast.unparse(n) for n in node.body if not isinstance(n, ast.Return)}
        else:
            top.add(ast.unparse(node))
    return steps, top


def module_params(source: str) -> tuple[str, ...]:
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "PARAMS":
            assert isinstance(node.value, ast.Dict)
            return tuple(ast.literal_eval(k) for k in node.value.keys if k is not None)
    return ()


# Under pandas 2 a frame's methods are unknown calls, which may change the frame as far as the
# analysis can tell (docs/architecture.md, "Known limits"): the pandas cases of PLAN_CASES are
# skipped there (tests/conftest.py VERSION_SKIPS), and these say what pandas 2 gives instead
PANDAS_2_CASES = [
    PlanCase(
        "pandas_2_scaler_input_stays",  # the fit reads df, which the drop that made X may change
        SCALER_CELLS,
        ("score",),
        ("features",),
        kept=(
            "df = load_iris(as_frame=True).frame",
            'X = df.drop(columns="target")',
            'model = LogisticRegression(max_iter=200).fit(features, df["target"])',
        ),
        dropped=("scaler = StandardScaler()", "features = scaler.fit_transform(X)"),
    ),
    PlanCase(
        "pandas_2_frame_method_refused",
        (
            "import lineage\nimport numpy as np\nimport pandas as pd",
            'df = pd.DataFrame({"x": np.arange(6.0), "g": [0, 1, 2] * 2})',
            'summary = df.groupby("g")["x"].sum()\nlineage.save(summary, "summary")',
            "lineage.save(df, 'frame')",
        ),
        ("summary",),
        ("frame",),
        refused=r"every statement of 'summary' is one 'frame' needs too \(`summary = "
        r"df.groupby\(\"g\"\)\[\"x\"\].sum\(\)` may change 'df' in place",
    ),
]
_PLAN_HERE = PLAN_CASES + (PANDAS_2_CASES if _PANDAS_2 else [])


@pytest.mark.parametrize("case", _PLAN_HERE, ids=[c.id for c in _PLAN_HERE])
@pytest.mark.filterwarnings("ignore::lineage.errors.UnpicklableValueWarning")
def test_plan(case: PlanCase, shell) -> None:
    session(shell, case.cells)
    if case.refused is not None:
        with pytest.raises(ExportError, match=case.refused):
            lineage.get_source(list(case.export), list(case.params), reuse=list(case.reuse))
        return
    source = lineage.get_source(list(case.export), list(case.params), reuse=list(case.reuse))
    steps, top = module_statements(source)
    for text in case.kept:
        assert normal(text) in steps | top, f"{text!r} left the steps:\n{source}"
    for text in case.dropped:
        assert normal(text) not in steps | top, f"{text!r} is still there:\n{source}"
    for name in case.reuse:
        art = lineage.get(name)
        assert f"{art.target} = load_{name}()" in steps
        assert f"load_reused({name!r}, {art.version}, {art.record.value_path!r})" in source.replace(
            '"', "'"
        )
    assert module_params(source) == case.left_params
    rebuilt = lineage.get_function(list(case.export), list(case.params), reuse=list(case.reuse))()
    for name in case.export:
        assert values_equal(rebuilt[name], lineage.get(name).get_value()), name


def test_cli_reuse_is_repeatable(shell, tmp_path: Path, capsys) -> None:
    """``--reuse`` twice: both values load; one no step reads then is refused, and so is a
    name both exported and reused (``lineage: <why>``, status 2)."""
    session(shell, (*PIPELINE, "combo = [model, report['n']]", "lineage.save(combo, 'combo')"))
    out = tmp_path / "out"
    argv = ["export", "combo", "-o", str(out), "--reuse", "model", "--reuse", "report"]
    assert cli.main(argv) == 0
    steps, _ = module_statements((out / "combo_module.py").read_text())
    assert {"model = load_model()", "report = load_report()"} <= steps
    assert not any("random" in s for s in steps)
    with pytest.raises(
        ExportError, match="no step reads 'features' once 'model', 'report' are reused"
    ):
        lineage.export(["combo"], output_dir=tmp_path / "o2", reuse=["model", "report", "features"])
    capsys.readouterr()
    assert cli.main(["export", "combo", "-o", str(tmp_path / "o3"), "--reuse", "combo"]) == 2
    assert "lineage: 'combo' is both exported and reused" in capsys.readouterr().err
    assert not (tmp_path / "o3").exists()


# -- the script, run for real ------------------------------------------------------------------


def export_script(tmp_path: Path, names: list[str], reuse: list[str], **kw: object) -> Path:
    out = tmp_path / "pipeline"
    lineage.export(names, to="script", output_dir=out, reuse=reuse, **kw)  # type: ignore[arg-type]
    return out


def test_script_loads_the_stored_value(shell, tmp_path: Path) -> None:
    session(shell, PIPELINE)
    out = export_script(tmp_path, ["model", "report"], ["features"], params=["BIAS"])
    requirements = (out / "requirements.txt").read_text()
    assert "notebook-lineage==" in requirements and "sqlalchemy" in requirements.lower()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = tmp_path / "data"
    run([sys.executable, str(out / "model.py")], elsewhere, child_env(data))
    check_rebuilt(data, {n: lineage.get(n).get_value() for n in ("model", "report")})
    data2 = tmp_path / "data2"
    run([sys.executable, str(out / "model.py"), "--BIAS", "1.5"], elsewhere, child_env(data2))
    check_rebuilt(data2, {"model": lineage.get("model").get_value() + 1.0})
    tests = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
        out,
        child_env(tmp_path / "unused"),
    )
    assert "2 passed" in tests
    ruff = Path(sys.executable).parent / "ruff"
    run([str(ruff), "format", "--isolated", "--check", "."], out, dict(os.environ))
    run([str(ruff), "check", "--isolated", "--select", "E,F,W,I,B,UP", "."], out, dict(os.environ))


@dataclass(frozen=True)
class GoneCase:
    id: str
    after_export: str  # what the session does to the store once the pipeline is exported
    message: str


GONE_CASES = [
    GoneCase(
        "version_deleted",
        "lineage.save([0.0], 'features')\nlineage.delete('features', 1)",
        "has no version 1 (versions: 2)",
    ),
    GoneCase(
        "every_version_deleted",
        "lineage.delete('features')",
        "no artifact named 'features'",
    ),
    GoneCase(
        "saved_again_after_delete",
        "lineage.delete('features', 1)\nlineage.save([0.0], 'features')",
        "that version was deleted and another value saved under it",
    ),
]


@pytest.mark.parametrize("case", GONE_CASES, ids=[c.id for c in GONE_CASES])
def test_script_fails_when_the_version_is_gone(case: GoneCase, shell, tmp_path: Path) -> None:
    session(shell, PIPELINE)
    out = export_script(tmp_path, ["model"], ["features"])
    session(shell, (case.after_export,))
    data = tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, str(out / "model.py")],
        cwd=tmp_path,
        env=child_env(data),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    home = os.environ["LINEAGE_HOME"]
    assert "ReusedArtifactError: this pipeline reuses artifact 'features' version 1" in proc.stderr
    assert case.message in proc.stderr and home in proc.stderr, proc.stderr
    assert not (data / "model.pkl").exists()


def test_store_from_the_environment_first(shell, tmp_path: Path, monkeypatch) -> None:
    """The store in $LINEAGE_DATABASE_URL / $LINEAGE_ARTIFACT_URL wins over the exported one."""
    session(shell, PIPELINE)
    out = export_script(tmp_path, ["model"], ["features"])
    elsewhere = tmp_path / "empty-store"
    env = child_env(
        tmp_path / "data",
        LINEAGE_DATABASE_URL=f"sqlite:///{elsewhere / 'lineage.db'}",
        LINEAGE_ARTIFACT_URL=str(elsewhere / "values"),
    )
    proc = subprocess.run(
        [sys.executable, str(out / "model.py")], env=env, capture_output=True, text=True
    )
    assert proc.returncode != 0 and "no artifact named 'features'" in proc.stderr
    assert str(elsewhere) in proc.stderr


def test_password_comes_from_the_environment() -> None:
    with pytest.raises(StoreConfigError, match="set LINEAGE_DATABASE_URL to that URL"):
        load_stored(
            "features",
            1,
            "key.pkl",
            database_url=None,
            artifact_url="/nowhere",
            hidden="postgresql+psycopg://u:***@db/lineage with values at /nowhere",
        )


# -- the team store: PostgreSQL + S3 -----------------------------------------------------------


def test_postgres_s3_store(shell, tmp_path: Path, monkeypatch, postgres, s3) -> None:
    """Artifacts in PostgreSQL (its URL with a password) and S3: the module keeps the bucket
    but not the password, so a run without $LINEAGE_DATABASE_URL says to set it; with it, the
    pipeline loads the stored value from S3 and rebuilds the others."""
    name = postgres.new_database().rsplit("/", 1)[1]
    database = postgres.url(name, password="s3cret")  # the server trusts any password
    for key, value in {**s3.env, "LINEAGE_DATABASE_URL": database}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("LINEAGE_ARTIFACT_URL", s3.new_url())
    session(shell, PIPELINE)
    out = export_script(tmp_path, ["model", "report"], ["features"])
    module = (out / "model_module.py").read_text()
    assert "s3cret" not in module and '"database_url": None' in module
    assert os.environ["LINEAGE_ARTIFACT_URL"] in module
    requirements = (out / "requirements.txt").read_text()
    assert "notebook-lineage[postgres,s3]==" in requirements
    env = child_env(tmp_path / "data")
    without = {k: v for k, v in env.items() if k not in ("LINEAGE_DATABASE_URL",)}
    without.pop("LINEAGE_ARTIFACT_URL")
    proc = subprocess.run(
        [sys.executable, str(out / "model.py")], env=without, capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "set LINEAGE_DATABASE_URL to that URL" in proc.stderr, proc.stderr
    assert "***" in proc.stderr and "s3cret" not in proc.stderr
    only_db = {**without, "LINEAGE_DATABASE_URL": database}  # the bucket: the exported one
    run([sys.executable, str(out / "model.py")], tmp_path, only_db)
    check_rebuilt(tmp_path / "data", {n: lineage.get(n).get_value() for n in ("model", "report")})


@pytest.mark.parametrize("target", targets())
def test_every_target_renders_the_load(target: str, shell, tmp_path: Path) -> None:
    """Every entry point is rendered from the one plan: its steps module loads the value."""
    session(shell, PIPELINE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingExtraWarning)
        paths = lineage.export(
            ["model"], to=target, output_dir=tmp_path / "out", reuse=["features"]
        )
    names = {p.name for p in paths}
    assert "model_module.py" in names and emitter(target).entry_point.format(name="model") in names
    module = (tmp_path / "out" / "model_module.py").read_text()
    assert "features = load_features()" in module and "random.seed" not in module
