"""Generate lineage/specs/matplotlib.json."""

import importlib
import inspect
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.widgets  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_common import write_doc  # noqa: E402

MPL = "state:matplotlib"  # rcParams, styles, registries: what new artists are made from
FIG = "state:matplotlib.figure"  # pyplot's current figure: an object, held by the state
CONFIG = {"reads": [MPL], "writes": [MPL]}
READ = {"reads": [MPL]}
# a pyplot call draws on (or asks for) the current figure, making one when there is none, and
# returns a part of it (the lines drawn, the axes, the figure)
DRAW = {"reads": [MPL, FIG], "writes": [FIG], "returns": FIG}
DRAWN = {"mutates": ["self"], "reads": [MPL], "returns": "part"}  # an artist's own method
ARTIST = "matplotlib.artist.Artist"


def tname(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


# a new figure becomes the current one; given a num (an existing figure's number or label) it
# may be any figure pyplot made before
NEW_FIGURE = {"reads": [MPL], "writes": [FIG], "returns": FIG, "holds": "new"}
SPECIAL = {
    "figure": {**NEW_FIGURE, "holds_when": [{"arg": 0, "kw": "num", "holds": "any"}]},
    "subplots": {**NEW_FIGURE, "holds_when": [{"kw": "num", "holds": "any"}]},
    "subplot_mosaic": {**NEW_FIGURE, "holds_when": [{"kw": "num", "holds": "any"}]},
    # close('all') leaves no figure; close() or close(fig) makes an earlier one current
    "close": {"writes": [FIG], "holds": "any",
              "holds_when": [{"arg": 0, "kw": "fig", "equals": "all", "holds": "none"}]},
    "sca": {"reads": [FIG], "writes": [FIG], "holds": "arg:0"},
    "switch_backend": {"reads": [MPL], "writes": [MPL, FIG], "holds": "none"},
    "setp": {"mutates": [0, "obj"], "reads": [MPL]},
    "getp": {}, "get": {}, "get_plot_commands": {}, "figaspect": READ, "cycler": {},
    "cast": {}, "overload": {}, "get_scale_names": {},
    "get_backend": READ, "isinteractive": READ, "get_cmap": READ, "colormaps": READ,
    "new_figure_manager": READ,
    "fignum_exists": {"reads": [FIG]}, "get_fignums": {"reads": [FIG]},
    "get_figlabels": {"reads": [FIG]},
    "imread": {"mutates": [0, "fname"], "files": [{"path": 0, "path_kw": "fname", "op": "read"}]},
    "imsave": {"mutates": [0, "fname"], "reads": [MPL],
               "files": [{"path": 0, "path_kw": "fname", "op": "write"}]},
    "savefig": {**DRAW, "mutates": [0, "fname"],
                "files": [{"path": 0, "path_kw": "fname", "op": "write"}]},
}
for n in ("rc", "rc_context", "rcdefaults", "set_loglevel", "ion", "ioff", "interactive",
          "install_repl_displayhook", "uninstall_repl_displayhook", "xkcd"):
    SPECIAL[n] = CONFIG
# colormap functions set rcParams["image.cmap"] and the current image's colormap
for n in ("autumn", "bone", "cool", "copper", "flag", "gray", "hot", "hsv", "inferno", "jet",
          "magma", "nipy_spectral", "pink", "plasma", "prism", "spring", "summer", "viridis",
          "winter", "set_cmap"):
    SPECIAL[n] = {"reads": [MPL, FIG], "writes": [MPL, FIG], "returns": FIG}

functions: dict[str, dict] = {}
for n in dir(plt):
    obj = getattr(plt, n)
    if n.startswith("_") or not callable(obj) or inspect.ismodule(obj):
        continue
    if n in SPECIAL:
        functions[f"matplotlib.pyplot.{n}"] = dict(SPECIAL[n])
    elif isinstance(obj, type):
        # classes pyplot re-exports make objects pyplot does not manage (plt.Figure())
        widget = issubclass(obj, matplotlib.widgets.Widget)
        functions[f"matplotlib.pyplot.{n}"] = {"mutates": [0, "ax"]} if widget else {}
    else:
        functions[f"matplotlib.pyplot.{n}"] = dict(DRAW)
for n in ("update", "__setitem__", "clear", "setdefault", "pop", "popitem", "copy", "find_all",
          "get", "keys", "values", "items"):
    if hasattr(plt.rcParams, n):
        eff = dict(CONFIG) if n in ("update", "__setitem__", "clear", "setdefault", "pop",
                                    "popitem") else {"reads": [MPL]}
        functions[f"matplotlib.pyplot.rcParams.{n}"] = eff
        functions[f"matplotlib.rcParams.{n}"] = eff
for n in ("use", "context", "reload_library"):
    functions[f"matplotlib.pyplot.style.{n}"] = dict(CONFIG)
    functions[f"matplotlib.style.{n}"] = dict(CONFIG)
for n in ("use", "rc", "rcdefaults", "rc_context", "rc_params", "interactive", "get_backend",
          "rc_file", "rc_file_defaults", "set_loglevel", "is_interactive"):
    if hasattr(matplotlib, n):
        functions[f"matplotlib.{n}"] = dict(CONFIG)
for n in ("rc_params", "get_backend", "is_interactive"):
    functions[f"matplotlib.{n}"] = dict(READ)
functions["matplotlib.rc_file"] = {
    **CONFIG, "files": [{"path": 0, "path_kw": "fname", "op": "read"}]
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
functions["matplotlib.cm.register_cmap"] = dict(CONFIG) if hasattr(
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

ADDS = {"mutates": ["self", 0], "reads": [MPL], "returns": "part"}
artist = {
    "*": dict(DRAWN),
    "add_artist": ADDS, "add_child_axes": ADDS, "add_collection": ADDS, "add_container": ADDS,
    "add_image": ADDS, "add_line": ADDS, "add_patch": ADDS, "add_table": ADDS,
    "colorbar": {"mutates": ["self", 0, "mappable", "ax", "cax"], "reads": [MPL],
                 "returns": "part"},
    "savefig": {"mutates": [0, "fname"], "reads": [MPL],
                "files": [{"path": 0, "path_kw": "fname", "op": "write"}]},
}

# Name every public method of the common artists, so that a call on an artist of unknown type
# (axes[0].scatter(...), a loop variable) can be recognised by its name alone. Names pandas or
# numpy also use are named too when axes have them (axes[0].plot(...) draws on axes[0]): the
# pandas call's spec joins this one for a receiver of unknown type.
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
        shared = m in other and not hasattr(Axes, m)
        if m.startswith("_") or shared or m in artist or not callable(getattr(cls, m, None)):
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
    "matplotlib.RcParams": {"*": {"reads": [MPL]}, **{
        n: {"mutates": ["self"], **CONFIG}
        for n in ("__setitem__", "update", "clear", "setdefault", "pop", "popitem")}},
}

write_doc(
    sys.argv[1],
    "Side-effect specs for matplotlib. Format: docs/specs.md. state:matplotlib is rcParams, "
    "styles and registries; state:matplotlib.figure holds pyplot's current figure (an object: "
    "pyplot calls change it and return parts of it; figure()/subplots() make a new one). An "
    "artist's methods change it and return parts of it, so a figure is one value with its axes "
    "and artists. Plotting never changes the data passed to it, so no data artifact depends on a "
    "plot. savefig/imsave write the file they are given.",
    [],
    aliases,
    functions,
    methods,
)
print(len(functions), sum(len(m) for m in methods.values()), len(aliases))
