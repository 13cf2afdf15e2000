"""Hostile spreadsheets, made quickly in memory: for tests/test_import_bounds.py and
bench/import_memory.py (issue 28)."""
from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook
from openpyxl.styles import PatternFill

from perr_model.evaluation.exchange import COLUMNS as INDICATORS

MB = 1024 * 1024
ACTIONS = ["reference", "titre", "communes", "annee_debut", "financement_etat_p147"]
IND_ROW = ["paris-est-marne-et-bois", "axe 3", "94017", "", "Indicateur borné", "personnes", "",
           "somme", "2021", "mesure", "12", "non", "", "Source", ""]


# --- hostile files --------------------------------------------------------------------------------

def workbook_bytes(*sheets: tuple[str, list[list], bool]) -> bytes:
    """(title, rows, hidden) per sheet; the first visible one active."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows, hidden in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        ws.sheet_state = "hidden" if hidden else "visible"
    wb.active = next(i for i, (_, _, hidden) in enumerate(sheets) if not hidden)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xfd_workbook(header: list[str], row: list, n: int, value="x") -> bytes:
    """`n` rows, each with one more cell in the last column (XFD): a value, or only a fill."""
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for i in range(n):
        ws.append([f"{v}{i}" if v == "BND-XFD-" else v for v in row])
        cell = ws.cell(i + 2, 16384)
        if value is None:
            cell.fill = PatternFill("solid", fgColor="FFFF00")
        else:
            cell.value = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_bomb(unzipped_mb: int) -> bytes:
    """A valid workbook plus a shared-strings part whose one string is `unzipped_mb` MB of one
    letter (the zip holds a few hundred kB), written in chunks."""
    base = workbook_bytes(("Feuille", [ACTIONS, ["BND-1", "x", "94017", 2024, 1]], False))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(
            out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        with dst.open("xl/sharedStrings.xml", "w") as fh:
            fh.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                     b'main" count="1" uniqueCount="1"><si><t>')
            for _ in range(unzipped_mb):
                fh.write(b"a" * MB)
            fh.write(b"</t></si></sst>")
    return out.getvalue()


def wide_csv(columns: int, header: list[str]) -> bytes:
    names = header + [f"colonne {i}" for i in range(columns - len(header))]
    return (";".join(names) + "\n" + ";".join("1" for _ in names) + "\n").encode()


def csv_bytes(header: list[str], *rows: list) -> bytes:
    return "\n".join(";".join(str(v) for v in r) for r in [header, *rows]).encode() + b"\n"


def programming_xlsx(rows: int) -> bytes:
    """An ordinary yearly programming of `rows` actions, 17 columns filled (not hostile: what the
    bounds must let through)."""
    header = ["reference", "titre", "description", "porteur", "siret_porteur", "communes",
              "quartiers", "axes", "statut", "annee_debut", "annee_fin", "date_debut",
              "date_fin", "public_cible", "beneficiaires_prevus", "financement_etat_p147",
              "financement_commune"]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Programmation")
    ws.append(header)
    for i in range(rows):
        ws.append([f"PROG-{i}", f"Action de quartier n° {i}", "Ateliers hebdomadaires " * 4,
                   f"Association {i % 300}", "12345678901234", "94017", "Bois l'Abbé", "1",
                   "en cours", 2024, 2025, "01/09/2024", "30/06/2025", "Jeunes 16-25 ans",
                   40 + i % 60, 1000 + i, 500])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
