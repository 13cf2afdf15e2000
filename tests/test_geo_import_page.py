"""The perimeter import page: administrators only, refused to others and on the public instance."""
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from perr_model.auth import Actor
from perr_model.settings import PROJECT_ROOT

PAGE = str(PROJECT_ROOT / "pages" / "import_geo.py")


@pytest.fixture
def db(embedded_sqlite, tmp_path, monkeypatch):
    path = tmp_path / "perr.sqlite"
    shutil.copy(embedded_sqlite, path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    return path


def _run(actor):
    at = AppTest.from_file(PAGE, default_timeout=30)
    if actor is not None:
        at.session_state["actor"] = actor
        at.session_state["role"] = actor.role
        at.session_state["user"] = actor.username
    return at.run()


def test_administrator_sees_the_import_form(db):
    at = _run(Actor("admin", "admin"))
    assert not at.exception
    assert [t.value for t in at.title] == ["Importer les périmètres officiels"]
    assert [r.label for r in at.radio] == ["Type de fichier"]


@pytest.mark.parametrize("actor", [None, Actor("lecteur", "reader"), Actor("cdp", "editor")])
def test_others_are_refused(db, actor):
    at = _run(actor)
    assert not at.title or at.title[0].value != "Importer les périmètres officiels"
    assert not at.radio


def test_refused_on_the_public_instance(db, monkeypatch):
    monkeypatch.setenv("PERR_PUBLIC", "1")
    at = _run(Actor("admin", "admin"))
    assert not at.radio
