"""The Dagster assets, materialized for real.

The session of ``test_export_orchestrators.py`` (three artifacts sharing upstream work, a step
that changes a shared array in place, an integer parameter) exported through the CLI; its
definitions loaded and every asset materialized in process with ``dagster.materialize``
(the shared step must run once), then with ``dagster asset materialize`` in a subprocess with
the parameter overridden in the run config. Every artifact written under
``$LINEAGE_DATA_DIR`` must equal the stored value (or, overridden, what the session computes
with the new value).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

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

dagster = pytest.importorskip("dagster")

BIN = Path(sys.executable).parent


def export(shell, tmp_path: Path, case: Case, name: str) -> Path:
    return cli_export(shell, tmp_path, case, "dagster", name)


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """Import an exported ``P_dagster.py`` (and the steps module it imports) from its folder;
    forget both afterwards, so the next test imports its own."""
    loaded: list[str] = []

    def load_file(path: Path) -> ModuleType:
        monkeypatch.syspath_prepend(str(path.parent))
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        loaded.extend([path.stem, path.stem.removesuffix("_dagster") + "_module"])
        spec.loader.exec_module(module)
        return module

    yield load_file
    for name in loaded:
        sys.modules.pop(name, None)


def materialize(defs, data: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: object):
    monkeypatch.setenv("LINEAGE_DATA_DIR", str(data))
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(**kwargs)
    assert result.success
    return result


def test_assets_materialized(shell, tmp_path: Path, load, monkeypatch) -> None:
    out = export(shell, tmp_path, SESSION, "sales")
    module = load(out / "sales_dagster.py")
    defs = module.defs
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert set(SESSION.saves) <= keys  # each artifact is an asset named after it

    steps = sys.modules["sales_module"]
    shared = [f for f in steps.__dict__ if "# shared by" in _comment(out, f)]
    assert shared, "the session's artifacts share a step"
    calls: dict[str, int] = {}
    for name in shared:
        real = getattr(steps, name)

        def counted(*args, _real=real, _name=name):
            calls[_name] = calls.get(_name, 0) + 1
            return _real(*args)

        monkeypatch.setattr(steps, name, counted)
    data = tmp_path / "data"
    materialize(defs, data, monkeypatch)
    assert calls == dict.fromkeys(shared, 1)  # each shared step ran once for all its users
    check_rebuilt(data, stored(SESSION))
    assert (data / "intermediate").is_dir()  # values between assets went through files


def _comment(out: Path, function: str) -> str:
    """The comment line above ``def function`` in the steps module ("" if none)."""
    lines = (out / "sales_module.py").read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith(f"def {function}(") and i:
            return lines[i - 1]
    return ""


def test_parameter_in_run_config(shell, tmp_path: Path) -> None:
    """``dagster asset materialize`` as the file's docstring says, the parameter overridden
    in the run config: the assets rebuild what the session computes with that value."""
    out = export(shell, tmp_path, SESSION, "sales")
    name, value = SESSION.override or ("", 0)
    text = (out / "sales_dagster.py").read_text()
    assert "class SalesParams(dg.ConfigurableResource):" in text and f"{name}: int = 40" in text
    config = {"resources": {"params": {"config": {name: value}}}}
    data = tmp_path / "data"
    env = child_env(data, DAGSTER_HOME=str(tmp_path / "dagster-home"))
    (tmp_path / "dagster-home").mkdir()
    cmd = [str(BIN / "dagster"), "asset", "materialize", "-f", "sales_dagster.py"]
    run([*cmd, "--select", "*", "--config-json", json.dumps(config)], out, env)
    check_rebuilt(data, overridden(SESSION, tmp_path / "expected"))


def test_files_from_the_input_location(shell, tmp_path: Path, load, monkeypatch) -> None:
    """An input_files asset copies the input files from the resource's input_dir first;
    the assets read and write them under the data location, never in the session's folder."""
    out = export(shell, tmp_path, FILES, "f")
    session = Path.cwd()
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "seed.json").write_text("21")
    (session / "seed.json").unlink()
    defs = load(out / "f_dagster.py").defs
    config = {"resources": {"params": {"config": {"input_dir": str(inputs)}}}}
    data = tmp_path / "data"
    materialize(defs, data, monkeypatch, run_config=config)
    check_rebuilt(data, stored(FILES))
    assert (data / "files" / "raw.json").is_file()
    assert sorted(p.name for p in session.iterdir()) == ["raw.json"]


def test_file_edge(shell, tmp_path: Path, load, monkeypatch) -> None:
    """A step that hands on no value (it writes a file the others read) is an asset that
    returns nothing, a dependency of the assets that read the file."""
    from tests.test_export_facts import FILE_HANDOFF

    case = Case("raw", FILE_HANDOFF, {"cleaned": "cleaned", "stats": "stats"})
    out = export(shell, tmp_path, case, "raw")
    text = (out / "raw_dagster.py").read_text()
    assert "def write_raw_json() -> None:" in text
    assert text.count("@dg.asset(deps=[write_raw_json])") == 2
    data = tmp_path / "data"
    materialize(load(out / "raw_dagster.py").defs, data, monkeypatch)
    check_rebuilt(data, stored(case))


def test_parameter_names_a_resource_has(shell, tmp_path: Path, load, monkeypatch) -> None:
    """Parameters named like a resource's own attributes, or private, are fields under
    another name, set in the run config by their own; containers and None work too."""
    cells = (
        "copy = 3\nschema = 'x'\n_hidden = [1, 2]\nLIMITS = (0, 10)\nnothing = None",
        "back = [copy, schema, _hidden]",
        "first = [back, LIMITS, nothing]",
        "second = len(back) * copy",
    )
    params = ("copy", "schema", "_hidden", "LIMITS", "nothing")
    case = Case("odd", cells, {"first": "first", "second": "second"}, params=params)
    out = export(shell, tmp_path, case, "odd")
    text = (out / "odd_dagster.py").read_text()
    assert 'param_copy: int = pydantic.Field(default=3, alias="copy")' in text
    assert "LIMITS: list = [0, 10]" in text and "nothing: Any = None" in text
    defs = load(out / "odd_dagster.py").defs
    data = tmp_path / "data"
    materialize(defs, data, monkeypatch)
    check_rebuilt(data, stored(case))
    config = {"copy": 5, "_hidden": [7], "LIMITS": [1, 2], "nothing": {"a": None}}
    again = tmp_path / "again"
    materialize(defs, again, monkeypatch, run_config={"resources": {"params": {"config": config}}})
    check_rebuilt(again, {"first": [[5, "x", [7]], (1, 2), {"a": None}], "second": 15})


def test_no_injection(shell, tmp_path: Path, load, monkeypatch) -> None:
    """An artifact name and parameter values that look like code or templates stay data: the
    assets rebuild the saved value, and another such value given in the run config
    (test_export.py's test_no_injection checks the emitted files themselves)."""
    name = 'x"; import os; os.system("echo pwned")#'
    evil = "a\"b'c\n\"\"\" ''' \\ {{ x }} {% y %}"
    cells = (f"TEXT = {evil!r}\nKEYS = {{{evil!r}: 1}}", "out = TEXT * 2 + str(KEYS)")
    case = Case("evil", cells, {name: "out"}, params=("TEXT", "KEYS"))
    out = export(shell, tmp_path, case, "evil")
    defs = load(out / "evil_dagster.py").defs
    data = tmp_path / "data"
    materialize(defs, data, monkeypatch)
    check_rebuilt(data, stored(case))
    other = evil + "{{ steps }}"
    config = {"resources": {"params": {"config": {"TEXT": other, "KEYS": {other: 2}}}}}
    again = tmp_path / "again"
    materialize(defs, again, monkeypatch, run_config=config)
    check_rebuilt(again, {name: other * 2 + str({other: 2})})
