"""``lineage.get_function`` and ``lineage.get_source``: the in-process twin of an export.

Table-driven, on sessions run in a real IPython shell with lineage loaded (the cases of
``test_export.py``): the function's defaults rebuild the stored values; with a new parameter
value it returns what the exported script (``python P.py --NAME VALUE``, in a fresh
interpreter) writes with the same value; its source is the steps module ``export`` writes.
"""

from __future__ import annotations

import inspect
import os
import pickle
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import lineage
from lineage.compare import values_equal
from lineage.emitters.naming import identifier, module_name
from lineage.errors import ArtifactNotFoundError, ExportError
from tests.test_export import CASES, Case, capture, child_env, flag, run, stored

# the cases of test_export.py with a parameter to override: shared steps, numpy and pandas,
# an input file, a global a function reads late, parameters of several types
OVERRIDDEN = [c for c in CASES if c.override is not None]
BY_ID = {c.id: c for c in CASES}
OWN_CASES = [
    Case(  # the steps' annotations are evaluated, as in the exported module
        "annotations_evaluated",
        ("def f(x: int) -> int:\n    return x", "hints = dict(f.__annotations__)"),
        {"hints": "hints"},
    ),
]


def _function(case: Case):
    return lineage.get_function(list(case.saves), input_parameters=list(case.params))


def _exported(case: Case, tmp_path: Path, *args: str) -> dict[str, object]:
    """The artifacts the exported script writes, run from another folder with ``args``."""
    out = tmp_path / "pipeline"
    lineage.export(list(case.saves), to="script", output_dir=out, params=case.params)
    pipeline = module_name(next(iter(case.saves)))
    elsewhere, data = tmp_path / "elsewhere", tmp_path / "exported-data"
    elsewhere.mkdir(exist_ok=True)
    run([sys.executable, str(out / f"{pipeline}.py"), *args], elsewhere, child_env(data))
    files = {name: data / f"{identifier(name, default='artifact')}.pkl" for name in case.saves}
    return {name: pickle.loads(path.read_bytes()) for name, path in files.items()}


def _same(got: dict[str, object], expected: dict[str, object]) -> None:
    assert list(got) == list(expected)
    for name, value in expected.items():
        assert values_equal(got[name], value), f"{name}: got {got[name]!r}, expected {value!r}"


# -- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES + OWN_CASES, ids=lambda c: c.id)
def test_defaults_rebuild_the_stored_values(case: Case, shell) -> None:
    capture(shell, case)
    recompute = _function(case)
    _same(recompute(), stored(case))
    _same(recompute(), stored(case))  # a second call starts afresh, as a second run does


@pytest.mark.parametrize("case", OVERRIDDEN, ids=[c.id for c in OVERRIDDEN])
def test_new_parameter_matches_the_exported_script(case: Case, shell, tmp_path: Path) -> None:
    capture(shell, case)
    assert case.override is not None
    name, value = case.override
    got = _function(case)(**{name: value})
    _same(got, _exported(case, tmp_path, f"--{name}", flag(value)))
    assert not values_equal(got, stored(case)), "the override changes something"


def test_shared_upstream_step_runs_once(shell, capsys) -> None:
    case = Case(
        "shared_once",
        ("N = 3", 'rows = [print("building rows") or i * i for i in range(N)]'),
        {"total": "sum(rows)", "biggest": "max(rows)", "rows": "rows"},
        params=("N",),
    )
    capture(shell, case)
    recompute = _function(case)
    capsys.readouterr()
    got = recompute(N=4)
    assert capsys.readouterr().out.count("building rows") == 4
    assert got == {"total": 14, "biggest": 9, "rows": [0, 1, 4, 9]}


def test_one_name_or_several(shell) -> None:
    case = BY_ID["rebinding_between_artifacts"]
    capture(shell, case)
    assert lineage.get_function("b")() == {"b": 20}
    assert list(lineage.get_function(["c", "a", "c"])()) == ["c", "a"]


def test_input_files_from_the_input_location(shell, tmp_path: Path) -> None:
    """Inputs are read where the export reads them (the session's folder, or input_dir),
    and nothing is written in the session's folder, the current one or $LINEAGE_DATA_DIR."""
    case = BY_ID["input_file"]
    session = Path.cwd()
    capture(shell, case)
    recompute = _function(case)
    before = sorted(session.rglob("*"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    data = tmp_path / "data"
    os.environ["LINEAGE_DATA_DIR"] = str(data)
    try:
        _same(recompute(), stored(case))
        other = tmp_path / "other-inputs"
        shutil.copytree(session, other)
        (other / "prices.csv").write_text("p\n10\n")
        got = recompute(input_dir=str(other), SCALE=3)
    finally:
        del os.environ["LINEAGE_DATA_DIR"]
        os.chdir(session)
    _same(got, _exported(case, tmp_path, "--input-dir", str(other), "--SCALE", "3"))
    assert got == {"scaled": [30.0], "n_prices": 1}
    assert sorted(session.rglob("*")) == before
    assert list(elsewhere.iterdir()) == [] and not data.exists()


def test_session_modules_found_where_the_session_had_them(shell, tmp_path: Path) -> None:
    """``import helpers`` of the session folder's helpers.py, called from another folder
    once the process has forgotten the module: found in the session's folder, as the
    export's copy is found next to its module, and not on sys.path afterwards."""
    Path("helpers.py").write_text("def double(x):\n    return 2 * x\n")
    cells = ("import sys\nsys.path.insert(0, '.')", "import helpers", "y = helpers.double(21)")
    capture(shell, Case("helpers", cells, {"y": "y"}))
    recompute = lineage.get_function("y")
    session = Path.cwd()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    del sys.modules["helpers"]
    for relative in ("", "."):  # their finders hold the session's folder: look afresh
        sys.path_importer_cache.pop(relative, None)
    path = list(sys.path)
    try:
        assert recompute() == {"y": 42}
    finally:
        os.chdir(session)
    assert sys.path.count(str(session)) == path.count(str(session))  # the step added "."


def test_command_line_put_back(shell, monkeypatch: pytest.MonkeyPatch) -> None:
    """Steps that read the session's sys.argv set it to that; the caller's comes back."""
    monkeypatch.setattr(sys, "argv", ["session.py", "--fast"])
    capture(shell, Case("argv", ("import sys", "args = sys.argv[1:]"), {"args": "args"}))
    caller = ["caller.py"]
    monkeypatch.setattr(sys, "argv", caller)
    assert lineage.get_function("args")() == {"args": ["--fast"]}
    assert sys.argv is caller and caller == ["caller.py"]


# -- the function itself ----------------------------------------------------------------------


def test_signature_and_doc(shell) -> None:
    case = BY_ID["shared_param"]
    capture(shell, case)
    recompute = _function(case)
    params = inspect.signature(recompute).parameters
    assert list(params) == ["THRESHOLD", "N_ORDERS"]
    assert {p.kind for p in params.values()} == {inspect.Parameter.KEYWORD_ONLY}
    assert (params["THRESHOLD"].default, params["N_ORDERS"].default) == (50.0, 200)
    assert recompute.__name__ == "region_report"
    doc = recompute.__doc__ or ""
    assert all(repr(name) in doc for name in case.saves)
    assert "THRESHOLD = 50.0" in doc
    no_params = lineage.get_function("region report")
    assert inspect.signature(no_params).parameters == {}


def test_signature_with_input_files(shell) -> None:
    capture(shell, BY_ID["input_file"])
    params = inspect.signature(lineage.get_function(["scaled"], ["SCALE"])).parameters
    assert list(params) == ["SCALE", "input_dir"]
    assert params["input_dir"].default == os.getcwd()


@dataclass(frozen=True)
class ErrorCase:
    id: str
    names: tuple[str, ...]
    params: tuple[str, ...]
    error: type[Exception]
    message: str
    call: dict[str, object] | None = None  # raised when called with these keywords


ERROR_CASES = [
    ErrorCase("unknown_artifact", ("evnes",), (), ArtifactNotFoundError, "did you mean 'evens'"),
    ErrorCase("no_names", (), (), ExportError, "nothing to rebuild: give the name"),
    ErrorCase(
        "param_not_a_literal",
        ("evens",),
        ("data",),
        ExportError,
        r"--param 'data'.*no top-level assignment `data = <literal>`.*found: LIMIT",
    ),
    ErrorCase(
        "unknown_keyword",
        ("evens",),
        ("LIMIT",),
        TypeError,
        r"unexpected keyword argument\(s\) 'LIMT'; it accepts LIMIT",
        call={"LIMT": 3},
    ),
    ErrorCase(
        "keyword_without_params",
        ("evens",),
        (),
        TypeError,
        "'LIMIT'; it accepts no arguments",
        call={"LIMIT": 3},
    ),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: c.id)
def test_errors(case: ErrorCase, shell) -> None:
    cells = ("LIMIT = 6", "data = list(range(LIMIT))", "evens = [d for d in data if d % 2 == 0]")
    capture(shell, Case(case.id, cells, {"evens": "evens"}))
    if case.call is None:
        with pytest.raises(case.error, match=case.message):
            lineage.get_function(list(case.names), list(case.params))
        with pytest.raises(case.error, match=case.message.replace("rebuild", "show")):
            lineage.get_source(list(case.names), list(case.params))
        return
    recompute = lineage.get_function(list(case.names), list(case.params))
    with pytest.raises(case.error, match=case.message):
        recompute(**case.call)
    with pytest.raises(TypeError, match=r"keyword arguments only \((LIMIT|none)\)"):
        recompute(3)


def test_the_same_param_error_as_export(shell, tmp_path: Path) -> None:
    capture(shell, Case("p", ("LIMIT = 3", "data = list(range(LIMIT))"), {"data": "data"}))
    with pytest.raises(ExportError) as by_export:
        lineage.export(["data"], output_dir=tmp_path / "out", params=["NOPE"])
    with pytest.raises(ExportError) as by_function:
        lineage.get_function(["data"], ["NOPE"])
    assert str(by_function.value) == str(by_export.value)


def test_a_step_that_raises_shows_its_line(shell) -> None:
    capture(shell, Case("r", ("D = 0", "ratio = 1 / (D + 1)"), {"ratio": "ratio"}, ("D",)))
    recompute = lineage.get_function("ratio", "D")
    with pytest.raises(ZeroDivisionError) as raised:
        recompute(D=-1)
    assert "ratio = 1 / (D + 1)" in str(raised.traceback[-1].statement)


# -- the source: the module export writes -----------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_source_is_the_exported_module(case: Case, shell, tmp_path: Path) -> None:
    capture(shell, case)
    source = lineage.get_source(list(case.saves), list(case.params))
    compile(source, "<source>", "exec")
    out = tmp_path / "out"
    lineage.export(list(case.saves), to="script", output_dir=out, params=case.params)
    pipeline = module_name(next(iter(case.saves)))
    assert source == (out / f"{pipeline}_module.py").read_text()
    assert "def run(" in source
    assert "steps.run(" in (out / f"{pipeline}.py").read_text()  # the script runs the same


@pytest.mark.parametrize("name", ["save", "keep", "input_dir"])
def test_params_named_like_runs_own_arguments(name: str, shell) -> None:
    capture(shell, Case(name, (f"{name} = 3", f"y = {name} * 2"), {"y": "y"}))
    with pytest.raises(ExportError, match=rf"--param {name!r}: the steps module's run\(\)"):
        lineage.get_function("y", name)
    assert lineage.get_function("y")() == {"y": 6}  # fine when it stays in the steps
