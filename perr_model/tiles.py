"""The maps' optional street background, from local raster tiles only (never the network).

`PERR_MAP_TILES` (perr_model/settings.py, off by default) names either a folder of tiles laid out
`{z}/{x}/{y}.png` (or .jpg, .jpeg, .webp; the usual "XYZ" layout of tile downloaders; its credit
in `attribution.txt`) or an MBTiles file (SQLite, table `tiles`, rows in the TMS order of the
MBTiles specification; its credit in the `attribution` metadata). The pictures of
perr_model/svgmap.py then draw, under the places, the tiles covering their frame at
the zoom nearest to one tile pixel per unit or finer, embedded in the SVG (`data:` URLs: an SVG
shown as an image loads nothing). A value that is not a local folder or file (an `https://…`
address, a path that does not exist) draws no background: the maps stay what they are without
it. The IGN style of `PERR_MAP_STYLE_URL` (the interactive map, from the visitors' browsers)
stays separate and optional.
"""
from __future__ import annotations

import base64
import logging
import math
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import settings

MAX_TILES = 64            # at most this many tiles in one picture (the next zoom out otherwise)
SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
log = logging.getLogger(__name__)


def _mime(data: bytes) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return ""


@dataclass(frozen=True)
class TileSource:
    """Raster tiles on this machine: a folder `{z}/{x}/{y}.ext` or an MBTiles file."""
    path: Path

    @property
    def is_mbtiles(self) -> bool:
        return self.path.is_file()

    def zooms(self) -> list[int]:
        if self.is_mbtiles:
            with self._db() as db:
                return [int(z) for (z,) in db.execute(
                    "select distinct zoom_level from tiles order by zoom_level")]
        return sorted(int(p.name) for p in self.path.iterdir() if p.is_dir() and p.name.isdigit())

    def _db(self):
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile (XYZ numbering, y from the north), or None where there is none."""
        if self.is_mbtiles:
            with self._db() as db:
                row = db.execute("select tile_data from tiles where zoom_level=? and "
                                 "tile_column=? and tile_row=?", (z, x, (1 << z) - 1 - y)
                                 ).fetchone()
            return bytes(row[0]) if row else None
        for suffix in SUFFIXES:
            p = self.path / str(z) / str(x) / f"{y}{suffix}"
            if p.is_file():
                return p.read_bytes()
        return None

    def attribution(self) -> str:
        """Who made the tiles, as their source asks to be credited: the MBTiles `attribution`
        metadata, or the first line of `attribution.txt` in the folder; "" when neither says."""
        try:
            if self.is_mbtiles:
                with self._db() as db:
                    row = db.execute("select value from metadata where name = 'attribution'"
                                     ).fetchone()
                text = row[0] if row else ""
            else:
                note = self.path / "attribution.txt"
                text = note.read_text("utf-8").splitlines()[0] if note.is_file() else ""
        except (OSError, sqlite3.Error, IndexError, UnicodeDecodeError):
            text = ""
        import re
        return re.sub(r"<[^>]*>", "", str(text or "")).strip()[:200]   # HTML in metadata: text

    def images(self, frame) -> list[str]:
        """`<image>` elements covering `frame` (svgmap._Frame: Web Mercator, `scale` units per
        radian, centre `cx`, `cy`) at the chosen zoom; [] when the source has none there."""
        try:
            zooms = self.zooms()
        except (OSError, sqlite3.Error) as exc:
            log.warning("Fond de carte illisible (%s) : les cartes sont dessinées sans lui.",
                        exc.__class__.__name__)
            return []
        if not zooms:
            return []
        ideal = math.ceil(math.log2(max(frame.scale * 2 * math.pi / 256, 1e-9)))
        finer = [z for z in zooms if z >= ideal]
        z = min(finer) if finer else max(zooms)
        while True:
            spans = self._span(frame, z)
            (x0, x1), (y0, y1) = spans
            if (x1 - x0 + 1) * (y1 - y0 + 1) <= MAX_TILES or z == min(zooms):
                break
            z = max(zz for zz in zooms if zz < z)
        n = 1 << z
        size = 2 * math.pi / n * frame.scale          # a tile's side in units
        out = []
        for tx in range(x0, x1 + 1):
            for ty in range(y0, y1 + 1):
                try:
                    data = self.tile(z, tx, ty)
                except (OSError, sqlite3.Error):
                    data = None
                mime = _mime(data or b"")
                if not mime:
                    continue
                left = frame.width / 2 + (tx / n * 2 * math.pi - math.pi - frame.cx) * frame.scale
                top = frame.height / 2 - (math.pi - ty / n * 2 * math.pi - frame.cy) * frame.scale
                out.append(f'<image x="{left:.1f}" y="{top:.1f}" width="{size:.2f}" '
                           f'height="{size:.2f}" href="data:{mime};'
                           f'base64,{base64.b64encode(data).decode()}"/>')
        return ['<g class="fond-de-carte">'] + out + ["</g>"] if out else []

    @staticmethod
    def _span(frame, z: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """The tile columns and rows (first, last) covering the frame at zoom z."""
        n = 1 << z

        def col(units_x: float) -> int:
            lon_rad = (units_x - frame.width / 2) / frame.scale + frame.cx
            return min(max(int((lon_rad + math.pi) / (2 * math.pi) * n), 0), n - 1)

        def row(units_y: float) -> int:
            merc = frame.cy - (units_y - frame.height / 2) / frame.scale
            return min(max(int((math.pi - merc) / (2 * math.pi) * n), 0), n - 1)

        return (col(0), col(frame.width)), (row(0), row(frame.height))


def source(value: str) -> TileSource | None:
    """The tile source a `PERR_MAP_TILES` value names, or None (empty, an address, or nothing
    there: no background)."""
    value = (value or "").strip()
    if not value or "://" in value:
        return None
    path = Path(value).expanduser()
    if path.is_dir() or (path.is_file() and path.suffix.lower() == ".mbtiles"):
        return TileSource(path)
    return None


@lru_cache(maxsize=4)
def _configured(value: str) -> TileSource | None:
    found = source(value)
    if value.strip() and found is None:
        log.warning("PERR_MAP_TILES ne désigne ni un dossier de tuiles ni un fichier MBTiles "
                    "de cette machine : les cartes sont dessinées sans fond.")
    return found


def configured() -> TileSource | None:
    """The background of the maps' pictures, as `PERR_MAP_TILES` sets it (None by default)."""
    return _configured(settings.get("PERR_MAP_TILES"))
