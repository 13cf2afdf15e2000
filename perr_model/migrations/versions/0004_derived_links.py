"""Derived link tables kept by the database: action → axes served, action → communes reached.

Every coverage figure asks "which axes does this action serve?" (directly, through one of its
operational objectives, or through a commune commitment mapped to an axis) and "which communes
does it reach?" (directly or through one of its quartiers). Computed as unions on every read,
the de-duplication dominated the dashboard queries at national scale (bench/scale.py: 0.4 to
1.3 s on PostgreSQL at 200,000 actions). These two tables hold the answer, one row per pair,
and triggers keep them exact on every write, whatever writes (forms, importers, bulk inserts,
cascading deletes, a manual SQL statement): the application never writes them.

- action_axis_served(action_id, axis_id): union of action_axis, action_objective → strategic
  objective's axis, action_commitment → commitment.axis_id (when set);
- action_commune_reached(action_id, commune_id): union of action_commune and
  action_qpv → qpv_commune.

Each row also carries a copy of its action's territory_id, archived, year_start and year_end
(kept by a trigger on Action), so that "live actions of this territory this year" is read from
the derived table itself, without a join on Action.

Inserts add pairs (INSERT OR IGNORE / ON CONFLICT DO NOTHING); deletes and updates recompute
the actions concerned from the source tables. No foreign keys on purpose: rows only exist for
actions that exist (every statement joins Action), and a trigger removes an action's rows when
it is deleted.

Also: ix_action_live gains `id` and `holder_name` as last columns, so that PostgreSQL reads
the ids (and holders) of a territory's live actions from the index alone.

Revision ID: 0004_derived_links
Revises: 0003_merge
"""
from alembic import op

revision = "0004_derived_links"
down_revision = "0003_merge"
branch_labels = None
depends_on = None

SERVED_SOURCES = """
    SELECT aa.action_id AS action_id, aa.axis_id AS x FROM action_axis aa WHERE {where_aa}
    UNION
    SELECT ao.action_id AS action_id, so.axis_id AS x FROM action_objective ao
      JOIN operational_objective oo ON oo.id = ao.objective_id
      JOIN objective_group og ON og.id = oo.group_id
      JOIN strategic_objective so ON so.id = og.strategic_objective_id
     WHERE {where_ao}
    UNION
    SELECT ac.action_id AS action_id, c.axis_id AS x FROM action_commitment ac
      JOIN commitment c ON c.id = ac.commitment_id
     WHERE c.axis_id IS NOT NULL AND {where_ac}"""

REACHED_SOURCES = """
    SELECT acm.action_id AS action_id, acm.commune_id AS x FROM action_commune acm WHERE {where_acm}
    UNION
    SELECT aq.action_id AS action_id, qc.commune_id AS x FROM action_qpv aq
      JOIN qpv_commune qc ON qc.qpv_id = aq.qpv_id
     WHERE {where_aq}"""


def served_of(actions: str) -> str:
    """SELECT (action_id, axis_id) of the actions whose ids `actions` (an SQL set) gives."""
    return SERVED_SOURCES.format(where_aa=f"aa.action_id IN ({actions})",
                                 where_ao=f"ao.action_id IN ({actions})",
                                 where_ac=f"ac.action_id IN ({actions})")


def reached_of(actions: str) -> str:
    return REACHED_SOURCES.format(where_acm=f"acm.action_id IN ({actions})",
                                  where_aq=f"aq.action_id IN ({actions})")


ACTION_COLS = "territory_id, archived, year_start, year_end"


def with_action(pairs: str) -> str:
    """Pairs (columns named action_id, x) → rows of a derived table: the action's columns joined, and only
    for actions that exist (not one being deleted)."""
    return (f"SELECT p.action_id, p.x, a.territory_id, a.archived, a.year_start, a.year_end "
            f"FROM ({pairs}) p JOIN action a ON a.id = p.action_id")


def recompute(table: str, cols: str, sources, actions: str, sqlite: bool) -> str:
    """Statements that rebuild `table`'s rows for the actions of `actions`."""
    return (f"DELETE FROM {table} WHERE action_id IN ({actions});\n"
            + add(table, cols, sources(actions), sqlite))


def add(table: str, cols: str, pairs: str, sqlite: bool) -> str:
    """Statement that adds the rows of (action_id, x) `pairs` (duplicates ignored)."""
    if sqlite:
        return f"INSERT OR IGNORE INTO {table} ({cols}, {ACTION_COLS}) {with_action(pairs)};"
    return (f"INSERT INTO {table} ({cols}, {ACTION_COLS}) {with_action(pairs)} "
            f"ON CONFLICT DO NOTHING;")


SERVED = ("action_axis_served", "action_id, axis_id", served_of)
REACHED = ("action_commune_reached", "action_id, commune_id", reached_of)

# (name, table, event, body builder). Bodies see NEW/OLD as rows: `{new}`/`{old}` stand for the
# row's alias (NEW/OLD on SQLite and in PostgreSQL row triggers).
#
# "add" events on the source link tables; "recompute" events for what removes or moves links.
OBJECTIVE_AXIS = ("SELECT {r}.action_id AS action_id, so.axis_id AS x FROM operational_objective oo "
                  "JOIN objective_group og ON og.id = oo.group_id "
                  "JOIN strategic_objective so ON so.id = og.strategic_objective_id "
                  "WHERE oo.id = {r}.objective_id")
COMMITMENT_AXIS = ("SELECT {r}.action_id AS action_id, c.axis_id AS x FROM commitment c "
                   "WHERE c.id = {r}.commitment_id AND c.axis_id IS NOT NULL")
QPV_COMMUNES = ("SELECT {r}.action_id AS action_id, qc.commune_id AS x FROM qpv_commune qc "
                "WHERE qc.qpv_id = {r}.qpv_id")
QPV_ACTIONS = ("SELECT aq.action_id AS action_id, {r}.commune_id AS x FROM action_qpv aq "
               "WHERE aq.qpv_id = {r}.qpv_id")


def triggers(sqlite: bool) -> list[tuple[str, str, str, str]]:
    """(trigger name, table, event, body) for the row-level triggers."""
    def rec(target, actions):
        return recompute(target[0], target[1], target[2], actions, sqlite)

    def ins(target, select):
        return add(target[0], target[1], select, sqlite)

    def both(target, key="action_id"):  # an UPDATE of a link row: old and new actions
        return (rec(target, f"SELECT OLD.{key}") + "\n" + rec(target, f"SELECT NEW.{key}"))

    actions_of_commitment = "SELECT action_id FROM action_commitment WHERE commitment_id = NEW.id"
    actions_of_objective = "SELECT action_id FROM action_objective WHERE objective_id = NEW.id"
    actions_of_group = ("SELECT ao.action_id FROM action_objective ao JOIN operational_objective oo "
                        "ON oo.id = ao.objective_id WHERE oo.group_id = NEW.id")
    actions_of_strategic = (
        "SELECT ao.action_id FROM action_objective ao JOIN operational_objective oo "
        "ON oo.id = ao.objective_id JOIN objective_group og ON og.id = oo.group_id "
        "WHERE og.strategic_objective_id = NEW.id")
    actions_of_qpv_old = "SELECT action_id FROM action_qpv WHERE qpv_id = OLD.qpv_id"
    return [
        # axes served
        ("trg_served_axis_ins", "action_axis", "INSERT",
         ins(SERVED, "SELECT NEW.action_id AS action_id, NEW.axis_id AS x")),
        ("trg_served_axis_del", "action_axis", "DELETE", rec(SERVED, "SELECT OLD.action_id")),
        ("trg_served_axis_upd", "action_axis", "UPDATE", both(SERVED)),
        ("trg_served_objective_ins", "action_objective", "INSERT",
         ins(SERVED, OBJECTIVE_AXIS.format(r="NEW"))),
        ("trg_served_objective_del", "action_objective", "DELETE",
         rec(SERVED, "SELECT OLD.action_id")),
        ("trg_served_objective_upd", "action_objective", "UPDATE", both(SERVED)),
        ("trg_served_commitment_ins", "action_commitment", "INSERT",
         ins(SERVED, COMMITMENT_AXIS.format(r="NEW"))),
        ("trg_served_commitment_del", "action_commitment", "DELETE",
         rec(SERVED, "SELECT OLD.action_id")),
        ("trg_served_commitment_upd", "action_commitment", "UPDATE", both(SERVED)),
        ("trg_served_commitment_axis", "commitment", "UPDATE OF axis_id",
         rec(SERVED, actions_of_commitment)),
        ("trg_served_objective_move", "operational_objective", "UPDATE OF group_id",
         rec(SERVED, actions_of_objective)),
        ("trg_served_group_move", "objective_group", "UPDATE OF strategic_objective_id",
         rec(SERVED, actions_of_group)),
        ("trg_served_strategic_move", "strategic_objective", "UPDATE OF axis_id",
         rec(SERVED, actions_of_strategic)),
        ("trg_served_axis_gone", "axis", "DELETE",
         "DELETE FROM action_axis_served WHERE axis_id = OLD.id;"),
        # communes reached
        ("trg_reached_commune_ins", "action_commune", "INSERT",
         ins(REACHED, "SELECT NEW.action_id AS action_id, NEW.commune_id AS x")),
        ("trg_reached_commune_del", "action_commune", "DELETE",
         rec(REACHED, "SELECT OLD.action_id")),
        ("trg_reached_commune_upd", "action_commune", "UPDATE", both(REACHED)),
        ("trg_reached_qpv_ins", "action_qpv", "INSERT", ins(REACHED, QPV_COMMUNES.format(r="NEW"))),
        ("trg_reached_qpv_del", "action_qpv", "DELETE", rec(REACHED, "SELECT OLD.action_id")),
        ("trg_reached_qpv_upd", "action_qpv", "UPDATE", both(REACHED)),
        ("trg_reached_qpvcommune_ins", "qpv_commune", "INSERT",
         ins(REACHED, QPV_ACTIONS.format(r="NEW"))),
        ("trg_reached_qpvcommune_del", "qpv_commune", "DELETE",
         rec(REACHED, actions_of_qpv_old)),
        ("trg_reached_qpvcommune_upd", "qpv_commune", "UPDATE",
         rec(REACHED, actions_of_qpv_old) + "\n"
         + rec(REACHED, "SELECT action_id FROM action_qpv WHERE qpv_id = NEW.qpv_id")),
        ("trg_reached_commune_gone", "commune", "DELETE",
         "DELETE FROM action_commune_reached WHERE commune_id = OLD.id;"),
        # the action itself
        ("trg_derived_action_moved", "action",
         "UPDATE OF territory_id, archived, year_start, year_end",
         "\n".join(f"UPDATE {t} SET territory_id = NEW.territory_id, archived = NEW.archived, "
                   f"year_start = NEW.year_start, year_end = NEW.year_end "
                   f"WHERE action_id = NEW.id;" for t in (SERVED[0], REACHED[0]))),
        ("trg_derived_action_gone", "action", "DELETE",
         "DELETE FROM action_axis_served WHERE action_id = OLD.id;\n"
         "DELETE FROM action_commune_reached WHERE action_id = OLD.id;"),
    ]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_action_live", table_name="action")
    op.create_index("ix_action_live", "action",
                    ["territory_id", "archived", "year_start", "year_end", "id", "holder_name"])
    copies = ("territory_id INTEGER NOT NULL, archived BOOLEAN NOT NULL, "
              "year_start INTEGER, year_end INTEGER")
    for table, x in (("action_axis_served", "axis_id"), ("action_commune_reached", "commune_id")):
        op.execute(f"CREATE TABLE {table} (action_id INTEGER NOT NULL, {x} INTEGER NOT NULL, "
                   f"{copies}, CONSTRAINT pk_{table} PRIMARY KEY (action_id, {x}))")
        op.execute(f"CREATE INDEX ix_{table}_{x.split('_')[0]} ON {table} ({x}, action_id)")
        op.execute(f"CREATE INDEX ix_{table}_live ON {table} "
                   f"(territory_id, archived, year_start, year_end)")
    op.execute(f"INSERT INTO action_axis_served (action_id, axis_id, {ACTION_COLS}) "
               + with_action(SERVED_SOURCES.format(where_aa="1 = 1", where_ao="1 = 1",
                                                   where_ac="1 = 1")))
    op.execute(f"INSERT INTO action_commune_reached (action_id, commune_id, {ACTION_COLS}) "
               + with_action(REACHED_SOURCES.format(where_acm="1 = 1", where_aq="1 = 1")))
    for name, table, event, body in triggers(sqlite):
        if sqlite:
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW\n"
                       f"BEGIN\n{body}\nEND")
        else:
            op.execute(f"CREATE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                       f"BEGIN\n{body}\nRETURN NULL;\nEND\n$$")
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW "
                       f"EXECUTE FUNCTION {name}_fn()")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, table, _event, _body in triggers(sqlite):
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}_fn()")
    op.execute("DROP TABLE action_commune_reached")
    op.execute("DROP TABLE action_axis_served")
    op.drop_index("ix_action_live", table_name="action")
    op.create_index("ix_action_live", "action",
                    ["territory_id", "archived", "year_start", "year_end"])
