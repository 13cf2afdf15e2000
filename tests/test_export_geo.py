"""GeoJSON exports write what is stored: WGS84 geometries, official codes, communes of QPV."""
import json

import shapely

from geofixtures import (COMMUNES_93, QPV_2024, frame, qpv_rows_93,  # noqa: F401
                         referential_url, write)
from perr_model.auth import Actor
from perr_model.cli import main
from perr_model.importers.communes import import_communes
from perr_model.importers.qpv import import_qpv

ADMIN = Actor.system("test")


def test_export_communes_and_qpv_from_the_cli(referential_url, rw_engine, tmp_path, monkeypatch):
    engine = rw_engine(referential_url)
    import_communes(engine, COMMUNES_93, actor=ADMIN)
    rows = qpv_rows_93()
    import_qpv(engine, write(frame(rows, QPV_2024, "EPSG:2154"), tmp_path, "qpv", "gpkg"),
               actor=ADMIN)
    monkeypatch.setenv("DATABASE_URL", referential_url)
    out_c, out_q = tmp_path / "communes.geojson", tmp_path / "qpv.geojson"
    assert main(["export", "communes", "--format", "geojson", "--out", str(out_c)]) == 0
    assert main(["export", "qpv", "--format", "geojson", "--out", str(out_q)]) == 0

    communes = {f["properties"]["code"]: f for f in json.loads(out_c.read_text())["features"]}
    source = {f["properties"]["code"]: f for f in json.loads(COMMUNES_93.read_text())["features"]}
    assert set(source) <= set(communes)
    assert shapely.geometry.shape(communes["93071"]["geometry"]).equals(
        shapely.geometry.shape(source["93071"]["geometry"]))
    assert communes["93071"]["properties"]["territoire"] == "paris-terres-d-envol"
    assert communes["94017"]["geometry"] is None  # stored without contour: exported as such

    qpv = {f["properties"]["code"]: f for f in json.loads(out_q.read_text())["features"]}
    croix = qpv["QN09393N"]
    assert croix["properties"]["insee_com"] == ["93005", "93071"]
    assert croix["properties"]["communes"] == ["Aulnay-sous-Bois", "Sevran"]
    assert shapely.hausdorff_distance(shapely.geometry.shape(croix["geometry"]),
                                      rows[2]["geometry"]) < 2e-6  # WGS84, not Lambert-93
    assert qpv["QN09391M"]["properties"]["nom"] == "Le Gros Saule"
    assert qpv["QN09391M"]["properties"]["nomme_dans_protocole"] is True
