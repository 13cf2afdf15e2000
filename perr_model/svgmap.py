"""The pages' maps as a picture: an SVG drawn on the server from the same deck as the interactive
map (perr_model.geo), shown as an image (no WebGL, no map library in the browser).

Why: in a browser without a graphics card (this machine's Chromium, many phones) deck.gl's
module, shader compilation and software drawing cost 1 to 3 s before a page can be read
(docs/performance.md); a picture of the same map costs what an image costs. The interactive map
(zoom, hover, a click to open a place) stays one click away on the pages.

`picture(deck)` / `deck_svg(deck_json, subject)` draw what `geo.painted(..., urls=None)` / `geo.qpv_deck` put in
a deck, layer by layer and in the same order: polygons (GeoJsonLayer: each feature's fill or
the layer's, the layer's outline), proportional circles (ScatterplotLayer: radius in metres as
on the interactive map, bounded by the layer's radiusMin/MaxPixels, a unit for a pixel), names
(TextLayer: size, colour and offset of the layer, a white halo instead of deck.gl's box). The
frame is the bounding box of the `subject` layers (the places the map is about; neighbours are
context and may be cut at the edge).

A name that would cover an already written one moves just under or above its place, else is left
out (commune names are written first, or the quartier's on its own map): every place is named in
the map's text equivalent. Names are never smaller than `MIN_NAME_UNITS` (12 px on a 390 px
phone, where the picture is about 358 px wide for 400 units). The layers given as `numbered`
(the quartiers of a coverage map) are not written as names but as numbered markers, never left
out (moved aside with a leader line when their place is taken): `Svg.legend` lists (number, name)
for the list shown beside the picture, so that no quartier is left unnamed.

A street background (`PERR_MAP_TILES`, off by default) is drawn under the places from local
raster tiles only (`tiles.py`): a folder `{z}/{x}/{y}.png` or an MBTiles file, embedded in the
picture; nothing is fetched from the network.
Everything written comes from the data and is XML-escaped; an SVG shown as an image runs no
script and loads nothing.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

from .geo import LAYER_CIRCLES, LAYER_COMMUNES, LAYER_LABELS, LAYER_QPV

EARTH_RADIUS_M = 6378137.0
WIDTH = 400            # viewBox width: ~1 unit per CSS pixel on a phone, scaled up on a screen
HEIGHT_MIN, HEIGHT_MAX = 260, 520
MARGIN = 14            # units around the subject
BACKGROUND_FILL_SHARE = 0.45   # over a street background, one-colour fills are this opaque
MIN_NAME_UNITS = 14    # 12 px at 390 px: 14 x 358 / 400 = 12.5 (names and markers' numbers)
MARKER_RADIUS = 11     # a numbered marker: two digits of MIN_NAME_UNITS inside
LABEL_CHAR_WIDTH = 0.56          # average glyph width / font size (sans-serif, for collisions)
FONT = "'Source Sans Pro','DejaVu Sans',Arial,sans-serif"
PRINT_FONT = "DejaVu"  # the name the PDFs give their DejaVu font (perr_model/copil/pdf.py)
SUBJECT = frozenset({LAYER_COMMUNES, LAYER_QPV, LAYER_CIRCLES})   # what a map is about


@dataclass(frozen=True)
class Svg:
    """An SVG map: its text, its size in viewBox units, names written and left out."""
    text: str
    width: int
    height: int
    names_written: int
    names_left_out: int
    legend: tuple[tuple[int, str], ...] = ()   # numbered markers: (number, name), by name


def _merc_y(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


class _Frame:
    """Web Mercator fitted to the subject's box, y down, in viewBox units."""

    def __init__(self, west: float, south: float, east: float, north: float):
        x0, x1 = math.radians(west), math.radians(east)
        y0, y1 = _merc_y(south), _merc_y(north)
        span_x, span_y = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
        inner = WIDTH - 2 * MARGIN
        height = min(max(inner * span_y / span_x + 2 * MARGIN, HEIGHT_MIN), HEIGHT_MAX)
        self.scale = min(inner / span_x, (height - 2 * MARGIN) / span_y)  # units per radian
        self.width, self.height = WIDTH, int(round(height))
        self.cx, self.cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.lat = (south + north) / 2

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (self.width / 2 + (math.radians(lon) - self.cx) * self.scale,
                self.height / 2 - (_merc_y(lat) - self.cy) * self.scale)

    def metres(self, m: float) -> float:
        """A length on the ground at the map's latitude, in units."""
        return m * self.scale / (EARTH_RADIUS_M * math.cos(math.radians(self.lat)))

    def visible(self, box: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = box
        return x1 >= 0 and y1 >= 0 and x0 <= self.width and y0 <= self.height


def _rings(geometry: dict) -> list[list]:
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        return list(coords)
    if kind == "MultiPolygon":
        return [ring for polygon in coords for ring in polygon]
    return []


def _box_of(layers: list[dict]) -> tuple[float, float, float, float] | None:
    xs, ys = [], []
    for layer in layers:
        for lon, lat in _positions(layer):
            xs.append(lon)
            ys.append(lat)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def _positions(layer: dict):
    data = layer.get("data")
    if layer.get("@@type") == "GeoJsonLayer" and isinstance(data, dict):
        for feature in data.get("features", []):
            for ring in _rings(feature.get("geometry") or {}):
                yield from ((p[0], p[1]) for p in ring)
    elif isinstance(data, list):
        for row in data:
            if row.get("lon") is not None and row.get("lat") is not None:
                yield row["lon"], row["lat"]


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _path(frame: _Frame, geometry: dict) -> tuple[str, tuple[float, float, float, float]]:
    parts, xs, ys = [], [], []
    for ring in _rings(geometry):
        last, points = None, []
        for lon, lat, *_ in ring:
            x, y = frame.xy(lon, lat)
            if last is None or abs(x - last[0]) + abs(y - last[1]) >= 0.6:
                points.append(f"{_fmt(x)} {_fmt(y)}")
                last = (x, y)
                xs.append(x)
                ys.append(y)
        if len(points) >= 3:
            parts.append("M" + "L".join(points) + "Z")
    if not xs:
        return "", (0, 0, -1, -1)
    return "".join(parts), (min(xs), min(ys), max(xs), max(ys))


def _colour(rgba, default=(200, 200, 200, 255)) -> tuple[str, float]:
    values = list(rgba) if isinstance(rgba, (list, tuple)) and len(rgba) >= 3 else list(default)
    alpha = values[3] / 255 if len(values) > 3 else 1.0
    return f"rgb({int(values[0])},{int(values[1])},{int(values[2])})", round(alpha, 2)


def _fill_of(layer: dict, props: dict):
    spec = layer.get("getFillColor")
    if isinstance(spec, str):  # "@@=properties.fill" or "@@=fill": the object's own colour
        return props.get("fill")
    return spec


def _cls(layer: dict) -> str:
    """The group's class: the deck layer's id (what the group draws, for a reader of the file)."""
    return escape(str(layer.get("id") or ""), {'"': "&quot;"})


def _polygons(frame: _Frame, layer: dict, see_through: bool = False) -> list[str]:
    stroke, stroke_alpha = _colour(layer.get("getLineColor"), (0, 0, 0, 255))
    width = layer.get("lineWidthMinPixels", 1) if layer.get("stroked", True) else 0
    out = []
    # over a street background, a layer of one colour lets the streets through; a layer whose
    # places carry their own colour (a value, read on the legend) keeps it
    see_through = see_through and not isinstance(layer.get("getFillColor"), str)
    for feature in (layer.get("data") or {}).get("features", []):
        d, box = _path(frame, feature.get("geometry") or {})
        if not d or not frame.visible(box):
            continue
        fill, alpha = _colour(_fill_of(layer, feature.get("properties") or {}))
        if see_through:   # the streets stay visible under the places
            alpha = round(alpha * BACKGROUND_FILL_SHARE, 2)
        out.append(f'<path d="{d}" fill="{fill}"'
                   + (f' fill-opacity="{alpha}"' if alpha < 1 else "") + "/>")
    if not out:
        return []
    outline = (f' stroke="{stroke}" stroke-width="{width}" stroke-linejoin="round"'
               + (f' stroke-opacity="{stroke_alpha}"' if stroke_alpha < 1 else "")
               if width else "")
    return [f'<g class="{_cls(layer)}" fill-rule="evenodd"{outline}>'] + out + ["</g>"]


def _circles(frame: _Frame, layer: dict) -> list[str]:
    stroke, _ = _colour(layer.get("getLineColor"), (0, 0, 0, 255))
    # the radius on the ground, bounded on screen as the interactive map bounds it
    low, high = layer.get("radiusMinPixels", 0), layer.get("radiusMaxPixels", math.inf)
    out = []
    for row in layer.get("data") or []:
        if row.get("lon") is None or row.get("lat") is None:
            continue
        x, y = frame.xy(row["lon"], row["lat"])
        r = min(max(frame.metres(float(row.get("radius") or 0)), low), high)
        if not frame.visible((x - r, y - r, x + r, y + r)):
            continue
        fill, alpha = _colour(_fill_of(layer, row))
        out.append(f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(r)}" fill="{fill}"'
                   + (f' fill-opacity="{alpha}"' if alpha < 1 else "") + "/>")
    if not out:
        return []
    return [f'<g class="{_cls(layer)}" stroke="{stroke}" stroke-width="1">'] + out + ["</g>"]


def _labels(frame: _Frame, layer: dict, taken: list, separate_halo: bool = False
            ) -> tuple[list[str], int, int]:
    colour, _ = _colour(layer.get("getColor"), (34, 34, 34, 255))
    size = max(float(layer.get("getSize") or 13), MIN_NAME_UNITS)
    offset = layer.get("getPixelOffset") or [0, 0]
    dy = float(offset[1]) if isinstance(offset, list) and len(offset) > 1 else 0.0
    out, written, left = [], 0, 0
    for row in layer.get("data") or []:
        text = str(row.get("label") or "")
        if not text or row.get("lon") is None:
            continue
        x, y = frame.xy(row["lon"], row["lat"])
        y += dy
        half_w, half_h = len(text) * size * LABEL_CHAR_WIDTH / 2 + 2, size * 0.6 + 1
        if not (0 <= y <= frame.height and 0 <= x <= frame.width):
            continue   # a place outside the frame: not named on this map
        x = min(max(x, half_w), frame.width - half_w)   # a name near a side stays inside
        # on its place, else just under or above it, else left out
        for shift in (0.0, 2 * half_h + 1, -2 * half_h - 1):
            box = (x - half_w, y + shift - half_h, x + half_w, y + shift + half_h)
            if box[1] >= 0 and box[3] <= frame.height and not _overlaps(box, taken):
                y += shift
                break
        else:
            left += 1
            continue
        taken.append(box)
        written += 1
        out.append(f'<text x="{_fmt(x)}" y="{_fmt(y)}">{escape(text)}</text>')
    if not out:
        return [], 0, left
    return _text_group(_cls(layer), size, colour, out, separate_halo), written, left


def _text_group(cls: str, size: float, colour: str, texts: list[str],
                separate_halo: bool = False) -> list[str]:
    """Texts with a white halo: by `paint-order` (browsers), or, for a reader that ignores it
    (the PDF's), as a white copy under the texts (class "<cls>-halo")."""
    common = (f'font-family="{PRINT_FONT if separate_halo else FONT}" '
              f'font-size="{_fmt(size)}" text-anchor="middle" '
              'dominant-baseline="central"')
    if separate_halo:
        return ([f'<g class="{cls}-halo" {common} fill="white" stroke="white" '
                 'stroke-width="3" stroke-linejoin="round">'] + texts + ["</g>",
                f'<g class="{cls}" {common} fill="{colour}">'] + texts + ["</g>"])
    return [f'<g class="{cls}" {common} fill="{colour}" stroke="white" stroke-width="3" '
            'stroke-linejoin="round" paint-order="stroke">'] + texts + ["</g>"]


def _overlaps(box, taken) -> bool:
    return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
               for b in taken)


def _markers(frame: _Frame, layer: dict, taken: list, separate_halo: bool = False
             ) -> tuple[list[str], list[tuple[int, str]]]:
    """The places of a names layer as numbered markers (1, 2… by name), each on its place, else
    moved aside (a leader line to its place), else on its place over another: never left out.
    Returns the SVG lines and the legend [(number, name)]."""
    from .textnorm import fold
    rows = sorted((r for r in layer.get("data") or []
                   if r.get("label") and r.get("lon") is not None and r.get("lat") is not None),
                  key=lambda r: (fold(str(r["label"])), str(r["label"])))
    colour, _ = _colour(layer.get("getColor"), (34, 34, 34, 255))
    r = MARKER_RADIUS
    circles, lines, numbers, legend = [], [], [], []
    for n, row in enumerate(rows, 1):
        x0, y0 = frame.xy(row["lon"], row["lat"])
        x0 = min(max(x0, r + 1), frame.width - r - 1)
        y0 = min(max(y0, r + 1), frame.height - r - 1)
        spots = [(x0, y0)] + [(x0 + d * math.cos(a), y0 + d * math.sin(a))
                              for d in (2.2 * r, 3.4 * r)
                              for a in (math.radians(k * 45) for k in range(8))]
        x, y = x0, y0
        for sx, sy in spots:
            box = (sx - r, sy - r, sx + r, sy + r)
            if box[0] >= 0 and box[1] >= 0 and box[2] <= frame.width \
                    and box[3] <= frame.height and not _overlaps(box, taken):
                x, y = sx, sy
                break
        taken.append((x - r, y - r, x + r, y + r))
        legend.append((n, str(row["label"])))
        if (x, y) != (x0, y0):
            lines.append(f'<line x1="{_fmt(x0)}" y1="{_fmt(y0)}" x2="{_fmt(x)}" y2="{_fmt(y)}"/>')
        circles.append(f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{r}"/>')
        numbers.append(f'<text x="{_fmt(x)}" y="{_fmt(y)}">{n}</text>')
    if not rows:
        return [], []
    cls = _cls(layer)
    out = ([f'<g class="{cls}-traits" stroke="{colour}" stroke-width="1.2">'] + lines + ["</g>"]
           if lines else [])
    out += [f'<g class="{cls}-reperes" fill="white" stroke="{colour}" stroke-width="1.5">']
    out += circles + ["</g>"]
    return out + _text_group(cls, MIN_NAME_UNITS, colour, numbers, separate_halo), legend


def picture(deck, title: str = "", names_first: str = LAYER_LABELS,
            numbered: tuple[str, ...] = (), for_print: bool = False) -> Svg:
    """The SVG of a pydeck deck built by perr_model.geo (with its data), framed on its places,
    over the street background when one is configured (`tiles.configured()`)."""
    from . import tiles
    return deck_svg(json.loads(deck.to_json()), SUBJECT, title, names_first, numbered,
                    for_print, tiles.configured())


def deck_svg(deck: dict, subject: set[str], title: str = "",
             names_first: str = LAYER_LABELS, numbered: tuple[str, ...] = (),
             for_print: bool = False, background=None) -> Svg:
    """The SVG of a deck's JSON (see the module's docstring). `subject`: ids of the layers
    that frame the map. `title`: the picture's title (also given as the image's alt text).
    `names_first`: the names layer written first (never left out for another name).
    `numbered`: names layers drawn as numbered markers (`Svg.legend`), placed after the
    `names_first` names and before the others.
    `for_print`: halos as white copies under the names (a PDF reader ignores paint-order).
    `background`: a tile source (`tiles.TileSource`) drawn under everything, or None."""
    layers = [layer for layer in deck.get("layers", []) if isinstance(layer, dict)]
    box = _box_of([layer for layer in layers if layer.get("id") in subject]) or _box_of(layers)
    if box is None:
        box = (-5.2, 42.3, 8.3, 51.1)   # nothing to place: mainland France
    frame = _Frame(*box)
    body: list[str] = []
    images = background.images(frame) if background is not None else []
    body += images
    # names are written last (on top of everything), `names_first` first (never left out)
    text_layers = sorted((layer for layer in layers if layer.get("@@type") == "TextLayer"),
                         key=lambda layer: layer.get("id") != names_first)
    for layer in layers:
        kind = layer.get("@@type")
        if kind == "GeoJsonLayer":
            body += _polygons(frame, layer, see_through=bool(images))
        elif kind == "ScatterplotLayer":
            body += _circles(frame, layer)
    taken: list = []
    written = left = 0
    legend: list[tuple[int, str]] = []
    marks: list[str] = []
    # the first names (the communes'), then the numbered markers (moved aside from those
    # names, never left out), then the other names around them; markers drawn on top
    first = [layer for layer in text_layers[:1] if layer.get("id") not in numbered]
    rest = [layer for layer in text_layers if layer not in first]
    for layer in first + [layer for layer in rest if layer.get("id") in numbered] + [
            layer for layer in rest if layer.get("id") not in numbered]:
        if layer.get("id") in numbered:
            lines, legend = _markers(frame, layer, taken, for_print)
            marks += lines
            continue
        lines, w, n = _labels(frame, layer, taken, for_print)
        body += lines
        written += w
        left += n
    body += marks   # markers on top of everything
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {frame.width} '
            f'{frame.height}" width="{frame.width}" height="{frame.height}" role="img">'
            + (f"<title>{escape(title)}</title>" if title else ""))
    text = head + "".join(body) + "</svg>"
    return Svg(text, frame.width, frame.height, written, left, tuple(legend))
