"""Public connection, defence in depth (issue 13, item 5).

SQLite: the read-only engine's authorizer denies every way round `PRAGMA query_only` (switching
it off, ATTACH, VACUUM INTO, VACUUM, CREATE). PostgreSQL: `SET TRANSACTION READ WRITE` undoes
`default_transaction_read_only`, so the public instance refuses to start unless its role cannot
write; with a real read-only role created in the throw-away database, every bypass fails.
Each layer (SQLite `mode=ro`, `query_only`, the authorizer; PostgreSQL's read-only
transactions) refuses a write on its own, and the read-only engine applies every one."""
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from perr_model.errors import ReadOnlyStore
from perr_model.store import make_engine


def _count(loaded_url, rw_engine, table="pillar") -> int:
    with rw_engine(loaded_url).connect() as c:
        return c.execute(text(f"select count(*) from {table}")).scalar()


def _refused(engine, *statements) -> None:
    with pytest.raises(DBAPIError):
        with engine.begin() as c:
            for sql in statements:
                c.execute(text(sql))


INSERT = "insert into pillar(code, name, position) values ('x', 'X', 9)"


def test_reading_still_works(reader_url):
    engine = make_engine(reader_url)
    with engine.connect() as c:
        assert c.execute(text("select count(*) from action")).scalar() > 0
        assert c.execute(text("with recursive n(i) as (select 1 union all select i + 1 from n "
                              "where i < 3) select sum(i) from n")).scalar() == 6
    engine.dispose()


def test_switching_read_only_off_then_writing_is_refused(reader_url, loaded_url, rw_engine):
    before = _count(loaded_url, rw_engine)
    engine = make_engine(reader_url)
    if engine.dialect.name == "sqlite":
        _refused(engine, "PRAGMA query_only=OFF")
        _refused(engine, "PRAGMA query_only=OFF", INSERT)
        raw = engine.raw_connection()  # the DB-API connection itself, past SQLAlchemy
        with pytest.raises(Exception, match="not authorized"):
            raw.cursor().execute("PRAGMA query_only=0")
        raw.close()
    else:
        _refused(engine, "SET TRANSACTION READ WRITE", INSERT)
        _refused(engine, "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", INSERT)
    _refused(engine, INSERT)
    engine.dispose()
    assert _count(loaded_url, rw_engine) == before


def test_attach_and_vacuum_into_are_refused(reader_url, tmp_path):
    engine = make_engine(reader_url)
    copy = tmp_path / "copie.sqlite"
    if engine.dialect.name == "sqlite":
        _refused(engine, f"ATTACH DATABASE '{copy}' AS copie")
        _refused(engine, f"VACUUM INTO '{copy}'")
        _refused(engine, "VACUUM")
        _refused(engine, "CREATE TEMP TABLE t(x)")
        _refused(engine, "PRAGMA writable_schema=ON")
        assert not copy.exists()
    else:  # what a role could do with the base: copy it out or create objects
        _refused(engine, "SET TRANSACTION READ WRITE", "CREATE TABLE public.copie AS "
                                                        "SELECT * FROM action")
        _refused(engine, "SET TRANSACTION READ WRITE",
                 f"COPY action TO '{copy}'")
        assert not copy.exists()
    engine.dispose()


def test_public_instance_refuses_a_role_that_can_write(loaded_url, monkeypatch, rw_engine):
    if not loaded_url.startswith("postgresql"):  # SQLite: no role; the authorizer above
        monkeypatch.setenv("PERR_PUBLIC", "1")
        engine = make_engine(loaded_url)
        _refused(engine, INSERT)
        engine.dispose()
        return
    monkeypatch.setenv("PERR_PUBLIC", "1")
    # the superuser of the test server
    with pytest.raises(ReadOnlyStore, match="super-utilisateur") as info:
        make_engine(loaded_url)
    assert "Instance publique non démarrée" in str(info.value)
    # a plain role granted INSERT on one table
    role = f"perr_ecrit_{uuid.uuid4().hex[:8]}"
    admin = rw_engine(loaded_url)
    with admin.begin() as c:
        c.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        c.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        c.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
        c.execute(text(f'GRANT INSERT ON pillar TO "{role}"'))
    try:
        url = make_url(loaded_url).set(username=role).render_as_string(hide_password=False)
        with pytest.raises(ReadOnlyStore, match="peut modifier 1 table"):
            make_engine(url)
        monkeypatch.setenv("PERR_PUBLIC", "0")  # an ordinary (non-public) reader may start
        make_engine(url).dispose()
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP OWNED BY "{role}"'))
        with admin.begin() as c:
            c.execute(text(f'DROP ROLE "{role}"'))


def test_public_role_check_accepts_a_reader(reader_url):
    engine = make_engine(reader_url)  # no exception: the role only reads
    engine.dispose()


# --- each layer alone (issue 23, item 6): any one of them refuses a write, and the read-only
# engine applies every one (removing one, or two together, fails here) ------------------------

def _sqlite_engine(url, layer=None):
    """A plain engine on the SQLite file with at most one of store's read-only layers."""
    from sqlalchemy import create_engine, event

    from perr_model import store
    if layer == "mode=ro":
        return create_engine(store.sqlite_read_only_url(url))
    engine = create_engine(url)
    apply = {"query_only": store.sqlite_query_only, "authorizer": store.sqlite_reads_only,
             None: lambda _c: None}[layer]
    event.listen(engine, "connect", lambda conn, _record: apply(conn))
    return engine


def _pg_engine(url, read_only: bool):
    from sqlalchemy import create_engine

    from perr_model import store
    return create_engine(url, connect_args={"options": store.PG_READ_ONLY_OPTIONS}
                         if read_only else {})


def test_each_read_only_layer_alone_refuses_a_write(empty_url, rw_engine):
    sqlite = empty_url.startswith("sqlite")
    layers = ["mode=ro", "query_only", "authorizer"] if sqlite else ["read_only"]
    make = (lambda layer: _sqlite_engine(empty_url, layer)) if sqlite else \
        (lambda layer: _pg_engine(empty_url, layer is not None))
    for layer in layers:
        engine = make(layer)
        try:
            with pytest.raises(DBAPIError):
                with engine.begin() as c:
                    c.execute(text(INSERT))
        finally:
            engine.dispose()
        assert _count(empty_url, rw_engine) == 0, layer
    control = make(None)   # the same engine without the layer writes: the layer refused it
    with control.begin() as c:
        c.execute(text(INSERT))
    control.dispose()
    assert _count(empty_url, rw_engine) == 1


def test_the_read_only_engine_applies_every_layer(empty_url, rw_engine):
    engine = make_engine(empty_url)
    try:
        if engine.dialect.name != "sqlite":
            with engine.connect() as c:
                assert c.execute(text("show default_transaction_read_only")).scalar() == "on"
            return
        with engine.connect() as c:
            assert c.execute(text("PRAGMA query_only")).scalar() == 1
        raw = engine.raw_connection()
        try:
            sqlite_conn = raw.driver_connection
            with pytest.raises(Exception, match="not authorized"):  # the authorizer
                sqlite_conn.execute("PRAGMA query_only=0")
            sqlite_conn.set_authorizer(None)          # without the authorizer,
            sqlite_conn.execute("PRAGMA query_only=0")  # and without query_only:
            with pytest.raises(Exception, match="readonly database"):  # mode=ro still refuses
                sqlite_conn.execute(INSERT)
        finally:
            raw.invalidate()
    finally:
        engine.dispose()
    assert _count(empty_url, rw_engine) == 0
