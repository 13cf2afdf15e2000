"""What a write would refuse on either backend, checked with the other validations (forms, dry
runs of the spreadsheet imports), read from the schema (perr_model/schema.py):

- a text longer than its `String(n)` column (PostgreSQL refuses it; SQLite would keep it), or,
  for an unbounded text column that is part of an index, longer than `INDEXED_TEXT_CHARS`
  (PostgreSQL's B-tree entries hold about 2,700 bytes: 500 characters of up to 4 bytes each);
- a number out of its `Numeric(p, s)` column's range (below 10^(p − s)), or out of a 32-bit
  `Integer` column's range;
- a number that is not finite (NaN, infinity): PostgreSQL stores NaN, SQLite makes it NULL,
  neither is a figure to publish.

Messages are French and name the field with the caller's label, never the column.
"""
from __future__ import annotations

import math
from decimal import Decimal

from sqlalchemy import Column, Integer, Numeric, String

INDEXED_TEXT_CHARS = 500
INTEGER_MAX = 2_147_483_647


def text_limit(column: Column) -> int | None:
    """The most characters `column` can take on both backends (None: no limit)."""
    if isinstance(column.type, String) and column.type.length:
        return column.type.length
    if any(column.key in index.columns for index in column.table.indexes):
        return INDEXED_TEXT_CHARS
    return None


def too_long(column: Column, value, label: str) -> str | None:  # noqa: ANN001
    """'Titre : 5 000 caractères, 500 au plus.' or None."""
    from .vocabulary import number
    limit = text_limit(column)
    if limit is None or not isinstance(value, str) or len(value) <= limit:
        return None
    return f"{label} : {number(len(value))} caractères, {number(limit)} au plus."


def numeric_limit(column: Column) -> Decimal | None:
    """The first magnitude `column` cannot hold: 10^(precision − scale) for Numeric(p, s),
    2^31 for an Integer; None when unbounded."""
    kind = column.type
    if isinstance(kind, Numeric) and kind.precision is not None:
        return Decimal(10) ** (kind.precision - (kind.scale or 0))
    if isinstance(kind, Integer) and not kind.__class__.__name__.startswith("Big"):
        return Decimal(INTEGER_MAX + 1)
    return None


def out_of_range(column: Column, value) -> bool:  # noqa: ANN001
    limit = numeric_limit(column)
    return limit is not None and value is not None and abs(Decimal(value)) >= limit


def finite(value) -> bool:  # noqa: ANN001
    """A number that is neither NaN nor infinite (Decimal or float)."""
    if isinstance(value, Decimal):
        return value.is_finite()
    return math.isfinite(value)
