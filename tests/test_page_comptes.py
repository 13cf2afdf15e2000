"""Comptes (administrators): the confirmation of an account created is shown after the page's
rerun (a flash message kept in st.session_state), and the account is in the database."""
import pytest
from streamlit.testing.v1 import AppTest

from editing_support import PASSWORD, places_url  # noqa: F401 - fixture
from page_support import APP, html_tables, sql, territory_id


@pytest.fixture
def admin_page(places_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", places_url)
    monkeypatch.setenv("PERR_PUBLIC", "0")
    tid = territory_id(places_url, "paris-est-marne-et-bois")

    def run(at: AppTest) -> AppTest:
        at.session_state["territory_id"] = tid
        at.session_state["year"] = "Toutes les années"
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("pages/connexion.py")
    at.run()
    at.text_input[0].input("admin-pemb")
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    at.switch_page("pages/comptes.py")
    yield run(at), run, places_url
    from perr_ui import common
    common._store.clear()


def _field(at, label):
    return next(t for t in at.text_input if t.label.startswith(label))


def test_account_created_is_confirmed_after_the_rerun(admin_page):
    at, run, url = admin_page
    assert not at.success
    _field(at, "Identifiant").input("nouvelle-lectrice")
    next(s for s in at.selectbox if s.label == "Rôle").set_value("reader")
    _field(at, "Mot de passe").input("un-autre-mot-de-passe")
    next(b for b in at.button if b.label == "Créer le compte").click()
    at = run(at)
    assert [e.value for e in at.error] == []
    assert [s.value for s in at.success] == ["Compte nouvelle-lectrice créé."]
    assert sql(url, "select role from user_account where username = 'nouvelle-lectrice'") \
        == "reader"
    assert "nouvelle-lectrice" in html_tables(at)[0]["Identifiant"].tolist()
    at = run(at)                            # shown once: gone at the next run
    assert not at.success
