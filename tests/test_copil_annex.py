"""The COPIL document's annex (issue 24, item 4): the cités éducatives' objectives (18, counted
in SQL), the governance bodies and the signatories (by role, never by name) in the PDF's last
section (pdftotext) and the workbook's last sheet (openpyxl); an engagement's context for Paris
Est Marne & Bois. Expected texts come from raw SQL on the store init-db built from data/."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from perr_model import cli

TITLE = "Annexe : ce que le protocole prévoit aussi"
CITE_OBJECTIVES = ("SELECT o.text FROM cite_educative_objective o JOIN cite_educative c ON "
                   "c.id = o.cite_id JOIN territory t ON t.id = c.territory_id WHERE t.slug = "
                   ":s")


def rows(url: str, query: str, **params) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as c:
        out = [tuple(r) for r in c.execute(text(query), params)]
    engine.dispose()
    return out


def flat(value: str) -> str:
    return re.sub(r"\s+", " ", value.replace("\u202f", " ").replace("\u00a0", " ")).strip()


def capital(value: str) -> str:
    return value[:1].upper() + value[1:]


@pytest.fixture(scope="module")
def documents(embedded_sqlite, tmp_path_factory):
    """The COPIL PDF text and workbook of both territories, all years, on a copy of the store."""
    folder = tmp_path_factory.mktemp("copil-annex")
    shutil.copy(embedded_sqlite, folder / "perr.sqlite")
    url = f"sqlite:///{folder / 'perr.sqlite'}"
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", url)
        for slug in ("paris-terres-d-envol", "paris-est-marne-et-bois"):
            pdf = folder / f"{slug}.pdf"
            assert cli.main(["report", "copil", "--territory", slug, "--year", "toutes",
                             "--out", str(pdf)]) == 0
            txt = subprocess.run(["pdftotext", str(pdf), "-"], check=True,
                                 capture_output=True, text=True).stdout
            out[slug] = (txt, load_workbook(pdf.with_suffix(".xlsx")))
    return url, out


def annex_text(txt: str) -> str:
    assert TITLE in txt
    return flat(txt[txt.rindex(TITLE):])


def test_pdf_annex_lists_the_18_objectives_bodies_and_signatories(documents):
    url, docs = documents
    slug = "paris-terres-d-envol"
    annex = annex_text(docs[slug][0])
    objectives = [r[0] for r in rows(url, CITE_OBJECTIVES, s=slug)]
    assert len(objectives) == 18
    assert f"Cités éducatives : 2 cités, {len(objectives)} objectifs" in annex
    for objective in objectives:
        assert flat(capital(objective)) in annex, objective
    for (name,) in rows(url, "SELECT g.name FROM governance_body g JOIN territory t ON t.id = "
                             "g.territory_id WHERE t.slug = :s", s=slug):
        assert flat(name) in annex
    signatories = rows(url, "SELECT role, person_name FROM signatory", s=slug)
    assert len(signatories) == 10
    for role, person in signatories:
        assert flat(role) in annex
        assert person.split()[-1] not in docs[slug][0]        # personal: never printed
    assert "Signataires : 10 signataires, protocole signé le 6 janvier 2020" in annex


def test_xlsx_annex_sheet(documents):
    url, docs = documents
    slug = "paris-terres-d-envol"
    wb = docs[slug][1]
    assert wb.sheetnames[-1] == "Annexe du protocole"
    sheet = list(wb["Annexe du protocole"].iter_rows(min_row=2, values_only=True))
    cites = [r for r in sheet if r[0].startswith("Cité éducative")]
    objectives = [r[0] for r in rows(url, CITE_OBJECTIVES, s=slug)]
    assert sorted(r[4] for r in cites) == sorted(capital(o) for o in objectives)
    assert {r[2] for r in cites} == {n for (n,) in rows(url, "SELECT name FROM cite_educative")}
    bodies = [r[4] for r in sheet if r[0] == "Gouvernance"]
    assert bodies == [n for (n,) in rows(url, "SELECT name FROM governance_body ORDER BY "
                                              "position")]
    roles = [r[4] for r in sheet if r[0] == "Signataire"]
    assert roles == [n for (n,) in rows(url, "SELECT role FROM signatory ORDER BY position")]
    names = [n for (n,) in rows(url, "SELECT person_name FROM signatory")]
    every_cell = {str(c) for ws in wb.worksheets for r in ws.iter_rows(values_only=True)
                  for c in r if c is not None}
    assert not [n for n in names if any(n in c for c in every_cell)]


def test_engagement_context_in_the_annex(documents):
    """Paris Est Marne & Bois has no cité éducative nor signatory stored: its annex gives the
    context its protocol's lists carried (a signature date is no action)."""
    url, docs = documents
    slug = "paris-est-marne-et-bois"
    txt, wb = docs[slug]
    annex = annex_text(txt)
    assert "Cités éducatives" not in annex and "Signataires" not in annex
    notes = [n for (n,) in rows(url, "SELECT note FROM commitment WHERE note IS NOT NULL")]
    lines = [line for n in notes for line in n.split("\n")]
    assert len(notes) == 3 and len(lines) == 4
    for line in lines:
        assert flat(line) in annex
    sheet = [r for r in wb["Annexe du protocole"].iter_rows(min_row=2, values_only=True)]
    assert sorted(r[4] for r in sheet) == sorted(lines)
    assert ("Contexte d'un engagement", "Champigny-sur-Marne", None, "E-94017-5-2",
            "Signature du protocole le 5 février 2019") in [r[:5] for r in sheet]
