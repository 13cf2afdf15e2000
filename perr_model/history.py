"""The audit log: who changed what, when (old → new). Written by every write service."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from .schema import AuditLog
from .vocabulary import changes_text

OPERATION_LABELS = {"create": "Création", "update": "Modification", "archive": "Archivage",
                    "unarchive": "Désarchivage", "restore": "Restauration", "import": "Import"}


def _json_default(value):  # noqa: ANN001
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def dumps(value) -> str:  # noqa: ANN001
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)


def record(session: Session, actor, operation: str, entity: str, entity_id: int | None,  # noqa: ANN001
           summary: str, changes: dict | None = None, snapshot: dict | None = None) -> AuditLog:
    entry = AuditLog(username=actor.username if actor else None, operation=operation,
                     entity=entity, entity_id=entity_id, summary=summary,
                     changes=dumps(changes) if changes else None,
                     snapshot=dumps(snapshot) if snapshot is not None else None)
    session.add(entry)
    return entry


def entries(session: Session, entity: str, entity_id: int) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(
        AuditLog.entity == entity, AuditLog.entity_id == entity_id).order_by(AuditLog.id)))


def action_history(session: Session, action_id: int, *, public: bool = False) -> pd.DataFrame:
    """One row per change of an action, newest first. `public`: without the author's name."""
    rows = []
    logged = list(reversed(entries(session, "action", action_id)))
    names = _names(session, [json.loads(e.changes) for e in logged if e.changes])
    for e in logged:
        changes = json.loads(e.changes) if e.changes else {}
        detail = changes_text(changes, names)
        row = {"id": e.id, "date": e.at, "opération": OPERATION_LABELS.get(e.operation,
                                                                           e.operation),
               "résumé": e.summary or "", "détail": detail}
        if not public:
            row["auteur"] = e.username or ""
        rows.append(row)
    columns = ["id", "date", "opération", "résumé", "détail"] + ([] if public else ["auteur"])
    return pd.DataFrame(rows, columns=columns)


def _names(session: Session, changes: list[dict]) -> dict[str, dict]:
    """What the history shows for the keys its entries store: communes' INSEE codes → names,
    axes' ids → « Axe N » (vocabulary.format_value)."""
    from .schema import Axis, Commune
    from .vocabulary import axis_code
    keys: dict[str, set] = {"communes": set(), "axes": set()}
    for change in changes:
        for field, values in keys.items():
            for side in change.get(field) or []:
                values.update(v for v in side or [] if not isinstance(v, list))
    return {
        "communes": dict(session.execute(select(Commune.insee_code, Commune.name).where(
            Commune.insee_code.in_([str(k) for k in keys["communes"]]))).all()),
        "axes": {i: axis_code(n, p) for i, n, p in session.execute(
            select(Axis.id, Axis.number, Axis.position).where(
                Axis.id.in_([k for k in keys["axes"] if isinstance(k, int)])))}}
