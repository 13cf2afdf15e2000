"""Official commune boundaries: GeoJSON (`code`, `nom`: geo.api.gouv.fr, france-geojson) or
IGN ADMIN EXPRESS Shapefile (`INSEE_COM`, `NOM`), in WGS84 or Lambert-93.

Read and check the whole file first (`geofile.read_geo_file`), then write in one transaction:
each commune is matched on its INSEE code and its perimeter, bbox and centroid replaced, so a
re-import never duplicates. The name stored by the embedded referential is kept (a different
official spelling is reported). Communes of the file that are not in the database yet are
stored with no territory (territory NULL): the national file can thus be imported once, and
a territory picks its communes later. Rows are written in bulk (executemany), not one ORM
object per row, so the 35,000 communes of France load in seconds.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session

from ..auth import Actor, require_admin
from ..geo import geometry_columns
from ..schema import Commune
from ..store import Store, writing
from ..textnorm import fold
from .datasets import LICENCE, record_import, upsert_dataset
from .geofile import GeoTable, read_geo_file

SHOWN_PER_SECTION = 10


@dataclass
class GeoImportReport:
    """What an import did, in French lines for the CLI and the admin page."""
    file: str
    kind: str
    schema: str = ""
    crs: str = ""
    reprojected: bool = False
    features: int = 0
    inserted: int = 0
    updated: int = 0
    repaired: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    matches: list[str] = field(default_factory=list)      # QPV: named quartiers matched
    ambiguities: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    # QPV: perimeter vs the communes its attributes list (stored contours), for review
    commune_checks: list[str] = field(default_factory=list)
    # QPV: linked to a commune holding ≥ 10 % of its area that its attributes do not list
    linked_by_area: list[str] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)    # features of the file not imported

    def sections(self) -> list[tuple[str, list[str]]]:
        return [("Entités écartées, non importées (à vérifier dans le fichier)", self.set_aside),
                ("Géométries réparées", self.repaired), ("Remarques", self.notes),
                ("Quartiers des protocoles rapprochés", self.matches),
                ("Rapprochements ambigus (à vérifier)", self.ambiguities),
                ("Quartiers rattachés par leur périmètre à une commune que le fichier ne leur "
                 "attribue pas", self.linked_by_area),
                ("Non rapprochés (à vérifier)", self.misses),
                ("Communes à vérifier (périmètre et communes déclarées ne concordent pas)",
                 self.commune_checks)]

    def lines(self, limit: int = SHOWN_PER_SECTION) -> list[str]:
        """The report, each long section summarised (its first `limit` items, then a count);
        `details()` gives every item."""
        what = "communes" if self.kind == "communes" else "quartiers (QPV)"
        out = [f"« {self.file} » : {self.features} {what} lus ({self.schema}, {self.crs}"
               + (", reprojeté en WGS84" if self.reprojected else "") + ").",
               f"{self.inserted} ajouté(s), {self.updated} mis à jour."]
        for title, items in self.sections():
            if not items:
                continue
            if items is self.repaired:
                out.append(repair_summary(items))
                continue
            out.append(f"{title} ({len(items)}) :")
            out += [f"  - {item}" for item in items[:limit]]
            if len(items) > limit:
                out.append(f"  - … et {len(items) - limit} autre(s) (liste complète dans le "
                           "détail du rapport).")
        return out

    def details(self) -> list[str]:
        """Every item of every section (the full list behind the summary)."""
        out = []
        for title, items in self.sections():
            if items:
                out.append(f"{title} ({len(items)}) :")
                out += [f"  - {item}" for item in items]
        return out


def repair_summary(repaired: list[str]) -> str:
    """'42 géométrie(s) réparée(s) (auto-intersection : 40, anneau qui se recoupe : 2) …'."""
    reasons = Counter(line.rsplit("(", 1)[-1].rstrip(").") for line in repaired)
    detail = ", ".join(f"{reason} : {n}" for reason, n in reasons.most_common())
    return (f"{len(repaired)} géométrie(s) réparée(s) ({detail} ; le plus souvent dues à "
            "l'arrondi des coordonnées du fichier publié), liste dans le détail du rapport.")


def import_communes(engine: Engine | Store, path: str | Path,
                    display_name: str | None = None, *,
                    actor: Actor | None) -> GeoImportReport:
    """Check `path` entirely, then store its communes in one transaction (or nothing), through
    the Store's write path (or on a bare engine: tests).

    Administrators only (`actor`; the CLI passes `Actor.system()`)."""
    require_admin(actor)
    table = read_geo_file(path, "communes", display_name)
    with writing(engine) as session:
        report = load_communes(session, table)
        record_import(session, actor, "commune", report)
        return report


def load_communes(session: Session, table: GeoTable) -> GeoImportReport:
    """Upsert the checked communes of `table` (bulk insert/update). Caller owns the commit."""
    report = GeoImportReport(table.file, "communes", table.schema.label, table.crs,
                             table.reprojected, len(table), repaired=list(table.repaired),
                             set_aside=list(table.set_aside))
    source = f"{table.schema.label} – fichier « {table.file} », importé le {date.today():%d/%m/%Y}"
    existing = {code: (cid, name) for code, cid, name in
                session.execute(select(Commune.insee_code, Commune.id, Commune.name))}
    columns = geometry_columns(table.frame["geometry"].to_numpy())
    new_rows, changed = [], []
    for code, name, cols in zip(table.frame["code"], table.frame["name"], columns):
        cols["geometry_source"] = source
        if code in existing:
            cid, stored_name = existing[code]
            changed.append({"id": cid, **cols})
            if fold(stored_name) != fold(name):
                report.notes.append(f"{code} : nom conservé « {stored_name} » "
                                    f"(le fichier dit « {name} »).")
        else:
            new_rows.append({"insee_code": code, "name": name, "territory_id": None,
                             "is_synthetic": False, **cols})
    if new_rows:
        session.execute(insert(Commune), new_rows)
        report.notes.append(f"{len(new_rows)} commune(s) absente(s) de la base ajoutée(s) sans "
                            "territoire (rattachement à faire par le référentiel).")
    if changed:
        session.execute(update(Commune), changed)
    report.inserted, report.updated = len(new_rows), len(changed)
    upsert_dataset(session, "geo-communes", title="Contours des communes",
                   source=f"{table.schema.label} – « {table.file} »", licence=LICENCE,
                   rows=session.scalar(select(func.count()).select_from(Commune)
                                       .where(Commune.geometry.is_not(None))))
    return report
