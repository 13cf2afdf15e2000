"""The page registry: the public instance lists reading pages only, every listed file exists."""
from pathlib import Path

import pytest

from perr_ui import nav

ROOT = Path(__file__).resolve().parents[1]
ALL = nav.READING_PAGES + [nav.SIGN_IN_PAGE] + nav.EDITING_PAGES + nav.ADMIN_PAGES


@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.path)
def test_every_registered_page_file_exists(spec):
    assert (ROOT / spec.path).is_file()


@pytest.mark.parametrize("role", [None, "reader", "editor", "admin"])
def test_public_instance_lists_reading_pages_only(role):
    listed = {s.path for s in nav.pages_for(public=True, role=role)}
    assert listed == {s.path for s in nav.READING_PAGES}


def test_editor_gets_editing_pages_but_not_admin_pages():
    listed = {s.path for s in nav.pages_for(public=False, role="editor")}
    assert {s.path for s in nav.EDITING_PAGES} <= listed
    assert not listed & {s.path for s in nav.ADMIN_PAGES}


def test_exactly_one_default_page():
    assert sum(s.default for s in ALL) == 1


@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.path)
def test_every_page_refuses_to_run_outside_the_app_frame(spec):
    """A fresh server runs pages/ scripts by themselves until app.py has run once."""
    assert "\nrequire_app_frame()" in (ROOT / spec.path).read_text(encoding="utf-8")
