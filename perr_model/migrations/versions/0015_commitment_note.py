"""commitment.note: the protocol's context sentences about an engagement (issue 24, item 3)

A line of an « Exemples d'actions en cours » list that a reader of the protocol judged to be
context (a date, a sentence about the past, a signature) is not an action: the reviewed
referential (data/referential/*.yaml, `decision: note`) keeps it as a note of its engagement,
one line each, in this column. Plain ADD COLUMN: the table is not rebuilt, its data-version
triggers (0007) stay.

Revision ID: 0015_commitment_note
Revises: 0014_frames
"""
from alembic import op
import sqlalchemy as sa

revision = "0015_commitment_note"
down_revision = "0014_frames"
branch_labels = None
depends_on = None


def _fire_pending_triggers() -> None:
    """PostgreSQL: the migrations run in one transaction, and an earlier revision's UPDATE of
    commitment (0014) leaves deferred data-version trigger events pending, which forbid an ALTER
    TABLE; fire them now."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")


def upgrade() -> None:
    _fire_pending_triggers()
    op.add_column("commitment", sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    _fire_pending_triggers()
    # plain ALTER (SQLite 3.35+): a batch copy of commitment would cascade-delete its links
    op.execute("ALTER TABLE commitment DROP COLUMN note")
