"""Addresses that can be shared (issue 24 item 6): the year, the commune, the quartier, the axis
and the action are in the address, a link opened on a fresh server shows them (public instance
too), the address follows the selectors, and each page has its own tab title.

Expected names and codes are read from the database with raw SQL, never from the page's code."""
from __future__ import annotations

import sqlite3
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import goto, rerun, wait_for_text

TERRITORY = "paris-est-marne-et-bois"


def _db(url: str) -> sqlite3.Connection:
    return sqlite3.connect(url.removeprefix("sqlite:///"))


def _params(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def _sidebar_year(page) -> str:
    return page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').nth(1) \
        .locator("input").input_value()


def _quartier(db: str, name_like: str) -> tuple[str, str]:
    with _db(db) as con:
        return con.execute(
            "SELECT q.code, q.name FROM qpv q JOIN qpv_commune qc ON qc.qpv_id = q.id "
            "JOIN commune c ON c.id = qc.commune_id JOIN territory t ON t.id = c.territory_id "
            "WHERE t.slug = ? AND q.name LIKE ? ORDER BY q.code LIMIT 1",
            (TERRITORY, name_like)).fetchone()


@pytest.mark.parametrize("public", [False, True], ids=["normal", "public"])
def test_a_link_with_year_and_quartier_opens_them_on_a_fresh_server(start_app, e2e_db, page,
                                                                    public):
    code, name = _quartier(e2e_db, "%Bois%Abb%")
    base = start_app(e2e_db, public=public,
                     env={"PERR_E2E_FRESH": f"address-quartier-{public}"})
    goto(page, f"{base}/quartier?territoire={TERRITORY}&annee=2022&quartier={code}")
    wait_for_text(page, name)
    assert page.locator('[data-testid="stMain"] h2').first.inner_text().strip() == name
    assert _sidebar_year(page) == "2022"
    assert _params(page) == {"territoire": TERRITORY, "annee": "2022", "quartier": code}
    # the tab names the quartier and the page, not the product only
    assert page.title().startswith(f"{name} – Quartier – ")


def test_the_address_follows_the_quartier_and_the_year(start_app, e2e_db, page):
    first, first_name = _quartier(e2e_db, "%Bois%Abb%")
    other, other_name = _quartier(e2e_db, "%Mordacs%")
    base = start_app(e2e_db, public=True)
    goto(page, f"{base}/quartier?territoire={TERRITORY}&quartier={first}")
    wait_for_text(page, first_name)
    box = page.get_by_role("combobox", name="Quartier")
    rerun(page, lambda: (box.click(), box.fill(other_name[:8]),
                         page.get_by_role("option", name=other_name).first.click()), other_name)
    assert _params(page)["quartier"] == other
    year = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').nth(1)
    rerun(page, lambda: (year.click(), page.get_by_role("option", name="2021").click()))
    assert _params(page)["annee"] == "2021" and _params(page)["quartier"] == other
    # the copied address, opened in a new session, shows the same view
    copied = page.url
    fresh = page.context.new_page()
    fresh.goto(copied)
    wait_for_text(fresh, other_name)
    assert _sidebar_year(fresh) == "2021"
    fresh.close()


def test_a_link_to_an_action_opens_its_detail(start_app, e2e_db, page):
    with _db(e2e_db) as con:  # the last action by title: the list opens on the first ones
        aid, title = con.execute(
            "SELECT a.id, a.title FROM action a JOIN territory t ON t.id = a.territory_id "
            "WHERE t.slug = ? AND NOT a.archived ORDER BY a.title DESC, a.id DESC LIMIT 1",
            (TERRITORY,)).fetchone()
    base = start_app(e2e_db, public=True, env={"PERR_E2E_FRESH": "address-action"})
    goto(page, f"{base}/actions?territoire={TERRITORY}&action={aid}")
    detail = page.locator('.st-key-perr-detail h2')
    detail.wait_for(timeout=60_000)
    assert detail.inner_text().strip() == title
    assert _params(page)["action"] == str(aid)
    # an action of no published page: a French sentence, no detail
    goto(page, f"{base}/actions?territoire={TERRITORY}&action=99999999")
    wait_for_text(page, "L'action de ce lien n'est pas publiée")
    assert page.locator('.st-key-perr-detail').count() == 0


def test_a_link_with_an_axis_and_communes_sets_the_map_and_the_filters(start_app, e2e_db, page):
    with _db(e2e_db) as con:
        axis_title = con.execute(
            "SELECT a.title FROM axis a JOIN territory t ON t.id = a.territory_id "
            "WHERE t.slug = ? AND a.number = 2", (TERRITORY,)).fetchone()[0]
        insee, commune = con.execute(
            "SELECT c.insee_code, c.name FROM commune c JOIN territory t ON t.id = c.territory_id "
            "WHERE t.slug = ? ORDER BY c.name LIMIT 1", (TERRITORY,)).fetchone()
    base = start_app(e2e_db, public=True)
    goto(page, f"{base}/couverture?territoire={TERRITORY}&axe=2")
    chosen = page.get_by_role("combobox", name="Axe de la carte")
    chosen.wait_for(timeout=60_000)
    assert axis_title[:20] in chosen.input_value()
    assert _params(page)["axe"] == "2"
    goto(page, f"{base}/actions?territoire={TERRITORY}&commune={insee}")
    wait_for_text(page, "Filtres (1 actif)")
    assert commune in page.locator('[data-testid="stMultiSelect"]').first.inner_text()
    assert _params(page)["commune"] == insee


def test_each_page_has_its_own_tab_title(start_app, e2e_db, page):
    base = start_app(e2e_db, public=True)
    seen = {}
    for slug in ("couverture", "actions", "engagements", "referentiel", "mots", "evaluation"):
        goto(page, f"{base}/{slug}?territoire={TERRITORY}")
        assert urlsplit(page.url).path.endswith("/" + slug), page.url
        h1 = page.locator('[data-testid="stMain"] h1').first.inner_text().strip()
        seen[slug] = page.title()
        assert "Paris Est Marne & Bois" in seen[slug], seen[slug]
        assert seen[slug].endswith("Tableau de bord PERR")
        assert h1.split()[0] in seen[slug], (h1, seen[slug])
    assert len(set(seen.values())) == len(seen), seen
