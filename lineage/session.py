"""A captured session: the cell records, and the lazily built graph that slices come from.

Analysis is deferred until a slice is needed and cached per cell source, so later saves reuse
the statements already parsed and the graph already built. The tracer imports this module when
the extension loads; the analysis, graph and slicer modules are imported on first use, so a
session pays for them (about 3 MB, and thousands of objects every full GC pass scans) only once
it saves.
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from lineage.analysis.cells import Stmt
    from lineage.analysis.facts import Summary
    from lineage.graph import RuntimeName, SessionGraph
    from lineage.slicer import SliceResult

# what the tracer saw the names a cell bound hold, four items each, flat (a tuple per name would
# double its memory): name, id, type name, function identity (file, line, name) or None
Observed = tuple[Any, ...]
# stands for a transformed cell that is the raw cell and a newline, the usual case, so that a
# record holds the cell's text once (no cell that runs holds a NUL: Python refuses to compile it)
RAW_AND_NEWLINE = "\0raw and newline"


def compact_transformed(raw: str, transformed: str | None) -> str | None:
    """What a record keeps of the transformed cell: :data:`RAW_AND_NEWLINE` when it is ``raw``
    and a newline (compared in place, not copied)."""
    if (
        transformed is not None
        and len(transformed) == len(raw) + 1
        and transformed.endswith("\n")
        and transformed.startswith(raw)
    ):
        return RAW_AND_NEWLINE
    return transformed


class CellRecord(NamedTuple):
    """One executed cell, as captured: flat strings and ints only (a named tuple: the tracer
    makes one per cell, and a tuple is the cheapest immutable record to build)."""

    execution_count: int | None
    raw: str
    # None when IPython did not hand it over (computed when analysed); RAW_AND_NEWLINE when it is
    # ``raw`` and a newline: read it with :meth:`transformed_cell`
    transformed: str | None
    cwd: str
    failed_at: tuple[int, int] | None  # (line, column) of the instruction that raised
    names: Observed
    # (line of a %time/%%capture magic, line and column in its body) where its code raised
    magic_failures: tuple[tuple[int, int, int], ...] = ()
    # what was raised, as (qualified type name, nearest builtin class): one per magic failure,
    # in order, then the cell's own exception when ``failed_at`` is set
    raised: tuple[tuple[str, str], ...] = ()

    def transformed_cell(self) -> str | None:
        """The transformed cell IPython handed over, None if it did not."""
        t = self.transformed
        return self.raw + "\n" if t == RAW_AND_NEWLINE else t


@dataclass(frozen=True, slots=True)
class RunningCell:
    """The cell that is executing while ``save`` is called, up to the statement on ``line``."""

    execution_count: int | None
    raw: str
    transformed: str | None
    cwd: str
    line: int
    names: Observed


class Session:
    def __init__(
        self,
        transform: Callable[[str], str],
        code_name: Callable[[CellRecord], str | None] | None = None,
    ) -> None:
        self.id = os.urandom(16).hex()
        self.records: list[CellRecord] = []  # the tracer appends to it; never rebound
        self._transform = transform
        self._code_name = code_name or (lambda record: None)
        self._stmts: dict[str, tuple[Stmt, ...]] = {}
        self._transformed: dict[str, str] = {}
        self._graph: SessionGraph | None = None
        self._built = 0
        self._by_code_name: dict[str, int] = {}
        # (cell, line of the running statement, artifact) -> saves of it made there so far
        self._saves: dict[tuple[int, int, str], int] = {}
        # hidden state the shell resets when each cell ends (lineage.backends), as of the last save
        self.cell_end_resets: tuple[Any, ...] = ()

    # -- analysis, cached per cell source -----------------------------------------------------------
    def source(self, cell: CellRecord | RunningCell) -> str:
        """The cell's source as IPython ran it (magics turned into Python calls)."""
        transformed = cell.transformed_cell() if isinstance(cell, CellRecord) else cell.transformed
        if transformed is not None:
            return transformed
        text = self._transformed.get(cell.raw)
        if text is None:
            text = self._transformed[cell.raw] = self._transform(cell.raw)
        return text

    def statements(self, transformed: str) -> tuple[Stmt, ...]:
        stmts = self._stmts.get(transformed)
        if stmts is None:
            from lineage.analysis.cells import split_statements

            stmts = split_statements(transformed, self._transform)
            self._stmts[transformed] = stmts
        return stmts

    def graph(self) -> SessionGraph:
        from lineage.analysis.cells import executed

        if self._graph is not None and self._graph.cell_end_resets != self.cell_end_resets:
            self._graph, self._built = None, 0  # the backend changed: replay every cell again
        if self._graph is None:
            from lineage.analysis.specs import imported_specs
            from lineage.graph import SessionGraph

            self._graph = SessionGraph(imported_specs(), resolve_func=self._resolve_func)
            self._graph.cell_end_resets = self.cell_end_resets
        graph = self._graph
        graph.load_imported_specs()
        # the graph holds what later saves need: a cell's statements are dropped once the last
        # run of its source in this batch is replayed (parsed again only to rebuild the graph
        # from scratch or to find a function's summary, _resolve_func), so a save holds one
        # cell's analysis at a time, not the session's
        runs_left = Counter(self.source(r) for r in self.records[self._built :])
        while self._built < len(self.records):
            index = self._built
            record = self.records[index]
            source = self.source(record)
            stmts = executed(
                self.statements(source), record.failed_at, record.magic_failures, record.raised
            )
            graph.add_cell(
                index,
                record.execution_count,
                stmts,
                _runtime(record.names),
                record.cwd,
                cell_text=_kept_text(record),
            )
            self._built += 1
            runs_left[source] -= 1
            if not runs_left[source]:
                self._stmts.pop(source, None)
        self._stmts.clear()
        return graph

    def _resolve_func(self, key: tuple[str, int, str]) -> Summary | None:
        """The summary of the function whose code object was compiled from (file, line, name)."""
        filename, firstlineno, name = key
        if not self._by_code_name or filename not in self._by_code_name:
            for i, record in enumerate(self.records):
                code_name = self._code_name(record)
                if code_name is not None:
                    self._by_code_name.setdefault(code_name, i)
        index = self._by_code_name.get(filename)
        if index is None:
            return None
        best: Summary | None = None
        record = self.records[index]
        for summary, enclosing in _all_summaries(self.statements(self.source(record))):
            if summary.name != name or summary.lineno < firstlineno:
                continue
            if best is None or summary.lineno < best.lineno:
                best = dataclasses.replace(
                    summary, reads=summary.reads - enclosing, closure=enclosing - summary.locals
                )
        return best

    # -- slicing ------------------------------------------------------------------------------------
    def slice_value(
        self,
        value: Any,
        cell: RunningCell | None,
        user_ns: dict[str, Any],
        name: str = "",
        direct: bool = True,
        column: int = 0,
        in_magic: tuple[int, int] | None = None,
    ) -> SliceResult:
        """The minimal code that rebuilds ``value`` as saved from ``cell``'s running statement
        (:class:`lineage.slicer.Slicer` does the slicing; the session holds the records).

        ``direct``: save was called by the top-level code itself, not by a function, lambda or
        comprehension it ran."""
        from lineage.slicer import SaveCall, Slicer
        from lineage.store import Store

        slicer = Slicer(
            graph=self.graph(),
            cell_index=len(self.records),
            statements=self.statements,
            stored=lambda artifact, version: Store().get(artifact, version),
            saves=self._saves,
        )
        call = SaveCall(
            value=value,
            name=name,
            user_ns=user_ns,
            direct=direct,
            column=column,
            in_magic=in_magic,
        )
        if cell is None:
            return slicer.slice_value(call, None, ())
        return slicer.slice_value(call, cell, self.statements(self.source(cell)))

    def session_code(self, cell: RunningCell | None = None) -> str:
        parts = [_cell_text(r.execution_count, r.raw) for r in self.records]
        if cell is not None:
            parts.append(_cell_text(cell.execution_count, cell.raw))
        return "\n".join(parts)


def _cell_text(count: int | None, raw: str) -> str:
    return f"# In[{count if count is not None else ' '}]:\n{raw.rstrip()}\n"


def _kept_text(record: CellRecord) -> str:
    """The text of the cell that the record keeps: its transformed cell when it holds one of its
    own, else the raw cell (the transformed one is that and a newline)."""
    t = record.transformed
    return record.raw if t is None or t == RAW_AND_NEWLINE else t


def _runtime(names: Observed) -> dict[str, RuntimeName]:
    from lineage.slicer import runtime_names

    return runtime_names(names)


def _all_summaries(stmts: tuple[Stmt, ...]) -> Iterator[tuple[Summary, frozenset[str]]]:
    """Every function summary defined in a cell, with the locals of its enclosing functions."""

    def walk(
        summary: Summary, enclosing: frozenset[str]
    ) -> Iterator[tuple[Summary, frozenset[str]]]:
        yield summary, enclosing
        inner = enclosing | (summary.locals if not summary.is_class else frozenset())
        for nested in summary.nested:
            yield from walk(nested, inner)

    for stmt in stmts:
        for summary in stmt.facts.defs.values():
            yield from walk(summary, frozenset())
        for summary in stmt.facts.inline_funcs:
            yield from walk(summary, frozenset())
