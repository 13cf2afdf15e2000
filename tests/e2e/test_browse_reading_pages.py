"""Reading pages in a real browser beyond the tour of every page (test_accessibility.py): the
demonstration territory, the bars per axis and the map's axis, a referential with objectives and examples.
Screenshots are saved for review."""
import pytest

from conftest import DESKTOP, PHONE, goto, rerun, screenshot, wait_for_text, wait_idle


def test_demo_territory_is_labelled_and_its_bars_and_map_axis(start_app, demo_db, page):
    """One load of the demonstration's Couverture for both checks (formerly two tests)."""
    base = start_app(demo_db)
    goto(page, f"{base}/?territoire=demonstration")
    # the demonstration territory says so, and shows its two rows of figures
    assert "démonstration" in page.locator('[data-testid="stAlert"]').first.inner_text()
    assert page.locator('[data-testid="stMetric"]').count() == 7   # two rows: coverage, money
    screenshot(page, "demo-couverture-1400")
    # the bars per axis are text: each axis with its count, as in the axis table's figures;
    # the map's axis is chosen in its own list
    bars = page.locator("table.perr-bars tbody tr")
    assert bars.count() >= 2
    assert bars.nth(1).locator("th").inner_text().startswith("Axe 2 –")
    assert bars.nth(1).locator("td.n").inner_text().replace("\u202f", "").isdigit()
    width = bars.nth(1).locator(".perr-bar").evaluate("e => e.getBoundingClientRect().width")
    assert width > 0  # drawn, not only written
    assert any(v.startswith("Tous les axes") for v in select_values(page))
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Axe de la carte").first
    box.scroll_into_view_if_needed()
    box.locator("input, [role=combobox]").first.click()
    rerun(page, page.locator('[role="option"]').filter(has_text="Axe 2 –").first.click)
    screenshot(page, "demo-couverture-axis-chosen-1400")
    assert page.locator('[data-testid="stException"]').count() == 0
    values = select_values(page)
    assert not any(v.startswith("Tous les axes") for v in values)
    assert any(v.startswith("Axe 2 –") for v in values), values
    goto(page, f"{base}/actions?territoire=demonstration")
    screenshot(page, "demo-actions-1400")


def select_values(page) -> list[str]:
    """What each selectbox shows (its text, or its input's value when it is a combobox)."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid="stSelectbox"]')]
        .map(b => { const i = b.querySelector('input');
                    return ((i && i.value) || '') + (b.innerText || ''); })""")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_referential_with_objectives_and_examples(start_app, e2e_db, new_page, size):
    base = start_app(e2e_db)
    page = new_page(*size)
    goto(page, f"{base}/referentiel?territoire=paris-terres-d-envol")
    page.locator('[data-testid="stExpander"] summary').first.click()  # opens without a run
    wait_for_text(page, "aucune action")
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Paris Terres d'Envol" in text and "aucune action" in text
    screenshot(page, f"normal-referentiel-pte-{size[0]}")
