"""`python -m perr_model export actions`: the Actions page's export file, from the command line.

Same rows and columns as the page's « Exporter en CSV / XLSX » buttons (the re-importable format
of docs/actions-format.md, no personal field), same formula neutralisation
(perr_model/exports/safe.py). `--public` reads through the public instance's read-only
connection; the columns are the same, since the page's export never carries personal fields.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import PerrError
from ..schema import Territory


def export_actions(session: Session, fmt: str, territory: str | None = None,
                   year: int | None = None) -> bytes:
    """The export file (bytes) of every action of `territory` (slug or name; all if None)."""
    from ..action_list import ActionFilter, export_frame, to_csv_bytes, to_xlsx_bytes
    from ..figures.scope import resolve_territory
    if territory:
        ids = [resolve_territory(session, territory).id]
    else:
        ids = list(session.scalars(select(Territory.id).order_by(Territory.id)))
    frames = [export_frame(session, ActionFilter(territory_id=i, year=year)) for i in ids]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if fmt == "xlsx":
        return to_xlsx_bytes(frame)
    if fmt == "csv":
        return to_csv_bytes(frame)
    raise PerrError("Format inconnu : csv ou xlsx.")
