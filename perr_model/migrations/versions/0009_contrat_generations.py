"""contrat_de_ville.generation: the two generations of contrats de ville (issue 25, item 1)

Since 2024 the contrats de ville are a new generation (2024–2030, one per EPCI/EPT, codes
CNdddddX; overseas contracts keep their CVnnn code). A code is now unique within its
generation; every existing contract is of the 2015 generation (2015–2023). The national lists
add the collectivities (`codgeo`: SIREN of the EPCI/EPT or INSEE code of the commune) and the
departments of each contract.

On SQLite the table is rebuilt (a UNIQUE constraint cannot be dropped in place): its data
version triggers (0007) are created again, and `perr_model.migrate` runs the migrations with
foreign keys off, then checks them.

Revision ID: 0009_contrat_generations
Revises: 0008_action_sort
"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0009_contrat_generations"
down_revision = "0008_action_sort"
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


def downgrade() -> None:
    later = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM contrat_de_ville WHERE generation <> 2015")).scalar_one()
    if later:
        raise RuntimeError(f"Retour impossible : la base contient {later} contrat(s) de ville "
                           "de la génération 2024, que le schéma précédent ne sait pas garder.")
    with op.batch_alter_table("contrat_de_ville", schema=None) as batch_op:
        batch_op.drop_constraint("uq_contrat_de_ville_code_generation", type_="unique")
        batch_op.create_unique_constraint("uq_contrat_de_ville_code", ["code"])
        batch_op.drop_column("departments")
        batch_op.drop_column("collectivities")
        batch_op.drop_column("generation")
    _restore_version_triggers()
