"""Builds the embedded extracts of data/ (and the small test fixtures of tests/fixtures/) from
the official files, with their provenance.

    python -m perr_model build-embedded --from ../shared/data [--out data] [--fixtures tests/fixtures]

What is extracted (facts of Licence Ouverte files, nothing invented):
- `geo/communes-93-94.geojson`: the commune contours of the departments of the territories
  (IGN ADMIN EXPRESS COG 2018, france-geojson simplification), properties `code`, `nom`;
- `geo/qpv-2024-93-94.geojson`: the official QPV 2024 perimeters of those departments (ANCT
  2024 schema `code_qp`, `lib_qp`, `insee_com`, `lib_com`);
- `geo/qpv-2024-france.geojson.gz`: the official QPV 2024 perimeters of all France (overseas
  included), properties `code_qp`, `lib_qp`, `insee_com` only (the national file's `lib_com`
  is empty), gzipped: read by `territory create` for a new territory's communes only
  (perr_model/territories.py), never loaded whole by init-db;
- `contrats/contrats-de-ville-<generation>.json`: the national lists of both generations of
  contrats de ville (2015: 434 rows, CVnnn; 2024: 448 rows, CNdddddX and overseas CVnnn), one
  row per published feature, fields `code_cv`, `lib_cv`, `codgeo`, `insee_dep` (the points and
  the population figure are left out);
- `anct/<file>.json`: the adultes-relais and FONJEP posts of the territories' contrats de ville
  of the file's generation (2020–2022: CVnnn, 2024: CNdddddX), every row kept as published
  (duplicate rows included), same field order (the rows of their departments that name no
  contract, FONJEP 2024, designate no territory: counted in the provenance, not extracted);
- `sources.yaml`: provenance (source, publisher, date, licence, transformations, checksums).

Geometries are copied as published: the sources are already simplified (france-geojson) or
rounded (4 decimals for the QPV), so no further simplification is applied (tolerance 0,
recorded). The output is deterministic: a rebuild from the same sources gives the same bytes,
which the test suite checks.

The library function returns a report; it never prints (the CLI does).
"""
from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from .contrats import DEFAULT_GENERATION, generation_of, list_file
from .errors import ImportRefused
from .importers.datasets import LICENCE

DEPARTMENTS = ("93", "94")
POST_FILES = [(f"{prefix}-{year}.json", kind, year)
              for prefix, kind in (("adultes-relais", "adultes-relais"),
                                   ("postes-fonjep", "fonjep"))
              for year in (2020, 2021, 2022, 2024)]
CONTRACT_LISTS = {2015: ("contrats-de-ville.geojson", "2015-2023", "Ci-VILLE"),
                  2024: ("contrats-de-ville-2024.geojson", "2024-2030",
                         "Ci-VILLE 2024+ (anct-carto/ci-ville2, src/assets/geom_cv_ctr.json)")}
CONTRACT_FIELDS = ("code_cv", "lib_cv", "codgeo", "insee_dep")
COMMUNE_FILES = [f"communes-{d}.geojson" for d in DEPARTMENTS]
QPV_FILE = "qpv-2024-93-94.geojson"
QPV_NATIONAL_FILE = "qpv-2024-france.geojson.gz"
QPV_NATIONAL = "geo/qpv-2024-france.geojson.gz"
QPV_NATIONAL_FIELDS = ("code_qp", "lib_qp", "insee_com")
# Test fixtures: a few facts of the official files, not copies.
FIXTURE_QPV = ("QN09349M", "QN09355M", "QN09421M", "QN09424I", "QN09427M")
FIXTURE_OTHER_CV = 3          # posts of this many other contrats de ville, as published
FIXTURE_DUPLICATE_GROUPS = 4  # and the rows of this many duplicated id_poste groups


@dataclass
class BuildReport:
    out: Path
    files: dict[str, int] = field(default_factory=dict)     # relative path -> rows/features
    posts: dict[tuple[str, str, int], tuple[int, Decimal]] = field(default_factory=dict)
    size_bytes: int = 0
    fixtures: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"Extraits écrits ({self.size_bytes / 1024:.0f} Ko) :"]
        out += [f"  - {name} : {n} élément(s)" for name, n in sorted(self.files.items())]
        for (kind, code, year), (n, amount) in sorted(self.posts.items()):
            out.append(f"  {kind} {code} {year} : {n} poste(s), {amount:.2f} €")
        if self.fixtures:
            out.append("Données d'essai écrites : " + ", ".join(
                f"{k} ({v})" for k, v in sorted(self.fixtures.items())))
        return out


def territory_contrats(project_data: Path) -> dict[int, list[str]]:
    """Generation -> codes of the territories' contrats de ville (data/territories.yaml)."""
    meta = yaml.safe_load((project_data / "territories.yaml").read_text(encoding="utf-8"))
    by_generation: dict[int, list[str]] = defaultdict(list)
    for t in meta["territories"]:
        for cv in t["contrats_de_ville"]:
            by_generation[int(cv.get("generation", DEFAULT_GENERATION))].append(cv["code"])
    return {g: sorted(codes) for g, codes in by_generation.items()}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _need(path: Path) -> Path:
    if not path.is_file():
        raise ImportRefused(f"Fichier source introuvable : « {path.parent.name}/{path.name} » "
                            "(attendu dans le dossier des données officielles).")
    return path


def _dump_features(features: list[dict], name: str) -> str:
    """One feature per line: small diffs, deterministic bytes."""
    head = json.dumps({"type": "FeatureCollection", "name": name,
                       "crs": {"type": "name",
                               "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}},
                      ensure_ascii=False)[:-1]
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    return f'{head}, "features": [\n{body}\n]}}\n'


def _dump_rows(rows: list[dict]) -> str:
    return "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":"))
                              for r in rows) + "\n]\n"


def build_embedded(source: Path, out: Path, *, fixtures: Path | None = None,
                   project_data: Path | None = None) -> BuildReport:
    """Write the extracts of `source` (a folder laid out like shared/data) into `out`."""
    source, out = Path(source), Path(out)
    project_data = Path(project_data or out)
    contrats = territory_contrats(project_data)
    geo_in, anct_in = source / "geo", source / "anct"
    report = BuildReport(out)
    (out / "geo").mkdir(parents=True, exist_ok=True)
    (out / "anct").mkdir(parents=True, exist_ok=True)
    (out / "contrats").mkdir(parents=True, exist_ok=True)
    provenance: dict = {"licence": LICENCE, "datasets": []}

    communes = []
    for name in COMMUNE_FILES:
        doc = json.loads(_need(geo_in / name).read_text(encoding="utf-8"))
        for f in doc["features"]:
            communes.append({"type": "Feature",
                             "properties": {"code": f["properties"]["code"],
                                            "nom": f["properties"]["nom"]},
                             "geometry": f["geometry"]})
    communes.sort(key=lambda f: f["properties"]["code"])
    rel = "geo/communes-93-94.geojson"
    (out / rel).write_text(_dump_features(communes, "communes_93_94"), encoding="utf-8")
    report.files[rel] = len(communes)
    provenance["datasets"].append({
        "key": "geo-communes", "file": rel,
        "title": "Contours des communes de Seine-Saint-Denis et du Val-de-Marne",
        "source": "IGN, ADMIN EXPRESS COG 2018 (codes INSEE 2018), contours simplifiés par le "
                  "projet france-geojson",
        "publisher": "IGN (Institut national de l'information géographique et forestière)",
        "source_date": "2018", "licence": LICENCE, "rows": len(communes),
        "source_files": {n: _sha256(geo_in / n) for n in COMMUNE_FILES},
        "transformations": ["départements 93 et 94 réunis en un seul fichier, triés par code "
                            "INSEE", "propriétés gardées : code, nom",
                            "géométries inchangées (déjà simplifiées à la source) : tolérance "
                            "de simplification 0, coordonnées non arrondies à nouveau"]})

    qpv_doc = json.loads(_need(geo_in / QPV_FILE).read_text(encoding="utf-8"))
    keep = ("code_qp", "lib_qp", "insee_com", "lib_com")
    qpv = [{"type": "Feature",
            "properties": {k: f["properties"].get(k) for k in keep},
            "geometry": f["geometry"]} for f in qpv_doc["features"]]
    qpv.sort(key=lambda f: f["properties"]["code_qp"])
    rel = "geo/qpv-2024-93-94.geojson"
    (out / rel).write_text(_dump_features(qpv, "qpv_2024_93_94"), encoding="utf-8")
    report.files[rel] = len(qpv)
    multi = sum(1 for f in qpv if "," in (f["properties"]["insee_com"] or ""))
    provenance["datasets"].append({
        "key": "geo-qpv-2024", "file": rel,
        "title": "Périmètres officiels des quartiers prioritaires (QPV 2024) de Seine-Saint-Denis "
                 "et du Val-de-Marne",
        "source": "ANCT, jeu « Quartiers prioritaires de la politique de la ville (QPV) » sur "
                  "data.gouv.fr, fichier QP2024 France hexagonale et outre-mer WGS84 (révision du "
                  "15/01/2026), décret n° 2023-1314",
        "publisher": "ANCT (Agence nationale de la cohésion des territoires)",
        "source_date": "2026-01-15", "licence": LICENCE, "rows": len(qpv),
        "source_files": {QPV_FILE: _sha256(geo_in / QPV_FILE)},
        "transformations": [f"QPV touchant le 93 ou le 94 ({len(qpv)}, dont {multi} sur "
                            "plusieurs communes)",
                            "coordonnées arrondies à 4 décimales (~10 m) par la republication "
                            "bpineau/gazetteer ; lib_com complété des noms IGN",
                            "tolérance de simplification 0 (aucune simplification ajoutée)",
                            "propriétés gardées : code_qp, lib_qp, insee_com, lib_com"]})

    provenance["datasets"].append(_write_national_qpv(geo_in, out, report))
    for generation in sorted(CONTRACT_LISTS):
        provenance["datasets"].append(_write_contract_list(anct_in, out, generation, report))
    fixture_posts: dict[str, list[dict]] = {}
    for name, kind, year in POST_FILES:
        rows = json.loads(_need(anct_in / name).read_text(encoding="utf-8"))
        codes = contrats.get(generation_of(year), [])
        ours = [r for r in rows if isinstance(r, dict) and r.get("code_cv") in codes]
        no_cv = [r for r in rows if isinstance(r, dict) and not r.get("code_cv")
                 and r.get("insee_dep") in DEPARTMENTS]
        in_departments = sum(1 for r in rows if isinstance(r, dict)
                             and r.get("insee_dep") in DEPARTMENTS)
        rel = f"anct/{name}"
        (out / rel).write_text(_dump_rows(ours), encoding="utf-8")
        report.files[rel] = len(ours)
        sums: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
        for r in ours:
            sums[r["code_cv"]][0] += 1
            sums[r["code_cv"]][1] += Decimal(str(r["montant"]))
        for code, (n, amount) in sums.items():
            report.posts[(kind, code, year)] = (n, amount)
        what = "adultes-relais" if kind == "adultes-relais" else "FONJEP"
        provenance["datasets"].append({
            "key": f"anct_{kind}_{year}", "file": rel,
            "title": f"Postes {what} financés par l'État en {year} (contrats de ville des deux "
                     "territoires)",
            "source": f"ANCT, cartographie Ci-VILLE, liste nationale des postes {what} {year}",
            "publisher": "ANCT (Agence nationale de la cohésion des territoires)",
            "source_date": str(year), "licence": LICENCE, "rows": len(ours),
            "source_files": {name: _sha256(anct_in / name)},
            "transformations": [f"lignes des contrats de ville {', '.join(codes)} "
                                f"({len(ours)} sur {len(rows)})"]
            + _department_notes(len(no_cv), in_departments)
            + ["chaque ligne gardée telle que publiée, doublons d'id_poste compris (les "
               "chiffres publiés comptent les lignes)"]})
        if fixtures is not None:
            fixture_posts[name] = _fixture_rows(rows, codes)
    text = ("# Provenance of the embedded extracts (written by `python -m perr_model "
            "build-embedded`; do not edit by hand)\n"
            + yaml.safe_dump(provenance, allow_unicode=True, sort_keys=False, width=100))
    (out / "sources.yaml").write_text(text, encoding="utf-8")
    report.size_bytes = sum((out / p).stat().st_size for p in report.files) + len(text.encode())
    if fixtures is not None:
        report.fixtures = _write_fixtures(Path(fixtures), qpv, fixture_posts)
    return report


def _department_notes(no_cv: int, in_departments: int) -> list[str]:
    deps = " et ".join(DEPARTMENTS)
    notes = []
    if no_cv:
        notes.append(f"{no_cv} ligne(s) des départements {deps} sans code de contrat de ville, "
                     "non reprises : elles ne désignent ni contrat ni territoire (l'import du "
                     "fichier national les range « sans contrat de ville » de leur département)")
    if not in_departments:
        notes.append(f"le fichier publié n'a aucune ligne des départements {deps}")
    return notes


def _write_national_qpv(geo_in: Path, out: Path, report: BuildReport) -> dict:
    """The QPV 2024 of all France, three properties, gzipped without name nor date (the same
    bytes at every rebuild)."""
    source = _need(geo_in / QPV_NATIONAL_FILE)
    doc = json.loads(gzip.decompress(source.read_bytes()).decode("utf-8"))
    features = sorted(({"type": "Feature",
                        "properties": {k: f["properties"].get(k) for k in QPV_NATIONAL_FIELDS},
                        "geometry": f["geometry"]} for f in doc["features"]),
                      key=lambda f: f["properties"]["code_qp"])
    text = _dump_features(features, "qpv_2024_france").encode("utf-8")
    (out / QPV_NATIONAL).write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
    report.files[QPV_NATIONAL] = len(features)
    multi = sum(1 for f in features if "," in (f["properties"]["insee_com"] or ""))
    return {
        "key": "geo-qpv-2024-france", "file": QPV_NATIONAL,
        "title": "Périmètres officiels des quartiers prioritaires (QPV 2024) de toute la France",
        "source": "ANCT, jeu « Quartiers prioritaires de la politique de la ville (QPV) » sur "
                  "data.gouv.fr, fichier QP2024 France hexagonale et outre-mer WGS84 (révision du "
                  "15/01/2026), décret n° 2023-1314",
        "publisher": "ANCT (Agence nationale de la cohésion des territoires)",
        "source_date": "2026-01-15", "licence": LICENCE, "rows": len(features),
        "source_files": {QPV_NATIONAL_FILE: _sha256(source)},
        "transformations": [f"tous les QPV 2024, outre-mer compris ({len(features)}, dont "
                            f"{multi} sur plusieurs communes), triés par code",
                            "coordonnées arrondies à 4 décimales (~10 m) par la republication "
                            "bpineau/gazetteer",
                            "tolérance de simplification 0 (aucune simplification ajoutée)",
                            "propriétés gardées : code_qp, lib_qp, insee_com (lib_com, vide "
                            "dans le fichier national, laissé de côté)",
                            "compressé (gzip) ; lu à la création d'un territoire pour ses "
                            "seules communes"]}


def _write_contract_list(anct_in: Path, out: Path, generation: int, report: BuildReport
                         ) -> dict:
    """The national list of a generation: one row per published feature, four fields."""
    name, period, where = CONTRACT_LISTS[generation]
    doc = json.loads(_need(anct_in / name).read_text(encoding="utf-8"))
    rows = sorted(({k: f["properties"].get(k) for k in CONTRACT_FIELDS} for f in doc["features"]),
                  key=lambda r: (r["code_cv"], r["insee_dep"] or "", r["codgeo"] or ""))
    rel = list_file(generation)
    (out / rel).write_text(_dump_rows(rows), encoding="utf-8")
    report.files[rel] = len(rows)
    codes = {r["code_cv"] for r in rows}
    kinds = Counter(c[:2] for c in codes)
    return {
        "key": f"contrats-de-ville-{generation}", "file": rel,
        "title": f"Liste nationale des contrats de ville {period}",
        "source": f"ANCT, cartographie {where}",
        "publisher": "ANCT (Agence nationale de la cohésion des territoires)",
        "source_date": period, "licence": LICENCE, "rows": len(rows),
        "source_files": {name: _sha256(anct_in / name)},
        "transformations": [
            f"un élément par contrat publié ({len(rows)} lignes, {len(codes)} codes : "
            + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
            + ") ; un contrat sur deux départements ou signé par plusieurs collectivités a "
              "plusieurs lignes",
            "champs gardés : code_cv, lib_cv, codgeo (SIREN de l'EPCI/EPT ou code INSEE de la "
            "commune), insee_dep ; points et population laissés de côté",
            "triées par code, département, codgeo"]}


def _fixture_rows(rows: list, codes: list[str]) -> list[dict]:
    """A few posts of a national file, as published: ours, a few other contrats of each code
    form (CVnnn, CNdddddX; compound codes included), rows without department, rows without
    contract (a few per department of ours, a few elsewhere), and duplicated id_poste groups."""
    dicts = [r for r in rows if isinstance(r, dict)]
    others = set()
    for form in ("CV", "CN"):
        others |= set(sorted({r.get("code_cv") for r in dicts if r.get("code_cv") not in codes
                              and r.get("code_cv") and len(r["code_cv"]) in (5, 8)
                              and r["code_cv"].startswith(form)})[:FIXTURE_OTHER_CV])
    compound = {r["code_cv"] for r in dicts
                if r.get("code_cv") and r["code_cv"].startswith("CV") and len(r["code_cv"]) > 5}
    ids = Counter((r.get("id_poste")) for r in dicts)
    dup = sorted(i for i, n in ids.items() if n > 1)[:FIXTURE_DUPLICATE_GROUPS]
    no_dep = [id(r) for r in dicts if not r.get("insee_dep")][:3]
    no_cv = [r for r in dicts if not r.get("code_cv")]
    no_cv_kept = {id(r) for dep in DEPARTMENTS
                  for r in [r for r in no_cv if r.get("insee_dep") == dep][:3]}
    no_cv_kept |= {id(r) for r in [r for r in no_cv if r.get("insee_dep") not in DEPARTMENTS][:2]}
    keep = [r for r in dicts
            if (r.get("code_cv") and (r["code_cv"] in codes or r["code_cv"] in others
                                      or r["code_cv"] in compound))
            or r.get("id_poste") in dup or id(r) in no_dep or id(r) in no_cv_kept]
    return keep


def _write_fixtures(folder: Path, qpv: list[dict], posts: dict[str, list[dict]]
                    ) -> dict[str, int]:
    (folder / "anct").mkdir(parents=True, exist_ok=True)
    (folder / "geo").mkdir(parents=True, exist_ok=True)
    done = {}
    few = [f for f in qpv if f["properties"]["code_qp"] in FIXTURE_QPV]
    (folder / "geo" / "qpv-2024-extrait.geojson").write_text(
        _dump_features(few, "qpv_2024_extrait"), encoding="utf-8")
    done["geo/qpv-2024-extrait.geojson"] = len(few)
    for name, rows in posts.items():
        (folder / "anct" / name).write_text(_dump_rows(rows), encoding="utf-8")
        done[f"anct/{name}"] = len(rows)
    return done
