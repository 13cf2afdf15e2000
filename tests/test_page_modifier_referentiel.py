"""Modifier le référentiel (administrators): rename through the page, a refusal in French that
keeps what was typed, archive, restore from the history; the template import's dry run.
Values checked by raw SQL."""
import pytest
from streamlit.testing.v1 import AppTest

from editing_support import PASSWORD, places_url  # noqa: F401 - fixture
from page_support import APP, html_tables, sql, territory_id
from perr_model.auth import Actor
from perr_model.importers import referential_sheet
from perr_model.store import make_engine, write_session

ROWS = [
    ["axe", 1, "Cohésion sociale", "", "", ""],
    ["objectif stratégique", 1, "Réussir à l'école", "1", "", ""],
    ["rubrique", 1, "Accompagner", "1.1", "", ""],
    ["objectif opérationnel", 1, "Objectif mal découpé", "1.1", "", ""],
    ["objectif opérationnel", 2, "Second objectif", "1.1", "", ""],
    ["engagement", 1, "Consolider la scolarité", "1", "94017", "Réussite éducative"],
]


def fill(url: str, tid: int) -> None:
    data = ("niveau;numéro;texte;parent;commune;thème\n"
            + "\n".join(";".join(str(v) for v in r) for r in ROWS)).encode("utf-8")
    engine = make_engine(url, read_only=False)
    try:
        with write_session(engine) as s:
            referential_sheet.import_sheet(s, Actor.system(), data, "r.csv", territory=tid)
    finally:
        engine.dispose()


@pytest.fixture
def page(places_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", places_url)
    monkeypatch.setenv("PERR_PUBLIC", "0")
    tid = territory_id(places_url, "paris-est-marne-et-bois")
    fill(places_url, tid)

    def run(at: AppTest) -> AppTest:
        at.session_state["territory_id"] = tid
        at.session_state["year"] = "Toutes les années"
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("pages/connexion.py")
    at.run()
    at.text_input[0].input("admin-pemb")
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    at.switch_page("pages/modifier_referentiel.py")
    yield run(at), run, places_url
    from perr_ui import common
    common._store.clear()


def _choose(at, text):
    box = next(s for s in at.selectbox if s.label == "Élément")
    box.select(next(o for o in box.options if text in o))


def _objective_id(url, text):
    return sql(url, "select id from operational_objective where text = :t", t=text)


def test_rename_refusal_archive_and_restore(page):
    at, run, url = page
    oid = _objective_id(url, "Objectif mal découpé")
    _choose(at, "Objectif mal découpé")
    at = run(at)
    next(t for t in at.text_area if t.label == "Texte").input("Objectif bien découpé")
    next(t for t in at.text_input if t.label == "Numéro").input("2")   # taken by its sibling
    next(b for b in at.button if b.label == "Enregistrer").click()
    at = run(at)
    assert any("Numéro 2 déjà pris" in e.value for e in at.error), [e.value for e in at.error]
    assert next(t for t in at.text_area if t.label == "Texte").value == "Objectif bien découpé"
    assert sql(url, "select text from operational_objective where id = :o", o=oid) == \
        "Objectif mal découpé"
    next(t for t in at.text_input if t.label == "Numéro").input("3")
    next(b for b in at.button if b.label == "Enregistrer").click()
    at = run(at)
    assert [e.value for e in at.error] == []
    assert "Objectif 1.1.3 enregistré" in at.success[0].value
    assert sql(url, "select text from operational_objective where id = :o", o=oid) == \
        "Objectif bien découpé"
    assert sql(url, "select position from operational_objective where id = :o", o=oid) == 3
    next(b for b in at.button if b.label.startswith("Archiver")).click()
    at = run(at)
    assert sql(url, "select archived from operational_objective where id = :o", o=oid)
    assert any("est archivé" in w.value for w in at.warning)
    history = html_tables(at)[0]
    assert list(history["Opération"]) == ["Archivage", "Modification", "Import"]
    entry = next(s for s in at.selectbox if s.label.startswith("Revenir"))
    entry.set_value(sql(url, "select min(id) from audit_log where entity = "
                             "'operational_objective' and entity_id = :o", o=oid))  # as imported
    next(b for b in at.button if b.label == "Restaurer cette version").click()
    at = run(at)
    assert [e.value for e in at.error] == []
    assert sql(url, "select text from operational_objective where id = :o", o=oid) == \
        "Objectif mal découpé"
    assert not sql(url, "select archived from operational_objective where id = :o", o=oid)
    assert next(t for t in at.text_area if t.label == "Texte").value == \
        "Objectif mal découpé"                     # the form shows the restored text


def test_add_an_objective_under_a_rubrique(page):
    at, run, url = page
    assert [t.label for t in at.tabs] == ["Corriger un élément", "Ajouter un élément",
                                          "Remplir depuis un tableur"]
    next(s for s in at.selectbox if s.label == "Que voulez-vous ajouter ?").set_value(
        "operational_objective")
    at = run(at)
    add = next(b for b in at.button if b.label == "Ajouter")
    add.click()                                          # no parent chosen: refused
    at = run(at)
    assert [e.value for e in at.error] == ["Ajout refusé : Le texte est obligatoire. Choisissez "
                                           "d'abord où l'ajouter (rubrique)."]
    parent = next(s for s in at.selectbox if s.label.startswith("Sous quel élément"))
    parent.select(parent.options[0])
    at.text_area(key="ref_add_text_operational_objective").input("Objectif ajouté")
    next(b for b in at.button if b.label == "Ajouter").click()
    at = run(at)
    assert [e.value for e in at.error] == []
    assert at.success[0].value == "Objectif 1.1.3 ajouté."
    assert sql(url, "select position from operational_objective where text = 'Objectif ajouté'"
               ) == 3
