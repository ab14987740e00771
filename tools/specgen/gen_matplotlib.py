"""Generate lineage/specs/matplotlib.json."""

import importlib
import inspect
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_common import write_doc  # noqa: E402

MPL = "state:matplotlib"
PLOT = {"reads": [MPL], "writes": [MPL]}
DRAWN = {"mutates": ["self"], **PLOT}
ARTIST = "matplotlib.artist.Artist"


def tname(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


functions: dict[str, dict] = {}
for n in dir(plt):
    obj = getattr(plt, n)
    if n.startswith("_") or not callable(obj) or inspect.ismodule(obj):
        continue
    functions[f"matplotlib.pyplot.{n}"] = dict(PLOT)
functions["matplotlib.pyplot.savefig"] = {
    **PLOT, "mutates": [0, "fname"], "files": [{"path": 0, "path_kw": "fname", "op": "write"}]
}
functions["matplotlib.pyplot.imread"] = {
    "mutates": [0, "fname"], "files": [{"path": 0, "path_kw": "fname", "op": "read"}]
}
functions["matplotlib.pyplot.imsave"] = {
    "mutates": [0, "fname"], "files": [{"path": 0, "path_kw": "fname", "op": "write"}]
}
for n in ("update", "__setitem__", "clear", "setdefault", "pop", "popitem", "copy", "find_all",
          "get", "keys", "values", "items"):
    if hasattr(plt.rcParams, n):
        eff = dict(PLOT) if n in ("update", "__setitem__", "clear", "setdefault", "pop",
                                  "popitem") else {"reads": [MPL]}
        functions[f"matplotlib.pyplot.rcParams.{n}"] = eff
        functions[f"matplotlib.rcParams.{n}"] = eff
for n in ("use", "context", "reload_library"):
    functions[f"matplotlib.pyplot.style.{n}"] = dict(PLOT)
    functions[f"matplotlib.style.{n}"] = dict(PLOT)
for n in ("use", "rc", "rcdefaults", "rc_context", "rc_params", "interactive", "get_backend",
          "rc_file", "rc_file_defaults", "set_loglevel", "is_interactive"):
    if hasattr(matplotlib, n):
        functions[f"matplotlib.{n}"] = dict(PLOT)
functions["matplotlib.rc_file"] = {
    **PLOT, "files": [{"path": 0, "path_kw": "fname", "op": "read"}]
}

PURE_MODULES = ["colors", "dates", "ticker", "patches", "lines", "gridspec", "cm", "markers",
                "path", "transforms", "text", "collections", "image", "legend", "font_manager",
                "figure", "axes", "cbook", "scale", "units", "table", "patheffects"]
for modname in PURE_MODULES:
    mod = importlib.import_module(f"matplotlib.{modname}")
    names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
    for n in names:
        obj = getattr(mod, n, None)
        if obj is None or not callable(obj) or inspect.ismodule(obj):
            continue
        if getattr(obj, "__module__", "").split(".")[0] != "matplotlib":
            continue
        if isinstance(obj, type) and issubclass(obj, BaseException):
            continue
        functions[f"matplotlib.{modname}.{n}"] = {}
functions["matplotlib.image.imread"] = functions["matplotlib.pyplot.imread"]
functions["matplotlib.image.imsave"] = functions["matplotlib.pyplot.imsave"]
functions["matplotlib.font_manager.findfont"] = {}
functions["matplotlib.cm.register_cmap"] = dict(PLOT) if hasattr(
    importlib.import_module("matplotlib.cm"), "register_cmap") else {}
if not hasattr(importlib.import_module("matplotlib.cm"), "register_cmap"):
    del functions["matplotlib.cm.register_cmap"]

# -- artists: a method call changes the artist and the figure state it belongs to ------------------
for m in ("axes", "figure", "lines", "patches", "text", "collections", "image", "legend",
          "colorbar", "axis", "spines", "table", "quiver", "contour", "offsetbox", "tri",
          "projections.polar", "container", "streamplot", "widgets", "patheffects"):
    importlib.import_module(f"matplotlib.{m}")
try:
    importlib.import_module("mpl_toolkits.mplot3d")
except ImportError:
    pass


def subclasses(cls):
    seen, todo = set(), [cls]
    while todo:
        c = todo.pop()
        for s in c.__subclasses__():
            if s not in seen:
                seen.add(s)
                todo.append(s)
    return seen


aliases = {}
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.container import Container  # noqa: E402

for cls in subclasses(Artist):
    name = tname(cls)
    if not name.startswith(("matplotlib.", "mpl_toolkits.")) or "<locals>" in name:
        continue
    if any(part.startswith("_") and not part.startswith("_axes") and part != "_base"
           for part in cls.__module__.split(".")[1:]) and "axes" not in cls.__module__:
        continue
    aliases[name] = ARTIST
for cls in subclasses(Container):
    aliases[tname(cls)] = "matplotlib.container.Container"

artist = {
    "*": dict(DRAWN),
    "add_artist": {"mutates": ["self", 0], **PLOT},
    "add_child_axes": {"mutates": ["self", 0], **PLOT},
    "add_collection": {"mutates": ["self", 0], **PLOT},
    "add_container": {"mutates": ["self", 0], **PLOT},
    "add_image": {"mutates": ["self", 0], **PLOT},
    "add_line": {"mutates": ["self", 0], **PLOT},
    "add_patch": {"mutates": ["self", 0], **PLOT},
    "add_table": {"mutates": ["self", 0], **PLOT},
    "add_axes": {"mutates": ["self"], "returns": "part", **PLOT},
    "add_subplot": {"mutates": ["self"], "returns": "part", **PLOT},
    "add_gridspec": {"mutates": ["self"], "returns": "part", **PLOT},
    "subplots": {"mutates": ["self"], "returns": "part", **PLOT},
    "subfigures": {"mutates": ["self"], "returns": "part", **PLOT},
    "twinx": {"mutates": ["self"], "returns": "part", **PLOT},
    "twiny": {"mutates": ["self"], "returns": "part", **PLOT},
    "inset_axes": {"mutates": ["self"], "returns": "part", **PLOT},
    "get_figure": {"returns": "part", "reads": [MPL]},
    "colorbar": {"mutates": ["self", 0, "mappable", "ax", "cax"], **PLOT},
    "savefig": {"mutates": [0, "fname"], "reads": [MPL],
                "files": [{"path": 0, "path_kw": "fname", "op": "write"}]},
}

# Name every public method of the common artists, so that a call on an artist of unknown type
# (axes[0].scatter(...), a loop variable) can be recognised by its name alone. Names pandas or
# numpy also use (plot, hist, bar, ...) stay under "*": there the method's name says nothing.
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

other = set()
for cls in (pd.DataFrame, pd.Series, pd.Index, np.ndarray, pd.plotting.PlotAccessor,
            type(pd.DataFrame({"a": [1]}).groupby("a"))):
    other |= {m for m in dir(cls) if not m.startswith("_")}
for cls in (Axes, Figure, Artist):
    for m in dir(cls):
        if m.startswith("_") or m in other or m in artist or not callable(getattr(cls, m, None)):
            continue
        if isinstance(getattr(cls, m), type):
            continue
        artist[m] = dict(DRAWN)

methods = {
    ARTIST: artist,
    "matplotlib.container.Container": {"*": dict(DRAWN), "__getitem__": {"returns": "part"},
                                       "__iter__": {"returns": "part"}, "__len__": {}},
    "matplotlib.colorbar.Colorbar": {"*": dict(DRAWN)},
    "matplotlib.gridspec.GridSpec": {"*": {}, "__getitem__": {}},
    "matplotlib.gridspec.SubplotSpec": {"*": {}},
    "matplotlib.spines.Spines": {"*": dict(DRAWN), "__getitem__": {"returns": "part"}},
    "matplotlib.RcParams": {"*": {"reads": [MPL]}, "__setitem__": dict(DRAWN),
                            "update": dict(DRAWN), "clear": dict(DRAWN),
                            "setdefault": dict(DRAWN), "pop": dict(DRAWN),
                            "popitem": dict(DRAWN)},
}

write_doc(
    sys.argv[1],
    "Side-effect specs for matplotlib. Format: docs/specs.md. Plotting only ever reads and "
    "writes state:matplotlib (pyplot's current figure, rcParams) and the artists it is called "
    "on; it never changes the data passed to it, so no data artifact depends on a plot. "
    "savefig/imsave write the file they are given.",
    [],
    aliases,
    functions,
    methods,
)
print(len(functions), sum(len(m) for m in methods.values()), len(aliases))
