"""Graph records: the replay state's copy (a running cell is replayed on one) keeps every
field, apart from the original; markers are sentinels that say what they are."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from lineage._sentinel import Sentinel
from lineage.analysis import specs
from lineage.graph import effects, library
from lineage.graph.records import State


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
