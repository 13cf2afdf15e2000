"""Merge the two 0002 branches (protocol links, scale indexes) into one head.

Revision ID: 0003_merge
Revises: 0002_protocol, 0002_scale
"""

revision = "0003_merge"
down_revision = ("0002_protocol", "0002_scale")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
