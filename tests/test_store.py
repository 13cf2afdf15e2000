"""The store opens on SQLite and PostgreSQL; read-only connections cannot write."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from perr_model import migrate
from perr_model.errors import ReadOnlyStore
from perr_model.schema import Pillar
from perr_model.store import make_engine, normalise_url, write_session


def test_migrations_reach_head(empty_url):
    engine = make_engine(empty_url)
    assert migrate.current_revision(engine) == migrate.script_heads()
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from action")).scalar_one() == 0
    engine.dispose()


def test_read_write_engine_commits(empty_url, rw_engine):
    with write_session(rw_engine(empty_url)) as session:
        session.add(Pillar(code="x", name="X", position=1))
    reader = make_engine(empty_url)
    with reader.connect() as conn:
        assert conn.execute(text("select name from pillar where code='x'")).scalar_one() == "X"
    reader.dispose()


def test_read_only_connection_refuses_raw_sql_writes(empty_url):
    engine = make_engine(empty_url)  # read-only is the default
    with pytest.raises(DBAPIError):
        with engine.begin() as conn:
            conn.execute(text("insert into pillar(code, name, position) values ('y', 'Y', 1)"))
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from pillar")).scalar_one() == 0
    engine.dispose()


def test_write_session_refuses_read_only_engine(empty_url):
    engine = make_engine(empty_url)
    with pytest.raises(ReadOnlyStore, match="lecture seule"):
        with write_session(engine):
            pass
    engine.dispose()


def test_missing_sqlite_file_gives_french_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="init-db"):
        make_engine(f"sqlite:///{tmp_path/'absent.sqlite'}")


@pytest.mark.parametrize("given, expected", [
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.sqlite", "sqlite:///x.sqlite"),
])
def test_normalise_url(given, expected):
    assert normalise_url(given) == expected
