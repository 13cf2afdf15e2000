"""Walk-through: the vice-president prepares the COPIL (issue 14, item 6).

In a real browser at 1400 and 390 px, screenshots of every step in tests/e2e/screenshots/
(walk-vp-*): Couverture for Paris Est Marne & Bois, all years then 2022 (the summary sentence,
the action count against SQL, the State posts); then the Document COPIL page for 2022, whose
PDF is downloaded and whose first page repeats the same summary figures."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import DESKTOP, PHONE, goto, rerun, screenshot, wait_idle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from perr_model.store import make_engine  # noqa: E402

PEMB = "paris-est-marne-et-bois"


def _sql(url: str, query: str, **params):
    engine = make_engine(url)
    with engine.connect() as c:
        value = c.execute(text(query), params).scalar_one()
    engine.dispose()
    return value


def _flat(s: str) -> str:
    """Spaces as a reader sees them (narrow no-break spaces of French numbers, line breaks)."""
    return re.sub(r"\s+", " ", s.replace("\u202f", " ").replace("\u00a0", " ")).strip()


def _summary(page) -> str:
    return _flat(page.locator('[data-testid="perr-summary"]').inner_text())


def _sidebar(page, open_: bool) -> None:
    if page.viewport_size["width"] >= 700:
        return
    if open_:
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    else:
        page.locator('[data-testid="stSidebarCollapseButton"] button').click(force=True)
    # the sidebar slides in or out: wait until it is fully on or off screen, and still
    page.wait_for_function(
        """(o) => { const s = document.querySelector('[data-testid="stSidebar"]');
                    if (!s) return false;
                    const r = s.getBoundingClientRect();
                    const ok = o ? r.left >= 0 && r.width > 0 : r.right <= 0 || r.width === 0;
                    window.__perrSide = ok && window.__perrSideX === r.left
                        ? (window.__perrSide || 0) + 1 : 0;
                    window.__perrSideX = r.left;
                    return window.__perrSide >= 3; }""",
        arg=open_, polling=100, timeout=10_000)


def _choose_year(page, year: str) -> None:
    _sidebar(page, True)
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="Année").first
    box.click()
    rerun(page, page.get_by_role("option", name=year, exact=True).click)
    _sidebar(page, False)


def _metric(page, label: str) -> str:
    m = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return _flat(m.locator('[data-testid="stMetricValue"]').inner_text())


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1400", "390"])
def test_vice_president_prepares_the_copil(start_app, e2e_db, new_page, size, tmp_path):
    w = size[0]
    base = start_app(e2e_db)
    page = new_page(*size)
    goto(page, f"{base}/couverture?territoire={PEMB}")
    tid = _sql(e2e_db, "select id from territory where slug=:s", s=PEMB)

    # 1. all years: the count and the summary say the same as the database
    every = _sql(e2e_db, "select count(*) from action where territory_id=:t and not archived",
                 t=tid)
    assert _metric(page, "Actions") == str(every)
    summary_all = _summary(page)
    assert summary_all.startswith("En bref") and str(every) in summary_all
    assert page.evaluate("() => document.documentElement.scrollWidth") <= w
    screenshot(page, f"walk-vp-1-couverture-toutes-annees-{w}")

    # 2. 2022: fewer or as many actions, counted as the database does
    _choose_year(page, "2022")
    in_2022 = _sql(e2e_db, "select count(*) from action where territory_id=:t and not archived "
                           "and year_start<=2022 and coalesce(year_end, year_start)>=2022", t=tid)
    page.wait_for_function("(n) => [...document.querySelectorAll('[data-testid=stMetric]')]"
                           ".some(m => m.innerText.startsWith('Actions') && "
                           "m.querySelector('[data-testid=stMetricValue]').innerText.trim() == n)",
                           arg=str(in_2022), timeout=20_000)
    summary_2022 = _summary(page)
    assert summary_2022 != summary_all
    assert page.evaluate("() => document.documentElement.scrollWidth") <= w
    screenshot(page, f"walk-vp-2-couverture-2022-{w}")

    # 3. the State posts of 2022 (ANCT extract): their amount, in euros, as the database sums it
    posts = _sql(e2e_db, "select coalesce(sum(amount_approved), 0) from funding_line "
                         "where action_id is null and year = 2022 and contrat_de_ville_id in "
                         "(select contrat_de_ville_id from commune where territory_id = :t)",
                 t=tid)
    assert posts > 0  # the embedded extract has 2022 posts for this territory
    page.locator('[data-testid="stExpander"] summary').filter(
        has_text="Financements des actions et postes de l'État").click()
    # its content is built once it is opened (a fragment rerun): wait for it
    page.locator('[data-testid="stExpander"]').filter(
        has_text="postes de l'État").first.get_by_text("Total :").wait_for(timeout=30_000)
    wait_idle(page)
    posts_text = _flat(page.locator('[data-testid="stExpander"]').filter(
        has_text="postes de l'État").first.inner_text())
    expected = f"{round(posts):,}".replace(",", " ") + " €"
    assert f"Total : {expected}" in posts_text, posts_text
    screenshot(page, f"walk-vp-3-postes-2022-{w}")

    # 4. Document COPIL for 2022: the PDF's first page repeats the summary's figures
    _sidebar(page, True)
    rerun(page, page.locator('[data-testid="stSidebarNav"] a', has_text="Document COPIL").click)
    _sidebar(page, False)
    year_box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
        has_text="Année du document").first
    shown = year_box.evaluate("e => e.textContent + ' ' + [...e.querySelectorAll('input')]"
                              ".map(i => i.value).join(' ')")
    assert "2022" in shown, shown  # follows the sidebar's year
    page.get_by_role("button", name="Préparer le document").click()
    page.get_by_role("button", name="Télécharger le PDF").wait_for(timeout=120_000)
    wait_idle(page)
    screenshot(page, f"walk-vp-4-document-copil-{w}")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Télécharger le PDF").click()
    pdf = tmp_path / "copil.pdf"
    info.value.save_as(pdf)
    first = _flat(subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
                                 check=True, capture_output=True, text=True).stdout)
    figures = re.findall(r"\d+(?: \d{3})*(?: €)?", summary_2022.removeprefix("En bref :"))
    assert figures, summary_2022
    missing = [f for f in figures if f not in first]
    assert missing == [], f"absents de la première page du PDF : {missing}\n{first[:1500]}"

