"""Provenance of what the importers load: the `datasets` rows (title, source, licence, date)
and the audit line of a geographic import. Used by every importer; imports none of them."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import history
from ..schema import Dataset, utcnow

LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"


def upsert_dataset(session: Session, key: str, **fields) -> Dataset:
    row = session.scalars(select(Dataset).filter_by(key=key)).one_or_none()
    if row is None:
        row = Dataset(key=key, title=fields.get("title", key))
        session.add(row)
    for name, value in fields.items():
        setattr(row, name, value)
    row.loaded_at = utcnow()
    session.flush()
    return row


def record_import(session: Session, actor, entity: str, report) -> None:  # noqa: ANN001
    """The audit line of a geographic import (`report`: importers.communes.GeoImportReport)."""
    history.record(session, actor, "import", entity, None,
                   f"Import de « {report.file} » ({report.schema}) : {report.inserted} ajouté(s), "
                   f"{report.updated} mis à jour")
