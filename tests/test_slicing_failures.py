"""Statements that raised after changing state (DESIGN.md: "A cell that raised").

A statement that raised counts as having run, with all its effects as may effects; it enters a
slice only when something later depends on it, and there it is guarded by ``try``/``except`` of
the builtin class of what it raised, so the slice repeats what it did and runs on. Each case runs
its cells in a fresh shell, saves its targets and re-runs each slice alone in a fresh interpreter
in an empty folder. ``must`` are statements the slice runs plainly, ``guarded`` statements it
holds inside such a ``try``, ``must_not`` statements it holds in neither form."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import lineage
from lineage.analysis.failures import guarded
from lineage.verify import verify


@dataclass(frozen=True)
class Case:
    id: str
    cells: tuple[str, ...]
    targets: tuple[str, ...]  # variables saved, one artifact each, after the cells
    must: tuple[str, ...] = ()
    guarded: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    handler: str = ""  # the class the guarded statements catch, when the case checks it


def parts(code: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The statements a slice runs plainly, and (statement, class caught) for guarded ones."""
    plain: list[str] = []
    caught: list[tuple[str, str]] = []
    for node in ast.parse(code).body:
        text = (ast.get_source_segment(code, node) or "").strip()
        handlers = node.handlers if isinstance(node, ast.Try) else []
        if len(handlers) == 1 and "here in the session" in text and len(node.body) == 1:  # type: ignore[attr-defined]
            inner = ast.unparse(node.body[0])  # type: ignore[attr-defined]
            caught.append((inner, ast.unparse(handlers[0].type) if handlers[0].type else ""))
        else:
            plain.append(text)
    return plain, caught


def same(a: str, b: str) -> bool:
    return ast.unparse(ast.parse(a)) == ast.unparse(ast.parse(b))


LOG_STEP = (
    "log = []\n"
    "def step(v):\n"
    "    log.append(v)\n"
    "    if v > 1:\n"
    "        raise ValueError(v)\n"
    "    return v"
)

CASES = [
    # -- a method call changes its receiver, then the expression raises ----------------------------
    Case(
        "or_then_raise_same_line",
        ("a = [1]; a.append(2) or 1/0",),
        ("a",),
        must=("a = [1]",),
        guarded=("a.append(2) or 1/0",),
        handler="ZeroDivisionError",
    ),
    Case(
        "update_then_missing_key",
        ("d = {'x': 0}", "d.update(y=1) or d['missing']", "n = len(d)"),
        ("d", "n"),
        guarded=("d.update(y=1) or d['missing']",),
        handler="KeyError",
    ),
    Case(
        "argument_ran_call_did_not",
        ("s = set()", "print(s.add(1), 1 / 0)"),
        ("s",),
        guarded=("print(s.add(1), 1 / 0)",),
    ),
    Case(
        "sort_then_index_fails",
        ("lst = [3, 1, 2]", "lst.sort() or lst.index(99)", "first = lst[0]"),
        ("first", "lst"),
        guarded=("lst.sort() or lst.index(99)",),
        handler="ValueError",
    ),
    Case(
        "tuple_of_calls_third_raises",
        ("q = []", "(q.append(1), q.append(2), q[5])"),
        ("q",),
        guarded=("(q.append(1), q.append(2), q[5])",),
        handler="IndexError",
    ),
    # -- loops that raised part-way: the same final list and the same loop variable ---------------
    Case(
        "for_raises_on_third_pass",
        (
            "out = []",
            "for i in range(5):\n"
            "    out.append(i * 10)\n"
            "    if i == 2:\n"
            "        raise RuntimeError('stop')",
        ),
        ("out", "i"),
        must=("out = []",),
        handler="RuntimeError",
    ),
    Case(
        "for_division_by_zero_midway",
        ("vals = [1, 2, 0, 4]", "inv = []\nfor v in vals:\n    inv.append(1 / v)", "n = len(inv)"),
        ("inv", "v", "n"),
        must=("vals = [1, 2, 0, 4]",),
    ),
    Case(
        "for_two_targets_dict_store",
        (
            "d = {'a': 1, 'b': 0, 'c': 2}",
            "ratios = {}",
            "for k, n in d.items():\n    ratios[k] = 10 // n",
        ),
        ("ratios", "k", "n"),
    ),
    Case(
        "loop_variable_rebinds_an_earlier_one",
        ("i = 100", "acc = []", "for i in range(10):\n    acc.append(i)\n    assert i < 3"),
        ("i", "acc"),
        handler="AssertionError",
    ),
    Case(
        "nested_loops_raise_inside",
        (
            "grid = []",
            "for r in range(3):\n"
            "    row = []\n"
            "    grid.append(row)\n"
            "    for c in range(3):\n"
            "        row.append(r * c)\n"
            "        if r * c == 2:\n"
            "            raise StopIteration",
        ),
        ("grid", "row", "r", "c"),
        handler="StopIteration",
    ),
    Case(
        "loop_raised_earlier_binding_kept_for_unbound",
        ("x = 'before'", "for j in []:\n    x = j\n1 / 0"),
        ("x",),
        must=("x = 'before'",),
    ),
    Case(
        "user_exception_caught_as_its_builtin_base",
        (
            "class Halt(KeyError):\n    pass",
            "seen = []\nfor w in 'abcd':\n    seen.append(w)\n    if w == 'c':\n        raise Halt(w)",
        ),
        ("seen", "w"),
        handler="KeyError",
    ),
    Case(
        "notebook_exception_caught_as_exception",
        (
            "class Stop(Exception):\n    pass",
            "got = []",
            "for t in range(9):\n    got.append(t)\n    if t == 4:\n        raise Stop()",
        ),
        ("got",),
        must=("class Stop(Exception):\n    pass",),  # the loop names it
        handler="Exception",
    ),
    # -- while -----------------------------------------------------------------------------------------
    Case(
        "while_true_assert",
        ("n = 0\nacc = []", "while True:\n    n += 1\n    acc.append(n)\n    assert n < 3"),
        ("acc", "n"),
        handler="AssertionError",
    ),
    Case(
        "while_pop_until_empty",
        ("stack = [1, 2, 3]\ndrained = []", "while True:\n    drained.append(stack.pop())"),
        ("drained", "stack"),
        handler="IndexError",
    ),
    # -- augmented assignment on a tuple holding a list: it changes the list, then raises --------------
    Case(
        "tuple_item_iadd",
        ("t = ([1], 2)", "t[0] += [3]"),
        ("t",),
        guarded=("t[0] += [3]",),
        handler="TypeError",
    ),
    Case(
        "tuple_item_iadd_through_alias",
        ("inner = [1]\nt = (inner, 'x')", "t[0] += (9,)", "size = len(inner)"),
        ("inner", "size"),
        guarded=("t[0] += (9,)",),
    ),
    Case(
        "tuple_item_iadd_in_dict",
        ("cfg = {'pair': ([0], [1])}", "cfg['pair'][1] += [5]", "total = sum(cfg['pair'][1])"),
        ("cfg", "total"),
    ),
    # -- a function changes a global, then raises ------------------------------------------------------
    Case(
        "function_appends_to_global_then_raises",
        (LOG_STEP, "step(1)", "step(2)", "step(0)"),
        ("log",),
        guarded=("step(2)",),
        handler="ValueError",
    ),
    Case(
        "function_global_counter_then_raises",
        (
            "counter = 0",
            "def bump():\n    global counter\n    counter += 1\n    raise RuntimeError('x')",
            "bump()",
            "bump()",
        ),
        ("counter",),
        guarded=("bump()",),
    ),
    Case(
        "assignment_from_call_that_raised_keeps_old_binding",
        (
            "x = 'old'",
            "data = [1]",
            "def f(l):\n    l.append(2)\n    raise ValueError('no')",
            "x = f(data)",
        ),
        ("x", "data"),
        must=("x = 'old'",),
        guarded=("x = f(data)",),
    ),
    Case(
        "assignment_raised_not_a_dependency_of_its_target",
        ("y = [1]", "def g(v):\n    return v[5]", "y = g(y)", "z = y + [2]"),
        ("z",),
        must=("y = [1]", "z = y + [2]"),
        must_not=("y = g(y)",),
    ),
    Case(
        "method_of_notebook_class_then_raise",
        (
            "class Acc:\n"
            "    def __init__(self):\n"
            "        self.items = []\n"
            "    def add(self, v):\n"
            "        self.items.append(v)\n"
            "        return 1 / v",
            "acc = Acc()",
            "acc.add(2)\nacc.add(0)\nacc.add(5)",
        ),
        ("acc",),
        guarded=("acc.add(0)",),
        must_not=("acc.add(5)",),
    ),
    # -- with blocks that raised ---------------------------------------------------------------------
    Case(
        "with_block_raises_after_writes",
        (
            "rows = []",
            "with open('out.txt', 'w') as fh:\n"
            "    fh.write('hello')\n"
            "    rows.append(1)\n"
            "    1 / 0",
            "text = open('out.txt').read()",
        ),
        ("text", "rows"),
        handler="ZeroDivisionError",
    ),
    Case(
        "with_truncates_then_raises",
        (
            "with open('f.txt', 'w') as fh:\n    fh.write('one')",
            "with open('f.txt', 'w') as fh:\n    fh.write(str(1 / 0))",
            "s = open('f.txt').read()",
        ),
        ("s",),
    ),
    Case(
        "with_custom_context_manager",
        (
            "import contextlib\n"
            "events = []\n"
            "@contextlib.contextmanager\n"
            "def track(tag):\n"
            "    events.append(('in', tag))\n"
            "    yield\n"
            "    events.append(('out', tag))",
            "with track('a'):\n    events.append('body')\n    events.append(undefined_name)",
        ),
        ("events",),
        handler="NameError",
    ),
    # -- several statements on one line ----------------------------------------------------------------
    Case(
        "same_line_name_error",
        ("a = [1]; a.append(2); b = undefined_name; a.append(3)",),
        ("a",),
        must=("a = [1]", "a.append(2)"),
        must_not=("a.append(3)", "b = undefined_name"),
    ),
    Case(
        "same_line_failing_append_argument",
        ("x = [0]; x.append(1); x.append(x[5]); x.append(2)",),
        ("x",),
        must=("x = [0]", "x.append(1)"),
        must_not=("x.append(x[5])", "x.append(2)"),
    ),
    Case(
        "same_line_mutating_failure",
        ("x = [0]; x.extend([1, 2]) or x[9]; x.append(3)",),
        ("x",),
        guarded=("x.extend([1, 2]) or x[9]",),
        must_not=("x.append(3)",),
    ),
    Case(
        "assignment_raised_target_slice_minimal",
        (
            "x = 'old'",
            "data = [1]",
            "def f(l):\n    l.append(2)\n    raise ValueError('no')",
            "x = f(data)",
            "y = x + '!'",
        ),
        ("y",),
        must=("x = 'old'", "y = x + '!'"),
        must_not=("x = f(data)", "data = [1]"),
    ),
    Case(
        "loop_first_pass_binds_a_new_name",
        ("d = {}", "for key in ['x', 'y']:\n    d[key] = 1\n    1 / 0"),
        ("key", "d"),
    ),
    Case(
        "interrupted_loop",
        (
            "acc = []",
            "for i in range(5):\n    acc.append(i)\n    if i == 2:\n        raise KeyboardInterrupt",
        ),
        ("acc", "i"),
        handler="KeyboardInterrupt",
    ),
    Case(
        "later_statements_of_the_cell_did_not_run",
        ("a = [1]\nfor i in range(3):\n    a.append(i)\n    a[9]\na.append(100)",),
        ("a",),
        must=("a = [1]",),
        must_not=("a.append(100)",),
        handler="IndexError",
    ),
    # -- positions: statements after a semicolon, failures on a continuation line ----------------------
    Case(
        "multiline_after_semicolon_fails_on_continuation_line",
        (
            "acc = [7, 8]",
            "acc.append(1); total = sum([\n    len(acc),\n    acc.pop(),\n    acc[9],\n])",
        ),
        ("acc",),
        must=("acc.append(1)",),
        guarded=("total = sum([len(acc), acc.pop(), acc[9]])",),
    ),
    Case(
        "multiline_after_semicolon_fails_on_first_line",
        ("q = [1, 2]", "n = 0; r = q.pop() + q[7] + len([\n  0])", "m = n + 1"),
        ("q", "m"),
        guarded=("r = q.pop() + q[7] + len([0])",),
    ),
    # -- statements that raised before changing anything: dropped ------------------------------------
    Case(
        "nobody_depends_on_it",
        ("v = [1]", "w = v[10]", "u = v * 2"),
        ("u",),
        must=("v = [1]", "u = v * 2"),
        must_not=("w = v[10]",),
    ),
    Case(
        "call_argument_raised_before_the_call",
        ("acc = [0]", "acc.append(1 / 0)", "acc.append(2)"),
        ("acc",),
        must=("acc = [0]", "acc.append(2)"),
        must_not=("acc.append(1 / 0)",),
    ),
    Case(
        "for_iterable_raised_body_never_ran",
        ("seen = []", "for q in range(undefined_bound):\n    seen.append(q)", "seen.append(9)"),
        ("seen",),
        must_not=("for q in range(undefined_bound):\n    seen.append(q)",),
    ),
    Case(
        "if_test_raised",
        ("flags = []", "if flags[0]:\n    flags.append(1)", "flags.append(2)"),
        ("flags",),
        must_not=("if flags[0]:\n    flags.append(1)",),
    ),
    Case(
        "raise_statement_changes_nothing",
        ("lst = [1]\nlst.append(2)\nraise ValueError('stop')\nlst.append(3)",),
        ("lst",),
        must=("lst.append(2)",),
        must_not=("raise ValueError('stop')", "lst.append(3)"),
    ),
    Case(
        "augmented_assignment_value_raised",
        ("total = [1]", "total += [len(undefined)]", "total += [2]"),
        ("total",),
        must=("total = [1]", "total += [2]"),
        must_not=("total += [len(undefined)]",),
    ),
    Case(
        "pandas_new_column_from_missing_one",
        (
            "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2]})",
            "df['b'] = df['a'] * 2; df['c'] = df['zz']",
        ),
        ("df",),
        must=("df['b'] = df['a'] * 2",),
        must_not=("df['c'] = df['zz']",),
    ),
    Case(
        "numpy_store_out_of_bounds",
        ("import numpy as np\narr = np.zeros(3)", "arr[1] = 5.0\narr[7] = 1.0", "s = arr.sum()"),
        ("s",),
        must=("arr[1] = 5.0",),
    ),
    # -- comprehensions and conditionals ---------------------------------------------------------------
    Case(
        "comprehension_side_effects_then_raise",
        ("out = []", "y = [out.append(v) or 1 / v for v in [1, 2, 0, 3]]"),
        ("out",),
        guarded=("y = [out.append(v) or 1 / v for v in [1, 2, 0, 3]]",),
    ),
    Case(
        "if_block_raises_after_mutation",
        ("lst = []", "if True:\n    lst.append(1)\n    lst.append(undefined)\n    lst.append(2)"),
        ("lst",),
    ),
    Case(
        "try_block_reraises_from_handler",
        (
            "a = []",
            "try:\n    a.append(1)\n    1 / 0\nexcept ZeroDivisionError:\n    a.append(2)\n    raise",
        ),
        ("a",),
    ),
    # -- code run by %time / %%capture ----------------------------------------------------------------
    Case(
        "line_magic_time_loop_raised",
        ("acc = []", "%time for i in range(4): acc.append(1 / (2 - i))"),
        ("acc", "i"),
    ),
    Case(
        "cell_magic_capture_loop_raised",
        (
            "acc = []",
            "%%capture\nacc.append(0)\nfor i in range(3):\n    acc.append(i)\n    if i == 1:\n"
            "        raise KeyError(i)\nacc.append(99)",
        ),
        ("acc",),
        must=("acc.append(0)",),
        must_not=("acc.append(99)",),
        handler="KeyError",
    ),
    Case(
        "cell_magic_time_mutation_then_raise",
        ("d = {}", "%%time\nd['a'] = 1\nd.setdefault('b', []).append(2) or d['zz']\nd['c'] = 3"),
        ("d",),
        must=("d['a'] = 1",),
        guarded=("d.setdefault('b', []).append(2) or d['zz']",),
        must_not=("d['c'] = 3",),
    ),
    # -- texts a try block must not change ------------------------------------------------------------
    Case(
        "multiline_string_inside_failing_statement",
        ("notes = []", 'notes.append("""line one\n  line two\n""") or 1 / 0'),
        ("notes",),
    ),
    Case(
        "decorated_function_whose_decorator_raised",
        (
            "def f():\n    return 1",
            "reg = []\ndef deco(fn):\n    reg.append(fn.__name__)\n    raise TypeError('no')",
            "@deco\ndef f():\n    return 2",
            "r = f()",
        ),
        ("r", "reg"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_slice(case: Case, shell, tmp_path: Path) -> None:
    for cell in case.cells:
        shell.run_cell(cell, store_history=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    codes = []
    for target in case.targets:
        result = shell.run_cell(
            f"import lineage\nlineage.save({target}, {target!r})", store_history=True
        )
        result.raise_error()
        code = lineage.get(target).code
        codes.append(code)
        assert "lineage" not in code and "get_ipython" not in code
        result = verify(target, cwd=empty)
        assert result.ok, f"{target}: {result.detail}\n--- slice ---\n{code}"
    plain = [s for code in codes for s in parts(code)[0]]
    caught = [c for code in codes for c in parts(code)[1]]
    union = "\n".join(codes)
    for s in case.must:
        assert any(same(s, p) for p in plain), f"slices lack {s!r}:\n{union}"
    for s in case.guarded:
        assert any(same(s, c) for c, _ in caught), f"slices lack a guarded {s!r}:\n{union}"
    for s in case.must_not:
        found = [p for p in plain if same(s, p)] + [c for c, _ in caught if same(s, c)]
        assert not found, f"slices should not hold {s!r}:\n{union}"
    if case.handler:
        assert caught, f"no guarded statement:\n{union}"
        assert all(h == case.handler for _, h in caught), union


def test_case_count() -> None:
    assert len(CASES) >= 45


@pytest.mark.parametrize(
    ("text", "exc", "expected_base"),
    [
        ("x.append(1) or 1/0", ("builtins.ZeroDivisionError", "ZeroDivisionError"), "Zero"),
        ('s = """a\n  b\n"""; s.x', ("builtins.AttributeError", "AttributeError"), "Attr"),
        ("f(\n    1,\n  2)", ("__main__.Stop", "Exception"), "Exception"),
        ("g()", None, "Exception"),
    ],
)
def test_guarded_text_is_the_statement_in_a_try(
    text: str, exc: tuple[str, str] | None, expected_base: str
) -> None:
    out = guarded(text, exc)
    tree = ast.parse(out)
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Try)
    try_node = tree.body[0]
    assert ast.unparse(try_node.body) == ast.unparse(ast.parse(text).body)
    assert ast.unparse(try_node.handlers[0].type).startswith(expected_base)  # type: ignore[arg-type]
    assert "here in the session" in out
    if exc is not None and not exc[0].startswith("builtins."):
        assert exc[0] in out  # the comment names the real type


def test_raised_records_the_exception_type(shell) -> None:
    from lineage.tracer import active_tracer

    shell.run_cell("class Oops(ValueError):\n    pass")
    shell.run_cell("raise Oops()")
    shell.run_cell("%%capture\nraise KeyError(1)")
    shell.run_cell("%time 1 / 0")
    records = active_tracer().session.records
    assert records[1].raised == (("__main__.Oops", "ValueError"),)
    assert records[2].raised == (("builtins.KeyError", "KeyError"),)
    assert records[3].raised[-1] == ("builtins.ZeroDivisionError", "ZeroDivisionError")
    assert len(records[3].raised) == len(records[3].magic_failures) + 1
    assert all(isinstance(part, str) for r in records for t in r.raised for part in t)


def test_export_script_runs_a_guarded_statement(shell, tmp_path: Path) -> None:
    """The exporters take the statement's text from the slice: the guarded one runs in the
    emitted script as it does in the slice."""
    from tests.test_export import child_env, run

    for cell in (
        "import math",
        "vals = [4.0, 1.0, -1.0, 9.0]\nroots = []",
        "for v in vals:\n    roots.append(math.sqrt(v))",
        "total = sum(roots)",
    ):
        shell.run_cell(cell, store_history=True)
    shell.run_cell("import lineage\nlineage.save(total, 'total')").raise_error()
    assert "except ValueError:" in lineage.get("total").code
    out = tmp_path / "pipeline"
    lineage.export(["total"], to="script", output_dir=out)
    module = next(out.glob("*_module.py"))
    assert "except ValueError:" in module.read_text()
    data = tmp_path / "data"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run([sys.executable, str(out / "total.py")], elsewhere, child_env(data))
    import pickle

    rebuilt = pickle.loads(next(data.rglob("*.pkl")).read_bytes())
    assert rebuilt == 3.0
