"""Handlers of the general CLI commands (init-db)."""
from __future__ import annotations


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
