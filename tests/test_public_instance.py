"""Public instance (PERR_PUBLIC=1): read-only connection, reading pages only, no personal data
on any page or in any export."""
import io
import shutil

import openpyxl
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from page_support import PEMB, Page, sql, territory_id
from perr_model import action_list as al
from perr_model.errors import ReadOnlyStore
from perr_model.store import make_engine
from perr_ui import nav

SECRET = {"contact_name": "Josiane Témoin-Privé", "contact_email": "josiane.temoin@exemple.fr",
          "contact_phone": "06 12 34 56 78", "created_by": "saisie.jtemoin",
          "updated_by": "relecture.jtemoin"}
READING = [s.path for s in nav.READING_PAGES]


@pytest.fixture(scope="module")
def private_url(embedded_sqlite, tmp_path_factory) -> str:
    """A copy of the embedded data where every action carries a known contact person."""
    path = tmp_path_factory.mktemp("public") / "perr.sqlite"
    shutil.copy(embedded_sqlite, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url, read_only=False)
    with engine.begin() as c:
        c.execute(text("update action set contact_name=:contact_name, contact_email="
                       ":contact_email, contact_phone=:contact_phone, created_by=:created_by, "
                       "updated_by=:updated_by"), SECRET)
    engine.dispose()
    return url


@pytest.fixture
def public(monkeypatch, private_url):
    monkeypatch.setenv("DATABASE_URL", private_url)
    monkeypatch.setenv("PERR_PUBLIC", "1")
    return private_url


def test_the_app_connection_refuses_writes(public):
    from perr_ui import common
    engine = common.read_engine()
    with pytest.raises(DBAPIError):
        with engine.begin() as c:
            c.execute(text("insert into pillar(code, name, position) values ('x', 'X', 9)"))
    with pytest.raises(ReadOnlyStore, match="lecture seule"):
        with common.write():
            pass
    assert sql(public, "select count(*) from pillar where code='x'") == 0


def test_menu_lists_reading_pages_only_whatever_the_role(public):
    for role in (None, "reader", "editor", "admin"):
        assert [s.path for s in nav.pages_for(True, role)] == [
            p for p in READING if (nav.ROOT / p).exists()]


@pytest.mark.parametrize("path", [s.path for s in nav.EDITING_PAGES + nav.ADMIN_PAGES])
def test_editing_pages_refuse_even_by_direct_url(public, path):
    if not (nav.ROOT / path).exists():
        pytest.skip(f"{path} n'existe pas encore")
    p = Page(public, "pages/couverture.py", territory_id(public, PEMB))
    p.at.session_state["role"] = "admin"
    p.at.switch_page(path)
    p.at.run()
    assert not p.at.exception, [e.value for e in p.at.exception]  # refused, not crashed
    assert [w.value for w in p.at.warning] == [
        "Instance publique, en lecture seule : la saisie est impossible."]
    assert not p.at.text_input and not p.at.text_area and not p.at.number_input


@pytest.mark.parametrize("path", READING)
def test_no_personal_field_on_any_reading_page(public, path):
    if not (nav.ROOT / path).exists():
        pytest.skip(f"{path} n'existe pas encore")
    tid = territory_id(public, PEMB)
    p = Page(public, path, tid)
    shown = p.text()
    assert len(shown) > 200
    for value in SECRET.values():
        assert value not in shown, (path, value)
    if path == "pages/actions.py":  # the first action's detail as well
        assert "Champigny" in shown


def test_no_personal_field_in_exports_or_detail(public):
    from perr_ui import widgets
    tid = territory_id(public, PEMB)
    f = al.ActionFilter(territory_id=tid)
    csv = widgets.export_bytes(f, "csv").decode("utf-8-sig")
    book = openpyxl.load_workbook(io.BytesIO(widgets.export_bytes(f, "xlsx")))
    cells = " ".join(str(c.value) for row in book.active.iter_rows() for c in row)
    assert csv.count("\n") == sql(public, "select count(*) from action where territory_id=:t",
                                  t=tid) + 1
    engine = make_engine(public)
    with Session(engine) as s:
        ids = [r[0] for r in s.execute(text("select id from action")).all()]
        details = " ".join(str(al.detail(s, i)) for i in ids)
    engine.dispose()
    for value in SECRET.values():
        assert value not in csv and value not in cells and value not in details
    for name in al.PERSONAL_FIELDS:
        assert name not in csv.splitlines()[0]


def test_public_instance_shows_no_error_details(public):
    """Whatever config.toml says, a resident never sees a traceback on the public instance."""
    from streamlit import config
    from streamlit.testing.v1 import AppTest
    from page_support import APP
    config.set_option("client.showErrorDetails", "full")
    try:
        at = AppTest.from_file(APP, default_timeout=30)
        at.run()
        assert not at.exception
        assert config.get_option("client.showErrorDetails") == "none"
    finally:
        config.set_option("client.showErrorDetails", "full")
