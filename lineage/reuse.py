"""Stored artifacts an exported pipeline loads instead of recomputing them (``--reuse``).

Two sides of one record. At export, :func:`store_address` says which store the reused
artifacts came from, as the steps module may write it down (never a password). When the
pipeline runs, :func:`load_stored` opens the store (``$LINEAGE_DATABASE_URL`` and
``$LINEAGE_ARTIFACT_URL`` when set, else the exported one) and loads the exact version the
pipeline was exported with, or raises :class:`~lineage.errors.ReusedArtifactError` naming the
artifact, the version and the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lineage.errors import (
    ArtifactNotFoundError,
    ReusedArtifactError,
    StoreConfigError,
    VersionNotFoundError,
)

if TYPE_CHECKING:
    from lineage.store import Store


@dataclass(frozen=True)
class StoreAddress:
    """Where a pipeline finds the artifacts it reuses, as its steps module writes it."""

    database_url: str | None  # None: the URL holds a password, which must come from the env
    artifact_url: str | None
    shown: str  # both, the password hidden, for messages
    extras: tuple[str, ...] = ()  # the notebook-lineage extras that install its drivers


def store_address(store: Store) -> StoreAddress:
    """The URLs of ``store`` as a steps module may keep them: the default store (SQLite and a
    folder under the home) by its absolute paths, a URL with a password left out."""
    from lineage.store.urls import extras_of, mask

    db = store.db.url
    database = None if db.password else db.render_as_string(hide_password=False)
    location = store.values.location
    artifacts = location.root if location.local else location.url
    secret = _has_password(artifacts)
    shown_artifacts = "(an artifact URL with a password)" if secret else artifacts
    return StoreAddress(
        database_url=database,
        artifact_url=None if secret else artifacts,
        shown=f"{mask(db)} with values at {shown_artifacts}",
        extras=extras_of(db, location.url),
    )


def _has_password(url: str) -> bool:
    if "://" not in url:
        return False
    try:
        return urlsplit(url).password is not None
    except ValueError:
        return True  # cannot tell: keep it out of the file


def load_stored(
    name: str,
    version: int,
    key: str,
    *,
    database_url: str | None = None,
    artifact_url: str | None = None,
    hidden: str = "",
    store: Store | None = None,
) -> Any:
    """The value of artifact ``name`` at ``version``, whose value's key in the store is
    ``key``, from ``store`` (default: the store of ``$LINEAGE_DATABASE_URL`` and
    ``$LINEAGE_ARTIFACT_URL``, else of ``database_url`` and ``artifact_url``; ``hidden``: the
    store as it may be shown when one of them is None, held back for its password)."""
    if store is None:
        store = _open(name, version, database_url, artifact_url, hidden)
    where = repr(store)
    try:
        record = store.get(name, version)
    except (ArtifactNotFoundError, VersionNotFoundError) as e:
        raise _missing(name, version, where, str(e)) from e
    if record.value_path != key:
        raise _missing(
            name, version, where, "that version was deleted and another value saved under it"
        )
    if not store.has_value(record):
        raise _missing(name, version, where, "its value file is gone")
    return store.load_value(record)


def _open(
    name: str, version: int, database_url: str | None, artifact_url: str | None, hidden: str
) -> Store:
    from lineage._config import store_urls
    from lineage.store import Store

    urls = store_urls()  # the environment's (or lineage.configure's), as every Store reads them
    database = urls.database_url or database_url
    artifacts = urls.artifact_url or artifact_url
    for value, variable in (
        (database, "LINEAGE_DATABASE_URL"),
        (artifacts, "LINEAGE_ARTIFACT_URL"),
    ):
        if value is None:
            raise StoreConfigError(
                f"this pipeline loads artifact {name!r} version {version} from the store "
                f"{hidden}, whose URL holds a password the export does not write: set "
                f"{variable} to that URL, password included, where the pipeline runs"
            )
    return Store(database_url=database, artifact_url=artifacts)


def _missing(name: str, version: int, where: str, why: str) -> ReusedArtifactError:
    return ReusedArtifactError(
        f"this pipeline reuses artifact {name!r} version {version}, which the store {where} "
        f"no longer holds ({why}): export the pipeline again (with --reuse {name} it takes "
        f"the latest version), or without --reuse {name} to recompute it"
    )
