"""Slicing semantics for state held inside objects and functions (issue 10, items 7, 16, 18).

Iterators consumed by builtins and loops, generators reading their source when drained,
mutable default arguments, caches, closures over mutable objects, calls of function values
produced by expressions, attribute stores on modules, definite ``global`` writes, closures
reading globals live. Same harness as ``tests/test_slicing.py``: each case runs its cells in a
fresh shell, saves ``target``, checks ``must``/``must_not`` and re-runs the slice alone in a fresh
interpreter in an empty folder."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import lineage
from lineage.verify import verify


@dataclass(frozen=True)
class Case:
    id: str
    cells: tuple[str, ...]
    target: str = ""
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    name: str = "art"


def stmts(code: str) -> list[str]:
    tree = ast.parse(code)
    return [(ast.get_source_segment(code, n) or "").strip() for n in tree.body]


PUSHER = "def make_pusher(target):\n    def push(v):\n        target.append(v)\n    return push"
COUNTER = (
    "def make_counter():\n    n = 0\n    def inc():\n        nonlocal n\n        n += 1\n"
    "        return n\n    return inc"
)

ITERATORS = [
    Case(
        "iter_sum_then_next",
        ("xs = [1, 2, 3, 4]", "it = iter(xs)", "s = sum(it)", "r = next(it, -1)"),
        "r",
        must=("s = sum(it)",),
    ),
    Case(
        "iter_list_then_list",
        ("it = iter([1, 2, 3])", "a = list(it)", "b = list(it)"),
        "b",
        must=("a = list(it)",),
    ),
    Case(
        "iter_next_twice", ("it = iter('abc')", "next(it)", "c = next(it)"), "c", must=("next(it)",)
    ),
    Case(
        "iter_for_loop",
        ("it = iter(range(5))", "for _ in it:\n    break", "r = list(it)"),
        "r",
        must=("for _ in it:\n    break",),
    ),
    Case(
        "iter_zip_consumes",
        ("it = iter([1, 2, 3])", "pairs = list(zip(it, 'ab'))", "r = list(it)"),
        "r",
        must=("pairs = list(zip(it, 'ab'))",),
    ),
    Case(
        "iter_any_consumes",
        ("it = iter([0, 1, 2, 3])", "hit = any(it)", "r = list(it)"),
        "r",
        must=("hit = any(it)",),
    ),
    Case(
        "iter_all_min_max",
        ("it = iter([3, 1, 2, 5])", "m = max(it)", "r = list(it)"),
        "r",
        must=("m = max(it)",),
    ),
    Case(
        "iter_sorted_consumes",
        ("it = iter([3, 1])", "s = sorted(it)", "r = list(it)"),
        "r",
        must=("s = sorted(it)",),
    ),
    Case(
        "iter_join_consumes",
        ("it = iter(['a', 'b'])", "s = ''.join(it)", "r = list(it)"),
        "r",
        must=("s = ''.join(it)",),
    ),
    Case(
        "iter_comprehension_consumes",
        ("it = iter([1, 2, 3])", "sq = [v * v for v in it]", "r = list(it)"),
        "r",
        must=("sq = [v * v for v in it]",),
    ),
    Case(
        "iter_map_object",
        ("m = map(str, [1, 2, 3])", "first = next(m)", "r = list(m)"),
        "r",
        must=("first = next(m)",),
    ),
    Case(
        "iter_filter_object",
        ("f = filter(None, [0, 1, 2, 3])", "next(f)", "r = list(f)"),
        "r",
        must=("next(f)",),
    ),
    Case(
        "iter_zip_object",
        ("z = zip([1, 2, 3], 'abc')", "next(z)", "r = list(z)"),
        "r",
        must=("next(z)",),
    ),
    Case(
        "iter_enumerate_object",
        ("e = enumerate('xyz')", "next(e)", "r = dict(e)"),
        "r",
        must=("next(e)",),
    ),
    Case(
        "iter_genexp_object",
        ("g = (v * 2 for v in range(4))", "s = sum(g)", "r = list(g)"),
        "r",
        must=("s = sum(g)",),
    ),
    Case(
        "iter_consumed_in_function",
        ("def drain(i):\n    return sum(i)", "it = iter([1, 2])", "drain(it)", "r = list(it)"),
        "r",
        must=("drain(it)",),
    ),
    Case(
        "iter_dict_items",
        ("d = {'a': 1, 'b': 2}", "it = iter(d.items())", "next(it)", "r = list(it)"),
        "r",
        must=("next(it)",),
    ),
    Case(
        "iter_unrelated_list_not_consumed",
        ("xs = [1, 2]", "s = sum(xs)", "r = list(xs)"),
        "r",
        must_not=("s = sum(xs)",),
    ),
    Case(
        "iter_print_does_not_consume",
        ("it = iter([1, 2])", "print(it is not None)", "r = list(it)"),
        "r",
        must_not=("print(it is not None)",),
    ),
    Case(
        "iter_tuple_set_consumes",
        ("it = iter([1, 2, 3])", "t = tuple(it)", "r = list(it)"),
        "r",
        must=("t = tuple(it)",),
    ),
    Case(
        "iter_itertools_islice",
        (
            "import itertools",
            "it = iter(range(10))",
            "head = list(itertools.islice(it, 3))",
            "r = next(it)",
        ),
        "r",
        must=("head = list(itertools.islice(it, 3))",),
    ),
]

GENERATORS = [
    Case(
        "genexp_source_appended",
        ("xs = [1, 2]", "gen = (x * 2 for x in xs)", "xs.append(9)", "r = list(gen)"),
        "r",
        must=("xs.append(9)",),
    ),
    Case(
        "genexp_reads_global_when_drained",
        ("k = 1", "xs = [1, 2]", "gen = (x * k for x in xs)", "k = 10", "r = list(gen)"),
        "r",
        must=("k = 10",),
        must_not=("k = 1",),
    ),
    Case(
        "genexp_element_mutated",
        ("src = [[1], [2]]", "gen = (len(v) for v in src)", "src[0].append(5)", "r = sum(gen)"),
        "r",
        must=("src[0].append(5)",),
    ),
    Case(
        "genexp_source_dict_values",
        (
            "d = {'a': [1]}",
            "gen = (sum(v) for v in d.values())",
            "d['a'].append(4)",
            "r = list(gen)",
        ),
        "r",
        must=("d['a'].append(4)",),
    ),
    Case(
        "genexp_drain_does_not_change_source",
        ("xs = [1, 2]", "gen = (x for x in xs)", "r = list(gen)"),
        "xs",
        must_not=("r = list(gen)",),
    ),
    Case(
        "genfunc_yield_from",
        ("xs = [1]", "def g():\n    yield from xs", "gen = g()", "xs.append(9)", "r = list(gen)"),
        "r",
        must=("xs.append(9)",),
    ),
    Case(
        "genfunc_loop_over_arg",
        (
            "def g(seq):\n    for v in seq:\n        yield v + 1",
            "xs = [1]",
            "gen = g(xs)",
            "xs.append(5)",
            "r = list(gen)",
        ),
        "r",
        must=("xs.append(5)",),
    ),
    Case(
        "genfunc_reads_global_late",
        (
            "scale = 1",
            "def g(n):\n    for i in range(n):\n        yield i * scale",
            "gen = g(3)",
            "scale = 7",
            "r = list(gen)",
        ),
        "r",
        must=("scale = 7",),
    ),
    Case(
        "genfunc_partially_consumed",
        (
            "def g():\n    yield 1\n    yield 2\n    yield 3",
            "gen = g()",
            "next(gen)",
            "r = list(gen)",
        ),
        "r",
        must=("next(gen)",),
    ),
    Case(
        "genexp_next_then_sum",
        ("src = [4, 5, 6]", "gen = (s for s in src)", "a = next(gen)", "r = sum(gen)"),
        "r",
        must=("a = next(gen)",),
    ),
]

FUNCTION_STATE = [
    Case(
        "mutable_default_accumulates",
        ("def f(x, acc=[]):\n    acc.append(x)\n    return acc", "a = f(1)", "b = f(2)"),
        "b",
        must=("a = f(1)",),
    ),
    Case(
        "mutable_default_three_calls",
        ("def f(x, acc=[]):\n    acc.append(x)\n    return len(acc)", "f(1)", "f(2)", "n = f(3)"),
        "n",
        counts={"f(1)": 1, "f(2)": 1},
    ),
    Case(
        "mutable_default_dict",
        (
            "def memo(k, cache={}):\n    cache[k] = cache.get(k, 0) + 1\n    return cache[k]",
            "memo('a')",
            "r = memo('a')",
        ),
        "r",
        must=("memo('a')",),
    ),
    Case(
        "mutable_default_passed_explicitly_ok",
        ("def f(x, acc=[]):\n    acc.append(x)\n    return acc", "mine = []", "r = f(1, mine)"),
        "r",
        must=("mine = []",),
    ),
    Case(
        "mutable_default_kwonly",
        (
            "def f(x, *, seen=set()):\n    seen.add(x)\n    return len(seen)",
            "f(1)",
            "f(2)",
            "n = f(3)",
        ),
        "n",
        must=("f(1)", "f(2)"),
    ),
    Case(
        "mutable_default_in_method",
        (
            "class A:\n    def add(self, v, log=[]):\n"
            "        log.append(v)\n        return len(log)",
            "a = A()",
            "a.add(1)",
            "n = A().add(2)",
        ),
        "n",
        must=("a.add(1)",),
    ),
    Case(
        "lru_cache_hit_returns_earlier",
        (
            "import functools",
            "k = 1",
            "@functools.lru_cache(maxsize=None)\ndef f(x):\n    return x * k",
            "a = f(2)",
            "k = 5",
            "b = f(2)",
        ),
        "b",
        must=("a = f(2)", "k = 1"),
    ),
    Case(
        "functools_cache",
        (
            "from functools import cache",
            "base = [10]",
            "@cache\ndef g(x):\n    return x + base[0]",
            "g(1)",
            "base[0] = 99",
            "r = g(1)",
        ),
        "r",
        must=("g(1)",),
    ),
    Case(
        "lru_cache_returned_object",
        (
            "import functools",
            "@functools.lru_cache\ndef make(n):\n    return [n]",
            "a = make(1)",
            "a.append(2)",
            "b = make(1)",
        ),
        "b",
        must=("a.append(2)",),
    ),
    Case(
        "closure_pusher_changes_arg",
        (PUSHER, "d = []", "push = make_pusher(d)", "push(5)", "push(6)"),
        "d",
        must=("push(5)", "push(6)"),
    ),
    Case(
        "closure_pusher_dict_setter",
        (
            "def make_setter(store):\n    def put(k, v):\n        store[k] = v\n    return put",
            "cfg = {}",
            "put = make_setter(cfg)",
            "put('lr', 0.1)",
        ),
        "cfg",
        must=("put('lr', 0.1)",),
    ),
    Case(
        "closure_lambda_over_arg",
        (
            "def make(lst):\n    return lambda v: lst.append(v)",
            "xs = []",
            "add = make(xs)",
            "add(3)",
        ),
        "xs",
        must=("add(3)",),
    ),
    Case(
        "closure_counter_twice",
        (COUNTER, "counter = make_counter()", "counter()", "counter()", "r = counter()"),
        "r",
        counts={"counter()": 2},
    ),
    Case(
        "closure_two_counters_apart",
        (COUNTER, "c1 = make_counter()", "c2 = make_counter()", "c1()", "c2()", "r = c1()"),
        "r",
        must=("c1()",),
        must_not=("c2()",),
    ),
]

CALLS_OF_VALUES = [
    Case(
        "temp_instance_method_reads_global",
        (
            "class Foo:\n    def bar(self):\n        return rate * 2",
            "rate = 1",
            "rate = 3",
            "r = Foo().bar()",
        ),
        "r",
        must=("rate = 3",),
        must_not=("rate = 1",),
    ),
    Case(
        "call_result_called",
        (
            "def foo():\n    def inner():\n        return k + 1\n    return inner",
            "k = 1",
            "k = 4",
            "r = foo()()",
        ),
        "r",
        must=("k = 4",),
    ),
    Case(
        "chained_factory_method",
        (
            "class Foo:\n    def new(self, v):\n        return Foo()\n"
            "    def bar(self, x):\n        return x + level",
            "level = 2",
            "r = Foo().new(1).bar(0)",
        ),
        "r",
        must=("level = 2",),
    ),
    Case(
        "make_lambda_called",
        ("def make():\n    return lambda v: v * factor", "factor = 3", "r = make()(3)"),
        "r",
        must=("factor = 3",),
    ),
    Case(
        "method_returning_fn_called",
        (
            "class Box:\n    def getter(self):\n        return lambda x: x + bias",
            "bias = 5",
            "b = Box()",
            "r = b.getter()(1)",
        ),
        "r",
        must=("bias = 5",),
    ),
    Case(
        "dict_of_functions_called",
        (
            "def add(a):\n    return a + inc",
            "def mul(a):\n    return a * inc",
            "ops = {'add': add, 'mul': mul}",
            "inc = 3",
            "r = ops['mul'](2)",
        ),
        "r",
        must=("inc = 3",),
    ),
    Case(
        "list_of_closures_called",
        (
            "def make(n):\n    return lambda v: v + n + off",
            "off = 1",
            "fs = [make(1), make(2)]",
            "off = 9",
            "r = fs[1](0)",
        ),
        "r",
        must=("off = 9",),
    ),
    Case(
        "temp_instance_mutates_global",
        ("log = []", "class W:\n    def write(self, v):\n        log.append(v)", "W().write(1)"),
        "log",
        must=("W().write(1)",),
    ),
    Case(
        "getattr_method_called",
        (
            "class C:\n    def m(self):\n        return val",
            "val = 8",
            "c = C()",
            "r = getattr(c, 'm')()",
        ),
        "r",
        must=("val = 8",),
    ),
]

PATH = "import sys\nsys.path.insert(0, '.')"

MODULES = [
    Case(
        "module_attr_store_read_back",
        ("import json", "json.flag = 2", "r = json.flag * 3"),
        "r",
        must=("json.flag = 2",),
    ),
    Case(
        "module_attr_store_local_module",
        (PATH, "import mymod", "mymod.setting = 2", "r = mymod.compute()"),
        "r",
        must=("mymod.setting = 2",),
        inputs={"mymod.py": "setting = 1\ndef compute():\n    return setting * 10\n"},
    ),
    Case(
        "module_attr_store_read_by_function",
        (
            PATH,
            "import mymod",
            "def f():\n    return mymod.setting",
            "mymod.setting = 5",
            "r = f()",
        ),
        "r",
        must=("mymod.setting = 5",),
        inputs={"mymod.py": "setting = 1\n"},
    ),
    Case(
        "module_attr_store_from_import",
        (PATH, "import mymod", "mymod.setting = 4", "from mymod import setting", "r = setting + 1"),
        "r",
        must=("mymod.setting = 4",),
        inputs={"mymod.py": "setting = 1\n"},
    ),
    Case(
        "module_attr_store_in_function",
        (
            PATH,
            "import mymod",
            "def configure():\n    mymod.setting = 3",
            "configure()",
            "r = mymod.setting",
        ),
        "r",
        must=("configure()",),
        inputs={"mymod.py": "setting = 1\n"},
    ),
]

GLOBALS = [
    Case(
        "global_reset_is_definite",
        (
            "total = 5",
            "total += 1",
            "def reset():\n    global total\n    total = 0",
            "reset()",
            "r = total + 1",
        ),
        "r",
        must=("reset()",),
        must_not=("total = 5", "total += 1"),
    ),
    Case(
        "global_reset_conditional_stays_may",
        (
            "total = 5",
            "def reset(flag):\n    global total\n    if flag:\n        total = 0",
            "reset(False)",
            "r = total",
        ),
        "r",
        must=("total = 5", "reset(False)"),
    ),
    Case(
        "global_reset_in_loop_stays_may",
        (
            "total = 5",
            "def reset(n):\n    global total\n    for _ in range(n):\n        total = 0",
            "reset(0)",
            "r = total",
        ),
        "r",
        must=("total = 5",),
    ),
    Case(
        "global_reset_after_early_return",
        (
            "total = 5",
            "def reset(flag):\n    global total\n    if not flag:\n        return\n    total = 0",
            "reset(False)",
            "r = total",
        ),
        "r",
        must=("total = 5",),
    ),
    Case(
        "global_reset_in_try_stays_may",
        (
            "total = 5",
            "def reset():\n    global total\n"
            "    try:\n        total = int('x')\n    except ValueError:\n        pass",
            "reset()",
            "r = total",
        ),
        "r",
        must=("total = 5",),
    ),
    Case(
        "global_reset_called_conditionally",
        (
            "total = 5",
            "def reset():\n    global total\n    total = 0",
            "if len('a') > 5:\n    reset()",
            "r = total",
        ),
        "r",
        must=("total = 5",),
    ),
    Case(
        "global_reset_through_helper",
        (
            "total = 5",
            "def reset():\n    global total\n    total = 0",
            "def outer():\n    reset()",
            "outer()",
            "r = total",
        ),
        "r",
        must=("outer()",),
        must_not=("total = 5",),
    ),
    Case(
        "global_reset_then_increment",
        (
            "count = 100",
            "def reset():\n    global count\n    count = 0",
            "def bump():\n    global count\n    count += 1",
            "reset()",
            "bump()",
            "r = count",
        ),
        "r",
        must=("reset()", "bump()"),
        must_not=("count = 100",),
    ),
    Case(
        "global_two_writes_definite",
        (
            "a = 1",
            "b = 2",
            "def init():\n    global a, b\n    a = 10\n    b = a + 1",
            "init()",
            "r = a + b",
        ),
        "r",
        must=("init()",),
        must_not=("a = 1", "b = 2"),
    ),
    Case(
        "global_augmented_keeps_earlier",
        ("n = 3", "def inc():\n    global n\n    n += 1", "inc()", "r = n"),
        "r",
        must=("n = 3", "inc()"),
    ),
]

CLOSURE_LIVE_GLOBALS = [
    Case(
        "lambda_factory_live_global",
        (
            "offset = 100",
            "make = lambda k: (lambda v: v + k + offset)",
            "offset = -1",
            "f = make(1)",
            "r = f(2)",
        ),
        "r",
        must=("offset = -1",),
        must_not=("offset = 100",),
    ),
    Case(
        "lambda_factory_made_before_change",
        (
            "offset = 100",
            "make = lambda k: (lambda v: v + k + offset)",
            "f = make(1)",
            "offset = -1",
            "r = f(2)",
        ),
        "r",
        must=("offset = -1",),
        must_not=("offset = 100",),
    ),
    Case(
        "def_factory_returns_lambda",
        (
            "offset = 100",
            "def make(k):\n    return lambda v: v + k + offset",
            "f = make(1)",
            "offset = -1",
            "r = f(2)",
        ),
        "r",
        must=("offset = -1",),
        must_not=("offset = 100",),
    ),
    Case(
        "def_factory_returns_nested_def",
        (
            "scale = 2",
            "def make(k):\n    def g(v):\n        return v * k * scale\n    return g",
            "g3 = make(3)",
            "scale = 5",
            "r = g3(1)",
        ),
        "r",
        must=("scale = 5",),
        must_not=("scale = 2",),
    ),
    Case(
        "factory_in_same_cell_as_call",
        (
            "offset = 100",
            "make = lambda k: (lambda v: v + offset)\noffset = -1\nf = make(1)\nr = f(2)",
        ),
        "r",
        must=("offset = -1",),
        must_not=("offset = 100",),
    ),
    Case(
        "factory_lambda_sort_key_still_read",
        (
            "w = {'a': 2, 'b': 1}",
            "def order(d):\n    return sorted(d, key=lambda n: d[n] * sign)",
            "sign = -1",
            "r = order(w)",
        ),
        "r",
        must=("sign = -1",),
    ),
]

CASES = (
    ITERATORS
    + GENERATORS
    + FUNCTION_STATE
    + CALLS_OF_VALUES
    + MODULES
    + GLOBALS
    + CLOSURE_LIVE_GLOBALS
)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_slice(case: Case, shell, tmp_path: Path) -> None:
    for rel, text in case.inputs.items():
        Path(rel).write_text(text)
    for cell in case.cells:
        shell.run_cell(cell, store_history=True).raise_error()
    if case.target:
        result = shell.run_cell(
            f"import lineage\nlineage.save({case.target}, {case.name!r})", store_history=True
        )
        result.raise_error()
    art = lineage.get(case.name)
    code = art.code
    assert "lineage" not in code
    got = stmts(code)
    for s in case.must:
        assert s in got, f"slice lacks {s!r}:\n{code}"
    for s in case.must_not:
        assert s not in got, f"slice should not hold {s!r}:\n{code}"
    for s, n in case.counts.items():
        assert got.count(s) == n, f"{s!r} should appear {n} times:\n{code}"
    empty = tmp_path / "empty"
    empty.mkdir()
    for rel, text in case.inputs.items():
        (empty / rel).write_text(text)
    result = verify(case.name, cwd=empty)
    assert result.ok, f"{result.detail}\n--- slice ---\n{code}"


def test_case_count() -> None:
    assert len(CASES) >= 60
