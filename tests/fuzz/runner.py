"""Run sessions plain and traced in fresh processes, compare, save, and re-run each slice alone.

The parent side (:func:`check`) writes a batch of sessions to a JSON file and starts two child
processes at once, ``python -m tests.fuzz.runner plain|traced IN OUT``: each child runs every
session of the batch in a fresh ``InteractiveShell`` (history off, colours off) in its own empty
folder, the traced one with ``%load_ext lineage`` first (LINEAGE_DEV_MODE=1, a fresh
LINEAGE_HOME per session). The traced child then saves 3-5 variables, one extra cell each, and
runs each slice in a new interpreter in an empty folder (plus the session's input files),
comparing with the stored value by :func:`lineage.compare.values_equal`."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import random
import re
import subprocess
import sys
import tempfile
import tokenize
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.fuzz.generator import Cell, Session, save_cell

ROOT = Path(__file__).resolve().parents[2]
_ADDR = re.compile(r" at 0x[0-9a-fA-F]+")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

# The slice runs here, in a new interpreter: compare.py is loaded by path, so the slice's
# interpreter imports nothing of lineage but its comparison.
_SLICE_CHILD = """
import importlib.util, pickle, sys, traceback
code_path, value_path, target, compare_path = sys.argv[1:5]
ns = {"__name__": "__main__"}
try:
    exec(compile(open(code_path).read(), "<lineage slice>", "exec"), ns)
except BaseException:
    traceback.print_exc()
    sys.exit(2)
if target not in ns:
    print(f"NameError: the slice did not define {target!r}", file=sys.stderr)
    sys.exit(2)
spec = importlib.util.spec_from_file_location("_compare", compare_path)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
with open(value_path, "rb") as f:
    stored = pickle.load(f)
if mod.values_equal(ns[target], stored):
    sys.exit(0)
print(f"rebuilt {ns[target]!r:.300}\\nsaved   {stored!r:.300}", file=sys.stderr)
sys.exit(1)
"""


@dataclass(frozen=True)
class Failure:
    kind: str  # e.g. "wrong-value", "slice-raised:NameError", "capture-diff:stdout"
    target: str  # the saved variable, "" for capture differences and internal errors
    detail: str
    code: str = ""  # the slice, when there is one
    saved_before: tuple[str, ...] = ()  # saves run before this one (their cells are history)


@dataclass
class Outcome:
    """What a child saw for one session."""

    cells: list[dict[str, str]] = field(default_factory=list)  # status, out, err
    values: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    internal: list[str] = field(default_factory=list)
    saves: list[dict[str, str]] = field(default_factory=list)  # name, outcome, detail, code
    crashed: str = ""


# -- serialisation ------------------------------------------------------------------------------
def session_to_json(s: Session, save: list[str] | None = None) -> dict[str, Any]:
    d = asdict(s)
    d["cells"] = [[c.text, c.family] for c in s.cells]
    d["save"] = save
    return d


def session_from_json(d: dict[str, Any]) -> Session:
    cells = tuple(Cell(t, f) for t, f in d["cells"])
    return Session(
        d["seed"],
        cells,
        tuple(d["targets"]),
        d["inputs"],
        d["save_style"],
        d["load_in_first_cell"],
    )


# -- the child ------------------------------------------------------------------------------------
def _new_shell() -> Any:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    InteractiveShell.clear_instance()
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    return InteractiveShell.instance(config=config)


def _norm(text: str, work: Path) -> str:
    text = _ANSI.sub("", text).replace(str(work), "<work>")
    return _ADDR.sub(" at 0x?", text)


def _run_cell(shell: Any, text: str, work: Path) -> dict[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        result = shell.run_cell(text, store_history=True)
    error = result.error_in_exec or result.error_before_exec
    status = "ok" if error is None else type(error).__name__
    return {
        "status": status,
        "out": _norm(out.getvalue(), work),
        "err": _norm(err.getvalue(), work),
    }


def _snapshot(ns: dict[str, Any], skip: set[str], work: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in sorted(ns.items()):
        if name in skip or name.startswith("_") or type(value).__name__ == "module":
            continue
        try:
            text = repr(value)[:2000]
        except Exception as exc:
            text = f"<repr raised {type(exc).__name__}>"
        values[name] = _norm(text, work)
    return values


def _files(work: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(work.rglob("*")):
        if path.is_file():
            found[str(path.relative_to(work))] = path.read_bytes()[:2000].decode("latin-1")
    return found


def _choose(session: Session, ns: dict[str, Any], save: list[str] | None) -> list[str]:
    if save is not None:
        return [n for n in save if n in ns]
    present = []
    for name in session.targets:
        if name in ns and not callable(ns[name]):
            try:
                pickle.dumps(ns[name])
            except Exception:
                continue
            present.append(name)
    return present[: 3 + session.seed % 3]


def mentions_lineage(code: str) -> bool:
    """True when the code names lineage (``lineage``, the ``lg`` alias, a bare ``save(...)``);
    comments and strings do not count."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline)]
    except (tokenize.TokenError, SyntaxError):
        return "lineage" in code
    for i, tok in enumerate(tokens):
        if tok.type != tokenize.NAME:
            continue
        if tok.string in ("lineage", "lg"):
            return True
        after = tokens[i + 1].string if i + 1 < len(tokens) else ""
        before = tokens[i - 1].string if i else ""
        if tok.string == "save" and after == "(" and before != ".":
            return True
    return False


def _verify(name: str, empty: Path, inputs: dict[str, str]) -> dict[str, str]:
    import lineage
    import lineage.compare

    art = lineage.get(name)
    code = art.code
    result = {"name": name, "outcome": "ok", "detail": "", "code": code}
    if mentions_lineage(code):
        return {**result, "outcome": "mentions-lineage", "detail": "the slice refers to lineage"}
    if art.record.value_path is None:
        return {**result, "outcome": "unpicklable"}
    empty.mkdir(parents=True)
    for rel, text in inputs.items():
        (empty / rel).write_text(text)
    with tempfile.TemporaryDirectory(prefix="fuzz-slice-") as tmp:
        code_path = Path(tmp, "slice.py")
        code_path.write_text(code)
        stored = Path(tmp, "stored.pkl")
        stored.write_bytes(art.store.value_bytes(art.record))
        args = [code_path, stored, art.target]
        args.append(lineage.compare.__file__)
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _SLICE_CHILD, *map(str, args)],
                cwd=empty,
                capture_output=True,
                text=True,
                timeout=30,
            )
        except subprocess.TimeoutExpired:
            return {**result, "outcome": "timeout", "detail": "the slice ran 30 s"}
    if proc.returncode == 0:
        return result
    outcome = "wrong-value" if proc.returncode == 1 else "slice-raised"
    return {**result, "outcome": outcome, "detail": proc.stderr.strip()[-3000:]}


def _traced_errors(tracer: Any, seen: int) -> list[str]:
    return ["".join(traceback.format_exception(e))[-3000:] for e in tracer.errors[seen:]]


def run_one(session: Session, save: list[str] | None, traced: bool, root: Path) -> Outcome:
    """Run one session in this process (a child): the cells, then (traced) saves and slices.
    ``save`` names the variables to save (None: choose 3-5); given, only its last is verified."""
    work, home = root / "work", root / "home"
    work.mkdir(parents=True)
    for rel, text in session.inputs.items():
        (work / rel).write_text(text)
    os.chdir(work)
    os.environ["LINEAGE_HOME"] = str(home)
    random.seed(0)
    shell = _new_shell()
    skip = set(shell.user_ns)
    tracer = None
    texts = [c.text for c in session.cells]
    if session.load_in_first_cell and texts:
        texts[0] = ("%load_ext lineage\n" if traced else "# %load_ext lineage\n") + texts[0]
    elif traced:
        shell.run_line_magic("load_ext", "lineage")
    outcome = Outcome()
    for text in texts:
        outcome.cells.append(_run_cell(shell, text, work))
        if traced and tracer is None:
            with contextlib.suppress(Exception):
                from lineage.tracer import active_tracer

                tracer = active_tracer()
        if tracer is not None:
            outcome.internal += _traced_errors(tracer, 0)
            tracer.errors.clear()
    outcome.values = _snapshot(shell.user_ns, skip, work)
    outcome.files = _files(work)
    if traced:
        for i, name in enumerate(_choose(session, shell.user_ns, save)):
            cell = _run_cell(shell, save_cell(session.save_style, name), work)
            if tracer is not None:
                outcome.internal += _traced_errors(tracer, 0)
                tracer.errors.clear()
            if cell["status"] != "ok":
                detail = cell["out"][-3000:]
                outcome.saves.append(
                    {"name": name, "outcome": f"save-raised:{cell['status']}", "detail": detail}
                )
                continue
            if save is not None and name != save[-1]:  # shrinking: only the last one counts
                outcome.saves.append({"name": name, "outcome": "ok", "detail": "not verified"})
                continue
            outcome.saves.append(_verify(name, root / f"empty{i}", session.inputs))
        with contextlib.suppress(Exception):
            shell.run_line_magic("unload_ext", "lineage")
    return outcome


def _child(mode: str, src: str, dst: str) -> None:
    batch = json.loads(Path(src).read_text())
    results = []
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{mode}-") as tmp:
        for i, item in enumerate(batch):
            session = session_from_json(item)
            try:
                outcome = run_one(session, item["save"], mode == "traced", Path(tmp, f"s{i}"))
            except BaseException as exc:  # the session broke the child's own machinery
                outcome = Outcome(crashed="".join(traceback.format_exception(exc))[-3000:])
            finally:
                os.chdir(tmp)
            results.append(asdict(outcome))
    Path(dst).write_text(json.dumps(results))


# -- the parent -------------------------------------------------------------------------------------
def _env(traced: bool, hashseed: int) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONHASHSEED"] = str(hashseed)
    env["LINEAGE_DEV_MODE"] = "1" if traced else "0"
    env.pop("MPLBACKEND", None)
    return env


def _start(mode: str, batch_file: Path, out: Path, hashseed: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.fuzz.runner", mode, str(batch_file), str(out)],
        cwd=ROOT,
        env=_env(mode == "traced", hashseed),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _collect(proc: subprocess.Popen[str], out: Path, n: int, timeout: float) -> list[Outcome]:
    try:
        log, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return [Outcome(crashed=f"the child ran over {timeout:.0f} s")] * n
    if proc.returncode != 0 or not out.exists():
        return [Outcome(crashed=f"the child exited {proc.returncode}: {log[-2000:]}")] * n
    return [Outcome(**d) for d in json.loads(out.read_text())]


def run_batch(
    sessions: list[Session],
    saves: list[list[str] | None] | None = None,
    plain: bool = True,
    hashseed: int = 0,
    jobs: int = 2,
) -> list[tuple[Outcome | None, Outcome]]:
    """Run ``sessions`` in one plain child and ``jobs`` traced children at once (the traced run
    costs about ten times the plain one: saves and slices), plain skipped when not ``plain``;
    returns (plain outcome or None, traced outcome) per session, in order."""
    saves = saves or [None] * len(sessions)
    items = [session_to_json(s, v) for s, v in zip(sessions, saves, strict=True)]
    timeout = 60 + 10 * len(sessions)
    parts = [list(range(len(items)))[j::jobs] for j in range(jobs)]
    parts = [p for p in parts if p]
    with tempfile.TemporaryDirectory(prefix="fuzz-batch-") as tmp:
        procs: list[tuple[str, list[int], Path, subprocess.Popen[str]]] = []
        for j, part in enumerate(parts):
            src, dst = Path(tmp, f"traced{j}.json"), Path(tmp, f"traced{j}.out.json")
            src.write_text(json.dumps([items[i] for i in part]))
            procs.append(("traced", part, dst, _start("traced", src, dst, hashseed)))
        if plain:
            src, dst = Path(tmp, "plain.json"), Path(tmp, "plain.out.json")
            src.write_text(json.dumps(items))
            procs.append(
                ("plain", list(range(len(items))), dst, _start("plain", src, dst, hashseed))
            )
        traced: list[Outcome] = [Outcome()] * len(items)
        plains: list[Outcome | None] = [None] * len(items)
        for mode, part, dst, proc in procs:
            for i, outcome in zip(part, _collect(proc, dst, len(part), timeout), strict=True):
                if mode == "traced":
                    traced[i] = outcome
                else:
                    plains[i] = outcome
    return list(zip(plains, traced, strict=True))


# -- judging ----------------------------------------------------------------------------------------
def failures(plain: Outcome | None, traced: Outcome) -> list[Failure]:
    """Every way the traced run went wrong, against the plain one."""
    found: list[Failure] = []
    for o in (plain, traced):
        if o is not None and o.crashed:
            return [Failure("crash", "", o.crashed)]
    for tb in traced.internal:
        found.append(Failure(f"internal-error:{_last_exc(tb)}", "", tb))
    if plain is not None:
        found += _capture_diffs(plain, traced)
    for i, save in enumerate(traced.saves):
        if save["outcome"] not in ("ok", "unpicklable"):
            kind = save["outcome"]
            if kind == "slice-raised":
                kind += ":" + _last_exc(save["detail"])
            before = tuple(s["name"] for s in traced.saves[:i])
            code = save.get("code", "")
            found.append(Failure(kind, save["name"], save["detail"], code, before))
    return found


HASHSEED_KIND = "hashseed-slice"


def slice_diffs(a: Outcome, b: Outcome, seeds: tuple[int, int]) -> list[Failure]:
    """Saves whose slice differs between two traced runs of one session under two
    ``PYTHONHASHSEED`` values (item 11: a slice must not depend on it)."""
    other = {s["name"]: s.get("code") for s in b.saves}
    found = []
    for i, save in enumerate(a.saves):
        code, code2 = save.get("code"), other.get(save["name"])
        if code is not None and code2 is not None and code != code2:
            detail = f"PYTHONHASHSEED={seeds[0]}:\n{code}\nPYTHONHASHSEED={seeds[1]}:\n{code2}"
            before = tuple(s["name"] for s in a.saves[:i])
            found.append(Failure(HASHSEED_KIND, save["name"], detail, code, before))
    return found


def _last_exc(tb: str) -> str:
    for line in reversed(tb.strip().splitlines()):
        m = re.match(r"^(?:[a-z_]\w*\.)*([A-Z]\w*)(:|$)", line)  # "ValueError: ..", "StopIteration"
        if m:
            return m.group(1).rsplit(".", 1)[-1]
    return "unknown"


def _capture_diffs(plain: Outcome, traced: Outcome) -> list[Failure]:
    found = []
    for i, (p, t) in enumerate(zip(plain.cells, traced.cells, strict=False)):
        for key in ("status", "out", "err"):
            if p[key] != t[key]:
                detail = f"cell {i}: plain {p[key]!r:.600}\ntraced {t[key]!r:.600}"
                found.append(Failure(f"capture-diff:{key}", "", detail))
    names = set(plain.values) | set(traced.values)
    for name in sorted(n for n in names if plain.values.get(n) != traced.values.get(n)):
        detail = (
            f"{name}: plain {plain.values.get(name)!r:.300} traced {traced.values.get(name)!r:.300}"
        )
        found.append(Failure("capture-diff:value", "", detail))
    if plain.files != traced.files:
        found.append(
            Failure("capture-diff:files", "", f"{plain.files!r:.400}\n{traced.files!r:.400}")
        )
    return found


def check(sessions: list[Session], plain: bool = True, hashseed: int = 0) -> list[list[Failure]]:
    """The failures of each session (one batch: one plain and one traced child)."""
    return [failures(p, t) for p, t in run_batch(sessions, plain=plain, hashseed=hashseed)]


if __name__ == "__main__":
    _child(*sys.argv[1:4])
