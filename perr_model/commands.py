"""Handlers of the general CLI commands (init-db)."""
from __future__ import annotations

import argparse

from . import migrate
from .store import database_url, make_engine, sqlite_path, write_session


def init_database(url: str | None = None, *, empty: bool = False) -> dict[str, int]:
    """Create/upgrade the schema, then load the embedded default unless `empty`."""
    url = url or database_url()
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url, read_only=False)
    try:
        migrate.upgrade(engine)
        if empty:
            return {}
        from .importers.embedded import load_embedded
        with write_session(engine) as session:
            return load_embedded(session)
    finally:
        engine.dispose()


def review_lines(url: str) -> list[str]:
    """Quartiers of the protocols still without an official perimeter (to review)."""
    from sqlalchemy import select

    from .schema import Qpv
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Qpv.name).where(Qpv.named_in_protocol,
                                                       Qpv.code.is_(None)).order_by(Qpv.name)).all()
    finally:
        engine.dispose()
    if not rows:
        return []
    return [f"{len(rows)} quartier(s) des protocoles sans périmètre officiel, à vérifier : "
            + ", ".join(f"« {r.name} »" for r in rows) + "."]


def init_db(args: argparse.Namespace) -> int:
    url = database_url()
    path = sqlite_path(url)
    if args.if_missing and path is not None and path.exists() and path.stat().st_size > 0:
        engine = make_engine(url, read_only=False)
        try:
            migrate.upgrade(engine)  # a newer release may bring migrations: apply, lose nothing
        finally:
            engine.dispose()
        print(f"Base déjà présente, schéma à jour : {path}")
        return 0
    counts = init_database(url, empty=args.empty)
    where = path or url.split("@")[-1]
    if args.empty:
        print(f"Schéma créé (vide) : {where}")
    else:
        labels = {"pillars": "piliers", "territories": "territoires",
                  "communes": "communes des territoires", "qpv": "quartiers des protocoles"}
        detail = ", ".join(f"{labels.get(k, k)} {v}" for k, v in counts.items()
                           if not k.startswith("referential"))
        print(f"Base prête : {where} ({detail})")
        for line in review_lines(url):
            print(line)
    return 0
