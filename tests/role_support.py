"""PostgreSQL roles for the tests of the public instance: the provided script's role
(docs/sql/public-role.sql) and its removal."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

PUBLIC_ROLE_SQL = Path(__file__).resolve().parents[1] / "docs" / "sql" / "public-role.sql"


def create_public_role(url: str, role: str) -> None:
    """The role of docs/sql/public-role.sql, named `role`, created in the database of `url`
    (run as the test server's superuser, as the script asks)."""
    script = PUBLIC_ROLE_SQL.read_text(encoding="utf-8").replace("perr_lecteur", role)
    engine = create_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            raw.driver_connection.autocommit = True
            raw.driver_connection.execute(script)  # no parameters: the script as psql reads it
        finally:
            raw.close()
    finally:
        engine.dispose()


def drop_role(url: str, role: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as c:
            c.execute(text(f'DROP OWNED BY "{role}"'))
        with engine.begin() as c:
            c.execute(text(f'DROP ROLE "{role}"'))
    finally:
        engine.dispose()
