"""The workloads: cells to run in a fresh IPython shell, plain and with ``%load_ext lineage``.

Each workload is plain data (cell sources), so the parent process can list and describe it and
the child process can run it. ``after`` cells run only when traced, outside the timed region:
they save an artifact whose slice runs through the workload, which shows capture was real.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "examples" / "notebooks"


@dataclass(frozen=True)
class Sizes:
    loop_iterations: int
    small_cells: int
    big_cell_statements: int
    container_elements: int
    scale_statements: tuple[int, ...]
    leak_elements: int
    notebooks: int  # how many example notebooks to run (0: all that use pandas/scikit-learn)


FULL = Sizes(
    loop_iterations=5_000_000,
    small_cells=3_000,
    big_cell_statements=10_000,
    container_elements=1_000_000,
    scale_statements=(2_000, 20_000, 200_000),
    leak_elements=1_000_000,
    notebooks=0,
)
QUICK = Sizes(
    loop_iterations=50_000,
    small_cells=60,
    big_cell_statements=200,
    container_elements=10_000,
    scale_statements=(200, 2_000),
    leak_elements=10_000,
    notebooks=1,
)


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    cells: tuple[str, ...]  # timed, in both modes
    statements: int  # top-level statements in ``cells``
    after: tuple[str, ...] = ()  # traced only, untimed


def sizes(quick: bool) -> Sizes:
    return QUICK if quick else FULL


def workloads(quick: bool) -> dict[str, Workload]:
    """Every workload at the chosen size, by name, in report order."""
    s = sizes(quick)
    found = [
        loop(s.loop_iterations),
        small_cells(s.small_cells),
        big_cell(s.big_cell_statements),
        containers(s.container_elements),
        *notebook_workloads(s.notebooks),
    ]
    return {w.name: w for w in found}


def _save(expr: str, name: str) -> str:
    return f"import lineage\n_artifact = lineage.save({expr}, {name!r})"


def loop(iterations: int) -> Workload:
    """A tight pure-Python loop calling a notebook-defined function."""
    cells = (
        "def step(x):\n    return x * 3 % 7 + 1",
        f"total = 0\nfor i in range({iterations}):\n    total += step(i)",
    )
    return Workload(
        "loop",
        f"pure-Python loop, {iterations:,} calls of a notebook function",
        cells,
        statements=3,
        after=(_save("total", "total"),),
    )


def small_cells(count: int) -> Workload:
    """Thousands of small cells: assignments, container updates, notebook functions."""
    cells = ["items = []\ntable = {}\nacc = 0"]
    for i in range(1, count):
        k = i % 6
        if k == 0 or i < 6:
            cells.append(f"v{i} = {i} * 2")
        elif k == 1:
            cells.append(f"items.append(v{i - 1})")
        elif k == 2:
            cells.append(f"table['k{i}'] = len(items)")
        elif k == 3:
            cells.append(f"def fn{i}(x):\n    return x + v{i - 3}")
        elif k == 4:
            cells.append(f"r{i} = fn{i - 1}(v{i - 4})")
        else:
            cells.append(f"acc = acc + r{i - 1} if r{i - 1} > 0 else acc")
    return Workload(
        "small_cells",
        f"{count:,} small cells",
        tuple(cells),
        statements=count + 2,
        after=(_save("acc", "acc"),),
    )


def big_cell(statements: int) -> Workload:
    """One cell of straight-line statements."""
    lines = ["a0 = 0", "lst = []"]
    b = 0
    while len(lines) < statements:
        b += 1
        lines += [
            f"a{b} = a{b - 1} + {b}",
            f"lst.append(a{b})",
            f"d{b} = {{'k': a{b}, 'n': len(lst)}}",
            f"t = d{b}['k'] * 2",
        ]
    lines = lines[:statements]
    return Workload(
        "big_cell",
        f"one cell of {statements:,} statements",
        ("\n".join(lines),),
        statements=statements,
        after=(_save("lst", "lst"),),
    )


def containers(n: int) -> Workload:
    """Cells that build and mutate containers of ``n`` elements (also the memory workload)."""
    cells = (
        f"N = {n}",
        "a = list(range(N))",
        "d = {i: i * 2 for i in range(N)}",
        "s = set(a)",
        "a.append(-1)\na.extend(range(N, N + 1000))",
        "for i in range(0, N, 2):\n    a[i] = -a[i]",
        "b = a\nb.sort()",
        "d.update((i, -i) for i in range(0, N, 3))",
        "s.difference_update(range(0, N, 5))",
        "a = [x * 2 for x in a]",  # rebinding: the old list must be freed
        "d = {k: v for k, v in d.items() if v > 0}",
        "del s",
        "nested = {'rows': [list(range(10)) for _ in range(N // 10)]}",
        "rows = nested['rows']\nrows.append([0] * 10)\nrows[0][0] = 99",
        "summary = (len(a), sum(a) % 1000, len(d), len(rows), rows[0][0])",
    )
    return Workload(
        "containers",
        f"containers of {n:,} elements, built and mutated",
        cells,
        statements=sum(len(c.splitlines()) for c in cells) - 1,  # the for body is one line
        after=(_save("summary", "summary"),),
    )


# -- example notebooks ---------------------------------------------------------------------------
_LOAD = re.compile(r"^\s*%(re)?load_ext\s+lineage\b")
_IMPORT = re.compile(r"^\s*import\s+lineage\s*$")
_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*)\s*=")


def notebook_paths(limit: int = 0) -> list[Path]:
    """Example notebooks that use pandas or scikit-learn (iris_model first), ``limit`` of them."""
    found = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        text = "\n".join(_code_cells(path))
        if re.search(r"^\s*(import pandas|from sklearn|import sklearn)", text, re.MULTILINE):
            found.append(path)
    found.sort(key=lambda p: (p.stem != "iris_model", p.stem))
    return found[:limit] if limit else found


def _code_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            out.append("".join(src) if isinstance(src, list) else src)
    return out


def notebook(path: Path) -> Workload:
    """The code cells of a notebook. Loading lineage happens before the timed region; lines that
    use lineage (saves, and lines using what a save returned) move to ``after``."""
    cells: list[str] = []
    after: list[str] = []
    tainted: set[str] = set()
    statements = 0
    for source in _code_cells(path):
        keep: list[str] = []
        for line in source.splitlines():
            if _LOAD.match(line) or _IMPORT.match(line):
                continue
            words = set(re.findall(r"[A-Za-z_]\w*", line))
            if "lineage" in words or words & tainted:
                after.append(line)
                m = _ASSIGN.match(line)
                if m:
                    tainted.add(m.group(1))
                continue
            keep.append(line)
        text = "\n".join(keep).strip("\n")
        if text.strip():
            cells.append(text)
            statements += _count_statements(text)
    return Workload(
        f"notebook:{path.stem}",
        f"examples/notebooks/{path.name} ({len(cells)} cells)",
        tuple(cells),
        statements=statements,
        after=("import lineage\n" + "\n".join(after),) if after else (),
    )


def notebook_workloads(limit: int) -> list[Workload]:
    return [notebook(p) for p in notebook_paths(limit)]


def _count_statements(text: str) -> int:
    import ast

    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        return len(ast.parse("\n".join(lines)).body)
    except SyntaxError:
        return len(lines)


# -- the scale benchmark ---------------------------------------------------------------------------
# statement i of a scale chain (``{p}`` is i - 1): each reads the one before, so the slice of the
# last is the whole session. "sum" is the default; "calls" makes three calls per statement, which
# is what analysis spends most on.
CHAINS = {
    "sum": "x{i} = x{p} + 1",
    "calls": "x{i} = max(x{p}, {i}) + len(str({i}))",
}


def chain_cells(start: int, count: int, per_cell: int = 100, chain: str = "sum") -> list[str]:
    """Statements i in [start, start + count) of ``CHAINS[chain]``, ``per_cell`` to a cell;
    ``x0 = 1`` when start is 0. Every statement is in the slice of the last one."""
    form = CHAINS[chain]
    lines = [form.format(i=i, p=i - 1) if i else "x0 = 1" for i in range(start, start + count)]
    return ["\n".join(lines[i : i + per_cell]) for i in range(0, len(lines), per_cell)]


# -- the leak check --------------------------------------------------------------------------------
def leak_cells(n: int, traced: bool) -> tuple[list[str], dict[str, str]]:
    """Cells that make big objects and drop every variable holding them; the weakrefs named in
    the returned dict (name -> what happened) must be dead afterwards, traced or not."""
    cells = [
        "import gc, weakref\n"
        "class Blob:\n"
        "    def __init__(self, n):\n"
        "        self.data = list(range(n))",
        f"blob = Blob({n})\nref_deleted = weakref.ref(blob)",
        "alias = blob\nalias.data.append(1)",
        "del blob\ndel alias",
        f"rebound = Blob({n})\nref_rebound = weakref.ref(rebound)",
        "rebound.data.append(2)\nrebound = None",
        f"tmp = Blob({n})\nref_temporary = weakref.ref(tmp)\nsize = len(tmp.data)\ndel tmp",
        f"saved = Blob({n})\nref_saved = weakref.ref(saved)",
        f"def make():\n    return Blob({n})\nmade = make()\nref_made = weakref.ref(made)",
    ]
    if traced:
        cells.append("import lineage\n_artifact = lineage.save(saved, 'saved')")
        cells.append("_artifact = lineage.save(made, 'made')")
    cells += ["del saved\nmade = 0", "gc.collect()"]
    refs = {
        "ref_deleted": "variable deleted (after an alias mutated it)",
        "ref_rebound": "variable rebound to None",
        "ref_temporary": "temporary deleted in the cell that made it",
        "ref_saved": "saved with lineage.save, then deleted",
        "ref_made": "returned by a notebook function, saved, then rebound",
    }
    return cells, refs
