"""The store opens on SQLite and PostgreSQL; read-only connections cannot write."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from perr_model import migrate
from perr_model.errors import ReadOnlyStore
from perr_model.schema import Pillar
from perr_model.store import make_engine, normalise_url, write_session
from store_support import scalar as _scalar, wait_refreshed as _wait_refreshed


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
    with pytest.raises(FileNotFoundError, match="init-db") as refused:
        make_engine(f"sqlite:///{tmp_path/'absent.sqlite'}")
    assert "absent" not in str(refused.value) and "/" not in str(refused.value)  # no path


@pytest.mark.parametrize("given, expected", [
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.sqlite", "sqlite:///x.sqlite"),
])
def test_normalise_url(given, expected):
    assert normalise_url(given) == expected


# --- the Store: one read path, one write path (issue 23, item 2) --------------------------------

def _refresh_running(url: str) -> bool:
    from perr_model.figures import stored
    return stored.refresh_running(url)


def test_store_write_commits_then_stores_the_figures_of_the_new_data(loaded_url):
    from perr_model.store import Store
    before = _scalar(loaded_url, "select n from data_version where id = 1")
    assert _scalar(loaded_url, "select count(*) from figure_summary") == 0
    store, changes = Store(loaded_url, read_only=False), []
    store.on_change(lambda: changes.append(1))
    try:
        with store.write() as session:
            session.add(Pillar(code="x", name="X", position=9))
        _wait_refreshed(store.url)
    finally:
        store.dispose()
    assert _scalar(loaded_url, "select name from pillar where code = 'x'") == "X"
    after = _scalar(loaded_url, "select n from data_version where id = 1")
    assert after > before and changes == [1]
    # the figures are stored at the new version, and only there
    assert _scalar(loaded_url, f"select count(*) from figure_summary where version = {after}") > 0
    assert _scalar(loaded_url, f"select count(*) from figure_summary where version <> {after}") == 0


def test_store_write_that_changes_no_data_refreshes_nothing(loaded_url):
    from perr_model.store import Store
    store, changes = Store(loaded_url, read_only=False), []
    store.on_change(lambda: changes.append(1))
    try:
        with store.write() as session:
            session.execute(text("select count(*) from pillar"))
        assert not _refresh_running(store.url)
    finally:
        store.dispose()
    assert changes == [] and _scalar(loaded_url, "select count(*) from figure_summary") == 0


def test_failing_store_write_rolls_back_and_refreshes_nothing(loaded_url):
    from perr_model.store import Store
    before = _scalar(loaded_url, "select n from data_version where id = 1")
    store, changes = Store(loaded_url, read_only=False), []
    store.on_change(lambda: changes.append(1))
    try:
        with pytest.raises(ZeroDivisionError):
            with store.write() as session:
                session.add(Pillar(code="x", name="X", position=9))
                session.flush()   # written in the transaction…
                1 / 0             # … then the block fails
        assert not _refresh_running(store.url)
    finally:
        store.dispose()
    assert _scalar(loaded_url, "select count(*) from pillar where code = 'x'") == 0
    assert _scalar(loaded_url, "select n from data_version where id = 1") == before
    assert changes == [] and _scalar(loaded_url, "select count(*) from figure_summary") == 0


def test_read_only_store_refuses_write_and_reads(loaded_url):
    from perr_model.store import Store, is_read_only
    store = Store(loaded_url)   # read-only is the default: the public instance's
    try:
        with pytest.raises(ReadOnlyStore, match="lecture seule"):
            with store.write():
                pass
        with pytest.raises(ReadOnlyStore):
            store.write_engine
        with store.read() as session:
            n = session.execute(text("select count(*) from pillar")).scalar_one()
            assert is_read_only(session.get_bind())
            with pytest.raises(DBAPIError):   # the connection itself refuses (mode=ro / PG)
                session.execute(text("insert into pillar(code, name, position) "
                                     "values ('y', 'Y', 9)"))
    finally:
        store.dispose()
    assert n == _scalar(loaded_url, "select count(*) from pillar") > 0
    assert _scalar(loaded_url, "select count(*) from pillar where code = 'y'") == 0
