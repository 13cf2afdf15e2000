"""The maps as pictures (perr_model.svgmap): what the deck draws, drawn as SVG."""
import math
import xml.etree.ElementTree as ET

import pytest

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from page_support import svg_groups
from perr_model import geo, svgmap

NS = "{http://www.w3.org/2000/svg}"


def _square(lon, lat, d=0.01):
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d],
                                                [lon, lat + d], [lon, lat]]]}


def _deck(labels):
    features = [{"type": "Feature", "geometry": _square(2.40 + 0.02 * i, 48.80),
                 "properties": {"id": i, "fill": [10 * i, 100, 200, 170]}} for i in range(3)]
    return {"layers": [
        {"@@type": "GeoJsonLayer", "id": "communes", "getFillColor": "@@=properties.fill",
         "getLineColor": [90, 90, 90, 255], "lineWidthMinPixels": 1, "stroked": True,
         "data": {"type": "FeatureCollection", "features": features}},
        {"@@type": "GeoJsonLayer", "id": "communes-voisines", "getFillColor": [238, 238, 238, 255],
         "getLineColor": [175, 175, 175, 255], "lineWidthMinPixels": 1,
         "data": {"type": "FeatureCollection", "features": [
             {"type": "Feature", "geometry": _square(2.39, 48.80), "properties": {}},
             {"type": "Feature", "geometry": _square(9.0, 40.0), "properties": {}}]}},
        {"@@type": "ScatterplotLayer", "id": "communes-cercles", "getFillColor": "@@=fill",
         "radiusMinPixels": 5, "radiusMaxPixels": 40, "getLineColor": [90, 90, 90, 255],
         "data": [{"lon": 2.405, "lat": 48.805, "radius": r, "fill": [1, 2, 3, 200]}
                  for r in (100, 200, 1, 10**7)]},
        {"@@type": "TextLayer", "id": "communes-noms", "getSize": 13, "getColor": [34, 34, 34],
         "getPixelOffset": [0, 0],
         "data": [{"lon": lon, "lat": 48.805, "label": label} for lon, label in labels]},
    ]}


def test_places_are_drawn_in_their_colours_inside_the_frame_and_in_proportion():
    svg = svgmap.deck_svg(_deck([]), {"communes"}, "Carte d'essai")
    root = ET.fromstring(svg.text)
    assert root.find(NS + "title").text == "Carte d'essai"
    groups = svg_groups(svg.text)
    paths = groups["communes"]
    assert [p["fill"] for p in paths] == [f"rgb({10 * i},100,200)" for i in range(3)]
    assert {p["fill-opacity"] for p in paths} == {str(round(170 / 255, 2))}
    # the subject fills the frame's width (margins aside); the far neighbour is not drawn
    xs, ys = [], []
    for p in paths:
        nums = [float(n) for n in p["d"].replace("M", " ").replace("L", " ").replace(
            "Z", " ").split()]
        xs += nums[0::2]
        ys += nums[1::2]
    assert 0 <= min(xs) < 30 and svg.width - 30 < max(xs) <= svg.width
    assert all(0 <= y <= svg.height for y in ys)
    assert len(groups["communes-voisines"]) == 1
    # Web Mercator: a square of 0.01° is taller than wide by 1/cos(lat) (about)
    first = [float(n) for n in paths[0]["d"][1:-1].replace("L", " ").split()]
    width = max(first[0::2]) - min(first[0::2])
    height = max(first[1::2]) - min(first[1::2])
    merc = (math.log(math.tan(math.pi / 4 + math.radians(48.81) / 2))
            - math.log(math.tan(math.pi / 4 + math.radians(48.80) / 2)))
    assert height / width == pytest.approx(merc / math.radians(0.01), rel=0.02)
    # circles: radius on the ground (twice the metres, twice the radius), bounded as on the deck
    radii = [float(c["r"]) for c in groups["communes-cercles"]]
    assert radii[1] == pytest.approx(2 * radii[0], rel=0.01)
    assert radii[2] == 5 and radii[3] == 40


def test_names_are_text_and_never_cover_each_other():
    odd = "Saint-Denis <b>&</b> « Quartier »"
    places = [(2.405, odd), (2.405, "Deux"), (2.405, "Trois"), (2.405, "Quatre"),
              (2.445, "Autre")]
    svg = svgmap.deck_svg(_deck(places), {"communes"})
    names = svg_groups(svg.text)["communes-noms"]
    # parsed back as the very string: escaped, not markup
    assert [el["text"] for el in names] == [odd, "Deux", "Trois", "Autre"]
    assert "<b>" not in svg.text
    assert (svg.names_written, svg.names_left_out) == (4, 1)
    # the second and third names of a place: just under, then just above it (a line apart)
    y = [float(el["y"]) for el in names]
    assert y[1] - y[0] == pytest.approx(y[0] - y[2]) and 13 <= y[1] - y[0] <= 20


def test_coverage_picture_of_a_real_territory(loaded_url):
    """Every commune of Paris Terres d'Envol drawn once, in the colour of its value's step (the
    step computed here from the values: 0 the palest, else ceil(value / max × 8))."""
    engine = create_engine(loaded_url)
    with Session(engine) as s:
        tid = s.execute(text("select id from territory where slug='paris-terres-d-envol'")
                        ).scalar_one()
        communes = [r[0] for r in s.execute(text(
            "select id from commune where territory_id=:t and geometry is not null "
            "order by insee_code"), {"t": tid})]
        values = {cid: float(i) for i, cid in enumerate(communes)}
        drawing = geo.coverage_drawing(s, tid)
    engine.dispose()
    import json
    deck = json.loads(geo.painted(drawing, values, {}, "Actions").to_json())
    svg = svgmap.deck_svg(deck, {"communes", "qpv"})
    paths = svg_groups(svg.text)["communes"]
    assert len(paths) == len(communes) >= 8
    top = max(values.values())
    expected = [geo.PALETTE[0 if v == 0 else math.ceil(v / top * 8)] for v in values.values()]
    assert [p["fill"] for p in paths] == ["rgb({},{},{})".format(*c) for c in expected]


def test_the_map_s_own_subject_is_named_first():
    """On a quartier's map its own name takes the place, a commune's name at the same place goes
    just under it."""
    deck = _deck([(2.405, "Commune")])
    deck["layers"].append({"@@type": "TextLayer", "id": "quartiers-noms", "getSize": 13,
                           "data": [{"lon": 2.405, "lat": 48.805, "label": "Quartier"}]})
    ys = {}
    for first in ("communes-noms", "quartiers-noms"):
        groups = svg_groups(svgmap.deck_svg(deck, {"communes"}, names_first=first).text)
        ys[first] = {el["text"]: float(el["y"]) for g in ("communes-noms", "quartiers-noms")
                     for el in groups[g]}
    assert ys["communes-noms"]["Commune"] < ys["communes-noms"]["Quartier"]
    assert ys["quartiers-noms"]["Quartier"] < ys["quartiers-noms"]["Commune"]
    assert ys["communes-noms"]["Commune"] == ys["quartiers-noms"]["Quartier"]  # on the place


def _font_sizes(svg_text: str) -> list[float]:
    """The font size of every name drawn (its own or its group's), in viewBox units."""
    root = ET.fromstring(svg_text)
    sizes = []
    for group in root.iter(NS + "g"):
        for el in group.findall(NS + "text"):
            sizes.append(float(el.get("font-size") or group.get("font-size")))
    return sizes


def test_names_are_readable_on_a_phone_and_every_quartier_is_numbered(loaded_url):
    """Paris Est Marne & Bois: every quartier with a perimeter (raw SQL) has its number on the
    map and its name in the legend, L'Egalité and Les Quatre Cités included; every text is at
    least 12 px in a picture 358 px wide (a 390 px phone) for its 400 units."""
    engine = create_engine(loaded_url)
    with Session(engine) as s:
        tid = s.execute(text("select id from territory where slug='paris-est-marne-et-bois'")
                        ).scalar_one()
        names = sorted(r[0] for r in s.execute(text(
            "select distinct q.name from qpv q join qpv_commune qc on qc.qpv_id = q.id "
            "join commune c on c.id = qc.commune_id where c.territory_id = :t "
            "and q.geometry is not null"), {"t": tid}))
        drawing = geo.coverage_drawing(s, tid)
    engine.dispose()
    import json
    deck = json.loads(geo.painted(drawing, {}, {}, "Actions").to_json())
    svg = svgmap.deck_svg(deck, {"communes", "qpv"}, numbered=(geo.LAYER_QPV_LABELS,))
    assert sorted(name for _, name in svg.legend) == names
    assert {"L'Egalité", "Les Quatre Cités"} <= set(names)
    assert [n for n, _ in svg.legend] == list(range(1, len(names) + 1))
    groups = svg_groups(svg.text)
    assert sorted(int(el["text"]) for el in groups[geo.LAYER_QPV_LABELS]) == \
        list(range(1, len(names) + 1))
    assert len(groups[geo.LAYER_QPV_LABELS + "-reperes"]) == len(names)
    assert min(_font_sizes(svg.text)) * 358 / svg.width >= 12


def test_a_local_street_background_is_embedded_and_off_by_default(tmp_path, monkeypatch):
    """PERR_MAP_TILES: a folder {z}/{x}/{y}.png or an MBTiles file of this machine, drawn under
    the places as embedded images; unset, or an address, draws none (nothing fetched)."""
    import io
    import sqlite3

    from PIL import Image
    from perr_model import tiles
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 220, 240)).save(buf, "PNG")
    png = buf.getvalue()
    deck = _deck([])
    # the tiles covering the test squares (lon 2.39..2.45, lat 48.80..48.81) at zoom 12-14
    folder = tmp_path / "tuiles"
    mb = sqlite3.connect(tmp_path / "plan.mbtiles")
    mb.execute("create table tiles (zoom_level int, tile_column int, tile_row int, "
               "tile_data blob)")
    for z in (12, 13, 14):
        n = 2 ** z
        for x in range(int((2.38 + 180) / 360 * n), int((2.46 + 180) / 360 * n) + 1):
            lat = math.radians(48.805)
            y = int((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * n)
            for yy in range(y - 2, y + 3):
                (folder / str(z) / str(x)).mkdir(parents=True, exist_ok=True)
                (folder / str(z) / str(x) / f"{yy}.png").write_bytes(png)
                mb.execute("insert into tiles values (?, ?, ?, ?)", (z, x, n - 1 - yy, png))
    mb.execute("create table metadata (name text, value text)")
    mb.execute("insert into metadata values ('attribution', '<a href=\"x\">© IGN</a>')")
    mb.commit()
    mb.close()
    (folder / "attribution.txt").write_text("© OpenStreetMap\n", "utf-8")
    monkeypatch.delenv("PERR_MAP_TILES", raising=False)
    assert tiles.configured() is None
    plain = svgmap.deck_svg(deck, {"communes"})
    assert "<image" not in plain.text
    for where in (folder, tmp_path / "plan.mbtiles"):
        source = tiles.source(str(where))
        svg = svgmap.deck_svg(deck, {"communes"}, background=source)
        images = svg_groups(svg.text)["fond-de-carte"]
        assert images and all(el["href"].startswith("data:image/png;base64,") for el in images)
        # under the places: the background group comes before the communes
        assert svg.text.index("fond-de-carte") < svg.text.index('class="communes"')
        # the places' value colours as on the legend; the one-colour neighbours let it through
        groups = svg_groups(svg.text)
        assert {p["fill-opacity"] for p in groups["communes"]} == {str(round(170 / 255, 2))}
        assert {p.get("fill-opacity") for p in groups["communes-voisines"]} == {"0.45"}
    # whose tiles, as text (the MBTiles' HTML credit without its markup)
    assert [tiles.source(str(w)).attribution() for w in (folder, tmp_path / "plan.mbtiles")] \
        == ["© OpenStreetMap", "© IGN"]
    assert tiles.source("https://data.geopf.fr/tuiles/{z}/{x}/{y}.png") is None
    assert tiles.source(str(tmp_path / "absent")) is None
