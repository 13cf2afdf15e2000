"""Importing official QPV perimeters: ANCT 2015 and 2024 schemas, as GeoJSON, zipped Shapefile
and GeoPackage, WGS84 or Lambert-93; a QPV across two communes; protocol quartiers matched."""
import json
import math
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

from geofixtures import (QPV_2015, QPV_2024, frame, inside_point, qpv_rows_93,  # noqa: F401
                         referential_url, square, write)
from perr_model.auth import Actor
from perr_model.errors import ImportRefused
from perr_model.importers.qpv import import_qpv

ADMIN = Actor.system("test")
ROOT = Path(__file__).resolve().parents[1]


def qpv_table(engine):
    with engine.connect() as conn:
        rows = conn.execute(text(
            "select q.id, q.code, q.name, q.aliases, q.generation, q.geometry, c.insee_code "
            "from qpv q left join qpv_commune l on l.qpv_id = q.id "
            "left join commune c on c.id = l.commune_id order by q.id, c.insee_code")).all()
    out = {}
    for r in rows:
        entry = out.setdefault(r.id, {"code": r.code, "name": r.name, "aliases": r.aliases,
                                      "generation": r.generation, "geometry": r.geometry,
                                      "communes": []})
        if r.insee_code:
            entry["communes"].append(r.insee_code)
    return out


def by_code(table, code):
    return next(q for q in table.values() if q["code"] == code)


@pytest.mark.parametrize("fmt", ["geojson", "shpzip", "gpkg"])
@pytest.mark.parametrize("generation,columns,crs", [(2015, QPV_2015, "EPSG:4326"),
                                                    (2024, QPV_2024, "EPSG:2154")])
def test_each_format_and_schema(fmt, generation, columns, crs, referential_url, rw_engine, tmp_path):
    rows = qpv_rows_93()
    path = write(frame(rows, columns, crs), tmp_path, f"qpv{generation}", fmt)
    engine = rw_engine(referential_url)
    before = qpv_table(engine)
    report = import_qpv(engine, path, actor=ADMIN)
    assert report.features == 3 and str(generation) in report.schema
    assert report.reprojected == (crs != "EPSG:4326")
    after = qpv_table(engine)
    code = columns[0]
    codes = [r[code] for r in rows]
    for row, qcode in zip(rows, codes):
        stored = by_code(after, qcode)
        assert stored["generation"] == generation
        shape = shapely.from_geojson(stored["geometry"])
        assert shape.is_valid
        # WGS84 stored, within 0.2 m of the fixture square (Lambert-93 files are reprojected)
        assert shapely.hausdorff_distance(shape, row["geometry"]) < 2e-6  # degrees
    # the quartier across Aulnay-sous-Bois and Sevran is linked to both
    assert by_code(after, codes[2])["communes"] == ["93005", "93071"]
    # protocol quartiers got the official code on their existing row (same id)
    gros_saule = next(i for i, q in before.items() if q["name"] == "Gros Saule")
    beaudottes = next(i for i, q in before.items() if q["name"] == "Les Beaudottes")
    assert after[gros_saule]["code"] == codes[0]
    assert after[gros_saule]["name"] == "Le Gros Saule"
    assert "Gros Saule" in after[gros_saule]["aliases"].split("|")
    assert after[beaudottes]["code"] == codes[1]
    assert "Les Beaudottes" in after[beaudottes]["aliases"].split("|")
    assert len(after) == len(before) + 1  # only "Croix Blanche" is new
    assert len(report.matches) == 2 and not report.ambiguities


def test_reimport_replaces_without_duplicates(referential_url, rw_engine, tmp_path):
    path = write(frame(qpv_rows_93(), QPV_2024), tmp_path, "qpv", "geojson")
    engine = rw_engine(referential_url)
    import_qpv(engine, path, actor=ADMIN)
    first = qpv_table(engine)
    moved = qpv_rows_93()
    moved[0]["geometry"] = shapely.affinity.translate(moved[0]["geometry"], 0.001, 0)
    path2 = write(frame(moved, QPV_2024), tmp_path / "v2", "qpv", "geojson")
    report = import_qpv(engine, path2, actor=ADMIN)
    second = qpv_table(engine)
    assert report.inserted == 0 and report.updated == 3
    assert set(first) == set(second)
    assert {k: q["communes"] for k, q in first.items()} == {
        k: q["communes"] for k, q in second.items()}
    assert by_code(second, "QN09391M")["geometry"] != by_code(first, "QN09391M")["geometry"]


def test_lambert93_origin_is_reprojected_to_3e_46_5n(empty_url, rw_engine, tmp_path):
    # Exact by definition of Lambert-93: false origin (700 000, 6 600 000) = (3°E, 46.5°N).
    gdf = gpd.GeoDataFrame({"code_qp": ["QN00301N"], "lib_qp": ["Quartier d'essai"],
                            "insee_com": ["03999"], "lib_com": ["Commune d'essai"]},
                           geometry=[shapely.box(700_000, 6_600_000, 700_300, 6_600_200)],
                           crs="EPSG:2154")
    path = write(gdf, tmp_path, "qpv_l93", "gpkg")
    engine = rw_engine(empty_url)
    report = import_qpv(engine, path, actor=ADMIN)
    assert report.reprojected and report.crs == "EPSG:2154"
    geometry = by_code(qpv_table(engine), "QN00301N")["geometry"]
    lon, lat = min(json.loads(geometry)["coordinates"][0],
                   key=lambda p: (p[0] - 3) ** 2 + (p[1] - 46.5) ** 2)
    metres = math.hypot((lon - 3.0) * 111_320 * math.cos(math.radians(46.5)),
                        (lat - 46.5) * 110_540)
    assert metres < 1.0
    # the commune missing from the base is created, with no territory
    with engine.connect() as conn:
        assert conn.execute(text("select name, territory_id from commune "
                                 "where insee_code = '03999'")).one() == ("Commune d'essai", None)


def test_ambiguities_and_misses_are_reported_not_guessed(referential_url, rw_engine, tmp_path):
    champigny = inside_point("94017", path=_94())
    rows = [{"CODE_QP": "QP094901", "NOM_QP": "Plateau Nord", "COMMUNE_QP": "Champigny-sur-Marne",
             "geometry": square(*champigny)},
            {"CODE_QP": "QP094902", "NOM_QP": "Plateau Sud", "COMMUNE_QP": "Champigny-sur-Marne",
             "geometry": square(champigny[0], champigny[1] - 0.01)},
            {"CODE_QP": "QP094903", "NOM_QP": "Les Quatre-Cités",
             "COMMUNE_QP": "Champigny-sur-Marne", "geometry": square(champigny[0] + 0.01,
                                                                      champigny[1])}]
    path = write(frame(rows, QPV_2015), tmp_path, "qpv2015", "geojson")
    engine = rw_engine(referential_url)
    report = import_qpv(engine, path, actor=ADMIN)
    after = qpv_table(engine)
    assert any("« Plateau »" in a and "QP094901" in a and "QP094902" in a
               for a in report.ambiguities)
    assert next(q for q in after.values() if q["name"] == "Plateau")["code"] is None
    assert by_code(after, "QP094903")["aliases"] and "Quatre Cités" in by_code(
        after, "QP094903")["aliases"]
    assert any("« Mordacs »" in m for m in report.misses)
    assert any("« Bois l'Abbé »" in m for m in report.misses)
    assert not any("Larris" in m for m in report.misses)  # Fontenay: not in this file


def _94():
    from geofixtures import COMMUNES_94
    return COMMUNES_94


@pytest.mark.parametrize("bad,expected", [
    ({"code_qp": "QX093001"}, "champ code_qp : « QX093001 » n'est pas un code QPV"),
    ({"insee_com": "Sevran"}, "champ insee_com : « Sevran » n'est pas une liste de codes INSEE"),
    ({"lib_qp": ""}, "champ lib_qp : nom vide"),
    ({"geometry": None}, "champ geometry : géométrie vide"),
    # longer than qpv.name / commune.name (String(200)): PostgreSQL would refuse the import
    ({"lib_qp": "x" * 5000}, "(QN09392M), champ lib_qp : 5\u202f000 caractères, 200 au plus"),
    ({"lib_com": "y" * 201}, "(QN09392M), champ lib_com : 201 caractères, 200 au plus"),
])
def test_odd_qpv_is_set_aside_and_the_rest_imported(bad, expected, referential_url, rw_engine,
                                                    tmp_path):
    rows = qpv_rows_93()
    rows[1].update(bad)
    path = write(frame(rows, QPV_2024), tmp_path, "qpv", "geojson")
    engine = rw_engine(referential_url)
    report = import_qpv(engine, path, actor=ADMIN)
    assert any("entité n°2" in p and expected in p for p in report.set_aside), report.set_aside
    codes = {q["code"] for q in qpv_table(engine).values()}
    assert {rows[0]["code_qp"], rows[2]["code_qp"]} <= codes
    assert rows[1]["code_qp"] not in codes


def test_a_file_with_nothing_usable_is_refused_whole(referential_url, rw_engine, tmp_path):
    rows = qpv_rows_93()
    for r in rows:
        r["insee_com"] = "Sevran"
    path = write(frame(rows, QPV_2024), tmp_path, "qpv", "geojson")
    engine = rw_engine(referential_url)
    before = qpv_table(engine)
    with pytest.raises(ImportRefused) as err:
        import_qpv(engine, path, actor=ADMIN)
    assert "qpv.geojson" in str(err.value) and "rien n'a été importé" in str(err.value)
    assert qpv_table(engine) == before


# --- national files: every French territory, Pacific included ------------------------------

# Full ANCT 2024 schema (the national file's columns, in its order).
QPV_2024_FULL = ["code_qp", "lib_qp", "insee_com", "lib_com", "insee_dep", "lib_dep", "insee_reg",
                 "lib_reg", "siren_epci", "lib_epci"]
# Test-made QPV around real places of overseas territories (synthetic squares, test data only).
OVERSEAS = [
    ("QN97101M", "Quartier d'essai Guadeloupe", "97101", "Les Abymes", "971", -61.50, 16.27),
    ("QN97302N", "Quartier d'essai Guyane", "97302", "Cayenne", "973", -52.33, 4.93),
    ("QN97411M", "Quartier d'essai Réunion", "97411", "Saint-Denis", "974", 55.45, -20.88),
    ("QN97611N", "Quartier d'essai Mayotte", "97611", "Mamoudzou", "976", 45.23, -12.78),
    ("QN98818N", "Quartier d'essai Nouvelle-Calédonie", "98818", "Nouméa", "988", 166.45, -22.27),
    ("QN98735N", "Quartier d'essai Polynésie", "98735", "Papeete", "987", -149.57, -17.54),
    ("QN98613N", "Quartier d'essai Wallis", "98613", "Uvea", "986", -176.17, -13.28),
]


def overseas_rows():
    return [{"code_qp": code, "lib_qp": name, "insee_com": insee, "lib_com": commune,
             "insee_dep": dep, "lib_dep": "", "insee_reg": dep[:2] if dep < "980" else "",
             "lib_reg": "", "siren_epci": "", "lib_epci": "", "geometry": square(lon, lat)}
            for code, name, insee, commune, dep, lon, lat in OVERSEAS]


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_overseas_and_pacific_perimeters_are_imported(fmt, empty_url, rw_engine, tmp_path):
    rows = overseas_rows() + [{**r, "insee_dep": "93", "lib_dep": "Seine-Saint-Denis",
                               "insee_reg": "11", "lib_reg": "Île-de-France",
                               "siren_epci": "200057875", "lib_epci": "Paris Terres d'Envol"}
                              for r in qpv_rows_93()[2:]]
    path = write(frame(rows, QPV_2024_FULL), tmp_path, "qp2024_france", fmt)
    engine = rw_engine(empty_url)
    report = import_qpv(engine, path, actor=ADMIN)
    assert report.inserted == len(rows) and not report.set_aside
    stored = qpv_table(engine)
    for row in rows:
        q = by_code(stored, row["code_qp"])
        assert q["communes"] == sorted(c.strip() for c in row["insee_com"].split(","))
        assert shapely.hausdorff_distance(shapely.from_geojson(q["geometry"]),
                                          row["geometry"]) < 1e-9
    pacific = shapely.from_geojson(by_code(stored, "QN98613N")["geometry"])
    assert pacific.bounds[0] < -176  # west of the antimeridian's French side: kept as is


def test_undeclared_lambert93_file_is_refused_whole(empty_url, rw_engine, tmp_path):
    rows = qpv_rows_93()
    gdf = frame(rows, QPV_2024, "EPSG:2154").set_crs("EPSG:4326", allow_override=True)
    path = write(gdf, tmp_path, "qpv_l93", "geojson")
    engine = rw_engine(empty_url)
    with pytest.raises(ImportRefused) as err:
        import_qpv(engine, path, actor=ADMIN)
    assert any("Lambert-93 non déclaré" in p for p in err.value.problems)
    assert "EPSG" not in " ".join(err.value.problems)
    assert qpv_table(engine) == {}


def _lambert93_with_degrees(rows, odd):
    """A file declaring Lambert-93 (EPSG:2154) whose features `odd` keep their longitude and
    latitude in degrees, as the probe's file (the rest reprojected to metres)."""
    gdf = frame(rows, QPV_2024, "EPSG:2154")
    for i in odd:
        gdf.loc[i, "geometry"] = rows[i]["geometry"]
    return gdf


def test_lambert93_declared_with_degree_coordinates_is_refused_whole(empty_url, rw_engine,
                                                                     tmp_path):
    rows = qpv_rows_93()
    path = write(_lambert93_with_degrees(rows, range(len(rows))), tmp_path, "qpv_deg", "geojson")
    engine = rw_engine(empty_url)
    with pytest.raises(ImportRefused) as err:
        import_qpv(engine, path, actor=ADMIN)
    assert str(err.value).startswith("« qpv_deg.geojson » refusé : les coordonnées de 3 "
                                     "entité(s) sur 3 contredisent le système de coordonnées "
                                     "que le fichier déclare (degrés et mètres confondus)")
    assert len(err.value.problems) == 3
    assert all("coordonnées en degrés alors que le fichier se déclare en « RGF93 v1 / "
               "Lambert-93 », un système en mètres" in p for p in err.value.problems)
    assert "QN09391M" in err.value.problems[0]
    assert qpv_table(engine) == {}  # nothing in the Gulf of Guinea


def test_one_feature_in_degrees_of_a_lambert93_file_is_set_aside(empty_url, rw_engine,
                                                                  tmp_path):
    rows = qpv_rows_93()
    path = write(_lambert93_with_degrees(rows, [1]), tmp_path, "qpv_l93", "gpkg")
    engine = rw_engine(empty_url)
    report = import_qpv(engine, path, actor=ADMIN)
    assert len(report.set_aside) == 1
    assert "entité n°2 (QN09392M), champ geometry : coordonnées en degrés" in report.set_aside[0]
    stored = qpv_table(engine)
    assert sorted(q["code"] for q in stored.values()) == ["QN09391M", "QN09393N"]
    for q in stored.values():  # the others where they are: Seine-Saint-Denis, not off Africa
        lon, lat = shapely.from_geojson(q["geometry"]).centroid.coords[0]
        assert 2.4 < lon < 2.6 and 48.9 < lat < 49.0


COMMUNES_IGN = ["code", "nom"]


def test_qpv_with_a_tenth_of_its_area_in_a_commune_it_does_not_list_is_linked(empty_url, rw_engine,
                                                                             tmp_path):
    """Hand-built squares (degrees; shares worked out by hand, widths × the common height):
    commune A [2.00, 2.10] × [48.00, 48.10], commune B [2.10, 2.20] × [48.00, 48.10]."""
    from perr_model.importers.communes import import_communes
    communes = [{"code": "94998", "nom": "Commune essai A", "geometry": shapely.box(2.0, 48.0, 2.1, 48.1)},
                {"code": "94999", "nom": "Commune essai B", "geometry": shapely.box(2.1, 48.0, 2.2, 48.1)}]
    engine = rw_engine(empty_url)
    import_communes(engine, write(frame(communes, COMMUNES_IGN), tmp_path, "communes", "geojson"),
                    actor=ADMIN)
    strip = lambda west, east: shapely.box(west, 48.0, east, 48.01)  # noqa: E731
    rows = [  # all list A only
        # [2.07, 2.12]: 0.02 of 0.05 in B = 40 % of the QPV; 0.0002 / 0.01 = 2 % of B
        {"code_qp": "QN09481M", "lib_qp": "Essai à cheval", "geometry": strip(2.07, 2.12)},
        # [2.011, 2.111]: 0.011 of 0.1 in B = 11 %
        {"code_qp": "QN09482M", "lib_qp": "Essai onze", "geometry": strip(2.011, 2.111)},
        # [2.009, 2.109]: 0.009 of 0.1 in B = 9 %: under the threshold
        {"code_qp": "QN09483M", "lib_qp": "Essai neuf", "geometry": strip(2.009, 2.109)}]
    for r in rows:
        r.update(insee_com="94998", lib_com="Commune essai A")
    # listed in B only, lying wholly in A (a commune code changed since the contours' year)
    rows.append({"code_qp": "QN09484M", "lib_qp": "Essai code changé", "insee_com": "94999",
                 "lib_com": "Commune essai B", "geometry": strip(2.02, 2.05)})
    report = import_qpv(engine, write(frame(rows, QPV_2024), tmp_path, "qpv", "geojson"),
                        actor=ADMIN)
    stored = qpv_table(engine)
    assert by_code(stored, "QN09481M")["communes"] == ["94998", "94999"]
    assert by_code(stored, "QN09482M")["communes"] == ["94998", "94999"]
    assert by_code(stored, "QN09483M")["communes"] == ["94998"]
    assert by_code(stored, "QN09484M")["communes"] == ["94998", "94999"]  # declared one kept
    linked = report.linked_by_area
    assert len(linked) == 3, linked
    assert any(c.startswith("QN09481M") and "40\u00a0%" in c and "94999" in c for c in linked)
    assert any(c.startswith("QN09482M") and "11\u00a0%" in c and "94999" in c for c in linked)
    assert any(c.startswith("QN09484M") and "100\u00a0%" in c and "94998" in c for c in linked)
    assert [c for c in report.commune_checks if "ne touche pas" in c] == [
        "QN09484M « Essai code changé » : commune déclarée 94999 « Commune essai B », "
        "que son périmètre ne touche pas."]
    text_ = "\n".join(report.lines())
    assert ("Quartiers rattachés par leur périmètre à une commune que le fichier ne leur "
            "attribue pas (3) :") in text_
    with engine.connect() as conn:  # commune B's quartiers, as its coverage reads them
        in_b = conn.execute(text(
            "select q.code from qpv q join qpv_commune l on l.qpv_id = q.id "
            "join commune c on c.id = l.commune_id where c.insee_code = '94999' order by 1")
            ).scalars().all()
    assert in_b == ["QN09481M", "QN09482M", "QN09484M"]


NATIONAL_CONTOURS = ROOT.parent / "shared" / "data" / "geo" / "communes-france.geojson.gz"


@pytest.mark.skipif(not NATIONAL_CONTOURS.exists(),
                    reason="../shared/data/geo/communes-france.geojson.gz absent (national "
                    "contours, not shipped: data/geo has those of 93 and 94 only)")
def test_national_file_five_qpv_outside_their_listed_communes_are_linked(empty_url, rw_engine,
                                                                         tmp_path):
    """The national QPV 2024 extract against the IGN 2018 contours of the departments
    concerned: exactly five QPV have ≥ 10 % of their area in a commune they do not list
    (worked out apart with geopandas over every commune of France); each is linked to it."""
    import gzip
    from perr_model.importers.communes import import_communes
    doc = json.loads(gzip.decompress(NATIONAL_CONTOURS.read_bytes()))
    doc["features"] = [f for f in doc["features"]
                       if f["properties"]["code"].startswith(("69", "83", "91", "976"))]
    contours = tmp_path / "communes.geojson"
    contours.write_text(json.dumps(doc), encoding="utf-8")
    engine = rw_engine(empty_url)
    import_communes(engine, contours, actor=ADMIN)
    report = import_qpv(engine, ROOT / "data" / "geo" / "qpv-2024-france.geojson.gz",
                        actor=ADMIN)
    linked = {line.split(" ", 1)[0]: line for line in report.linked_by_area}
    expected = {"QN06912M": ("Haute Roche", "69152"), "QN08310M": ("La Beaucaire", "83090"),
                "QN09116M": ("Le Canal", "91182"), "QN09146N": ("Pré Barallon", "91457"),
                "QN97654C": ("Bouéni", "97604")}
    assert sorted(linked) == sorted(expected), report.linked_by_area
    stored = qpv_table(engine)
    for code, (name, insee) in expected.items():
        assert name in linked[code] and insee in linked[code]
        assert insee in by_code(stored, code)["communes"]
