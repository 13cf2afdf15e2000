"""The public instance's PostgreSQL role (issue 28, item 5), against the real server.

The role docs/sql/public-role.sql creates is accepted and can write nothing, even after `SET
TRANSACTION READ WRITE`. Each other kind of role — the script's role plus one more right — is
refused at start-up, naming what it could do; and for each, the same role outside the public
instance really can write that way (so the refusal is not a false alarm)."""
import uuid

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from perr_model.errors import ReadOnlyStore
from perr_model.store import make_engine
from role_support import create_public_role, drop_role

PG_ONLY = pytest.mark.parametrize("loaded_url", [pytest.param("postgresql", marks=pytest.mark.pg)],
                                  indirect=True)

# (kind, SQL run by the superuser after the script: {role} the public role, {other} a second
# role, {schema} a schema, {db} the database), the refusal's words, and what the role can then
# do with `SET TRANSACTION READ WRITE` (each a list of statements run as the role).
KINDS = {
    "the old recommendation (SELECT only, large objects left to PUBLIC)": (
        ["GRANT EXECUTE ON FUNCTION lo_from_bytea(oid, bytea) TO PUBLIC"],
        "objets larges", ["SELECT lo_from_bytea(0, 'x'::bytea)"]),
    "a column-level UPDATE grant": (
        ["GRANT UPDATE (password_hash) ON user_account TO {role}"],
        "il peut modifier 1 table(s)", ["UPDATE user_account SET password_hash = 'x'"]),
    "NOINHERIT membership of a writer": (
        ["ALTER ROLE {role} NOINHERIT", "CREATE ROLE {other} NOLOGIN",
         "GRANT UPDATE ON pillar TO {other}", "GRANT {other} TO {role}"],
        "rôle « {other} », dont il est membre, qui peut écrire : il peut modifier 1 table(s)",
        ["SET ROLE {other}", "UPDATE pillar SET name = 'Z'"]),
    "a writer two memberships away": (
        ["CREATE ROLE {other}_mid NOLOGIN NOINHERIT", "CREATE ROLE {other} NOLOGIN",
         "GRANT DELETE ON funding_line TO {other}", "GRANT {other} TO {other}_mid",
         "GRANT {other}_mid TO {role}"],
        "rôle « {other} », dont il est membre",
        ["SET ROLE {other}", "DELETE FROM funding_line"]),
    "CREATE on a schema outside search_path": (
        ["CREATE SCHEMA {schema}", "GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}"],
        "créer des objets dans 1 schéma(s)", ["CREATE TABLE {schema}.copie (x int)"]),
    "CREATE on the database": (
        ['GRANT CREATE ON DATABASE "{db}" TO {role}'],
        "créer des schémas", ["CREATE SCHEMA {schema}"]),
    "a sequence it may advance": (
        ["GRANT USAGE ON SEQUENCE action_id_seq TO {role}"],
        "séquence", ["SELECT nextval('action_id_seq')"]),
    "a SECURITY DEFINER function of a writer": (
        ["CREATE FUNCTION public.{other}_f() RETURNS void LANGUAGE sql SECURITY DEFINER "
         "AS 'DELETE FROM funding_line'", "GRANT EXECUTE ON FUNCTION public.{other}_f() TO {role}"],
        "SECURITY DEFINER", ["SELECT public.{other}_f()"]),
    "membership of pg_write_server_files": (
        ["GRANT pg_write_server_files TO {role}"],
        "écrire des fichiers", []),
    "CREATEROLE": (
        ["ALTER ROLE {role} CREATEROLE"], "attribut d'administration",
        ["CREATE ROLE {other}_new"]),
}


@pytest.fixture
def roles(loaded_url, monkeypatch):
    """(names for the SQL above, the public role's URL); every role made is dropped after."""
    monkeypatch.setenv("PERR_PUBLIC", "1")
    tag = uuid.uuid4().hex[:8]
    names = {"role": f"perr_pub_{tag}", "other": f"perr_ecr_{tag}", "schema": f"autre_{tag}",
             "db": make_url(loaded_url).database}
    create_public_role(loaded_url, names["role"])
    yield names, make_url(loaded_url).set(username=names["role"]).render_as_string(
        hide_password=False)
    admin = create_engine(loaded_url)
    with admin.connect() as c:
        made = c.execute(text("select rolname from pg_roles where rolname like :p"),
                         {"p": f"perr_%{tag}%"}).scalars().all()
    admin.dispose()
    for name in sorted(made, key=lambda n: n != names["role"]):  # members first
        drop_role(loaded_url, name)


def _as_superuser(url: str, statements: list[str]) -> None:
    engine = create_engine(url)
    with engine.begin() as c:
        for sql in statements:
            c.execute(text(sql))
    engine.dispose()


def _writes(url: str, statements: list[str]) -> bool:
    """Whether the role of `url`, outside the public instance, gets these through (rolled
    back either way)."""
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            c.execute(text("SET TRANSACTION READ WRITE"))
            for sql in statements:
                c.execute(text(sql))
            c.rollback()
        return True
    except DBAPIError:
        return False
    finally:
        engine.dispose()


@PG_ONLY
def test_the_provided_script_makes_a_role_that_starts_and_writes_nothing(roles):
    names, url = roles
    engine = make_engine(url)   # accepted: no exception
    with engine.connect() as c:
        assert c.execute(text("select count(*) from pillar")).scalar() > 0
    engine.dispose()
    for _setup, _words, exploit in KINDS.values():
        if exploit:
            assert not _writes(url, [sql.format(**names) for sql in exploit]), exploit


@PG_ONLY
@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_of_writing_role_is_refused(kind, roles, loaded_url):
    names, url = roles
    setup, words, exploit = KINDS[kind]
    _as_superuser(loaded_url, [sql.format(**names) for sql in setup])
    with pytest.raises(ReadOnlyStore) as info:
        make_engine(url)
    message = str(info.value)
    assert message.startswith(f"Instance publique non démarrée : le rôle PostgreSQL "
                              f"« {names['role']} » peut écrire (")
    assert words.format(**names) in message
    if exploit:   # the hole is real: the same role, on a plain connection, writes
        assert _writes(url, [sql.format(**names) for sql in exploit])
