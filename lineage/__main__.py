"""``python -m lineage``: the ``lineage`` command."""

from __future__ import annotations

import sys

from lineage.cli import main

sys.exit(main())
