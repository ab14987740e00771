"""Slicing semantics for numpy, pandas, scikit-learn and matplotlib sessions.

Like ``tests/test_slicing.py``: each case runs its cells in a fresh IPython shell with lineage
loaded, saves ``target``, then runs the slice alone in a fresh interpreter in an empty folder and
checks it rebuilds an equal value (pandas objects with ``.equals``, arrays with
``array_equal``). ``must`` / ``must_not`` name whole statements the slice must or must not hold.

A case with a ``gap`` documents a known core limitation: it is a strict xfail, so it turns red
(XPASS) the day the core handles it and the mark can go. The reasons name the core change they
wait for (see the constants below).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("numpy")
pytest.importorskip("pandas")
pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

import lineage
from lineage.verify import verify

# a known limitation these sessions run into


@dataclass(frozen=True)
class Case:
    id: str
    cells: tuple[str, ...]
    target: str
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    gap: str = ""  # a known core limitation makes the case a strict xfail


NP = "import numpy as np"
PD = "import pandas as pd\nimport numpy as np"
PLT = "import numpy as np\nimport matplotlib.pyplot as plt"
FRAME = (
    "df = pd.DataFrame({'a': [1.0, np.nan, 3.0, 4.0], 'b': [10, 20, 30, 40], 'g': list('xyxy')})"
)
DIAB = (
    "from sklearn.datasets import load_diabetes\n"
    "X, y = load_diabetes(return_X_y=True)\n"
    "X, y = X[:120], y[:120]"
)

CASES = [
    # -- numpy: the global RNG --------------------------------------------------------------------
    Case(
        "np_seed_then_draws",
        (
            NP,
            "np.random.seed(0)",
            "a = np.random.rand(3)",
            "b = np.random.rand(3)",
            "c = np.zeros(3)",
        ),
        "b",
        must=("np.random.seed(0)", "a = np.random.rand(3)", "b = np.random.rand(3)"),
        must_not=("c = np.zeros(3)",),
    ),
    Case(
        "np_reseed_ends_history",
        (
            NP,
            "np.random.seed(0)",
            "a = np.random.rand(3)",
            "np.random.seed(1)",
            "b = np.random.rand(2)",
        ),
        "b",
        must=("np.random.seed(1)",),
        must_not=("np.random.seed(0)", "a = np.random.rand(3)"),
    ),
    Case(
        "np_unrelated_draw_advances_state",
        (NP, "np.random.seed(3)", "noise = np.random.randn(5)", "sample = np.random.choice(10, 4)"),
        "sample",
        must=("noise = np.random.randn(5)",),
    ),
    Case(
        "np_shuffle_in_place",
        (NP, "np.random.seed(2)", "order = np.arange(8)", "np.random.shuffle(order)"),
        "order",
        must=("np.random.seed(2)", "np.random.shuffle(order)"),
    ),
    Case(
        "np_permutation_is_a_copy",
        (NP, "np.random.seed(2)", "base = np.arange(6)", "perm = np.random.permutation(base)"),
        "base",
        must_not=("perm = np.random.permutation(base)", "np.random.seed(2)"),
    ),
    # -- numpy: Generator objects --------------------------------------------------------------
    Case(
        "generator_draws_advance_it",
        (NP, "rng = np.random.default_rng(42)", "x = rng.normal(size=3)", "y = rng.normal(size=3)"),
        "y",
        must=("rng = np.random.default_rng(42)", "x = rng.normal(size=3)"),
    ),
    Case(
        "generator_ignores_global_seed",
        (
            NP,
            "np.random.seed(0)",
            "rng = np.random.default_rng(1)",
            "draws = rng.integers(0, 10, 5)",
        ),
        "draws",
        must_not=("np.random.seed(0)",),
    ),
    Case(
        "generator_through_notebook_function",
        (
            NP,
            "rng = np.random.default_rng(0)",
            "def jitter(v, gen):\n    return v + gen.normal(size=len(v))",
            "a = jitter(np.ones(3), rng)",
            "b = jitter(np.ones(3), rng)",
        ),
        "b",
        must=("a = jitter(np.ones(3), rng)",),
    ),
    Case(
        "generator_shuffle_changes_array",
        (NP, "rng = np.random.default_rng(5)", "deck = np.arange(10)", "rng.shuffle(deck)"),
        "deck",
        must=("rng.shuffle(deck)",),
    ),
    # -- numpy: in place, out=, views ---------------------------------------------------------------
    Case(
        "np_out_keyword",
        (NP, "a = np.arange(4.0)", "out = np.zeros(4)", "np.add(a, 1, out=out)", "m = a.mean()"),
        "out",
        must=("np.add(a, 1, out=out)",),
        must_not=("m = a.mean()",),
    ),
    Case(
        "np_out_positional",
        (NP, "a = np.arange(4.0)", "res = np.empty(4)", "np.multiply(a, 3, res)"),
        "res",
        must=("np.multiply(a, 3, res)",),
    ),
    Case(
        "np_method_out",
        (NP, "m = np.arange(6.0).reshape(2, 3)", "col = np.zeros(3)", "m.sum(axis=0, out=col)"),
        "col",
        must=("m.sum(axis=0, out=col)",),
    ),
    Case(
        "np_slice_view_augassign",
        (NP, "arr = np.arange(10)", "view = arr[2:5]", "view *= 10"),
        "arr",
        must=("view = arr[2:5]", "view *= 10"),
    ),
    Case(
        "np_reshape_view_write",
        (NP, "arr = np.arange(6)", "grid = arr.reshape(2, 3)", "grid[0, 0] = 99"),
        "arr",
        must=("grid[0, 0] = 99",),
    ),
    Case(
        "np_copy_is_independent",
        (
            NP,
            "arr = np.arange(6)",
            "c = arr.copy()",
            "c[0] = 99",
            "s = np.sort(arr)",
            "t = arr.sum()",
        ),
        "arr",
        must_not=("c = arr.copy()", "c[0] = 99", "s = np.sort(arr)", "t = arr.sum()"),
    ),
    Case(
        "np_inplace_methods",
        (
            NP,
            "v = np.array([3, 1, 2, 5])",
            "v.sort()",
            "w = np.zeros(3)",
            "w.fill(7)",
            "np.add.at(v, [0, 0], 1)",
        ),
        "v",
        must=("v.sort()", "np.add.at(v, [0, 0], 1)"),
        must_not=("w.fill(7)",),
    ),
    Case(
        "np_index_of_a_call_result",
        (NP, "a = np.arange(6.0)", "idx = np.where(a > 2)[0]", "idx[0] = 99", "b = np.ones(2)"),
        "b",
        must_not=("idx = np.where(a > 2)[0]", "idx[0] = 99"),
    ),
    Case(
        "np_save_then_load",
        (NP, "a = np.arange(5) ** 2", "np.save('squares.npy', a)", "b = np.load('squares.npy')"),
        "b",
        must=("np.save('squares.npy', a)",),
    ),
    # -- pandas: writes -------------------------------------------------------------------------------
    Case(
        "pd_dropna_inplace",
        (
            PD,
            FRAME,
            "df.head()",
            "df.dropna(inplace=True)",
            "df.describe()",
            "df.info()",
            "df.shape",
        ),
        "df",
        must=("df.dropna(inplace=True)",),
        must_not=("df.head()", "df.describe()", "df.info()", "df.shape"),
    ),
    Case(
        "pd_inplace_false_is_a_copy",
        (PD, FRAME, "clean = df.fillna(0)", "df.sort_values('b', ascending=False)", "df['c'] = 1"),
        "df",
        must_not=("clean = df.fillna(0)", "df.sort_values('b', ascending=False)"),
    ),
    Case(
        "pd_loc_iloc_at_iat_writes",
        (
            PD,
            FRAME,
            "df.loc[df.b > 15, 'a'] = 0.5",
            "df.iloc[0, 1] = 11",
            "df.at[1, 'g'] = 'z'",
            "df.iat[3, 0] = -1.0",
        ),
        "df",
        must=(
            "df.loc[df.b > 15, 'a'] = 0.5",
            "df.iloc[0, 1] = 11",
            "df.at[1, 'g'] = 'z'",
            "df.iat[3, 0] = -1.0",
        ),
    ),
    Case(
        "pd_new_column_and_rename",
        (
            PD,
            FRAME,
            "df['ratio'] = df['a'] / df['b']",
            "df.rename(columns={'g': 'group'}, inplace=True)",
        ),
        "df",
        must=("df['ratio'] = df['a'] / df['b']", "df.rename(columns={'g': 'group'}, inplace=True)"),
    ),
    Case(
        "pd_pop_insert_update",
        (
            PD,
            FRAME,
            "col = df.pop('b')",
            "df.insert(0, 'b2', col * 2)",
            "patch = pd.DataFrame({'a': [100.0]}, index=[2])",
            "df.update(patch)",
        ),
        "df",
        must=("col = df.pop('b')", "df.insert(0, 'b2', col * 2)", "df.update(patch)"),
    ),
    Case(
        "pd_column_copy_under_cow",
        (PD, FRAME, "s = df['a']", "s.iloc[0] = 100.0", "sub = df[['a', 'b']]", "sub['a'] = 0.0"),
        "df",
        must_not=("s.iloc[0] = 100.0", "sub['a'] = 0.0"),
    ),
    Case(
        "pd_pure_methods_dropped",
        (
            PD,
            FRAME,
            "df.dtypes",
            "df.value_counts('g')",
            "summary = df.describe()",
            "top = df.nlargest(2, 'b')",
            "df['b'] = df['b'] * 2",
        ),
        "df",
        must_not=(
            "df.dtypes",
            "df.value_counts('g')",
            "summary = df.describe()",
            "top = df.nlargest(2, 'b')",
        ),
    ),
    Case(
        "pd_groupby_artifact",
        (PD, FRAME, "df['b'] = df['b'] + 1", "stats = df.groupby('g').agg(total=('b', 'sum'))"),
        "stats",
        must=("df['b'] = df['b'] + 1",),
    ),
    Case(
        "pd_to_numpy_follows_writes",
        (
            PD,
            "df = pd.DataFrame({'a': [1.0, 2.0], 'b': [3.0, 4.0]})",
            "values = df.to_numpy()",
            "df.loc[0, 'a'] = 50.0",
        ),
        "values",
        must=("df.loc[0, 'a'] = 50.0",),
    ),
    Case(
        "pd_chained_pure_calls",
        (
            PD,
            FRAME,
            "m = df['a'].mean()",
            "df.groupby('g')['b'].sum()",
            "df.isna().sum()",
            "df['c'] = 1",
        ),
        "df",
        must_not=("m = df['a'].mean()", "df.groupby('g')['b'].sum()", "df.isna().sum()"),
    ),
    Case(
        "pd_sample_uses_global_rng",
        (PD, FRAME, "np.random.seed(4)", "picked = df.sample(2)"),
        "picked",
        must=("np.random.seed(4)",),
    ),
    Case(
        "pd_sample_with_random_state",
        (PD, FRAME, "np.random.seed(4)", "picked = df.sample(2, random_state=1)"),
        "picked",
        must_not=("np.random.seed(4)",),
    ),
    Case(
        "pd_query_reads_at_names",
        (PD, FRAME, "limit = 15", "big = df.query('b > @limit')"),
        "big",
        must=("limit = 15",),
    ),
    # -- pandas: files and options --------------------------------------------------------------------
    Case(
        "pd_to_csv_then_read_csv",
        (PD, FRAME, "df.to_csv('frame.csv', index=False)", "back = pd.read_csv('frame.csv')"),
        "back",
        must=("df.to_csv('frame.csv', index=False)",),
    ),
    Case(
        "pd_to_csv_on_a_fresh_frame",
        (
            PD,
            "pd.DataFrame({'a': [1, 2]}).to_csv('t.csv', index=False)",
            "t = pd.read_csv('t.csv')",
        ),
        "t",
    ),
    Case(
        "pd_to_string_writes_no_file",
        (PD, FRAME, "df.to_csv('f.csv')", "text = df.to_string()", "back = pd.read_csv('f.csv')"),
        "back",
        must_not=("text = df.to_string()",),
    ),
    Case(
        "pd_set_option_not_needed",
        (PD, "pd.set_option('display.max_rows', 5)", FRAME, "df['c'] = df['b'] * 2"),
        "df",
        must_not=("pd.set_option('display.max_rows', 5)",),
    ),
    Case(
        "pd_options_attribute_not_needed",
        (PD, "pd.options.display.precision = 2", FRAME),
        "df",
        must_not=("pd.options.display.precision = 2",),
    ),
    # -- scikit-learn ---------------------------------------------------------------------------------
    Case(
        "sk_fit_vs_predict",
        (
            DIAB,
            "from sklearn.linear_model import Ridge",
            "model = Ridge(alpha=1.0)",
            "model.fit(X, y)",
            "pred = model.predict(X)",
            "r2 = model.score(X, y)",
            "params = model.get_params()",
        ),
        "model",
        must=("model.fit(X, y)",),
        must_not=(
            "pred = model.predict(X)",
            "r2 = model.score(X, y)",
            "params = model.get_params()",
        ),
    ),
    Case(
        "sk_set_params_then_refit",
        (
            DIAB,
            "from sklearn.linear_model import Ridge",
            "model = Ridge()",
            "model.fit(X, y)",
            "model.set_params(alpha=5.0)",
            "model.fit(X, y)",
            "pred = model.predict(X[:5])",
        ),
        "pred",
        must=("model.set_params(alpha=5.0)",),
    ),
    Case(
        "sk_scaler_fit_transform",
        (
            DIAB,
            "from sklearn.preprocessing import StandardScaler",
            "scaler = StandardScaler()",
            "Xs = scaler.fit_transform(X[:100])",
            "X_new = scaler.transform(X[100:])",
        ),
        "X_new",
        must=("Xs = scaler.fit_transform(X[:100])",),
    ),
    Case(
        "sk_split_without_random_state_needs_seed",
        (
            DIAB,
            "import numpy as np\nfrom sklearn.model_selection import train_test_split",
            "np.random.seed(7)",
            "X_tr, X_te, y_tr, y_te = train_test_split(X, y)",
        ),
        "X_tr",
        must=("np.random.seed(7)",),
    ),
    Case(
        "sk_split_with_random_state",
        (
            DIAB,
            "import numpy as np\nfrom sklearn.model_selection import train_test_split",
            "np.random.seed(7)",
            "X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=42)",
        ),
        "X_tr",
        must_not=("np.random.seed(7)",),
    ),
    Case(
        "sk_forest_default_reads_global_rng",
        (
            DIAB,
            "import numpy as np\nfrom sklearn.ensemble import RandomForestRegressor",
            "np.random.seed(0)",
            "forest = RandomForestRegressor(n_estimators=5)",
            "forest.fit(X, y)",
            "pred = forest.predict(X[:10])",
        ),
        "pred",
        must=("np.random.seed(0)", "forest.fit(X, y)"),
    ),
    Case(
        "sk_cross_val_score_leaves_model",
        (
            DIAB,
            "from sklearn.linear_model import Ridge\nfrom sklearn.model_selection import cross_val_score",
            "model = Ridge()",
            "scores = cross_val_score(model, X, y, cv=3)",
            "model.fit(X, y)",
        ),
        "model",
        must_not=("scores = cross_val_score(model, X, y, cv=3)",),
    ),
    Case(
        "sk_grid_search_best_estimator",
        (
            DIAB,
            "from sklearn.linear_model import Ridge\nfrom sklearn.model_selection import GridSearchCV",
            "grid = GridSearchCV(Ridge(), {'alpha': [0.1, 1.0, 10.0]}, cv=3)",
            "grid.fit(X, y)",
            "best = grid.best_estimator_",
            "grid.best_score_",
        ),
        "best",
        must=("grid.fit(X, y)",),
        must_not=("grid.best_score_",),
    ),
    Case(
        "sk_models_fitted_in_a_loop",
        (
            DIAB,
            "from sklearn.linear_model import Ridge, Lasso",
            "models = {'ridge': Ridge(), 'lasso': Lasso(alpha=0.1)}",
            "for name, m in models.items():\n    m.fit(X, y)",
            "pred = models['ridge'].predict(X[:5])",
        ),
        "pred",
        must=("for name, m in models.items():\n    m.fit(X, y)",),
    ),
    Case(
        "sk_predicted_column_is_not_the_model",
        (
            DIAB,
            "from sklearn.linear_model import Ridge",
            "model = Ridge().fit(X, y)",
            "top = model.predict(X)[:10]",
            "top *= 2",
        ),
        "model",
        must_not=("top = model.predict(X)[:10]", "top *= 2"),
    ),
    Case(
        "sk_loop_fit_leaves_training_data",
        (
            DIAB,
            "from sklearn.linear_model import Ridge, Lasso",
            "models = {'ridge': Ridge(), 'lasso': Lasso(alpha=0.1)}",
            "for name, m in models.items():\n    m.fit(X, y)",
            "X_scaled = X * 2",
        ),
        "X_scaled",
        must_not=("for name, m in models.items():\n    m.fit(X, y)",),
    ),
    Case(
        "sk_pipeline_steps_are_shared",
        (
            DIAB,
            "from sklearn.linear_model import Ridge\nfrom sklearn.preprocessing import StandardScaler\n"
            "from sklearn.pipeline import make_pipeline",
            "scaler = StandardScaler()\nridge = Ridge()",
            "pipe = make_pipeline(scaler, ridge)",
            "pipe.fit(X, y)",
            "coef = ridge.coef_.copy()",
        ),
        "coef",
        must=("pipe.fit(X, y)",),
    ),
    # -- matplotlib ---------------------------------------------------------------------------------------
    Case(
        "mpl_plotting_cells_dropped",
        (
            PLT,
            "x = np.linspace(0, 1, 20)",
            "fig, ax = plt.subplots()\nax.plot(x, x ** 2)\nax.set_title('square')",
            "plt.hist(x, bins=5)",
            "plt.show()",
            "y = x * 2",
        ),
        "y",
        must=("x = np.linspace(0, 1, 20)", "y = x * 2"),
        must_not=(
            "fig, ax = plt.subplots()",
            "ax.plot(x, x ** 2)",
            "plt.hist(x, bins=5)",
            "plt.show()",
        ),
    ),
    Case(
        "mpl_savefig_not_needed",
        (PLT, "x = np.arange(5.0)", "plt.plot(x)", "plt.savefig('line.png')", "z = x + 1"),
        "z",
        must_not=("plt.plot(x)", "plt.savefig('line.png')"),
    ),
    Case(
        "mpl_dataframe_plot_dropped",
        (
            PD,
            "import matplotlib.pyplot as plt",
            FRAME,
            "df.plot(x='b', y='a')",
            "df.hist()",
            "df['c'] = 0",
        ),
        "df",
        must_not=("df.plot(x='b', y='a')", "df.hist()"),
    ),
    Case(
        "mpl_subscripted_axes_dropped",
        (
            PLT,
            "x = np.arange(6.0)",
            "fig, axes = plt.subplots(1, 2)",
            "axes[0].hist(x)\naxes[1].scatter(x, x)",
            "x2 = x * 2",
        ),
        "x2",
        must_not=("axes[0].hist(x)", "axes[1].scatter(x, x)"),
    ),
]


def stmts(code: str) -> list[str]:
    """The top-level statements of a slice, as source text."""
    return [(ast.get_source_segment(code, n) or "").strip() for n in ast.parse(code).body]


def _params() -> list[object]:
    out: list[object] = []
    for case in CASES:
        marks = [pytest.mark.xfail(reason=case.gap, strict=True)] if case.gap else []
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


@pytest.fixture
def quiet_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Headless plotting and one BLAS thread, here and in the interpreters verify starts."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "1")


@pytest.mark.parametrize("case", _params())
def test_slice(case: Case, shell, tmp_path: Path, quiet_libraries: None) -> None:
    for cell in case.cells:
        shell.run_cell(cell, store_history=True)
    result = shell.run_cell(
        f"import lineage\nlineage.save({case.target}, 'art')", store_history=True
    )
    result.raise_error()
    code = lineage.get("art").code
    assert "lineage" not in code
    got = stmts(code)
    for s in case.must:
        assert s in got, f"slice lacks {s!r}:\n{code}"
    for s in case.must_not:
        assert s not in got, f"slice should not hold {s!r}:\n{code}"
    empty = tmp_path / "empty"
    empty.mkdir()
    check = verify("art", cwd=empty)
    assert check.ok, f"{check.detail}\n--- slice ---\n{code}"


def test_case_count() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
