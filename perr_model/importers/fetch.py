"""`geo fetch`: download the official files of some departments, then import them.

- communes: geo.api.gouv.fr, one GeoJSON per department (`code`, `nom`, contour);
- QPV: the ANCT file on data.gouv.fr (national; the latest GeoJSON resource of the dataset is
  picked through the data.gouv.fr API), kept only for the requested departments.

Downloads go to a local cache (PERR_GEO_CACHE_DIR) and are reused for PERR_GEO_CACHE_DAYS;
a progress bar goes to stderr. `--from FILE` skips the network and imports a local file
(kind given by --kind, or recognised from its schema), again only for those departments.
Every file is checked entirely before anything is written, then all are written in one
transaction.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import urllib.request
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine

from .. import settings
from ..auth import Actor, require_admin
from ..errors import ImportRefused, PerrError, UnknownSchema
from ..geo import department_of
from ..store import Store, writing
from .communes import GeoImportReport, load_communes
from .datasets import record_import
from .geofile import GeoTable, read_geo_file
from .qpv import load_qpv, qpv_department

USER_AGENT = "perr-dashboard (politique de la ville; geo fetch)"
CHUNK = 1 << 16


class DownloadFailed(PerrError):
    """An official file could not be downloaded."""


def communes_url(department: str) -> str:
    return settings.get("PERR_GEO_COMMUNES_URL").format(department=department)


def qpv_url() -> str:
    """The QPV file URL: the setting itself, or the GeoJSON picked from a data.gouv.fr dataset."""
    url = settings.get("PERR_GEO_QPV_URL")
    if "/api/1/datasets/" not in url:
        return url
    with urllib.request.urlopen(_request(url), timeout=60) as resp:
        dataset = json.load(resp)
    return pick_qpv_resource(dataset["resources"])


def pick_qpv_resource(resources: list[dict]) -> str:
    """Latest-generation GeoJSON (WGS84) among a data.gouv.fr dataset's resources."""
    def score(r: dict) -> tuple:
        text = f"{r.get('title', '')} {r.get('url', '')}".lower()
        return ("2024" in text, "wgs84" in text or "4326" in text,
                r.get("last_modified", "") or "")
    geo = [r for r in resources if (r.get("format") or "").lower() in ("geojson", "json")
           or str(r.get("url", "")).lower().endswith(".geojson")]
    if not geo:
        raise DownloadFailed("Aucun fichier GeoJSON dans le jeu de données des QPV (data.gouv.fr).")
    return max(geo, key=score)["url"]


def cache_dir(folder: str | Path | None = None) -> Path:
    path = Path(folder or settings.get("PERR_GEO_CACHE_DIR")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def cached_download(url: str, label: str, folder: Path, *, max_age_days: float | None = None,
                    progress: TextIO | None = sys.stderr) -> Path:
    """The file at `url`, from the cache when fresh enough, else downloaded (atomic write)."""
    if max_age_days is None:
        max_age_days = float(settings.get("PERR_GEO_CACHE_DAYS"))
    suffix = ".gpkg" if ".gpkg" in url.lower() else ".zip" if url.lower().endswith(".zip") \
        else ".geojson"
    target = folder / f"{label}-{hashlib.sha1(url.encode()).hexdigest()[:10]}{suffix}"
    if target.exists() and time.time() - target.stat().st_mtime < max_age_days * 86400:
        if progress:
            print(f"{label} : pris dans le cache ({target})", file=progress)
        return target
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with urllib.request.urlopen(_request(url), timeout=120) as resp, \
                partial.open("wb") as out:
            total = int(resp.headers.get("Content-Length") or 0)
            done = 0
            while chunk := resp.read(CHUNK):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    _progress(progress, label, done, total)
        if progress:
            print(file=progress)
        os.replace(partial, target)
    except OSError as exc:  # URLError is an OSError
        partial.unlink(missing_ok=True)
        raise DownloadFailed(f"Téléchargement impossible de {url} : {exc}") from None
    return target


def _request(url: str) -> urllib.request.Request:
    return urllib.request.Request(url, headers={"User-Agent": USER_AGENT})


def _progress(out: TextIO, label: str, done: int, total: int) -> None:
    mb = lambda n: f"{n / 1e6:.1f}".replace(".", ",") + " Mo"  # noqa: E731
    if total:
        width = 30
        filled = int(width * done / total)
        bar = "█" * filled + "·" * (width - filled)
        out.write(f"\r{label} [{bar}] {100 * done // total:3d} % ({mb(done)} / {mb(total)})")
    else:
        out.write(f"\r{label} : {mb(done)}")
    out.flush()


def only_departments(table: GeoTable, departments: set[str]) -> GeoTable:
    """Keep the features of `table` that lie in `departments` (by INSEE or QPV code)."""
    dep = department_of if table.schema.kind == "communes" else qpv_department
    mask = table.frame["code"].map(lambda c: dep(str(c)) in departments).astype(bool)
    table.frame = table.frame[mask.to_numpy()].reset_index(drop=True)
    return table


def read_file(path: Path, kind: str, departments: set[str], display_name: str | None = None
              ) -> GeoTable:
    """Read with every check, keeping only the features of `departments`."""
    if kind == "all":  # --from with no --kind: recognise the schema
        try:
            table = read_geo_file(path, "communes", display_name)
        except UnknownSchema:
            table = read_geo_file(path, "qpv", display_name)
    else:
        table = read_geo_file(path, kind, display_name)
    only_departments(table, departments)
    if len(table) == 0:
        raise ImportRefused(f"« {table.file} » : aucune entité dans le(s) département(s) "
                            f"{', '.join(sorted(departments))}.")
    return table


def load_tables(engine: Engine | Store, tables: list[GeoTable], actor: Actor
                ) -> list[GeoImportReport]:
    """Write checked tables in ONE transaction: communes first, so QPV can link to them."""
    tables = sorted(tables, key=lambda t: t.schema.kind != "communes")
    reports = []
    with writing(engine) as session:
        for t in tables:
            kind = t.schema.kind
            reports.append((load_communes if kind == "communes" else load_qpv)(session, t))
            record_import(session, actor, "commune" if kind == "communes" else "qpv",
                          reports[-1])
    return reports


def fetch(engine: Engine | Store, departments: list[str], kind: str = "all",
          from_file: str | None = None,
          cache: str | None = None, progress: TextIO | None = sys.stderr, *,
          actor: Actor | None) -> list[GeoImportReport]:
    """Download (or take `from_file`) the official files of `departments`, check them all,
    then import them in one transaction (nothing is written if one file is refused).
    Administrators only (`actor`; the CLI passes `Actor.system()`)."""
    require_admin(actor)
    deps = {d.strip().upper().zfill(2) for d in departments}
    if from_file:
        return load_tables(engine, [read_file(Path(from_file), kind, deps)], actor)
    folder = cache_dir(cache)
    tables = []
    if kind in ("communes", "all"):
        for dep in sorted(deps):
            path = cached_download(communes_url(dep), f"communes-{dep}", folder,
                                   progress=progress)
            tables.append(read_file(path, "communes", {dep}, f"communes-{dep}.geojson"))
    if kind in ("qpv", "all"):
        path = cached_download(qpv_url(), "qpv", folder, progress=progress)
        tables.append(read_file(path, "qpv", deps, "QPV (ANCT)"))
    return load_tables(engine, tables, actor)
