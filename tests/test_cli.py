"""The ``lineage`` command as a user runs it: real subprocesses of ``python -m lineage`` on
artifacts saved by ``lineage run`` (issue 11, items 10 and 11).

``lineage verify`` tells its outcomes apart by exit status (documented in its ``--help``);
``lineage delete`` and ``lineage --version`` work; every error is one ``lineage: ...`` line
with exit status 2, never a traceback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import lineage
from lineage.verify import Outcome, verify

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), out.get("PYTHONPATH")]))
    out["LINEAGE_HOME"] = str(tmp_path / "home")
    out["LINEAGE_DEV_MODE"] = "1"
    return out


def lineage_cmd(
    env: dict[str, str], cwd: Path, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def save_with_script(env: dict[str, str], work: Path, source: str) -> None:
    """Save artifacts the way a user does from a script: ``lineage run``."""
    work.mkdir(exist_ok=True)
    (work / "session.py").write_text("import lineage\n" + source)
    proc = lineage_cmd(env, work, "run", "session.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- lineage verify: one exit status per outcome ----------------------------------------------


def _garble_value(home: Path) -> None:
    (value,) = (home / "values").iterdir()
    value.write_bytes(b"not a pickle")


def _remove_value(home: Path) -> None:
    (value,) = (home / "values").iterdir()
    value.unlink()


@dataclass(frozen=True)
class VerifyCase:
    id: str
    session: str  # saves the artifact "art"
    outcome: Outcome
    says: tuple[str, ...]  # in the output of `lineage verify`
    in_empty_folder: bool = False  # verify with --cwd pointing at an empty folder
    options: tuple[str, ...] = ()
    verify_env: dict[str, str] = field(default_factory=dict)
    damage: str = ""  # a function of this module applied to the home after saving
    inputs: dict[str, str] = field(default_factory=dict)  # files in the session's folder


VERIFY_CASES = [
    VerifyCase(
        id="equal",
        session="base = 3\nart = [base * i for i in range(4)]\nlineage.save(art, 'art')\n",
        outcome=Outcome.EQUAL,
        says=("art v1: ok: rebuilt an equal value",),
    ),
    VerifyCase(
        id="different",
        session="import uuid\nart = uuid.uuid4().hex\nlineage.save(art, 'art')\n",
        outcome=Outcome.DIFFERENT,
        says=("FAILED (different)", "rebuilt a different value"),
    ),
    VerifyCase(
        id="raised",
        session="import os\nart = os.environ['LINEAGE_TEST_ONLY_IN_SESSION'] * 2\n"
        "lineage.save(art, 'art')\n",
        outcome=Outcome.RAISED,
        says=(
            "FAILED (raised)",
            "Traceback (most recent call last)",
            "KeyError: 'LINEAGE_TEST_ONLY_IN_SESSION'",
            # the failing line of the slice is shown, the verify harness is not
            "art = os.environ['LINEAGE_TEST_ONLY_IN_SESSION'] * 2",
        ),
    ),
    VerifyCase(
        id="raised-missing-file-hints-cwd",
        session="art = open('numbers.txt').read().split()\nlineage.save(art, 'art')\n",
        inputs={"numbers.txt": "1 2 3"},
        outcome=Outcome.RAISED,
        says=(
            "FileNotFoundError",
            "hint: numbers.txt is not in",
            "`lineage verify art --cwd DIR`",
        ),
        in_empty_folder=True,
    ),
    VerifyCase(
        id="ended-the-process",  # whatever status it exits with, it is not taken for a verdict
        session="import os\nart = [1] if os.environ.get('LINEAGE_TEST_EXIT') is None "
        "else os._exit(1)\nlineage.save(art, 'art')\n",
        outcome=Outcome.RAISED,
        says=("FAILED (raised)", "ended the process (exit status 1)"),
        verify_env={"LINEAGE_TEST_EXIT": "1"},
    ),
    VerifyCase(
        id="unloadable-garbage",
        session="art = {'a': 1}\nlineage.save(art, 'art')\n",
        outcome=Outcome.UNLOADABLE,
        says=("FAILED (unloadable)", "the stored value cannot be loaded here", "Unpickling"),
        damage="_garble_value",
    ),
    VerifyCase(
        id="unloadable-missing",
        session="art = {'a': 1}\nlineage.save(art, 'art')\n",
        outcome=Outcome.UNLOADABLE,
        says=("FAILED (unloadable)", "FileNotFoundError"),
        damage="_remove_value",
    ),
    VerifyCase(
        id="not-stored",
        session="art = (i for i in range(3))\nlineage.save(art, 'art')\n",
        outcome=Outcome.UNLOADABLE,
        says=("FAILED (unloadable)", "the value was not stored"),
    ),
    VerifyCase(
        id="timed-out",
        session="import os\nn = int(os.environ.get('LINEAGE_TEST_N', '10'))\n"
        "art = sum(range(n))\nlineage.save(art, 'art')\n",
        outcome=Outcome.TIMED_OUT,
        says=("FAILED (timed out)", "stopped after 1 s"),
        options=("--timeout", "1"),
        verify_env={"LINEAGE_TEST_N": str(10**14)},
    ),
]


@pytest.mark.parametrize("case", VERIFY_CASES, ids=[c.id for c in VERIFY_CASES])
def test_verify_outcomes(case: VerifyCase, env: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "work"
    session_env = {**env, "LINEAGE_TEST_ONLY_IN_SESSION": "x"}
    work.mkdir()
    for name, text in case.inputs.items():
        (work / name).write_text(text)
    save_with_script(session_env, work, case.session)
    if case.damage:
        globals()[case.damage](Path(env["LINEAGE_HOME"]))
    options = list(case.options)
    if case.in_empty_folder:
        (tmp_path / "empty").mkdir()
        options += ["--cwd", str(tmp_path / "empty")]
    started = time.monotonic()
    proc = lineage_cmd({**env, **case.verify_env}, work, "verify", "art", *options)
    took = time.monotonic() - started
    output = proc.stdout + proc.stderr
    assert proc.returncode == case.outcome.exit_code, output
    for text in case.says:
        assert text in output, output
    assert 'File "<string>"' not in output  # the harness's own frame is not shown
    if case.outcome is Outcome.TIMED_OUT:
        assert took < 30, took


def test_verify_result_in_python(shell, tmp_path: Path) -> None:
    """The Python API returns the same outcome, with ``ok`` and ``detail``."""
    shell.run_cell("import lineage\nimport uuid\nu = uuid.uuid4().hex\nlineage.save(u, 'u')")
    shell.run_cell("v = [1, 2]\nlineage.save(v, 'v')")
    different, equal = verify("u", cwd=tmp_path), verify("v", cwd=tmp_path)
    assert (different.outcome, different.ok) == (Outcome.DIFFERENT, False)
    assert "different value" in different.detail
    assert (equal.outcome, equal.ok, equal.detail) == (
        Outcome.EQUAL,
        True,
        "rebuilt an equal value",
    )


def test_verify_help_documents_every_exit_status(env: dict[str, str], tmp_path: Path) -> None:
    proc = lineage_cmd(env, tmp_path, "verify", "--help")
    assert proc.returncode == 0
    for outcome in Outcome:
        assert f"\n  {outcome.exit_code}  " in proc.stdout, proc.stdout
    assert "\n  2  error" in proc.stdout
    assert "--timeout SECONDS" in proc.stdout
    codes = [o.exit_code for o in Outcome]
    assert len(set(codes)) == len(codes) and 2 not in codes


# -- lineage delete, --version, errors -------------------------------------------------------


@dataclass(frozen=True)
class CommandCase:
    id: str
    args: tuple[str, ...]
    status: int
    says: str
    left: tuple[tuple[str, int], ...]  # (name, version) still stored afterwards


SAVED = (("a", 1), ("a", 2), ("b", 1))
COMMAND_CASES = [
    CommandCase(
        id="delete-all-versions",
        args=("delete", "a"),
        status=0,
        says="deleted every version of 'a' (2 versions)",
        left=(("b", 1),),
    ),
    CommandCase(
        id="delete-one-version",
        args=("delete", "a", "--version", "1"),
        status=0,
        says="deleted version 1 of 'a' (1 version)",
        left=(("a", 2), ("b", 1)),
    ),
    CommandCase(
        id="delete-unknown-name",
        args=("delete", "aa"),
        status=2,
        says="lineage: no artifact named 'aa'; did you mean 'a'? (`lineage list` shows all)",
        left=SAVED,
    ),
    CommandCase(
        id="delete-unknown-version",
        args=("delete", "a", "--version", "7"),
        status=2,
        says="lineage: artifact 'a' has no version 7 (versions: 1, 2)",
        left=SAVED,
    ),
    CommandCase(
        id="version",
        args=("--version",),
        status=0,
        says=f"lineage {lineage.__version__}",
        left=SAVED,
    ),
    CommandCase(
        id="verify-missing-cwd",
        args=("verify", "a", "--cwd", "no-such-folder"),
        status=2,
        says="lineage: --cwd no-such-folder: no such folder",
        left=SAVED,
    ),
    CommandCase(
        id="verify-zero-timeout",
        args=("verify", "a", "--timeout", "0"),
        status=2,
        says="lineage: the timeout is a number of seconds above 0",
        left=SAVED,
    ),
    CommandCase(
        id="show-version-zero",
        args=("show", "a", "--version", "0"),
        status=2,
        says="lineage: an artifact version is a whole number from 1",
        left=SAVED,
    ),
    CommandCase(
        id="delete-invalid-name",
        args=("delete", "a/b"),
        status=2,
        says="lineage: artifact names cannot contain '/'",
        left=SAVED,
    ),
    CommandCase(
        id="verify-unknown",
        args=("verify", "c"),
        status=2,
        says="lineage: no artifact named 'c'",
        left=SAVED,
    ),
]


@pytest.mark.parametrize("case", COMMAND_CASES, ids=[c.id for c in COMMAND_CASES])
def test_commands(case: CommandCase, env: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "work"
    save_with_script(
        env,
        work,
        "a = 1\nlineage.save(a, 'a')\na = 2\nlineage.save(a, 'a')\nb = 3\nlineage.save(b, 'b')\n",
    )
    proc = lineage_cmd(env, work, *case.args)
    assert proc.returncode == case.status, proc.stdout + proc.stderr
    assert case.says in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    listing = lineage_cmd(env, work, "list").stdout.splitlines()[1:]
    left = sorted((line.split()[0], int(line.split()[1])) for line in listing)
    assert left == sorted(case.left)


def test_version_is_the_distributions() -> None:
    """``lineage --version`` prints ``lineage.__version__``, which is pyproject.toml's."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    (declared,) = re.findall(r'(?m)^version = "([^"]+)"$', pyproject)
    assert lineage.__version__ == declared


def _running_with_argument(argument: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and argument.encode() in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_timeout_stops_what_the_slice_started(env: dict[str, str], tmp_path: Path) -> None:
    marker = f"{os.getpid()}.{time.time_ns() % 1000}7"  # a unique `sleep` duration
    work = tmp_path / "work"
    save_with_script(
        env,
        work,
        "import os, subprocess\nn = int(os.environ.get('LINEAGE_TEST_N', '10'))\n"
        "sleeper = subprocess.Popen(['sleep', os.environ.get('LINEAGE_TEST_SLEEP', '0')])\n"
        "art = (sleeper.args, sum(range(n)))\nlineage.save(art, 'art')\n",
    )
    slow = {**env, "LINEAGE_TEST_N": str(10**14), "LINEAGE_TEST_SLEEP": marker}
    proc = lineage_cmd(slow, work, "verify", "art", "--timeout", "2")
    assert proc.returncode == Outcome.TIMED_OUT.exit_code, proc.stdout + proc.stderr
    deadline = time.monotonic() + 10
    while _running_with_argument(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _running_with_argument(marker)
    for pid in left:  # the test's own sleeper, known by its unique argument
        os.kill(pid, signal.SIGKILL)
    assert left == []
