"""session_token: an editor stays signed in across a refresh and a new tab (issue 22)

One row per signed-in browser: the account, the sha256 of the token held by the browser's
cookie (never the token itself), when it was created, when it expires, when it was revoked
(sign-out, deactivated account). No data-version trigger: no figure reads it.

Revision ID: 0009_session_token
Revises: 0008_action_sort
"""
from alembic import op
import sqlalchemy as sa

revision = "0009_session_token"
down_revision = "0008_action_sort"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["user_account.id"], ondelete="CASCADE",
                                name=op.f("fk_session_token_account_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_session_token_token_hash")),
    )
    op.create_index(op.f("ix_session_token_account_id"), "session_token", ["account_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_session_token_account_id"), table_name="session_token")
    op.drop_table("session_token")
