"""data_version, figure_summary: figures read, not recomputed (issue 12, item 2)

The reading pages and the COPIL document show figures that change only when the data changes
(imports and edits), yet every visitor recomputed them. Two tables:

- `data_version (id = 1, n)`: a counter the **database** increments once at the commit of every
  transaction that wrote one of the tables the figures read (VERSIONED below), whoever writes:
  forms, importers, bulk inserts, cascades, a manual SQL statement;
- `figure_summary (name, args, territory_id, year, version, payload)`: a figure of
  perr_model.figures (headline, axis table, axis × commune matrix, map metrics, angles morts,
  State posts…) for one scope, computed at `version`. perr_model/figures/stored.py reads a row
  only when its version is the current `data_version.n`: a stored figure is the definition's
  answer for the data as it is, or it is not used.

Triggers:
- SQLite: row-level AFTER INSERT / UPDATE / DELETE triggers (one writer at a time: no lock order
  to worry about);
- PostgreSQL: a deferred constraint trigger per table (fires at commit, so the counter's row is
  the last lock a writing transaction takes: no deadlock with other writers), which increments
  once per transaction (a transaction-local setting remembers it did), plus a statement-level
  trigger for TRUNCATE.

Revision ID: 0007_figure_store
Revises: 0006_indicators
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_figure_store"
down_revision = "0006_indicators"
branch_labels = None
depends_on = None

# Every table of the store a figure can read, as of this revision. A later migration adding a
# table adds its trigger (tests/test_figures_stored.py checks every table has one).
VERSIONED = (
    "action", "action_axis", "action_commitment", "action_commune", "action_objective",
    "action_qpv", "axis", "cite_educative", "cite_educative_objective", "commitment",
    "commitment_qpv", "commune", "contrat_de_ville", "dataset", "example_action",
    "funding_line", "governance_body", "indicator", "indicator_value", "objective_group",
    "operational_objective", "pillar", "qpv", "qpv_commune", "signatory",
    "strategic_objective", "territory",
)
BUMP = "UPDATE data_version SET n = n + 1 WHERE id = 1"
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION perr_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT'
     OR current_setting('perr.data_version_bumped', true) IS DISTINCT FROM '1' THEN
    PERFORM set_config('perr.data_version_bumped', '1', true);
    UPDATE data_version SET n = n + 1 WHERE id = 1;
  END IF;
  RETURN NULL;
END $$"""


def sqlite_triggers(table: str) -> list[str]:
    return [f"CREATE TRIGGER trg_version_{table}_{ev[:3].lower()} AFTER {ev} ON {table} "
            f"BEGIN {BUMP}; END" for ev in ("INSERT", "UPDATE", "DELETE")]


def pg_triggers(table: str) -> list[str]:
    return [f"CREATE CONSTRAINT TRIGGER trg_version_{table} AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"EXECUTE FUNCTION perr_bump_data_version()",
            f"CREATE TRIGGER trg_version_{table}_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION perr_bump_data_version()"]


def add_version_triggers(tables, sqlite: bool) -> None:
    """Also used by later migrations for the tables they add."""
    for table in tables:
        for statement in (sqlite_triggers(table) if sqlite else pg_triggers(table)):
            op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.execute("INSERT INTO data_version (id, n) VALUES (1, 1)")
    op.create_table(
        "figure_summary",
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("args", sa.String(400), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", "args", name=op.f("pk_figure_summary")),
    )
    op.create_index("ix_figure_summary_version", "figure_summary", ["version"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.execute(PG_FUNCTION)
    add_version_triggers(VERSIONED, sqlite)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in VERSIONED:
        if sqlite:
            for ev in ("ins", "upd", "del"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_version_{table}_{ev}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS trg_version_{table} ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS trg_version_{table}_truncate ON {table}")
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS perr_bump_data_version()")
    op.drop_index("ix_figure_summary_version", table_name="figure_summary")
    op.drop_table("figure_summary")
    op.drop_table("data_version")
