"""Angles morts (issue 23, item 6): the headline's count, the list the page and the COPIL show
(`gaps.angles_morts`) and a count in plain SQL written here agree, on data where some
objectives and commitments have exactly one counted action (the rule is "no counted action",
not "fewer than two"). SQLite and PostgreSQL.

Hand-built territories (answers worked out by hand):
- "Essai objectifs": O1 has one counted action (a1, 2022), O2 two (a1, a2, 2022), O3 only an
  archived one, O4 only a4 (2019), O5 none. 2022: angles morts O3, O4, O5; all years: O3, O5.
- "Essai engagements" (no operational objective: the communes' commitments carry the
  coverage): K1 one action, K2 two, K3 an archived one only, K4 none → K3, K4.
- "Essai un objectif": one operational objective with one action, one commitment without any:
  a protocol with one objective is an objectives protocol → no angle mort.
The embedded Paris Est Marne & Bois protocol (commitments, four of them with exactly one
action) for the whole territory and for Champigny-sur-Marne, several years.
"""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from perr_model.figures import Scope, coverage, gaps
from perr_model.schema import (
    Action, Axis, Commitment, Commune, ObjectiveGroup, OperationalObjective, StrategicObjective,
    Territory,
)
from perr_model.store import make_engine, write_session
from sql_support import commitment_coverage, counted_sql, dead_objectives, has_objectives
from store_support import champigny


def expected_dead(conn, scope: Scope) -> list[str]:
    if has_objectives(conn, scope.territory_id):
        return dead_objectives(conn, scope.territory_id, scope.year)
    return commitment_coverage(conn, scope.territory_id, scope.year, scope.commune_id)[1]


def check(engine, scope: Scope) -> list[str]:
    """headline count == len(list) == plain SQL, and the list names the SQL's rows."""
    with engine.connect() as c:
        want = expected_dead(c, scope)
    with Session(engine) as s:
        count = coverage.headline(s, scope)["angles_morts"]
        listed = gaps.angles_morts(s, scope)
    assert sorted(listed["element"]) == want
    assert count == len(listed) == len(want)
    return want


def build(url: str) -> dict[str, int]:
    engine = make_engine(url, read_only=False)
    with write_session(engine) as s:
        def territory(slug):
            t = Territory(slug=slug, name=slug, is_synthetic=True)
            s.add(t)
            s.flush()
            commune = Commune(insee_code=f"Z{t.id:04d}", name=f"Commune {slug}",
                              territory_id=t.id, is_synthetic=True)
            axis = Axis(territory_id=t.id, position=1, number=1, title="Axe", short_title="Axe")
            s.add_all([commune, axis])
            s.flush()
            return t, commune, axis

        def objectives(axis, n):
            so = StrategicObjective(axis_id=axis.id, position=1, text="Stratégie")
            s.add(so)
            s.flush()
            g = ObjectiveGroup(strategic_objective_id=so.id, position=1, number=1, title="G")
            s.add(g)
            s.flush()
            out = [OperationalObjective(group_id=g.id, position=i, text=f"O{i}")
                   for i in range(1, n + 1)]
            s.add_all(out)
            return out

        def commitments(t, commune, axis, n):
            out = [Commitment(territory_id=t.id, commune_id=commune.id, axis_id=axis.id,
                              theme="Thème", theme_position=1, position=i, number=i,
                              text=f"K{i}") for i in range(1, n + 1)]
            s.add_all(out)
            return out

        def action(ref, t, commune, start, end=None, archived=False, **links):
            a = Action(reference=ref, territory_id=t.id, title=ref, year_start=start,
                       year_end=end, archived=archived, origin="manual", is_synthetic=True,
                       communes=[commune], **links)
            s.add(a)

        t1, c1, x1 = territory("essai-objectifs")
        o1, o2, o3, o4, _o5 = objectives(x1, 5)
        action("a1", t1, c1, 2022, objectives=[o1, o2])
        action("a2", t1, c1, 2021, 2023, objectives=[o2])
        action("a3", t1, c1, 2022, archived=True, objectives=[o3])
        action("a4", t1, c1, 2019, objectives=[o4])
        t2, c2, x2 = territory("essai-engagements")
        k1, k2, k3, _k4 = commitments(t2, c2, x2, 4)
        action("b1", t2, c2, 2022, commitments=[k1, k2])
        action("b2", t2, c2, 2022, commitments=[k2])
        action("b3", t2, c2, 2022, archived=True, commitments=[k3])
        t3, c3, x3 = territory("essai-un-objectif")
        (only,) = objectives(x3, 1)
        commitments(t3, c3, x3, 1)
        action("c1", t3, c3, 2022, objectives=[only])
        s.flush()
        ids = {t.slug: t.id for t in (t1, t2, t3)}
    engine.dispose()
    return ids


@pytest.fixture
def hand_built(empty_url):
    ids = build(empty_url)
    engine = make_engine(empty_url)
    yield engine, ids
    engine.dispose()


@pytest.mark.parametrize("slug, year, dead", [
    ("essai-objectifs", 2022, ["O3", "O4", "O5"]),
    ("essai-objectifs", None, ["O3", "O5"]),
    ("essai-objectifs", 2019, ["O1", "O2", "O3", "O5"]),
    ("essai-engagements", 2022, ["K3", "K4"]),
    ("essai-engagements", None, ["K3", "K4"]),
    ("essai-engagements", 2021, ["K1", "K2", "K3", "K4"]),
    ("essai-un-objectif", 2022, []),
])
def test_an_element_with_one_counted_action_is_no_angle_mort(hand_built, slug, year, dead):
    engine, ids = hand_built
    assert check(engine, Scope(ids[slug], year)) == dead
    with Session(engine) as s:
        basis = coverage.headline(s, Scope(ids[slug], year))["basis"]
    assert basis == ("commitments" if slug == "essai-engagements" else "objectives")


@pytest.mark.parametrize("year", [None, 2018, 2019, 2020, 2022])
def test_embedded_protocol_angles_morts_match_sql(loaded_url, year):
    engine = make_engine(loaded_url)
    try:
        with Session(engine) as s:
            territory, commune = champigny(s)
            tid, cid = territory.id, commune.id
        with engine.connect() as c:
            assert not has_objectives(c, tid)   # commitments carry this protocol's coverage
            single = c.execute(text(
                "select count(*) from (select ac.commitment_id from action_commitment ac "
                f"join action a on a.id = ac.action_id where {counted_sql(tid, None)} "
                "group by ac.commitment_id having count(*) = 1) x")).scalar()
        assert single > 0   # the case the rule must get right is in the data
        check(engine, Scope(tid, year))
        check(engine, Scope(tid, year, commune_id=cid))
    finally:
        engine.dispose()
