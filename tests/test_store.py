from __future__ import annotations

import os
import pickle
import re
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest

import lineage.store
from lineage.errors import (
    ArtifactNotFoundError,
    CorruptStoreError,
    InvalidArtifactNameError,
    UnpicklableValueWarning,
    ValueLoadError,
    ValueNotStoredError,
    VersionNotFoundError,
)
from lineage.store import ArtifactRecord, Store, validate_name
from tests.servers import Backend

REPO = Path(lineage.store.__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path: Path, backend: Backend) -> Store:
    """A new store on each backend (tests/servers.py): SQLite and a folder under the home,
    PostgreSQL and S3, PostgreSQL and a folder elsewhere."""
    return Store(tmp_path / "home")


def keys(store: Store) -> list[str]:
    """The value objects under the store's artifact URL."""
    return sorted(o.key for o in store.values.objects())


def save(store: Store, name: str, value: Any = None, **kw: Any) -> ArtifactRecord:
    args: dict[str, Any] = {
        "code": f"{name} = {value!r}",
        "session_code": "# session",
        "session_id": "s1",
    }
    return store.save(name, value, **(args | kw))


def child_env() -> dict[str, str]:
    """The environment of a fresh interpreter that can import lineage from this checkout."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return os.environ | {"PYTHONPATH": path}


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` as ``__main__`` of a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# -- saving, versions, reading --------------------------------------------------------------


@pytest.mark.parametrize(
    ("saves", "expected"),
    [
        (["a"], [1]),
        (["a", "a", "a"], [1, 2, 3]),
        (["a", "b", "a", "b", "c"], [1, 1, 2, 2, 1]),
    ],
)
def test_versions_increment_per_name(store: Store, saves: list[str], expected: list[int]) -> None:
    assert [save(store, name).version for name in saves] == expected


@dataclass
class RoundTrip:
    value: Any
    value_type: str
    equal: Callable[[Any, Any], bool] = lambda a, b: a == b


@pytest.mark.parametrize(
    "case",
    [
        RoundTrip([1, 2, 3], "builtins.list"),
        RoundTrip({"k": (1.5, None)}, "builtins.dict"),
        RoundTrip(None, "builtins.NoneType"),
        RoundTrip(b"\x00" * 1000, "builtins.bytes"),
        RoundTrip("__main__ in a string is fine", "builtins.str"),
        RoundTrip(lambda x: x + 1, "builtins.function", lambda a, b: a(1) == b(1) == 2),
    ],
    ids=["list", "dict", "none", "bytes", "main-in-str", "lambda"],
)
def test_value_round_trip(store: Store, case: RoundTrip) -> None:
    record = save(store, "v", case.value, meta={"slice": [1, 2]})
    again = store.get("v")
    assert again == record
    assert record.value_type == case.value_type
    assert record.meta == {"slice": [1, 2]}
    assert record.created_at.tzinfo == timezone.utc
    assert record.value_path is not None and keys(store) == [record.value_path]
    assert store.has_value(record)
    assert case.equal(store.load_value(again), case.value)


def test_plain_values_are_pickled_once(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = pickle.dumps

    def counting(obj: object, *args: Any, **kwargs: Any) -> bytes:
        calls.append(obj)
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(pickle, "dumps", counting)
    save(store, "x", [1, 2])
    assert calls == [[1, 2]]


def test_get_latest_or_specific_version(store: Store) -> None:
    for i in range(3):
        save(store, "model", i, code=f"model = {i}")
    assert store.get("model").version == 3
    assert store.get("model", version=None).code == "model = 2"
    for version in (1, 2, 3):
        record = store.get("model", version)
        assert (record.version, record.code) == (version, f"model = {version - 1}")
        assert store.load_value(record) == version - 1


def test_list_newest_first_and_names(store: Store) -> None:
    for name in ["b", "a", "b", "c"]:
        save(store, name)
    assert [(r.name, r.version) for r in store.list()] == [("c", 1), ("b", 2), ("a", 1), ("b", 1)]
    assert store.names() == ["a", "b", "c"]
    if store.database_url is None:  # a new home is a new store
        assert Store(store.home / "empty").list() == []


@dataclass
class DeleteCase:
    version: int | None
    removed: int
    left: list[int]


@pytest.mark.parametrize(
    "case",
    [DeleteCase(2, 1, [3, 1]), DeleteCase(3, 1, [2, 1]), DeleteCase(None, 3, [])],
    ids=["middle", "latest", "all"],
)
def test_delete(store: Store, case: DeleteCase) -> None:
    records = [save(store, "m", i) for i in range(3)]
    save(store, "other")
    assert store.delete("m", case.version) == case.removed
    assert [r.version for r in store.list() if r.name == "m"] == case.left
    gone = [r for r in records if r.version not in case.left]
    assert all(r.value_path and not store.has_value(r) for r in gone)
    assert len(keys(store)) == len(case.left) + 1
    assert store.get("other").version == 1
    if case.left:
        assert store.get("m").version == case.left[0]
    else:
        assert store.names() == ["other"]


# -- names and lookup errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "empty"),
        ("   ", "whitespace"),
        ("a/b", "'/'"),
        ("a\\b", "'\\\\'"),
        ("a\nb", "control characters"),
        ("\x00", "control characters"),
        ("..", "'..'"),
        (".", "'.'"),
        ("x" * 201, "at most 200"),
        (42, "strings"),
    ],
)
def test_invalid_names(store: Store, name: Any, problem: str) -> None:
    with pytest.raises(InvalidArtifactNameError, match=re.escape("e.g. 'model_v2'")) as info:
        save(store, name)
    assert problem in str(info.value)
    assert isinstance(info.value, ValueError)
    assert store.list() == []


@pytest.mark.parametrize("name", ["model", "model v2", "données", "a.b", "...", "x" * 200])
def test_valid_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        ("modle", "no artifact named 'modle'; did you mean 'model'?"),
        ("zzz", "no artifact named 'zzz' (`lineage list` shows all)"),
    ],
)
def test_unknown_name(store: Store, lookup: str, message: str) -> None:
    save(store, "model")
    save(store, "data")
    for call in (lambda: store.get(lookup), lambda: store.delete(lookup)):
        with pytest.raises(ArtifactNotFoundError) as info:
            call()
        assert message in str(info.value)


def test_unknown_version(store: Store) -> None:
    save(store, "model")
    save(store, "model")
    for call in (lambda: store.get("model", 7), lambda: store.delete("model", 7)):
        with pytest.raises(VersionNotFoundError, match=r"has no version 7 \(versions: 1, 2\)"):
            call()
    assert len(store.list()) == 2


# -- values that cannot be stored or loaded -------------------------------------------------


def _generator() -> Any:
    yield 1


@pytest.mark.parametrize(
    ("make", "value_type"),
    [
        (threading.Lock, "_thread.lock"),
        (_generator, "builtins.generator"),
        (lambda: [1, threading.Lock()], "builtins.list"),
    ],
    ids=["lock", "generator", "nested-lock"],
)
def test_unpicklable_value_saves_code_only(
    store: Store, make: Callable[[], Any], value_type: str
) -> None:
    with pytest.warns(
        UnpicklableValueWarning, match=rf"type {re.escape(value_type)}.*code was saved"
    ):
        record = save(store, "thing", make(), code="thing = make()")
    assert record.value_path is None
    stored = store.get("thing")
    assert (stored.code, stored.value_type) == ("thing = make()", value_type)
    with pytest.raises(
        ValueNotStoredError, match=re.escape(f"{value_type} value could not be pickled")
    ):
        store.load_value(stored)
    assert keys(store) == []


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda fs, path: fs.rm_file(path), "cannot be read"),
        (lambda fs, path: fs.pipe_file(path, b"not a pickle"), "is corrupt"),
    ],
    ids=["missing", "garbage"],
)
def test_damaged_value_file(store: Store, damage: Callable[[Any, str], Any], message: str) -> None:
    record = save(store, "x", [1])
    location = store.values.location
    damage(location.fs, location.path(str(record.value_path)))
    with pytest.raises(CorruptStoreError, match=message) as info:
        store.load_value(record)
    shown = store.value_location(record)
    assert shown is not None and shown in str(info.value)
    if store.artifact_url is None:
        assert shown == str(store.home / "values" / str(record.value_path))


def test_value_whose_module_is_gone(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "gone_mod.py").write_text("class Thing:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import gone_mod

    record = save(store, "t", gone_mod.Thing())
    assert record.value_type == "gone_mod.Thing"
    monkeypatch.undo()
    del sys.modules["gone_mod"]
    with pytest.raises(ValueLoadError, match=r"cannot load the gone_mod\.Thing value.*`\.code`"):
        store.load_value(record)


@pytest.mark.parametrize(
    ("definition", "value", "check"),
    [
        ("class Point:\n    def __init__(self, x): self.x = x", "Point(7)", "value.x"),
        (
            "class Point:\n    def __init__(self, x): self.x = x",
            "{'p': [Point(7)]}",
            "value['p'][0].x",
        ),
        ("def seven(): return 7", "seven", "value()"),
    ],
    ids=["instance", "nested-instance", "function"],
)
def test_main_module_values_load_in_another_process(
    tmp_path: Path, backend: Backend, definition: str, value: str, check: str
) -> None:
    saver = f"""
import sys
from lineage.store import Store
{definition}
Store(sys.argv[1]).save("v", {value}, code="", session_code="", session_id="s")
"""
    done = run_python(saver, str(tmp_path))
    assert done.returncode == 0, done.stderr
    loader = f"""
import sys
from lineage.store import Store
store = Store(sys.argv[1])
value = store.load_value(store.get("v"))
print({check})
"""
    done = run_python(loader, str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "7"


# -- the database file ----------------------------------------------------------------------


def _foreign(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER)")
    conn.close()


def _newer(db: Path) -> None:
    Store(db.parent).list()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda db: db.write_bytes(b"garbage " * 1000), "is not a readable lineage database"),
        (_foreign, "lineage did not create"),
        (_newer, "newer lineage"),
    ],
    ids=["garbage", "foreign", "newer"],
)
def test_unusable_database(tmp_path: Path, make: Callable[[Path], Any], message: str) -> None:
    db = tmp_path / "lineage.db"
    make(db)
    before = db.read_bytes()
    store = Store(tmp_path)
    for call in (store.list, lambda: save(store, "x", 1), lambda: store.get("x")):
        with pytest.raises(CorruptStoreError, match=message) as info:
            call()
        assert str(db) in str(info.value)
        assert "LINEAGE_HOME" in str(info.value)
    assert db.read_bytes() == before
    assert list((tmp_path / "values").iterdir()) == []


def test_home_comes_from_environment_at_construction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEAGE_HOME", str(tmp_path / "env-home"))
    store = Store()
    monkeypatch.setenv("LINEAGE_HOME", str(tmp_path / "elsewhere"))
    save(store, "x", 1)
    assert store.home == tmp_path / "env-home"
    assert (tmp_path / "env-home" / "lineage.db").is_file()
    assert not (tmp_path / "elsewhere").exists()


def test_crash_mid_save_keeps_earlier_versions(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = save(store, "m", "one")

    def crash() -> None:  # runs inside the transaction, after the value file is written
        assert len(keys(store)) == 2
        raise KeyboardInterrupt

    monkeypatch.setattr(lineage.store, "_now", crash)
    with pytest.raises(KeyboardInterrupt):
        save(store, "m", "two")
    monkeypatch.undo()
    assert store.list() == [first]
    assert store.load_value(store.get("m")) == "one"
    assert keys(store) == [first.value_path]
    assert save(store, "m", "three").version == 2


def test_hard_crash_mid_save_keeps_earlier_versions(store: Store) -> None:
    first = save(store, "m", "one")
    crasher = """
import os, sys
import lineage.store
lineage.store._now = lambda: os._exit(3)
lineage.store.Store(sys.argv[1]).save("m", "two", code="", session_code="", session_id="s")
"""
    assert run_python(crasher, str(store.home)).returncode == 3
    assert store.list() == [first]
    assert store.load_value(store.get("m")) == "one"
    assert save(store, "m", "three").version == 2  # the orphan value file is ignored
    assert len(keys(store)) == 3  # the orphan, which gc removes (tests/test_store_team.py)


def test_concurrent_processes_get_distinct_versions(tmp_path: Path, backend: Backend) -> None:
    saver = """
import sys
from lineage.store import Store
store = Store(sys.argv[1])
for i in range(10):
    store.save("shared", (sys.argv[2], i), code="", session_code="", session_id=sys.argv[2])
"""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", saver, str(tmp_path), f"p{n}"],
            env=child_env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    errors = [proc.communicate(timeout=60)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 4, errors
    store = Store(tmp_path)
    records = store.list()
    assert sorted(r.version for r in records) == list(range(1, 41))
    values = {store.load_value(r) for r in records}
    assert values == {(f"p{n}", i) for n in range(4) for i in range(10)}
