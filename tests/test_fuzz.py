"""A fixed-seed run of the differential fuzzer (tests/fuzz), one test per construct family.

Each test generates ``SESSIONS`` sessions from the base cells and one family, runs them plain
and traced in fresh processes, compares the runs, saves 3-5 variables per session and re-runs
each slice alone. A failure prints the (unminimised) sessions as table Cases; shrink one with
``python -m tests.fuzz --families FAMILY --seed ...`` or ``make fuzz``.

Every family must pass: a failure is a regression (``make fuzz`` with the seed prints a minimised
reproducer to add as a table case). The family names come from ``tests.fuzz.generator.FAMILIES``,
the one list the fuzzer and this file share."""

from __future__ import annotations

import pytest

from tests.fuzz.generator import FAMILIES, generate
from tests.fuzz.minimize import describe
from tests.fuzz.runner import check

SEED = 10
SESSIONS = 15  # per family: 13 families, about 120 s of CPU, about 60 s on an idle 2-core machine
STEPS = 3  # family draws per session, after the base cells


@pytest.mark.parametrize("family", FAMILIES)
def test_family(family: str) -> None:
    base = SEED * 100_000 + FAMILIES.index(family) * 1_000
    sessions = [generate(base + i, (family,), steps=STEPS) for i in range(SESSIONS)]
    found = check(sessions, hashseed=SEED)
    problems = [
        describe(session, failure)
        for session, fails in zip(sessions, found, strict=True)
        for failure in fails
    ]
    assert not problems, f"{len(problems)} failures:\n\n" + "\n\n".join(problems[:5])
