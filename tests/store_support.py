"""Helpers shared by the tests of what the database keeps (derived links, stored figures)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from perr_model.schema import Commune, Territory

VERSIONS = Path(__file__).resolve().parents[1] / "perr_model" / "migrations" / "versions"


def migration(filename: str):
    """A migration script as a module (its trigger lists and SQL builders)."""
    spec = importlib.util.spec_from_file_location(f"migration_{Path(filename).stem}",
                                                  VERSIONS / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def champigny(session: Session) -> tuple[Territory, Commune]:
    """Paris Est Marne & Bois and Champigny-sur-Marne (94017), of the embedded data."""
    territory = session.scalars(select(Territory).where(Territory.slug.like("%marne%"))).one()
    commune = session.scalars(select(Commune).where(Commune.insee_code == "94017")).one()
    return territory, commune


def wait_refreshed(url: str, timeout: float = 60.0) -> None:
    """Until the background refresh of `url` (figures.stored.refresh_later) has finished."""
    import time

    from perr_model.figures import stored
    deadline = time.monotonic() + timeout
    while stored.refresh_running(url):
        assert time.monotonic() < deadline, "le calcul des chiffres ne s'est pas terminé"
        time.sleep(0.05)


def scalar(url: str, query: str):
    """One value by raw SQL on a plain engine of its own."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query)).scalar_one()
    finally:
        engine.dispose()
