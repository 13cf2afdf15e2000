"""Reading and checking official geographic files (communes, QPV) before anything is written.

One entry point, `read_geo_file(path, kind)`: opens GeoJSON (also gzipped), Shapefile (plain or
zipped) or GeoPackage with pyogrio, recognises the official schema, reprojects to WGS84, checks
every feature (code, name, geometry), repairs invalid-but-repairable rings (shapely
`make_valid`) and says so, and refuses the whole file otherwise (`ImportRefused`, with one French
line per problem naming the file, the feature and the field). Nothing here touches the database.

Official files are taken as published: an odd feature (bad code, empty name, a name longer than
the base keeps — `limits.too_long`, read from the schema —, a broken geometry, coordinates that
contradict the declared system) is set aside and counted; a file whose coordinates contradict
its declared system for most features (metres declared as degrees, or degrees declared as a
projected system such as Lambert-93, which would put France in the Gulf of Guinea) is refused
whole, with a message naming the contradiction.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely

from ..errors import ImportRefused, UnknownSchema
from ..limits import too_long
from ..schema import Commune, Qpv

INSEE_RE = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")
# 2015: QP + department on 3 characters + 3 digits (QP093001). 2024 (ANCT): "QNXXXYYZ",
# department XXX, order number YY, Z a letter (N new, M modified, I unchanged...).
QPV_RE = re.compile(r"^(?:QP(?:\d{3}|02[AB])\d{3}|QN(?:\d{3}|02[AB])\d{2}[A-Z])$")
# Validity reasons of GEOS (English) → French, for the repair summary.
REPAIR_REASONS = [("ring self-intersection", "anneau qui se recoupe"),
                  ("self-intersection", "auto-intersection"),
                  ("too few points", "anneau de moins de quatre points"),
                  ("hole lies outside shell", "trou hors du contour"),
                  ("nested shells", "contours imbriqués"),
                  ("interior is disconnected", "intérieur discontinu"),
                  ("nested holes", "trous imbriqués")]
MAX_PROBLEMS_SHOWN = 200
IMPOSSIBLE = "coordonnées impossibles en degrés"
DEGREES = "coordonnées en degrés"


@dataclass(frozen=True)
class Schema:
    kind: str                      # "communes" or "qpv"
    label: str                     # shown in reports
    fields: dict[str, str]         # our name -> official property name
    generation: int | None = None  # QPV generation (2015, 2024)


SCHEMAS = [
    Schema("communes", "GeoJSON communes (code, nom), comme geo.api.gouv.fr",
           {"code": "code", "name": "nom"}),
    Schema("communes", "IGN ADMIN EXPRESS (INSEE_COM, NOM)", {"code": "INSEE_COM", "name": "NOM"}),
    Schema("qpv", "ANCT QPV 2015 (CODE_QP, NOM_QP, COMMUNE_QP)",
           {"code": "CODE_QP", "name": "NOM_QP", "commune_names": "COMMUNE_QP"}, 2015),
    Schema("qpv", "ANCT QPV 2024 (code_qp, lib_qp, insee_com, lib_com)",
           {"code": "code_qp", "name": "lib_qp", "insee": "insee_com", "commune_names": "lib_com"},
           2024),
    # the national extract of data/geo (lib_com is empty in the national file: left out)
    Schema("qpv", "ANCT QPV 2024 (code_qp, lib_qp, insee_com)",
           {"code": "code_qp", "name": "lib_qp", "insee": "insee_com"}, 2024),
]


@dataclass
class GeoTable:
    """A checked file: one row per feature, WGS84 shapely geometries, official values."""
    file: str
    schema: Schema
    layer: str | None
    crs: str
    frame: pd.DataFrame            # columns: our field names + "geometry" (shapely, WGS84)
    reprojected: bool
    repaired: list[str] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)   # features not imported, and why

    def __len__(self) -> int:
        return len(self.frame)


def read_geo_file(path: str | Path, kind: str, display_name: str | None = None, *,
                  communes: set[str] | None = None) -> GeoTable:
    """Open, recognise, reproject and check `path` (kind "communes" or "qpv"). `communes`
    (INSEE codes): only the QPV whose `insee_com` lists one of them are read and checked."""
    path = Path(path)
    name = display_name or path.name
    if not path.exists():
        raise ImportRefused(f"Fichier introuvable : « {name} ».")
    for source in _gdal_sources(path, name):
        layers = _layers(source, name)
        for layer in layers:
            schema, columns = _match_schema(source, layer, kind)
            if schema is not None:
                return _read_checked(source, layer, schema, columns, name, communes)
    found = sorted({f for source in _gdal_sources(path, name)
                    for layer in _layers(source, name) for f in _fields(source, layer)})
    expected = " ; ".join(s.label for s in SCHEMAS if s.kind == kind)
    raise UnknownSchema(
        f"« {name} » : schéma inconnu pour des {'communes' if kind == 'communes' else 'QPV'} "
        f"(champs trouvés : {', '.join(found) or 'aucun'} ; attendus : {expected}).")


# --- opening ------------------------------------------------------------------------------------

def _gdal_sources(path: Path, name: str) -> list[str]:
    """GDAL paths to try: the file itself, or each geo member of a zip archive."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return [f"/vsigzip/{path}"]
    if suffix == ".zip":
        try:
            members = zipfile.ZipFile(path).namelist()
        except zipfile.BadZipFile:
            raise ImportRefused(f"« {name} » n'est pas une archive zip lisible.") from None
        geo = [m for m in members if m.lower().endswith((".shp", ".geojson", ".json", ".gpkg"))]
        if not geo:
            raise ImportRefused(f"« {name} » : l'archive ne contient ni Shapefile (.shp), "
                                "ni GeoJSON, ni GeoPackage.")
        return [f"/vsizip/{path}/{m}" for m in geo]
    return [str(path)]


def _layers(source: str, name: str) -> list[str | None]:
    try:
        layers = pyogrio.list_layers(source)
    except Exception:  # noqa: BLE001 - GDAL says "not recognized" in many ways
        raise ImportRefused(
            f"« {name} » n'est pas un fichier géographique lisible (GeoJSON, Shapefile zippé "
            "ou GeoPackage attendu).") from None
    if len(layers) == 0:
        raise ImportRefused(f"« {name} » ne contient aucune couche géographique.")
    return [str(row[0]) for row in layers] if len(layers) > 1 else [None]


def _fields(source: str, layer: str | None) -> list[str]:
    return [str(f) for f in pyogrio.read_info(source, layer=layer)["fields"]]


def _match_schema(source: str, layer: str | None, kind: str
                  ) -> tuple[Schema | None, dict[str, str]]:
    """The first schema of `kind` whose fields are all present (case-insensitive)."""
    present = {f.lower(): f for f in _fields(source, layer)}
    for schema in SCHEMAS:
        if schema.kind != kind:
            continue
        if all(official.lower() in present for official in schema.fields.values()):
            return schema, {ours: present[official.lower()]
                            for ours, official in schema.fields.items()}
    return None, {}


def _communes_filter(columns: dict[str, str], communes: set[str] | None) -> str | None:
    """The OGR SQL condition keeping the features whose commune list names one of `communes`
    (checked INSEE codes only; a 5-character code cannot straddle the list's separators)."""
    if communes is None:
        return None
    codes = sorted(c for c in communes if INSEE_RE.match(c))
    if "insee" not in columns or not codes:
        return "1 = 0"
    return " OR ".join(f"\"{columns['insee']}\" LIKE '%{c}%'" for c in codes)


def _keep_listing(df, column: str, communes: set[str]):
    """The rows whose commune list names one of `communes` exactly."""
    mask = df[column].map(lambda v: bool(set(split_list(v)) & communes)).astype(bool)
    return df[mask.to_numpy()].reset_index(drop=True)


def _read_checked(source: str, layer: str | None, schema: Schema, columns: dict[str, str],
                  name: str, communes: set[str] | None = None) -> GeoTable:
    try:
        df = pyogrio.read_dataframe(source, layer=layer, columns=list(columns.values()),
                                    use_arrow=True, where=_communes_filter(columns, communes))
    except Exception:  # noqa: BLE001
        raise ImportRefused(f"« {name} » : lecture impossible (fichier tronqué ou endommagé ?).") \
            from None
    if communes is not None:
        df = _keep_listing(df, columns["insee"], communes) if len(df) else df
        if len(df) == 0:
            return GeoTable(name, schema, layer, "EPSG:4326", pd.DataFrame(
                {**{ours: pd.Series(dtype="string") for ours in columns},
                 "geometry": pd.Series(dtype=object)}), False)
    if len(df) == 0:
        raise ImportRefused(f"« {name} » ne contient aucune entité.")
    if df.crs is None:
        raise ImportRefused(
            f"« {name} » : système de coordonnées absent (fichier .prj manquant ?). "
            "Fournissez le fichier complet (WGS84 ou Lambert-93, EPSG:2154).")
    declared = df.crs
    crs = declared.to_string()
    reprojected = declared.to_epsg() != 4326
    in_degrees = (_degree_like(df.geometry.values) if declared.is_projected
                  else np.zeros(len(df), dtype=bool))
    if reprojected:
        df = df.to_crs(4326)
    frame = pd.DataFrame({ours: df[official].astype("string").str.strip()
                          for ours, official in columns.items()})
    frame["geometry"] = np.asarray(df.geometry.values, dtype=object)
    table = GeoTable(name, schema, layer, crs, frame, reprojected)
    indexed = sorted(_check(table, columns) + _degrees_declared_metres(table, in_degrees, declared),
                     key=lambda p: p[0])
    problems = [text for _, text in indexed]
    bad = sorted({i for i, _ in indexed})
    contradicted = {i for i, text in indexed if IMPOSSIBLE in text or DEGREES in text}
    if bad and (len(bad) == len(frame) or len(contradicted) * 2 > len(frame)):
        # Nothing usable, or a coordinate system that is not what the file declares: the file
        # is not what it claims to be. Refused whole.
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        raise ImportRefused(_refusal(name, len(problems), len(contradicted), len(frame)),
                            shown + ([f"… et {more} autre(s) problème(s)."] if more else []))
    if bad:  # a few odd features of a real file: set aside, reported, the import goes on
        table.set_aside = problems
        table.frame = table.frame.drop(index=bad).reset_index(drop=True)
    if reprojected:  # 6 decimals of a degree = 0.1 m: more would be noise from the projection
        table.frame["geometry"] = shapely.transform(table.frame["geometry"].to_numpy(),
                                                    lambda c: np.round(c, 6))
    return table


def _refusal(name: str, n_problems: int, n_contradicted: int, n_features: int) -> str:
    if n_contradicted * 2 > n_features:
        return (f"« {name} » refusé : les coordonnées de {n_contradicted} entité(s) sur "
                f"{n_features} contredisent le système de coordonnées que le fichier déclare "
                "(degrés et mètres confondus) ; rien n'a été importé. Corrigez la déclaration "
                "du système (fichier .prj ou « crs ») ou les coordonnées.")
    return f"« {name} » refusé : {n_problems} problème(s), rien n'a été importé."


# --- checks -------------------------------------------------------------------------------------

def _degree_like(geoms: np.ndarray) -> np.ndarray:
    """Features whose coordinates all lie within ±180 / ±90: longitude/latitude in degrees.
    In a projected system (metres) that is within 200 m of the system's origin, which is far
    from France for every system French files use (Lambert-93: 3° E 46.5° N is at
    700 000 ; 6 600 000 m; the UTM zones of overseas files: 500 000 m east of their meridian)."""
    bounds = shapely.bounds(np.asarray(geoms, dtype=object))
    return ((bounds[:, 0] >= -180) & (bounds[:, 2] <= 180) & (bounds[:, 1] >= -90)
            & (bounds[:, 3] <= 90))  # NaN bounds (no geometry) compare False


def _degrees_declared_metres(table: GeoTable, in_degrees: np.ndarray, crs  # noqa: ANN001
                             ) -> list[tuple[int, str]]:
    """One problem per feature given in degrees by a file that declares a system in metres."""
    codes = table.frame["code"]
    return [(i, f"{_where(table, i, codes.iloc[i])}, champ geometry : {DEGREES} alors que le "
                f"fichier se déclare en « {crs.name} », un système en mètres : système de "
                "coordonnées faux (longitude/latitude déclarées comme des mètres ?).")
            for i in np.flatnonzero(in_degrees)]


def _where(table: GeoTable, i: int, code: object) -> str:
    label = f" ({code})" if isinstance(code, str) and code else ""
    return f"« {table.file} », entité n°{i + 1}{label}"


def _check(table: GeoTable, columns: dict[str, str]) -> list[tuple[int, str]]:
    f = table.frame
    problems: list[tuple[int, str]] = []
    pattern, what = ((INSEE_RE, "un code INSEE de commune (5 caractères, ex. 93071)")
                     if table.schema.kind == "communes"
                     else (QPV_RE, "un code QPV (QP093001 en 2015, QNXXXYYZ en 2024)"))
    codes = f["code"].fillna("")
    bad_code = ~codes.str.fullmatch(pattern.pattern).fillna(False).astype(bool)
    for i in np.flatnonzero(bad_code.to_numpy()):
        problems.append((i, f"{_where(table, i, None)}, champ {columns['code']} : "
                            f"« {codes.iloc[i]} » n'est pas {what}."))
    dup = codes.duplicated(keep="first") & ~bad_code
    for i in np.flatnonzero(dup.to_numpy()):
        first = int(np.flatnonzero((codes == codes.iloc[i]).to_numpy())[0])
        problems.append((i, f"{_where(table, i, codes.iloc[i])}, champ {columns['code']} : "
                            f"code en double (déjà à l'entité n°{first + 1})."))
    names = f["name"].fillna("")
    for i in np.flatnonzero((names == "").to_numpy()):
        problems.append((i, f"{_where(table, i, codes.iloc[i])}, champ {columns['name']} : "
                            "nom vide."))
    problems += _too_long(table, columns, "name", Qpv.name if table.schema.kind == "qpv"
                          else Commune.name)
    if "insee" in f and "commune_names" in f:  # a 2024 file's communes missing from the base
        problems += _too_long(table, columns, "commune_names", Commune.name)  # added by name
    if "insee" in f:
        for i, value in enumerate(f["insee"].fillna("")):
            parts = split_list(value)
            if not parts or not all(INSEE_RE.match(p) for p in parts):
                problems.append((i, f"{_where(table, i, codes.iloc[i])}, champ "
                                    f"{columns['insee']} : « {value} » n'est pas une liste de "
                                    "codes INSEE de communes."))
    problems += _check_geometries(table, codes)
    problems.sort(key=lambda p: p[0])
    return problems


def _too_long(table: GeoTable, columns: dict[str, str], ours: str, column  # noqa: ANN001
              ) -> list[tuple[int, str]]:
    """Features whose text in `ours` (each part of a list) is longer than the base keeps:
    set aside, named by their code (PostgreSQL would refuse the whole import)."""
    codes = table.frame["code"]
    out = []
    for i, value in enumerate(table.frame[ours].fillna("")):
        parts = split_list(value) if ours == "commune_names" else [value]
        why = next((w for w in (too_long(column, p, f"champ {columns[ours]}") for p in parts)
                    if w), None)
        if why:
            out.append((i, f"{_where(table, i, codes.iloc[i])}, {why}"))
    return out


def _check_geometries(table: GeoTable, codes: pd.Series) -> list[tuple[int, str]]:
    geoms = np.array(table.frame["geometry"].to_numpy(), dtype=object)  # writable copy
    problems: list[tuple[int, str]] = []
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(missing):
        problems.append((i, f"{_where(table, i, codes.iloc[i])}, champ geometry : "
                            "géométrie vide."))
    present = ~missing
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    for i in np.flatnonzero(present & ~polygonal):
        problems.append((i, f"{_where(table, i, codes.iloc[i])}, champ geometry : "
                            f"{geoms[i].geom_type} au lieu "
                            "d'un polygone."))
    ok = present & polygonal
    invalid = ok & ~shapely.is_valid(geoms)
    for i in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geoms[i])
        fixed = polygonal_part(shapely.make_valid(geoms[i]))
        if fixed is None or fixed.area <= 0:
            problems.append((i, f"{_where(table, i, codes.iloc[i])}, champ geometry : "
                                f"géométrie invalide et irréparable ({reason})."))
            continue
        geoms[i] = fixed
        table.repaired.append(f"{_where(table, i, codes.iloc[i])} : géométrie réparée "
                              f"({repair_reason(reason)}).")
    checked = ok & ~np.isin(np.arange(len(geoms)), [p[0] for p in problems])
    if checked.any():
        # Longitude/latitude stay within ±180 / ±90 everywhere on Earth, French Pacific
        # collectivities included (Wallis-et-Futuna −176°, Nouvelle-Calédonie +168°). A file
        # in projected metres (Lambert-93: x 100 000–1 250 000, y 6 000 000–7 200 000; the
        # UTM zones of overseas files alike) whose system is missing or wrongly declared
        # gives coordinates far beyond that: that is what this check catches.
        bounds = shapely.bounds(geoms[checked])
        impossible = ((bounds[:, 0] < -180.5) | (bounds[:, 2] > 180.5) | (bounds[:, 1] < -90.5)
                      | (bounds[:, 3] > 90.5) | ~np.isfinite(bounds).all(axis=1))
        for j, i in enumerate(np.flatnonzero(checked)):
            if impossible[j]:
                x, y = bounds[j, 0], bounds[j, 1]
                problems.append((i, f"{_where(table, i, codes.iloc[i])}, champ geometry : "
                                    f"{IMPOSSIBLE} ({_num(x)} ; {_num(y)}) "
                                    "alors que le fichier se dit en longitude/latitude : "
                                    "système de coordonnées absent ou faux (Lambert-93 non "
                                    "déclaré ?)."))
    table.frame["geometry"] = geoms
    return problems


def repair_reason(reason: str) -> str:
    """GEOS validity reason ("Self-intersection[2.45 48.9]") → French words, no coordinates."""
    low = reason.lower()
    for english, french in REPAIR_REASONS:
        if low.startswith(english):
            return french
    return "contour invalide"


def _num(value: float) -> str:
    from ..vocabulary import number
    return number(value) if abs(value) >= 1000 else number(value, 4)


def polygonal_part(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The polygons of a geometry (make_valid may return a collection with lines)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    if geom.geom_type == "GeometryCollection":
        polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        if polys:
            return shapely.union_all(polys)
    return None


def split_list(value: str | None) -> list[str]:
    """'93005, 93071' / '93005;93071' -> ['93005', '93071'] (multi-commune QPV fields)."""
    if value is None or value is pd.NA:
        return []
    return [p.strip() for p in re.split(r"[,;/|]", str(value)) if p.strip()]
