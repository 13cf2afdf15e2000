"""Walk-through: the chef de projet of Champigny edits and imports (issue 14, item 6).

In a real browser at 1400 and 390 px, with screenshots of every step (tests/e2e/screenshots/
walk-chef-*): signs in; is told why Fontenay's actions are read-only, is not offered Fontenay's
action in the form's picker and creates an action of their commune (formerly
test_editor_workflow); finds their action on the Actions page and opens it with "Modifier";
cannot empty its required start year; archives it after a confirmation, is told so, brings it
back; imports a programming file whose columns are mapped in French; the page starts again
empty and lists the actions written (each written once), which open in the form."""
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from conftest import (DESKTOP, PHONE, copy_with_accounts, goto, rerun, screenshot, wait_for_text,
                     wait_idle)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from editing_support import PASSWORD  # noqa: E402
from perr_model import editing  # noqa: E402
from perr_model.auth import Actor  # noqa: E402
from perr_model.schema import Territory  # noqa: E402
from perr_model.store import make_engine, write_session  # noqa: E402

MINE = "Atelier numérique des Mordacs"


@pytest.fixture(scope="module")
def walk_db(embedded_sqlite, tmp_path_factory):
    url = copy_with_accounts(embedded_sqlite, tmp_path_factory, "e2e-walk")
    engine = make_engine(url, read_only=False)
    with write_session(engine) as s:
        tid = s.scalars(select(Territory.id).filter_by(slug="paris-est-marne-et-bois")).one()
        editing.create_action(s, Actor.system(), {"title": "Action de Fontenay",
                              "year_start": 2022, "communes": ["94033"]}, territory_id=tid)
        for width in (DESKTOP[0], PHONE[0]):
            editing.create_action(s, Actor.system(), {
                "title": f"{MINE} {width}", "year_start": 2022, "communes": ["94017"]},
                territory_id=tid)
    engine.dispose()
    return url


def _db(url, sql, **params):
    engine = make_engine(url)
    with engine.connect() as c:
        row = c.execute(text(sql), params).one()
    engine.dispose()
    return row


def _folded(page) -> bool:
    return page.viewport_size["width"] < 700


def _menu(page, label):
    """Follow a menu link (a reload would start a new, signed-out session)."""
    link = page.locator('[data-testid="stSidebarNav"] a', has_text=label)
    if _folded(page):  # the menu slides in: the click waits until the link stands still
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        link.wait_for(state="visible")
    rerun(page, link.click)
    if _folded(page):  # fold it again, until it is off screen, to reach the page
        page.locator('[data-testid="stSidebarCollapseButton"] button').click(force=True)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"stSidebar\"]')"
            ".getBoundingClientRect().right <= 0", timeout=10_000)


def _alerts(page) -> str:
    return " ".join(page.locator('[data-testid="stAlert"]').all_inner_texts())


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1400", "390"])
def test_chef_de_projet_of_champigny_edits_and_imports(start_app, walk_db, new_page, size,
                                                       tmp_path):
    w = size[0]
    mine = f"{MINE} {w}"
    base = start_app(walk_db)
    page = new_page(*size)
    goto(page, f"{base}/connexion?territoire=paris-est-marne-et-bois")
    page.get_by_label("Identifiant").fill("chef-champigny")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    rerun(page, page.get_by_role("button", name="Se connecter").click, "Connecté")
    assert "Connecté" in page.locator('[data-testid="stAlert"]').first.inner_text()
    screenshot(page, f"walk-chef-1-connexion-{w}")

    # 1. the form says which actions they may edit, and why the others are read-only
    _menu(page, "Saisir une action")
    notice = _alerts(page)
    assert "Vous pouvez modifier les actions de : Champigny-sur-Marne." in notice
    assert "lecture seule" in notice and "autre commune" in notice
    screenshot(page, f"walk-chef-2-saisie-{w}")
    form_text = page.locator('[data-testid="stMain"]').inner_text()
    assert "yyyy" not in form_text and "jj" in form_text  # date fields' empty segments
    assert page.locator('[data-testid="stException"]').count() == 0

    # 1b. another commune's action is not offered; a new action of their commune is written
    page.get_by_label("Action", exact=True).click()
    options = page.locator('[role="option"]').all_inner_texts()
    assert not any("Fontenay" in o for o in options), options
    page.keyboard.press("Escape")
    created = f"Permanence d'accès aux droits {w}"
    page.get_by_label("Titre *").fill(created)
    page.get_by_role("textbox", name="Année de début *").fill("2022")
    communes = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Communes *")
    communes.locator("input").click()
    page.keyboard.type("Champigny")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Enregistrer").click()
    wait_for_text(page, "Action enregistrée")
    assert "Action enregistrée" in _alerts(page)
    assert _db(walk_db, "select count(*) from action where title = :t", t=created)[0] == 1
    screenshot(page, f"editor-saisie-{w}")

    # 2. Actions page: their action's detail has "Modifier", which opens it in the form
    _menu(page, "Actions")
    page.get_by_label("Recherche libre (titre, description, porteur, référence)").fill(mine)
    rerun(page, lambda: page.keyboard.press("Enter"))
    # the action opens from the list above the table (cards on a phone)
    page.locator('[data-testid="stSelectbox"]').filter(
        has_text="Voir le détail d'une action").first.click()
    rerun(page, page.get_by_role("option", name=mine).first.click)
    modify = page.get_by_role("button", name="Modifier")
    modify.scroll_into_view_if_needed()
    screenshot(page, f"walk-chef-3-detail-{w}")
    rerun(page, modify.click, "Saisir une action")
    assert page.locator('[data-testid="stMain"] h1').first.inner_text() == "Saisir une action"
    chosen = page.locator('[data-testid="stSelectbox"]').filter(
        has_text="Action").first.locator("input").input_value()
    assert mine in chosen

    # 3. the required start year cannot be emptied
    assert page.get_by_role("button", name="Aide : Année de début *").count() == 1  # French
    page.get_by_role("textbox", name="Année de début *").fill("")
    rerun(page, page.get_by_role("button", name="Enregistrer").click)
    assert "année de début est obligatoire" in _alerts(page)
    assert _db(walk_db, "select year_start from action where title = :t", t=mine)[0] == 2022
    screenshot(page, f"walk-chef-4-annee-obligatoire-{w}")

    # 4. archiving asks first, then says what happened; restoring likewise
    page.get_by_role("button", name="Archiver (retirer des tableaux)…").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert "Archiver l'action" in dialog.inner_text()
    screenshot(page, f"walk-chef-5-confirmer-{w}")
    assert _db(walk_db, "select archived from action where title = :t", t=mine)[0] in (0, False)
    dialog.get_by_role("button", name="Archiver", exact=True).click()
    wait_for_text(page, f"Action « {mine} » archivée")
    assert _db(walk_db, "select archived from action where title = :t", t=mine)[0] in (1, True)
    screenshot(page, f"walk-chef-6-archivee-{w}")
    page.get_by_role("button", name="Désarchiver…").click()
    page.get_by_role("dialog").get_by_role("button", name="Désarchiver", exact=True).click()
    wait_for_text(page, f"Action « {mine} » désarchivée")
    assert _db(walk_db, "select archived from action where title = :t", t=mine)[0] in (0, False)

    # 5. import: the mapping is in French; after writing the page is empty again and lists them
    _menu(page, "Importer une programmation")
    assert "Limite : 200 Mo par fichier" in page.locator("body").inner_text()
    csv_path = tmp_path / "programmation.csv"
    csv_path.write_bytes(("reference;titre;communes;annee_debut;financeur_1;montant_accorde_1\n"
                          f"W-{w}-1;Chantier éducatif {w};94017;2023;Commune;1 500\n"
                          f"W-{w}-2;Jardin partagé {w};94017;2023;;\n").encode("cp1252"))
    rerun(page, lambda: page.locator('input[type="file"]').set_input_files(str(csv_path)))
    screenshot(page, f"walk-chef-7-import-apercu-{w}")
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "group:" not in body and "funding:" not in body
    page.get_by_role("button", name="Importer").click()
    wait_for_text(page, "Actions écrites")
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "2 créée(s)" in main
    for title in (f"Chantier éducatif {w}", f"Jardin partagé {w}"):  # each written once
        assert _db(walk_db, "select count(*) from action where title = :t", t=title)[0] == 1
    assert f"W-{w}-1 — Chantier éducatif {w} (créée)" in main
    assert page.get_by_role("button", name="Importer").count() == 0  # no stale preview
    assert page.locator('[data-testid="stFileUploaderFile"]').count() == 0
    screenshot(page, f"walk-chef-8-import-fait-{w}")
    page.locator('[data-testid="stMain"]').get_by_role(
        "button", name="Modifier", exact=True).first.click()
    page.wait_for_function("() => [...document.querySelectorAll('h1')].some("
                           "h => h.innerText.includes('Saisir une action'))", timeout=20_000)
    wait_idle(page)
    chosen = page.locator('[data-testid="stSelectbox"]').filter(
        has_text="Action").first.locator("input").input_value()
    assert chosen.startswith(f"W-{w}-1 — Chantier éducatif")
    screenshot(page, f"walk-chef-9-ouvert-{w}")
    text_seen = page.locator("body").inner_text()
    for english in ("Drag and drop", "per file", "Browse files", "Choose an option"):
        assert english not in text_seen
