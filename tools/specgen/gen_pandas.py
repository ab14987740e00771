"""Generate lineage/specs/pandas.json (pandas 3.x, Copy-on-Write always on)."""

import os
import inspect
import sys
import warnings

import pandas as pd
import pandas.api.types
import pandas.plotting

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_common import write_doc  # noqa: E402

import os

SEEDED = True  # random_state=... given: the global RNG is not touched (seeded_by)
OPTS = "state:pandas.options"
MPL = "state:matplotlib"
RNG = "state:numpy.random"
CLIP = "state:clipboard"
FIG = "state:matplotlib.figure"  # pyplot's current figure (see gen_matplotlib.py)
PLOT = {"reads": [MPL, FIG], "writes": [FIG], "returns": FIG}
SELF = {"mutates": ["self"]}
INPLACE = {"mutates": ["self"], "mutates_when": {"kw": "inplace", "equals": True}}


def params(func):
    try:
        return list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return []


def first_param(func, skip_self=False):
    ps = params(func)
    if skip_self:
        ps = ps[1:]
    return ps[0].name


def public_methods(cls):
    out = []
    for n in dir(cls):
        if n.startswith("_"):
            continue
        raw = inspect.getattr_static(cls, n)
        if isinstance(raw, property) or not callable(getattr(cls, n, None)):
            continue
        if type(raw).__name__ in ("Accessor", "CachedAccessor"):
            continue  # .str, .dt, .cat, .plot(...) is handled below
        out.append(n)
    return out


def writer(cls, meth, path_kw, text=False):
    """A to_* method writing to a path or buffer given as its first argument."""
    ps = {p.name: p for p in params(getattr(cls, meth))}
    fe = {"path": 0, "path_kw": path_kw, "op": "write"}
    if "mode" in ps and ps["mode"].default in ("w", "a", "wt", "wb", "a+"):
        fe = {"path": 0, "path_kw": path_kw, "op": "mode", "mode_kw": "mode",
              "default_mode": ps["mode"].default}
    eff = {"mutates": [0, path_kw], "files": [fe]}
    if text:
        eff["reads"] = [OPTS]
    return eff


def frame_like(cls):
    table = {}
    for n in public_methods(cls):
        ps = {p.name for p in params(getattr(cls, n))}
        table[n] = dict(INPLACE) if "inplace" in ps else {}
    for n in ("groupby", "rolling", "expanding", "ewm", "resample", "items", "iterrows",
              "itertuples", "keys", "to_numpy"):
        if n in table:
            table[n] = {"returns": "part"}
    for n in ("insert", "pop", "update", "isetitem"):
        if n in table:
            table[n] = dict(SELF)
    for n in ("plot", "hist", "boxplot"):
        if hasattr(cls, n):
            table[n] = dict(PLOT)
    if cls is pd.DataFrame:
        # a frame's plot and hist make a new figure (given ax=, they draw on that one's)
        for n in ("plot", "hist"):
            table[n] = {"reads": [MPL], "writes": [FIG], "returns": FIG, "holds": "new",
                        "holds_when": [{"kw": "ax", "holds": "any"}]}
    table["sample"] = {"mutates": [4, "random_state"], "reads": [RNG], "writes": [RNG]}
    if SEEDED:
        table["sample"]["seeded_by"] = "random_state"
    table["info"] = {"mutates": [1, "buf"]}
    table["to_clipboard"] = {"writes": [CLIP]}
    table["to_sql"] = {"mutates": [1, "con"]}
    if "to_iceberg" in table:
        table["to_iceberg"] = {"unknown": True}
    for meth, kw in (("to_csv", "path_or_buf"), ("to_json", "path_or_buf"),
                     ("to_excel", "excel_writer"), ("to_feather", "path"), ("to_hdf", "path_or_buf"),
                     ("to_orc", "path"), ("to_parquet", "path"), ("to_pickle", "path"),
                     ("to_stata", "path"), ("to_xml", "path_or_buffer")):
        if hasattr(cls, meth):
            table[meth] = writer(cls, meth, kw)
    for meth in ("to_string", "to_html", "to_latex", "to_markdown"):
        if hasattr(cls, meth):
            table[meth] = writer(cls, meth, "buf", text=True)
    table.update({
        "__array__": {"returns": "part"},
        "__contains__": {},
        "__copy__": {},
        "__deepcopy__": {},
        "__delitem__": dict(SELF),
        "__getitem__": {},
        "__iter__": {},
        "__len__": {},
        "__repr__": {"reads": [OPTS]},
        "__setitem__": dict(SELF),
        "__setstate__": dict(SELF),
        "__str__": {"reads": [OPTS]},
    })
    for op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor"):
        table[f"__i{op}__"] = {"mutates": ["self"], "returns": "self"}
    return table


functions: dict[str, dict] = {}
for n in dir(pd):
    obj = getattr(pd, n)
    if n.startswith("_") or not callable(obj) or n in ("test",):
        continue
    functions[f"pandas.{n}"] = {}
for n in dir(pd):
    if n.startswith("read_") and n not in ("read_clipboard", "read_iceberg") and "sql" not in n:
        kw = first_param(getattr(pd, n))
        functions[f"pandas.{n}"] = {"mutates": [0, kw], "files": [{"path": 0, "path_kw": kw,
                                                                     "op": "read"}]}
functions["pandas.read_clipboard"] = {"reads": [CLIP]}
functions["pandas.read_iceberg"] = {"unknown": True}
functions["pandas.to_pickle"] = {
    "mutates": [1, "filepath_or_buffer"],
    "files": [{"path": 1, "path_kw": "filepath_or_buffer", "op": "write"}],
}
functions["pandas.ExcelWriter"] = {
    "files": [{"path": 0, "path_kw": "path", "op": "mode", "mode": 2, "mode_kw": "mode",
               "default_mode": "w"}]
}
functions["pandas.ExcelFile"] = {"files": [{"path": 0, "path_kw": "path_or_buffer", "op": "read"}]}
functions["pandas.HDFStore"] = {
    "files": [{"path": 0, "path_kw": "path", "op": "mode", "mode": 1, "mode_kw": "mode",
               "default_mode": "a"}]
}
functions["pandas.set_option"] = {"reads": [OPTS], "writes": [OPTS]}
functions["pandas.reset_option"] = {"reads": [OPTS], "writes": [OPTS]}
functions["pandas.set_eng_float_format"] = {"reads": [OPTS], "writes": [OPTS]}
functions["pandas.option_context"] = {"reads": [OPTS], "writes": [OPTS]}
functions["pandas.get_option"] = {"reads": [OPTS]}
functions["pandas.describe_option"] = {"reads": [OPTS]}
functions["pandas.eval"] = {"unknown": True}  # reads names from the caller's frame
functions["pandas.to_numeric"] = {"returns": "arg:0"}  # a numeric ndarray comes back as is
for n in ("from_dict", "from_records", "from_arrow"):
    functions[f"pandas.DataFrame.{n}"] = {}
functions["pandas.Series.from_arrow"] = {}
for n in ("from_arrays", "from_tuples", "from_product", "from_frame"):
    functions[f"pandas.MultiIndex.{n}"] = {}
functions["pandas.Categorical.from_codes"] = {}
for n in ("from_breaks", "from_arrays", "from_tuples"):
    functions[f"pandas.IntervalIndex.{n}"] = {}
for n in ("now", "today", "fromtimestamp", "fromisoformat", "utcnow", "utcfromtimestamp",
          "strptime", "combine", "fromordinal"):
    if hasattr(pd.Timestamp, n):
        functions[f"pandas.Timestamp.{n}"] = {}
for n in dir(pandas.api.types):
    if not n.startswith("_") and callable(getattr(pandas.api.types, n)):
        functions[f"pandas.api.types.{n}"] = {}
for n in dir(pd.testing):
    if n.startswith("assert_"):
        functions[f"pandas.testing.{n}"] = {}
for n in dir(pandas.plotting):
    if not n.startswith("_") and callable(getattr(pandas.plotting, n)):
        functions[f"pandas.plotting.{n}"] = dict(PLOT)
functions["pandas.plotting.bootstrap_plot"] = {"reads": [MPL, FIG, "state:random"],
                                               "writes": [FIG, "state:random"], "returns": FIG}
functions["pandas.plotting.PlotAccessor"] = {"returns": "arg:0"}

methods = {
    "pandas.DataFrame": frame_like(pd.DataFrame),
    "pandas.Series": frame_like(pd.Series),
}

# Index and its subclasses: immutable values; only the name can change, in place
index_table = {"*": {}, "__getitem__": {}, "__iter__": {}, "to_numpy": {"returns": "part"},
               "__array__": {"returns": "part"}, "__repr__": {"reads": [OPTS]}}
for n in ("rename", "set_names"):
    index_table[n] = dict(INPLACE)
for n in ("to_csv",):
    pass
methods["pandas.Index"] = index_table

groupby = {"*": {}, "sample": {"mutates": [4, "random_state"], "reads": [RNG], "writes": [RNG]}}
if SEEDED:
    groupby["sample"]["seeded_by"] = "random_state"
for n in ("plot", "hist", "boxplot"):
    groupby[n] = dict(PLOT)
methods["pandas.core.groupby.groupby.GroupBy"] = groupby
methods["pandas.core.window.rolling.BaseWindow"] = {"*": {}}
methods["pandas.core.resample.Resampler"] = {"*": {}}
methods["pandas.core.strings.accessor.StringMethods"] = {"*": {}}
methods["pandas.core.indexes.accessors.Properties"] = {"*": {}}
methods["pandas.core.arrays.categorical.CategoricalAccessor"] = {"*": {}}
methods["pandas.plotting.PlotAccessor"] = {"*": dict(PLOT)}
for n in public_methods(pd.plotting.PlotAccessor):
    methods["pandas.plotting.PlotAccessor"][n] = dict(PLOT)  # df.plot.bar(): names it
methods["pandas.Categorical"] = {"*": {}, "__setitem__": dict(SELF), "__getitem__": {},
                                 "__setstate__": dict(SELF)}
methods["pandas.api.extensions.ExtensionArray"] = {
    "*": {}, "__getitem__": {"returns": "part"}, "__setitem__": dict(SELF),
    "__setstate__": dict(SELF), "__array__": {"returns": "part"},
    "to_numpy": {"returns": "part"},
}
methods["pandas.io.formats.style.Styler"] = {
    "*": {"mutates": ["self"], "returns": "self"},
    "export": {},
    "to_html": {"mutates": [0, "buf"], "reads": [OPTS],
                "files": [{"path": 0, "path_kw": "buf", "op": "write"}]},
    "to_latex": {"mutates": [0, "buf"], "reads": [OPTS],
                 "files": [{"path": 0, "path_kw": "buf", "op": "write"}]},
    "to_string": {"mutates": [0, "buf"], "reads": [OPTS],
                  "files": [{"path": 0, "path_kw": "buf", "op": "write"}]},
    "to_excel": {"mutates": [0, "excel_writer"],
                 "files": [{"path": 0, "path_kw": "excel_writer", "op": "write"}]},
}

# list every public method by name (not only "*"): a call on an object of unknown type
# (df.groupby("g").size(), s.str.upper()) is then recognised by the method's name
_frame = pd.DataFrame({"a": [1.0], "t": pd.to_datetime(["2020-01-01"]), "s": ["x"]})
_explicit = {
    "pandas.Index": [pd.Index, pd.MultiIndex, pd.DatetimeIndex, pd.CategoricalIndex,
                     pd.RangeIndex, pd.IntervalIndex, pd.PeriodIndex, pd.TimedeltaIndex],
    "pandas.core.groupby.groupby.GroupBy": [type(_frame.groupby("s")),
                                           type(_frame.groupby("s")["a"])],
    "pandas.core.window.rolling.BaseWindow": [type(_frame.rolling(1)), type(_frame.expanding()),
                                             type(_frame.ewm(span=2))],
    "pandas.core.resample.Resampler": [type(_frame.set_index("t").resample("D"))],
    "pandas.core.strings.accessor.StringMethods": [type(_frame["s"].str)],
    "pandas.core.indexes.accessors.Properties": [type(_frame["t"].dt)],
    "pandas.core.arrays.categorical.CategoricalAccessor": [
        type(_frame["s"].astype("category").cat)],
}
for target, classes in _explicit.items():
    table = methods[target]
    for cls in classes:
        for n in public_methods(cls):
            table.setdefault(n, dict(table["*"]))

aliases = {}
for cls in (pd.RangeIndex, pd.MultiIndex, pd.DatetimeIndex, pd.TimedeltaIndex, pd.PeriodIndex,
            pd.CategoricalIndex, pd.IntervalIndex):
    aliases[f"pandas.{cls.__name__}"] = "pandas.Index"
from pandas.api import typing as pt  # noqa: E402

for n in ("DataFrameGroupBy", "SeriesGroupBy"):
    aliases[f"pandas.api.typing.{n}"] = "pandas.core.groupby.groupby.GroupBy"
for n in dir(pt):
    cls = getattr(pt, n)
    if not isinstance(cls, type):
        continue
    mro = {f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__}
    name = f"pandas.api.typing.{n}"
    if "pandas.core.window.rolling.BaseWindow" in mro and name not in aliases:
        aliases[name] = "pandas.core.window.rolling.BaseWindow"
    if "pandas.core.resample.Resampler" in mro and name != "pandas.core.resample.Resampler":
        aliases[name] = "pandas.core.resample.Resampler"
import pandas.core.resample as rs  # noqa: E402

for n in ("DatetimeIndexResampler", "PeriodIndexResampler", "TimedeltaIndexResampler",
          "DatetimeIndexResamplerGroupby", "PeriodIndexResamplerGroupby",
          "TimedeltaIndexResamplerGroupby"):
    if hasattr(rs, n):
        aliases[f"pandas.core.resample.{n}"] = "pandas.core.resample.Resampler"
for n in ("DatetimeProperties", "TimedeltaProperties", "PeriodProperties"):
    aliases[f"pandas.core.indexes.accessors.{n}"] = "pandas.core.indexes.accessors.Properties"
import pandas.arrays as pa  # noqa: E402

for n in dir(pa):
    cls = getattr(pa, n)
    if isinstance(cls, type) and n != "Categorical":
        aliases[f"pandas.arrays.{n}"] = "pandas.api.extensions.ExtensionArray"

immutable = {
    "pandas.Timestamp", "pandas.Timedelta", "pandas.Period", "pandas.Interval",
    "pandas.api.typing.NaTType", "pandas.api.typing.NAType", "pandas.DateOffset",
    "pandas.CategoricalDtype", "pandas.DatetimeTZDtype", "pandas.PeriodDtype",
    "pandas.IntervalDtype", "pandas.SparseDtype", "pandas.StringDtype", "pandas.BooleanDtype",
}
for n in dir(pd):
    if n.endswith("Dtype") and (n.startswith("Int") or n.startswith("UInt") or
                                n.startswith("Float")):
        immutable.add(f"pandas.{n}")
for n in dir(pd.offsets):
    cls = getattr(pd.offsets, n)
    if isinstance(cls, type) and not n.startswith("_"):
        immutable.add(f"{cls.__module__}.{cls.__qualname__}")

write_doc(
    sys.argv[1],
    "Side-effect specs for pandas 3 (Copy-on-Write is always on, so indexing and methods hand "
    "out copies; numpy arrays from to_numpy/values/__array__ are read-only views that follow "
    "later writes, and groupby/rolling/resample objects read the frame when they run). "
    "Format: docs/specs.md. Display options are state:pandas.options, which no data "
    "computation reads.",
    immutable,
    aliases,
    functions,
    methods,
)
print(len(functions), sum(len(m) for m in methods.values()), len(aliases), len(immutable))
