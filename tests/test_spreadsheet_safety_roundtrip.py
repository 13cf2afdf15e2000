"""Spreadsheet safety end to end for the indicators (issue 23, item 1): a user file with control
characters is refused row by row (line and column named, nothing written), and one stored by
another route is dropped from the exports and the COPIL workbook; a file with formula-like cells
is imported as text, exported (CSV, XLSX) with every cell inert, shown as stored in the COPIL
workbook (text-typed cells, no quote) and PDF, and the export imported again changes nothing
(rows compared by raw SQL). SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from perr_model.auth import Actor
from perr_model.evaluation import exchange
from perr_model.copil.document import copil_bytes
from perr_model.store import write_session

ROOT = Path(__file__).resolve().parents[1]
SLUG = "paris-est-marne-et-bois"
ADMIN = Actor.system("admin-test")
# (cell in the user's file, value stored): hand-worked from the rule of exports/safe.py — the
# cell is stripped, then a quote before a formula-like text or another quote is taken away
CELLS = [("=1+1", "=1+1"), ("+33", "+33"), ("-x", "-x"), ("@a", "@a"), ("\tx", "x"),
         ("'=x", "=x"), ("''=x", "'=x"), ("'\tx", "\tx"), ("' =x", " =x")]
# the same values in the CSV export (a quote in front) and in the XLSX export (a text cell; a
# quote only before a genuine quote or a leading white space the import would strip)
IN_CSV = ["'=1+1", "'+33", "'-x", "'@a", "x", "'=x", "''=x", "'\tx", "' =x"]
IN_XLSX = ["=1+1", "+33", "-x", "@a", "x", "=x", "''=x", "'\tx", "' =x"]
LABEL = "Sûreté test {}"
SNAPSHOT = ("select i.territory_id, i.label, i.unit, i.direction, i.aggregation, i.node_kind, "
            "i.axis_id, i.commune_id, i.qpv_id, v.kind, v.year, v.value, v.approximate, "
            "v.quoted, v.source, v.source_place, v.version, v.origin from indicator_value v "
            "join indicator i on i.id = v.indicator_id order by i.label, v.kind, v.year")


def file_bytes(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\n")
    writer.writerow(exchange.COLUMNS)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def row(label: str, *, year="2020", kind="mesure", value="1", unit="faits", sens="",
        quoted="", source="Observatoire", place="") -> list[str]:
    return [SLUG, "axe 3", "", "", label, unit, sens, "", year, kind, value, "non", quoted,
            source, place]


def formula_rows() -> list[list[str]]:
    rows = [row(LABEL.format(i), value=str(i), quoted=cell, source=cell, place=f"tableau {i}")
            for i, (cell, _) in enumerate(CELLS, 1)]
    # one indicator with a gap in words starting with "+": the COPIL's « Évolution » cell
    rows += [row("Emploi test", year="2018", kind="reference", value="20", unit="%",
                 sens="hausse"),
             row("Emploi test", year="2020", value="23", unit="%", sens="hausse")]
    return rows


def snapshot(engine) -> tuple[list, int]:
    with Session(engine) as s:
        return ([tuple(r) for r in s.execute(text(SNAPSHOT))],
                s.execute(text("select count(*) from audit_log")).scalar_one())


def stored(engine) -> dict[str, tuple]:
    with Session(engine) as s:
        return {label: (quoted, source) for label, quoted, source in s.execute(text(
            "select i.label, v.quoted, v.source from indicator_value v join indicator i "
            "on i.id = v.indicator_id where i.label like 'Sûreté test %'"))}


def test_control_characters_refuse_their_rows_and_nothing_is_written(loaded_url, rw_engine,
                                                                     tmp_path):
    engine = rw_engine(loaded_url)
    before = snapshot(engine)
    data = file_bytes([row("Bon indicateur"), row("Source sale", source="a\x01b"),
                       row("Cité\x7f", quoted="\x0bcité"), row("Tabulation", source="a\tb"),
                       row("Nul", place="p\x00 3"), row("Fin invisible", source="fin\x1f")])
    with write_session(engine) as s:
        report = exchange.import_file(s, ADMIN, data, "valeurs.csv")
    assert not report.written
    problems = dict(report.problems)
    assert sorted(problems) == [3, 4, 6, 7]  # line 5: a tab inside a value is allowed
    assert problems[3].startswith("colonne « source » : caractère de contrôle invisible")
    assert problems[4].startswith("colonnes « indicateur », « texte_cite » : caractère de "
                                  "contrôle invisible")
    assert problems[6].startswith("colonne « emplacement » : caractère de contrôle")
    assert problems[7].startswith("colonne « source » : caractère de contrôle")
    assert snapshot(engine) == before  # not even the good rows
    path = tmp_path / "valeurs.csv"
    path.write_bytes(data)
    env = {"DATABASE_URL": loaded_url, "PATH": "/usr/bin:/bin", "PERR_TEST": "1"}
    done = subprocess.run([sys.executable, "-m", "perr_model", "import", "indicators",
                           str(path)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stdout
    assert "ligne 3 : colonne « source » : caractère de contrôle invisible" in done.stderr
    assert "Traceback" not in done.stderr and "\x01" not in done.stderr
    assert snapshot(engine) == before
    # stored by another route (raw SQL): the exports and the COPIL workbook drop it
    with write_session(engine) as s:
        s.execute(text("update indicator_value set source = :v where id = (select min(id) "
                       "from indicator_value)"), {"v": "cloche\x07 source"})
    with Session(engine) as s:
        tid = s.execute(text("select id from territory where slug = :s"), {"s": SLUG}).scalar()
        _, xlsx, _ = copil_bytes(s, tid, None)
        frame = exchange.export_frame(s)
    texts = [c.value for w in load_workbook(io.BytesIO(xlsx)).worksheets for c in _cells(w)]
    texts += [c.value for c in _cells(load_workbook(io.BytesIO(
        exchange.to_xlsx_bytes(frame))).active)]
    assert any("cloche source" in str(v) for v in texts)
    assert not [v for v in texts if "\x07" in str(v)]
    assert "\x07" not in exchange.to_csv_bytes(frame).decode("utf-8-sig")


def _cells(ws) -> list:
    return [c for r in ws.iter_rows() for c in r]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext absent")
def test_formula_like_cells_are_text_from_import_to_copil_and_back(loaded_url, rw_engine,
                                                                   tmp_path):
    engine = rw_engine(loaded_url)
    with write_session(engine) as s:
        report = exchange.import_file(s, ADMIN, file_bytes(formula_rows()), "valeurs.csv")
    assert report.ok and report.created == len(CELLS) + 2, report.lines()
    assert stored(engine) == {LABEL.format(i): (value, value)
                              for i, (_, value) in enumerate(CELLS, 1)}
    with Session(engine) as s:
        frame = exchange.export_frame(s)
        tid = s.execute(text("select id from territory where slug = :s"), {"s": SLUG}).scalar()
        pdf, xlsx, _ = copil_bytes(s, tid, None)
    csv_data, xlsx_data = exchange.to_csv_bytes(frame), exchange.to_xlsx_bytes(frame)

    lines = list(csv.DictReader(io.StringIO(csv_data.decode("utf-8-sig")), delimiter=";"))
    by_label = {r["indicateur"]: r for r in lines}
    assert [by_label[LABEL.format(i)]["source"] for i in range(1, len(CELLS) + 1)] == IN_CSV
    assert [by_label[LABEL.format(i)]["texte_cite"] for i in range(1, len(CELLS) + 1)] == IN_CSV
    assert not [c for r in lines for c in r.values() if c[:1] in ("=", "+", "-", "@", "\t")]

    ws = load_workbook(io.BytesIO(xlsx_data)).active
    header = [c.value for c in ws[1]]
    sheet = {r[header.index("indicateur")].value: r[header.index("source")]
             for r in ws.iter_rows(min_row=2)}
    assert [sheet[LABEL.format(i)].value for i in range(1, len(CELLS) + 1)] == IN_XLSX
    assert {(c.data_type, c.number_format) for c in _cells(ws) if isinstance(c.value, str)} \
        == {("s", "@")}

    book = load_workbook(io.BytesIO(xlsx))
    assert not [c for w in book.worksheets for c in _cells(w) if c.data_type == "f"]
    ev = book["Évaluation – indicateurs"]
    assert {(c.data_type, c.number_format) for c in _cells(ev) if isinstance(c.value, str)} \
        == {("s", "@")}
    copil = {r[0].value: r for r in ev.iter_rows(min_row=2)}
    # the COPIL is a document: every text as stored (source – emplacement), no quote added
    assert [copil[LABEL.format(i)][6].value for i in range(1, len(CELLS) + 1)] == [
        f"{value} – tableau {i}" for i, (_, value) in enumerate(CELLS, 1)]
    assert copil["Emploi test"][5].value == "+3\u00a0points depuis 2018 (évolution favorable)"
    path = tmp_path / "copil.pdf"
    path.write_bytes(pdf)
    body = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    flat = " ".join(body.replace("\u00a0", " ").split())
    for i, (_, value) in enumerate(CELLS, 1):
        assert f"Source : {value.strip()} – tableau {i}" in flat, value
    assert "Évolution : +3 points depuis 2018 (évolution favorable)" in flat

    before = snapshot(engine)
    for data, name in ((csv_data, "export.csv"), (xlsx_data, "export.xlsx")):
        with write_session(engine) as s:
            again = exchange.import_file(s, ADMIN, data, name)
        assert (again.created, again.updated, again.unchanged) == (0, 0, len(frame)), name
        assert snapshot(engine) == before, name  # same rows, not even an audit entry
