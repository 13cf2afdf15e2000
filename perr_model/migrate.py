"""Schema migrations (Alembic), run from code so that `init-db` and the tests share one path."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Migrate to `revision`; a SQLite store is put in WAL mode first (store.sqlite_wal: the
    public instance reads while a writer imports, and survives a writer killed mid-write)."""
    from .store import sqlite_wal
    sqlite_wal(engine)
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Back to `revision` (administrators rolling back a release; tested for 0004)."""
    _run(engine, command.downgrade, revision)


def _run(engine: Engine, step, revision: str) -> None:  # noqa: ANN001 - an alembic command
    """One transaction. On SQLite, with foreign keys off while it runs (a migration that
    rebuilds a referenced table, 0010, would otherwise fail: SQLite's own advice), then every
    reference checked before they are on again."""
    cfg = alembic_config()
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # outside any transaction, where the PRAGMA takes effect
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                step(cfg, revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"Migration refusée : {len(broken)} référence(s) "
                                           "cassée(s) entre tables.")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def current_revision(engine: Engine) -> str | None:
    """The applied revision; with parallel branches (several heads), their ids joined by ","."""
    from alembic.runtime.migration import MigrationContext
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None


def script_heads() -> str:
    """The head revision(s) of the migration scripts, in current_revision's format."""
    from alembic.script import ScriptDirectory
    return ",".join(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))
