"""Specs that match what the README claims.

Every public callable of the standard-library modules notebooks use has a spec (the list of
modules is the one docs/specs.md names, so neither can drift); a sample is checked against real
calls; scipy's numerical functions are pure; and slices built through a real shell honour what
those specs say (logging keeps module state, a ``Path`` names its file, pandas'
copy-on-write makes a chained in-place call change nothing).
"""

from __future__ import annotations

import ast
import decimal
import importlib
import inspect
import logging
import re
import typing
from dataclasses import dataclass
from pathlib import Path

import pytest

import lineage
from lineage.analysis.specs import Effect, load_specs
from lineage.verify import verify

from .conftest import _pandas_major

DOCS = Path(__file__).resolve().parents[1] / "docs" / "specs.md"


def _documented_modules() -> list[str]:
    """The modules docs/specs.md says are covered (the line after its marker)."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"<!-- covered-modules -->\n(.+?)\n", text)
    assert match, "docs/specs.md lost its covered-modules list"
    return re.findall(r"`([\w.]+)`", match.group(1))


def _public_callables(module: str) -> list[str]:
    mod = importlib.import_module(module)
    names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
    out = []
    for name in names:
        obj = getattr(mod, name, None)
        if name.startswith("_") or obj is None or not callable(obj) or inspect.ismodule(obj):
            continue
        if isinstance(obj, type) and issubclass(obj, BaseException):
            continue
        out.append(name)
    return out


MODULES = _documented_modules()


def test_the_documented_modules_are_the_ones_people_use() -> None:
    for module in ("logging", "warnings", "time", "datetime", "re", "string", "textwrap",
                   "pprint", "operator", "functools", "copy", "decimal", "fractions",
                   "itertools", "collections", "statistics", "math", "json", "csv", "pathlib",
                   "os.path", "random", "heapq", "bisect", "dataclasses", "enum", "typing",
                   "uuid", "hashlib", "base64", "io"):  # fmt: skip
        assert module in MODULES, module


@pytest.mark.parametrize("module", MODULES)
def test_every_public_callable_has_a_spec(module: str) -> None:
    specs = load_specs()
    missing = [n for n in _public_callables(module) if specs.function(f"{module}.{n}") is None]
    assert not missing, f"{module}: no spec for {missing} (tools/specgen/gen_stdlib_coverage.py)"


# -- real calls: what a sample of specs claims ------------------------------------------------


def test_pure_functions_leave_their_arguments_alone() -> None:
    import json
    import statistics
    import textwrap

    specs = load_specs()
    for call, args in (
        (statistics.mean, ([3, 1, 2],)),
        (statistics.median, ([3, 1, 2],)),
        (textwrap.fill, ("a b c " * 10,)),
        (json.dumps, ({"a": [1, 2]},)),
    ):
        before = repr(args)
        call(*args)
        assert repr(args) == before
        assert specs.function(f"{call.__module__}.{call.__name__}") == Effect(), call


def test_module_state_specs_match_identity() -> None:
    specs = load_specs()
    # getLogger hands out the object logging keeps: a part of state:logging
    assert logging.getLogger("lineage-test") is logging.getLogger("lineage-test")
    assert specs.function("logging.getLogger").returns == "state:logging"
    # getcontext is decimal's context itself: changing it changes later arithmetic
    assert decimal.getcontext() is decimal.getcontext()
    assert specs.function("decimal.getcontext").returns == "state:decimal"
    # cast returns its second argument
    value: list[int] = []
    assert typing.cast("list[int]", value) is value
    assert specs.function("typing.cast").returns == "arg:1"


def test_scipy_functions_are_pure_or_draw_from_numpy() -> None:
    pytest.importorskip("scipy")
    specs = load_specs()
    for name in (
        "scipy.special.erf",
        "scipy.special.expit",
        "scipy.spatial.distance.cdist",
        "scipy.signal.windows.hann",
        "scipy.stats.zscore",
        "scipy.stats.norm.pdf",
    ):
        assert specs.function(name) == Effect(), name  # fmt: skip
    rvs = specs.function("scipy.stats.norm.rvs")
    assert rvs is not None and "state:numpy.random" in rvs.writes


# -- slices through a real shell ------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    cells: tuple[str, ...]
    target: str
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    pandas: int | None = None  # the case holds for this major version of pandas only


_CHAINED_INPLACE = (
    "import pandas as pd", "df = pd.DataFrame({'A': [1.0, None, 3.0]})",
    "import warnings\nwarnings.simplefilter('ignore')",
    "df['A'].fillna(0, inplace=True)", "out = df.copy()",
)  # fmt: skip

CASES = [
    Case(
        "path_value_names_its_file",
        ("from pathlib import Path", "Path('notes.txt').write_text('hello')",
         "p = Path('other.txt')", "p.write_text('x')", "t = Path('notes.txt').read_text()"),
        "t",
        must=("Path('notes.txt').write_text('hello')",),
        must_not=("p.write_text('x')",),
    ),
    Case(
        "open_a_path_value",
        ("from pathlib import Path", "p = Path('notes.txt')", "p.write_text('hello')",
         "q = Path('other.txt')", "q.write_text('x')", "with open(p) as f:\n    t = f.read()"),
        "t",
        must=("p.write_text('hello')",),
        must_not=("q.write_text('x')",),
    ),
    Case(
        "joined_path_names_its_file",
        ("from pathlib import Path", "d = Path('.')", "(d / 'a.txt').write_text('1')",
         "(d / 'b.txt').write_text('2')", "t = (d / 'a.txt').read_text()"),
        "t",
        must=("(d / 'a.txt').write_text('1')",),
        must_not=("(d / 'b.txt').write_text('2')",),
    ),
    Case(
        "pandas_chained_inplace_changes_nothing",
        _CHAINED_INPLACE,
        "out",
        must_not=("df['A'].fillna(0, inplace=True)",),
        pandas=3,
    ),
    # without copy-on-write (pandas 2, which Python 3.10 gets) the column is a view of the frame
    # and the call fills it: the specs are for pandas 3, so the call is unknown and kept
    Case(
        "pandas2_chained_inplace_changes_the_frame",
        _CHAINED_INPLACE,
        "out",
        must=("df['A'].fillna(0, inplace=True)",),
        pandas=2,
    ),
    Case(
        "logging_configuration_read_by_getlogger",
        ("import logging", "log = logging.getLogger('lineage-case')", "log.setLevel(logging.ERROR)",
         "level = logging.getLogger('lineage-case').level"),
        "level",
        must=("log.setLevel(logging.ERROR)",),
    ),
    Case(
        "scipy_pure_function_not_a_writer",
        ("import numpy as np", "import scipy.special", "x = np.linspace(-1, 1, 5)",
         "y = scipy.special.expit(x)", "z = x * 2"),
        "z",
        must_not=("y = scipy.special.expit(x)",),
    ),
    Case(
        "scipy_rvs_draws_from_numpy",
        ("import numpy as np", "from scipy import stats", "np.random.seed(3)",
         "s = stats.norm.rvs(size=3)"),
        "s",
        must=("np.random.seed(3)",),
    ),
]  # fmt: skip


def stmts(code: str) -> list[str]:
    return [(ast.get_source_segment(code, n) or "").strip() for n in ast.parse(code).body]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_slice(case: Case, shell, tmp_path: Path) -> None:
    if "scipy" in " ".join(case.cells):
        pytest.importorskip("scipy")
    if case.pandas is not None and case.pandas != _pandas_major():
        pytest.skip(f"holds for pandas {case.pandas}, this is pandas {_pandas_major()}")
    for cell in case.cells:
        shell.run_cell(cell, store_history=True).raise_error()
    shell.run_cell(
        f"import lineage\nlineage.save({case.target}, 'art')", store_history=True
    ).raise_error()
    code = lineage.get("art").code
    got = stmts(code)
    for s in case.must:
        assert s in got, f"slice lacks {s!r}:\n{code}"
    for s in case.must_not:
        assert s not in got, f"slice should not hold {s!r}:\n{code}"
    empty = tmp_path / "empty"
    empty.mkdir()
    check = verify("art", cwd=empty)
    assert check.ok, f"{check.detail}\n--- slice ---\n{code}"
