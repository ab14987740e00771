"""The numpy, pandas, scikit-learn and matplotlib specs checked against what the calls really do.

Each case builds fresh objects, performs one real call and observes what changed; the spec the
graph would use for that call must say exactly that:

- receiver / argument mutated: its state after the call differs from a control run that built
  the same objects and made no call (an argument of an immutable type, such as a path string,
  cannot change and is not checked);
- hidden state (``state:numpy.random``, ``state:sklearn.config``, ``state:pandas.options``,
  ``state:numpy.printoptions``, ``state:matplotlib`` (rcParams), ``state:matplotlib.figure``
  (pyplot's current figure)) written: its snapshot after the call
  differs from the control run's; read: the outcome differs when the state starts elsewhere, or
  the call writes a state whose new value depends on the old one (an RNG draw, a partial
  ``set_option``), which the graph must order as read-then-write;
- files: what changed on disk must be what the spec writes; the call depends on a file exactly
  when changing or removing it beforehand changes the outcome;
- returns: the result is the receiver ("self"), shares data with the receiver ("part") or with
  an argument ("arg:N"), or with none of them ("new"). Sharing is seen through numpy memory,
  object identity, or by writing into the source after the call and watching the result change
  (how pandas' read-only views and lazy groupby objects show it).

A lazy result (an iterator, a generator of CV splits) is consumed before anything is observed,
so what it does when consumed counts as the call's effect.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import io
import itertools
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import pytest

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
sklearn = pytest.importorskip("sklearn")
mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import _pylab_helpers  # noqa: E402
from pandas.core.groupby.groupby import GroupBy as PdGroupBy  # noqa: E402
from pandas.core.resample import Resampler as PdResampler  # noqa: E402
from pandas.core.window.rolling import BaseWindow as PdWindow  # noqa: E402
from sklearn import datasets, linear_model, model_selection  # noqa: E402
from sklearn.base import BaseEstimator  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from lineage.analysis.specs import Effect, load_specs, mode_op  # noqa: E402

NO_RECV: Any = object()
RNG = "state:numpy.random"
CFG = "state:sklearn.config"
OPTS = "state:pandas.options"
PRINT = "state:numpy.printoptions"
MPL = "state:matplotlib"
FIG = "state:matplotlib.figure"


@dataclass
class Call:
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    recv: Any = NO_RECV


@dataclass(frozen=True)
class Case:
    id: str
    target: str  # a function's import path, or a method name when build() sets a receiver
    build: Callable[[], Call]
    files: dict[str, str] = field(default_factory=dict)  # files present before the call
    summary: Callable[[Any], Any] | None = None  # what to observe of the result
    setup: Callable[[], Any] | None = None  # hidden state to set up before building objects
    check_returns: bool = True
    gap: str = ""  # a known spec gap: the case is a strict xfail

    @property
    def is_method(self) -> bool:
        return "." not in self.target


def fn(target: str, build: Callable[[], Call], note: str = "", **kw: Any) -> Case:
    return Case(f"{target}{f' [{note}]' if note else ''}", target, build, **kw)


def meth(label: str, method: str, build: Callable[[], Call], note: str = "", **kw: Any) -> Case:
    return Case(f"{label}.{method}{f' [{note}]' if note else ''}", method, build, **kw)


# --- fingerprints: comparable pictures of objects --------------------------------------------


def artist_fp(obj: Any) -> Any:
    if isinstance(obj, mpl.figure.Figure):
        title = obj._suptitle.get_text() if obj._suptitle is not None else None
        size = tuple(obj.get_size_inches())
        return ("figure", title, size, [artist_fp(ax) for ax in obj.axes])
    if isinstance(obj, mpl.axes.Axes):
        return (
            "axes",
            [artist_fp(line) for line in obj.lines],
            [artist_fp(patch) for patch in obj.patches],
            [artist_fp(c) for c in obj.collections],
            len(obj.images),
            len(obj.texts),
            obj.get_title(),
            obj.get_xlabel(),
            obj.get_ylabel(),
            obj.get_legend() is not None,
        )
    if isinstance(obj, mpl.text.Text):
        return ("text", obj.get_text(), obj.get_fontsize())
    if isinstance(obj, (mpl.lines.Line2D, mpl.patches.Patch)):
        return (type(obj).__name__, obj.get_linewidth())  # rcParams decide it
    if isinstance(obj, mpl.collections.Collection):
        return (type(obj).__name__, np.ravel(obj.get_sizes()).tolist())
    return type(obj).__name__


def fp(obj: Any, depth: int = 0) -> Any:
    """A deterministic, comparable picture of obj's data; consumes iterators."""
    d = depth + 1
    if depth > 8:
        return "..."
    if obj is None or isinstance(obj, (bool, int, str, bytes)):
        return obj
    if isinstance(obj, float):
        return repr(obj)
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return ("nd", obj.shape, [fp(x, d) for x in obj.ravel().tolist()])
        return ("nd", obj.dtype.str, obj.shape, obj.tobytes())
    if isinstance(obj, np.generic):
        return ("np", type(obj).__name__, repr(obj))
    if isinstance(obj, pd.DataFrame):
        return (
            "df",
            fp(obj.index, d),
            [repr(c) for c in obj.columns],
            [str(t) for t in obj.dtypes],
            [fp(obj.iloc[:, i].to_numpy(), d) for i in range(obj.shape[1])],
            fp(dict(obj.attrs), d),
        )
    if isinstance(obj, pd.Series):
        return ("s", repr(obj.name), str(obj.dtype), fp(obj.index, d), fp(obj.to_numpy(), d))
    if isinstance(obj, pd.Index):
        return ("idx", type(obj).__name__, repr(obj.names), str(obj.dtype), fp(obj.to_numpy(), d))
    if isinstance(obj, np.random.Generator):
        return ("gen", fp(obj.bit_generator, d))
    if isinstance(obj, np.random.RandomState):
        return ("rs", fp(obj.get_state(legacy=False), d))
    if isinstance(obj, np.random.BitGenerator):
        return ("bitgen", fp(obj.state, d), obj.seed_seq.n_children_spawned)
    if isinstance(obj, (PdGroupBy, PdWindow, PdResampler)):
        return ("lazy", type(obj).__name__, fp(obj.obj, d))
    if isinstance(obj, (mpl.artist.Artist, mpl.figure.Figure)):
        return ("artist", artist_fp(obj))
    if isinstance(obj, (io.StringIO, io.BytesIO)):
        return (type(obj).__name__, obj.getvalue(), obj.tell())
    if isinstance(obj, dict):
        return ("dict", [(repr(k), fp(v, d)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [fp(x, d) for x in obj])
    if isinstance(obj, PurePath):
        return ("path", str(obj))
    if isinstance(obj, BaseEstimator):
        # fit timings differ from run to run
        data = {k: v for k, v in vars(obj).items() if "time" not in k and k != "cv_results_"}
        return ("est", type(obj).__name__, fp(data, d))
    if inspect.isgenerator(obj) or isinstance(obj, (map, zip, itertools.islice)):
        return ("iter", [fp(x, d) for x in itertools.islice(obj, 100)])
    if hasattr(obj, "__next__"):
        return ("iter", [fp(x, d) for x in itertools.islice(obj, 100)])
    if callable(obj) and not hasattr(obj, "__dict__"):
        return ("callable", getattr(obj, "__qualname__", type(obj).__name__))
    if hasattr(obj, "__dict__") and not inspect.ismodule(obj) and not isinstance(obj, type):
        return (type(obj).__name__, fp(vars(obj), d))
    if hasattr(obj, "__getstate__"):
        try:
            state = obj.__getstate__()
        except TypeError:
            state = None
        if state is not None and not isinstance(state, (str, bytes)):
            return (type(obj).__name__, fp(state, d))
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(obj))


# --- hidden state: snapshot, reset, vary ----------------------------------------------------


def _mpl_snapshot() -> Any:
    return sorted((k, repr(v)) for k, v in mpl.rcParams.items())


def _figure_snapshot() -> Any:
    """pyplot's current figure (not the other figures pyplot keeps: a spec tells which figure
    the state holds, not pyplot's list of them)."""
    active = _pylab_helpers.Gcf.get_active()
    return artist_fp(active.canvas.figure) if active else None


def _opts_snapshot() -> Any:
    from pandas._config import config

    return fp(copy.deepcopy(config._global_config))


STATE_SNAPSHOTS: dict[str, Callable[[], Any]] = {
    RNG: lambda: fp(np.random.get_state()),
    CFG: lambda: fp(sklearn.get_config()),
    OPTS: _opts_snapshot,
    PRINT: lambda: fp(np.get_printoptions()),
    MPL: _mpl_snapshot,
    FIG: _figure_snapshot,
}
_DEFAULT_CFG = sklearn.get_config()
_DEFAULT_PRINT = np.get_printoptions()


def reset_states(seed: int = 1) -> None:
    np.random.seed(seed)
    sklearn.set_config(**_DEFAULT_CFG)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pd.reset_option("all")
    np.set_printoptions(**_DEFAULT_PRINT)
    plt.close("all")
    mpl.rcdefaults()


def _vary_mpl() -> None:
    mpl.rcParams["lines.linewidth"] = 7
    mpl.rcParams["patch.linewidth"] = 3
    mpl.rcParams["lines.markersize"] = 2
    mpl.rcParams["axes.titlesize"] = 5
    mpl.rcParams["image.cmap"] = "gray"
    mpl.rcParams["savefig.dpi"] = 30
    mpl.rcParams["figure.figsize"] = (2.0, 1.5)


def _vary_figure() -> None:
    with mpl.rc_context({"figure.figsize": (3.0, 2.0)}):
        plt.figure()
    plt.title("prior figure")


STATE_VARIANTS: dict[str, Callable[[], None]] = {
    RNG: lambda: np.random.seed(2),
    CFG: lambda: sklearn.set_config(transform_output="pandas", assume_finite=True),
    OPTS: lambda: (pd.set_option("display.precision", 2), pd.set_option("display.max_rows", 3)),
    PRINT: lambda: np.set_printoptions(precision=2, threshold=4),
    MPL: _vary_mpl,
    FIG: _vary_figure,
}


# --- running a case --------------------------------------------------------------------------


@dataclass
class Outcome:
    error: str | None
    result: Any
    recv: Any
    args: list[Any]
    kwargs: dict[str, Any]
    states: dict[str, Any]
    files: dict[str, Any]
    call: Call
    linked: set[str]  # "self", "recv", "arg:N", "arg:kw" the result is or shares data with

    def observable(self) -> tuple[Any, ...]:
        return (self.error, self.result, self.recv, self.args, self.kwargs, self.files)


def _snapshot_files(root: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dirpath, _dirs, filenames in os.walk(root):
        for name in filenames:
            p = os.path.join(dirpath, name)
            out[os.path.relpath(p, root)] = Path(p).read_bytes()
    return out


def _resolve(qualname: str) -> Any:
    parts = qualname.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
    raise LookupError(qualname)


def _observe(fn_: Callable[[Any], Any], obj: Any) -> Any:
    try:
        return fn_(obj)
    except Exception as e:  # a lazy result that fails when consumed: that is its outcome
        return ("raised", type(e).__name__)


def poke(obj: Any) -> bool:
    """Write into obj in place, if it is a kind of object we know how to write into."""
    try:
        if isinstance(obj, np.ndarray) and obj.flags.writeable and obj.size and obj.dtype != object:
            obj.flat[0] = obj.flat[0] + 1 if obj.dtype != bool else not obj.flat[0]
            return True
        if isinstance(obj, pd.DataFrame) and obj.size:
            value = obj.iat[0, 0]
            obj.iat[0, 0] = value + 100 if not isinstance(value, str) else value + "!"
            return True
        if isinstance(obj, pd.Series) and obj.size:
            value = obj.iat[0]
            obj.iat[0] = value + 100 if not isinstance(value, str) else value + "!"
            return True
    except (TypeError, ValueError):
        return False
    return False


def _is_lazy(obj: Any) -> bool:
    return inspect.isgenerator(obj) or hasattr(obj, "__next__")


def _linked(result: Any, source: Any, watch: Callable[[], Any], baseline: Any) -> bool:
    """Does the result share data with source? (identity, numpy memory, or a write shows).

    ``watch`` observes the result; ``baseline`` is what it showed in a run without the write
    (a lazy result can be consumed only once)."""
    if result is source:
        return True
    pieces = list(result) if isinstance(result, (list, tuple)) else [result]
    for piece in pieces:
        if piece is source:
            return True
        arrays = isinstance(piece, np.ndarray) and isinstance(source, np.ndarray)
        if arrays and np.shares_memory(piece, source):
            return True
        params = isinstance(piece, dict) and isinstance(source, BaseEstimator)
        if params and any(_reaches(source, v) for v in piece.values() if not _immutable(v)):
            return True
    if isinstance(source, (np.ndarray, pd.DataFrame, pd.Series)):
        if _is_lazy(result):
            return poke(source) and watch() != baseline
        before = watch()
        if poke(source):
            return watch() != before
    return False


def _reaches(source: Any, target: Any) -> bool:
    seen, todo = {id(source)}, [source]
    for _ in range(4):
        nxt = []
        for obj in todo:
            refs = (
                vars(obj).values()
                if hasattr(obj, "__dict__")
                else (obj if isinstance(obj, (list, tuple)) else ())
            )
            for ref in refs:
                if ref is target:
                    return True
                if id(ref) not in seen and isinstance(ref, (list, tuple, BaseEstimator)):
                    seen.add(id(ref))
                    nxt.append(ref)
        todo = nxt
    return False


def run(
    case: Case,
    root: Path,
    *,
    call: bool = True,
    vary: str | None = None,
    prepare: Callable[[Path], None] | None = None,
    link: str | None = None,
    baseline: Any = None,
) -> Outcome:
    """Set up the case's files under root, build its objects, make the call, observe.

    With ``link`` ("recv", "arg:0", "arg:out", ...), also find whether the result shares data
    with that input (by writing into the input after the call)."""
    root.mkdir(parents=True)
    old_cwd = os.getcwd()
    os.chdir(root)
    reset_states()
    try:
        for rel, text in case.files.items():
            (root / rel).write_text(text)
        if prepare is not None:
            prepare(root)
        if case.setup is not None:
            case.setup()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            c = case.build()
        for state, move in STATE_VARIANTS.items():
            if vary in (state, "*"):
                move()  # the state the call meets, after its objects are built
        before = _snapshot_files(root)
        func = getattr(c.recv, case.target) if case.is_method else _resolve(case.target)
        result: Any = None
        error = None
        if call:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    result = func(*c.args, **c.kwargs)
                except Exception as e:
                    error = f"{type(e).__name__}: {e}"
        summary = case.summary or (lambda r: r)
        linked: set[str] = set()
        if link is not None and error is None and call:
            sources = {
                "recv": c.recv,
                **{f"arg:{i}": a for i, a in enumerate(c.args)},
                **{f"arg:{k}": v for k, v in c.kwargs.items()},
            }
            if result is c.recv and c.recv is not NO_RECV:
                linked.add("self")
            source = sources[link]
            if _linked(result, source, lambda: fp(_observe(summary, result)), baseline):
                linked.add(link)
        result_fp = fp(_observe(summary, result)) if call and error is None else None
        recv = fp(c.recv) if c.recv is not NO_RECV else None
        args = [fp(a) for a in c.args]
        kwargs = {k: fp(v) for k, v in c.kwargs.items()}
        states = {k: snap() for k, snap in STATE_SNAPSHOTS.items()}
        after = _snapshot_files(root)
        changed = {
            p: after.get(p) for p in set(before) | set(after) if before.get(p) != after.get(p)
        }
        return Outcome(error, result_fp, recv, args, kwargs, states, changed, c, linked)
    finally:
        reset_states()
        os.chdir(old_cwd)


# --- what the spec says ----------------------------------------------------------------------


def spec_for(case: Case, c: Call) -> Effect | None:
    specs = load_specs()
    if case.is_method:
        t = type(c.recv)
        return specs.method(f"{t.__module__}.{t.__qualname__}", case.target)
    return specs.function(case.target)


def _arg(c: Call, index: int | str | None, kw: str | None) -> Any:
    if index == "self":
        return c.recv
    if isinstance(index, int) and index < len(c.args):
        return c.args[index]
    if kw is not None and kw in c.kwargs:
        return c.kwargs[kw]
    return None


def expected_files(effect: Effect, c: Call) -> tuple[set[str], set[str]]:
    """(paths the call changes, paths whose earlier state it depends on)."""
    changes, depends = set(), set()
    for fe in effect.files:
        value = _arg(c, fe.path, fe.path_kw)
        if not isinstance(value, (str, PurePath)):
            continue  # a buffer or no path at all: no file on disk
        path = os.path.normpath(os.fspath(value))
        if fe.op == "mode":
            mode = _arg(c, fe.mode, fe.mode_kw) or fe.default_mode
            _reads, writes, truncates = mode_op(mode)
            dep, chg = not truncates, writes
        else:
            dep = fe.op in ("read", "append", "delete")
            chg = fe.op in ("write", "append", "delete")
        if dep:
            depends.add(path)
        if chg:
            changes.add(path)
    return changes, depends


def _immutable(value: Any) -> bool:
    return isinstance(value, (str, bytes, int, float, bool, PurePath, type(None), tuple))


def _vary_file(rel: str, exists: bool) -> list[Callable[[Path], None]]:
    def modify(root: Path) -> None:
        p = root / rel
        p.write_text(p.read_text() + "9,9\n" if p.suffix == ".csv" else "a,b\n9,9\n")

    def remove(root: Path) -> None:
        (root / rel).unlink()

    def create(root: Path) -> None:
        (root / rel).write_text("a,b\n5,5\n")

    return [modify, remove] if exists else [create]


# --- the cases -------------------------------------------------------------------------------


def arr() -> Any:
    return np.array([3.0, 1.0, 2.0, 5.0, 4.0, 0.5])


def arr2() -> Any:
    return np.arange(12.0).reshape(3, 4)


def gen() -> Any:
    return np.random.default_rng(7)


def frame() -> Any:
    return pd.DataFrame(
        {
            "a": [1.0, np.nan, 3.0, 4.0, 4.0],
            "b": [10, 20, 30, 40, 40],
            "g": ["x", "y", "x", "y", "y"],
        }
    )


def series() -> Any:
    return pd.Series([3.0, np.nan, 1.0, 2.0], name="s")


_DIAB = datasets.load_diabetes(return_X_y=True)
_IRIS = datasets.load_iris(return_X_y=True)


def xy_reg() -> tuple[Any, Any]:
    return _DIAB[0][:80].copy(), _DIAB[1][:80].copy()


def xy_clf() -> tuple[Any, Any]:
    return _IRIS[0].copy(), _IRIS[1].copy()


def fitted(est: Any, xy: Callable[[], tuple[Any, Any]] = xy_reg) -> Any:
    X, y = xy()
    return est.fit(X, y)


def axes() -> Any:
    _fig, ax = plt.subplots()
    return ax


def csv_text() -> str:
    return "a,b\n1,2\n3,4\n"


NUMPY_CASES = [
    # array functions
    fn("numpy.sort", lambda: Call((arr(),))),
    fn("numpy.add", lambda: Call((arr(), 1.0), {"out": np.zeros(6)}), "out="),
    fn("numpy.add", lambda: Call((arr(), 1.0, np.zeros(6))), "positional out"),
    fn("numpy.sqrt", lambda: Call((arr(),), {"out": np.zeros(6)}), "out="),
    fn("numpy.multiply", lambda: Call((arr(), 2.0))),
    fn("numpy.add.at", lambda: Call((arr(), [0, 0, 2], 1.0))),
    fn("numpy.add.reduce", lambda: Call((arr2(),), {"axis": 0, "out": np.zeros(4)})),
    fn("numpy.maximum.accumulate", lambda: Call((arr(),))),
    fn("numpy.copyto", lambda: Call((np.zeros(6), arr()))),
    fn("numpy.put", lambda: Call((arr(), [0, 1], [9.0, 9.0]))),
    fn("numpy.place", lambda: Call((arr(), arr() > 2, [0.0]))),
    fn("numpy.putmask", lambda: Call((arr(), arr() > 2, 0.0))),
    fn("numpy.fill_diagonal", lambda: Call((np.zeros((3, 3)), 1.0))),
    fn("numpy.cumsum", lambda: Call((arr(),), {"out": np.zeros(6)}), "out="),
    fn("numpy.clip", lambda: Call((arr(), 1.0, 3.0), {"out": np.zeros(6)}), "out="),
    fn("numpy.clip", lambda: Call((arr(), 1.0, 3.0))),
    fn("numpy.mean", lambda: Call((arr2(),), {"axis": 0, "out": np.zeros(4)}), "out="),
    fn("numpy.mean", lambda: Call((arr(),))),
    fn("numpy.dot", lambda: Call((arr2(), np.ones(4), np.zeros(3))), "positional out"),
    fn("numpy.matmul", lambda: Call((arr2(), np.ones((4, 2))), {"out": np.zeros((3, 2))})),
    fn("numpy.einsum", lambda: Call(("ij->j", arr2()), {"out": np.zeros(4)}), "out="),
    fn("numpy.reshape", lambda: Call((arr(), (2, 3)))),
    fn("numpy.ravel", lambda: Call((arr2(),))),
    fn("numpy.transpose", lambda: Call((arr2(),))),
    fn("numpy.asarray", lambda: Call((arr(),))),
    fn("numpy.array", lambda: Call((arr(),))),
    fn("numpy.split", lambda: Call((arr(), 2))),
    fn("numpy.broadcast_to", lambda: Call((arr(), (2, 6)))),
    fn("numpy.concatenate", lambda: Call(([arr(), arr()],))),
    fn("numpy.where", lambda: Call((arr() > 2, arr(), 0.0))),
    fn("numpy.unique", lambda: Call((arr(),))),
    fn("numpy.linalg.inv", lambda: Call((np.eye(3) * 2,))),
    fn("numpy.fft.fft", lambda: Call((arr(),))),
    fn("numpy.nan_to_num", lambda: Call((np.array([np.nan, 1.0]),))),
    fn("numpy.save", lambda: Call(("a.npy", arr()))),
    fn("numpy.load", lambda: Call(("in.npy",))),
    fn("numpy.savetxt", lambda: Call(("a.txt", arr()))),
    fn(
        "numpy.loadtxt",
        lambda: Call(("in.csv",), {"delimiter": ",", "skiprows": 1}),
        files={"in.csv": csv_text()},
    ),
    fn("numpy.genfromtxt", lambda: Call((io.StringIO(csv_text()),), {"delimiter": ","}), "buffer"),
    fn("numpy.set_printoptions", lambda: Call((), {"precision": 3})),
    fn("numpy.array2string", lambda: Call((np.array([1.23456789, 2.0, 3.0, 4.0, 5.0]),))),
    fn("numpy.get_printoptions", lambda: Call()),
    # the global RNG
    fn("numpy.random.seed", lambda: Call((0,))),
    fn("numpy.random.rand", lambda: Call((3,))),
    fn("numpy.random.randn", lambda: Call((2, 2))),
    fn("numpy.random.normal", lambda: Call((), {"size": 3})),
    fn("numpy.random.randint", lambda: Call((0, 10, 5))),
    fn("numpy.random.choice", lambda: Call((arr(), 3))),
    fn("numpy.random.permutation", lambda: Call((arr(),))),
    fn("numpy.random.shuffle", lambda: Call((arr(),))),
    fn("numpy.random.uniform", lambda: Call((0, 1, 4))),
    fn("numpy.random.get_state", lambda: Call()),
    fn("numpy.random.set_state", lambda: Call((np.random.RandomState(5).get_state(),))),
    fn("numpy.random.default_rng", lambda: Call((0,))),
    fn("numpy.random.default_rng", lambda: Call((gen(),)), "a Generator"),
    fn("numpy.random.RandomState", lambda: Call((3,))),
    # ndarray methods
    meth("ndarray", "sort", lambda: Call(recv=arr())),
    meth("ndarray", "fill", lambda: Call((0.0,), recv=arr())),
    meth("ndarray", "resize", lambda: Call(((2, 2),), {"refcheck": False}, recv=arr())),
    meth("ndarray", "put", lambda: Call(([0], [7.0]), recv=arr())),
    meth("ndarray", "partition", lambda: Call((2,), recv=arr())),
    meth("ndarray", "byteswap", lambda: Call((), {"inplace": True}, recv=arr()), "inplace"),
    meth("ndarray", "byteswap", lambda: Call(recv=arr())),
    meth("ndarray", "sum", lambda: Call((0,), {"out": np.zeros(4)}, recv=arr2()), "out="),
    meth("ndarray", "sum", lambda: Call(recv=arr())),
    meth("ndarray", "mean", lambda: Call((1, None, np.zeros(3)), recv=arr2()), "positional out"),
    meth("ndarray", "max", lambda: Call((), {"axis": 0, "out": np.zeros(4)}, recv=arr2())),
    meth("ndarray", "cumsum", lambda: Call((), {"out": np.zeros(6)}, recv=arr())),
    meth("ndarray", "clip", lambda: Call((1.0, 2.0), {"out": np.zeros(6)}, recv=arr())),
    meth("ndarray", "round", lambda: Call((1,), recv=arr())),
    meth("ndarray", "reshape", lambda: Call(((3, 2),), recv=arr())),
    meth("ndarray", "view", lambda: Call(recv=arr())),
    meth("ndarray", "ravel", lambda: Call(recv=arr2())),
    meth("ndarray", "transpose", lambda: Call(recv=arr2())),
    meth("ndarray", "squeeze", lambda: Call(recv=arr2()[None])),
    meth("ndarray", "diagonal", lambda: Call(recv=arr2())),
    meth("ndarray", "copy", lambda: Call(recv=arr())),
    meth("ndarray", "flatten", lambda: Call(recv=arr2())),
    meth("ndarray", "astype", lambda: Call((np.float32,), recv=arr())),
    meth("ndarray", "tolist", lambda: Call(recv=arr())),
    meth("ndarray", "argsort", lambda: Call(recv=arr())),
    meth("ndarray", "take", lambda: Call(([0, 1],), {"out": np.zeros(2)}, recv=arr())),
    meth("ndarray", "dot", lambda: Call((np.ones(4),), {"out": np.zeros(3)}, recv=arr2())),
    meth("ndarray", "__getitem__", lambda: Call((slice(1, 4),), recv=arr())),
    meth("ndarray", "__setitem__", lambda: Call((slice(1, 3), 0.0), recv=arr())),
    meth("ndarray", "__iadd__", lambda: Call((1.0,), recv=arr())),
    meth("ndarray", "tofile", lambda: Call(("a.bin",), recv=arr())),
    meth("ndarray", "to_device", lambda: Call(("cpu",), recv=arr())),
    # Generator, RandomState, BitGenerator
    meth("Generator", "normal", lambda: Call((), {"size": 3}, recv=gen())),
    meth("Generator", "integers", lambda: Call((0, 10, 4), recv=gen())),
    meth("Generator", "random", lambda: Call((), {"out": np.zeros(3)}, recv=gen()), "out="),
    meth("Generator", "choice", lambda: Call((arr(), 2), recv=gen())),
    meth("Generator", "shuffle", lambda: Call((arr(),), recv=gen())),
    meth("Generator", "permutation", lambda: Call((arr(),), recv=gen())),
    meth("Generator", "permuted", lambda: Call((arr(),), {"out": np.zeros(6)}, recv=gen())),
    meth(
        "Generator", "spawn", lambda: Call((2,), recv=gen()), summary=lambda r: [fp(g) for g in r]
    ),
    meth("RandomState", "rand", lambda: Call((3,), recv=np.random.RandomState(3))),
    meth("RandomState", "seed", lambda: Call((4,), recv=np.random.RandomState(3))),
    meth("RandomState", "get_state", lambda: Call(recv=np.random.RandomState(3))),
    meth("RandomState", "shuffle", lambda: Call((arr(),), recv=np.random.RandomState(3))),
    meth("PCG64", "advance", lambda: Call((5,), recv=np.random.PCG64(1))),
    meth("PCG64", "jumped", lambda: Call(recv=np.random.PCG64(1))),
]


def _write_npy(root: Path) -> None:
    np.save(root / "in.npy", np.arange(4.0))


PANDAS_CASES = [
    meth("DataFrame", "dropna", lambda: Call((), {"inplace": True}, recv=frame()), "inplace"),
    meth("DataFrame", "dropna", lambda: Call(recv=frame())),
    meth("DataFrame", "fillna", lambda: Call((0.0,), {"inplace": True}, recv=frame()), "inplace"),
    meth("DataFrame", "fillna", lambda: Call((0.0,), recv=frame())),
    meth(
        "DataFrame",
        "drop",
        lambda: Call((), {"columns": ["b"], "inplace": True}, recv=frame()),
        "inplace",
    ),
    meth(
        "DataFrame",
        "rename",
        lambda: Call((), {"columns": {"a": "A"}, "inplace": True}, recv=frame()),
        "inplace",
    ),
    meth(
        "DataFrame",
        "reset_index",
        lambda: Call((), {"drop": True, "inplace": True}, recv=frame().iloc[::-1]),
        "inplace",
    ),
    meth(
        "DataFrame", "set_index", lambda: Call(("g",), {"inplace": True}, recv=frame()), "inplace"
    ),
    meth(
        "DataFrame",
        "sort_values",
        lambda: Call(("b",), {"ascending": False, "inplace": True}, recv=frame()),
        "inplace",
    ),
    meth("DataFrame", "sort_values", lambda: Call(("b",), recv=frame())),
    meth(
        "DataFrame",
        "replace",
        lambda: Call(({"x": "z"},), {"inplace": True}, recv=frame()),
        "inplace",
    ),
    meth(
        "DataFrame", "drop_duplicates", lambda: Call((), {"inplace": True}, recv=frame()), "inplace"
    ),
    meth(
        "DataFrame", "query", lambda: Call(("b > 15",), {"inplace": True}, recv=frame()), "inplace"
    ),
    meth(
        "DataFrame",
        "eval",
        lambda: Call(("c = a + b",), {"inplace": True}, recv=frame()),
        "inplace",
    ),
    meth("DataFrame", "eval", lambda: Call(("c = a + b",), recv=frame())),
    meth(
        "DataFrame",
        "where",
        lambda: Call((frame()["b"] > 15, 0), {"inplace": True}, recv=frame()[["a", "b"]]),
        "inplace",
    ),
    meth("DataFrame", "insert", lambda: Call((0, "z", 1), recv=frame())),
    meth("DataFrame", "pop", lambda: Call(("b",), recv=frame())),
    meth("DataFrame", "update", lambda: Call((pd.DataFrame({"b": [0, 0]}),), recv=frame())),
    meth("DataFrame", "__setitem__", lambda: Call(("c", 1), recv=frame())),
    meth("DataFrame", "__getitem__", lambda: Call(("a",), recv=frame())),
    meth("DataFrame", "head", lambda: Call((2,), recv=frame())),
    meth("DataFrame", "describe", lambda: Call(recv=frame())),
    meth(
        "DataFrame",
        "info",
        lambda: Call((), {"buf": io.StringIO()}, recv=frame()),
        summary=lambda r: None,
    ),
    meth("DataFrame", "value_counts", lambda: Call((["g"],), recv=frame())),
    meth("DataFrame", "sample", lambda: Call((3,), recv=frame())),
    meth(
        "DataFrame",
        "groupby",
        lambda: Call((["x", "y", "x", "y", "y"],), recv=frame()),
        summary=lambda g: g.sum(numeric_only=True),
    ),
    meth(
        "DataFrame", "to_numpy", lambda: Call(recv=pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}))
    ),
    meth("DataFrame", "items", lambda: Call(recv=frame())),
    meth("DataFrame", "copy", lambda: Call(recv=frame())),
    meth("DataFrame", "astype", lambda: Call(({"b": "float64"},), recv=frame())),
    meth("DataFrame", "assign", lambda: Call((), {"c": 1}, recv=frame())),
    meth("DataFrame", "merge", lambda: Call((frame(),), {"on": "b"}, recv=frame())),
    meth("DataFrame", "apply", lambda: Call((lambda col: col.iloc[0],), recv=frame()[["b"]])),
    meth("DataFrame", "pipe", lambda: Call((lambda d: d.head(2),), recv=frame())),
    meth("DataFrame", "to_csv", lambda: Call(("out.csv",), {"index": False}, recv=frame())),
    meth(
        "DataFrame",
        "to_csv",
        lambda: Call(("in.csv",), {"mode": "a", "header": False}, recv=frame()),
        "mode=a",
        files={"in.csv": csv_text()},
    ),
    meth("DataFrame", "to_csv", lambda: Call((io.StringIO(),), recv=frame()), "buffer"),
    meth("DataFrame", "to_json", lambda: Call(("out.json",), recv=frame())),
    meth("DataFrame", "to_pickle", lambda: Call(("out.pkl",), recv=frame())),
    meth("DataFrame", "to_string", lambda: Call(recv=pd.DataFrame({"x": [1.23456789, 2.5]}))),
    meth("Series", "fillna", lambda: Call((0.0,), {"inplace": True}, recv=series()), "inplace"),
    meth("Series", "sort_values", lambda: Call((), {"inplace": True}, recv=series()), "inplace"),
    meth("Series", "update", lambda: Call((pd.Series([9.0]),), recv=series())),
    meth("Series", "pop", lambda: Call((0,), recv=series())),
    meth("Series", "value_counts", lambda: Call(recv=series())),
    meth("Series", "map", lambda: Call(({3.0: "three"},), recv=series())),
    meth("Series", "to_numpy", lambda: Call(recv=series())),
    meth(
        "Series",
        "rolling",
        lambda: Call((2,), recv=pd.Series([1.0, 2.0, 3.0])),
        summary=lambda r: r.sum(),
    ),
    meth("Series", "__setitem__", lambda: Call((1, 0.0), recv=series())),
    meth("Series", "plot", lambda: Call(recv=series()), check_returns=False),
    meth("StringMethods", "upper", lambda: Call(recv=pd.Series(["a", "b"]).str)),
    meth(
        "Index", "rename", lambda: Call(("k",), {"inplace": True}, recv=pd.Index([1, 2])), "inplace"
    ),
    meth("Index", "set_names", lambda: Call(("k",), recv=pd.Index([1, 2]))),
    meth("GroupBy", "sum", lambda: Call(recv=frame().groupby("g"))),
    meth("GroupBy", "sample", lambda: Call((1,), recv=frame().groupby("g"))),
    # functions
    fn("pandas.read_csv", lambda: Call(("in.csv",)), files={"in.csv": csv_text()}),
    fn("pandas.read_csv", lambda: Call((io.StringIO(csv_text()),)), "buffer"),
    fn("pandas.read_json", lambda: Call(("in.json",)), files={"in.json": '{"a": [1, 2]}'}),
    fn("pandas.read_pickle", lambda: Call(("in.pkl",))),
    fn("pandas.to_pickle", lambda: Call((frame(), "out.pkl"))),
    fn("pandas.concat", lambda: Call(([frame(), frame()],))),
    fn("pandas.merge", lambda: Call((frame(), frame()), {"on": "b"})),
    fn("pandas.get_dummies", lambda: Call((frame(),))),
    fn("pandas.to_datetime", lambda: Call((pd.Series(["2020-01-01", "2021-02-03"]),))),
    fn("pandas.to_numeric", lambda: Call((arr(),))),
    fn("pandas.cut", lambda: Call((arr(), 3))),
    fn("pandas.DataFrame", lambda: Call((arr2(),))),
    fn("pandas.Series", lambda: Call((arr(),))),
    fn("pandas.set_option", lambda: Call(("display.max_rows", 7))),
    fn("pandas.get_option", lambda: Call(("display.precision",))),
    fn(
        "pandas.reset_option",
        lambda: Call(("display.precision",)),
        setup=lambda: pd.set_option("display.precision", 3),
    ),
]


def _write_pickle(root: Path) -> None:
    frame().to_pickle(root / "in.pkl")


SKLEARN_CASES = [
    meth("LinearRegression", "fit", lambda: Call(xy_reg(), recv=linear_model.LinearRegression())),
    meth(
        "LinearRegression",
        "predict",
        lambda: Call((xy_reg()[0],), recv=fitted(linear_model.LinearRegression())),
    ),
    meth(
        "LinearRegression",
        "score",
        lambda: Call(xy_reg(), recv=fitted(linear_model.LinearRegression())),
    ),
    meth("Ridge", "get_params", lambda: Call(recv=linear_model.Ridge())),
    meth(
        "Pipeline",
        "get_params",
        lambda: Call(recv=make_pipeline(StandardScaler(), linear_model.Ridge())),
    ),
    meth("Ridge", "set_params", lambda: Call((), {"alpha": 3.0}, recv=linear_model.Ridge())),
    meth("StandardScaler", "fit", lambda: Call((xy_reg()[0],), recv=StandardScaler())),
    meth("StandardScaler", "fit_transform", lambda: Call((xy_reg()[0],), recv=StandardScaler())),
    meth(
        "StandardScaler",
        "transform",
        lambda: Call((xy_reg()[0],), recv=StandardScaler().fit(xy_reg()[0])),
    ),
    meth(
        "StandardScaler",
        "inverse_transform",
        lambda: Call((xy_reg()[0],), recv=StandardScaler().fit(xy_reg()[0])),
    ),
    meth("StandardScaler", "partial_fit", lambda: Call((xy_reg()[0],), recv=StandardScaler())),
    meth(
        "OneHotEncoder",
        "fit_transform",
        lambda: Call((np.array([["a"], ["b"], ["a"]]),), recv=OneHotEncoder(sparse_output=False)),
    ),
    meth(
        "LogisticRegression", "fit", lambda: Call(xy_clf(), recv=linear_model.LogisticRegression())
    ),
    meth(
        "LogisticRegression",
        "predict_proba",
        lambda: Call((xy_clf()[0],), recv=fitted(linear_model.LogisticRegression(), xy_clf)),
    ),
    meth(
        "RandomForestClassifier",
        "fit",
        lambda: Call(xy_clf(), recv=RandomForestClassifier(n_estimators=5)),
    ),
    meth(
        "RandomForestClassifier",
        "fit",
        lambda: Call(xy_clf(), recv=RandomForestClassifier(n_estimators=5, random_state=0)),
        "random_state=0",
    ),
    meth(
        "RandomForestRegressor",
        "predict",
        lambda: Call((xy_reg()[0],), recv=fitted(RandomForestRegressor(n_estimators=3))),
    ),
    meth(
        "DecisionTreeClassifier",
        "fit",
        lambda: Call(xy_clf(), recv=DecisionTreeClassifier(max_features=2)),
    ),
    meth("KMeans", "fit", lambda: Call((xy_clf()[0],), recv=KMeans(n_clusters=3, n_init=1))),
    meth(
        "KMeans",
        "predict",
        lambda: Call(
            (xy_clf()[0],), recv=KMeans(n_clusters=3, n_init=1, random_state=0).fit(xy_clf()[0])
        ),
    ),
    meth("PCA", "fit_transform", lambda: Call((xy_reg()[0],), recv=PCA(n_components=2))),
    meth("SVC", "fit", lambda: Call(xy_clf(), recv=SVC())),
    meth(
        "SGDClassifier",
        "partial_fit",
        lambda: Call((*xy_clf(), np.array([0, 1, 2])), recv=linear_model.SGDClassifier()),
    ),
    meth(
        "Pipeline",
        "fit",
        lambda: Call(
            xy_clf(),
            recv=Pipeline(
                [("scale", StandardScaler()), ("tree", DecisionTreeClassifier(max_features=2))]
            ),
        ),
    ),
    meth(
        "GridSearchCV",
        "fit",
        lambda: Call(
            xy_clf(),
            recv=model_selection.GridSearchCV(
                make_pipeline(StandardScaler(), DecisionTreeClassifier(max_features=2)),
                {"decisiontreeclassifier__max_depth": [1, 2]},
                cv=2,
            ),
        ),
    ),
    fn("sklearn.model_selection.train_test_split", lambda: Call(xy_reg())),
    fn(
        "sklearn.model_selection.train_test_split",
        lambda: Call(xy_reg(), {"random_state": 0}),
        "random_state=0",
    ),
    fn(
        "sklearn.model_selection.cross_val_score",
        lambda: Call((RandomForestClassifier(n_estimators=3), *xy_clf()), {"cv": 3}),
    ),
    fn(
        "sklearn.model_selection.cross_val_predict",
        lambda: Call((linear_model.Ridge(), *xy_reg()), {"cv": 3}),
        "deterministic estimator",
        gap="conservative: the estimator may be stochastic, so cross-validation always counts "
        "as a global-RNG draw",
    ),
    meth(
        "KFold",
        "split",
        lambda: Call((xy_reg()[0],), recv=model_selection.KFold(3, shuffle=True)),
        summary=lambda r: [fp(x) for x in r],
    ),
    fn("sklearn.metrics.accuracy_score", lambda: Call(([0, 1, 1], [0, 1, 0]))),
    fn("sklearn.metrics.mean_squared_error", lambda: Call((arr(), arr() * 2))),
    fn("sklearn.datasets.load_diabetes", lambda: Call((), {"return_X_y": True})),
    fn("sklearn.datasets.make_classification", lambda: Call((), {"n_samples": 20})),
    fn("sklearn.base.clone", lambda: Call((fitted(linear_model.Ridge()),))),
    fn("sklearn.set_config", lambda: Call((), {"transform_output": "pandas"})),
    fn("sklearn.get_config", lambda: Call()),
    fn("sklearn.utils.shuffle", lambda: Call((arr(),))),
    fn(
        "sklearn.inspection.permutation_importance",
        lambda: Call((fitted(linear_model.Ridge()), *xy_reg()), {"n_repeats": 2}),
    ),
    fn("sklearn.preprocessing.scale", lambda: Call((xy_reg()[0],))),
]

MPL_CASES = [
    fn("matplotlib.pyplot.plot", lambda: Call((arr(),)), check_returns=False),
    fn("matplotlib.pyplot.hist", lambda: Call((arr(),)), check_returns=False),
    fn("matplotlib.pyplot.scatter", lambda: Call((arr(), arr())), check_returns=False),
    fn("matplotlib.pyplot.figure", lambda: Call(), check_returns=False),
    fn("matplotlib.pyplot.subplots", lambda: Call((1, 2)), check_returns=False),
    fn("matplotlib.pyplot.title", lambda: Call(("t",)), check_returns=False),
    fn("matplotlib.pyplot.close", lambda: Call(("all",)), check_returns=False, setup=plt.figure),
    fn("matplotlib.pyplot.savefig", lambda: Call(("fig.png",)), check_returns=False),
    fn("matplotlib.pyplot.imsave", lambda: Call(("im.png", arr2())), check_returns=False),
    meth("Axes", "plot", lambda: Call((arr(),), recv=axes()), check_returns=False),
    meth("Axes", "hist", lambda: Call((arr(),), recv=axes()), check_returns=False),
    meth("Axes", "set_title", lambda: Call(("t",), recv=axes()), check_returns=False),
    meth("Figure", "savefig", lambda: Call(("fig.png",), recv=plt.figure()), check_returns=False),
    meth(
        "DataFrame",
        "plot",
        lambda: Call(recv=frame()[["a", "b"]]),
        check_returns=False,
    ),
    meth(
        "DataFrame",
        "hist",
        lambda: Call(recv=frame()[["a", "b"]]),
        check_returns=False,
    ),
]

PREPARE: dict[str, Callable[[Path], None]] = {
    "numpy.load": _write_npy,
    "pandas.read_pickle": _write_pickle,
}

CASES = NUMPY_CASES + PANDAS_CASES + SKLEARN_CASES + MPL_CASES


def _params() -> list[Any]:
    out = []
    for case in CASES:
        marks = [pytest.mark.xfail(reason=case.gap, strict=True)] if case.gap else []
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


@pytest.fixture(autouse=True)
def _one_blas_thread() -> Any:
    """Small fits run many times here; BLAS threads only add contention."""
    with threadpool_limits(limits=1):
        yield


@pytest.mark.parametrize("case", _params())
def test_spec_matches_real_behaviour(case: Case, tmp_path: Path) -> None:
    prep = PREPARE.get(case.target)
    base = run(case, tmp_path / "base", prepare=prep)
    assert base.error is None, f"the call failed: {base.error}"
    again = run(case, tmp_path / "again", prepare=prep)
    assert (base.observable(), base.states) == (again.observable(), again.states), (
        "the case is not deterministic; give it a summary= that is"
    )
    effect = spec_for(case, base.call)
    assert effect is not None and not effect.unknown, "no spec for this call"
    control = run(case, tmp_path / "control", call=False, prepare=prep)
    c = base.call

    # receiver and arguments
    if c.recv is not NO_RECV:
        when = effect.mutates_when
        expect = "self" in effect.mutates and (
            when is None or (when[0] in c.kwargs and c.kwargs[when[0]] == when[1])
        )
        assert (base.recv != control.recv) == expect, "receiver mutated?"
    for i, (after, before) in enumerate(zip(base.args, control.args, strict=True)):
        if _immutable(c.args[i]):
            continue
        assert (after != before) == (i in effect.mutates), f"positional argument {i} mutated?"
    for k in c.kwargs:
        if _immutable(c.kwargs[k]):
            continue
        assert (base.kwargs[k] != control.kwargs[k]) == (k in effect.mutates), f"argument {k}="

    # hidden state: one run with every state moved shows whether the outcome depends on any;
    # each state is then looked at alone when the outcome moved or the call wrote it
    every = run(case, tmp_path / "vary-all", vary="*", prepare=prep)
    outcome_moved = every.observable() != base.observable()
    seeded = _seeded(effect, c)
    for state in STATE_SNAPSHOTS:
        wrote = base.states[state] != control.states[state]
        if state == FIG and _changes_an_artist(effect, c):
            # an artist of the current figure changed: the spec says so by mutating it, and
            # the figure is one value with its artists (lineage/graph/effects.py)
            continue
        assert wrote == (state in effect.writes and not seeded), f"writes {state}?"
        depends = False
        if outcome_moved or wrote:
            name = state.split(":")[1]
            varied = run(case, tmp_path / f"vary-{name}", vary=state, prepare=prep)
            depends = varied.observable() != base.observable()
            if wrote and not depends:
                control_varied = run(
                    case, tmp_path / f"vary-control-{name}", vary=state, call=False, prepare=prep
                )
                # what the call leaves behind depends on what was there (a draw, a partial set)
                depends = varied.states[state] not in (
                    base.states[state],
                    control_varied.states[state],
                )
        assert depends == (state in effect.reads and not seeded), f"reads {state}?"

    # files
    changes, depends_on = expected_files(effect, c)
    assert set(base.files) == changes, f"files changed: {sorted(base.files)}; spec: {changes}"
    observed = set()
    present = (
        set(case.files)
        | ({"in.npy"} if prep is _write_npy else set())
        | ({"in.pkl"} if prep is _write_pickle else set())
    )
    for n, rel in enumerate(sorted(present | changes | depends_on)):
        for k, variant in enumerate(_vary_file(rel, rel in present)):

            def prepare(root: Path, variant=variant) -> None:
                if prep is not None:
                    prep(root)
                variant(root)

            varied = run(case, tmp_path / f"file{n}-{k}", prepare=prepare)
            if varied.observable() != base.observable():
                observed.add(rel)
    assert observed == depends_on, f"depends on files {sorted(observed)}; spec: {depends_on}"

    # the result
    if case.check_returns:
        _check_returns(case, effect, base, tmp_path, prep)


def _changes_an_artist(effect: Effect, c: Call) -> bool:
    """The call changes its receiver or an argument that is a matplotlib artist."""
    changed = [_arg(c, m, m if isinstance(m, str) else None) for m in effect.mutates]
    return any(isinstance(x, mpl.artist.Artist) for x in changed)


def _seeded(effect: Effect, c: Call) -> bool:
    """The effect names a seed keyword (the proposed ``seeded_by``) that the call, or the making
    of its receiver, gave a value: its hidden-state effects do not apply."""
    kw = getattr(effect, "seeded_by", None)
    if kw is None:
        return False
    return c.kwargs.get(kw) is not None or getattr(c.recv, kw, None) is not None


def _check_returns(
    case: Case,
    effect: Effect,
    base: Outcome,
    tmp_path: Path,
    prep: Callable[[Path], None] | None,
) -> None:
    c = base.call
    sources = []
    if c.recv is not NO_RECV:
        sources.append("recv")
    sources += [f"arg:{i}" for i, a in enumerate(c.args) if not _immutable(a)]
    sources += [f"arg:{k}" for k, v in c.kwargs.items() if not _immutable(v)]
    linked: set[str] = set()
    for n, source in enumerate(sources):
        linked |= run(
            case, tmp_path / f"link{n}", link=source, prepare=prep, baseline=base.result
        ).linked
    returns = effect.returns
    if returns == "self":
        assert "self" in linked, f"spec returns self; the result is linked to {sorted(linked)}"
        return
    when = effect.mutates_when
    if "self" in linked and when is not None and c.kwargs.get(when[0]) == when[1]:
        # ``inplace=True`` hands back the receiver: the run-time identity of a bound result
        # links it in the graph, like an out= argument
        linked -= {"self", "recv"}
    assert "self" not in linked, f"the result is the receiver; spec says {returns!r}"
    out_args = {f"arg:{m}" for m in effect.mutates if m != "self"}
    # a result written through out= is the out argument: identity links it in the graph
    linked -= out_args
    expected = {"part": {"recv"}, "new": set()}.get(returns, {returns}) - out_args
    undeclared = linked - expected
    assert not undeclared, f"the result shares data with {sorted(linked)}; spec: {returns!r}"
    # a declared sharing must show, when the input can be shared at all
    missing = {e for e in expected if e in sources} - linked
    if missing and _can_share(base, c):
        raise AssertionError(f"spec returns {returns!r}; the result shares nothing with it")


def _can_share(base: Outcome, c: Call) -> bool:
    """The result holds something that could be a view or part of an input."""
    return base.result is not None and not (
        isinstance(base.result, tuple)
        and base.result[:1] == ("dict",)
        and all(_immutable_fp(v) for _k, v in base.result[1])
    )


def _immutable_fp(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, str, bytes))


def test_case_count_and_ids() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert len(CASES) >= 120
    for lib in (NUMPY_CASES, PANDAS_CASES, SKLEARN_CASES, MPL_CASES):
        assert len(lib) >= 10


# --- coverage of the shipped data ------------------------------------------------------------


def _type_name(t: type) -> str:
    return f"{t.__module__}.{t.__qualname__}"


def _public_methods(t: type) -> list[str]:
    out = []
    for m in dir(t):
        if m.startswith("_"):
            continue
        raw = inspect.getattr_static(t, m, None)
        if isinstance(raw, property) or type(raw).__name__ in ("Accessor", "CachedAccessor"):
            continue
        if callable(getattr(t, m, None)) and not isinstance(getattr(t, m, None), type):
            out.append(m)
    return out


COVERED = [
    np.ndarray, np.random.Generator, np.random.RandomState, pd.DataFrame, pd.Series, pd.Index,
    pd.MultiIndex, pd.DatetimeIndex, type(frame().groupby("g")), type(series().groupby([1, 1, 2, 2])),
    type(series().rolling(2)), type(pd.Series(["a"]).str),
]  # fmt: skip


@pytest.mark.parametrize("t", COVERED, ids=_type_name)
def test_every_public_method_has_a_spec(t: type) -> None:
    specs = load_specs()
    missing = [m for m in _public_methods(t) if specs.method(_type_name(t), m) is None]
    assert not missing, f"{_type_name(t)} has methods without a spec: {missing}"


def test_every_estimator_is_known() -> None:
    from sklearn.utils import all_estimators

    specs = load_specs()
    missing = []
    for _name, cls in all_estimators():
        for m in _public_methods(cls):
            if specs.method(_type_name(cls), m) is None:
                missing.append(f"{_type_name(cls)}.{m}")
    assert not missing, missing


def test_every_random_function_touches_the_global_rng() -> None:
    specs = load_specs()
    pure = {"default_rng"}
    for name in dir(np.random):
        obj = getattr(np.random, name)
        if name.startswith("_") or isinstance(obj, type) or not callable(obj) or name == "test":
            continue
        effect = specs.function(f"numpy.random.{name}")
        assert effect is not None, name
        if name not in pure:
            assert RNG in effect.reads + effect.writes, name


def test_every_pyplot_function_is_plotting_state_only() -> None:
    specs = load_specs()
    for name in dir(plt):
        obj = getattr(plt, name)
        if name.startswith("_") or not callable(obj) or inspect.ismodule(obj):
            continue
        effect = specs.function(f"matplotlib.pyplot.{name}")
        assert effect is not None, name
        assert set(effect.writes) <= {MPL, FIG}, name
        assert all(isinstance(m, int) or m in ("fname", "obj", "ax") for m in effect.mutates), name
        if isinstance(obj, type) and not issubclass(obj, mpl.widgets.Widget):
            assert effect == Effect(), f"{name} makes objects pyplot does not manage: pure"


def test_library_functions_are_listed() -> None:
    """A module with specs is "known": its unlisted functions are assumed to keep no hidden state
    but may change their arguments, so every public function of these namespaces is listed."""
    specs = load_specs()
    missing = []
    for module in (
        "numpy",
        "numpy.linalg",
        "numpy.fft",
        "pandas",
        "sklearn.metrics",
        "sklearn.model_selection",
        "sklearn.preprocessing",
        "matplotlib.pyplot",
    ):
        mod = importlib.import_module(module)
        for name in getattr(mod, "__all__", None) or dir(mod):
            if name.startswith("_") or name == "test":
                continue
            try:
                obj = getattr(mod, name)
            except (AttributeError, ImportError):
                continue  # experimental names that need an explicit enable import
            if (
                not callable(obj)
                or inspect.ismodule(obj)
                or (isinstance(obj, type) and issubclass(obj, BaseException))
            ):
                continue
            # platform-specific spellings (numpy.float128) are listed under their own name
            own = getattr(obj, "__name__", name)
            if specs.function(f"{module}.{name}") is None and (
                specs.function(f"{module}.{own}") is None
            ):
                missing.append(f"{module}.{name}")
    assert not missing, missing
