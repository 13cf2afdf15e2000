"""Reading pages in a real browser beyond the tour of every page (test_accessibility.py): the
demonstration territory, a click on an axis bar, a referential with objectives and examples.
Screenshots are saved for review."""
import pytest

from conftest import DESKTOP, PHONE, goto, screenshot, wait_idle


def test_demo_territory_is_labelled_and_an_axis_bar_sets_the_map_axis(start_app, demo_db,
                                                                      page):
    """One load of the demonstration's Couverture for both checks (formerly two tests)."""
    base = start_app(demo_db)
    goto(page, f"{base}/?territoire=demonstration")
    # the demonstration territory says so, and shows its two rows of figures
    assert "démonstration" in page.locator('[data-testid="stAlert"]').first.inner_text()
    assert page.locator('[data-testid="stMetric"]').count() == 7   # two rows: coverage, money
    screenshot(page, "demo-couverture-1400")
    # clicking an axis bar sets the map's axis
    assert any(v.startswith("Tous les axes") for v in select_values(page))
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.scroll_into_view_if_needed()
    bar = chart.locator("g.point").nth(1)
    bar.click(force=True)
    wait_idle(page)
    screenshot(page, "demo-couverture-axis-clicked-1400")
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
    page.locator('[data-testid="stExpander"] summary').first.click()
    wait_idle(page)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Paris Terres d'Envol" in text and "aucune action" in text
    screenshot(page, f"normal-referentiel-pte-{size[0]}")
