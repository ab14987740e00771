"""Slicing matplotlib sessions: objects that own other objects are one value with them.

A figure owns its axes, an axes owns its lines and texts, and pyplot owns its current figure.
A change made through any of them (``ax.plot``, ``axs[0, 1].set_title``, ``line.set_color``,
``plt.xlabel``) is a change to the figure, and a slice of the figure keeps it; plotting never
enters a slice of the data it plots, and pyplot calls never enter a slice of a figure made
without pyplot. Each case runs its cells in a fresh IPython shell with lineage loaded under the
Agg backend, saves ``target`` and re-runs the slice alone in a fresh interpreter (figures are
compared by their PNG pictures, lineage.compare). The inline backend, which closes every pyplot
figure when a cell ends, is checked in a real shell in a subprocess at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from tests.slicing_harness import Case, check_slice, stmts

PLT = "import matplotlib.pyplot as plt"
NP = "import numpy as np\nimport matplotlib.pyplot as plt"
LINES = "[l.get_ydata().tolist() for a in fig.axes for l in a.get_lines()]"


CASES = [
    # -- a figure and its axes are one value ---------------------------------------------------
    Case(
        "subplots_ax_plot",
        (PLT, "fig, ax = plt.subplots()", "ax.plot([1, 2, 3])", "ax.set_title('t')"),
        "fig",
        must=("ax.plot([1, 2, 3])", "ax.set_title('t')"),
    ),
    Case(
        "subplots_ax_plot_derived_value",
        (PLT, "fig, ax = plt.subplots()", "ax.plot([1, 2, 3])", "ax.plot([4])"),
        LINES,
        must=("ax.plot([1, 2, 3])", "ax.plot([4])"),
    ),
    Case(
        "axes_array_1d",
        (PLT, "fig, axs = plt.subplots(2)", "axs[0].plot([1, 2, 3])", "axs[1].bar([0, 1], [2, 3])"),
        "fig",
        must=("axs[0].plot([1, 2, 3])", "axs[1].bar([0, 1], [2, 3])"),
    ),
    Case(
        "axes_array_2d",
        (
            PLT,
            "fig, axs = plt.subplots(2, 2)",
            "axs[0, 1].plot([1, 2, 3])\naxs[1, 0].scatter([1], [2])",
            "axs[1, 1].set_xlabel('x')",
        ),
        "fig",
        must=("axs[0, 1].plot([1, 2, 3])", "axs[1, 1].set_xlabel('x')"),
    ),
    Case(
        "axes_array_loop",
        (PLT, "fig, axs = plt.subplots(1, 3)", "for i, a in enumerate(axs):\n    a.plot([i, 1])"),
        "fig",
        must=("for i, a in enumerate(axs):\n    a.plot([i, 1])",),
    ),
    Case(
        "axes_flat_iteration",
        (PLT, "fig, axs = plt.subplots(2, 2)", "for a in axs.flat:\n    a.hist([1, 2, 2])"),
        "fig",
        must=("for a in axs.flat:\n    a.hist([1, 2, 2])",),
    ),
    Case(
        "saving_the_axes",
        (PLT, "fig, ax = plt.subplots()", "fig.suptitle('s')", "ax.plot([2, 1])"),
        "ax",
        must=("fig.suptitle('s')", "ax.plot([2, 1])"),
    ),
    Case(
        "add_subplot_twinx_fig_axes",
        (
            PLT,
            "fig = plt.figure()",
            "ax = fig.add_subplot()",
            "ax2 = ax.twinx()",
            "ax2.plot([3, 1])",
            "fig.axes[0].plot([1, 2])",
        ),
        "fig",
        must=("ax2.plot([3, 1])", "fig.axes[0].plot([1, 2])"),
    ),
    Case(
        "ax_figure_attribute",
        (PLT, "fig, ax = plt.subplots()", "ax.plot([1, 2])", "ax.figure.suptitle('s')"),
        "fig",
        must=("ax.figure.suptitle('s')",),
    ),
    Case(
        "figure_from_ax",
        (PLT, "_, ax = plt.subplots()", "ax.plot([1, 2])", "f = ax.get_figure()"),
        "f",
        must=("ax.plot([1, 2])",),
    ),
    # -- artists from getters, changed through their owner and themselves ----------------------
    Case(
        "line_from_getter_changed",
        (
            PLT,
            "fig, ax = plt.subplots()",
            "ax.plot([1, 2])",
            "line = ax.get_lines()[0]",
            "line.set_color('r')",
        ),
        "fig",
        must=("line.set_color('r')",),
    ),
    Case(
        "line_changed_through_owner",
        (
            PLT,
            "fig, ax = plt.subplots()",
            "ax.plot([1, 2])",
            "line = ax.get_lines()[0]",
            "ax.set_xlim(0, 5)",
            "line.set_linewidth(4)",
        ),
        "line",
        must=("ax.set_xlim(0, 5)", "line.set_linewidth(4)"),
    ),
    Case(
        "lines_returned_by_plot",
        (PLT, "fig, ax = plt.subplots()", "lines = ax.plot([1, 2])", "lines[0].set_color('k')"),
        "fig",
        must=("lines[0].set_color('k')",),
    ),
    Case(
        "legend_from_getter",
        (
            PLT,
            "fig, ax = plt.subplots()",
            "ax.plot([1, 2], label='a')",
            "ax.legend()",
            "ax.get_legend().set_title('L')",
        ),
        "fig",
        must=("ax.get_legend().set_title('L')",),
    ),
    # -- pyplot's current figure ----------------------------------------------------------------
    Case(
        "pyplot_state_machine",
        (
            PLT,
            "plt.figure()",
            "plt.plot([1, 2])",
            "plt.xlabel('x')",
            "plt.title('t')",
            "fig = plt.gcf()",
        ),
        "fig",
        must=("plt.figure()", "plt.plot([1, 2])", "plt.xlabel('x')", "plt.title('t')"),
    ),
    Case(
        "pyplot_axes_then_plot",
        (PLT, "plt.axes()", "plt.plot([1, 2])", "fig = plt.gcf()"),
        "fig",
        must=("plt.axes()", "plt.plot([1, 2])"),
    ),
    Case(
        "gca_lines_getter",
        (
            PLT,
            "plt.plot([1, 2])",
            "line = plt.gca().get_lines()[0]",
            "line.set_color('r')",
            "fig = plt.gcf()",
        ),
        "fig",
        must=("line.set_color('r')",),
    ),
    Case(
        "gca_method_chain",
        (
            PLT,
            "plt.plot([1, 2])",
            "plt.gca().set_ylim(0, 10)",
            "plt.gcf().suptitle('s')",
            "fig = plt.gcf()",
        ),
        "fig",
        must=("plt.gca().set_ylim(0, 10)", "plt.gcf().suptitle('s')"),
    ),
    Case(
        "subplots_then_pyplot_calls",
        (PLT, "fig, ax = plt.subplots()", "plt.plot([3, 2, 1])", "plt.ylabel('y')"),
        "fig",
        must=("plt.plot([3, 2, 1])", "plt.ylabel('y')"),
    ),
    Case(
        "ax_from_gca_changed",
        (PLT, "plt.plot([1, 2])", "ax = plt.gca()", "ax.set_title('t')", "fig = plt.gcf()"),
        "fig",
        must=("ax.set_title('t')",),
    ),
    Case(
        "second_figure_leaves_first_alone",
        (
            PLT,
            "fig1 = plt.figure()",
            "plt.plot([1])",
            "fig2 = plt.figure()",
            "plt.plot([2])",
            "plt.title('two')",
            "fig1.axes[0].set_title('one')",
        ),
        "fig1",
        must=("plt.plot([1])", "fig1.axes[0].set_title('one')"),
        must_not=("plt.plot([2])", "plt.title('two')"),
    ),
    Case(
        "second_figure_own_slice",
        (
            PLT,
            "fig1, ax1 = plt.subplots()",
            "ax1.plot([1])",
            "fig2 = plt.figure(figsize=(3, 2))",
            "plt.plot([2])",
        ),
        "fig2",
        must=("plt.plot([2])",),
        must_not=("ax1.plot([1])",),
    ),
    Case(
        "close_all_starts_fresh",
        (PLT, "plt.plot([1, 2])", "plt.close('all')", "plt.plot([3])", "fig = plt.gcf()"),
        "fig",
        must=("plt.plot([3])",),
        must_not=("plt.plot([1, 2])",),
    ),
    Case(
        "close_current_goes_back",
        (
            PLT,
            "fig1 = plt.figure()",
            "plt.plot([1])",
            "plt.figure()",
            "plt.plot([2])",
            "plt.close()",
            "plt.title('back on one')",
        ),
        "fig1",
        must=("plt.close()", "plt.title('back on one')"),
    ),
    Case(
        "sca_switches_figure",
        (
            PLT,
            "fig1, ax1 = plt.subplots()",
            "fig2, ax2 = plt.subplots()",
            "plt.sca(ax1)",
            "plt.plot([1, 5])",
        ),
        "fig1",
        must=("plt.sca(ax1)", "plt.plot([1, 5])"),
    ),
    Case(
        "figure_by_number",
        (
            PLT,
            "fig1 = plt.figure(1)",
            "plt.figure(2)",
            "plt.plot([2])",
            "plt.figure(1)",
            "plt.plot([1, 9])",
        ),
        "fig1",
        must=("plt.figure(1)", "plt.plot([1, 9])"),
    ),
    Case(
        "style_read_by_new_figure",
        (PLT, "plt.style.use('ggplot')", "fig, ax = plt.subplots()", "ax.plot([1, 2])"),
        "fig",
        must=("plt.style.use('ggplot')",),
    ),
    Case(
        "rcparams_read_by_plot",
        (PLT, "plt.rcParams['lines.linewidth'] = 6", "fig, ax = plt.subplots()", "ax.plot([1, 2])"),
        "fig",
        must=("plt.rcParams['lines.linewidth'] = 6",),
    ),
    Case(
        "pandas_plot_on_current_figure",
        (
            PLT,
            "import pandas as pd",
            "df = pd.DataFrame({'a': [1.0, 2.0, 3.0]})",
            "df.plot()",
            "plt.title('t')",
            "fig = plt.gcf()",
        ),
        "fig",
        must=("df.plot()", "plt.title('t')"),
    ),
    Case(
        "pandas_plot_returns_axes",
        (
            PLT,
            "import pandas as pd",
            "df = pd.DataFrame({'a': [1.0, 2.0]})",
            "ax = df.plot()",
            "ax.set_xlabel('i')",
            "fig = plt.gcf()",
        ),
        "fig",
        must=("ax.set_xlabel('i')",),
    ),
    Case(
        "notebook_function_draws",
        (
            PLT,
            "def draw(v):\n    plt.plot(v)\n    plt.title('drawn')",
            "draw([1, 3])",
            "fig = plt.gcf()",
        ),
        "fig",
        must=("draw([1, 3])",),
    ),
    # -- plotting never enters a data slice; pyplot never enters a figure made without it -------
    Case(
        "data_slice_drops_plots",
        (
            NP,
            "x = np.arange(5.0)",
            "fig, ax = plt.subplots()",
            "ax.plot(x)",
            "plt.plot(x * 2)",
            "y = x * 2",
        ),
        "y",
        must_not=("ax.plot(x)", "plt.plot(x * 2)", "fig, ax = plt.subplots()"),
    ),
    Case(
        "data_slice_drops_axes_array_plots",
        (
            NP,
            "x = np.arange(4.0)",
            "fig, axs = plt.subplots(2)",
            "axs[0].plot(x)",
            "axs[1].hist(x)",
            "z = x.sum()",
        ),
        "z",
        must_not=("axs[0].plot(x)", "axs[1].hist(x)"),
    ),
    Case(
        "figure_without_pyplot",
        (
            PLT,
            "from matplotlib.figure import Figure",
            "fig = Figure()",
            "ax = fig.subplots()",
            "ax.plot([1, 2])",
            "plt.plot([5, 6])",
            "plt.title('other')",
        ),
        "fig",
        must=("ax.plot([1, 2])",),
        must_not=("plt.plot([5, 6])", "plt.title('other')"),
    ),
    Case(
        "figure_without_pyplot_then_pyplot_figure",
        (
            PLT,
            "from matplotlib.figure import Figure",
            "plt.plot([9])",
            "fig = Figure()",
            "ax = fig.add_subplot()",
            "ax.bar([1], [2])",
            "plt.xlabel('x')",
        ),
        "fig",
        must=("ax.bar([1], [2])",),
        must_not=("plt.plot([9])", "plt.xlabel('x')"),
    ),
    Case(
        "method_of_a_returned_axes",
        (
            PLT,
            "from matplotlib.figure import Figure",
            "fig = Figure()",
            "fig.add_subplot().bar([1], [2])",
        ),
        "fig",
        must=("fig.add_subplot().bar([1], [2])",),
    ),
    Case(
        "saved_figure_file_feeds_reader",
        (
            PLT,
            "fig, ax = plt.subplots()",
            "ax.plot([1, 2])",
            "fig.savefig('p.png')",
            "img = plt.imread('p.png')",
        ),
        "img",
        must=("fig.savefig('p.png')", "ax.plot([1, 2])"),
    ),
]


@pytest.fixture
def agg(monkeypatch: pytest.MonkeyPatch):
    """Headless plotting here and in the interpreters verify starts; no figure left over."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import matplotlib
    import matplotlib.pyplot as plt

    plt.close("all")
    matplotlib.rcdefaults()
    yield
    plt.close("all")
    matplotlib.rcdefaults()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_slice(case: Case, shell, tmp_path: Path, agg: None) -> None:
    check_slice(case, shell, tmp_path)


def test_case_count() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


# -- the inline backend closes pyplot's figures when a cell ends ---------------------------------

_INLINE_SESSION = """
import json, os, sys
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
import lineage
from lineage.verify import verify
config = Config()
config.HistoryManager.enabled = False
shell = InteractiveShell.instance(config=config)
shell.run_line_magic("load_ext", "lineage")
out = {}
for cell in json.loads(sys.argv[1]):
    shell.run_cell(cell, store_history=True).raise_error()
for target in json.loads(sys.argv[2]):
    save = f"import lineage; lineage.save({target}, 'art')"
    shell.run_cell(save, store_history=True).raise_error()
    art = lineage.get("art")
    os.makedirs("empty", exist_ok=True)
    out[target] = {"code": art.code, "ok": verify("art", cwd="empty").ok}
print("RESULT" + json.dumps(out))
"""


def _inline_session(tmp_path: Path, cells: list[str], targets: list[str]) -> dict:
    env = {
        **os.environ,
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "LINEAGE_HOME": str(tmp_path / "home"),
        "LINEAGE_DEV_MODE": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-c", _INLINE_SESSION, json.dumps(cells), json.dumps(targets)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])


def test_inline_backend_closes_figures_at_cell_end(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib_inline")
    cells = [
        "import matplotlib.pyplot as plt\nimport numpy as np\nx = np.arange(3.0)",
        "plt.plot([1, 2])\nfig1 = plt.gcf()",
        "plt.plot([3])\nfig2 = plt.gcf()",
        "plt.title('third cell')\nfig3 = plt.gcf()",
        "empty = plt.gcf()",
        "figs = [fig1, fig2]",
        "fig4, ax4 = plt.subplots()\nax4.plot([5, 5])",
        "lim = ax4.get_xlim()\nplt.plot([7])\nfig5 = plt.gcf()",
        "plt.plot(x)",
        "y = x + 1",
    ]
    targets = ["fig2", "fig3", "empty", "figs", "fig5", "y"]
    out = _inline_session(tmp_path, cells, targets)
    for target in targets:
        assert out[target]["ok"], f"{target}:\n{out[target]['code']}"
    fig2 = stmts(out["fig2"]["code"])
    assert "plt.plot([3])" in fig2 and "plt.plot([1, 2])" not in fig2, out["fig2"]["code"]
    fig3 = stmts(out["fig3"]["code"])
    assert "plt.title('third cell')" in fig3 and "plt.plot([3])" not in fig3
    # a figure asked for in a cell of its own is a new, empty one
    assert "plt.title('third cell')" not in stmts(out["empty"]["code"])
    # both cells' figures in one slice: the slice closes them where the cell boundary did
    figs = stmts(out["figs"]["code"])
    assert figs.index("plt.plot([1, 2])") < figs.index("plt.close('all')")
    assert figs.index("plt.close('all')") < figs.index("plt.plot([3])")
    assert "plt.plot(x)" not in stmts(out["y"]["code"])
