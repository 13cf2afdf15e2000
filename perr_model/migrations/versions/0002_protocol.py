"""commitment_qpv: the quartiers a commitment of a protocol names (issue 2)

Revision ID: 0002_protocol
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_protocol"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commitment_qpv",
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("qpv_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["commitment_id"], ["commitment.id"], ondelete="CASCADE",
                                name=op.f("fk_commitment_qpv_commitment_id_commitment")),
        sa.ForeignKeyConstraint(["qpv_id"], ["qpv.id"], ondelete="CASCADE",
                                name=op.f("fk_commitment_qpv_qpv_id_qpv")),
        sa.PrimaryKeyConstraint("commitment_id", "qpv_id", name=op.f("pk_commitment_qpv")),
    )
    with op.batch_alter_table("commitment_qpv", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commitment_qpv_qpv_id"), ["qpv_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("commitment_qpv", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commitment_qpv_qpv_id"))
    op.drop_table("commitment_qpv")
