"""The chef de projet of Champigny makes an angle mort go down (issue 22, item 1), in a real
browser (`streamlit run`): reads the angles morts and their references on Couverture, adds an
action serving one of them in the form (engagements offered by commune, axis and number), sees
the count drop by one on Couverture; imports a CSV naming another reference shown in the list,
sees it drop again. Screenshots: tests/e2e/screenshots/engagement-*."""
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import (DESKTOP, PHONE, SCREENSHOTS, copy_with_accounts, goto, rerun, screenshot,
                     wait_for_text)
from test_walkthrough_chef_de_projet import _db, _menu  # same helpers

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from editing_support import PASSWORD  # noqa: E402
from perr_model.store import make_engine  # noqa: E402


@pytest.fixture(scope="module")
def engage_db(embedded_sqlite, tmp_path_factory):
    url = copy_with_accounts(embedded_sqlite, tmp_path_factory, "e2e-engage")
    return url


def _raw_angles_morts(url) -> set[str]:
    """References, written from the tables, of the PEMB commitments no live action serves."""
    engine = make_engine(url)
    with engine.connect() as c:
        rows = c.execute(text("""
            SELECT co.insee_code, m.theme_position, m.position FROM commitment m
            JOIN commune co ON co.id = m.commune_id JOIN territory t ON t.id = m.territory_id
            WHERE t.slug = 'paris-est-marne-et-bois' AND NOT EXISTS (
                SELECT 1 FROM action_commitment ac JOIN action a ON a.id = ac.action_id
                WHERE ac.commitment_id = m.id AND NOT a.archived)""")).all()
    engine.dispose()
    return {f"E-{i}-{t}-{p}" for i, t, p in rows}


def _couverture(page) -> tuple[int, list[str]]:
    """The headline's angles morts and the Champigny references of the angles-morts list."""
    _menu(page, "Couverture")
    value = page.locator('[data-testid="stMetric"]').filter(has_text="Angles morts").locator(
        '[data-testid="stMetricValue"]').inner_text()
    folded = page.locator('[data-testid="stExpander"] summary').filter(
        has_text="Liste des angles morts")   # built once opened (widgets.on_demand)
    folded.scroll_into_view_if_needed()
    rerun(page, folded.click, "Référence")
    listed = re.findall(r"E-94017-\d+-\d+", page.locator('[data-testid="stMain"]').inner_text())
    return int(value.replace("\u202f", "")), listed


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1400", "390"])
def test_champigny_editor_makes_an_angle_mort_go_down(start_app, engage_db, new_page, size,
                                                      tmp_path):
    w = size[0]
    base = start_app(engage_db)
    page = new_page(*size)
    goto(page, f"{base}/connexion?territoire=paris-est-marne-et-bois")
    page.get_by_label("Identifiant").fill("chef-champigny")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    rerun(page, page.get_by_role("button", name="Se connecter").click, "Connecté")

    count, listed = _couverture(page)
    assert count == len(_raw_angles_morts(engage_db))
    assert listed and set(listed) <= _raw_angles_morts(engage_db)
    served = listed[0]

    _menu(page, "Saisir une action")
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Objectifs opérationnels" not in main  # PEMB has none: no empty list offered
    title = f"Café des parents {w}"
    page.get_by_label("Titre *").fill(title)
    page.get_by_role("textbox", name="Année de début *").fill("2024")
    communes = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Communes *")
    communes.locator("input").click()
    page.keyboard.type("Champigny")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    engagements = page.locator('[data-testid="stMultiSelect"]').filter(
        has_text="Engagements des communes servis")
    # focused, not clicked: on a phone the list may open above the field, under the pointer
    engagements.locator("input").focus()
    page.keyboard.type(served[:8])                 # "E-94017-": Champigny's engagements
    page.get_by_role("option").filter(has_text=served[:8]).first.wait_for()
    options = [o for o in page.locator('[role="option"]').all_inner_texts() if "E-" in o]
    assert options and all(re.match(r"E-94017-\d+-\d+ · Champigny-sur-Marne · Axe \d · ", o)
                           for o in options), options
    page.screenshot(path=str(SCREENSHOTS / f"engagement-1-choix-{w}.png"))  # as it is: no resize
    page.keyboard.type(served[8:])
    page.get_by_role("option", name=served).wait_for()
    shown = page.locator('[role="option"]').all_inner_texts()  # the reference typed, only
    assert len(shown) == 1 and shown[0].startswith(served + " · "), shown
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    screenshot(page, f"engagement-2-saisie-{w}")
    rerun(page, page.get_by_role("button", name="Enregistrer").click, "Action enregistrée")
    assert _db(engage_db, """SELECT count(*) FROM action_commitment ac
                             JOIN action a ON a.id = ac.action_id WHERE a.title = :t""",
               t=title)[0] == 1

    after, listed_after = _couverture(page)
    assert after == count - 1 == len(_raw_angles_morts(engage_db))
    assert served not in listed_after
    screenshot(page, f"engagement-3-couverture-{w}")

    # the same through a CSV import, with a reference read in the list
    other = listed_after[0]
    _menu(page, "Importer une programmation")
    csv_path = tmp_path / "programmation.csv"
    csv_path.write_text("Titre;Communes;Année de début;Engagements\n"
                        f"Permanence numérique {w};94017;2024;{other}\n", encoding="utf-8")
    rerun(page, lambda: page.locator('input[type="file"]').set_input_files(str(csv_path)))
    rerun(page, page.get_by_role("button", name="Importer").click, "Actions écrites")
    last, listed_last = _couverture(page)
    assert last == count - 2 == len(_raw_angles_morts(engage_db))
    assert other not in listed_last

    # the detail says what the action serves, by the same reference
    _menu(page, "Actions")
    page.get_by_label("Recherche libre (titre, description, porteur, référence)").fill(title)
    rerun(page, lambda: page.keyboard.press("Enter"))
    page.locator('[data-testid="stSelectbox"]').filter(
        has_text="Voir le détail d'une action").first.click()
    rerun(page, page.get_by_role("option", name=title).first.click, "Sert")
    assert f"{served} – Champigny-sur-Marne" in page.locator('[data-testid="stMain"]').inner_text()
    screenshot(page, f"engagement-4-detail-{w}")
    _menu(page, "Engagements des communes")
    assert served in page.locator('[data-testid="stMain"]').inner_text()
    screenshot(page, f"engagement-5-engagements-{w}")

