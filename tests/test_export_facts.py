"""The export plan is built from the graph's facts, kept with each artifact.

Table-driven: each case is a session where a reading of the statement's text alone (the
second model lineage had) disagrees with the graph and the specs about what a statement
changes; the stored facts must say what the graph says, and the script exported from them
must rebuild every saved value. Then: one step per artifact even when a file links them, no
expression statement with no effect in a step, and a saved artifact without facts is refused
with a clear error.
"""

from __future__ import annotations

import ast
import json
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import lineage
from lineage.analysis.specs import imported_specs, load_specs
from lineage.emitters.naming import module_name
from lineage.errors import ExportError
from tests.test_export import check_rebuilt, child_env, run, step_functions

EMITTERS = Path(lineage.__file__).parent / "emitters"


@dataclass(frozen=True)
class Case:
    id: str
    cells: tuple[str, ...]
    saves: dict[str, str]  # artifact -> the variable saved
    statement: str  # the text of the statement whose facts are checked
    mutates: frozenset[str]  # the names the graph says it changes in place
    not_mutates: frozenset[str] = frozenset()  # what a text reading said it changes
    spec: dict | None = None  # a LINEAGE_SPECS file
    modules: dict[str, str] = field(default_factory=dict)  # importable modules the session uses


CASES = [
    Case(
        "random_shuffle_changes_its_argument",
        (
            "import random\nrandom.seed(1)\nxs = list(range(10))",
            "before = list(xs)",
            "random.shuffle(xs)",
            "shuffled = xs[:5]",
        ),
        {"before": "before", "shuffled": "shuffled"},
        "random.shuffle(xs)",
        mutates=frozenset({"xs"}),
        not_mutates=frozenset({"random"}),
    ),
    Case(
        "rng_sample_changes_the_generator",
        (
            "import random\nrng = random.Random(3)",
            "pool = list(range(50))",
            "picked = rng.sample(pool, 5)",
            "again = rng.sample(pool, 5)",
        ),
        {"picked": "picked", "again": "again"},
        "picked = rng.sample(pool, 5)",
        mutates=frozenset({"rng"}),
    ),
    Case(
        "user_spec_says_a_function_changes_its_argument",
        (
            "import scrubber",
            "values = list(range(12))",
            "total_before = sum(values)",
            "scrubber.drop_odd(values)",
            "kept = list(values)",
        ),
        {"total_before": "total_before", "kept": "kept"},
        "scrubber.drop_odd(values)",
        mutates=frozenset({"values"}),
        not_mutates=frozenset({"scrubber"}),
        spec={"functions": {"scrubber.drop_odd": {"mutates": [0]}}},
        modules={"scrubber.py": "def drop_odd(xs):\n    xs[:] = [x for x in xs if x % 2 == 0]\n"},
    ),
    Case(
        "notebook_method_changes_self",
        (
            "class Acc:\n"
            "    def __init__(self):\n"
            "        self.total = 0\n"
            "\n"
            "    def apply(self, x):  # a name text analysis took for a pure pandas method\n"
            "        self.total += x\n"
            "        return self.total",
            "acc = Acc()",
            "first = acc.apply(5)",
            "acc.apply(7)",
            "final = acc.total",
        ),
        {"first": "first", "final": "final"},
        "acc.apply(7)",
        mutates=frozenset({"acc"}),
    ),
]


@pytest.fixture
def fresh_specs():
    load_specs.cache_clear()
    imported_specs.cache_clear()
    yield
    load_specs.cache_clear()
    imported_specs.cache_clear()


def capture(shell, cells: tuple[str, ...], saves: dict[str, str]) -> None:
    for cell in cells:
        shell.run_cell(cell, store_history=True).raise_error()
    lines = "\n".join(f"lineage.save({var}, {name!r})" for name, var in saves.items())
    shell.run_cell(f"import lineage\n{lines}", store_history=True).raise_error()


def export_and_run(saves: dict[str, str], tmp_path: Path, **env: str) -> Path:
    """Export the artifacts as a script, run it from another folder, check every value."""
    out = tmp_path / "pipeline"
    pipeline = module_name(next(iter(saves)))
    lineage.export(list(saves), to="script", output_dir=out)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = tmp_path / "data"
    run([sys.executable, str(out / f"{pipeline}.py")], elsewhere, child_env(data, **env))
    check_rebuilt(data, {name: lineage.get(name).get_value() for name in saves})
    return out / f"{pipeline}_module.py"


def stored_facts(artifact: str, text: str) -> dict:
    statements = lineage.get(artifact).record.meta["statements"]
    return next(s for s in statements if s["text"] == text)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_facts_come_from_the_graph(
    case: Case, shell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_specs
) -> None:
    env: dict[str, str] = {}
    if case.modules:
        lib = tmp_path / "lib"
        lib.mkdir()
        for rel, text in case.modules.items():
            (lib / rel).write_text(text)
        monkeypatch.syspath_prepend(str(lib))
        env["PYTHONPATH"] = f"{lib}:{Path(lineage.__file__).parent.parent}"
    if case.spec is not None:
        spec = tmp_path / "user_spec.json"
        spec.write_text(json.dumps(case.spec))
        monkeypatch.setenv("LINEAGE_SPECS", str(spec))
    capture(shell, case.cells, case.saves)
    last = list(case.saves)[-1]
    facts = stored_facts(last, case.statement)
    assert case.mutates <= set(facts.get("mutates", ())), facts
    assert not case.not_mutates & set(facts.get("mutates", ())), facts
    export_and_run(case.saves, tmp_path, **env)


# a session that writes raw.json and reads it back for two artifacts (see test_airflow_file_edge)
FILE_HANDOFF = (
    "import json",
    "raw = [{'v': i, 'ok': i % 3 != 0} for i in range(12)]",
    "with open('raw.json', 'w') as f:\n    json.dump(raw, f)",
    "with open('raw.json') as src:\n    cleaned = [r for r in json.load(src) if r['ok']]",
    "with open('raw.json') as fh:\n    rows = json.load(fh)\n"
    "stats = {'n': len(rows), 'total': sum(r['v'] for r in rows)}",
)


def test_a_file_handed_on_is_an_edge_not_a_merge(shell, tmp_path: Path) -> None:
    """Each artifact is its own step, after the step that writes the file."""
    capture(shell, FILE_HANDOFF, {"cleaned": "cleaned", "stats": "stats"})
    module = export_and_run({"cleaned": "cleaned", "stats": "stats"}, tmp_path)
    names = [f.name for f in step_functions(module)]
    assert names == ["write_raw_json", "cleaned", "stats"], names


def test_expression_statements_with_no_effect_stay_out(shell, tmp_path: Path) -> None:
    """``df["species"]`` alone changes nothing: the graph's facts say so, and no step holds
    an expression statement whose facts show no effect."""
    cells = (
        "df = {'species': ['a', 'b', 'a'], 'x': [1, 2, 3]}",
        "df['species']",
        "counts = {s: df['species'].count(s) for s in set(df['species'])}",
        "items = []\nitems.append(len(counts))",
        "n = len(items)",
    )
    capture(shell, cells, {"counts": "counts", "n": "n"})
    module = export_and_run({"counts": "counts", "n": "n"}, tmp_path)
    bodies = [ast.unparse(node) for f in step_functions(module) for node in f.body]
    assert "df['species']" not in bodies
    assert "items.append(len(counts))" in bodies  # an expression that changes something stays


def test_artifact_saved_without_facts_is_refused(shell, tmp_path: Path) -> None:
    capture(shell, ("x = 1",), {"x": "x"})
    art = lineage.get("x")
    meta = dict(art.record.meta)
    del meta["facts"]
    with sqlite3.connect(art.store.db_path) as conn:  # as an earlier lineage saved it
        conn.execute("UPDATE artifacts SET meta = ? WHERE name = ?", (json.dumps(meta), "x"))
    with pytest.raises(ExportError, match="save it again"):
        lineage.export(["x"], to="script", output_dir=tmp_path / "out")


def test_emitters_do_not_analyse_statement_text() -> None:
    """The one model of what a statement does is the graph's: no emitter imports the static
    analysis or symtable, and ``ast.parse`` only formats import lines."""
    for path in EMITTERS.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                for name in names:
                    assert name != "symtable", path
                    assert not name.startswith(
                        ("lineage.analysis.facts", "lineage.analysis.visitor")
                    ), path


@dataclass(frozen=True)
class ArgvCase:
    id: str
    cells: tuple[str, ...]
    reads: bool  # the slice of ``n`` reads the command line


ARGV_CASES = [
    ArgvCase("sys_argv", ("import sys", "n = int(sys.argv[1])"), True),
    ArgvCase("argv_imported", ("from sys import argv", "n = len(argv)"), True),
    ArgvCase(
        "parser_in_a_function",
        (
            "import argparse",
            "def parse():\n"
            "    parser = argparse.ArgumentParser()\n"
            "    parser.add_argument('n', type=int)\n"
            "    return parser.parse_known_args()[0].n",
            "n = parse()",
        ),
        True,
    ),
    # a regex over the slice's text took these words for a read of the command line
    ArgvCase("words_in_a_string", ("label = 'argv and parse_args'", "n = len(label)"), False),
    ArgvCase("sys_for_something_else", ("import sys", "n = len(sys.path) * 0 + 3"), False),
]


@pytest.mark.parametrize("case", ARGV_CASES, ids=[c.id for c in ARGV_CASES])
def test_reading_the_command_line_is_a_fact_of_the_graph(
    case: ArgvCase, shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["analysis.py", "3"])
    capture(shell, case.cells, {"n": "n"})
    meta = lineage.get("n").record.meta
    assert ("argv" in meta) is case.reads, meta.get("argv")
    if case.reads:
        assert meta["argv"] == ["analysis.py", "3"]
