"""Run a notebook through a real Jupyter kernel, the way a data scientist's Jupyter would.

Shared by ``examples/demo.py`` and ``tests/test_notebooks.py`` so that both execute notebooks
the same way. The kernel runs on this interpreter (``sys.executable``), whatever ``python3``
kernelspec happens to be installed, and inherits this process's environment (so
``LINEAGE_HOME`` and ``LINEAGE_DEV_MODE`` reach it).
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

KERNEL_NAME = "python3"


def _write_kernelspec(kernels_dir: Path) -> None:
    spec_dir = kernels_dir / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (lineage)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))


def execute_notebook(
    path: str | Path,
    workdir: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout: int = 300,
) -> nbformat.NotebookNode:
    """Execute every cell of the notebook at ``path`` in a fresh kernel started in ``workdir``.

    Stops at the first cell that raises, unless that cell is tagged ``raises-exception``
    (nbclient's convention for cells that are meant to fail). ``env`` adds to the environment
    the kernel inherits. Returns the executed notebook, outputs included.
    """
    nb = nbformat.read(str(path), as_version=4)
    with tempfile.TemporaryDirectory(prefix="lineage-kernelspec-") as specs:
        kernels_dir = Path(specs, "kernels")
        _write_kernelspec(kernels_dir)
        km = KernelManager(
            kernel_name=KERNEL_NAME,
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels_dir)]),
            # local sockets, private to this folder, rather than unencrypted TCP on localhost
            transport="ipc",
            ip=str(Path(specs, "kernel")),
        )
        client = NotebookClient(
            nb,
            km=km,
            kernel_name=KERNEL_NAME,
            timeout=timeout,
            allow_errors=False,
            resources={"metadata": {"path": str(workdir)}},
        )
        try:
            client.execute(env={**os.environ, **(env or {})})
        except CellExecutionError as exc:
            # the kernel's traceback is coloured for a terminal; keep it readable in logs
            raise NotebookError(f"{Path(path).name}: {_ANSI.sub('', str(exc))}") from None
        finally:
            # nbclient leaves a kernel manager it was given running: stop the kernel here
            if km.has_kernel:
                km.shutdown_kernel(now=False)
    return nb


class NotebookError(RuntimeError):
    """A cell not tagged ``raises-exception`` raised; the message holds cell and traceback."""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def statement_count(code: str) -> int:
    """Top-level statements in a flat script (a slice)."""
    return len(ast.parse(code).body)


def session_statement_count(session_code: str) -> int:
    """Rough count of the top-level statements a captured session ran: cells are split on
    their ``# In[n]:`` headers, magic (``%``) and shell (``!``) lines are left out, and a cell
    that does not parse counts for nothing."""
    total = 0
    for cell in _CELL_HEADER.split(session_code):
        lines = [line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!"))]
        try:
            total += len(ast.parse("\n".join(lines)).body)
        except SyntaxError:
            continue
    return total


_CELL_HEADER = re.compile(r"^# In\[[^\]]*\]:$", re.MULTILINE)
