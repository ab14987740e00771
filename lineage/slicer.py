"""The slicing: from a save call to the minimal code that rebuilds the value it saved.

The session keeps the captured records and the graph; it asks :class:`Slicer` for a slice.
This module finds the statement that called save and what it saved (a variable, an
expression, or a value inside a running block, which becomes a stop), takes the backward
closure over the graph's dependencies, renders the slice as a flat script, and records each
slice statement's facts (:func:`statement_record`) for the exporters. It does no I/O: reading
back artifacts goes through the ``stored`` lookup the caller hands over.
"""

from __future__ import annotations

import ast
import dataclasses
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lineage._sentinel import Sentinel
from lineage.analysis.cells import Stmt, code_magic, magic_source
from lineage.analysis.own_calls import SAVE_POINT, is_lineage_path
from lineage.errors import SliceError, UnreplayedCodeWarning
from lineage.graph import Node, NodeId, RuntimeName
from lineage.graph.records import PLAIN
from lineage.identifiers import identifier

if TYPE_CHECKING:
    from lineage.graph import SessionGraph
    from lineage.session import Observed, RunningCell


def backward_slice(nodes: Mapping[NodeId, Node], roots: Iterable[NodeId]) -> list[NodeId]:
    """Every statement the roots depend on, transitively, in execution order.

    Magics and lineage calls never enter a slice; what they depend on does not either (they are
    not recomputed)."""
    seen: set[NodeId] = set()
    opaque: dict[NodeId, Node] = {}
    stack = [r for r in roots if r in nodes]
    while stack:
        nid = stack.pop()
        if nid in seen or nid in opaque:
            continue
        node = nodes[nid]
        if node.excluded:
            if "_magic(" in node.text and code_magic(node.text) is not None:
                # %timeit/%prun code changed what the slice needs: what it read still counts
                opaque[nid] = node
                stack.extend(d for d in node.deps if d not in seen)
            continue
        seen.add(nid)
        stack.extend(d for d in node.deps if d not in seen)
    _warn_unreplayed(nodes, opaque)
    return sorted(seen)


def _warn_unreplayed(nodes: Mapping[NodeId, Node], reached: Mapping[NodeId, Node]) -> None:
    """Warn about the magics whose code changed what the slice needs (``reached``), and about
    every magic that ran code lineage cannot see (%run), which may have changed anything."""
    found = dict(reached)
    for nid, node in nodes.items():
        if node.excluded and "_magic(" in node.text:
            kind = code_magic(node.text)
            if kind is not None and kind[1] == "unseen":
                found[nid] = node
    for nid in sorted(found):
        node = found[nid]
        count = node.execution_count if node.execution_count is not None else " "
        kind = code_magic(node.text)
        if kind is not None and kind[1] == "moves":
            why = "changed the working directory that relative paths the slice uses depend on,"
            why += " which a slice cannot replay"
            fix = "Change folders with os.chdir(...) to have it in the slice."
        elif nid in reached:
            why = "may have changed what the saved value is built from, and a slice cannot "
            why += "replay it as it ran (a number of times, or under a debugger)"
            fix = "Make the change in a plain statement (or under %time) to have it in the slice."
        else:
            why = "ran code lineage cannot see, which may have changed or defined anything"
            fix = "Run that code in cells (or import it) to have it in the slice."
        warnings.warn(
            f"lineage: `{magic_source(node.text)}` in cell [{count}] {why}; the saved code may "
            f"not rebuild the value. {fix}",
            UnreplayedCodeWarning,
            stacklevel=4,
        )


def ordered(nodes: Mapping[NodeId, Node], ids: Iterable[NodeId]) -> list[NodeId]:
    """Imports first (those that depend on nothing but imports), then execution order."""
    ids = sorted(set(ids))
    hoisted: set[NodeId] = set()
    for nid in ids:
        node = nodes[nid]
        if node.is_import and all(d in hoisted for d in node.deps):
            hoisted.add(nid)
    return [i for i in ids if i in hoisted] + [i for i in ids if i not in hoisted]


def statement_text(node: Node, stop: bool = False) -> str:
    """The statement as a slice shows it: without lineage (``stop``: save calls become stops,
    see :mod:`lineage.analysis.own_calls`)."""
    if not node.lineage:
        return node.text
    from lineage.analysis.own_calls import without_lineage

    return without_lineage(node.text, dict(node.lineage), stop) or ""


def render(
    nodes: Mapping[NodeId, Node],
    ids: Iterable[NodeId],
    target: str | None = None,
    stop: bool = False,
    prelude: str = "",
) -> str:
    """The slice as a flat script; ``target`` is an extra final line (``name = expr``) or block,
    ``prelude`` code placed after the imports."""
    from lineage.awaits import AwaitRunner

    lines: list[str] = []
    seen_imports: set[str] = set()
    for nid in ordered(nodes, ids):
        node = nodes[nid]
        if prelude and not node.is_import:
            lines.append(prelude)
            prelude = ""
        text = statement_text(node, stop).strip("\n")
        if node.is_import:
            if text in seen_imports:
                continue
            seen_imports.add(text)
        lines.append(text)
    if prelude:
        lines.append(prelude)
    if target:
        lines.append(target)
    if "await" in "".join(lines) or "async" in "".join(lines):  # top-level await: made runnable
        runner = AwaitRunner(lines)
        lines = [runner.rewrite(text) for text in lines]
    return "\n".join(lines) + ("\n" if lines else "")


# -- the slice's facts, kept with the artifact for exporters ---------------------------------------
FACTS_VERSION = 1  # meta["facts"]: the statements carry the graph's facts (binds, reads, ...)
_NAME_SETS = ("binds", "dels", "reads", "deferred", "global_writes", "mutates")


def statement_record(node: Node, text: str, extra: Mapping[str, Any] | None = None) -> dict:
    """One slice statement as stored with the artifact: its text as the slice shows it, its
    dependencies, and the graph's facts about what it did (empty facts are left out, and
    ``maybe`` lists the bound names not surely bound). Names standing for lineage are dropped
    with the text that used them. ``extra``: names to add (a stop block binds its target)."""
    record: dict[str, Any] = {
        "id": node.id,
        "text": text,
        "deps": list(node.deps),
        "execution_count": node.execution_count,
    }
    traits = node.traits
    if traits.lineage or extra:  # names to drop or add
        _changed_names(record, node, extra or {})
    elif traits is PLAIN:  # most statements: names bound and read, nothing else
        if node.binds:
            record["binds"] = list(node.binds)  # a node's names are sorted tuples
        if node.reads:
            record["reads"] = list(node.reads)
    else:  # the node's own sets, as they are
        for key in _NAME_SETS:
            names = getattr(node, key)
            if names:
                record[key] = list(names)
    if not (traits.lineage or extra) and node.sure is not node.binds and node.sure != node.binds:
        record["maybe"] = sorted(set(node.binds) - set(node.sure))
    if traits is PLAIN and not extra:
        return _with_literal(record, node, text)
    if traits.state_reads:
        record["state_reads"] = list(traits.state_reads)
    if traits.state_writes:
        record["state_writes"] = list(traits.state_writes)
    if traits.changes or (extra or {}).get("changes"):
        record["changes"] = True
    if traits.kind != "code":
        record["kind"] = traits.kind
    if traits.modules:
        modules = [m for m in traits.modules if not is_lineage_path(m)]
        if modules:
            record["modules"] = modules
    later = traits.kind in ("def", "class")
    rebuilt = rebuilder_reads(node)
    if rebuilt:  # lineage.get(...).get_value() became a call of a function the slice defines
        key = "deferred" if later else "reads"
        record[key] = sorted({*record.get(key, ()), *rebuilt})
    if traits.lineage and SAVE_POINT in text and SAVE_POINT not in node.text:  # saves -> stops
        key = "deferred" if later else "reads"
        record[key] = sorted({*record.get(key, ()), SAVE_POINT})
    return _with_literal(record, node, text)


def _with_literal(record: dict[str, Any], node: Node, text: str) -> dict[str, Any]:
    """``record``, with the literal a ``NAME = <literal>`` statement binds (a parameter)."""
    if not node.reads and len(node.binds) == 1:
        literal = _literal(node, text)
        if literal is not None:
            record["literal"] = literal
    return record


def _changed_names(record: dict[str, Any], node: Node, extra: Mapping[str, Any]) -> None:
    """The name sets of ``node`` without the names standing for lineage, with ``extra``'s."""
    own = {n for n, _ in node.lineage}
    sure = (set(node.sure) - own) | set(extra.get("binds", ()))
    for key in _NAME_SETS:
        names = (set(getattr(node, key)) - own) | set(extra.get(key, ()))
        if names:
            record[key] = sorted(names)
        if key == "binds" and names - sure:
            record["maybe"] = sorted(names - sure)


def rebuilder_reads(node: Node) -> tuple[str, ...]:
    """The functions rebuilding artifacts that the statement's slice text calls (it read them
    back with ``get_value()``, see :func:`lineage.analysis.own_calls.rebuilder`)."""
    if not node.lineage:
        return ()
    from lineage.analysis.own_calls import artifact_reads, rebuilder

    reads = artifact_reads(node.text, dict(node.lineage))
    return tuple(dict.fromkeys(rebuilder(name, version) for name, version in reads))


def helper_record(nid: int, text: str, binds: Iterable[str], kind: str = "code") -> dict:
    """A statement lineage wrote into the slice (the stop helper, the functions rebuilding
    artifacts read back): it binds ``binds`` and reads nothing of the session."""
    record: dict[str, Any] = {"id": nid, "text": text, "deps": [], "execution_count": None}
    names = sorted(binds)
    if names:
        record["binds"] = names
    if kind != "code":
        record["kind"] = kind
    return record


def _literal(node: Node, text: str) -> list[str] | None:
    """``NAME = <literal>``: [NAME, the literal's source] (a candidate pipeline parameter)."""
    if node.kind != "code" or node.reads or node.changes or len(node.binds) != 1:
        return None
    if node.sure != node.binds or "=" not in text:
        return None
    import ast

    try:
        body = ast.parse(text).body
    except SyntaxError:
        return None
    stmt = body[0] if len(body) == 1 else None
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and stmt.simple:
        target, value = stmt.target, stmt.value
    else:
        return None
    if not isinstance(target, ast.Name):
        return None
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return [target.id, ast.get_source_segment(text, value) or ast.unparse(value)]


# -- slicing a saved value: where save was called, and the slice of what it saved ------------------
@dataclass(frozen=True)
class SliceResult:
    code: str
    target: str  # the variable that holds the artifact at the end of ``code``
    nodes: tuple[Node, ...]  # the statements of the slice, in execution order
    target_statement: str = ""  # ``target = <expr>`` ending ``code`` when an expression was saved
    stop: bool = False  # the statements show save calls as stops (lineage.save_point)
    rebuilders: str = ""  # functions recomputing artifacts the slice reads back (get_value)
    stopped_at: int | None = None  # the running statement stopped at the save (stop slices)
    # the graph's facts about ``target_statement`` (:func:`statement_record`)
    target_facts: dict[str, Any] | None = None


@dataclass(frozen=True)
class SaveCall:
    """One call of ``lineage.save`` as the API saw it."""

    value: Any
    name: str  # the artifact's name
    user_ns: dict[str, Any]
    direct: bool = True  # called by the top-level code itself, not by a function it ran
    column: int = 0  # of the instruction running in the cell's own code
    in_magic: tuple[int, int] | None = None  # (line, column) inside code a magic runs


@dataclass
class Slicer:
    """Slices of one session's graph. The session hands over what it keeps: the graph, its
    per-source analysis (``statements``), the store lookup of artifacts a slice reads back
    (``stored``: I/O stays with the caller) and the count of saves made per running statement."""

    graph: SessionGraph
    cell_index: int  # the record index the running cell will have
    statements: Callable[[str], tuple[Stmt, ...]]
    stored: Callable[[str, int | None], Any]  # (artifact, version) -> its ArtifactRecord
    saves: dict[tuple[int, int, str], int]

    def slice_value(
        self, call: SaveCall, cell: RunningCell | None, stmts: tuple[Stmt, ...]
    ) -> SliceResult:
        """The minimal code that rebuilds the value ``call`` saved from ``cell``'s running
        statement (``stmts``: the cell's statements)."""
        graph = self.graph
        nodes: dict[NodeId, Node] = {n.id: n for n in graph.nodes}
        if cell is None:  # not inside a captured cell: a variable holding the value
            return self.direct(call, nodes, None, None)
        column = call.column
        if column < 0:  # Python 3.10 reports no column
            column = _saving_column(stmts, cell.line, call.name)
        before, save_stmt = _running(stmts, cell.line, column, call.in_magic)
        if save_stmt is not None and (
            not call.direct or not _plain_save(save_stmt.text, call.user_ns)
        ):
            return self.stopped(cell, before, save_stmt, call.name)
        extra, state = graph.preview(
            self.cell_index, cell.execution_count, before, runtime_names(cell.names), cell.cwd
        )
        nodes.update((n.id, n) for n in extra)
        return self.direct(call, nodes, state, save_stmt)

    def direct(
        self, call: SaveCall, nodes: dict[NodeId, Node], state: Any, save_stmt: Stmt | None
    ) -> SliceResult:
        """save called by a simple top-level statement: the slice of what it passed."""
        from lineage.analysis.facts import statement_facts

        graph, user_ns = self.graph, call.user_ns
        name, expr = _save_target(save_stmt, call.value, user_ns)
        if name is None and expr is None:
            name = _name_holding(call.value, user_ns, graph, state)
        if name is not None:
            ids = backward_slice(nodes, graph.read_deps(name, state))
            defs = self.rebuilders(nodes, ids)
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
        target = identifier(expr[1], default="artifact")
        probe = ast.parse(f"{target} = ({expr[0]})").body[0]
        roots: set[NodeId] = set()
        for read in statement_facts(probe).reads:
            roots.update(graph.read_deps(read, state))
        ids = backward_slice(nodes, roots)
        line = f"{target} = {expr[0]}"
        defs = self.rebuilders(nodes, ids)
        code = render(nodes, ids, target=line, prelude=defs)
        # what the final line does, as the graph sees it: replayed where save was called
        probe_nodes, _ = graph.preview(
            self.cell_index + 1, None, self.statements(line), {}, "", state
        )
        return SliceResult(
            code,
            target,
            tuple(nodes[i] for i in ids),
            line,
            rebuilders=defs,
            target_facts=statement_record(probe_nodes[-1], line) if probe_nodes else None,
        )

    def stopped(
        self, cell: RunningCell, before: tuple[Stmt, ...], stmt: Stmt, name: str
    ) -> SliceResult:
        """save called inside a running top-level statement (a block, or a function it called):
        the statement's dependencies, then the statement itself stopped at that save call
        (:mod:`lineage.save_point`)."""
        from lineage.save_point import SAVE_HELPER, stopped, unguarded

        graph = self.graph
        extra, _ = graph.preview(
            self.cell_index,
            cell.execution_count,
            (*before, stmt),
            runtime_names(cell.names),
            cell.cwd,
        )
        running = extra[-1]
        nodes: dict[NodeId, Node] = {n.id: n for n in graph.nodes}
        nodes.update((n.id, n) for n in extra[:-1])
        ids = backward_slice(nodes, running.deps)
        key = (self.cell_index, stmt.line, name)
        earlier = self.saves.get(key, 0)
        self.saves[key] = earlier + 1
        target = identifier(name or "artifact", default="artifact")
        own = running.traits._replace(lineage=_own_names(running))
        text = statement_text(dataclasses.replace(running, traits=own), stop=True)
        block = stopped(unguarded(text), name, earlier, target)
        defs = self.rebuilders(nodes, [*ids, running.id], {running.id: running})
        prelude = "\n".join(filter(None, [defs, SAVE_HELPER]))
        code = render(nodes, ids, target=block, stop=True, prelude=prelude)
        # the block does what the running statement did, and binds the value it stopped at
        stops = {"binds": (target,), "reads": (SAVE_POINT, "_SaveReached")}
        facts = statement_record(running, block, {**stops, "mutates": ("_SaveReached",)})
        return SliceResult(
            code,
            target,
            tuple(nodes[i] for i in ids),
            block,
            stop=True,
            rebuilders=defs,
            stopped_at=running.id,
            target_facts=facts,
        )

    def rebuilders(
        self, nodes: dict[NodeId, Node], ids: list[NodeId], more: dict[NodeId, Node] | None = None
    ) -> str:
        """Functions recomputing the artifacts the slice reads back with ``get_value()``: a slice
        never loads stored values, so each runs the stored code of that artifact (the version
        that is the latest now, or the one named) in its own scope and returns its value."""
        from lineage.analysis.own_calls import artifact_reads, rebuilder
        from lineage.save_point import indent

        reads: dict[tuple[str, int | None], None] = {}
        for nid in ids:
            node = nodes.get(nid) or (more or {})[nid]
            if node.lineage:
                reads.update(dict.fromkeys(artifact_reads(node.text, dict(node.lineage))))
        defs = []
        for name, version in reads:
            record = self.stored(name, version)
            target = str(record.meta.get("target", ""))
            if not record.code.strip() or not target:
                raise SliceError(
                    f"the session read artifact {name!r} back with get_value(), and its stored "
                    "code does not rebuild it; save the value from code lineage captured, or "
                    "read it from a file the slice can open"
                )
            defs.append(
                f"def {rebuilder(name, version)}():\n"
                f'    """Recomputes artifact {name!r} (version {record.version}), which the '
                'session read back."""\n'
                f"{indent(record.code)}\n"
                f"    return {target}\n"
            )
        return "\n\n".join(defs)


def runtime_names(names: Observed) -> dict[str, RuntimeName]:
    """What the tracer observed at the end of a cell (name, id, type, function, flat), by
    name."""
    return {
        names[i]: RuntimeName(names[i + 1], names[i + 2], names[i + 3])
        for i in range(0, len(names), 4)
    }


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


def _saving_column(stmts: tuple[Stmt, ...], line: int, name: str) -> int:
    """Where the statement that saves ``name`` starts on ``line``, of those sharing it
    (``import lineage; lineage.save(x, "x")``): the first one whose text calls a save of that
    name, else the first one."""
    on_line = [s for s in stmts if s.line <= line <= s.end[0] and not s.body_line]
    found = [s for s in on_line if "save" in s.text and name in s.text] or on_line
    return found[0].col if found and found[0].line == line else 0


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


_MISSING = Sentinel("MISSING")
