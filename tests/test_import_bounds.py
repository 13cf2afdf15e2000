"""Hostile spreadsheets (issue 28, items 1 and 6), made here: rows whose other cell is in column
XFD, a CSV of 60,000 columns, zip bombs, formulas without their computed value, a hidden first
sheet, NaN / infinite / 10^12 € amounts, over-long texts. Each is refused (or read) with a French
sentence, within the reader's bounds (memory measured), by the actions import and the indicators
import alike; nothing is written when a row is refused (raw SQL); SQLite and PostgreSQL."""
from __future__ import annotations

import io
import random
import re
import tracemalloc
import zipfile

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from perr_model.auth import Actor
from perr_model.errors import ImportRefused
from perr_model.evaluation import exchange
from perr_model.importers import actions as importer
from perr_model.importers import tabular
from perr_model.store import write_session

from hostile_files import (  # noqa: I001 - tests/hostile_files.py, shared with the bench
    ACTIONS, IND_ROW, INDICATORS, MB, csv_bytes, wide_csv, workbook_bytes, xfd_workbook, zip_bomb)

ADMIN = Actor.system("bornes")
TECHNICAL = re.compile(r"Error|Exception|Traceback|Decimal|/tmp|/work|\.py\b|None\b|\bnan\b|"
                       r"\binf\b|psycopg|sqlite|openpyxl|pandas|zipfile", re.I)


# --- running an import as the page and the command line do ------------------------------------------

def measured(read, data: bytes, name: str):
    """(what `read` returned or the ImportRefused it raised, peak traced memory in MB)."""
    tracemalloc.start()
    try:
        result = read(data, name)
    except ImportRefused as exc:
        result = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
    return result, peak


def import_actions(engine, data: bytes, name: str, dry_run: bool = False) -> list[str]:
    """What the user reads: the refusal with its rows, or the report."""
    try:
        table = importer.read_table(data, name)
        with write_session(engine) as s:
            report = importer.import_actions(s, ADMIN, table,
                                             importer.guess_mapping(list(table.columns)),
                                             dry_run=dry_run, source=name)
        return report.lines()
    except ImportRefused as exc:
        return [str(exc), *exc.problems]


def import_indicators(engine, data: bytes, name: str) -> tuple[list[str], bool]:
    try:
        with write_session(engine) as s:
            report = exchange.import_file(s, ADMIN, data, name)
        return report.lines(), report.written
    except ImportRefused as exc:
        return [str(exc), *exc.problems], False


def counts(engine) -> tuple[int, ...]:
    with Session(engine) as s:
        return tuple(s.execute(text(
            "select (select count(*) from action), (select count(*) from funding_line), "
            "(select count(*) from indicator), (select count(*) from indicator_value)")).one())


def french(lines: list[str]) -> str:
    """The lines, checked French (what the user typed, between « », may be anything)."""
    joined = "\n".join(lines)
    assert joined.strip() and not TECHNICAL.search(re.sub(r"«[^»]*»", "", joined)), joined[:600]
    return joined


# --- bounds of the reader ----------------------------------------------------------------------------

@pytest.mark.parametrize("reader", [importer.read_table, exchange.read_rows],
                         ids=["actions", "indicateurs"])
def test_a_value_in_column_xfd_is_refused_naming_the_cell_without_building_the_grid(reader):
    header, row = ((ACTIONS, ["BND-XFD-", "Atelier", "94017", 2024, 100])
                   if reader is importer.read_table else (INDICATORS, IND_ROW))
    data = xfd_workbook(header, row, 2000)
    assert len(data) < 200_000
    result, peak = measured(reader, data, "xfd.xlsx")
    assert isinstance(result, ImportRefused)
    message = french([str(result)])
    assert "La cellule XFD2 contient une valeur au-delà de la colonne GR" in message
    assert "200 colonnes au plus" in message
    assert peak < 60, peak  # a 16,384-column grid of 2,000 rows is 250 MB of pointers alone


def test_cells_only_formatted_in_column_xfd_cost_nothing_and_the_rows_are_imported(
        loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    data = xfd_workbook(ACTIONS, ["BND-XFD-", "Atelier borné", "94017", 2024, 100], 300,
                        value=None)
    table, peak = measured(importer.read_table, data, "xfd.xlsx")
    assert list(table.columns) == ACTIONS and len(table) == 300 and peak < 60, peak
    before = counts(engine)
    lines = import_actions(engine, data, "xfd.xlsx")
    french(lines)
    with Session(engine) as s:
        assert s.scalar(text("select count(*) from action where reference like 'BND-XFD-%' "
                             "and title = 'Atelier borné'")) == 300
        assert s.scalar(text("select sum(amount_approved) from funding_line f join action a "
                             "on a.id = f.action_id where a.reference like 'BND-XFD-%'")) == 30000
    assert counts(engine)[0] == before[0] + 300


@pytest.mark.parametrize("reader", [importer.read_table, exchange.read_rows],
                         ids=["actions", "indicateurs"])
def test_a_csv_of_60000_columns_is_refused_at_its_header(reader):
    data = wide_csv(60_000, ACTIONS if reader is importer.read_table else INDICATORS)
    result, peak = measured(reader, data, "large.csv")
    assert isinstance(result, ImportRefused)
    assert "L'en-tête compte 60\u202f000 colonnes : un fichier a 200 colonnes au plus" in french(
        [str(result)])
    assert peak < 60, peak


def test_duplicate_headers_are_named_in_one_pass():
    data = wide_csv(200, ["reference", "titre"]).replace(b"colonne 7;", b"titre;")
    with pytest.raises(ImportRefused, match="En-têtes de colonnes en double : « titre »"):
        importer.read_table(data, "doubles.csv")


@pytest.mark.parametrize("unzipped, expected", [
    (95, "Classeur trop volumineux une fois décompressé (95 Mo) : la limite est de 30 Mo."),
    (20, "fois plus gros que le fichier")])
def test_zip_bombs_are_refused_from_the_zip_directory_before_inflating(unzipped, expected):
    data = zip_bomb(unzipped)
    assert len(data) < 1 * MB
    for reader in (importer.read_table, exchange.read_rows):
        result, peak = measured(reader, data, "bombe.xlsx")
        assert isinstance(result, ImportRefused) and expected in french([str(result)])
        assert peak < 3 * len(data) / MB + 5, peak  # the file itself, never its content


def test_too_many_rows_are_refused():
    body = csv_bytes(ACTIONS, *([f"R-{i}", "x", "94017", 2024, 1]
                                for i in range(tabular.MAX_ROWS + 1)))
    with pytest.raises(ImportRefused, match="Trop de lignes : 20\u202f000 au plus par fichier"):
        importer.read_table(body, "long.csv")


# --- what is read, and said ------------------------------------------------------------------------

def test_a_hidden_first_sheet_is_named_and_the_visible_one_imported(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    data = workbook_bytes(
        ("Brouillon", [ACTIONS, ["BND-HID", "Caché", "94017", 2024, 5]], True),
        ("Programmation", [ACTIONS, ["BND-VIS", "Visible", "94017", 2024, 7]], False),
        ("Notes", [["rien"]], False))
    lines = import_actions(engine, data, "masquee.xlsx")
    joined = french(lines)
    assert "La feuille « Brouillon », masquée, n'a pas été lue." in joined
    assert ("La feuille « Notes » n'a pas été lue : seule la première feuille visible, "
            "« Programmation », l'est.") in joined
    with Session(engine) as s:
        refs = set(s.scalars(text("select reference from action where reference like 'BND-%'")))
    assert refs == {"BND-VIS"}
    ind = workbook_bytes(("Brouillon", [INDICATORS], True), ("Valeurs", [INDICATORS, IND_ROW],
                                                               False))
    lines, written = import_indicators(engine, ind, "masquee.xlsx")
    assert written and "La feuille « Brouillon », masquée, n'a pas été lue." in french(lines)


def test_a_formula_without_its_value_refuses_its_row_and_nothing_is_written(
        loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    before = counts(engine)
    data = workbook_bytes(("Feuille", [ACTIONS, ["BND-F1", "Atelier", "94017", 2024, 1000],
                                       ["BND-F2", "Chantier", "94017", 2024, "=1000+500"]],
                           False))
    dry = french(import_actions(engine, data, "formules.xlsx", dry_run=True))
    assert ("Ligne 3 (BND-F2) refusée : colonne « financement_etat_p147 » (cellule E3) : "
            "formule sans valeur calculée : ouvrez et enregistrez le fichier dans votre "
            "tableur.") in dry
    assert "Ligne 2" not in dry
    assert "formule sans valeur calculée" in french(import_actions(engine, data, "f.xlsx"))
    row = list(IND_ROW)
    row[10] = "=10+2"
    lines, written = import_indicators(engine, workbook_bytes(
        ("Feuille", [INDICATORS, row], False)), "formules.xlsx")
    assert not written
    assert ("ligne 2 : colonne « valeur » (cellule K2) : formule sans valeur calculée"
            in french(lines))
    assert counts(engine) == before
    # the same formula saved with its value by a spreadsheet: that value is imported
    computed = _with_cached_value(data, "E3", "1500")
    french(import_actions(engine, computed, "calculee.xlsx"))
    with Session(engine) as s:
        assert s.scalar(text("select f.amount_approved from funding_line f join action a on "
                             "a.id = f.action_id where a.reference = 'BND-F2'")) == 1500


def _with_cached_value(data: bytes, cell: str, value: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                body = re.sub(rf'(<c r="{cell}"[^>]*><f>[^<]*</f>)<v ?/>'.encode(),
                              rf"\1<v>{value}</v>".encode(), body)
                assert f"<v>{value}</v>".encode() in body
            dst.writestr(info, body)
    return out.getvalue()


# --- what the write would refuse, found by the dry run ------------------------------------------------

def test_nan_infinite_and_too_large_amounts_are_refused_by_the_dry_run(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    before = counts(engine)
    data = csv_bytes(ACTIONS, ["BND-A1", "Atelier", "94017", 2024, "NaN"],
                     ["BND-A2", "Atelier", "94017", 2024, "inf"],
                     ["BND-A3", "Atelier", "94017", 2024, "1e12"],
                     ["BND-A4", "Atelier", "94017", 2024, "1 000 000 000 000"],
                     ["BND-A5", "Atelier", "94017", 2024, "999 999 999 999,99"])
    dry = french(import_actions(engine, data, "montants.csv", dry_run=True))
    p147 = "État – crédits politique de la ville (P147)"
    assert f"Ligne 2 (BND-A1) refusée : {p147} : « NaN » n'est pas un montant" in dry, dry
    assert f"Ligne 3 (BND-A2) refusée : {p147} : « inf » n'est pas un montant" in dry
    for line, typed in ((4, "1e12"), (5, "1 000 000 000 000")):
        assert (f"Ligne {line} (BND-A{line - 1}) refusée : {p147} : « {typed} » : montant "
                "trop élevé (moins de 1\u202f000\u202f000\u202f000\u202f000 € attendu).") in dry
    assert "Ligne 6" not in dry
    french(import_actions(engine, data, "montants.csv"))
    assert counts(engine) == before
    # the largest amount the column holds is written exactly, on both backends
    french(import_actions(engine, csv_bytes(ACTIONS, ["BND-A5", "Atelier", "94017", 2024,
                                                      "999 999 999 999,99"]), "max.csv"))
    with Session(engine) as s:
        stored = s.scalar(text("select f.amount_approved from funding_line f join action a on "
                               "a.id = f.action_id where a.reference = 'BND-A5'"))
    assert f"{float(stored):.2f}" == "999999999999.99"


def test_over_long_texts_are_refused_by_the_dry_run_on_both_backends(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    before = counts(engine)
    header = ACTIONS + ["porteur"]
    data = csv_bytes(header, ["BND-T1", "t" * 5000, "94017", 2024, 1, "Porteur"],
                     ["BND-T2", "Atelier", "94017", 2024, 1, "p" * 301],
                     ["R" * 81, "Atelier", "94017", 2024, 1, "Porteur"])
    dry = french(import_actions(engine, data, "longs.csv", dry_run=True))
    assert "Ligne 2 (BND-T1) refusée : Titre : 5\u202f000 caractères, 500 au plus." in dry
    assert "Ligne 3 (BND-T2) refusée : Porteur : 301 caractères, 300 au plus." in dry
    assert "Référence : 81 caractères, 80 au plus." in dry
    french(import_actions(engine, data, "longs.csv"))
    assert counts(engine) == before
    # at the bound, with characters of 4 bytes that do not compress: written (PostgreSQL's
    # index on titles holds it)
    rng = random.Random(28)
    title = "".join(chr(rng.randrange(0x1F300, 0x1F5FF)) for _ in range(500))
    lines = import_actions(engine, csv_bytes(header, ["BND-T3", title, "94017", 2024, 1, "p" * 300]),
                           "borne.csv")
    assert "Écrit : 1 créée(s)" in french(lines)
    with Session(engine) as s:
        assert s.scalar(text("select title from action where reference = 'BND-T3'")) == title


def test_indicator_nan_infinity_and_long_unit_are_refused_row_by_row(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    before = counts(engine)
    rows = []
    for value, unit in (("NaN", "personnes"), ("inf", "personnes"), ("-Infinity", "personnes"),
                        ("12", "u" * 61), ("12", "personnes")):
        row = list(IND_ROW)
        row[10], row[5], row[4] = value, unit, f"Indicateur {len(rows)}"
        rows.append(row)
    lines, written = import_indicators(engine, csv_bytes(INDICATORS, *rows), "valeurs.csv")
    joined = french(lines)
    assert not written
    assert "ligne 2 : « NaN » n'est pas un nombre fini" in joined
    assert "ligne 3 : « inf » n'est pas un nombre fini" in joined
    assert "ligne 4 : « -Infinity » n'est pas un nombre fini" in joined
    assert "ligne 5 : colonne « unite » : 61 caractères, 60 au plus" in joined
    assert "ligne 6" not in joined
    assert counts(engine) == before


def test_an_upload_is_parsed_once_per_content():
    from perr_ui import uploads
    calls = []

    def parse(data, name):
        calls.append(name)
        if data == b"refus":
            raise ImportRefused("Refusé.")
        return len(data)

    for _ in range(3):  # reruns of the page with the same file
        assert uploads.parsed_once("t", b"abc", "a.csv", parse) == 3
    assert uploads.parsed_once("t", b"abcd", "a.csv", parse) == 4  # another content
    for _ in range(2):
        with pytest.raises(ImportRefused, match="Refusé"):
            uploads.parsed_once("t", b"refus", "a.csv", parse)
    assert calls == ["a.csv", "a.csv", "a.csv"]
