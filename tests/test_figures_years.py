"""The years a person can choose: every year an action runs, and every year of money (funding
lines, State posts), not only the years actions start; and the year rule of a counted action
(an action without an end runs in its first year only), on hand-made actions and on the
embedded data against plain SQL."""
from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from perr_model.figures import places
from perr_model.store import make_engine


def test_years_cover_running_actions_and_state_posts(loaded_url):
    engine = make_engine(loaded_url)
    try:
        with engine.connect() as c:
            pte = c.execute(text("select id from territory where slug = 'paris-terres-d-envol'")
                            ).scalar()
            spans = c.execute(text("select year_start, year_end from action "
                                   "where year_start is not null and not archived")).all()
            money = {r[0] for r in c.execute(text(
                "select distinct year from funding_line where year is not null"))}
        expected = {y for a, b in spans for y in range(a, (b or a) + 1)} | money
        with Session(engine) as s:
            assert places.action_years(s) == sorted(expected, reverse=True)
            # Paris Terres d'Envol has no action yet, but the State posts of its contrats de
            # ville for 2020-2022 (ANCT files embedded in data/anct)
            assert places.action_years(s, pte) == [2022, 2021, 2020]
    finally:
        engine.dispose()


# --- the year rule of a counted action (figures.definitions.year_clause) -----------------------
#
# Hand-made actions, answers worked out by hand: "single" has year_start 2020 only (it runs in
# 2020, not the year after), "span" runs 2019-2021, "undated" has no year (counted only for all
# years), "archived" 2020 is never counted.
RUNS_IN = {2018: set(), 2019: {"span"}, 2020: {"single", "span"}, 2021: {"span"},
           2022: set(), None: {"single", "span", "undated"}}


def _hand_made(url: str) -> int:
    from perr_model.schema import Action, Territory
    from perr_model.store import write_session
    engine = make_engine(url, read_only=False)
    with write_session(engine) as s:
        t = Territory(slug="essai-annees", name="Essai années", is_synthetic=True)
        s.add(t)
        s.flush()
        for ref, start, end, archived in (("single", 2020, None, False),
                                          ("span", 2019, 2021, False),
                                          ("undated", None, None, False),
                                          ("archived", 2020, None, True)):
            s.add(Action(reference=ref, territory_id=t.id, title=ref, year_start=start,
                         year_end=end, archived=archived, origin="manual", is_synthetic=True))
        s.flush()
        tid = t.id
    engine.dispose()
    return tid


def test_an_action_counts_in_the_years_it_runs_only(empty_url):
    from perr_model.figures import Scope, coverage
    from perr_model.figures.definitions import counted
    from perr_model.schema import Action
    tid = _hand_made(empty_url)
    engine = make_engine(empty_url)
    try:
        with Session(engine) as s:
            for year, refs in RUNS_IN.items():
                got = set(s.scalars(select(Action.reference).where(
                    *counted(Scope(tid, year)))))
                assert got == refs, year
                assert coverage.headline(s, Scope(tid, year))["actions"] == len(refs), year
    finally:
        engine.dispose()


def test_embedded_actions_per_year_match_sql(loaded_url):
    """Paris Est Marne & Bois: the actions of each year (and the years around) as counted by
    plain SQL, the rule spelt differently: "year_start alone is that year, else the span"."""
    from perr_model.figures import Scope, coverage
    engine = make_engine(loaded_url)
    per_year = ("select count(*) from action where territory_id = :t and not archived and ("
                "(year_end is null and year_start = :y) "
                "or (year_start <= :y and year_end >= :y))")
    try:
        with engine.connect() as c:
            tid = c.execute(text("select id from territory where slug = "
                                 "'paris-est-marne-et-bois'")).scalar()
            first, last, open_ended = c.execute(text(
                "select min(year_start), max(coalesce(year_end, year_start)), "
                "sum(case when year_end is null and year_start is not null then 1 else 0 end) "
                "from action where territory_id = :t and not archived"), {"t": tid}).one()
            expected = {y: c.execute(text(per_year), {"t": tid, "y": y}).scalar()
                        for y in range(first - 1, last + 2)}
            every = c.execute(text("select count(*) from action where territory_id = :t "
                                   "and not archived"), {"t": tid}).scalar()
        assert open_ended > 0 and last > first   # both kinds of action are in the data
        with Session(engine) as s:
            got = {y: coverage.headline(s, Scope(tid, y))["actions"] for y in expected}
            assert got == expected
            assert coverage.headline(s, Scope(tid))["actions"] == every
    finally:
        engine.dispose()
