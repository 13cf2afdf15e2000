"""Official QPV perimeters from ANCT: 2015 schema (`CODE_QP`, `NOM_QP`, `COMMUNE_QP`) or 2024
schema (`code_qp`, `lib_qp`, `insee_com`, `lib_com`), as GeoJSON, zipped Shapefile or
GeoPackage, in WGS84 or Lambert-93 (reprojected to WGS84 for storage).

The whole file is checked first (`geofile.read_geo_file`), then written in one transaction.
- Re-import replaces: a QPV is matched on its official code, never duplicated.
- Communes: 2024 files give INSEE codes (a QPV across two communes lists both and is linked to
  both; a commune missing from the base is added with no territory); 2015 files give commune
  names, looked up within the QPV's department. A QPV whose communes cannot be found is linked
  to the stored communes covering at least 20 % of its area, when their contours are imported.
- Perimeter against the declared communes (stored contours): a QPV with at least 10 % of its
  own area in a commune its attributes do not list (commune codes changed since the contours'
  year, a merged commune) is linked to that commune as well, and each such link is listed and
  counted in the report; a listed commune its perimeter does not touch is flagged. The file's
  own declaration is kept as published.
- Quartiers named by the protocols (named_in_protocol, code NULL) are matched to official
  records of the same commune by name (accents, case, articles ignored: `textnorm.place_key`),
  exactly first, then by inclusion ("Beaudottes" in "Rougemont - Beaudottes"). A match fills
  the code and perimeter of the existing row (actions linked to it keep their link), the
  official name becomes its name and the protocol's spelling an alias. Matches, ambiguities and
  misses are listed in the report for review.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..auth import Actor, require_admin
from ..geo import geometry_columns, parse
from ..schema import Commune, Qpv, qpv_commune
from ..store import Store, writing
from ..textnorm import place_key
from .communes import GeoImportReport
from .datasets import LICENCE, record_import, upsert_dataset
from .geofile import GeoTable, read_geo_file, split_list

MIN_SHARE_FALLBACK = 0.2
# A QPV with at least this share of its own area in a stored commune that its attributes do not
# list is linked to that commune too (reported): otherwise that commune's coverage would miss it.
MIN_SHARE_UNDECLARED = 0.1


@dataclass
class Record:
    """One official QPV of the file, with the ids of the communes it is linked to."""
    code: str
    name: str
    columns: dict
    commune_ids: set[int] = field(default_factory=set)


def import_qpv(engine: Engine | Store, path, display_name: str | None = None, *,
               actor: Actor | None) -> GeoImportReport:
    """Check `path` entirely, then store its QPV in one transaction (or nothing).

    Administrators only (`actor`; the CLI passes `Actor.system()`)."""
    require_admin(actor)
    table = read_geo_file(path, "qpv", display_name)
    with writing(engine) as session:
        report = load_qpv(session, table)
        record_import(session, actor, "qpv", report)
        return report


def load_qpv(session: Session, table: GeoTable) -> GeoImportReport:
    """Upsert the checked QPV of `table`, link communes, match protocol quartiers."""
    report = GeoImportReport(table.file, "qpv", table.schema.label, table.crs, table.reprojected,
                             len(table), repaired=list(table.repaired),
                             set_aside=list(table.set_aside))
    generation = table.schema.generation
    records = _records(table)
    _resolve_communes(session, table, records, report)
    check_declared_communes(session, records, table.frame["geometry"].to_numpy(), report)
    existing = dict(session.execute(select(Qpv.code, Qpv.id).where(Qpv.code.is_not(None))).all())
    matched = _match_named(session, [r for r in records if r.code not in existing], report)
    source = f"ANCT, périmètres officiels des QPV {generation} – « {table.file} »"
    protocol_rows = {q.id: q for q in session.scalars(select(Qpv).where(Qpv.named_in_protocol))}
    updates, inserts, target = [], [], {}
    for r in records:
        values = {"code": r.code, "name": r.name, "generation": generation, **r.columns}
        qid = existing.get(r.code) or matched.get(r.code)
        if qid is None:
            inserts.append({**values, "source": source, "named_in_protocol": False,
                            "is_synthetic": False})
            continue
        named = protocol_rows.get(qid)
        if named is not None:  # keep the protocol's spellings as aliases
            spellings = [named.name] + (named.aliases or "").split("|")
            aliases = list(dict.fromkeys(a for a in spellings if a and a != r.name))
            values["aliases"] = "|".join(aliases) or None
        else:
            values["source"] = source
        updates.append({"id": qid, **values})
        target[r.code] = qid
    session.flush()
    if updates:
        session.execute(update(Qpv), updates)
    if inserts:
        session.execute(insert(Qpv), inserts)
        codes = [row["code"] for row in inserts]
        for chunk in _chunks(codes):
            target.update(session.execute(select(Qpv.code, Qpv.id).where(Qpv.code.in_(chunk))).all())
    _write_links(session, records, target, set(protocol_rows))
    report.inserted, report.updated = len(inserts), len(updates)
    upsert_dataset(session, f"geo-qpv-{generation}", title=f"Périmètres des QPV ({generation})",
                   source=source, licence=LICENCE,
                   rows=session.scalar(select(func.count()).select_from(Qpv)
                                       .where(Qpv.generation == generation,
                                              Qpv.geometry.is_not(None))))
    return report


def check_declared_communes(session: Session, records: list[Record], geoms: np.ndarray,
                            report: GeoImportReport) -> None:
    """Compare each QPV's perimeter with the stored contours of communes: a commune holding
    ≥ 10 % of the QPV's own area that its attributes do not list is added to its communes
    (`Record.commune_ids`, reported in `report.linked_by_area`); a listed commune it does not
    touch is reported for review (the link is kept as published)."""
    west, south, east, north = shapely.total_bounds(geoms)
    rows = session.execute(select(Commune.id, Commune.insee_code, Commune.name, Commune.geometry)
                           .where(Commune.geometry.is_not(None),
                                  Commune.bbox_max_lon >= west, Commune.bbox_min_lon <= east,
                                  Commune.bbox_max_lat >= south, Commune.bbox_min_lat <= north)
                           ).all()
    touching: dict[int, set[int]] = {}
    if rows:
        _undeclared(records, geoms, rows, touching, report)
    with_contour = {r.id: r for r in rows}
    # listed communes with a contour outside the file's extent touch none of its QPV either
    further = sorted(set().union(*(r.commune_ids for r in records)) - set(with_contour))
    for chunk in _chunks(further):
        for c in session.execute(select(Commune.id, Commune.insee_code, Commune.name).where(
                Commune.id.in_(chunk), Commune.geometry.is_not(None))):
            with_contour[c.id] = c
    for qi, r in enumerate(records):
        for cid in sorted(r.commune_ids - touching.get(qi, set())):
            if cid in with_contour:
                c = with_contour[cid]
                report.commune_checks.append(
                    f"{r.code} « {r.name} » : commune déclarée {c.insee_code} « {c.name} », "
                    "que son périmètre ne touche pas.")


def _undeclared(records, geoms, rows, touching, report) -> None:
    """Stored communes holding ≥ 10 % of a QPV's own area that it does not list: linked and
    reported (fills `touching`)."""
    shapes = shapely.from_geojson([r.geometry for r in rows])
    tree = shapely.STRtree(shapes)
    q_idx, c_idx = tree.query(geoms, predicate="intersects")
    for qi, ci in zip(q_idx, c_idx):
        touching.setdefault(int(qi), set()).add(rows[ci].id)
    undeclared = [(qi, ci) for qi, ci in zip(q_idx, c_idx)
                  if rows[ci].id not in records[qi].commune_ids]
    if undeclared:
        qs, cs = np.array([p[0] for p in undeclared]), np.array([p[1] for p in undeclared])
        own = shapely.area(geoms[qs])
        inside = shapely.area(shapely.intersection(geoms[qs], shapes[cs]))
        share = np.divide(inside, own, out=np.zeros_like(inside), where=own > 0)
        for qi, ci, part in zip(qs, cs, share):
            if part >= MIN_SHARE_UNDECLARED:
                r, c = records[qi], rows[ci]
                r.commune_ids.add(c.id)
                percent = f"{min(part, 1.0):.0%}".replace("%", "\u00a0%")
                report.linked_by_area.append(
                    f"{r.code} « {r.name} » : {percent} de son périmètre dans la commune "
                    f"{c.insee_code} « {c.name} », que le fichier ne lui attribue pas ; "
                    "rattaché aussi à cette commune.")


def _records(table: GeoTable) -> list[Record]:
    columns = geometry_columns(table.frame["geometry"].to_numpy())
    return [Record(code, name, cols)
            for code, name, cols in zip(table.frame["code"], table.frame["name"], columns)]


def qpv_department(code: str) -> str:
    """'QP093001' -> '93', 'QN97101x' -> '971', 'QP02A001' -> '2A'."""
    dep = code[2:5]
    return dep[1:] if dep.startswith("0") else dep


def department_of(insee_code: str) -> str:
    """'93071' -> '93', '97411' -> '974', '98818' -> '988' (overseas: three characters)."""
    return insee_code[:3] if insee_code.startswith(("97", "98")) else insee_code[:2]


def _resolve_communes(session: Session, table: GeoTable, records: list[Record],
                      report: GeoImportReport) -> None:
    by_code = dict(session.execute(select(Commune.insee_code, Commune.id)).all())
    if "insee" in table.frame:
        missing: dict[str, str] = {}
        names_column = table.frame.get("commune_names", [None] * len(records))
        for r, codes, names in zip(records, table.frame["insee"], names_column):
            codes, names = split_list(codes), split_list(names)
            for k, code in enumerate(codes):
                if code not in by_code and code not in missing:
                    missing[code] = names[k] if len(names) == len(codes) else code
        if missing:
            session.execute(insert(Commune), [
                {"insee_code": c, "name": n, "territory_id": None, "is_synthetic": False}
                for c, n in missing.items()])
            by_code = dict(session.execute(select(Commune.insee_code, Commune.id)).all())
            report.notes.append(f"{len(missing)} commune(s) absente(s) de la base ajoutée(s) sans "
                                f"territoire ni contour : {', '.join(sorted(missing)[:20])}"
                                + (" …" if len(missing) > 20 else "") + ".")
        for r, codes in zip(records, table.frame["insee"]):
            r.commune_ids = {by_code[c] for c in split_list(codes)}
    else:
        by_name: dict[tuple[str, str], list[int]] = {}
        for code, cid, name in session.execute(
                select(Commune.insee_code, Commune.id, Commune.name)):
            by_name.setdefault((department_of(code), place_key(name)), []).append(cid)
        for r, names in zip(records, table.frame["commune_names"]):
            for name in split_list(names):
                ids = by_name.get((qpv_department(r.code), place_key(name)), [])
                if len(ids) == 1:
                    r.commune_ids.add(ids[0])
                else:
                    report.misses.append(f"{r.code} « {r.name} » : commune « {name} » "
                                         "introuvable dans la base (importez les communes).")
    for r in records:
        if not r.commune_ids:
            r.commune_ids = _communes_covering(session, r)
            if r.commune_ids:
                report.notes.append(f"{r.code} « {r.name} » : commune(s) déduite(s) des contours "
                                    "(le fichier n'en nomme aucune de connue).")


def _communes_covering(session: Session, r: Record) -> set[int]:
    c = r.columns
    shape = parse(c["geometry"])
    rows = session.execute(select(Commune.id, Commune.geometry).where(
        Commune.geometry.is_not(None),
        Commune.bbox_min_lon <= c["bbox_max_lon"], Commune.bbox_max_lon >= c["bbox_min_lon"],
        Commune.bbox_min_lat <= c["bbox_max_lat"], Commune.bbox_max_lat >= c["bbox_min_lat"]))
    area = shape.area or 1.0
    return {cid for cid, text in rows
            if shapely.intersection(parse(text), shape).area / area >= MIN_SHARE_FALLBACK}


def _contains(official: str, key: str) -> bool:
    """Does the name key `key` appear, as whole words, in the official name key?"""
    words, part = official.split(), key.split()
    return bool(part) and any(words[i:i + len(part)] == part
                              for i in range(len(words) - len(part) + 1))


def _match_named(session: Session, records: list[Record], report: GeoImportReport
                 ) -> dict[str, int]:
    """Official code -> id of the protocol quartier it is (unambiguous matches only)."""
    named = session.scalars(select(Qpv).where(Qpv.named_in_protocol, Qpv.code.is_(None))
                            .order_by(Qpv.id)).all()
    file_communes = set().union(*(r.commune_ids for r in records)) if records else set()
    proposals: dict[int, Record] = {}
    for q in named:
        communes = {c.id for c in q.communes}
        if not communes & file_communes:
            continue  # another department's quartier: this file says nothing about it
        keys = {place_key(n) for n in [q.name] + (q.aliases or "").split("|") if n}
        here = [r for r in records if r.commune_ids & communes]
        exact = [r for r in here if place_key(r.name) in keys]
        found = exact or [r for r in here if any(_contains(place_key(r.name), k) for k in keys)]
        where = ", ".join(sorted(c.name for c in q.communes))
        if len(found) == 1:
            proposals[q.id] = found[0]
        elif found:
            report.ambiguities.append(
                f"« {q.name} » ({where}) : plusieurs QPV possibles : "
                + ", ".join(f"{r.code} « {r.name} »" for r in found) + ".")
        else:
            report.misses.append(f"« {q.name} » ({where}) : aucun QPV du fichier ne porte ce "
                                 "nom dans cette commune.")
    claimed: dict[str, list[int]] = {}
    for qid, r in proposals.items():
        claimed.setdefault(r.code, []).append(qid)
    by_id = {q.id: q for q in named}
    result = {}
    for code, qids in claimed.items():
        r = proposals[qids[0]]
        if len(qids) > 1:
            report.ambiguities.append(
                f"{code} « {r.name} » correspond à plusieurs quartiers des protocoles : "
                + ", ".join(f"« {by_id[i].name} »" for i in qids) + " ; aucun rapprochement.")
            continue
        how = "nom identique" if place_key(r.name) in {
            place_key(n) for n in [by_id[qids[0]].name] + (by_id[qids[0]].aliases or "")
            .split("|") if n} else "nom inclus"
        report.matches.append(f"« {by_id[qids[0]].name} » → {code} « {r.name} » ({how}).")
        result[code] = qids[0]
    return result


def _write_links(session: Session, records: list[Record], target: dict[str, int],
                 protocol_ids: set[int]) -> None:
    """Replace the commune links of the imported QPV (protocol links are kept as well)."""
    ids = list(target.values())
    kept: dict[int, set[int]] = {}
    for chunk in _chunks(ids):
        for qid, cid in session.execute(select(qpv_commune.c.qpv_id, qpv_commune.c.commune_id)
                                        .where(qpv_commune.c.qpv_id.in_(chunk))):
            if qid in protocol_ids:
                kept.setdefault(qid, set()).add(cid)
        session.execute(delete(qpv_commune).where(qpv_commune.c.qpv_id.in_(chunk)))
    links = []
    for r in records:
        qid = target[r.code]
        for cid in sorted(r.commune_ids | kept.get(qid, set())):
            links.append({"qpv_id": qid, "commune_id": cid})
    if links:
        session.execute(insert(qpv_commune), links)
    session.expire_all()


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i:i + size]
