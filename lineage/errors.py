"""Every error lineage raises on purpose derives from :class:`LineageError`.

Messages say what to do next, not only what went wrong.
"""

from __future__ import annotations

import difflib
import os
import sys
import warnings
from collections.abc import Iterable


class LineageError(Exception):
    """Root of all lineage errors."""


class ExtensionNotLoadedError(LineageError):
    def __init__(self) -> None:
        super().__init__(
            "lineage is not capturing this session: run `%load_ext lineage` in IPython/Jupyter "
            "before the cells you want to save, or run a script with `lineage run script.py`"
        )


class InvalidArtifactNameError(LineageError, ValueError):
    pass


class InvalidVersionError(LineageError, ValueError):
    pass


class ArtifactNotFoundError(LineageError, KeyError):
    def __init__(self, name: str, known: Iterable[str] = ()) -> None:
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(f"no artifact named {name!r}{hint} (`lineage list` shows all)")
        self.name = name

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class VersionNotFoundError(LineageError, KeyError):
    def __init__(self, name: str, version: int, known: Iterable[int] = ()) -> None:
        versions = sorted(known)
        have = ", ".join(str(v) for v in versions) or "none"
        super().__init__(
            f"artifact {name!r} has no version {version} (versions: {have}); "
            f"omit the version for the latest"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class CorruptStoreError(LineageError):
    pass


class StoreAccessError(LineageError, OSError):
    """The store is there but cannot be used now: its folder or database is read-only, the
    disk is full, or another process holds the database locked."""


class StoreConfigError(LineageError, ValueError):
    """A store URL (``lineage.configure``, ``LINEAGE_DATABASE_URL``, ``LINEAGE_ARTIFACT_URL``)
    is malformed, or its driver is not installed."""


class PushConflictError(LineageError):
    """``lineage push``: the target store already holds a version of an artifact with other
    content than the one being pushed; nothing was copied."""


class CaptureFailedError(LineageError, RuntimeError):
    """Capture failed earlier in this session, so a slice of it could be wrong (a
    RuntimeError too, which lineage raised here before)."""


class ValueNotStoredError(LineageError):
    pass


class SliceError(LineageError):
    pass


class ExportError(LineageError):
    pass


class ReusedArtifactError(LineageError, LookupError):
    """A pipeline exported with ``--reuse`` cannot find the artifact version it loads: that
    version was deleted from the store (or saved again after a delete), or its value is
    gone."""


class UnpicklableValueWarning(UserWarning):
    """The value could not be pickled; its code was saved without it."""


class UnreplayedCodeWarning(UserWarning):
    """Code a magic ran (%timeit, %prun, %run) may have changed the saved value, and the slice
    cannot replay it."""


class ValueLoadError(LineageError):
    """A stored value exists but cannot be unpickled here (its module or class is missing)."""


_PACKAGE = os.path.dirname(os.path.realpath(__file__))


def warn_user(message: str, category: type[Warning]) -> None:
    """Warn with the location of the first frame outside lineage (the user's cell or script),
    as ``skip_file_prefixes`` does on Python 3.12+: the user sees where they called lineage,
    not lineage's own lines."""
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and _in_lineage(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level + 1)


def _in_lineage(filename: str) -> bool:
    path = os.path.realpath(filename)  # pseudo names ("<ipython-input-1-...>") are not under it
    return path.startswith(_PACKAGE + os.sep)
