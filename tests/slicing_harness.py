"""The harness the slicing tables share: run a case's cells in a real shell with lineage loaded,
save, check the slice's statements, then re-run the slice alone in a fresh interpreter in an
empty folder (``lineage.verify``) and compare the value with the saved one."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lineage
from lineage.verify import verify


@dataclass(frozen=True)
class Case:
    id: str
    cells: tuple[str, ...]
    target: str = ""  # expression to save in a final cell; empty when the cells save themselves
    must: tuple[str, ...] = ()  # whole top-level statements of the slice
    must_not: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)  # statement -> times it must appear
    inputs: dict[str, str] = field(default_factory=dict)  # files present before the session
    absent: tuple[str, ...] = ()  # substrings the code must not hold anywhere
    name: str = "art"  # the artifact to check


def stmts(code: str) -> list[str]:
    """The top-level statements of ``code``, as text."""
    tree = ast.parse(code)
    return [(ast.get_source_segment(code, n) or "").strip() for n in tree.body]


def check_slice(case: Case, shell: Any, tmp_path: Path, *, cells_may_fail: bool = False) -> str:
    """Run ``case`` and check its slice (statements, then the value it rebuilds); returns the
    slice's code. ``cells_may_fail``: the cells' own errors are part of the session."""
    for rel, text in case.inputs.items():
        Path(rel).write_text(text)
    for cell in case.cells:
        result = shell.run_cell(cell, store_history=True)
        if not cells_may_fail:
            result.raise_error()
    if case.target:
        shell.run_cell(
            f"import lineage\nlineage.save({case.target}, {case.name!r})", store_history=True
        ).raise_error()
    code = lineage.get(case.name).code
    assert "lineage" not in code, code
    assert "get_ipython" not in code, code
    for text in case.absent:
        assert text not in code, f"slice holds {text!r}:\n{code}"
    got = stmts(code)
    for s in case.must:
        assert s in got, f"slice lacks {s!r}:\n{code}"
    for s in case.must_not:
        assert s not in got, f"slice should not hold {s!r}:\n{code}"
    for s, n in case.counts.items():
        assert got.count(s) == n, f"{s!r} should appear {n} times:\n{code}"
    empty = tmp_path / "empty"
    empty.mkdir()
    for rel, text in case.inputs.items():
        (empty / rel).write_text(text)
    result = verify(case.name, cwd=empty)
    assert result.ok, f"{result.detail}\n--- slice ---\n{code}"
    return code
