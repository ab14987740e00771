"""lineage: the minimal code behind a notebook result, and pipelines that rebuild it.

In IPython or Jupyter::

    %load_ext lineage
    ...
    import lineage
    art = lineage.save(model, "model")
    print(art.code)
"""

from __future__ import annotations

from typing import Any

from lineage.api import Artifact, artifacts, configure, delete, gc, get, info, push, save
from lineage.errors import LineageError
from lineage.export import export
from lineage.function import get_function, get_source

__all__ = [
    "Artifact",
    "LineageError",
    "artifacts",
    "configure",
    "delete",
    "export",
    "gc",
    "get",
    "get_function",
    "get_source",
    "info",
    "load_ipython_extension",
    "push",
    "save",
    "unload_ipython_extension",
]
__version__ = "0.1.0"


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext lineage``: start capturing this shell's cells; lineage's errors show as
    their message, without a traceback."""
    from lineage.ipython_errors import register
    from lineage.tracer import load

    load(shell)
    register(shell)


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext lineage``: stop capturing; the shell is left as it was before loading."""
    from lineage.ipython_errors import unregister
    from lineage.tracer import unload

    unregister(shell)
    unload(shell)
