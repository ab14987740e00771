"""``python -m tests.fuzz --seconds 600 --seed 1``: generate, run, minimise, report.

The first part of the time (``--explore``, 60 % by default) runs batches of random sessions;
the rest minimises one failing session per failure class, round-robin over the kinds of
failure, and prints each as a ready-to-paste table Case. A class is a kind of failure
(``wrong-value``, ``slice-raised:NameError``, ``capture-diff:stdout``, ``internal-error:...``)
and the construct families its minimised reproducer still needs."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.fuzz import minimize as mz
from tests.fuzz.generator import FAMILIES, Session, generate
from tests.fuzz.runner import Failure, failures, run_batch, slice_diffs


@dataclass
class Found:
    session: Session
    failure: Failure
    hashseed: int


@dataclass
class Campaign:
    sessions: int = 0
    slices: int = 0
    found: list[Found] = field(default_factory=list)
    classes: dict[str, tuple[Session, Failure, bool]] = field(default_factory=dict)
    seconds: float = 0.0


def explore(seed: int, until: float, families: tuple[str, ...], batch: int, c: Campaign) -> None:
    k = 0
    while time.monotonic() < until or c.sessions == 0:
        hashseed = (seed * 7919 + k) % 4_000_000_000
        sessions = [generate(seed * 1_000_000 + k * batch + i, families) for i in range(batch)]
        k += 1
        runs = run_batch(sessions, hashseed=hashseed)
        # every third batch, the traced run again under the next hash seed (item 11)
        seconds = run_batch(sessions, plain=False, hashseed=hashseed + 1) if k % 3 == 0 else []
        for i, (session, (plain, traced)) in enumerate(zip(sessions, runs, strict=True)):
            c.sessions += 1
            c.slices += sum(s["outcome"] != "unpicklable" for s in traced.saves)
            found = failures(plain, traced)
            if seconds:
                found += slice_diffs(traced, seconds[i][1], (hashseed, hashseed + 1))
            c.found += [Found(session, f, hashseed) for f in found]
        print(f"  {c.sessions} sessions, {len(c.found)} failures", file=sys.stderr)


def shrink(until: float, c: Campaign) -> None:
    known: list[tuple[str, frozenset[str]]] = []
    by_kind: dict[str, list[Found]] = {}
    for f in sorted(c.found, key=lambda f: sum(len(x.text) for x in f.session.cells)):
        by_kind.setdefault(f.failure.kind, []).append(f)
    while by_kind and time.monotonic() < until:
        for kind in list(by_kind):
            queue = by_kind[kind]
            while queue and mz.explained(queue[0].failure, queue[0].session, known):
                queue.pop(0)
            if not queue:
                del by_kind[kind]
                continue
            item = queue.pop(0)
            small, failure, ok = mz.minimize(item.session, item.failure, item.hashseed, until)
            known.append((failure.kind, small.tags))
            c.classes.setdefault(mz.key_of(failure, small), (small, failure, ok))
            print(f"  minimised {mz.key_of(failure, small)}", file=sys.stderr)
            if time.monotonic() >= until:
                break


def report(c: Campaign, seed: int) -> str:
    kinds = Counter(f.failure.kind for f in c.found)
    lines = [
        f"# fuzz run: seed {seed}, {c.sessions} sessions, {c.slices} slices, {c.seconds:.0f} s",
        "",
        "failures by kind: " + (", ".join(f"{k} x{n}" for k, n in kinds.most_common()) or "none"),
        "",
    ]
    for key, (session, failure, ok) in sorted(c.classes.items()):
        note = "" if ok else " (did not reproduce alone: shown unminimised)"
        lines += [f"## {key}{note}", "", "```python", mz.describe(session, failure), "```", ""]
    unminimised = set(kinds) - {failure.kind for _, failure, _ in c.classes.values()}
    for kind in sorted(unminimised):
        item = next(f for f in c.found if f.failure.kind == kind)
        lines += [f"## {kind} (not minimised: out of time)", "", "```python"]
        lines += [mz.describe(item.session, item.failure), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    p.add_argument("--seconds", type=float, default=120)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batch", type=int, default=8, help="sessions per child process")
    p.add_argument("--explore", type=float, default=0.6, help="share of the time spent exploring")
    p.add_argument("--families", default=",".join(FAMILIES), help="comma-separated")
    p.add_argument("--report", type=Path, help="also write the report to this file")
    args = p.parse_args(argv)
    families = tuple(f for f in args.families.split(",") if f)
    unknown = set(families) - set(FAMILIES)
    if unknown:
        p.error(f"unknown families {sorted(unknown)}; choose among {', '.join(FAMILIES)}")
    start = time.monotonic()
    c = Campaign()
    explore(args.seed, start + args.seconds * args.explore, families, args.batch, c)
    shrink(start + args.seconds, c)
    c.seconds = time.monotonic() - start
    text = report(c, args.seed)
    print(text)
    if args.report:
        args.report.write_text(text)
    return 1 if c.found else 0


if __name__ == "__main__":
    sys.exit(main())
