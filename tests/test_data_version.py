"""The data version's triggers, by their effect (issue 23, item 6): every INSERT, UPDATE and
DELETE (and TRUNCATE on PostgreSQL) on a table the figures read increments `data_version.n`
at its commit, so the pages never read figures stored for older data. SQLite and PostgreSQL.

The tables are taken from the database's own triggers (sqlite_master, pg_trigger) and from the
schema: a new table is exercised as soon as it exists, with one row built from its columns'
types. A trigger made a no-op, or one that lost an event, fails here by its effect."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import (
    BigInteger, Boolean, Date, DateTime, Float, Integer, Numeric, String, Text, text,
)
from sqlalchemy.orm import Session

from perr_model.figures import Scope, coverage, money, stored
from perr_model.schema import UNVERSIONED_TABLES, Base
from perr_model.store import make_engine
from store_support import champigny

EVENTS = ("INSERT", "UPDATE", "DELETE")
PG_EVENT_BITS = {"INSERT": 4, "DELETE": 8, "UPDATE": 16, "TRUNCATE": 32}  # pg_trigger.tgtype


@pytest.fixture
def engine(empty_url):
    eng = make_engine(empty_url, read_only=False)
    yield eng
    eng.dispose()


def version(engine) -> int:
    with engine.connect() as c:
        return c.execute(text("select n from data_version where id = 1")).scalar_one()


def version_triggers(engine) -> dict[str, set[str]]:
    """{table: events} of the data version's triggers, as the database holds them."""
    found: dict[str, set[str]] = {}
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            for table, sql in c.execute(text(
                    "select tbl_name, sql from sqlite_master where type = 'trigger' "
                    "and sql like '%data_version%'")):
                head = sql.upper().split(" BEGIN")[0]
                found.setdefault(table, set()).update(e for e in EVENTS if f" {e} " in head)
        else:
            for table, tgtype in c.execute(text(
                    "select t.tgrelid::regclass::text, t.tgtype from pg_trigger t "
                    "join pg_proc p on p.oid = t.tgfoid "
                    "where p.proname = 'perr_bump_data_version'")):
                found.setdefault(table, set()).update(
                    e for e, bit in PG_EVENT_BITS.items() if tgtype & bit)
    return found


def one_value(column, parents: dict):
    """A value of `column`'s type; a foreign key names the row made in the table it points to."""
    fk = next(iter(column.foreign_keys), None)
    if fk is not None:
        if fk.column.table is column.table:
            return None
        return parents[fk.column.table.name][fk.column.name]
    kind = column.type
    for types, value in (((Boolean,), False), ((Integer, BigInteger), 1),
                         ((Numeric, Float), 1), ((DateTime,), datetime(2021, 1, 1)),
                         ((Date,), date(2021, 1, 1)), ((String, Text), "x")):
        if isinstance(kind, types):
            return value
    raise AssertionError(f"{column.table.name}.{column.name} : type {kind!r} à ajouter au test")


def new_row(table, parents: dict) -> dict:
    auto = [c for c in table.primary_key.columns
            if c.autoincrement is not False and isinstance(c.type, Integer)
            and not c.foreign_keys and len(table.primary_key.columns) == 1]
    return {c.name: one_value(c, parents) for c in table.columns if c not in auto}


def bumps(engine, sql) -> int:
    """Run `sql` (a statement or a callable on the connection) in its own transaction; return
    how much the data version moved at its commit."""
    before = version(engine)
    with engine.begin() as c:
        result = sql(c) if callable(sql) else c.execute(sql)
    return version(engine) - before, result


def test_every_statement_on_every_versioned_table_moves_the_version(engine):
    triggers = version_triggers(engine)
    tables = set(triggers) | (set(Base.metadata.tables) - UNVERSIONED_TABLES)
    missing = {t: set(EVENTS) - triggers.get(t, set()) for t in tables}
    assert not {t: e for t, e in missing.items() if e}, "tables sans déclencheur de version"
    assert len(tables) >= 27
    ordered = [t for t in Base.metadata.sorted_tables if t.name in tables]
    assert {t.name for t in ordered} == tables

    parents: dict[str, dict] = {}
    for table in ordered:   # parents first: each row's foreign keys name rows made before
        row = new_row(table, parents)
        moved, result = bumps(engine, table.insert().values(**row))
        assert moved > 0, f"INSERT INTO {table.name} n'a pas changé la version"
        parents[table.name] = {**row, **dict(zip(
            (c.name for c in table.primary_key.columns), result.inserted_primary_key))}
    for table in ordered:
        col = next(c for c in table.columns)
        where = [c == parents[table.name][c.name] for c in table.primary_key.columns]
        moved, result = bumps(engine, table.update().where(*where).values({col: col}))
        assert result.rowcount == 1
        assert moved > 0, f"UPDATE {table.name} n'a pas changé la version"
    for table in reversed(ordered):   # children first: nothing left for a cascade to delete
        where = [c == parents[table.name][c.name] for c in table.primary_key.columns]
        moved, result = bumps(engine, table.delete().where(*where))
        assert result.rowcount == 1
        assert moved > 0, f"DELETE FROM {table.name} n'a pas changé la version"
    if engine.dialect.name == "postgresql":
        for table in reversed(ordered):
            moved, _ = bumps(engine, text(f'TRUNCATE "{table.name}" CASCADE'))
            assert moved > 0, f"TRUNCATE {table.name} n'a pas changé la version"


def test_a_rolled_back_write_leaves_the_version(engine):
    table = Base.metadata.tables["pillar"]
    before = version(engine)
    with pytest.raises(RuntimeError):
        with engine.begin() as c:
            c.execute(table.insert().values(code="x", name="X", position=1))
            raise RuntimeError("annulé")
    assert version(engine) == before


def test_an_amount_changed_by_hand_is_what_the_pages_read(loaded_url, rw_engine):
    """A funding line's amount (a State post of the embedded data, its only lines) set to
    999 999 by raw SQL, alone in its transaction: the stored headline and posts table (what the
    pages and the COPIL read through figures.stored) give the new amount, not the old."""
    engine = rw_engine(loaded_url)
    stored.refresh(engine)
    with Session(engine) as s:
        tid = champigny(s)[0].id
    scope = Scope(tid)
    posts = ("select f.id, f.amount_approved from funding_line f join contrat_de_ville cv "
             "on cv.id = f.contrat_de_ville_id where f.action_id is null "
             "and cv.territory_id = :t and f.amount_approved is not null order by f.id")
    with engine.connect() as c:
        lines = c.execute(text(posts), {"t": tid}).all()
    before = sum(float(a) for _, a in lines)
    line, old = lines[0]
    assert old != 999999 and before > 0
    with Session(engine) as s:
        assert stored.stored_at(s, coverage.headline, scope) == stored.current_version(s)
        assert stored.read(s, coverage.headline, scope)["posts_amount"] == pytest.approx(before)
    with engine.begin() as c:
        c.execute(text("update funding_line set amount_approved = 999999 where id = :i"),
                  {"i": line})
    with engine.connect() as c:
        after = sum(float(a) for _, a in c.execute(text(posts), {"t": tid}))
    assert after == pytest.approx(before - float(old) + 999999)
    for refreshed in (False, True):   # before the figures are stored again, and after
        with Session(engine) as s:
            assert stored.read(s, coverage.headline, scope)["posts_amount"] == \
                pytest.approx(after)
            assert float(stored.read(s, money.state_posts, scope)["amount"].sum()) == \
                pytest.approx(after)
            assert (stored.stored_at(s, coverage.headline, scope)
                    == stored.current_version(s)) == refreshed
        stored.refresh(engine)
