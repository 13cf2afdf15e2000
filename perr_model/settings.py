"""Every setting of the product, declared once: (name, default, help).

A test checks that each one is documented in README.md. Read them with `get(name)`.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = PROJECT_ROOT / "data" / "perr.sqlite"

SETTINGS: list[tuple[str, str, str]] = [
    ("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE}",
     "SQLAlchemy URL of the store. Default: the embedded SQLite file data/perr.sqlite. "
     "PostgreSQL: postgresql+psycopg://user@host:5432/dbname (postgresql:// is accepted)."),
    ("PERR_PUBLIC", "0",
     "1 = public read-only instance: reading pages only, read-only database connection, "
     "no personal field on any page or export."),
    ("PERR_QUERY_TIMEOUT_MS", "5000",
     "Durée maximale d'une requête, en millisecondes : toute lecture sur SQLite et sur "
     "PostgreSQL (où la limite vaut aussi pour les écritures) ; au-delà, la requête est "
     "interrompue et la page dit, en français, que la base n'a pas répondu à temps. C'est "
     "aussi le temps qu'une connexion SQLite attend un verrou."),
    ("PERR_DATA_DIR", str(PROJECT_ROOT / "data"),
     "Folder of the embedded default referential loaded by `init-db`."),
    ("PERR_GEO_CACHE_DIR", str(Path.home() / ".cache" / "perr" / "geo"),
     "Cache of the official geo files downloaded by `geo fetch` (outside data/: official "
     "geometries are never versioned)."),
    ("PERR_GEO_CACHE_DAYS", "30",
     "Age in days after which `geo fetch` downloads a cached official file again."),
    ("PERR_GEO_COMMUNES_URL",
     "https://geo.api.gouv.fr/departements/{department}/communes"
     "?format=geojson&geometry=contour&fields=code,nom",
     "URL of the commune contours of one department ({department} is replaced)."),
    ("PERR_GEO_QPV_URL",
     "https://www.data.gouv.fr/api/1/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/",
     "ANCT QPV perimeters: a data.gouv.fr dataset API URL (the GeoJSON resource of the latest "
     "generation is picked) or the URL of the file itself."),
    ("PERR_SESSION_HOURS", "12",
     "Durée, en heures, pendant laquelle un éditeur reste connecté sur un navigateur (après "
     "un rechargement de la page ou dans un nouvel onglet) ; ensuite il se reconnecte. La "
     "déconnexion et la désactivation du compte y mettent fin aussitôt."),
    ("PERR_TRUSTED_PROXIES", "",
     "Mandataires inverses (proxy) déclarés devant l'application : adresses ou réseaux "
     "séparés par des virgules, par exemple 127.0.0.1,::1 pour un nginx sur la même machine. "
     "L'adresse du visiteur, qui sert à limiter les essais de connexion, est alors lue dans "
     "l'en-tête X-Forwarded-For qu'ils ajoutent ; vide (défaut) : l'adresse de la connexion "
     "directe, et cet en-tête n'est jamais cru."),
    ("PERR_MAP_STYLE_URL", "",
     "Background map of the screen maps: URL of a MapLibre style, e.g. the IGN Géoplateforme "
     "plan (no key): https://data.geopf.fr/annexes/ressources/vectorTiles/styles/PLAN.IGN/"
     "standard.json. Empty (default): no background and no request to any server; the maps "
     "draw communes, quartiers, neighbours and names by themselves. The visitors' browsers "
     "need network access to that server."),
    ("PERR_MAP_TILES", "",
     "Street background of the maps' pictures (Couverture, Quartier, the fiche quartier PDF), "
     "from this machine only: a folder of raster tiles laid out {z}/{x}/{y}.png (or .jpg, "
     ".webp) or an MBTiles file. Empty (default): no background. Never fetched from the "
     "network at run time (an address is ignored); see perr_model/tiles.py."),
]

_DEFAULTS = {name: default for name, default, _ in SETTINGS}


def get(name: str) -> str:
    if name not in _DEFAULTS:
        raise KeyError(f"réglage inconnu : {name}")
    value = os.environ.get(name)
    return value if value not in (None, "") else _DEFAULTS[name]


def is_public() -> bool:
    return get("PERR_PUBLIC").strip().lower() in ("1", "true", "oui", "yes")
