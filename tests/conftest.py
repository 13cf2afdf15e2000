"""Shared fixtures: real SQLite files and real PostgreSQL databases, never mocks.

- `empty_url`   a migrated, empty store (SQLite and PostgreSQL: the test runs on both);
- `loaded_url`  the same with the embedded default of data/ loaded (both backends);
- `embedded_sqlite` one SQLite file with the embedded default, built once per session,
  for read-only tests (AppTest pages): copy it before writing.

PostgreSQL: a throw-away database per test, cloned from a template built once per session
(CREATE DATABASE ... TEMPLATE), on the server at 127.0.0.1:5432. Where no server answers, the
PostgreSQL variants are skipped with that reason, visibly (-ra), never counted as passed.

Under CI=true a skipped test is a failure (`pytest_runtest_makereport` below): an unreachable
PostgreSQL server, a missing Chromium or a missing ../shared cannot leave the run green.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from perr_model import migrate
from role_support import create_public_role, drop_role
from perr_model.store import make_engine, shared_engine, write_session

PG_ADMIN_URL = os.environ.get("PERR_TEST_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def pytest_configure(config):  # noqa: ANN001
    os.environ.setdefault("PERR_TEST", "1")


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):  # noqa: ANN001
    from suite_scheduling import make_scheduler   # browser tests on one worker (make test)
    return make_scheduler(config, log)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ANN001
    """Under CI=true, a skip (in setup, call or teardown) is reported as a failure, with its
    reason: a test that did not run is never counted as passed."""
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = (report.longrepr[2] if isinstance(report.longrepr, tuple)
                  else str(report.longrepr))
        report.outcome = "failed"
        report.longrepr = (f"Test ignoré alors que CI=true : un test sauté compte comme un échec "
                           f"en intégration continue. Raison du saut : {reason}")


def pytest_sessionfinish(session, exitstatus):  # noqa: ANN001
    """Second guard: a skip that escaped the report hook (collection) still fails under CI."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if in_ci() and skipped and session.exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(f"Échec : {skipped} test(s) sauté(s) alors que CI=true.",
                                red=True)


# --- PostgreSQL ---------------------------------------------------------------------------------

def _pg_admin():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT",
                         connect_args={"connect_timeout": 3})


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_admin():
    engine = _pg_admin()
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001
        where = PG_ADMIN_URL.split("@")[-1]
        message = (f"PostgreSQL ne répond pas à {where} : les variantes PostgreSQL ne peuvent "
                   f"pas tourner ({type(exc).__name__}).")
        if in_ci():
            pytest.fail(message + " CI=true exige PostgreSQL.", pytrace=False)
        pytest.skip(message)
    yield engine
    engine.dispose()


def create_pg_database(admin, template: str | None = None) -> str:
    name = f"perr_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template
                                                          else "")))
    return name


def drop_pg_database(admin, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _fill_embedded(url: str) -> None:
    """The embedded default of data/ (what `loaded_url` holds)."""
    from perr_model.importers.embedded import load_embedded
    engine = make_engine(url, read_only=False)
    try:
        with write_session(engine) as session:
            load_embedded(session)
    finally:
        engine.dispose()


def _fill_embedded_with_figures(url: str) -> None:
    """The embedded default with its figures stored, as `make run` leaves it (init-db stores
    them): pages opened on it find them current and never write into the shared file."""
    from perr_model.figures import stored
    _fill_embedded(url)
    engine = make_engine(url, read_only=False)
    try:
        stored.refresh(engine)
    finally:
        engine.dispose()


def _template_fill(load):
    """What a template holds after migration: nothing (False), the embedded default (True), or
    whatever `load(url)` writes into the migrated store (a module-level function, so that the
    same function always names the same template)."""
    if load is True:
        return _fill_embedded
    if load is False or load is None:
        return None
    return load


def _template_name(fill) -> str:
    return {None: "empty", _fill_embedded: "loaded"}.get(fill, getattr(fill, "__name__", "tpl"))


def _build_template(admin, load) -> str:
    name = create_pg_database(admin)
    _prepare(_pg_url(name), load)
    return name


def _prepare(url: str, load) -> None:
    engine = make_engine(url, read_only=False)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    fill = _template_fill(load)
    if fill is not None:
        fill(url)


@pytest.fixture(scope="session")
def pg_templates(pg_admin):
    made: dict = {}

    def get(load) -> str:
        fill = _template_fill(load)
        if fill not in made:
            made[fill] = _build_template(pg_admin, fill)
        return made[fill]

    yield get
    for name in made.values():
        drop_pg_database(pg_admin, name)


# --- SQLite -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory):
    made: dict = {}

    def get(load) -> Path:
        fill = _template_fill(load)
        if fill not in made:
            path = tmp_path_factory.mktemp("tpl") / f"{_template_name(fill)}.sqlite"
            _prepare(f"sqlite:///{path}", fill)
            made[fill] = path
        return made[fill]

    return get


def _store(request, tmp_path, load):
    """This test's own store (request.param: the backend), a copy of the template `load` names
    (see _template_fill): a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "perr.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_templates")(load), path)
        yield f"sqlite:///{path}"
        shared_engine.cache_clear()
        return
    admin = request.getfixturevalue("pg_admin")
    name = create_pg_database(admin, request.getfixturevalue("pg_templates")(load))
    yield _pg_url(name)
    shared_engine.cache_clear()
    drop_pg_database(admin, name)


@pytest.fixture(scope="session")
def store_from_template():
    """For fixtures of other kinds of store (tests/editing_support.py, tests/geofixtures.py):
    in a fixture parametrized like `empty_url`, `yield from store_from_template(request,
    tmp_path, fill)` gives the test its own copy of a store migrated then filled by
    `fill(url)` once per session and backend, instead of filling every test's store anew."""
    return _store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def empty_url(request, tmp_path):
    """URL of a migrated, empty store; the test runs once per backend."""
    yield from _store(request, tmp_path, load=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def loaded_url(request, tmp_path):
    """URL of a store with the embedded default loaded; the test runs once per backend."""
    yield from _store(request, tmp_path, load=True)


@pytest.fixture(scope="session")
def embedded_sqlite(sqlite_templates) -> Path:
    """Read-only use: the embedded default in SQLite with its figures stored, built once (its
    own template: a page that warmed the figures of `loaded_url`'s template would write into a
    file other tests copy). Copy it before writing."""
    return sqlite_templates(_fill_embedded_with_figures)


@pytest.fixture
def rw_engine():
    """rw_engine(url) → a read-write engine, disposed at the end of the test."""
    engines = []

    def make(url: str):
        engines.append(make_engine(url, read_only=False))
        return engines[-1]

    yield make
    for e in engines:
        e.dispose()


@pytest.fixture
def seeds() -> Path:
    return SEEDS


@pytest.fixture
def shared_data() -> Path:
    """Small extracts of the official files (tests/fixtures, built by `make embedded`), laid
    out like ../shared/data: the tests never need ../shared itself."""
    return Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def fresh_database(request, tmp_path):
    """URL of a database with no table at all (not even revision 0001): migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite'}"
        return
    admin = request.getfixturevalue("pg_admin")
    name = create_pg_database(admin)
    yield _pg_url(name)
    drop_pg_database(admin, name)


@pytest.fixture
def reader_url(loaded_url, monkeypatch):
    """The URL the public instance gets: on PostgreSQL a fresh role made by the provided script
    docs/sql/public-role.sql (dropped at the end); on SQLite the file itself (read-only is the
    engine's business)."""
    monkeypatch.setenv("PERR_PUBLIC", "1")
    if not loaded_url.startswith("postgresql"):
        yield loaded_url
        return
    role = f"perr_lecteur_{uuid.uuid4().hex[:8]}"
    create_public_role(loaded_url, role)
    yield make_url(loaded_url).set(username=role).render_as_string(hide_password=False)
    drop_role(loaded_url, role)
