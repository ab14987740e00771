"""The public API and the CLI: names, versions, errors that say what to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import lineage
from lineage.cli import main
from lineage.errors import (
    ArtifactNotFoundError,
    InvalidArtifactNameError,
    LineageError,
    VersionNotFoundError,
)


def test_public_api_names() -> None:
    for name in (
        "save",
        "get",
        "artifacts",
        "delete",
        "export",
        "get_function",
        "get_source",
        "Artifact",
        "LineageError",
    ):
        assert name in lineage.__all__
        assert hasattr(lineage, name)


def run(shell, code: str):
    result = shell.run_cell(code, store_history=True)
    result.raise_error()
    return result


def test_versions_and_listing(shell) -> None:
    run(shell, "import lineage\nx = [1]\nlineage.save(x, 'x')")
    run(shell, "x.append(2)\nlineage.save(x, 'x')")
    run(shell, "y = 3\nlineage.save(y, 'y')")
    assert lineage.get("x").version == 2
    assert lineage.get("x", version=1).get_value() == [1]
    assert lineage.get("x").get_value() == [1, 2]
    assert [(a.name, a.version) for a in lineage.artifacts()] == [("y", 1), ("x", 2), ("x", 1)]
    assert "x.append(2)" in lineage.get("x").session_code
    lineage.delete("x", version=1)
    assert [a.version for a in lineage.artifacts() if a.name == "x"] == [2]
    lineage.delete("x")
    with pytest.raises(ArtifactNotFoundError):
        lineage.get("x")


@pytest.mark.parametrize(
    "name, fragment",
    [("", "empty"), ("  ", "empty"), ("a/b", "'/'"), ("a\\b", "'\\\\'"), ("a\nb", "control")],
)
def test_invalid_names(shell, name: str, fragment: str) -> None:
    shell.user_ns["bad_name"] = name
    result = shell.run_cell("import lineage\nv = 1\nlineage.save(v, bad_name)")
    assert isinstance(result.error_in_exec, InvalidArtifactNameError)
    assert fragment in str(result.error_in_exec)


def test_unknown_artifact_suggests_close_names(shell) -> None:
    run(shell, "import lineage\nmodel = {'w': 1}\nlineage.save(model, 'model')")
    with pytest.raises(ArtifactNotFoundError, match="did you mean 'model'"):
        lineage.get("modle")
    with pytest.raises(VersionNotFoundError, match="versions: 1"):
        lineage.get("model", version=7)


def test_unpicklable_value_keeps_code(shell) -> None:
    run(shell, "import threading\nlock = threading.Lock()")
    with pytest.warns(UserWarning, match="lock"):
        lineage.save(shell.user_ns["lock"], "lock")  # called from outside any cell
    art = lineage.get("lock")
    assert "threading.Lock()" in art.code
    with pytest.raises(LineageError, match="lock"):
        art.get_value()


def test_cli_list_show_code_verify(shell, capsys) -> None:
    run(
        shell,
        "import lineage\nbase = 2\nvals = [base * i for i in range(3)]\nlineage.save(vals, 'vals')",
    )
    assert main(["list"]) == 0
    assert "vals" in capsys.readouterr().out
    assert main(["code", "vals"]) == 0
    assert capsys.readouterr().out == "base = 2\nvals = [base * i for i in range(3)]\n"
    assert main(["show", "vals", "--version", "1"]) == 0
    assert "version:  1" in capsys.readouterr().out
    assert main(["verify", "vals"]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["code", "valz"]) == 2
    assert "did you mean 'vals'" in capsys.readouterr().err


def test_cli_run_captures_a_script(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import random\nimport lineage\nrandom.seed(3)\nnoise = random.random()\n"
        "weights = [1, 2]\nweights.append(noise)\nunused = 5\nlineage.save(weights, 'weights')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "run", str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    art = lineage.get("weights")
    assert "unused" not in art.code
    assert "random.seed(3)" in art.code
    assert lineage.get("weights").get_value()[:2] == [1, 2]


def test_cli_run_reports_script_errors(tmp_path: Path) -> None:
    script = tmp_path / "bad.py"
    script.write_text("x = 1\nraise SystemExit(3)\n")
    proc = subprocess.run([sys.executable, "-m", "lineage.cli", "run", str(script)], cwd=tmp_path)
    assert proc.returncode == 3
    assert main(["run", str(tmp_path / "missing.py")]) == 2
