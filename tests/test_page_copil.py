"""The Document COPIL page: loads, and one click gives the PDF and XLSX download buttons."""
from __future__ import annotations

from pathlib import Path

import html
import io
import re
import shutil
import subprocess
import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from perr_model.schema import Territory
from perr_model.store import make_engine
from page_support import APP, Page, sql_rows, territory_id

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
    other = next(y for y in page.selectbox(key="copil_year").options[1:] if y != "2021")
    page.selectbox(key="copil_year").set_value(int(other)).run()
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


# --- the years offered: the sidebar's and this page's are one list (issue 23, item 3) -------------

def _years_by_sql(url: str, territory_id: int) -> list[str]:
    """Every year an action of the territory runs (not archived, first to last year) and every
    year of a funding line of its actions or of its contrats de ville (State posts)."""
    spans = sql_rows(url, "select year_start, coalesce(year_end, year_start) from action "
                          "where territory_id = :t and year_start is not null and not archived",
                     t=territory_id)
    money = sql_rows(url, "select distinct f.year from funding_line f "
                          "left join action a on a.id = f.action_id "
                          "left join contrat_de_ville c on c.id = f.contrat_de_ville_id "
                          "where f.year is not null and coalesce(a.territory_id, c.territory_id)"
                          " = :t", t=territory_id)
    years = {y for a, b in spans for y in range(a, max(a, b) + 1)} | {y for (y,) in money}
    return ["Toutes les années"] + [str(y) for y in sorted(years, reverse=True)]


def test_sidebar_and_copil_page_offer_the_same_years_for_each_territory(embedded_sqlite,
                                                                        monkeypatch):
    url = f"sqlite:///{embedded_sqlite}"
    monkeypatch.setenv("DATABASE_URL", url)
    territories = sql_rows(url, "select id, slug from territory order by id")
    assert len(territories) >= 2
    for tid, slug in territories:
        expected = _years_by_sql(url, tid)
        assert len(expected) > 1, slug
        sidebar = AppTest.from_file(APP, default_timeout=60)
        sidebar.session_state["territory_id"] = tid
        sidebar.run()
        assert not sidebar.exception
        assert sidebar.sidebar.selectbox(key="year").options == expected, slug
        copil = Page(url, "pages/copil.py", tid)
        assert copil.at.selectbox(key="copil_year").options == expected, slug


# --- the document is the data's as it is (issue 23, item 4) --------------------------------------

def test_a_write_by_another_process_gives_a_new_document_at_once(embedded_sqlite, tmp_path,
                                                                  monkeypatch):
    db = tmp_path / "copie.sqlite"
    shutil.copy(embedded_sqlite, db)
    url = f"sqlite:///{db}"
    monkeypatch.setenv("DATABASE_URL", url)
    served = []   # (file name, bytes) of every file the page hands to the browser
    real = MemoryMediaFileStorage.load_and_get_id

    def record(self, data, mimetype, kind, filename=None):  # noqa: ANN001
        served.append((filename, data))
        return real(self, data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    tid = territory_id(url, "paris-est-marne-et-bois")
    page = Page(url, "pages/copil.py", tid, 2021)
    page.at.button[0].click()
    page.run()
    first = _sources(served)
    assert first and not any("Protocole réécrit" in line for line in first)
    served.clear()
    page.run()                            # same data: the same document, from the cache
    assert _sources(served) == first

    engine = create_engine(url)           # another process: raw SQL, no hook of this app
    with engine.begin() as c:
        c.execute(text("update territory set protocol_title = 'Protocole réécrit par le test' "
                       "where id = :t"), {"t": tid})
    engine.dispose()
    time.sleep(1.1)                       # the data version is read at most once a second
    served.clear()
    page.run()
    assert any("Protocole réécrit par le test" in line for line in _sources(served))


def _sources(served) -> list[str]:
    """The "Sources" sheet of the last XLSX served."""
    data = [d for name, d in served if name and name.endswith(".xlsx")][-1:]
    if not data:
        return []
    ws = load_workbook(io.BytesIO(data[0]))["Sources"]
    return [str(r[0]) for r in ws.iter_rows(min_row=2, values_only=True)]


# --- the document's year follows the sidebar; summary and contents before the buttons (issue 24, item 5)

def test_the_document_year_follows_the_sidebar_until_chosen_here(page):
    page.run()
    assert page.selectbox(key="copil_year").value == 2021
    page.session_state["year"] = "Toutes les années"       # the sidebar's year changes
    page.run()
    assert page.selectbox(key="copil_year").value == "toutes"
    assert page.selectbox(key="copil_year").format_func("toutes") == "Toutes les années"
    page.selectbox(key="copil_year").set_value(2022).run()  # chosen on this page: kept
    page.run()
    assert page.selectbox(key="copil_year").value == 2022
    page.session_state["year"] = "2021"
    page.run()
    assert page.selectbox(key="copil_year").value == 2021


def test_summary_and_contents_are_shown_before_the_downloads(page, monkeypatch, tmp_path):
    served = []
    real = MemoryMediaFileStorage.load_and_get_id

    def record(self, data, mimetype, kind, filename=None):  # noqa: ANN001
        served.append((filename, data))
        return real(self, data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    page.run()
    page.button[0].click().run()
    assert not page.exception
    order = [n for n in _walk(page.main) if n.type in ("markdown", "html", "download_button")]
    kinds = [n.type for n in order]
    assert kinds.index("markdown") < kinds.index("html") < kinds.index("download_button")
    summary = next(n.value for n in order if n.type == "markdown")
    contents = next(n.proto.body for n in order if n.type == "html")
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(next(d for name, d in served if name.endswith(".pdf")))
    cover = " ".join(subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
                                    check=True, capture_output=True, text=True).stdout.split())
    said = summary.removeprefix("**L'essentiel :** ").replace("\\", "")
    assert " ".join(said.split()) in cover                  # the cover's « L'essentiel »
    entries = re.findall(r'<th scope="row">(.+?)</th><td data-label="Page" class="n">(\d+)</td>',
                         contents)
    assert [t for t, _ in entries][:2] == ["1. Chiffres clés", "2. Couverture par axe"]
    for title, number in entries:                           # each on the page it says
        text = subprocess.run(["pdftotext", "-f", number, "-l", number, str(pdf), "-"],
                              check=True, capture_output=True, text=True).stdout
        assert html.unescape(title) in " ".join(text.split()), (title, number)


def _walk(node) -> list:
    out = [node]
    for child in getattr(node, "children", {}).values():
        out += _walk(child)
    return out
