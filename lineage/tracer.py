"""Capture: the IPython extension and the script runner.

IPython runs the user's code; the tracer only observes, cheaply:

* ``pre_run_cell`` notes the cell being run and the working directory it starts in (read only
  once a cell's text shows it may move it: nothing the user's code calls is wrapped);
* a restorable wrap of ``shell.transform_ast`` lends us the tree IPython already parsed, from
  which we read the names the cell binds at top level (statements only, not expressions);
* ``post_run_cell`` records, for those names, the identity and type of the object each holds
  now, and where the cell raised, if it did, with the cell's raw and transformed source.
  Records are flat tuples of strings and ints; no reference to a user object is kept.

Everything else (parsing statements, analysis, the graph) waits until a slice is needed.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import os
import re
import sys
import types
import warnings
import weakref
from collections.abc import Callable
from typing import Any

from lineage._config import dev_mode
from lineage._sentinel import Sentinel
from lineage.errors import ExtensionNotLoadedError, SliceError
from lineage.session import CellRecord, Observed, RunningCell, Session, compact_transformed

_BUILTIN_TYPE_NAMES: dict[type, str] = {
    t: f"builtins.{t.__qualname__}"
    for t in (int, float, str, bool, bytes, complex, list, dict, set, tuple, frozenset, range)
}
_BUILTIN_TYPE_NAMES[type(None)] = "builtins.NoneType"

# one tracer per shell while loaded (by id of the shell; the shell's hooks hold the tracer, so
# it goes with its shell), and one session per shell for the shell's lifetime, so that
# %reload_ext keeps the history; neither keeps a shell alive
_TRACERS: weakref.WeakValueDictionary[int, Tracer] = weakref.WeakValueDictionary()
_MISSING = Sentinel("MISSING")
_PENDING = Sentinel("PENDING")  # a silent cell runs; its ExecutionInfo is the displayhook's
_FUNCTION = types.FunctionType
_SYS = vars(sys)  # sys.last_value without the cost of a failed attribute lookup
_getcwd = os.getcwd
# a CellRecord from a tuple of its fields, with no Python-level __new__ in between
_make_record = functools.partial(tuple.__new__, CellRecord)
_SESSIONS: weakref.WeakKeyDictionary[Any, Session] = weakref.WeakKeyDictionary()


def active_tracer() -> Tracer:
    """The tracer of the current IPython shell, or an error telling the user what to do."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        raise ExtensionNotLoadedError() from None
    shell = get_ipython()
    tracer = _tracer_of(shell) if shell is not None else None
    if tracer is None:
        raise ExtensionNotLoadedError()
    return tracer


def _tracer_of(shell: Any) -> Tracer | None:
    tracer = _TRACERS.get(id(shell))
    return tracer if tracer is not None and tracer.shell is shell else None


def _session_of(shell: Any) -> Session:
    """The shell's session, made at its first load; it holds the shell only weakly, so it
    goes when the shell goes (a value of ``_SESSIONS`` that held its key would keep it)."""
    session = _SESSIONS.get(shell)
    if session is None:
        ref = weakref.ref(shell)

        def transform(raw: str) -> str:
            alive = ref()
            return raw if alive is None else alive.transform_cell(raw)

        def code_name(record: CellRecord) -> str | None:
            alive = ref()
            return None if alive is None else _code_name(alive, record)

        session = _SESSIONS[shell] = Session(transform, code_name)
    return session


class Tracer:
    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self._shell_vars = vars(shell)
        self.session = session = _session_of(shell)
        self._add = session.records.append
        # the cell being run (IPython's ExecutionInfo), the names it binds and where it started
        self._info: Any = None
        self._names: list[str] = []
        self._cwd = ""  # "" when unknown (the folder was removed while the process was in it)
        # read the working directory at every cell from now on: set once a cell's code may
        # have changed it (its text names chdir, or %cd, %pushd, %popd, %run)
        # (a reload keeps the session, not what its cells defined: read it, to be safe)
        self._watch_cwd = bool(session.records)
        self._depth = 0
        self._original_transform_ast: Callable[[ast.Module], ast.Module] | None = None
        self._trait_values: dict[str, Any] | None = None
        self._reported = False
        self._shown: BaseException | None = None  # sys.last_value when the cell started
        self._magic_failures: tuple[tuple[int, int, int], ...] = ()
        self._magic_raised: tuple[tuple[str, str], ...] = ()  # the types of those failures
        self._silent = False  # silent cells are captured (loaded by a silent cell: a file run)
        self.errors: list[BaseException] = []  # kept in dev mode, so tests and save() see them

    # -- registration: load and unload are exact inverses ---------------------------------------
    def register(self) -> None:
        from IPython.core.interactiveshell import InteractiveShell

        self.shell.events.register("pre_run_cell", self.pre_run_cell)
        self.shell.events.register("post_run_cell", self.post_run_cell)
        self._original_transform_ast = self.shell.transform_ast
        # IPython's own transform_ast returns the tree as it is when the shell has no AST
        # transformers; reading the trait's stored value (unset means the default, empty) spares
        # every cell that call and its two trait look-ups
        values = getattr(self.shell, "_trait_values", None)
        own = (
            "transform_ast" not in self.shell.__dict__
            and getattr(type(self.shell), "transform_ast", None) is InteractiveShell.transform_ast
        )
        self._trait_values = values if own and isinstance(values, dict) else None
        self.shell.transform_ast = self._transform_ast
        self._read_cwd()  # the folder the next cell starts in, unless a cell may move
        _TRACERS[id(self.shell)] = self
        self._adopt_running_cell()

    def _adopt_running_cell(self) -> None:
        """Loaded by a cell (``%load_ext lineage`` in it, or ``ipython -c``/``file.ipy``, where
        the whole session is that cell): its pre_run_cell has passed, so take it as the cell
        being run now. Its statements count, those before the magic and after it; the rest of
        its capture (the record at its end) is as for any cell."""
        result = getattr(getattr(self.shell, "displayhook", None), "exec_result", None)
        info = getattr(result, "info", None)
        if info is None or self._depth or self._cell_line() is None:
            return  # not loaded from a cell's code (a config, Python code of a kernel or a test)
        try:
            text = getattr(info, "transformed_cell", None) or self.shell.transform_cell(
                info.raw_cell or ""
            )
            _collect(ast.parse(text).body, self._names)
        except Exception as exc:  # a cell that ran parses; anything else is ours to report
            self._fail(exc)
            return
        self._info, self._depth, self._shown = info, 1, _SYS.get("last_value")
        if _may_move(text):
            self._watch_cwd = True
            self._cwd = ""  # it may have moved before the magic ran: where it started is unknown
        if getattr(info, "silent", False):
            # ``ipython file.ipy`` or ``notebook.ipynb``: IPython runs the file's cells silently,
            # with no pre/post_run_cell; from now on silent cells are the session's cells
            self._silent = True
            self.shell.events.register("post_execute", self._end_silent_cell)

    def _start_silent_cell(self, node: ast.Module) -> None:
        """A silent cell starts (seen in the transform_ast wrap, as no pre_run_cell comes): its
        ExecutionInfo is handed to the displayhook right after, so it is looked up when needed."""
        self._depth, self._info = 1, _PENDING
        self._shown = _SYS.get("last_value")
        self._read_cwd()
        _collect(node.body, self._names)

    def _end_silent_cell(self) -> None:
        """The end of a silent cell (post_execute; cells nested in it, such as the body of
        %%capture, end first, and a cell that is not silent ends in post_run_cell)."""
        info = self._info
        if self._depth != 1 or not (info is _PENDING or getattr(info, "silent", False)):
            return
        result = getattr(self.shell, "last_execution_result", None)
        if result is None:
            return
        if info is _PENDING:
            self._info = result.info
        self.post_run_cell(result)

    def _running_info(self) -> Any:
        """The ExecutionInfo of the cell running now (a silent one: from the displayhook)."""
        info = self._info
        if info is _PENDING:
            result = getattr(getattr(self.shell, "displayhook", None), "exec_result", None)
            info = getattr(result, "info", None)
        return info

    def unregister(self) -> None:
        for event, hook in (
            ("pre_run_cell", self.pre_run_cell),
            ("post_run_cell", self.post_run_cell),
            ("post_execute", self._end_silent_cell),
        ):
            with contextlib.suppress(ValueError):
                self.shell.events.unregister(event, hook)
        if self._original_transform_ast is not None:
            # drop our instance attribute so the class's method shows through again
            if self.shell.__dict__.get("transform_ast") == self._transform_ast:
                del self.shell.transform_ast
            self._original_transform_ast = None
        _TRACERS.pop(id(self.shell), None)

    # -- hooks ------------------------------------------------------------------------------------
    # The three hooks below run on every cell: they do as little as they can (no allocation
    # before the cell ends, then one record) and stay off the user's loops entirely.
    def _transform_ast(self, node: ast.Module) -> ast.Module:
        values = self._trait_values
        if values is None or values.get("ast_transformers"):
            node = self._original_transform_ast(node)  # type: ignore[misc]
        if self._info is not None:
            try:
                _collect(node.body, self._names)  # read now: IPython frees the tree at cell end
            except Exception as exc:
                self._fail(exc)
        elif self._silent and not self._depth:
            try:
                self._start_silent_cell(node)
            except Exception as exc:
                self._fail(exc)
        return node

    def pre_run_cell(self, info: Any) -> None:
        self._depth += 1
        if self._depth > 1:
            return  # a cell run by a magic (%%capture): its code is expanded from the outer cell
        self._info = info
        self._shown = _SYS.get("last_value")
        if self._watch_cwd:
            self._read_cwd()
        else:
            text = getattr(info, "transformed_cell", None)  # IPython >= 8.22 hands it over
            if text is None or _may_move(text):
                self._watch_cwd = True  # this cell may move: the next ones read where they start
                self._read_cwd()  # (no cost to read now, and it sees a change between cells)

    def _read_cwd(self) -> None:
        cwd = _current_cwd()
        if cwd != self._cwd:
            self._cwd = cwd  # else records share one string

    def post_run_cell(self, result: Any) -> None:
        if self._depth != 1:
            self._nested_post_run_cell(result)
            return
        self._depth = 0
        info, names, failures = self._info, self._names, self._magic_failures
        raised = self._magic_raised
        self._info = None
        if names:
            self._names = []
        if failures:
            self._magic_failures = self._magic_raised = ()
        if info is None or result is None or result.error_before_exec is not None:
            return
        try:
            failed_at = None
            error = result.error_in_exec
            if error is not None:
                before = len(failures)
                failed_at, failures = self._failure_position(error, failures)
                raised += (exception_type(error),) * (len(failures) - before + 1)
            elif _SYS.get("last_value") is not self._shown:
                # a magic (%time) caught an exception raised by its code and showed it
                found = self._magic_failure(_SYS.get("last_traceback"), nested=False, info=info)
                if found:
                    failures += found
                    raised += (exception_type(_SYS.get("last_value")),)
            self._shown = None  # an exception holds frames, and they hold user values
            count = result.execution_count
            raw = info.raw_cell or ""
            self._add(
                _make_record(
                    (
                        count if count is not None else self.shell.execution_count,
                        raw,
                        # IPython >= 8.22 hands over the transformed cell; else analysis makes it
                        compact_transformed(raw, getattr(info, "transformed_cell", None)),
                        self._cwd,
                        failed_at,
                        self._observe(names) if names else (),
                        failures,
                        raised,
                    )
                )
            )
        except Exception as exc:
            self._fail(exc)

    def _nested_post_run_cell(self, result: Any) -> None:
        if self._depth == 0:
            return  # no pre_run_cell seen (the extension was loaded by this very cell)
        self._depth -= 1
        error = result.error_in_exec
        if error is not None:  # code run by %%capture raised; it carries on
            found = self._magic_failure(error.__traceback__, nested=True)
            if found:
                self._magic_failures += found
                self._magic_raised += (exception_type(error),)

    # -- run-time facts ---------------------------------------------------------------------------
    def _observe(self, names: list[str]) -> Observed:
        """name, id, type name, function identity, for each name the cell bound (flat)."""
        # user_ns is a property on IPython 9: read what it returns, and skip its frame
        get = (self._shell_vars.get("_user_ns") or self.shell.user_ns).get
        missing, type_names = _MISSING, _BUILTIN_TYPE_NAMES
        out: list[Any] = []
        add = out.extend
        for name in dict.fromkeys(names) if len(names) > 1 else names:  # observed once each
            value = get(name, missing)
            if value is missing:
                continue
            t = type(value)
            if t is _FUNCTION:
                code = value.__code__
                func = (code.co_filename, code.co_firstlineno, code.co_name)
                add((name, id(value), "builtins.function", func))
            else:
                name_of_type = type_names.get(t) or f"{t.__module__}.{t.__qualname__}"
                add((name, id(value), name_of_type, None))
        return tuple(out)

    def _magic_failure(
        self, tb: types.TracebackType | None, nested: bool, info: Any = None
    ) -> tuple[tuple[int, int, int], ...]:
        """Where code run by a magic raised: (line of the magic in the cell, position in the
        magic's body), or nothing if unknown. For %%capture the cell's frame is still running,
        above us."""
        frames = _user_positions(tb, self.shell.user_global_ns)
        if nested:
            outer = self._cell_line()
            if outer is None or not frames:
                return ()
            body = frames[0]
        else:
            if len(frames) == 1 and info is not None:
                found = self._time_magic_line(info, tb)
                return () if found is None else ((found, *frames[0]),)
            if len(frames) < 2:
                return ()
            outer, body = frames[0][0], frames[1]
        return ((outer, body[0], body[1]),)

    def _time_magic_line(self, info: Any, tb: types.TracebackType | None) -> int | None:
        """The line of the cell's one %time or %%time whose code raised: IPython 8.10 shows the
        traceback from the magic down, without the cell's frame (None when not one such line)."""
        while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<timed "):
            tb = tb.tb_next
        if tb is None:
            return None
        text = getattr(info, "transformed_cell", None) or self.shell.transform_cell(
            info.raw_cell or ""
        )
        calls = ("run_line_magic('time',", "run_cell_magic('time',")
        lines = [n for n, line in enumerate(text.splitlines(), 1) if any(c in line for c in calls)]
        return lines[0] if len(lines) == 1 else None

    def _cell_line(self) -> int | None:
        """The line of the cell's top-level statement running now (outermost user frame)."""
        user_globals = self.shell.user_global_ns
        frame: types.FrameType | None = sys._getframe(1)
        line = None
        while frame is not None:
            if frame.f_globals is user_globals and frame.f_code.co_name == "<module>":
                line = frame.f_lineno
            frame = frame.f_back
        return line

    def _failure_position(
        self, exc: BaseException, failures: tuple[tuple[int, int, int], ...]
    ) -> tuple[tuple[int, int], tuple[tuple[int, int, int], ...]]:
        """(line, column) in the cell of the instruction that raised, (0, 0) if unknown; and
        ``failures`` plus that position if it raised inside code run by a magic (%time)."""
        positions = _user_positions(exc.__traceback__, self.shell.user_global_ns)
        if not positions:
            return (0, 0), failures
        if len(positions) > 1:
            failures += ((positions[0][0], *positions[1]),)
        return positions[0], failures

    # -- save support ------------------------------------------------------------------------------
    def check_cwd(self) -> None:
        """Notice a change of working directory made by code whose text does not say so (a
        module's function, C code, a kernel between cells). Relative paths in the cells since
        that change were resolved against the old folder; the user is told, and cells from now
        on read the directory where they start."""
        if self._watch_cwd:
            return  # every cell reads the directory anyway
        cwd = _current_cwd()
        if cwd != self._cwd:
            self._watch_cwd = True
            if cwd:  # a folder removed while the process was in it needs no warning
                warnings.warn(
                    f"lineage: the working directory changed to {cwd!r} by code that does not "
                    f"name chdir (a module's function, C code, or the kernel between cells); "
                    f"file paths in cells run since then were read as relative to "
                    f"{self._cwd!r}. Change folders with os.chdir or %cd in a cell to avoid it.",
                    stacklevel=3,
                )

    def current_cwd(self) -> str:
        """The working directory now, "" if it was removed."""
        return _current_cwd()

    def running_cell(self) -> RunningCell | None:
        """The cell being executed and the position of the top-level statement now running."""
        info = self._running_info()
        line = self._cell_line()
        if line is None:
            return None
        if info is None:
            raise SliceError(
                "lineage.save was called from a cell lineage did not see start: IPython runs "
                "silent cells (a frontend's own code) without telling extensions; run the "
                "code in a cell of its own, or in a script (`lineage run script.py`)"
            )
        return RunningCell(
            execution_count=self.shell.execution_count,  # counted up when the cell ends
            raw=info.raw_cell or "",
            transformed=getattr(info, "transformed_cell", None),
            cwd=self._cwd,
            line=line,
            names=self._observe(self._names),
        )

    # -- failing open --------------------------------------------------------------------------------
    def _fail(self, exc: BaseException) -> None:
        if dev_mode():
            self.errors.append(exc)
            raise exc
        if not self._reported:
            self._reported = True
            print(
                f"lineage: capture failed ({type(exc).__name__}: {exc}); your code ran normally, "
                "but slices from this session may be incomplete. Please report this.",
                file=sys.stderr,
            )


# Reading the working directory is a system call, which on a virtual machine costs about as much
# as everything else the hooks do; so a cell reads it only once some cell's code may have moved
# it. Nothing is wrapped: a change made by code whose text does not show it is seen at the next
# save (Tracer.check_cwd), which warns.
# (also inside the code another magic runs: ``%time %cd a``, ``%%capture`` over ``cd a``)
_MOVES = re.compile(
    r"run_(?:line|cell)_magic\(\s*['\"](?:cd|pushd|popd|run|rerun)['\"]"
    r"|(?:\\n|['\"])\s*%*(?:cd|pushd|popd|run|rerun)\b"
)


def _may_move(text: str) -> bool:
    """The cell's (transformed) code may change the working directory: it names chdir, or
    runs %cd, %pushd, %popd or %run."""
    return "chdir" in text or ("magic(" in text and _MOVES.search(text) is not None)


def _current_cwd() -> str:
    """The working directory, "" if it was removed (os.getcwd raises): paths relative to it then
    stand for unknown files."""
    try:
        return _getcwd()
    except OSError:
        return ""


def _code_name(shell: Any, record: CellRecord) -> str | None:
    """The file name IPython compiled a cell under (what its functions' co_filename says)."""
    try:
        return str(
            shell.compile.get_code_name(
                record.raw,
                record.transformed_cell() or shell.transform_cell(record.raw),
                record.execution_count or 0,
            )
        )
    except Exception:
        return None


def exception_type(exc: object) -> tuple[str, str]:
    """(qualified name of the exception's type, the nearest builtin class it derives from): a
    fresh script can always name the second in an ``except`` clause."""
    t = type(exc)
    base = next((c.__name__ for c in t.__mro__ if c.__module__ == "builtins"), "BaseException")
    return (f"{t.__module__}.{t.__qualname__}", base)


def _user_positions(
    tb: types.TracebackType | None, user_globals: dict[str, Any]
) -> list[tuple[int, int]]:
    """Positions in the traceback of module-level user code: the cell, then magic bodies."""
    out = []
    while tb is not None:
        if tb.tb_frame.f_globals is user_globals and tb.tb_frame.f_code.co_name == "<module>":
            out.append(_position(tb))
        tb = tb.tb_next
    return out


def _position(tb: types.TracebackType) -> tuple[int, int]:
    line = tb.tb_lineno or 0
    positions = getattr(tb.tb_frame.f_code, "co_positions", None)
    if positions is not None and tb.tb_lasti >= 0:
        try:
            pos = list(positions())[tb.tb_lasti // 2]
            if pos[0] is not None and pos[2] is not None:
                return (pos[0], pos[2])
        except (IndexError, ValueError):
            pass
    return (line, 0)


# statement kinds that bind names at top level (or hold statements that do)
_ASSIGN, _TARGET, _LOOP, _BRANCH, _WITH, _TRY, _DEF = range(7)
_KINDS: dict[type, int] = {
    ast.Assign: _ASSIGN,
    ast.AugAssign: _TARGET,
    ast.AnnAssign: _TARGET,
    ast.For: _LOOP,
    ast.AsyncFor: _LOOP,
    ast.While: _BRANCH,
    ast.If: _BRANCH,
    ast.With: _WITH,
    ast.AsyncWith: _WITH,
    ast.Try: _TRY,
    ast.FunctionDef: _DEF,
    ast.AsyncFunctionDef: _DEF,
    ast.ClassDef: _DEF,
}
if sys.version_info >= (3, 11):
    _KINDS[ast.TryStar] = _TRY


def _collect(body: list[ast.stmt], names: list[str]) -> None:
    """Append the names ``body`` binds at top level (outside function and class bodies).
    Statements only: expressions (walrus, comprehensions) are not walked; a name missed here only
    costs precision, never correctness."""
    kinds, name_type = _KINDS, ast.Name
    for node in body:
        kind = kinds.get(type(node))
        if kind is None:  # expressions, imports, del, ...: nothing to observe
            continue
        if kind == _ASSIGN:
            for target in node.targets:  # type: ignore[attr-defined]
                if type(target) is name_type:
                    names.append(target.id)
                else:
                    _target_names(target, names)
        elif kind == _TARGET:
            _target_names(node.target, names)  # type: ignore[attr-defined]
        elif kind == _LOOP:
            _target_names(node.target, names)  # type: ignore[attr-defined]
            _collect(node.body, names)  # type: ignore[attr-defined]
            _collect(node.orelse, names)  # type: ignore[attr-defined]
        elif kind == _BRANCH:
            _collect(node.body, names)  # type: ignore[attr-defined]
            _collect(node.orelse, names)  # type: ignore[attr-defined]
        elif kind == _WITH:
            for item in node.items:  # type: ignore[attr-defined]
                if item.optional_vars is not None:
                    _target_names(item.optional_vars, names)
            _collect(node.body, names)  # type: ignore[attr-defined]
        elif kind == _TRY:
            _collect(node.body, names)  # type: ignore[attr-defined]
            for handler in node.handlers:  # type: ignore[attr-defined]
                _collect(handler.body, names)
            _collect(node.orelse, names)  # type: ignore[attr-defined]
            _collect(node.finalbody, names)  # type: ignore[attr-defined]
        else:
            names.append(node.name)  # type: ignore[attr-defined]


def _target_names(target: ast.AST, names: list[str]) -> None:
    if isinstance(target, ast.Name):
        names.append(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            _target_names(elt, names)
    elif isinstance(target, ast.Starred):
        _target_names(target.value, names)


# -- the IPython extension entry points -------------------------------------------------------------
def load(shell: Any) -> Tracer:
    """Start capturing ``shell``; loading twice keeps one tracer."""
    existing = _tracer_of(shell)
    if existing is not None:
        return existing
    tracer = Tracer(shell)
    tracer.register()
    return tracer


def unload(shell: Any) -> None:
    tracer = _tracer_of(shell)
    if tracer is not None:
        tracer.unregister()
