"""A write refreshes only its scope's stored figures (issue 27, item 2), on SQLite and PostgreSQL.

An action created, edited, archived or restored says which territory and years it changes
(perr_model/write_scope.py); the scoped refresh recomputes those figures and moves the others to
the new version as they are. Expected values come from raw SQL on figure_summary and from the
definitions computed afresh; a write that says nothing (raw SQL) makes the refresh recompute
everything."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from perr_model import editing
from perr_model.auth import Actor
from perr_model.figures import places, stored
from perr_model.schema import Action, Territory
from perr_model.store import Store, make_engine
from store_support import champigny
from test_figures_stored import same

OLD = datetime(2000, 1, 1)
ADMIN = Actor(username="test", role="admin")


@pytest.fixture
def engine(loaded_url):
    eng = make_engine(loaded_url, read_only=False)
    yield eng
    eng.dispose()


@pytest.fixture
def store(loaded_url):
    s = Store(loaded_url, read_only=False, refresh=False)   # the test refreshes itself
    yield s
    s.dispose()


def rows(url: str) -> dict:
    """figure_summary by raw SQL: (name, args) → (territory, year, version, payload, computed_at)."""
    eng = create_engine(url)
    try:
        with eng.connect() as c:
            return {(r[0], r[1]): tuple(r[2:]) for r in c.execute(text(
                "select name, args, territory_id, year, version, payload, computed_at "
                "from figure_summary"))}
    finally:
        eng.dispose()


def is_old(computed_at) -> bool:  # noqa: ANN001 - a datetime (PostgreSQL) or its text (SQLite)
    return str(computed_at).startswith("2000-01-01")


def raw(url: str, sql: str, **params):
    eng = create_engine(url)
    try:
        with eng.begin() as c:
            result = c.execute(text(sql), params)
            return result.all() if result.returns_rows else None
    finally:
        eng.dispose()


def assert_all_exact(engine) -> int:
    """Every published figure is stored at the current version and equals its definition."""
    n = 0
    with Session(engine) as s:
        version = stored.current_version(s)
        for fn, args in stored._calls(s):
            assert stored.stored_at(s, fn, *args) == version, (fn.__name__, args)
            same(stored.read(s, fn, *args), fn(s, *args))
            n += 1
    assert len(rows(str(engine.url.render_as_string(hide_password=False)))) == n
    return n


def assert_all_current(engine) -> None:
    """Every published figure is stored at the current version, nothing else is kept."""
    with Session(engine) as s:
        version = stored.current_version(s)
        calls = list(stored._calls(s))
        assert all(stored.stored_at(s, fn, *args) == version for fn, args in calls)
    assert len(rows(str(engine.url.render_as_string(hide_password=False)))) == len(calls)


def other_territory(session: Session, tid: int) -> int:
    return session.scalars(select(Territory.id).where(Territory.id != tid)
                           .order_by(Territory.id)).first()


def test_an_action_edit_refreshes_only_its_territory_and_years(engine, store, loaded_url):
    stored.refresh(engine)
    with Session(engine) as s:
        tid = champigny(s)[0].id
        other = other_territory(s, tid)
        years = sorted(places.action_years(s, tid))
        action = s.scalars(select(Action).where(
            Action.territory_id == tid, Action.archived.is_(False),
            Action.year_start == years[0], Action.year_end.is_(None)
            | (Action.year_end == Action.year_start)).order_by(Action.id)).first()
        assert action is not None and len(years) >= 3, years
        aid, start = action.id, action.year_start
    new_end = years[-1]                       # the action now runs to the last year
    raw(loaded_url, "update figure_summary set computed_at = :old", old=OLD)
    before = rows(loaded_url)
    assert {r[0] for r in before.values()} >= {tid, other}

    with store.write() as s:
        editing.update_action(s, ADMIN, aid, {"year_end": str(new_end)}, expected_version=None)
    version = raw(loaded_url, "select n from data_version where id = 1")[0][0]
    changes = raw(loaded_url, "select territory_id, years, n_after from data_change")
    assert [(t, n) for t, _, n in changes] == [(tid, version)]
    noted = set(json.loads(changes[0][1]))
    assert noted >= set(range(start, new_end + 1))   # before (its start) and after (to the end)

    report = stored.refresh(engine, scoped=True)
    assert report.territories == [tid]
    after = rows(loaded_url)
    assert after.keys() == before.keys()
    touched = noted | {y + 1 for y in noted}  # the years it ran or runs, and each following one
    for k, (t, year, v, payload, computed_at) in after.items():
        assert v == version, k
        if t == tid and (year is None or year in touched):
            assert not is_old(computed_at), k               # recomputed…
        elif t is not None:
            assert is_old(computed_at), k               # …the others kept as they were
            assert payload == before[k][3], k
    assert any(r[0] == other and is_old(r[4]) for r in after.values())
    assert raw(loaded_url, "select count(*) from data_change")[0][0] == 0
    assert_all_exact(engine)   # and every figure equals its definition


def test_figures_stay_exact_after_every_kind_of_write(engine, store, loaded_url, shared_data):
    """After each write and a scoped refresh, every stored figure equals its definition."""
    stored.refresh(engine)
    with Session(engine) as s:
        tid = champigny(s)[0].id
        other = other_territory(s, tid)

    def scoped(expected):
        report = stored.refresh(engine, scoped=True)
        assert report.territories == expected
        if expected is None:   # everything recomputed: the full refresh, whose exactness
            assert_all_current(engine)   # test_figures_stored checks after every kind of write
        else:
            assert_all_exact(engine)

    # create (a year with no action yet: a new year appears), then edit years and money
    with store.write() as s:
        aid = editing.create_action(s, ADMIN, {
            "title": "Atelier d'essai", "year_start": "2031", "communes": ["94017"],
            "funding": [{"funder": "commune", "amount_approved": "1 000"}]},
            territory_id=tid).id
    scoped([tid])
    with store.write() as s:
        editing.update_action(s, ADMIN, aid, {
            "year_start": "2030", "year_end": "2032",
            "funding": [{"funder": "commune", "year": "2032", "amount_approved": "2 500"}]},
            expected_version=None)
    scoped([tid])
    with store.write() as s:                      # moved back: 2031 and 2032 lose it
        editing.update_action(s, ADMIN, aid, {"year_start": "2030", "year_end": "2030",
                                              "funding": []}, expected_version=None)
    scoped([tid])
    # archive, unarchive, restore a recorded version
    for archived in (True, False):
        with store.write() as s:
            editing.set_archived(s, ADMIN, aid, archived, expected_version=None)
        scoped([tid])
    with Session(engine) as s:
        from perr_model.history import entries
        first = entries(s, "action", aid)[0].id
    with store.write() as s:
        editing.restore_version(s, ADMIN, aid, first)
    scoped([tid])

    # a spreadsheet import (actions of two territories' communes would be two scopes)
    from perr_model.importers.actions import guess_mapping, import_actions, read_table
    sheet = ("Référence;Intitulé de l'action;Porteur;Communes;Statut;Année\n"
             "SCOPED-1;Action importée;Association;94017;En cours;2029\n").encode("utf-8")
    table = read_table(sheet, "programmation.csv")
    with store.write() as s:
        import_actions(s, ADMIN, table, guess_mapping(list(table.columns)),
                       source="programmation.csv")
    scoped([tid])

    # an official file of State posts: no scope said, everything recomputed
    from perr_model.importers import registry
    posts = sorted((shared_data / "anct").glob("*.json"))
    assert posts, "fichiers de postes d'essai absents de tests/fixtures"
    with store.write() as s:
        registry.posts(s, ADMIN, posts[0])
    scoped(None)

    # the referential changed by SQL (an axis renamed in the other territory): everything
    raw(loaded_url, "update axis set title = title || ' (modifié)' where territory_id = :t",
        t=other)
    scoped(None)

    # a scoped write after an unscoped one, both before the refresh: everything
    with store.write() as s:
        editing.update_action(s, ADMIN, aid, {"title": "Atelier renommé"},
                              expected_version=None)
    raw(loaded_url, "update action set title = title where id = :a", a=aid)
    scoped(None)

    # two scoped writes in a row, one refresh: both scopes
    with store.write() as s:
        editing.update_action(s, ADMIN, aid, {"year_end": "2031"}, expected_version=None)
    with store.write() as s:
        editing.set_archived(s, ADMIN, aid, True, expected_version=None)
    scoped([tid])
    # nothing written since: nothing recomputed but the figures stored once, the others
    # kept as they are (raw SQL)
    before = rows(loaded_url)
    assert stored.refresh(engine, scoped=True).territories == []
    after = rows(loaded_url)
    assert after.keys() == before.keys()
    assert all(after[k][3] == before[k][3] for k in after if before[k][0] is not None)


def test_before_the_refresh_a_read_outside_the_scope_uses_the_stored_figure(engine, store,
                                                                         loaded_url):
    """Between a write and its refresh the pages compute only the figures of the scope the
    write changed: another territory's stored figure is still its definition's answer."""
    from perr_model.figures import coverage
    from perr_model.figures.scope import Scope
    stored.refresh(engine)
    with Session(engine) as s:
        tid = champigny(s)[0].id
        other = other_territory(s, tid)
        aid = s.scalars(select(Action.id).where(Action.territory_id == tid,
                                                Action.archived.is_(False))).first()
    name = stored.key(coverage.headline, (Scope(other),)).name
    marker = raw(loaded_url, "select payload from figure_summary where name = :n and args = :a",
                 n=name, a=stored.key(coverage.headline, (Scope(other),)).args)[0][0]
    with store.write() as s:
        editing.set_archived(s, ADMIN, aid, True, expected_version=None)
    with Session(engine) as s:
        assert not stored.has_current(s)                 # nothing refreshed yet
        got = stored.read(s, coverage.headline, Scope(other))
        assert stored.dumps(got) == marker               # the stored payload, as it was
        same(got, coverage.headline(s, Scope(other)))    # and still exact
        mine = stored.read(s, coverage.headline, Scope(tid))
        same(mine, coverage.headline(s, Scope(tid)))     # the changed one: computed
    # an unscoped write (raw SQL): nothing stored is read any more
    raw(loaded_url, "update action set title = title where id = :a", a=aid)
    with Session(engine) as s:
        calls = []
        real = coverage.headline

        def counting(session, scope):  # noqa: ANN001
            calls.append(scope)
            return real(session, scope)
        counting.__module__, counting.__qualname__ = real.__module__, real.__qualname__
        counting.__wrapped__ = real
        stored.read(s, counting, Scope(other))
        assert calls == [Scope(other)]


def test_an_administrators_action_list_is_every_action_of_the_territory(store, loaded_url):
    """The form's list for an administrator (read as columns: forms.action_choices) is every
    action of the territory, archived last, by title (raw SQL); an editor's goes on being
    checked action by action."""
    from perr_model import forms
    with store.read() as s:
        tid = champigny(s)[0].id
        choices = forms.action_choices(s, ADMIN, tid)
    expected = raw(loaded_url, "select id, archived from action where territory_id = :t "
                               "order by archived, title", t=tid)
    assert [(c.id, c.archived) for c in choices] == [(i, bool(a)) for i, a in expected]
    assert len(choices) > 10
    other = Actor(username="test", role="admin", territory_id=tid + 1000)
    with store.read() as s:
        assert forms.action_choices(s, other, tid) == []   # not their territory
