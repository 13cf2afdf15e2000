"""Figures read, not recomputed (issue 12, item 2).

The data changes only on imports and edits; the reading pages and the COPIL document read the
same figures for every visitor. `refresh()` computes the figures of every territory × year (and
all years) with the functions of perr_model.figures — the definitions, unchanged — and stores
them in `figure_summary` with the data version they were computed at. `read(session, fn,
*args)` returns the stored figure when its version is the current `data_version.n`, otherwise
computes it from the definition. The version is kept by the database (migration
0007_figure_store: a trigger increments it at the commit of every transaction that writes a
table the figures read, whoever writes), so a stored figure is always the definition's answer
for the data as it is: after a write, nothing stored is read until `refresh()` has run again.

Who refreshes: `init-db` and every command that writes (perr_model/cli.py), and the app after
a form or an import (perr_model.store.Store.write, in a background thread). A read-only instance
(the public one) never writes: it reads what the writers stored.

A stored figure is also the answer of one version of the code: its row's name carries a short
hash of perr_model's source (`CODE`). After an upgrade (a definition changed, a column added),
the rows stored by the previous code are not read, `has_current` is false so the app stores the
figures again at its first run, and the next refresh drops them.

Payloads are JSON (no pickle: a row of the database never becomes code): DataFrames column by
column with their dtypes and index, dicts with their keys' types, tuples, Decimal, dates.
"""
from __future__ import annotations

import base64
import hashlib
import inspect
import json
import math
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from decimal import Decimal
from functools import cache
from typing import Any, Callable

import numpy as np
import pandas as pd
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from .. import stored_figures  # noqa: F401 - the modules that declare the stored figures
from ..schema import Axis, Territory, data_change, figure_summary, utcnow
from ..write_scope import current_version
from . import places, registry
from .registry import Published
from .scope import Scope


class NotStorable(TypeError):
    """A value the JSON encoding does not carry exactly: such a figure is not stored."""


# --- the data version --------------------------------------------------------------------------

# --- the scope of a write (issue 27, item 2): perr_model/write_scope.py notes it --------------

def _changes_since(session: Session, since: int, now: int) -> dict[int, set | None] | None:
    """The scope of every write from version `since` to `now` ({territory: years | None}), or
    None when the data_change rows do not explain every version in between (a write that said
    nothing about its scope: recompute everything)."""
    rows = session.execute(select(data_change.c.n_before, data_change.c.n_after,
                                  data_change.c.territory_id, data_change.c.years)
                           .where(data_change.c.n_after > since, data_change.c.n_before < now)
                           .order_by(data_change.c.n_before)).all()
    reached, scopes = since, {}
    for before, after, tid, years in rows:
        if int(before) > reached or int(after) > now:
            return None        # a version no row explains (or written after `now`)
        reached = max(reached, int(after))
        tid = int(tid)
        if years is None or scopes.get(tid, set()) is None:
            scopes[tid] = None
        else:
            scopes.setdefault(tid, set()).update(json.loads(years))
    return scopes if reached == now else None


def _stored_version(session: Session) -> int | None:
    """The one version every figure of this code is stored at (None: none, or several)."""
    low, high = session.execute(select(func.min(figure_summary.c.version),
                                       func.max(figure_summary.c.version))
                                .where(_of_this_code())).one()
    return None if low is None or low != high else int(low)


# --- keys ----------------------------------------------------------------------------------------

def _code_fingerprint() -> str:
    """A short hash of perr_model's Python source (paths and contents)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


CODE = _code_fingerprint()


def figure_name(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}@{CODE}"


def _of_this_code():
    return figure_summary.c.name.like(f"%@{CODE}")


def _arg(value: Any) -> Any:
    if isinstance(value, Scope):
        return {"scope": [value.territory_id, value.year, value.commune_id, value.qpv_id]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_arg(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    raise NotStorable(type(value).__name__)


@dataclass(frozen=True)
class Key:
    name: str
    args: str
    territory_id: int | None
    year: int | None


def key(fn: Callable, args: tuple = (), kwargs: dict | None = None) -> Key:
    """The row of `fn(session, *args, **kwargs)`: its arguments bound to the signature with
    their defaults, so `metric_by_place(scope)` and `metric_by_place(scope, None, "actions")`
    are one row."""
    bound = inspect.signature(fn).bind(None, *args, **(kwargs or {}))
    bound.apply_defaults()
    values = list(bound.arguments.items())[1:]  # not the session
    territory_id = year = None
    for name, value in values:
        if isinstance(value, Scope):
            territory_id, year = value.territory_id, value.year
        elif name == "territory_id" and isinstance(value, (int, np.integer)):
            territory_id = int(value)
        elif name == "year" and isinstance(value, (int, np.integer)):
            year = int(value)
    text = json.dumps([[n, _arg(v)] for n, v in values], separators=(",", ":"),
                      ensure_ascii=False)
    if len(text) > 400:
        raise NotStorable("arguments trop longs")
    return Key(figure_name(fn), text, territory_id, year)


# --- payloads ------------------------------------------------------------------------------------

def encode(value: Any) -> Any:
    """A JSON-able form of a figure that `decode` turns back into an equal value."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else {"t": "float", "v": repr(f)}
    if isinstance(value, Decimal):
        return {"t": "dec", "v": str(value)}
    if isinstance(value, datetime):
        return {"t": "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {"t": "date", "v": value.isoformat()}
    if isinstance(value, pd.Timestamp):
        return {"t": "ts", "v": value.isoformat()}
    if isinstance(value, bytes):
        return {"t": "bytes", "v": base64.b64encode(value).decode()}
    if isinstance(value, tuple):
        return {"t": "tuple", "v": [encode(v) for v in value]}
    if isinstance(value, list):
        return {"t": "list", "v": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"t": "dict", "v": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, pd.DataFrame):
        return {"t": "df", "columns": _index(value.columns),
                "index": _index(value.index),
                "dtypes": [str(d) for d in value.dtypes],
                "data": [[encode(v) for v in value.iloc[:, i].tolist()]
                         for i in range(value.shape[1])]}
    raise NotStorable(type(value).__name__)


def _index(index: pd.Index) -> dict:
    if isinstance(index, pd.MultiIndex):
        raise NotStorable("MultiIndex")
    if isinstance(index, pd.RangeIndex):
        return {"range": [index.start, index.stop, index.step], "name": encode(index.name)}
    return {"values": [encode(v) for v in index.tolist()], "dtype": str(index.dtype),
            "name": encode(index.name)}


def _unindex(spec: dict) -> pd.Index:
    name = decode(spec["name"])
    if "range" in spec:
        return pd.RangeIndex(*spec["range"], name=name)
    return pd.Index([decode(v) for v in spec["values"]], dtype=spec["dtype"], name=name)


_PLAIN_DTYPES = ("int", "uint", "float", "bool")


def decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    t = value["t"]
    if t == "float":
        return float(value["v"])
    if t == "dec":
        return Decimal(value["v"])
    if t == "datetime":
        return datetime.fromisoformat(value["v"])
    if t == "date":
        return date.fromisoformat(value["v"])
    if t == "ts":
        return pd.Timestamp(value["v"])
    if t == "bytes":
        return base64.b64decode(value["v"])
    if t == "tuple":
        return tuple(decode(v) for v in value["v"])
    if t == "list":
        return [decode(v) for v in value["v"]]
    if t == "dict":
        return {decode(k): decode(v) for k, v in value["v"]}
    if t == "df":
        index = _unindex(value["index"])
        columns = _unindex(value["columns"])
        dtypes = set(value["dtypes"])
        if (len(dtypes) == 1 and value["data"] and next(iter(dtypes)).startswith(_PLAIN_DTYPES)
                and not any(isinstance(v, dict) for col in value["data"] for v in col)):
            # one numeric dtype (the axis × commune matrix): one 2-D array
            array = np.asarray(value["data"], dtype=next(iter(dtypes))).T
            return pd.DataFrame(array.reshape(len(index), len(columns)), index=index,
                                columns=columns)
        data = {}
        for i, (col, dtype) in enumerate(zip(value["data"], value["dtypes"])):
            if dtype.startswith(_PLAIN_DTYPES) and not any(isinstance(v, dict) for v in col):
                data[i] = np.asarray(col, dtype=dtype)   # numbers as JSON has them: fast path
            else:
                data[i] = pd.Series([decode(v) for v in col], index=index, dtype=dtype)
        frame = pd.DataFrame(data, index=index, copy=False)
        frame.columns = columns
        return frame
    raise ValueError(t)


def dumps(value: Any) -> str:
    return json.dumps(encode(value), separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    return decode(json.loads(text))


# --- reading ---------------------------------------------------------------------------------

def read(session: Session, fn: Callable, *args, **kwargs) -> Any:
    """fn(session, *args, **kwargs), read from figure_summary when stored at the current data
    version, computed from the definition otherwise (nothing is written here)."""
    try:
        k = key(fn, args, kwargs)
    except NotStorable:
        return fn(session, *args, **kwargs)
    row = session.execute(
        select(figure_summary.c.version, figure_summary.c.payload)
        .where(figure_summary.c.name == k.name, figure_summary.c.args == k.args)).first()
    if row is not None:
        now = current_version(session)
        if int(row.version) == now or _unchanged_since(session, k, int(row.version), now):
            return loads(row.payload)
    return fn(session, *args, **kwargs)


_EXPLAINED: dict[tuple, dict | None] = {}   # (database, since, now) → _changes_since
_EXPLAINED_LOCK = threading.Lock()


def _unchanged_since(session: Session, k: Key, since: int, now: int) -> bool:
    """Whether the writes from `since` to `now` all said their scope and none covers the row
    `k` (a territory × year they did not change): its stored payload is still the definition's
    answer, before the refresh has moved it to the new version. The rows of one (since, now)
    never change while they exist (a refresh deletes them with the figures stored before)."""
    if k.territory_id is None or since > now:
        return False
    cache_key = (session.get_bind().url.render_as_string(hide_password=False), since, now)
    with _EXPLAINED_LOCK:
        known = cache_key in _EXPLAINED
        scopes = _EXPLAINED.get(cache_key)
    if not known:
        try:
            with session.begin_nested():   # a reader not granted data_change: compute
                scopes = _changes_since(session, since, now)
        except DBAPIError:
            scopes = None
        with _EXPLAINED_LOCK:
            if len(_EXPLAINED) > 256:
                _EXPLAINED.clear()
            _EXPLAINED[cache_key] = scopes
    if scopes is None:
        return False
    if k.territory_id not in scopes:
        return True
    years = scopes[k.territory_id]
    return years is not None and k.year is not None and k.year not in affected_years(years)


def unchanged_between(session: Session, fn: Callable, args: tuple, kwargs: dict,
                      since: int, now: int) -> bool:
    """Whether fn(*args, **kwargs) answers at data version `now` what it answered at `since`:
    every write in between said its scope and none covers this figure's territory × year
    (`_unchanged_since`). A cache of the figures (perr_ui/widgets.py) keeps its value then."""
    if since == now:
        return True
    try:
        k = key(fn, args, kwargs)
    except NotStorable:
        return False
    return _unchanged_since(session, k, since, now)


def has_current(session: Session) -> bool:
    """Whether any figure is stored at the current data version, by this version of the code."""
    return session.execute(select(figure_summary.c.name).where(
        figure_summary.c.version == current_version(session), _of_this_code()).limit(1)
    ).first() is not None


def stored_at(session: Session, fn: Callable, *args, **kwargs) -> int | None:
    """The version a figure is stored at (None: not stored). For tests and the bench."""
    try:
        k = key(fn, args, kwargs)
    except NotStorable:
        return None
    return session.execute(select(figure_summary.c.version).where(
        figure_summary.c.name == k.name, figure_summary.c.args == k.args)).scalar()


# --- what is stored --------------------------------------------------------------------------
# Each figure says so above its definition (`@stored_figure`, figures/registry.py); the modules
# that declare some are imported by perr_model/stored_figures.py.

def published(per: str) -> list[Published]:
    """The figures `refresh` stores, per territory × year (and all years) as a `Scope` or as
    (territory, year), per axis, per territory, and once. These are what the reading pages and
    the COPIL document show for a whole territory; other calls (a commune, a quartier) are
    computed when asked."""
    return registry.published(per)


@dataclass
class RefreshReport:
    version: int
    stored: int
    skipped: int
    seconds: float
    territories: list[int] | None = None   # a scoped refresh: the territories recomputed

    def line(self) -> str:
        from ..vocabulary import plural
        return (f"Chiffres des pages mis à jour : {plural(self.stored, 'chiffre')} enregistré"
                f"{'s' if self.stored > 1 else ''} en {self.seconds:.1f} s.")


def _calls(session: Session):
    """(fn, args) of every stored figure: `fn(session, *args)` is its definition."""
    for fn, args, _ in _jobs(session):
        yield fn, args


def affected_years(years: set[int]) -> set[int]:
    """The years whose figures a change of `years` moves: those, and each following year (a
    year's trend compares it with the year before, figures.trend.year_over_year)."""
    return set(years) | {y + 1 for y in years}


def _touched(scopes: dict[int, set | None]):
    """The stored rows a scoped refresh recomputes (or drops): the figures stored once, and
    per territory changed, its own and those of the years changed (all years included)."""
    conds = [figure_summary.c.territory_id.is_(None)]
    for tid, years in scopes.items():
        mine = figure_summary.c.territory_id == tid
        if years is None:
            conds.append(mine)
        else:
            conds.append(and_(mine, or_(figure_summary.c.year.is_(None),
                                        figure_summary.c.year.in_(sorted(affected_years(years))))))
    return or_(*conds)


def _jobs(session: Session, scopes: dict[int, set | None] | None = None):
    """(fn, args, compute) of every stored figure; `compute()` gives `fn(session, *args)`
    (per axis: from the batch that computes every axis at once). With `scopes` ({territory:
    years, None: every year}), only those the scope's rows cover (`_touched`)."""
    for p in published("once"):
        yield _job(session, p.fn, p.extra)
    for tid in session.execute(select(Territory.id).order_by(Territory.id)).scalars():
        tid = int(tid)
        if scopes is not None and tid not in scopes:
            continue
        for p in published("territory"):
            yield _job(session, p.fn, (tid, *p.extra))
        axes = session.execute(select(Axis.id).where(Axis.territory_id == tid)
                               .order_by(Axis.position, Axis.id)).scalars().all()
        years = [None, *sorted(places.action_years(session, tid))]
        if scopes is not None and scopes[tid] is not None:
            wanted = affected_years(scopes[tid])
            years = [y for y in years if y is None or y in wanted]
        for year in years:
            scope = Scope(tid, year)
            for p in published("scope"):
                yield _job(session, p.fn, (scope, *p.extra))
            for p in published("territory_year"):
                yield _job(session, p.fn, (tid, year, *p.extra))
            for p in published("axis"):
                batch = cache(lambda p=p, scope=scope: p.batch(session, scope, *p.extra))
                for axis_id in axes:
                    yield (p.fn, (scope, int(axis_id), *p.extra),
                           lambda b=batch, a=int(axis_id), absent=p.absent: b().get(a, absent))


def _job(session: Session, fn: Callable, args: tuple):
    return fn, args, lambda: fn(session, *args)


def _upsert(session: Session, rows: list[dict]) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    stmt = insert(figure_summary)
    stmt = stmt.on_conflict_do_update(
        index_elements=[figure_summary.c.name, figure_summary.c.args],
        set_={c: stmt.excluded[c] for c in ("territory_id", "year", "version", "payload",
                                             "computed_at")},
        where=figure_summary.c.version <= stmt.excluded.version)
    session.execute(stmt, rows)


def _compute(session: Session, version: int,
             scopes: dict[int, set | None] | None = None) -> tuple[list[dict], int]:
    rows, skipped, now = [], 0, utcnow()
    for fn, args, compute in _jobs(session, scopes):
        try:
            k = key(fn, args)
            payload = dumps(compute())
        except NotStorable:
            skipped += 1
            continue
        rows.append({"name": k.name, "args": k.args, "territory_id": k.territory_id,
                     "year": k.year, "version": version, "payload": payload,
                     "computed_at": now})
    return rows, skipped


def refresh(engine: Engine, attempts: int = 3, *, scoped: bool = False) -> RefreshReport:
    """Compute every published figure, then store them at the data version they describe and
    drop the rows of older versions (and those another version of the code stored).

    `scoped` (the app, after a write): when every figure is stored at one version and the
    data_change rows explain every write since (`_changes_since`), compute only the figures of
    the territory × years those writes changed (`_touched`), and move the others to the new
    version as they are (their data did not change); otherwise compute everything.

    The computing does not block writers: it reads (PostgreSQL: in one REPEATABLE READ
    snapshot; SQLite: statement by statement, without holding a lock), then a short write
    transaction stores the rows only if the data version is still the one read at the start
    — no write was committed meanwhile, so every figure describes that version. Otherwise it
    starts again (`attempts` times; the writer's own refresh follows its write anyway)."""
    started = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"
    reader = engine if sqlite else engine.execution_options(isolation_level="REPEATABLE READ")
    version, rows, skipped = 0, [], 0
    for _ in range(max(1, attempts)):
        with Session(reader) as session:
            version = current_version(session)
            since = scopes = None
            if scoped:
                since = _stored_version(session)
                if since is not None and since <= version:
                    scopes = _changes_since(session, since, version) if since < version else {}
            rows, skipped = _compute(session, version, scopes)
        with Session(engine) as session, session.begin():
            if sqlite:  # the write lock first, then the version: nobody commits in between
                session.execute(delete(figure_summary).where(figure_summary.c.version < 0))
            if current_version(session) != version:
                continue   # the data changed while computing: these figures are not current
            if scopes is not None:
                if _stored_version(session) != since:
                    continue   # another refresh stored meanwhile: start from its figures
                session.execute(update(figure_summary).where(
                    figure_summary.c.version == since, _of_this_code(), ~_touched(scopes))
                    .values(version=version))
            _upsert(session, rows)
            session.execute(delete(figure_summary).where(
                (figure_summary.c.version < version) | ~_of_this_code()))
            session.execute(delete(data_change).where(data_change.c.n_after <= version))
            return RefreshReport(version, len(rows), skipped, time.perf_counter() - started,
                                 None if scopes is None else sorted(scopes))
    return RefreshReport(version, 0, skipped, time.perf_counter() - started)


# --- refreshing after a write, in the background (the app) ---------------------------------

import logging  # noqa: E402 - the refresher's log, kept in its section

_log = logging.getLogger(__name__)
_lock = threading.Lock()
_pending: dict[str, bool] = {}


def refresh_later(url: str, open_store: Callable[[], Any]) -> None:
    """Refresh the database `url` in a background thread (one at a time per database; a write
    during a refresh asks for one more). `open_store()` gives the thread its own writable Store
    of that database (`Store.background_writer`: this module opens no connection). The figures
    stay exact meanwhile: the pages compute what is not stored at the current version.
    Whatever a refresh raises is logged and the next write asks again: a failure never leaves
    the database marked as being refreshed."""
    with _lock:
        if url in _pending:
            _pending[url] = True
            return
        _pending[url] = False
    try:
        threading.Thread(target=_refresh_loop, args=(url, open_store),
                         name="perr-figures-refresh", daemon=True).start()
    except BaseException:
        with _lock:
            _pending.pop(url, None)
        raise


def _refresh_loop(url: str, open_store: Callable[[], Any]) -> None:
    store, done = None, False
    try:
        while True:
            try:
                if store is None:
                    store = open_store()
                refresh(store.write_engine, scoped=True)
            except (OperationalError, DBAPIError) as exc:
                # busy, or a serialisation failure: the next write or start retries
                _log.warning("Chiffres enregistrés non recalculés (%s) : base occupée (%s).",
                             _where(url), type(exc).__name__)
            except Exception:  # noqa: BLE001 - a thread has nobody to raise to: log it
                _log.exception("Chiffres enregistrés non recalculés (%s).", _where(url))
            with _lock:
                if not _pending.get(url):
                    _pending.pop(url, None)
                    done = True
                    return
                _pending[url] = False
    finally:
        if not done:
            with _lock:
                _pending.pop(url, None)
        if store is not None:
            store.dispose()


def _where(url: str) -> str:
    """The database's address for a log line, without its password."""
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "base"


def refresh_running(url: str) -> bool:
    with _lock:
        return url in _pending
