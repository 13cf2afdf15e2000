"""Importing official commune contours: real 93/94 files, ADMIN EXPRESS zipped Shapefile in
Lambert-93, re-import without duplicates, and every kind of refused input (nothing written)."""
import json
import math
import zipfile

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

from geofixtures import COMMUNES_93, COMMUNES_94, referential_url, square, write  # noqa: F401
from perr_model.auth import Actor
from perr_model.errors import ImportRefused, PermissionDenied, UnknownSchema
from perr_model.importers.communes import import_communes

ADMIN = Actor.system("test")


def counts(engine):
    with engine.connect() as conn:
        return conn.execute(text(
            "select count(*), count(geometry), count(territory_id) from commune")).one()


def test_real_93_file_updates_the_territory_and_adds_the_others(referential_url, rw_engine):
    engine = rw_engine(referential_url)
    before = counts(engine)
    report = import_communes(engine, COMMUNES_93, actor=ADMIN)
    features = json.loads(COMMUNES_93.read_text(encoding="utf-8"))["features"]
    assert report.features == len(features) == 40
    assert report.updated == 8 and report.inserted == 32  # 8 communes of Paris Terres d'Envol
    total, with_geometry, with_territory = counts(engine)
    assert total == before[0] + 32
    assert with_territory == before[2]          # the 32 others: no territory
    assert with_geometry == 40
    sevran = next(f for f in features if f["properties"]["code"] == "93071")
    with engine.connect() as conn:
        row = conn.execute(text("select name, geometry, territory_id, bbox_min_lon, bbox_max_lat "
                                "from commune where insee_code = '93071'")).one()
    assert row.name == "Sevran" and row.territory_id is not None
    stored = shapely.from_geojson(row.geometry)
    assert stored.equals(shapely.geometry.shape(sevran["geometry"]))
    assert (row.bbox_min_lon, row.bbox_max_lat) == (stored.bounds[0], stored.bounds[3])


def test_reimport_replaces_without_duplicates(referential_url, rw_engine):
    engine = rw_engine(referential_url)
    import_communes(engine, COMMUNES_94, actor=ADMIN)
    first = counts(engine)
    report = import_communes(engine, COMMUNES_94, actor=ADMIN)
    assert report.inserted == 0 and report.updated == 47
    assert counts(engine) == first
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from commune where insee_code = '94017'")
                            ).scalar() == 1


def test_admin_express_zipped_shapefile_in_lambert93(empty_url, rw_engine, tmp_path):
    # Lambert-93 is defined with its false origin (700 000, 6 600 000) at 3°E, 46.5°N.
    origin = shapely.box(700_000, 6_600_000, 700_400, 6_600_300)
    gdf = gpd.GeoDataFrame({"INSEE_COM": ["03999"], "NOM": ["Commune d'essai"]},
                           geometry=[origin], crs="EPSG:2154")
    path = write(gdf, tmp_path, "COMMUNE", "shpzip")
    engine = rw_engine(empty_url)
    report = import_communes(engine, path, actor=ADMIN)
    assert report.reprojected and "ADMIN EXPRESS" in report.schema
    with engine.connect() as conn:
        geometry = conn.execute(text("select geometry from commune where insee_code = '03999'")
                                ).scalar()
    ring = json.loads(geometry)["coordinates"][0]
    lon, lat = min(ring, key=lambda p: (p[0] - 3) ** 2 + (p[1] - 46.5) ** 2)
    metres = math.hypot((lon - 3.0) * 111_320 * math.cos(math.radians(46.5)),
                        (lat - 46.5) * 110_540)
    assert metres < 1.0


def test_repairable_ring_is_repaired_and_reported(empty_url, rw_engine, tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[2.50, 48.93], [2.52, 48.95], [2.52, 48.93],
                                                  [2.50, 48.95], [2.50, 48.93]]]}
    path = tmp_path / "communes.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "93071", "nom": "Sevran"},
         "geometry": bowtie}]}), encoding="utf-8")
    engine = rw_engine(empty_url)
    report = import_communes(engine, path, actor=ADMIN)
    assert len(report.repaired) == 1 and "entité n°1 (93071)" in report.repaired[0]
    with engine.connect() as conn:
        stored = shapely.from_geojson(conn.execute(text("select geometry from commune")).scalar())
    assert stored.is_valid and stored.area > 0


def _geojson(tmp_path, features, name="communes.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def _feature(code, nom, geometry):
    return {"type": "Feature", "properties": {"code": code, "nom": nom},
            "geometry": geometry and shapely.geometry.mapping(geometry)}


SEVRAN_SQUARE = square(2.53, 48.94)
BAD_INPUTS = {
    "not geo": (lambda p: _text_file(p), "n'est pas un fichier géographique lisible"),
    "zip without geo": (lambda p: _zip_text(p), "ni Shapefile"),
    "unknown schema": (lambda p: _geojson(p, [{"type": "Feature", "properties": {
        "id": "93071", "label": "Sevran"}, "geometry": shapely.geometry.mapping(SEVRAN_SQUARE)}]),
        "schéma inconnu"),
    "only an empty geometry": (lambda p: _geojson(p, [_feature("93005", "Aulnay", None)]),
                               "entité n°1 (93005), champ geometry : géométrie vide"),
    "collapsed ring": (lambda p: _geojson(p, [{"type": "Feature", "properties": {
        "code": "93071", "nom": "Sevran"}, "geometry": {"type": "Polygon", "coordinates": [
            [[2.5, 48.9], [2.6, 48.9], [2.7, 48.9], [2.5, 48.9]]]}}]),
        "entité n°1 (93071), champ geometry : géométrie invalide et irréparable"),
    "bad insee code": (lambda p: _geojson(p, [_feature("9307", "Sevran", SEVRAN_SQUARE)]),
                       "entité n°1, champ code : « 9307 » n'est pas un code INSEE"),
    "lambert without crs": (lambda p: _geojson(p, [_feature("93071", "Sevran", shapely.box(
        662_000, 6_868_000, 663_000, 6_869_000))]), "Lambert-93 non déclaré"),
    "shapefile without prj": (lambda p: _shp_without_prj(p), "système de coordonnées absent"),
    "name longer than the base keeps": (lambda p: _geojson(p, [_feature(
        "93071", "S" * 5000, SEVRAN_SQUARE)]),
        "entité n°1 (93071), champ nom : 5\u202f000 caractères, 200 au plus"),
}


def _text_file(folder):
    path = folder / "notes.geojson"
    path.write_text("bonjour, ceci n'est pas du GeoJSON", encoding="utf-8")
    return path


def _zip_text(folder):
    path = folder / "archive.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("LISEZMOI.txt", "rien de géographique")
    return path


def _shp_without_prj(folder):
    gdf = gpd.GeoDataFrame({"INSEE_COM": ["93071"], "NOM": ["Sevran"]},
                           geometry=[shapely.box(662_000, 6_868_000, 663_000, 6_869_000)],
                           crs="EPSG:2154")
    path = write(gdf, folder, "COMMUNE", "shpzip")
    stripped = folder / "COMMUNE_sans_prj.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(stripped, "w") as dst:
        for name in src.namelist():
            if not name.endswith(".prj"):
                dst.writestr(name, src.read(name))
    return stripped


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_refused_input_names_file_feature_field_and_writes_nothing(case, empty_url, rw_engine,
                                                                    tmp_path):
    make, expected = BAD_INPUTS[case]
    path = make(tmp_path)
    engine = rw_engine(empty_url)
    with pytest.raises((ImportRefused, UnknownSchema)) as err:
        import_communes(engine, path, actor=ADMIN)
    message = " ".join([str(err.value)] + getattr(err.value, "problems", []))
    assert path.name in message
    assert expected in message
    assert counts(engine) == (0, 0, 0)


def test_an_odd_feature_of_a_real_file_is_set_aside_and_reported(empty_url, rw_engine,
                                                                  tmp_path):
    path = _geojson(tmp_path, [_feature("93071", "Sevran", SEVRAN_SQUARE),
                               _feature("93005", "Aulnay-sous-Bois", None),
                               _feature("9307", "Code tronqué", square(2.5, 48.93))])
    engine = rw_engine(empty_url)
    report = import_communes(engine, path, actor=ADMIN)
    assert report.inserted == 1
    assert counts(engine) == (1, 1, 0)
    assert any("entité n°2 (93005), champ geometry : géométrie vide" in s
               for s in report.set_aside)
    assert any("entité n°3" in s and "« 9307 »" in s for s in report.set_aside)
    lines = "\n".join(report.lines())
    assert "Entités écartées, non importées (à vérifier dans le fichier) (2)" in lines


def test_a_reader_may_not_import(empty_url, rw_engine):
    with pytest.raises(PermissionDenied):
        import_communes(rw_engine(empty_url), COMMUNES_93, actor=Actor("lecteur", "reader"))
    assert counts(rw_engine(empty_url)) == (0, 0, 0)
