"""Coverage figures agree with plain SQL on a generated territory (SQLite and PostgreSQL)."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from perr_model import synthetic
from perr_model.figures import Scope, coverage, gaps
from perr_model.schema import Territory
from perr_model.store import make_engine


@pytest.fixture
def demo(empty_url):
    synthetic.generate_into(empty_url, n_qpv=12, n_contrats=3, n_actions=300,
                            n_funding_lines=600, seed=7)
    engine = make_engine(empty_url)
    with Session(engine) as s:
        tid = s.scalar(select(Territory.id).where(Territory.slug == synthetic.SLUG))
        yield s, tid
    engine.dispose()


def test_headline_counts_match_sql(demo):
    s, tid = demo
    h = coverage.headline(s, Scope(tid, 2021))
    live = ("select id from action where territory_id=:t and not archived and year_start<=2021"
            " and coalesce(year_end, year_start)>=2021")
    assert h["actions"] == s.execute(text(f"select count(*) from ({live}) x"), {"t": tid}).scalar()
    assert h["qpv_reached"] == s.execute(text(
        f"select count(distinct qpv_id) from action_qpv where action_id in ({live})"),
        {"t": tid}).scalar()
    approved = s.execute(text(
        f"select sum(amount_approved) from funding_line where action_id in ({live}) "
        "and year=2021"), {"t": tid}).scalar()
    assert h["amount_approved"] == pytest.approx(float(approved))
    assert 0 < h["objectives_covered"] < h["objectives_total"]


def test_matrix_total_counts_each_action_once(demo):
    s, tid = demo
    m = coverage.axis_commune_matrix(s, Scope(tid), "actions")
    axis1 = s.execute(text(
        "select count(distinct action_id) from action_axis join axis on axis.id=axis_id "
        "where axis.territory_id=:t and axis.position=1"), {"t": tid}).scalar()
    # generated actions are linked to their axis directly and through their objective
    assert m.iloc[0]["Total territoire"] == axis1
    assert m.drop(columns="Total territoire").iloc[0].sum() >= axis1


def test_angles_morts_are_objectives_without_action(demo):
    s, tid = demo
    dead = gaps.angles_morts(s, Scope(tid))
    expected = s.execute(text(
        "select count(*) from operational_objective o join objective_group g on g.id=o.group_id"
        " join strategic_objective so on so.id=g.strategic_objective_id join axis a on "
        "a.id=so.axis_id where a.territory_id=:t and o.id not in (select objective_id from "
        "action_objective)"), {"t": tid}).scalar()
    assert len(dead) == expected > 0


def test_referential_tree_rolls_up_without_double_counting(demo):
    s, tid = demo
    for axis in gaps.referential_tree(s, Scope(tid)):
        for group in axis["groups"]:
            assert group["actions"] <= sum(o["actions"] for o in group["objectives"])
            assert all(e["kind"] == "exemple" for e in group["examples"])
        assert axis["actions"] >= max((g["actions"] for g in axis["groups"]), default=0)


def test_generated_data_is_labelled_and_leaves_room_for_ordinary_inserts(empty_url, rw_engine):
    from perr_model.schema import Action
    from perr_model.store import write_session
    counts = synthetic.generate_into(empty_url, n_qpv=5, n_contrats=2, n_actions=50,
                                     n_funding_lines=80)
    assert counts["actions"] == 50 and counts["funding_lines"] == 80
    engine = rw_engine(empty_url)
    with write_session(engine) as s:
        tid = s.scalar(select(Territory.id).where(Territory.slug == synthetic.SLUG))
        s.add(Action(reference="ordinaire-1", territory_id=tid, title="Saisie ordinaire"))
    with engine.connect() as c:
        flags = c.execute(text(
            "select count(*) from action where is_synthetic and origin='synthetic'")).scalar()
        fake = c.execute(text("select count(*) from qpv where code like 'QP%' or code like 'QN%'"
                              " or not is_synthetic")).scalar()
        insee = c.execute(text("select count(*) from commune where insee_code not like 'Z%'"
                               )).scalar()
        name = c.execute(text("select name from territory where is_synthetic")).scalar()
    assert flags == 50 and fake == 0 and insee == 0
    assert name == "Territoire de démonstration (données fictives)"
