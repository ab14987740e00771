"""The benchmark suite never rots: one quick run of every part (sizes cut down, one round).

No timing is asserted here (budgets are checked by ``make bench``); what is asserted is that the
runner works end to end, reports a row per workload, that the traced runs captured every cell,
and the one correctness check of the suite: the tracer holds no user values alive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
WORKLOADS = ("loop", "small_cells", "big_cell", "containers")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--quick",
            "--rounds",
            "1",
            "--output",
            str(out / "benchmarks.md"),
            "--json",
            str(out / "raw.json"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"benchmark runner failed:\n{proc.stderr[-4000:]}"
    raw = json.loads((out / "raw.json").read_text())
    return raw, (out / "benchmarks.md").read_text()


def _notebooks() -> list[str]:
    from benchmarks.workloads import notebook_paths  # the repository root is on sys.path

    return [f"notebook:{p.stem}" for p in notebook_paths(limit=1)]


def test_a_row_per_workload(quick_run: tuple[dict[str, Any], str]) -> None:
    raw, markdown = quick_run
    expected = [*WORKLOADS, *_notebooks()]
    assert list(raw["overhead"]) == expected
    for name in expected:
        assert f"`{name}`" in markdown
        runs = raw["overhead"][name]
        assert len(runs["plain"]) == len(runs["traced"]) == 1
        traced = runs["traced"][0]
        assert traced["seconds"] > 0 and runs["plain"][0]["seconds"] > 0
        assert traced["captured_cells"] == traced["cells"]
        assert traced["capture_errors"] == []
    assert "## Scale" in markdown and "## Memory" in markdown


def test_scale_slices_run_through_the_whole_session(quick_run: tuple[dict[str, Any], str]) -> None:
    raw, _ = quick_run
    assert raw["scale"]
    for n, runs in raw["scale"].items():
        for run in runs:
            assert run["slice_statements"] == int(n)
            assert run["slice2_statements"] == int(n) + 300
            assert run["records_bytes"] > 0 and run["graph_bytes"] > 0


def _chains() -> list[str]:
    from benchmarks.workloads import CHAINS

    return sorted(CHAINS)


@pytest.mark.parametrize("chain", _chains())
def test_every_scale_chain_is_one_slice(chain: str, tmp_path: Path) -> None:
    """``--chain`` picks the statement form; each must make a chain the slice runs through."""
    out = tmp_path / "scale.json"
    proc = subprocess.run(
        [
            sys.executable, "-m", "benchmarks.child", "scale", "200", "--chain", chain,
            "--out", str(out),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "LINEAGE_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(out.read_text())
    assert (result["slice_statements"], result["slice2_statements"]) == (200, 500)


def test_tracer_holds_no_user_values(quick_run: tuple[dict[str, Any], str]) -> None:
    raw, _ = quick_run
    plain, traced = raw["leak"]["plain"], raw["leak"]["traced"]
    assert traced["cells_raised"] == 0 and traced["capture_errors"] == []
    assert not any(plain["alive"].values()), "the check itself is broken: alive without lineage"
    alive = [traced["cases"][k] for k, v in traced["alive"].items() if v]
    assert not alive, f"kept alive by the tracer: {alive}"
