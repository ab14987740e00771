"""What a session keeps between saves, kept small without changing what it says.

A record holds its cell's text once (the transformed cell is a marker when it is the raw cell
and a newline), the names the cell bound flat, and the graph's nodes cut their statements'
texts from the record's string instead of copying them. Each case runs real cells and checks
the readings against what the analysis computes from scratch: every node's text is the
statement's own, the transformed cell is IPython's, the observed names decode to what the
namespace held.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from lineage import tracer as tracer_mod
from lineage.analysis.cells import split_statements
from lineage.session import RAW_AND_NEWLINE
from lineage.slicer import runtime_names


@dataclass(frozen=True)
class Case:
    id: str
    cells: tuple[str, ...]
    shared: bool = True  # the nodes of the last cell cut their texts from its record's string


CASES = [
    Case("plain", ("a = 1\nb = a + 1",)),
    Case("two_on_a_line", ("a = 1; b = 2\nc = a + b",)),
    Case("text_also_in_a_comment", ("# x = 1 would do\nx = 1\ny = x",)),
    Case("text_also_in_a_string", ("s = 'x = 1'\nx = 1",)),
    Case("repeated_statement", ("x = 1\nx = 1\nx = x + 1",)),
    Case("multi_line", ("total = sum(\n    [1,\n     2]\n)\nt = total",)),
    Case("decorated", ("import functools\n@functools.cache\ndef f(x):\n    return x\nv = f(2)",)),
    Case("non_ascii", ("café = 'é'\nnaïve = café * 2",)),
    Case("indented_block", ("for i in range(2):\n    j = i\nif j:\n    k = j",)),
    Case("line_magic", ("%time y = 2\nz = y",), shared=False),
    Case("cell_magic", ("%%capture out\nw = 3",), shared=False),
    Case("rerun", ("q = 1", "q = 1", "r = q")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_kept_texts_are_the_statements(shell, case: Case) -> None:
    for cell in case.cells:
        assert shell.run_cell(cell, store_history=True).success
    session = tracer_mod.active_tracer().session
    graph = session.graph()
    for index, record in enumerate(session.records):
        source = session.source(record)
        expected = [s.text for s in split_statements(source, shell.transform_cell)]
        assert [n.text for n in graph.nodes if n.record == index] == expected
        if record.raw in case.cells:
            assert source == shell.transform_cell(record.raw)  # IPython's own transformed cell
    last = [n for n in graph.nodes if n.record == len(session.records) - 1]
    record = session.records[-1]
    # IPython < 8.22 hands over no transformed cell (None): the record keeps the raw one alone
    if case.shared:
        assert record.transformed in (RAW_AND_NEWLINE, None)
        assert all(n.source is record.raw for n in last if n.text)
    else:
        assert record.transformed != RAW_AND_NEWLINE


@pytest.mark.parametrize(
    "cell, names",
    [
        ("a = 1\nb = 'x'", {"a": "builtins.int", "b": "builtins.str"}),
        ("def f():\n    return 1\ng = f", {"f": "builtins.function", "g": "builtins.function"}),
        # an import binds a module, which needs no observing: the statement says what it is
        ("import math\nm = math", {"m": "builtins.module"}),
        ("a = 1\ndel a\nc = []", {"c": "builtins.list"}),  # a is gone at the cell's end
    ],
    ids=["values", "functions", "modules", "deleted"],
)
def test_observed_names_decode(shell, cell: str, names: dict[str, str]) -> None:
    assert shell.run_cell(cell, store_history=True).success
    record = tracer_mod.active_tracer().session.records[-1]
    observed = runtime_names(record.names)
    assert {n: r.type_name for n, r in observed.items()} == names
    for name, seen in observed.items():
        value = shell.user_ns[name]
        assert seen.obj_id == id(value)
        if seen.type_name == "builtins.function":
            code = value.__code__
            assert seen.func == (code.co_filename, code.co_firstlineno, code.co_name)
        else:
            assert seen.func is None
