"""The triggers of migration 0004 implement the definitions of perr_model.figures.definitions:
they watch exactly the link tables the definitions name, and their source SQL returns the same
pairs as the Python definitions on a store with actions of every kind (SQLite and PostgreSQL)."""
from __future__ import annotations


import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from perr_model import synthetic
from perr_model.figures.definitions import (
    AXIS_SERVED, COMMUNE_REACHED, axis_links_definition, commune_links_definition,
)
from perr_model.store import make_engine
from store_support import migration as load_migration


def migration():
    return load_migration("0004_derived_links.py")


@pytest.mark.parametrize("sqlite", [True, False])
def test_triggers_watch_exactly_the_defined_link_tables(sqlite):
    m = migration()
    for definition in (AXIS_SERVED, COMMUNE_REACHED):
        target = definition["table"]
        watched = {}
        for _name, table, event, body in m.triggers(sqlite):
            if target in body and event in ("INSERT", "DELETE", "UPDATE"):
                watched.setdefault(table, set()).add(event)
        link_tables = {t for t, events in watched.items() if t.startswith("action_")}
        assert link_tables == {src for src, _ in definition["sources"]}, target
        for table in link_tables:
            assert watched[table] == {"INSERT", "DELETE", "UPDATE"}, (target, table)


def test_trigger_sql_returns_the_python_definitions(empty_url):
    synthetic.generate_into(empty_url, n_qpv=6, n_contrats=2, n_actions=120,
                            n_funding_lines=40, seed=3)
    m = migration()
    everything = "SELECT id FROM action"
    engine = make_engine(empty_url)
    try:
        with Session(engine) as s:
            served_sql = {(int(x), int(a)) for a, x in s.execute(text(m.served_of(everything)))}
            served_py = {(int(x), int(a)) for x, a in s.execute(axis_links_definition())}
            reached_sql = {(int(x), int(a)) for a, x in s.execute(text(m.reached_of(everything)))}
            reached_py = {(int(x), int(a)) for x, a in s.execute(commune_links_definition())}
    finally:
        engine.dispose()
    assert served_sql == served_py and len(served_py) > 100
    assert reached_sql == reached_py and len(reached_py) > 100
