"""The benchmark suite never rots: one quick run of every part (sizes cut down, one round).

No timing is asserted here (budgets are checked by ``make bench``); what is asserted is that the
runner works end to end, reports a row per workload, that the traced runs captured every cell,
that every scale chain's slices hold what the chain says and the first save's profile is
reported, and the one correctness check of the suite: the tracer holds no user values alive.
"""

from __future__ import annotations

import json
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


def test_every_chain_runs_at_every_quick_size(quick_run: tuple[dict[str, Any], str]) -> None:
    from benchmarks.workloads import CHAINS, QUICK

    raw, markdown = quick_run
    assert list(raw["scale"]) == list(CHAINS) == list(raw["profile"])
    for chain, sizes in raw["scale"].items():
        assert [int(n) for n in sizes] == list(QUICK.scale_statements)
        assert f"`{chain}`" in markdown
        for n, runs in sizes.items():
            expected = CHAINS[chain].slice_statements
            for run in runs:
                assert run["slice_statements"] == expected(int(n))
                assert run["slice2_statements"] == expected(int(n) + 300)
                assert run["records_bytes"] > 0 and run["graph_bytes"] > 0


def test_the_notebook_slice_leaves_out_display_only_statements(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    """5 prelude statements, then 100 steps of 20 statements of which 2 only display."""
    raw, _ = quick_run
    (run,) = raw["scale"]["notebook"]["2000"]
    assert (run["slice_statements"], run["slice2_statements"]) == (5 + 1800, 5 + 2070)


def test_the_profile_splits_every_first_save(quick_run: tuple[dict[str, Any], str]) -> None:
    raw, markdown = quick_run
    assert "### Where the first save's time goes" in markdown
    table = markdown.split("### Where the first save's time goes", 1)[1].split("## Memory")[0]
    for chain, sizes in raw["profile"].items():
        for n, result in sizes.items():
            assert f"| `{chain}` | {int(n):,} |" in table
            phases = result["phase_seconds"]
            assert set(phases) == {"parse", "facts", "replay", "graph", "slice", "store"}
            assert all(v >= 0 for v in phases.values())
            assert sum(phases.values()) <= result["save_seconds"]
            assert result["phase_calls"]["facts"] > 0 and result["phase_calls"]["replay"] > 0


def test_tracer_holds_no_user_values(quick_run: tuple[dict[str, Any], str]) -> None:
    raw, _ = quick_run
    plain, traced = raw["leak"]["plain"], raw["leak"]["traced"]
    assert traced["cells_raised"] == 0 and traced["capture_errors"] == []
    assert not any(plain["alive"].values()), "the check itself is broken: alive without lineage"
    alive = [traced["cases"][k] for k, v in traced["alive"].items() if v]
    assert not alive, f"kept alive by the tracer: {alive}"


# -- the chains and the profile, without a benchmark run ------------------------------------------
def _chain_names() -> list[str]:
    from benchmarks.workloads import CHAINS

    return list(CHAINS)


@pytest.mark.parametrize("name", _chain_names())
def test_a_chain_runs_plain_and_its_display_statements_only_display(name: str) -> None:
    import ast
    import contextlib
    import io

    from benchmarks.workloads import CHAINS

    chain = CHAINS[name]
    n = 100
    namespace: dict[str, Any] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in chain.cells(0, n):
            exec(compile(cell, f"<{name}>", "exec"), namespace)
    assert isinstance(namespace[chain.last_value(n)], (int, float))
    step = [ast.parse(s).body[0] for s in chain.step(3)]
    shown = [type(step[i]).__name__ for i in chain.display]
    assert all(isinstance(step[i], ast.Expr) for i in chain.display), shown


def test_chain_sizes_must_end_a_step() -> None:
    from benchmarks.workloads import CHAINS

    with pytest.raises(ValueError, match="do not end a step"):
        CHAINS["notebook"].slice_statements(2_001)
    assert CHAINS["sum"].statements(5, 2) == ["x5 = x4 + 1", "x6 = x5 + 1"]


def test_the_profile_fails_on_a_name_lineage_no_longer_has() -> None:
    from benchmarks import BenchError
    from benchmarks.child import resolve

    with pytest.raises(BenchError, match=r"lineage\.session\.Session\.no_such_method"):
        resolve((("slice", "lineage.session", "Session.no_such_method"),))


def test_profile_wrappers_keep_results_and_count_time_once() -> None:
    """Each phase gets its function's own time (less the wrapped calls inside it); results and
    exceptions pass through; the originals are back afterwards."""
    import time
    import types

    from benchmarks.child import Profile

    def inner(x: int) -> int:
        time.sleep(0.02)
        return x + 1

    def outer(x: int) -> int:
        if x < 0:
            raise KeyError(x)
        return space.inner(x) * 2

    space = types.SimpleNamespace(inner=inner, outer=outer)
    profile = Profile([("in", space, "inner", inner), ("out", space, "outer", outer)])
    with profile.installed():
        assert space.outer(1) == 4
        with pytest.raises(KeyError):
            space.outer(-1)
    assert space.inner is inner and space.outer is outer
    assert profile.calls == {"in": 1, "out": 2}
    assert profile.seconds["in"] >= 0.02 > profile.seconds["out"]
