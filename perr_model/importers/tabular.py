"""User spreadsheets (XLSX or CSV) read within declared bounds: the one reader of the actions
import (importers/actions.py) and of the indicators import (evaluation/exchange.py).

Every bound is checked before the grid of cells is built, and every failure is an
`ImportRefused` with a French sentence (no exception name, no path):

- the file's size (`MAX_FILE_MB`), then for an XLSX, which is a zip, the size of its content
  once unzipped and its compression ratio, read from the zip's directory (`MAX_UNZIPPED_MB`,
  `MAX_RATIO`: zip bombs are refused without being inflated);
- the cells actually used: an XLSX sheet is read as a stream of its non-empty cells (openpyxl's
  own sheet parser, without the rectangle its `dimension` tag or a stray styled cell in column
  XFD would make it fill in); a cell holding a value beyond `MAX_COLUMNS` or a row beyond
  `MAX_ROWS` refuses the file, naming the cell; empty cells, wherever they are, cost nothing;
- a CSV's header and rows, counted as they are read (`MAX_COLUMNS`, `MAX_ROWS`);
- the time spent reading (`MAX_SECONDS`);
- duplicate headers, found in one pass.

The sheet read is the first visible one; every other sheet is named in a warning (a hidden
first sheet is never read without a word). A formula cell saved without its computed value
(files written by a program rather than a spreadsheet) is read as `Uncomputed`, which refuses
its row (`formula_refusal`): its value is unknown, and dropping it would change the row.
"""
from __future__ import annotations

import csv
import io
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from ..errors import ImportRefused
from ..exports.safe import looks_binary

MAX_FILE_MB = 10         # a yearly programming is a few hundred rows: kilobytes
MAX_UNZIPPED_MB = 30     # 20,000 rows × 17 filled columns: 20 MB unzipped (inline strings)
MAX_RATIO = 100          # unzipped / zipped above this (and over 5 MB): a zip bomb
MAX_ROWS = 20_000
MAX_COLUMNS = 200        # the actions export has about 60
MAX_SECONDS = 30         # reading stops there: a safety net (a 20,000-row XLSX within the
                         # other bounds reads in about 10 s on a busy machine, bench/)
_MB = 1024 * 1024


@dataclass
class Sheet:
    """The cells read: `header` (row 1, stripped; "" for a column without header) and `rows`
    (each as long as the header; None for an empty cell), the file's line n at rows[n - 2];
    `warnings`: French sentences about what was not read (other sheets)."""
    header: list[str]
    rows: list[list]
    warnings: list[str] = field(default_factory=list)


class Uncomputed:
    """A formula cell saved without its computed value (`formula_refusal` refuses its row)."""
    __slots__ = ("coordinate",)

    def __init__(self, coordinate: str) -> None:
        self.coordinate = coordinate

    def __str__(self) -> str:
        return "(formule sans valeur calculée)"


FORMULA_REASON = ("formule sans valeur calculée : ouvrez et enregistrez le fichier dans votre "
                  "tableur")


def formula_refusal(row: dict, columns: Iterable | None = None) -> str | None:
    """Why a row is refused for a formula without its value (French, naming the columns and
    cells), or None. `columns`: the ones the import reads (default: all of `row`)."""
    bad = [(c, row[c]) for c in (row if columns is None else columns)
           if isinstance(row.get(c), Uncomputed)]
    if not bad:
        return None
    named = ", ".join(f"« {c} » (cellule {v.coordinate})" for c, v in bad)
    return f"{'colonnes' if len(bad) > 1 else 'colonne'} {named} : {FORMULA_REASON}"


def _n(value: int) -> str:
    from ..vocabulary import number
    return number(value)


# --- the whole file -------------------------------------------------------------------------------

def check_size(n_bytes: int) -> None:
    """Refuse a file too large to be read, before reading it (French, with the limit)."""
    if n_bytes > MAX_FILE_MB * _MB:
        raise ImportRefused(f"Fichier trop volumineux ({n_bytes / _MB:.1f} Mo) : "
                            f"la limite est de {MAX_FILE_MB} Mo.".replace(".", ",", 1))


def read_sheet(data: bytes, filename: str) -> Sheet:
    """XLSX (first visible sheet) or CSV (';', ',' or tab; UTF-8 or Windows-1252) → Sheet,
    within the bounds of the module doc; ImportRefused (French) otherwise."""
    check_size(len(data))
    if not data.strip():
        raise ImportRefused("Le fichier est vide.")
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        sheet = _read_workbook(data)
    elif name.endswith((".csv", ".txt")):
        sheet = _read_csv(data)
    else:
        raise ImportRefused("Format non reconnu : un fichier .xlsx ou .csv est attendu.")
    check_header(sheet.header)
    return sheet


def check_header(header: list[str]) -> None:
    """Duplicate headers refused, naming them (one pass)."""
    counts = Counter(h for h in header if h)
    doubles = sorted(h for h, n in counts.items() if n > 1)
    if doubles:
        raise ImportRefused("En-têtes de colonnes en double : "
                            + ", ".join(f"« {d} »" for d in doubles)
                            + ". Chaque colonne doit avoir un en-tête différent.")


def _too_many_rows() -> ImportRefused:
    return ImportRefused(f"Trop de lignes : {_n(MAX_ROWS)} au plus par fichier.")


def _too_wide(where: str) -> ImportRefused:
    return ImportRefused(f"{where} : un fichier a {MAX_COLUMNS} colonnes au plus. Supprimez les "
                         "colonnes en trop (ou ce qu'elles contiennent) puis rechargez-le.")


class _Clock:
    """Refuses the file once reading has taken MAX_SECONDS."""

    def __init__(self) -> None:
        self.end = time.monotonic() + MAX_SECONDS

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise ImportRefused(f"Lecture du fichier interrompue après {MAX_SECONDS} secondes : "
                                "il est trop gros ou trop complexe. Enregistrez-le en CSV, ou "
                                "réduisez-le aux lignes et colonnes utiles.")


# --- CSV ------------------------------------------------------------------------------------------

def _decode(data: bytes) -> str:
    if looks_binary(data):  # a stray NUL is refused on its row, by the importer
        raise ImportRefused("Ce fichier n'est pas un CSV (contenu binaire) : enregistrez-le en "
                            "CSV ou en XLSX depuis votre tableur.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(data: bytes) -> Sheet:
    text = _decode(data)
    first = text.split("\n", 1)[0]
    sep = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=sep, strict=True)
    clock = _Clock()
    try:
        header = _trimmed(next(reader, []))
        if len(header) > MAX_COLUMNS:
            raise _too_wide(f"L'en-tête compte {_n(len(header))} colonnes")
        rows = []
        for line, record in enumerate(reader, 2):
            if line % 1000 == 0:
                clock.check()
            if len(rows) >= MAX_ROWS:
                raise _too_many_rows()
            rows.append(_csv_row(record, len(header), line))
    except csv.Error:
        raise ImportRefused("CSV illisible : vérifiez le séparateur (;) et les guillemets (une "
                            "cellule de plus de 100 000 caractères est refusée aussi), ou "
                            "enregistrez le fichier en XLSX.") from None
    return Sheet([h.strip() for h in header], rows)


def _trimmed(record: list[str]) -> list[str]:
    """`record` without its trailing empty fields."""
    end = len(record)
    while end and not record[end - 1].strip():
        end -= 1
    return record[:end]


def _csv_row(record: list[str], width: int, line: int) -> list:
    if len(record) > width:
        extra = _trimmed(record)
        if len(extra) > width:
            raise ImportRefused(f"Ligne {line} : {_n(len(extra))} valeurs pour {width} en-têtes "
                                f"de colonnes. Chaque valeur doit être sous un en-tête (vérifiez "
                                f"le séparateur ; et les guillemets).")
        record = extra
    return [*record, *([None] * (width - len(record)))]


# --- XLSX -----------------------------------------------------------------------------------------

_UNREADABLE = ("Classeur illisible : le fichier XLSX est abîmé ou n'a pas de feuille lisible ; "
               "ouvrez-le et enregistrez-le à nouveau.")


def check_zip(data: bytes) -> None:
    """An XLSX's content bounded from the zip's directory, before anything is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ImportRefused("Classeur illisible : ce fichier n'est pas un classeur XLSX valide "
                            "(fichier tronqué, ou autre format renommé en .xlsx).") from None
    unzipped = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if unzipped > MAX_UNZIPPED_MB * _MB:
        raise ImportRefused(f"Classeur trop volumineux une fois décompressé "
                            f"({_n(unzipped // _MB)} Mo) : la limite est de {MAX_UNZIPPED_MB} "
                            f"Mo.")
    if unzipped > 5 * _MB and unzipped / packed > MAX_RATIO:
        raise ImportRefused("Classeur refusé : son contenu, une fois décompressé, est "
                            f"{_n(round(unzipped / packed))} fois plus gros que le fichier "
                            "(un classeur ordinaire l'est 5 à 20 fois). Enregistrez-le à "
                            "nouveau depuis votre tableur, ou en CSV.")


def _read_workbook(data: bytes) -> Sheet:
    from openpyxl import load_workbook
    check_zip(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is one French line
        raise ImportRefused(_UNREADABLE) from None
    try:
        ws, warnings = _first_visible(wb)
        header, rows = _grid(wb, ws)
    except ImportRefused:
        raise
    except Exception:  # noqa: BLE001
        raise ImportRefused(_UNREADABLE) from None
    finally:
        wb.close()
    return Sheet(header, rows, warnings)


def _first_visible(wb):  # noqa: ANN001, ANN202
    sheets = list(wb.worksheets)
    shown = next((ws for ws in sheets if ws.sheet_state == "visible"), None)
    if shown is None:
        raise ImportRefused("Le classeur n'a aucune feuille visible : affichez la feuille à "
                            "importer, enregistrez le fichier puis rechargez-le.")
    warnings = [f"La feuille « {ws.title} », masquée, n'a pas été lue." if ws.sheet_state !=
                "visible" else f"La feuille « {ws.title} » n'a pas été lue : seule la "
                f"première feuille visible, « {shown.title} », l'est."
                for ws in sheets if ws is not shown]
    return shown, warnings


def _cells(wb, ws):  # noqa: ANN001, ANN202
    """(row, column, value) of every non-empty cell of `ws`, as the file holds them: openpyxl's
    sheet parser (what its read-only sheets use), without their filling of a rectangle."""
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element):  # noqa: ANN001, ANN202
            cell = super().parse_cell(element)
            if element.find(FORMULA_TAG) is not None and _uncomputed(element):
                cell["value"] = Uncomputed(element.get("r") or "")
            return cell

    def _uncomputed(element) -> bool:  # noqa: ANN001
        """No cached value: no <v>, or an empty one that is not an empty text (t="str")."""
        value = element.find(VALUE_TAG)
        return value is None or (not value.text and element.get("t") != "str")

    with ws._get_source() as source:  # noqa: SLF001 - the read-only sheet's own XML stream
        parser = Parser(source, ws._shared_strings, data_only=True, epoch=wb.epoch,  # noqa: SLF001
                        date_formats=wb._date_formats,  # noqa: SLF001
                        timedelta_formats=wb._timedelta_formats)  # noqa: SLF001
        for _idx, row in parser.parse():
            for cell in row:
                value = cell["value"]
                if value is not None and not (isinstance(value, str) and not value.strip()):
                    yield cell["row"], cell["column"], value


def _grid(wb, ws) -> tuple[list[str], list[list]]:  # noqa: ANN001
    from openpyxl.utils import get_column_letter
    clock, width, last, cells = _Clock(), 0, 1, {}
    for n, (row, column, value) in enumerate(_cells(wb, ws)):
        if n % 5000 == 0:
            clock.check()
        if column > MAX_COLUMNS:
            raise _too_wide(f"La cellule {get_column_letter(column)}{row} contient une valeur "
                            f"au-delà de la colonne {get_column_letter(MAX_COLUMNS)}")
        if row > MAX_ROWS + 1:
            raise _too_many_rows()
        cells[(row, column)] = value
        width, last = max(width, column), max(last, row)
    grid = [[None] * width for _ in range(last)]
    for (row, column), value in cells.items():
        grid[row - 1][column - 1] = value
    header = ["" if v is None else str(v).strip() for v in grid[0]] if grid else []
    return header, grid[1:]
