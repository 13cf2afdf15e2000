"""The Évaluation page in a real browser (issue 15): Champigny chosen with the commune filter,
its employment-gap trend drawn, nothing scrolls sideways at 390 px; screenshots at 1400 and
390 px (tests/e2e/screenshots/evaluation-champigny-*.png) for review."""
import pytest

from conftest import DESKTOP, PHONE, goto, rerun, screenshot, wait_idle


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("public", [False, True], ids=["normal", "public"])
def test_evaluation_page_for_champigny(start_app, e2e_db, new_page, size, public):
    base = start_app(e2e_db, public=public)
    page = new_page(*size)
    goto(page, f"{base}/evaluation?territoire=paris-est-marne-et-bois")
    assert page.locator("h1").first.inner_text() == "Évaluation"
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Commune").first
    box.click()
    rerun(page, page.get_by_role("option", name="Champigny-sur-Marne").click)
    main = page.locator('[data-testid="stMain"]')
    body = main.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Écart de taux d'emploi entre les quartiers prioritaires de Champigny" in body
    assert "Première mesure : 14\u00a0points (2000)" in body
    assert "Dernière valeur : 17\u00a0points (2014)" in body
    assert "+3\u00a0points depuis 2000 (évolution défavorable)" in body
    assert "Taux de chômage" not in body  # Saint-Maur filtered out
    chart = page.locator(".perr-cols").first
    chart.scroll_into_view_if_needed()
    assert chart.locator(".perr-colv").all_text_contents()[:3] == ["14", "15", "17"]
    assert chart.locator(".perr-coly").all_text_contents()[:3] == ["2000", "2009", "2014"]
    heights = [b.evaluate("e => e.getBoundingClientRect().height")
               for b in chart.locator(".perr-colb").all()[:3]]
    assert heights[0] > 0 and heights[0] / heights[2] == pytest.approx(14 / 17, rel=0.03)
    overflow = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return [document.documentElement.scrollWidth, window.innerWidth,"
        " m.scrollWidth, m.clientWidth]; }")
    assert overflow[0] <= overflow[1] and overflow[2] <= overflow[3], overflow
    nav = page.locator('[data-testid="stSidebarNav"]')
    if public and size == DESKTOP:
        assert "Saisir des indicateurs" not in nav.inner_text()
    screenshot(page, f"evaluation-champigny-{'public' if public else 'normal'}-{size[0]}")
