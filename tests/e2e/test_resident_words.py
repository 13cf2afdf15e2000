"""Residents read words, not the product's internals (issue 26, item 2 and its « done when »): on
the public instance at 390 px, no text of the list below is visible on a reading page outside a
details section (« Codes et références », closed until opened) — no framework English, no line
numbers of a source file, no command, no official QPV code, no action reference.

The pages visited: every reading page of the public instance for Paris Est Marne & Bois, and the
Quartier page of the quartiers named by the issue (Le Bois L'Abbé, Le Gros Saule: the latter had a
command and « pas encore importé » beside « aucun périmètre officiel »)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from conftest import PHONE, goto, wait_for_text
from perr_model.store import make_engine

FORBIDDEN = ["Record screen", "Feature", "(ligne", "python -m", "PERR-"]
QPV_CODE = re.compile(r"\bQ[NP]\d{5}[0-9A-Z]\b")  # « QN09422M », « QP093001 » (official codes)
PEMB, PTE = "paris-est-marne-et-bois", "paris-terres-d-envol"


def _visible_words(page) -> str:
    """The text a person sees: innerText leaves out a closed <details> section's content."""
    return page.locator("body").inner_text()


def _check(page, where: str) -> None:
    said = _visible_words(page)
    for word in FORBIDDEN:
        assert word not in said, f"{where} : « {word} » visible"
    assert not QPV_CODE.search(said), f"{where} : {QPV_CODE.search(said).group(0)} visible"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE[0], where


def _quartier_code(url: str, name_like: str) -> tuple[str, str | None]:
    """What the address names a quartier by (its official code, else its number in the base),
    and its official code (None for a quartier of the protocol that has none)."""
    engine = make_engine(url)
    with engine.connect() as c:
        qid, code = c.execute(text("select id, code from qpv where name like :n order by id"),
                              {"n": name_like}).one()
    engine.dispose()
    return code or str(qid), code


@pytest.fixture
def phone(new_page):
    return new_page(*PHONE)


def test_reading_pages_show_no_internal_words_to_residents(start_app, e2e_db, phone):
    base = start_app(e2e_db, public=True)
    for slug in ("couverture", "territoires", "actions", "engagements", "referentiel",
                 "evaluation", "mots", "a-propos"):
        goto(phone, f"{base}/{slug}?territoire={PEMB}&annee=2022")
        _check(phone, slug)


@pytest.mark.parametrize("territory, name", [(PEMB, "%Bois L%Abb%"), (PTE, "%Gros Saule%")])
def test_a_quartier_page_speaks_the_residents_words(start_app, e2e_db, phone, territory, name):
    base = start_app(e2e_db, public=True)
    linked, code = _quartier_code(e2e_db, name)
    goto(phone, f"{base}/quartier?territoire={territory}&quartier={linked}")
    wait_for_text(phone, "Engagements qui concernent le quartier")
    _check(phone, f"quartier {name}")
    said = _visible_words(phone)
    assert "pas encore importé" not in said
    if code:  # the code is there for those who look it up, folded in « Codes et références »
        codes = phone.locator('[data-testid="stExpander"] summary', has_text="Codes et références")
        codes.first.click()
        wait_for_text(phone, code)
