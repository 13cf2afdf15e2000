"""The years a person can choose: every year an action runs, and every year of money (funding
lines, State posts), not only the years actions start."""
from __future__ import annotations

from sqlalchemy import text
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
