"""Spatial queries and the pydeck maps offered to the pages, before and after import."""
import json

import shapely
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geofixtures import (COMMUNES_93, QPV_2024, border_point, frame, qpv_rows_93,  # noqa: F401
                         referential_url, write)
from perr_model import geo
from perr_model.auth import Actor
from perr_model.importers.communes import import_communes
from perr_model.importers.qpv import import_qpv
from perr_model.schema import Qpv, Territory

ADMIN = Actor.system("test")


def _imported(url, rw_engine, tmp_path):
    engine = rw_engine(url)
    import_communes(engine, COMMUNES_93, actor=ADMIN)
    import_qpv(engine, write(frame(qpv_rows_93(), QPV_2024), tmp_path, "qpv", "geojson"),
               actor=ADMIN)
    return engine


def test_point_in_qpv_and_communes_touched(referential_url, rw_engine, tmp_path):
    engine = _imported(referential_url, rw_engine, tmp_path)
    lon, lat = border_point("93005", "93071")
    with Session(engine) as s:
        found = geo.qpv_at_point(s, lon, lat)
        assert [q.code for q in found] == ["QN09393N"]
        assert geo.qpv_at_point(s, 2.0, 48.0) == []
        croix = s.scalars(select(Qpv).where(Qpv.code == "QN09393N")).one()
        assert [c.insee_code for c in geo.communes_touched(s, croix.id)] == ["93005", "93071"]


def test_simplified_geometry_is_smaller_and_rounded():
    sevran = next(f for f in json.loads(COMMUNES_93.read_text(encoding="utf-8"))["features"]
                  if f["properties"]["code"] == "93071")
    stored = json.dumps(sevran["geometry"])
    small = geo.simplified(stored, 0.002)
    ring = small["coordinates"][0]
    assert 4 <= len(ring) < len(sevran["geometry"]["coordinates"][0])
    assert all(round(x, 5) == x and round(y, 5) == y for x, y in ring)
    assert shapely.geometry.shape(small).is_valid


def _territory_id(engine, slug="paris-terres-d-envol"):
    with Session(engine) as s:
        return s.scalars(select(Territory.id).where(Territory.slug == slug)).one()


def test_before_import_circles_and_a_notice(referential_url, rw_engine):
    engine = rw_engine(referential_url)
    tid = _territory_id(engine)
    with Session(engine) as s:
        ids = [r[0] for r in s.execute(text(
            "select id from commune where territory_id = :t order by insee_code"), {"t": tid})]
        deck, notice = geo.coverage_deck(s, tid, {ids[0]: 4, ids[1]: 1}, {}, "Actions")
    spec = json.loads(deck.to_json())
    assert [layer["id"] for layer in spec["layers"]] == [geo.LAYER_CIRCLES, geo.LAYER_LABELS]
    assert sorted(d["label"] for d in spec["layers"][1]["data"])[0] == "Aulnay-sous-Bois"
    points = spec["layers"][0]["data"]
    assert len(points) == 8
    big, small = points[0], points[1]
    assert big["radius"] > small["radius"] and big["valeur"] == "4"
    assert "ne sont pas encore importés" in notice and "--department 93" in notice
    # offline: no tiles, no token; the sentinel is what Streamlit's front-end reads as "no base
    # map" (a missing mapStyle makes it fetch Carto's style instead)
    assert "mapProvider" not in spec and spec["mapStyle"] == "__MAP_STYLE__"
    labels = spec["layers"][1]
    assert set("".join(d["label"] for d in labels["data"])) == set(labels["characterSet"])
    # a string unit becomes the JS expression "@@=meters" and deck.gl drops the layer (blank map)
    assert "@@=meters" not in spec["layers"][0].values()


def test_after_import_polygons_coloured_by_metric(referential_url, rw_engine, tmp_path):
    engine = _imported(referential_url, rw_engine, tmp_path)
    tid = _territory_id(engine)
    with Session(engine) as s:
        ids = {code: cid for code, cid in s.execute(text(
            "select insee_code, id from commune where territory_id = :t"), {"t": tid})}
        qpv_ids = {code: qid for code, qid in s.execute(text("select code, id from qpv "
                                                             "where code is not null"))}
        deck, notice = geo.coverage_deck(s, tid, {ids["93071"]: 10, ids["93005"]: 2},
                                         {qpv_ids["QN09393N"]: 3}, "Actions de l'axe 1")
        size = geo.deck_payload_size(deck)
        single, single_notice = geo.qpv_deck(s, qpv_ids["QN09393N"])
    assert notice is None
    spec = json.loads(deck.to_json())
    assert [layer["id"] for layer in spec["layers"]] == [geo.LAYER_COMMUNES, geo.LAYER_QPV]
    assert all(layer["pickable"] for layer in spec["layers"])
    communes = {f["properties"]["code"]: f["properties"]
                for f in spec["layers"][0]["data"]["features"]}
    assert set(communes) == {"93005", "93007", "93013", "93029", "93030", "93071", "93073",
                             "93078"}  # the territory only, not the 32 other communes
    assert communes["93071"]["fill"] != communes["93005"]["fill"]
    assert communes["93029"]["valeur"] == "aucune donnée"
    assert communes["93071"]["libelle"] == "Actions de l'axe 1"
    qpv = spec["layers"][1]["data"]["features"]
    assert {f["properties"]["code"] for f in qpv} == {"QN09391M", "QN09392M", "QN09393N"}
    assert "{nom}" in deck._tooltip["html"]  # st.pydeck_chart sends it apart from the JSON
    assert size < 300_000
    assert single_notice is None
    single_spec = json.loads(single.to_json())
    assert [layer["id"] for layer in single_spec["layers"]] == [geo.LAYER_COMMUNES, geo.LAYER_QPV]
    assert {f["properties"]["code"] for f in single_spec["layers"][0]["data"]["features"]} == {
        "93005", "93071"}


def test_legend_scales_from_zero_to_the_largest_value():
    legend = geo.legend_html({1: 3.0, 2: 12.0}, {7: 1234.5}, "Montants <accordés>", "aucun montant")
    assert "1\u202f234,5" in legend            # the largest value of either mapping, in French
    assert "Montants &lt;accordés&gt;" in legend and "<accordés>" not in legend   # escaped
    assert "aucun montant" in legend
    low, high = geo.LOW, geo.HIGH
    assert f"rgb({low[0]},{low[1]},{low[2]})" in legend and f"rgb({high[0]},{high[1]},{high[2]})" in legend
    assert geo.legend_html({}, {1: None}, "Nombre d'actions") is None   # nothing to scale
