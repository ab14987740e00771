"""Settings read from the environment at call time (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def lineage_home() -> Path:
    """Where the store lives: ``$LINEAGE_HOME``, default ``~/.lineage``."""
    env = os.environ.get("LINEAGE_HOME")
    return Path(env).expanduser() if env else Path.home() / ".lineage"


def dev_mode() -> bool:
    """``LINEAGE_DEV_MODE=1`` makes internal capture failures raise instead of being reported."""
    return os.environ.get("LINEAGE_DEV_MODE", "") not in ("", "0", "false", "False")


@dataclass(frozen=True)
class StoreURLs:
    """Where the store keeps its metadata and its values; None means the default (under the
    home folder)."""

    database_url: str | None = None
    artifact_url: str | None = None


# what lineage.configure() set for this process; None until it is called (nothing at import)
_configured: StoreURLs | None = None


def set_store_urls(urls: StoreURLs | None) -> None:
    """The URLs :func:`lineage.configure` set for this process (None: the environment's)."""
    global _configured
    _configured = urls


def store_urls() -> StoreURLs:
    """The store's URLs, each the one :func:`lineage.configure` set, else
    ``$LINEAGE_DATABASE_URL`` / ``$LINEAGE_ARTIFACT_URL``, else None (the default under the
    home)."""
    configured = _configured or StoreURLs()
    return StoreURLs(
        database_url=configured.database_url or os.environ.get("LINEAGE_DATABASE_URL") or None,
        artifact_url=configured.artifact_url or os.environ.get("LINEAGE_ARTIFACT_URL") or None,
    )
