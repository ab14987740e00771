"""The same session gives the same slice under any ``PYTHONHASHSEED``.

Sets of names iterate in an order that depends on the hash seed; the graph must not let that
order decide anything. Each seed runs every session in a fresh interpreter (a subprocess with
its own store) and prints the slices and the exported script; they must be identical. The cases below also check that
the slice the seeds agree on is the correct one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lineage
from lineage.verify import verify

# (cells, variables saved after them)
SESSIONS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("z = [[], ()]", "x, y = z", "x.append(1)"), ("z", "x")),
    (("z = [(), []]", "a, b = z", "b.append(1)"), ("z", "b")),
    (("d = {'k': [1], 't': (2,)}", "lst, tup = d['k'], d['t']", "lst.append(3)"), ("d", "lst")),
    (
        ("rows = [[1], (2,), {'a': 3}]", "first, second, third = rows", "third['b'] = 4"),
        ("rows", "third"),
    ),
    (
        ("acc = []", "for item in [[1], (2,), [3]]:\n    acc.append(item)", "acc[0].append(9)"),
        ("acc",),
    ),
    (
        (
            "flag = True",
            "if flag:\n    v = [1]\nelse:\n    v = (1,)",
            "w, u = v, ()",
            "v.append(2)",
        ),
        ("v", "w"),
    ),
    (
        (
            "log = []\nseen = {}",
            "def note(k):\n    log.append(k)\n    seen[k] = len(log)\n    return k",
            "keys = list(map(note, ['b', 'a', 'c']))",
            "p, q, r = log, seen, keys",
            "p.append('z')",
        ),
        ("log", "seen", "r"),
    ),
    (
        ("t = ([], (), [])", "for x in t:\n    x.append(1)", "a, b, c = t"),
        ("t", "x", "c"),
    ),
)

_CHILD = r"""
import json, os, sys, tempfile
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

sessions = json.loads(sys.argv[1])
out = []
for cells, targets in sessions:
    os.environ["LINEAGE_HOME"] = tempfile.mkdtemp()
    InteractiveShell.clear_instance()
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "lineage")
    for cell in cells:
        shell.run_cell(cell, store_history=True)
    import lineage
    codes = []
    for target in targets:
        shell.run_cell(f"import lineage\nlineage.save({target}, {target!r})").raise_error()
        codes.append(lineage.get(target).code)
    out_dir = tempfile.mkdtemp()
    paths = lineage.export(list(targets), to="script", output_dir=out_dir)
    codes += [open(p).read() for p in sorted(map(str, paths)) if p.endswith(".py")]
    shell.run_line_magic("unload_ext", "lineage")
    out.append(codes)
print(json.dumps(out))
"""


def _slices(seed: int, tmp_path: Path) -> list[list[str]]:
    env = {**os.environ, "PYTHONHASHSEED": str(seed), "LINEAGE_DEV_MODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(SESSIONS)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_slices_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    first = _slices(0, tmp_path)
    for seed in (1, 2, 12345):
        got = _slices(seed, tmp_path)
        for (cells, targets), want, have in zip(SESSIONS, first, got, strict=True):
            assert have == want, f"PYTHONHASHSEED={seed} changes the slices of {cells} {targets}"


@pytest.mark.parametrize("index", range(len(SESSIONS)))
def test_agreed_slice_is_correct(index: int, shell, tmp_path: Path) -> None:
    cells, targets = SESSIONS[index]
    for cell in cells:
        shell.run_cell(cell, store_history=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    for target in targets:
        shell.run_cell(f"import lineage\nlineage.save({target}, {target!r})").raise_error()
        result = verify(target, cwd=empty)
        assert result.ok, f"{result.detail}\n--- slice ---\n{lineage.get(target).code}"
