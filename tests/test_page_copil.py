"""The Document COPIL page: loads, and one click gives the PDF and XLSX download buttons."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from perr_model.schema import Territory
from perr_model.store import make_engine

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "copil.py")


@pytest.fixture
def page(embedded_sqlite, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{embedded_sqlite}")
    engine = make_engine(f"sqlite:///{embedded_sqlite}")
    with Session(engine) as s:
        tid = s.scalars(select(Territory.id).filter_by(slug="paris-est-marne-et-bois")).one()
    engine.dispose()
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["territory_id"] = tid
    at.session_state["year"] = "2021"
    return at


def test_page_loads_with_year_from_sidebar_and_no_download_yet(page):
    page.run()
    assert not page.exception
    assert page.title[0].value == "Document COPIL"
    assert page.selectbox(key="copil_year").value == 2021
    assert "Tout le territoire" in page.selectbox(key="copil_commune").options
    assert page.get("download_button") == []


def test_one_click_offers_pdf_and_xlsx_of_the_chosen_commune(page):
    page.run()
    page.selectbox(key="copil_commune").set_value("94017").run()
    page.button[0].click().run()
    assert not page.exception
    buttons = page.get("download_button")
    assert [b.proto.label for b in buttons] == ["Télécharger le PDF",
                                                "Télécharger les tableaux (XLSX)"]
    assert buttons[0].proto.url.endswith(".pdf") and buttons[1].proto.url.endswith(".xlsx")
    stem = "copil-paris-est-marne-et-bois-2021-champigny-sur-marne"
    assert page.success[0].value == f"Document prêt : {stem}.pdf et {stem}.xlsx"


def test_changing_the_year_hides_the_previous_document(page):
    page.run()
    page.button[0].click().run()
    assert len(page.get("download_button")) == 2
    page.selectbox(key="copil_year").set_value(date.today().year).run()
    assert not page.exception
    assert page.get("download_button") == []


def test_every_year_is_a_choice_and_names_the_file(page):
    page.run()
    assert page.selectbox(key="copil_year").options[0] == "Toutes les années"
    page.selectbox(key="copil_year").select_index(0).run()
    page.button[0].click().run()
    assert not page.exception
    stem = "copil-paris-est-marne-et-bois-toutes-annees"
    assert page.success[0].value == f"Document prêt : {stem}.pdf et {stem}.xlsx"
    assert "y compris celles sans année renseignée" in page.caption[-1].value
