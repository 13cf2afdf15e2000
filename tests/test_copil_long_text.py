"""The COPIL document builds whatever the lengths and prints or marks every character (issue 28,
item 6): an action's title of 4,000 characters (fpdf2 refused the row: "too high"), CJK and an
emoji that the installed fonts (DejaVu) cannot draw. Read back with pdftotext and openpyxl;
SQLite and PostgreSQL."""
from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from perr_model.copil.document import copil_bytes
from perr_model.store import make_engine

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext absent (apt-get install poppler-utils)")

# 500 numbered words of 7 characters, spaces and a full stop: 4,000 characters, each word findable in the PDF's text;
# "0" first so that it sorts first among the commitment's actions (6 are listed).
WORDS = [f"0mot{i:03d}" for i in range(500)]
LONG_TITLE = " ".join(WORDS) + "."
# 日 and 本 (CJK) and 🚀 are in no installed font; 😀 and U+200D (a zero-width joiner) are in
# DejaVu Sans. Three characters to replace, by hand.
ODD_TITLE = "0Fête des voisins 日本 🚀 😀\u200d fin"


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "copil.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def retitle(url: str, title: str) -> tuple[int, int]:
    """The first live action linked to a commitment gets `title` (raw SQL, as a bulk import or
    SQLite would let it be); returns (territory id, action id)."""
    engine = make_engine(url, read_only=False)
    try:
        with engine.begin() as c:
            tid, aid = c.execute(text(
                "select a.territory_id, a.id from action a join action_commitment ac "
                "on ac.action_id = a.id where not a.archived order by a.id limit 1")).one()
            c.execute(text("update action set title = :t where id = :a"), {"t": title, "a": aid})
    finally:
        engine.dispose()
    return tid, aid


def build(url: str, tid: int) -> tuple[bytes, bytes]:
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            pdf, xlsx, _ = copil_bytes(s, tid, None)
    finally:
        engine.dispose()
    return pdf, xlsx


def xlsx_details(xlsx: bytes) -> str:
    ws = load_workbook(io.BytesIO(xlsx))["Engagements"]
    return "\n".join(str(r[6]) for r in ws.iter_rows(min_row=2, values_only=True) if r[6])


def test_a_4000_character_title_is_printed_whole(loaded_url, tmp_path):
    assert len(LONG_TITLE) == 4000
    tid, _ = retitle(loaded_url, LONG_TITLE)
    pdf, xlsx = build(loaded_url, tid)
    body = pdf_text(pdf, tmp_path)
    found = re.findall(r"0mot\d{3}", body)
    # every word, in order, split over rows (and pages) but not cut: the same words as the title
    assert found == WORDS
    assert "caractère" not in body.split("Sources et date")[-1]  # no note: nothing was replaced
    assert LONG_TITLE in xlsx_details(xlsx)


def test_characters_without_glyph_are_marked_and_counted(loaded_url, tmp_path):
    tid, _ = retitle(loaded_url, ODD_TITLE)
    pdf, xlsx = build(loaded_url, tid)
    body = pdf_text(pdf, tmp_path)
    flat = " ".join(body.split())
    assert "0Fête des voisins □□ □ 😀\u200d fin" in flat
    assert ("3 caractères non imprimables remplacés par □ dans ce document (emoji ou écriture "
            "absents de ses polices) ; le tableur (XLSX) les donne tels quels.") in flat
    assert ODD_TITLE in xlsx_details(xlsx)

