"""Real servers for the team-store tests: a throwaway PostgreSQL cluster and an S3-compatible
server (moto's), each started once per test session on a free loopback port and stopped, its
files removed, at the end. Loaded by tests/conftest.py (``pytest_plugins``); a test asks for
the fixture ``postgres`` or ``s3`` (or ``backend``, a whole store configuration).

PostgreSQL refuses to run as root: as root the cluster belongs to ``nobody`` (its data and
socket folders chowned to it, commands run through ``runuser``); as another user it runs as
that user. Without the server binaries (``initdb``, ``pg_ctl``) the tests that need it are
skipped, saying so.
"""

from __future__ import annotations

import itertools
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_SERVER_USER = "nobody"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", _SERVER_USER, "--", *command]


@dataclass
class Postgres:
    """A running PostgreSQL cluster; :meth:`new_database` makes an empty database in it."""

    folder: Path  # data and socket folders live here
    port: int
    user: str = "lineage"
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        auth = self.user if password is None else f"{self.user}:{password}"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        import psycopg

        name = f"lineage_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    @classmethod
    def start(cls) -> Postgres:
        folder = Path(tempfile.mkdtemp(prefix="lineage-pg-"))
        try:
            if os.geteuid() == 0:
                entry = pwd.getpwnam(_SERVER_USER)
                os.chown(folder, entry.pw_uid, entry.pw_gid)
            server = cls(folder=folder, port=free_port())
            run = _as_server_user
            subprocess.run(
                run(
                    [
                        "initdb",
                        "-D",
                        str(server.data),
                        "--auth=trust",
                        "-U",
                        server.user,
                        "-E",
                        "UTF8",
                        "--no-sync",
                        "--no-instructions",
                    ]
                ),
                check=True,
                capture_output=True,
                timeout=120,
            )
            options = f"-h 127.0.0.1 -p {server.port} -k {folder} -F -c max_connections=200"
            log = folder / "server.log"
            subprocess.run(
                run(
                    [
                        "pg_ctl",
                        "-D",
                        str(server.data),
                        "-o",
                        options,
                        "-l",
                        str(log),
                        "-w",
                        "-t",
                        "60",
                        "start",
                    ]
                ),
                check=True,
                capture_output=True,
                timeout=120,
            )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return server

    def stop(self) -> None:
        try:
            subprocess.run(
                _as_server_user(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                timeout=120,
            )
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class S3:
    """A running S3-compatible server; :meth:`new_url` is an artifact URL nobody used yet."""

    endpoint: str
    bucket: str = "lineage-team"
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def env(self) -> dict[str, str]:
        """What a process needs to reach the server through s3fs (dummy credentials)."""
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_S3": self.endpoint,
        }

    def new_url(self) -> str:
        return f"s3://{self.bucket}/store-{os.getpid()}-{next(self._names)}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    missing = [b for b in ("initdb", "pg_ctl", "postgres") if shutil.which(b) is None]
    if missing:
        pytest.skip(f"PostgreSQL server binaries not on PATH: {', '.join(missing)}")
    server = Postgres.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3() -> Iterator[S3]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        s3 = S3(endpoint=f"http://127.0.0.1:{port}")
        with pytest.MonkeyPatch.context() as mp:
            for key, value in s3.env.items():
                mp.setenv(key, value)
            import boto3

            boto3.client("s3", endpoint_url=s3.endpoint).create_bucket(Bucket=s3.bucket)
        yield s3
    finally:
        server.stop()


@dataclass(frozen=True)
class Backend:
    """A store configuration: the environment that points lineage at it."""

    id: str
    env: dict[str, str]


BACKENDS = ("sqlite+local", "postgres+s3", "postgres+local")


@pytest.fixture(params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Backend:
    """Each store test against each backend: the default (SQLite and a folder under the
    home), PostgreSQL with S3, PostgreSQL with a local folder elsewhere. The environment
    (LINEAGE_DATABASE_URL, LINEAGE_ARTIFACT_URL, AWS_*) is set for the test and the processes
    it starts."""
    database, artifacts = str(request.param).split("+")
    env: dict[str, str] = {}
    if database == "postgres":
        env["LINEAGE_DATABASE_URL"] = request.getfixturevalue("postgres").new_database()
    if artifacts == "s3":
        s3 = request.getfixturevalue("s3")
        env |= s3.env | {"LINEAGE_ARTIFACT_URL": s3.new_url()}
    elif database != "sqlite":
        env["LINEAGE_ARTIFACT_URL"] = str(tmp_path / "shared-artifacts")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Backend(id=str(request.param), env=env)
