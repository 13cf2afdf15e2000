"""ix_action_title: the Actions list sorted by title, read in index order (issue 12)

The Actions page sorts the filtered list by title and shows 50 rows. Without an index the
database read every counted action of the territory and sorted them (167 ms on SQLite, 194 ms
on PostgreSQL for 200,000 actions); with (territory_id, title, id) it walks the territory's
titles in order and stops at the page's last row.

Revision ID: 0008_action_sort
Revises: 0007_figure_store
"""
from alembic import op

revision = "0008_action_sort"
down_revision = "0007_figure_store"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_action_title", "action", ["territory_id", "title", "id"])


def downgrade() -> None:
    op.drop_index("ix_action_title", table_name="action")
