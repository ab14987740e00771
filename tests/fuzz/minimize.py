"""Shrink a failing session while it keeps failing the same way, and print it as a table Case.

First delta debugging over whole cells (ddmin: drop halves, then quarters, ...), then single
top-level statements within the remaining cells, one at a time until none can go. Every
round's candidates run as one batch (one plain and one traced child), so a round costs one
process start, not one per candidate."""

from __future__ import annotations

import ast
import dataclasses
import math
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from tests.fuzz.generator import Cell, Session, save_cell
from tests.fuzz.runner import HASHSEED_KIND, Failure, Outcome, failures, run_batch, slice_diffs

Cells = tuple[Cell, ...]
# the first call on ``random`` must seed it, or a shrunk session would draw unseeded numbers
_RANDOM_CALL = re.compile(r"\brandom\.(\w+)\(")


def needs_plain(kind: str) -> bool:
    return kind.startswith("capture-diff") or kind == "crash"


def seeded(cells: Cells) -> bool:
    first = _RANDOM_CALL.search("\n".join(c.text for c in cells))
    return first is None or first.group(1) == "seed"


def reproduces(
    session: Session, failure: Failure, hashseed: int, until: float
) -> Callable[[list[Cells]], int]:
    """A test over candidate cell lists: the index of the first that fails like ``failure``
    (-1 for none, and for every list once the clock passed ``until``).

    The first call must be on the whole session: the cells that raised there are the only ones
    allowed to raise in a candidate (a shrunk session where a cell fails for a new reason, such
    as a name no longer defined, is another program)."""
    save = [*failure.saved_before, failure.target] if failure.target else []
    raised: list[list[str]] = []

    def allowed(cells: Cells, statuses: list[dict[str, str]]) -> bool:
        for cell, status in zip(cells, statuses, strict=False):
            lines = cell.text.splitlines()
            if status["status"] != "ok" and not any(
                all(line in original for line in lines) for original in raised
            ):
                return False
        return True

    def first_failing(candidates: list[Cells]) -> int:
        if time.monotonic() > until:
            return -1
        valid = [i for i, cells in enumerate(candidates) if cells and seeded(cells)]
        if not valid:
            return -1
        batch = [session.with_cells(candidates[i], session.targets) for i in valid]
        outcomes = run_batch(
            batch, [save] * len(batch), plain=needs_plain(failure.kind), hashseed=hashseed
        )
        first = not raised
        for i, (plain, traced) in zip(valid, outcomes, strict=True):
            if first:
                raised.extend(
                    c.text.splitlines()
                    for c, st in zip(candidates[i], traced.cells, strict=False)
                    if st["status"] != "ok"
                )
                raised.append(["<the original session ran>"])
            elif not allowed(candidates[i], traced.cells):
                continue
            small = batch[valid.index(i)]
            got = failures(plain, traced) + again_once(small, save, traced, failure, hashseed)
            if any(f.kind == failure.kind and f.target == failure.target for f in got):
                return i
        return -1

    return first_failing


def ddmin(cells: Cells, test: Callable[[list[Cells]], int]) -> Cells:
    """Delta debugging over cells: the smallest list found that still fails."""
    n = 2
    while len(cells) >= 2:
        size = -(-len(cells) // n)
        chunks = [cells[i : i + size] for i in range(0, len(cells), size)]
        complements = [
            tuple(c for j, chunk in enumerate(chunks) if j != i for c in chunk)
            for i in range(len(chunks))
        ]
        candidates = (chunks if len(chunks) > 2 else []) + complements
        hit = test(candidates)
        if hit >= 0:
            is_chunk = len(chunks) > 2 and hit < len(chunks)
            cells = candidates[hit]
            n = 2 if is_chunk else max(n - 1, 2)
        elif n < len(cells):
            n = min(2 * n, len(cells))
        else:
            break
    return cells


def statements(text: str) -> list[str]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return [text]
    return [ast.get_source_segment(text, node) or "" for node in tree.body]


def drop_statements(cells: Cells, test: Callable[[list[Cells]], int]) -> Cells:
    """Remove single top-level statements while the failure stays."""
    while True:
        candidates: list[Cells] = []
        for i, cell in enumerate(cells):
            parts = statements(cell.text)
            if len(parts) < 2:
                continue
            for j in range(len(parts)):
                text = "\n".join(p for k, p in enumerate(parts) if k != j)
                candidates.append((*cells[:i], Cell(text, cell.family), *cells[i + 1 :]))
        if not candidates:
            return cells
        hit = test(candidates)
        if hit < 0:
            return cells
        cells = candidates[hit]


def minimize(
    session: Session, failure: Failure, hashseed: int = 0, until: float = math.inf
) -> tuple[Session, Failure, bool]:
    """The smallest session found (by ``until``) that fails like ``failure``, that failure as
    it shows there, and whether it reproduced at all (False: ``session`` comes back whole)."""
    test = reproduces(session, failure, hashseed, until)
    if test([session.cells]) < 0:  # flaky or dependent on the other saves: keep it whole
        return session, failure, False
    simpler = plainer(session, failure, hashseed, until)
    if simpler != session:
        session, test = simpler, reproduces(simpler, failure, hashseed, until)
        test([session.cells])  # the first call sets which cells may raise
    cells = drop_statements(ddmin(session.cells, test), test)
    small = session.with_cells(cells, (failure.target,) if failure.target else ())
    save = [*failure.saved_before, failure.target] if failure.target else []
    [(plain, traced)] = run_batch([small], [save], needs_plain(failure.kind), hashseed)
    for got in failures(plain, traced) + again_once(small, save, traced, failure, hashseed):
        if got.kind == failure.kind and got.target == failure.target:
            return small, got, True
    return small, failure, True


def plainer(session: Session, failure: Failure, hashseed: int, until: float) -> Session:
    """The session with plain save cells and a separate ``%load_ext`` cell, where it still
    fails the same way (so a reproducer names only the lineage calls it needs)."""
    changes: list[dict[str, Any]] = [{"save_style": "plain"}, {"load_in_first_cell": False}]
    for change in changes:
        variant = dataclasses.replace(session, **change)
        if variant == session:
            continue
        if reproduces(variant, failure, hashseed, until)([variant.cells]) == 0:
            session = variant
    return session


def again_once(
    small: Session, save: list[str], traced: Outcome, failure: Failure, hashseed: int
) -> list[Failure]:
    """For a hash-seed failure: how the slices differ in a second traced run, one seed later."""
    if failure.kind != HASHSEED_KIND:
        return []
    [(_, other)] = run_batch([small], [save], plain=False, hashseed=hashseed + 1)
    return slice_diffs(traced, other, (hashseed, hashseed + 1))


# -- printing ------------------------------------------------------------------------------------------
def case_id(failure: Failure, session: Session) -> str:
    kind = re.sub(r"\W+", "_", failure.kind.lower()).strip("_")
    fams = "_".join(sorted(session.families)) or "base"
    return f"fuzz_{kind}_{fams}_s{session.seed}"


def as_case(session: Session, failure: Failure) -> str:
    """A ready-to-paste ``Case(...)`` for tests/test_slicing.py (style: cells, target, inputs)."""
    cells = [c.text for c in session.cells]
    cells += [save_cell(session.save_style, n) for n in failure.saved_before]
    target = failure.target
    if target and (session.save_style != "plain" or failure.saved_before):
        cells.append(save_cell(session.save_style, target).replace(repr(target), "'art'"))
        target = ""
    lines = [f"    # {failure.kind}" + (f" (saving {failure.target})" if failure.target else "")]
    if session.load_in_first_cell:
        lines.append("    # the traced run opened the first cell with '%load_ext lineage'")
    lines += ["    Case(", f"        {case_id(failure, session)!r},", "        ("]
    lines += [f"            {c!r}," for c in cells]
    lines.append("        ),")
    if target:
        lines.append(f"        {target!r},")
    if session.inputs:
        lines.append(f"        inputs={session.inputs!r},")
    lines.append("    ),")
    return "\n".join(lines)


def describe(session: Session, failure: Failure) -> str:
    """The reproducer and what went wrong, for a report."""
    keep = 60 if failure.kind == HASHSEED_KIND else 12  # both slices, or a traceback's end
    detail = "\n".join(failure.detail.strip().splitlines()[-keep:])
    out = [as_case(session, failure), "", "what went wrong:", _indent(detail)]
    if failure.code:
        out += ["the slice:", _indent(failure.code.strip())]
    return "\n".join(out)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def key_of(failure: Failure, session: Session) -> str:
    return f"{failure.kind} [{', '.join(sorted(session.tags)) or 'base'}]"


def explained(
    failure: Failure, session: Session, known: Sequence[tuple[str, frozenset[str]]]
) -> bool:
    """True when an already minimised class of the same kind needs only families this
    session has (so minimising it again would most likely find the same class)."""
    return any(kind == failure.kind and fams <= session.tags for kind, fams in known)
