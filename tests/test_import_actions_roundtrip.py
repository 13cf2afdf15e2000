"""The Actions export of the real embedded data goes back through the spreadsheet importer:
the protocol's actions under way have no year, and an update may keep it empty; a user file
with control characters is refused by line and column, one with formula-like cells is imported as
text and its export comes back unchanged (raw SQL), CSV and XLSX."""
import csv
import io

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from perr_model import action_list as al
from perr_model.auth import Actor
from perr_model.errors import ImportRefused
from perr_model.importers import actions as importer
from perr_model.schema import Action, Territory
from perr_model.store import write_session


def _export(engine, slug):
    with Session(engine) as s:
        tid = s.scalar(select(Territory.id).where(Territory.slug == slug))
        return tid, al.export_frame(s, al.ActionFilter(territory_id=tid))


def test_embedded_protocol_actions_are_accepted_back_unchanged(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    tid, frame = _export(engine, "paris-est-marne-et-bois")
    undated = int(frame["Année de début"].isna().sum())
    assert undated > 0  # the case under test: actions under way the protocol does not date
    table = importer.read_table(al.to_csv_bytes(frame), "actions.csv")
    mapping = importer.guess_mapping(list(table.columns))
    with write_session(engine) as s:
        report = importer.import_actions(s, Actor.system("test"), table, mapping,
                                         territory_id=tid)
    assert not report.problems, report.lines()
    assert (report.created, report.updated) == (0, 0) and report.unchanged == len(frame)
    with Session(engine) as s:
        assert s.scalar(select(func.count(Action.id)).where(
            Action.territory_id == tid, Action.year_start.is_(None))) == undated


def test_a_new_action_still_needs_a_year(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    tid, frame = _export(engine, "paris-est-marne-et-bois")
    new = frame.head(1).assign(**{"Référence": "NOUVELLE-1", "Année de début": None, "Année de fin": None})
    table = importer.read_table(al.to_csv_bytes(new), "actions.csv")
    with write_session(engine) as s:
        report = importer.import_actions(s, Actor.system("test"), table,
                                         importer.guess_mapping(list(table.columns)),
                                         territory_id=tid, dry_run=True)
    assert [why for _, ref, why in report.problems if ref == "NOUVELLE-1"]
    assert "année de début est obligatoire" in report.problems[0][2].lower()
    assert report.created == 0 and not report.to_create


# Spreadsheet safety (issue 23): (cell in the user's file, value stored), hand-worked from the
# rule of exports/safe.py (stripped, the quote before a formula-like text or another quote taken
# away) and the form's rule (text fields stripped)
CELLS = [("=1+1", "=1+1"), ("+33", "+33"), ("-x", "-x"), ("@a", "@a"), ("\tx", "x"),
         ("'=x", "=x"), ("''=x", "'=x"), ("' =x", "=x")]
HEADER = ["reference", "titre", "description", "porteur", "public_cible", "communes",
          "annee_debut"]
SNAPSHOT = ("select reference, title, description, holder_name, target_public, year_start, "
            "version, territory_id from action where reference like 'SAFE-%' order by reference")


def _file(rows) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\n")
    writer.writerows([HEADER, *rows])
    return buf.getvalue().encode("utf-8")


def _import(engine, tid, data: bytes, name: str):
    table = importer.read_table(data, name)
    with write_session(engine) as s:
        return importer.import_actions(s, Actor.system("test"), table,
                                       importer.guess_mapping(list(table.columns)),
                                       territory_id=tid)


def _snapshot(engine):
    with Session(engine) as s:
        return ([tuple(r) for r in s.execute(text(SNAPSHOT))],
                s.execute(text("select count(*) from audit_log")).scalar_one())


def _commune(engine, tid) -> str:
    with Session(engine) as s:
        return s.execute(text("select min(insee_code) from commune where territory_id = :t"),
                         {"t": tid}).scalar()


def test_control_characters_refuse_their_rows_by_line_and_column(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    tid, _ = _export(engine, "paris-est-marne-et-bois")
    c = _commune(engine, tid)
    before = _snapshot(engine)
    data = _file([["SAFE-1", "Bonne action", "", "", "", c, "2024"],
                  ["SAFE-2", "Titre", "avec\x01", "", "", c, "2024"],
                  ["SAFE-3", "Titre", "", "porteur\x1f", "public\x0c", c, "2024"],
                  ["SAFE-4", "Tabulation", "a\tb", "", "", c, "2024"]])
    with pytest.raises(ImportRefused) as info:
        _import(engine, tid, data, "p.csv")
    lines = "\n".join(info.value.problems)
    assert ("Ligne 3 (SAFE-2) refusée : colonne « description » : caractère de contrôle "
            "invisible") in lines, lines
    assert ("Ligne 4 (SAFE-3) refusée : colonnes « porteur », « public_cible » : caractère "
            "de contrôle invisible") in lines, lines
    assert "Ligne 2 " not in lines and "Ligne 5 " not in lines  # a tab inside is allowed
    assert _snapshot(engine) == before


def test_formula_like_cells_are_text_and_come_back_unchanged(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    tid, _ = _export(engine, "paris-est-marne-et-bois")
    c = _commune(engine, tid)
    rows = [[f"SAFE-{i}", cell, cell, cell, cell, c, "2024"] for i, (cell, _) in enumerate(CELLS)]
    report = _import(engine, tid, _file(rows), "p.csv")
    assert report.created == len(CELLS), report.lines()
    first = _snapshot(engine)
    assert [r[1:5] for r in first[0]] == [(v, v, v, v) for _, v in CELLS]
    _, frame = _export(engine, "paris-est-marne-et-bois")
    frame = frame[frame["Référence"].str.startswith("SAFE-")]
    for data, name in ((al.to_csv_bytes(frame), "a.csv"), (al.to_xlsx_bytes(frame), "a.xlsx")):
        again = _import(engine, tid, data, name)
        assert (again.created, again.updated, again.unchanged) == (0, 0, len(CELLS)), name
        assert _snapshot(engine) == first, name  # same rows, not even an audit entry


# --- the sheet people open (issue 22, item 6) ----------------------------------------------------

P147 = "État – crédits politique de la ville (P147)"  # schema.FUNDERS["etat_p147"], by hand


def _readable_action(engine, tid):
    """An action of Champigny with a quartier, an axis, dates and two funding lines (one with
    cents); returns its reference and the quartier's name and code (raw SQL)."""
    from perr_model import editing
    with Session(engine) as s:
        qname, qcode = s.execute(text(
            "select q.name, q.code from qpv q join qpv_commune qc on qc.qpv_id = q.id "
            "join commune c on c.id = qc.commune_id where c.insee_code = '94017' "
            "order by q.name limit 1")).one()
        axis = s.execute(text("select coalesce(number, position) from axis where territory_id "
                              "= :t order by position limit 1"), {"t": tid}).scalar_one()
    data = {"title": "Atelier lisible", "reference": "LISIBLE-1", "communes": ["94017"],
            "qpvs": [qname], "axes": [str(axis)], "status": "terminee", "year_start": "2022",
            "year_end": "2023", "start_date": "01/09/2022", "end_date": "30/06/2023",
            "beneficiaries_planned": "120",
            "funding": [{"funder": "etat_p147", "year": "2022", "amount_requested": "12500",
                         "amount_approved": "10000,50"},
                        {"funder": "commune", "year": "2022", "amount_approved": "5000"}]}
    with write_session(engine) as s:
        editing.create_action(s, Actor.system("test"), data, territory_id=tid)
    return qname, qcode, axis


def _sheet(data: bytes):
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    return ws.title, [dict(zip(rows[0], r)) for r in rows[1:]]


def test_the_export_shows_names_labels_french_dates_and_whole_numbers(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    tid, _ = _export(engine, "paris-est-marne-et-bois")
    qname, qcode, axis = _readable_action(engine, tid)
    _, frame = _export(engine, "paris-est-marne-et-bois")
    title, rows = _sheet(al.to_xlsx_bytes(frame))
    row = next(r for r in rows if r["Référence"] == "LISIBLE-1")
    assert (row["Communes"], row["Quartiers"], row["Statut"]) == (
        "Champigny-sur-Marne", qname, "Terminée")
    assert row["Axes"].startswith(f"Axe {axis} – ")
    assert (row["Date de début"], row["Date de fin"]) == ("01/09/2022", "30/06/2023")
    for col, value in (("Année de début", 2022), ("Année de fin", 2023),
                       ("Bénéficiaires prévus", 120), ("Année du financement 1", 2022)):
        assert row[col] == value and type(row[col]) is int, (col, row[col])
    assert {row["Financeur 1"], row["Financeur 2"]} == {P147, "Commune"}
    p147 = 1 if row["Financeur 1"] == P147 else 2
    assert row[f"Montant accordé {3 - p147}"] == 5000
    assert type(row[f"Montant accordé {3 - p147}"]) is int
    assert row[f"Montant accordé {p147}"] == 10000.5
    assert row[f"Montant demandé {p147}"] == 12500
    # the technical columns, at the end
    assert (row["Communes (code)"], row["Quartiers (code)"], row["Axes (code)"],
            row["Statut (code)"]) == ("94017", qcode, str(axis), "terminee")
    readable = [v for k, v in row.items() if not k.endswith("(code)")]
    assert not {"etat_p147", "terminee", "94017", qcode} & set(readable)
    csv_row = next(r for r in csv.DictReader(io.StringIO(
        al.to_csv_bytes(frame).decode("utf-8-sig")), delimiter=";")
        if r["Référence"] == "LISIBLE-1")
    assert (csv_row["Année de début"], csv_row["Année du financement 1"]) == ("2022", "2022")
    assert csv_row[f"Montant accordé {p147}"] == "10000,5"


def test_the_file_is_named_after_the_territory_and_the_day():
    from datetime import date
    assert al.export_filename("paris-est-marne-et-bois", "xlsx", date(2026, 12, 3)) == \
        "actions-paris-est-marne-et-bois-2026-12-03.xlsx"


@pytest.mark.parametrize("keep", ["readable", "codes", "both"])
def test_readable_or_technical_columns_come_back_unchanged(loaded_url, rw_engine, keep):
    """Either the readable columns alone, the technical ones alone (readable cells emptied),
    or both: every action of the territory is « inchangée » (audit log untouched)."""
    engine = rw_engine(loaded_url)
    tid, _ = _export(engine, "paris-est-marne-et-bois")
    _readable_action(engine, tid)
    _, frame = _export(engine, "paris-est-marne-et-bois")
    if keep == "readable":
        frame = frame.drop(columns=al.CODE_COLUMNS)
    elif keep == "codes":
        frame = frame.assign(**{c: "" for c in ("Communes", "Quartiers", "Axes", "Statut")})
    before = _snapshot(engine)
    for data, name in ((al.to_csv_bytes(frame), "a.csv"), (al.to_xlsx_bytes(frame), "a.xlsx")):
        again = _import(engine, tid, data, name)
        assert not again.problems and not again.ignored_columns, again.lines()
        assert (again.created, again.updated, again.unchanged) == (0, 0, len(frame)), name
        assert f"{len(frame)} inchangée(s)" in again.lines()[-1]
        assert _snapshot(engine)[1] == before[1], name  # not even an audit entry


def test_an_edited_readable_cell_wins_over_its_code(loaded_url, rw_engine):
    """Someone changes « Statut » in the sheet and leaves « Statut (code) » as exported: the
    import reads what they typed (the code only fills an empty readable cell)."""
    engine = rw_engine(loaded_url)
    tid, _ = _export(engine, "paris-est-marne-et-bois")
    _readable_action(engine, tid)
    _, frame = _export(engine, "paris-est-marne-et-bois")
    frame = frame[frame["Référence"] == "LISIBLE-1"].assign(Statut="En cours")
    assert frame["Statut (code)"].tolist() == ["terminee"]
    report = _import(engine, tid, al.to_csv_bytes(frame), "a.csv")
    assert (report.updated, report.unchanged) == (1, 0), report.lines()
    with Session(engine) as s:
        assert s.execute(text("select status from action where reference = 'LISIBLE-1'")
                         ).scalar() == "en_cours"
