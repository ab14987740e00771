"""The store's tables, its schema version and the ordered migrations between versions.

The database records its schema in the ``meta`` table (``app = 'lineage'``, ``schema_version``).
A store at an older version is migrated in place by :func:`migrate`, inside the caller's one
transaction (SQLite and PostgreSQL both run DDL transactionally), so a migration either
happened whole or not at all. lineage keeps its migrations here, as a small ordered list of
SQLAlchemy Core steps, rather than as an Alembic environment: the schema is two tables, every
migration must run inside the store's own locked transaction (and after the SQLite backup),
and Alembic would add a dependency and its import cost to every process that opens a store,
for features (autogenerate, branches, downgrades) lineage does not use.

Versions:

1. ``meta`` + ``artifacts``; ``value_path`` relative to the home folder (``values/<key>.pkl``).
2. ``value_path`` is the key under the artifact URL (``<key>.pkl``), which may be another
   folder or a bucket; an index on ``created_at`` (listing is newest first).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection, MetaData, Table

SCHEMA_VERSION = 2
APP = "lineage"


@dataclass(frozen=True)
class Tables:
    metadata: MetaData
    meta: Table
    artifacts: Table


@functools.cache
def tables() -> Tables:
    """The current schema's tables (built on first use: SQLAlchemy is imported lazily)."""
    from sqlalchemy import Column, Index, Integer, MetaData, Table, Text, UniqueConstraint

    metadata = MetaData()
    meta = Table(
        "meta",
        metadata,
        Column("key", Text, primary_key=True),
        Column("value", Text, nullable=False),
    )
    artifacts = Table(
        "artifacts",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", Text, nullable=False),
        Column("version", Integer, nullable=False),
        Column("created_at", Text, nullable=False),  # ISO 8601, UTC, microseconds: sorts
        Column("code", Text, nullable=False),
        Column("session_code", Text, nullable=False),
        Column("value_type", Text, nullable=False),
        Column("value_path", Text),  # the key under the artifact URL; NULL: not stored
        Column("session_id", Text, nullable=False),
        Column("meta", Text, nullable=False),
        UniqueConstraint("name", "version"),
        Index("ix_artifacts_created_at", "created_at"),
        sqlite_autoincrement=True,
    )
    return Tables(metadata=metadata, meta=meta, artifacts=artifacts)


def create(conn: Connection) -> None:
    """Make the current schema and its marker in an empty database (in the caller's
    transaction)."""
    from sqlalchemy import insert

    t = tables()
    t.metadata.create_all(conn)
    conn.execute(
        insert(t.meta),
        [
            {"key": "app", "value": APP},
            {"key": "schema_version", "value": str(SCHEMA_VERSION)},
        ],
    )


def _v1_values_under_the_artifact_url(conn: Connection) -> None:
    from sqlalchemy import func, update

    artifacts = tables().artifacts
    prefix = "values/"
    conn.execute(
        update(artifacts)
        .where(artifacts.c.value_path.like(f"{prefix}%"))
        .values(value_path=func.substr(artifacts.c.value_path, len(prefix) + 1))
    )
    (index,) = (i for i in artifacts.indexes if i.name == "ix_artifacts_created_at")
    index.create(conn)


# MIGRATIONS[v] takes a store from version v to v + 1
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _v1_values_under_the_artifact_url,
}


def migrate(conn: Connection, version: int) -> None:
    """Take the store from ``version`` to :data:`SCHEMA_VERSION`, in the caller's transaction."""
    from sqlalchemy import update

    meta = tables().meta
    for step in range(version, SCHEMA_VERSION):
        MIGRATIONS[step](conn)
    conn.execute(
        update(meta).where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION))
    )
