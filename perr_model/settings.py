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
     "Time limit of one query on the read connection, in milliseconds."),
    ("PERR_DATA_DIR", str(PROJECT_ROOT / "data"),
     "Folder of the embedded default referential loaded by `init-db`."),
]

_DEFAULTS = {name: default for name, default, _ in SETTINGS}


def get(name: str) -> str:
    if name not in _DEFAULTS:
        raise KeyError(f"réglage inconnu : {name}")
    value = os.environ.get(name)
    return value if value not in (None, "") else _DEFAULTS[name]


def is_public() -> bool:
    return get("PERR_PUBLIC").strip().lower() in ("1", "true", "oui", "yes")
