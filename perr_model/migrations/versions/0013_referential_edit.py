"""archived on the referential's items: a referential stays editable after it is loaded
(issue 25, item 3)

`archived` (false by default) on axis, strategic_objective, objective_group,
operational_objective and commitment. An archived item (or one under an archived parent) leaves
the referential's counts (docs/ARCHITECTURE.md, figure table): it is no angle mort, no longer
in the totals; the actions linked to it keep their links (action_objective, action_commitment,
action_axis are untouched, so the derived link tables of 0004 and their triggers stay as they
are). The five tables already carry their data-version triggers (0007): adding a column keeps
them, and an UPDATE of `archived` moves the version like any other.

Revision ID: 0013_referential_edit
Revises: 0011_sign_in_throttle
"""
from alembic import op
import sqlalchemy as sa

revision = "0013_referential_edit"
down_revision = "0011_sign_in_throttle"
branch_labels = None
depends_on = None

TABLES = ("axis", "strategic_objective", "objective_group", "operational_objective",
          "commitment")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("archived", sa.Boolean(), nullable=False,
                                       server_default="0"))


def downgrade() -> None:
    for table in TABLES:
        # plain ALTER (SQLite 3.35+): a batch copy would drop the tables' triggers
        op.execute(f"ALTER TABLE {table} DROP COLUMN archived")
