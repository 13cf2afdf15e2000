"""Handlers of the general CLI commands (init-db)."""
from __future__ import annotations


from . import migrate
from .store import Store, database_url, sqlite_path


def init_database(url: str | None = None, *, empty: bool = False) -> dict[str, int]:
    """Create/upgrade the schema, then load the embedded default unless `empty`."""
    url = url or database_url()
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(url, read_only=False, refresh=False)  # cli.main refreshes the figures
    try:
        migrate.upgrade(store.write_engine)
        if empty:
            return {}
        from .importers.embedded import load_embedded
        with store.write() as session:
            return load_embedded(session)
    finally:
        store.dispose()


def review_lines(url: str) -> list[str]:
    """Quartiers of the protocols still without an official perimeter (to review)."""
    from sqlalchemy import select

    from .schema import Qpv
    store = Store(url, read_only=True)
    try:
        with store.read() as session:
            rows = session.execute(select(Qpv.name).where(
                Qpv.named_in_protocol, Qpv.code.is_(None)).order_by(Qpv.name)).all()
    finally:
        store.dispose()
    if not rows:
        return []
    return [f"{len(rows)} quartier(s) des protocoles sans périmètre officiel, à vérifier : "
            + ", ".join(f"« {r.name} »" for r in rows) + "."]
