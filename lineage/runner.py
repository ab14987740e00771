"""``lineage run script.py``: capture a plain script with the same machinery as the extension.

The script runs as one cell of a fresh, non-interactive IPython shell with lineage loaded, so
``lineage.save`` calls inside it save artifacts exactly as they would in a notebook.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from lineage.errors import LineageError


def run_script(path: str | Path, argv: Sequence[str] = ()) -> int:
    """Run ``path`` under capture; returns the exit status (0 when it ran without error)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from lineage.ipython_errors import register
    from lineage.tracer import load

    script = Path(path)
    if not script.is_file():
        raise LineageError(f"no such script: {script} (give the path of a .py file)")
    source = script.read_text(encoding="utf-8")
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.ast_node_interactivity = "none"
    config.InteractiveShell.colors = "nocolor"
    shell = InteractiveShell.instance(config=config)
    shell.user_ns["__file__"] = str(script.resolve())
    old_argv, old_path = sys.argv, list(sys.path)
    sys.argv = [str(script), *argv]
    sys.path.insert(0, str(script.resolve().parent))
    load(shell)
    register(shell)  # a LineageError in the script shows as its message, as in a notebook
    try:
        result = shell.run_cell(source, store_history=True)
    finally:
        sys.argv = old_argv
        sys.path[:] = old_path
    error = result.error_before_exec or result.error_in_exec
    if isinstance(error, SystemExit):
        code = error.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0 if error is None else 1
