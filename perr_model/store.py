"""Engine factory: the only place that opens connections.

Read-only is the default. Public instances and viewers get a connection that *cannot* write:
SQLite is opened through a `file:` URI with `mode=ro` plus `PRAGMA query_only`, PostgreSQL with
`default_transaction_read_only=on` for the whole session. Editors and importers ask for
`read_only=False` explicitly.

Defence in depth (issue 13): `PRAGMA query_only` can be switched off by whoever runs SQL on the
connection, and `SET TRANSACTION READ WRITE` undoes `default_transaction_read_only`. So:
- every read-only SQLite connection also gets an authorizer (`sqlite3` `set_authorizer`) that
  allows only reading: SELECT, reading columns, functions, transactions and a short list of
  read-only PRAGMA queries (no PRAGMA with a value); it denies any write, CREATE/DROP/ALTER,
  ATTACH/DETACH (hence `VACUUM INTO`), `VACUUM`, ANALYZE, REINDEX and everything else;
- on PostgreSQL the public instance (PERR_PUBLIC=1) refuses to start unless its role, and
  every role it could become, is a plain reader (`check_public_role`, run when the read-only
  engine is made; docs/sql/public-role.sql creates such a role).

The public instance stays up while the private side writes (issue 28): a SQLite store is in WAL
mode (`sqlite_wal`, set by every migration): readers read the last committed state while a
writer holds its transaction, and a writer killed mid-transaction leaves no hot journal (which
a `mode=ro` reader cannot roll back), only a WAL whose uncommitted frames readers ignore. A
read on SQLite is bounded in time like PostgreSQL's `statement_timeout` (`sqlite_time_limit`);
either limit ends in the French `QueryTimeout`.
"""
from __future__ import annotations

import time
import weakref
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from . import settings
from .public_role import check_public_role  # noqa: F401 - the public instance's start-up check


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


# The read-only layers, each applicable alone (tests/test_public_connection.py checks that each
# one by itself refuses a write, and that make_engine applies all of them).

def sqlite_read_only_url(url: str) -> str:
    """SQLite layer 1: the file opened through a `file:` URI with `mode=ro`."""
    path = sqlite_path(url)
    if path is None:
        return url
    return f"sqlite:///file:{quote(str(path.resolve()))}?mode=ro&uri=true"


# PostgreSQL's layer: every transaction of the session read-only (a role that cannot write is
# the public instance's second one, `check_public_role`).
PG_READ_ONLY_OPTIONS = "-c default_transaction_read_only=on"


def make_engine(url: str | None = None, *, read_only: bool = True) -> Engine:
    """A new engine on `url` (default: DATABASE_URL). Read-only unless asked otherwise."""
    url = normalise_url(url or database_url())
    backend = make_url(url).get_backend_name()
    timeout_ms = int(settings.get("PERR_QUERY_TIMEOUT_MS"))
    if backend == "sqlite":
        path = sqlite_path(url)
        if read_only and path is not None and not path.exists():
            raise FileNotFoundError(
                "Base introuvable : le fichier de la base n'existe pas encore. Lancez « make run » "
                "ou « python -m perr_model init-db » d'abord.")
        engine = create_engine(sqlite_read_only_url(url) if read_only else url)
        _sqlite_pragmas(engine, read_only, timeout_ms)
        event.listen(engine, "handle_error", _time_limit_message)
    elif backend == "postgresql":
        options = f"-c statement_timeout={timeout_ms}"
        if read_only:
            options += " " + PG_READ_ONLY_OPTIONS
        engine = create_engine(url, connect_args={"options": options}, pool_pre_ping=True)
        event.listen(engine, "handle_error", _time_limit_message)
        if read_only and settings.is_public():
            try:
                check_public_role(engine)
            except Exception:
                engine.dispose()
                raise
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
        cur.close()
        if read_only:
            sqlite_query_only(dbapi_conn)
            sqlite_reads_only(dbapi_conn)
            sqlite_time_limit(dbapi_conn, timeout_ms / 1000)


def sqlite_query_only(dbapi_conn) -> None:  # noqa: ANN001 - DB-API connection
    """SQLite layer 2: `PRAGMA query_only` on the connection."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=ON")
    cur.close()


def sqlite_reads_only(dbapi_conn) -> None:  # noqa: ANN001 - DB-API connection
    """SQLite layer 3: the authorizer that allows reading only (below)."""
    dbapi_conn.set_authorizer(read_only_authorizer)


def sqlite_wal(engine: Engine) -> None:
    """Put a SQLite store in WAL mode (kept in the file; nothing on PostgreSQL or in memory).
    Run by every migration (`migrate.upgrade`: init-db, and each release's upgrade)."""
    if engine.dialect.name != "sqlite" or sqlite_path(str(engine.url)) is None:
        return
    with engine.connect() as conn:  # outside a transaction: the journal mode cannot change in one
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")


# SQLite has no statement timeout: a progress handler, called every _PROGRESS_STEPS virtual
# machine instructions, interrupts a statement that started more than the limit ago (a trace
# callback notes when each statement starts). sqlite3 then raises "interrupted".
_PROGRESS_STEPS = 100_000


def sqlite_time_limit(dbapi_conn, seconds: float) -> None:  # noqa: ANN001 - DB-API connection
    """Each statement of this connection interrupted after `seconds`."""
    started = [time.monotonic()]

    def statement_starts(_sql: str) -> None:
        started[0] = time.monotonic()

    def too_long() -> int:
        return 1 if time.monotonic() - started[0] > seconds else 0

    dbapi_conn.set_trace_callback(statement_starts)
    dbapi_conn.set_progress_handler(too_long, _PROGRESS_STEPS)


def _timed_out(exc: BaseException) -> bool:
    """SQLite's interrupt (sqlite_time_limit) or PostgreSQL's query_canceled (statement_timeout)."""
    return (getattr(exc, "sqlite_errorname", None) == "SQLITE_INTERRUPT"
            or getattr(exc, "sqlstate", None) == "57014")


def time_limit_message() -> str:
    seconds = int(settings.get("PERR_QUERY_TIMEOUT_MS")) / 1000
    shown = f"{seconds:g}".replace(".", ",")
    return (f"La base de données n'a pas répondu en {shown} seconde{'s' if seconds >= 2 else ''} "
            ": la demande a été interrompue. Réessayez dans un instant, ou restreignez la "
            "sélection (territoire, année, filtres).")


def _time_limit_message(context) -> None:  # noqa: ANN001 - SQLAlchemy ExceptionContext
    """handle_error: a statement stopped by the time limit becomes QueryTimeout (French); a
    database out of reach or out of space becomes DatabaseUnavailable (French), instead of
    the driver's English error with its SQL and parameters."""
    if _timed_out(context.original_exception):
        from .errors import QueryTimeout
        raise QueryTimeout(time_limit_message()) from context.original_exception
    message = unavailable_message(context.original_exception, context.is_disconnect)
    if message:
        from .errors import DatabaseUnavailable
        raise DatabaseUnavailable(message) from context.original_exception


DISK_FULL = ("La base de données ne peut plus rien enregistrer : le disque du serveur est "
             "plein. Aucune modification n'a été enregistrée ; prévenez l'équipe qui gère le "
             "tableau de bord.")
UNREACHABLE = ("La base de données ne répond pas (serveur arrêté ou injoignable, base ou "
               "fichier inaccessible). Aucune modification n'a été enregistrée ; réessayez dans "
               "un instant ou prévenez l'équipe qui gère le tableau de bord.")
# SQLSTATE: 53100 disk full, 53xxx out of resources; 08xxx connection failures; 57P01–57P03
# server shut down or starting; 3D000 the database does not exist (dropped).
_LOST_STATES = ("08", "57P01", "57P02", "57P03", "3D000")
# SQLite and libpq say it in words (a failed connection has no SQLSTATE)
_LOST_WORDS = ("unable to open database", "readonly database", "disk i/o error",
               "connection failed", "connection refused", "server closed the connection",
               "terminating connection", "does not exist")


def unavailable_message(exc: BaseException, disconnected: bool = False) -> str | None:
    """The French sentence for a driver error meaning the database is out of space or out of
    reach, None for any other (a constraint, a lock, a serialization failure are the caller's
    to handle)."""
    state = getattr(exc, "sqlstate", None) or ""
    words = str(exc).lower()
    if state.startswith("53") or "disk is full" in words or "no space left" in words:
        return DISK_FULL
    if disconnected or state.startswith(_LOST_STATES) or (
            type(exc).__name__ == "OperationalError" and any(w in words for w in _LOST_WORDS)):
        return UNREACHABLE
    return None


# PRAGMAs that only read, as SQLAlchemy and the pages use them: those whose argument names a
# table or an index, and settings read without a value (a value would change them).
_SCHEMA_PRAGMAS = frozenset({"table_info", "table_xinfo", "index_list", "index_info",
                             "index_xinfo", "foreign_key_list"})
_READ_PRAGMAS = frozenset({
    "database_list", "table_list", "query_only", "foreign_keys", "busy_timeout",
    "user_version", "schema_version", "encoding", "compile_options", "collation_list",
    "function_list", "data_version"})


def read_only_authorizer(action: int, arg1, arg2, _db, _trigger) -> int:  # noqa: ANN001
    """sqlite3 authorizer of read-only connections: reading allowed, everything else denied."""
    import sqlite3
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                  sqlite3.SQLITE_RECURSIVE):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_TRANSACTION or action == sqlite3.SQLITE_SAVEPOINT:
        return sqlite3.SQLITE_OK  # BEGIN/COMMIT/ROLLBACK: nothing to commit anyway
    if action == sqlite3.SQLITE_PRAGMA:
        name = (arg1 or "").lower()
        if name in _SCHEMA_PRAGMAS or (arg2 is None and name in _READ_PRAGMAS):
            return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


@lru_cache(maxsize=8)
def shared_engine(url: str | None = None, read_only: bool = True) -> Engine:
    """One engine per (url, mode) per process: what the app and the CLI use."""
    return make_engine(url, read_only=read_only)


_READ_ONLY_MESSAGE = "Cette instance est en lecture seule : aucune modification possible."


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One transaction on `engine`: commit if the block succeeds, roll back everything
    otherwise. The low-level primitive under `Store.write` (which also refreshes the stored
    figures): the app and the commands write through a Store."""
    if is_read_only(engine):
        from .errors import ReadOnlyStore
        raise ReadOnlyStore(_READ_ONLY_MESSAGE)
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            yield session
            if session.info:   # a write that said its scope (figures.stored.note_scope)
                from .write_scope import record_scope
                record_scope(session)


class Store:
    """One database: its read-only engine, its write engine, and the one write path.

    `read()` gives a Session on the read-only engine (every guarantee of `make_engine`:
    SQLite `mode=ro` + `query_only` + authorizer, PostgreSQL `default_transaction_read_only`).
    `write()` gives a Session in one transaction (commit, or roll back everything); after a
    commit that changed the data version it runs the hooks (`on_change`), the first of which
    stores the figures of the new data in the background (`figures.stored.refresh_later`)
    unless `refresh=False`. A Store built with `read_only=True` (the public instance) has no
    write engine: `write()` raises ReadOnlyStore. Engines are made on first use."""

    def __init__(self, url: str | None = None, *, read_only: bool = True,
                 refresh: bool = True) -> None:
        self.url = normalise_url(url or database_url())
        self.read_only = read_only
        self._refresh = refresh and not read_only
        self._hooks: list[Callable[[], None]] = []
        self._read_engine: Engine | None = None
        self._write_engine: Engine | None = None

    def __repr__(self) -> str:
        where = make_url(self.url).render_as_string(hide_password=True)
        return f"Store({where!r}, read_only={self.read_only})"

    @property
    def read_engine(self) -> Engine:
        if self._read_engine is None:
            self._read_engine = make_engine(self.url, read_only=True)
        return self._read_engine

    @property
    def write_engine(self) -> Engine:
        if self.read_only:
            from .errors import ReadOnlyStore
            raise ReadOnlyStore(_READ_ONLY_MESSAGE)
        if self._write_engine is None:
            self._write_engine = make_engine(self.url, read_only=False)
        return self._write_engine

    def background_writer(self) -> "Store":
        """A writable Store of the same database that does not refresh: the background
        refresher's own (its engines are its thread's, disposed when it is done)."""
        return Store(self.url, read_only=False, refresh=False)

    def on_change(self, hook: Callable[[], None]) -> None:
        """Call `hook()` after every committed write that changed the data (the app: forget
        its cached results). A hook that fails is logged; the write stays committed."""
        self._hooks.append(hook)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.read_engine) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        engine = self.write_engine
        before = self._version()
        with write_session(engine) as session:
            yield session
        if before is None or self._version() != before:
            self._changed()

    def _version(self) -> int | None:
        """The data version (figures.stored.current_version), None when it cannot be read
        (a schema older than the stored figures): then every write counts as a change."""
        from .figures.stored import current_version
        try:
            with Session(self.write_engine) as session:
                return current_version(session)
        except Exception:  # noqa: BLE001 - no version table: treat the write as a change
            return None

    def _changed(self) -> None:
        import logging
        if self._refresh:
            from .figures.stored import refresh_later
            refresh_later(self.url, self.background_writer)
        for hook in self._hooks:
            try:
                hook()
            except Exception:  # noqa: BLE001 - committed already: say so, do not undo
                logging.getLogger(__name__).exception("Après une écriture : %r", hook)

    def dispose(self) -> None:
        for engine in (self._read_engine, self._write_engine):
            if engine is not None:
                engine.dispose()
        self._read_engine = self._write_engine = None


@contextmanager
def writing(target: "Store | Engine") -> Iterator[Session]:
    """One write transaction on a Store (its write path, hooks included) or on a bare engine
    (`write_session`): for the library functions that open their own transaction (geographic
    imports, sign-in), called by the app with its Store and by tests with an engine."""
    if isinstance(target, Store):
        with target.write() as session:
            yield session
    else:
        with write_session(target) as session:
            yield session
