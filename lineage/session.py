"""A captured session: the cell records, and the lazily built graph that slices come from.

Analysis is deferred until a slice is needed and cached per cell source, so later saves reuse
the statements already parsed and the graph already built. The tracer imports this module when
the extension loads; the analysis, graph and slicer modules are imported on first use, so a
session pays for them (about 3 MB, and thousands of objects every full GC pass scans) only once
it saves.
"""

from __future__ import annotations

import ast
import dataclasses
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from lineage.errors import SliceError

if TYPE_CHECKING:
    from lineage.analysis.cells import Stmt
    from lineage.analysis.facts import Summary
    from lineage.graph import Node, NodeId, RuntimeName, SessionGraph

Observed = tuple[tuple[Any, ...], ...]  # (name, id, type name, function identity or None)


class CellRecord(NamedTuple):
    """One executed cell, as captured: flat strings and ints only (a named tuple: the tracer
    makes one per cell, and a tuple is the cheapest immutable record to build)."""

    execution_count: int | None
    raw: str
    transformed: str | None  # None when IPython did not hand it over: computed when analysed
    cwd: str
    failed_at: tuple[int, int] | None  # (line, column) of the instruction that raised
    names: Observed
    # (line of a %time/%%capture magic, line and column in its body) where its code raised
    magic_failures: tuple[tuple[int, int, int], ...] = ()
    # what was raised, as (qualified type name, nearest builtin class): one per magic failure,
    # in order, then the cell's own exception when ``failed_at`` is set
    raised: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class RunningCell:
    """The cell that is executing while ``save`` is called, up to the statement on ``line``."""

    execution_count: int | None
    raw: str
    transformed: str | None
    cwd: str
    line: int
    names: Observed


@dataclass(frozen=True)
class SliceResult:
    code: str
    target: str  # the variable that holds the artifact at the end of ``code``
    nodes: tuple[Node, ...]  # the statements of the slice, in execution order
    target_statement: str = ""  # ``target = <expr>`` ending ``code`` when an expression was saved
    stop: bool = False  # the statements show save calls as stops (lineage.save_point)
    rebuilders: str = ""  # functions recomputing artifacts the slice reads back (get_value)
    stopped_at: int | None = None  # the running statement stopped at the save (stop slices)


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
        if cell.transformed is not None:
            return cell.transformed
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
        while self._built < len(self.records):
            index = self._built
            record = self.records[index]
            stmts = executed(
                self.statements(self.source(record)),
                record.failed_at,
                record.magic_failures,
                record.raised,
            )
            graph.add_cell(index, record.execution_count, stmts, _runtime(record.names), record.cwd)
            self._built += 1
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

    # -- slicing -------------------------------------------------------------------------------------
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
        """The minimal code that rebuilds ``value`` as saved from ``cell``'s running statement.

        ``direct``: save was called by the top-level code itself, not by a function, lambda or
        comprehension it ran."""
        graph = self.graph()
        nodes: dict[NodeId, Node] = {n.id: n for n in graph.nodes}
        if cell is None:  # not inside a captured cell: a variable holding the value
            return self._slice_direct(graph, nodes, None, None, value, user_ns)
        stmts = self.statements(self.source(cell))
        if column < 0:  # Python 3.10 reports no column
            column = _saving_column(stmts, cell.line, name)
        before, save_stmt = _running(stmts, cell.line, column, in_magic)
        if save_stmt is not None and (not direct or not _plain_save(save_stmt.text, user_ns)):
            return self._slice_stopped(graph, cell, before, save_stmt, name)
        extra, state = graph.preview(
            len(self.records), cell.execution_count, before, _runtime(cell.names), cell.cwd
        )
        nodes.update((n.id, n) for n in extra)
        return self._slice_direct(graph, nodes, state, save_stmt, value, user_ns)

    def _slice_direct(
        self,
        graph: SessionGraph,
        nodes: dict[NodeId, Node],
        state: Any,
        save_stmt: Stmt | None,
        value: Any,
        user_ns: dict[str, Any],
    ) -> SliceResult:
        """save called by a simple top-level statement: the slice of what it passed."""
        from lineage.analysis.facts import statement_facts
        from lineage.slicer import backward_slice, identifier, render

        name, expr = _save_target(save_stmt, value, user_ns)
        if name is None and expr is None:
            name = _name_holding(value, user_ns, graph, state)
        if name is not None:
            roots = graph.read_deps(name, state)
            ids = backward_slice(nodes, roots)
            defs = _rebuilders(nodes, ids)
            code = render(nodes, ids, prelude=defs)
            return SliceResult(code, name, tuple(nodes[i] for i in ids), rebuilders=defs)
        if expr is None and save_stmt is None:
            raise SliceError(
                "cannot tell which code produced this value: save was called outside the "
                "code of a cell lineage captured (from the cell that loaded the extension, a "
                "thread or a callback), and no variable the session bound holds it; bind it to "
                "a variable in a cell, e.g. `model = ...`, then `lineage.save(model, 'model')`"
            )
        if expr is None:
            raise SliceError(
                "cannot tell which code produced this value: the save call's first argument "
                "is neither a variable nor an expression lineage found in the statement that "
                "called it; save a variable that holds it, e.g. `model = ...` then "
                "`lineage.save(model, 'model')`"
            )
        target = identifier(expr[1])
        probe = ast.parse(f"{target} = ({expr[0]})").body[0]
        facts = statement_facts(probe)
        roots_set: set[NodeId] = set()
        for read in facts.reads:
            roots_set.update(graph.read_deps(read, state))
        ids = backward_slice(nodes, roots_set)
        line = f"{target} = {expr[0]}"
        defs = _rebuilders(nodes, ids)
        code = render(nodes, ids, target=line, prelude=defs)
        return SliceResult(code, target, tuple(nodes[i] for i in ids), line, rebuilders=defs)

    def _slice_stopped(
        self,
        graph: SessionGraph,
        cell: RunningCell,
        before: tuple[Stmt, ...],
        stmt: Stmt,
        name: str,
    ) -> SliceResult:
        """save called inside a running top-level statement (a block, or a function it called):
        the statement's dependencies, then the statement itself stopped at that save call
        (:mod:`lineage.save_point`)."""
        from lineage.save_point import SAVE_HELPER, stopped, unguarded
        from lineage.slicer import backward_slice, identifier, render, statement_text

        extra, _ = graph.preview(
            len(self.records), cell.execution_count, (*before, stmt), _runtime(cell.names), cell.cwd
        )
        running = extra[-1]
        nodes: dict[NodeId, Node] = {n.id: n for n in graph.nodes}
        nodes.update((n.id, n) for n in extra[:-1])
        ids = backward_slice(nodes, running.deps)
        key = (len(self.records), stmt.line, name)
        earlier = self._saves.get(key, 0)
        self._saves[key] = earlier + 1
        target = identifier(name or "artifact")
        text = statement_text(dataclasses.replace(running, lineage=_own_names(running)), stop=True)
        block = stopped(unguarded(text), name, earlier, target)
        defs = _rebuilders(nodes, [*ids, running.id], {running.id: running})
        prelude = "\n".join(filter(None, [defs, SAVE_HELPER]))
        code = render(nodes, ids, target=block, stop=True, prelude=prelude)
        return SliceResult(
            code,
            target,
            tuple(nodes[i] for i in ids),
            block,
            stop=True,
            rebuilders=defs,
            stopped_at=running.id,
        )

    def session_code(self, cell: RunningCell | None = None) -> str:
        parts = [_cell_text(r.execution_count, r.raw) for r in self.records]
        if cell is not None:
            parts.append(_cell_text(cell.execution_count, cell.raw))
        return "\n".join(parts)


def _cell_text(count: int | None, raw: str) -> str:
    return f"# In[{count if count is not None else ' '}]:\n{raw.rstrip()}\n"


def _runtime(names: Observed) -> dict[str, RuntimeName]:
    from lineage.graph import RuntimeName

    return {n[0]: RuntimeName(n[1], n[2], n[3]) for n in names}


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


def _plain_save(text: str, user_ns: dict[str, Any]) -> bool:
    """The statement is a save call (``lineage.save(x, "x")``, ``art = lg.save(...)``): nothing
    in it runs after the save, and what runs before is its arguments."""
    from lineage.analysis.expressions import dotted

    try:
        body = ast.parse(text).body
    except SyntaxError:
        return False
    node = body[0] if len(body) == 1 else None
    if not isinstance(node, (ast.Expr, ast.Assign)) or not isinstance(node.value, ast.Call):
        return False
    func = node.value.func
    return (dotted(func) or ("",))[-1] == "save" or _calls_save(func, user_ns)


def _rebuilders(
    nodes: dict[NodeId, Node], ids: list[NodeId], more: dict[NodeId, Node] | None = None
) -> str:
    """Functions recomputing the artifacts the slice reads back with ``get_value()``: a slice
    never loads stored values, so each runs the stored code of that artifact (the version
    that is the latest now, or the one named) in its own scope and returns its value."""
    from lineage.analysis.own_calls import artifact_reads, rebuilder
    from lineage.save_point import indent
    from lineage.store import Store

    reads: dict[tuple[str, int | None], None] = {}
    for nid in ids:
        node = nodes.get(nid) or (more or {})[nid]
        if node.lineage:
            reads.update(dict.fromkeys(artifact_reads(node.text, dict(node.lineage))))
    defs = []
    for name, version in reads:
        record = Store().get(name, version)
        target = str(record.meta.get("target", ""))
        if not record.code.strip() or not target:
            raise SliceError(
                f"the session read artifact {name!r} back with get_value(), and its stored "
                "code does not rebuild it; save the value from code lineage captured, or "
                "read it from a file the slice can open"
            )
        defs.append(
            f"def {rebuilder(name, version)}():\n"
            f'    """Recomputes artifact {name!r} (version {record.version}), which the session '
            'read back."""\n'
            f"{indent(record.code)}\n"
            f"    return {target}\n"
        )
    return "\n\n".join(defs)


def _running(
    stmts: tuple[Stmt, ...], line: int, column: int, in_magic: tuple[int, int] | None
) -> tuple[tuple[Stmt, ...], Stmt | None]:
    """The statements of the running cell that ran before the one running at (line, column),
    and that one; ``in_magic``: the position inside the code a magic on that line runs."""
    if any(s.body_line and s.line == line for s in stmts):  # %time, %%time, %%capture
        at = in_magic or (0, 0)
        before = tuple(s for s in stmts if s.line < line or (s.line == line and s.body_end <= at))
        rest = [s for s in stmts if s.line == line and s.body_end > at]
        return before, rest[0] if rest else None
    at = (line, column)
    before = tuple(s for s in stmts if s.end <= at and s.line <= line)
    return before, next((s for s in stmts if s.line <= line and s.end > at), None)


def _saving_column(stmts: tuple[Stmt, ...], line: int, name: str) -> int:
    """Where the statement that saves ``name`` starts on ``line``, of those sharing it
    (``import lineage; lineage.save(x, "x")``): the first one whose text calls a save of that
    name, else the first one."""
    on_line = [s for s in stmts if s.line <= line <= s.end[0] and not s.body_line]
    found = [s for s in on_line if "save" in s.text and name in s.text] or on_line
    return found[0].col if found and found[0].line == line else 0


def _own_names(node: Node) -> tuple[tuple[str, str], ...]:
    """The lineage names a running statement sees: those it was replayed with, or ``lineage``."""
    return node.lineage or (("lineage", "lineage"),)


def _save_target(
    stmt: Stmt | None, value: Any, user_ns: dict[str, Any]
) -> tuple[str | None, tuple[str, str] | None]:
    """From the statement calling ``save``: the variable saved, or (expression source, name)."""
    from lineage.analysis.expressions import dotted

    if stmt is None:
        return None, None
    try:
        tree = ast.parse(stmt.text)
    except SyntaxError:
        return None, None
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and n.args
        and ((dotted(n.func) or ("",))[-1] == "save" or _calls_save(n.func, user_ns))
    ]
    for call in calls:
        arg = call.args[0]
        if isinstance(arg, ast.Name) and user_ns.get(arg.id, _MISSING) is value:
            return arg.id, None
    for call in calls:
        arg = call.args[0]
        if not isinstance(arg, ast.Name) and len(calls) == 1:
            name_arg = call.args[1] if len(call.args) > 1 else None
            label = (
                name_arg.value
                if isinstance(name_arg, ast.Constant) and isinstance(name_arg.value, str)
                else "artifact"
            )
            return None, (ast.get_source_segment(stmt.text, arg) or ast.unparse(arg), label)
    return None, None


def _calls_save(func: ast.expr, user_ns: dict[str, Any]) -> bool:
    """``func`` names lineage's save function in the user's namespace (``keep``, ``s``)."""
    import types

    from lineage.api import save

    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return False
    held = user_ns.get(func.id, _MISSING)
    for attr in reversed(parts):
        if not isinstance(held, types.ModuleType):
            return False  # only modules' attributes: a property could run user code
        held = getattr(held, attr, _MISSING)
    return held is save


def _name_holding(
    value: Any, user_ns: dict[str, Any], graph: SessionGraph, state: Any
) -> str | None:
    """A captured variable that holds exactly ``value`` (save called from inside a function)."""
    for name, held in user_ns.items():
        if held is value and not name.startswith("_") and graph.read_deps(name, state):
            return name
    return None


_MISSING = object()
