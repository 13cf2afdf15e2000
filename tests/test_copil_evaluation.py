"""The COPIL document's Évaluation section (issue 15): the same figures as the Évaluation page,
read back from the PDF (pdftotext) and the XLSX, checked against SQL; SQLite and PostgreSQL."""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from perr_model.evaluation import model, progress
from perr_model.copil.data import copil_data
from perr_model.copil.document import copil_bytes
from perr_model.store import make_engine

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext absent (apt-get install poppler-utils)")


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "copil.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_copil_evaluation_section(loaded_url, tmp_path):
    engine = make_engine(loaded_url)
    try:
        with Session(engine) as s:
            tid = s.execute(text("select id from territory where slug = "
                                 "'paris-est-marne-et-bois'")).scalar_one()
            values = s.execute(text(
                "select i.label, v.year, v.value from indicator_value v join indicator i "
                "on i.id = v.indicator_id where i.territory_id = :t"), {"t": tid}).all()
            live = s.execute(text("select count(*) from action where territory_id = :t "
                                  "and not archived"), {"t": tid}).scalar_one()
            data = copil_data(s, tid, None)
            page = model.indicators(s, tid)
            page_total = progress.planned_vs_achieved(s, tid, None).iloc[0].to_dict()
            pdf, xlsx, _ = copil_bytes(s, tid, None)
    finally:
        engine.dispose()
    # the same functions as the page
    assert list(data.evaluation.indicators["label"]) == list(page["label"])
    assert data.evaluation.total == page_total and page_total["actions"] == live
    body = pdf_text(pdf, tmp_path)
    flat = " ".join(body.split())
    assert "Évaluation" in body and "Prévu et réalisé des actions" in body
    assert ("Référence / première mesure : 14 points (2000) → dernière valeur : 17 points "
            "(2014) → cible : non fixée") in flat.replace("\u00a0", " ")
    assert "+3 points depuis 2000 (évolution défavorable)" in flat.replace("\u00a0", " ")
    assert "Bénéficiaires réalisés : non renseignés (ce n'est pas zéro)." in flat
    wb = load_workbook(io.BytesIO(xlsx))
    ws = wb["Évaluation – indicateurs"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len({label for label, _, _ in values})
    gap = next(r for r in rows if r[0].startswith("Écart de taux d'emploi"))
    expected = {y: v for label, y, v in values if label.startswith("Écart de taux d'emploi")}
    assert gap[2].replace("\u00a0", " ") == f"{int(expected[min(expected)])} points ({min(expected)})"
    assert gap[3].replace("\u00a0", " ") == f"{int(expected[max(expected)])} points ({max(expected)})"
    assert gap[4] == "non fixée" and "ligne 19" in gap[6]
    done = wb["Évaluation – prévu réalisé"]
    total = next(r for r in done.iter_rows(min_row=2, values_only=True) if r[0] == "Ensemble")
    assert total[1] == live and total[4] is None and total[5] == 0
