"""The derived link tables (action → axes served, action → communes reached) stay equal to their
definition after every kind of write, because the database's triggers keep them (migration
0004_derived_links). Each step writes the way some part of the product does (ORM relationship,
bulk insert, cascading delete, raw SQL) and the tables are compared to the union queries."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from perr_model import synthetic
from perr_model.figures.definitions import axis_links_definition, commune_links_definition
from perr_model.schema import (
    Action, Axis, Commitment, Commune, ObjectiveGroup, OperationalObjective, Qpv,
    StrategicObjective, Territory, action_axis, action_axis_served, action_commitment,
    action_commune, action_commune_reached, action_objective, action_qpv, qpv_commune,
)
from perr_model.store import make_engine, write_session
from store_support import champigny


def pairs(session: Session, query) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in session.execute(query).all()}


COPIES = ("territory_id", "archived", "year_start", "year_end")


def rows(session: Session, query) -> set[tuple]:
    return {tuple(r) for r in session.execute(query).all()}


def expected(session: Session, definition) -> set[tuple]:
    """The definition's pairs, with the action's columns the derived rows copy."""
    d = definition.subquery()
    return rows(session, select(*d.c, *(getattr(Action, c) for c in COPIES))
                .join(Action, Action.id == d.c.action_id))


def assert_exact(session: Session) -> tuple[int, int]:
    """Derived tables == definitions (pairs and copied action columns); returns their sizes
    (so a test can see they are not trivially empty)."""
    served = rows(session, select(action_axis_served.c.axis_id, action_axis_served.c.action_id,
                                  *(action_axis_served.c[c] for c in COPIES)))
    reached = rows(session, select(action_commune_reached.c.commune_id,
                                   action_commune_reached.c.action_id,
                                   *(action_commune_reached.c[c] for c in COPIES)))
    assert served == expected(session, axis_links_definition())
    assert reached == expected(session, commune_links_definition())
    return len(served), len(reached)


@pytest.fixture
def engine(loaded_url):
    eng = make_engine(loaded_url, read_only=False)
    yield eng
    eng.dispose()


def test_loaded_store_is_exact_and_not_empty(engine):
    with Session(engine) as s:
        served, reached = assert_exact(s)
    assert served >= 42 and reached >= 42   # Champigny's protocol actions, at least


def test_every_kind_of_write_keeps_them_exact(engine):
    with write_session(engine) as s:   # bulk inserts (the synthetic generator)
        synthetic.generate(s, n_qpv=12, n_contrats=3, n_actions=300, n_funding_lines=200)
    with Session(engine) as s:
        served, reached = assert_exact(s)
        assert served > 300 and reached >= 300

    with write_session(engine) as s:   # ORM relationships: a new action, then changed links
        territory, commune = champigny(s)
        axes = s.scalars(select(Axis).where(Axis.territory_id == territory.id)
                         .order_by(Axis.position)).all()
        qpv = s.scalars(select(Qpv).join(Qpv.communes).where(Commune.id == commune.id)).first()
        commitment = s.scalars(select(Commitment).where(Commitment.commune_id == commune.id,
                                                        Commitment.axis_id.is_not(None))).first()
        action = Action(reference="TEST-DERIVED-1", territory_id=territory.id,
                        title="Atelier d'essai", status="en_cours", origin="manual",
                        year_start=2024)
        action.axes = [axes[0]]
        action.qpvs = [qpv]
        action.commitments = [commitment]
        s.add(action)
        s.flush()
        aid = action.id
    with Session(engine) as s:
        assert_exact(s)
        assert (axes_ids := pairs(s, select(action_axis_served.c.axis_id, action_axis_served.c.action_id)
                                  .where(action_axis_served.c.action_id == aid)))
        assert {a for a, _ in axes_ids} == {axes[0].id, commitment.axis_id}
        assert commune.id in {c for c, _ in pairs(s, select(
            action_commune_reached.c.commune_id, action_commune_reached.c.action_id)
            .where(action_commune_reached.c.action_id == aid))}

    with write_session(engine) as s:   # remove links through the ORM
        action = s.get(Action, aid)
        action.axes = []
        action.qpvs = []
    with Session(engine) as s:
        assert_exact(s)

    with write_session(engine) as s:   # a commitment re-mapped to another axis
        other = s.scalars(select(Axis.id).where(Axis.territory_id == territory.id,
                                                Axis.id != commitment.axis_id)).first()
        s.execute(update(Commitment).where(Commitment.id == commitment.id).values(axis_id=other))
    with Session(engine) as s:
        assert_exact(s)
        assert (other, aid) in pairs(s, select(action_axis_served.c.axis_id,
                                               action_axis_served.c.action_id))

    with write_session(engine) as s:   # the action archived, its years changed (ORM)
        action = s.get(Action, aid)
        action.archived = True
        action.year_start, action.year_end = 2025, 2026
    with Session(engine) as s:
        assert_exact(s)
        assert s.execute(select(action_axis_served.c.archived, action_axis_served.c.year_end)
                         .where(action_axis_served.c.action_id == aid)).first() == (True, 2026)

    with write_session(engine) as s:   # a commitment without axis any more
        s.execute(update(Commitment).where(Commitment.id == commitment.id).values(axis_id=None))
    with Session(engine) as s:
        assert_exact(s)


def test_hierarchy_moves_and_cascades(engine):
    with write_session(engine) as s:
        synthetic.generate(s, n_qpv=10, n_contrats=2, n_actions=200, n_funding_lines=100)
    with write_session(engine) as s:   # an operational objective moved to another group/axis
        tid = s.scalars(select(Territory.id).where(Territory.slug == synthetic.SLUG)).one()
        objective = s.scalars(select(OperationalObjective).join(action_objective)
                              .join(ObjectiveGroup).join(StrategicObjective)
                              .join(Axis).where(Axis.territory_id == tid)).first()
        target = s.scalars(select(ObjectiveGroup).join(StrategicObjective)
                           .where(StrategicObjective.axis_id != objective.group.strategic_objective.axis_id,
                                  StrategicObjective.axis_id.in_(
                                      select(Axis.id).where(Axis.territory_id == tid)))).first()
        s.execute(update(OperationalObjective).where(OperationalObjective.id == objective.id)
                  .values(group_id=target.id))
    with Session(engine) as s:
        assert_exact(s)

    with write_session(engine) as s:   # a group, then a strategic objective, moved
        groups = s.scalars(select(ObjectiveGroup).join(StrategicObjective).join(Axis)
                           .where(Axis.territory_id == tid)).all()
        strategic = s.scalars(select(StrategicObjective).join(Axis)
                              .where(Axis.territory_id == tid)).all()
        s.execute(update(ObjectiveGroup).where(ObjectiveGroup.id == groups[0].id)
                  .values(strategic_objective_id=strategic[-1].id))
        axes = s.scalars(select(Axis.id).where(Axis.territory_id == tid)).all()
        s.execute(update(StrategicObjective).where(StrategicObjective.id == strategic[0].id)
                  .values(axis_id=axes[-1]))
    with Session(engine) as s:
        assert_exact(s)

    with write_session(engine) as s:   # link rows updated in place, raw SQL
        row = s.execute(select(action_qpv).limit(1)).one()
        other_qpv = s.scalars(select(Qpv.id).where(Qpv.id != row.qpv_id, Qpv.is_synthetic)).first()
        s.execute(update(action_qpv).where(action_qpv.c.action_id == row.action_id,
                                           action_qpv.c.qpv_id == row.qpv_id)
                  .values(qpv_id=other_qpv))
        s.execute(text("UPDATE action_axis SET axis_id = :a WHERE action_id = "
                       "(SELECT min(action_id) FROM action_axis)"), {"a": axes[0]})
    with Session(engine) as s:
        assert_exact(s)

    with write_session(engine) as s:   # a quartier moves between communes
        qid, cid = s.execute(select(qpv_commune).join(Qpv).where(Qpv.is_synthetic).limit(1)).one()
        other = s.scalars(select(Commune.id).where(Commune.territory_id == tid,
                                                   Commune.id != cid)).first()
        s.execute(delete(qpv_commune).where(qpv_commune.c.qpv_id == qid))
        s.execute(insert(qpv_commune).values(qpv_id=qid, commune_id=other))
    with Session(engine) as s:
        assert_exact(s)

    with write_session(engine) as s:   # cascading deletes: actions, an axis, a commune
        some = s.scalars(select(Action.id).where(Action.territory_id == tid).limit(20)).all()
        s.execute(delete(Action).where(Action.id.in_(some)))
        s.execute(update(Commitment).where(Commitment.axis_id == axes[0]).values(axis_id=None))
        s.execute(delete(Axis).where(Axis.id == axes[0]))
        s.execute(delete(Commitment).where(Commitment.commune_id == other))
        s.execute(delete(Commune).where(Commune.id == other))
    with Session(engine) as s:
        assert_exact(s)
        gone = set(some)
        assert not {a for _, a in pairs(s, select(action_axis_served.c.axis_id,
                                                  action_axis_served.c.action_id))} & gone

    with write_session(engine) as s:   # the whole demo territory removed
        synthetic.remove(s)
    with Session(engine) as s:
        assert_exact(s)
        left = s.scalar(select(action_axis_served.c.action_id).join(
            Action, Action.id == action_axis_served.c.action_id)
            .where(Action.territory_id == tid).limit(1))
        assert left is None


def test_a_delete_of_links_rolled_back_leaves_them(engine):
    with Session(engine) as s:
        before = assert_exact(s)
    with pytest.raises(RuntimeError):
        with write_session(engine) as s:
            s.execute(delete(action_axis))
            s.execute(delete(action_objective))
            s.execute(delete(action_commitment))
            s.execute(delete(action_commune))
            raise RuntimeError("annulé")
    with Session(engine) as s:
        assert assert_exact(s) == before
