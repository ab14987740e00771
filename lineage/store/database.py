"""The store's metadata database, through SQLAlchemy Core, for every URL (the default SQLite
file under the home included).

- **A database lineage made, or none.** A SQLite file is born complete: made (schema and
  marker) in a temporary file next to it and linked into place, so lineage never takes over a
  file it did not make. A server database (PostgreSQL) that is empty gets the schema in one
  transaction, under a transaction-level advisory lock so concurrent first uses make it once.
  A database without lineage's marker (an empty SQLite file, garbage, another program's
  tables) is refused with :class:`CorruptStoreError`; one written by a newer lineage too.
- **Migrations** from an older schema run in one write transaction, after a backup of a
  SQLite file (``lineage.db.schema-N.bak``), and under the same lock as creation.
- **Errors**: a database that cannot be used now (read-only, full disk, locked too long, a
  server that does not answer) raises :class:`StoreAccessError`.
- **Connections** are opened per operation and closed after (no pool), so forks and threads
  are safe. SQLite write transactions take the lock up front (``BEGIN IMMEDIATE``), so
  concurrent writers queue (up to a minute) instead of reading stale versions.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineage.errors import CorruptStoreError, LineageError, StoreAccessError
from lineage.store import schema
from lineage.store.urls import mask

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.engine import URL
    from sqlalchemy.exc import DBAPIError

_LOCK_KEY = 0x6C696E65  # "line": the advisory lock that serialises schema changes on a server
_TIMEOUT = 60.0  # seconds a SQLite writer waits for the lock; a server connection for a reply


def _sqlite_connect(path: Path, wal: bool = False) -> sqlite3.Connection:
    """A connection to an existing file (``mode=rw`` never creates one), in autocommit mode:
    transactions are begun explicitly (see :func:`_sqlite_begin`)."""
    uri = Path(os.path.abspath(path)).as_uri() + "?mode=rw"
    conn = sqlite3.connect(
        uri, uri=True, timeout=_TIMEOUT, isolation_level=None, check_same_thread=False
    )
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")  # persistent, kept in the file
    return conn


def _sqlite_begin(conn: Connection) -> None:
    """SQLAlchemy's ``begin`` for SQLite: a write takes the lock up front."""
    write = conn.get_execution_options().get("lineage_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _sqlite_engine(path: Path, wal: bool = False) -> Engine:
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    engine = create_engine(
        "sqlite://", creator=lambda: _sqlite_connect(path, wal), poolclass=NullPool
    )
    event.listen(engine, "begin", _sqlite_begin)
    return engine


class Database:
    """The metadata database at ``url``; ``hint`` says what to change when it is unusable
    (``point LINEAGE_HOME at another folder``)."""

    def __init__(self, url: URL, hint: str) -> None:
        self.url = url
        self.hint = hint
        self.sqlite = url.get_backend_name() == "sqlite"
        self.path = Path(str(url.database)).expanduser() if self.sqlite else None
        self._engine: Engine | None = None
        self._ready = False  # the schema was checked (and made or migrated) once

    @property
    def shown(self) -> str:
        """The database as users name it: the SQLite file, or the URL, password hidden."""
        return str(self.path) if self.path is not None else mask(self.url)

    @property
    def shown_url(self) -> str:
        """The database's URL, password hidden."""
        return mask(self.url)

    def same_as(self, other: Database) -> bool:
        """The same database (a SQLite file however its path is written, a server database
        whatever the password)."""
        if self.path is not None or other.path is not None:
            return (
                self.path is not None
                and other.path is not None
                and os.path.realpath(self.path) == os.path.realpath(other.path)
            )
        return bool(self.url.set(password=None) == other.url.set(password=None))

    def engine(self) -> Engine:
        if self._engine is None:
            if self.path is not None:
                self._engine = _sqlite_engine(self.path)
            else:
                from sqlalchemy import create_engine
                from sqlalchemy.pool import NullPool

                args: dict[str, Any] = {}
                if self.url.get_backend_name() == "postgresql":
                    args["connect_timeout"] = int(_TIMEOUT)
                self._engine = create_engine(self.url, poolclass=NullPool, connect_args=args)
        return self._engine

    # -- errors ---------------------------------------------------------------------------

    def corrupt(self, what: str) -> CorruptStoreError:
        move = "move it away (lineage then starts a new store there) or " if self.path else ""
        return CorruptStoreError(f"{self.shown} {what}: {move}{self.hint}")

    def inaccessible(self, e: BaseException) -> StoreAccessError:
        """The database cannot be used now (``e`` says why): what to do about it."""
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if self.path is None:
            advice = (
                "check that the database server is running and reachable, that the URL, user "
                f"and password are right, and that the user may create tables; or {self.hint}"
            )
        elif "locked" in reason:
            advice = "another process kept it locked for a minute; try again"
        elif self.path.is_dir():
            advice = f"{self.path} is a folder: move it away or {self.hint}"
        else:
            advice = (
                f"lineage needs a folder it can create and write at {self.path.parent}, on a "
                f"disk with free space: fix that, or {self.hint}"
            )
        return StoreAccessError(
            f"cannot use the lineage store at {self.shown} ({reason}): {advice}"
        )

    def translate(self, e: DBAPIError) -> LineageError | None:
        """The lineage error an error of the driver means, or None (raise it as it is)."""
        from sqlalchemy import exc

        orig = e.orig
        if isinstance(e, exc.IntegrityError):
            return None
        if self.sqlite:
            if isinstance(orig, sqlite3.OperationalError):  # read-only, full, locked
                return self.inaccessible(orig)
            if type(orig) is sqlite3.DatabaseError:  # only the base class: not a database
                return self.corrupt(f"is not a readable lineage database ({orig})")
            return None
        if isinstance(e, (exc.OperationalError, exc.InterfaceError)):
            return self.inaccessible(orig if orig is not None else e)
        if getattr(orig, "sqlstate", None) == "42501":  # insufficient privilege
            return self.inaccessible(orig if orig is not None else e)
        return None

    # -- connections ----------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self, write: bool = False) -> Iterator[Connection]:
        """A connection in a transaction, committed at the end (rolled back on an error),
        then closed; the schema is checked first. Driver errors become lineage's."""
        from sqlalchemy.exc import DBAPIError

        try:
            for _ in range(2):
                self.prepare()
                with self.engine().connect() as conn:
                    if write:
                        conn.execution_options(lineage_write=True)
                    with conn.begin():
                        if self._stamp(conn) == schema.SCHEMA_VERSION:
                            yield conn
                            return
                # another process changed the schema since it was checked: check it again
                self._ready = False
            raise self.corrupt("changed its schema version while lineage was using it")
        except DBAPIError as e:
            error = self.translate(e)
            if error is None:
                raise
            raise error from e

    def prepare(self) -> None:
        """Make sure the database exists at the current schema: make a SQLite file whole,
        make the schema in an empty server database, migrate an older one; refuse a foreign
        or newer one. Done once per instance (per process: :class:`~lineage.store.Store` keeps
        one instance per URL)."""
        from sqlalchemy.exc import DBAPIError

        if self._ready and (self.path is None or os.path.lexists(self.path)):
            return  # checked before (a SQLite file removed meanwhile is made again)
        try:
            if self.path is not None:
                self._make_sqlite_file(self.path)
            with self.engine().connect() as conn:
                version = self._version(conn)
                conn.rollback()
                if version != schema.SCHEMA_VERSION:
                    self._upgrade(conn)
        except DBAPIError as e:
            error = self.translate(e)
            if error is None:
                raise
            raise error from e
        self._ready = True

    # -- schema -----------------------------------------------------------------------------

    @staticmethod
    def _stamp(conn: Connection) -> int | None:
        """The schema version the marker records, read in the caller's transaction (so a
        process never writes into a store that a newer lineage migrated meanwhile)."""
        from sqlalchemy import select

        meta = schema.tables().meta
        value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    def _version(self, conn: Connection) -> int | None:
        """The schema version the database is at (None: a server database with no tables
        yet, which lineage may set up); raises for a database lineage did not make or a
        newer one."""
        from sqlalchemy import inspect, select

        names = set(inspect(conn).get_table_names())
        if not names:
            if self.path is not None:
                raise self.corrupt("is empty (a file lineage did not make)")
            return None
        marker: dict[str, str] = {}
        if "meta" in names:
            meta = schema.tables().meta
            rows = conn.execute(select(meta.c.key, meta.c.value))
            marker = {str(key): str(value) for key, value in rows}
        if marker.get("app") != schema.APP:
            what = "an SQLite database" if self.path is not None else "a database"
            others = "" if self.path is not None else f" (it holds {', '.join(sorted(names))})"
            raise self.corrupt(f"is {what} that lineage did not create{others}")
        try:
            version = int(marker.get("schema_version", ""))
        except ValueError:
            raise self.corrupt("has no valid lineage schema version") from None
        if version > schema.SCHEMA_VERSION:
            raise CorruptStoreError(
                f"{self.shown} was written by a newer lineage (schema {version}; this one "
                f"reads {schema.SCHEMA_VERSION}): upgrade lineage, or {self.hint}"
            )
        if version < 1 or "artifacts" not in names:
            raise self.corrupt(f"has an unknown lineage schema (version {version})")
        return version

    def _upgrade(self, conn: Connection) -> None:
        """Create or migrate the schema in one write transaction, under the lock, looking
        again at the version once the lock is held (another process may have done it)."""
        conn.execution_options(lineage_write=True)
        with conn.begin():
            if self.url.get_backend_name() == "postgresql":
                from sqlalchemy import text

                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            version = self._version(conn)
            if version is None:
                schema.create(conn)
            elif version < schema.SCHEMA_VERSION:
                if self.path is not None:
                    self._backup(self.path, version)
                schema.migrate(conn, version)
        conn.execution_options(lineage_write=False)

    @staticmethod
    def _backup(path: Path, version: int) -> Path:
        """A consistent copy of the SQLite file as it is before a migration, next to it (the
        caller holds the write lock, so this reads the state the migration starts from)."""
        backup = path.with_name(f"{path.name}.schema-{version}.bak")
        if backup.exists():
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
            backup = path.with_name(f"{path.name}.schema-{version}.{stamp}.bak")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".backup-", suffix=".db")
        os.close(fd)
        try:
            source = _sqlite_connect(path)
            target = sqlite3.connect(tmp)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
            os.replace(tmp, backup)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return backup

    def _make_sqlite_file(self, path: Path) -> None:
        """Make the SQLite file complete in a temporary file, then link it into place: the
        path never holds a half-made store, so one without lineage's marker is never ours.
        When another process linked its own first, that one is used."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if os.path.lexists(path):
                return
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".new-", suffix=".db")
            os.close(fd)
        except OSError as e:
            raise self.inaccessible(e) from e
        try:
            engine = _sqlite_engine(Path(tmp), wal=True)
            try:
                with engine.connect() as conn:
                    conn.execution_options(lineage_write=True)
                    with conn.begin():
                        schema.create(conn)
            finally:
                engine.dispose()
            try:
                os.link(tmp, path)  # fails if it exists: never replaces a store
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links: rename, unless one appeared
                if not os.path.lexists(path):
                    os.replace(tmp, path)
        finally:
            for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(leftover)
