"""One measurement in a fresh process: ``python -m benchmarks.child TASK ... --out FILE``.

Tasks:

* ``overhead WORKLOAD --mode plain|traced``: run the workload's cells in a real IPython shell
  (history off), timing only ``shell.run_cell``; report seconds and peak RSS. Traced, it also
  reports how many cells were captured, capture errors, and the bytes the captured records use.
* ``scale N --chain C``: a traced chain (``workloads.CHAINS``) of N statements; time
  ``lineage.save`` (deferred analysis included), ``lineage.get(name).code``, and a second save
  after 300 more statements; bytes of records, graph and store per statement. With
  ``--profile``, only the first save, its time split into phases (parse, facts, replay, slice,
  store) by wrappers around lineage's functions.
* ``leak --mode plain|traced``: big objects whose variables are dropped must be collected.

The result is one JSON object written to ``--out`` (stdout belongs to the cells' output).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import os
import resource
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks import BenchError
from benchmarks import workloads as wl


class Meter:
    """Time spent in the cyclic GC (both modes) and inside lineage's cell hooks (traced): the
    parts of the overhead that wall-clock noise cannot hide. Costs two clock reads per hook call
    and per collection."""

    def __init__(self) -> None:
        self.gc_seconds = 0.0
        self.gc_collections = [0, 0, 0]
        self.hook_seconds = 0.0
        self._gc_start = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_seconds += time.perf_counter() - self._gc_start
            self.gc_collections[info["generation"]] += 1

    def wrap_hooks(self) -> None:
        """Time the tracer's event hooks (call before ``%load_ext lineage`` registers them)."""
        from lineage import tracer

        for name in ("pre_run_cell", "post_run_cell"):
            original = getattr(tracer.Tracer, name)

            def hook(self_: Any, arg: Any, _original: Any = original) -> Any:
                t0 = time.perf_counter()
                try:
                    return _original(self_, arg)
                finally:
                    self.hook_seconds += time.perf_counter() - t0

            setattr(tracer.Tracer, name, hook)

    def reset(self) -> None:
        self.gc_seconds, self.gc_collections, self.hook_seconds = 0.0, [0, 0, 0], 0.0


def new_shell(traced: bool) -> Any:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    # ``%matplotlib inline`` asks the shell for a GUI event loop; a kernel has none to start
    shell.enable_gui = lambda gui=None: None  # type: ignore[method-assign]
    if traced:
        shell.run_line_magic("load_ext", "lineage")
    return shell


def run_cells(shell: Any, cells: list[str] | tuple[str, ...]) -> tuple[float, int]:
    """Wall seconds spent in ``run_cell`` over ``cells``, and how many cells raised (outside
    ``functools.reduce``, so a callgrind run does not count it)."""
    elapsed = 0.0
    failed = 0
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        for cell in cells:
            t0 = time.perf_counter()
            result = shell.run_cell(cell, store_history=True)
            elapsed += time.perf_counter() - t0
            failed += not result.success
    return elapsed, failed


def timed_cells(shell: Any, cells: list[str] | tuple[str, ...]) -> tuple[float, float, int]:
    """Wall and CPU seconds spent in ``run_cell`` over ``cells``, and how many cells raised.

    The cells run inside ``functools.reduce``: under ``valgrind --tool=callgrind
    --toggle-collect=functools_reduce`` (``run.py --instructions``) only this region is counted."""
    wall = cpu = 0.0
    failed = 0

    def run(_: None, cell: str) -> None:
        nonlocal wall, cpu, failed
        c0, t0 = time.process_time(), time.perf_counter()
        result = shell.run_cell(cell, store_history=True)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        failed += not result.success

    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        functools.reduce(run, cells, None)
    return wall, cpu, failed


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


def deep_size(*roots: Any) -> int:
    """Bytes of the data reachable from ``roots``: containers, strings, numbers and lineage's own
    records, each object once. Types, functions and modules are not followed (a session holds
    a bound method of the shell)."""
    seen: set[int] = set()
    stack = list(roots)
    total = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        t = type(obj)
        if isinstance(obj, dict):
            total += sys.getsizeof(obj)
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif t in (list, tuple, set, frozenset):
            total += sys.getsizeof(obj)
            stack.extend(obj)
        elif t in (str, int, float, bool, bytes, type(None)):
            total += sys.getsizeof(obj)
        elif t.__module__.startswith("lineage"):
            total += sys.getsizeof(obj)
            stack.extend(r for r in gc.get_referents(obj) if not isinstance(r, type))
            if hasattr(obj, "__dict__"):
                stack.append(obj.__dict__)
    return total


def _statements(session: Any, records: list[Any]) -> int:
    import ast

    total = 0
    for r in records:
        try:  # IPython < 8.22 does not hand over the transformed cell: the session makes it
            total += len(ast.parse(session.source(r)).body)
        except SyntaxError:
            continue
    return total


# -- tasks ---------------------------------------------------------------------------------------
def overhead(name: str, mode: str, quick: bool, hooks: bool = False) -> dict[str, Any]:
    """Run a workload's cells, timed; ``hooks`` (traced only) also times lineage's hooks, at
    the cost of a wrapper around each, so the timed rounds leave it off."""
    workload = wl.workloads(quick)[name]
    traced = mode == "traced"
    meter = Meter()
    if traced and hooks:
        meter.wrap_hooks()
    shell = new_shell(traced)
    run_cells(shell, ["_warm_up = 0"])  # one-time lazy set-up in IPython, outside the timing
    meter.reset()
    before = resource.getrusage(resource.RUSAGE_SELF)
    seconds, cpu, failed = timed_cells(shell, workload.cells)
    after = resource.getrusage(resource.RUSAGE_SELF)
    out: dict[str, Any] = {
        "system_seconds": after.ru_stime - before.ru_stime,
        "page_faults": after.ru_minflt - before.ru_minflt + after.ru_majflt - before.ru_majflt,
        # the process was descheduled for another: a direct measure of the machine's noise
        "involuntary_switches": after.ru_nivcsw - before.ru_nivcsw,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "gc_seconds": meter.gc_seconds,
        "gc_collections": list(meter.gc_collections),
        "hook_seconds": meter.hook_seconds,
        "tracked_objects": len(gc.get_objects()),
        "peak_rss": peak_rss_bytes(),
        "cells": len(workload.cells),
        "cells_raised": failed,
    }
    if traced:
        from lineage.tracer import active_tracer

        tracer = active_tracer()
        records = tracer.session.records[1:]  # after the warm-up cell
        statements = _statements(tracer.session, records)
        out["captured_cells"] = len(records)
        out["captured_statements"] = statements
        out["capture_errors"] = [repr(e) for e in tracer.errors]
        out["records_bytes"] = deep_size(records)
        _, after_failed = run_cells(shell, workload.after)
        out["after_raised"] = after_failed
        if workload.after and not after_failed:
            import lineage

            arts = lineage.artifacts()
            out["slice_statements"] = sum(len(a.record.meta.get("statements", [])) for a in arts)
    return out


def scale(n: int, chain_name: str = "sum", profile: bool = False) -> dict[str, Any]:
    """A traced chain of ``n`` statements, then the timed saves (or, with ``profile``, the first
    save alone with its time split into phases)."""
    chain = wl.CHAINS[chain_name]
    shell = new_shell(traced=True)
    run_cells(shell, ["import lineage"])
    build, failed = run_cells(shell, chain.cells(0, n))
    if failed:
        raise BenchError(f"the {chain_name} chain of {n} statements raised")
    # the modules the profile wraps are imported now in both kinds of run: their import (and
    # compilation, where no .pyc is written) would otherwise be in the timed save of one only
    targets = resolve(PROFILED)
    if profile:
        return {"statements": n, "build_seconds": build, **profiled_save(shell, chain, n, targets)}
    return {"statements": n, "build_seconds": build, **timed_saves(shell, chain, n)}


def timed_saves(shell: Any, chain: wl.Chain, n: int) -> dict[str, Any]:
    """Time the first save and ``.code``, measure what the session keeps, run more statements
    and time the second save."""
    import lineage
    from lineage.tracer import active_tracer

    session = active_tracer().session
    save = _save(shell, chain, n, "_artifact")
    t0 = time.perf_counter()
    code = lineage.get("chain").code
    code_s = time.perf_counter() - t0
    # the peak so far is the session's and the save's: deep_size's own bookkeeping (a set of
    # every object's id) comes after
    peak_rss = peak_rss_bytes()

    records = session.records[:-1]  # without the save cell
    records_bytes = deep_size(records)
    graph = session._graph
    if graph is None:
        raise BenchError("lineage.save built no session graph")
    # what the graph adds to the records: the nodes cut their texts from the records' cells and
    # name what the records name, and counted apart those strings would count twice
    graph_bytes = deep_size(records, session._stmts, graph.nodes, graph._state) - records_bytes

    run_cells(shell, chain.cells(n, wl.SECOND_SAVE_AFTER))
    save2 = _save(shell, chain, n + wl.SECOND_SAVE_AFTER, "_artifact2")
    t0 = time.perf_counter()
    code2 = lineage.get("chain").code
    code2_s = time.perf_counter() - t0

    return {
        "save_seconds": save,
        "code_seconds": code_s,
        "save2_seconds": save2,
        "code2_seconds": code2_s,
        "slice_statements": _count_statements(code),
        "slice2_statements": _count_statements(code2),
        "records_bytes": records_bytes,
        "graph_bytes": graph_bytes,
        **_store_bytes("chain", 1),
        "peak_rss": peak_rss,
    }


def _save(shell: Any, chain: wl.Chain, n: int, binding: str) -> float:
    """Seconds of the cell that saves the chain's value after ``n`` statements."""
    cell = f"{binding} = lineage.save({chain.last_value(n)}, 'chain')"
    seconds, failed = run_cells(shell, [cell])
    if failed:
        raise BenchError(f"{cell!r} raised")
    return seconds


def _count_statements(code: str) -> int:
    import ast

    return len(ast.parse(code).body)


# -- the profile of the first save -----------------------------------------------------------------
# phase -> the function whose own time it is (exclusive: less the time of the wrapped calls
# inside it). "graph" is Session.graph's loop feeding add_cell (and the graph's set-up); the
# runner counts it in "other", with the save cell's time outside every wrapped function.
PROFILED = (
    ("parse", "lineage.analysis.cells", "split_statements"),
    ("facts", "lineage.analysis.cells", "statement_facts"),  # the name cells.py calls
    ("replay", "lineage.graph", "SessionGraph.add_cell"),
    ("graph", "lineage.session", "Session.graph"),
    ("slice", "lineage.session", "Session.slice_value"),
    ("store", "lineage.store", "Store.save"),
)


Target = tuple[str, Any, str, Any]  # phase, the object holding the function, its name, it


def resolve(targets: tuple[tuple[str, str, str], ...]) -> list[Target]:
    """Each (phase, module, dotted path) found: its module imported, its function looked up."""
    return [(phase, *_owner(module, path)) for phase, module, path in targets]


class Profile:
    """Wraps functions with perf_counter accumulators, per phase (bench-only: each wrapper
    returns what the function returns and lets its exceptions through)."""

    def __init__(self, targets: list[Target]) -> None:
        self.targets = targets
        self.seconds = {phase: 0.0 for phase, *_ in targets}
        self.calls = {phase: 0 for phase, *_ in targets}
        self._inner = [0.0]  # per running wrapped call: time spent in wrapped calls inside it

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """The wrappers in place, the originals back on leaving."""
        for phase, owner, attr, original in self.targets:
            setattr(owner, attr, self.wrap(phase, original))
        try:
            yield
        finally:
            for _, owner, attr, original in self.targets:
                setattr(owner, attr, original)

    def wrap(self, phase: str, func: Callable[..., Any]) -> Callable[..., Any]:
        clock, inner, seconds, calls = time.perf_counter, self._inner, self.seconds, self.calls

        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            inner.append(0.0)
            t0 = clock()
            try:
                return func(*args, **kwargs)
            finally:
                elapsed = clock() - t0
                seconds[phase] += elapsed - inner.pop()
                inner[-1] += elapsed
                calls[phase] += 1

        return timed


def _owner(module: str, path: str) -> tuple[Any, str, Any]:
    """(object holding the attribute, its name, its value) for ``module`` and a dotted
    ``path``; a BenchError naming it when it is not there (lineage renamed it)."""
    import importlib

    try:
        owner: Any = importlib.import_module(module)
    except ImportError as e:
        raise BenchError(f"profile: no module {module} ({e}); update PROFILED") from e
    *parents, attr = path.split(".")
    for part in parents:
        owner = getattr(owner, part, None)
    if owner is None or not hasattr(owner, attr):
        raise BenchError(f"profile: {module}.{path} does not exist; update PROFILED")
    return owner, attr, getattr(owner, attr)


def wrapper_seconds_per_call(rounds: int = 20_000) -> float:
    """What one call through a Profile wrapper adds to a call (measured on a no-op)."""

    def noop() -> None:
        return None

    wrapped = Profile([("noop", None, "", noop)]).wrap("noop", noop)  # the same wrapper
    best = float("inf")
    for _ in range(5):  # the best of five: the least disturbed by other processes
        t0 = time.perf_counter()
        for _ in range(rounds):
            noop()
        bare = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(rounds):
            wrapped()
        best = min(best, (time.perf_counter() - t0 - bare) / rounds)
    return max(best, 0.0)


def profiled_save(shell: Any, chain: wl.Chain, n: int, targets: list[Target]) -> dict[str, Any]:
    """The first save with its time split into phases (its own run: the wrappers cost a little
    per call, which the unprofiled runs do not pay)."""
    import lineage

    profile = Profile(targets)
    with profile.installed():
        save = _save(shell, chain, n, "_artifact")
    code = lineage.get("chain").code
    calls = sum(profile.calls.values())
    return {
        "save_seconds": save,
        "phase_seconds": profile.seconds,
        "phase_calls": profile.calls,
        "wrapper_seconds": calls * wrapper_seconds_per_call(),
        "slice_statements": _count_statements(code),
    }


def _store_bytes(name: str, version: int) -> dict[str, int]:
    """Sizes of one artifact version's row (code, session code, metadata) and of the store."""
    from lineage.store import Store

    store = Store()
    with contextlib.closing(sqlite3.connect(store.db_path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        row = conn.execute(
            "SELECT length(CAST(code AS BLOB)), length(CAST(session_code AS BLOB)), "
            "length(CAST(meta AS BLOB)) FROM artifacts WHERE name = ? AND version = ?",
            (name, version),
        ).fetchone()
    home = Path(store.db_path).parent
    files = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
    return {
        "row_code_bytes": row[0],
        "row_session_code_bytes": row[1],
        "row_meta_bytes": row[2],
        "store_bytes": files,
    }


def leak(mode: str, quick: bool) -> dict[str, Any]:
    traced = mode == "traced"
    shell = new_shell(traced)
    cells, refs = wl.leak_cells(wl.sizes(quick).leak_elements, traced)
    _, failed = run_cells(shell, cells)
    alive = {name: shell.user_ns[name]() is not None for name in refs}
    out: dict[str, Any] = {"cells_raised": failed, "alive": alive, "cases": refs}
    if traced:
        from lineage.tracer import active_tracer

        out["capture_errors"] = [repr(e) for e in active_tracer().errors]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.child")
    parser.add_argument("task", choices=["overhead", "scale", "leak"])
    parser.add_argument("arg", nargs="?", default="")
    parser.add_argument("--mode", choices=["plain", "traced"], default="traced")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--hooks", action="store_true", help="time lineage's hooks (overhead)")
    parser.add_argument("--chain", choices=sorted(wl.CHAINS), default="sum", help="scale chain")
    parser.add_argument(
        "--profile", action="store_true", help="scale: split the first save's time into phases"
    )
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.task == "overhead":
        result = overhead(args.arg, args.mode, args.quick, args.hooks)
    elif args.task == "scale":
        result = scale(int(args.arg), args.chain, args.profile)
    else:
        result = leak(args.mode, args.quick)
    Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
