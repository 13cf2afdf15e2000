"""Reading pages of the public instance, as axe-core and a phone see them (issue 14, item 2).

Every reading page at 1400 and 390 px: no serious or critical axe-core violation (WCAG 2.1 A/AA
rules and axe's best practices), `<html lang="fr">`, none of Streamlit's English strings
visible, and at 390 px nothing wider than the screen. axe-core is the copy shipped by the
pinned PyPI package `axe-playwright-python` (requirements-dev.txt), injected into the page: no
network.

Violations that come from a page's own contents, which its owner is rewriting, are listed in
PAGE_CONTENT_PENDING: they are left out of the frame check and each one has its own strict
xfail below, which turns into a failure as soon as the page is fixed (then remove the entry).
"""
from __future__ import annotations

import re

import pytest

from conftest import DESKTOP, PHONE, goto
from perr_ui import nav

SIZES = {"1400": DESKTOP, "390": PHONE}
SLUGS = [s.url_path for s in nav.READING_PAGES]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
ENGLISH = ["Skip to main content", "View less", "Select all", "Choose an option", "No results",
           "Drag and drop", "per file", "Browse files", "Upload", "Running...", "Made with",
           "Page not found", "YYYY/MM/DD"]
ENGLISH_RE = re.compile(r"\bView \d+ more\b")

# (page, width, axe rule): found on the page's own contents, left to the page's owner.
PAGE_CONTENT_PENDING: dict[tuple[str, str, str], str] = {}  # none left (issue 14, h14b)
# (page, width): wider than the phone because of the page's own contents.
OVERFLOW_PENDING: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def seen(start_app, e2e_db, browser):
    """Each reading page at each width, looked at once: axe's serious/critical violations,
    scroll width, lang, visible text."""
    from axe_playwright_python.sync_playwright import Axe
    axe, base, cache = Axe(), start_app(e2e_db, public=True), {}

    def look(slug: str, width: str) -> dict:
        if (slug, width) not in cache:
            w, h = SIZES[width]
            ctx = browser.new_context(viewport={"width": w, "height": h}, locale="fr-FR")
            page = ctx.new_page()
            goto(page, f"{base}/{slug}?territoire=paris-est-marne-et-bois")
            result = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
            cache[slug, width] = {
                "violations": {v["id"]: [n["target"] for n in v["nodes"]]
                               for v in result.response["violations"]
                               if v["impact"] in ("serious", "critical")},
                "scroll_width": page.evaluate("() => document.documentElement.scrollWidth"),
                "lang": page.evaluate("() => document.documentElement.lang"),
                "text": page.locator("body").inner_text(),
                "h1": page.locator('[data-testid="stMain"] h1').first.inner_text(),
            }
            ctx.close()
        return cache[slug, width]

    return look


@pytest.mark.parametrize("width", SIZES)
@pytest.mark.parametrize("slug", SLUGS)
def test_no_serious_axe_violation(seen, slug, width):
    found = seen(slug, width)["violations"]
    frame = {rule: nodes for rule, nodes in found.items()
             if (slug, width, rule) not in PAGE_CONTENT_PENDING}
    assert frame == {}, f"/{slug} à {width} px : {frame}"


if PAGE_CONTENT_PENDING:  # an empty parameter set would be a skip (a failure under CI=true)
    @pytest.mark.parametrize("slug, width, rule", [
        pytest.param(*key, marks=pytest.mark.xfail(strict=True, reason=why), id="-".join(key))
        for key, why in PAGE_CONTENT_PENDING.items()])
    def test_page_content_violation_fixed(seen, slug, width, rule):
        assert rule not in seen(slug, width)["violations"]


@pytest.mark.parametrize("width", SIZES)
@pytest.mark.parametrize("slug", SLUGS)
def test_french_page_and_framework_strings(seen, slug, width):
    look = seen(slug, width)
    assert look["lang"] == "fr"
    assert look["h1"].strip(), "page sans titre"
    visible = [s for s in ENGLISH if s in look["text"]] + ENGLISH_RE.findall(look["text"])
    assert visible == [], f"/{slug} à {width} px montre : {visible}"


@pytest.mark.parametrize("slug", [
    pytest.param(s, marks=pytest.mark.xfail(strict=True, reason=OVERFLOW_PENDING[s, "390"]))
    if (s, "390") in OVERFLOW_PENDING else s for s in SLUGS])
def test_nothing_scrolls_sideways_on_a_phone(seen, slug):
    width = seen(slug, "390")["scroll_width"]
    assert width <= PHONE[0], f"/{slug} : {width} px de large sur un écran de {PHONE[0]} px"
