"""The visitor's fast paths give the facts its generic walk gives.

``lineage.analysis.visitor`` visits the commonest expression nodes (``BinOp``, ``Attribute``,
f-strings, tuples, ...) directly instead of through ``generic_visit``, and a comprehension
walks itself for walrus targets only when a walrus or a lambda was visited inside it. Both are
for speed only: here a reference visitor with neither (every node through ``generic_visit`` as
``ast.NodeVisitor`` would, every comprehension walked) must give equal facts for every
statement of a corpus: the example notebooks, the slicing tables' cells and fuzzer sessions.
"""

from __future__ import annotations

import ast
import importlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage.analysis import visitor
from lineage.analysis.facts import statement_facts
from tests.fuzz.generator import generate

ROOT = Path(__file__).resolve().parents[1]
# the visit_ methods that only stand in for generic_visit
FAST = {
    "visit_BinOp", "visit_UnaryOp", "visit_Attribute", "visit_keyword", "visit_JoinedStr",
    "visit_FormattedValue", "visit_Tuple", "visit_List", "visit_Set", "visit_Expr",
}  # fmt: skip
TABLES = (
    "test_slicing", "test_slicing_state", "test_slicing_objects", "test_slicing_failures",
    "test_slicing_datascience", "test_slicing_matplotlib", "test_slicing_saveapi",
    "test_slicing_fuzz", "test_specs_coverage",
)  # fmt: skip
FUZZ_SEEDS = range(300)
# shapes the corpus may lack: walrus targets in comprehensions leak out, those in a lambda do not
EXTRA = (
    "ys = [y for x in xs if (y := f(x))]",
    "total = sum((acc := acc + v) for v in vals)",
    "fs = [lambda: (z := 1) for _ in range(3)]",
    "out = {k: (last := v) for k, v in d.items()}",
    "grid = [[(w := i * j) for j in range(3)] for i in range(3)]",
    "s = {(m := x) for x in xs}; t = m",
    "print(f'{a.b:>{width}}', *rest, sep=-x, **opts)",
)


class _Reference(visitor._Visitor):
    """Every node through generic_visit but those with their own meaning; every comprehension
    walked for walrus targets (the counter changes at every node)."""

    def visit(self, node: ast.AST) -> None:
        self.s.walrus_or_lambda += 1
        t = type(node)
        if t is ast.Constant:
            return
        name = "visit_" + t.__name__
        method = getattr(self, name, None) if name not in FAST else None
        (method or self.generic_visit)(node)


def _cells() -> Iterator[str]:
    for path in sorted((ROOT / "examples" / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                yield "".join(cell["source"])
    for table in TABLES:
        for case in importlib.import_module(f"tests.{table}").CASES:
            yield from case.cells
    for seed in FUZZ_SEEDS:
        yield from (cell.text for cell in generate(seed).cells)
    yield from EXTRA


def _statements() -> list[ast.stmt]:
    out = []
    for cell in _cells():
        try:
            tree = ast.parse(cell)
        except SyntaxError:  # magics: IPython turns them into calls first
            continue
        out.extend(tree.body)
    return out


def test_the_fast_visits_stand_for_generic_visit_only() -> None:
    for name in FAST:
        assert hasattr(visitor._Visitor, name), f"{name} is gone: update FAST"


def test_fast_paths_give_the_reference_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    statements = _statements()
    assert len(statements) > 3000, len(statements)
    fast = [statement_facts(node) for node in statements]
    monkeypatch.setattr(visitor, "_Visitor", _Reference)
    reference = [statement_facts(node) for node in statements]
    differ = [
        ast.unparse(node) for node, a, b in zip(statements, fast, reference, strict=True) if a != b
    ]
    assert not differ, f"{len(differ)} statements differ, e.g. {differ[:3]}"
