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


EDITORS_ONLY = ("Cette page est réservée aux éditeurs connectés (chefs de projet) et aux "
                "administrateurs.")


@pytest.mark.parametrize("actor, message", [
    (None, EDITORS_ONLY), (Actor("lecteur", "reader"), EDITORS_ONLY),
    (Actor("cdp", "editor"), "Cette page est réservée aux administrateurs.")])
def test_others_are_refused(db, actor, message):
    at = _run(actor)
    assert not at.exception, [e.value for e in at.exception]  # refused, not crashed
    assert [t.value for t in at.title] == ["Accès réservé"]
    assert [w.value for w in at.warning] == [message]
    assert not at.radio and not at.get("file_uploader")


def test_refused_on_the_public_instance(db, monkeypatch):
    monkeypatch.setenv("PERR_PUBLIC", "1")
    at = _run(Actor("admin", "admin"))
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning] == [
        "Instance publique, en lecture seule : la saisie est impossible."]
    assert not at.radio and not at.get("file_uploader")


def test_a_real_file_report_is_summarised_as_text_with_the_details_on_demand(db):
    """The embedded QPV 2024 extract (official perimeters, rounded coordinates): the repaired
    rings are summarised in one French line, the full list is in the detailed report."""
    import json

    import shapely
    path = PROJECT_ROOT / "data" / "geo" / "qpv-2024-93-94.geojson"
    invalid = sum(1 for f in json.loads(path.read_text(encoding="utf-8"))["features"]
                  if not shapely.geometry.shape(f["geometry"]).is_valid)
    assert invalid > 10
    at = _run(Actor.system("test"))
    at.radio[0].set_value(next(o for o in at.radio[0].options if "QPV" in o))
    at.get("file_uploader")[0].set_value((path.name, path.read_bytes(), "application/geo+json"))
    next(b for b in at.button if "importer" in b.label.lower()).click()
    at.run(timeout=120)
    assert not at.exception
    texts = [t.value for t in at.text]
    summary = f"{invalid} géométrie(s) réparée(s)"
    assert any(summary in t for t in texts)
    assert not any(line.count("géométrie réparée") for t in texts[:1] for line in t.splitlines())
    details = [t for e in at.expander for t in e.text]
    assert sum(t.value.count("géométrie réparée") for t in details) == invalid
