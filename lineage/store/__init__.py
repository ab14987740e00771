"""The artifact store: metadata by SQLAlchemy URL, values by fsspec URL.

By default everything lives under the home folder (``$LINEAGE_HOME``, default ``~/.lineage``)::

    lineage.db            metadata (SQLite, WAL mode), marked with app='lineage' and a schema version
    values/<key>.pkl      one value per artifact version, written atomically

A team points ``LINEAGE_DATABASE_URL`` (or :func:`lineage.configure`) at a PostgreSQL database
and ``LINEAGE_ARTIFACT_URL`` at a bucket (``s3://team-bucket/lineage``); the same code runs for
every URL: :mod:`lineage.store.database` (SQLAlchemy Core: schema, marker, migrations, error
classes) and :mod:`lineage.store.values` (fsspec).

Guarantees (docs/team.md says what each means for a user):

- a save writes its value under a new random key first, then inserts its row in one
  transaction that computes the next version; the row is what makes the artifact visible, so
  a save cut short (an error, ``kill -9``) leaves earlier versions readable and at worst an
  object no row names, which nothing reads and :meth:`Store.gc` removes;
- concurrent saves (processes, machines) get distinct, dense versions: SQLite serialises
  writers (``BEGIN IMMEDIATE``); on a server two saves that picked the same version collide on
  ``UNIQUE (name, version)`` and the loser retries with the next one;
- connections are opened per operation and closed after, so forks and threads are safe.
"""

from __future__ import annotations

import builtins
import functools
import json
import pickle
import random
import time
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineage._config import lineage_home, store_urls
from lineage.errors import (
    ArtifactNotFoundError,
    CorruptStoreError,
    InvalidArtifactNameError,
    InvalidVersionError,
    PushConflictError,
    StoreConfigError,
    UnpicklableValueWarning,
    ValueLoadError,
    ValueNotStoredError,
    VersionNotFoundError,
    warn_user,
)
from lineage.store.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from sqlalchemy import Connection, Row

    from lineage.store.database import Database
    from lineage.store.values import StoredObject, Values

__all__ = [
    "SCHEMA_VERSION",
    "ArtifactRecord",
    "PushResult",
    "Store",
    "StoreInfo",
    "validate_name",
]

MAX_NAME_LENGTH = 200
# `lineage gc` leaves alone values younger than this: a save writes its value, then commits
# its row; the row may wait for the database (a minute at most for SQLite's lock), and clocks
# of several machines differ. An hour covers both with room to spare.
GC_GRACE_SECONDS = 3600.0
_SAVE_RETRY_SECONDS = 120.0  # how long a save keeps retrying versions taken by others
_ALLOWED = (
    "names may use any printable characters except '/' and '\\', "
    f"up to {MAX_NAME_LENGTH} characters, e.g. 'model_v2'"
)
_FIELDS = (
    "name",
    "version",
    "created_at",
    "code",
    "session_code",
    "value_type",
    "value_path",
    "session_id",
    "meta",
)


@dataclass(frozen=True)
class ArtifactRecord:
    name: str
    version: int  # 1, 2, 3... per name; every save is a new version
    created_at: datetime  # timezone-aware UTC
    code: str  # slice code
    session_code: str  # whole captured session code
    value_type: str  # e.g. "builtins.list", "pandas.core.frame.DataFrame"
    value_path: str | None  # the key under the artifact URL; None: the value could not be pickled
    session_id: str
    meta_text: str = "{}"  # JSON-serialisable extra data, as stored; decoded lazily by `meta`

    @functools.cached_property
    def meta(self) -> dict:
        """Extra data (e.g. the structured slice for exporters), decoded on first use."""
        return dict(json.loads(self.meta_text))


def validate_name(name: object) -> str:
    """Return ``name`` if it can name an artifact, else raise :class:`InvalidArtifactNameError`."""
    if not isinstance(name, str):
        problem = f"artifact names must be strings, not {type(name).__name__}"
    elif not name.strip():
        problem = "artifact names cannot be empty or only whitespace"
    elif name in (".", ".."):
        problem = f"an artifact cannot be named {name!r}"
    elif "/" in name or "\\" in name:
        problem = f"artifact names cannot contain {'/' if '/' in name else chr(92)!r}"
    elif any(unicodedata.category(c) == "Cc" for c in name):
        bad = next(c for c in name if unicodedata.category(c) == "Cc")
        problem = f"artifact names cannot contain control characters (found {bad!r})"
    elif len(name) > MAX_NAME_LENGTH:
        problem = f"artifact names are at most {MAX_NAME_LENGTH} characters, got {len(name)}"
    else:
        return name
    raise InvalidArtifactNameError(f"{problem}: {_ALLOWED}")


def _type_name(value: object) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def _dumps(value: object) -> bytes:
    """Pickle once with :mod:`pickle`; fall back to cloudpickle when that fails or when the
    bytes refer to ``__main__`` (classes and functions defined in a notebook), which cloudpickle
    stores by value so another process can load them. Raises what cloudpickle raises."""
    data: bytes | None = None
    if type(value).__module__ != "__main__":
        try:
            data = pickle.dumps(value, protocol=5)
        except Exception:
            data = None
        if data is not None and b"__main__" not in data:
            return data
    import cloudpickle

    try:
        return cloudpickle.dumps(value, protocol=5)
    except Exception:
        if data is not None:  # loadable at least where ``__main__`` defines the same names
            return data
        raise


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _record(row: Row[Any]) -> ArtifactRecord:
    fields = dict(row._mapping)
    fields["created_at"] = datetime.fromisoformat(fields["created_at"])
    fields["meta_text"] = fields.pop("meta")
    return ArtifactRecord(**fields)


def _retryable(e: BaseException) -> bool:
    """Another save took the version this one picked (or the server aborted a transaction
    that raced another): the save tries again with a fresh one."""
    from sqlalchemy import exc

    if isinstance(e, exc.IntegrityError):
        return True
    return getattr(getattr(e, "orig", None), "sqlstate", None) in ("40001", "40P01")


@dataclass(frozen=True)
class StoreInfo:
    """Which store this process uses (``lineage info``)."""

    database_url: str  # password hidden
    artifact_url: str
    artifacts: int  # artifact versions stored
    names: int  # distinct artifact names
    schema_version: int


_databases: dict[tuple[str, str], Database] = {}  # Store.db's, by URL


@dataclass(frozen=True)
class PushResult:
    """What :meth:`Store.push` did: the (name, version) pairs copied, and those the target
    already held with the same content."""

    copied: tuple[tuple[str, int], ...]
    present: tuple[tuple[str, int], ...]


def _same(a: ArtifactRecord, b: ArtifactRecord) -> bool:
    """The same save: everything but where the value is kept."""
    return replace(a, value_path=None) == replace(b, value_path=None)


class Store:
    """Artifacts, their versions and their values.

    ``home`` (default ``$LINEAGE_HOME``) holds the default database (``lineage.db``) and
    values (``values/``); ``database_url`` and ``artifact_url`` (default: what
    :func:`lineage.configure` set, else ``$LINEAGE_DATABASE_URL`` / ``$LINEAGE_ARTIFACT_URL``)
    put either elsewhere. They are read when the store is made, not later."""

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        database_url: str | None = None,
        artifact_url: str | None = None,
    ) -> None:
        self.home = Path(home).expanduser() if home is not None else lineage_home()
        urls = store_urls()
        self.database_url = database_url or urls.database_url  # None: lineage.db in the home
        self.artifact_url = artifact_url or urls.artifact_url  # None: values/ in the home

    def __repr__(self) -> str:
        if self.database_url is None and self.artifact_url is None:
            return f"Store({str(self.home)!r})"
        return f"Store(database={self.db.shown!r}, artifacts={self.values.location.url!r})"

    @property
    def db_path(self) -> Path | None:
        """The SQLite file of the metadata, or None for a server database."""
        return self.db.path

    @functools.cached_property
    def db(self) -> Database:
        from lineage.store.database import Database
        from lineage.store.urls import database_url

        if self.database_url is None:
            from sqlalchemy.engine import URL

            path = str((self.home / "lineage.db").absolute())
            url = URL.create("sqlite", database=path)
            hint = "point LINEAGE_HOME at another folder"
        else:
            url = database_url(self.database_url)
            hint = "point LINEAGE_DATABASE_URL (or lineage.configure) at another database"
        # one per URL in a process: its engine keeps SQLAlchemy's compiled statements, and
        # the schema is checked once
        key = (url.render_as_string(hide_password=False), hint)
        if key not in _databases:
            _databases[key] = Database(url, hint)
        return _databases[key]

    @functools.cached_property
    def values(self) -> Values:
        from lineage.store.urls import artifact_location
        from lineage.store.values import Values

        if self.artifact_url is None:
            location = artifact_location(self.home.absolute() / "values")
            return Values(location, "point LINEAGE_HOME at another folder")
        hint = "point LINEAGE_ARTIFACT_URL (or lineage.configure) elsewhere"
        return Values(artifact_location(self.artifact_url), hint)

    def _transaction(self, write: bool = False) -> Any:
        self.values.prepare()
        return self.db.transaction(write)

    # -- writing ----------------------------------------------------------------------------

    def save(
        self,
        name: str,
        value: Any,
        *,
        code: str,
        session_code: str,
        session_id: str,
        meta: dict | None = None,
    ) -> ArtifactRecord:
        """Store ``value`` and its code as the next version of ``name``.

        A value that cannot be pickled (even by cloudpickle) is not stored: this warns with
        :class:`UnpicklableValueWarning` and saves the code alone (``value_path`` is None).
        """
        from lineage.store.values import new_key

        validate_name(name)
        meta_text = json.dumps(meta or {})  # fails on non-JSON meta before anything is written
        record = ArtifactRecord(
            name=name,
            version=0,  # version and time are set when the row is inserted
            created_at=_EPOCH,
            code=code,
            session_code=session_code,
            value_type=_type_name(value),
            value_path=None,
            session_id=session_id,
            meta_text=meta_text,
        )
        try:
            data = _dumps(value)
        except Exception as e:
            warn_user(
                f"could not pickle the value of {name!r} (type {record.value_type}: {e}); "
                "its code was saved, its value was not",
                UnpicklableValueWarning,
            )
        else:
            self.values.prepare()
            record = replace(record, value_path=new_key())
            self.values.put(str(record.value_path), data)
        try:
            return self._insert(record)
        except BaseException:
            if record.value_path is not None:  # no row points to it: do not leave it behind
                self.values.remove(record.value_path)
            raise

    def _insert(self, record: ArtifactRecord) -> ArtifactRecord:
        """Insert ``record`` as the next version of its name, in one transaction: retried
        when a concurrent save took that version first (a server database)."""
        from sqlalchemy import func, insert, select

        artifacts = self._tables().artifacts
        deadline = time.monotonic() + _SAVE_RETRY_SECONDS
        attempt = 0
        while True:
            try:
                with self._transaction(write=True) as conn:
                    version = conn.execute(
                        select(func.coalesce(func.max(artifacts.c.version), 0) + 1).where(
                            artifacts.c.name == record.name
                        )
                    ).scalar_one()
                    record = replace(record, version=int(version), created_at=_now())
                    conn.execute(insert(artifacts).values(self._row(record)))
                return record
            except Exception as e:
                if not _retryable(e) or time.monotonic() > deadline:
                    raise
            attempt += 1
            time.sleep(random.uniform(0, min(0.01 * attempt, 0.2)))

    @staticmethod
    def _row(record: ArtifactRecord) -> dict[str, Any]:
        row = {f: getattr(record, f) for f in _FIELDS if f != "meta"}
        row["created_at"] = record.created_at.isoformat(timespec="microseconds")
        row["meta"] = record.meta_text
        return row

    @staticmethod
    def _tables() -> Any:
        from lineage.store.schema import tables

        return tables()

    def delete(self, name: str, version: int | None = None) -> int:
        """Delete one version of ``name``, or all of them; return how many were removed."""
        from sqlalchemy import delete, select

        artifacts = self._tables().artifacts
        with self._transaction(write=True) as conn:
            self._find(conn, name, version)  # raises for an unknown name or version
            where = artifacts.c.name == name
            if version is not None:
                where = where & (artifacts.c.version == version)
            keys = list(conn.execute(select(artifacts.c.value_path).where(where)).scalars())
            conn.execute(delete(artifacts).where(where))
        for key in keys:  # after the commit: a crash here leaves orphans, never dangling rows
            if key is not None:
                self.values.remove(key)
        return len(keys)

    # -- reading ----------------------------------------------------------------------------

    def _find(self, conn: Connection, name: str, version: int | None) -> Row[Any]:
        from sqlalchemy import select

        validate_name(name)
        if version is not None and (type(version) is not int or version < 1):
            raise InvalidVersionError(
                f"an artifact version is a whole number from 1 (`lineage list` shows them), "
                f"not {version!r}; omit it for the latest"
            )
        artifacts = self._tables().artifacts
        columns = [artifacts.c[f] for f in _FIELDS]
        query = select(*columns).where(artifacts.c.name == name)
        if version is None:
            query = query.order_by(artifacts.c.version.desc()).limit(1)
        else:
            query = query.where(artifacts.c.version == version)
        row = conn.execute(query).first()
        if row is not None:
            return row
        by_name = select(artifacts.c.version).where(artifacts.c.name == name)
        versions = list(conn.execute(by_name).scalars())
        if versions and version is not None:
            raise VersionNotFoundError(name, version, versions)
        known = conn.execute(select(artifacts.c.name).distinct()).scalars()
        raise ArtifactNotFoundError(name, list(known))

    def get(self, name: str, version: int | None = None) -> ArtifactRecord:
        """The record of ``name`` at ``version`` (the latest when None)."""
        with self._transaction() as conn:
            return _record(self._find(conn, name, version))

    def list(self) -> builtins.list[ArtifactRecord]:
        """Every version of every artifact, newest first."""
        from sqlalchemy import select

        artifacts = self._tables().artifacts
        query = select(*[artifacts.c[f] for f in _FIELDS]).order_by(
            artifacts.c.created_at.desc(), artifacts.c.id.desc()
        )
        with self._transaction() as conn:
            rows = conn.execute(query).all()
        return [_record(row) for row in rows]

    def names(self) -> builtins.list[str]:
        """The distinct artifact names, sorted."""
        from sqlalchemy import select

        artifacts = self._tables().artifacts
        with self._transaction() as conn:
            query = select(artifacts.c.name).distinct().order_by(artifacts.c.name)
            return list(conn.execute(query).scalars())

    def value_location(self, record: ArtifactRecord) -> str | None:
        """Where the value of ``record`` is (a path, or a URL), or None when not stored."""
        return None if record.value_path is None else self.values.shown(record.value_path)

    def has_value(self, record: ArtifactRecord) -> bool:
        """The value of ``record`` is stored and there."""
        return record.value_path is not None and self.values.exists(record.value_path)

    def value_bytes(self, record: ArtifactRecord) -> bytes:
        """The pickled value saved with ``record``."""
        if record.value_path is None:
            raise ValueNotStoredError(
                f"artifact {record.name!r} version {record.version} has no stored value: its "
                f"{record.value_type} value could not be pickled when it was saved; "
                "its `.code` still rebuilds it"
            )
        try:
            return self.values.get(record.value_path)
        except OSError as e:
            raise CorruptStoreError(
                f"the value file {self.value_location(record)} of artifact {record.name!r} "
                f"version {record.version} cannot be read ({e.strerror or e}); its `.code` "
                "still rebuilds the value"
            ) from e

    def load_value(self, record: ArtifactRecord) -> Any:
        """Unpickle the value saved with ``record``."""
        data = self.value_bytes(record)
        try:
            return pickle.loads(data)
        except (ImportError, AttributeError) as e:
            raise ValueLoadError(
                f"cannot load the {record.value_type} value of artifact {record.name!r} "
                f"version {record.version} here ({e}): install or define what it needs, "
                "or rebuild it with its `.code`"
            ) from e
        except Exception as e:
            raise CorruptStoreError(
                f"the value file {self.value_location(record)} of artifact {record.name!r} "
                f"version {record.version} is corrupt ({type(e).__name__}: {e}); its `.code` "
                "still rebuilds the value"
            ) from e

    # -- the store as a whole -----------------------------------------------------------------

    def info(self) -> StoreInfo:
        """Which store this is, how many artifacts it holds, its schema version."""
        from sqlalchemy import func, select

        artifacts = self._tables().artifacts
        with self._transaction() as conn:
            count, names = conn.execute(
                select(func.count(), func.count(artifacts.c.name.distinct()))
            ).one()
        return StoreInfo(
            database_url=self.db.shown_url,
            artifact_url=self.values.location.url,
            artifacts=int(count),
            names=int(names),
            schema_version=SCHEMA_VERSION,
        )

    def gc(
        self, *, delete: bool = False, older_than: float = GC_GRACE_SECONDS
    ) -> builtins.list[StoredObject]:
        """The values no row names, written more than ``older_than`` seconds ago (younger ones
        may belong to a save about to commit); removed only when ``delete`` is true.

        The objects are listed before the rows are read: a value whose row commits in
        between is seen as named, and one written after the listing is not considered."""
        from sqlalchemy import select

        artifacts = self._tables().artifacts
        self.values.prepare()
        self.db.prepare()
        found = builtins.list(self.values.objects())
        with self._transaction() as conn:
            query = select(artifacts.c.value_path).where(artifacts.c.value_path.is_not(None))
            named = set(conn.execute(query).scalars())
        now = _now()
        orphans = [
            o
            for o in found
            if o.key not in named
            and o.modified is not None
            and (now - o.modified).total_seconds() >= older_than
        ]
        if delete:
            for orphan in orphans:
                self.values.remove(orphan.key)
        return orphans

    def push(self, target: Store) -> PushResult:
        """Copy every artifact version of this store into ``target`` (e.g. a local store into
        a team's), keeping names, versions, times and code; the values are written under new
        keys in ``target``'s artifact URL.

        All or nothing, and safe to repeat: the versions ``target`` already holds with the
        same content are left alone; one it holds with other content (someone saved the same
        name there) is a :class:`PushConflictError` before anything is written. The values
        are written first, then every row is inserted in one transaction, so a push cut short
        leaves at worst value objects no row names (``gc`` removes them)."""
        from sqlalchemy import insert
        from sqlalchemy.exc import IntegrityError

        from lineage.store.values import new_key

        if self.db.same_as(target.db):
            raise StoreConfigError(f"cannot push a store into itself ({self.db.shown})")
        mine = sorted(self.list(), key=lambda r: (r.name, r.version))
        theirs = {(r.name, r.version): r for r in target.list()}
        conflicts = [
            r
            for r in mine
            if (r.name, r.version) in theirs and not _same(r, theirs[r.name, r.version])
        ]
        if conflicts:
            shown = ", ".join(f"{r.name!r} version {r.version}" for r in conflicts[:5])
            more = f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else ""
            raise PushConflictError(
                f"{target.db.shown} already holds {shown}{more} with other content: nothing was "
                "pushed. Rename or delete those artifacts in one of the stores, then push again"
            )
        todo = [r for r in mine if (r.name, r.version) not in theirs]
        copied: list[ArtifactRecord] = []
        target.values.prepare()
        try:
            for record in todo:
                key = None
                if record.value_path is not None:
                    key = new_key()
                    target.values.put(key, self.value_bytes(record))
                copied.append(replace(record, value_path=key))
            artifacts = self._tables().artifacts
            with target._transaction(write=True) as conn:
                if copied:
                    conn.execute(insert(artifacts), [self._row(r) for r in copied])
        except IntegrityError as e:  # a version was saved into the target meanwhile
            for record in copied:
                if record.value_path is not None:
                    target.values.remove(record.value_path)
            raise PushConflictError(
                f"{target.db.shown} gained a version of an artifact being pushed while the "
                "push ran: nothing was pushed; push again"
            ) from e
        except BaseException:
            for record in copied:
                if record.value_path is not None:
                    target.values.remove(record.value_path)
            raise
        return PushResult(
            copied=tuple((r.name, r.version) for r in copied),
            present=tuple((r.name, r.version) for r in mine if (r.name, r.version) in theirs),
        )
