"""The store's values: one pickle per artifact version under the artifact URL, through fsspec
for every URL (the default local folder included).

Each value is written under a new random key (``<32 hex>.pkl``) and is complete before the
row that names it commits: in a local folder it goes to a temporary file, synced, then renamed;
an object store (S3, GCS) puts an object whole or not at all. So a save cut short leaves at
worst an object no row names, which nothing reads and ``lineage gc`` removes.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from lineage.errors import StoreAccessError
from lineage.store.urls import ArtifactLocation

# what lineage writes under the artifact URL: values, and a local write cut short
_OURS = re.compile(r"(?:[0-9a-f]{32}\.pkl|\.tmp-[0-9a-f]{32}\.pkl\.part)")


def new_key() -> str:
    return f"{os.urandom(16).hex()}.pkl"


@dataclass(frozen=True)
class StoredObject:
    """An object lineage wrote under the artifact URL."""

    key: str
    size: int | None
    modified: datetime | None  # UTC


def _modified(info: dict[str, Any]) -> datetime | None:
    stamp = info.get("LastModified", info.get("mtime", info.get("updated")))
    if isinstance(stamp, (int, float)):
        return datetime.fromtimestamp(stamp, timezone.utc)
    if isinstance(stamp, datetime):
        return stamp.astimezone(timezone.utc)
    if isinstance(stamp, str):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(timezone.utc)
    return None


class Values:
    """Values under one artifact location; ``hint`` says what to change when it is unusable."""

    def __init__(self, location: ArtifactLocation, hint: str) -> None:
        self.location = location
        self.hint = hint

    def shown(self, key: str) -> str:
        return self.location.shown(key)

    def inaccessible(self, e: BaseException) -> StoreAccessError:
        where = self.location.root if self.location.local else self.location.url
        if self.location.local:
            advice = (
                f"lineage needs a folder it can create and write at {where}, on a disk with "
                f"free space: fix that, or {self.hint}"
            )
        else:
            advice = (
                "check that the bucket exists and that the credentials in the environment "
                f"(AWS_*, GOOGLE_*, ...) may read and write it; or {self.hint}"
            )
        return StoreAccessError(f"cannot use the lineage store at {where} ({e}): {advice}")

    def prepare(self) -> None:
        """Make the local folder (an object store needs none)."""
        if self.location.local:
            try:
                self.location.fs.makedirs(self.location.root, exist_ok=True)
            except OSError as e:
                raise self.inaccessible(e) from e

    def put(self, key: str, data: bytes) -> None:
        """Write ``data`` whole under ``key`` (see the module's docstring)."""
        fs, path = self.location.fs, self.location.path(key)
        try:
            if not self.location.local:
                fs.pipe_file(path, data)
                return
            tmp = self.location.path(f".tmp-{key}.part")
            try:
                with fs.open(tmp, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                fs.mv(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    fs.rm_file(tmp)
                raise
        except OSError as e:
            raise self.inaccessible(e) from e
        if self.location.local:  # make the rename itself durable where the OS allows
            with contextlib.suppress(OSError):
                dir_fd = os.open(self.location.root, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; OSError when they cannot be read."""
        data = self.location.fs.cat_file(self.location.path(key))
        return bytes(data)

    def exists(self, key: str) -> bool:
        try:
            return bool(self.location.fs.isfile(self.location.path(key)))
        except OSError:
            return False

    def remove(self, key: str) -> None:
        """Remove ``key`` if it is there (a failure leaves an orphan, which gc removes)."""
        with contextlib.suppress(OSError):
            self.location.fs.rm_file(self.location.path(key))

    def objects(self) -> Iterator[StoredObject]:
        """What lineage wrote under the artifact URL (other files there are not ours)."""
        fs, root = self.location.fs, self.location.root
        fs.invalidate_cache(root)  # object stores cache listings
        try:
            entries = fs.ls(root, detail=True)
        except FileNotFoundError:
            return
        except OSError as e:
            raise self.inaccessible(e) from e
        for info in entries:
            key = str(info["name"]).rstrip("/").rsplit("/", 1)[-1]
            if info.get("type") == "file" and _OURS.fullmatch(key):
                size = info.get("size")
                yield StoredObject(key=key, size=size, modified=_modified(info))
