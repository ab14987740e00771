"""Slicing cases the differential fuzzer (tests/fuzz, docs/fuzzing.md) found, minimised.

Same harness as tests/test_slicing.py: run the cells with lineage loaded, save ``target`` (or
the cells save ``'art'`` themselves), re-run the slice alone in a fresh interpreter in an empty
folder. Each case is a class of issue 10 that failed before its fix merged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.slicing_harness import Case, check_slice

LOOP = "for i in range(5):\n    i1.append(i)\n    if i == 2:\n        raise ValueError(i)"
CASES = [
    # -- item 1: a statement that raised after changing state ------------------------------------
    Case("raise_loop_third_pass", ("i1 = [3, 8]", LOOP), "i1"),
    Case("raise_loop_var", ("i1 = [3, 8]", LOOP, "li6 = i"), "li6"),
    Case("raise_tuple_iadd", ("i1 = [1, 9, 6]", "t5 = (i1, 1)", "t5[0] += [6]"), "i1"),
    Case(
        "append_or_raise",
        ("i2 = [4, 7, 8]", "i2.append(4) or 1 / 0", "import json\njs4 = json.dumps(i2)"),
        "js4",
    ),
    Case(
        "raise_open_w_created_file",
        (
            "with open('d.txt', 'w') as fh:\n    fh.write(','.join(map(str, undefined)))",
            "with open('d.txt') as fh:\n    back = fh.read().split(',')",
        ),
        "back",
    ),
    Case(
        "suppress_raising_assignment",
        (
            "i1 = 5",
            "i4 = [3]",
            "import contextlib",
            "with contextlib.suppress(ZeroDivisionError):\n    i4.append(1)\n    i1 = 1 / 0",
        ),
        "i1",
    ),
    # -- item 3: however lineage is imported -----------------------------------------------------
    Case(
        "lg_save_not_in_later_slice",
        (
            "i3 = [7]",
            "r6 = list(i3)",
            "import lineage as lg\nlg.save(i3, 'i3')",
            "lg.save(r6, 'art')",
        ),
    ),
    Case(
        "from_save_not_in_later_slice",
        ("i2 = [1]", "from lineage import save\nsave(i2, 'i2')", "v = [i2, 2]", "save(v, 'art')"),
    ),
    # -- item 6: parts and aliases reached indirectly --------------------------------------------
    Case(
        "part_conditional",
        ("l1 = [[7], [3], [2]]", "p3 = l1[-1] if l1 else []", "p3.append(3)"),
        "l1",
    ),
    Case(
        "part_concat",
        ("l2 = [[8], [3]]", "p7 = (l2 + [])[0]", "p7.append(2)"),
        "l2",
    ),
    Case(
        "tuple_display_then_mutate_member",
        ("i1 = [5]", "v4 = (i1, 1)", "i1.append(3)"),
        "i1",
    ),
    Case(
        "tuple_display_then_mutate_tuple",
        ("i1 = [5]", "v4 = (i1,)", "i1.insert(0, 3)"),
        "v4",
    ),
    Case("list_display_then_mutate_member", ("i1 = [5]", "v4 = [i1]", "i1.insert(0, 3)"), "i1"),
    Case(
        "unpack_list_and_tuple",
        ("z = [[], ()]", "x, y = z", "x.append(1)"),
        "z",
    ),
    # -- item 7: state inside functions and objects ----------------------------------------------
    Case(
        "mutable_default_bare_call",
        ("def fn7(v, store=[]):\n    store.append(v)\n    return store", "fn7(1)", "r8 = fn7(2)"),
        "r8",
    ),
    Case(
        "generator_reads_source_lazily",
        ("i3 = [9, 9, 0]", "it7 = (v * 2 for v in i3)", "i3.append(6)", "y9 = list(it7)"),
        "y9",
    ),
    Case(
        "lru_cache_hit_under_old_global",
        (
            "import functools",
            "scale7 = 4",
            "@functools.lru_cache(maxsize=None)\ndef cached6(n):\n    return n * scale7",
            "c8 = cached6(2)",
            "scale7 = 8",
            "c9 = [cached6(2), cached6(3)]",
        ),
        "c9",
    ),
    Case(
        "method_on_temporary_reads_global",
        (
            "class Foo3:\n    def bar(self):\n        return rate4 * 2",
            "rate4 = 6",
            "out5 = Foo3().bar()",
        ),
        "out5",
    ),
    Case(
        "method_on_temporary_mutates_global",
        (
            "rate10 = 3",
            "registry12 = []",
            "class Foo9:\n    def add(self, v):\n        registry12.append(v * rate10)",
            "Foo9().add(3)",
        ),
        "registry12",
    ),
    Case(
        "closure_push",
        (
            "i9 = [2, 3]",
            "def fn7(d):\n    def push(v):\n        d.append(v)\n    return push",
            "push10 = fn7(i9)",
            "push10(5)",
            "r8 = list(i9)",
        ),
        "r8",
    ),
    Case(
        "iterator_consumed_by_builtin",
        ("y6 = [(4, 3)]", "it8 = iter(y6 + [1])", "x9 = max(it8)", "y10 = next(it8, None)"),
        "y10",
    ),
    # -- items 9 and 10: IPython syntax --------------------------------------------------------
    Case(
        "mutation_in_timeit",
        ("a = [1]", "%timeit -n1 -r1 -q a.append(5)"),
        "a",
    ),
    Case(
        "top_level_await",
        (
            "import asyncio",
            "async def twice(v):\n    await asyncio.sleep(0)\n    return v * 2",
            "aw = await twice([1])",
        ),
        "aw",
    ),
    Case("capture_cell_magic", ("a = [8]", "%%capture cap\na.append(2)\nprint(a)"), "a"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fuzz_case(case: Case, shell, tmp_path: Path) -> None:
    code = check_slice(case, shell, tmp_path, cells_may_fail=True)
    assert "save(" not in code, code
