"""Slicing through the object model: parts and aliases reached indirectly (displays, views,
indirect parts, loop variables), one-way containment, and element-level precision for literal
indices and keys (issue 10, items 6, 14 and 15).

Same harness as ``tests/test_slicing.py``: each case runs its cells in a fresh shell with
lineage loaded, saves ``target``, checks ``must`` / ``must_not`` statements, then re-runs the
slice alone in a fresh interpreter in an empty folder and compares the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.slicing_harness import Case, check_slice

# -- item 6: parts and aliases reached indirectly ---------------------------------------------
INDIRECT = [
    Case(
        "list_display_element_changed",
        ("c = [1]", "d = [2]", "v = [c, d]", "c.append(3)"),
        "v",
        must=("c.append(3)",),
    ),
    Case(
        "tuple_display_element_changed",
        ("c = {}", "v = (c, 1)", "c['k'] = 2"),
        "v",
        must=("c['k'] = 2",),
    ),
    Case(
        "dict_display_value_changed",
        ("c = []", "v = {'a': c}", "c.extend([1, 2])"),
        "v",
        must=("c.extend([1, 2])",),
    ),
    Case(
        "set_display_of_tuple_changed",
        ("c = [1]", "t = (c,)", "v = [t]", "c.append(2)"),
        "v",
        must=("c.append(2)",),
    ),
    Case(
        "nested_display_element_changed",
        ("c = [1]", "v = [[c], 2]", "c.append(3)"),
        "v",
        must=("c.append(3)",),
    ),
    Case("display_same_cell", ("c = [1]\nv = [c]\nc.append(2)",), "v"),
    Case(
        "keys_view_after_pop",
        ("a = {'x': 1, 'y': 2}", "k = a.keys()", "a.pop('x')"),
        "k",
        must=("a.pop('x')",),
    ),
    Case(
        "values_view_after_setitem",
        ("a = {'x': 1}", "vals = a.values()", "a['z'] = 3"),
        "list(vals)",
        must=("a['z'] = 3",),
    ),
    Case(
        "items_view_after_update",
        ("a = {'x': 1}", "it = a.items()", "a.update(y=2)"),
        "it",
        must=("a.update(y=2)",),
    ),
    Case(
        "ifexp_part",
        ("g = [[1], [2]]", "last = g[-1] if g else []", "last.append(5)"),
        "g",
        must=("last.append(5)",),
    ),
    Case(
        "ifexp_part_other_branch",
        ("g = []", "h = [0]", "x = g if g else h", "x.append(5)"),
        "h",
        must=("x.append(5)",),
    ),
    Case(
        "boolop_part",
        ("g = []", "h = [0]", "x = g or h", "x.append(5)"),
        "h",
        must=("x.append(5)",),
    ),
    Case(
        "next_iter_part",
        ("g = [[1], [2]]", "first = next(iter(g))", "first.append(9)"),
        "g",
        must=("first.append(9)",),
    ),
    Case(
        "concat_index_part",
        ("g = [[1], [2]]", "x = (g + [])[0]", "x.append(9)"),
        "g",
        must=("x.append(9)",),
    ),
    Case(
        "starred_display_index_part",
        ("g = [[1], [2]]", "x = [*g][0]", "x.append(9)"),
        "g",
        must=("x.append(9)",),
    ),
    Case(
        "star_unpack_rest",
        ("g = [[1], [2], [3]]", "first, *rest = g", "rest[0].append(7)"),
        "g",
        must=("rest[0].append(7)",),
    ),
    Case(
        "star_unpack_first",
        ("g = [[1], [2], [3]]", "first, *rest = g", "first.append(7)"),
        "g",
        must=("first.append(7)",),
    ),
    Case("min_part", ("g = [[3], [1]]", "m = min(g)", "m.append(0)"), "g", must=("m.append(0)",)),
    Case(
        "max_key_part",
        ("g = [[3], [1, 2]]", "m = max(g, key=len)", "m.append(0)"),
        "g",
        must=("m.append(0)",),
    ),
    Case(
        "sorted_index_part",
        ("g = [[3], [1]]", "m = sorted(g)[0]", "m.append(0)"),
        "g",
        must=("m.append(0)",),
    ),
    Case(
        "list_index_part",
        ("g = [[3], [1]]", "m = list(g)[0]", "m.append(0)"),
        "g",
        must=("m.append(0)",),
    ),
    Case(
        "tuple_call_index_part",
        ("g = [[3], [1]]", "m = tuple(g)[-1]", "m.append(0)"),
        "g",
        must=("m.append(0)",),
    ),
    Case(
        "dict_get_part",
        ("d = {'a': []}", "x = d.get('a')", "x.append(1)"),
        "d",
        must=("x.append(1)",),
    ),
    Case(
        "dict_get_default_part",
        ("d = {}", "dflt = []", "x = d.get('a', dflt)", "x.append(1)"),
        "dflt",
        must=("x.append(1)",),
    ),
    Case(
        "getattr_part",
        ("class O:\n    pass", "o = O()", "o.x = []", "y = getattr(o, 'x')", "y.append(1)"),
        "o",
        must=("y.append(1)",),
    ),
    Case(
        "vars_index_part",
        ("class O:\n    pass", "o = O()", "o.x = []", "y = vars(o)['x']", "y.append(1)"),
        "o",
        must=("y.append(1)",),
    ),
    Case(
        "dict_values_list_index",
        ("d = {'a': [1]}", "x = list(d.values())[0]", "x.append(2)"),
        "d",
        must=("x.append(2)",),
    ),
    Case(
        "reversed_next_part",
        ("g = [[1], [2]]", "x = next(reversed(g))", "x.append(2)"),
        "g",
        must=("x.append(2)",),
    ),
    # ``with M as z`` binds M.__enter__(): M, its argument, or a part of either
    Case(
        "with_nullcontext_of_part",  # found by the fuzzer (seed 33)
        (
            "l2 = [[2], [3]]",
            "p3 = l2[0]",
            "import contextlib",
            "with contextlib.nullcontext(p3) as z5:\n    z5.append(1)",
        ),
        "l2",
        must=("p3 = l2[0]",),
    ),
    Case(
        "with_named_manager_holds_argument",
        (
            "import contextlib",
            "g = [1]",
            "cm = contextlib.closing(g)",
            "try:\n    with cm as z:\n        z.append(2)\nexcept AttributeError:\n    pass",
        ),
        "g",
    ),
    Case(
        "with_contextmanager_yields_part",
        (
            "import contextlib",
            "g = [[1], [2]]",
            "@contextlib.contextmanager\ndef first(x):\n    yield x[0]",
            "with first(g) as z:\n    z.append(3)",
        ),
        "g",
    ),
    Case(
        "with_enter_returns_attribute",
        (
            "g = {'a': []}",
            "class Opened:\n    def __init__(self, d):\n        self.d = d\n"
            "    def __enter__(self):\n        return self.d['a']\n"
            "    def __exit__(self, *exc):\n        return False",
            "with Opened(g) as z:\n    z.append(1)",
        ),
        "g",
    ),
    Case(
        "with_redirect_stdout_target",
        (
            "import io, contextlib",
            "buf = io.StringIO()",
            "with contextlib.redirect_stdout(buf) as out:\n    out.write('hi')",
        ),
        "buf.getvalue()",
    ),
    Case(
        "loop_var_next_cell",
        ("rows = [[1], [2]]", "for row in rows:\n    pass", "row.append(1)"),
        "rows",
        must=("row.append(1)",),
    ),
    Case(
        "loop_var_tuple_next_cell",
        ("rows = {'a': [1]}", "for k, row in rows.items():\n    pass", "row.append(1)"),
        "rows",
        must=("row.append(1)",),
    ),
    Case(
        "comprehension_filter_part",
        ("rows = [[1], [2]]", "big = [r for r in rows if r[0] > 1]", "big[0].append(3)"),
        "rows",
        must=("big[0].append(3)",),
    ),
    Case(
        "for_target_rebinds_iterable",
        ("names = ['a', 'b']", "for letter, names in enumerate(names):\n    pass"),
        "names",
        must=("names = ['a', 'b']",),
    ),
    Case(
        "for_target_rebinds_iterable_mutable",
        (
            "items = [[1], [2]]",
            "for i, items in enumerate(items):\n    items.append(i)",
            "out = items",
        ),
        "out",
        must=("items = [[1], [2]]",),
    ),
    Case(
        "for_target_rebinds_iterable_counted",
        ("names = ['a', 'b']", "count = 0", "for i, names in enumerate(names):\n    count += 1"),
        "count",
        must=("names = ['a', 'b']",),
    ),
    Case(
        "for_target_rebinds_range_bound",
        ("i = 3", "total = 0", "for i in range(i):\n    total += i"),
        "total",
        must=("i = 3",),
    ),
    Case(
        "comprehension_rebinds_iterable_name",
        ("xs = [[1], [2]]", "ys = [xs for xs in xs]", "ys[0].append(5)"),
        "xs",
        must=("ys[0].append(5)",),
    ),
    Case(
        "walrus_part",
        ("g = [[1]]", "if (h := g[0]):\n    pass", "h.append(2)"),
        "g",
        must=("h.append(2)",),
    ),
    Case(
        "method_chain_part",
        ("d = {'a': {'b': []}}", "x = d.get('a').get('b')", "x.append(1)"),
        "d",
        must=("x.append(1)",),
    ),
    Case(
        "subscript_of_attribute_part",
        ("class O:\n    pass", "o = O()", "o.rows = [[1]]", "r = o.rows[0]", "r.append(2)"),
        "o",
        must=("r.append(2)",),
    ),
    Case(
        "setdefault_part",
        ("d = {}", "x = d.setdefault('k', [])", "x.append(1)"),
        "d",
        must=("x.append(1)",),
    ),
    Case(
        "pop_part_still_elsewhere",
        ("inner = [1]", "d = {'k': inner}", "x = d.pop('k')", "x.append(2)"),
        "inner",
        must=("x.append(2)",),
    ),
    Case(
        "zip_unpack_part",
        ("a = [[1]]", "b = [[2]]", "for x, y in zip(a, b):\n    pass", "y.append(3)"),
        "b",
        must=("y.append(3)",),
    ),
]

# -- item 15: containment is one-way -------------------------------------------------------------
ONE_WAY = [
    Case(
        "container_append_not_element",
        ("x = [1]", "y = [x]", "y.append(1)"),
        "x",
        must_not=("y.append(1)", "y = [x]"),
    ),
    Case(
        "container_setitem_not_element",
        ("x = [1]", "y = [x]", "y[0] = 5"),
        "x",
        must_not=("y[0] = 5",),
    ),
    Case(
        "container_del_not_element",
        ("x = {'a': 1}", "y = [x, 1]", "del y[1]"),
        "x",
        must_not=("del y[1]",),
    ),
    Case(
        "container_sort_pop_not_element",
        ("x = [3]", "y = [x, [1]]", "y.sort()", "y.pop()"),
        "x",
        must_not=("y.sort()", "y.pop()"),
    ),
    Case(
        "element_change_reaches_container",
        ("x = [1]", "y = [x]", "x.append(2)"),
        "y",
        must=("x.append(2)",),
    ),
    Case(
        "element_change_reaches_nested_container",
        ("x = [1]", "y = (x, 2)", "z = [y]", "x.append(3)"),
        "z",
        must=("x.append(3)",),
    ),
    Case(
        "change_through_container_reaches_element",
        ("x = [1]", "y = [x]", "y[0].append(3)"),
        "x",
        must=("y[0].append(3)",),
    ),
    Case(
        "change_through_dict_reaches_value",
        ("x = []", "y = {'k': x}", "y['k'].append(3)"),
        "x",
        must=("y['k'].append(3)",),
    ),
    Case(
        "setitem_holder_history_not_value",
        ("x = {}", "x['z'] = 3", "y = [5]", "x['y'] = y", "x['w'] = 4"),
        "y",
        must_not=("x['z'] = 3", "x['w'] = 4", "x['y'] = y"),
    ),
    Case(
        "setitem_value_change_reaches_holder",
        ("x = {}", "y = [5]", "x['y'] = y", "y.append(6)"),
        "x",
        must=("y.append(6)", "x['y'] = y"),
    ),
    Case(
        "append_holder_history_not_value",
        ("inner = [1]", "outer = [0]", "outer.append(inner)", "outer.append(5)"),
        "inner",
        must_not=("outer.append(inner)", "outer.append(5)"),
    ),
    Case(
        "dict_item_not_later_keys",
        ("d = {'a': [1]}", "a = d['a']", "d['b'] = 2"),
        "a",
        must_not=("d['b'] = 2",),
    ),
    Case(
        "loop_element_not_container_append",
        ("rows = [[1]]", "for r in rows:\n    pass", "rows.append([2])"),
        "r",
        must_not=("rows.append([2])",),
    ),
    Case(
        "part_then_change_reaches_owner",
        ("x = [1]", "y = [x]", "z = y[0]", "z.append(4)"),
        "x",
        must=("z.append(4)",),
    ),
    Case(
        "copy_not_later_original_append",
        ("a = [1]", "c = list(a)", "a.append(9)"),
        "c",
        must_not=("a.append(9)",),
    ),
    Case(
        "copy_sees_element_change",
        ("a = [[1]]", "c = list(a)", "a[0].append(9)"),
        "c",
        must=("a[0].append(9)",),
    ),
    Case(
        "copy_element_change_reaches_original",
        ("a = [[1]]", "c = a.copy()", "c[0].append(2)"),
        "a",
        must=("c[0].append(2)",),
    ),
    Case(
        "copy_append_not_original",
        ("a = [[1]]", "c = a.copy()", "c.append([3])"),
        "a",
        must_not=("c.append([3])",),
    ),
    Case(
        "aug_item_changes_element",
        ("x = [1]", "y = [x]", "y[0] += [2]"),
        "x",
        must=("y[0] += [2]",),
    ),
    Case(
        "aug_item_of_copy_changes_copy",
        ("a = [1, 2]", "c = list(a)", "c[0] += 5"),
        "c",
        must=("c[0] += 5",),
    ),
    Case(
        "view_follows_dict",
        ("d = {'a': 1}", "k = d.keys()", "d['b'] = 2"),
        "sorted(k)",
        must=("d['b'] = 2",),
    ),
    Case(
        "display_of_views_follows",
        ("d = {'a': 1}", "v = [d.values()]", "d['b'] = 2"),
        "[list(x) for x in v]",
        must=("d['b'] = 2",),
    ),
]

# -- item 14: element-level precision for literal indices and keys ------------------------------
ELEMENTS = [
    Case(
        "aug_other_index",
        ("lst = [1, 2, 3]", "lst[0] += 1", "y = lst[1]"),
        "y",
        must_not=("lst[0] += 1",),
    ),
    Case(
        "set_other_index",
        ("lst = [1, 2, 3]", "lst[2] = 9", "y = lst[1] * 2"),
        "y",
        must_not=("lst[2] = 9",),
    ),
    Case(
        "aug_same_index",
        ("lst = [1, 2, 3]", "lst[1] += 1", "y = lst[1]"),
        "y",
        must=("lst[1] += 1",),
    ),
    Case(
        "overwrite_ends_dependency",
        ("lst = [1, 2, 3]", "lst[1] = 42", "lst[1] = 43"),
        "lst",
        must=("lst[1] = 43",),
        must_not=("lst[1] = 42",),
    ),
    Case(
        "overwrite_then_read",
        ("src = [7]", "lst = [1, 2]", "lst[1] = src[0]", "lst[1] = 5", "y = lst[1]"),
        "y",
        must_not=("lst[1] = src[0]", "src = [7]"),
    ),
    Case(
        "whole_save_keeps_every_element",
        ("lst = [1, 2, 3]", "lst[0] += 1", "lst[2] = 0"),
        "lst",
        must=("lst[0] += 1", "lst[2] = 0"),
    ),
    Case(
        "slice_needs_every_element",
        ("lst = [1, 2, 3]", "lst[0] += 1", "y = lst[0:2]"),
        "y",
        must=("lst[0] += 1",),
    ),
    Case(
        "append_shifts_to_whole",
        ("lst = [1, 2]", "lst[0] += 1", "lst.append(3)", "y = lst[1]"),
        "y",
    ),
    Case(
        "insert_shifts",
        ("lst = [1, 2]", "lst[0] = 5", "lst.insert(0, 9)", "y = lst[1]"),
        "y",
        must=("lst[0] = 5", "lst.insert(0, 9)"),
    ),
    Case(
        "del_shifts",
        ("lst = [1, 2, 3]", "lst[1] = 7", "del lst[0]", "y = lst[0]"),
        "y",
        must=("lst[1] = 7", "del lst[0]"),
    ),
    Case(
        "pop_shifts",
        ("lst = [1, 2, 3]", "lst[1] = 7", "lst.pop(0)", "y = lst[0]"),
        "y",
        must=("lst[1] = 7", "lst.pop(0)"),
    ),
    Case(
        "negative_index_is_whole",
        ("lst = [1, 2, 3]", "lst[-1] = 7", "y = lst[2]"),
        "y",
        must=("lst[-1] = 7",),
    ),
    Case(
        "negative_read_is_whole",
        ("lst = [1, 2, 3]", "lst[2] = 7", "y = lst[-1]"),
        "y",
        must=("lst[2] = 7",),
    ),
    Case(
        "computed_index_is_whole",
        ("lst = [1, 2, 3]", "i = 1", "lst[i] = 7", "y = lst[1]"),
        "y",
        must=("lst[i] = 7",),
    ),
    Case(
        "dict_other_key",
        ("d = {'a': 1, 'b': 2}", "d['a'] += 10", "y = d['b']"),
        "y",
        must_not=("d['a'] += 10",),
    ),
    Case(
        "dict_new_key_other",
        ("d = {'a': 1}", "d['c'] = 3", "y = d['a'] + 1"),
        "y",
        must_not=("d['c'] = 3",),
    ),
    Case("dict_same_key", ("d = {'a': 1}", "d['a'] = 3", "y = d['a']"), "y", must=("d['a'] = 3",)),
    Case(
        "dict_key_order_kept",
        ("d = {}", "d['a'] = 1", "d['b'] = 2", "d['a'] = 3"),
        "list(d)",
        must=("d['a'] = 1", "d['b'] = 2", "d['a'] = 3"),
    ),
    Case(
        "dict_update_is_whole",
        ("d = {'a': 1}", "d['b'] = 5", "d.update(a=2)", "y = d['a']"),
        "y",
        must=("d.update(a=2)",),
    ),
    Case(
        "dict_pop_is_whole",
        ("d = {'a': 1, 'b': 2}", "d['a'] = 5", "d.pop('b')", "y = d['a']"),
        "y",
        must=("d['a'] = 5",),
    ),
    Case(
        "int_and_str_keys_differ",
        ("d = {1: 'x', '1': 'y'}", "d[1] = 'z'", "y = d['1']"),
        "y",
        must_not=("d[1] = 'z'",),
    ),
    Case(
        "alias_sees_element",
        ("lst = [1, 2]", "b = lst", "b[1] = 9", "y = lst[1]"),
        "y",
        must=("b[1] = 9",),
    ),
    Case(
        "alias_other_element",
        ("lst = [1, 2]", "b = lst", "b[0] = 9", "y = lst[1]"),
        "y",
        must_not=("b[0] = 9",),
    ),
    Case(
        "element_object_changed_through_alias",
        ("x = [0]", "lst = [[1], x]", "x.append(5)", "y = lst[1]"),
        "y",
        must=("x.append(5)",),
    ),
    Case(
        "aug_element_list_in_place",
        ("x = [0]", "lst = [x, 1]", "lst[0] += [2]"),
        "x",
        must=("lst[0] += [2]",),
    ),
    Case(
        "element_write_reaches_container",
        ("lst = [1, 2]", "box = [lst]", "lst[0] = 5"),
        "box",
        must=("lst[0] = 5",),
    ),
    Case(
        "loop_body_element_write",
        ("lst = [0, 0]", "for _ in range(3):\n    lst[0] += 1", "y = lst[1]"),
        "y",
        must_not=("for _ in range(3):\n    lst[0] += 1",),
    ),
    Case(
        "unknown_type_is_whole",
        ("import collections", "d = collections.defaultdict(int)", "d['a'] += 1", "y = d['b']"),
        "y",
        must=("d['a'] += 1",),
    ),
    Case("tuple_of_lists_item_read", ("t = ([1], [2])", "t[0].append(3)", "y = t[1]"), "y"),
    Case(
        "same_cell_precision",
        ("lst = [1, 2, 3]\nlst[0] += 1\ny = lst[1]",),
        "y",
        must_not=("lst[0] += 1",),
    ),
]

ELEMENTS += [
    Case(
        "many_keys_fall_back_to_whole",
        ("d = {}", *(f"d['k{i}'] = {i}" for i in range(40)), "d['k3'] += 100", "y = d['k3']"),
        "y",
        must=("d['k3'] = 3", "d['k3'] += 100"),
    ),
    Case(
        "many_keys_whole_save",
        ("d = {}", *(f"d['k{i}'] = [{i}]" for i in range(36)), "d['k0'].append(1)"),
        "d",
        must=("d['k0'] = [0]", "d['k35'] = [35]", "d['k0'].append(1)"),
    ),
    Case(
        "view_keeps_own_type",
        ("d = {'a': [1]}", "vals = d.values()", "d.pop('a')", "d['b'] = [2]"),
        "[list(v) for v in vals]",
        must=("d.pop('a')", "d['b'] = [2]"),
    ),
]

INDIRECT += [
    Case(
        "get_or_default_part",
        ("d = {'a': [1]}", "x = d.get('a') or []", "x.append(2)"),
        "d",
        must=("x.append(2)",),
    ),
    Case(
        "ifexp_both_parts",
        ("g = [[1]]", "h = [[2]]", "x = g[0] if len(g) > 5 else h[0]", "x.append(3)"),
        "h",
        must=("x.append(3)",),
    ),
    Case(
        "copy_call_index_part",
        ("g = [[1], [2]]", "x = g.copy()[1]", "x.append(3)"),
        "g",
        must=("x.append(3)",),
    ),
    Case(
        "two_starred_display_part",
        ("g = [[1]]", "h = [[2]]", "x = [*g, *h][1]", "x.append(3)"),
        "h",
        must=("x.append(3)",),
    ),
    Case(
        "dict_unpack_display_part",
        ("d = {'k': [1]}", "x = {**d}['k']", "x.append(3)"),
        "d",
        must=("x.append(3)",),
    ),
    Case(
        "reversed_list_index_part",
        ("g = [[1], [2]]", "last = list(reversed(g))[0]", "last.append(3)"),
        "g",
        must=("last.append(3)",),
    ),
    Case(
        "slice_loop_variable_part",
        ("rows = [[1], [2]]", "for row in rows[:]:\n    pass", "row.append(9)"),
        "rows",
        must=("row.append(9)",),
    ),
    Case(
        "nested_unpack_part",
        ("pairs = [[1], [2], [3]]", "(a, b), rest = pairs[:2], pairs[2:]", "b.append(0)"),
        "pairs",
        must=("b.append(0)",),
    ),
    Case(
        "sorted_key_loop_same_cell",
        ("rows = [[2], [1]]\nfor r in sorted(rows):\n    last = r\nlast.append(5)",),
        "rows",
    ),
]

INDIRECT += [
    Case(
        "function_loops_over_values",
        (
            "def pad(d):\n    for r in d.values():\n        r.append(0)",
            "data = {'a': [1]}",
            "pad(data)",
        ),
        "data",
        must=("pad(data)",),
    ),
    Case(
        "function_loops_over_sorted",
        (
            "def pad(rows):\n    for r in sorted(rows):\n        r.append(0)",
            "data = [[2], [1]]",
            "pad(data)",
        ),
        "data",
        must=("pad(data)",),
    ),
]

ONE_WAY += [
    Case(
        "get_result_not_later_keys",
        ("cfg = {'layers': [1]}", "layers = cfg.get('layers')", "cfg['lr'] = 0.1"),
        "layers",
        must_not=("cfg['lr'] = 0.1",),
    ),
    Case(
        "get_result_change_reaches_dict",
        ("cfg = {'layers': [1]}", "layers = cfg.get('layers')", "layers.append(2)"),
        "cfg",
        must=("layers.append(2)",),
    ),
    Case(
        "min_result_not_later_append",
        ("g = [[3], [1]]", "m = min(g)", "g.append([0])"),
        "m",
        must_not=("g.append([0])",),
    ),
    Case(
        "iterator_follows_list",
        ("lst = [1, 2]", "it = iter(lst)", "lst.append(3)"),
        "list(it)",
        must=("lst.append(3)",),
    ),
    Case(
        "pop_result_change_not_dict",
        ("d = {'a': [1], 'b': [2]}", "x = d.pop('a')", "x.append(5)", "d['c'] = [3]"),
        "x",
        must=("x.append(5)",),
        must_not=("d['c'] = [3]",),
    ),
]

CASES = INDIRECT + ONE_WAY + ELEMENTS


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_slice(case: Case, shell, tmp_path: Path) -> None:
    check_slice(case, shell, tmp_path, cells_may_fail=True)
