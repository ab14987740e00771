"""Re-run an artifact's slice in a fresh process and compare with the stored value.

The run ends in one of the :class:`Outcome` members, each with its own exit status of
``lineage verify``: the value was rebuilt equal or different, the slice raised, the stored
value cannot be loaded to compare with, or the run took longer than the timeout.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage.api import get
from lineage.errors import CorruptStoreError, LineageError

# Runs in the child: exec the slice in a fresh namespace, then compare with the stored value.
# The verdict goes to a JSON file, so whatever the slice prints or exits with cannot be taken
# for one; a run that leaves no verdict ended the process itself.
_CHILD = """
import json, linecache, pickle, sys, traceback
code_path, value_path, target, argv, verdict_path = sys.argv[1:6]

def verdict(outcome, detail="", **extra):
    with open(verdict_path, "w") as f:
        json.dump({"outcome": outcome, "detail": detail, **extra}, f)
    sys.exit(0)

def error(exc):  # the traceback from the slice's own frames, with its lines shown
    tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
    return "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()

source = open(code_path).read()
linecache.cache["<lineage slice>"] = (len(source), None, source.splitlines(True), "<lineage slice>")
# the command-line arguments the session ran with, when the slice reads them
sys.argv = json.loads(argv) if argv else [code_path]
namespace = {"__name__": "__main__"}
try:
    exec(compile(source, "<lineage slice>", "exec"), namespace)
except BaseException as exc:
    missing = exc.filename if isinstance(exc, FileNotFoundError) else None
    verdict("raised", error(exc), missing=str(missing) if missing is not None else None)
if target not in namespace:
    verdict("raised", f"the slice ran but did not define {target!r}")
try:
    with open(value_path, "rb") as f:
        stored = pickle.load(f)
except BaseException as exc:
    verdict("unloadable", error(exc))
from lineage.compare import values_equal
try:
    equal = values_equal(namespace[target], stored)
except Exception as exc:
    verdict("different", "comparing the values raised:\\n" + error(exc))
verdict("equal" if equal else "different")
"""


class Outcome(enum.Enum):
    """What a verify run found. The value is the exit status of ``lineage verify`` (2 is left
    to errors before any run: an unknown artifact, a wrong option, an unusable store)."""

    EQUAL = 0  # the slice rebuilt a value equal to the stored one
    DIFFERENT = 1  # the slice ran but rebuilt a different value
    RAISED = 3  # the slice raised (or ended the process) before it rebuilt the value
    UNLOADABLE = 4  # the stored value cannot be loaded (or was never stored): nothing to compare
    TIMED_OUT = 5  # the slice ran longer than the timeout and was stopped

    @property
    def exit_code(self) -> int:
        return int(self.value)


_PARSING = threading.Lock()


def copy_inputs(code: str, source: str, target: Path) -> None:
    """Copy into ``target``, at the same relative paths, the files and folders in ``source``
    that ``code`` names by a path, and the modules there it imports (``import helpers``
    with ``helpers.py`` in ``source``)."""
    from lineage.emitters.files import constants, input_files, local_modules

    with _PARSING:  # CPython 3.11's ast.parse is not safe in threads run side by side
        names = set(input_files(source, constants(code)).values()) | local_modules(code, source)
    for name in sorted(names):
        origin, copy = Path(source, name), target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, copy, dirs_exist_ok=True)
        elif not copy.exists():
            shutil.copyfile(origin, copy)


@dataclass(frozen=True)
class VerifyResult:
    name: str
    version: int
    outcome: Outcome
    detail: str

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.EQUAL


def verify(
    name: str,
    version: int | None = None,
    cwd: str | Path | None = None,
    timeout: float | None = None,
) -> VerifyResult:
    """Run ``name``'s code alone in a new interpreter and check it rebuilds a value equal to
    the stored one; a run longer than ``timeout`` seconds is stopped (:attr:`Outcome.TIMED_OUT`).
    It runs in an empty temporary folder, never in the session's: the files the code names that
    exist in ``cwd`` (by default the folder the session ran in) are copied there first, so what
    it writes never lands in the author's folder."""
    if cwd is not None and not Path(cwd).is_dir():
        raise LineageError(
            f"--cwd {cwd}: no such folder (give the folder that holds the code's input files)"
        )
    if timeout is not None and not timeout > 0:
        raise LineageError(f"the timeout is a number of seconds above 0, not {timeout!r}")
    artifact = get(name, version)
    record = artifact.record

    def result(outcome: Outcome, detail: str) -> VerifyResult:
        return VerifyResult(name=name, version=record.version, outcome=outcome, detail=detail)

    if record.value_path is None:
        return result(
            Outcome.UNLOADABLE,
            "the value was not stored (it could not be pickled when saved): nothing to compare "
            "with; `lineage code` still shows the code that rebuilds it",
        )
    inputs = str(cwd or record.meta.get("cwd") or ".")
    argv = json.dumps(record.meta["argv"]) if "argv" in record.meta else ""
    with tempfile.TemporaryDirectory(prefix="lineage-verify-") as tmp:
        code_path = Path(tmp, "slice.py")
        code_path.write_text(record.code)
        verdict_path = Path(tmp, "verdict.json")
        value_path = Path(tmp, "stored.pkl")  # the stored value, read here from any store
        with contextlib.suppress(CorruptStoreError):  # unreadable: the child says what it finds
            value_path.write_bytes(artifact.store.value_bytes(record))
        command = [
            sys.executable,
            "-c",
            _CHILD,
            str(code_path),
            str(value_path),
            artifact.target,
            argv,
            str(verdict_path),
        ]
        run_dir = Path(tmp, "run")
        run_dir.mkdir()
        copy_inputs(record.code, inputs, run_dir)
        status, stderr = _run(command, run_dir, timeout)
        if status is None:
            return result(Outcome.TIMED_OUT, f"the slice was stopped after {timeout:g} s")
        if not verdict_path.exists():
            detail = f"the slice ended the process (exit status {status}) before it finished"
            return result(Outcome.RAISED, _with_stderr(detail, stderr))
        found = json.loads(verdict_path.read_text())
    return result(*_verdict(found, name, Path(inputs)))


def _run(command: list[str], cwd: Path, timeout: float | None) -> tuple[int | None, str]:
    """Run ``command`` in its own process group; (exit status, stderr), or (None, stderr) when
    it timed out, after stopping it and whatever it started."""
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        try:
            _, stderr = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # something that left the group holds the pipe
            proc.wait()
            stderr = ""
        return None, stderr
    except BaseException:  # Ctrl-C: do not leave the slice running
        _kill(proc)
        raise
    return proc.returncode, stderr


def _kill(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(OSError):
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()


def _with_stderr(detail: str, stderr: str) -> str:
    tail = "\n".join(stderr.strip().splitlines()[-20:])
    return f"{detail}; its last output:\n{tail}" if tail else detail


def _verdict(found: dict[str, Any], name: str, inputs: Path) -> tuple[Outcome, str]:
    """The outcome the child wrote, and what to tell the user about it."""
    outcome = Outcome[str(found["outcome"]).upper()]
    detail = str(found["detail"])
    if outcome is Outcome.EQUAL:
        return outcome, "rebuilt an equal value"
    if outcome is Outcome.DIFFERENT:
        more = f": {detail}" if detail else ""
        return outcome, "the slice ran but rebuilt a different value" + more
    if outcome is Outcome.UNLOADABLE:
        return outcome, "the stored value cannot be loaded here:\n" + detail
    if found.get("missing"):
        detail += (
            f"\nhint: {found['missing']} is not in {inputs.resolve()}, where the slice's input "
            f"files are taken from: name the folder that holds them with "
            f"`lineage verify {name} --cwd DIR`"
        )
    return outcome, "the slice raised:\n" + detail
