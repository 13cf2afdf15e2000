"""The fiche quartier (perr_model/fiche.py): one A4 page whatever the number of actions, and the
year over year of the quartier's own scope, checked against raw SQL."""
import dataclasses
import re
import shutil
import subprocess

import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from perr_model import fiche
from perr_model.figures import Scope

PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")


def _pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext absent (poppler-utils)")
    path = tmp_path / "fiche.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout


def _bois(s: Session, name: str = "Le Bois L'Abbé") -> tuple[int, int]:
    return s.execute(text(
        "select q.id, c.territory_id from qpv q join qpv_commune qc on qc.qpv_id = q.id "
        "join commune c on c.id = qc.commune_id where q.name = :n "
        "and c.name = 'Champigny-sur-Marne'"), {"n": name}).one()


SERVED = """
select count(*) from action a
where a.archived = :no and a.territory_id = :t
  and a.year_start <= :y and coalesce(a.year_end, a.year_start) >= :y
  and (a.id in (select action_id from action_qpv where qpv_id = :q)
    or a.id in (select ac.action_id from action_commitment ac
                join commitment_qpv cq on cq.commitment_id = ac.commitment_id
                where cq.qpv_id = :q)
    or a.id in (select am.action_id from action_commune am
                join qpv_commune qc on qc.commune_id = am.commune_id and qc.qpv_id = :q
                where not exists (
                  select 1 from qpv_commune other
                  where other.commune_id = am.commune_id
                    and (exists (select 1 from action_qpv n where n.action_id = am.action_id
                                 and n.qpv_id = other.qpv_id)
                      or exists (select 1 from action_commitment k
                                 join commitment_qpv kq on kq.commitment_id = k.commitment_id
                                 where k.action_id = am.action_id
                                   and kq.qpv_id = other.qpv_id)))))
"""


@pytest.mark.parametrize("name", ["Le Bois L'Abbé", "Les Quatre Cités"])
def test_the_fiche_s_year_over_year_is_the_quartier_s(loaded_url, tmp_path, name):
    """In 2019: the actions serving the quartier (named, by an engagement attached to it, or
    covering its commune whole) in 2018 and 2019, counted by raw SQL, are those the fiche says
    (Les Quatre Cités: 6 and 6, where the whole territory has 6 and 9)."""
    engine = create_engine(loaded_url)
    with Session(engine) as s:
        qid, tid = _bois(s, name)
        n = {y: s.execute(text(SERVED), {"no": False, "t": tid, "y": y, "q": qid}).scalar_one()
             for y in (2018, 2019)}
        pdf = fiche.fiche_pdf(s, Scope(tid, 2019, qpv_id=qid))
    engine.dispose()
    assert n[2019] > 0
    said = " ".join(_pdf_text(pdf, tmp_path).split())
    assert f"({n[2018]} en 2018, {n[2019]} en 2019)" in said
    assert len(PAGE.findall(pdf)) == 1


def test_many_actions_still_one_page_with_counts_per_axis(loaded_url, tmp_path):
    engine = create_engine(loaded_url)
    with Session(engine) as s:
        qid, tid = _bois(s)
        data = fiche.fiche_data(s, Scope(tid, 2019, qpv_id=qid))
    engine.dispose()
    rows = [{"id": i, "reference": f"A-{i}", "titre": f"Action numéro {i} " + "très " * 30,
             "description": "", "porteur": "Association 🌱 du quartier", "statut": "En cours",
             "montant": None, "chemin": "quartier", "lien": "nomme le quartier"}
            for i in range(150)]
    frame = pd.DataFrame(rows)
    axes = [("Axe 1 – Cohésion sociale", frame.iloc[:90]),
            ("Axe 2 – Cadre de vie", frame.iloc[90:])]
    many = dataclasses.replace(data, profile={**data.profile, "axes": axes, "actions": 150})
    pdf = fiche.render(many)
    assert len(PAGE.findall(pdf)) == 1
    said = " ".join(_pdf_text(pdf, tmp_path).split())
    assert "Axe 1 – Cohésion sociale : 90 actions" in said
    assert "Axe 2 – Cadre de vie : 60 actions" in said
    shown = len(re.findall(r"Action numéro \d+", said))
    assert 0 < shown < 150
    assert f"et {150 - shown} autres actions : voir le tableau de bord" in said
    assert "□" in said   # the emoji the font lacks, marked


def test_the_map_s_names_the_font_lacks_are_printed_as_boxes():
    """The PDF's map draws its names in DejaVu: a character it lacks is □, not left out."""
    import json

    class Deck:
        def to_json(self):
            square = [[[2.40, 48.80], [2.41, 48.80], [2.41, 48.81], [2.40, 48.81], [2.40, 48.80]]]
            return json.dumps({"layers": [
                {"@@type": "GeoJsonLayer", "id": "qpv", "data": {"type": "FeatureCollection",
                 "features": [{"type": "Feature", "properties": {},
                               "geometry": {"type": "Polygon", "coordinates": square}}]}},
                {"@@type": "TextLayer", "id": "quartiers-noms", "getSize": 14,
                 "data": [{"lon": 2.405, "lat": 48.805, "label": "Cité 中"}]}]})

    svg = fiche._print_svg(Deck())
    assert "Cité □" in svg.text and "中" not in svg.text
    assert 'font-family="DejaVu"' in svg.text
