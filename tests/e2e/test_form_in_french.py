"""The action form of an existing action, in Chromium (issue 22, item 5): its fields, amounts,
history and the date field's spoken names and values are French (react-aria draws them in
"en-US": perr_ui/i18n.py rewrites them; docs/accessibility.md). A screenshot is kept."""
import re
import sys
from pathlib import Path

import pytest

from conftest import SCREENSHOTS, copy_with_accounts, goto, session_cookie, wait_idle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from editing_support import PASSWORD  # noqa: E402
from perr_model import editing  # noqa: E402
from perr_model.auth import Actor  # noqa: E402
from perr_model.store import make_engine, write_session  # noqa: E402
from test_page_french import FORBIDDEN  # noqa: E402

TERRITORY = "?territoire=paris-est-marne-et-bois"
TITLE = "Atelier numérique des parents"


@pytest.fixture(scope="module")
def form_db(embedded_sqlite, tmp_path_factory):
    url = copy_with_accounts(embedded_sqlite, tmp_path_factory, "e2e-form")
    engine = make_engine(url, read_only=False)
    with write_session(engine) as s:
        from sqlalchemy import text
        tid = s.execute(text("select id from territory where slug = 'paris-est-marne-et-bois'")
                        ).scalar_one()
        aid = editing.create_action(s, Actor.system("saisie"), {
            "title": TITLE, "year_start": "2022", "communes": ["94017"],
            "start_date": "01/07/2022", "funding": [
                {"funder": "etat_p147", "year": "2022", "amount_requested": "12500",
                 "amount_approved": "10000,50"}]}, territory_id=tid).id
    with write_session(engine) as s:
        editing.update_action(s, Actor.system("saisie"), aid, {"start_date": "15/07/2022"},
                              expected_version=1)
    engine.dispose()
    return url


def _open_form(page, base) -> str:
    """Sign in as Champigny's editor, open the action's form; what the screen reader is given
    (every aria-label and aria-valuetext of the page's main part)."""
    goto(page, f"{base}/connexion{TERRITORY}")
    page.get_by_label("Identifiant").fill("chef-champigny")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_function("() => document.body.innerText.includes('Connecté :')")
    session_cookie(page.context)   # a new page load is signed in once the cookie is set
    goto(page, f"{base}/saisie{TERRITORY}")
    choice = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
        has_text="Action").first
    choice.locator("input").click()
    page.keyboard.type("Atelier numérique des")
    page.get_by_role("option", name=re.compile(re.escape(TITLE))).click()
    page.wait_for_function("() => document.body.innerText.includes('Historique')")
    wait_idle(page)
    page.wait_for_timeout(500)  # the MutationObserver's pass
    return page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid="stMain"] [aria-label], [data-testid="stMain"] [aria-valuetext]')]
        .map(e => (e.getAttribute('aria-label') || '') + ' | ' +
                  (e.getAttribute('aria-valuetext') || '')).join('\\n')""")


def _assert_french(text: str) -> None:
    for name, rx in FORBIDDEN.items():
        assert not rx.search(text), (name, rx.findall(text))


@pytest.mark.parametrize("locale", ["fr-FR", "en-US"])
def test_the_form_of_an_existing_action_is_french(start_app, form_db, browser, locale):
    """In a French browser and in an English one (Streamlit draws the date field in en-US
    whatever the browser's language; its calendar follows the browser's)."""
    base = start_app(form_db, script="serve.py")
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale=locale)
    try:
        page = context.new_page()
        spoken = _open_form(page, base)
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert TITLE in page.get_by_label("Titre *").input_value()
        _assert_french(text)
        _assert_french(spoken)
        assert not re.search(r"\b(day|month|year), ", spoken), spoken
        assert "jour, Date de début" in spoken and "Vide" in spoken, spoken  # end date empty
        assert "7 – juillet" in spoken, spoken  # the month segment of 15/07/2022
        assert "Date de début : 01/07/2022 → 15/07/2022" in text
        assert "10 000,50" in text.replace("\u202f", " ")  # the funding editor is a canvas:
        # its cells are not in inner_text; the history's amounts are
        SCREENSHOTS.mkdir(exist_ok=True)
        tag = locale[:2]
        page.locator('[data-testid="stForm"]').screenshot(
            path=str(SCREENSHOTS / f"formulaire-action-{tag}.png"))
        page.get_by_text("Historique", exact=True).scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"formulaire-action-historique-{tag}.png"))
        button = page.get_by_role("button", name="Choisir une date").first
        button.scroll_into_view_if_needed()
        button.click()
        page.wait_for_timeout(500)
        shown = page.evaluate("() => document.body.innerText")
        labels = page.evaluate("""() => [...document.querySelectorAll('[aria-label]')]
            .map(e => e.getAttribute('aria-label')).join('\\n')""")
        page.screenshot(path=str(SCREENSHOTS / f"formulaire-action-calendrier-{tag}.png"))
        assert "juillet" in shown, shown[-300:]
        _assert_french(shown)
        _assert_french(labels)
        assert "Mois précédent" in labels and "Mois suivant" in labels
    finally:
        context.close()
