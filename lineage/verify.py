"""Re-run an artifact's slice in a fresh process and compare with the stored value."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from lineage.api import get

# Runs in the child: exec the slice in a fresh namespace, then compare with the stored value.
_CHILD = """
import json, pickle, sys, traceback
code_path, value_path, target, argv = sys.argv[1:5]
# the command-line arguments the session ran with, when the slice reads them
sys.argv = json.loads(argv) if argv else [code_path]
namespace = {"__name__": "__main__"}
try:
    exec(compile(open(code_path).read(), "<lineage slice>", "exec"), namespace)
except BaseException:
    traceback.print_exc()
    sys.exit(2)
if target not in namespace:
    print(f"the slice did not define {target!r}", file=sys.stderr)
    sys.exit(2)
with open(value_path, "rb") as f:
    stored = pickle.load(f)
from lineage.compare import values_equal
sys.exit(0 if values_equal(namespace[target], stored) else 1)
"""


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
    ok: bool
    detail: str


def verify(name: str, version: int | None = None, cwd: str | Path | None = None) -> VerifyResult:
    """Run ``name``'s code alone in a new interpreter and check it rebuilds a value equal to
    the stored one. It runs in an empty temporary folder, never in the session's: the files
    the code names that exist in ``cwd`` (by default the folder the session ran in) are
    copied there first, so what it writes never lands in the author's folder."""
    artifact = get(name, version)
    record = artifact.record
    if record.value_path is None:
        return VerifyResult(name, record.version, False, "the value was not stored (unpicklable)")
    inputs = str(cwd or record.meta.get("cwd") or ".")
    argv = json.dumps(record.meta["argv"]) if "argv" in record.meta else ""
    with tempfile.TemporaryDirectory(prefix="lineage-verify-") as tmp:
        code_path = Path(tmp, "slice.py")
        code_path.write_text(record.code)
        run_dir = Path(tmp, "run")
        run_dir.mkdir()
        copy_inputs(record.code, inputs, run_dir)
        value_path = artifact.store.home / record.value_path
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(code_path), str(value_path), artifact.target, argv],
            cwd=run_dir,
            capture_output=True,
            text=True,
        )
    if proc.returncode == 0:
        return VerifyResult(name, record.version, True, "rebuilt an equal value")
    if proc.returncode == 1:
        return VerifyResult(
            name, record.version, False, "the slice ran but rebuilt a different value"
        )
    return VerifyResult(name, record.version, False, "the slice failed:\n" + proc.stderr.strip())
