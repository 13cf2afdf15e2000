"""The public instance in a browser: no editing page by menu or URL, an action's detail and the
CSV export carry no personal field, layout holds at 390 px."""
import datetime
import re
import shutil

import pytest
from sqlalchemy import text

from conftest import PHONE, goto, rerun, screenshot, wait_idle
from perr_model.store import make_engine

EMAIL, NAME = "josiane.temoin@exemple.fr", "Josiane Témoin-Privé"


@pytest.fixture(scope="module")
def private_db(embedded_sqlite, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("e2e-private") / "perr.sqlite"
    shutil.copy(embedded_sqlite, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url, read_only=False)
    with engine.begin() as c:
        c.execute(text("update action set contact_name=:n, contact_email=:e, created_by=:e"),
                  {"n": NAME, "e": EMAIL})
    engine.dispose()
    return url


def test_no_editing_page_by_menu_or_url(start_app, e2e_db, page):
    """An editing address, even with a territory's parameter, lands on Couverture with no
    editing control and a menu without editing pages (the root's menu is checked by the tour
    of test_accessibility.py). Formerly also test_deep_links::
    test_editing_addresses_still_refused_on_the_public_instance."""
    base = start_app(e2e_db, public=True)
    for slug in ("saisie", "import-programmation", "comptes", "connexion"):
        goto(page, f"{base}/{slug}?territoire=paris-est-marne-et-bois")
        h1 = page.locator('[data-testid="stMain"] h1').first.inner_text()
        assert h1 == "Couverture du protocole", slug
        assert page.locator('[data-testid="stTextInput"]').count() == 0, slug
        assert page.locator('[data-testid="stFileUploader"]').count() == 0, slug
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Couverture" in nav and "Saisir" not in nav and "Connexion" not in nav, slug


def test_action_detail_and_export_without_personal_data(start_app, private_db, new_page):
    base = start_app(private_db, public=True)
    page = new_page(*PHONE)
    goto(page, f"{base}/actions")
    # on a phone the list is cards; an action opens from the picker above them
    page.locator('[data-testid="stSelectbox"]').filter(
        has_text="Voir le détail d'une action").first.click()
    # the first action (0 is "Choisir une action")
    rerun(page, page.get_by_role("option").nth(1).click)
    assert page.locator('[data-testid="stMain"] h2').count() >= 1, "détail non affiché"
    screenshot(page, "public-action-detail-390")
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "Codes et références" in body and EMAIL not in body and NAME not in body
    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter en CSV").click()
    csv = open(info.value.path(), encoding="utf-8-sig").read()
    assert csv.startswith("Référence;Titre;") and EMAIL not in csv and NAME not in csv
    # named after the territory and the day (issue 22, item 6)
    assert re.fullmatch(rf"actions-[a-z0-9-]+-{datetime.date.today().isoformat()}\.csv",
                        info.value.suggested_filename), info.value.suggested_filename
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE[0] + 1, f"la page déborde : {width}px"


@pytest.mark.parametrize("slug", ["saisie", "comptes"])
def test_first_visit_of_a_fresh_server_straight_to_an_editing_url(start_app, private_db, page,
                                                                  slug):
    """Streamlit scans pages/ until app.py has run once: a fresh server's very first visit to
    /saisie must still not give any editing control."""
    base = start_app(private_db, public=True, env={"PERR_E2E_FRESH": slug})
    goto(page, f"{base}/{slug}")
    screenshot(page, f"public-fresh-{slug}-1400")
    assert page.locator('[data-testid="stTextInput"]').count() == 0
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    assert "Saisir" not in page.locator('[data-testid="stSidebar"]').inner_text()
