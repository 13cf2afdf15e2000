"""indicator, indicator_value: the evaluation frame (issue 15)

Indicators attached to a node of the referential (territory, axis, strategic or operational
objective, commune commitment), optionally to a commune or a quartier, with baseline / target /
measured values by year and their source.

Revision ID: 0006_indicators
Revises: 0004_derived_links  (re-chained after 0005 at merge)
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_indicators"
down_revision = "0004_derived_links"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], ondelete="CASCADE",
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("node_kind", sa.String(30), nullable=False),
        sa.Column("axis_id", sa.Integer(), nullable=True),
        sa.Column("strategic_objective_id", sa.Integer(), nullable=True),
        sa.Column("objective_id", sa.Integer(), nullable=True),
        sa.Column("commitment_id", sa.Integer(), nullable=True),
        sa.Column("commune_id", sa.Integer(), nullable=True),
        sa.Column("qpv_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(60), nullable=False),
        sa.Column("direction", sa.String(10), nullable=True),
        sa.Column("aggregation", sa.String(10), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("indicator", "territory_id", "territory"),
        _fk("indicator", "axis_id", "axis"),
        _fk("indicator", "strategic_objective_id", "strategic_objective"),
        _fk("indicator", "objective_id", "operational_objective"),
        _fk("indicator", "commitment_id", "commitment"),
        _fk("indicator", "commune_id", "commune"),
        _fk("indicator", "qpv_id", "qpv"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator")),
    )
    for col in ("territory_id", "axis_id", "strategic_objective_id", "objective_id",
                "commitment_id", "commune_id", "qpv_id"):
        op.create_index(op.f(f"ix_indicator_{col}"), "indicator", [col], unique=False)
    op.create_table(
        "indicator_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("approximate", sa.Boolean(), nullable=False),
        sa.Column("quoted", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("source_place", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entered_by", sa.String(120), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        _fk("indicator_value", "indicator_id", "indicator"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_value")),
    )
    op.create_index("ix_indicator_value_key", "indicator_value", ["indicator_id", "kind", "year"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_indicator_value_key", table_name="indicator_value")
    op.drop_table("indicator_value")
    for col in ("territory_id", "axis_id", "strategic_objective_id", "objective_id",
                "commitment_id", "commune_id", "qpv_id"):
        op.drop_index(op.f(f"ix_indicator_{col}"), table_name="indicator")
    op.drop_table("indicator")
