"""The pages' cache after a write (issue 27, item 2): a save in one territory × year leaves the
figures of every other territory cached — nothing is read again for them — while those of its
scope are read at the new version and equal their definition. On SQLite and PostgreSQL, through
perr_ui.widgets.cached as the pages call it (Streamlit's cache outside a running app); the
statements each call sends are counted on the read engine."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from perr_model import editing
from perr_model.auth import Actor
from perr_model.figures import coverage
from perr_model.figures.scope import Scope
from perr_model.schema import Action, Territory
from perr_model.store import Store, make_engine
from test_figures_stored import same

ADMIN = Actor(username="test", role="admin")


@pytest.fixture
def ui(loaded_url, monkeypatch):
    """perr_ui.widgets on `loaded_url`, and the SQL its reads send. (Whether the figures are
    stored or computed does not matter here: the cache's key follows the write scopes.)"""
    monkeypatch.setenv("DATABASE_URL", loaded_url)
    monkeypatch.setenv("PERR_PUBLIC", "0")
    import streamlit as st

    from perr_ui import common, widgets
    st.cache_data.clear()
    st.cache_resource.clear()
    widgets._SEEN.clear()
    sent: list[str] = []
    read = common._engine(loaded_url, True)
    event.listen(read, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: sent.append(statement.lower()))
    yield widgets, sent
    st.cache_data.clear()
    st.cache_resource.clear()


def figure_reads(sent: list[str]) -> list[str]:
    """The statements that read figures or data, not the data version and write scopes."""
    return [s for s in sent if "data_version" not in s and "data_change" not in s
            and "savepoint" not in s]


def test_a_write_leaves_the_other_territorys_figures_cached(ui, loaded_url):
    widgets, sent = ui
    engine = make_engine(loaded_url, read_only=False)
    with Session(engine) as s:
        action = s.scalars(select(Action).where(
            Action.archived.is_(False), Action.year_start.is_not(None)).order_by(Action.id)
                           ).first()
        aid, ours = action.id, action.territory_id
        other = s.scalars(select(Territory.id).where(Territory.id != ours)
                          .order_by(Territory.id)).first()
        before_ours = coverage.headline(s, Scope(ours, None))
    mine, theirs = Scope(ours, None), Scope(other, None)
    first_mine, first_theirs = widgets.cached(coverage.headline, mine), widgets.cached(
        coverage.headline, theirs)
    same(first_mine, before_ours)

    # archive one action of `ours`; the background refresh does not run (the test looks at
    # the moment between the write and the refresh, when the scope rows exist)
    store = Store(loaded_url, read_only=False, refresh=False)
    store.on_change(widgets.forget_version)
    with store.write() as s:
        editing.set_archived(s, ADMIN, aid, True, expected_version=None)
    store.dispose()
    with engine.connect() as c:
        assert c.execute(text("select count(*) from data_change")).scalar() == 1

    sent.clear()
    same(widgets.cached(coverage.headline, theirs), first_theirs)
    assert figure_reads(sent) == [], sent          # served from the cache: nothing read

    sent.clear()
    after_mine = widgets.cached(coverage.headline, mine)
    assert figure_reads(sent), "the written territory's figure must be read again"
    with Session(engine) as s:
        same(after_mine, coverage.headline(s, mine))   # the definition, computed afresh
    assert after_mine["actions"] == before_ours["actions"] - 1
    engine.dispose()


def test_a_write_that_says_no_scope_reads_everything_again(ui, loaded_url):
    widgets, sent = ui
    engine = make_engine(loaded_url, read_only=False)
    with Session(engine) as s:
        other = s.scalars(select(Territory.id).order_by(Territory.id)).all()[1]
    theirs = Scope(other, None)
    widgets.cached(coverage.headline, theirs)
    with engine.begin() as c:   # raw SQL: no scope said
        c.execute(text("update action set title = title || ' (modifié)' "
                       "where territory_id = :t"), {"t": other})
    widgets.forget_version()
    sent.clear()
    value = widgets.cached(coverage.headline, theirs)
    assert figure_reads(sent), "a write without scope must be read again"
    with Session(engine) as s:
        same(value, coverage.headline(s, theirs))
    engine.dispose()
