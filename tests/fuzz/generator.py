"""Random notebook sessions from a seed: cells over the constructs of issue 10, deterministic.

A session is a few *base* cells (lists, dicts, ints) followed by cells drawn from construct
*families* (``FAMILIES``, the one list the runner, ``make fuzz`` and tests/test_fuzz.py share).
Every cell is tagged with the family that wrote it, so a minimised reproducer says which
constructs it needs. Programs never read the clock, print no ids, seed ``random`` before any draw,
stay small (well under 50 ms a session) and touch only relative paths in their own folder."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

# the construct families of issue 10; test_fuzz.py parametrises over these names
FAMILIES: tuple[str, ...] = (
    "alias",
    "mutation",
    "control",
    "functions",
    "classes",
    "iterators",
    "cache",
    "rng",
    "files",
    "rerun",
    "raising",
    "imports",
    "ipython",
)

# how, and where, the extra save cells call lineage (the ``imports`` family draws among them)
_SAVE_CELLS: dict[str, str] = {
    "plain": "import lineage\nlineage.save({v}, {v!r})",
    "alias": "import lineage as lg\nlg.save({v}, {v!r})",
    "from": "from lineage import save\nsave({v}, {v!r})",
    "multi": "import json, lineage\nlineage.save({v}, {v!r})",
    "in_loop": "import lineage\nfor _k in range(1):\n    lineage.save({v}, {v!r})",
    "in_if": "import lineage\nif len(dir()) > 0:\n    lineage.save({v}, {v!r})",
    "in_with": "import contextlib, lineage\nwith contextlib.nullcontext():\n    lineage.save({v}, {v!r})",
    "in_try": "import lineage\ntry:\n    lineage.save({v}, {v!r})\nexcept KeyError:\n    pass",
}
SAVE_STYLES: tuple[str, ...] = tuple(_SAVE_CELLS)


def save_cell(style: str, name: str) -> str:
    """The extra cell that saves ``name`` under its own name, in ``style``."""
    return _SAVE_CELLS[style].format(v=name)


@dataclass(frozen=True)
class Cell:
    text: str
    family: str  # "base" or one of FAMILIES


@dataclass(frozen=True)
class Session:
    seed: int
    cells: tuple[Cell, ...]
    targets: tuple[str, ...]  # variables worth saving, best first
    inputs: dict[str, str] = field(default_factory=dict)  # files present before the session
    save_style: str = "plain"
    load_in_first_cell: bool = False  # traced run: "%load_ext lineage" opens the first cell

    @property
    def families(self) -> frozenset[str]:
        return frozenset(c.family for c in self.cells if c.family != "base")

    @property
    def tags(self) -> frozenset[str]:
        """The families, plus how the traced run loads and saves when not the plain way."""
        extra = {f"save:{self.save_style}"} if self.save_style != "plain" else set()
        if self.load_in_first_cell:
            extra.add("load-in-first-cell")
        return self.families | extra

    def with_cells(self, cells: tuple[Cell, ...], targets: tuple[str, ...]) -> Session:
        return Session(
            self.seed, cells, targets, self.inputs, self.save_style, self.load_in_first_cell
        )


class Gen:
    """The generator's state: the RNG, fresh names, and which names hold what kind of value."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.kinds: dict[str, str] = {}  # name -> "ilist" | "llist" | "dict" | "int" | "obj" | ...
        self.count = 0
        self.cells: list[Cell] = []
        self.targets: list[str] = []
        self.inputs: dict[str, str] = {}
        self.family = "base"

    # -- names ---------------------------------------------------------------------------------
    def fresh(self, kind: str, prefix: str = "") -> str:
        self.count += 1
        name = f"{prefix or kind[0]}{self.count}"
        self.kinds[name] = kind
        return name

    def pick(self, *kinds: str) -> str:
        names = [n for n, k in self.kinds.items() if k in kinds]
        if not names:
            return self.make(kinds[0])
        return self.rng.choice(names)

    def make(self, kind: str) -> str:
        """A new variable of ``kind`` in a cell of its own."""
        name = self.fresh(kind)
        if kind == "obj":
            self.cell("import types", f"{name} = types.SimpleNamespace(v=1, items=[0])")
            return name
        self.cell(f"{name} = {self.literal(kind)}")
        return name

    def literal(self, kind: str) -> str:
        r = self.rng
        if kind == "ilist":
            return repr([r.randint(0, 9) for _ in range(r.randint(1, 4))])
        if kind == "llist":
            return repr([[r.randint(0, 9)] for _ in range(r.randint(1, 3))])
        if kind == "dict":
            return repr({k: [r.randint(0, 9)] for k in r.sample("abcd", r.randint(1, 3))})
        if kind == "idict":
            return repr({k: r.randint(0, 9) for k in r.sample("abcd", r.randint(1, 3))})
        if kind == "int":
            return str(r.randint(0, 20))
        if kind == "str":
            return repr(r.choice(["ab", "xyz", "q"]))
        raise ValueError(kind)

    # -- output --------------------------------------------------------------------------------
    def cell(self, *lines: str) -> None:
        self.cells.append(Cell("\n".join(lines), self.family))

    def target(self, *names: str) -> None:
        self.targets.extend(names)

    def key(self, d: str) -> str:
        return repr(self.rng.choice("abcd"))


# -- base ------------------------------------------------------------------------------------------
def base(g: Gen) -> None:
    for kind in g.rng.sample(["ilist", "llist", "dict", "idict", "int"], g.rng.randint(2, 4)):
        g.target(g.make(kind))


# -- families ----------------------------------------------------------------------------------------
def fam_alias(g: Gen) -> None:
    r = g.rng
    choice = r.randrange(8)
    if choice == 7:  # unpacking a display of a list and a tuple (item 11: hash-seed dependent)
        z, x, y = g.fresh("llist", "z"), g.fresh("ilist", "x"), g.fresh("tuple", "y")
        g.cell(f"{z} = [[{r.randint(0, 9)}], ()]")
        g.cell(f"{x}, {y} = {z}")
        g.cell(f"{x}.append({r.randint(0, 9)})")
        g.target(z, y)
    elif choice == 0:  # plain alias, mutated through either name
        a = g.pick("ilist", "dict")
        b = g.fresh(g.kinds[a])
        g.cell(f"{b} = {a}")
        g.cell(f"{r.choice([a, b])}.clear()" if r.random() < 0.3 else _grow(g, r.choice([a, b])))
        g.target(a, b)
    elif choice == 1:  # display of names, a member changed later
        c, d = g.pick("ilist"), g.pick("ilist", "llist")
        v = g.fresh("display", "v")
        shape = r.choice(["[{c}, {d}]", "({c}, {d})", "{{'x': {c}, 'y': {d}}}"])
        g.cell(f"{v} = " + shape.format(c=c, d=d))
        g.cell(_grow(g, r.choice([c, d])))
        g.target(v, c)
    elif choice == 2:  # a dict view, the dict changed later
        d = g.pick("dict", "idict")
        k = g.fresh("view", "k")
        g.cell(f"{k} = {d}.{r.choice(['keys', 'values', 'items'])}()")
        g.cell(r.choice([f"{d}['z'] = [5]", f"{d}.pop({g.key(d)}, None)", f"{d}.clear()"]))
        out = g.fresh("ilist", "kl")
        g.cell(f"{out} = sorted(map(str, {k}))")
        g.target(out, d)
    elif choice == 3:  # a part reached indirectly, then mutated
        grid = g.pick("llist")
        p = g.fresh("ilist", "p")
        part = r.choice(
            [
                f"{grid}[0]",
                f"{grid}[-1] if {grid} else []",
                f"next(iter({grid}))",
                f"({grid} + [])[0]",
            ]
        )
        g.cell(f"{p} = {part}")
        g.cell(f"{p}.append({r.randint(0, 9)})")
        g.target(grid, p)
    elif choice == 4:  # star-unpacking
        grid = g.pick("llist")
        first, rest = g.fresh("ilist", "f"), g.fresh("llist", "rest")
        g.cell(f"{first}, *{rest} = {grid}")
        g.cell(f"{r.choice([first, grid + '[0]'])}.append(7)")
        g.target(grid, first)
    elif choice == 5:  # a loop variable rebound across cells, mutated later
        grid, other = g.pick("llist"), g.make("llist")
        row = g.fresh("ilist", "row")
        g.cell(f"for {row} in {grid}:\n    {row}.append(0)")
        if r.random() < 0.5:
            g.cell(f"for {row} in {other}:\n    pass")
        g.cell(f"{row}.append(9)")
        g.target(grid, other)
    else:  # a for target that rebinds the name its own iterable reads
        names = g.fresh("ilist", "names")
        g.cell(f"{names} = ['x', 'y', 'z']")
        g.cell(f"for i, {names} in enumerate({names}):\n    pass")
        out = g.fresh("ilist", "o")
        g.cell(f"{out} = [i, {names}]")
        g.target(out)


def _grow(g: Gen, name: str) -> str:
    kind = g.kinds.get(name, "ilist")
    if kind in ("dict", "idict"):
        return f"{name}['n{g.count}'] = {g.rng.randint(0, 9)}"
    return g.rng.choice([f"{name}.append(4)", f"{name}.extend([5, 6])", f"{name}.insert(0, 3)"])


def fam_mutation(g: Gen) -> None:
    r = g.rng
    a = g.pick("ilist")
    d = g.pick("dict")
    stmts = [
        f"{a}.append({r.randint(0, 9)})",
        f"{a}.sort()",
        f"{a}.reverse()",
        f"{a}.pop()",
        f"{a}[0] = {r.randint(10, 99)}",
        f"{a}[0] += 1",
        f"{a}[-1] *= 2",
        f"{a}[1:] = [7]",
        f"{a} += [8]",
        f"del {a}[0]",
        f"{d}[{g.key(d)}] = [1, 2]",
        f"{d}.setdefault({g.key(d)}, []).append(3)",
        f"{d}.update(w=[0])",
        f"{d} |= {{'m': [4]}}",
        f"{d}[{g.key(d)}] += [6]",
    ]
    n = g.pick("int")
    stmts += [f"{n} += 1", f"{n} = {n} * 2"]
    if r.random() < 0.5:
        ns = g.pick("obj")
        stmts += [f"{ns}.v = {r.randint(0, 9)}", f"{ns}.items.append(1)", f"{ns}.v += 1"]
    for _ in range(r.randint(1, 3)):
        g.cell(*r.sample(stmts, r.randint(1, 2)))
    lst2 = g.fresh("ilist", "e")
    g.cell(f"{lst2} = [0, 0, 0]", f"{lst2}[0] += 1", f"{lst2}[{r.randint(1, 2)}] = 42")
    g.target(a, d, n, lst2)


def fam_control(g: Gen) -> None:
    r = g.rng
    a = g.pick("ilist")
    n = g.pick("int")
    k = r.randint(1, 4)
    choice = r.randrange(6)
    if choice == 0:
        g.cell(f"for i in range({k}):\n    {a}.append(i * {n})")
    elif choice == 1:
        g.cell(f"j = 0\nwhile j < {k}:\n    {a}.append(j)\n    j += 1")
    elif choice == 2:
        b = g.fresh("ilist", "b")
        g.cell(f"if len({a}) > {k}:\n    {b} = {a}\nelse:\n    {b} = [0]")
        g.cell(f"{b}.append({n})")
        g.target(b)
    elif choice == 3:
        g.cell("import contextlib")
        g.cell(f"with contextlib.suppress(ZeroDivisionError):\n    {a}.append(1)\n    {n} = 1 / 0")
    elif choice == 4:
        z = g.fresh("ilist", "z")
        g.cell("import contextlib")
        g.cell(f"with contextlib.nullcontext({a}) as {z}:\n    {z}.append({k})")
    else:
        g.cell(
            f"try:\n    {a}.append(1)\n    {n} = {a}[{k + 5}]\nexcept IndexError:\n"
            f"    {a}.append(2)\nfinally:\n    {n} += 1"
        )
    g.target(a, n)


def fam_functions(g: Gen) -> None:
    r = g.rng
    f = g.fresh("func", "fn")
    out = g.fresh("int", "r")
    choice = r.randrange(6)
    if choice == 0:  # globals read at call time
        scale = g.fresh("int", "scale")
        g.cell(f"{scale} = {r.randint(1, 5)}")
        g.cell(f"def {f}(v):\n    return v * {scale}")
        g.cell(f"{scale} = {r.randint(6, 9)}")
        g.cell(f"{out} = {f}({r.randint(1, 5)})")
    elif choice == 1:  # global writes
        c = g.fresh("int", "counter")
        g.cell(f"{c} = 0")
        cond = r.choice(["", "    if v > 2:\n    "])
        g.cell(f"def {f}(v):\n    global {c}\n{cond}    {c} += v")
        g.cell(f"{f}({r.randint(1, 4)})")
        g.cell(f"{f}({r.randint(1, 4)})")
        g.cell(f"{out} = {c}")
        g.target(c)
    elif choice == 2:  # mutable default
        g.cell(f"def {f}(v, store=[]):\n    store.append(v)\n    return store")
        g.cell(f"{f}(1)")
        g.cell(f"{out} = {f}(2)")
    elif choice == 3:  # closure over a mutable object
        a = g.pick("ilist")
        push = g.fresh("func", "push")
        g.cell(f"def {f}(d):\n    def push(v):\n        d.append(v)\n    return push")
        g.cell(f"{push} = {f}({a})")
        g.cell(f"{push}(5)")
        g.cell(f"{out} = list({a})")
        g.target(a)
    elif choice == 4:  # lambdas, closures reading globals live
        off = g.fresh("int", "offset")
        g.cell(f"{off} = 100")
        g.cell(f"{f} = lambda k: (lambda v: v + k + {off})")
        g.cell(f"{off} = -1")
        g.cell(f"{out} = {f}(2)(3)")
    else:  # redefinition
        g.cell(f"def {f}():\n    return 1")
        first = g.fresh("int", "x")
        g.cell(f"{first} = {f}()")
        g.cell(f"def {f}():\n    return 2")
        g.cell(f"{out} = [{first}, {f}()]")
        g.target(first)
    g.target(out)


def fam_classes(g: Gen) -> None:
    r = g.rng
    cls = g.fresh("cls", "Foo")
    rate = g.fresh("int", "rate")
    out = g.fresh("int", "out")
    g.cell(f"{rate} = {r.randint(1, 5)}")
    choice = r.randrange(4)
    if choice == 0:
        g.cell(f"class {cls}:\n    def bar(self):\n        return {rate} * 2")
        g.cell(f"{rate} = {r.randint(6, 9)}")
        g.cell(f"{out} = {cls}().bar()")
    elif choice == 1:
        g.cell(
            f"class {cls}:\n    def __init__(self):\n        self.w = 0\n"
            f"    def fit(self, v):\n        self.w = v * {rate}\n        return self"
        )
        m = g.fresh("obj", "m")
        g.cell(f"{m} = {cls}()")
        g.cell(f"{m}.fit({r.randint(1, 5)})")
        g.cell(f"{out} = {m}.w")
        g.target(m)
    elif choice == 2:
        g.cell(
            f"class {cls}:\n    def __init__(self, v=0):\n        self.v = v\n"
            f"    def new(self, v):\n        return {cls}(v + {rate})\n"
            f"    def bar(self, k):\n        return self.v + k"
        )
        g.cell(f"{out} = {cls}().new(1).bar(0)")
    else:
        reg = g.fresh("ilist", "registry")
        g.cell(f"{reg} = []")
        g.cell(f"class {cls}:\n    def add(self, v):\n        {reg}.append(v * {rate})")
        g.cell(f"{cls}().add(3)")
        g.target(reg)
    g.target(out)


def fam_iterators(g: Gen) -> None:
    r = g.rng
    a = g.pick("ilist")
    it = g.fresh("iter", "it")
    x, y = g.fresh("int", "x"), g.fresh("ilist", "y")
    choice = r.randrange(4)
    if choice == 0:
        g.cell(f"{it} = iter({a})")
        g.cell(f"{x} = next({it})")
        g.cell(f"{y} = {r.choice(['list', 'sorted', 'tuple'])}({it})")
    elif choice == 1:
        g.cell(f"{it} = iter({a} + [1])")
        g.cell(f"{x} = {r.choice(['sum', 'any', 'max'])}({it})")
        g.cell(f"{y} = next({it}, None)")
    elif choice == 2:  # a generator reading its source lazily
        g.cell(f"{it} = (v * 2 for v in {a})")
        g.cell(f"{a}.append({r.randint(0, 9)})")
        g.cell(f"{y} = list({it})")
    else:
        gen = g.fresh("func", "countdown")
        g.cell(f"def {gen}(n):\n    while n > 0:\n        yield n\n        n -= 1")
        g.cell(f"{it} = {gen}({r.randint(2, 5)})")
        g.cell(f"{x} = next({it})")
        g.cell(f"{y} = list(zip({it}, {it}))")
    g.target(x, y)


def fam_cache(g: Gen) -> None:
    r = g.rng
    f = g.fresh("func", "cached")
    scale = g.fresh("int", "scale")
    r1, r2 = g.fresh("int", "c"), g.fresh("int", "c")
    g.cell("import functools")
    g.cell(f"{scale} = {r.randint(1, 5)}")
    deco = r.choice(["@functools.lru_cache(maxsize=None)", "@functools.cache"])
    g.cell(f"{deco}\ndef {f}(n):\n    return n * {scale}")
    g.cell(f"{r1} = {f}(2)")
    g.cell(f"{scale} = {r.randint(6, 9)}")
    g.cell(f"{r2} = [{f}(2), {f}(3)]")
    g.target(r2, r1)


def fam_rng(g: Gen) -> None:
    r = g.rng
    a = g.pick("ilist")
    x, y = g.fresh("int", "x"), g.fresh("int", "y")
    g.cell("import random", f"random.seed({r.randint(0, 99)})")
    g.cell(r.choice([f"{x} = random.random()", f"{x} = random.randint(1, 9)"]))
    draws = [
        f"random.shuffle({a})",
        f"{x} = random.choice({a} or [0])",
        f"{x} = random.sample(range(10), 3)",
        "random.random()",
    ]
    for stmt in r.sample(draws, r.randint(0, 2)):
        g.cell(stmt)
    if r.random() < 0.5:
        g.cell(f"random.seed({r.randint(0, 99)})")
    g.cell(f"{y} = [random.random(), {x}]")
    g.target(y, a, x)


def fam_files(g: Gen) -> None:
    r = g.rng
    a = g.pick("ilist")
    back, txt = g.fresh("ilist", "back"), g.fresh("str", "txt")
    fname = f"data{g.count}.txt"
    g.cell(f"with open({fname!r}, 'w') as fh:\n    fh.write(','.join(map(str, {a})))")
    if r.random() < 0.5:
        g.cell(f"with open({fname!r}, 'a') as fh:\n    fh.write(',9')")
    g.cell(f"with open({fname!r}) as fh:\n    {back} = fh.read().split(',')")
    choice = r.randrange(5)
    if choice == 0:
        g.inputs["input.csv"] = "1,2,3\n"
        g.cell(f"{txt} = open('input.csv').read().strip()")
    elif choice == 1:
        g.cell("from pathlib import Path")
        g.cell(f"Path('p{g.count}.txt').write_text(str({a}))")
        g.cell(f"{txt} = Path('p{g.count}.txt').read_text()")
    elif choice == 2:
        g.cell("import json")
        d = g.pick("dict")
        g.cell(f"with open('d.json', 'w') as fh:\n    json.dump({d}, fh)")
        g.cell(f"{d}['late'] = [1]")
        g.cell(f"with open('d.json') as fh:\n    {txt} = json.load(fh)")
    # chdir only to names made here or to ``top`` (the session's folder), never to '..'
    elif choice == 3:  # a subfolder, entered and left; a chdir that fails
        g.cell("import os", "top = os.getcwd()", "os.makedirs('sub', exist_ok=True)")
        g.cell("os.chdir('sub')")
        g.cell(f"with open('s.txt', 'w') as fh:\n    fh.write(str({a}))")
        g.cell(f"{txt} = open('s.txt').read()", "os.chdir(top)")
        if r.random() < 0.5:
            g.cell("os.chdir('nowhere')")
    else:  # the working folder deleted under the session
        g.cell("import os", "top = os.getcwd()", "os.makedirs('gone', exist_ok=True)")
        g.cell("os.chdir('gone')", "os.rmdir(os.path.join(top, 'gone'))")
        g.cell(f"{txt} = str(len({a}))")
        if r.random() < 0.5:
            g.cell("os.chdir(top)")
    g.target(back, txt)


def fam_rerun(g: Gen) -> None:
    r = g.rng
    a, n = g.pick("ilist"), g.pick("int")
    body = r.choice(
        [
            f"{a}.append(len({a}))",
            f"{n} += 1",
            f"{a} = {a} + [{n}]",
            f"{n} = {n} * 2 + 1\n{a}.append({n})",
        ]
    )
    times = r.randint(2, 3)
    for _ in range(times):
        g.cell(body)
    if len(g.cells) > 2 and r.random() < 0.5:  # an earlier cell, run again
        g.cells.append(Cell(r.choice(g.cells[:-times]).text, "rerun"))
    g.target(a, n)


def fam_raising(g: Gen) -> None:
    r = g.rng
    a = g.pick("ilist")
    choice = r.randrange(6)
    if choice == 0:
        g.cell(f"{a}.append({r.randint(0, 9)}) or 1 / 0")
    elif choice == 1:
        g.cell(f"{a}.append(2)\n1 / 0\n{a}.append(3)")
    elif choice == 2:
        g.cell(
            f"for i in range(5):\n    {a}.append(i)\n    if i == 2:\n        raise ValueError(i)"
        )
        i = g.fresh("int", "li")
        g.cell(f"{i} = i")
        g.target(i)
    elif choice == 3:
        t = g.fresh("tuple", "t")
        g.cell(f"{t} = ({a}, 1)")
        g.cell(f"{t}[0] += [{r.randint(0, 9)}]")
        g.target(t)
    elif choice == 4:
        d = g.pick("dict")
        g.cell(f"{d}[{g.key(d)}] = [0]; {d}['missing_key']")
        g.target(d)
    else:
        f = g.fresh("func", "grab")
        g.cell(f"def {f}(v):\n    v.append(1)\n    return v[100]")
        x = g.fresh("int", "x")
        g.cell(f"{x} = 5\n{x} = {f}({a})")
        g.target(x)
    g.target(a)


def fam_imports(g: Gen) -> None:
    r = g.rng
    a = g.pick("ilist")
    line = r.choice(
        [
            "import lineage as lg",
            "from lineage import save",
            "import lineage, json",
            "import json, lineage",
            "import math, lineage as lg",
        ]
    )
    j = g.fresh("str", "js")
    g.cell(f"{line}\nimport json\n{j} = json.dumps({a})")
    g.target(j)


def fam_ipython(g: Gen) -> None:
    """IPython syntax around Python code: %%capture, line magics, top-level await."""
    r = g.rng
    a = g.pick("ilist")
    choice = r.randrange(4)
    if choice == 3:  # a mutation run by a line magic (item 9); -q keeps the timing out of stdout
        g.cell(f"%timeit -n1 -r1 -q {a}.append(5)")
    elif choice == 0:
        g.cell(f"%%capture cap\n{a}.append({r.randint(0, 9)})\nprint({a})")
    elif choice == 1:
        out = g.fresh("ilist", "aw")
        g.cell("import asyncio")
        g.cell("async def twice(v):\n    await asyncio.sleep(0)\n    return v * 2")
        g.cell(f"{out} = await twice({a})")
        g.target(out)
    else:
        g.cell(f"%pdef len\n{a}.append(1)")
    g.target(a)


FAMILY_FUNCS: dict[str, Callable[[Gen], None]] = {
    "alias": fam_alias,
    "mutation": fam_mutation,
    "control": fam_control,
    "functions": fam_functions,
    "classes": fam_classes,
    "iterators": fam_iterators,
    "cache": fam_cache,
    "rng": fam_rng,
    "files": fam_files,
    "rerun": fam_rerun,
    "raising": fam_raising,
    "imports": fam_imports,
    "ipython": fam_ipython,
}
assert tuple(FAMILY_FUNCS) == FAMILIES


def generate(seed: int, families: tuple[str, ...] = FAMILIES, steps: int = 0) -> Session:
    """One session from ``seed``: base cells, then ``steps`` draws among ``families`` (3 to 6
    when not given)."""
    rng = random.Random(seed)
    g = Gen(rng)
    base(g)
    if rng.random() < 0.3:
        g.target(g.make("obj"))
    for _ in range(steps or rng.randint(3, 6)):
        g.family = rng.choice(families)
        FAMILY_FUNCS[g.family](g)
    seen: list[str] = []
    for t in reversed(g.targets):  # later targets have the richer histories
        if t not in seen:
            seen.append(t)
    imports = "imports" in families and "imports" in {c.family for c in g.cells}
    style = rng.choice(SAVE_STYLES) if imports else "plain"
    return Session(
        seed=seed,
        cells=tuple(g.cells),
        targets=tuple(seen),
        inputs=dict(g.inputs),
        save_style=style,
        load_in_first_cell=imports and rng.random() < 0.3,
    )
