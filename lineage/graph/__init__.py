"""The session graph: one node per executed statement, edges to the statements it depends on.

The builder replays the captured history in execution order, combining each statement's static
facts with what was observed at run time (object identities and types at the end of each cell)
and with the library specs. It keeps, for every name, the statements that last bound it and the
*location* (object) it holds; for every location and pseudo-location (``state:random``,
``file:/abs/path``), the statements that last wrote it. A statement depends on the binders and
last writers of everything it reads or changes. Those dependencies are the graph's edges; a
slice is a backward closure over them (see :mod:`lineage.slicer`).

Building is incremental: complete cells are appended once; the statements of the cell that is
still running when ``save`` is called are replayed on a copy of the state.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from lineage.analysis.cells import Stmt
from lineage.analysis.own_calls import lineage_objects
from lineage.analysis.specs import Specs
from lineage.graph.records import (
    CellEndReset,
    Deps,
    Node,
    NodeId,
    RuntimeName,
    State,
    StatementEffects,
    Traits,
)
from lineage.graph.replay import Replay

__all__ = ["CellEndReset", "Deps", "Node", "NodeId", "RuntimeName", "SessionGraph"]


class SessionGraph:
    """Replays statements into dependency edges. ``resolve_func`` maps a run-time function
    identity (co_filename, co_firstlineno, co_name) to its summary, when it can be found."""

    def __init__(self, specs: Specs, resolve_func=None) -> None:
        self.specs = specs
        self._immutable: dict[str, bool] = {}
        self.nodes: list[Node] = []
        self._state = State()
        self._resolve_func = resolve_func or (lambda key: None)
        # id -> dotted path of lineage's modules and functions: names holding them are lineage
        self.lineage_ids = lineage_objects()
        # hidden state the shell resets when a cell ends (set before the first cell is added)
        self.cell_end_resets: tuple[CellEndReset, ...] = ()
        # one tuple per distinct list of hidden states, modules or changed names the nodes
        # name (``("attrs:math",)`` for each ``math.sqrt(x)`` statement would be a tuple and a
        # string each)
        self.shared_names: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.shared_traits: dict[Traits, Traits] = {}  # likewise, Node.traits

    # -- public -------------------------------------------------------------------------------------
    def add_cell(
        self,
        cell: int,
        execution_count: int | None,
        stmts: Iterable[Stmt],
        runtime: dict[str, RuntimeName],
        cwd: str,
        cell_text: str = "",
    ) -> None:
        """Append the executed statements of a complete cell. ``cwd`` is the folder the cell
        started in, "" when unknown (removed): relative paths then stand for any file.
        ``cell_text``: the cell's source as the session keeps it, which the nodes' texts are
        cut from rather than copied."""
        Replay(
            self, self._state, self.nodes, cell, execution_count, cwd or None, cell_text=cell_text
        ).run(list(stmts), runtime)

    def read_deps(self, name: str, state: State | None = None) -> Deps:
        """Statements a read of ``name`` depends on, at the current end of the history."""
        st = state or self._state
        eff = StatementEffects()
        Replay(self, st, self.nodes, -1, None, "/").read(name, eff)
        return tuple(sorted(eff.deps))

    def preview(
        self,
        cell: int,
        execution_count: int | None,
        stmts: Iterable[Stmt],
        runtime: dict[str, RuntimeName],
        cwd: str,
        state: State | None = None,
    ) -> tuple[list[Node], State]:
        """Replay a running cell's executed prefix without changing the graph (from ``state``,
        a state an earlier preview returned, when given)."""
        state = (state or self._state).copy()
        extra: list[Node] = []
        Replay(self, state, extra, cell, execution_count, cwd or None, base=len(self.nodes)).run(
            list(stmts), runtime
        )
        return extra, state

    def load_imported_specs(self) -> None:
        """Merge the specs of the libraries imported since the last replay (before replaying
        more statements: no object of a library exists before it is imported)."""
        if self.specs.load_imported(sys.modules):
            self._immutable.clear()

    def is_immutable(self, type_name: str) -> bool:
        known = self._immutable.get(type_name)
        if known is None:
            known = self._immutable[type_name] = self.specs.is_immutable(type_name)
        return known
