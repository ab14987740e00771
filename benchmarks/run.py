"""The benchmark runner: ``python -m benchmarks.run`` (``make bench``).

Every measurement runs in a fresh process (:mod:`benchmarks.child`) with its own empty
``LINEAGE_HOME`` and working folder. For capture overhead, each round runs every workload plain
and traced, the two alternating which goes first; the report gives, per workload, the median of
the per-round ratios traced/plain with their min and max. Then the scale benchmark (``save`` and
``code`` after three chains of 2,000 / 20,000 / 200,000 statements, and where the first save's
time goes), memory (peak RSS traced/plain, bytes per captured statement) and the leak check (a
correctness check: exit status 1 on failure).

Prints a table and writes docs/benchmarks.md (``--output``). ``--quick`` cuts every size down
for the smoke test in ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import itertools
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks import BenchError
from benchmarks import workloads as wl

REPO = wl.REPO
DEFAULT_OUTPUT = REPO / "docs" / "benchmarks.md"

# capture overhead and peak RSS: budgets from DESIGN.md ("Performance budgets") and issue 5
OVERHEAD_BUDGET, OVERHEAD_AIM = 1.05, 1.02
RSS_BUDGET = 1.10
MEMORY_WORKLOAD = "containers"
# the scale budgets, per chain, from issue 12: save + code (ms) under the budget at these sizes,
# aim where given; save + code at most 11x per 10x statements; the second save (after 300 more
# statements) at most a fifth of the first; records + graph + analysis kept after a save
SAVE_CODE_BUDGET_MS = {2_000: 100.0, 20_000: 500.0}
SAVE_CODE_AIM_MS = {20_000: 200.0}
GROWTH_BUDGET = 11.0
SECOND_SAVE_BUDGET = 0.2
KEPT_BYTES_BUDGET = 500.0


DEFAULT_ROUNDS = 7
# runs of the scale benchmark per chain and size (plus one profiled run); the largest sessions
# take a minute or two a run, so they get fewer
SCALE_RUNS, LARGE_SCALE_RUNS, LARGE_SCALE = 3, 1, 200_000
MAKE_BENCH = "python -m benchmarks.run --instructions"  # what `make bench` runs (Makefile)

# -- running children ----------------------------------------------------------------------------
CALLGRIND = [
    "valgrind",
    "--tool=callgrind",
    "--collect-atstart=no",
    "--toggle-collect=functools_reduce",  # the child runs the timed cells inside reduce()
    "--cache-sim=no",
    "--callgrind-out-file=/dev/null",
]


def run_child(args: list[str], timeout: float = 3600, callgrind: bool = False) -> dict[str, Any]:
    """Run ``python -m benchmarks.child ARGS`` in a fresh folder and store; return its JSON.
    With ``callgrind``, under valgrind: the result gains ``instructions``, the instructions
    executed in the timed region (deterministic, unlike time on a shared machine)."""
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as tmp:
        home, work, out = Path(tmp, "home"), Path(tmp, "work"), Path(tmp, "result.json")
        home.mkdir()
        work.mkdir()
        pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
        env = {
            **os.environ,
            "LINEAGE_HOME": str(home),
            "LINEAGE_DEV_MODE": "1",  # capture failures are collected and reported, not hidden
            "MPLBACKEND": "Agg",
            "PYTHONHASHSEED": "0",
            "PYTHONPATH": pythonpath,
        }
        if callgrind:
            # BLAS/OpenMP worker threads spin while they wait, and how long depends on the
            # scheduling: one thread each keeps instruction counts repeatable
            env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        proc = subprocess.run(
            [
                *(CALLGRIND if callgrind else []),
                sys.executable,
                "-m",
                "benchmarks.child",
                *args,
                "--out",
                str(out),
            ],
            cwd=work,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0 or not out.exists():
            tail = "\n".join(proc.stderr.splitlines()[-25:])
            raise BenchError(f"child {' '.join(args)} failed ({proc.returncode}):\n{tail}")
        result: dict[str, Any] = json.loads(out.read_text())
        if callgrind:
            collected = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
            if collected is None:
                raise BenchError(f"no instruction count from valgrind:\n{proc.stderr[-2000:]}")
            result["instructions"] = int(collected.group(1))
        return result


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- results -------------------------------------------------------------------------------------
@dataclass
class Stat:
    median: float
    lo: float
    hi: float

    @classmethod
    def of(cls, values: list[float]) -> Stat:
        return cls(statistics.median(values), min(values), max(values))


@dataclass
class Overhead:
    name: str
    title: str
    statements: int
    plain: list[dict[str, Any]] = field(default_factory=list)
    traced: list[dict[str, Any]] = field(default_factory=list)
    instructions: dict[str, int] = field(default_factory=dict)  # mode -> count (--instructions)
    # seconds inside lineage's hooks, from one extra traced run that times them (the timed
    # rounds run without that wrapper, which would add its own cost to the traced side)
    hook_seconds: float = 0.0

    @property
    def instruction_ratio(self) -> float | None:
        if len(self.instructions) < 2:
            return None
        return self.instructions["traced"] / self.instructions["plain"]

    def ratios(self, key: str = "seconds") -> list[float]:
        return [t[key] / p[key] for p, t in zip(self.plain, self.traced, strict=True)]

    @property
    def time_ratio(self) -> Stat:
        return Stat.of(self.ratios())

    @property
    def rss_ratio(self) -> Stat:
        return Stat.of(self.ratios("peak_rss"))

    def median_of(self, mode: str, key: str) -> float:
        rows = self.plain if mode == "plain" else self.traced
        return statistics.median(r[key] for r in rows)

    def problems(self) -> list[str]:
        out = []
        for t in self.traced:
            if t.get("capture_errors"):
                out.append(f"{self.name}: capture errors {t['capture_errors'][:3]}")
            if t["captured_cells"] != t["cells"]:
                out.append(f"{self.name}: captured {t['captured_cells']} of {t['cells']} cells")
            if t.get("after_raised"):
                out.append(f"{self.name}: lineage.save after the workload raised")
        raised = {r["cells_raised"] for r in self.plain + self.traced}
        if len(raised) > 1:
            out.append(f"{self.name}: plain and traced runs raised in different numbers of cells")
        return out


@dataclass
class Report:
    quick: bool
    rounds: int
    started: datetime
    chains: tuple[str, ...] = tuple(wl.CHAINS)  # the scale chains run (workloads.CHAINS)
    overhead: dict[str, Overhead] = field(default_factory=dict)
    control: Overhead | None = None  # A/A: one workload, plain against plain
    scale: dict[str, dict[int, list[dict[str, Any]]]] = field(default_factory=dict)  # chain, n
    profile: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)  # chain, n
    leak: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    load: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())

    def problems(self) -> list[str]:
        out = [p for o in self.overhead.values() for p in o.problems()]
        traced = self.leak.get("traced")
        if traced is not None:
            out += [
                f"leak: {traced['cases'][k]}: the object is still alive"
                for k, alive in traced["alive"].items()
                if alive
            ]
            if traced.get("capture_errors"):
                out.append(f"leak: capture errors {traced['capture_errors'][:3]}")
        for name, n, runs in _scale_runs(self):
            out += [p for r in runs for p in slice_problems(name, n, r)]
        for name, profiled in self.profile.items():
            for n, r in profiled.items():
                out += slice_problems(name, n, r, "profiled ")
        return out


def slice_problems(chain: str, n: int, result: dict[str, Any], what: str = "") -> list[str]:
    """The slices of a scale run must hold what the chain says (every statement that feeds the
    saved value, no display-only one), after ``n`` statements and 300 more."""
    expected = wl.CHAINS[chain].slice_statements
    checks = [("slice_statements", n), ("slice2_statements", n + wl.SECOND_SAVE_AFTER)]
    return [
        f"{what}scale {chain} {n:,}: the slice of the {'second' if at > n else 'first'} save holds"
        f" {result[key]} statements, the chain says {expected(at)}"
        for key, at in checks
        if key in result and result[key] != expected(at)
    ]


# -- measuring -----------------------------------------------------------------------------------
def measure_overhead(report: Report, names: list[str], control: str) -> None:
    found = wl.workloads(report.quick)
    for name in names:
        w = found[name]
        report.overhead[name] = Overhead(name, w.title, w.statements)
    if control:
        w = found[control]
        report.control = Overhead(control, w.title, w.statements)
    for r in range(report.rounds):
        order = ("plain", "traced") if r % 2 == 0 else ("traced", "plain")
        if report.control is not None:
            c = report.control
            args = ["overhead", c.name, "--mode", "plain", *(["--quick"] if report.quick else [])]
            # plain against plain, in the same alternating order: what noise alone does
            first, second = run_child(args), run_child(args)
            c.plain.append(first if order[0] == "plain" else second)
            c.traced.append(second if order[0] == "plain" else first)
            log(f"round {r + 1}/{report.rounds}  A/A control {c.name}: ratio {c.ratios()[-1]:.3f}")
        for name, o in report.overhead.items():
            for mode in order:
                args = ["overhead", name, "--mode", mode, *(["--quick"] if report.quick else [])]
                result = run_child(args)
                (o.plain if mode == "plain" else o.traced).append(result)
            ratio = o.traced[-1]["seconds"] / o.plain[-1]["seconds"]
            log(
                f"round {r + 1}/{report.rounds}  {name:<24} plain {o.plain[-1]['seconds']:8.3f}s"
                f"  traced {o.traced[-1]['seconds']:8.3f}s  ratio {ratio:.3f}"
            )
    for name, o in report.overhead.items():
        args = [
            "overhead",
            name,
            "--mode",
            "traced",
            "--hooks",
            *(["--quick"] if report.quick else []),
        ]
        o.hook_seconds = run_child(args)["hook_seconds"]


def measure_instructions(report: Report) -> None:
    if shutil.which("valgrind") is None:
        report.notes.append("--instructions: valgrind not found, instruction counts skipped")
        return
    for name, o in report.overhead.items():
        for mode in ("plain", "traced"):
            args = ["overhead", name, "--mode", mode, *(["--quick"] if report.quick else [])]
            o.instructions[mode] = run_child(args, callgrind=True)["instructions"]
        log(
            f"instructions  {name:<24} plain {o.instructions['plain']:>15,}"
            f"  traced {o.instructions['traced']:>15,}  ratio {o.instruction_ratio:.4f}"
        )


def measure_scale(report: Report, sizes: tuple[int, ...], runs: Callable[[int], int]) -> None:
    """``runs(n)`` timed runs of every chain at every size, then one profiled run."""
    for chain in report.chains:
        for n in sizes:
            results = report.scale.setdefault(chain, {}).setdefault(n, [])
            for r in range(runs(n)):
                result = run_child(["scale", str(n), "--chain", chain])
                results.append(result)
                log(
                    f"scale {chain:<8} {r + 1}/{runs(n)} {n:>7,} statements:"
                    f" build {result['build_seconds']:.2f}s"
                    f"  save {result['save_seconds'] * 1e3:.0f} ms"
                    f"  code {result['code_seconds'] * 1e3:.1f} ms"
                    f"  second save {result['save2_seconds'] * 1e3:.0f} ms"
                )
            profiled = run_child(["scale", str(n), "--chain", chain, "--profile"])
            report.profile.setdefault(chain, {})[n] = profiled
            log(
                f"scale {chain:<8} profiled {n:>7,} statements:"
                f" save {profiled['save_seconds'] * 1e3:.0f} ms"
            )


def measure_leak(report: Report) -> None:
    for mode in ("plain", "traced"):
        report.leak[mode] = run_child(["leak", "--mode", mode, *(["--quick"] * report.quick)])
    alive = [k for k, v in report.leak["traced"]["alive"].items() if v]
    log(f"leak check (traced): {'FAILED ' + ', '.join(alive) if alive else 'ok'}")


# -- reporting -----------------------------------------------------------------------------------
def _fmt_ratio(s: Stat) -> tuple[str, str, str]:
    return f"{s.median:.3f}", f"{s.lo:.3f}", f"{s.hi:.3f}"


def _verdict(ok: bool, aim_ok: bool | None = None) -> str:
    if not ok:
        return "**over budget**"
    return "ok (within aim)" if aim_ok else "ok"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f}"


def _mb(n: float) -> str:
    return f"{n / 2**20:,.1f}"


def _scale_stat(runs: list[dict[str, Any]], key: Callable[[dict[str, Any]], float]) -> float:
    return statistics.median(key(r) for r in runs)


def _save_code(r: dict[str, Any]) -> float:
    return float(r["save_seconds"] + r["code_seconds"])


def overhead_table(report: Report) -> list[list[str]]:
    rows = [
        [
            "workload",
            "statements",
            "plain s",
            "traced s",
            "median",
            "min",
            "max",
            "per-round ratios",
            "verdict",
        ]
    ]
    for o in report.overhead.values():
        s = o.time_ratio
        rows.append(
            [
                f"`{o.name}`: {o.title}",
                f"{o.statements:,}",
                f"{o.median_of('plain', 'seconds'):.3f}",
                f"{o.median_of('traced', 'seconds'):.3f}",
                *_fmt_ratio(s),
                " ".join(f"{x:.3f}" for x in o.ratios()),
                _verdict(s.median <= OVERHEAD_BUDGET, s.median <= OVERHEAD_AIM),
            ]
        )
    return rows


def control_lines(report: Report) -> list[str]:
    c = report.control
    if c is None or not c.plain:
        return []
    s = c.time_ratio
    return [
        f"A/A control: `{c.name}` run plain against plain in the same rounds (same alternation)"
        f" gives median"
        f" {s.median:.3f}, min {s.lo:.3f}, max {s.hi:.3f} (per round:"
        f" {' '.join(f'{x:.3f}' for x in c.ratios())}): the spread that noise alone produces"
        " on this machine at the time of the run.",
        "",
    ]


def diagnostics_table(report: Report) -> list[list[str]]:
    rows = [
        [
            "workload",
            "instructions traced / plain",
            "CPU-time ratio (median, min-max)",
            "in lineage hooks ms (per cell µs)",
            "cyclic GC ms plain / traced",
            "GC-tracked objects plain / traced",
            "page faults plain / traced",
            "preempted plain / traced",
        ]
    ]
    for o in report.overhead.values():
        cpu = Stat.of(o.ratios("cpu_seconds"))
        hooks = o.hook_seconds
        cells = o.traced[0]["cells"] if o.traced else 1
        ir = o.instruction_ratio
        rows.append(
            [
                f"`{o.name}`",
                f"{ir:.4f}" if ir is not None else "(not run)",
                f"{cpu.median:.3f} ({cpu.lo:.3f}-{cpu.hi:.3f})",
                f"{hooks * 1e3:,.1f} ({hooks / cells * 1e6:,.1f})",
                f"{o.median_of('plain', 'gc_seconds') * 1e3:,.1f}"
                f" / {o.median_of('traced', 'gc_seconds') * 1e3:,.1f}",
                f"{o.median_of('plain', 'tracked_objects'):,.0f}"
                f" / {o.median_of('traced', 'tracked_objects'):,.0f}",
                f"{o.median_of('plain', 'page_faults'):,.0f}"
                f" / {o.median_of('traced', 'page_faults'):,.0f}",
                f"{o.median_of('plain', 'involuntary_switches'):,.0f}"
                f" / {o.median_of('traced', 'involuntary_switches'):,.0f}",
            ]
        )
    return rows


def _scale_runs(report: Report) -> Iterator[tuple[str, int, list[dict[str, Any]]]]:
    """(chain, statements, runs) in report order."""
    for chain, sizes in report.scale.items():
        for n, runs in sizes.items():
            yield chain, n, runs


def scale_table(report: Report) -> list[list[str]]:
    rows = [
        [
            "chain",
            "statements",
            "runs",
            "session run s",
            "save ms",
            "code ms",
            "save + code ms",
            "second save ms (+300 stmts)",
            "second/first save",
        ]
    ]
    for chain, n, runs in _scale_runs(report):
        save = _scale_stat(runs, lambda r: r["save_seconds"])
        save2 = _scale_stat(runs, lambda r: r["save2_seconds"])
        rows.append(
            [
                f"`{chain}`",
                f"{n:,}",
                str(len(runs)),
                f"{_scale_stat(runs, lambda r: r['build_seconds']):.2f}",
                _ms(save),
                _ms(_scale_stat(runs, lambda r: r["code_seconds"])),
                _ms(_scale_stat(runs, _save_code)),
                _ms(save2),
                f"{save2 / save:.2f}",
            ]
        )
    return rows


# the phases of the profile table; "other" is the save cell's time outside the wrapped functions
# plus Session.graph's own time (its set-up and the loop feeding add_cell)
PROFILE_PHASES = ("parse", "facts", "replay", "slice", "store")


def profile_phases(result: dict[str, Any]) -> dict[str, float]:
    """Seconds per phase of a profiled save: parse, facts, replay, slice, store and other."""
    measured = result["phase_seconds"]
    phases = {p: float(measured[p]) for p in PROFILE_PHASES}
    phases["other"] = result["save_seconds"] - sum(phases.values())
    return phases


def profile_table(report: Report) -> list[list[str]]:
    phases = (*PROFILE_PHASES, "other")
    rows = [
        [
            "chain",
            "statements",
            "save ms (profiled run)",
            *[f"{p} ms (share)" for p in phases],
            "of other: Session.graph ms",
            "wrappers ms (est.)",
        ]
    ]
    for chain, sizes in report.profile.items():
        for n, result in sizes.items():
            save = result["save_seconds"]
            split = profile_phases(result)
            rows.append(
                [
                    f"`{chain}`",
                    f"{n:,}",
                    _ms(save),
                    *[f"{_ms(split[p])} ({split[p] / save:.0%})" for p in phases],
                    _ms(result["phase_seconds"]["graph"]),
                    _ms(result["wrapper_seconds"]),
                ]
            )
    return rows


def chain_lines(chain: wl.Chain) -> list[str]:
    """A chain described for the report: what it is, what its slice holds, its first cells."""
    n = 2_000
    return [
        f"- `{chain.name}`: {chain.description}. After {n:,} chain statements the slice of the"
        f" last value holds {chain.slice_statements(n):,} statements"
        f"{' (the prelude too)' if chain.prelude else ''}.",
        "",
        "  ```python",
        *[f"  {line}" for line in chain_excerpt(chain).splitlines()],
        "  ```",
        "",
    ]


def chain_excerpt(chain: wl.Chain) -> str:
    """The prelude cell and the first statements of a chain in their cells: three statements of
    a chain of uniform cells, the first three cells of one of varied cells."""
    shown = sum(chain.cell_sizes[:3]) if len(chain.cell_sizes) > 1 else 3
    statements = chain.statements(0, shown)
    out = ["# prelude cell", *chain.prelude] if chain.prelude else []
    at = 0
    for size in itertools.cycle(chain.cell_sizes):
        if at >= shown:
            break
        out += ["# cell", *statements[at : at + size]]
        if at + size > shown:
            out.append(f"# ... {at + size - shown} more statements in this cell")
        at += size
    return "\n".join(out)


def growth(report: Report, chain: str) -> list[tuple[int, int, float]]:
    sizes = report.scale.get(chain, {})
    out = []
    for a, b in itertools.pairwise(sorted(sizes)):
        ta = _scale_stat(sizes[a], _save_code)
        tb = _scale_stat(sizes[b], _save_code)
        out.append((a, b, tb / ta))
    return out


def growth_allowed(a: int, b: int) -> float:
    """The growth budget from ``a`` to ``b`` statements: GROWTH_BUDGET per 10x."""
    return float(GROWTH_BUDGET ** math.log10(b / a))


@dataclass
class Verdict:
    text: str
    ok: bool
    aim_ok: bool | None = None

    def line(self) -> str:
        return f"{self.text} — {_verdict(self.ok, self.aim_ok)}"


def scale_verdicts(report: Report, chain: str) -> list[Verdict]:
    """The issue-12 budgets for one chain, as far as the sizes run allow."""
    sizes = report.scale.get(chain, {})
    out = []
    for n, budget in SAVE_CODE_BUDGET_MS.items():
        if n in sizes:
            t = _scale_stat(sizes[n], _save_code) * 1e3
            aim = SAVE_CODE_AIM_MS.get(n)
            aimed = f", aim {aim:.0f} ms" if aim else ""
            out.append(
                Verdict(
                    f"save + code at {n:,} statements: {t:,.0f} ms (budget {budget:.0f} ms{aimed})",
                    t < budget,
                    t < aim if aim else None,
                )
            )
    for a, b, g in growth(report, chain):
        allowed = growth_allowed(a, b)
        out.append(
            Verdict(
                f"growth {a:,} → {b:,} statements: save + code {g:.1f}x (at most {allowed:.1f}x)",
                g <= allowed,
            )
        )
    for n, runs in sizes.items():
        ratio = _scale_stat(runs, lambda r: r["save2_seconds"]) / _scale_stat(
            runs, lambda r: r["save_seconds"]
        )
        out.append(
            Verdict(
                f"second save at {n:,} statements: {ratio:.2f} of the first"
                f" (at most {SECOND_SAVE_BUDGET:.2f})",
                ratio <= SECOND_SAVE_BUDGET,
            )
        )
    for n, runs in sizes.items():
        kept = _scale_stat(runs, _kept_bytes) / n
        out.append(
            Verdict(
                f"kept after the save at {n:,} statements: {kept:,.0f} B/stmt (records, graph and"
                f" analysis; at most {KEPT_BYTES_BUDGET:.0f})",
                kept <= KEPT_BYTES_BUDGET,
            )
        )
    return out


def _kept_bytes(r: dict[str, Any]) -> float:
    return float(r["records_bytes"] + r["graph_bytes"])


def memory_table(report: Report) -> list[list[str]]:
    rows = [
        [
            "workload",
            "plain peak RSS MB",
            "traced peak RSS MB",
            "median",
            "min",
            "max",
            "captured records B/stmt",
            "verdict",
        ]
    ]
    for o in report.overhead.values():
        s = o.rss_ratio
        stmts = statistics.median(t["captured_statements"] for t in o.traced) or 1
        per = statistics.median(t["records_bytes"] for t in o.traced) / stmts
        verdict = _verdict(s.median <= RSS_BUDGET) if o.name == MEMORY_WORKLOAD else "(info)"
        rows.append(
            [
                f"`{o.name}`",
                _mb(o.median_of("plain", "peak_rss")),
                _mb(o.median_of("traced", "peak_rss")),
                *_fmt_ratio(s),
                f"{per:,.0f}",
                verdict,
            ]
        )
    return rows


def footprint_table(report: Report) -> list[list[str]]:
    rows = [
        [
            "chain",
            "statements",
            "records B/stmt (capture)",
            "graph + analysis B/stmt (after save, beyond the records)",
            "artifact row B/stmt (code / session code / meta)",
            "store on disk B/stmt",
            "peak RSS MB (session + first save)",
        ]
    ]
    for chain, n, runs in _scale_runs(report):

        def per(key: str, runs: list[dict[str, Any]] = runs, n: int = n) -> float:
            return _scale_stat(runs, lambda r: r[key]) / n

        rows.append(
            [
                f"`{chain}`",
                f"{n:,}",
                f"{per('records_bytes'):,.0f}",
                f"{per('graph_bytes'):,.0f}",
                f"{per('row_code_bytes'):,.0f} / {per('row_session_code_bytes'):,.0f}"
                f" / {per('row_meta_bytes'):,.0f}",
                f"{per('store_bytes'):,.0f}",
                _mb(_scale_stat(runs, lambda r: r["peak_rss"])),
            ]
        )
    return rows


def leak_table(report: Report) -> list[list[str]]:
    rows = [["object", "collected (plain)", "collected (traced)"]]
    plain, traced = report.leak.get("plain"), report.leak.get("traced")
    if traced is None or plain is None:
        return rows
    for key, what in traced["cases"].items():
        rows.append(
            [what, _yes(not plain["alive"][key]), _yes(not traced["alive"][key], loud=True)]
        )
    return rows


def _yes(ok: bool, loud: bool = False) -> str:
    return "yes" if ok else ("**NO**" if loud else "no")


def markdown_table(rows: list[list[str]]) -> str:
    head, *body = rows
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def text_table(rows: list[list[str]]) -> str:
    rows = [[c.replace("**", "").replace("`", "") for c in r] for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    mem = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:
        pass
    import IPython

    versions = {"python": platform.python_version(), "ipython": IPython.__version__}
    for mod in ("pandas", "sklearn", "numpy", "networkx"):
        try:
            versions[mod] = __import__(mod).__version__
        except ImportError:
            continue
    commit = ""
    with contextlib.suppress(OSError):  # read-only git commands
        commit = _git("rev-parse", "--short", "HEAD")
        if commit and _git("status", "--porcelain", "--", "lineage"):
            commit += " with uncommitted changes in lineage/"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "commit": commit,
    }


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False
    ).stdout.strip()


def command_line(args: argparse.Namespace) -> str:
    parts = ["python -m benchmarks.run"]
    if args.quick:
        parts.append("--quick")
    if args.rounds != DEFAULT_ROUNDS:
        parts.append(f"--rounds {args.rounds}")
    if args.only:
        parts.append(f"--only {args.only}")
    if args.chain:
        parts.append(f"--chain {args.chain}")
    if args.sizes:
        parts.append(f"--sizes {args.sizes}")
    if args.scale_rounds is not None:
        parts.append(f"--scale-rounds {args.scale_rounds}")
    if args.instructions:
        parts.append("--instructions")
    return " ".join(parts)


def reproduce(args: argparse.Namespace) -> str:
    command = command_line(args)
    if command == MAKE_BENCH:
        return f"`make bench` (which runs `{command}`)"
    return f"`{command.replace('python', '.venv/bin/python', 1)}`"


def render_markdown(report: Report, args: argparse.Namespace) -> str:
    m = machine()
    out = [
        "# Benchmarks",
        "",
        "<!-- generated by `make bench` (benchmarks/run.py); edit the runner, not this file -->",
        "",
        f"Measured {report.started:%Y-%m-%d %H:%M} UTC"
        f"{' with **--quick** sizes (smoke run, not a measurement)' if report.quick else ''},"
        f" {report.rounds} rounds, {report.seconds / 60:.1f} minutes in all.",
        "",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM, {m['os']}",
        f"- software: {m['versions']}",
        f"- lineage commit: {m['commit'] or 'unknown'}",
        f"- load average at start / end: {_load(report.load[0])} / {_load(report.load[1])}"
        " (other processes shared the machine; ratios come from alternating runs)",
        "",
        f"Reproduce: {reproduce(args)} from the repository root (`make bench BENCH_ARGS='...'`"
        " runs other options). `--rounds N` changes the rounds, `--only loop,scale` picks parts,"
        " `--chain sum,notebook` and `--sizes 2000,20000` pick scale chains and sizes,"
        " `--scale-rounds N` the timed runs per chain and size, `--instructions` adds the"
        " valgrind instruction counts, `--strict` exits 1 when over budget, `--quick` is the"
        " smoke run of `make test`.",
        "",
        "## Capture overhead",
        "",
        "Each workload runs in a fresh process, in a real IPython `InteractiveShell` (history off),"
        " once plain and once after `%load_ext lineage` (loading is outside the timed region),"
        " every round, the two alternating which goes first. Only `shell.run_cell` is timed."
        " Ratio = traced / plain wall time of the same round; median, min and max over rounds."
        f" Budget: median ≤ {OVERHEAD_BUDGET} (aim ≤ {OVERHEAD_AIM}).",
        "",
        markdown_table(overhead_table(report)),
        "",
        *control_lines(report),
        "Where the time goes. Instructions: executed in the timed region, counted by valgrind"
        " (callgrind, `--instructions`, one run per mode, BLAS and OpenMP limited to one thread so"
        " that spinning worker threads do not add to the count), so no other process can disturb"
        " them; they miss cache and memory effects and system-call time. Then, medians over"
        " rounds:"
        " CPU time of the timed region traced / plain; time inside lineage's"
        " `pre_run_cell` / `post_run_cell` hooks (from one more traced run that times them: the"
        " timed rounds run without that timing wrapper; the names a cell binds are listed in the"
        " `transform_ast` wrap, not counted here); time in the cyclic garbage collector; objects"
        " the collector tracks at the end (every full collection scans all of them); minor page"
        " faults; times the process was preempted by another (involuntary context switches: the"
        " machine's noise).",
        "",
        markdown_table(diagnostics_table(report)),
        "",
        "Notebook workloads run the code cells of the example notebook; lines that call lineage"
        " (the saves) are left out of the timed cells and run afterwards, traced only, to check"
        " that capture was complete.",
        "",
        *scale_section(report),
    ]
    out += [
        "## Memory",
        "",
        "Peak RSS (`ru_maxrss` of the child) traced / plain, from the overhead runs. Budget:"
        f" ≤ {RSS_BUDGET} on `{MEMORY_WORKLOAD}`; the other rows show the fixed cost of loading"
        " lineage. Captured records: bytes reachable from `session.records` (strings, ints,"
        " tuples) per captured top-level statement.",
        "",
        markdown_table(memory_table(report)),
        "",
        "Per captured statement, after the scale sessions above: the records kept during"
        " capture; the statements' analysis and the session graph built by the first save (kept"
        " for later saves); the saved artifact's row (slice code, whole-session code, metadata)"
        " and the store folder on disk; the peak RSS of the process once the session and its"
        " first save ran (read before the byte counts, whose own bookkeeping is large).",
        "",
        markdown_table(footprint_table(report)),
        "",
        "## The tracer holds no user values",
        "",
        "Objects of a notebook class holding a list of"
        f" {wl.sizes(report.quick).leak_elements:,} ints; after their variables are gone and"
        " `gc.collect()`, a weakref to each must be dead (a correctness check: the runner fails"
        " if one is alive).",
        "",
        markdown_table(leak_table(report)),
        "",
    ]
    if report.notes:
        out += ["## Notes", "", *[f"- {n}" for n in report.notes], ""]
    return "\n".join(out)


def scale_section(report: Report) -> list[str]:
    out = [
        "## Scale: `lineage.save` and `.code` against session size",
        "",
        "Each chain runs in a fresh traced session: a prelude cell, then the chain's statements"
        " (the sizes count these). Every statement feeds the value the last one binds but the"
        " display-only ones (a `print`, a bare expression), so its slice holds a known number of"
        " statements, which the runner checks after both saves. `save` is"
        " `lineage.save(x_last, 'chain')` run as a cell (all deferred analysis included); `code`"
        f" is `lineage.get('chain').code`; the second save comes after"
        f" {wl.SECOND_SAVE_AFTER} more statements. Medians over runs. The chains:",
        "",
        *[line for name in report.chains for line in chain_lines(wl.CHAINS[name])],
        "Budgets (issue 12), per chain: save + code under "
        + " and under ".join(
            f"{ms:.0f} ms at {n:,} statements" for n, ms in SAVE_CODE_BUDGET_MS.items()
        )
        + "".join(f" (aim {ms:.0f} ms at {n:,})" for n, ms in SAVE_CODE_AIM_MS.items())
        + f"; save + code growing at most {GROWTH_BUDGET:.0f}x per 10x statements; the second"
        f" save at most {SECOND_SAVE_BUDGET:.1f} of the first; the records, graph and analysis"
        f" kept after a save (the footprint table under Memory) at most"
        f" {KEPT_BYTES_BUDGET:.0f} bytes per chain statement.",
        "",
        markdown_table(scale_table(report)),
        "",
    ]
    for chain in report.scale:
        out.append(f"- `{chain}`:")
        out += [f"  - {v.line()}" for v in scale_verdicts(report, chain)]
    out += [
        "",
        "### Where the first save's time goes",
        "",
        "One more run per chain and size saves with bench-only wrappers (perf_counter"
        " accumulators, in benchmarks/child.py) around lineage's functions; each phase is the"
        " time inside its functions less that of the wrapped calls within: parse ="
        " `split_statements` (splitting cells into statements) without facts; facts ="
        " `statement_facts` as `lineage/analysis/cells.py` calls it (the per-statement"
        " analysis); replay = `SessionGraph.add_cell`; slice = `Session.slice_value` without its"
        " `graph()` build; store = `Store.save`; other = the rest of the save cell, including"
        " `Session.graph`'s own time (its set-up and the loop feeding `add_cell`, shown apart)."
        " The wrappers' own cost (calls times the cost of one wrapped call of a no-op, measured"
        " in the same run) is the last column.",
        "",
        markdown_table(profile_table(report)),
        "",
    ]
    return out


def _load(values: tuple[float, ...]) -> str:
    return " ".join(f"{v:.2f}" for v in values) or "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument(
        "--rounds",
        type=int,
        default=DEFAULT_ROUNDS,
        help=f"overhead rounds (default {DEFAULT_ROUNDS})",
    )
    parser.add_argument(
        "--scale-rounds",
        type=int,
        default=None,
        help=f"timed runs per scale chain and size (default {SCALE_RUNS}, {LARGE_SCALE_RUNS} at"
        f" {LARGE_SCALE:,} statements and more; quick 1); each also gets one profiled run",
    )
    parser.add_argument("--quick", action="store_true", help="smoke sizes, for make test")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated workloads and/or 'scale', 'leak' (default: everything)",
    )
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="markdown report path")
    parser.add_argument(
        "--control",
        default="small_cells",
        help="workload also run plain against plain each round, to show the noise ('' for none)",
    )
    parser.add_argument(
        "--chain",
        default="",
        help=f"comma-separated scale chains (default all: {','.join(wl.CHAINS)})",
    )
    parser.add_argument(
        "--sizes",
        default="",
        help="comma-separated scale sizes in statements (default 2000,20000,200000;"
        " quick 200,2000)",
    )
    parser.add_argument("--json", default="", help="also write the raw results here")
    parser.add_argument("--strict", action="store_true", help="exit 1 when over budget")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count the instructions of each workload's timed region under valgrind "
        "(callgrind, one run per mode, slow): a measure no other process can disturb",
    )
    args = parser.parse_args(argv)

    try:
        chains, sizes = scale_plan(args)
    except ValueError as e:
        parser.error(f"scale: {e}")
    report = Report(args.quick, args.rounds, datetime.now(timezone.utc), chains=chains)
    report.load = (os.getloadavg(),) * 2
    t0 = time.perf_counter()
    available = wl.workloads(args.quick)
    wanted = [s for s in args.only.split(",") if s] or [*available, "scale", "leak"]
    unknown = [s for s in wanted if s not in available and s not in ("scale", "leak")]
    if unknown:
        parser.error(f"unknown workloads {unknown}; known: {[*available, 'scale', 'leak']}")
    if not wl.notebook_paths():
        report.notes.append(
            "no example notebook using pandas / scikit-learn found in examples/notebooks;"
            " the notebook workload was skipped"
        )
    control = args.control if args.control in available and not args.quick else ""
    measure_overhead(report, [w for w in wanted if w in available], control)
    if args.instructions:
        measure_instructions(report)
    if "scale" in wanted:
        measure_scale(report, sizes, functools.partial(scale_runs, args))
    if "leak" in wanted:
        measure_leak(report)
    report.seconds = time.perf_counter() - t0
    report.load = (report.load[0], os.getloadavg())

    over = over_budget(report)
    if args.quick:
        report.notes.append("--quick sizes: timings and verdicts are not meaningful")
    else:
        report.notes += [f"over budget: {o}" for o in over]
    problems = report.problems()
    report.notes += [f"problem: {p}" for p in problems]

    print(render_text(report))
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(render_markdown(report, args), encoding="utf-8")
        log(f"wrote {args.output}")
    if args.json:
        Path(args.json).write_text(json.dumps(raw(report), indent=1), encoding="utf-8")
    if problems:
        log("FAILED: " + "; ".join(problems))
        return 1
    return 1 if (args.strict and over) else 0


def scale_plan(args: argparse.Namespace) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The chains and sizes of the scale benchmark (``--chain``, ``--sizes``); a ValueError
    for an unknown chain or a size that does not end one of its steps."""
    chains = tuple(c for c in args.chain.split(",") if c) or tuple(wl.CHAINS)
    unknown = [c for c in chains if c not in wl.CHAINS]
    if unknown:
        raise ValueError(f"unknown chains {unknown}; known: {list(wl.CHAINS)}")
    sizes = tuple(int(n) for n in args.sizes.split(",") if n)
    sizes = sizes or wl.sizes(args.quick).scale_statements
    for name in chains:
        for n in sizes:  # both saves' values must end a step
            wl.CHAINS[name].slice_statements(n)
            wl.CHAINS[name].slice_statements(n + wl.SECOND_SAVE_AFTER)
    return chains, sizes


def scale_runs(args: argparse.Namespace, n: int) -> int:
    """Timed runs of a scale chain at ``n`` statements."""
    if args.scale_rounds is not None:
        return int(args.scale_rounds)
    if args.quick:
        return 1
    return LARGE_SCALE_RUNS if n >= LARGE_SCALE else SCALE_RUNS


def over_budget(report: Report) -> list[str]:
    out = []
    for o in report.overhead.values():
        if o.time_ratio.median > OVERHEAD_BUDGET:
            out.append(f"capture overhead on `{o.name}`: median {o.time_ratio.median:.3f}")
    mem = report.overhead.get(MEMORY_WORKLOAD)
    if mem is not None and mem.rss_ratio.median > RSS_BUDGET:
        out.append(f"peak RSS on `{MEMORY_WORKLOAD}`: median {mem.rss_ratio.median:.3f}")
    for chain in report.scale:
        out += [f"scale `{chain}`: {v.text}" for v in scale_verdicts(report, chain) if not v.ok]
    return out


def render_text(report: Report) -> str:
    parts = [
        "capture overhead (traced / plain wall time)",
        text_table(overhead_table(report)),
        *[line.replace("`", "") for line in control_lines(report)],
        "",
        text_table(diagnostics_table(report)),
        "",
        "scale",
        text_table(scale_table(report)),
        *[
            f"{chain}: {v.line().replace('→', '->')}"
            for chain in report.scale
            for v in scale_verdicts(report, chain)
        ],
        "",
        "profile of the first save",
        text_table(profile_table(report)),
        "",
        "memory",
        text_table(memory_table(report)),
        "",
        text_table(footprint_table(report)),
        "",
        "leak check",
        text_table(leak_table(report)),
    ]
    if report.notes:
        parts += ["", *report.notes]
    return "\n".join(parts)


def raw(report: Report) -> dict[str, Any]:
    return {
        "quick": report.quick,
        "rounds": report.rounds,
        "started": report.started.isoformat(),
        "machine": machine(),
        "overhead": {n: {"plain": o.plain, "traced": o.traced} for n, o in report.overhead.items()},
        "scale": {
            chain: {str(n): runs for n, runs in sizes.items()}
            for chain, sizes in report.scale.items()
        },
        "profile": {
            chain: {str(n): result for n, result in sizes.items()}
            for chain, sizes in report.profile.items()
        },
        "leak": report.leak,
        "notes": report.notes,
    }


if __name__ == "__main__":
    sys.exit(main())
