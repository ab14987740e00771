"""The benchmark runner: ``python -m benchmarks.run`` (``make bench``).

Every measurement runs in a fresh process (:mod:`benchmarks.child`) with its own empty
``LINEAGE_HOME`` and working folder. For capture overhead, each round runs every workload plain
and traced, the two alternating which goes first; the report gives, per workload, the median of
the per-round ratios traced/plain with their min and max. Then the scale benchmark (``save`` and
``code`` after chains of 2,000 / 20,000 / 200,000 statements), memory (peak RSS traced/plain,
bytes per captured statement) and the leak check (a correctness check: exit status 1 on failure).

Prints a table and writes docs/benchmarks.md (``--output``). ``--quick`` cuts every size down
for the smoke test in ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks import workloads as wl

REPO = wl.REPO
DEFAULT_OUTPUT = REPO / "docs" / "benchmarks.md"

# budgets from DESIGN.md ("Performance budgets") and issue 5
OVERHEAD_BUDGET, OVERHEAD_AIM = 1.05, 1.02
SAVE_CODE_BUDGET_MS, SAVE_CODE_AIM_MS, SAVE_CODE_AT = 500.0, 200.0, 20_000
GROWTH_BUDGET = 15.0
RSS_BUDGET = 1.10
MEMORY_WORKLOAD = "containers"


class BenchError(RuntimeError):
    """A child process failed; the message holds the end of its stderr."""


DEFAULT_ROUNDS = 7
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
    chain: str = "sum"  # the statement form of the scale chain (workloads.CHAINS)
    overhead: dict[str, Overhead] = field(default_factory=dict)
    control: Overhead | None = None  # A/A: one workload, plain against plain
    scale: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
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
        for n, runs in self.scale.items():
            for r in runs:
                if r["slice_statements"] != n or r["slice2_statements"] != n + 300:
                    out.append(f"scale {n}: the slice is not the whole chain")
        return out


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


def measure_scale(report: Report, rounds: int) -> None:
    for n in wl.sizes(report.quick).scale_statements:
        runs = report.scale.setdefault(n, [])
        for r in range(rounds):
            result = run_child(["scale", str(n), "--chain", report.chain])
            runs.append(result)
            log(
                f"scale {r + 1}/{rounds}  {n:>7,} statements: build {result['build_seconds']:.2f}s"
                f"  save {result['save_seconds'] * 1e3:.0f} ms"
                f"  code {result['code_seconds'] * 1e3:.1f} ms"
                f"  second save {result['save2_seconds'] * 1e3:.0f} ms"
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


def scale_table(report: Report) -> list[list[str]]:
    rows = [
        [
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
    for n, runs in report.scale.items():
        save = _scale_stat(runs, lambda r: r["save_seconds"])
        save2 = _scale_stat(runs, lambda r: r["save2_seconds"])
        rows.append(
            [
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


def _chain_example(chain: str) -> str:
    return "; ".join(wl.CHAINS[chain].format(i=i, p=i - 1) for i in (1, 2))


def growth(report: Report) -> list[tuple[int, int, float]]:
    sizes = sorted(report.scale)
    out = []
    for a, b in itertools.pairwise(sizes):
        ta = _scale_stat(report.scale[a], _save_code)
        tb = _scale_stat(report.scale[b], _save_code)
        out.append((a, b, tb / ta))
    return out


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
            "statements",
            "records B/stmt (capture)",
            "graph + analysis B/stmt (after save)",
            "artifact row B/stmt (code / session code / meta)",
            "store on disk B/stmt",
            "peak RSS MB",
        ]
    ]
    for n, runs in report.scale.items():

        def per(key: str, runs: list[dict[str, Any]] = runs, n: int = n) -> float:
            return _scale_stat(runs, lambda r: r[key]) / n

        rows.append(
            [
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
    if args.chain != "sum":
        parts.append(f"--chain {args.chain}")
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
    gr = growth(report)
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
        " `--instructions` adds the valgrind instruction counts, `--quick` is the smoke run of"
        " `make test`.",
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
        "## Scale: `lineage.save` and `.code` against session size",
        "",
        f"A chain `x0 = 1; {_chain_example(report.chain)}; ...` in cells of 100 statements, so the"
        " slice of the last variable is the whole session. `save` is"
        " `lineage.save(x_last, 'chain')` run as a cell (all deferred analysis included); `code` is `lineage.get('chain').code`; the second"
        " save comes after 300 more statements. Medians over runs. Budget: save + code at"
        f" {SAVE_CODE_AT:,} statements under {SAVE_CODE_BUDGET_MS:.0f} ms (aim"
        f" {SAVE_CODE_AIM_MS:.0f} ms), growth 2,000 → 20,000 at most {GROWTH_BUDGET:.0f}x.",
        "",
        markdown_table(scale_table(report)),
        "",
    ]
    for a, b, g in gr:
        ok = g <= GROWTH_BUDGET * (b / a) / 10
        out.append(
            f"- growth {a:,} → {b:,} statements ({b // a}x more): save + code {g:.1f}x"
            f" — {_verdict(ok)}"
        )
    at = report.scale.get(SAVE_CODE_AT)
    if at:
        t = _scale_stat(at, _save_code) * 1e3
        out.append(
            f"- save + code at {SAVE_CODE_AT:,} statements: {t:,.0f} ms"
            f" — {_verdict(t < SAVE_CODE_BUDGET_MS, t < SAVE_CODE_AIM_MS)}"
        )
    out += [
        "",
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
        " and the store folder on disk.",
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
        "--scale-rounds", type=int, default=None, help="runs per scale size (default 3; quick 1)"
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
        choices=sorted(wl.CHAINS),
        default="sum",
        help="statement form of the scale chain: 'sum' (x1 = x0 + 1, the default) or 'calls'"
        " (three calls a statement)",
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

    report = Report(args.quick, args.rounds, datetime.now(timezone.utc), chain=args.chain)
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
        measure_scale(report, args.scale_rounds or (1 if args.quick else 3))
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


def over_budget(report: Report) -> list[str]:
    out = []
    for o in report.overhead.values():
        if o.time_ratio.median > OVERHEAD_BUDGET:
            out.append(f"capture overhead on `{o.name}`: median {o.time_ratio.median:.3f}")
    mem = report.overhead.get(MEMORY_WORKLOAD)
    if mem is not None and mem.rss_ratio.median > RSS_BUDGET:
        out.append(f"peak RSS on `{MEMORY_WORKLOAD}`: median {mem.rss_ratio.median:.3f}")
    at = report.scale.get(SAVE_CODE_AT)
    if at:
        t = _scale_stat(at, _save_code) * 1e3
        if t >= SAVE_CODE_BUDGET_MS:
            out.append(f"save + code at {SAVE_CODE_AT:,} statements: {t:,.0f} ms")
    for a, b, g in growth(report):
        if g > GROWTH_BUDGET * (b / a) / 10:
            out.append(f"save + code growth {a:,} → {b:,}: {g:.1f}x")
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
        *[f"growth {a:,} -> {b:,}: {g:.1f}x" for a, b, g in growth(report)],
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
        "scale": {str(n): runs for n, runs in report.scale.items()},
        "leak": report.leak,
        "notes": report.notes,
    }


if __name__ == "__main__":
    sys.exit(main())
