"""Loads the embedded default of data/: pillars, territories, contrats de ville, communes,
quartiers named by the protocols, and each territory's reviewed referential (YAML); then the
extracts of official files built by `python -m perr_model build-embedded` (data/sources.yaml:
commune contours of 93 and 94, official QPV 2024 perimeters matched to the protocols'
quartiers, ANCT adultes-relais and FONJEP posts of the territories' contrats de ville),
through the same importers as the files an administrator imports, each recorded in the
Dataset table with its human title, source, licence and date.

The national lists of the contrats de ville of both generations (data/anct/contrats-de-ville-
<generation>.json) are read where a contract is named (`perr_model.contrats.national_list`),
not loaded whole into the database.

Idempotent: every record is matched on its natural key (slug, contract code and generation,
INSEE code, QPV name within its commune) and updated in place, so running it twice changes nothing.
"""
from __future__ import annotations

import csv
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import settings
from ..contrats import COMMUNE_GENERATION, DEFAULT_GENERATION, national_list
from ..schema import Commune, ContratDeVille, Pillar, Qpv, Territory
from .datasets import upsert_dataset


def data_dir() -> Path:
    return Path(settings.get("PERR_DATA_DIR"))


def load_embedded(session: Session, folder: Path | None = None, *,
                  official: bool = True) -> dict[str, int]:
    """Load everything under `folder` (default data/). Returns counts per kind.
    `official=False` leaves out the extracts of official files (tests of the importers)."""
    folder = folder or data_dir()
    meta = yaml.safe_load((folder / "territories.yaml").read_text(encoding="utf-8"))
    counts = {"pillars": load_pillars(session, meta["pillars"])}
    counts["territories"] = load_territories(session, meta["territories"])
    counts["communes"] = load_communes(session, folder / "communes.csv")
    counts["qpv"] = load_named_qpv(session, folder / "qpv.csv")
    for ds in meta.get("datasets", []):
        upsert_dataset(session, **ds)
    if official:
        counts.update(load_official_extracts(session, folder))
    from .protocol import load_referential  # the protocol importer owns the referential shape
    for t in meta["territories"]:
        path = folder / "referential" / f"{t['slug']}.yaml"
        if path.exists():
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            territory = session.scalars(select(Territory).filter_by(slug=t["slug"])).one()
            load_referential(session, territory, doc)
            counts[f"referential:{t['slug']}"] = 1
    from ..evaluation.embedded import load_indicators  # issue 15: the protocols' figures
    counts.update(load_indicators(session, folder))
    return counts


REVIEW_MARK = "à vérifier"
QPV_DISPLAY_NAME = "extrait embarqué des QPV 2024 (93 et 94)"
COMMUNES_DISPLAY_NAME = "extrait embarqué des communes (93 et 94)"


def load_official_extracts(session: Session, folder: Path) -> dict[str, int]:
    """Load the extracts listed in folder/sources.yaml (nothing if the file is absent)."""
    path = folder / "sources.yaml"
    if not path.exists():
        return {}
    provenance = yaml.safe_load(path.read_text(encoding="utf-8"))
    datasets = {d["key"]: d for d in provenance.get("datasets", [])}
    from ..auth import Actor
    from .communes import load_communes as load_commune_contours
    from .geofile import read_geo_file
    from .posts import guess_kind, import_posts
    from .qpv import load_qpv
    counts: dict[str, int] = {}
    if "geo-communes" in datasets:
        table = read_geo_file(folder / datasets["geo-communes"]["file"], "communes",
                              COMMUNES_DISPLAY_NAME)
        counts["contours de communes"] = load_commune_contours(session, table).features
    if "geo-qpv-2024" in datasets:
        table = read_geo_file(folder / datasets["geo-qpv-2024"]["file"], "qpv", QPV_DISPLAY_NAME)
        report = load_qpv(session, table)
        counts["périmètres QPV 2024"] = report.features
        left = flag_unmatched_quartiers(session, 2024)
        matched = session.scalar(select(func.count()).select_from(Qpv).where(
            Qpv.named_in_protocol, Qpv.code.is_not(None)))
        datasets["geo-qpv-2024"]["transformations"] = list(
            datasets["geo-qpv-2024"]["transformations"]) + [
            f"quartiers des protocoles rapprochés d'un QPV 2024 : {matched}"
            + (" ; sans périmètre officiel, à vérifier : " + ", ".join(
                f"« {q.name} » ({', '.join(sorted(c.name for c in q.communes))})" for q in left)
               if left else "")]
    actor = Actor.system("init-db")
    posts = 0
    for key, ds in datasets.items():
        if not key.startswith("anct_") or not ds["rows"]:  # nothing to import from an empty one
            continue
        file = folder / ds["file"]
        import_posts(session, actor, file.read_bytes(), guess_kind(file.name),
                     source=ds["title"])
        posts += ds["rows"]
    if posts:
        counts["postes ANCT"] = posts
    for key, ds in datasets.items():
        note = "Transformations : " + " ; ".join(ds.get("transformations", [])) + "."
        upsert_dataset(session, key, title=ds["title"], source=ds["source"],
                       licence=ds["licence"], source_date=str(ds["source_date"]),
                       rows=ds["rows"], note=note)
    return counts


def flag_unmatched_quartiers(session: Session, generation: int) -> list[Qpv]:
    """Quartiers named by the protocols left without an official perimeter: flagged for review
    on the quartier itself (its source line), never silently dropped."""
    left = session.scalars(select(Qpv).where(Qpv.named_in_protocol, Qpv.code.is_(None))
                           .order_by(Qpv.name)).all()
    for q in left:
        if REVIEW_MARK not in (q.source or ""):
            q.source = ((q.source or "") + f" — {REVIEW_MARK} : aucun périmètre officiel QPV "
                        f"{generation} de ce nom dans la commune (quartier fusionné ou redessiné "
                        f"en {generation} ?)").strip(" —")
    session.flush()
    return list(left)


def load_pillars(session: Session, pillars: list[dict]) -> int:
    for pos, p in enumerate(pillars, 1):
        row = session.scalars(select(Pillar).filter_by(code=p["code"])).one_or_none()
        if row is None:
            row = Pillar(code=p["code"])
            session.add(row)
        row.name, row.position = p["name"], pos
    session.flush()
    return len(pillars)


def load_territories(session: Session, territories: list[dict]) -> int:
    for t in territories:
        row = session.scalars(select(Territory).filter_by(slug=t["slug"])).one_or_none()
        if row is None:
            row = Territory(slug=t["slug"])
            session.add(row)
        row.name, row.kind, row.departments = t["name"], t.get("kind", "EPT"), t["departments"]
        session.flush()
        for cv in t["contrats_de_ville"]:
            generation = int(cv.get("generation", DEFAULT_GENERATION))
            c = session.scalars(select(ContratDeVille).filter_by(
                code=cv["code"], generation=generation)).one_or_none()
            if c is None:
                c = ContratDeVille(code=cv["code"], generation=generation)
                session.add(c)
            c.name, c.territory_id = cv["name"], row.id
            listed = national_list(generation).get(cv["code"])
            if listed is not None:
                c.collectivities, c.departments = listed.collectivities, listed.departments
    session.flush()
    return len(territories)


def load_communes(session: Session, path: Path) -> int:
    territories = {t.slug: t.id for t in session.scalars(select(Territory))}
    cvs = {c.code: c.id for c in session.scalars(select(ContratDeVille).filter_by(
        generation=COMMUNE_GENERATION))}
    n = 0
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            row = session.scalars(select(Commune).filter_by(insee_code=rec["insee_code"])
                                  ).one_or_none()
            if row is None:
                row = Commune(insee_code=rec["insee_code"])
                session.add(row)
            row.name = rec["name"]
            row.territory_id = territories[rec["territory"]]
            row.contrat_de_ville_id = cvs[rec["contrat_de_ville"]]
            if rec.get("centroid_lon"):
                row.centroid_lon, row.centroid_lat = float(rec["centroid_lon"]), float(
                    rec["centroid_lat"])
            n += 1
    session.flush()
    return n


def load_named_qpv(session: Session, path: Path) -> int:
    """Quartiers named by the protocols. Official code/perimeter come later from ANCT files."""
    communes = {c.insee_code: c for c in session.scalars(select(Commune))}
    n = 0
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            members = [communes[code] for code in rec["communes"].split("|")]
            row = find_qpv_by_name(session, rec["name"], members[0])
            if row is None:
                row = Qpv(name=rec["name"], communes=members)
                session.add(row)
            row.aliases = rec["aliases"] or None
            row.named_in_protocol = True
            row.source = row.source or rec["source"]
            if rec.get("code"):
                row.code, row.generation = rec["code"], int(rec["generation"])
            n += 1
    session.flush()
    return n


def find_qpv_by_name(session: Session, name: str, commune: Commune) -> Qpv | None:
    from ..textnorm import same_place_name
    for q in commune.qpvs:
        names = [q.name] + (q.aliases.split("|") if q.aliases else [])
        if any(same_place_name(name, n) for n in names):
            return q
    return None
