"""The embedded artifact store: SQLite metadata plus one pickle file per saved value.

Layout under the home folder (``$LINEAGE_HOME``, default ``~/.lineage``)::

    lineage.db            metadata (WAL mode), marked with app='lineage' and a schema version
    values/<uuid>.pkl     one value per artifact version, written atomically

``lineage.db`` is born complete: it is made (schema and marker) in a temporary file of the
home and linked into place, so lineage never takes over a database it did not make. A
``lineage.db`` without lineage's marker (empty, garbage, another program's tables) is refused
with :class:`CorruptStoreError`; a store that cannot be written or read now (read-only folder,
full disk, a directory where the database should be, a lock held too long) raises
:class:`StoreAccessError`.

A value file is complete before the row that points to it commits, so a crash mid-save leaves
earlier versions readable; at worst an orphan value file remains, which nothing reads.
Connections are opened per operation and closed after, so forks and threads are safe.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import json
import os
import pickle
import sqlite3
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lineage._config import lineage_home
from lineage.errors import (
    ArtifactNotFoundError,
    CorruptStoreError,
    InvalidArtifactNameError,
    InvalidVersionError,
    StoreAccessError,
    UnpicklableValueWarning,
    ValueLoadError,
    ValueNotStoredError,
    VersionNotFoundError,
    warn_user,
)

SCHEMA_VERSION = 1
MAX_NAME_LENGTH = 200
_ALLOWED = (
    "names may use any printable characters except '/' and '\\', "
    f"up to {MAX_NAME_LENGTH} characters, e.g. 'model_v2'"
)
_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE artifacts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        code TEXT NOT NULL,
        session_code TEXT NOT NULL,
        value_type TEXT NOT NULL,
        value_path TEXT,
        session_id TEXT NOT NULL,
        meta TEXT NOT NULL,
        UNIQUE (name, version)
    )""",
)
_COLUMNS = "name, version, created_at, code, session_code, value_type, value_path, session_id, meta"
_FIELDS = _COLUMNS.replace("meta", "meta_text").split(", ")
_SLOTS = ", ".join(f":{column}" for column in _COLUMNS.split(", "))


@dataclass(frozen=True)
class ArtifactRecord:
    name: str
    version: int  # 1, 2, 3... per name; every save is a new version
    created_at: datetime  # timezone-aware UTC
    code: str  # slice code
    session_code: str  # whole captured session code
    value_type: str  # e.g. "builtins.list", "pandas.core.frame.DataFrame"
    value_path: str | None  # relative to the home; None when the value could not be pickled
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


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder, fsync'd, then renamed."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that takes the lock up front, so concurrent writers queue (up to
    the connection's timeout) instead of failing or reading stale versions."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # SQLite already rolled back after some errors (a full disk)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _record(row: sqlite3.Row) -> ArtifactRecord:
    fields = dict(zip(row.keys(), row, strict=True))
    fields["created_at"] = datetime.fromisoformat(fields["created_at"])
    fields["meta_text"] = fields.pop("meta")
    return ArtifactRecord(**fields)


class Store:
    """Artifacts, their versions and their values under one home folder."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = Path(home).expanduser() if home is not None else lineage_home()

    def __repr__(self) -> str:
        return f"Store({str(self.home)!r})"

    @property
    def db_path(self) -> Path:
        return self.home / "lineage.db"

    @property
    def values_dir(self) -> Path:
        return self.home / "values"

    # -- connections and schema -------------------------------------------------------------

    def _corrupt(self, what: str) -> CorruptStoreError:
        return CorruptStoreError(
            f"{self.db_path} {what}: move it away (lineage then starts a new store there) "
            "or point LINEAGE_HOME at another folder"
        )

    def _inaccessible(self, e: Exception) -> StoreAccessError:
        """The store cannot be used now (``e`` says why): what to do about it."""
        if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
            advice = "another process kept it locked for a minute; try again"
        elif self.db_path.is_dir():
            advice = f"{self.db_path} is a folder: move it away or point LINEAGE_HOME elsewhere"
        else:
            advice = (
                f"lineage needs a folder it can create and write at {self.home}, on a disk "
                "with free space: fix that, or point LINEAGE_HOME at another folder"
            )
        where = self.db_path if isinstance(e, sqlite3.Error) else self.home
        return StoreAccessError(f"cannot use the lineage store at {where} ({e}): {advice}")

    def _make_home(self) -> None:
        try:
            self.values_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise self._inaccessible(e) from e

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A checked connection in autocommit mode (transactions are explicit), closed after.
        It never creates a file: a missing ``lineage.db`` is made by :meth:`_create` first."""
        self._make_home()
        try:
            if not os.path.lexists(self.db_path):
                self._create()
            uri = Path(os.path.abspath(self.db_path)).as_uri() + "?mode=rw"
            conn = sqlite3.connect(uri, uri=True, timeout=60.0, isolation_level=None)
        except (sqlite3.OperationalError, OSError) as e:
            raise self._inaccessible(e) from e
        try:
            conn.row_factory = sqlite3.Row
            self._check_schema(conn)
            yield conn
        except sqlite3.OperationalError as e:  # read-only, full, locked: not corruption
            raise self._inaccessible(e) from e
        except sqlite3.DatabaseError as e:
            # Only the base class means "not a database" / "malformed".
            if type(e) is not sqlite3.DatabaseError:
                raise
            raise self._corrupt(f"is not a readable lineage database ({e})") from e
        finally:
            conn.close()

    def _create(self) -> None:
        """Make ``lineage.db`` complete in a temporary file, then link it into place: the
        path never holds a half-made store, so one without lineage's marker is never ours.
        When another process linked its own first, that one is used."""
        fd, tmp = tempfile.mkstemp(dir=self.home, prefix=".new-", suffix=".db")
        os.close(fd)
        try:
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")  # persistent, kept in the file
                with _immediate(conn):
                    for statement in _SCHEMA:
                        conn.execute(statement)
                    conn.executemany(
                        "INSERT INTO meta (key, value) VALUES (?, ?)",
                        [("app", "lineage"), ("schema_version", str(SCHEMA_VERSION))],
                    )
            finally:
                conn.close()
            try:
                os.link(tmp, self.db_path)  # fails if it exists: never replaces a store
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links: rename, unless one appeared
                if not os.path.lexists(self.db_path):
                    os.replace(tmp, self.db_path)
        finally:
            for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(leftover)

    def _check_schema(self, conn: sqlite3.Connection) -> None:
        tables = self._tables(conn)
        if not tables:
            raise self._corrupt("is empty (a file lineage did not make)")
        marker = {}
        if "meta" in tables:
            marker = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if marker.get("app") != "lineage":
            raise self._corrupt("is an SQLite database that lineage did not create")
        try:
            version = int(marker.get("schema_version", ""))
        except ValueError:
            raise self._corrupt("has no valid lineage schema version") from None
        if version > SCHEMA_VERSION:
            raise CorruptStoreError(
                f"{self.db_path} was written by a newer lineage (schema {version}; this one "
                f"reads {SCHEMA_VERSION}): upgrade lineage, or point LINEAGE_HOME elsewhere"
            )
        if version != SCHEMA_VERSION or "artifacts" not in tables:
            raise self._corrupt(f"has an unknown lineage schema (version {version})")

    @staticmethod
    def _tables(conn: sqlite3.Connection) -> set[str]:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {row[0] for row in rows}

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
            self._make_home()
            record = replace(record, value_path=f"values/{os.urandom(16).hex()}.pkl")
            try:
                _write_atomic(self.home / str(record.value_path), data)
            except OSError as e:
                raise self._inaccessible(e) from e
        try:
            with self._connect() as conn, _immediate(conn):
                (version,) = conn.execute(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM artifacts WHERE name = ?", (name,)
                ).fetchone()
                record = replace(record, version=version, created_at=_now())
                created_at = record.created_at.isoformat(timespec="microseconds")
                row = {f: getattr(record, f) for f in _FIELDS} | {
                    "created_at": created_at,
                    "meta": meta_text,
                }
                conn.execute(f"INSERT INTO artifacts ({_COLUMNS}) VALUES ({_SLOTS})", row)
        except BaseException:
            if record.value_path is not None:  # no row points to it: do not leave it behind
                with contextlib.suppress(OSError):
                    (self.home / record.value_path).unlink()
            raise
        return record

    def delete(self, name: str, version: int | None = None) -> int:
        """Delete one version of ``name``, or all of them; return how many were removed."""
        with self._connect() as conn, _immediate(conn):
            self._find(conn, name, version)  # raises for an unknown name or version
            where = "name = ?" if version is None else "name = ? AND version = ?"
            args = (name,) if version is None else (name, version)
            paths = [
                r[0] for r in conn.execute(f"SELECT value_path FROM artifacts WHERE {where}", args)
            ]
            conn.execute(f"DELETE FROM artifacts WHERE {where}", args)
        for path in paths:  # after the commit: a crash here leaves orphans, never dangling rows
            if path is not None:
                with contextlib.suppress(OSError):
                    (self.home / path).unlink()
        return len(paths)

    # -- reading ----------------------------------------------------------------------------

    @staticmethod
    def _find(conn: sqlite3.Connection, name: str, version: int | None) -> sqlite3.Row:
        validate_name(name)
        if version is not None and (type(version) is not int or version < 1):
            raise InvalidVersionError(
                f"an artifact version is a whole number from 1 (`lineage list` shows them), "
                f"not {version!r}; omit it for the latest"
            )
        query = f"SELECT {_COLUMNS} FROM artifacts WHERE name = ?"
        if version is None:
            row = conn.execute(f"{query} ORDER BY version DESC LIMIT 1", (name,)).fetchone()
        else:
            row = conn.execute(f"{query} AND version = ?", (name, version)).fetchone()
        if row is not None:
            return row
        rows = conn.execute("SELECT version FROM artifacts WHERE name = ?", (name,)).fetchall()
        if rows and version is not None:
            raise VersionNotFoundError(name, version, [r[0] for r in rows])
        known = [r[0] for r in conn.execute("SELECT DISTINCT name FROM artifacts")]
        raise ArtifactNotFoundError(name, known)

    def get(self, name: str, version: int | None = None) -> ArtifactRecord:
        """The record of ``name`` at ``version`` (the latest when None)."""
        with self._connect() as conn:
            return _record(self._find(conn, name, version))

    def list(self) -> builtins.list[ArtifactRecord]:
        """Every version of every artifact, newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM artifacts ORDER BY created_at DESC, id DESC"
            ).fetchall()
        return [_record(row) for row in rows]

    def names(self) -> builtins.list[str]:
        """The distinct artifact names, sorted."""
        with self._connect() as conn:
            rows = conn.execute("SELECT DISTINCT name FROM artifacts ORDER BY name").fetchall()
        return [row[0] for row in rows]

    def load_value(self, record: ArtifactRecord) -> Any:
        """Unpickle the value saved with ``record``."""
        if record.value_path is None:
            raise ValueNotStoredError(
                f"artifact {record.name!r} version {record.version} has no stored value: its "
                f"{record.value_type} value could not be pickled when it was saved; "
                "its `.code` still rebuilds it"
            )
        path = self.home / record.value_path
        try:
            data = path.read_bytes()
        except OSError as e:
            raise CorruptStoreError(
                f"the value file {path} of artifact {record.name!r} version {record.version} "
                f"cannot be read ({e.strerror or e}); its `.code` still rebuilds the value"
            ) from e
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
                f"the value file {path} of artifact {record.name!r} version {record.version} "
                f"is corrupt ({type(e).__name__}: {e}); its `.code` still rebuilds the value"
            ) from e
