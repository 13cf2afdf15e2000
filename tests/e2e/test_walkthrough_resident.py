"""Walk-through: a member of a conseil citoyen reads the public instance on a phone (issue 14,
item 6).

Public instance, 390 px (and 1400 px for comparison), screenshots of every step in
tests/e2e/screenshots/ (walk-resident-*): Couverture → Quartier « Le Bois L'Abbé » → Actions
(cards, one opened) → Évaluation. On every step: nothing scrolls sideways, the page is in French
(`lang="fr"`, none of the English strings of the issue), no serious or critical axe-core
violation, no Python value shown."""
import re

import pytest
from sqlalchemy import text

from conftest import DESKTOP, PHONE, goto, rerun, screenshot, wait_idle
from test_accessibility import AXE_TAGS, ENGLISH, ENGLISH_RE
from perr_model.store import make_engine
from sql_support import quartier_actions

PEMB = "paris-est-marne-et-bois"
INTERNALS = re.compile(r"\b(?:None|nan|NaN|NaT)\b|\b\w+\.(?:md|xlsx|yaml|geojson)\b|"
                       r"etat_p147|bailleur_tfpb|CODE_QP|Code officiel : non renseigné|Population –")


def _sql(url: str, query: str, **params):
    engine = make_engine(url)
    with engine.connect() as c:
        value = c.execute(text(query), params).scalar_one()
    engine.dispose()
    return value


def _menu(page, label: str) -> None:
    """Follow a link of the menu (opened and closed again on a phone)."""
    folded = page.viewport_size["width"] < 700
    if folded:
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    rerun(page, page.locator('[data-testid="stSidebarNav"] a', has_text=label).click)
    if folded:
        page.locator('[data-testid="stSidebarCollapseButton"] button').click(force=True)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"stSidebar\"]')"
            ".getBoundingClientRect().right <= 0", timeout=10_000)


def _check(page, axe, step: str) -> None:
    w = page.viewport_size["width"]
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= w, f"{step} : {width} px de large sur un écran de {w} px"
    assert page.evaluate("() => document.documentElement.lang") == "fr"
    body = page.locator("body").inner_text()
    english = [s for s in ENGLISH if s in body] + ENGLISH_RE.findall(body)
    assert english == [], f"{step} montre : {english}"
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert INTERNALS.findall(main) == [], f"{step} montre : {INTERNALS.findall(main)}"
    levels = page.evaluate("() => [...document.querySelectorAll('[data-testid=stMain] "
                           "h1, [data-testid=stMain] h2, [data-testid=stMain] h3, "
                           "[data-testid=stMain] h4')].filter(h => h.offsetParent !== null)"
                           ".map(h => +h.tagName[1])")
    assert levels[:1] == [1] and all(b <= a + 1 for a, b in zip(levels, levels[1:])), \
        f"{step} : niveaux de titres {levels}"
    result = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    serious = {v["id"]: len(v["nodes"]) for v in result.response["violations"]
               if v["impact"] in ("serious", "critical")}
    assert serious == {}, f"{step} : {serious}"


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1400"])
def test_resident_reads_on_a_phone(start_app, e2e_db, new_page, size):
    from axe_playwright_python.sync_playwright import Axe
    axe, w = Axe(), size[0]
    base = start_app(e2e_db, public=True)
    page = new_page(*size)

    # 1. Couverture
    goto(page, f"{base}/couverture?territoire={PEMB}")
    assert page.locator('[data-testid="perr-summary"]').inner_text().startswith("En bref")
    _check(page, axe, "Couverture")
    screenshot(page, f"walk-resident-1-couverture-{w}")

    # 2. Quartier: Le Bois L'Abbé (the protocol's « Bois l'Abbé », official 2024 name)
    _menu(page, "Quartier")
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
        has_text="Quartier").first.click()
    rerun(page, page.get_by_role("option", name=re.compile(r"Bois L'Abbé")).first.click)
    assert "Bois L'Abbé" in page.locator('[data-testid="stMain"] h2').first.inner_text()
    qpv = _sql(e2e_db, "select id from qpv where code = 'QN09424I'")
    tid = _sql(e2e_db, "select id from territory where slug = 'paris-est-marne-et-bois'")
    n = len(quartier_actions(e2e_db, tid, qpv)["own"])  # raw SQL: tests/sql_support.py
    value = page.locator('[data-testid="stMetric"]').filter(has_text="Actions").first.locator(
        '[data-testid="stMetricValue"]').inner_text()
    assert value.strip() == str(n)
    # the map: a picture, described by its alt text (the WebGL map only on demand)
    alt = page.locator("figure.perr-map img").first.get_attribute("alt")
    assert alt.startswith("La carte montre le périmètre du quartier « Le Bois L'Abbé »"), alt
    axis = page.locator('[data-testid="stExpander"]').filter(
        has_not_text="Carte interactive").filter(has_not_text="Codes et références")
    axis.first.locator("summary").click()  # first axis's actions
    # the list is built once its axis is opened (a fragment rerun): wait for it
    axis.first.locator("table.perr-t").wait_for(timeout=30_000)
    wait_idle(page)
    _check(page, axe, "Quartier")
    screenshot(page, f"walk-resident-2-quartier-{w}")

    # 3. Actions: one table (cards on a phone); one action opened from the list
    _menu(page, "Actions")
    rows = page.locator('[data-testid="stMain"] table.perr-t').filter(
        has=page.locator("caption", has_text="Actions de cette page")).locator("tbody tr")
    assert rows.count() == min(50, _sql(e2e_db, "select count(*) from action a join "
                                                "territory t on t.id = a.territory_id "
                                                "where t.slug = :s and not a.archived", s=PEMB))
    first = rows.first.locator("th").inner_text()
    box = rows.first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= w  # a whole row or card on screen
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    page.locator('[data-testid="stSelectbox"]').filter(
        has_text="Voir le détail d'une action").first.click()
    rerun(page, page.get_by_role("option", name=first, exact=True).first.click)
    assert first in page.locator('[data-testid="stMain"] h2').first.inner_text()
    _check(page, axe, "Actions")
    screenshot(page, f"walk-resident-3-actions-{w}")

    # 4. Évaluation
    _menu(page, "Évaluation")
    assert page.locator('[data-testid="stMain"] h1').first.inner_text() == "Évaluation"
    _check(page, axe, "Évaluation")
    screenshot(page, f"walk-resident-4-evaluation-{w}")
