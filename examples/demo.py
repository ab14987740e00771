"""`make demo`: run an example notebook through a real Jupyter kernel, then show what lineage
recorded: for each saved artifact, the minimal code that rebuilds it, how much of the session
that is, and whether that code, run alone in a fresh interpreter, rebuilds the saved value.

    python examples/demo.py [NOTEBOOK]      # default: examples/notebooks/iris_model.ipynb

The store is ``$LINEAGE_HOME`` when set, else ``.lineage-demo/`` at the top of the repository.
The notebook runs in a temporary folder, so the files it writes leave no trace.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_NOTEBOOK = HERE / "notebooks" / "iris_model.ipynb"
DEFAULT_HOME = REPO / ".lineage-demo"

sys.path.insert(0, str(HERE))  # notebook_runner, shared with tests/test_notebooks.py

import notebook_runner  # noqa: E402

import lineage  # noqa: E402
from lineage.verify import verify  # noqa: E402

WIDTH = 78


def heading(text: str) -> None:
    print(f"\n{text}\n{'─' * min(len(text), WIDTH)}")


def setup_home() -> Path:
    """Use ``$LINEAGE_HOME`` if set, else ``.lineage-demo/``; the kernel inherits it."""
    home = Path(os.environ.get("LINEAGE_HOME") or DEFAULT_HOME).resolve()
    os.environ["LINEAGE_HOME"] = str(home)
    os.environ.setdefault("LINEAGE_DEV_MODE", "1")
    return home


def run_notebook(notebook: Path, workdir: Path) -> list[lineage.Artifact]:
    """Execute ``notebook`` in ``workdir`` and return the artifact versions it saved."""
    before = {(a.name, a.version) for a in lineage.artifacts()}
    started = time.perf_counter()
    notebook_runner.execute_notebook(notebook, workdir)
    print(f"ran {notebook.name} in a fresh kernel ({time.perf_counter() - started:.1f} s)")
    newest_first = [a for a in lineage.artifacts() if (a.name, a.version) not in before]
    return newest_first[::-1]


def show_artifact(art: lineage.Artifact) -> bool:
    """Print one artifact: its slice, its size against the session, and the verify result."""
    heading(f"{art.name}  (version {art.version}, {art.value_type})")
    print(textwrap.indent(art.code.rstrip(), "    │ ", lambda line: True))
    kept = notebook_runner.statement_count(art.code)
    total = notebook_runner.session_statement_count(art.session_code)
    print(
        f"\n  slice:  {kept} of the {total} statements the session ran "
        f"({kept / total:.0%}); the rest did not contribute"
    )
    with tempfile.TemporaryDirectory(prefix="lineage-verify-") as empty:  # nothing to lean on
        result = verify(art.name, art.version, cwd=empty)
    mark = "✔" if result.ok else "✘"
    print(f"  verify: {mark} {result.detail.splitlines()[0]}")
    if not result.ok:
        print(textwrap.indent("\n".join(result.detail.splitlines()[1:]), "          "))
    return result.ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", nargs="?", type=Path, default=DEFAULT_NOTEBOOK)
    args = parser.parse_args(argv)

    home = setup_home()
    heading("lineage demo")
    print(f"notebook:  {args.notebook}")
    print(f"store:     {home}  (LINEAGE_HOME)")

    with tempfile.TemporaryDirectory(prefix="lineage-demo-") as workdir:
        try:
            arts = run_notebook(args.notebook, Path(workdir))
        except notebook_runner.NotebookError as exc:
            print(f"\nthe notebook stopped on an error:\n{exc}")
            return 1
    if not arts:
        print("the notebook saved nothing (no lineage.save call ran)")
        return 1
    results = [show_artifact(art) for art in arts]

    heading("next")
    print("  lineage list                  every saved artifact, newest first")
    print(f"  lineage show {arts[0].name:<16} metadata and code")
    print(f"  lineage verify {arts[0].name:<14} re-run the code in a fresh process")
    print(f"  (with LINEAGE_HOME={home})")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
