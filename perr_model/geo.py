"""Geometry of communes and QPV: stored columns, spatial queries and offline pydeck maps.

Geometries are stored as GeoJSON text (WGS84) with bbox and centroid in plain float columns,
so SQLite and PostgreSQL run the same code: SQL filters on the bbox, shapely decides.

Maps for the pages (no streamlit import here):

- `coverage_deck(session, territory_id, metric_by_commune, metric_by_qpv, metric_label)`
  returns `(deck, notice)`: communes and QPV filled by a metric, or proportional circles at
  commune centroids while perimeters are not imported; `notice` is French text for the page
  (None when everything is drawn from official perimeters);
- `coverage_drawing(session, territory_id)` is what that map draws whatever the values
  (contours, circles, names, neighbours: the same for every year, axis and measure) and
  `painted(drawing, metric_by_commune, metric_by_qpv, label, urls)` its deck for some values:
  with the drawing's data served by URL (`Drawing.files()`, perr_ui/mapfiles.py) the deck
  carries only each place's colour step, one character per place (`step`, `PALETTE`);
- `qpv_deck(session, qpv_id)` the same for one quartier and its communes;
- `coverage_text` / `qpv_text`: the same maps as text (a sentence and a small table of the
  values drawn), for readers who cannot see the map (RGAA 1.1 / 4.x: text equivalent).

Screen maps name what they draw (TextLayer, offline, character set taken from the names so
accented letters render), show the neighbouring communes in light grey for context (not
pickable), and can draw a real background map when `PERR_MAP_STYLE_URL` is set (off by
default: no network at run time; everything above is drawn without it).

Every layer has an `id`; the pickable ones hold one kind of place each (`PICKABLE`: layer id →
"commune" / "qpv"). With `st.pydeck_chart(deck, on_select="rerun",
selection_mode="single-object", key=...)` the selection is keyed by layer id, and the picked
object's `properties` (or the object itself for circles) carry `id` (database id) and `nom`;
polygons also `code` and `genre` (their tooltip says which kind of place it is).

What is the same for every place of a map (the metric's name; for a circle map, that places
are communes) is written once, in the deck's tooltip, not in each place: at a national scale
a map's JSON is resent at every change of year, so each byte per place counts 652 times.
"""
from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pydeck as pdk
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import settings
from .schema import Commune, Qpv, Territory

LAYER_COMMUNES = "communes"
LAYER_QPV = "qpv"
LAYER_CIRCLES = "communes-cercles"
LAYER_LABELS = "communes-noms"
LAYER_QPV_LABELS = "quartiers-noms"
LAYER_NEIGHBOURS = "communes-voisines"
PICKABLE = {LAYER_COMMUNES: "commune", LAYER_CIRCLES: "commune", LAYER_QPV: "qpv"}
NEIGHBOUR_FILL, NEIGHBOUR_LINE = [238, 238, 238, 255], [175, 175, 175, 255]
QPV_OUTLINE = [166, 54, 3, 255]          # the selected quartier's own perimeter
QPV_FILL = [230, 97, 1]
COORD_DECIMALS = 5                      # 1e-5 degree is about a metre: plenty for a screen
# Names are written on the map up to this many places; beyond (a national view) they would
# cover each other: the tooltip and the map's text equivalent name every place.
NAMES_MAX = 200
NO_DATA = [210, 210, 210, 140]
OUTLINE = [90, 90, 90, 255]
# ColorBrewer's YlGnBu in 9 classes, pale yellow -> dark blue: readable, colour-blind safe.
# Step 0 (zero) is the palest; a positive value takes one of the 8 others (see `step`).
PALETTE = ((255, 255, 217), (237, 248, 177), (199, 233, 180), (127, 205, 187), (65, 182, 196),
           (29, 145, 192), (34, 94, 168), (37, 52, 148), (8, 29, 88))
LOW, HIGH = PALETTE[0], PALETTE[-1]

HOW_TO_IMPORT = ("Un administrateur peut les importer depuis « Administration › Importer les "
                 "périmètres », ou en ligne de commande : « python -m perr_model geo fetch "
                 "--department {deps} » (ou « python -m perr_model import communes|qpv "
                 "FICHIER »).")


# --- stored columns -----------------------------------------------------------------------------

def geometry_columns(geoms: np.ndarray) -> list[dict]:
    """Column values (geometry text, bbox, centroid) for an array of WGS84 shapely polygons."""
    texts = shapely.to_geojson(geoms)
    bounds = shapely.bounds(geoms)
    centroids = shapely.centroid(geoms)
    cx, cy = shapely.get_x(centroids), shapely.get_y(centroids)
    return [{"geometry": str(texts[i]),
             "bbox_min_lon": float(bounds[i, 0]), "bbox_min_lat": float(bounds[i, 1]),
             "bbox_max_lon": float(bounds[i, 2]), "bbox_max_lat": float(bounds[i, 3]),
             "centroid_lon": round(float(cx[i]), 6), "centroid_lat": round(float(cy[i]), 6)}
            for i in range(len(geoms))]


@lru_cache(maxsize=4096)
def parse(text: str) -> shapely.Geometry:
    """Shapely geometry of a stored GeoJSON text (cached: geometries are immutable text)."""
    return shapely.from_geojson(text)


# --- queries ------------------------------------------------------------------------------------

def qpv_at_point(session: Session, lon: float, lat: float) -> list[Qpv]:
    """The QPV whose perimeter contains the point (bbox prefilter in SQL, then shapely)."""
    candidates = session.scalars(select(Qpv).where(
        Qpv.geometry.is_not(None), Qpv.bbox_min_lon <= lon, Qpv.bbox_max_lon >= lon,
        Qpv.bbox_min_lat <= lat, Qpv.bbox_max_lat >= lat).order_by(Qpv.code))
    point = shapely.Point(lon, lat)
    return [q for q in candidates if parse(q.geometry).covers(point)]


def communes_touched(session: Session, qpv_id: int, min_share: float = 0.01) -> list[Commune]:
    """Communes a QPV lies in: those holding at least `min_share` of its area.

    Uses the perimeters when both are stored (bbox prefilter in SQL, then shapely); otherwise
    the links recorded at import (the official file's commune fields).
    """
    qpv = session.get(Qpv, qpv_id)
    if qpv is None:
        return []
    if qpv.geometry is None:
        return sorted(qpv.communes, key=lambda c: c.insee_code)
    shape = parse(qpv.geometry)
    candidates = session.scalars(select(Commune).where(
        Commune.geometry.is_not(None),
        Commune.bbox_min_lon <= qpv.bbox_max_lon, Commune.bbox_max_lon >= qpv.bbox_min_lon,
        Commune.bbox_min_lat <= qpv.bbox_max_lat, Commune.bbox_max_lat >= qpv.bbox_min_lat,
    ).order_by(Commune.insee_code)).all()
    if not candidates:
        return sorted(qpv.communes, key=lambda c: c.insee_code)
    area = shape.area or 1.0
    return [c for c in candidates
            if parse(c.geometry).intersection(shape).area / area >= min_share]


@lru_cache(maxsize=20000)
def simplified(text: str, tolerance: float, decimals: int = COORD_DECIMALS) -> dict:
    """GeoJSON geometry (dict) simplified at `tolerance` degrees, coordinates rounded.

    Cached on the stored text itself, so a re-import (new text) is never served stale.
    """
    geom = shapely.from_geojson(text)
    small = shapely.simplify(geom, tolerance, preserve_topology=True) if tolerance else geom
    if small.is_empty:
        small = geom
    small = shapely.transform(small, lambda c: np.round(c, decimals))
    return json.loads(shapely.to_geojson(small))


def tolerance_for(bounds: tuple[float, float, float, float]) -> float:
    """Simplification tolerance (degrees) for a map showing `bounds`: ~1/2000 of its extent
    (about a pixel), 1/800 for a country-wide view where communes are a few pixels wide."""
    extent = max(bounds[2] - bounds[0], bounds[3] - bounds[1], 1e-4)
    return float(min(max(extent / (2000 if extent < 2 else 800), 1e-5), 0.05))




# --- maps ---------------------------------------------------------------------------------------

def coverage_deck(session: Session, territory_id: int | None,
                  metric_by_commune: Mapping | None = None, metric_by_qpv: Mapping | None = None,
                  metric_label: str = "Valeur") -> tuple[pdk.Deck, str | None]:
    """Map of a territory's communes and QPV coloured by a metric.

    `metric_by_commune` / `metric_by_qpv`: commune id → value and QPV id → value, as a dict or
    a pandas Series (e.g. `df.set_index("commune_id")["actions"]`); a missing id shows as
    "aucune donnée" in grey. `territory_id=None` maps every stored commune (national view).
    Returns `(deck, notice)`; show `notice` (French) next to the map when it is not None.
    """
    drawing = coverage_drawing(session, territory_id)
    return painted(drawing, metric_by_commune, metric_by_qpv, metric_label), drawing.notice


def qpv_deck(session: Session, qpv_id: int) -> tuple[pdk.Deck, str | None]:
    """Map of one quartier over the outlines of its communes. Returns `(deck, notice)`."""
    qpv = session.get(Qpv, qpv_id)
    if qpv is None:
        raise LookupError(f"Quartier introuvable (id {qpv_id}).")
    communes = sorted(qpv.communes, key=lambda c: c.insee_code)
    drawn = [c for c in communes if c.geometry]
    deps = ",".join(sorted({department_of(c.insee_code) for c in communes})) or "93"
    layers, notices, place = [], [], None
    if qpv.geometry:
        # the quartier's own perimeter, outlined over its commune(s), the neighbours around
        bounds = _bounds([qpv] + drawn)
        tol = tolerance_for(bounds)
        layers += _neighbour_layers(session, bounds, {c.id for c in communes}, tol)
        if drawn:
            layers.append(_plain_polygons(LAYER_COMMUNES, "commune", drawn, tol, alpha=255,
                                          line_width=1, fill=[205, 205, 205]))
        layers.append(_plain_polygons(LAYER_QPV, "qpv", [qpv], tol, alpha=110, line_width=3,
                                      fill=QPV_FILL, line_color=QPV_OUTLINE))
        layers += [_label_layer(drawn or communes), _label_layer(
            [qpv], LAYER_QPV_LABELS, size=14, offset=0, colour=QPV_OUTLINE[:3])]
    else:
        bounds = _centroid_bounds(communes)
        tol = tolerance_for(bounds)
        if drawn:
            layers += _neighbour_layers(session, _bounds(drawn), {c.id for c in communes}, tol)
            layers.append(_plain_polygons(LAYER_COMMUNES, "commune", drawn, tol, alpha=60,
                                          line_width=1))
            layers.append(_label_layer(drawn))
        else:
            layers += [_plain_circles(communes), _label_layer(communes)]
            place = "Commune"
        if qpv.code:
            notices.append(f"Le périmètre officiel du quartier « {qpv.name} » n'est pas encore "
                           "importé : la carte montre sa ou ses communes.")
        else:  # a quartier named by the protocol that is not a QPV of 2024: nothing to import
            notices.append(f"Le quartier « {qpv.name} » n'a pas de périmètre officiel parmi les "
                           "quartiers prioritaires de 2024 : la carte montre sa ou ses communes.")
    importable = not qpv.geometry and (bool(qpv.code) or not drawn)
    notice = " ".join(notices + ([HOW_TO_IMPORT.format(deps=deps)] if importable else [])) \
        if notices else None
    return _deck(layers, bounds, max_zoom=15, value_label="Code", place=place), notice


# --- coverage maps: a drawing (what does not depend on the values) and its painting -------------

STEPS = len(PALETTE) - 1  # a positive value takes one of STEPS colours; zero is LOW
_NO_DATA_STEP = STEPS + 1


def step(value: float | None, vmax: float) -> int | None:
    """Colour step of a value on a map whose largest value is `vmax`: None without data, 0 for
    zero (or less), 1..STEPS for a positive value (the upper end of its share, so the smallest
    positive value is never drawn like zero: an angle mort stays visible)."""
    if value is None:
        return None
    if value <= 0 or vmax <= 0:
        return 0
    return min(STEPS, max(1, math.ceil(value / vmax * STEPS - 1e-9)))


def step_colour(k: int | None, alpha: int) -> list[int]:
    """RGBA of step `k` (NO_DATA for None)."""
    return NO_DATA if k is None else list(PALETTE[k]) + [alpha]


def step_radius(k: int | None) -> int:
    """Radius (metres) of a proportional circle at step `k`: area proportional to the step."""
    return round(250 + 1250 * math.sqrt((k or 0) / STEPS))


@dataclass(frozen=True)
class _Part:
    """One layer of a coverage map as drawn whatever the values. `data` is year-independent;
    a valued part (`kind` "commune" / "qpv") lists its places' ids in `ids`, the i-th object of
    `data` carrying "i": i."""
    layer_id: str
    layer_type: str
    data: object
    props: dict
    attrs: dict = field(default_factory=dict)
    kind: str | None = None
    ids: tuple[int, ...] = ()
    alpha: int = 255
    circles: bool = False


@dataclass(frozen=True)
class Drawing:
    """What `coverage_drawing` returns: a territory's map without its values (the same for every
    year, axis and measure). `painted` gives its deck for given values."""
    parts: tuple[_Part, ...]
    bounds: tuple[float, float, float, float]
    notice: str | None
    place: str | None

    def files(self) -> dict[str, object]:
        """Layer id -> the layer's year-independent data, to be served once by URL."""
        return {p.layer_id: p.data for p in self.parts}


def coverage_drawing(session: Session, territory_id: int | None) -> Drawing:
    """The drawing of `coverage_deck`: communes (polygons, or proportional circles at their
    centroids while perimeters are not imported), QPV perimeters, names, neighbours."""
    communes = _communes(session, territory_id)
    qpvs = _qpvs(session, [c.id for c in communes])
    deps = _departments(session, territory_id, communes)
    notices, parts = [], []
    drawn = [c for c in communes if c.geometry]
    qpv_drawn = [q for q in qpvs if q.geometry]
    if drawn:
        bounds = _bounds(drawn)
        tol = tolerance_for(bounds)
        if territory_id is not None:
            parts += [_fixed(layer) for layer in
                      _neighbour_layers(session, bounds, {c.id for c in communes}, tol)]
        parts.append(_polygon_part(LAYER_COMMUNES, "commune", drawn, tol, alpha=170,
                                   line_width=1))
        if len(drawn) < len(communes):
            notices.append(f"{len(communes) - len(drawn)} commune(s) sans contour importé.")
    else:
        bounds = _centroid_bounds(communes)
        parts.append(_circle_part(communes, typed=bool(qpv_drawn)))
        if len(communes) <= NAMES_MAX:
            parts.append(_fixed(_label_layer(communes)))
        notices.append("Les contours officiels des communes ne sont pas encore importés : la "
                       "carte montre un cercle proportionnel au centre de chaque commune.")
        tol = tolerance_for(bounds)
    if qpv_drawn:
        parts.append(_polygon_part(LAYER_QPV, "qpv", qpv_drawn, tol, alpha=230, line_width=2))
        if len(qpv_drawn) <= NAMES_MAX:
            parts.append(_fixed(_label_layer(qpv_drawn, LAYER_QPV_LABELS, size=12, offset=14)))
    elif communes:
        notices.append("Les périmètres officiels des quartiers prioritaires (QPV) ne sont pas "
                       "encore importés : les quartiers n'apparaissent pas sur la carte.")
    if drawn and len(drawn) <= NAMES_MAX:  # names over the polygons
        parts.append(_fixed(_label_layer(drawn)))
    notice = " ".join(notices + [HOW_TO_IMPORT.format(deps=deps)]) if notices else None
    # only communes to pick (circles, no quartier drawn): the tooltip says "Commune" once
    place = "Commune" if not drawn and not qpv_drawn else None
    return Drawing(tuple(parts), bounds, notice, place)


def painted(drawing: Drawing, metric_by_commune: Mapping | None, metric_by_qpv: Mapping | None,
            metric_label: str = "Valeur", urls: Mapping[str, str] | None = None) -> "CompactDeck":
    """The deck of `drawing` coloured by the values.

    Without `urls`, every layer carries its data and each place its colour, size and value
    (the tooltip shows the value). With `urls` (layer id -> the URL where `drawing.files()`
    serves that layer's data), the deck names the URLs and carries only, per valued layer, one
    character per place (its colour step, `step`) in the colour and radius expressions: what a
    change of year, axis or measure sends is then about a byte per place, the browser keeping
    the geometry and names it loaded once. The tooltip then names the place, and a click on it
    shows its value under the map."""
    by = {"commune": _as_dict(metric_by_commune), "qpv": _as_dict(metric_by_qpv)}
    vmax = max([v for m in by.values() for v in m.values() if v is not None] + [0])
    layers = []
    for part in drawing.parts:
        props = dict(part.props)
        url = (urls or {}).get(part.layer_id)
        if part.kind is None:
            data = url or part.data
        elif url:
            data = url
            steps = "".join(str(_NO_DATA_STEP if k is None else k)
                            for k in (step(by[part.kind].get(i), vmax) for i in part.ids))
            index = "i" if part.circles else "properties.i"
            palette = [step_colour(k, part.alpha) for k in range(STEPS + 1)] + [NO_DATA]
            props["get_fill_color"] = _lookup(palette, steps, index)
            if part.circles:
                radii = [step_radius(k) for k in range(STEPS + 1)] + [step_radius(None)]
                props["get_radius"] = _lookup(radii, steps, index)
        else:
            data = _valued(part, by[part.kind], vmax)
        layer = pdk.Layer(part.layer_type, id=part.layer_id, data=data, **props)
        for name, value in part.attrs.items():
            setattr(layer, name, value)
        layers.append(layer)
    label = metric_label if not urls else None
    return _deck(layers, drawing.bounds, value_label=label, place=drawing.place,
                 by_url=bool(urls))


def _lookup(table: list, steps: str, index: str) -> str:
    """deck.gl JSON expression: `table`'s entry at the step of the object's place.
    Parenthesized because deck.gl's expression parser (jsep 0.3) reads an index (`[…]`) only
    after a name or a parenthesized group, not after a literal."""
    return f'({json.dumps(table, separators=(",", ":"))})[("{steps}")[{index}]]'


def _valued(part: _Part, metric: dict, vmax: float):
    """`part`'s data with each place's value, colour (and radius), for a deck that carries its
    data."""
    return _with_values(part, lambda i: fr_value(metric.get(i)),
                        lambda i: step_colour(step(metric.get(i), vmax), part.alpha),
                        lambda i: step_radius(step(metric.get(i), vmax)))


def _with_values(part: _Part, valeur, fill, radius=None):
    """`part`'s data without the index, each place (by id) with its tooltip value `valeur(id)`,
    its colour `fill(id)` and, for circles, its radius `radius(id)`."""
    def props(fields: dict) -> dict:
        out = {key: value for key, value in fields.items() if key != "i"}
        out.update(valeur=valeur(fields["id"]), fill=fill(fields["id"]))
        if part.circles:
            out["radius"] = radius(fields["id"])
        return out
    if part.circles:
        return [props(row) for row in part.data]
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": f["geometry"],
                          "properties": props(f["properties"])}
                         for f in part.data["features"]]}


def _fixed(layer: pdk.Layer) -> _Part:
    """A layer that does not depend on the values (names, neighbours) as a drawing's part."""
    attrs = {key: getattr(layer, key) for key in ("character_set", "font_family")
             if key in layer.__dict__}  # set after construction (see _label_layer)
    return _Part(layer.id, layer.type, layer.data, dict(layer._kwargs), attrs)


def _polygon_part(layer_id: str, kind: str, rows: list, tolerance: float, *, alpha: int,
                  line_width: int) -> _Part:
    decimals = COORD_DECIMALS if tolerance < 1e-3 else 4 if tolerance < 5e-3 else 3
    features = [{"type": "Feature",
                 "geometry": simplified(row.geometry, tolerance, decimals),
                 "properties": {"i": i, "id": row.id,
                                "code": row.insee_code if kind == "commune" else (row.code or ""),
                                "nom": row.name,
                                "genre": "Commune" if kind == "commune" else "Quartier (QPV)"}}
                for i, row in enumerate(rows)]
    props = dict(pickable=True, stroked=True, filled=True, get_fill_color="properties.fill",
                 get_line_color=OUTLINE, line_width_min_pixels=line_width, auto_highlight=True)
    return _Part(layer_id, "GeoJsonLayer", {"type": "FeatureCollection", "features": features},
                 props, kind=kind, ids=tuple(row.id for row in rows), alpha=alpha)


def _circle_part(communes: list[Commune], typed: bool = False) -> _Part:
    """Proportional circles at the communes' centroids (radius in metres, deck.gl's default,
    bounded on screen). `typed`: each circle also says "Commune", for a map whose tooltip must
    tell communes from quartiers."""
    rows, ids = [], []
    for c in communes:
        if c.centroid_lon is None or c.centroid_lat is None:
            continue
        row = {"i": len(rows), "id": c.id, "nom": c.name}
        if typed:
            row["genre"] = "Commune"
        row.update(lon=round(c.centroid_lon, COORD_DECIMALS),
                   lat=round(c.centroid_lat, COORD_DECIMALS))
        rows.append(row)
        ids.append(c.id)
    props = dict(pickable=True, get_position=["lon", "lat"], get_radius="radius",
                 get_fill_color="fill", get_line_color=OUTLINE, stroked=True,
                 line_width_min_pixels=1, radius_min_pixels=5, radius_max_pixels=40,
                 auto_highlight=True)
    return _Part(LAYER_CIRCLES, "ScatterplotLayer", rows, props, kind="commune",
                 ids=tuple(ids), alpha=200, circles=True)


class CompactDeck(pdk.Deck):
    """A pydeck Deck whose JSON (what st.pydeck_chart sends) has no indentation: pydeck's own
    `to_json` indents by 2, which more than doubles the size of nested coordinate arrays.

    `freeze()` serializes it once and keeps the text: a deck shared by every session (the
    pages' st.cache_resource) is then never serialized again, and must not be changed."""

    def to_json(self) -> str:
        frozen = self.__dict__.get("_frozen_json")
        if frozen is not None:
            return frozen
        from pydeck.bindings.json_tools import default_serialize
        return json.dumps(self, sort_keys=True, default=default_serialize,
                          separators=(",", ":"))

    def freeze(self) -> "CompactDeck":
        text = self.to_json()  # before the attribute exists: pydeck serializes every attribute
        self.__dict__["_frozen_json"] = text
        return self


def by_url(deck: pdk.Deck, urls: Mapping[str, str] | None) -> pdk.Deck:
    """`deck` with each layer named in `urls` (layer id -> URL of a file holding that layer's
    data, perr_ui/mapfiles.py) loading its data from there; unchanged when `urls` is None.
    For a deck whose layers do not depend on values (`qpv_deck`)."""
    for layer in deck.layers:
        if urls and layer.id in urls:
            layer.data = urls[layer.id]
    return deck


def deck_payload_size(deck: pdk.Deck) -> int:
    """Bytes sent to the browser for this deck (its JSON)."""
    return len(deck.to_json().encode("utf-8"))


def department_of(insee_code: str) -> str:
    """'93071' -> '93', '97411' -> '974', '2A004' -> '2A'."""
    return insee_code[:3] if insee_code.startswith("97") else insee_code[:2]


# --- internals ----------------------------------------------------------------------------------

def _communes(session: Session, territory_id: int | None) -> list[Commune]:
    query = select(Commune).order_by(Commune.insee_code)
    if territory_id is not None:
        query = query.where(Commune.territory_id == territory_id)
    return list(session.scalars(query))


def _qpvs(session: Session, commune_ids: list[int]) -> list[Qpv]:
    if not commune_ids:
        return []
    query = (select(Qpv).join(Qpv.communes).where(Commune.id.in_(commune_ids)).distinct()
             .order_by(Qpv.id))
    if len(commune_ids) > 2000:  # national view: every QPV, no huge IN list
        query = select(Qpv).order_by(Qpv.id)
    return list(session.scalars(query))


def _departments(session: Session, territory_id: int | None, communes: list[Commune]) -> str:
    if territory_id is not None:
        territory = session.get(Territory, territory_id)
        if territory is not None and territory.departments:
            return territory.departments.replace(" ", "")
    deps = sorted({department_of(c.insee_code) for c in communes})
    return ",".join(deps[:5]) if deps else "93"


def _as_dict(metric: Mapping | None) -> dict:
    if metric is None:
        return {}
    items = metric.items()
    return {int(k): (None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v))
            for k, v in items}


def legend_html(metric_by_commune: Mapping | None, metric_by_qpv: Mapping | None,
                metric_label: str, empty_label: str = "aucune donnée") -> str | None:
    """A small HTML legend for `coverage_deck`'s colours (same scale: 0 → the largest value
    of either mapping), or None when there is nothing to scale. Inline styles only."""
    values = [v for v in list(_as_dict(metric_by_commune).values())
              + list(_as_dict(metric_by_qpv).values()) if v is not None]
    vmax = max(values + [0])
    if vmax <= 0:
        return None
    stops = ",".join(  # the map's colour steps, side by side: 0, then STEPS steps up to vmax
        f"rgb({r},{g},{b}) {100 * k / (STEPS + 1):.1f}% {100 * (k + 1) / (STEPS + 1):.1f}%"
        for k, (r, g, b, _) in enumerate(step_colour(k, 255) for k in range(STEPS + 1)))
    grey = "rgb({},{},{})".format(*NO_DATA[:3])
    box = "display:inline-block;vertical-align:middle;height:0.8em;border:1px solid #777;"
    label = html.escape(metric_label)
    return (f'<div style="font-size:0.85em;color:#444;line-height:1.8">'
            f'<span style="margin-right:0.4em">{label} :</span>'
            f'<span style="margin-right:0.3em">0</span>'
            f'<span style="{box}width:9em;background:linear-gradient(to right,{stops})">'
            f'</span><span style="margin:0 1em 0 0.3em">{fr_value(vmax)}</span>'
            f'<span style="white-space:nowrap"><span style="{box}width:1.2em;'
            f'background:{grey}"></span> {html.escape(empty_label)}</span></div>')


def fr_value(value: float | None) -> str:
    """French display of a metric value: '12 345', '3,5', 'aucune donnée'."""
    from .vocabulary import number
    return number(value, 0 if value is None or float(value).is_integer() else 1)


def _plain_polygons(layer_id: str, kind: str, rows: list, tolerance: float, *, alpha: int,
                    line_width: int, fill: list[int] | None = None,
                    line_color: list[int] | None = None) -> pdk.Layer:
    """Polygons of one colour (the quartier's map): the tooltip's value is the place's code."""
    part = _polygon_part(layer_id, kind, rows, tolerance, alpha=alpha, line_width=line_width)
    codes = {f["properties"]["id"]: f["properties"]["code"] for f in part.data["features"]}
    data = _with_values(part, codes.get, lambda _: (fill or [200, 200, 200]) + [alpha])
    return pdk.Layer(part.layer_type, id=layer_id, data=data,
                     **{**part.props, "get_line_color": line_color or OUTLINE})


def _plain_circles(communes: list[Commune]) -> pdk.Layer:
    """Circles of the smallest size, grey, at the communes' centroids (the quartier's map
    without perimeters): the tooltip's value is the INSEE code."""
    part = _circle_part(communes)
    codes = {c.id: c.insee_code for c in communes}
    data = _with_values(part, codes.get, lambda _: NO_DATA, lambda _: step_radius(None))
    return pdk.Layer(part.layer_type, id=part.layer_id, data=data, **part.props)


def _label_layer(rows: list, layer_id: str = LAYER_LABELS, *, size: int = 14,
                 offset: int | None = None, colour: list[int] | None = None) -> pdk.Layer:
    """Names of communes (or quartiers) at their centroids. Without perimeters the commune
    names sit under their circles (offset 22 px), otherwise on the polygon itself."""
    if offset is None:
        offset = 22 if layer_id == LAYER_LABELS and not any(r.geometry for r in rows) else 0
    data = [{"lon": round(r.centroid_lon, COORD_DECIMALS), "lat": round(r.centroid_lat,
                                                                          COORD_DECIMALS),
             "label": r.name} for r in rows if r.centroid_lon is not None]
    layer = pdk.Layer("TextLayer", id=layer_id, data=data, pickable=False,
                      get_position=["lon", "lat"], get_text="label", get_size=size,
                      get_color=colour or [34, 34, 34], get_pixel_offset=[0, offset],
                      background=True, get_background_color=[255, 255, 255, 200])
    # Accented letters need an explicit character set. Set after construction: pydeck's
    # constructor turns any string, or list of strings, into a JS expression ("@@=…").
    layer.character_set = sorted({ch for d in data for ch in d["label"]})
    layer.font_family = "'Source Sans Pro', Arial, sans-serif"
    return layer


def _neighbour_layers(session: Session, bounds: tuple[float, float, float, float],
                      exclude: set[int], tolerance: float) -> list[pdk.Layer]:
    """The communes around the map's subject, light grey, not pickable: context only."""
    west, south, east, north = bounds
    pad_x, pad_y = (east - west) * 0.25 + 0.005, (north - south) * 0.25 + 0.005
    rows = [c for c in session.scalars(
        select(Commune).where(Commune.geometry.is_not(None),
                              Commune.bbox_max_lon >= west - pad_x,
                              Commune.bbox_min_lon <= east + pad_x,
                              Commune.bbox_max_lat >= south - pad_y,
                              Commune.bbox_min_lat <= north + pad_y)
        .order_by(Commune.insee_code)) if c.id not in exclude][:300]
    if not rows:
        return []
    decimals = COORD_DECIMALS if tolerance < 1e-3 else 4 if tolerance < 5e-3 else 3
    features = [{"type": "Feature", "geometry": simplified(c.geometry, tolerance, decimals),
                 "properties": {"nom": c.name, "code": c.insee_code}} for c in rows]
    return [pdk.Layer("GeoJsonLayer", id=LAYER_NEIGHBOURS,
                      data={"type": "FeatureCollection", "features": features},
                      pickable=False, stroked=True, filled=True,
                      get_fill_color=NEIGHBOUR_FILL, get_line_color=NEIGHBOUR_LINE,
                      line_width_min_pixels=1)]


def _bounds(rows: list) -> tuple[float, float, float, float]:
    b = np.array([[r.bbox_min_lon, r.bbox_min_lat, r.bbox_max_lon, r.bbox_max_lat]
                  for r in rows], dtype=float)
    if len(rows) > 1000:  # national view: frame mainland France, not the overseas outliers
        lo, hi = np.percentile(b[:, :2], 2, axis=0), np.percentile(b[:, 2:], 98, axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def _centroid_bounds(communes: list[Commune]) -> tuple[float, float, float, float]:
    pts = [(c.centroid_lon, c.centroid_lat) for c in communes if c.centroid_lon is not None]
    if not pts:  # nothing to place: mainland France
        return -5.2, 42.3, 8.3, 51.1
    xs, ys = zip(*pts)
    pad = 0.03
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def _deck(layers: list, bounds: tuple[float, float, float, float], max_zoom: float = 13,
          value_label: str | None = "Valeur", place: str | None = None,
          by_url: bool = False) -> pdk.Deck:
    """The deck of `layers` framing `bounds`. Tooltip: "<genre> : <nom>" and "<value_label> :
    <valeur>"; `place` is the kind written once when every pickable object is of one kind
    (the objects then carry no "genre"). `by_url`: the places carry no value (see `painted`),
    the tooltip says where to find it."""
    west, south, east, north = bounds
    lat = (south + north) / 2
    width = max(east - west, 1e-4)
    height = max((north - south) / max(math.cos(math.radians(lat)), 0.2), 1e-4)
    # Zoom at which the box fits the map (256 px = 360° at zoom 0). The view is fixed by the
    # server, so it is fitted to a phone: the map is ~360 x 420 px at 390 px, and a label
    # centred on a point at the edge needs ~75 px beyond it, hence 230 px for the box's width.
    # A wider screen shows the same view with more margin, nothing cut off.
    zoom = min(math.log2(230 * 360 / (256 * width)), math.log2(420 * 360 / (256 * height)))
    view = pdk.ViewState(longitude=round((west + east) / 2, COORD_DECIMALS),
                         latitude=round(lat, COORD_DECIMALS),
                         zoom=round(max(min(zoom - 0.3, max_zoom), 1), 2), pitch=0, bearing=0)
    # {…}: each place's fields, HTML-escaped by Streamlit; the label is the code's, escaped here
    second = ("Touchez ou cliquez pour afficher sa valeur" if by_url
              else html.escape(value_label or "Valeur") + " : {valeur}")
    # the kind of place is "genre", never "type": deck.gl reads a GeoJSON feature's own "type"
    # ("Feature") before its properties, and the tooltip said « Feature : … »
    tooltip = {"html": f"<b>{html.escape(place) if place else '{genre}'} : {{nom}}</b><br/>"
                       + second,
               "style": {"backgroundColor": "white", "color": "#222", "fontSize": "0.85em"}}
    style = background_style()
    if style:  # PERR_MAP_STYLE_URL: a real background map (needs network in the browser)
        return CompactDeck(layers=layers, initial_view_state=view, map_provider="carto",
                           map_style=style, tooltip=tooltip)
    # No base map, and no request for one: with map_provider=None pydeck writes its sentinel
    # mapStyle "__MAP_STYLE__", which Streamlit's front-end reads as "draw none". An explicit
    # map_style=None would instead make Streamlit fetch Carto's online style (seen in Chromium).
    return CompactDeck(layers=layers, initial_view_state=view, map_provider=None,
                       tooltip=tooltip)


def background_style() -> str | None:
    """The MapLibre style URL of the background map, or None (the default: no background,
    no request to any server). See PERR_MAP_STYLE_URL in perr_model/settings.py."""
    value = settings.get("PERR_MAP_STYLE_URL").strip()
    return value if value.lower().startswith(("https://", "http://")) else None


# --- the maps as text ---------------------------------------------------------------------------

def coverage_text(session: Session, territory_id: int | None,
                  metric_by_commune: Mapping | None = None, metric_by_qpv: Mapping | None = None,
                  metric_label: str = "Valeur") -> tuple[str, list[dict]]:
    """What `coverage_deck` draws, as text: (sentence, rows). Rows: {"Lieu", "Type",
    metric_label} for each commune, then each quartier, values in French ("aucune donnée")."""
    communes = _communes(session, territory_id)
    qpvs = _qpvs(session, [c.id for c in communes])
    by_c, by_q = _as_dict(metric_by_commune), _as_dict(metric_by_qpv)
    rows = [{"Lieu": c.name, "Type": "Commune", metric_label: fr_value(by_c.get(c.id))}
            for c in sorted(communes, key=lambda c: c.name)]
    rows += [{"Lieu": q.name, "Type": "Quartier (QPV)", metric_label: fr_value(by_q.get(q.id))}
             for q in sorted(qpvs, key=lambda q: q.name)]
    valued = [(by_c[c.id], c.name) for c in communes if by_c.get(c.id) is not None]
    sentence = (f"La carte montre {len(communes)} commune(s) et {len(qpvs)} quartier(s) "
                f"prioritaire(s), colorés selon « {metric_label} »")
    if valued:
        top = max(valued)
        zero = sorted(n for v, n in valued if v == 0)
        sentence += f" ; valeur la plus élevée : {top[1]} ({fr_value(top[0])})"
        if zero:
            sentence += " ; à zéro : " + ", ".join(zero)
    missing = sorted(c.name for c in communes if by_c.get(c.id) is None)
    if missing:
        sentence += " ; aucune donnée : " + ", ".join(missing)
    return sentence + ".", rows


def qpv_text(session: Session, qpv_id: int) -> str:
    """What `qpv_deck` draws, as a sentence."""
    qpv = session.get(Qpv, qpv_id)
    if qpv is None:
        raise LookupError(f"Quartier introuvable (id {qpv_id}).")
    names = sorted(c.name for c in qpv.communes)
    where = ", ".join(names) if names else "aucune commune connue"
    if qpv.geometry:
        return (f"La carte montre le périmètre du quartier « {qpv.name} » (contour orange) sur "
                f"sa ou ses communes : {where} ; les communes voisines sont en gris clair.")
    if not qpv.code:  # a quartier named by the protocol that is not a QPV of 2024
        return (f"Le quartier « {qpv.name} » n'a pas de périmètre officiel parmi les quartiers "
                f"prioritaires de 2024 : la carte montre sa ou ses communes : {where}.")
    return (f"Le périmètre du quartier « {qpv.name} » n'est pas encore importé : la carte "
            f"montre sa ou ses communes : {where}.")


def qpv_legend_html(session: Session, qpv_id: int) -> str | None:
    """Legend of `qpv_deck`: the quartier's perimeter, its communes, the neighbours; None while
    the perimeter is not imported (the map then shows only the communes, named)."""
    qpv = session.get(Qpv, qpv_id)
    if qpv is None or not qpv.geometry:
        return None
    qpv_name = qpv.name
    box = "display:inline-block;vertical-align:middle;width:1.2em;height:0.8em;margin:0 0.3em;"
    orange = "rgba({},{},{},0.45)".format(*QPV_FILL)
    line = "rgb({},{},{})".format(*QPV_OUTLINE[:3])
    return (f'<div style="font-size:0.85em;color:#333;line-height:1.8">'
            f'<span style="{box}background:{orange};border:2px solid {line}"></span>'
            f'Quartier « {html.escape(qpv_name)} »'
            f'<span style="{box}margin-left:1em;background:rgb(205,205,205);'
            f'border:1px solid #5a5a5a"></span>sa ou ses communes'
            f'<span style="{box}margin-left:1em;background:rgb(238,238,238);'
            f'border:1px solid #afafaf"></span>communes voisines</div>')
