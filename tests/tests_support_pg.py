"""`fresh_database`: a database with no table at all (not even revision 0001), on SQLite and
PostgreSQL, for the migration tests."""
from __future__ import annotations

import pytest

from conftest import _pg_url, create_pg_database, drop_pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def fresh_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite'}"
        return
    admin = request.getfixturevalue("pg_admin")
    name = create_pg_database(admin)
    yield _pg_url(name)
    drop_pg_database(admin, name)
