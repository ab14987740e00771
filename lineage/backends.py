"""What the shell's plotting backend does between cells, read cheaply when a slice is made.

Jupyter's inline backend (``matplotlib_inline``) shows and then closes every pyplot figure when
a cell ends, so ``plt.plot([1, 2])`` in one cell and ``plt.plot([3])`` in the next draw two
figures. A script closes nothing: the slice must do it where a cell boundary did. The backend is
looked at when ``save`` is called (a few dictionary and list look-ups, nothing imported) and
assumed for the whole session.
"""

from __future__ import annotations

import sys
from typing import Any

from lineage.graph.records import CellEndReset

FIGURE_STATE = "state:matplotlib.figure"  # pyplot's current figure (lineage/specs/matplotlib.json)
_INLINE = "matplotlib_inline.backend_inline"
_CLOSE_FIGURES = CellEndReset(state=FIGURE_STATE, module="matplotlib.pyplot", call="close('all')")


def cell_end_resets(shell: Any) -> tuple[CellEndReset, ...]:
    """The hidden states ``shell`` resets whenever a cell ends."""
    module = sys.modules.get(_INLINE)
    if module is None:
        return ()
    flush = getattr(module, "flush_figures", None)
    events = getattr(shell, "events", None)
    callbacks = getattr(events, "callbacks", {}).get("post_execute", ())
    if flush is None or flush not in callbacks:
        return ()  # the inline backend is not the shell's (another %matplotlib backend)
    config = getattr(module, "InlineBackend", None)
    if config is not None and config.initialized() and not config.instance().close_figures:
        return ()  # set_matplotlib_close(False): figures live on across cells
    mpl = sys.modules.get("matplotlib")
    if mpl is not None and not mpl.is_interactive():
        return ()  # plt.ioff(): new figures are not queued, so nothing is closed
    return (_CLOSE_FIGURES,)
