"""The store's two URLs: a SQLAlchemy URL for the metadata, an fsspec URL for the values.

Both are checked when they are set (:func:`lineage.configure`) or first used (the
environment's): a malformed URL, an unknown scheme or a missing driver is a
:class:`~lineage.errors.StoreConfigError` that names what to install. SQLAlchemy and fsspec
are imported here, lazily, never by ``import lineage``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineage.errors import StoreConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

# the extra of notebook-lineage that installs a backend's driver
_DATABASE_EXTRAS = {"postgresql": ("postgres", "psycopg")}
_ARTIFACT_EXTRAS = {"s3": ("s3", "s3fs"), "s3a": ("s3", "s3fs")}


def extras_of(database: URL, artifact_url: str) -> tuple[str, ...]:
    """The notebook-lineage extras that install the drivers of a store at these URLs."""
    found = (
        _DATABASE_EXTRAS.get(database.get_backend_name(), (None, ""))[0],
        _ARTIFACT_EXTRAS.get(_protocol(artifact_url), (None, ""))[0],
    )
    return tuple(e for e in found if e is not None)


def _protocol(url: str) -> str:
    """The fsspec protocol of ``url``: ``s3``, ``gs``, ``file`` for a plain path."""
    import fsspec.core

    return fsspec.core.split_protocol(url)[0] or "file"


def _install_hint(extra: str | None, package: str) -> str:
    if extra is None:
        return f"install {package}"
    return f"install it with `pip install 'notebook-lineage[{extra}]'` (it adds {package})"


def database_url(raw: str) -> URL:
    """The SQLAlchemy URL of ``raw``, checked: a known dialect whose driver is installed, and
    for SQLite a file (each operation opens its own connection, so ``:memory:`` would forget
    every save). ``postgresql://`` means the psycopg (3) driver, which the extra installs."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        url = make_url(raw)
    except ArgumentError as e:
        raise StoreConfigError(
            f"the database URL {raw!r} is not a SQLAlchemy URL ({e}): write it like "
            "'postgresql://user:password@host:5432/lineage' or 'sqlite:////path/lineage.db'"
        ) from e
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    shown = mask(url)
    try:
        dialect = url.get_dialect()
    except NoSuchModuleError as e:
        raise StoreConfigError(
            f"the database URL {shown} names no database SQLAlchemy knows "
            f"({url.drivername!r}): use postgresql:// or sqlite:///"
        ) from e
    try:
        dialect.import_dbapi()
    except ImportError as e:
        extra, package = _DATABASE_EXTRAS.get(url.get_backend_name(), (None, str(e.name)))
        raise StoreConfigError(
            f"the database URL {shown} needs the {package} driver, which is not installed: "
            f"{_install_hint(extra, package)}"
        ) from e
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise StoreConfigError(
            f"the database URL {shown} is an in-memory SQLite database, which forgets every "
            "save: give a file, e.g. 'sqlite:////path/to/lineage.db'"
        )
    return url


def mask(url: URL) -> str:
    """``url`` as text with its password hidden, fit to show."""
    return url.render_as_string(hide_password=True)


@dataclass(frozen=True)
class ArtifactLocation:
    """Where values are kept: a file system and the folder (or bucket prefix) in it."""

    url: str  # as given, shown to users
    fs: Any  # an fsspec AbstractFileSystem
    root: str  # the folder in ``fs``, without a trailing separator

    @property
    def local(self) -> bool:
        """A local folder (values are written to a temporary file, synced, then renamed);
        an object store puts each object whole."""
        from fsspec.implementations.local import LocalFileSystem

        return isinstance(self.fs, LocalFileSystem)

    def path(self, key: str) -> str:
        return f"{self.root}/{key}"

    def shown(self, key: str) -> str:
        """Where the value ``key`` is, as a user would name it (a path, or a URL)."""
        if self.local:
            return self.path(key)
        return f"{self.url.rstrip('/')}/{key}"


def artifact_location(raw: str | Path) -> ArtifactLocation:
    """The fsspec file system and folder of ``raw``: a local path, ``file://``, ``s3://``,
    ``gs://``... (the protocol's package must be installed; s3fs comes with the ``s3``
    extra). Credentials and endpoints come from the usual environment (``AWS_*``,
    ``AWS_ENDPOINT_URL_S3``) or fsspec's configuration."""
    import fsspec.core

    text = str(raw)
    if not text.strip():
        raise StoreConfigError("the artifact URL is empty: give a folder or a URL like s3://b/p")
    protocol = _protocol(text)
    try:
        fs, root = fsspec.core.url_to_fs(text)
    except ImportError as e:
        extra, package = _ARTIFACT_EXTRAS.get(protocol, (None, f"the fsspec backend of {protocol}"))
        raise StoreConfigError(
            f"the artifact URL {text!r} needs {package}, which is not installed: "
            f"{_install_hint(extra, package)}"
        ) from e
    except (ValueError, TypeError) as e:
        raise StoreConfigError(
            f"the artifact URL {text!r} is not one fsspec can open ({e}): give a folder or a "
            "URL like 's3://bucket/lineage' or 'gs://bucket/lineage'"
        ) from e
    if not isinstance(root, str) or not root.strip("/"):
        raise StoreConfigError(
            f"the artifact URL {text!r} names no folder: give one, e.g. 's3://bucket/lineage'"
        )
    return ArtifactLocation(url=text, fs=fs, root=root.rstrip("/") or "/")
