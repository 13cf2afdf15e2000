"""Editing that forgives (issue 14 item 5), through AppTest and the model, SQLite and PostgreSQL:
archive/restore confirmed and reported, required fields stay required on edit, objectives by
number, why other communes' actions are read-only, the import page resets and lists what it
wrote, column mapping in French; the editing pages issue no query of their own."""
import re
from pathlib import Path

import pytest
from sqlalchemy import select, text

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model import editing, forms
from perr_model.auth import Actor
from perr_model.errors import ValidationFailed
from perr_model.schema import Action
from perr_model.store import make_engine, write_session
from test_page_editing import _alerts, app  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[1]


def _new_action(url, tid, title="Atelier", communes=("94017",), year=2021):
    engine = make_engine(url, read_only=False)
    with write_session(engine) as s:
        aid = editing.create_action(s, Actor.system(), {"title": title, "year_start": year,
                                                        "communes": list(communes)},
                                    territory_id=tid).id
    engine.dispose()
    return aid


def _row(url, aid):
    engine = make_engine(url)
    with engine.connect() as c:
        row = c.execute(select(Action.archived, Action.year_start, Action.version)
                        .where(Action.id == aid)).one()
    engine.dispose()
    return row


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_archive_asks_first_then_says_what_happened_and_restores(app):
    aid = _new_action(app.url, app.tid)
    at = app("chef-champigny", "pages/saisie_action.py")
    at.selectbox(key="action_choice").set_value(aid)
    at = app.rerun(at)
    _button(at, "Archiver (retirer des tableaux)…").click()
    at = app.rerun(at)
    assert not _row(app.url, aid).archived  # one click archives nothing: a dialog asks
    assert "Archiver l'action « Atelier » ?" in " ".join(m.value for m in at.markdown)
    _button(at, "Annuler").click()
    at = app.rerun(at)
    assert not _row(app.url, aid).archived
    _button(at, "Archiver (retirer des tableaux)…").click()
    at = app.rerun(at)
    _button(at, "Archiver").click()
    at = app.rerun(at)
    assert _row(app.url, aid).archived
    assert "Action « Atelier » archivée" in _alerts(at)
    chooser = at.selectbox(key="action_choice")
    assert chooser.value == aid and "(archivée)" in chooser.format_func(aid)
    _button(at, "Désarchiver…").click()
    at = app.rerun(at)
    _button(at, "Désarchiver").click()
    at = app.rerun(at)
    assert not _row(app.url, aid).archived
    assert "Action « Atelier » désarchivée" in _alerts(at)
    assert "(archivée)" not in at.selectbox(key="action_choice").format_func(aid)


def test_start_year_cannot_be_emptied_on_the_page(app):
    aid = _new_action(app.url, app.tid, year=2021)
    at = app("chef-champigny", "pages/saisie_action.py")
    at.selectbox(key="action_choice").set_value(aid)
    at = app.rerun(at)
    next(t for t in at.text_input if t.label == "Année de début *").input("")
    _button(at, "Enregistrer").click()
    at = app.rerun(at)
    assert "année de début est obligatoire" in _alerts(at)
    assert _row(app.url, aid)[1:] == (2021, 1)


@pytest.mark.parametrize("value", ["", "  ", None])
def test_start_year_stays_required_on_update(store, value):
    engine, actors, pemb, _ = store
    with write_session(engine) as s:
        aid = editing.create_action(s, actors["chef-champigny"], {
            "title": "Atelier", "year_start": "2022", "communes": ["94017"]},
            territory_id=pemb).id
    with write_session(engine) as s, pytest.raises(ValidationFailed) as err:
        editing.update_action(s, actors["chef-champigny"], aid, {"year_start": value},
                              expected_version=1)
    assert "année de début est obligatoire" in err.value.problems["year_start"]
    with engine.connect() as c:
        assert c.execute(text("select year_start, version from action where id = :i"),
                         {"i": aid}).one() == (2022, 1)


def test_editor_is_told_why_other_communes_actions_are_read_only(app):
    _new_action(app.url, app.tid, "À Fontenay", ("94033",))
    _new_action(app.url, app.tid, "Aux deux communes", ("94017", "94033"))
    _new_action(app.url, app.tid, "À Champigny", ("94017",))
    at = app("chef-champigny", "pages/saisie_action.py")
    notice = " ".join(i.value for i in at.info)
    assert "Vous pouvez modifier les actions de : Champigny-sur-Marne." in notice
    assert "Les 2 autres actions du territoire sont en lecture seule" in notice
    at = app("admin-pemb", "pages/saisie_action.py")
    assert "lecture seule" not in " ".join(i.value for i in at.info)


def test_objectives_are_offered_by_their_number(loaded_url):
    engine = make_engine(loaded_url)
    with engine.connect() as c:  # the numbers, straight from the referential's tables
        expected = {r.id: f"{r.an or r.ap}.{r.gn or r.gp}.{r.op}" for r in c.execute(text(
            "select o.id, a.number an, a.position ap, g.number gn, g.position gp, "
            "o.position op from operational_objective o "
            "join objective_group g on g.id = o.group_id "
            "join strategic_objective so on so.id = g.strategic_objective_id "
            "join axis a on a.id = so.axis_id join territory t on t.id = a.territory_id "
            "where t.slug = 'paris-terres-d-envol'"))}
        tid = c.execute(text("select id from territory where slug = "
                             "'paris-terres-d-envol'")).scalar()
    from sqlalchemy.orm import Session
    with Session(engine) as s:
        choices = forms.form_choices(s, Actor.system(), tid)
    engine.dispose()
    assert expected and set(choices["objectives"]) == set(expected)
    for oid, label in choices["objectives"].items():
        assert label.startswith(expected[oid] + " – ")
    assert all(re.match(r"Axe \d+ – ", a) for a in choices["axes"].values())


def test_import_page_resets_and_lists_what_it_wrote(app):
    at = app("chef-champigny", "pages/import_programmation.py")
    good = "reference;titre;communes;annee_debut\nI-1;Atelier;94017;2022\nI-2;Jardin;94017;2023\n"
    at.file_uploader[0].set_value(("prog.csv", good.encode("cp1252"), "text/csv"))
    at = app.rerun(at)
    _button(at, "Importer").click()
    at = app.rerun(at)
    assert "2 créée(s)" in _alerts(at)
    listed = [t.value for t in at.text]
    assert "I-1 — Atelier (créée)" in listed and "I-2 — Jardin (créée)" in listed
    assert not at.file_uploader[0].value  # a new, empty file field
    assert not [b for b in at.button if b.label == "Importer"]
    _button(at, "Modifier").click()  # opens "Saisir une action" (the browser walk-through
    at.run()                        # checks which action it opens)
    assert [t.value for t in at.title] == ["Saisir une action"]


def test_column_mapping_is_in_french(app):
    at = app("chef-champigny", "pages/import_programmation.py")
    csv = ("reference;titre;communes;annee_debut;financeur_1;montant_accorde_1\n"
           "I-1;Atelier;94017;2022;Commune;1000\n")
    at.file_uploader[0].set_value(("prog.csv", csv.encode("cp1252"), "text/csv"))
    at = app.rerun(at)
    fields = list(at.get("arrow_data_frame")[0].value["Champ"]) if at.get(
        "arrow_data_frame") else list(at.dataframe[0].value["Champ"])
    assert "Financement n° 1 : financeur" in fields
    assert "Financement n° 1 : montant accordé" in fields
    assert not any("group:" in f or "funding:" in f for f in fields)


@pytest.mark.parametrize("page", ["pages/comptes.py", "pages/saisie_action.py",
                                  "pages/import_programmation.py"])
def test_editing_pages_issue_no_query_of_their_own(page):
    source = (ROOT / page).read_text(encoding="utf-8")
    for needle in (r"(?<!\w)select\(", r"\bfunc\.", r"(?<![\w.])text\(", r"\bs\.get\(",
                   r"\.scalars?\(", "sqlalchemy"):
        assert not re.search(needle, source), (page, needle)


def test_import_page_parses_a_file_once_and_names_a_hidden_sheet(app, monkeypatch):
    """Reruns of the page (a click, a mapping edit) reuse the parse of the uploaded file."""
    import io

    from openpyxl import Workbook

    from perr_model.importers import actions as importer
    calls, real = [], importer.read_table
    monkeypatch.setattr(importer, "read_table",
                        lambda data, name: calls.append(name) or real(data, name))
    wb = Workbook()
    wb.active.title = "Brouillon"
    wb.active.append(["reference", "titre", "communes", "annee_debut"])
    wb.active.sheet_state = "hidden"
    ws = wb.create_sheet("Programmation")
    ws.append(["reference", "titre", "communes", "annee_debut"])
    ws.append(["I-9", "Atelier", "94017", 2022])
    wb.active = 1
    buf = io.BytesIO()
    wb.save(buf)
    at = app("chef-champigny", "pages/import_programmation.py")
    at.file_uploader[0].set_value(("prog.xlsx", buf.getvalue(), "application/vnd.ms-excel"))
    at = app.rerun(at)
    assert "Brouillon" in _alerts(at) and "masquée, n'a pas été lue" in _alerts(at)
    at = app.rerun(at)
    at = app.rerun(at)
    assert "Aucune ligne refusée" in _alerts(at) or "aucune ligne refusée" in _alerts(at)
    assert calls == ["prog.xlsx"]
