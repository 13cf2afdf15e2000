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
        assert (migrate.current_revision(engine) == migrate.script_heads()
                == "0017_data_change")
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


def test_derived_links_downgrade_then_upgrade_rebuilds_them(loaded_url):
    """0004 can be rolled back (tables and triggers gone: plain link writes still work) and
    re-applied: the derived tables are rebuilt from the link tables, equal to the definitions."""
    from sqlalchemy.orm import Session

    from perr_model.figures.definitions import axis_links_definition, commune_links_definition
    engine = make_engine(loaded_url, read_only=False)
    try:
        with engine.connect() as conn:
            before = conn.execute(text("select count(*) from action_axis_served")).scalar_one()
        assert before > 0
        migrate.downgrade(engine, "0003_merge")
        assert migrate.current_revision(engine) == "0003_merge"
        with engine.begin() as conn:
            tables = set(conn.dialect.get_table_names(conn))
            assert "action_axis_served" not in tables and "action_commune_reached" not in tables
            # a link written while 0004 is absent (no trigger may fire on a missing table)
            conn.execute(text("delete from action_qpv where action_id = "
                              "(select min(action_id) from action_qpv)"))
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.script_heads()
        with Session(engine) as s:
            served = {tuple(r) for r in s.execute(text(
                "select axis_id, action_id from action_axis_served")).all()}
            reached = {tuple(r) for r in s.execute(text(
                "select commune_id, action_id from action_commune_reached")).all()}
            assert served == {tuple(r) for r in s.execute(axis_links_definition()).all()}
            assert reached == {tuple(r) for r in s.execute(commune_links_definition()).all()}
            assert len(served) == before
    finally:
        engine.dispose()


def test_contract_generations_survive_a_downgrade_and_upgrade(loaded_url):
    """0010 rolled back then re-applied: the CNdddddX contracts come back in the 2024
    generation, the others in 2015, every reference kept."""
    engine = make_engine(loaded_url, read_only=False)
    query = text("select code, generation from contrat_de_ville where territory_id is not null")
    try:
        with engine.connect() as conn:
            before = set(conn.execute(query).all())
            lines = conn.execute(text("select count(*) from funding_line")).scalar_one()
        assert ("CN09304M", 2024) in before and ("CV351", 2015) in before
        migrate.downgrade(engine, "0008_action_sort")
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert set(conn.execute(query).all()) == before
            assert conn.execute(text(
                "select count(*) from funding_line f join contrat_de_ville c "
                "on c.id = f.contrat_de_ville_id")).scalar_one() == lines > 0
    finally:
        engine.dispose()


def test_frames_downgrade_then_upgrade_makes_each_referential_its_perr_frame(loaded_url):
    """0014 rolled back (table and columns gone) and re-applied: each territory with a
    referential gets its PERR frame, years from its protocol's period, every axis and
    commitment in it; axis and commitment keep their triggers (no table rebuilt)."""
    engine = make_engine(loaded_url, read_only=False)
    triggers = ("select count(*) from sqlite_master where type = 'trigger' and tbl_name in "
                "('axis', 'commitment')" if engine.dialect.name == "sqlite" else
                "select count(*) from pg_trigger where not tgisinternal and tgrelid in "
                "('axis'::regclass, 'commitment'::regclass)")
    try:
        with engine.connect() as conn:
            before = conn.execute(text(triggers)).scalar_one()
        assert before > 0
        migrate.downgrade(engine, "0011_sign_in_throttle")
        with engine.connect() as conn:
            assert "referential_frame" not in set(conn.dialect.get_table_names(conn))
            assert "frame_id" not in {c["name"] for c in
                                      conn.dialect.get_columns(conn, "axis")}
            assert conn.execute(text(triggers)).scalar_one() == before
        migrate.upgrade(engine)
        with engine.connect() as conn:
            frames = {r.slug: (r.kind, r.label, r.year_start, r.year_end, r.period)
                      for r in conn.execute(text(
                          "select t.slug, t.period, f.kind, f.label, f.year_start, f.year_end "
                          "from referential_frame f join territory t on t.id = f.territory_id"))}
            assert frames["paris-est-marne-et-bois"] == ("perr", "PERR", 2020, 2023, "2020-2023")
            assert frames["paris-terres-d-envol"][:4] == ("perr", "PERR", None, None)
            for table in ("axis", "commitment"):
                assert conn.execute(text(
                    f"select count(*) from {table} x left join referential_frame f on "
                    f"f.id = x.frame_id and f.territory_id = x.territory_id "
                    f"where f.id is null")).scalar_one() == 0
            assert conn.execute(text(triggers)).scalar_one() == before
    finally:
        engine.dispose()
