"""Every reading page in a real browser, desktop (1400 px) and phone (390 px), normal and public
instance, each page loaded once per (instance, width) and every check made on that load
(issue 14, item 2; formerly test_browse_reading_pages' tour and this file's axe tour).

On both instances: the page renders with no exception, a title and the menu (on the public
instance a menu with no editing page and no sign-in), and a screenshot of each is saved for
review (tests/e2e/screenshots/{normal,public}-<page>-<width>.png).

On the public instance, moreover: no serious or critical axe-core violation (WCAG 2.1 A/AA
rules and axe's best practices), `<html lang="fr">`, none of Streamlit's English strings
visible, and at 390 px nothing wider than the screen. axe-core is the copy shipped by the
pinned PyPI package `axe-playwright-python` (requirements-dev.txt), injected into the page: no
network.

Couverture is reached through the root address, which forwards to /couverture with the
default territory's parameter (Paris Est Marne & Bois): that load is checked to have landed on
/couverture?territoire=paris-est-marne-et-bois before anything else is looked at.

Violations that come from a page's own contents, which its owner is rewriting, are listed in
PAGE_CONTENT_PENDING: they are left out of the frame check and each one has its own strict
xfail below, which turns into a failure as soon as the page is fixed (then remove the entry).
"""
from __future__ import annotations

import re

import pytest

from conftest import DESKTOP, PHONE, goto, screenshot
from perr_ui import nav

SIZES = {"1400": DESKTOP, "390": PHONE}
SLUGS = [s.url_path for s in nav.READING_PAGES]
HOME = nav.home_page().url_path
PEMB = "paris-est-marne-et-bois"   # the default territory (first by name)
# Pages of the normal instance's tour (the public tour has every reading page; Évaluation on
# the normal instance is test_evaluation_browser's).
NORMAL_SLUGS = [HOME, "territoires", "actions", "engagements", "referentiel", "quartier",
                "copil", "mots", "a-propos"]
INSTANCES = {"normal": False, "public": True}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
ENGLISH = ["Skip to main content", "View less", "Select all", "Choose an option", "No results",
           "Drag and drop", "per file", "Browse files", "Upload", "Running...", "Made with",
           "Page not found", "YYYY/MM/DD"]
ENGLISH_RE = re.compile(r"\bView \d+ more\b")

# (page, width, axe rule): found on the page's own contents, left to the page's owner.
PAGE_CONTENT_PENDING: dict[tuple[str, str, str], str] = {}  # none left (issue 14, h14b)
# (page, width): wider than the phone because of the page's own contents.
OVERFLOW_PENDING: dict[tuple[str, str], str] = {}


def address(slug: str, public: bool) -> str:
    """The home page through the root address (no parameter); the others under their own
    address, with the territory's parameter on the public instance."""
    if slug == HOME:
        return "/"
    return f"/{slug}?territoire={PEMB}" if public else f"/{slug}"


@pytest.fixture(scope="module")
def seen(start_app, e2e_db, browser):
    """seen(instance, slug, width): that page, loaded once and looked at: exception, titles,
    menu; on the public instance also axe's serious/critical violations, scroll width, lang
    and visible text. A screenshot is saved last. One browser page per (instance, width) goes
    from one address to the next (each load is a new Streamlit session)."""
    from axe_playwright_python.sync_playwright import Axe
    axe, cache, tabs = Axe(), {}, {}

    def tab(instance: str, width: str):
        if (instance, width) not in tabs:
            w, h = SIZES[width]
            ctx = browser.new_context(viewport={"width": w, "height": h}, locale="fr-FR")
            tabs[instance, width] = ctx.new_page()
        return tabs[instance, width]

    def look(instance: str, slug: str, width: str) -> dict:
        key = (instance, slug, width)
        if key not in cache:
            public = INSTANCES[instance]
            base = start_app(e2e_db, public=public)
            page = tab(instance, width)
            goto(page, base + address(slug, public))
            if slug == HOME:   # the root address forwarded here, parameter added
                assert page.url == f"{base}/{HOME}?territoire={PEMB}", page.url
            found = {
                "exceptions": page.locator('[data-testid="stException"]').count(),
                "h1_count": page.locator("h1").count(),
                "nav_count": page.locator('[data-testid="stSidebarNav"]').count(),
            }
            found["menu"] = (page.locator('[data-testid="stSidebarNav"]').first.inner_text()
                             if found["nav_count"] else "")
            if public:
                result = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
                found |= {
                    "violations": {v["id"]: [n["target"] for n in v["nodes"]]
                                   for v in result.response["violations"]
                                   if v["impact"] in ("serious", "critical")},
                    "scroll_width": page.evaluate("() => document.documentElement.scrollWidth"),
                    "lang": page.evaluate("() => document.documentElement.lang"),
                    "text": page.locator("body").inner_text(),
                    "h1": page.locator('[data-testid="stMain"] h1').first.inner_text(),
                }
            screenshot(page, f"{instance}-{slug}-{SIZES[width][0]}")
            cache[key] = found
        return cache[key]

    yield look
    for page in tabs.values():
        page.context.close()


@pytest.mark.parametrize("width", SIZES)
@pytest.mark.parametrize("slug", SLUGS)
def test_no_serious_axe_violation(seen, slug, width):
    found = seen("public", slug, width)["violations"]
    frame = {rule: nodes for rule, nodes in found.items()
             if (slug, width, rule) not in PAGE_CONTENT_PENDING}
    assert frame == {}, f"/{slug} à {width} px : {frame}"


if PAGE_CONTENT_PENDING:  # an empty parameter set would be a skip (a failure under CI=true)
    @pytest.mark.parametrize("slug, width, rule", [
        pytest.param(*key, marks=pytest.mark.xfail(strict=True, reason=why), id="-".join(key))
        for key, why in PAGE_CONTENT_PENDING.items()])
    def test_page_content_violation_fixed(seen, slug, width, rule):
        assert rule not in seen("public", slug, width)["violations"]


@pytest.mark.parametrize("width", SIZES)
@pytest.mark.parametrize("slug", SLUGS)
def test_french_page_and_framework_strings(seen, slug, width):
    look = seen("public", slug, width)
    assert look["lang"] == "fr"
    assert look["h1"].strip(), "page sans titre"
    visible = [s for s in ENGLISH if s in look["text"]] + ENGLISH_RE.findall(look["text"])
    assert visible == [], f"/{slug} à {width} px montre : {visible}"


@pytest.mark.parametrize("slug", [
    pytest.param(s, marks=pytest.mark.xfail(strict=True, reason=OVERFLOW_PENDING[s, "390"]))
    if (s, "390") in OVERFLOW_PENDING else s for s in SLUGS])
def test_nothing_scrolls_sideways_on_a_phone(seen, slug):
    width = seen("public", slug, "390")["scroll_width"]
    assert width <= PHONE[0], f"/{slug} : {width} px de large sur un écran de {PHONE[0]} px"


@pytest.mark.parametrize("instance, width, slug", [
    pytest.param(instance, width, slug, id=f"{instance}-{width}-{slug}")
    for instance in INSTANCES for width in SIZES
    for slug in (SLUGS if INSTANCES[instance] else NORMAL_SLUGS)])
def test_every_reading_page_renders(seen, instance, width, slug):
    look = seen(instance, slug, width)
    assert look["exceptions"] == 0, slug
    assert look["h1_count"] >= 1, slug
    assert look["nav_count"] == 1, slug
    if INSTANCES[instance]:  # the public menu: reading pages, no editing page, no sign-in
        menu = look["menu"]
        assert "Couverture" in menu and "Saisir" not in menu and "Connexion" not in menu, menu
