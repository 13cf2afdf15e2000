"""action.status_reported: whether a person gave the action's status (issue 24, item 2)

The actions cited by a protocol are loaded with the status « en cours » (the seed lists them as
« actions en cours »): a default, not a status somebody reported. Progress (Évaluation,
COPIL) is computed from reported statuses only; the others are « statut non renseigné ».
Existing protocol actions never edited since their load (version 1) are marked not reported;
every other action keeps its status as reported. A plain ADD / DROP COLUMN on both backends
(no table rebuild on SQLite: the data-version and derived-link triggers stay as they are).

Revision ID: 0016_status_reported
Revises: 0015_commitment_note
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_status_reported"
down_revision = "0015_commitment_note"
branch_labels = None
depends_on = None


def _fire_pending_triggers() -> None:
    """PostgreSQL: every migration runs in one transaction; an earlier revision's writes leave
    deferred data-version trigger events pending, which forbid an ALTER TABLE (see 0015)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")


def upgrade() -> None:
    _fire_pending_triggers()
    op.add_column("action", sa.Column("status_reported", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    action = sa.table("action", sa.column("origin"), sa.column("version"),
                      sa.column("status_reported"))
    op.get_bind().execute(action.update().where(action.c.origin == "protocol",
                                                action.c.version == 1)
                          .values(status_reported=False))


def downgrade() -> None:
    _fire_pending_triggers()
    # plain ALTER (SQLite 3.35+): a batch copy of action would drop its triggers and links
    op.execute("ALTER TABLE action DROP COLUMN status_reported")
