"""The embedded default of data/: extracts of official files (commune contours of 93 and 94,
official QPV 2024 perimeters, ANCT posts of the territories' contrats de ville), their
provenance, their rebuild, and what init-db makes of them.

Expected values are computed here from the JSON/GeoJSON files with json, Decimal and shapely,
never through the importers.
"""
import filecmp
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
import shapely
import yaml
from sqlalchemy import text

from perr_model.embedded_build import build_embedded

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"
OURS = ["CV351", "CV353", "CV907", "CV908", "CV915", "CV916", "CV918", "CV922"]
OURS_2024 = ["CN09304M", "CN09403M"]  # the contracts of 2024-2030 (one per EPT)


def ours(post) -> bool:
    """A row of the territories' contracts of its year's generation."""
    return post.get("code_cv") in (OURS_2024 if int(post["annee"]) >= 2024 else OURS)
FUNDERS = {"adultes-relais": "etat_adultes_relais", "postes-fonjep": "etat_fonjep"}


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def post_totals(rows) -> dict:
    totals = defaultdict(lambda: [0, Decimal(0)])
    for funder, post in rows:
        key = (funder, post["code_cv"], int(post["annee"]))
        totals[key][0] += 1
        totals[key][1] += Decimal(str(post["montant"]))
    return {k: (n, a.quantize(Decimal("0.01"))) for k, (n, a) in totals.items()}


def embedded_posts():
    for path in sorted((DATA / "anct").glob("*.json")):
        funder = FUNDERS[path.stem.rsplit("-", 1)[0]]
        for post in _json(path):
            yield funder, post


def test_data_stays_small_and_every_extract_has_its_provenance():
    size = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file() and p.suffix != ".sqlite")
    assert size < 3 * 1024 * 1024
    provenance = yaml.safe_load((DATA / "sources.yaml").read_text(encoding="utf-8"))
    files = {d["file"] for d in provenance["datasets"]}
    on_disk = {str(p.relative_to(DATA)) for sub in ("geo", "anct", "contrats")
               for p in (DATA / sub).iterdir()}
    assert files == on_disk
    for d in provenance["datasets"]:
        assert d["licence"].startswith("Licence Ouverte")
        assert d["source"] and d["publisher"] and d["source_date"] and d["transformations"]
        assert d["source_files"] and all(len(h) == 64 for h in d["source_files"].values())
    qpv = next(d for d in provenance["datasets"] if d["key"] == "geo-qpv-2024")
    assert any("tolérance de simplification" in t for t in qpv["transformations"])
    assert any("4 décimales" in t for t in qpv["transformations"])


def test_committed_extracts_equal_a_rebuild(tmp_path):
    if not (SHARED_DATA / "geo" / "qpv-2024-93-94.geojson").exists():
        pytest.skip("dossier ../shared/data absent (fichiers officiels nationaux) : la "
                    "reconstruction des extraits ne peut pas être comparée")
    out, fixtures = tmp_path / "data", tmp_path / "fixtures"
    report = build_embedded(SHARED_DATA, out, fixtures=fixtures, project_data=DATA)
    for rel in list(report.files) + ["sources.yaml"]:
        assert filecmp.cmp(out / rel, DATA / rel, shallow=False), rel
    for rel in report.fixtures:
        assert filecmp.cmp(fixtures / rel, ROOT / "tests" / "fixtures" / rel, shallow=False), rel
    # and the posts extracted are exactly the national files' rows of our contrats de ville
    national = []
    for path in sorted((SHARED_DATA / "anct").glob("*-20*.json")):
        funder = FUNDERS[path.stem.rsplit("-", 1)[0]]
        national += [(funder, p) for p in _json(path) if ours(p)]
    assert post_totals(national) == post_totals(embedded_posts())


def test_init_db_gives_polygons_official_codes_and_posts(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    communes = _json(DATA / "geo" / "communes-93-94.geojson")["features"]
    official = {f["properties"]["code_qp"]: f for f in _json(DATA / "geo" / "qpv-2024-93-94.geojson")
                ["features"]}
    with engine.connect() as conn:
        with_contour = {r[0] for r in conn.execute(text(
            "select insee_code from commune where geometry is not null"))}
        named = conn.execute(text(
            "select name, aliases, code, generation, geometry, source from qpv "
            "where named_in_protocol order by name")).all()
        links = defaultdict(set)
        for code, insee in conn.execute(text(
                "select q.code, c.insee_code from qpv q join qpv_commune l on l.qpv_id = q.id "
                "join commune c on c.id = l.commune_id where q.code is not null")):
            links[code].add(insee)
        stored = conn.execute(text(
            "select f.funder, c.code, f.year, count(*), sum(f.amount_approved) "
            "from funding_line f join contrat_de_ville c on c.id = f.contrat_de_ville_id "
            "group by f.funder, c.code, f.year")).all()
        datasets = dict(conn.execute(text("select key, title from dataset")).all())
    assert with_contour == {f["properties"]["code"] for f in communes}
    # every official QPV linked to every commune its attributes list (multi-commune included)
    assert set(links) == set(official)
    for code, feature in official.items():
        assert links[code] == set(feature["properties"]["insee_com"].split(","))
    assert links["QN09424I"] == {"94017", "94019"}  # Le Bois L'Abbé: Champigny, Chennevières
    # the protocols' quartiers: official code, generation and perimeter, or flagged for review
    matched = [q for q in named if q.code]
    unmatched = [q for q in named if not q.code]
    assert len(named) == 9 and len(matched) == 8
    for q in matched:
        assert q.generation == 2024 and q.name == official[q.code]["properties"]["lib_qp"]
        source = shapely.make_valid(shapely.geometry.shape(official[q.code]["geometry"]))
        assert shapely.from_geojson(q.geometry).symmetric_difference(source).area \
            < 0.01 * source.area  # the same perimeter (some rings repaired)
    assert [q.name for q in unmatched] == ["Gros Saule"]
    assert "à vérifier" in unmatched[0].source and unmatched[0].geometry is None
    bois = next(q for q in named if "Bois l'Abbé" in (q.aliases or ""))
    assert bois.code == "QN09424I"
    # the posts: exact count and amount per funder, contrat de ville and year
    got = {(f, c, y): (n, Decimal(str(a)).quantize(Decimal("0.01"))) for f, c, y, n, a in stored}
    expected = post_totals(embedded_posts())
    assert got == expected
    assert {c for _, c, _ in expected} <= set(OURS) | set(OURS_2024)
    # the ANCT's 2024 files hold no post coded CN09304M or CN09403M (data/sources.yaml)
    assert {y for *_, y in expected} == {2020, 2021, 2022}
    # datasets cited with human names, not file names
    for key in ("geo-communes", "geo-qpv-2024", "anct_adultes-relais_2021", "anct_fonjep_2022"):
        assert key in datasets and ".json" not in datasets[key] and ".geojson" not in datasets[key]
