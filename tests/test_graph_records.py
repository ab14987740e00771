"""Graph records: the replay state's copy (a running cell is replayed on one) keeps every
field, apart from the original; markers are sentinels that say what they are."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

import pytest

from lineage._sentinel import Sentinel
from lineage.analysis import specs
from lineage.graph import effects, library
from lineage.graph.records import State, union


@dataclass(frozen=True)
class Case:
    field: str
    value: object


def _sample(f: dataclasses.Field) -> object:
    """A non-default value for a field of State, by its annotation."""
    kind = str(f.type)
    if kind == "int":
        return 7
    if kind.startswith("set"):
        return {"file:/p"}
    if "set[int]" in kind:
        return {1: {2}}
    return {"k": (1,)}


CASES = [Case(field=f.name, value=_sample(f)) for f in dataclasses.fields(State)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.field)
def test_state_copy_keeps_each_field_apart(case: Case) -> None:
    state = State(**{case.field: case.value})
    copy = state.copy()
    assert getattr(copy, case.field) == case.value, f"State.copy drops {case.field}"
    if isinstance(case.value, (dict, set)):
        assert getattr(copy, case.field) is not getattr(state, case.field)


@pytest.mark.parametrize(
    ("marker", "name"),
    [(effects._NEW_OBJECT, "NEW_OBJECT"), (library._ABSENT, "ABSENT"), (specs.GIVEN, "GIVEN")],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_markers_are_sentinels_that_name_themselves(marker: object, name: str) -> None:
    assert isinstance(marker, Sentinel) and repr(marker) == f"<{name}>"


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ((), (), ()),
        ((), (3,), (3,)),
        ((1, 2), (), (1, 2)),
        ((1, 2), (5,), (1, 2, 5)),  # b newer than a: appended
        ((5, 9), (1, 2), (1, 2, 5, 9)),  # b older than a: prepended
        ((1, 5), (3,), (1, 3, 5)),  # interleaved
        ((1, 3), (3, 4), (1, 3, 4)),  # sharing an end: once
        ((1, 2, 3), (1, 2, 3), (1, 2, 3)),
        ((2,), (1, 2, 7), (1, 2, 7)),
    ],
)
def test_union_is_sorted_without_repeats(a: tuple, b: tuple, expected: tuple) -> None:
    assert union(a, b) == expected == tuple(sorted(set(a) | set(b)))


def test_union_matches_the_set_union_on_random_tuples() -> None:
    rng = random.Random(0)
    for _ in range(2_000):
        a = tuple(sorted(rng.sample(range(40), rng.randint(0, 8))))
        b = tuple(sorted(rng.sample(range(40), rng.randint(0, 8))))
        assert union(a, b) == tuple(sorted(set(a) | set(b))), (a, b)
