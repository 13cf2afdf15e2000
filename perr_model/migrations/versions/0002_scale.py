"""indexes for the national scale (issue 6): live actions, amounts per action, communes → QPV

Measured on the synthetic national dataset (bench/scale.py, docs/postgresql.md).

Revision ID: 0002_scale
Revises: 0001
"""
from alembic import op


revision = "0002_scale"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.create_index("ix_action_live",
                              ["territory_id", "archived", "year_start", "year_end"], unique=False)
    with op.batch_alter_table("funding_line", schema=None) as batch_op:
        batch_op.create_index("ix_funding_line_action_year",
                              ["action_id", "year", "funder", "amount_approved",
                               "amount_requested"], unique=False)
    with op.batch_alter_table("qpv_commune", schema=None) as batch_op:
        batch_op.create_index("ix_qpv_commune_commune_id", ["commune_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("qpv_commune", schema=None) as batch_op:
        batch_op.drop_index("ix_qpv_commune_commune_id")
    with op.batch_alter_table("funding_line", schema=None) as batch_op:
        batch_op.drop_index("ix_funding_line_action_year")
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index("ix_action_live")
