"""The « Saisir des indicateurs » page through AppTest (issue 15): a signed-in editor enters a
value for their commune (written, in the history), is refused for another commune (French
message, nothing written); the export offered is the file format. SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from editing_support import PASSWORD, password_hash
from page_support import APP, territory_id
from perr_model.schema import AuditLog, Commune, IndicatorValue, UserAccount
from perr_model.store import make_engine, write_session

PAGE = "pages/saisie_indicateurs.py"


@pytest.fixture
def editor_app(loaded_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", loaded_url)
    monkeypatch.setenv("PERR_PUBLIC", "0")
    engine = make_engine(loaded_url, read_only=False)
    with write_session(engine) as s:
        champigny = s.scalars(select(Commune).where(Commune.insee_code == "94017")).one()
        s.add(UserAccount(username="chef-champigny", role="editor", active=True,
                          password_hash=password_hash(), communes=[champigny],
                          territory_id=champigny.territory_id))
    engine.dispose()
    tid = territory_id(loaded_url, "paris-est-marne-et-bois")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/connexion.py")
    at.run()
    at.text_input[0].input("chef-champigny")
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    at.switch_page(PAGE)
    at.session_state["territory_id"] = tid
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    yield at, loaded_url
    from perr_ui import common
    common._store.clear()


def field(at, label):
    return next(w for w in list(at.text_input) if w.label == label)


def fill(at, commune: str, value: str) -> None:
    field(at, "Rattachement").input("axe 3")
    field(at, "Commune (code INSEE ou nom)").input(commune)
    field(at, "Indicateur").input("Jeunes accompagnés vers l'emploi")
    field(at, "Unité").input("jeunes")
    field(at, "Année").input("2022")
    field(at, "Valeur").input(value)
    field(at, "Source (document, observatoire, enquête)").input("Bilan mission locale")
    next(b for b in at.button if b.label == "Enregistrer").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def stored(url) -> tuple[int, int]:
    engine = make_engine(url)
    with Session(engine) as s:
        n = s.scalar(select(func.count()).select_from(IndicatorValue))
        logs = s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.entity == "indicator_value", AuditLog.username == "chef-champigny"))
    engine.dispose()
    return n, logs


def test_editor_enters_a_value_for_their_commune(editor_app):
    at, url = editor_app
    assert any(d.label == "Télécharger (CSV)" for d in at.get("download_button"))
    before = stored(url)
    fill(at, "94068", "12")  # Saint-Maur: outside the remit
    assert any("Saint-Maur-des-Fossés n'est pas dans votre périmètre" in e.value
               for e in at.error)
    assert stored(url) == before
    fill(at, "94017", "1 234,5")
    assert not at.exception and any("1 valeur(s) ont été ajoutée(s)" in s.value
                                    for s in at.success)
    assert stored(url) == (before[0] + 1, before[1] + 1)
    engine = make_engine(url)
    with Session(engine) as s:
        v = s.scalars(select(IndicatorValue).where(IndicatorValue.value == 1234.5)).one()
        assert (v.year, v.kind, v.entered_by) == (2022, "mesure", "chef-champigny")
    engine.dispose()
