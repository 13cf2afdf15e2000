"""An existing database upgrades with Alembic without loss: from revision 0001, with data."""
from decimal import Decimal

from sqlalchemy import text

from perr_model import migrate
from perr_model.store import make_engine


def test_upgrade_from_0001_keeps_the_data(fresh_database):
    engine = make_engine(fresh_database, read_only=False)
    try:
        migrate.upgrade(engine, "0001")
        assert migrate.current_revision(engine) == "0001"
        with engine.begin() as conn:
            conn.execute(text("insert into territory (id, slug, name, kind, axes_from_pillars, "
                              "is_synthetic) values (1, 't', 'Territoire', 'EPT', false, false)"))
            conn.execute(text("insert into contrat_de_ville (id, code, name, territory_id, "
                              "is_synthetic) values (1, 'CV915', 'Champigny', 1, false)"))
            conn.execute(text("insert into commune (id, insee_code, name, territory_id, "
                              "contrat_de_ville_id, is_synthetic) values "
                              "(1, '94017', 'Champigny-sur-Marne', 1, 1, false)"))
            conn.execute(text(
                "insert into action (id, reference, territory_id, title, status, year_start, "
                "start_date, origin, is_synthetic, archived, version, created_at, updated_at, "
                "created_by) values (1, 'R-1', 1, 'Atelier', 'en_cours', 2021, '2021-09-01', "
                "'manual', false, false, 3, '2021-09-01 10:00:00', '2021-09-02 10:00:00', "
                "'chef')"))
            conn.execute(text("insert into action_commune values (1, 1)"))
            conn.execute(text("insert into funding_line (action_id, contrat_de_ville_id, funder, "
                              "year, amount_approved, origin, is_synthetic) values "
                              "(1, 1, 'commune', 2021, 1234.5, 'manual', false)"))
            conn.execute(text("insert into user_account (username, password_hash, role, active, "
                              "created_at) values ('chef', '$2b$12$x', 'editor', true, "
                              "'2021-01-01 00:00:00')"))
            conn.execute(text("insert into audit_log (at, username, operation, entity, "
                              "entity_id, summary) values ('2021-09-02 10:00:00', 'chef', "
                              "'update', 'action', 1, 'modifiée')"))
        migrate.upgrade(engine, "heads")
        assert migrate.current_revision(engine) == migrate.script_heads() == "0004_derived_links"
        with engine.connect() as conn:
            row = conn.execute(text(
                "select a.reference, a.title, a.version, a.start_date, a.created_by, "
                "f.amount_approved, c.insee_code from action a "
                "join funding_line f on f.action_id = a.id "
                "join action_commune ac on ac.action_id = a.id "
                "join commune c on c.id = ac.commune_id")).one()
            assert row[:3] == ("R-1", "Atelier", 3) and row[4] == "chef"
            assert str(row[3])[:10] == "2021-09-01"
            assert Decimal(str(row[5])) == Decimal("1234.50") and row[6] == "94017"
            assert conn.execute(text("select count(*) from audit_log")).scalar_one() == 1
            assert conn.execute(text("select role from user_account")).scalar_one() == "editor"
    finally:
        engine.dispose()
