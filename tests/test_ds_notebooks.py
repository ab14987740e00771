"""End to end: the three data-science example notebooks, executed through a real Jupyter kernel.

``examples/notebooks/ds_*.ipynb`` run cell by cell in a fresh ipykernel on this interpreter
(cells tagged ``raises-exception`` are the session's dead ends), with ``LINEAGE_HOME`` pointing
at a temporary store. Then, against that store, each saved artifact's slice must:

* never mention lineage or IPython and parse as plain Python;
* rebuild a value equal to the stored one alone in a fresh interpreter and an empty folder;
* hold the statements the semantics require (``must``) and leave out those that cannot matter
  (``must_not``), each compared with whole top-level statements of the slice.

The slice size as a share of the executed statements is printed (``pytest -s`` shows it). A
check that a known core limitation breaks today is a strict xfail naming it, so it turns red the
day the core is fixed.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

for _module in ("numpy", "pandas", "sklearn", "matplotlib", "nbclient", "ipykernel"):
    pytest.importorskip(_module)

import lineage  # noqa: E402
from lineage.verify import VerifyResult, verify  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _load_runner() -> ModuleType:
    """``examples/notebook_runner.py`` (shared with the demo; not a package)."""
    name = "lineage_examples_notebook_runner"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / "notebook_runner.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


runner = _load_runner()

# a known limitation these notebooks run into


@dataclass(frozen=True)
class Case:
    notebook: str
    artifact: str
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    minimal_gap: str = ""  # reason the must / must_not check fails today

    @property
    def id(self) -> str:
        return f"{Path(self.notebook).stem}:{self.artifact}"


DIABETES = "ds_diabetes.ipynb"
SENSORS = "ds_sensors.ipynb"
CUSTOMERS = "ds_customers.ipynb"

CASES = [
    Case(
        DIABETES,
        "diabetes_features",
        must=(
            'df.rename(columns={"s1": "tc", "s2": "ldl", "s3": "hdl", "s4": "tch", "s5": "ltg", '
            '"s6": "glu"}, inplace=True)',
            "df.drop(outliers.index, inplace=True)",
            'df.loc[df["bp"] > 125, "bp"] = 125.0',
            'df["bmi_bp"] = df["bmi"] * df["bp"]',
            'FEATURES = ["age", "sex", "bmi", "bp", "tc", "ldl", "hdl", "tch", "ltg", "glu", '
            '"bmi_bp"]',
        ),
        must_not=(
            "df.head()",
            "df.describe().T",
            'pd.set_option("display.precision", 3)',
            'corr = df.corr()\ncorr["target"].sort_values(ascending=False)',
            'df["log_tg"] = np.log(df["tg"])',  # raised
            'FEATURES = ["age", "sex", "bmi", "bp", "tc", "ldl", "hdl", "tch", "ltg", "glu"]',
            'df.hist(column="target", bins=30)',
            "df.isna().sum()",
        ),
    ),
    Case(
        DIABETES,
        "diabetes_model",
        must=(
            "best_alpha = max(cv_scores, key=cv_scores.get)",
            "ridge.fit(X_train, y_train)",
            "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, "
            "random_state=7)",
        ),
        must_not=(
            "lin.fit(X_train, y_train)",
            "forest.fit(X_train, y_train)",
            "r2_score(y_test, lin.predict(X_test))",
            'plt.semilogx(alphas, [cv_scores[a] for a in alphas], marker="o")',
        ),
    ),
    Case(
        DIABETES,
        "diabetes_test_predictions",
        must=("ridge.fit(X_train, y_train)",),
        must_not=("lin.fit(X_train, y_train)", 'plt.axhline(0, color="k")'),
    ),
    Case(
        DIABETES,
        "diabetes_report",
        must=("ridge_mae = mean_absolute_error(y_test, ridge.predict(X_test))",),
        must_not=(
            "forest_r2 = r2_score(y_test, forest.predict(X_test))",
            "lin = LinearRegression()",
        ),
    ),
    Case(
        SENSORS,
        "sensor_clean_signal",
        must=(
            "np.random.seed(2024)",
            "noise = np.random.normal(scale=0.2, size=(n_sensors, n_steps))",
            "readings[spike_sensor, spike_idx] += np.random.uniform(3, 5, size=12)",
            "sensor2[:50] = np.nan",
            "np.abs(resid, out=resid)",
            "threshold = 6 * np.median(resid, axis=1, keepdims=True)",
            "np.clip(clean_signal, -2.0, 2.0, out=clean_signal)",
        ),
        must_not=(
            "threshold = 2 * resid.std(axis=1, keepdims=True)",
            "rng = np.random.default_rng(7)",
            "readings.mean(axis=1), readings.std(axis=1)",
            "np.mean(readings, axis=2)",  # raised
        ),
    ),
    Case(
        SENSORS,
        "sensor_anomalies",
        must=('anomalies["magnitude"] = resid[anomalies["sensor"], anomalies["step"]].round(3)',),
        must_not=(
            "clean_signal = filled.copy()",
            'anomalies.groupby("sensor").size()',
            'events = pd.DataFrame({"sensor": spike_sensor, "step": spike_idx})',
        ),
    ),
    Case(
        SENSORS,
        "bootstrap_ci",
        must=(
            "rng = np.random.default_rng(7)",
            "boot_means = np.array([rng.choice(clean_signal[0], size=n_steps).mean() for _ in "
            "range(200)])",
        ),
        must_not=("extra = rng.normal(size=5)  # scratch: checking the generator still works",),
    ),
    Case(
        SENSORS,
        "sensor_reloaded",
        must=('np.save("clean_signal.npy", clean_signal)',),
        must_not=("rng = np.random.default_rng(7)",),
    ),
    Case(
        CUSTOMERS,
        "customer_features",
        must=(
            'customers.to_csv("customers_raw.csv", index=False)',
            'customers = pd.read_csv("customers_raw.csv")',
            'customers.drop_duplicates(subset="customer_id", inplace=True)',
            'customers.rename(columns={"calls": "support_calls"}, inplace=True)',
            'customers["churned"] = rng.random(len(customers)) < churn_prob',
        ),
        must_not=(
            'pd.set_option("display.max_columns", 20)',
            'agg.sort_values("total_minutes", ascending=False).head(10)',
            "customers.isna().sum()",
        ),
    ),
    Case(
        CUSTOMERS,
        "segment_summary",
        must=('customers.loc[customers["monthly_fee"] < 0, "monthly_fee"] = 0.0',),
        must_not=(
            'customers["fee_per_minute"] = customers["monthly_fee"] / '
            'customers["total_minutes"].clip(lower=1)',
            'customers.rename(columns={"calls": "support_calls"}, inplace=True)',
        ),
    ),
    Case(
        CUSTOMERS,
        "churn_model",
        must=("grid.fit(X_train, y_train)", "churn_model = grid.best_estimator_"),
        must_not=(
            'segment_summary = customers.groupby(["region", "plan"], observed=True).agg(\n'
            '    customers=("customer_id", "count"),\n'
            '    churn_rate=("churned", "mean"),\n'
            '    avg_fee=("monthly_fee", "mean"),\n'
            ").round(3)",
            "print(classification_report(y_test, churn_model.predict(X_test)))",
            'scored = X_test.assign(churn_probability=proba).sort_values("churn_probability", '
            "ascending=False)",
        ),
    ),
    Case(
        CUSTOMERS,
        "at_risk_scores",
        must=("proba = churn_model.predict_proba(X_test)[:, 1]",),
        must_not=(
            'coefs = pd.Series(steps["model"].coef_[0], index=steps["pre"].get_feature_names_out())',
        ),
    ),
]


@dataclass(frozen=True)
class Executed:
    home: Path
    verified: dict[str, VerifyResult]  # artifact -> its slice re-run in a fresh interpreter


@pytest.fixture(scope="module")
def run_notebook(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Executed]:
    """Execute a notebook once per module (a failure is kept and raised again), then verify
    its artifacts, each alone in a fresh interpreter and an empty folder, side by side."""
    done: dict[str, Executed | Exception] = {}

    def run(notebook: str) -> Executed:
        if notebook not in done:
            root = tmp_path_factory.mktemp(Path(notebook).stem)
            home, workdir = root / "lineage-home", root / "work"
            workdir.mkdir()
            env = {"LINEAGE_HOME": str(home), "LINEAGE_DEV_MODE": "1", **THREADS}
            try:
                runner.execute_notebook(
                    EXAMPLES / "notebooks" / notebook, workdir, env=env, timeout=180
                )
                done[notebook] = Executed(home, _verify_all(notebook, home, root))
            except Exception as exc:
                done[notebook] = exc
                raise
        result = done[notebook]
        if isinstance(result, Exception):
            pytest.fail(f"{notebook} failed to run (see the first test of this notebook)")
        return result

    return run


def _verify_all(notebook: str, home: Path, root: Path) -> dict[str, VerifyResult]:
    names = [c.artifact for c in CASES if c.notebook == notebook]
    saved = os.environ.copy()
    os.environ.update({"LINEAGE_HOME": str(home), "MPLBACKEND": "Agg", **THREADS})
    try:
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            futures = {}
            for name in names:
                empty = root / f"verify-{name}"
                empty.mkdir()
                futures[name] = pool.submit(verify, name, cwd=empty)
            return {name: f.result() for name, f in futures.items()}
    finally:
        os.environ.clear()
        os.environ.update(saved)


def statements(code: str) -> list[str]:
    return [(ast.get_source_segment(code, n) or "").strip() for n in ast.parse(code).body]


def artifact(
    case: Case, run_notebook: Callable[[str], Executed], monkeypatch: pytest.MonkeyPatch
) -> lineage.Artifact:
    monkeypatch.setenv("LINEAGE_HOME", str(run_notebook(case.notebook).home))
    for key, value in THREADS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return lineage.get(case.artifact)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_slice_rebuilds_artifact(
    case: Case, run_notebook: Callable[[str], Executed], monkeypatch: pytest.MonkeyPatch
) -> None:
    art = artifact(case, run_notebook, monkeypatch)
    code = art.code
    assert not re.search(r"\blineage\b", code), code
    assert "get_ipython" not in code, code
    stmts = statements(code)

    result = run_notebook(case.notebook).verified[case.artifact]
    assert result.ok, f"{result.detail}\n--- slice ---\n{code}"

    session = runner.session_statement_count(art.session_code)
    print(
        f"\n{case.id}: slice {len(stmts)} of {session} executed statements "
        f"({len(stmts) / session:.0%})"
    )


def _minimal_params() -> list[object]:
    out: list[object] = []
    for case in CASES:
        marks = (
            [pytest.mark.xfail(reason=case.minimal_gap, strict=True)] if case.minimal_gap else []
        )
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


@pytest.mark.parametrize("case", _minimal_params())
def test_slice_holds_what_matters_only(
    case: Case, run_notebook: Callable[[str], Executed], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = artifact(case, run_notebook, monkeypatch).code
    got = statements(code)
    missing = [s for s in case.must if s not in got]
    assert not missing, f"slice lacks {missing}\n--- slice ---\n{code}"
    extra = [s for s in case.must_not if s in got]
    assert not extra, f"slice holds {extra}\n--- slice ---\n{code}"


def test_notebooks_are_realistic_sized() -> None:
    import nbformat

    for name in (DIABETES, SENSORS, CUSTOMERS):
        nb = nbformat.read(EXAMPLES / "notebooks" / name, as_version=4)
        assert len(nb.cells) >= 40, name
        assert sum(1 for c in nb.cells if "raises-exception" in c.metadata.get("tags", [])) >= 1
        saves = sum(c.source.count("lineage.save(") for c in nb.cells)
        assert saves >= 2, name
