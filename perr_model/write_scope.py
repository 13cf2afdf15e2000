"""The scope of a write (issue 27, item 2): which territory × years of stored figures it changes.

A write that knows what it changes says so in its transaction: `note_scope(session, territory,
years)` (an action: `note_action`, called before and after the change, perr_model.editing).
`write_session` (perr_model.store) then records, in the same transaction, one `data_change` row
per territory with the data versions the write moved from and to (`record_scope`).
`figures.stored.refresh(scoped=True)` recomputes only the figures of those territory × years
when these rows explain every version since the stored figures; a write that said nothing (raw
SQL, an official file, a territory created…) leaves a gap, and the refresh recomputes
everything. So a scope can be wrong only when a writer declares less than it writes.

This module imports only the schema: the services note their scope without loading the figures.
"""
from __future__ import annotations

import json

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from .schema import data_change, data_version


def current_version(session: Session) -> int:
    """data_version.n: changes at the commit of every transaction that writes the data."""
    return int(session.execute(select(data_version.c.n).where(data_version.c.id == 1)
                               ).scalar_one())



_SCOPE = "perr_scope"          # session.info: {territory_id: set of years | None (every year)}
_SCOPE_START = "perr_scope_n"  # session.info: the data version before the write (SQLite)
_EVERYTHING = "perr_scope_all"


def note_scope(session: Session, territory_id: int | None, years=None) -> None:
    """This transaction changes the figures of `territory_id` for `years` (an iterable of
    years; None: every year; the all-years figures and the territory's own always count).
    `territory_id` None: anything may change (the next refresh recomputes everything).

    On SQLite the first note takes the database's write lock and reads the version, so that no
    other writer commits between it and this transaction's writes: call it before writing."""
    info = session.info
    if territory_id is None:
        info[_EVERYTHING] = True
        return
    scopes = info.setdefault(_SCOPE, {})
    if _SCOPE_START not in info and session.get_bind().dialect.name == "sqlite":
        session.execute(delete(data_change).where(data_change.c.id < 0))  # the write lock
        info[_SCOPE_START] = current_version(session)
    tid = int(territory_id)
    if years is None or scopes.get(tid, set()) is None:
        scopes[tid] = None
    else:
        scopes.setdefault(tid, set()).update(int(y) for y in years if y is not None)


def action_years(action) -> set[int]:  # noqa: ANN001 - a schema.Action
    """The years whose figures count `action`: those it runs (start to end), and those of its
    funding lines (a line without a year counts in its action's first year)."""
    years: set[int] = set()
    if action.year_start is not None:
        end = action.year_end if action.year_end is not None else action.year_start
        years.update(range(int(action.year_start), int(max(action.year_start, end)) + 1))
    for line in action.funding_lines:
        year = line.year if line.year is not None else action.year_start
        if year is not None:
            years.add(int(year))
    return years


def note_action(session: Session, action) -> None:  # noqa: ANN001 - a schema.Action
    """`note_scope` for an action as it is now: call it before changing it and after."""
    note_scope(session, action.territory_id, action_years(action))


def record_scope(session: Session) -> None:
    """At the end of a write transaction (write_session): the data_change rows of what it
    noted, when it noted something and changed the data version. PostgreSQL: the deferred
    version trigger is fired now (SET CONSTRAINTS ALL IMMEDIATE), so the version this
    transaction commits is known and locked; it increments once per transaction."""
    info = session.info
    scopes = info.pop(_SCOPE, None)
    start = info.pop(_SCOPE_START, None)
    if not scopes or info.pop(_EVERYTHING, False):
        return
    if session.get_bind().dialect.name == "sqlite":
        if start is None:
            return
        after = current_version(session)
        before = int(start)
    else:
        session.flush()
        session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
        bumped = session.execute(text(
            "SELECT current_setting('perr.data_version_bumped', true)")).scalar()
        if bumped != "1":
            return
        after = current_version(session)
        before = after - 1
    if after <= before:
        return
    session.execute(data_change.insert(), [
        {"n_before": before, "n_after": after, "territory_id": tid,
         "years": None if years is None else json.dumps(sorted(years))}
        for tid, years in sorted(scopes.items())])


