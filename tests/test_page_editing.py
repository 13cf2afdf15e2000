"""Editing pages through AppTest: role boundaries, sign-in, the action form, the imports."""
import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from editing_support import PASSWORD, places_url  # noqa: F401 - fixture
from page_support import APP, html_tables, territory_id
from perr_model import editing
from perr_model.auth import Actor, actor_for
from perr_model.schema import Action, UserAccount
from perr_model.store import make_engine, write_session


@pytest.fixture
def app(places_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", places_url)
    monkeypatch.setenv("PERR_PUBLIC", "0")
    tid = territory_id(places_url, "paris-est-marne-et-bois")

    def open_as(username: str | None, path: str, password: str = PASSWORD) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.run()
        if username:
            at.switch_page("pages/connexion.py")
            at.run()
            at.text_input[0].input(username)
            at.text_input[1].input(password)
            at.button[0].click()
            at.run()
        at.switch_page(path)
        return rerun(at)

    def rerun(at: AppTest) -> AppTest:
        at.session_state["territory_id"] = tid
        at.session_state["year"] = "Toutes les années"
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    def direct(path: str, username: str | None = None) -> AppTest:
        """Run the page script itself, as if reached by URL without being in the menu, with
        the session a sign-in would leave (or none)."""
        at = AppTest.from_file(str(Path(APP).parent / path), default_timeout=30)
        if username:
            engine = make_engine(places_url)
            with Session(engine) as s:
                actor = actor_for(s.scalars(select(UserAccount).filter_by(
                    username=username)).one())
            engine.dispose()
            at.session_state["actor"] = actor
            at.session_state["role"], at.session_state["user"] = actor.role, username
        return rerun(at)

    open_as.rerun, open_as.direct = rerun, direct
    open_as.url, open_as.tid = places_url, tid
    yield open_as
    from perr_ui import common
    common._store.clear()


def _actions(url):
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(Action.reference, Action.title, Action.version)).all()
    engine.dispose()
    return rows


EDITORS_ONLY = ("Cette page est réservée aux éditeurs connectés (chefs de projet) et aux "
                "administrateurs.")
ADMINS_ONLY = "Cette page est réservée aux administrateurs."
PUBLIC = "Instance publique, en lecture seule : la saisie est impossible."


def _warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def _alerts(at) -> str:
    return " ".join(e.value for e in list(at.error) + list(at.warning) + list(at.success)
                    + list(at.info))


@pytest.mark.parametrize("path", ["pages/saisie_action.py", "pages/import_programmation.py",
                                  "pages/import_postes.py", "pages/comptes.py"])
def test_editing_pages_refuse_anonymous_visitors(app, path):
    at = app.direct(path)   # (direct/rerun: no exception, the page refused and stopped)
    assert _warnings(at) == [EDITORS_ONLY] and not at.text_area and not at.file_uploader


@pytest.mark.parametrize("path", ["pages/import_postes.py", "pages/comptes.py"])
def test_administration_pages_refuse_editors(app, path):
    at = app.direct(path, "chef-champigny")
    assert _warnings(at) == [ADMINS_ONLY] and not at.file_uploader


def test_reader_account_cannot_reach_the_form(app):
    at = app("lecteur", "pages/connexion.py")
    assert at.session_state["role"] == "reader"
    at = app.direct("pages/saisie_action.py", "lecteur")
    assert _warnings(at) == [EDITORS_ONLY] and not at.text_area


def test_wrong_password_is_refused(app):
    at = app(None, "pages/connexion.py")
    at.text_input[0].input("chef-champigny")
    at.text_input[1].input("pas-le-bon-mot")
    at.button[0].click()
    at = app.rerun(at)
    assert [e.value for e in at.error] == [
        "Identifiant ou mot de passe incorrect (ou compte désactivé)."]
    assert "role" not in at.session_state


def test_sign_in_sets_role_and_user(app):
    at = app("chef-champigny", "pages/connexion.py")
    assert at.session_state["role"] == "editor" and at.session_state["user"] == "chef-champigny"
    assert "Connecté" in _alerts(at)


def test_public_instance_refuses_sign_in_and_editing(app, monkeypatch):
    at = app("admin-pemb", "pages/saisie_action.py")
    assert at.text_area  # the form is there for an administrator
    monkeypatch.setenv("PERR_PUBLIC", "1")
    at = app.rerun(at)  # even with a role left in the session, by URL
    assert _warnings(at) == [PUBLIC] and not at.text_area
    at.switch_page("pages/connexion.py")
    at = app.rerun(at)
    assert [i.value for i in at.info] == [
        "Instance publique, en lecture seule : la connexion est impossible ici."]
    assert not at.text_input


def _fill(at, title, year, communes):
    at.text_input(key="title_0").input(title)
    next(t for t in at.text_input if t.label == "Année de début *").input(year)
    at.multiselect[0].set_value(communes)


def test_editor_creates_an_action_in_their_commune(app):
    at = app("chef-champigny", "pages/saisie_action.py")
    assert at.multiselect[0].options == ["Champigny-sur-Marne"]  # their communes only
    _fill(at, "Atelier d'écriture", "2022", ["94017"])
    at.button[0].click()
    at = app.rerun(at)
    assert "Action enregistrée" in _alerts(at)
    assert _actions(app.url) == [("94017-2022-001", "Atelier d'écriture", 1)]


def test_form_explains_what_is_refused(app):
    at = app("chef-champigny", "pages/saisie_action.py")
    _fill(at, "", "2040", ["94017"])
    at.button[0].click()
    at = app.rerun(at)
    text = _alerts(at)
    assert "titre est obligatoire" in text and "2040 peu plausible" in text
    assert _actions(app.url) == []


def test_another_communes_action_is_not_offered_to_an_editor(app):
    engine = make_engine(app.url, read_only=False)
    with write_session(engine) as s:
        editing.create_action(s, Actor.system(), {"title": "À Fontenay", "year_start": 2021,
                                                  "communes": ["94033"]}, territory_id=app.tid)
    engine.dispose()
    at = app("chef-champigny", "pages/saisie_action.py")
    assert at.selectbox(key="action_choice").options == ["+ Nouvelle action"]
    at = app("admin-pemb", "pages/saisie_action.py")
    assert len(at.selectbox(key="action_choice").options) == 2


def test_concurrent_save_is_refused_on_the_page(app):
    engine = make_engine(app.url, read_only=False)
    with write_session(engine) as s:
        aid = editing.create_action(s, Actor.system(), {"title": "Atelier", "year_start": 2021,
                                                        "communes": ["94017"]},
                                    territory_id=app.tid).id
    at = app("chef-champigny", "pages/saisie_action.py")
    at.selectbox(key="action_choice").set_value(aid)
    at = app.rerun(at)
    with write_session(engine) as s:  # someone else saves meanwhile
        editing.update_action(s, Actor.system("collegue"), aid, {"title": "Atelier du soir"},
                              expected_version=1)
    engine.dispose()
    at.text_input(key=f"title_{aid}").input("Atelier du matin")
    at.button[0].click()
    at = app.rerun(at)
    assert "rien n'a été écrasé" in _alerts(at) and "Atelier du soir" in _alerts(at)
    assert _actions(app.url)[0][1:] == ("Atelier du soir", 2)


def test_a_status_nobody_gave_is_offered_as_non_renseigne_until_chosen(app):
    """An action created without a status (as the protocol's): the form says « Statut non
    renseigné »; saving another field keeps it so; choosing a status reports it."""
    engine = make_engine(app.url, read_only=False)
    with write_session(engine) as s:
        aid = editing.create_action(s, Actor.system(), {"title": "Atelier", "year_start": 2021,
                                                        "communes": ["94017"]},
                                    territory_id=app.tid).id

    def stored():
        with engine.connect() as c:
            return tuple(c.execute(text("select status, status_reported from action where "
                                        "id = :i"), {"i": aid}).one())
    at = app("chef-champigny", "pages/saisie_action.py")
    at.selectbox(key="action_choice").set_value(aid)
    at = app.rerun(at)
    status = next(b for b in at.selectbox if b.label == "Statut")
    assert status.value is None and status.format_func(None) == "Statut non renseigné"
    at.text_input(key=f"title_{aid}").input("Atelier du matin")
    at.button[0].click()
    at = app.rerun(at)
    assert stored() == ("en_cours", False)
    status = next(b for b in at.selectbox if b.label == "Statut")
    status.set_value("terminee")
    at.button[0].click()
    at = app.rerun(at)
    assert stored() == ("terminee", True)
    engine.dispose()


def test_import_page_dry_run_then_import(app):
    at = app("chef-champigny", "pages/import_programmation.py")
    good = "reference;titre;communes;annee_debut\nI-1;Atelier;94017;2022\n"
    bad = good + "I-2;Ailleurs;94033;2022\n"
    at.file_uploader[0].set_value(("prog.csv", bad.encode("cp1252"), "text/csv"))
    at = app.rerun(at)
    reasons = html_tables(at)[-1]
    assert list(reasons.columns) == ["Ligne", "Action", "Motif"] and not at.button
    assert reasons.values.tolist()[0][:2] == ["Ligne 3", "I-2 — Ailleurs"]
    assert "Fontenay" in reasons.values.tolist()[0][2]
    assert any(e.value.startswith("Lignes refusées : corrigez le fichier") for e in at.error)
    at.file_uploader[0].set_value(("prog.csv", good.encode("cp1252"), "text/csv"))
    at = app.rerun(at)
    assert _actions(app.url) == []
    next(b for b in at.button if b.label == "Importer").click()
    at = app.rerun(at)
    assert "1 créée(s)" in _alerts(at)
    assert [r[0] for r in _actions(app.url)] == ["I-1"]


def test_posts_page_for_administrators(app, shared_data):
    at = app("admin-pemb", "pages/import_postes.py")
    path = shared_data / "anct" / "postes-fonjep-2022.json"
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/json"))
    at = app.rerun(at)
    n915 = sum(1 for p in json.loads(path.read_text()) if p["code_cv"] == "CV915")
    assert f"CV915 2022 : {n915} poste(s)" in at.text[0].value
    next(b for b in at.button if b.label == "Importer").click()
    at = app.rerun(at)
    assert "Écrit : " in _alerts(at)


def test_oidc_user_without_account_is_a_reader(app):
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "x", "client_id": "x", "client_secret": "x",
                          "server_metadata_url": "https://example.invalid/.well-known"}
    at.user["is_logged_in"] = True
    at.user["email"] = "inconnu@ville.fr"
    at.switch_page("pages/connexion.py")
    at = app.rerun(at)
    assert at.session_state["role"] == "reader" and "sans compte d'éditeur" in _alerts(at)


def test_a_long_list_of_actions_is_searched_not_scrolled(app):
    """More than LONG_LIST actions (an administrator's territory): the selector lists the
    first LONG_LIST and the words typed in « Chercher une action » find the others; the action
    chosen stays listed. 320 actions imported (one write), counted back by raw SQL."""
    from perr_model.importers.actions import guess_mapping, import_actions, read_table
    body = "reference;titre;communes;annee_debut\n" + "".join(
        f"LONGUE-{i:03d};Atelier numéro {i:03d};94017;2024\n" for i in range(320))
    table = read_table(body.encode("utf-8"), "longue.csv")
    engine = make_engine(app.url, read_only=False)
    with write_session(engine) as s:
        import_actions(s, Actor.system(), table, guess_mapping(list(table.columns)),
                       territory_id=app.tid)
    with engine.connect() as c:
        total = c.execute(text("select count(*) from action where territory_id = :t"),
                          {"t": app.tid}).scalar()
    engine.dispose()
    assert total >= 320
    at = app("admin-pemb", "pages/saisie_action.py")
    choice = at.selectbox(key="action_choice")
    assert len(choice.options) == 1 + 300            # « + Nouvelle action » and 300 of them
    assert f"{total} actions" in " ".join(c.value for c in at.caption)
    at.text_input(key="action_search").input("numéro 317")
    at = app.rerun(at)
    choice = at.selectbox(key="action_choice")
    assert choice.options == ["+ Nouvelle action", "LONGUE-317 — Atelier numéro 317"]
    reader = make_engine(app.url)
    with Session(reader) as s:
        aid = s.scalars(select(Action.id).where(Action.reference == "LONGUE-317")).one()
    reader.dispose()
    at.selectbox(key="action_choice").set_value(aid)
    at = app.rerun(at)
    at.text_input(key="action_search").input("numéro 005")
    at = app.rerun(at)
    options = at.selectbox(key="action_choice").options
    assert options[1] == "LONGUE-317 — Atelier numéro 317"   # the chosen one, kept
    assert "LONGUE-005 — Atelier numéro 005" in options and len(options) == 3
