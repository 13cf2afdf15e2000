"""Spreadsheet safety, in one place: what every CSV/XLSX export writes and what every spreadsheet
import reads back (formulas made inert, control characters refused).

Formula injection (OWASP "CSV injection"): a text cell that starts with `=`, `+`, `-`, `@`, a tab
or a carriage return — after optional leading spaces — can be run as a formula by Excel or
LibreOffice.

The rule, exact both ways so that export → import gives back the stored value:

- D = {`=`, `+`, `-`, `@`, tab, CR, LF} (LF too: XML, hence XLSX, turns a CR into an LF, and an
  older XLSX export holds `'` + LF for a leading CR). A text is *formula-like* when its first
  character other than a space is in D. A text is *escaped* when it starts with a single quote
  followed by a formula-like text or by another quote.
- CSV export (`neutralise`): a formula-like or escaped text is written with one more quote in
  front (spreadsheets show a leading quote as text); every other text is written unchanged.
- XLSX export (`text_cell`): a text is written as a text-typed cell (inline string, number format
  `@`), which no spreadsheet runs, whatever it starts with: `+3 points` is shown as `+3 points`.
  In a file meant to be imported again (`xlsx_bytes`: the Actions and indicators exports), one
  more quote goes in front (`xlsx_text`) only of an escaped text, so that the import's rule
  stays one for both formats, and of a formula-like text starting with a white space (space,
  tab, CR, LF), which the quote keeps through the import's stripping, as in CSV. A document
  (the COPIL workbook) shows every text as it is.
- Import (`import_text`): the cell is stripped of surrounding white space (`strip`: never of a
  control character, so that `control_refusal` sees it), then an escaped cell loses its first
  quote (`restore`); every other cell is kept as is. White space around a value that no quote
  keeps is therefore not part of it (`  x` comes back `x`, and so does a tab then `x`).

So a genuine leading quote survives (`'abc` is exported and re-imported as `'abc`; `'=x` is
exported as `''=x` and re-imported as `'=x`), and `=x` goes out as `'=x` in CSV, `=x` in a text
cell in XLSX, and comes back `=x`. Only text cells are touched: numbers stay numbers (a negative
amount is not a formula).

Control characters (`textnorm.CONTROL`: C0 but tab, LF and CR, and DEL): a spreadsheet import
refuses a row holding one, naming its line and column (`control_refusal`, used by the actions and
the indicators imports), as forms do (perr_model.editing); an export drops them, so that one bad
value stored by some other route cannot break the file for everyone (XLSX cannot carry them).
"""
from __future__ import annotations

import io
import math
import re
from typing import Iterable

import pandas as pd

from ..textnorm import CONTROL

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")  # LF: what XLSX (XML) makes of a CR
QUOTE = "'"
LEADING_SPACE = (" ", "\t", "\r", "\n")
TEXT_FORMAT = "@"  # a spreadsheet's "Text" number format: editing the cell keeps it text


# --- the rule -------------------------------------------------------------------------------------

def formula_like(text: str) -> bool:
    """The first character other than a space is one a spreadsheet would start a formula with."""
    return text.lstrip(" ")[:1] in DANGEROUS


def escaped(text: str) -> bool:
    """A quote `restore` takes away: before a formula-like text or before another quote."""
    return text[:1] == QUOTE and (formula_like(text[1:]) or text[1:2] == QUOTE)


def needs_quote(text: str) -> bool:
    """A CSV cell needs one more quote in front (module doc)."""
    return formula_like(text) or escaped(text)


def neutralise(value):
    """A CSV cell value: text cleaned of control characters and quoted when needed."""
    if not isinstance(value, str):
        return value
    text = CONTROL.sub("", value)
    return QUOTE + text if needs_quote(text) else text


def xlsx_text(value: str) -> str:
    """What a text-typed XLSX cell holds: the text without control characters, with one more
    quote in front only when it is escaped, or formula-like after a leading white space that
    the import would strip (module doc)."""
    text = CONTROL.sub("", value)
    guarded = escaped(text) or (formula_like(text) and text[:1] in LEADING_SPACE)
    return QUOTE + text if guarded else text


def restore(value):
    """The imported value of a cell written by `neutralise` or `xlsx_text` (or by hand)."""
    return value[1:] if isinstance(value, str) and escaped(value) else value


# --- reading a cell -------------------------------------------------------------------------------

_EDGE = re.compile(r"^[^\S\x0b\x0c\x1c-\x1f]+|[^\S\x0b\x0c\x1c-\x1f]+$")


def strip(text: str) -> str:
    """`text` without surrounding white space, but with its control characters (Python counts
    some of them as white space): `control_refusal` must see them."""
    return _EDGE.sub("", text)


def import_text(text: str) -> str:
    """A text cell of a spreadsheet import as a value: stripped, then the export's quote removed
    (what that quote kept, a leading tab for instance, is kept)."""
    return restore(strip(text))


def looks_binary(data: bytes) -> bool:
    """Not a CSV at all (a stray NUL is one cell's problem, refused on its row)."""
    return data[:4096].count(b"\x00") > 8


def control_refusal(row: dict, columns: Iterable | None = None) -> str | None:
    """Why a spreadsheet row is refused for control characters (French, naming the columns),
    or None. `columns`: the ones the import reads (default: all of `row`)."""
    bad = [CONTROL.sub("", str(c)) for c in (row if columns is None else columns)
           if isinstance(row.get(c), str) and CONTROL.search(row[c])]
    if not bad:
        return None
    named = ", ".join(f"« {c} »" for c in bad)
    return (f"{'colonnes' if len(bad) > 1 else 'colonne'} {named} : caractère de contrôle "
            "invisible (par exemple un octet nul ou un saut de page) ; retapez la valeur dans "
            "le tableur")


# --- writing --------------------------------------------------------------------------------------

def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells (and column names) are neutralised."""
    out = df.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def csv_text(df: pd.DataFrame, **to_csv_kwargs) -> str:
    """`df.to_csv` of the neutralised frame. Python 3.11's csv writer quotes a field holding a
    line feed but not one holding a lone carriage return unless CR is part of the line
    terminator: when some text holds a CR, lines end with CRLF (RFC 4180) so the field is
    quoted and the file keeps its rows."""
    out = safe_frame(df)
    if any(out[c].map(lambda v: isinstance(v, str) and "\r" in v).any()
           for c in out.columns if not pd.api.types.is_numeric_dtype(out[c])):
        to_csv_kwargs["lineterminator"] = "\r\n"
    return out.to_csv(index=False, **to_csv_kwargs)


def text_cell(cell, value: str, *, read_back: bool = False) -> None:  # noqa: ANN001
    """Write `value` into an openpyxl cell as text: never a formula, shown as it is (without
    its control characters). `read_back`: a file meant to be imported again (`xlsx_text`)."""
    cell.value = xlsx_text(value) if read_back else CONTROL.sub("", value)
    cell.data_type = "s"  # openpyxl makes "=…" a formula: the type is set after the value
    cell.number_format = TEXT_FORMAT


def _xlsx_value(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        try:
            value = value.item()
        except (AttributeError, ValueError):
            pass
    return value


def append_row(ws, values: Iterable, *, read_back: bool = False) -> None:  # noqa: ANN001
    """Append one row to an openpyxl sheet: text cells typed as text (`text_cell`), never as
    formulas; numbers as numbers."""
    cleaned = [_xlsx_value(v) for v in values]
    ws.append([None if isinstance(v, str) else v for v in cleaned])
    for cell, value in zip(ws[ws.max_row], cleaned):
        if isinstance(value, str):
            text_cell(cell, value, read_back=read_back)


def xlsx_bytes(df: pd.DataFrame, sheet: str) -> bytes:
    """One sheet meant to be imported again (the Actions and indicators exports): a bold header
    row, then the rows of `df` (text as text, numbers as numbers)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    append_row(ws, [str(c) for c in df.columns], read_back=True)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in df.itertuples(index=False, name=None):
        append_row(ws, row, read_back=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
