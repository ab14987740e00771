"""However lineage is imported and wherever ``save`` is called, the artifact's code rebuilds the
value that call saved, and lineage itself never appears in it (DESIGN.md, "Semantics a slice
must honour"; issue 10, items 3 and 4).

Each case runs its cells in a fresh IPython shell with lineage loaded (the cells save
themselves unless ``target`` is given), then runs the slice of artifact ``name`` alone in a fresh
interpreter in an empty folder and checks it rebuilds the stored value (the latest version)."""

from __future__ import annotations

from pathlib import Path

import pytest

import lineage
from lineage.verify import verify
from tests.slicing_harness import Case, check_slice

IMPORTS = [
    Case(
        "import_lineage_csv",
        ("import lineage, csv", "import io\nrows = list(csv.reader(io.StringIO('a,b')))"),
        target="rows",
        must=("import csv", "import io"),
    ),
    Case(
        "import_json_lineage",
        ("import json, lineage", "d = json.loads('[1, 2]')", "lineage.save(d, 'art')"),
        must=("import json",),
    ),
    Case(
        "import_numpy_as_np_lineage",
        ("import numpy as np, lineage", "a = np.arange(4)", "lineage.save(a, 'art')"),
        must=("import numpy as np",),
    ),
    Case(
        "import_three_lineage_middle",
        ("import os.path, lineage, math as m", "p = os.path.join('a', str(m.floor(2.5)))"),
        target="p",
        must=("import os.path, math as m",),
    ),
    Case(
        "import_lineage_as_lg",
        (
            "import lineage as lg",
            "x = [1]",
            "lg.save(x, 'x')",
            "y = x + [2]\nlg.save(y, 'art')",
        ),
        must=("x = [1]", "y = x + [2]"),
        absent=("lg.", "lg "),
    ),
    Case(
        "lg_save_mutates_nothing",
        ("import lineage as lg", "x = [1]", "lg.save(x, 'x')", "y = x"),
        target="y",
        must=("x = [1]", "y = x"),
        absent=("lg",),
    ),
    Case(
        "from_lineage_import_save",
        ("from lineage import save", "x = [1]", "save(x, 'x0')", "y = x * 2", "save(y, 'art')"),
        must=("x = [1]", "y = x * 2"),
        absent=("save(",),
    ),
    Case(
        "from_lineage_import_save_as_keep",
        ("from lineage import save as keep", "x = {'a': 1}", "x['b'] = 2\nkeep(x, 'art')"),
        must=("x['b'] = 2",),
        absent=("keep",),
    ),
    Case(
        "from_lineage_import_save_get",
        ("from lineage import get, save", "t = (1, 2)", "save(t, 'art')"),
        must=("t = (1, 2)",),
        absent=("save", "get"),
    ),
    Case(
        "star_import_from_lineage",
        ("from lineage import *", "x = [1]", "save(x, 'x0')", "x.append(2)", "y = x + [3]"),
        target="y",
        must=("x = [1]", "x.append(2)", "y = x + [3]"),
        absent=("save(",),
    ),
    Case(
        "method_saves",
        (
            "import lineage",
            "class Trainer:\n    def __init__(self):\n        self.w = [0]\n"
            "    def fit(self):\n        self.w.append(1)\n        lineage.save(self.w, 'art')\n"
            "        self.w.append(2)",
            "t = Trainer()",
            "t.fit()",
        ),
    ),
    Case(
        "callback_through_map",
        (
            "import lineage",
            "d = {'p': [1], 'q': [2]}",
            "list(map(lambda kv: lineage.save(kv[1], kv[0]), d.items()))",
        ),
        name="q",
    ),
    Case(
        "import_lineage_api",
        ("import lineage.api", "x = [3]", "lineage.api.save(x, 'art')"),
        must=("x = [3]",),
    ),
    Case(
        "save_through_alias_variable",
        ("import lineage", "s = lineage.save", "x = {'a': 1}", "s(x, 'art')"),
        must=("x = {'a': 1}",),
        absent=("s(",),
    ),
    Case(
        "alias_variable_same_cell",
        ("import lineage\nsave_it = lineage.save\nx = [5]\nsave_it(x, 'art')",),
        must=("x = [5]",),
        absent=("save_it",),
    ),
    Case(
        "module_alias_variable",
        ("import lineage", "L = lineage", "x = [7]", "L.save(x, 'x0')", "y = x + x"),
        target="y",
        must=("x = [7]", "y = x + x"),
        absent=("L.",),
    ),
    Case(
        "save_then_other_work_one_line",
        ("import lineage\nm = [1]\nlineage.save(m, 'm'); y = 2", "z = m + [y]"),
        target="z",
        must=("m = [1]", "y = 2", "z = m + [y]"),
    ),
    Case(
        "version_print_then_work_one_line",
        ("import lineage\nprint(lineage.__version__); z = 1", "w = z + 1"),
        target="w",
        must=("z = 1", "w = z + 1"),
    ),
    Case(
        "save_inside_print",
        ("import lineage", "m = [1]", "print(lineage.save(m, 'm0')); n = len(m) * 3"),
        target="n",
        must=("m = [1]", "n = len(m) * 3"),
    ),
    Case(
        "value_changed_in_the_saving_statement",
        ("import lineage", "x = [1]", "x.append(2) or lineage.save(x, 'art')"),
        must=("x = [1]",),
    ),
    Case(
        "save_in_a_display_then_changed",
        ("import lineage", "x = [1]", "pair = [lineage.save(x, 'art'), x.append(5)]"),
    ),
    Case(
        "save_on_line_after_work",
        ("from lineage import save", "x = [1]\nz = x * 2; save(z, 'art')"),
        must=("x = [1]", "z = x * 2"),
    ),
    Case(
        "lineage_imported_inside_function",
        (
            "def helper(v):\n    import lineage\n    lineage.save(v, 'inner')\n    return v * 2",
            "x = helper(3)",
        ),
        target="x",
        must=("x = helper(3)",),
    ),
    Case(
        "function_body_save_stripped_for_later_slices",
        (
            "import lineage",
            "def make(n):\n    out = list(range(n))\n    lineage.save(out, 'made')\n    return out",
            "xs = make(3)",
            "ys = [v * 2 for v in xs]",
        ),
        target="ys",
        must=("xs = make(3)",),
    ),
]

PLACES = [
    Case(
        "loop_over_dict_items",
        (
            "import lineage",
            "results = {'a': [1], 'b': [2, 3]}",
            "for k, v in results.items():\n    lineage.save(v, f'res_{k}')",
        ),
        name="res_b",
        must=("results = {'a': [1], 'b': [2, 3]}",),
    ),
    Case(
        "loop_changes_value_after_save",
        (
            "import lineage",
            "results = {'a': [1], 'b': [2]}",
            "for k, v in results.items():\n    v.append(9)\n    lineage.save(v, f'res_{k}')\n"
            "    v.append(10)",
        ),
        name="res_a",
    ),
    Case(
        "loop_saves_same_name_each_pass",
        (
            "import lineage",
            "acc = []",
            "for i in range(4):\n    acc.append(i * i)\n    lineage.save(acc, 'art')",
        ),
    ),
    Case(
        "loop_saves_rebound_value",
        (
            "import lineage",
            "best = None",
            "for i in [3, 1, 2]:\n    cand = [i] * i\n    if best is None or len(cand) > len(best):\n"
            "        best = cand\n        lineage.save(best, 'art')\n    cand.append(0)",
        ),
    ),
    Case(
        "nested_loops",
        (
            "import lineage",
            "grid = {}",
            "for i in range(2):\n    for j in range(2):\n        grid[(i, j)] = i * 10 + j\n"
            "        lineage.save(dict(grid), f'g{i}{j}')",
        ),
        name="g10",
    ),
    Case(
        "while_loop",
        (
            "import lineage",
            "n = 0\nseen = []",
            "while n < 5:\n    seen.append(n)\n    n += 2\n    lineage.save(seen, 'art')",
        ),
    ),
    Case(
        "function_called_later",
        (
            "import lineage",
            "def train(data):\n    return sorted(data)",
            "def main():\n    model = train([3, 1, 2])\n    lineage.save(model, 'art')\n    model.append(99)",
            "main()",
        ),
    ),
    Case(
        "function_called_twice_reads_global",
        (
            "import lineage",
            "log = []",
            "def main():\n    log.append(len(log))\n    snapshot = list(log)\n    lineage.save(snapshot, 'art')",
            "main()",
            "main()",
        ),
    ),
    Case(
        "function_called_from_loop",
        (
            "import lineage",
            "def step(i, acc):\n    acc.append(i)\n    lineage.save(list(acc), f'step{i}')",
            "acc = []",
            "for i in range(4):\n    step(i, acc)",
        ),
        name="step2",
    ),
    Case(
        "function_and_call_in_one_cell",
        (
            "import lineage\ndef main():\n    m = {'k': [1, 2]}\n    lineage.save(m, 'art')\n    m['k'].clear()\nmain()",
        ),
    ),
    Case(
        "lambda_save",
        ("import lineage", "f = lambda v: lineage.save(v, 'art')", "x = [1, 2]", "f(x)"),
    ),
    Case(
        "with_block",
        (
            "import lineage",
            "with open('in.txt') as fh:\n    words = fh.read().split()\n    lineage.save(words, 'art')",
        ),
        inputs={"in.txt": "a b c"},
    ),
    Case(
        "if_block_else_branch",
        (
            "import lineage",
            "flag = False",
            "if flag:\n    out = [1]\nelse:\n    out = [2]\n    lineage.save(out, 'art')\n    out.append(3)",
        ),
    ),
    Case(
        "try_block_except_branch",
        (
            "import lineage",
            "raw = 'x'",
            "try:\n    v = [int(raw)]\nexcept ValueError:\n    v = [-1]\n    lineage.save(v, 'art')",
        ),
    ),
    Case(
        "try_block_body_catches_exception",
        (
            "import lineage",
            "try:\n    data = [1, 2]\n    lineage.save(data, 'art')\n    data.append(3)\nexcept Exception:\n    data = []",
        ),
    ),
    Case(
        "comprehension",
        (
            "import lineage",
            "d = {'a': [1], 'b': [2]}",
            "arts = [lineage.save(v, k) for k, v in d.items()]",
        ),
        name="b",
    ),
    Case(
        "line_magic_time_save",
        ("import lineage", "x = [1]\nx.append(2)", "%time lineage.save(x, 'art')"),
        must=("x.append(2)",),
    ),
    Case(
        "cell_magic_time_save_after_work",
        ("import lineage", "x = [1]", "%%time\ny = x + [3]\nlineage.save(y, 'art')\ny.append(0)"),
        must=("y = x + [3]",),
    ),
    Case(
        "cell_magic_capture_loop",
        (
            "import lineage",
            "x = []",
            "%%capture\nfor i in range(3):\n    x.append(i)\n    lineage.save(x, 'art')",
        ),
    ),
    Case(
        "loop_with_alias_import",
        (
            "import lineage as lg",
            "data = {'x': [1], 'y': [2]}",
            "for key in data:\n    data[key].append(0)\n    lg.save(data[key], key)",
        ),
        name="y",
        absent=("lg",),
    ),
    Case(
        "loop_with_from_import",
        (
            "from lineage import save",
            "vals = []",
            "for i in range(3):\n    vals.append(i)\n    save(vals, 'art')",
        ),
        absent=("save(",),
    ),
    Case(
        "multiline_string_in_loop",
        (
            "import lineage",
            "for i in range(2):\n    text = '''first\nsecond'''\n    lineage.save(text * (i + 1), 'art')",
        ),
    ),
    Case(
        "expression_saved_in_block",
        ("import lineage", "xs = [1, 2, 3]", "if xs:\n    lineage.save(sum(xs) * 2, 'art')"),
    ),
    Case(
        "later_slice_through_loop_that_saved",
        (
            "import lineage",
            "results = {'a': [1]}",
            "for k, v in results.items():\n    v.append(2)\n    lineage.save(v, k)\n    v.append(3)",
            "final = results['a']",
        ),
        target="final",
    ),
]

# a value read back with get_value() is recomputed from the stored artifact's own code
READ_BACK = [
    Case(
        "get_value_inline",
        (
            "import lineage",
            "base = [1, 2]\nbase.append(3)",
            "lineage.save(base, 'base')",
            "v = lineage.get('base').get_value()\nw = v + [4]",
        ),
        target="w",
        must=("w = v + [4]",),
    ),
    Case(
        "get_handle_then_value",
        (
            "import lineage",
            "base = {'k': 1}",
            "lineage.save(base, 'base')",
            "a = lineage.get('base')",
            "print(a.version)",
            "n = len(a.get_value()) * 10",
        ),
        target="n",
        must_not=("print(a.version)",),
    ),
    Case(
        "get_named_version",
        (
            "import lineage",
            "xs = [1]",
            "lineage.save(xs, 'xs')",
            "xs.append(2)\nlineage.save(xs, 'xs')",
            "first = lineage.get('xs', version=1).get_value()",
        ),
        target="first",
    ),
    Case(
        "get_through_from_import_and_alias",
        (
            "from lineage import get, save",
            "import lineage as lg",
            "t = (1, 2)\nsave(t, 't')",
            "u = list(get('t').get_value()) + list(lg.get('t').get_value())",
        ),
        target="u",
        absent=("get(",),
    ),
    Case(
        "get_value_of_a_loop_artifact",
        (
            "import lineage",
            "acc = []",
            "for i in range(3):\n    acc.append(i)\n    lineage.save(acc, f'acc{i}')",
            "mid = lineage.get('acc1').get_value()",
        ),
        target="mid",
    ),
]

CASES = IMPORTS + PLACES + READ_BACK


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_slice(case: Case, shell, tmp_path: Path) -> None:
    check_slice(case, shell, tmp_path)


def test_every_iteration_of_a_loop_has_its_own_value(shell) -> None:
    """Each save in a loop rebuilds the value of its own pass, not the last one."""
    shell.run_cell(
        "import lineage\nrows = []\nfor i in range(3):\n    rows.append(i)\n"
        "    lineage.save(rows, f'upto{i}')",
        store_history=True,
    ).raise_error()
    for i in range(3):
        assert lineage.get(f"upto{i}").get_value() == list(range(i + 1))
        assert verify(f"upto{i}").ok


def test_save_inside_an_imported_module_says_why(shell, tmp_path: Path) -> None:
    """Code lineage did not capture cannot be stopped at its save: the error says so and what
    to do, instead of storing code that does not rebuild the value."""
    (Path.cwd() / "helpers_mod.py").write_text(
        "import lineage\n\ndef run(n):\n    out = list(range(n))\n"
        "    lineage.save(out, 'inner')\n    return out\n"
    )
    result = shell.run_cell("import sys, os\nsys.path.insert(0, os.getcwd())\nimport helpers_mod")
    result.raise_error()
    result = shell.run_cell("xs = helpers_mod.run(3)")
    assert result.error_in_exec is not None
    message = str(result.error_in_exec)
    assert "run() of" in message and "helpers_mod.py" in message
    assert "lineage.save(result, 'inner')" in message


def test_case_count() -> None:
    assert len(IMPORTS) >= 15 and len(PLACES) >= 15
