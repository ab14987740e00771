"""The shipped specs checked against what the calls really do.

Each case builds fresh objects, performs one real call and observes its effects; the spec lookup
must say exactly that:

- receiver / argument mutated: its observed state after the call differs from a control run that
  built the same objects and made no call (iterators are drained to observe them, so a control run
  is needed rather than a before/after pair);
- ``state:random`` written: ``random.getstate()`` differs from the control run; read: the outcome
  differs when the module RNG starts from another seed;
- files: what changed on disk under the case's folder must be what the spec writes, appends or
  deletes; the call depends on a path's earlier state (spec op read, append, delete, or a
  non-truncating mode) exactly when changing or removing that path beforehand changes the outcome;
- returns: the result is the receiver ("self"), shares objects with the receiver ("part") or with
  an argument ("arg:N", "arg:*"), or with none of them ("new").
"""

from __future__ import annotations

import collections
import csv
import datetime
import fnmatch
import gc
import importlib
import importlib.metadata
import io
import itertools
import json
import operator
import os
import pickle
import random
import re
import shutil
import statistics
import string
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import pytest
from packaging.version import Version

from lineage.analysis.specs import (
    PURE,
    Effect,
    FileEffect,
    Specs,
    imported_specs,
    load_specs,
    mode_op,
)
from lineage.errors import LineageError

NO_RECV: Any = object()
OLD_NS = 1_000_000_000 * 10**9  # every input file's mtime before the call (2001-09-09)
SPECS_DIR = Path(__file__).resolve().parents[1] / "lineage" / "specs"


@dataclass
class Call:
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    recv: Any = NO_RECV
    keep: dict[str, Any] = field(default_factory=dict)  # objects a custom watcher looks at


@dataclass(frozen=True)
class Case:
    id: str
    target: str  # a function's import path, or a method name when build() sets a receiver
    build: Callable[[], Call]
    files: dict[str, str | None] = field(default_factory=dict)  # path -> text, None = directory
    summary: Callable[[Any], Any] | None = None  # observe the result (default: its state)
    watch: Callable[[Call], Any] | None = None  # observe the receiver (default: its state)
    check_returns: bool = True

    @property
    def is_method(self) -> bool:
        return "." not in self.target


def fn(target: str, build: Callable[[], Call], note: str = "", **kw: Any) -> Case:
    return Case(f"{target}{f' [{note}]' if note else ''}", target, build, **kw)


def meth(label: str, method: str, build: Callable[[], Call], note: str = "", **kw: Any) -> Case:
    return Case(f"{label}.{method}{f' [{note}]' if note else ''}", method, build, **kw)


# --- observing objects -----------------------------------------------------------------------

_OPENED: list[Any] = []


def fopen(path: str, mode: str = "r") -> Any:
    handle = open(path, mode)  # noqa: SIM115 - closed by the harness after each run
    _OPENED.append(handle)
    return handle


def state(obj: Any, depth: int = 0) -> Any:
    """A deterministic, comparable picture of obj; drains iterators."""
    if depth > 8:
        return "..."
    d = depth + 1
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
        return obj
    if isinstance(obj, random.Random) and not isinstance(obj, random.SystemRandom):
        return ("Random", obj.getstate())
    if isinstance(obj, (io.StringIO, io.BytesIO)):
        return (
            type(obj).__name__,
            obj.closed,
            None if obj.closed else (obj.getvalue(), obj.tell()),
        )
    if isinstance(obj, io.IOBase):
        name = getattr(obj, "name", None)
        disk = Path(name).read_bytes() if isinstance(name, str) and Path(name).is_file() else None
        if obj.closed:
            return ("file", "closed", disk)
        try:
            pos: int | None = obj.tell()
        except OSError:  # a text file being iterated cannot tell
            pos = None
        rest = obj.read() if obj.readable() else None  # what reading would go on with
        return ("file", pos, rest, disk)
    if isinstance(obj, (bytearray, memoryview)):
        return (type(obj).__name__, bytes(obj))
    if isinstance(obj, PurePath):
        return ("path", str(obj))
    if isinstance(obj, collections.deque):
        return ("deque", obj.maxlen, [state(x, d) for x in obj])
    if isinstance(obj, collections.defaultdict):
        return ("defaultdict", state(obj.default_factory), state(dict(obj), d))
    if isinstance(obj, collections.ChainMap):
        return ("ChainMap", [state(m, d) for m in obj.maps])
    if isinstance(obj, dict):
        return (type(obj).__name__, [(state(k, d), state(v, d)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [state(x, d) for x in obj])
    if isinstance(obj, (set, frozenset)):
        return (type(obj).__name__, sorted(repr(state(x, d)) for x in obj))
    if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
        return ("callable", getattr(obj, "__qualname__", repr(obj)))
    if isinstance(obj, Iterator):
        return ("iter", [state(x, d) for x in itertools.islice(obj, 50)])
    if hasattr(obj, "__dict__") and not isinstance(obj, types.ModuleType):
        return (type(obj).__name__, state(vars(obj), d))
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(obj))


def exercise(handle: Any) -> Any:
    """Use a file handle the way its mode allows: read it, write to it, close it."""
    got = handle.read() if handle.readable() else None
    if handle.writable():
        handle.write("Z" if isinstance(handle, io.TextIOBase) else b"Z")
    handle.close()
    return got


def listing(result: Any) -> Any:
    return sorted(str(x) for x in result)


_ATOMS = (
    type(None),
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    range,
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    PurePath,
    datetime.date,
    datetime.timedelta,
    re.Pattern,
)


def _is_target(obj: Any) -> bool:
    return not isinstance(obj, _ATOMS)


def reach(obj: Any, depth: int = 5, limit: int = 5000) -> list[Any]:
    """Objects reachable from obj through references (not through types, modules, functions)."""
    module_dicts = {id(vars(m)) for m in list(sys.modules.values()) if m is not None}
    seen: dict[int, Any] = {id(obj): obj}
    frontier = [obj]
    for _ in range(depth):
        nxt = []
        for item in frontier:
            if isinstance(item, (types.BuiltinFunctionType, types.MethodType)):
                refs = [item.__self__]
            elif isinstance(item, (type, types.ModuleType, types.FunctionType, types.CodeType)):
                refs = []
            else:
                refs = gc.get_referents(item)
            for ref in refs:
                if id(ref) in seen or id(ref) in module_dicts or isinstance(ref, types.ModuleType):
                    continue
                seen[id(ref)] = ref
                nxt.append(ref)
                if len(seen) > limit:
                    return list(seen.values())
        frontier = nxt
    return list(seen.values())


def _contains(objs: list[Any], target: Any) -> bool:
    return any(o is target for o in objs)


# --- running a case --------------------------------------------------------------------------


@dataclass
class Outcome:
    error: str | None
    result: str
    recv: str
    args: list[str]
    kwargs: dict[str, str]
    rng: Any
    files: dict[str, Any]  # paths whose state changed -> state after
    relations: set[str]
    can_share: bool  # the result is an object (or a tuple holding one), not a number or string
    call: Call
    own: set[str]  # paths of files the case opened while building its objects

    def observable(self) -> tuple[Any, ...]:
        return (self.error, self.result, self.recv, self.args, self.kwargs, self.files)


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


def _snapshot(root: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out[os.path.relpath(os.path.join(dirpath, name), root)] = ("dir",)
        for name in filenames:
            p = os.path.join(dirpath, name)
            st = os.stat(p)
            out[os.path.relpath(p, root)] = ("file", Path(p).read_bytes(), st.st_mtime_ns == OLD_NS)
    return out


def _age(root: Path) -> None:
    for dirpath, _dirs, filenames in os.walk(root):
        for name in filenames:
            os.utime(os.path.join(dirpath, name), ns=(OLD_NS, OLD_NS))


def _setup(root: Path, files: dict[str, str | None]) -> None:
    for rel, text in files.items():
        p = root / rel
        if text is None:
            p.mkdir(parents=True, exist_ok=True)
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)


def _norm(value: Any, root: str) -> str:
    return repr(value).replace(root, "<cwd>")


class BuildFailed(Exception):
    """A variant made the case's own setup impossible (say, the file it opens is gone)."""


def _observe(fn: Callable[[Any], Any], obj: Any) -> Any:
    try:
        return fn(obj)
    except Exception as e:  # a lazy result fails when consumed: that is its outcome
        return ("raised", type(e).__name__)


def run(
    case: Case,
    root: Path,
    *,
    seed: int = 1,
    call: bool = True,
    prepare: Callable[[Path], None] | None = None,
) -> Outcome:
    """Set up the case's files under root, build its objects, make the call, observe."""
    root.mkdir(parents=True)
    old_cwd = os.getcwd()
    os.chdir(root)
    here = os.getcwd()
    c = Call()
    result: Any = None
    try:
        _setup(root, case.files)
        if prepare is not None:
            prepare(root)
        _age(root)
        try:
            c = case.build()
        except OSError as e:
            raise BuildFailed(str(e)) from e
        # a file object's own path is the business of the open() call that made it
        own = {os.path.normpath(h.name) for h in _OPENED if isinstance(h.name, str)}
        before = _snapshot(root)
        func = getattr(c.recv, case.target) if case.is_method else _resolve(case.target)
        parts = {
            "recv": reach(c.recv) if c.recv is not NO_RECV else [],
            **{f"arg:{i}": reach(a) for i, a in enumerate(c.args)},
            **{f"arg:{k}": reach(v) for k, v in c.kwargs.items()},
        }
        random.seed(seed)
        error = None
        if call:
            try:
                result = func(*c.args, **c.kwargs)
            except Exception as e:
                error = type(e).__name__
        rng = random.getstate()
        done = call and error is None
        relations = _relations(result, c, parts) if done else set()
        pieces = [result, *result] if type(result) is tuple else [result]
        can_share = done and any(_is_target(p) for p in pieces)
        recv = _observe(case.watch or (lambda c: state(c.recv)), c)
        recv_s = _norm(recv, here) if c.recv is not NO_RECV else ""
        args = [_norm(_observe(state, a), here) for a in c.args]
        kwargs = {k: _norm(_observe(state, v), here) for k, v in c.kwargs.items()}
        summary = _observe(case.summary or state, result) if done else None
        after = _snapshot(root)
        changed = {
            p: after.get(p)
            for p in set(before) | set(after)
            if before.get(p) != after.get(p) and p not in own
        }
        return Outcome(
            error,
            _norm(summary, here),
            recv_s,
            args,
            kwargs,
            rng,
            changed,
            relations,
            can_share,
            c,
            own,
        )
    finally:
        for obj in [result, c.recv, *c.args, *c.kwargs.values(), *c.keep.values(), *_OPENED]:
            if isinstance(obj, memoryview):
                obj.release()
        for obj in [result, c.recv, *c.args, *c.kwargs.values(), *c.keep.values(), *_OPENED]:
            if isinstance(obj, io.IOBase):
                obj.close()
        _OPENED.clear()
        os.chdir(old_cwd)


def _relations(result: Any, c: Call, before: dict[str, list[Any]]) -> set[str]:
    """Which inputs the result is, or shares objects with.

    A tuple result is usually unpacked, so an element of it that the receiver held counts too
    (``dict.popitem``).
    """
    if c.recv is not NO_RECV and result is c.recv:
        return {"self"}
    if not _is_target(result):
        return set()
    found: set[str] = set()
    inputs: dict[str, Any] = {}
    if c.recv is not NO_RECV:
        inputs["recv"] = c.recv
    inputs.update({f"arg:{i}": a for i, a in enumerate(c.args)})
    inputs.update({f"arg:{k}": v for k, v in c.kwargs.items()})
    from_result = reach(result)
    for key, value in inputs.items():
        if not _is_target(value) or (key != "recv" and value is c.recv):
            continue
        if (
            _contains(from_result, value)
            or _contains(reach(value), result)
            or _contains(before[key], result)
        ):
            found.add(key)
    if "recv" in inputs and type(result) is tuple:
        held = before["recv"]
        if any(_is_target(x) and _contains(held, x) for x in result):
            found.add("recv")
    return found


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


def expected_files(effect: Effect, c: Call) -> tuple[set[str], set[str], set[str]]:
    """(paths the call changes, paths it deletes, paths whose earlier state it depends on)."""
    changes, deletes, depends = set(), set(), set()
    for fe in effect.files:
        value = _arg(c, fe.path, fe.path_kw)
        if value is None:
            continue
        path = os.path.normpath(os.fspath(value))
        if fe.op == "mode":
            mode = _arg(c, fe.mode, fe.mode_kw) or fe.default_mode
            _reads, writes, truncates = mode_op(mode)
            dep, chg = not truncates, writes
        else:
            dep = fe.op in ("read", "append", "delete", "chdir")
            chg = fe.op in ("write", "append", "delete")
        if dep:
            depends.add(path)
        if chg:
            changes.add(path)
        if fe.op == "delete":
            deletes.add(path)
    return changes, deletes, depends


def covers(spec_path: str, seen: str) -> bool:
    """A spec path accounts for a path seen on disk: the same, inside it, its parent, or a glob."""
    if spec_path == "." or seen == spec_path:
        return True
    if seen.startswith(spec_path + os.sep) or spec_path.startswith(seen + os.sep):
        return True
    return any(ch in spec_path for ch in "*?[") and fnmatch.fnmatch(seen, spec_path)


def _variants(rel: str, exists: bool) -> list[Callable[[Path], None]]:
    def modify(root: Path) -> None:
        p = root / rel
        if p.is_dir():
            (p / "zz_extra.txt").write_text("extra\n")
        else:
            p.write_text("a different, longer content\n")

    def remove(root: Path) -> None:
        p = root / rel
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()

    def create(root: Path) -> None:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("was already there\n")

    return [modify, remove] if exists else [create]


# --- the cases -------------------------------------------------------------------------------

IN = {"in.txt": "hello\nworld\n"}
TREE = {"d": None, "d/a.txt": "a\n", "d/b.txt": "b\n"}
NS = types.SimpleNamespace


def _csv_writer() -> Call:
    f = io.StringIO()
    return Call((["a", "b"],), recv=csv.writer(f), keep={"f": f})


def _dict_writer() -> Call:
    f = io.StringIO()
    return Call(recv=csv.DictWriter(f, ["a", "b"]), keep={"f": f})


def _pickler() -> Call:
    f = io.BytesIO()
    return Call(([1, 2],), recv=pickle.Pickler(f), keep={"f": f})


def _written(c: Call) -> Any:
    return c.keep["f"].getvalue()


def _mv() -> Call:
    ba = bytearray(b"abc")
    return Call((0, 120), recv=memoryview(ba), keep={"ba": ba})


def _flush() -> Call:
    f = fopen("out.txt", "w")
    f.write("pending")
    return Call(recv=f)


def _gen() -> Iterator[int]:
    yield from (1, 2, 3)


FUNCTION_CASES = [
    # builtins
    fn("builtins.print", lambda: Call(("a", 1), {"file": io.StringIO()})),
    fn("builtins.len", lambda: Call(([1, 2],))),
    fn("builtins.sorted", lambda: Call(([[3], [1]],))),
    fn("builtins.sum", lambda: Call(([1, 2, 3],))),
    fn("builtins.min", lambda: Call(([[2], [1]],))),
    fn("builtins.max", lambda: Call(([[1], [2]],))),
    fn("builtins.max", lambda: Call(([1], [2])), note="two arguments"),
    fn("builtins.abs", lambda: Call((-3,))),
    fn("builtins.round", lambda: Call((2.567, 1))),
    fn("builtins.divmod", lambda: Call((7, 2))),
    fn("builtins.pow", lambda: Call((2, 5))),
    fn("builtins.range", lambda: Call((3,))),
    fn("builtins.enumerate", lambda: Call(([[1]],))),
    fn("builtins.zip", lambda: Call(([1], [2]))),
    fn("builtins.map", lambda: Call((abs, [-1, -2]))),
    fn("builtins.filter", lambda: Call((None, [0, 1]))),
    fn("builtins.reversed", lambda: Call(([1, 2],))),
    fn("builtins.iter", lambda: Call(([1, 2],))),
    fn("builtins.next", lambda: Call((iter([[1], [2]]),))),
    fn("builtins.list", lambda: Call(([[1]],))),
    fn("builtins.dict", lambda: Call(({"a": [1]},))),
    fn("builtins.set", lambda: Call(([1, 2],))),
    fn("builtins.tuple", lambda: Call(([[1]],))),
    fn("builtins.frozenset", lambda: Call(([1],))),
    fn("builtins.str", lambda: Call((12,))),
    fn("builtins.int", lambda: Call(("7",))),
    fn("builtins.float", lambda: Call(("1.5",))),
    fn("builtins.bool", lambda: Call(([],))),
    fn("builtins.bytes", lambda: Call(([65, 66],))),
    fn("builtins.bytearray", lambda: Call((b"ab",))),
    fn("builtins.isinstance", lambda: Call(([1], list))),
    fn("builtins.type", lambda: Call(([1],))),
    fn("builtins.repr", lambda: Call(([1],))),
    fn("builtins.format", lambda: Call((3.14159, ".2f"))),
    fn("builtins.hash", lambda: Call(("abc",))),
    fn("builtins.id", lambda: Call(([1],)), summary=type),
    fn("builtins.any", lambda: Call(([0, 1],))),
    fn("builtins.all", lambda: Call(([1, 1],))),
    fn("builtins.chr", lambda: Call((65,))),
    fn("builtins.ord", lambda: Call(("A",))),
    fn("builtins.callable", lambda: Call((len,))),
    fn("builtins.hasattr", lambda: Call((NS(x=1), "x"))),
    fn("builtins.getattr", lambda: Call((NS(x=[1]), "x"))),
    fn("builtins.setattr", lambda: Call((NS(x=1), "x", [2]))),
    fn("builtins.delattr", lambda: Call((NS(x=1), "x"))),
    fn("builtins.vars", lambda: Call((NS(x=[1]),))),
    fn("builtins.dict.fromkeys", lambda: Call((["a", "b"], []))),
    fn("builtins.memoryview", lambda: Call((bytearray(b"ab"),)), summary=bytes),
    fn("builtins.open", lambda: Call(("in.txt",)), files=IN, summary=exercise, note="default r"),
    fn("builtins.open", lambda: Call(("out.txt", "w")), summary=exercise, note="w"),
    fn(
        "builtins.open",
        lambda: Call(("in.txt", "w")),
        files=IN,
        summary=exercise,
        note="w existing",
    ),
    fn("builtins.open", lambda: Call(("in.txt", "a")), files=IN, summary=exercise, note="a"),
    fn("builtins.open", lambda: Call(("in.txt", "r+")), files=IN, summary=exercise, note="r+"),
    fn("builtins.open", lambda: Call(("in.txt", "w+")), files=IN, summary=exercise, note="w+"),
    fn(
        "builtins.open",
        lambda: Call(("in.txt",), {"mode": "rb"}),
        files=IN,
        summary=exercise,
        note="mode keyword",
    ),
    fn(
        "builtins.open",
        lambda: Call((), {"file": "out.bin", "mode": "wb"}),
        summary=exercise,
        note="file keyword",
    ),
    # collections
    fn("collections.Counter", lambda: Call(("abca",))),
    fn("collections.defaultdict", lambda: Call((list,))),
    fn("collections.deque", lambda: Call(([[1]], 5))),
    fn("collections.OrderedDict", lambda: Call(([("a", [1])],))),
    fn("collections.ChainMap", lambda: Call(({"a": 1}, {"b": 2}))),
    fn("collections.namedtuple", lambda: Call(("P", "x y")), summary=lambda t: t._fields),
    # itertools
    fn("itertools.chain", lambda: Call(([1], [2]))),
    fn("itertools.chain.from_iterable", lambda: Call(([[1], [2]],))),
    fn("itertools.islice", lambda: Call(([1, 2, 3], 2))),
    fn("itertools.count", lambda: Call((5,))),
    fn("itertools.cycle", lambda: Call(([1, 2],))),
    fn("itertools.repeat", lambda: Call(([1], 2))),
    fn("itertools.accumulate", lambda: Call(([1, 2, 3],))),
    fn("itertools.compress", lambda: Call(([1, 2], [1, 0]))),
    fn("itertools.dropwhile", lambda: Call((operator.not_, [0, 1, 0]))),
    fn("itertools.takewhile", lambda: Call((bool, [1, 0, 1]))),
    fn("itertools.filterfalse", lambda: Call((None, [0, 1]))),
    fn("itertools.groupby", lambda: Call(([1, 1, 2],))),
    fn("itertools.pairwise", lambda: Call(([1, 2, 3],))),
    fn("itertools.starmap", lambda: Call((pow, [(2, 3)]))),
    fn("itertools.tee", lambda: Call(([1, 2], 2))),
    fn("itertools.zip_longest", lambda: Call(([1], [2, 3]))),
    fn("itertools.product", lambda: Call(([[1]], [[2]]))),
    fn("itertools.permutations", lambda: Call(([[1], [2]],))),
    fn("itertools.combinations", lambda: Call(([[1], [2], [3]], 2))),
    # math and statistics
    fn("math.sqrt", lambda: Call((16,))),
    fn("math.floor", lambda: Call((2.5,))),
    fn("math.fsum", lambda: Call(([0.1] * 10,))),
    fn("math.prod", lambda: Call(([2, 3],))),
    fn("math.isclose", lambda: Call((1.0, 1.0))),
    fn("math.log", lambda: Call((8, 2))),
    fn("math.gcd", lambda: Call((12, 8))),
    fn("statistics.mean", lambda: Call(([1, 2, 3],))),
    fn("statistics.median", lambda: Call(([3, 1, 2],))),
    fn("statistics.stdev", lambda: Call(([1, 2, 3, 4],))),
    fn("statistics.mode", lambda: Call(([1, 1, 2],))),
    fn("statistics.quantiles", lambda: Call((list(range(10)),))),
    fn("statistics.NormalDist", lambda: Call((0, 1)), summary=lambda d: (d.mean, d.stdev)),
    # random: module state
    fn("random.seed", lambda: Call((5,))),
    fn("random.random", lambda: Call()),
    fn("random.randint", lambda: Call((1, 100))),
    fn("random.randrange", lambda: Call((10,))),
    fn("random.uniform", lambda: Call((0, 1))),
    fn("random.gauss", lambda: Call((0, 1))),
    fn("random.getrandbits", lambda: Call((16,))),
    fn("random.choice", lambda: Call(([[i] for i in range(50)],))),
    fn("random.choices", lambda: Call(([1, 2, 3],), {"k": 5})),
    fn("random.shuffle", lambda: Call((list(range(10)),))),
    fn("random.sample", lambda: Call(([[i] for i in range(50)], 2))),
    fn("random.getstate", lambda: Call()),
    fn("random.setstate", lambda: Call((random.Random(3).getstate(),))),
    fn("random.Random", lambda: Call((3,))),
    # json / csv / pickle
    fn("json.dumps", lambda: Call(({"a": [1]},))),
    fn("json.loads", lambda: Call(('{"a": 1}',))),
    fn("json.dump", lambda: Call(({"a": 1}, io.StringIO()))),
    fn("json.dump", lambda: Call(({"a": 1},), {"fp": io.StringIO()}), note="fp keyword"),
    fn("json.dump", lambda: Call(({"a": 1}, fopen("out.json", "w"))), note="real file"),
    fn("json.load", lambda: Call((io.StringIO('{"a": 1}'),))),
    fn("csv.reader", lambda: Call((io.StringIO("a,b\n1,2\n"),))),
    fn("csv.writer", lambda: Call((io.StringIO(),))),
    fn("csv.DictReader", lambda: Call((io.StringIO("a,b\n1,2\n"),))),
    fn("csv.DictWriter", lambda: Call((io.StringIO(), ["a", "b"]))),
    fn("pickle.dumps", lambda: Call(([1, 2],))),
    fn("pickle.loads", lambda: Call((pickle.dumps([1, 2]),))),
    fn("pickle.dump", lambda: Call(([1, 2], io.BytesIO()))),
    fn("pickle.load", lambda: Call((io.BytesIO(pickle.dumps([1, 2])),))),
    # pathlib / shutil / os / glob
    fn("pathlib.Path", lambda: Call(("a", "b"))),
    fn("shutil.copy", lambda: Call(("in.txt", "out.txt")), files=IN),
    fn("shutil.copyfile", lambda: Call(("in.txt", "out.txt")), files=IN),
    fn("shutil.copy2", lambda: Call(("in.txt", "out.txt")), files=IN),
    fn("shutil.move", lambda: Call(("in.txt", "moved.txt")), files=IN),
    fn("shutil.rmtree", lambda: Call(("d",)), files=TREE),
    fn("shutil.copytree", lambda: Call(("d", "d2")), files=TREE),
    fn("shutil.copyfileobj", lambda: Call((io.StringIO("abc"), io.StringIO()))),
    fn("os.remove", lambda: Call(("in.txt",)), files=IN),
    fn("os.unlink", lambda: Call(("in.txt",)), files=IN),
    fn("os.rename", lambda: Call(("in.txt", "renamed.txt")), files=IN),
    fn("os.replace", lambda: Call(("in.txt", "old.txt")), files={**IN, "old.txt": "old\n"}),
    fn("os.makedirs", lambda: Call(("a/b",))),
    fn("os.mkdir", lambda: Call(("newdir",))),
    fn("os.chdir", lambda: Call(("d",)), files=TREE),
    fn("os.rmdir", lambda: Call(("empty",)), files={"empty": None}),
    fn("os.listdir", lambda: Call(("d",)), files=TREE, summary=listing),
    fn("os.walk", lambda: Call(("d",)), files=TREE, summary=lambda w: sorted(map(repr, w))),
    fn("os.stat", lambda: Call(("in.txt",)), files=IN, summary=lambda s: s.st_size),
    fn("os.path.exists", lambda: Call(("in.txt",)), files=IN),
    fn("os.path.exists", lambda: Call(("missing.txt",)), note="missing"),
    fn("os.path.isfile", lambda: Call(("in.txt",)), files=IN),
    fn("os.path.isdir", lambda: Call(("d",)), files=TREE),
    fn("os.path.getsize", lambda: Call(("in.txt",)), files=IN),
    fn("os.path.join", lambda: Call(("a", "b"))),
    fn("os.path.basename", lambda: Call(("a/b.txt",))),
    fn("os.path.splitext", lambda: Call(("a/b.txt",))),
    fn("glob.glob", lambda: Call(("*.txt",)), files={**IN, "x.txt": "x\n"}, summary=sorted),
    # copy / functools / operator / heapq / bisect
    fn("copy.copy", lambda: Call(([[1]],))),
    fn("copy.deepcopy", lambda: Call(([[1]],))),
    fn("functools.reduce", lambda: Call((operator.add, [1, 2, 3]))),
    fn("functools.partial", lambda: Call((max, [[1]]))),
    fn("operator.add", lambda: Call((1, 2))),
    fn("operator.concat", lambda: Call(([1], [2]))),
    fn("operator.contains", lambda: Call(([1], 1))),
    fn("operator.itemgetter", lambda: Call((1,)), summary=lambda g: g((5, 6))),
    fn("operator.getitem", lambda: Call(({"a": [1]}, "a"))),
    fn("operator.setitem", lambda: Call(({"a": 1}, "a", 2))),
    fn("operator.delitem", lambda: Call(({"a": 1}, "a"))),
    fn("operator.iadd", lambda: Call(([1], [2]))),
    fn("heapq.heappush", lambda: Call(([1, 3], 2))),
    fn("heapq.heappop", lambda: Call(([[1], [2]],))),
    fn("heapq.heapify", lambda: Call(([3, 1, 2],))),
    fn("heapq.heapreplace", lambda: Call(([[1], [3]], [2]))),
    fn("heapq.heappushpop", lambda: Call(([[1], [3]], [2]))),
    fn("heapq.nlargest", lambda: Call((2, [[1], [3], [2]]))),
    fn("heapq.nsmallest", lambda: Call((2, [[1], [3], [2]]))),
    fn("heapq.merge", lambda: Call(([1, 3], [2]))),
    fn("bisect.bisect", lambda: Call(([1, 3], 2))),
    fn("bisect.bisect_left", lambda: Call(([1, 3], 2))),
    fn("bisect.insort", lambda: Call(([1, 3], 2))),
    # time / datetime / re / textwrap / uuid / string
    fn("time.sleep", lambda: Call((0,))),
    fn("time.time", lambda: Call(), summary=type),
    fn("datetime.datetime", lambda: Call((2020, 1, 2))),
    fn("datetime.date", lambda: Call((2020, 1, 2))),
    fn("datetime.timedelta", lambda: Call((), {"days": 1})),
    fn("datetime.datetime.fromisoformat", lambda: Call(("2020-01-02",))),
    fn("re.compile", lambda: Call(("a+",))),
    fn("re.sub", lambda: Call(("a", "b", "aaa"))),
    fn("re.findall", lambda: Call((r"\d", "a1b2"))),
    fn("re.split", lambda: Call((",", "a,b"))),
    fn("re.match", lambda: Call(("a", "ab")), summary=lambda m: m.group()),
    fn("textwrap.wrap", lambda: Call(("hello world", 5))),
    fn("textwrap.fill", lambda: Call(("hello world", 5))),
    fn("textwrap.dedent", lambda: Call(("  a\n  b",))),
    fn("uuid.uuid4", lambda: Call(), summary=type),
    fn("string.capwords", lambda: Call(("hello world",))),
]

METHOD_CASES = [
    # list
    meth("list", "append", lambda: Call(([3],), recv=[1])),
    meth("list", "extend", lambda: Call(([3],), recv=[1])),
    meth("list", "insert", lambda: Call((0, 3), recv=[1])),
    meth("list", "pop", lambda: Call(recv=[[1], [2]])),
    meth("list", "remove", lambda: Call((1,), recv=[1, 2])),
    meth("list", "clear", lambda: Call(recv=[1])),
    meth("list", "sort", lambda: Call(recv=[2, 1])),
    meth("list", "reverse", lambda: Call(recv=[1, 2])),
    meth("list", "copy", lambda: Call(recv=[[1]])),
    meth("list", "index", lambda: Call((2,), recv=[1, 2])),
    meth("list", "count", lambda: Call((1,), recv=[1, 1])),
    meth("list", "__getitem__", lambda: Call((0,), recv=[[1]])),
    meth("list", "__setitem__", lambda: Call((0, 5), recv=[1])),
    meth("list", "__delitem__", lambda: Call((0,), recv=[1])),
    meth("list", "__iadd__", lambda: Call(([2],), recv=[1])),
    meth("list", "__add__", lambda: Call(([2],), recv=[1])),
    meth("list", "__contains__", lambda: Call((1,), recv=[1])),
    meth("list", "__iter__", lambda: Call(recv=[1, 2])),
    # dict
    meth("dict", "get", lambda: Call(("a",), recv={"a": [1]})),
    meth("dict", "setdefault", lambda: Call(("b", []), recv={"a": [1]})),
    meth("dict", "pop", lambda: Call(("a",), recv={"a": [1]})),
    meth("dict", "popitem", lambda: Call(recv={"a": [1]})),
    meth("dict", "update", lambda: Call(({"b": 2},), recv={"a": 1})),
    meth("dict", "clear", lambda: Call(recv={"a": 1})),
    meth("dict", "copy", lambda: Call(recv={"a": [1]})),
    meth("dict", "keys", lambda: Call(recv={"a": 1})),
    meth("dict", "values", lambda: Call(recv={"a": [1]})),
    meth("dict", "items", lambda: Call(recv={"a": [1]})),
    meth("dict", "__getitem__", lambda: Call(("a",), recv={"a": [1]})),
    meth("dict", "__setitem__", lambda: Call(("a", 2), recv={"a": 1})),
    meth("dict", "__delitem__", lambda: Call(("a",), recv={"a": 1})),
    meth("dict", "__ior__", lambda: Call(({"b": 2},), recv={"a": 1})),
    meth("dict", "__or__", lambda: Call(({"b": 2},), recv={"a": 1})),
    # set / frozenset / tuple
    meth("set", "add", lambda: Call((3,), recv={1})),
    meth("set", "discard", lambda: Call((1,), recv={1})),
    meth("set", "remove", lambda: Call((1,), recv={1})),
    meth("set", "pop", lambda: Call(recv={frozenset({1})})),
    meth("set", "clear", lambda: Call(recv={1})),
    meth("set", "update", lambda: Call(({2},), recv={1})),
    meth("set", "difference_update", lambda: Call(({1},), recv={1, 2})),
    meth("set", "intersection_update", lambda: Call(({1},), recv={1, 2})),
    meth("set", "symmetric_difference_update", lambda: Call(({1},), recv={2})),
    meth("set", "union", lambda: Call(({2},), recv={1})),
    meth("set", "intersection", lambda: Call(({1},), recv={1, 2})),
    meth("set", "difference", lambda: Call(({1},), recv={1, 2})),
    meth("set", "symmetric_difference", lambda: Call(({1},), recv={2})),
    meth("set", "issubset", lambda: Call(({1, 2},), recv={1})),
    meth("set", "isdisjoint", lambda: Call(({2},), recv={1})),
    meth("set", "copy", lambda: Call(recv={1})),
    meth("set", "__ior__", lambda: Call(({2},), recv={1})),
    meth("frozenset", "union", lambda: Call(({2},), recv=frozenset({1}))),
    meth("frozenset", "copy", lambda: Call(recv=frozenset({1}))),
    meth("frozenset", "__contains__", lambda: Call((1,), recv=frozenset({1}))),
    meth("tuple", "index", lambda: Call((2,), recv=(1, 2))),
    meth("tuple", "count", lambda: Call((1,), recv=(1, 1))),
    meth("tuple", "__getitem__", lambda: Call((0,), recv=([1],))),
    # str / bytes / bytearray / memoryview
    meth("str", "upper", lambda: Call(recv="abc")),
    meth("str", "split", lambda: Call((",",), recv="a,b")),
    meth("str", "join", lambda: Call((["a", "b"],), recv="-")),
    meth("str", "replace", lambda: Call(("a", "b"), recv="aa")),
    meth("str", "strip", lambda: Call(recv=" a ")),
    meth("str", "format", lambda: Call((1,), recv="{}")),
    meth("bytes", "decode", lambda: Call(recv=b"ab")),
    meth("bytes", "hex", lambda: Call(recv=b"ab")),
    meth("bytearray", "append", lambda: Call((65,), recv=bytearray(b"a"))),
    meth("bytearray", "extend", lambda: Call((b"bc",), recv=bytearray(b"a"))),
    meth("bytearray", "pop", lambda: Call(recv=bytearray(b"ab"))),
    meth("bytearray", "insert", lambda: Call((0, 65), recv=bytearray(b"a"))),
    meth("bytearray", "remove", lambda: Call((97,), recv=bytearray(b"ab"))),
    meth("bytearray", "reverse", lambda: Call(recv=bytearray(b"ab"))),
    meth("bytearray", "clear", lambda: Call(recv=bytearray(b"ab"))),
    meth("bytearray", "__setitem__", lambda: Call((0, 65), recv=bytearray(b"ab"))),
    meth("bytearray", "decode", lambda: Call(recv=bytearray(b"ab"))),
    meth("bytearray", "upper", lambda: Call(recv=bytearray(b"ab"))),
    meth("bytearray", "replace", lambda: Call((b"a", b"b"), recv=bytearray(b"ab"))),
    meth("bytearray", "copy", lambda: Call(recv=bytearray(b"ab"))),
    meth("memoryview", "__setitem__", _mv, watch=lambda c: bytes(c.keep["ba"])),
    meth("memoryview", "tobytes", lambda: Call(recv=memoryview(b"ab"))),
    # file objects
    meth("TextIOWrapper", "read", lambda: Call(recv=fopen("in.txt")), files=IN),
    meth("TextIOWrapper", "readline", lambda: Call(recv=fopen("in.txt")), files=IN),
    meth("TextIOWrapper", "readlines", lambda: Call(recv=fopen("in.txt")), files=IN),
    meth("TextIOWrapper", "__next__", lambda: Call(recv=fopen("in.txt")), files=IN),
    meth("TextIOWrapper", "__iter__", lambda: Call(recv=fopen("in.txt")), files=IN),
    meth("TextIOWrapper", "seek", lambda: Call((3,), recv=fopen("in.txt")), files=IN),
    meth("TextIOWrapper", "tell", lambda: Call(recv=fopen("in.txt")), files=IN),
    meth("TextIOWrapper", "readable", lambda: Call(recv=fopen("in.txt")), files=IN),
    meth("TextIOWrapper", "close", lambda: Call(recv=fopen("in.txt")), files=IN),
    meth("TextIOWrapper", "write", lambda: Call(("abc",), recv=fopen("out.txt", "w"))),
    meth("TextIOWrapper", "writelines", lambda: Call((["a", "b"],), recv=fopen("out.txt", "w"))),
    meth("TextIOWrapper", "flush", _flush),
    meth("BufferedReader", "read", lambda: Call(recv=fopen("in.txt", "rb")), files=IN),
    meth("BufferedWriter", "write", lambda: Call((b"ab",), recv=fopen("out.bin", "wb"))),
    meth("StringIO", "write", lambda: Call(("ab",), recv=io.StringIO())),
    meth("StringIO", "read", lambda: Call(recv=io.StringIO("ab"))),
    meth("StringIO", "getvalue", lambda: Call(recv=io.StringIO("ab"))),
    meth("BytesIO", "write", lambda: Call((b"ab",), recv=io.BytesIO())),
    meth(
        "BytesIO",
        "getbuffer",
        lambda: Call(recv=io.BytesIO(b"ab")),
        summary=lambda mv: (mv.tobytes(), mv.release()),
    ),
    # collections
    meth("Counter", "most_common", lambda: Call(recv=collections.Counter("abca"))),
    meth("Counter", "update", lambda: Call(("b",), recv=collections.Counter("a"))),
    meth("Counter", "subtract", lambda: Call(("a",), recv=collections.Counter("a"))),
    meth("Counter", "elements", lambda: Call(recv=collections.Counter("aab"))),
    meth("Counter", "total", lambda: Call(recv=collections.Counter("aab"))),
    meth(
        "Counter",
        "__getitem__",
        lambda: Call(("z",), recv=collections.Counter("a")),
        note="missing key",
    ),
    meth(
        "Counter",
        "__add__",
        lambda: Call((collections.Counter("b"),), recv=collections.Counter("a")),
    ),
    meth(
        "Counter",
        "__iadd__",
        lambda: Call((collections.Counter("b"),), recv=collections.Counter("a")),
    ),
    meth("Counter", "get", lambda: Call(("a",), recv=collections.Counter({"a": [1]}))),
    meth(
        "defaultdict",
        "__getitem__",
        lambda: Call(("k",), recv=collections.defaultdict(list)),
        note="missing key",
    ),
    meth("defaultdict", "get", lambda: Call(("k",), recv=collections.defaultdict(list))),
    meth("defaultdict", "setdefault", lambda: Call(("k", []), recv=collections.defaultdict(list))),
    meth("defaultdict", "copy", lambda: Call(recv=collections.defaultdict(list, a=[1]))),
    meth("deque", "append", lambda: Call((2,), recv=collections.deque([1]))),
    meth("deque", "appendleft", lambda: Call((2,), recv=collections.deque([1]))),
    meth("deque", "pop", lambda: Call(recv=collections.deque([[1], [2]]))),
    meth("deque", "popleft", lambda: Call(recv=collections.deque([[1], [2]]))),
    meth("deque", "rotate", lambda: Call((1,), recv=collections.deque([1, 2]))),
    meth("deque", "extend", lambda: Call(([2],), recv=collections.deque([1]))),
    meth("deque", "extendleft", lambda: Call(([2],), recv=collections.deque([1]))),
    meth("deque", "clear", lambda: Call(recv=collections.deque([1]))),
    meth("deque", "copy", lambda: Call(recv=collections.deque([[1]]))),
    meth("deque", "count", lambda: Call((1,), recv=collections.deque([1]))),
    meth("deque", "__getitem__", lambda: Call((0,), recv=collections.deque([[1]]))),
    meth(
        "OrderedDict", "move_to_end", lambda: Call(("a",), recv=collections.OrderedDict(a=1, b=2))
    ),
    meth("OrderedDict", "popitem", lambda: Call(recv=collections.OrderedDict(a=[1]))),
    meth("OrderedDict", "__setitem__", lambda: Call(("c", 3), recv=collections.OrderedDict(a=1))),
    meth("OrderedDict", "get", lambda: Call(("a",), recv=collections.OrderedDict(a=[1]))),
    # the child holds the receiver's maps (so "part"), which is not the receiver or one of its values
    meth(
        "ChainMap",
        "new_child",
        lambda: Call(recv=collections.ChainMap({"a": 1})),
        check_returns=False,
    ),
    meth("ChainMap", "__setitem__", lambda: Call(("b", 2), recv=collections.ChainMap({"a": 1}))),
    meth("ChainMap", "get", lambda: Call(("a",), recv=collections.ChainMap({"a": [1]}))),
    meth("UserList", "append", lambda: Call((2,), recv=collections.UserList([1]))),
    meth("UserDict", "get", lambda: Call(("a",), recv=collections.UserDict(a=[1]))),
    # random.Random instances keep their own state
    meth("Random", "random", lambda: Call(recv=random.Random(1))),
    meth("Random", "randint", lambda: Call((1, 9), recv=random.Random(1))),
    meth("Random", "gauss", lambda: Call((0, 1), recv=random.Random(1))),
    meth("Random", "seed", lambda: Call((7,), recv=random.Random(1))),
    meth("Random", "shuffle", lambda: Call((list(range(10)),), recv=random.Random(1))),
    meth("Random", "choice", lambda: Call(([[1], [2], [3]],), recv=random.Random(1))),
    meth("Random", "sample", lambda: Call(([[1], [2], [3]], 2), recv=random.Random(1))),
    meth("Random", "getstate", lambda: Call(recv=random.Random(1))),
    meth("Random", "setstate", lambda: Call((random.Random(5).getstate(),), recv=random.Random(1))),
    meth("SystemRandom", "random", lambda: Call(recv=random.SystemRandom()), summary=type),
    # iterators
    meth("list_iterator", "__next__", lambda: Call(recv=iter([[1], [2]]))),
    meth("list_iterator", "__iter__", lambda: Call(recv=iter([1]))),
    meth("generator", "__next__", lambda: Call(recv=_gen())),
    meth("generator", "close", lambda: Call(recv=_gen())),
    meth("dict_keyiterator", "__next__", lambda: Call(recv=iter({"a": 1, "b": 2}))),
    meth("enumerate", "__next__", lambda: Call(recv=enumerate([[1], [2]]))),
    meth("zip", "__next__", lambda: Call(recv=zip([[1]], [[2]], strict=True))),
    meth("map", "__next__", lambda: Call(recv=map(abs, [-1, -2]))),
    meth("itertools.count", "__next__", lambda: Call(recv=itertools.count())),
    meth("itertools.chain", "__next__", lambda: Call(recv=itertools.chain([1], [2]))),
    meth("itertools._tee", "__next__", lambda: Call(recv=itertools.tee([1, 2])[0])),
    meth("csv.reader", "__next__", lambda: Call(recv=csv.reader(io.StringIO("a\nb\n")))),
    meth("csv.DictReader", "__next__", lambda: Call(recv=csv.DictReader(io.StringIO("a\n1\n2\n")))),
    # csv / pickle writers mutate the file they wrap
    meth("csv.writer", "writerow", _csv_writer, watch=_written),
    meth("csv.DictWriter", "writeheader", _dict_writer, watch=_written),
    meth("pickle.Pickler", "dump", _pickler, watch=_written),
    # pathlib
    meth("Path", "read_text", lambda: Call(recv=Path("in.txt")), files=IN),
    meth("Path", "read_bytes", lambda: Call(recv=Path("in.txt")), files=IN),
    meth("Path", "write_text", lambda: Call(("new\n",), recv=Path("out.txt"))),
    meth(
        "Path",
        "write_text",
        lambda: Call(("new\n",), recv=Path("in.txt")),
        files=IN,
        note="existing",
    ),
    meth("Path", "write_bytes", lambda: Call((b"new",), recv=Path("out.bin"))),
    meth("Path", "touch", lambda: Call(recv=Path("in.txt")), files=IN),
    meth("Path", "touch", lambda: Call(recv=Path("new.txt")), note="new file"),
    meth("Path", "unlink", lambda: Call(recv=Path("in.txt")), files=IN),
    meth("Path", "mkdir", lambda: Call(recv=Path("newdir"))),
    meth("Path", "rmdir", lambda: Call(recv=Path("empty")), files={"empty": None}),
    meth("Path", "open", lambda: Call(recv=Path("in.txt")), files=IN, summary=exercise),
    meth("Path", "open", lambda: Call(("w",), recv=Path("out.txt")), summary=exercise, note="w"),
    meth(
        "Path",
        "open",
        lambda: Call(("a",), recv=Path("in.txt")),
        files=IN,
        summary=exercise,
        note="a",
    ),
    meth("Path", "exists", lambda: Call(recv=Path("in.txt")), files=IN),
    meth("Path", "exists", lambda: Call(recv=Path("missing.txt")), note="missing"),
    meth("Path", "is_file", lambda: Call(recv=Path("in.txt")), files=IN),
    meth("Path", "is_dir", lambda: Call(recv=Path("d")), files=TREE),
    meth("Path", "iterdir", lambda: Call(recv=Path("d")), files=TREE, summary=listing),
    meth("Path", "glob", lambda: Call(("*.txt",), recv=Path("d")), files=TREE, summary=listing),
    meth("Path", "stat", lambda: Call(recv=Path("in.txt")), files=IN, summary=lambda s: s.st_size),
    meth("Path", "rename", lambda: Call(("renamed.txt",), recv=Path("in.txt")), files=IN),
    meth(
        "Path",
        "replace",
        lambda: Call(("old.txt",), recv=Path("in.txt")),
        files={**IN, "old.txt": "old\n"},
    ),
    meth("Path", "with_suffix", lambda: Call((".csv",), recv=Path("in.txt"))),
    meth("Path", "__truediv__", lambda: Call(("b",), recv=Path("a"))),
    meth("Path", "joinpath", lambda: Call(("b", "c"), recv=Path("a"))),
    meth("Path", "resolve", lambda: Call(recv=Path("a"))),
    # immutable values and other pure objects
    meth(
        "re.Pattern",
        "match",
        lambda: Call(("aab",), recv=re.compile("a+")),
        summary=lambda m: m.group(),
    ),
    meth("re.Pattern", "sub", lambda: Call(("b", "aab"), recv=re.compile("a+"))),
    meth(
        "datetime", "replace", lambda: Call((), {"year": 2021}, recv=datetime.datetime(2020, 1, 2))
    ),
    meth("date", "isoformat", lambda: Call(recv=datetime.date(2020, 1, 2))),
    meth("NormalDist", "pdf", lambda: Call((0.5,), recv=statistics.NormalDist())),
    meth("Template", "substitute", lambda: Call((), {"x": 1}, recv=string.Template("$x"))),
    meth("TextWrapper", "wrap", lambda: Call(("a b c",), recv=textwrap.TextWrapper(width=2))),
]

CASES = FUNCTION_CASES + METHOD_CASES


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_spec_matches_real_behaviour(case: Case, tmp_path: Path) -> None:
    base = run(case, tmp_path / "base")
    again = run(case, tmp_path / "again")
    assert base.error is None, f"the call failed: {base.error}"
    assert (base.observable(), base.rng) == (again.observable(), again.rng), (
        "the case is not deterministic; give it a summary= or watch= that is"
    )
    effect = spec_for(case, base.call)
    assert effect is not None and not effect.unknown, "no spec for this call"
    control = run(case, tmp_path / "control", call=False)
    other_seed = run(case, tmp_path / "seed", seed=2)
    c = base.call

    # receiver and arguments
    if c.recv is not NO_RECV:
        when = effect.mutates_when
        expect = "self" in effect.mutates and (
            when is None or (when[0] in c.kwargs and c.kwargs[when[0]] == when[1])
        )
        assert (base.recv != control.recv) == expect, "receiver mutated?"
    for i, (after, before) in enumerate(zip(base.args, control.args, strict=True)):
        assert (after != before) == (i in effect.mutates), f"positional argument {i} mutated?"
    for k in c.kwargs:
        assert (base.kwargs[k] != control.kwargs[k]) == (k in effect.mutates), f"argument {k}="

    # module state
    wrote_rng = base.rng != control.rng
    assert wrote_rng == ("state:random" in effect.writes), "writes state:random?"
    read_rng = base.observable() != other_seed.observable()
    assert read_rng == ("state:random" in effect.reads), "reads state:random?"

    # files
    changes, deletes, depends = expected_files(effect, c)
    for path in changes:
        assert any(covers(path, seen) for seen in base.files), f"spec changes {path}; it did not"
    for seen in base.files:
        assert any(covers(path, seen) for path in changes), f"{seen} changed; spec does not say so"
    for path in deletes:
        assert base.files.get(path, "kept") is None, f"spec deletes {path}; it is still there"
    present = set(_snapshot_names(case.files))
    interest = (present | changes | depends | set(base.files)) - base.own
    observed = set()
    for n, rel in enumerate(sorted(interest)):
        for k, prepare in enumerate(_variants(rel, rel in present)):
            try:
                varied = run(case, tmp_path / f"vary{n}-{k}", prepare=prepare)
            except BuildFailed:
                continue
            if varied.observable() != base.observable():
                observed.add(rel)
    for path in depends:
        assert any(covers(path, seen) for seen in observed), f"spec: depends on {path}; it does not"
    for seen in observed:
        assert any(covers(path, seen) for path in depends), f"depends on {seen}; spec does not say"

    # the result
    if case.check_returns:
        _check_returns(effect, base)


def _snapshot_names(files: dict[str, str | None]) -> list[str]:
    names = set()
    for rel in files:
        parts = Path(rel).parts
        names.update(os.path.join(*parts[: i + 1]) for i in range(len(parts)))
    return sorted(names)


def _check_returns(effect: Effect, out: Outcome) -> None:
    rel, c, returns = out.relations, out.call, effect.returns
    # a shallow copy is a new container that shares the elements of what it copies, if any
    # (a lazy iterator holding its argument, "holds:N", is checked as the argument's copy)
    is_copy = returns.startswith(("copy", "holds"))
    returns = "part" if returns == "copy" else returns.replace("copy:", "arg:")
    returns = returns.replace("holds:", "arg:")
    if returns == "self":
        assert rel == {"self"}, f"spec returns self; result relates to {sorted(rel) or 'nothing'}"
        return
    assert "self" not in rel, f"the result is the receiver; spec says {returns!r}"
    # every sharing seen is declared
    for key in sorted(rel):
        if key == "recv":
            assert returns == "part", f"result shares objects with the receiver; spec: {returns!r}"
        elif returns == "part":
            value = c.args[int(key[4:])] if key[4:].isdigit() else c.kwargs[key[4:]]
            assert _contains(reach(c.recv), value), f"result shares objects with {key}; spec: part"
        else:
            assert returns in (key, "arg:*"), f"result shares objects with {key}; spec: {returns!r}"
    # every declared sharing is seen, when the result is an object that can share at all
    if not out.can_share or is_copy:
        return
    mutable_args = {
        f"arg:{k}"
        for k, v in [*enumerate(c.args), *c.kwargs.items()]
        if _is_target(v) and v is not c.recv
    }
    if returns == "part":
        assert "recv" in rel, "spec returns part; the result shares nothing with the receiver"
    elif returns == "arg:*" and mutable_args:
        assert rel, "spec returns arg:*; the result shares nothing with the arguments"
    elif returns in mutable_args:
        assert returns in rel, f"spec returns {returns}; the result shares nothing with it"


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


# --- the shipped data: names are real --------------------------------------------------------

# names that exist only on some of the Pythons lineage supports (3.10-3.13): (since, until)
NOW = sys.version_info[:2]
ALL: tuple[tuple[int, int], tuple[int, int]] = ((3, 0), (9, 9))
AVAILABLE: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "base64.z85decode": ((3, 13), (9, 9)),
    "base64.z85encode": ((3, 13), (9, 9)),
    "calendar.Day": ((3, 12), (9, 9)),
    "calendar.Month": ((3, 12), (9, 9)),
    "contextlib.chdir": ((3, 11), (9, 9)),
    "copy.replace": ((3, 13), (9, 9)),
    "enum.EnumDict": ((3, 13), (9, 9)),
    "glob.translate": ((3, 13), (9, 9)),
    "itertools.batched": ((3, 12), (9, 9)),
    "logging.getHandlerByName": ((3, 12), (9, 9)),
    "logging.getHandlerNames": ((3, 12), (9, 9)),
    "math.cbrt": ((3, 11), (9, 9)),
    "math.exp2": ((3, 11), (9, 9)),
    "math.fma": ((3, 13), (9, 9)),
    "math.sumprod": ((3, 12), (9, 9)),
    "operator.call": ((3, 11), (9, 9)),
    "os.path.isdevdrive": ((3, 13), (9, 9)) if sys.platform != "win32" else ((3, 12), (9, 9)),
    "os.path.isjunction": ((3, 12), (9, 9)),
    "os.path.splitroot": ((3, 12), (9, 9)),
    "random.binomialvariate": ((3, 12), (9, 9)),
    "random.Random.binomialvariate": ((3, 12), (9, 9)),
    "re.template": ((3, 0), (3, 13)),
    "statistics.kde": ((3, 13), (9, 9)),
    "statistics.kde_random": ((3, 13), (9, 9)),
    "types.CapsuleType": ((3, 13), (9, 9)),
    "types.get_original_bases": ((3, 12), (9, 9)),
    "typing.ReadOnly": ((3, 13), (9, 9)),
    "typing.TypeAliasType": ((3, 12), (9, 9)),
    "typing.TypeIs": ((3, 13), (9, 9)),
    "typing.get_protocol_members": ((3, 13), (9, 9)),
    "typing.is_protocol": ((3, 13), (9, 9)),
    "typing.override": ((3, 12), (9, 9)),
    "uuid.main": ((3, 12), (9, 9)),
    "warnings.deprecated": ((3, 13), (9, 9)),
    # methods
    "pathlib.Path.copy": ((3, 14), (9, 9)),
    "pathlib.Path.copy_into": ((3, 14), (9, 9)),
    "pathlib.Path.from_uri": ((3, 13), (9, 9)),
    "pathlib.Path.is_junction": ((3, 12), (9, 9)),
    "pathlib.Path.link_to": ((3, 0), (3, 12)),
    "pathlib.Path.move": ((3, 14), (9, 9)),
    "pathlib.Path.move_into": ((3, 14), (9, 9)),
    "pathlib.Path.walk": ((3, 12), (9, 9)),
    "pathlib.PurePath.full_match": ((3, 13), (9, 9)),
    "pathlib.PurePath.with_segments": ((3, 12), (9, 9)),
    "builtins.bytearray.__buffer__": ((3, 12), (9, 9)),
    "builtins.bytearray.__release_buffer__": ((3, 12), (9, 9)),
    "builtins.memoryview.__buffer__": ((3, 12), (9, 9)),
    "builtins.memoryview.__release_buffer__": ((3, 12), (9, 9)),
    # type names
    "builtins.str_ascii_iterator": ((3, 11), (9, 9)),
    "collections._deque_iterator": ((3, 12), (9, 9)),
    "collections._deque_reverse_iterator": ((3, 12), (9, 9)),
    "pathlib._local.Path": ((3, 13), (9, 9)),
    "pathlib._local.PosixPath": ((3, 13), (9, 9)),
    "pathlib._local.WindowsPath": ((3, 13), (9, 9)),
    "pathlib._local.PurePath": ((3, 13), (9, 9)),
    "pathlib._local.PurePosixPath": ((3, 13), (9, 9)),
    "pathlib._local.PureWindowsPath": ((3, 13), (9, 9)),
    "nt.ScandirIterator": ((3, 0), (0, 0)) if sys.platform != "win32" else ALL,
    "posix.ScandirIterator": ALL if sys.platform != "win32" else ((3, 0), (0, 0)),
    "posix.DirEntry": ALL if sys.platform != "win32" else ((3, 0), (0, 0)),
}


# names a library's newer releases removed: (distribution, first release without the name)
REMOVED: dict[str, tuple[str, str]] = {
    "numpy.row_stack": ("numpy", "2.5"),
}


def _available(name: str) -> bool:
    since, until = AVAILABLE.get(name, ALL)
    if name in REMOVED:
        dist, gone = REMOVED[name]
        if Version(importlib.metadata.version(dist)) >= Version(gone):
            return False
    return since <= NOW < until


class _Seq:
    def __getitem__(self, i: int) -> int:
        raise IndexError


def _samples() -> dict[str, type]:
    """Types that cannot be imported by name, from objects of them."""
    d = {"a": 1}
    od = collections.OrderedDict(a=1)
    objs: list[Any] = [
        None, ..., NotImplemented, iter([]), reversed([]), iter(()), iter(""), iter("é"), iter(b""),
        iter(bytearray()), iter(set()), iter(d), iter(d.values()), iter(d.items()), reversed(d),
        reversed(d.values()), reversed(d.items()), iter(range(1)), iter(range(2**70)), iter(int, 1),
        iter(_Seq()), reversed((1,)), enumerate([]), zip(), map(abs, []), filter(None, []),
        iter(od), od.keys(), od.values(), od.items(), d.keys(), d.values(), d.items(), _gen(),
        iter(collections.deque()), reversed(collections.deque()), csv.reader([]),
        csv.writer(io.StringIO()),
        next(itertools.groupby([1]))[1], itertools.tee([])[0], re.compile("a"), re.match("a", "a"),
    ]  # fmt: skip
    with os.scandir(".") as it:
        objs.append(it)
    return {f"{type(o).__module__}.{type(o).__qualname__}": type(o) for o in objs}


SAMPLES = _samples()


def _type(name: str) -> type | None:
    if name in SAMPLES:
        return SAMPLES[name]
    module, _, qual = name.partition(".")
    for i in range(name.count("."), 0, -1):
        parts = name.split(".")
        module, qual = ".".join(parts[:i]), ".".join(parts[i:])
        try:
            obj: Any = importlib.import_module(module)
        except ImportError:
            continue
        try:
            for part in qual.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            return None
        # an importable spelling will do: on 3.13 pathlib.PosixPath is pathlib._local.PosixPath
        return obj if isinstance(obj, type) else None
    return None


def _packaged() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(SPECS_DIR.glob("*.json"))}


def test_function_names_exist() -> None:
    wrong = []
    for doc in _packaged().values():
        for name in doc.get("functions", {}):
            try:
                _resolve(name)
                found = True
            except (LookupError, AttributeError):
                found = False
            if found != _available(name):
                wrong.append(name)
    assert not wrong, f"on Python {NOW}, these names do not match AVAILABLE: {wrong}"


def test_type_names_exist() -> None:
    names: set[str] = set()
    for doc in _packaged().values():
        names.update(doc.get("immutable_types", []))
        names.update(doc.get("aliases", {}))
        names.update(doc.get("aliases", {}).values())
        names.update(doc.get("methods", {}))
    wrong = sorted(n for n in names if (_type(n) is not None) != _available(n))
    assert not wrong, (
        f"on Python {NOW}, these type names are not real (or AVAILABLE is stale): {wrong}"
    )


def test_method_names_exist() -> None:
    """Each listed method exists on the type or on a type that is an alias of it."""
    aliases: dict[str, str] = {}
    methods: dict[str, set[str]] = collections.defaultdict(set)
    for doc in _packaged().values():
        aliases.update(doc.get("aliases", {}))
        for t, table in doc.get("methods", {}).items():
            methods[t].update(m for m in table if m != "*")
    wrong = []
    for t, names in methods.items():
        holders = [n for n in [t, *aliases] if n == t or _chain_has(aliases, n, t)]
        classes = [c for c in map(_type, holders) if c is not None]
        if not classes:
            continue  # a type of another Python or platform
        for m in sorted(names):
            found = any(hasattr(c, m) for c in classes)
            if found != _available(f"{t}.{m}"):
                wrong.append(f"{t}.{m}")
    assert not wrong, f"on Python {NOW}: {wrong}"


def _chain_has(aliases: dict[str, str], start: str, target: str) -> bool:
    seen = set()
    name = start
    while name in aliases and name not in seen:
        seen.add(name)
        name = aliases[name]
        if name == target:
            return True
    return False


def _type_name(t: type) -> str:
    return f"{t.__module__}.{t.__qualname__}"


COVERED = [
    list, dict, set, frozenset, tuple, str, bytes, bytearray, memoryview, int, float,
    collections.deque, collections.Counter, collections.OrderedDict, collections.defaultdict,
    collections.ChainMap, io.TextIOWrapper, io.BufferedReader, io.BufferedWriter, io.BufferedRandom,
    io.FileIO, io.StringIO, io.BytesIO, random.Random, type(Path()), re.Pattern, datetime.datetime,
    statistics.NormalDist, csv.DictWriter, type(csv.writer(io.StringIO())),
]  # fmt: skip


@pytest.mark.parametrize("t", COVERED, ids=_type_name)
def test_every_public_method_has_a_spec(t: type) -> None:
    specs = load_specs()
    missing = [
        m
        for m in dir(t)
        if not m.startswith("_")
        and callable(getattr(t, m, None))
        and not isinstance(getattr(t, m, None), type)
        and specs.method(_type_name(t), m) is None
    ]
    assert not missing, f"{_type_name(t)} has methods without a spec: {missing}"


ITERATORS = [
    lambda: iter([1]), lambda: iter({"a": 1}), lambda: iter({1}), lambda: iter("ab"),
    lambda: iter("é"), lambda: reversed([1]), lambda: enumerate([1]), lambda: zip([1]),
    lambda: map(abs, [1]), lambda: filter(None, [1]), _gen, lambda: itertools.count(),
    lambda: itertools.chain([1]), lambda: itertools.islice([1], 1), lambda: itertools.tee([1])[0],
    lambda: iter(collections.deque([1])), lambda: csv.reader(["a"]),
    lambda: csv.DictReader(["a", "1"]), lambda: io.StringIO("a"), lambda: iter(range(3)),
]  # fmt: skip


@pytest.mark.parametrize("make", ITERATORS)
def test_iterators_are_recognisable(make: Callable[[], Any]) -> None:
    """An argument whose type's ``__next__`` mutates it is consumed by any call that iterates it."""
    it = make()
    effect = load_specs().method(_type_name(type(it)), "__next__")
    assert effect is not None and "self" in effect.mutates
    assert load_specs().method(_type_name(type(it)), "__iter__") == Effect(returns="self")


# --- lookups -----------------------------------------------------------------------------------


def test_aliases_fall_back_to_the_parent_type() -> None:
    specs = load_specs()
    assert specs.method("collections.Counter", "most_common") == PURE  # its own, pure
    assert specs.method("collections.Counter", "update") == Effect(mutates=("self",))
    assert specs.method("collections.Counter", "get") == Effect(returns="part")  # from dict
    assert specs.method("collections.OrderedDict", "move_to_end") == Effect(mutates=("self",))
    assert specs.method("collections.defaultdict", "__getitem__") == Effect(
        mutates=("self",), returns="part"
    )
    assert specs.method("builtins.dict", "__getitem__") == Effect(returns="part")
    assert specs.method("collections.UserList", "append") == Effect(mutates=("self",))
    # Python 3.13 spells Path types pathlib._local.*
    for name in ("pathlib.PosixPath", "pathlib._local.PosixPath"):
        effect = specs.method(name, "write_text")
        assert effect is not None and effect.files == (FileEffect("self", None, "write"),)
        assert specs.method(name, "with_suffix") == PURE
        assert specs.is_immutable(name)


def test_star_is_the_default_for_unlisted_methods() -> None:
    specs = load_specs()
    assert specs.method("builtins.tuple", "index") == PURE
    assert specs.method("builtins.tuple", "__getitem__") == Effect(returns="part")
    assert specs.method("builtins.str", "anything_at_all") == PURE
    assert specs.method("builtins.frozenset", "copy") == Effect(returns="self")
    assert specs.method("_io.TextIOWrapper", "read") == Effect(mutates=("self",))  # from "*"
    assert specs.method("_io.TextIOWrapper", "tell") == PURE
    assert specs.method("builtins.list", "no_such_method") is None  # list has no "*"
    assert specs.method("mylib.Unknown", "fit") is None


def test_exact_entries_anywhere_in_the_chain_beat_star() -> None:
    specs = Specs()
    specs.extend(
        {
            "aliases": {"m.Child": "m.Parent"},
            "methods": {"m.Child": {"*": {}}, "m.Parent": {"fit": {"mutates": ["self"]}}},
        }
    )
    assert specs.method("m.Child", "fit") == Effect(mutates=("self",))
    assert specs.method("m.Child", "predict") == PURE


def test_alias_cycles_end() -> None:
    specs = Specs()
    specs.extend({"aliases": {"m.A": "m.B", "m.B": "m.A"}})
    assert specs.method("m.A", "x") is None
    assert not specs.is_immutable("m.A")


IMMUTABLE = [
    "builtins.int", "builtins.str", "builtins.bytes", "builtins.float", "builtins.complex",
    "builtins.bool", "builtins.NoneType", "builtins.range", "decimal.Decimal", "fractions.Fraction",
    "datetime.datetime", "datetime.date", "pathlib.PosixPath", "pathlib._local.PosixPath",
    "uuid.UUID", "re.Pattern",
]  # fmt: skip
MUTABLE = [
    # tuple and frozenset never change, but what they hold may (t[0].append(1)), and t[0] hands
    # that out: they are not immutable in the sense the slicer needs
    "builtins.tuple", "builtins.frozenset", "builtins.slice", "builtins.list", "builtins.dict",
    "builtins.bytearray", "collections.Counter", "random.Random", "mylib.Model",
]  # fmt: skip


@pytest.mark.parametrize("name", IMMUTABLE)
def test_immutable(name: str) -> None:
    assert load_specs().is_immutable(name)


@pytest.mark.parametrize("name", MUTABLE)
def test_not_immutable(name: str) -> None:
    assert not load_specs().is_immutable(name)


def test_function_lookup() -> None:
    specs = load_specs()
    assert specs.function("math.sqrt") is PURE
    assert specs.function("json.dump") == Effect(mutates=(1, "fp"))
    assert specs.function("random.seed") == Effect(writes=("state:random",))
    assert specs.function("builtins.exec") == Effect(unknown=True)
    assert specs.function("mylib.train") is None
    assert specs.knows("random") and specs.knows("os.path") and specs.knows("builtins")
    assert not specs.knows("mylib") and not specs.knows("rand")


def test_extend_merges_entry_by_entry_and_later_wins() -> None:
    specs = Specs()
    specs.extend({"methods": {"m.T": {"a": {}, "b": {}}}, "functions": {"m.f": {}}})
    specs.extend(
        {
            "methods": {"m.T": {"b": {"mutates": ["self"]}}},
            "functions": {"m.f": {"mutates": [0]}},
            "immutable_types": ["m.V"],
            "aliases": {"m.U": "m.T"},
        }
    )
    assert specs.method("m.T", "a") == PURE
    assert specs.method("m.T", "b") == Effect(mutates=("self",))
    assert specs.method("m.U", "b") == Effect(mutates=("self",))
    assert specs.function("m.f") == Effect(mutates=(0,))
    assert specs.is_immutable("m.V")


def test_effect_fields_are_parsed() -> None:
    specs = Specs()
    specs.extend(
        {
            "methods": {
                "pandas.core.frame.DataFrame": {
                    "drop": {
                        "mutates": ["self"],
                        "mutates_when": {"kw": "inplace", "equals": True},
                    },
                    "to_csv": {
                        "files": [
                            {
                                "path": 0,
                                "path_kw": "path_or_buf",
                                "op": "mode",
                                "mode_kw": "mode",
                                "default_mode": "w",
                            }
                        ]
                    },
                }
            },
            "functions": {
                "numpy.random.seed": {"writes": ["state:numpy.random"]},
                "numpy.add": {"mutates": ["out"], "returns": "arg:out"},
            },
        }
    )
    drop = specs.method("pandas.core.frame.DataFrame", "drop")
    assert drop == Effect(mutates=("self",), mutates_when=("inplace", True))
    to_csv = specs.method("pandas.core.frame.DataFrame", "to_csv")
    assert to_csv is not None
    assert to_csv.files == (FileEffect(0, "path_or_buf", "mode", None, "mode", "w"),)
    assert specs.function("numpy.random.seed") == Effect(writes=("state:numpy.random",))
    assert specs.function("numpy.add") == Effect(mutates=("out",), returns="arg:out")


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("r", (True, False, False)),
        ("rb", (True, False, False)),
        ("rt", (True, False, False)),
        ("r+", (True, True, False)),
        ("rb+", (True, True, False)),
        ("w", (False, True, True)),
        ("wb", (False, True, True)),
        ("w+", (True, True, True)),
        ("a", (False, True, False)),
        ("ab", (False, True, False)),
        ("a+", (True, True, False)),
        ("x", (False, True, True)),
        ("x+", (True, True, True)),
        ("", (True, True, False)),
        ("q", (True, True, False)),
        ("rw", (True, True, False)),
        ("rbt", (True, True, False)),
    ],
)
def test_mode_op(mode: str, expected: tuple[bool, bool, bool]) -> None:
    assert mode_op(mode) == expected


# --- validation ------------------------------------------------------------------------------


def _fn(effect: Any) -> dict[str, Any]:
    return {"functions": {"m.f": effect}}


def _file(**fe: Any) -> dict[str, Any]:
    return _fn({"files": [fe]})


MALFORMED = [
    ({"function": {}}, "'function'"),
    ([], "JSON object"),
    ({"immutable_types": "builtins.int"}, "immutable_types"),
    ({"immutable_types": ["int"]}, "'int'"),
    ({"aliases": {"m.A": "m.A"}}, "alias of itself"),
    ({"aliases": {"m.A": 3}}, "aliases['m.A']"),
    ({"functions": {"print": {}}}, "full import paths"),
    ({"functions": {"m.f": []}}, "functions['m.f']"),
    (_fn({"mutate": [0]}), "'mutate'"),
    (_fn({"mutates": 0}), "functions['m.f'].mutates"),
    (_fn({"mutates": [1.5]}), "mutates[0]"),
    (_fn({"mutates": [-1]}), "mutates[0]"),
    (_fn({"mutates": [True]}), "mutates[0]"),
    (_fn({"mutates": ["self"]}), "no receiver"),
    (_fn({"mutates": ["not a name"]}), "mutates[0]"),
    (_fn({"returns": "arg:"}), "returns"),
    (_fn({"returns": "arg:-1"}), "returns"),
    (_fn({"returns": "arg:0,1"}), "returns"),
    (_fn({"returns": "part"}), "no receiver"),
    (_fn({"returns": 1}), "returns"),
    (_fn({"reads": ["random"]}), "state:"),
    (_fn({"writes": "state:random"}), "writes"),
    (_fn({"unknown": "yes"}), "unknown"),
    (_fn({"unknown": True, "mutates": [0]}), "no other keys"),
    (_fn({"mutates": [0], "mutates_when": {"kw": "inplace", "equals": True}}), "'self'"),
    ({"methods": {"m.T": {"f": {"mutates": ["self"], "mutates_when": {"kw": "x"}}}}}, "equals"),
    ({"methods": {"m.T": {"f": {"mutates": ["self"], "mutates_when": {"kw": 1, "equals": 1}}}}}, "kw"),
    ({"methods": {"m.T": {"f": {"mutates": ["self"], "mutates_when": {"kw": "x", "equals": []}}}}}, "literal"),
    ({"methods": {"T": {}}}, "'T'"),
    ({"methods": {"m.T": {"not a name": {}}}}, "identifier"),
    ({"methods": {"m.T": []}}, "methods['m.T']"),
    (_file(path=0, op="copy"), "op"),
    (_file(path=0), "needs 'op'"),
    (_file(op="read"), "needs 'path'"),
    (_file(path="self", op="read"), "no receiver"),
    (_file(path="x", op="read"), "path"),
    (_file(path=0, op="read", mode=1), "only apply when op is 'mode'"),
    (_file(path=0, op="mode", default_mode="q"), "default_mode"),
    (_file(path=0, op="mode", mode="1"), "mode"),
    (_file(path=0, op="read", path_kw=3), "path_kw"),
    (_file(path=0, op="read", colour="red"), "'colour'"),
    (_fn({"files": {"path": 0, "op": "read"}}), "files"),
]  # fmt: skip


@pytest.mark.parametrize(("doc", "needle"), MALFORMED, ids=[repr(d)[:60] for d, _ in MALFORMED])
def test_malformed_documents_are_rejected(doc: Any, needle: str) -> None:
    specs = Specs()
    with pytest.raises(LineageError) as info:
        specs.extend(doc, source="user.json")
    message = str(info.value)
    assert message.startswith("user.json"), message
    assert needle in message, message
    assert specs.counts()["functions"] == 0  # nothing merged


@pytest.fixture
def fresh_specs() -> Iterator[None]:
    load_specs.cache_clear()
    imported_specs.cache_clear()
    yield
    load_specs.cache_clear()
    imported_specs.cache_clear()


def test_user_spec_files_extend_and_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_specs: None
) -> None:
    first = tmp_path / "mylib.json"
    first.write_text(json.dumps({"functions": {"mylib.train": {"mutates": [0]}}}))
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "override.json").write_text(
        json.dumps({"functions": {"math.sqrt": {"unknown": True}}})
    )
    monkeypatch.setenv("LINEAGE_SPECS", os.pathsep.join([str(first), "", str(folder)]))
    specs = load_specs()
    assert specs.function("mylib.train") == Effect(mutates=(0,))
    assert specs.function("math.sqrt") == Effect(unknown=True)
    assert specs.function("json.dump") == Effect(mutates=(1, "fp"))  # packaged specs still there
    assert load_specs() is specs  # cached


def test_a_typo_in_a_user_spec_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_specs: None
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"methods": {"mylib.Model": {"fit": {"mutate": ["self"]}}}}))
    monkeypatch.setenv("LINEAGE_SPECS", str(bad))
    with pytest.raises(LineageError) as info:
        load_specs()
    assert str(bad) in str(info.value)
    assert "methods['mylib.Model']['fit'].mutate" in str(info.value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{not json", "not valid JSON (line 1"),
        ("[1, 2]", "one JSON object"),
        ('{"functions": {"m.f": {}, "m.f": {"mutates": [0]}}}', "appears twice"),
    ],
)
def test_unreadable_user_specs(
    text: str, needle: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_specs: None
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    monkeypatch.setenv("LINEAGE_SPECS", str(bad))
    with pytest.raises(LineageError, match=re.escape(str(bad))) as info:
        load_specs()
    assert needle in str(info.value)


def test_a_missing_user_spec_file_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_specs: None
) -> None:
    monkeypatch.setenv("LINEAGE_SPECS", str(tmp_path / "nope.json"))
    with pytest.raises(LineageError, match=r"nope\.json.*does not exist"):
        load_specs()


def test_packaged_files_are_sorted_and_valid() -> None:
    for name, doc in _packaged().items():
        Specs().extend(doc, source=name)
        for section in ("functions", "methods", "aliases"):
            keys = list(doc.get(section, {}))
            assert keys == sorted(keys), f"{name}: keep {section} sorted"
        assert doc.get("immutable_types", []) == sorted(doc.get("immutable_types", []))


def test_importing_does_no_io() -> None:
    code = (
        "import builtins, sys\n"
        "opened = []\n"
        "real = builtins.open\n"
        "builtins.open = lambda *a, **k: opened.append(a) or real(*a, **k)\n"
        "import lineage.analysis.specs\n"
        "assert not [a for a in opened if str(a[0]).endswith('.json')], opened\n"
    )
    import subprocess

    root = str(Path(__file__).resolve().parents[1])
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


# -- documents merged once their library is imported ---------------------------------------------
_LIB_A = {"functions": {"liba.f": {"mutates": [0]}, "shared.g": {"mutates": [0]}}}
_LIB_B = {"functions": {"libb.h": {}, "shared.g": {"unknown": True}}}
_USER = {"functions": {"liba.f": {"returns": "arg:0"}}}


@pytest.mark.parametrize(
    ("imported", "expected"),
    [
        # nothing imported: only the document given with extend (a user's) is there
        ((), {"liba.f": Effect(returns="arg:0"), "libb.h": None, "shared.g": None}),
        # liba imported: its entries, but the later user document still wins for liba.f
        (("liba",), {"liba.f": Effect(returns="arg:0"), "shared.g": Effect(mutates=(0,))}),
        # libb after liba: the later document wins, whichever was imported first
        (("libb", "liba"), {"shared.g": Effect(unknown=True), "libb.h": PURE}),
        (("liba", "libb"), {"shared.g": Effect(unknown=True), "liba.f": Effect(returns="arg:0")}),
        # a module both documents describe brings both in
        (("shared",), {"shared.g": Effect(unknown=True), "libb.h": PURE}),
    ],
)
def test_deferred_documents_merge_in_their_order(
    imported: tuple[str, ...], expected: dict[str, Effect | None]
) -> None:
    specs = Specs()
    specs.defer(_LIB_A, source="a.json")
    specs.defer(_LIB_B, source="b.json")
    specs.extend(_USER, source="user.json")
    for module in imported:  # one import at a time, as a session's saves see them
        specs.load_imported({module})
    assert specs.load_imported(set(imported)) is False  # nothing new to merge
    for name, effect in expected.items():
        assert specs.function(name) == effect, name


def test_a_deferred_document_is_validated_when_merged() -> None:
    specs = Specs()
    specs.defer({"functions": {"libc.f": {"mutate": [0]}}}, source="c.json")
    assert specs.load_imported({"numpy"}) is False
    with pytest.raises(LineageError, match=r"c\.json.*mutate"):
        specs.load_imported({"libc"})


def test_a_session_loads_a_librarys_specs_once_it_is_imported(tmp_path: Path) -> None:
    """In a fresh process: scipy's specs are merged at the first save after ``import scipy``,
    not before (a session that never imports it never pays for them)."""
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "from lineage.analysis.specs import imported_specs\n"
        "shell = InteractiveShell.instance()\n"
        "shell.run_cell('%load_ext lineage')\n"
        "shell.run_cell('import lineage\\nx = [1]\\nlineage.save(x, \"x\")').raise_error()\n"
        "assert 'scipy' not in sys.modules\n"
        "assert imported_specs().function('scipy.special.expit') is None\n"
        "shell.run_cell('import scipy.special\\ny = scipy.special.expit(0.0)\\n"
        'lineage.save(y, "y")\').raise_error()\n'
        "assert imported_specs().function('scipy.special.expit') is not None\n"
        "print('ok')\n"
    )
    env = {**os.environ, "LINEAGE_HOME": str(tmp_path / "home"), "LINEAGE_SPECS": ""}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.stdout.strip().endswith("ok"), done.stderr
