"""The protocols' quoted figures (data/referential/indicators*.yaml), loaded by init-db through
the same checks as `import indicators`, and recorded as a Dataset with their provenance."""
from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from ..auth import Actor
from ..errors import MalformedDocument
from ..importers.datasets import upsert_dataset
from .exchange import import_rows

DATASET_KEY = "indicators-protocols"


def yaml_rows(doc: dict) -> list[dict]:
    """The reviewed YAML (one entry per indicator, its values nested) as import rows."""
    rows = []
    for ind in doc.get("indicators", []):
        base = {k: v for k, v in ind.items() if k != "valeurs"}
        for value in ind.get("valeurs", []):
            rows.append({**base, **value})
    return rows


def files(folder: Path) -> list[Path]:
    ref = folder / "referential"
    return sorted(ref.glob("indicators*.yaml")) + sorted((folder / "indicators").glob("*.yaml"))


def load_indicators(session: Session, folder: Path) -> dict[str, int]:
    """Load every indicators file of `folder` (data/). Idempotent (values matched on indicator,
    type and year). A refused row stops init-db with its reason: the file is reviewed."""
    total, paths = 0, files(folder)
    for path in paths:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        rows = yaml_rows(doc)
        report = import_rows(session, Actor.system("init-db"), rows, origin="protocol",
                             first_line=1)
        if not report.ok:
            raise MalformedDocument(f"{path.name} : " + " ; ".join(
                f"valeur {n} : {m}" for n, m in report.problems))
        total += len(rows)
    if paths:
        upsert_dataset(
            session, DATASET_KEY, title="Indicateurs chiffrés cités par les protocoles",
            source="Protocoles d'engagements réciproques et renforcés de Paris Terres d'Envol et "
                   "de Paris Est Marne & Bois (annexe 1), chiffres relevés dans le texte et "
                   "relus",
            licence="Documents publics des collectivités signataires",
            source_date="2019-2020", rows=total,
            note="Chaque valeur porte le document et l'endroit du texte d'où elle vient ; les "
                 "valeurs que le texte donne comme approximatives sont marquées comme telles.")
    return {"indicator_values": total}
