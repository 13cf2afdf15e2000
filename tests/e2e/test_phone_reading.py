"""Couverture on a phone and the glossary (issue 26, items 2 and 6), public instance, 390×844:
the summary, the headline figures and the map come first, the long tables are folded, and the
first folded section starts within 4 screens; the glossary page reads without sideways scroll.
Screenshots: tests/e2e/screenshots/phone-couverture-390.png, phone-mots-390.png.
(axe-core on the glossary: test_accessibility.py, which tours every reading page.)"""
from conftest import PHONE, goto, screenshot

PEMB = "paris-est-marne-et-bois"
SCREENS = 4


def _top(page, selector: str) -> float | None:
    """The y position in the page (at scroll 0) of the first element shown for `selector`."""
    return page.evaluate(
        """(sel) => { const m = document.querySelector('[data-testid="stMain"]');
            const el = [...m.querySelectorAll(sel)].find(e => e.offsetParent !== null);
            return el ? el.getBoundingClientRect().top + m.scrollTop : null; }""", selector)


def test_couverture_puts_the_map_before_the_first_folded_section(start_app, e2e_db, new_page):
    base = start_app(e2e_db, public=True)
    page = new_page(*PHONE)
    goto(page, f"{base}/couverture?territoire={PEMB}")
    summary = _top(page, '[data-testid="perr-summary"]')
    figures = _top(page, '[data-testid="stMetric"]')
    picture = _top(page, "figure.perr-map")
    folded = _top(page, '[data-testid="stExpander"]')
    assert None not in (summary, figures, picture, folded), (summary, figures, picture, folded)
    assert summary < figures < picture < folded, (summary, figures, picture, folded)
    assert folded <= SCREENS * PHONE[1], f"premier pli à {folded:.0f} px ({folded / PHONE[1]:.1f} écrans)"
    # the long tables are behind their own folds: nothing of them on the page as it opens
    labels = page.locator('[data-testid="stExpander"] summary').all_inner_texts()
    for fold in ("Tableau par axe et par commune", "Financements des actions et postes de l'État"):
        assert any(fold in label for label in labels), (fold, labels)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Total territoire" not in main and "Financements des actions, par financeur" not in main
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    print(f"Couverture à 390 px : premier pli à {folded:.0f} px, page de {height} px "
          f"({height / PHONE[1]:.1f} écrans)")
    screenshot(page, "phone-couverture-390")


def test_the_glossary_reads_on_a_phone(start_app, e2e_db, new_page):
    base = start_app(e2e_db, public=True)
    page = new_page(*PHONE)
    goto(page, f"{base}/mots?territoire={PEMB}")
    main = page.locator('[data-testid="stMain"]')
    assert main.locator("h1").first.inner_text() == "Les mots du tableau de bord"
    terms = main.locator("dl dt").all_inner_texts()
    assert "Angle mort" in terms and "FONJEP" in terms and len(terms) >= 15, terms
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE[0]
    screenshot(page, "phone-mots-390")
