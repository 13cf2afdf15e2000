"""data_change: the scope of each write, so that a refresh recomputes only what it changed
(issue 27, item 2)

A write that knows what it changes (an action created, edited, archived or restored: its
territory and the years its figures cover, before and after) says so in its transaction
(`figures.stored.note_scope`); `write_session` then adds one row per territory touched, with
the data versions the write moved from and to (`n_before`, `n_after`). The refresher recomputes
the figures of those territory × years only when the rows explain every version between the
stored figures and the current one; any other write (raw SQL, an official file, a territory
created…) leaves a gap and the next refresh recomputes everything. No version trigger: no figure
reads this table.

Revision ID: 0017_data_change
Revises: 0016_status_reported
"""
from alembic import op
import sqlalchemy as sa

revision = "0017_data_change"
down_revision = "0016_status_reported"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n_before", sa.BigInteger(), nullable=False),
        sa.Column("n_after", sa.BigInteger(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("years", sa.String(400), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_change")),
    )
    op.create_index("ix_data_change_n_after", "data_change", ["n_after"])


def downgrade() -> None:
    op.drop_index("ix_data_change_n_after", table_name="data_change")
    op.drop_table("data_change")
