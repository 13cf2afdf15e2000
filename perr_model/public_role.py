"""The PostgreSQL role of the public instance can only read (issue 13 item 5, issue 28 item 5).

`default_transaction_read_only` is the connection's first barrier, and `SET TRANSACTION READ
WRITE` undoes it: so the public instance (PERR_PUBLIC=1) refuses to start unless its role is a
plain reader. `check_public_role` (run by `store.make_engine` when it makes the public read-only
engine) examines the role and every role it could act as — each role it is a member of,
directly or through others, INHERIT or NOINHERIT alike, since `SET ROLE` reaches them all — and
refuses when any of them:

- is a superuser, bypasses row security, or may create databases or roles, or replicate;
- may write any table, view or sequence: INSERT/UPDATE/DELETE/TRUNCATE/REFERENCES/TRIGGER on a
  table, or INSERT/UPDATE on one of its columns (a column-level grant), USAGE/UPDATE on a
  sequence (owners have all of these);
- may CREATE in any schema (in `search_path` or not) or in the database (new schemas);
- may create or change large objects: EXECUTE on the server-side large-object functions that
  write (granted to PUBLIC by default: docs/sql/public-role.sql revokes them), an existing
  large object it owns or may update, or `lo_compat_privileges` on;
- may execute a SECURITY DEFINER function of another role (it would run with that role's rights);
- is a predefined role that writes server files or runs server programs.

docs/sql/public-role.sql creates a role that passes; tests/test_public_role.py checks each kind
of refusal against a real server.
"""
from __future__ import annotations

from sqlalchemy import Connection, Engine, text

# Server-side large-object functions that create, change or remove one.
LARGE_OBJECT_WRITERS = (
    "lo_creat(integer)", "lo_create(oid)", "lo_from_bytea(oid, bytea)", "lo_import(text)",
    "lo_import(text, oid)", "lo_put(oid, bigint, bytea)", "lo_unlink(oid)",
    "lowrite(integer, bytea)", "lo_truncate(integer, integer)",
    "lo_truncate64(integer, bigint)")

SERVER_FILE_ROLES = ("pg_write_server_files", "pg_execute_server_program")

_USER_RELATIONS = (
    "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
    "where n.nspname not in ('pg_catalog', 'information_schema') "
    "and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%' ")

# role oid → French description of each way it can write (an empty list: a plain reader).
_CHECKS = [
    ("select rolsuper from pg_roles where oid = :r", "c'est un super-utilisateur"),
    ("select rolbypassrls or rolcreatedb or rolcreaterole or rolreplication "
     "from pg_roles where oid = :r",
     "il a un attribut d'administration (BYPASSRLS, CREATEDB, CREATEROLE ou REPLICATION)"),
    ("select count(*) " + _USER_RELATIONS + "and c.relkind in ('r', 'p', 'v', 'm', 'f') and ("
     "has_table_privilege(:r, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') "
     "or has_any_column_privilege(:r, c.oid, 'INSERT, UPDATE, REFERENCES'))",
     "il peut modifier {n} table(s)"),
    ("select count(*) " + _USER_RELATIONS + "and case when c.relkind = 'S' "  # CASE: only then
     "then has_sequence_privilege(:r, c.oid, 'USAGE, UPDATE') else false end",
     "il peut faire avancer {n} séquence(s)"),
    ("select count(*) from pg_namespace where has_schema_privilege(:r, oid, 'CREATE')",
     "il peut créer des objets dans {n} schéma(s)"),
    ("select has_database_privilege(:r, current_database(), 'CREATE')",
     "il peut créer des schémas dans la base"),
    ("select count(*) from unnest(cast(:lo as text[])) f "
     "where has_function_privilege(:r, 'pg_catalog.' || f, 'EXECUTE')",
     "il peut créer ou modifier des objets larges (large objects, {n} fonction(s))"),
    ("select count(*) from pg_largeobject_metadata m where m.lomowner = :r "
     "or exists (select 1 from aclexplode(m.lomacl) a "
     "where a.grantee in (:r, 0) and a.privilege_type = 'UPDATE')",
     "il peut modifier {n} objet(s) large(s) existant(s)"),
    ("select current_setting('lo_compat_privileges') = 'on'",
     "le réglage lo_compat_privileges ouvre les objets larges à tous"),
    ("select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
     "where p.prosecdef and p.proowner <> :r "
     "and n.nspname not in ('pg_catalog', 'information_schema') "
     "and has_function_privilege(:r, p.oid, 'EXECUTE')",
     "il peut exécuter {n} fonction(s) SECURITY DEFINER d'un autre rôle"),
    ("select rolname = any(cast(:files as text[])) from pg_roles where oid = :r",
     "il peut écrire des fichiers ou lancer des programmes sur le serveur"),
]

_CHECKS = [(sql.replace(":r", "cast(:r as oid)"), sentence) for sql, sentence in _CHECKS]

# The roles `current_user` can act as: itself first, then every role it is a member of,
# directly or through another (pg_auth_members, whatever its INHERIT option).
_REACHABLE = text(
    "with recursive reach(oid, depth) as ("
    " select oid, 0 from pg_roles where rolname = current_user"
    " union select m.roleid, r.depth + 1 from pg_auth_members m join reach r on m.member = r.oid"
    " where r.depth < 50) "
    "select r.oid, a.rolname from (select oid, min(depth) d from reach group by oid) r "
    "join pg_roles a on a.oid = r.oid order by r.d, a.rolname")


def role_problems(conn: Connection, role_oid: int) -> list[str]:
    """Every way the role `role_oid` could write, in French (empty: it only reads)."""
    params = {"r": role_oid, "lo": list(LARGE_OBJECT_WRITERS), "files": list(SERVER_FILE_ROLES)}
    problems = []
    for sql, sentence in _CHECKS:
        n = conn.execute(text(sql), {k: v for k, v in params.items() if f":{k}" in sql}).scalar()
        if n:
            problems.append(sentence.format(n=int(n)))
    return problems


def public_role_problems(conn: Connection) -> tuple[str, list[str]]:
    """(current role, every reason it may not serve the public instance)."""
    reachable = conn.execute(_REACHABLE).all()
    (own_oid, role), others = reachable[0], reachable[1:]
    problems = role_problems(conn, own_oid)
    for oid, name in others:
        found = role_problems(conn, oid)
        if found:
            problems.append(f"il peut agir comme le rôle « {name} », dont il est membre, "
                            "qui peut écrire : " + " ; ".join(found))
    return role, problems


def check_public_role(engine: Engine) -> None:
    """Refuse a PostgreSQL role that could write: the public instance must not start with it."""
    from .errors import ReadOnlyStore
    with engine.connect() as conn:
        role, problems = public_role_problems(conn)
    if problems:
        raise ReadOnlyStore(
            f"Instance publique non démarrée : le rôle PostgreSQL « {role} » peut écrire ("
            + ", ".join(problems) + "). Donnez-lui un rôle qui n'a que le droit de lecture "
            "(docs/sql/public-role.sql, voir docs/public-instance.md).")
