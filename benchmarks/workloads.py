"""The workloads: cells to run in a fresh IPython shell, plain and with ``%load_ext lineage``.

Each workload is plain data (cell sources), so the parent process can list and describe it and
the child process can run it. ``after`` cells run only when traced, outside the timed region:
they save an artifact whose slice runs through the workload, which shows capture was real.
"""

from __future__ import annotations

import itertools
import json
import re
import string
from collections.abc import Callable, Iterator
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
@dataclass(frozen=True)
class Chain:
    """A scale chain: a prelude cell, then statements made by ``step`` (the statements of step
    ``i``, which read what step ``i - 1`` made and end by binding ``x{i}``), cut into cells of
    ``cell_sizes`` statements (a cycle). The value saved after ``n`` statements is the last
    ``x{i}``; every statement of the prelude and of the steps is in its slice but the ones at
    ``display`` positions of a step (``print``, a bare expression), which only show something.
    """

    name: str
    description: str
    step: Callable[[int], tuple[str, ...]]
    prelude: tuple[str, ...] = ()
    seed: str = ""  # statement 0 of the chain (before step 1), when the prelude does not bind x0
    cell_sizes: tuple[int, ...] = (100,)
    display: tuple[int, ...] = ()

    @property
    def step_length(self) -> int:
        return len(self.step(1))

    def statements(self, start: int, count: int) -> list[str]:
        """Chain statements ``start`` to ``start + count`` (the prelude is not counted)."""
        return list(itertools.islice(self._all_statements(), start, start + count))

    def _all_statements(self) -> Iterator[str]:
        if self.seed:
            yield self.seed
        for i in itertools.count(1):
            yield from self.step(i)

    def _steps_done(self, n: int) -> int:
        """Whole steps in the first ``n`` chain statements; ``n`` must end a step."""
        k, rest = divmod(n - (1 if self.seed else 0), self.step_length)
        if rest or k < 0:
            raise ValueError(f"chain {self.name!r}: {n} statements do not end a step")
        return k

    def last_value(self, n: int) -> str:
        """The name bound by the last of the first ``n`` chain statements."""
        return f"x{self._steps_done(n)}"

    def slice_statements(self, n: int) -> int:
        """Top-level statements in the slice of ``last_value(n)``: the prelude, the seed and
        every statement of the steps but the display ones."""
        kept = self.step_length - len(self.display)
        return len(self.prelude) + (1 if self.seed else 0) + self._steps_done(n) * kept

    def cells(self, start: int, count: int) -> list[str]:
        """The cells that run chain statements ``start`` to ``start + count``, with the prelude
        cell first when ``start`` is 0."""
        lines = self.statements(start, count)
        out = ["\n".join(self.prelude)] if start == 0 and self.prelude else []
        sizes = itertools.cycle(self.cell_sizes)
        at = 0
        while at < len(lines):
            size = next(sizes)
            out.append("\n".join(lines[at : at + size]))
            at += size
        return out


def _formatted(form: str) -> Callable[[int], tuple[str, ...]]:
    """One statement a step: ``form`` formatted with ``i`` and ``p`` (``i - 1``)."""

    def step(i: int) -> tuple[str, ...]:
        return (form.format(i=i, p=i - 1),)

    return step


SUM_FORM = "x{i} = x{p} + 1"
# the call-heavy line of a data-science cell (issue 12); the value settles near 14 + sqrt(i) / 2
CALLS_FORM = (
    "x{i} = round(max(x{p}, math.sqrt({i})) * opts['k'], 2)"
    " + len(f'{{vals[1]:.1f}}') + sum(v for v in vals)"
)

# one step of the notebook chain. $i is the step, $p the one before, $w and $m small numbers of
# the step. Each statement feeds x$i (through the names it binds or the objects it mutates),
# but the print (12) and the bare expression (17), which only display: the slice leaves them out
NOTEBOOK_STEP = (
    "def adjust(x, w=$w):\n    return round(x * w / (w + 1), 3)",
    "rows = [x$p, adjust(x$p), $m]",
    "rows.append(len(rows) * 0.5)",
    "for r in rows[:2]:\n    rows.append(r / 2)",
    'label = f"run-$i-{rows[1]:.1f}"',
    'parts = label.lower().split("-")',
    "table[parts[0]] = len(parts[2])",
    "counts = {w: len(w) for w in parts}",
    "key = max(parts, key=len)[:2]",
    "arr = np.array(rows)",
    "arr *= 0.5",
    'stats = {"mean": float(arr.mean()), "peak": float(np.max(arr))}',
    "print(f\"{label}: mean {stats['mean']:.2f}\")",
    "scaled = [adjust(r, 2) for r in rows if r > 0]",
    "table[key] = max(scaled, default=0.0) % 50 + sorted(counts.values())[-1]",
    'note = " ".join(parts).title().replace(" ", "_")',
    "size = len(note) + len(table)",
    "stats",
    "total = fmean(scaled) % 100 + math.sqrt(size)",
    'x$i = round((stats["peak"] + total + table[key]) % 1000, 3)',
)
NOTEBOOK_DISPLAY = (12, 17)
NOTEBOOK_TEMPLATES = tuple(string.Template(s) for s in NOTEBOOK_STEP)


def notebook_step(i: int) -> tuple[str, ...]:
    values = {"i": i, "p": i - 1, "w": i % 5 + 1, "m": i % 11}
    return tuple(t.substitute(values) for t in NOTEBOOK_TEMPLATES)


CHAINS = {
    c.name: c
    for c in (
        Chain(
            "sum",
            "one addition a statement",
            _formatted(SUM_FORM),
            seed="x0 = 1",
        ),
        Chain(
            "calls",
            "the call-heavy data-science line of issue 12: seven calls, a subscript, an f-string"
            " and a generator a statement",
            _formatted(CALLS_FORM),
            prelude=("import math", "vals = [1.5, 2.5]", "opts = {'k': 0.5}"),
            seed="x0 = 1",
        ),
        Chain(
            "notebook",
            f"notebook-shaped: steps of {len(NOTEBOOK_STEP)} statements (a function definition,"
            " list and dict building and in-place mutation, a loop, comprehensions, f-strings,"
            " string methods, sorted / max / sum, numpy, a print and a bare expression) in cells"
            " of 1, 4, 9, 2, 12, 5, 3 statements",
            notebook_step,
            prelude=(
                "import math",
                "import numpy as np",
                "from statistics import fmean",
                "table = {}",
                "x0 = 1.0",
            ),
            cell_sizes=(1, 4, 9, 2, 12, 5, 3),
            display=NOTEBOOK_DISPLAY,
        ),
    )
}


SECOND_SAVE_AFTER = 300  # chain statements run between the first save and the second


def chain_cells(start: int, count: int, chain: str = "sum") -> list[str]:
    """The cells of chain statements ``start`` to ``start + count`` of ``CHAINS[chain]``."""
    return CHAINS[chain].cells(start, count)


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
