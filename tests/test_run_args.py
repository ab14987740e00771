"""``lineage run SCRIPT ARGS``, then ``lineage verify`` and ``lineage export``, as real
subprocesses of the ``lineage`` command (issue 10, items 3 to 5).

A script that reads its command-line arguments saves values that depend on them: ``verify``
and the exported pipeline must run the slice with the arguments the session ran with. The
exported script target is run for real; the Airflow and Ray entry points are only checked by
the golden tests (tests/test_export.py)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

LINEAGE = str(Path(sys.executable).with_name("lineage"))
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), out.get("PYTHONPATH")]))
    out["LINEAGE_HOME"] = str(tmp_path / "home")
    out["LINEAGE_DEV_MODE"] = "1"
    return out


def lineage(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINEAGE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def run_export(env: dict[str, str], work: Path, name: str, *more: str) -> tuple[str, object]:
    """Export ``name`` (and ``more`` artifacts) to a script, run it in a fresh folder, return
    its steps module and the value of ``name`` it wrote."""
    out = work.parent / f"out-{name}"
    ok(lineage(env, work, "export", name, *more, "--to", "script", "-o", str(out)))
    module = (out / f"{name}_module.py").read_text()
    data = work.parent / f"data-{name}"
    run_env = {**env, "LINEAGE_DATA_DIR": str(data)}
    elsewhere = work.parent / f"elsewhere-{name}"
    elsewhere.mkdir()
    proc = subprocess.run(
        [sys.executable, str(out / f"{name}.py")],
        cwd=elsewhere,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n--- module ---\n{module}"
    with open(data / f"{name}.pkl", "rb") as f:
        return module, pickle.load(f)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


SYS_ARGV = """\
import sys, lineage

n = int(sys.argv[1])
squares = [i * i for i in range(n)]
lineage.save(squares, "squares")
"""


def test_sys_argv_reproduced_by_verify_and_script(env: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "work"
    write(work, "analysis.py", SYS_ARGV)
    ok(lineage(env, work, "run", "analysis.py", "3"))
    ok(lineage(env, work, "verify", "squares"))
    code = ok(lineage(env, work, "code", "squares"))
    assert "lineage" not in code and "import sys" in code
    module, value = run_export(env, work, "squares")
    assert value == [0, 1, 4]
    assert 'SESSION_ARGV = ["analysis.py", "3"]' in module
    assert "sys.argv = list(SESSION_ARGV)" in module
    for target in ("airflow", "ray"):  # rendered only (their files compile): not run here
        out = tmp_path / f"out-{target}"
        ok(lineage(env, work, "export", "squares", "--to", target, "-o", str(out)))
        assert 'SESSION_ARGV = ["analysis.py", "3"]' in (out / "squares_module.py").read_text()
    assert "import lineage" not in module and "lineage." not in module


ARGPARSE = """\
import argparse
import lineage as lg

parser = argparse.ArgumentParser()
parser.add_argument("--scale", type=float, default=1.0)
args = parser.parse_args()
values = [v * args.scale for v in (1, 2, 3)]
lg.save(values, "scaled")
total = sum(values)
lg.save(total, "total")
"""


def test_argparse_arguments(env: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "work"
    write(work, "prog.py", ARGPARSE)
    ok(lineage(env, work, "run", "prog.py", "--scale", "2.5"))
    for name in ("scaled", "total"):
        ok(lineage(env, work, "verify", name))
        assert "lg." not in ok(lineage(env, work, "code", name))
    module, value = run_export(env, work, "total")
    assert value == 15.0
    assert "lg.save" not in module


MAIN = """\
import sys
import lineage


def train(n):
    return {"weights": list(range(n))}


def main():
    model = train(int(sys.argv[1]))
    lineage.save(model, "model")
    model["weights"].clear()


if __name__ == "__main__":
    main()
"""


def test_save_inside_main_under_run(env: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "work"
    write(work, "train.py", MAIN)
    ok(lineage(env, work, "run", "train.py", "4"))
    ok(lineage(env, work, "verify", "model"))
    code = ok(lineage(env, work, "code", "model"))
    assert "lineage" not in code and "__main__" not in code
    _, value = run_export(env, work, "model")
    assert value == {"weights": [0, 1, 2, 3]}


LOOP = """\
import json, lineage

results = {"a": [1, 2], "b": [3]}
for k, v in results.items():
    v.append(len(v))
    lineage.save(v, f"res_{k}")
    v.append(-1)
"""


def test_loop_saves_under_run_and_export(env: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "work"
    write(work, "loop.py", LOOP)
    ok(lineage(env, work, "run", "loop.py"))
    for name in ("res_a", "res_b"):
        ok(lineage(env, work, "verify", name))
    _, value = run_export(env, work, "res_b")
    assert value == [3, 1]


def test_no_arguments_recorded_when_the_slice_does_not_read_them(
    env: dict[str, str], tmp_path: Path
) -> None:
    work = tmp_path / "work"
    write(work, "plain.py", "import lineage\nxs = [1, 2]\nlineage.save(xs, 'xs')\n")
    ok(lineage(env, work, "run", "plain.py", "ignored"))
    ok(lineage(env, work, "verify", "xs"))
    module, value = run_export(env, work, "xs")
    assert value == [1, 2]
    assert "SESSION_ARGV" not in module


SHARED = """\
import lineage


def make(n):
    out = list(range(n))
    lineage.save(out, "made")
    out.append(-1)
    return out


xs = make(3)
ys = [v * 2 for v in xs]
lineage.save(ys, "ys")
base = lineage.get("made").get_value()
fin = base + ys
lineage.save(fin, "fin")
"""


def test_export_function_saved_and_shared(env: dict[str, str], tmp_path: Path) -> None:
    """One function holds a save: the artifact it saved and the ones its result feeds export
    together, in either order, and a value read back is recomputed."""
    work = tmp_path / "work"
    write(work, "shared.py", SHARED)
    ok(lineage(env, work, "run", "shared.py"))
    for name in ("made", "ys", "fin"):
        ok(lineage(env, work, "verify", name))
    module, value = run_export(env, work, "fin", "ys", "made")
    assert value == [0, 1, 2, 0, 2, 4, -2]
    assert "_rebuild_made" in module and "lineage." not in module
    out = work.parent / "out-fin"
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
        cwd=out,
        env={**env, "LINEAGE_DATA_DIR": str(work.parent / "data-fin")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_export_refuses_two_saves_of_one_changing_loop(env: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "work"
    write(work, "loop.py", LOOP)
    ok(lineage(env, work, "run", "loop.py"))
    proc = lineage(env, work, "export", "res_a", "res_b", "--to", "script", "-o", "out")
    assert proc.returncode != 0
    assert "export them separately" in proc.stderr + proc.stdout
