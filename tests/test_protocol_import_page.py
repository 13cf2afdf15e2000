"""The protocol import page: administrators see the upload, others and the public instance are
refused (the review itself is driven in a browser: tests/e2e/test_protocol_review_browser.py)."""
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from perr_model.auth import Actor
from perr_model.settings import PROJECT_ROOT

PAGE = str(PROJECT_ROOT / "pages" / "import_protocole.py")


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


def test_administrator_sees_the_upload(db):
    at = _run(Actor("admin", "admin"))
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Importer un protocole"]
    assert "Rien n'est enregistré avant « Enregistrer »" in at.caption[0].value
    assert not at.button          # nothing to save before a document is read


@pytest.mark.parametrize("actor", [None, Actor("cdp", "editor")])
def test_others_are_refused(db, actor):
    at = _run(actor)
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Accès réservé"]
    assert not at.button


def test_refused_on_the_public_instance(db, monkeypatch):
    monkeypatch.setenv("PERR_PUBLIC", "1")
    at = _run(Actor("admin", "admin"))
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning] == [
        "Instance publique, en lecture seule : la saisie est impossible."]
