"""An editor stays signed in across a reload (F5) and a new tab (issue 22, item 4; docs/auth.md).

`make run`'s server (serve.py: Streamlit plus the sign-in cookie's routes) in Chromium: sign in,
the HttpOnly cookie is set; a reload and a new tab are signed in; Enter in the action form's
title saves nothing; sign out: the cookie is cleared, the other tab is told its session ended, a
reload is signed out, and the old cookie put back by hand signs nobody in; a deactivated
account's cookie is refused."""
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from conftest import copy_with_accounts, goto, session_cookie, wait_idle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from editing_support import PASSWORD  # noqa: E402
from perr_model import auth  # noqa: E402
from perr_model.schema import UserAccount  # noqa: E402
from perr_model.store import make_engine, write_session  # noqa: E402

COOKIE = "perr_session"
TERRITORY = "?territoire=paris-est-marne-et-bois"


@pytest.fixture(scope="module")
def signin_db(embedded_sqlite, tmp_path_factory):
    url = copy_with_accounts(embedded_sqlite, tmp_path_factory, "e2e-signin")
    return url


def _scalar(url, sql, **params):
    engine = make_engine(url)
    with engine.connect() as c:
        value = c.execute(text(sql), params).scalar_one()
    engine.dispose()
    return value


def _put_back(context, cookie) -> None:
    """The cookie set by hand in a browser, as someone who copied it would."""
    context.add_cookies([{k: cookie[k] for k in (
        "name", "value", "domain", "path", "httpOnly", "sameSite", "expires")}])


def _main(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def _sign_in(page, base, username):
    goto(page, f"{base}/connexion{TERRITORY}")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_function("() => document.body.innerText.includes('Connecté :')")
    wait_idle(page)
    return session_cookie(page.context)


def _signed_in_as(page, username) -> bool:
    return f"Connecté : {username}" in _main(page)


def test_signed_in_across_reload_and_new_tab_until_sign_out(start_app, signin_db, new_page):
    base = start_app(signin_db, script="serve.py")
    page = new_page()
    # the browser's password manager fills these fields (Streamlit's default: new-password)
    goto(page, f"{base}/connexion{TERRITORY}")
    assert page.get_by_label("Identifiant").get_attribute("autocomplete") == "username"
    assert page.get_by_label("Mot de passe", exact=True).get_attribute(
        "autocomplete") == "current-password"
    cookie = _sign_in(page, base, "chef-champigny")
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/")
    assert not cookie["secure"]                      # plain http here
    assert cookie["expires"] - time.time() == pytest.approx(12 * 3600, abs=120)

    page.reload()
    wait_idle(page)
    assert _signed_in_as(page, "chef-champigny")

    # a new tab, straight onto an editing page
    tab = page.context.new_page()
    goto(tab, f"{base}/saisie{TERRITORY}")
    assert "Saisir une action" in tab.locator("h1").first.inner_text()
    assert "réservée" not in _main(tab)
    # Enter in the title field of a complete form saves nothing (it used to save, twice);
    # the button saves it, once
    audits = _scalar(signin_db, "select count(*) from audit_log where entity = 'action'")
    tab.get_by_role("textbox", name="Année de début *").fill("2022")
    communes = tab.locator('[data-testid="stMultiSelect"]').filter(has_text="Communes *")
    communes.locator("input").click()
    tab.keyboard.type("Champigny")
    tab.keyboard.press("Enter")
    tab.keyboard.press("Escape")
    title = tab.get_by_label("Titre *")
    title.fill("Action validée par Entrée")
    title.press("Enter")
    wait_idle(tab)
    assert "Action enregistrée" not in _main(tab)
    saved = "select count(*) from action where title = 'Action validée par Entrée'"
    assert _scalar(signin_db, saved) == 0
    assert _scalar(signin_db, "select count(*) from audit_log where entity = 'action'") == audits
    tab.get_by_role("button", name="Enregistrer").click()
    tab.wait_for_function("() => document.body.innerText.includes('Action enregistrée')")
    wait_idle(tab)
    assert _scalar(signin_db, saved) == 1
    assert _scalar(signin_db, "select count(*) from audit_log where entity = 'action'") == (
        audits + 1)

    # sign out in the first tab: the cookie is cleared and its token revoked
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("button", name="Se connecter").wait_for()
    session_cookie(page.context, present=False)
    assert _scalar(signin_db, "select count(*) from session_token t join user_account a on "
                   "a.id = t.account_id where a.username = 'chef-champigny' "
                   "and t.revoked_at is null") == 0
    page.reload()
    wait_idle(page)
    assert page.get_by_role("button", name="Se connecter").count() == 1
    # the other tab, at its next click, is told its session ended
    tab.get_by_role("link", name="Connexion").click()
    wait_idle(tab)
    assert "Votre session a pris fin" in _main(tab)
    # the old cookie, put back by hand, signs nobody in: the token is revoked on the server
    _put_back(page.context, cookie)
    goto(page, f"{base}/connexion{TERRITORY}")
    assert page.get_by_role("button", name="Se connecter").count() == 1


def test_a_deactivated_accounts_cookie_is_refused(start_app, signin_db, new_page):
    base = start_app(signin_db, script="serve.py")
    page = new_page()
    cookie = _sign_in(page, base, "chef-fontenay")
    # the same cookie in another browser signs in: it is the sign-in
    other = new_page()
    _put_back(other.context, cookie)
    goto(other, f"{base}/connexion{TERRITORY}")
    assert _signed_in_as(other, "chef-fontenay")

    engine = make_engine(signin_db, read_only=False)
    with write_session(engine) as s:
        admin = auth.actor_for(s.scalars(select(UserAccount).filter_by(
            username="admin-pemb")).one())
        auth.set_active(s, admin, "chef-fontenay", False)
    engine.dispose()
    for browser_page in (page, other):
        browser_page.reload()
        wait_idle(browser_page)
        assert browser_page.get_by_role("button", name="Se connecter").count() == 1
        assert "Connecté" not in _main(browser_page)
