"""Every setting declared in perr_model/settings.py is documented in README.md."""
from pathlib import Path

import pytest

from perr_model import settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [s[0] for s in settings.SETTINGS])
def test_setting_is_documented_in_readme(name):
    assert f"`{name}`" in README


def test_unknown_setting_is_refused():
    with pytest.raises(KeyError):
        settings.get("NOPE")


@pytest.mark.parametrize("value, public", [("1", True), ("oui", True), ("0", False), ("", False)])
def test_public_flag(monkeypatch, value, public):
    monkeypatch.setenv("PERR_PUBLIC", value)
    assert settings.is_public() is public
