"""GeoJSON exports of what is stored: communes and QPV, WGS84, official codes and names.

Streams one feature at a time and pastes the stored GeoJSON text as is (no re-parsing), so
the 35,000 communes of France export in constant memory. No personal field is involved.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..schema import Commune, Qpv, Territory, qpv_commune


def _feature(geometry: str | None, properties: dict) -> str:
    return ('{"type":"Feature","geometry":' + (geometry or "null") + ',"properties":'
            + json.dumps(properties, ensure_ascii=False) + "}")


def _write(out: TextIO, features: Iterator[str]) -> int:
    out.write('{"type":"FeatureCollection","features":[\n')
    n = 0
    for feature in features:
        out.write((",\n" if n else "") + feature)
        n += 1
    out.write("\n]}\n")
    return n


def write_communes(session: Session, out: TextIO) -> int:
    """Every stored commune (geometry null when its contour is not imported)."""
    territories = dict(session.execute(select(Territory.id, Territory.slug)).all())
    rows = session.execute(select(Commune.insee_code, Commune.name, Commune.territory_id,
                                  Commune.geometry, Commune.geometry_source)
                           .order_by(Commune.insee_code)).yield_per(2000)
    return _write(out, (_feature(geometry, {"code": code, "nom": name,
                                            "territoire": territories.get(tid),
                                            "source": source})
                        for code, name, tid, geometry, source in rows))


def write_qpv(session: Session, out: TextIO, territory: str | None = None) -> int:
    """Every stored QPV with the INSEE codes and names of its communes; `territory` (slug or
    name): only the QPV of its communes."""
    communes: dict[int, list[tuple[str, str]]] = {}
    for qid, code, name in session.execute(
            select(qpv_commune.c.qpv_id, Commune.insee_code, Commune.name)
            .join(Commune, Commune.id == qpv_commune.c.commune_id)
            .order_by(Commune.insee_code)):
        communes.setdefault(qid, []).append((code, name))
    query = select(Qpv.id, Qpv.code, Qpv.name, Qpv.generation, Qpv.geometry,
                   Qpv.named_in_protocol, Qpv.is_synthetic).order_by(Qpv.code, Qpv.name)
    if territory is not None:
        from ..figures.scope import resolve_territory
        tid = resolve_territory(session, territory).id
        query = query.where(Qpv.id.in_(
            select(qpv_commune.c.qpv_id).join(Commune, Commune.id == qpv_commune.c.commune_id)
            .where(Commune.territory_id == tid)))
    rows = session.execute(query)
    return _write(out, (_feature(geometry, {
        "code": code, "nom": name, "generation": generation,
        "insee_com": [c for c, _ in communes.get(qid, [])],
        "communes": [n for _, n in communes.get(qid, [])],
        "nomme_dans_protocole": bool(named), "demonstration": bool(synthetic)})
        for qid, code, name, generation, geometry, named, synthetic in rows))


