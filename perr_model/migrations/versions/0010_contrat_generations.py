"""contrat_de_ville.generation: the two generations of contrats de ville (issue 25, item 1)

Since 2024 the contrats de ville are a new generation (2024–2030, one per EPCI/EPT, codes
CNdddddX; overseas contracts keep their CVnnn code). A code is now unique within its
generation; an existing contract is of the 2015 generation (2015–2023), unless its code is a
CNdddddX one or it is a contract no commune names whose lines are all State posts of 2024 or
later (a database downgraded then upgraded again). The national lists
add the collectivities (`codgeo`: SIREN of the EPCI/EPT or INSEE code of the commune) and the
departments of each contract.

On SQLite the table is rebuilt (a UNIQUE constraint cannot be dropped in place): its data
version triggers (0007) are created again, and `perr_model.migrate` runs the migrations with
foreign keys off, then checks them.

Revision ID: 0010_contrat_generations
Revises: 0008_action_sort
"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0010_contrat_generations"
down_revision = "0009_session_token"
branch_labels = None
depends_on = None


def _figure_store():
    """0007's helpers (the trigger statements are written once, there)."""
    path = Path(__file__).with_name("0007_figure_store.py")
    spec = importlib.util.spec_from_file_location("perr_migration_0007", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _restore_version_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":  # the rebuilt table lost them
        _figure_store().add_version_triggers(["contrat_de_ville"], sqlite=True)


def upgrade() -> None:
    with op.batch_alter_table("contrat_de_ville", schema=None) as batch_op:
        batch_op.add_column(sa.Column("generation", sa.Integer(), nullable=False,
                                      server_default="2015"))
        batch_op.add_column(sa.Column("collectivities", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("departments", sa.String(length=40), nullable=True))
        batch_op.drop_constraint("uq_contrat_de_ville_code", type_="unique")
        batch_op.create_unique_constraint("uq_contrat_de_ville_code_generation",
                                          ["code", "generation"])
    _restore_version_triggers()
    op.execute(
        "UPDATE contrat_de_ville SET generation = 2024 WHERE code LIKE 'CN%' OR ("
        " NOT EXISTS (SELECT 1 FROM commune m WHERE m.contrat_de_ville_id = contrat_de_ville.id)"
        " AND EXISTS (SELECT 1 FROM funding_line f WHERE f.contrat_de_ville_id = "
        "contrat_de_ville.id)"
        " AND NOT EXISTS (SELECT 1 FROM funding_line f WHERE f.contrat_de_ville_id = "
        "contrat_de_ville.id AND (f.action_id IS NOT NULL OR f.year IS NULL OR f.year < 2024)))")


def downgrade() -> None:
    """The previous schema holds one contract per code: refused when a code names a contract
    in both generations (overseas CVnnn, « sans contrat de ville » buckets of both periods)."""
    twice = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM (SELECT code FROM contrat_de_ville GROUP BY code "
        "HAVING count(*) > 1) t")).scalar_one()
    if twice:
        raise RuntimeError(f"Retour impossible : {twice} code(s) de contrat de ville désignent "
                           "un contrat de chacune des deux générations, que le schéma précédent "
                           "ne sait pas distinguer.")
    with op.batch_alter_table("contrat_de_ville", schema=None) as batch_op:
        batch_op.drop_constraint("uq_contrat_de_ville_code_generation", type_="unique")
        batch_op.create_unique_constraint("uq_contrat_de_ville_code", ["code"])
        batch_op.drop_column("departments")
        batch_op.drop_column("collectivities")
        batch_op.drop_column("generation")
    _restore_version_triggers()
