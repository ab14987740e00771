"""The public API: save, get, artifacts, delete (export lives in :mod:`lineage.emitters`)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lineage.store import ArtifactRecord, Store, validate_name


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
    enabled = gc.isenabled()
    if enabled:
        gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def save(obj: Any, name: str) -> Artifact:
    """Store ``obj`` and the minimal code that rebuilds it, as a new version of ``name``."""
    from lineage.tracer import active_tracer

    validate_name(name)
    tracer = active_tracer()
    if tracer.errors:
        raise RuntimeError("lineage capture failed earlier in this session") from tracer.errors[0]
    session = tracer.session
    tracer.check_cwd()
    cell = tracer.running_cell()
    with _gc_paused():
        result = session.slice_value(obj, cell, tracer.shell.user_ns)
        meta = {
            "target": result.target,
            "target_statement": result.target_statement,
            "cwd": cell.cwd if cell is not None else tracer.current_cwd(),
            # the structured slice export plans its steps from
            "statements": [
                {"id": n.id, "text": n.text, "deps": n.deps, "execution_count": n.execution_count}
                for n in result.nodes
            ],
        }
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


def get(name: str, version: int | None = None) -> Artifact:
    """The artifact ``name`` at ``version`` (the latest when None)."""
    store = Store()
    return Artifact(store.get(name, version), store)


def artifacts() -> list[Artifact]:
    """Every saved artifact version, newest first."""
    store = Store()
    return [Artifact(record, store) for record in store.list()]


def delete(name: str, version: int | None = None) -> None:
    """Delete one version of ``name``, or all of them when ``version`` is None."""
    Store().delete(name, version)
