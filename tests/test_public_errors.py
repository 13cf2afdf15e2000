"""Failures on the public instance are French sentences (issue 28, item 6).

- A NUL (or another control character) typed in the public search of the Actions page: no
  crash on either backend (PostgreSQL refuses a NUL in a text parameter), the same actions as
  without it.
- serve.py's error handler (perr_ui/serving.script_error): a PerrError shows its own French
  message, any other error on the public instance one fixed French sentence and nothing of the
  exception; on the private instance other errors are left to Streamlit.
(The browser checks, with serve.py and with the bare app.py: tests/e2e/test_public_errors_browser.py.)
"""
import pytest
from streamlit.testing.v1 import AppTest

from page_support import PEMB, Page, sql, territory_id
from perr_ui.serving import PUBLIC_ERROR

COUNT = "Actions correspondant aux filtres"


def test_a_nul_in_the_public_search_is_no_crash(reader_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", reader_url)
    tid = territory_id(reader_url, PEMB)
    p = Page(reader_url, "pages/actions.py", tid)

    def search(typed: str) -> None:   # the widget of the last run (each run makes new ones)
        p.at.text_input(key="act_text").input(typed)
        p.run()   # Page.run asserts that the page raised nothing
        assert p.at.text_input(key="act_text").value == typed

    search("formation")
    plain = p.metric(COUNT)
    expected = sql(reader_url, "select count(*) from action where territory_id = :t and not "
                   "archived and (lower(title) like '%formation%' or lower(coalesce(description, "
                   "'')) like '%formation%' or lower(coalesce(holder_name, '')) like "
                   "'%formation%' or lower(reference) like '%formation%')", t=tid)
    assert plain == str(expected) and expected > 0
    for typed in ("formation\x00", "\x00formation", "formation\x07"):
        search(typed)
        assert p.metric(COUNT) == plain, repr(typed)
    search("")
    everything = p.metric(COUNT)
    search("\x00")   # nothing but a NUL: no word, every action
    assert p.metric(COUNT) == everything


def _shown(exc_source: str, public: bool, monkeypatch) -> tuple[bool, list[str]]:
    """What script_error shows for the exception `exc_source` builds, in a real script run."""
    monkeypatch.setenv("PERR_PUBLIC", "1" if public else "0")
    at = AppTest.from_string(
        "import streamlit as st\n"
        "from perr_model.errors import QueryTimeout\n"
        "from perr_ui import serving\n"
        f"st.session_state['replaced'] = serving.script_error({exc_source})\n")
    at.run()
    assert not at.exception
    return at.session_state["replaced"], [e.value for e in at.error]


MESSAGE = "La base de données n'a pas répondu en 5 secondes : la demande a été interrompue."


@pytest.mark.parametrize("public", [True, False])
def test_an_error_of_the_product_shows_its_french_message(public, monkeypatch):
    replaced, errors = _shown(f"QueryTimeout({MESSAGE!r})", public, monkeypatch)
    assert replaced is True and errors == [MESSAGE]


def test_any_other_error_on_the_public_instance_is_one_french_sentence(monkeypatch):
    replaced, errors = _shown("KeyError('/srv/perr/perr.sqlite: select password_hash')", True,
                              monkeypatch)
    assert replaced is True and errors == [PUBLIC_ERROR]


def test_on_the_private_instance_other_errors_are_left_to_streamlit(monkeypatch):
    assert _shown("KeyError('x')", False, monkeypatch) == (False, [])
