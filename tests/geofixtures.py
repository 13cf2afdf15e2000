"""Small official-schema geo files for the geography tests, written by geopandas/pyogrio.

Geometries here are little squares placed near real commune centres: plausible, clearly
synthetic, and only ever written to a test's tmp_path (never to data/).

The real commune files of 93 and 94 come from the embedded extract of data/ (built by
`python -m perr_model build-embedded` from the IGN files, geometries unchanged), split back per
department into a temporary folder: the tests need no ../shared.

`referential_url`: a store with the embedded referential but without the extracts of official
files (no contours, no official QPV, no posts), for the importers' tests.
"""
from __future__ import annotations

import atexit
import json
import math
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

EMBEDDED_COMMUNES = Path(__file__).resolve().parents[1] / "data" / "geo" / "communes-93-94.geojson"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _department_file(dep: str) -> Path:
    """communes-<dep>.geojson, the features of one department, as the IGN file gives them."""
    folder = Path(tempfile.gettempdir()) / f"perr-tests-communes-{os.getpid()}"
    if not folder.exists():
        folder.mkdir()
        atexit.register(shutil.rmtree, folder, True)  # nothing left in /tmp after the run
    path = folder / f"communes-{dep}.geojson"
    if not path.exists():
        doc = json.loads(EMBEDDED_COMMUNES.read_text(encoding="utf-8"))
        doc["features"] = [f for f in doc["features"] if f["properties"]["code"][:2] == dep]
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


COMMUNES_93 = _department_file("93")
COMMUNES_94 = _department_file("94")


def fill_referential(url: str) -> None:
    """A migrated store → the embedded referential without the extracts of official files."""
    from perr_model.importers.embedded import load_embedded
    from perr_model.store import make_engine, write_session
    engine = make_engine(url, read_only=False)
    try:
        with write_session(engine) as session:
            load_embedded(session, official=False)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def referential_url(request, tmp_path, store_from_template):
    """The embedded referential without the extracts of official files (both backends): this
    test's own copy of a template filled once per session by `fill_referential`."""
    yield from store_from_template(request, tmp_path, fill_referential)

# Column order and names exactly as in the official files.
QPV_2015 = ["CODE_QP", "NOM_QP", "COMMUNE_QP"]
QPV_2024 = ["code_qp", "lib_qp", "insee_com", "lib_com"]


def square(lon: float, lat: float, half_m: float = 150.0) -> shapely.Polygon:
    """A square of side 2*half_m metres centred on (lon, lat), in WGS84."""
    dx = half_m / (111_320 * math.cos(math.radians(lat)))
    dy = half_m / 110_540
    return shapely.box(lon - dx, lat - dy, lon + dx, lat + dy)


def real_communes(path: Path = COMMUNES_93) -> gpd.GeoDataFrame:
    return gpd.read_file(path).set_index("code")


def border_point(a: str, b: str, path: Path = COMMUNES_93) -> tuple[float, float]:
    """A point on the shared boundary of two real communes (from the shared file)."""
    com = real_communes(path)
    line = com.geometry[a].boundary.intersection(com.geometry[b].boundary)
    p = line.interpolate(0.5, normalized=True)
    return p.x, p.y


def inside_point(code: str, path: Path = COMMUNES_93) -> tuple[float, float]:
    p = real_communes(path).geometry[code].representative_point()
    return p.x, p.y


def frame(rows: list[dict], columns: list[str], crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame([{c: r[c] for c in columns} for r in rows],
                           geometry=[r["geometry"] for r in rows], crs="EPSG:4326")
    return gdf.to_crs(crs) if crs != "EPSG:4326" else gdf


def write(gdf: gpd.GeoDataFrame, folder: Path, stem: str, fmt: str) -> Path:
    """Write as 'geojson', 'gpkg' or 'shpzip' (a zipped Shapefile, as ANCT/IGN publish)."""
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson":
        path = folder / f"{stem}.geojson"
        gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    elif fmt == "gpkg":
        path = folder / f"{stem}.gpkg"
        gdf.to_file(path, driver="GPKG", layer=stem, engine="pyogrio")
    elif fmt == "shpzip":
        shp_dir = folder / f"{stem}_shp"
        shp_dir.mkdir(exist_ok=True)
        gdf.to_file(shp_dir / f"{stem}.shp", driver="ESRI Shapefile", engine="pyogrio",
                    encoding="UTF-8")
        path = folder / f"{stem}.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for part in sorted(shp_dir.iterdir()):
                zf.write(part, part.name)
    else:
        raise ValueError(fmt)
    return path


def qpv_rows_93() -> list[dict]:
    """Three quartiers: one named like a protocol quartier, one partially, one across two
    communes (Aulnay-sous-Bois / Sevran, on their real shared border)."""
    aulnay = inside_point("93005")
    sevran = inside_point("93071")
    border = border_point("93005", "93071")
    return [
        {"CODE_QP": "QP093901", "NOM_QP": "Le Gros Saule", "COMMUNE_QP": "Aulnay-sous-Bois",
         "code_qp": "QN09391M", "lib_qp": "Le Gros Saule", "insee_com": "93005",
         "lib_com": "Aulnay-sous-Bois", "geometry": square(*aulnay)},
        {"CODE_QP": "QP093902", "NOM_QP": "Beaudottes - Montceleux", "COMMUNE_QP": "Sevran",
         "code_qp": "QN09392M", "lib_qp": "Beaudottes - Montceleux", "insee_com": "93071",
         "lib_com": "Sevran", "geometry": square(*sevran)},
        {"CODE_QP": "QP093903", "NOM_QP": "Croix Blanche",
         "COMMUNE_QP": "Aulnay-sous-Bois, Sevran",
         "code_qp": "QN09393N", "lib_qp": "Croix Blanche", "insee_com": "93005, 93071",
         "lib_com": "Aulnay-sous-Bois, Sevran", "geometry": square(*border, half_m=200)},
    ]
