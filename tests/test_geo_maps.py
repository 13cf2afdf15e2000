"""Spatial queries and the pydeck maps offered to the pages, before and after import."""
import json

import pytest
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


def _place_ids(session, tid) -> tuple[dict, dict]:
    """(INSEE code -> commune id for the territory, QPV code -> id)."""
    ids = {code: cid for code, cid in session.execute(text(
        "select insee_code, id from commune where territory_id = :t"), {"t": tid})}
    qpv_ids = {code: qid for code, qid in session.execute(text(
        "select code, id from qpv where code is not null"))}
    return ids, qpv_ids


def _national_like(url, rw_engine):
    """(engine, territory id) of a generated territory with more communes than NAMES_MAX."""
    from perr_model import synthetic
    rw_engine(url).dispose()
    synthetic.generate_into(url, n_qpv=5, n_contrats=140, n_actions=20, n_funding_lines=5)
    engine = rw_engine(url)
    return engine, _territory_id(engine, synthetic.SLUG)


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
    # only communes to pick: the tooltip says so once, the circles do not repeat it
    assert deck._tooltip["html"] == "<b>Commune : {nom}</b><br/>Actions : {valeur}"
    assert set(big) == {"id", "nom", "valeur", "lon", "lat", "radius", "fill"}
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
        ids, qpv_ids = _place_ids(s, tid)
        deck, notice = geo.coverage_deck(s, tid, {ids["93071"]: 10, ids["93005"]: 2},
                                         {qpv_ids["QN09393N"]: 3}, "Actions de l'axe 1")
        size = geo.deck_payload_size(deck)
        single, single_notice = geo.qpv_deck(s, qpv_ids["QN09393N"])
    assert notice is None
    spec = json.loads(deck.to_json())
    assert [layer["id"] for layer in spec["layers"]] == [
        geo.LAYER_NEIGHBOURS, geo.LAYER_COMMUNES, geo.LAYER_QPV, geo.LAYER_QPV_LABELS,
        geo.LAYER_LABELS]
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert layers[geo.LAYER_COMMUNES]["pickable"] and layers[geo.LAYER_QPV]["pickable"]
    assert not layers[geo.LAYER_NEIGHBOURS]["pickable"]  # context only
    communes = {f["properties"]["code"]: f["properties"]
                for f in layers[geo.LAYER_COMMUNES]["data"]["features"]}
    assert set(communes) == {"93005", "93007", "93013", "93029", "93030", "93071", "93073",
                             "93078"}  # the territory only, not the 32 other communes
    assert communes["93071"]["fill"] != communes["93005"]["fill"]
    assert communes["93029"]["valeur"] == "aucune donnée"
    # the metric's name is written once, in the tooltip (escaped), not in every place
    assert "Actions de l&#x27;axe 1 : {valeur}" in deck._tooltip["html"]
    assert all("libelle" not in props for props in communes.values())
    qpv = layers[geo.LAYER_QPV]["data"]["features"]
    assert {f["properties"]["code"] for f in qpv} == {"QN09391M", "QN09392M", "QN09393N"}
    assert "{nom}" in deck._tooltip["html"]  # st.pydeck_chart sends it apart from the JSON
    assert size < 300_000
    assert single_notice is None
    single_spec = json.loads(single.to_json())
    one = {layer["id"]: layer for layer in single_spec["layers"]}
    assert list(one) == [geo.LAYER_NEIGHBOURS, geo.LAYER_COMMUNES, geo.LAYER_QPV,
                         geo.LAYER_LABELS, geo.LAYER_QPV_LABELS]
    assert {f["properties"]["code"] for f in one[geo.LAYER_COMMUNES]["data"]["features"]} == {
        "93005", "93071"}


def test_the_drawing_is_the_same_whatever_the_values(referential_url, rw_engine, tmp_path):
    """A year or a measure changes colours and values, never the geometry nor the names: the
    same coordinates, rounded the same way, byte for byte."""
    engine = _imported(referential_url, rw_engine, tmp_path)
    tid = _territory_id(engine)
    with Session(engine) as s:
        ids = [i for (i,) in s.execute(text("select id from commune where territory_id = :t "
                                            "order by id"), {"t": tid})]
        one, _ = geo.coverage_deck(s, tid, {ids[0]: 10, ids[1]: 2}, {}, "Actions")
        other, _ = geo.coverage_deck(s, tid, {ids[0]: 1, ids[2]: 7.5}, {}, "Montants")

    def drawing(deck):
        out = {}
        for layer in json.loads(deck.to_json())["layers"]:
            data = layer["data"]
            items = data["features"] if isinstance(data, dict) else data
            out[layer["id"]] = [json.dumps({k: v for k, v in item.items()
                                            if k not in ("properties", "fill", "radius",
                                                         "valeur")}, sort_keys=True)
                                for item in items]
        return out

    first, second = drawing(one), drawing(other)
    assert first == second and first[geo.LAYER_COMMUNES]
    assert json.loads(one.to_json())["initialViewState"] == \
        json.loads(other.to_json())["initialViewState"]
    assert one.to_json() != other.to_json()  # the colours did change


def test_a_national_view_names_places_in_the_tooltip_only(referential_url, rw_engine):
    """Beyond geo.NAMES_MAX communes the names would cover each other: no label layer; each
    circle still carries its name for the tooltip."""
    engine, tid = _national_like(referential_url, rw_engine)
    with Session(engine) as s:
        n = s.scalar(text("select count(*) from commune where territory_id = :t"), {"t": tid})
        deck, _ = geo.coverage_deck(s, tid, {}, {}, "Actions")
    assert n > geo.NAMES_MAX
    spec = json.loads(deck.to_json())
    assert [layer["id"] for layer in spec["layers"]] == [geo.LAYER_CIRCLES]
    assert len({p["nom"] for p in spec["layers"][0]["data"]}) == n


@pytest.mark.parametrize("layer, props, expected", [
    (geo.LAYER_QPV, {"properties": {"id": 7, "nom": "Le Bois L'Abbé"}}, ("qpv", 7)),
    (geo.LAYER_COMMUNES, {"properties": {"id": 3, "nom": "Sevran"}}, ("commune", 3)),
    (geo.LAYER_CIRCLES, {"id": 5, "nom": "Sevran"}, ("commune", 5)),
    (geo.LAYER_NEIGHBOURS, {"properties": {"nom": "Livry-Gargan"}}, None)])
def test_a_click_names_the_place_by_its_layer(layer, props, expected):
    from types import SimpleNamespace

    from perr_ui.widgets import selected_place
    event = SimpleNamespace(selection={"indices": {layer: [0]}, "objects": {layer: [props]}})
    assert selected_place(event) == expected


def test_a_frozen_deck_sends_the_same_text():
    deck = geo.CompactDeck(layers=[], map_provider=None)
    text_before = deck.to_json()
    assert deck.freeze().to_json() == text_before
    assert "frozen" not in deck.to_json()


def test_legend_scales_from_zero_to_the_largest_value():
    legend = geo.legend_html({1: 3.0, 2: 12.0}, {7: 1234.5}, "Montants <accordés>", "aucun montant")
    assert "1\u202f234,5" in legend            # the largest value of either mapping, in French
    assert "Montants &lt;accordés&gt;" in legend and "<accordés>" not in legend   # escaped
    assert "aucun montant" in legend
    low, high = geo.LOW, geo.HIGH
    assert f"rgb({low[0]},{low[1]},{low[2]})" in legend and f"rgb({high[0]},{high[1]},{high[2]})" in legend
    assert geo.legend_html({}, {1: None}, "Nombre d'actions") is None   # nothing to scale


def _names(layer) -> list[str]:
    return sorted(d["label"] for d in layer["data"])


def test_maps_name_places_show_neighbours_and_outline_the_quartier(loaded_url, rw_engine,
                                                                   tmp_path):
    engine = _imported(loaded_url, rw_engine, tmp_path)
    tid = _territory_id(engine)
    with Session(engine) as s:
        in_territory = dict(s.execute(text(
            "select insee_code, name from commune where territory_id = :t"), {"t": tid}).all())
        qpv_names = dict(s.execute(text(
            "select q.code, q.name from qpv q join qpv_commune l on l.qpv_id = q.id "
            "join commune c on c.id = l.commune_id where c.territory_id = :t"), {"t": tid}).all())
        all_93 = dict(s.execute(text("select insee_code, name from commune "
                                     "where insee_code like '93%' and geometry is not null")).all())
        qid = s.scalar(select(Qpv.id).where(Qpv.code == "QN09393N"))
        qname = s.scalar(select(Qpv.name).where(Qpv.id == qid))
        deck, _ = geo.coverage_deck(s, tid, {}, {}, "Actions")
        single, _ = geo.qpv_deck(s, qid)
        sentence, rows = geo.coverage_text(s, tid, {}, {}, "Actions")
        qsentence = geo.qpv_text(s, qid)
        qlegend = geo.qpv_legend_html(s, qid)
    layers = {layer["id"]: layer for layer in json.loads(deck.to_json())["layers"]}
    assert _names(layers[geo.LAYER_LABELS]) == sorted(in_territory.values())
    assert _names(layers[geo.LAYER_QPV_LABELS]) == sorted(set(qpv_names.values()))
    # every letter of every name is in the label font's character set (accents included)
    for layer_id in (geo.LAYER_LABELS, geo.LAYER_QPV_LABELS):
        chars = set(layers[layer_id]["characterSet"])
        assert all(set(n) <= chars for n in _names(layers[layer_id]))
    neighbours = {f["properties"]["code"] for f in layers[geo.LAYER_NEIGHBOURS]["data"]["features"]}
    assert neighbours and not neighbours & set(in_territory) and neighbours <= set(all_93)
    one = {layer["id"]: layer for layer in json.loads(single.to_json())["layers"]}
    assert one[geo.LAYER_QPV]["getLineColor"] == geo.QPV_OUTLINE
    assert one[geo.LAYER_QPV]["lineWidthMinPixels"] > one[geo.LAYER_COMMUNES]["lineWidthMinPixels"]
    assert _names(one[geo.LAYER_QPV_LABELS]) == [qname]
    # the text equivalents: every commune and quartier drawn, in French
    assert {r["Lieu"] for r in rows} == set(in_territory.values()) | set(qpv_names.values())
    assert all(r["Actions"] == "aucune donnée" for r in rows)
    assert f"{len(in_territory)} commune(s)" in sentence
    assert qname in qsentence and "contour orange" in qsentence
    assert f"Quartier « {qname} »" in qlegend and "communes voisines" in qlegend


def test_no_quartier_legend_before_its_perimeter_is_imported(loaded_url, rw_engine):
    from perr_model.store import make_engine
    from sqlalchemy import text, update
    with rw_engine(loaded_url).begin() as c:  # an official quartier whose perimeter is not in
        qid = c.execute(text("select min(id) from qpv where code is not null")).scalar()
        c.execute(update(Qpv).where(Qpv.id == qid).values(geometry=None))
    engine = make_engine(loaded_url)
    with Session(engine) as s:
        assert geo.qpv_legend_html(s, qid) is None
        assert "pas encore importé" in geo.qpv_text(s, qid)
        # a quartier of the protocol that is no QPV of 2024 (Gros Saule): nothing to import
        codeless = s.scalar(select(Qpv.id).where(Qpv.code.is_(None), Qpv.geometry.is_(None)))
        assert codeless is not None
        assert geo.qpv_legend_html(s, codeless) is None
        assert "n'a pas de périmètre officiel" in geo.qpv_text(s, codeless)
    engine.dispose()


def test_coverage_text_names_the_highest_and_the_empty(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    tid = _territory_id(engine)
    with Session(engine) as s:
        ids = dict(s.execute(text("select name, id from commune where territory_id = :t "
                                  "order by name"), {"t": tid}).all())
        names = list(ids)
        metric = {ids[names[0]]: 0, ids[names[1]]: 12}
        sentence, rows = geo.coverage_text(s, tid, metric, {}, "Nombre d'actions")
    assert f"valeur la plus élevée : {names[1]} (12)" in sentence
    assert f"à zéro : {names[0]}" in sentence
    assert all(n in sentence for n in names[2:])  # "aucune donnée : …"
    by_place = {r["Lieu"]: r["Nombre d'actions"] for r in rows}
    assert by_place[names[1]] == "12" and by_place[names[0]] == "0"


def test_background_map_is_off_by_default_and_set_by_its_setting(monkeypatch, loaded_url,
                                                                  rw_engine):
    engine = rw_engine(loaded_url)
    tid = _territory_id(engine)
    monkeypatch.delenv("PERR_MAP_STYLE_URL", raising=False)
    with Session(engine) as s:
        spec = json.loads(geo.coverage_deck(s, tid)[0].to_json())
    assert "http" not in json.dumps(spec.get("mapStyle"))  # no request to any server
    url = "https://data.geopf.fr/annexes/ressources/vectorTiles/styles/PLAN.IGN/standard.json"
    monkeypatch.setenv("PERR_MAP_STYLE_URL", url)
    with Session(engine) as s:
        spec = json.loads(geo.coverage_deck(s, tid)[0].to_json())
    assert spec["mapStyle"] == url


def _steps_of(expression: str) -> tuple[list, str, str]:
    """(palette, one character per place, index field) of a colour or radius expression
    `([...])[("0123…")[i]]` as deck.gl evaluates it for each object."""
    import re
    match = re.fullmatch(r'@@=\((\[.*\])\)\[\("(\d*)"\)\[((?:properties\.)?i)\]\]',
                         expression)
    assert match, expression
    return json.loads(match.group(1)), match.group(2), match.group(3)


def test_a_map_by_url_sends_one_character_per_place(referential_url, rw_engine, tmp_path):
    """With its data served by URL, a coverage deck names the files and carries, per valued
    layer, each place's colour step: what a year change sends. The files hold the drawing
    (contours, names, ids) and no value; the steps are those of the values, worked by hand."""
    engine = _imported(referential_url, rw_engine, tmp_path)
    tid = _territory_id(engine)
    with Session(engine) as s:
        ids, qpv_ids = _place_ids(s, tid)
        drawing = geo.coverage_drawing(s, tid)
    values = {ids["93071"]: 10, ids["93005"]: 2, ids["93007"]: 0}
    urls = {layer_id: f"app/static/cartes/{layer_id}.json" for layer_id in drawing.files()}
    deck = geo.painted(drawing, values, {qpv_ids["QN09393N"]: 10}, "Actions", urls)
    text_sent = deck.to_json()
    spec = json.loads(text_sent)
    assert {layer["id"]: layer["data"] for layer in spec["layers"]} == urls
    assert "coordinates" not in text_sent and "Sevran" not in text_sent
    files = drawing.files()
    communes = {f["properties"]["code"]: f["properties"]
                for f in files[geo.LAYER_COMMUNES]["features"]}
    assert all("valeur" not in p and "fill" not in p for p in communes.values())
    layer = next(la for la in spec["layers"] if la["id"] == geo.LAYER_COMMUNES)
    palette, steps, index = _steps_of(layer["getFillColor"])
    assert index == "properties.i" and len(steps) == len(communes)
    # vmax 10 over 8 steps: 10 -> 8, 2 -> ceil(1.6) = 2, 0 -> 0, no value -> grey
    expected = {"93071": 8, "93005": 2, "93007": 0}
    for code, props in communes.items():
        k = int(steps[props["i"]])
        assert palette[k] == (list(geo.PALETTE[expected[code]]) + [170] if code in expected
                              else geo.NO_DATA), code
    qpv_layer = next(la for la in spec["layers"] if la["id"] == geo.LAYER_QPV)
    qpalette, qsteps, _ = _steps_of(qpv_layer["getFillColor"])
    by_code = {f["properties"]["code"]: f["properties"]["i"]
               for f in files[geo.LAYER_QPV]["features"]}
    assert qpalette[int(qsteps[by_code["QN09393N"]])] == list(geo.HIGH) + [230]
    assert {qpalette[int(qsteps[i])] == geo.NO_DATA for c, i in by_code.items()
            if c != "QN09393N"} == {True}
    # the same drawing inline: the same colours, the values in the tooltip
    inline_deck = geo.painted(drawing, values, {}, "Actions")
    inline = json.loads(inline_deck.to_json())
    inline_communes = {f["properties"]["code"]: f["properties"] for la in inline["layers"]
                       if la["id"] == geo.LAYER_COMMUNES for f in la["data"]["features"]}
    assert all(inline_communes[c]["fill"] == palette[int(steps[p["i"]])]
               for c, p in communes.items())
    assert inline_communes["93071"]["valeur"] == "10"
    assert "Actions : {valeur}" in inline_deck._tooltip["html"]
    assert "{valeur}" not in deck._tooltip["html"] and "{nom}" in deck._tooltip["html"]


def test_circles_by_url_take_their_size_from_the_steps(referential_url, rw_engine):
    engine, tid = _national_like(referential_url, rw_engine)
    with Session(engine) as s:
        commune_ids = [i for (i,) in s.execute(text(
            "select id from commune where territory_id = :t order by id"), {"t": tid})]
        drawing = geo.coverage_drawing(s, tid)
    values = {commune_ids[0]: 4.0, commune_ids[1]: 1.0}
    urls = {layer_id: f"u/{layer_id}" for layer_id in drawing.files()}
    text_sent = geo.painted(drawing, values, {}, "Actions", urls).to_json()
    layer = json.loads(text_sent)["layers"][0]
    rows = drawing.files()[geo.LAYER_CIRCLES]
    assert len(rows) == len(commune_ids) > geo.NAMES_MAX
    radii, steps, index = _steps_of(layer["getRadius"])
    _, colour_steps, _ = _steps_of(layer["getFillColor"])
    assert index == "i" and steps == colour_steps and len(steps) == len(rows)
    by_id = {row["id"]: radii[int(steps[row["i"]])] for row in rows}
    # 4 of 4 -> the largest circle (250 + 1250 m); 1 of 4 -> step 2 -> 250 + 1250·sqrt(2/8)
    assert by_id[commune_ids[0]] == 1500 and by_id[commune_ids[1]] == 875
    assert by_id[commune_ids[2]] == 250  # no value: the smallest circle, grey
    # what a change of values sends: a fixed part and two characters per place
    assert len(text_sent) < 2_500 + 2 * len(rows)


def test_map_files_are_named_by_their_content(tmp_path):
    from perr_ui import mapfiles
    folder = tmp_path / "cartes"
    first = mapfiles.publish({"a": {"x": [1, 2]}, "b": [{"nom": "Bobigny"}]}, folder)
    again = mapfiles.publish({"a": {"x": [1, 2]}, "b": [{"nom": "Bobigny"}]}, folder)
    other = mapfiles.publish({"a": {"x": [1, 3]}}, folder)
    assert first == again and first["a"] != other["a"]
    assert all(url.startswith("app/static/cartes/") for url in first.values())
    written = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in folder.iterdir()}
    assert written[first["b"].rsplit("/", 1)[1]] == [{"nom": "Bobigny"}]
    assert len(written) == 3 and not list(folder.glob("*.tmp"))
    blocked = tmp_path / "un-fichier"
    blocked.write_text("x")
    assert mapfiles.publish({"a": [1]}, blocked / "cartes") is None  # cannot write: inline
