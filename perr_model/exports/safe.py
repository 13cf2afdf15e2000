"""Spreadsheet exports that are safe to open: the one helper every CSV/XLSX export goes through.

Formula injection (OWASP "CSV injection"): a text cell that starts with `=`, `+`, `-`, `@`, a tab
or a carriage return can be run as a formula by Excel or LibreOffice. Such a cell is written
with a leading single quote, which spreadsheets show as text.

The rule, exact both ways so that export → import gives back the stored value:

- D = {`=`, `+`, `-`, `@`, tab, CR, LF} (LF too, because XML, hence XLSX, turns a CR into
  an LF: in XLSX a leading CR comes back as LF, the only change a round trip can make). A text *needs a quote* when its first character is in D,
  or when it starts with a single quote followed by a character of D or by another quote.
- Export (`neutralise`): a text that needs a quote is written with one more quote in front;
  every other text is written unchanged.
- Import (`restore`, perr_model.importers.actions): a cell that starts with a quote followed by
  a character of D or by another quote loses that first quote; every other cell is kept as is.

So a genuine leading quote survives (`'abc` is exported and re-imported as `'abc`; `'=x` is
exported as `''=x` and re-imported as `'=x`), and `=x` goes out as `'=x` and comes back `=x`.
Only text cells are touched: numbers stay numbers (a negative amount is not a formula).

XLSX cells holding text are written with the text data type (never a formula), and C0 control
characters that the XLSX format cannot carry (everything below U+0020 but tab, LF, CR) are
dropped from exported text: one bad value stored by some other route cannot break the file
for everyone (imports and forms refuse them in the first place, see perr_model.editing).
"""
from __future__ import annotations

import io
import math
import re
from typing import Iterable

import pandas as pd

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")  # LF: what XLSX (XML) makes of a CR
QUOTE = "'"
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def needs_quote(text: str) -> bool:
    if not text:
        return False
    if text[0] in DANGEROUS:
        return True
    return text[0] == QUOTE and len(text) > 1 and (text[1] in DANGEROUS or text[1] == QUOTE)


def neutralise(value):
    """A cell value for an export: text cleaned of illegal controls and quoted when needed."""
    if not isinstance(value, str):
        return value
    text = ILLEGAL.sub("", value)
    return QUOTE + text if needs_quote(text) else text


def restore(value):
    """The imported value of a cell written by `neutralise` (or by hand): see the module doc."""
    if isinstance(value, str) and len(value) > 1 and value[0] == QUOTE and (
            value[1] in DANGEROUS or value[1] == QUOTE):
        return value[1:]
    return value


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
    return neutralise(value)


def append_row(ws, values: Iterable) -> None:  # noqa: ANN001 - openpyxl worksheet
    """Append one row to an openpyxl sheet: text cells typed as text, never as formulas."""
    cleaned = [_xlsx_value(v) for v in values]
    ws.append(cleaned)
    for cell, value in zip(ws[ws.max_row], cleaned):
        if isinstance(value, str):
            cell.value = value
            cell.data_type = "s"


def xlsx_bytes(df: pd.DataFrame, sheet: str) -> bytes:
    """One sheet: a bold header row, then the rows of `df` (text as text, numbers as numbers)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    append_row(ws, [str(c) for c in df.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in df.itertuples(index=False, name=None):
        append_row(ws, row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
