"""An editor in a real browser: sign in, create an action in their commune, cannot edit
another commune's action, import a spreadsheet. Screenshots at desktop and phone width."""
import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from conftest import DESKTOP, PHONE, goto, screenshot, wait_idle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from editing_support import PASSWORD, add_accounts  # noqa: E402
from perr_model import editing  # noqa: E402
from perr_model.auth import Actor  # noqa: E402
from perr_model.schema import Territory  # noqa: E402
from perr_model.store import make_engine, write_session  # noqa: E402


@pytest.fixture(scope="module")
def editor_db(embedded_sqlite, tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e-editor") / "perr.sqlite"
    shutil.copy(embedded_sqlite, path)
    url = f"sqlite:///{path}"
    add_accounts(url)
    engine = make_engine(url, read_only=False)
    with write_session(engine) as s:
        tid = s.scalars(select(Territory.id).filter_by(slug="paris-est-marne-et-bois")).one()
        editing.create_action(s, Actor.system(), {"title": "Action de Fontenay",
                              "year_start": 2022, "communes": ["94033"]}, territory_id=tid)
    engine.dispose()
    return url


def _count(url, title):
    engine = make_engine(url)
    with engine.connect() as c:
        n = c.execute(text("select count(*) from action where title = :t"), {"t": title}).scalar()
    engine.dispose()
    return n


def _menu(page, label):
    """Follow a menu link (a reload would start a new, signed-out session)."""
    if page.viewport_size["width"] < 700:  # phone: the menu is folded away
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        page.locator('[data-testid="stSidebarNav"] a', has_text=label).wait_for(state="visible")
    page.locator('[data-testid="stSidebarNav"] a', has_text=label).click()
    wait_idle(page)
    if page.viewport_size["width"] < 700:  # fold it again to reach the page
        page.locator('[data-testid="stSidebarCollapseButton"] button').click(force=True)
        page.wait_for_selector('[data-testid="stSidebar"][data-collapsed="true"]')


def _sign_in(page, base):
    # A fresh server's first session must open the default page: a first visit straight to
    # another URL gets Streamlit's automatic pages/ menu instead of st.navigation's.
    goto(page, f"{base}/?territoire=paris-est-marne-et-bois")
    goto(page, f"{base}/connexion?territoire=paris-est-marne-et-bois")
    page.get_by_label("Identifiant").fill("chef-champigny")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    wait_idle(page)
    assert "Connecté" in page.locator('[data-testid="stAlert"]').first.inner_text()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_editor_signs_in_creates_and_imports(start_app, editor_db, new_page, size, tmp_path):
    base = start_app(editor_db)
    page = new_page(*size)
    _sign_in(page, base)
    screenshot(page, f"editor-connexion-{size[0]}")
    # the editing page is reached through the menu
    _menu(page, "Saisir une action")
    assert page.locator('[data-testid="stException"]').count() == 0
    # another commune's action is not offered to this editor
    page.get_by_label("Action", exact=True).click()
    options = page.locator('[role="option"]').all_inner_texts()
    assert not any("Fontenay" in o for o in options), options
    page.keyboard.press("Escape")
    title = f"Permanence d'accès aux droits {size[0]}"
    page.get_by_label("Titre *").fill(title)
    page.get_by_role("textbox", name="Année de début *").fill("2022")
    communes = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Communes *")
    communes.locator("input").click()
    page.keyboard.type("Champigny")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Enregistrer").click()
    wait_idle(page)
    assert "Action enregistrée" in " ".join(
        page.locator('[data-testid="stAlert"]').all_inner_texts())
    assert _count(editor_db, title) == 1
    screenshot(page, f"editor-saisie-{size[0]}")
    # spreadsheet import: one row of their commune
    _menu(page, "Importer une programmation")
    csv_path = tmp_path / "programmation.csv"
    csv_path.write_bytes(f"reference;titre;communes;annee_debut\nE2E-{size[0]};Import "
                         f"{size[0]};94017;2022\n".encode("cp1252"))
    page.locator('input[type="file"]').set_input_files(str(csv_path))
    wait_idle(page)
    page.get_by_role("button", name="Importer").click()
    wait_idle(page)
    assert "1 créée(s)" in " ".join(page.locator('[data-testid="stAlert"]').all_inner_texts())
    assert _count(editor_db, f"Import {size[0]}") == 1
    screenshot(page, f"editor-import-{size[0]}")
