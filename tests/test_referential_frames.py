"""Successive frames of a territory's referential (issue 25, item 4): a territory holding its
PERR 2020–2023 and its contrat de ville 2024–2030, each with its own axes and objectives
(built by hand here); the figures of a year read that year's frame, the pages say which.
Expected values come from raw SQL on the frame chosen by hand, never from the figures."""
from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from page_support import Page, on, sql, sql_rows  # noqa: F401
from perr_model.figures import Scope, coverage, gaps
from perr_model.figures.scope import frame_line, frame_of
from perr_model.schema import (
    Action, Axis, Commune, ObjectiveGroup, OperationalObjective, ReferentialFrame,
    StrategicObjective, Territory, action_objective,
)
from perr_model.store import make_engine

REFERENTIALS = {  # frame → axes → objectives
    ("perr", "PERR", 2020, 2023): [("Emploi", ["Accompagner vers l'emploi",
                                               "Former les jeunes"])],
    ("contrat-2024", "contrat de ville 2024-2030", 2024, 2030): [
        ("Cohésion sociale", ["Soutenir les familles", "Ouvrir les écoles le soir",
                              "Aider les associations"]),
        ("Cadre de vie", ["Rénover les halls"])],
}


def build(url: str) -> dict:
    """The territory « Essai cadres », its two frames, and actions: 2022 serves « Accompagner
    vers l'emploi », 2024 « Soutenir les familles » and the PERR's « Former les jeunes »."""
    engine = make_engine(url, read_only=False)
    ids = {}
    with Session(engine) as s, s.begin():
        t = Territory(slug="essai-cadres", name="Essai cadres", period="2020-2023")
        s.add(t)
        s.flush()
        s.add(Commune(insee_code="94998", name="Commune essai", territory_id=t.id))
        position = 0
        for (kind, label, start, end), axes in REFERENTIALS.items():
            frame = ReferentialFrame(territory_id=t.id, kind=kind, label=label,
                                     year_start=start, year_end=end)
            s.add(frame)
            s.flush()
            ids[kind] = frame.id
            for number, (title, objectives) in enumerate(axes, 1):
                position += 1  # unique within the territory, across its frames
                axis = Axis(territory_id=t.id, frame_id=frame.id, number=number,
                            position=position, title=title)
                so = StrategicObjective(axis=axis, position=1, text=f"{title} (stratégique)")
                group = ObjectiveGroup(strategic_objective=so, number=1, position=1, title=title)
                for k, text_ in enumerate(objectives, 1):
                    group.objectives.append(OperationalObjective(position=k, text=text_))
                s.add(axis)
        s.flush()
        objective = {o.text: o.id for o in s.query(OperationalObjective)}
        for ref, year, served in (("F-1", 2022, "Accompagner vers l'emploi"),
                                  ("F-2", 2024, "Soutenir les familles"),
                                  # an objective of the PERR served in 2024: not of its frame
                                  ("F-3", 2024, "Former les jeunes")):
            a = Action(reference=ref, territory_id=t.id, title=f"Action {year}",
                       year_start=year, year_end=year)
            s.add(a)
            s.flush()
            s.execute(insert(action_objective), {"action_id": a.id,
                                                 "objective_id": objective[served]})
        ids["territory"] = t.id
    engine.dispose()
    return ids


ANGLES_SQL = """
select o.text from operational_objective o
join objective_group g on g.id = o.group_id
join strategic_objective so on so.id = g.strategic_objective_id
join axis a on a.id = so.axis_id
where a.frame_id = :frame and o.id not in (
    select ao.objective_id from action_objective ao join action x on x.id = ao.action_id
    where not x.archived and x.year_start <= :year
      and coalesce(x.year_end, x.year_start) >= :year)
order by o.text"""

AXES_SQL = """
select a.title, count(o.id) from axis a
join strategic_objective so on so.axis_id = a.id
join objective_group g on g.strategic_objective_id = so.id
join operational_objective o on o.group_id = g.id
where a.frame_id = :frame group by a.title, a.position order by a.position"""


@pytest.fixture
def frames(empty_url):
    return empty_url, build(empty_url)


@pytest.mark.parametrize("year,kind", [(2022, "perr"), (2024, "contrat-2024")])
def test_the_figures_of_a_year_read_its_frame(frames, year, kind):
    url, ids = frames
    scope = Scope(ids["territory"], year)
    engine = make_engine(url)
    with Session(engine) as s:
        assert frame_of(s, ids["territory"], year).id == ids[kind]
        angles = gaps.angles_morts(s, scope)
        table = coverage.axis_table(s, scope)
        head = coverage.headline(s, scope)
    engine.dispose()
    expected = [r[0] for r in sql_rows(url, ANGLES_SQL, frame=ids[kind], year=year)]
    assert sorted(angles["element"]) == expected
    axes = sql_rows(url, AXES_SQL, frame=ids[kind])
    assert [(r.title, int(r.objectives)) for r in table.itertuples()] == axes
    assert head["axes_total"] == len(axes)
    assert head["objectives_total"] == sum(n for _, n in axes)
    assert head["angles_morts"] == len(expected)
    assert head["objectives_covered"] == sum(n for _, n in axes) - len(expected) == 1


def test_a_year_outside_every_frame_reads_the_nearest_and_says_so(frames):
    url, ids = frames
    engine = make_engine(url)
    with Session(engine) as s:
        assert frame_of(s, ids["territory"], 2019).id == ids["perr"]   # the first one
        assert frame_of(s, ids["territory"], 2031).id == ids["contrat-2024"]  # the last begun
        assert frame_line(s, Scope(ids["territory"], 2022)) == "Cadre : PERR 2020–2023"
        assert frame_line(s, Scope(ids["territory"], 2024)) == (
            "Cadre : Contrat de ville 2024-2030")
        assert "aucun cadre saisi pour 2019" in frame_line(s, Scope(ids["territory"], 2019))
        assert frame_line(s, Scope(ids["territory"])) == (
            "Cadres : PERR 2020–2023, puis Contrat de ville 2024-2030")
        every = coverage.axis_table(s, Scope(ids["territory"]))  # all years: every frame
    engine.dispose()
    assert len(every) == sql(url, "select count(*) from axis")


@pytest.mark.parametrize("year,frame_words,shown,hidden", [
    (2022, "Cadre : PERR 2020–2023", "Former les jeunes", "Rénover les halls"),
    (2024, "Cadre : Contrat de ville 2024-2030", "Rénover les halls", "Former les jeunes")])
def test_the_page_says_which_frame(frames, on, year, frame_words, shown, hidden):
    url, ids = frames
    p = Page(on(url), "pages/referentiel.py", ids["territory"], year)
    captions = [c.value for c in p.at.caption]
    assert any(frame_words in c and str(year) in c for c in captions), captions
    text_ = p.text()
    assert shown in text_ and hidden not in text_


def test_the_copil_document_says_which_frame(frames):
    from perr_model.copil.data import copil_data
    from perr_model.copil.xlsx import xlsx_sheets
    url, ids = frames
    engine = make_engine(url)
    with Session(engine) as s:
        data = copil_data(s, ids["territory"], 2024)
    engine.dispose()
    assert data.frame == "Cadre : Contrat de ville 2024-2030"
    sources = next(rows for title, _, rows in xlsx_sheets(data) if title == "Sources")
    assert ("Cadre : Contrat de ville 2024-2030",) in sources
    assert sorted(data.angles_morts["element"]) == [
        r[0] for r in sql_rows(url, ANGLES_SQL, frame=ids["contrat-2024"], year=2024)]
