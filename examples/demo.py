"""`make demo`: run an example notebook through a real Jupyter kernel, show what lineage
recorded, then turn it into pipelines and run them.

1. For each artifact the notebook saved: the minimal code that rebuilds it, how much of the
   session that is, and whether that code, run alone in a fresh interpreter, rebuilds the
   saved value.
2. ``lineage.export`` of all of them as one pipeline, to each target (script, Airflow,
   Dagster, Kubeflow, Prefect, Ray).
3. The script (``python P.py``), the Airflow DAG (``airflow dags test P``, against a
   throwaway ``AIRFLOW_HOME`` with a SQLite metadata DB), the Dagster assets (``dagster
   asset materialize``, against a throwaway ``DAGSTER_HOME``), the Kubeflow pipeline
   (``python P_kfp.py`` compiles it, ``--run-local`` runs it with kfp.local) and the Prefect
   flow (``python P_flow.py``, against a throwaway ``PREFECT_HOME``) run; the Ray driver too
   when asked.
4. Each artifact a run rebuilt (``$LINEAGE_DATA_DIR/<artifact>.pkl``) is compared with the
   saved value.

    python examples/demo.py [NOTEBOOK] [--ray]   # default: examples/notebooks/iris_model.ipynb

``--ray`` (or ``LINEAGE_DEMO_RAY=1``) also runs the Ray driver on a local Ray; it is off by
default because Ray is slow to start. The store is ``$LINEAGE_HOME`` when set, else
``.lineage-demo/`` at the top of the repository; the pipelines and the logs of their runs go
to ``.lineage-demo/pipelines/P/``, rewritten on each run. The notebook runs in a temporary
folder, so the files it writes leave no trace. Exits with status 1 when any step fails.
"""

from __future__ import annotations

import argparse
import ast
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_NOTEBOOK = HERE / "notebooks" / "iris_model.ipynb"
DEFAULT_HOME = REPO / ".lineage-demo"
PIPELINES = DEFAULT_HOME / "pipelines"  # wherever the store is
PIPELINE_NAMES = {"iris_model": "iris"}  # notebook -> pipeline name; default: the notebook's
TARGETS = ("script", "airflow", "dagster", "kubeflow", "prefect", "ray")
RAY_ENV = "LINEAGE_DEMO_RAY"
BIN = Path(sys.executable).parent
TIMEOUT = 600  # seconds, per command

sys.path.insert(0, str(HERE))  # notebook_runner, shared with tests/test_notebooks.py

import notebook_runner  # noqa: E402

import lineage  # noqa: E402
from lineage.compare import values_equal  # noqa: E402
from lineage.emitters import emitter  # noqa: E402
from lineage.emitters.naming import identifier  # noqa: E402
from lineage.export import MissingExtraWarning  # noqa: E402
from lineage.verify import verify  # noqa: E402

WIDTH = 78


def heading(text: str) -> None:
    print(f"\n{text}\n{'─' * min(len(text), WIDTH)}")


def shown(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it (shorter to read)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


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


# -- pipelines ------------------------------------------------------------------------------------


@dataclass
class Pipeline:
    """One exported folder: which target, where, and the files to run."""

    target: str
    folder: Path
    module: str  # P, the pipeline's identifier: P.py, P_module.py, P_dag.py, P_dagster.py...

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def entry_point(self) -> str:
        return emitter(self.target).entry_point.format(name=self.module)


def export_all(names: list[str], out: Path, name: str) -> list[Pipeline] | None:
    """Export ``names`` as one pipeline to each target, in ``out/<target>``; print where."""
    heading("export")
    quoted = ", ".join(f'"{n}"' for n in names)
    print(f'lineage.export([{quoted}], to=TARGET, output_dir=..., pipeline_name="{name}")\n')
    pipelines = []
    for target in TARGETS:
        folder = out / target
        shutil.rmtree(folder, ignore_errors=True)  # the demo's own folder: start clean
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MissingExtraWarning)  # Airflow or Ray not installed
            try:
                paths = lineage.export(names, to=target, output_dir=folder, pipeline_name=name)
            except lineage.LineageError as exc:
                print(f"  {target:<8} ✘ {exc}")
                return None
        module = next(p.name for p in paths if p.name.endswith("_module.py"))[: -len("_module.py")]
        pipeline = Pipeline(target, folder, module)
        print(f"  {target:<8} {shown(folder)}/{pipeline.entry_point}")
        for warning in caught:
            print(f"           note: {warning.message}")
        pipelines.append(pipeline)
    show_steps(pipelines[0].folder / f"{pipelines[0].module}_module.py")
    return pipelines


def show_steps(module: Path) -> None:
    """The step functions of the module (the same in every folder), under their comments."""
    text = module.read_text()
    lines = text.splitlines()
    print(f"\n  steps, in {module.name} (the same in each folder):")
    for node in ast.parse(text).body:
        comment = lines[node.lineno - 2] if node.lineno > 1 else ""
        if not isinstance(node, ast.FunctionDef) or not comment.startswith(
            ("# artifact", "# shared")
        ):
            continue
        returned = node.body[-1]
        outputs = (
            ast.unparse(returned.value)
            if isinstance(returned, ast.Return) and returned.value
            else ""
        )
        params = ", ".join(a.arg for a in node.args.args)
        print(f"    {comment}")
        print(f"    {node.name}({params})" + (f" -> {outputs}" if outputs else ""))


def child_env(data: Path, **extra: str) -> dict[str, str]:
    """This environment without Airflow's or Ray's settings, writing artifacts to ``data``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RAY_"))}
    return {**env, "LINEAGE_DATA_DIR": str(data), **extra}


def run_logged(label: str, cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> bool:
    """Run ``cmd``, appending its output to ``log``; print one line: what ran, how it went."""
    started = time.perf_counter()
    with log.open("a") as f:
        f.write(f"$ {' '.join(cmd)}\n")
        f.flush()
        try:
            code = subprocess.run(
                cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT, timeout=TIMEOUT
            ).returncode
        except subprocess.TimeoutExpired:
            code = None
        except OSError as exc:
            f.write(f"{exc}\n")
            code = -1
    took = time.perf_counter() - started
    if code == 0:
        print(f"  {label:<46} ✔ {took:5.1f} s")
        return True
    why = f"timed out after {TIMEOUT} s" if code is None else f"exit status {code}"
    print(f"  {label:<46} ✘ {why}; last lines of {shown(log)}:")
    tail = log.read_text(errors="replace").splitlines()[-15:]
    print(textwrap.indent("\n".join(tail), "      │ ", lambda line: True))
    return False


def run_script(p: Pipeline, logs: Path) -> bool:
    cmd = [sys.executable, p.entry_point]
    label = f"script   python {p.entry_point}"
    return run_logged(label, cmd, p.folder, child_env(p.data), logs / "script.log")


def run_airflow(p: Pipeline, logs: Path) -> bool:
    """``airflow dags test`` against a throwaway Airflow home, as tests/ do."""
    log = logs / "airflow.log"
    airflow = str(BIN / "airflow")
    if not Path(airflow).exists():
        print("  airflow  ✘ Airflow is not installed here: pip install -e '.[dev]'")
        return False
    with tempfile.TemporaryDirectory(prefix="lineage-demo-airflow-") as home:
        env = child_env(
            p.data,
            AIRFLOW_HOME=home,
            AIRFLOW__CORE__DAGS_FOLDER=str(p.folder),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{Path(home, 'airflow.db')}",
        )
        label = "airflow  airflow db migrate  (throwaway home)"
        if not run_logged(label, [airflow, "db", "migrate"], Path(home), env, log):
            return False
        label = f"airflow  airflow dags test {p.module}"
        ok = run_logged(label, [airflow, "dags", "test", p.module], Path(home), env, log)
    tasks = re.findall(r"\[DAG TEST\] end task task_id=(\S+)", log.read_text(errors="replace"))
    if ok and tasks:
        print(f"           tasks run: {', '.join(dict.fromkeys(tasks))}")
    return ok


def run_dagster(p: Pipeline, logs: Path) -> bool:
    """``dagster asset materialize`` of every asset, against a throwaway Dagster home."""
    dagster = str(BIN / "dagster")
    if not Path(dagster).exists():
        print("  dagster  ✘ Dagster is not installed here: pip install -e '.[dev]'")
        return False
    with tempfile.TemporaryDirectory(prefix="lineage-demo-dagster-") as home:
        cmd = [dagster, "asset", "materialize", "-f", p.entry_point, "--select", "*"]
        label = "dagster  dagster asset materialize  (all)"
        env = child_env(p.data, DAGSTER_HOME=home)
        return run_logged(label, cmd, p.folder, env, logs / "dagster.log")


def run_kubeflow(p: Pipeline, logs: Path) -> bool:
    """``python P_kfp.py`` compiles the pipeline spec; ``--run-local`` runs it with kfp.local,
    each component in a subprocess (no Kubernetes)."""
    log, env = logs / "kubeflow.log", child_env(p.data)
    cmd = [sys.executable, p.entry_point]
    if not run_logged(f"kubeflow python {p.entry_point}  (compile)", cmd, p.folder, env, log):
        return False
    label = f"kubeflow python {p.entry_point} --run-local"
    ok = run_logged(label, [*cmd, "--run-local"], p.folder, env, log)
    text = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(errors="replace"))  # KFP's colours
    tasks = re.findall(r"Executing task '([^']+)'", text)
    if ok and tasks:
        print(f"           tasks run: {', '.join(tasks)}")
    return ok
def run_prefect(p: Pipeline, logs: Path) -> bool:
    """``python P_flow.py`` against a throwaway Prefect home: Prefect starts a temporary
    local server for the run (no Cloud, nothing sent)."""
    with tempfile.TemporaryDirectory(prefix="lineage-demo-prefect-") as home:
        env = {k: v for k, v in child_env(p.data).items() if not k.startswith("PREFECT_")}
        env.update(
            PREFECT_HOME=home,
            PREFECT_SERVER_MEMO_STORE_PATH=str(Path(home, "memo_store.toml")),
            PREFECT_RESULTS_LOCAL_STORAGE_PATH=str(Path(home, "storage")),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="240",
        )
        label = f"prefect  python {p.entry_point}  (local server)"
        return run_logged(
            label, [sys.executable, p.entry_point], p.folder, env, logs / "prefect.log"
        )


def run_ray(p: Pipeline, logs: Path) -> bool:
    cmd = [sys.executable, p.entry_point]
    label = f"ray      python {p.entry_point}  (local Ray)"
    env = child_env(p.data, RAY_USAGE_STATS_ENABLED="0")  # no RAY_ADDRESS: a Ray for the run
    return run_logged(label, cmd, p.folder, env, logs / "ray.log")


def check_rebuilt(p: Pipeline, names: list[str]) -> bool:
    """Compare each ``data/<artifact>.pkl`` with the saved value; print OK or FAILED."""
    print(f"  {p.target:<8} {shown(p.data)}/")
    ok = True
    sys.path.insert(0, str(p.folder))  # a class defined in the pipeline unpickles from there
    try:
        for name in names:
            path = p.data / f"{identifier(name, default='artifact')}.pkl"
            try:
                with path.open("rb") as f:
                    rebuilt = pickle.load(f)
            except FileNotFoundError:
                verdict = "✘ FAILED: the run did not write it"
            except Exception as exc:
                verdict = f"✘ FAILED: cannot load it ({type(exc).__name__}: {exc})"
            else:
                same = values_equal(rebuilt, lineage.get(name).get_value())
                verdict = "✔ OK" if same else "✘ FAILED: differs from the saved value"
            ok = ok and verdict.startswith("✔")
            print(f"           {path.name:<28} {verdict}")
    finally:
        sys.path.remove(str(p.folder))
    return ok


def pipelines_demo(names: list[str], name: str, with_ray: bool) -> bool:
    """Export, run, compare. True when every step worked."""
    out = PIPELINES / name
    pipelines = export_all(names, out, name)
    if pipelines is None:
        return False
    logs = out / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)

    heading("run")
    runners = {
        "script": run_script,
        "airflow": run_airflow,
        "dagster": run_dagster,
        "kubeflow": run_kubeflow,
        "prefect": run_prefect,
        "ray": run_ray,
    }
    ran: dict[str, bool] = {}  # target -> its run worked
    for p in pipelines:
        if p.target == "ray" and not with_ray:
            print(f"  ray      skipped (slow to start): add --ray, or set {RAY_ENV}=1")
        else:
            ran[p.target] = runners[p.target](p, logs)
    print(f"  full output: {shown(logs)}/")

    heading("rebuilt artifacts")
    print("$LINEAGE_DATA_DIR/<artifact>.pkl against lineage.get(name).get_value()\n")
    results = []
    for p in pipelines:
        if ran.get(p.target):
            results.append(check_rebuilt(p, names))
        elif p.target in ran:
            print(f"  {p.target:<8} ✘ FAILED: the run failed (see above)")
    return all(ran.values()) and all(results)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", nargs="?", type=Path, default=DEFAULT_NOTEBOOK)
    parser.add_argument(
        "--ray",
        action="store_true",
        default=os.environ.get(RAY_ENV, "") not in ("", "0"),
        help=f"also run the Ray driver on a local Ray (slow to start); or set {RAY_ENV}=1",
    )
    parser.add_argument("--name", help="pipeline name (default: iris for iris_model.ipynb)")
    args = parser.parse_args(argv)
    started = time.perf_counter()

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

    names = list(dict.fromkeys(art.name for art in arts))
    stem = args.notebook.stem
    results.append(pipelines_demo(names, args.name or PIPELINE_NAMES.get(stem, stem), args.ray))

    heading("next")
    print("  lineage list                  every saved artifact, newest first")
    print(f"  lineage show {arts[0].name:<16} metadata and code")
    print(f"  lineage verify {arts[0].name:<14} re-run the code in a fresh process")
    print(f"  (with LINEAGE_HOME={home})")
    print("  docs/export.md                how to run the exported pipelines yourself")
    ok = all(results)
    took = time.perf_counter() - started
    print(f"\n{'all steps worked' if ok else 'some steps FAILED (see above)'} ({took:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
