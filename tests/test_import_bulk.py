"""The spreadsheet import writes its new actions in one go (issue 27: a 500-row file in ≤ 5 s):
what it stores is what the form's one-by-one creation stores — references, « statut non
renseigné », funding lines on the commune's contract, one audit entry per action, the write's
scope — and it costs a handful of statements, not a few per row. Expected values are worked by
hand from the file and read back by raw SQL, on both backends."""
import json

from sqlalchemy import event, text

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model.auth import Actor
from perr_model.importers.actions import guess_mapping, import_actions, read_table
from perr_model.store import write_session

HEADER = "reference;titre;communes;annee_debut;statut;financeur_1;montant_accorde_1\n"


def _import(engine, body: str, source="bulk.csv"):
    df = read_table((HEADER + body).encode("utf-8"), "bulk.csv")
    with write_session(engine) as s:
        return import_actions(s, Actor.system("test"), df, guess_mapping(list(df.columns)),
                              source=source)


def test_new_actions_get_what_a_one_by_one_creation_gives(store):
    engine, _actors, pemb, _pte = store
    with engine.connect() as c:
        assert c.execute(text("select count(*) from action where reference like "
                              "'94017-2023-%'")).scalar() == 0  # the hand-worked numbers below
        cv = c.execute(text("select contrat_de_ville_id from commune where insee_code = '94017'")
                       ).scalar()
    body = ("; Sans référence un;94017;2023;;Commune;1 500\n"        # → 94017-2023-001
            "94017-2023-002;Référence donnée;94017;2023;terminé;;\n"  # given: the stem's 002
            ";Sans référence deux;94017;2023;;État P147;200\n")       # 002 taken → 003
    report = _import(engine, body)
    assert report.created == 3
    assert [w[1:] for w in report.written_actions] == [  # in the file's order
        ("94017-2023-001", "Sans référence un", "créée"),
        ("94017-2023-002", "Référence donnée", "créée"),
        ("94017-2023-003", "Sans référence deux", "créée")]
    with engine.connect() as c:
        rows = c.execute(text(
            "select reference, status, status_reported, origin, source, version, archived, "
            "territory_id from action order by reference")).all()
        assert [(*r[:2], bool(r[2]), *r[3:6], bool(r[6]), r[7]) for r in rows] == [
            ("94017-2023-001", "en_cours", False, "import", "bulk.csv", 1, False, pemb),
            ("94017-2023-002", "terminee", True, "import", "bulk.csv", 1, False, pemb),
            ("94017-2023-003", "en_cours", False, "import", "bulk.csv", 1, False, pemb)]
        links = c.execute(text(
            "select a.reference, m.insee_code from action_commune l join action a on "
            "a.id = l.action_id join commune m on m.id = l.commune_id order by 1")).all()
        assert [tuple(r) for r in links] == [("94017-2023-001", "94017"),
                                             ("94017-2023-002", "94017"),
                                             ("94017-2023-003", "94017")]
        money = c.execute(text(
            "select a.reference, f.funder, f.year, f.amount_approved, f.contrat_de_ville_id, "
            "f.origin from funding_line f join action a on a.id = f.action_id order by 1")).all()
        assert [(r[0], r[1], r[2], float(r[3]), r[4], r[5]) for r in money] == [
            ("94017-2023-001", "commune", 2023, 1500.0, cv, "import"),
            ("94017-2023-003", "etat_p147", 2023, 200.0, cv, "import")]
        audit = c.execute(text(
            "select l.operation, l.entity, a.reference, l.snapshot from audit_log l join action a "
            "on a.id = l.entity_id where l.entity = 'action' order by a.reference")).all()
        assert [(r[0], r[1], r[2]) for r in audit] == [
            ("import", "action", "94017-2023-001"), ("import", "action", "94017-2023-002"),
            ("import", "action", "94017-2023-003")]
        snaps = [json.loads(r[3]) for r in audit]
        assert [s["status"] for s in snaps] == [None, "terminee", None]  # none given: None
        assert snaps[0]["funding"] == [["commune", 2023, None, "1500.00"]]
        assert all(s["communes"] == ["94017"] and s["version"] == 1 for s in snaps)
        scope = c.execute(text("select territory_id, years from data_change")).all()
        assert [(r[0], json.loads(r[1])) for r in scope] == [(pemb, [2023])]


def test_a_long_file_is_written_in_a_handful_of_statements(store):
    """Before: each new action was validated again, flushed and read back on its own (about
    ten statements a row). 200 rows now take the plan's reads plus a few multi-row inserts."""
    engine = store[0]
    statements = []

    def count(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement.split(None, 3)[:3])

    body = "".join(f"BULK-{i};Action {i};94017;{2022 + i % 2};;Commune;{i + 1}\n"
                   for i in range(200))
    event.listen(engine, "before_cursor_execute", count)
    try:
        report = _import(engine, body)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert report.created == 200
    inserts = [s for s in statements if s[0].upper() == "INSERT"]
    others = [s for s in statements if s[0].upper() != "INSERT"]
    assert len(others) < 30, others  # no read, lock or check per row
    if engine.dialect.name == "postgresql":  # multi-row INSERT … RETURNING (insertmanyvalues)
        assert len(inserts) < 10, inserts
    else:  # SQLite cannot return the new ids of a multi-row INSERT in order (SQLAlchemy
        # writes these rows one statement each): the action, its funding line, its audit entry
        assert len(inserts) <= 3 * 200 + 5, len(inserts)
    with engine.connect() as c:
        assert c.execute(text("select count(*), sum(f.amount_approved) from funding_line f join "
                              "action a on a.id = f.action_id where a.reference like 'BULK-%'")
                         ).one() == (200, sum(range(1, 201)))
        assert c.execute(text("select count(*) from audit_log where entity = 'action' and "
                              "operation = 'import'")).scalar() == 200
