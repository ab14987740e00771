"""The public API: save, get, artifacts, delete, and the store as a whole (configure, info,
gc, push); export lives in :mod:`lineage.export`."""

from __future__ import annotations

import contextlib
import gc as collector
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lineage.store import ArtifactRecord, PushResult, Store, StoreInfo, validate_name

if TYPE_CHECKING:
    from lineage.slicer import SliceResult
    from lineage.store.values import StoredObject


@dataclass(frozen=True)
class Artifact:
    """A saved value and the code that rebuilds it, at one version."""

    record: ArtifactRecord
    store: Store

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def version(self) -> int:
        return self.record.version

    @property
    def created_at(self) -> datetime:
        return self.record.created_at

    @property
    def code(self) -> str:
        """The minimal slice: a flat script whose top-level statements rebuild the artifact."""
        return self.record.code

    @property
    def session_code(self) -> str:
        """The whole captured session, in execution order."""
        return self.record.session_code

    @property
    def target(self) -> str:
        """The variable that holds the artifact at the end of :attr:`code`."""
        return str(self.record.meta.get("target", ""))

    @property
    def value_type(self) -> str:
        return self.record.value_type

    def get_value(self) -> Any:
        """The stored value (unpickled)."""
        return self.store.load_value(self.record)

    def __repr__(self) -> str:
        return (
            f"Artifact(name={self.name!r}, version={self.version}, "
            f"type={self.value_type!r}, created_at={self.created_at:%Y-%m-%d %H:%M:%S})"
        )


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while slicing: analysis makes many small objects at once, which the
    collector would rescan over and over (about half the time of a large first save).

    On the way out, what was made meanwhile (the analysis and graph, kept for later saves) is
    moved to the oldest generation without a scan: ``freeze`` + ``unfreeze`` does that, and
    skips the one large young collection that would otherwise follow. Only done when nothing
    else froze objects (``unfreeze`` would release theirs too). The user's young garbage is
    collected first (a small, young-generation collection), so none of it is held back."""
    enabled = collector.isenabled()
    if enabled:
        collector.collect(1)
    collector.disable()
    try:
        yield
    finally:
        if enabled:
            if collector.get_freeze_count() == 0:
                collector.freeze()
                collector.unfreeze()
            collector.enable()


def save(obj: Any, name: str) -> Artifact:
    """Store ``obj`` and the minimal code that rebuilds it, as a new version of ``name``."""
    from lineage.backends import cell_end_resets
    from lineage.slicer import FACTS_VERSION
    from lineage.tracer import active_tracer

    validate_name(name)
    tracer = active_tracer()
    if tracer.errors:
        from lineage.errors import CaptureFailedError

        first = tracer.errors[0]
        raise CaptureFailedError(
            f"lineage capture failed earlier in this session ({type(first).__name__}: {first}), "
            "so a slice of it could miss statements: restart the kernel, run `%load_ext "
            "lineage` and the cells again, and please report the error"
        ) from first
    session = tracer.session
    session.cell_end_resets = cell_end_resets(tracer.shell)
    tracer.check_cwd()
    cell = tracer.running_cell()
    caller = sys._getframe(1)
    user_globals = tracer.shell.user_global_ns
    direct = caller.f_code.co_name == "<module>" and caller.f_globals is user_globals
    column, in_magic = _cell_position(caller, user_globals)
    if caller.f_globals is not user_globals and cell is not None:
        _check_caller(caller, name)
    with _gc_paused():
        result = session.slice_value(
            obj, cell, tracer.shell.user_ns, name, direct, column, in_magic
        )
        meta: dict[str, Any] = {
            "target": result.target,
            "target_statement": result.target_statement,
            "cwd": cell.cwd if cell is not None else tracer.current_cwd(),
            # the structured slice export plans its steps from, with the graph's facts
            "statements": _statements(result),
            "facts": FACTS_VERSION,
        }
        if result.target_facts is not None:
            meta["target_facts"] = result.target_facts
        if result.stopped_at is not None:
            meta["stopped_at"] = result.stopped_at
        if reads_argv(result):
            meta["argv"] = list(sys.argv)  # verify and exports run the slice with them again
    store = Store()
    record = store.save(
        name,
        obj,
        code=result.code,
        session_code=session.session_code(cell),
        session_id=session.id,
        meta=meta,
    )
    return Artifact(record, store)


def reads_argv(result: SliceResult) -> bool:
    """The slice may read the command-line arguments (``sys.argv``, directly or through a
    parser), as the graph found (``state:sys.argv``): when it does, the arguments the session
    ran with are kept with the artifact."""
    from lineage.graph.node_facts import ARGV

    if any(ARGV in n.state_reads for n in result.nodes):
        return True
    return ARGV in (result.target_facts or {}).get("state_reads", ())


def _check_caller(frame: Any, name: str) -> None:
    """save called by code lineage did not capture (a module's function): that code cannot
    be stopped at the save, so the value it saved cannot be rebuilt."""
    from lineage.errors import SliceError

    code = frame.f_code
    raise SliceError(
        f"save({name!r}) was called inside {code.co_name}() of {code.co_filename}, code lineage "
        "did not capture (it runs from an imported module), so lineage cannot slice the value "
        f"it saved there: return the value to the notebook or script and save it there, "
        f"e.g. `result = {code.co_name}(...)` then `lineage.save(result, {name!r})`"
    )


def _cell_position(frame: Any, user_globals: dict[str, Any]) -> tuple[int, tuple[int, int] | None]:
    """The column of the instruction running in the cell's own code (the outermost frame of
    the user's namespace), which tells apart statements sharing a line (``z = f(x); save(z,
    "z")``); and the (line, column) running in code a magic runs (``%%time``), if any."""
    found: list[tuple[int, int]] = []
    while frame is not None:
        if frame.f_globals is user_globals and frame.f_code.co_name == "<module>":
            found.append(_position(frame))
        frame = frame.f_back
    if not found:
        return 0, None
    # -1: Python 3.10 reports no column (the session then finds the statement that saves)
    column = found[-1][1] if sys.version_info >= (3, 11) else -1
    return column, found[0] if len(found) > 1 else None


def _position(frame: Any) -> tuple[int, int]:
    positions = getattr(frame.f_code, "co_positions", None)  # Python 3.11+
    if positions is None or frame.f_lasti < 0:
        return frame.f_lineno or 0, 0
    line, _, col, _ = list(positions())[frame.f_lasti // 2]
    return line or frame.f_lineno or 0, col or 0


def _statements(result: SliceResult) -> list[dict[str, Any]]:
    """The structured slice export plans its steps from: each statement as the slice shows it
    (without lineage), after the stop helper when the value was saved inside a statement."""
    from lineage.analysis.own_calls import SAVE_POINT
    from lineage.save_point import SAVE_HELPER
    from lineage.slicer import helper_record, rebuilder_reads, statement_record, statement_text

    out: list[dict[str, Any]] = []
    if result.rebuilders:
        names = {f for n in result.nodes for f in rebuilder_reads(n)}
        names.update(r for r in (result.target_facts or {}).get("reads", ()) if "_rebuild_" in r)
        kind = "def" if len(names) == 1 else "code"
        out.append(helper_record(-2, result.rebuilders, names, kind))
    if result.stop:
        out.append(helper_record(-1, SAVE_HELPER, ("_SaveReached", SAVE_POINT)))
    out.extend(statement_record(n, statement_text(n, result.stop)) for n in result.nodes)
    return out


def get(name: str, version: int | None = None) -> Artifact:
    """The artifact ``name`` at ``version`` (the latest when None)."""
    store = Store()
    return Artifact(store.get(name, version), store)


def artifacts() -> list[Artifact]:
    """Every saved artifact version, newest first."""
    store = Store()
    return [Artifact(record, store) for record in store.list()]


def delete(name: str, version: int | None = None) -> int:
    """Delete one version of ``name``, or all of them when ``version`` is None; return how
    many versions were removed. An unknown name or version raises
    :class:`~lineage.errors.ArtifactNotFoundError` / :class:`~lineage.errors.VersionNotFoundError`."""
    return Store().delete(name, version)


def configure(database_url: str | None = None, artifact_url: str | None = None) -> None:
    """Point this process at a store: ``database_url`` is a SQLAlchemy URL for the metadata
    (``postgresql://user:password@host/db``, ``sqlite:////path/lineage.db``) and
    ``artifact_url`` an fsspec URL or a folder for the values (``s3://bucket/lineage``). Each
    one left None is ``$LINEAGE_DATABASE_URL`` / ``$LINEAGE_ARTIFACT_URL`` if set, else the
    default under ``$LINEAGE_HOME``; ``configure()`` goes back to those.

    The URLs are checked now (their form, and that their driver is installed: a
    :class:`~lineage.errors.StoreConfigError` names what to install); the store is opened by
    the next operation that uses it. :func:`info` shows where it is."""
    from lineage._config import StoreURLs, set_store_urls
    from lineage.store.urls import artifact_location
    from lineage.store.urls import database_url as checked_database_url

    if database_url is not None:
        checked_database_url(database_url)
    if artifact_url is not None:
        artifact_location(artifact_url)
    urls = StoreURLs(database_url, artifact_url)
    set_store_urls(None if urls == StoreURLs() else urls)


def info() -> StoreInfo:
    """Which store this process uses (passwords hidden), how many artifact versions and names
    it holds, and its schema version (opening it makes or migrates it, as any use does)."""
    return Store().info()


def gc(delete: bool = False, older_than: float | None = None) -> list[StoredObject]:
    """The value objects under the artifact URL that no artifact names (left by saves cut
    short), older than ``older_than`` seconds (default an hour: younger ones may belong to a
    save about to commit). A dry run unless ``delete``: then they are removed."""
    from lineage.store import GC_GRACE_SECONDS

    grace = GC_GRACE_SECONDS if older_than is None else float(older_than)
    if grace < 0:
        raise ValueError(f"older_than is a number of seconds, at least 0, not {older_than!r}")
    return Store().gc(delete=delete, older_than=grace)


def push(database_url: str, artifact_url: str) -> PushResult:
    """Copy every artifact version of this process's store into the store at
    ``database_url`` and ``artifact_url`` (e.g. a local store into a team's), keeping names,
    versions and code; safe to repeat. See :meth:`lineage.store.Store.push`."""
    return Store().push(Store(database_url=database_url, artifact_url=artifact_url))
