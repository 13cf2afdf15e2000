"""The action form when the database fails (issue 28, item 6): a French sentence, nothing
written, and the typed form kept, so that saving again once the base answers records it.

Real failures: on SQLite the app's URL turned into a read-only file URI after the start (reads
work, the write is refused by SQLite: "attempt to write a readonly database"); on PostgreSQL a
wrong port after the start (every read and write fails). Disk full: SQLite's own "database or
disk is full", provoked by a page limit on the connection."""
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from streamlit.testing.v1 import AppTest

from editing_support import PASSWORD, places_url  # noqa: F401 - fixture
from page_support import APP, territory_id
from perr_model.errors import DatabaseUnavailable
from perr_model.schema import Action
from perr_model.store import DISK_FULL, UNREACHABLE, Store, make_engine, sqlite_read_only_url

TITLE = "Atelier d'écriture du mardi"


def broken(url: str) -> str:
    if url.startswith("sqlite"):
        return sqlite_read_only_url(url)
    return url.replace(":5432/", ":1/")


def titles(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return list(c.execute(select(Action.title)).scalars())
    finally:
        engine.dispose()


def run(at: AppTest, tid: int) -> AppTest:
    at.session_state["territory_id"] = tid
    at.session_state["year"] = "Toutes les années"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_lost_database_gives_a_french_sentence_and_keeps_the_form(places_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", places_url)
    monkeypatch.setenv("PERR_PUBLIC", "0")
    tid = territory_id(places_url, "paris-est-marne-et-bois")
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("pages/connexion.py")
    at.run()
    at.text_input[0].input("chef-champigny")
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    at.switch_page("pages/saisie_action.py")
    at = run(at, tid)
    at.text_input(key="title_0").input(TITLE)
    next(t for t in at.text_input if t.label == "Année de début *").input("2022")
    at.multiselect[0].set_value(["94017"])
    monkeypatch.setenv("DATABASE_URL", broken(places_url))  # the base goes away
    at.button[0].click()
    at = run(at, tid)
    errors = [e.value for e in at.error]
    assert errors == [UNREACHABLE + " Votre saisie est conservée dans le formulaire : cliquez "
                      "de nouveau sur « Enregistrer » quand la base répondra."]
    assert "Error" not in " ".join(errors) and "sqlite" not in " ".join(errors).lower()
    assert at.text_input(key="title_0").value == TITLE          # what was typed is still there
    assert next(t for t in at.text_input if t.label == "Année de début *").value == "2022"
    assert at.multiselect[0].value == ["94017"]
    assert titles(places_url) == []                              # nothing written
    monkeypatch.setenv("DATABASE_URL", places_url)                # the base is back
    at.button[0].click()
    at = run(at, tid)
    assert "Action enregistrée." in [s.value for s in at.success]
    assert titles(places_url) == [TITLE]


def test_disk_full_is_a_french_sentence_and_nothing_is_written(tmp_path):
    url = f"sqlite:///{tmp_path / 'petit.sqlite'}"
    engine = make_engine(url, read_only=False)
    with engine.begin() as c:
        c.execute(text("create table note (body text)"))
    engine.dispose()
    store = Store(url, read_only=False, refresh=False)

    @event.listens_for(store.write_engine, "connect")
    def no_room(dbapi_connection, _record):  # the file may not grow: SQLite's SQLITE_FULL
        dbapi_connection.execute("PRAGMA max_page_count = 2")

    with pytest.raises(DatabaseUnavailable) as err:
        with store.write() as s:
            s.execute(text("insert into note values (:b)"), [{"b": "x" * 4000}] * 50)
    assert str(err.value) == DISK_FULL
    assert "disque du serveur est plein" in DISK_FULL
    with store.read() as s:
        assert s.execute(text("select count(*) from note")).scalar_one() == 0
    store.dispose()
