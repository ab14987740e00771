"""Settings read from the environment at call time (never at import time)."""

from __future__ import annotations

import os
from pathlib import Path


def lineage_home() -> Path:
    """Where the store lives: ``$LINEAGE_HOME``, default ``~/.lineage``."""
    env = os.environ.get("LINEAGE_HOME")
    return Path(env).expanduser() if env else Path.home() / ".lineage"


def dev_mode() -> bool:
    """``LINEAGE_DEV_MODE=1`` makes internal capture failures raise instead of being reported."""
    return os.environ.get("LINEAGE_DEV_MODE", "") not in ("", "0", "false", "False")
