"""The store a team shares (issue 14): store URLs and their errors, ``lineage.configure``,
``lineage info``, ``lineage gc``, schema migration of a store an older lineage wrote, ``lineage
push``, and one store used from two "machines" (processes with their own home and folder).

Every backend is real: SQLite files, PostgreSQL (a throwaway cluster) and moto's S3 server
(tests/servers.py); the per-operation guarantees (versions, crashes, concurrency) are the
cases of tests/test_store.py, which run on each backend too."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import lineage
from lineage.errors import (
    CorruptStoreError,
    PushConflictError,
    StoreConfigError,
    UnpicklableValueWarning,
)
from lineage.store import SCHEMA_VERSION, Store
from tests.servers import Backend, Postgres
from tests.test_store import keys, run_python, save

ROOT = Path(__file__).resolve().parent.parent
V1 = ROOT / "tests" / "stores" / "v1"  # written by lineage's schema 1 (tests/stores/README.md)


def lineage_cmd(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "lineage", *args],
        cwd=cwd,
        env=env | {"PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=300,
    )


# -- URLs: lineage.configure and the environment ------------------------------------------------


@dataclass(frozen=True)
class BadURL:
    id: str
    database_url: str | None
    artifact_url: str | None
    message: str


BAD_URLS = [
    BadURL("not-a-url", "no scheme here", None, "is not a SQLAlchemy URL"),
    BadURL("unknown-dialect", "nosuchdb://host/db", None, "names no database SQLAlchemy knows"),
    BadURL("sqlite-in-memory", "sqlite://", None, "in-memory SQLite database, which forgets"),
    BadURL("sqlite-memory-file", "sqlite:///:memory:", None, "in-memory SQLite"),
    BadURL("driver-missing", "mysql://u@h/db", None, "driver, which is not installed"),
    BadURL("artifacts-empty", None, "  ", "the artifact URL is empty"),
    BadURL("artifacts-bucket-only", None, "s3://", "names no folder"),
    BadURL("artifacts-unknown-protocol", None, "nosuchfs://b/p", "not one fsspec can open"),
]


@pytest.mark.parametrize("case", BAD_URLS, ids=[c.id for c in BAD_URLS])
def test_bad_urls_are_refused_when_set(case: BadURL, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(StoreConfigError, match=case.message):
        lineage.configure(database_url=case.database_url, artifact_url=case.artifact_url)
    assert Store().database_url is None and Store().artifact_url is None  # nothing was set
    # the same URL from the environment fails on first use, with the same message
    if case.database_url is not None:
        monkeypatch.setenv("LINEAGE_DATABASE_URL", case.database_url)
    if case.artifact_url is not None:
        monkeypatch.setenv("LINEAGE_ARTIFACT_URL", case.artifact_url)
    with pytest.raises(StoreConfigError, match=case.message):
        Store().list()


def test_configure_wins_over_the_environment_and_resets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_db, set_db = tmp_path / "env.db", tmp_path / "set.db"
    monkeypatch.setenv("LINEAGE_DATABASE_URL", f"sqlite:///{env_db}")
    lineage.configure(database_url=f"sqlite:///{set_db}", artifact_url=str(tmp_path / "vals"))
    record = save(Store(), "x", [1])
    assert set_db.is_file() and not env_db.exists()
    assert keys(Store()) == [record.value_path]
    assert (tmp_path / "vals" / str(record.value_path)).is_file()
    lineage.configure()  # back to the environment's
    assert Store().list() == []
    assert env_db.is_file()


def test_info_shows_the_store_without_its_password(
    postgres: Postgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres.new_database().replace("lineage@", "lineage:s3cret@")  # trust ignores it
    lineage.configure(database_url=url, artifact_url=str(tmp_path / "vals"))
    save(Store(), "a", 1)
    save(Store(), "a", 2)
    save(Store(), "b", 3)
    info = lineage.info()
    assert (info.artifacts, info.names, info.schema_version) == (3, 2, SCHEMA_VERSION)
    assert "s3cret" not in info.database_url and "***" in info.database_url
    assert info.artifact_url == str(tmp_path / "vals")
    monkeypatch.setenv("LINEAGE_DATABASE_URL", url)
    monkeypatch.setenv("LINEAGE_ARTIFACT_URL", str(tmp_path / "vals"))
    proc = lineage_cmd(dict(os.environ), tmp_path, "info")
    assert proc.returncode == 0, proc.stderr
    assert "s3cret" not in proc.stdout
    assert "artifacts: 3 versions of 2 names" in proc.stdout
    assert f"schema:    version {SCHEMA_VERSION}" in proc.stdout


# -- gc: values no row names --------------------------------------------------------------------


def _orphan(store: Store) -> str:
    """A save killed between writing its value and committing its row: the key it left."""
    before = set(keys(store))
    crasher = """
import os, sys
import lineage.store
lineage.store._now = lambda: os._exit(3)
lineage.store.Store(sys.argv[1]).save("m", "lost", code="", session_code="", session_id="s")
"""
    assert run_python(crasher, str(store.home)).returncode == 3
    (key,) = set(keys(store)) - before
    return key


def test_gc_removes_only_values_no_row_names(backend: Backend) -> None:
    store = Store()
    kept = [save(store, "m", "one"), save(store, "n", "two")]
    orphan = _orphan(store)
    assert [o.key for o in lineage.gc(older_than=0)] == [orphan]  # a dry run by default
    assert keys(store) == sorted([orphan, *(str(r.value_path) for r in kept)])
    assert lineage.gc() == []  # younger than the hour a save may take to commit
    removed = lineage.gc(delete=True, older_than=0)
    assert [o.key for o in removed] == [orphan] and removed[0].size
    assert keys(store) == sorted(str(r.value_path) for r in kept)
    assert [store.load_value(r) for r in kept] == ["one", "two"]
    assert lineage.gc(delete=True, older_than=0) == []


def test_gc_command(backend: Backend, tmp_path: Path) -> None:
    store = Store()
    save(store, "m", "one")
    orphan = _orphan(store)
    env = dict(os.environ)
    dry = lineage_cmd(env, tmp_path, "gc", "--older-than", "0")
    assert dry.returncode == 0, dry.stderr
    assert orphan in dry.stdout and "would remove" in dry.stdout and "1 value object" in dry.stdout
    assert orphan in keys(store)
    done = lineage_cmd(env, tmp_path, "gc", "--older-than", "0", "--delete")
    assert done.returncode == 0 and "removed: 1 value object" in done.stdout
    assert orphan not in keys(store)
    bad = lineage_cmd(env, tmp_path, "gc", "--older-than", "-1")
    assert bad.returncode != 0 and "older_than" in bad.stderr


# -- schema versions ----------------------------------------------------------------------------


def test_a_store_written_by_schema_1_is_migrated_in_place(tmp_path: Path) -> None:
    home = Path(os.environ["LINEAGE_HOME"])  # lineage.export below uses the default store
    shutil.copytree(V1, home, dirs_exist_ok=True)
    before = (home / "lineage.db").read_bytes()
    store = Store(home)
    assert [(r.name, r.version) for r in store.list()] == [("kept", 2), ("summary", 1), ("kept", 1)]
    assert store.load_value(store.get("kept", 1)) == [3, 4, 5, 9, 6]
    assert store.load_value(store.get("kept")) == [3, 4, 5, 9, 6, 7]
    assert store.load_value(store.get("summary")) == {"n": 5, "total": 27}
    assert "kept.append(7)" in store.get("kept").code
    assert store.info().schema_version == SCHEMA_VERSION
    with sqlite3.connect(home / "lineage.db") as conn:
        marker = dict(conn.execute("SELECT key, value FROM meta"))
        paths = [p for (p,) in conn.execute("SELECT value_path FROM artifacts")]
    conn.close()
    assert marker == {"app": "lineage", "schema_version": str(SCHEMA_VERSION)}
    assert all(p and "/" not in p for p in paths)  # keys under the artifact URL now
    backup = home / "lineage.db.schema-1.bak"
    assert backup.is_file()  # the store as it was, readable by the old lineage
    with sqlite3.connect(backup) as conn:
        assert dict(conn.execute("SELECT key, value FROM meta"))["schema_version"] == "1"
    conn.close()
    assert before  # the original bytes were a real store
    # the migrated artifacts work end to end: a new version, and an export that runs
    assert save(store, "kept", [0]).version == 3
    out = tmp_path / "out"
    lineage.export("summary", output_dir=out)
    proc = subprocess.run(
        [sys.executable, "summary.py"],
        cwd=out,
        env=os.environ | {"LINEAGE_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    import pickle

    assert pickle.loads((tmp_path / "data" / "summary.pkl").read_bytes()) == {"n": 5, "total": 27}


def test_concurrent_first_uses_migrate_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(V1, home)
    opener = """
import sys
from lineage.store import Store
store = Store(sys.argv[1])
print(len(store.list()), store.save("x", 1, code="", session_code="", session_id="s").version)
"""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", opener, str(home)],
            env=os.environ | {"PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e for _, e in outs]
    assert sorted(int(o.split()[1]) for o, _ in outs) == [1, 2, 3, 4]
    assert len(Store(home).list()) == 7
    assert len(list(home.glob("lineage.db.schema-1*.bak"))) == 1


def test_a_server_store_written_by_a_newer_lineage_is_refused(
    postgres: Postgres, tmp_path: Path
) -> None:
    url = postgres.new_database()
    store = Store(database_url=url, artifact_url=str(tmp_path / "vals"))
    save(store, "x", 1)
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    for call in (store.list, lambda: save(store, "x", 2)):  # the open store sees it too
        with pytest.raises(CorruptStoreError, match=r"newer lineage \(schema 99"):
            call()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM artifacts").fetchone() == (1,)


# -- push: a local store into a shared one -----------------------------------------------------


def test_push_copies_everything_once_and_refuses_conflicts(
    postgres: Postgres, s3: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.servers import S3

    assert isinstance(s3, S3)
    for key, value in s3.env.items():
        monkeypatch.setenv(key, value)
    local = Store()  # the default store under $LINEAGE_HOME, which lineage.push pushes
    records = [save(local, "m", "one"), save(local, "m", "two"), save(local, "n", [3])]
    with pytest.warns(UnpicklableValueWarning):
        local.save("code-only", (x for x in ()), code="g", session_code="", session_id="s")
    team_urls = {"database_url": postgres.new_database(), "artifact_url": s3.new_url()}
    team = Store(**team_urls)
    result = lineage.push(**team_urls)
    assert sorted(result.copied) == [("code-only", 1), ("m", 1), ("m", 2), ("n", 1)]
    pushed = {(r.name, r.version): r for r in team.list()}
    for r in records:
        copy = pushed[r.name, r.version]
        assert (copy.created_at, copy.code, copy.meta) == (r.created_at, r.code, r.meta)
        assert team.load_value(copy) == local.load_value(r)
    assert pushed["code-only", 1].value_path is None
    assert len(keys(team)) == 3
    again = lineage.push(**team_urls)  # safe to repeat
    assert again.copied == () and len(again.present) == 4
    assert len(keys(team)) == 3
    save(local, "n", [4])  # a new local version goes up; one saved in the team store conflicts
    save(team, "m", "theirs")
    save(local, "m", "mine")
    with pytest.raises(PushConflictError, match="'m' version 3 with other content"):
        lineage.push(**team_urls)
    assert len(team.list()) == 5 and len(keys(team)) == 4  # nothing was copied
    with pytest.raises(StoreConfigError, match="into itself"):
        lineage.push(database_url=f"sqlite:///{local.db_path}", artifact_url=str(tmp_path / "x"))


# -- one store, two machines --------------------------------------------------------------------

SESSION = """\
import lineage
THRESHOLD = 3
with open("readings.csv") as f:
    readings = [int(line) for line in f if line.strip()]
high = [r for r in readings if r > THRESHOLD]
lineage.save(high, "high")
report = {"count": len(high), "max": max(high)}
lineage.save(report, "report")
"""


@pytest.mark.parametrize("backend", ["postgres+s3", "postgres+local"], indirect=True)
def test_an_artifact_saved_on_one_machine_is_used_on_another(
    backend: Backend, tmp_path: Path
) -> None:
    """The default store is one person's (each machine has its own home): this is about the
    shared ones."""
    machine_a, machine_b = tmp_path / "a", tmp_path / "b"
    work_a, work_b = machine_a / "work", machine_b / "work"
    work_a.mkdir(parents=True)
    work_b.mkdir(parents=True)
    (work_a / "readings.csv").write_text("1\n5\n7\n2\n9\n")
    (work_a / "session.py").write_text(SESSION)
    env_a = dict(os.environ) | {"LINEAGE_HOME": str(machine_a / "home")}
    env_b = dict(os.environ) | {"LINEAGE_HOME": str(machine_b / "home")}
    ran = lineage_cmd(env_a, work_a, "run", "session.py")
    assert ran.returncode == 0, ran.stderr

    listed = lineage_cmd(env_b, work_b, "list")
    assert listed.returncode == 0 and "high" in listed.stdout and "report" in listed.stdout
    shown = lineage_cmd(env_b, work_b, "show", "report")
    assert shown.returncode == 0 and 'open("readings.csv")' in shown.stdout
    # machine b has its own copy of the input, in its own folder
    inputs_b = machine_b / "inputs"
    inputs_b.mkdir()
    (inputs_b / "readings.csv").write_text("1\n5\n7\n2\n9\n")
    verified = lineage_cmd(env_b, work_b, "verify", "report", "--cwd", str(inputs_b))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    exported = lineage_cmd(env_b, work_b, "export", "report", "high", "-o", "out")
    assert exported.returncode == 0, exported.stderr
    data = machine_b / "data"
    proc = subprocess.run(
        [sys.executable, "report.py", "--input-dir", str(inputs_b)],
        cwd=work_b / "out",
        env=env_b | {"LINEAGE_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    import pickle

    assert pickle.loads((data / "report.pkl").read_bytes()) == {"count": 3, "max": 9}
    assert pickle.loads((data / "high.pkl").read_bytes()) == [5, 7, 9]
    assert not (machine_b / "home" / "values").exists()  # the values came from the team store


# -- processes killed at random moments while others save -------------------------------------

KILLED_SAVER = """
import sys
from lineage.store import Store
store, tag = Store(sys.argv[1]), sys.argv[2]
for i in range(100_000):
    record = store.save("k", (tag, i), code="", session_code="", session_id=tag)
    print(record.version, i, flush=True)
"""


def test_savers_killed_at_random_moments_lose_no_completed_save(
    backend: Backend, tmp_path: Path
) -> None:
    import random
    import signal
    import time

    home = tmp_path / "home"
    Store(home).list()  # made (or migrated) before the race
    rng = random.Random(14)
    procs = {
        f"p{n}": subprocess.Popen(
            [sys.executable, "-c", KILLED_SAVER, str(home), f"p{n}"],
            env=os.environ | {"PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    }
    first: dict[str, str] = {}
    for tag, proc in procs.items():  # each is killed mid-run, after it saved at least once
        assert proc.stdout is not None
        first[tag] = proc.stdout.readline()
        assert first[tag].endswith("\n"), proc.stderr.read() if proc.stderr else ""
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
    completed: dict[str, list[tuple[int, ...]]] = {}
    for tag, proc in procs.items():
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, err
        lines = (first[tag] + out).split("\n")[:-1]  # the last one may have been cut short
        completed[tag] = [tuple(map(int, line.split())) for line in lines]
    store = Store(home)
    records = {r.version: r for r in store.list()}
    assert sorted(records) == list(range(1, len(records) + 1))  # unique and dense
    for tag, saves in completed.items():
        for version, i in saves:  # every save that returned is there, with its value
            assert store.load_value(records[version]) == (tag, i)
    for record in records.values():  # and every row that committed is readable
        tag, i = store.load_value(record)
        assert record.session_id == tag
    assert store.save("k", "after", code="", session_code="", session_id="s").version == (
        len(records) + 1
    )
    orphans = store.gc(delete=True, older_than=0)  # at most one per killed saver
    assert len(orphans) <= len(procs)
    assert len(keys(store)) == len(records) + 1
