"""Every page has its own address and keeps its parameters (issue 14 item 1, issue 10 item 5).

A fresh server runs a pages/ script by itself on its very first visit (Streamlit's legacy
multipage mode, see perr_ui/frame.py): the detour through app.py must keep the page *and* the
query parameters, and the menu must be app.py's (never Streamlit's automatic list of every
pages/ script, editing ones included). Each fresh-server case gets a server of its own
(`PERR_E2E_FRESH`): only the very first visit of a server takes that path.

The editing addresses refused on the public instance are test_public_browser's."""
from __future__ import annotations

import pytest

from conftest import goto, screenshot

TERRITORIES = {"paris-est-marne-et-bois": "Paris Est Marne & Bois",
               "paris-terres-d-envol": "Paris Terres d'Envol"}
TITLES = {"couverture": "Couverture du protocole", "actions": "Actions",
          "quartier": "Quartier", "engagements": "Engagements des communes"}


def _landed(page, slug, territory):
    h1 = page.locator('[data-testid="stMain"] h1').first.inner_text().strip()
    chosen = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    assert h1.startswith(TITLES[slug]), h1
    assert chosen.locator("input").input_value() == TERRITORIES[territory]
    assert page.url.split("?")[0].endswith("/" + slug)
    assert f"territoire={territory}" in page.url
    assert "Page introuvable" not in page.locator("body").inner_text()


@pytest.mark.parametrize("public", [False, True], ids=["normal", "public"])
@pytest.mark.parametrize("slug, territory", [
    ("couverture", "paris-est-marne-et-bois"), ("actions", "paris-terres-d-envol"),
    ("quartier", "paris-est-marne-et-bois")])
def test_first_visit_of_a_fresh_server_lands_on_the_page_with_its_territory(
        start_app, e2e_db, page, public, slug, territory):
    base = start_app(e2e_db, public=public, env={"PERR_E2E_FRESH": f"deep-{slug}-{territory}"})
    goto(page, f"{base}/{slug}?territoire={territory}")
    if slug == "actions" and not public:
        screenshot(page, "normal-fresh-actions-1400")
    _landed(page, slug, territory)
    # app.py's menu, not the automatic list of every pages/ script (editing ones included)
    # (formerly test_public_browser::test_fresh_server_deep_link_goes_through_the_app_frame)
    menu = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Couverture" in menu and "Engagements des communes" in menu
    assert "saisie" not in menu.lower() and "comptes" not in menu.lower()
    if slug == "actions":
        assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip() == "Actions"


@pytest.mark.parametrize("territory", list(TERRITORIES))
def test_root_address_forwards_to_couverture_with_its_parameters(start_app, e2e_db, page,
                                                                 territory):
    base = start_app(e2e_db, public=True)
    goto(page, f"{base}/?territoire={territory}")
    _landed(page, "couverture", territory)


def test_a_link_in_a_running_session_selects_its_territory(start_app, e2e_db, page):
    base = start_app(e2e_db, public=True)
    goto(page, f"{base}/actions?territoire=paris-est-marne-et-bois")
    _landed(page, "actions", "paris-est-marne-et-bois")
    goto(page, f"{base}/couverture?territoire=paris-terres-d-envol")
    _landed(page, "couverture", "paris-terres-d-envol")


def test_address_follows_the_territory_selector(start_app, e2e_db, page):
    base = start_app(e2e_db, public=True)
    goto(page, f"{base}/engagements?territoire=paris-est-marne-et-bois")
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=TERRITORIES["paris-terres-d-envol"]).click()
    page.wait_for_url("**territoire=paris-terres-d-envol**", timeout=15_000)
    _landed(page, "engagements", "paris-terres-d-envol")
