"""The next frame of a territory from the spreadsheet template (issue 25, item 4): its PERR
loaded, its contrat de ville 2024–2030 imported beside it as a new frame; the figures of a year
then read that year's frame. Refused (nothing written) when the loaded referential belongs to
no frame or when a frame covers those years already. Expected values from raw SQL; both
backends."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model.auth import Actor
from perr_model.errors import ImportRefused
from perr_model.figures import Scope, coverage, gaps
from perr_model.importers import referential_sheet as sheet
from perr_model.store import write_session
from test_import_referential_sheet import GOOD, counts, csv_bytes

CONTRACT = [
    ["axe", 1, "Cohésion sociale 2024", "", "", ""],
    ["objectif stratégique", 1, "Soutenir les familles", "1", "", ""],
    ["rubrique", 1, "Parentalité", "1.1", "", ""],
    ["objectif opérationnel", 1, "Ouvrir des lieux d'accueil parents-enfants", "1.1", "", ""],
    ["objectif opérationnel", 2, "Accompagner les familles monoparentales", "1.1", "", ""],
]


def _perr_loaded(engine, territory_id: int) -> int:
    """GOOD imported, then put in a PERR frame 2020–2023 (as a protocol's load does)."""
    with write_session(engine) as s:
        sheet.import_sheet(s, Actor.system("admin"), csv_bytes(GOOD), "perr.csv",
                           territory=territory_id)
    with engine.begin() as c:
        c.execute(text("insert into referential_frame (territory_id, kind, label, year_start, "
                       "year_end) values (:t, 'perr', 'PERR', 2020, 2023)"), {"t": territory_id})
        fid = c.execute(text("select id from referential_frame where territory_id = :t"),
                        {"t": territory_id}).scalar_one()
        for table in ("axis", "commitment"):
            c.execute(text(f"update {table} set frame_id = :f where territory_id = :t"),
                      {"f": fid, "t": territory_id})
    return fid


def test_the_contract_of_2024_becomes_the_frame_of_its_years(store):
    engine, _actors, _pemb, pte = store
    perr = _perr_loaded(engine, pte)
    with write_session(engine) as s:
        report = sheet.import_sheet(s, Actor.system("admin"), csv_bytes(CONTRACT), "cv.csv",
                                    territory=pte, frame="contrat-2024", years="2024-2030")
    assert "Nouveau cadre : Contrat de ville 2024–2030." in report.lines()
    with engine.connect() as c:
        frames = c.execute(text("select id, kind, year_start, year_end from referential_frame "
                                "where territory_id = :t order by id"), {"t": pte}).all()
        assert [f[1:] for f in frames] == [("perr", 2020, 2023), ("contrat-2024", 2024, 2030)]
        new = frames[1][0]
        titles = {fid: set(c.execute(text("select title from axis where territory_id = :t and "
                                          "frame_id = :f"), {"t": pte, "f": fid}).scalars())
                  for fid in (perr, new)}
        objectives = {fid: c.execute(text(
            "select count(*) from operational_objective oo join objective_group og on og.id = "
            "oo.group_id join strategic_objective so on so.id = og.strategic_objective_id join "
            "axis a on a.id = so.axis_id where a.frame_id = :f"), {"f": fid}).scalar_one()
            for fid in (perr, new)}
        positions = c.execute(text("select position from axis where territory_id = :t"),
                              {"t": pte}).scalars().all()
    assert titles[new] == {"Cohésion sociale 2024"} and objectives[new] == 2
    assert len(set(positions)) == len(positions)  # unique in the territory, across frames
    with write_session(engine) as s:
        for year, fid in ((2022, perr), (2025, new)):
            assert set(coverage.axis_labels(s, pte, year)["title"]) == titles[fid], year
            # no action: every operational objective of that year's frame is an angle mort
            assert len(gaps.angles_morts(s, Scope(pte, year))) == objectives[fid], year


def test_a_second_frame_is_refused_when_it_would_mix_with_the_loaded_one(store):
    engine, _actors, _pemb, pte = store
    with write_session(engine) as s:  # a referential of no frame: read every year
        sheet.import_sheet(s, Actor.system("admin"), csv_bytes(GOOD), "perr.csv", territory=pte)
    before = counts(engine)
    with pytest.raises(ImportRefused, match="n'appartient à aucun cadre"):
        with write_session(engine) as s:
            sheet.import_sheet(s, Actor.system("admin"), csv_bytes(CONTRACT), "cv.csv",
                               territory=pte, frame="contrat-2024", years="2024-2030")
    assert counts(engine) == before


@pytest.mark.parametrize("years, words", [("2023-2026", "couvre déjà des années"),
                                          ("", "Indiquez les années")])
def test_a_frame_over_another_frame_s_years_writes_nothing(store, years, words):
    engine, _actors, _pemb, pte = store
    _perr_loaded(engine, pte)
    before = counts(engine)
    with engine.connect() as c:
        frames = c.execute(text("select count(*) from referential_frame")).scalar_one()
    with pytest.raises(ImportRefused, match=words):
        with write_session(engine) as s:
            sheet.import_sheet(s, Actor.system("admin"), csv_bytes(CONTRACT), "cv.csv",
                               territory=pte, frame="contrat-2024", years=years)
    assert counts(engine) == before
    with engine.connect() as c:
        assert c.execute(text("select count(*) from referential_frame")).scalar_one() == frames
