"""referential_frame: successive frames of a territory's referential (issue 25, item 4)

A territory may hold its PERR (2020–2023) and its contrat de ville 2024–2030, each with its
years and its own axes, objectives and commitments. `referential_frame` (territory, kind
"perr" | "contrat-2024", label, year_start, year_end); `axis.frame_id` and
`commitment.frame_id` name the frame they belong to (objectives belong to their axis). The
existing referentials become the PERR frame of their territory, its years read from the
protocol's period ("2020-2023"; none when the document states none).

`axis.frame_id` and `commitment.frame_id` are plain integer columns, added in place with
ALTER TABLE (no rebuild of either table: their derived-link (0004) and data-version (0007)
triggers stay as they are); `referential_frame` is versioned like every table the figures
read.

Revision ID: 0014_frames
Revises: 0011_sign_in_throttle
"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0014_frames"
down_revision = "0013_referential_edit"
branch_labels = None
depends_on = None

VERSIONED = ("referential_frame",)   # a table the figures read: 0007's data-version triggers

def _figure_store():
    """0007's helpers (the trigger statements are written once, there)."""
    path = Path(__file__).with_name("0007_figure_store.py")
    spec = importlib.util.spec_from_file_location("perr_migration_0007", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "referential_frame",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("year_start", sa.Integer(), nullable=True),
        sa.Column("year_end", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["territory_id"], ["territory.id"], ondelete="CASCADE",
                                name=op.f("fk_referential_frame_territory_id_territory")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referential_frame")),
    )
    op.create_index(op.f("ix_referential_frame_territory_id"), "referential_frame",
                    ["territory_id"])
    for table in ("axis", "commitment"):
        op.add_column(table, sa.Column("frame_id", sa.Integer(), nullable=True))
        op.create_index(op.f(f"ix_{table}_frame_id"), table, ["frame_id"])
    _figure_store().add_version_triggers(VERSIONED, sqlite)
    from perr_model.frames import period_years
    bind = op.get_bind()
    territories = bind.execute(sa.text(
        "SELECT t.id, t.period FROM territory t WHERE EXISTS (SELECT 1 FROM axis a WHERE "
        "a.territory_id = t.id) OR EXISTS (SELECT 1 FROM commitment c WHERE "
        "c.territory_id = t.id) ORDER BY t.id")).all()
    for tid, period in territories:
        start, end = period_years(period)
        bind.execute(sa.text(
            "INSERT INTO referential_frame (territory_id, kind, label, year_start, year_end) "
            "VALUES (:t, 'perr', 'PERR', :s, :e)"), {"t": tid, "s": start, "e": end})
    for table in ("axis", "commitment"):
        op.execute(f"UPDATE {table} SET frame_id = (SELECT min(f.id) FROM referential_frame f "
                   f"WHERE f.territory_id = {table}.territory_id)")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for ev in ("ins", "upd", "del"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_version_referential_frame_{ev}")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_version_referential_frame ON referential_frame")
        op.execute("DROP TRIGGER IF EXISTS trg_version_referential_frame_truncate "
                   "ON referential_frame")
    for table in ("commitment", "axis"):
        op.drop_index(op.f(f"ix_{table}_frame_id"), table_name=table)
        if sqlite:  # in place (SQLite ≥ 3.35): a rebuild would drop the tables' triggers
            op.execute(f"ALTER TABLE {table} DROP COLUMN frame_id")
        else:
            op.drop_column(table, "frame_id")
    op.drop_index(op.f("ix_referential_frame_territory_id"), table_name="referential_frame")
    op.drop_table("referential_frame")
