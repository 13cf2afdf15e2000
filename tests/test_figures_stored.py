"""Stored figures (issue 12, item 2): what the pages read equals what the definitions compute,
after every kind of write, on SQLite and PostgreSQL.

The figures are stored by `perr_model.figures.stored.refresh` with the data version they were
computed at; the database increments that version at the commit of every transaction that
writes (migration 0007_figure_store). So after a write nothing stored may be read until the next
refresh, and after a refresh every stored figure equals its definition. Each write below is done
the way some part of the product does it (ORM, bulk insert, importer, raw SQL, cascade)."""
from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from perr_model import synthetic
from perr_model.errors import PerrError
from perr_model.figures import Scope, coverage, stored
from perr_model.schema import (
    UNVERSIONED_TABLES, Action, Axis, Base, Commune, FundingLine, Qpv, Territory, action_qpv,
    figure_summary,
)
from perr_model.store import make_engine, write_session
from store_support import champigny, migration as load_migration


def migration():
    return load_migration("0007_figure_store.py")


def same(got, expected) -> None:
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected)
    elif isinstance(expected, dict):
        assert got.keys() == expected.keys()
        for k in expected:
            same(got[k], expected[k])
    elif isinstance(expected, (list, tuple)):
        assert type(got) is type(expected) and len(got) == len(expected)
        for a, b in zip(got, expected):
            same(a, b)
    elif isinstance(expected, float) and np.isnan(expected):
        assert isinstance(got, float) and np.isnan(got)
    else:
        assert got == expected and type(got) is type(expected), (got, expected)


def assert_stored_exact(engine, territory_id: int | None = None) -> int:
    """Refresh, then every published figure is stored at the current version and reads back
    equal to its definition (those of one territory when `territory_id` is given: the one the
    write touched). Returns how many were stored."""
    report = stored.refresh(engine)
    n = 0
    with Session(engine) as s:
        version = stored.current_version(s)
        assert report.version == version
        for fn, args in stored._calls(s):
            assert stored.stored_at(s, fn, *args) == version, (fn.__name__, args)
            n += 1
            if territory_id is None or stored.key(fn, args).territory_id in (None, territory_id):
                same(stored.read(s, fn, *args), fn(s, *args))
        # nothing else is kept: older versions are dropped
        assert s.scalar(select(func.count()).select_from(figure_summary)) == n == report.stored
    return n


def assert_nothing_stale(engine, before: int) -> None:
    """After a write: the version moved, so no stored figure is current any more."""
    with Session(engine) as s:
        now = stored.current_version(s)
        assert now > before
        assert not stored.has_current(s)


def version(engine) -> int:
    with Session(engine) as s:
        return stored.current_version(s)


def headline_actions(engine, tid: int, year=None) -> tuple[int, int]:
    """(what the pages read, what the definition says) for the number of actions."""
    with Session(engine) as s:
        scope = Scope(tid, year)
        return (stored.read(s, coverage.headline, scope)["actions"],
                coverage.headline(s, scope)["actions"])


@pytest.fixture
def engine(loaded_url):
    eng = make_engine(loaded_url, read_only=False)
    yield eng
    eng.dispose()


def test_every_table_a_figure_reads_has_a_version_trigger(engine):
    # 0007's tables, and those later migrations add with their triggers (0014: the frames)
    versioned = set(migration().VERSIONED) | set(load_migration("0014_frames.py").VERSIONED)
    tables = set(Base.metadata.tables)
    assert tables - UNVERSIONED_TABLES == versioned
    with Session(engine) as s:
        if engine.dialect.name == "sqlite":
            found = {}
            for table, name in s.execute(text(
                    "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' "
                    "AND name LIKE 'trg_version_%'")):
                found.setdefault(table, set()).add(name.rsplit("_", 1)[-1])
            assert found == {t: {"ins", "upd", "del"} for t in versioned}
        else:
            found = {r[0] for r in s.execute(text(
                "SELECT tgrelid::regclass::text FROM pg_trigger "
                "WHERE tgname LIKE 'trg_version_%' AND NOT tgname LIKE '%_truncate'"))}
            assert found == versioned


def test_payloads_round_trip_exactly():
    frame = pd.DataFrame({"n": [1, 2, 3], "amount": [1.5, float("nan"), 0.0],
                          "label": ["a", None, "Axe 1 – « x »"],
                          "mixed": [1, None, Decimal("2.50")], "flag": [True, False, True]},
                         index=pd.Index([10, 20, 30], name="axis_id"))
    frame.columns.name = "colonnes"
    values = [frame, {"a": 1, 3: (1.0, None), (2, "x"): [frame.iloc[:0]]},
              ({5: 2.0}, {}), float("inf"), np.int64(7), Decimal("1234.56"),
              pd.DataFrame(index=pd.RangeIndex(0, 0)),
              pd.DataFrame([[1, 2, 3], [4, 5, 6]], columns=["Champigny", "Créteil", "Total"],
                           index=pd.Index(["Axe 1", "Axe 2"], name="Axe")),
              pd.DataFrame([[1.5, 2.0]], columns=["a", "b"]),
              pd.DataFrame({"a": pd.Series([], dtype="int64")})]
    for value in values:
        same(stored.loads(stored.dumps(value)), value if not isinstance(value, np.integer)
             else int(value))
    with pytest.raises(stored.NotStorable):
        stored.dumps(object())


def test_pages_read_the_definitions_after_every_kind_of_write(engine):
    n = assert_stored_exact(engine)
    assert n > 100   # two territories × (all years + each year) × the published figures
    with Session(engine) as s:
        territory, commune = champigny(s)
        tid, cid = territory.id, commune.id
        assert stored.has_current(s)

    # a transaction rolled back changes nothing: the stored figures stay current
    before = version(engine)
    with pytest.raises(PerrError):
        with write_session(engine) as s:
            s.add(Action(reference="ANNULEE", territory_id=tid, title="Annulée",
                         status="en_cours", origin="manual", year_start=2024))
            s.flush()
            raise PerrError("annulé")
    assert version(engine) == before
    with Session(engine) as s:
        assert stored.has_current(s)

    # ORM: a new action with a quartier, an axis and a funding line
    before = version(engine)
    with write_session(engine) as s:
        axis = s.scalars(select(Axis).where(Axis.territory_id == tid)
                         .order_by(Axis.position)).first()
        qpv = s.scalars(select(Qpv).join(Qpv.communes).where(Commune.id == cid)).first()
        action = Action(reference="TEST-STORED-1", territory_id=tid, title="Atelier d'essai",
                        status="en_cours", origin="manual", year_start=2024, year_end=2025)
        action.axes, action.qpvs = [axis], [qpv]
        action.funding_lines = [FundingLine(funder="commune", amount_approved=Decimal("1200"))]
        s.add(action)
        s.flush()
        aid, qid = action.id, qpv.id
    assert_nothing_stale(engine, before)
    got, definition = headline_actions(engine, tid)
    assert got == definition
    assert_stored_exact(engine, tid)
    with Session(engine) as s:  # the new year 2025 is stored too
        assert stored.stored_at(s, coverage.headline, Scope(tid, 2025)) is not None

    # ORM update: years moved, then archived
    for change in ({"year_start": 2019, "year_end": 2019}, {"archived": True}):
        before = version(engine)
        with write_session(engine) as s:
            a = s.get(Action, aid)
            for field, value in change.items():
                setattr(a, field, value)
        assert_nothing_stale(engine, before)
        assert headline_actions(engine, tid, 2019)[0] == headline_actions(engine, tid, 2019)[1]

    # raw SQL: restore the action and change an amount
    before = version(engine)
    with write_session(engine) as s:
        s.execute(text("UPDATE action SET archived = :f WHERE id = :a"), {"f": False, "a": aid})
        s.execute(text("UPDATE funding_line SET amount_approved = 99999 WHERE action_id = :a"),
                  {"a": aid})
    assert_nothing_stale(engine, before)
    with Session(engine) as s:
        amount = stored.read(s, coverage.headline, Scope(tid, 2019))["amount_approved"]
        assert amount == coverage.headline(s, Scope(tid, 2019))["amount_approved"] >= 99999

    # bulk inserts (the synthetic generator): a third territory with thousands of rows
    before = version(engine)
    with write_session(engine) as s:
        synthetic.generate(s, n_qpv=6, n_contrats=2, n_actions=60, n_funding_lines=30)
    assert_nothing_stale(engine, before)
    assert assert_stored_exact(engine) > n

    # cascades: a quartier deleted (its action links go), a link table row deleted directly
    before = version(engine)
    with write_session(engine) as s:
        s.execute(delete(action_qpv).where(action_qpv.c.action_id == aid))
        s.execute(insert(action_qpv).values(action_id=aid, qpv_id=qid))
        s.execute(update(Qpv).where(Qpv.id == qid).values(name=Qpv.name))
    assert_nothing_stale(engine, before)
    assert stored.refresh(engine).stored > 0
    before = version(engine)
    with write_session(engine) as s:
        s.execute(delete(Qpv).where(Qpv.id == qid))
    assert_nothing_stale(engine, before)
    assert_stored_exact(engine, tid)

    # the demo territory removed, then the test action deleted
    before = version(engine)
    with write_session(engine) as s:
        synthetic.remove(s)
        s.execute(delete(Action).where(Action.id == aid))
    assert_nothing_stale(engine, before)
    assert_stored_exact(engine, tid)


def test_importers_change_the_version(engine, shared_data):
    """A posts import (official file) and a programming import (spreadsheet) through the same
    functions as the pages and the commands."""
    from perr_model.auth import Actor
    from perr_model.importers import registry
    stored.refresh(engine)
    admin = Actor(username="test", role="admin")
    posts = sorted((shared_data / "anct").glob("*.json"))
    assert posts, "fichiers de postes d'essai absents de tests/fixtures"
    with Session(engine) as s:
        tid = champigny(s)[0].id
    for path in posts[:1]:
        before = version(engine)
        with write_session(engine) as s:
            registry.posts(s, admin, path)
        # re-importing the same file may change nothing; the version says whether it wrote
        with Session(engine) as s:
            assert stored.has_current(s) == (stored.current_version(s) == before)
    from perr_model.importers.actions import guess_mapping, import_actions, read_table
    sheet = ("Référence;Intitulé de l'action;Porteur;Communes;Statut;Année\n"
             "STORED-1;Action importée;Association;94017;En cours;2023\n").encode("utf-8")
    table = read_table(sheet, "programmation.csv")
    before = version(engine)
    with write_session(engine) as s:
        import_actions(s, admin, table, guess_mapping(list(table.columns)),
                       source="programmation.csv")
    assert_nothing_stale(engine, before)
    got, definition = headline_actions(engine, tid, 2023)
    assert got == definition >= 1
    assert_stored_exact(engine, tid)


def test_read_only_instance_reads_the_stored_figures_and_cannot_store(loaded_url, reader_url,
                                                                     rw_engine):
    writer = rw_engine(loaded_url)
    stored.refresh(writer)
    reader = make_engine(reader_url, read_only=True)
    try:
        with Session(reader) as s:
            tid = s.scalars(select(Territory.id).order_by(Territory.id)).first()
            scope = Scope(tid)
            assert stored.stored_at(s, coverage.headline, scope) == stored.current_version(s)
            same(stored.read(s, coverage.headline, scope), coverage.headline(s, scope))
        with pytest.raises(Exception):
            stored.refresh(reader)
    finally:
        reader.dispose()


def test_a_write_committed_during_a_refresh_is_not_stored_as_current(engine, loaded_url,
                                                                      rw_engine):
    """The refresh reads without blocking writers; a write committed while it computes makes it
    drop what it computed (those figures describe the data before the write)."""
    from sqlalchemy import event
    other = rw_engine(loaded_url)
    statements = []

    def write_in_the_middle(conn, cursor, statement, *args):  # noqa: ANN001
        statements.append(statement)
        if len(statements) == 20:   # well inside the computing
            with write_session(other) as s:
                s.execute(text("UPDATE action SET title = title || '.' "
                               "WHERE id = (SELECT min(id) FROM action)"))

    event.listen(engine, "before_cursor_execute", write_in_the_middle)
    try:
        report = stored.refresh(engine, attempts=1)
    finally:
        event.remove(engine, "before_cursor_execute", write_in_the_middle)
    assert len(statements) > 20 and report.stored == 0
    with Session(engine) as s:
        assert not stored.has_current(s)
    assert stored.refresh(engine).stored > 100   # the next one stores them
    with Session(engine) as s:
        assert stored.has_current(s)


def test_figures_stored_by_another_version_of_the_code_are_not_read(engine):
    """After an upgrade, what the previous code stored (same data version, other definitions or
    columns) is not read; the app sees it has nothing current and the refresh drops it."""
    stored.refresh(engine)
    with Session(engine) as s:
        tid = s.scalars(select(Territory.id).order_by(Territory.id)).first()
        expected = coverage.headline(s, Scope(tid))
        assert stored.has_current(s)
    planted = stored.dumps({**expected, "actions": 999_999})
    with engine.begin() as c:   # as the previous code left them: another fingerprint, a payload
        c.execute(text("UPDATE figure_summary SET name = substr(name, 1, length(name) - 10) "
                       "|| 'ancien0000', payload = :p"), {"p": planted})
    with Session(engine) as s:
        assert not stored.has_current(s)
        assert stored.read(s, coverage.headline, Scope(tid))["actions"] == expected["actions"]
    report = stored.refresh(engine)
    with Session(engine) as s:
        names = s.scalars(select(figure_summary.c.name)).all()
        assert len(names) == report.stored and all(n.endswith("@" + stored.CODE) for n in names)
