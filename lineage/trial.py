"""One trial run of an exported pipeline, to learn which modules it really imports.

``requirements.txt`` must hold what a fresh environment needs to run the export, and the
imports a slice writes do not say it all (``load_iris(as_frame=True)`` imports pandas
inside scikit-learn). So, before an export is moved into place, its script runs once in a
fresh interpreter of this environment, in an empty folder with a scratch data location;
the top-level modules loaded meanwhile (beyond those the interpreter starts with) are what
the pipeline needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

TIMEOUT = 600.0  # seconds; LINEAGE_EXPORT_TIMEOUT overrides it

# Runs in the child: run the script as __main__, then list what was imported.
_CHILD = """
import json, runpy, sys, traceback
script, report = sys.argv[1:3]
before = set(sys.modules)
sys.path.insert(0, str(__import__("pathlib").Path(script).parent))
sys.argv = [script]
error = ""
try:
    runpy.run_path(script, run_name="__main__")
except SystemExit as e:
    if e.code not in (None, 0):
        error = f"it exited with status {e.code}"
except BaseException:
    error = traceback.format_exc(limit=-3)
here = str(__import__("pathlib").Path(script).parent)
loaded = set()
for name in set(sys.modules) - before:
    path = getattr(sys.modules.get(name), "__file__", None) or ""
    if path and not path.startswith(here):  # the pipeline's own modules are not requirements
        loaded.add(name.split(".")[0])
loaded = sorted(loaded)
with open(report, "w") as f:
    json.dump({"modules": loaded, "error": error}, f)
"""


@dataclass(frozen=True)
class Trial:
    modules: tuple[str, ...]  # top-level modules imported while the pipeline ran
    error: str  # why the run failed ("" when it ran to the end)


def trial_run(script: Path) -> Trial:
    """Run ``script`` once in a scratch folder and data location; see the module doc."""
    timeout = float(os.environ.get("LINEAGE_EXPORT_TIMEOUT") or TIMEOUT)
    with tempfile.TemporaryDirectory(prefix="lineage-trial-") as tmp:
        report = Path(tmp, "report.json")
        run_dir = Path(tmp, "run")
        run_dir.mkdir()
        env = {**os.environ, "LINEAGE_DATA_DIR": str(Path(tmp, "data"))}
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _CHILD, str(script), str(report)],
                cwd=run_dir,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return Trial(modules=(), error=f"it did not finish within {timeout:g} s")
        if not report.is_file():
            return Trial(modules=(), error=proc.stderr.strip()[-2000:] or "it crashed")
        data = json.loads(report.read_text(encoding="utf-8"))
    return Trial(modules=tuple(data["modules"]), error=str(data["error"]))
