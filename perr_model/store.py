"""Engine factory: the only place that opens connections.

Read-only is the default. Public instances and viewers get a connection that *cannot* write:
SQLite is opened through a `file:` URI with `mode=ro` plus `PRAGMA query_only`, PostgreSQL with
`default_transaction_read_only=on` for the whole session. Editors and importers ask for
`read_only=False` explicitly.
"""
from __future__ import annotations

import weakref
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from . import settings


_READ_ONLY_ENGINES: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def normalise_url(url: str) -> str:
    """Accept the usual `postgresql://` spelling and route it to psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def database_url() -> str:
    return normalise_url(settings.get("DATABASE_URL"))


def sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    db = u.database
    if db.startswith("file:"):
        db = db[5:]
    return Path(db)


def _read_only_url(url: str) -> str:
    path = sqlite_path(url)
    if path is None:
        return url
    return f"sqlite:///file:{quote(str(path.resolve()))}?mode=ro&uri=true"


def make_engine(url: str | None = None, *, read_only: bool = True) -> Engine:
    """A new engine on `url` (default: DATABASE_URL). Read-only unless asked otherwise."""
    url = normalise_url(url or database_url())
    backend = make_url(url).get_backend_name()
    timeout_ms = int(settings.get("PERR_QUERY_TIMEOUT_MS"))
    if backend == "sqlite":
        path = sqlite_path(url)
        if read_only and path is not None and not path.exists():
            raise FileNotFoundError(
                f"Base introuvable : {path}. Lancez « python -m perr_model init-db » d'abord.")
        engine = create_engine(_read_only_url(url) if read_only else url)
        _sqlite_pragmas(engine, read_only, timeout_ms)
    elif backend == "postgresql":
        options = f"-c statement_timeout={timeout_ms}"
        if read_only:
            options += " -c default_transaction_read_only=on"
        engine = create_engine(url, connect_args={"options": options}, pool_pre_ping=True)
    else:
        raise ValueError(f"Base non prise en charge : {backend} (SQLite ou PostgreSQL attendus).")
    if read_only:
        _READ_ONLY_ENGINES.add(engine)
    return engine


def is_read_only(engine: Engine) -> bool:
    return engine in _READ_ONLY_ENGINES


def _sqlite_pragmas(engine: Engine, read_only: bool, timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001 - DB-API connection
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={timeout_ms}")
        if read_only:
            cur.execute("PRAGMA query_only=ON")
        cur.close()


@lru_cache(maxsize=8)
def shared_engine(url: str | None = None, read_only: bool = True) -> Engine:
    """One engine per (url, mode) per process: what the app and the CLI use."""
    return make_engine(url, read_only=read_only)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One transaction: commit if the block succeeds, roll back everything otherwise."""
    if is_read_only(engine):
        from .errors import ReadOnlyStore
        raise ReadOnlyStore("Cette instance est en lecture seule : aucune modification possible.")
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            yield session
