"""Issue 25, item 3: a referential filled from the spreadsheet template
(perr_model/importers/referential_sheet.py): checked first, row by row in French, written in
one transaction or not at all; dry run. Both backends; counts by raw SQL."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import text

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model.auth import Actor
from perr_model.errors import ImportRefused
from perr_model.exports import safe
from perr_model.importers import referential_sheet as sheet
from perr_model.store import write_session

TABLES = ("axis", "strategic_objective", "objective_group", "operational_objective",
          "commitment", "audit_log")


def counts(engine) -> dict:
    with engine.connect() as c:
        return {t: c.execute(text(f"select count(*) from {t}")).scalar_one() for t in TABLES}


def csv_bytes(rows: list[list]) -> bytes:
    out = io.StringIO()
    out.write(";".join(sheet.COLUMNS) + "\n")
    for r in rows:
        out.write(";".join(str(v) for v in r) + "\n")
    return out.getvalue().encode("utf-8")


GOOD = [
    ["axe", 1, "Emploi", "", "", ""],
    ["axe", 2, "Cadre de vie", "", "", ""],
    ["objectif stratégique", 1, "Accès à l'emploi", "1", "", ""],
    ["rubrique", 1, "Informer", "1.1", "", ""],
    ["rubrique", 2, "Coordonner", "1.1", "", ""],
    ["objectif opérationnel", 1, "Mettre en réseau", "1.1", "", ""],
    ["objectif opérationnel", 2, "Décliner le PAQTE", "1.2", "", ""],
    ["engagement", 1, "Consolider la scolarité", "2", "93005", "Réussite éducative"],
    ["engagement", "", "Prévenir", "", "Aulnay-sous-Bois", "Réussite éducative"],
]


def test_the_template_imports_and_builds_the_tree(store):
    engine, _actors, _pemb, pte = store
    with write_session(engine) as s:
        df = sheet.template(s, pte)
        data = safe.xlsx_bytes(df, "Référentiel")
        report = sheet.import_sheet(s, Actor.system("admin"), data, "modele.xlsx",
                                    territory="paris-terres-d-envol")
    assert report.counts == {k: 1 for k in sheet.LEVEL_WORDS}
    with engine.connect() as c:
        chain = c.execute(text(
            "select a.number, so.position, og.number, oo.position, oo.text from "
            "operational_objective oo join objective_group og on og.id = oo.group_id "
            "join strategic_objective so on so.id = og.strategic_objective_id "
            "join axis a on a.id = so.axis_id where a.territory_id = :t"), {"t": pte}).all()
        engagement = c.execute(text(
            "select cm.insee_code, c.theme, c.number, a.number from commitment c "
            "join commune cm on cm.id = c.commune_id left join axis a on a.id = c.axis_id "
            "where c.territory_id = :t"), {"t": pte}).all()
        logged = c.execute(text("select count(*) from audit_log where operation = 'import'")
                           ).scalar_one()
    assert chain == [(1, 1, 1, 1, df.iloc[3]["texte"])]
    assert engagement == [(df.iloc[4]["commune"], "Réussite éducative", 1, 1)]
    assert logged == 5


def test_a_file_in_any_order_with_references_as_numbers(store):
    engine, _actors, _pemb, pte = store
    rows = list(reversed(GOOD))
    with write_session(engine) as s:
        report = sheet.import_sheet(s, Actor.system(), csv_bytes(rows), "r.csv",
                                    territory=pte)
    assert report.counts["operational_objective"] == 2
    with engine.connect() as c:
        refs = c.execute(text(
            "select a.number, og.number, oo.position from operational_objective oo "
            "join objective_group og on og.id = oo.group_id "
            "join strategic_objective so on so.id = og.strategic_objective_id "
            "join axis a on a.id = so.axis_id order by 1, 2, 3")).all()
        themes = c.execute(text("select theme_position, position, number from commitment "
                                "order by position")).all()
    assert refs == [(1, 1, 1), (1, 2, 2)]
    assert themes == [(1, 1, None), (1, 2, 1)]  # the file's order (reversed here)


@pytest.mark.parametrize("bad, words", [
    (["objectif opérationnel", 3, "Orphelin", "1.9", "", ""], "Ligne 11 : rubrique parente « 1.9 » inconnue"),
    (["rubrique", 2, "Doublon", "1.1", "", ""], "Ligne 11 : rubrique 1.2 en double (déjà ligne 6)"),
    (["engagement", 2, "Ailleurs", "", "94017", "Emploi"], "commune « 94017 » hors du territoire"),
    (["engagement", 3, "Texte", "", "93005", "Thème\x0c"], "Ligne 11 : colonne « thème » : caractère de contrôle"),
    (["niveau inconnu", 3, "x", "", "", ""], "niveau « niveau inconnu » inconnu"),
    (["objectif stratégique", "", "Sans numéro", "1", "", ""], "numéro est obligatoire"),
    (["engagement", 1, "Sans thème", "", "93005", ""], "thème manquant"),
])
def test_a_refused_sheet_writes_nothing(store, bad, words):
    engine, _actors, _pemb, pte = store
    before = counts(engine)
    with pytest.raises(ImportRefused) as refused:
        with write_session(engine) as s:
            sheet.import_sheet(s, Actor.system(), csv_bytes(GOOD + [bad]), "r.csv",
                               territory=pte)
    assert "rien n'a été écrit" in str(refused.value)
    assert any(words in p for p in refused.value.problems), refused.value.problems
    assert counts(engine) == before


def test_a_dry_run_writes_nothing_and_a_filled_referential_is_refused(store):
    engine, _actors, pemb, pte = store
    before = counts(engine)
    with write_session(engine) as s:
        report = sheet.import_sheet(s, Actor.system(), csv_bytes(GOOD), "r.csv", territory=pte,
                                    dry_run=True)
    assert "Essai : rien n'a été écrit" in "\n".join(report.lines())
    assert counts(engine) == before
    with write_session(engine) as s:
        sheet.import_sheet(s, Actor.system(), csv_bytes(GOOD), "r.csv", territory=pte)
    filled = counts(engine)
    with pytest.raises(ImportRefused, match="n'est pas vide"):
        with write_session(engine) as s:
            sheet.import_sheet(s, Actor.system(), csv_bytes(GOOD), "r.csv", territory=pte)
    assert counts(engine) == filled


def test_only_an_administrator_of_the_territory_imports(store):
    engine, actors, _pemb, pte = store
    before = counts(engine)
    for name in ("admin-pemb", "chef-champigny", "lecteur"):   # PEMB's admin, an editor
        with pytest.raises(ImportRefused):
            with write_session(engine) as s:
                sheet.import_sheet(s, actors[name], csv_bytes(GOOD), "r.csv", territory=pte)
    assert counts(engine) == before


def test_the_command_line(store, monkeypatch, tmp_path, capsys):
    engine, _actors, _pemb, _pte = store
    from perr_model import cli
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    path = tmp_path / "referentiel.csv"
    path.write_bytes(csv_bytes(GOOD + [["rubrique", 2, "Doublon", "1.1", "", ""]]))
    before = counts(engine)
    assert cli.main(["import", "referentiel", str(path), "--territoire",
                     "paris-terres-d-envol"]) == 1
    out = capsys.readouterr()
    assert "rubrique 1.2 en double" in out.out and "Erreur : Référentiel refusé" in out.err
    assert counts(engine) == before
    path.write_bytes(csv_bytes(GOOD))
    assert cli.main(["import", "referentiel", str(path), "--territoire",
                     "Paris Terres d'Envol"]) == 0
    assert "2 axes" in capsys.readouterr().out
    assert counts(engine)["axis"] == before["axis"] + 2
