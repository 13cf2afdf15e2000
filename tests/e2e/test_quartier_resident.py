"""A conseil citoyen's quartier on the public instance, on a 390 px phone (issue 26, items 1 and
3): Le Bois L'Abbé lists the actions of its renewal engagement, Les Beaudottes Savigny is found
under Sevran, no English from Streamlit (no ⋮ menu with « Record screen », no « Feature » in the
map's tooltip), axe-core still clean. Screenshot: tests/e2e/screenshots/public-quartier-bois-390.png."""
from sqlalchemy import text

from conftest import PHONE, goto, rerun, screenshot, wait_for_text
from test_accessibility import AXE_TAGS
from perr_model.store import make_engine

PEMB = "paris-est-marne-et-bois"
RENEWAL = "Engager le Projet de Renouvellement Urbain de la 2ème tranche du Bois l'Abbé"


def _titles(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as c:
        rows = c.execute(text(
            "select a.title from action a join action_commitment ac on ac.action_id = a.id "
            "join commitment k on k.id = ac.commitment_id where k.text = :t"), {"t": RENEWAL})
        titles = [r[0] for r in rows]
    engine.dispose()
    return titles


def _choose(page, label: str, typed: str, option: str) -> None:
    box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
        has_text=label).first
    box.click()
    page.keyboard.type(typed)
    rerun(page, page.locator('[role="option"]').filter(has_text=option).first.click)


def test_resident_finds_their_quartier_in_french(start_app, e2e_db, new_page):
    from axe_playwright_python.sync_playwright import Axe
    renewal = _titles(e2e_db)
    assert len(renewal) == 1  # the other line of the protocol is a note since its review
    page = new_page(*PHONE)
    base = start_app(e2e_db, public=True)
    goto(page, base + "/quartier?territoire=paris-terres-d-envol")
    assert page.locator('[data-testid="stMainMenu"]').count() == 0  # no ⋮ menu at all
    # Les Beaudottes Savigny under Sevran
    _choose(page, "Commune", "Sevran", "Sevran")
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
        has_text="Quartier").first.click()
    options = page.locator('[role="option"]')
    options.first.wait_for()
    assert "Les Beaudottes Savigny (Aulnay-sous-Bois, Sevran)" in options.all_inner_texts()
    page.keyboard.press("Escape")
    # Le Bois L'Abbé: its renewal engagement's actions
    goto(page, base + f"/quartier?territoire={PEMB}")
    _choose(page, "Quartier", "Bois L", "Le Bois L'Abbé (Champigny-sur-Marne)")
    wait_for_text(page, "Engagements qui concernent le quartier")
    axis = page.locator('[data-testid="stExpander"] summary', has_text="Axe 2").first
    rerun(page, axis.click, expect="par l'engagement")
    body = page.locator("body").inner_text()
    for title in renewal:
        assert title.rstrip("…")[:60] in body
    # the map's tooltip names the kind of place (« Commune : … », « Quartier (QPV) : … »),
    # never GeoJSON's « Feature : … »
    rerun(page, page.locator('[data-testid="stExpander"] summary',
                             has_text="Carte interactive").first.click)
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    canvas.wait_for(timeout=30_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = page.locator(".deck-tooltip")
    tip.wait_for(timeout=15_000)
    said = tip.inner_text()
    assert said.startswith(("Commune : ", "Quartier (QPV) : ")) and "Feature" not in said, said
    body = page.locator("body").inner_text()
    assert "Feature" not in body and "Record screen" not in body and "Made with" not in body
    page.mouse.move(0, 0)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE[0]
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    serious = {v["id"]: [n["target"] for n in v["nodes"]] for v in result.response["violations"]
               if v["impact"] in ("serious", "critical")}
    assert serious == {}
    screenshot(page, "public-quartier-bois-390")
