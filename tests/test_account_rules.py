"""Accounts checked in the model layer (issue 28, item 7), on SQLite and PostgreSQL: names
matched in Python's folding (« Élodie » signs in on both), invisible characters refused, the
password policy, and a territory's administrator refused on the whole instance's one."""
import pytest
from sqlalchemy import text

from editing_support import PASSWORD, places_url, store  # noqa: F401 - fixtures
from perr_model import auth
from perr_model.errors import PermissionDenied, ValidationFailed
from perr_model.store import write_session

SYSTEM = auth.Actor.system()


def _account(engine, username):
    with engine.connect() as conn:
        return conn.execute(text("select active, password_hash, login from user_account "
                                 "where username = :u"), {"u": username}).one_or_none()


def test_elodie_signs_in_whatever_the_case_and_the_form(store):
    engine, *_ = store
    with write_session(engine) as s:
        auth.create_user(s, SYSTEM, "Élodie", "reader", password=PASSWORD,
                         territory="paris-est-marne-et-bois")
    assert _account(engine, "Élodie")[2] == "élodie"
    for typed in ("Élodie", "élodie", "ÉLODIE", "E\u0301lodie", " élodie "):  # NFD, spaces
        assert auth.sign_in(engine, typed, PASSWORD, "192.0.2.1").username == "Élodie"
    with write_session(engine) as s, pytest.raises(ValidationFailed, match="existe déjà"):
        auth.create_user(s, SYSTEM, "ÉLODIE", "reader", password=PASSWORD,
                         territory="paris-est-marne-et-bois")


@pytest.mark.parametrize("name", ["chef\u200bpemb", "\u202eadmin", "a\u00a0b", "zéro\u2060",
                                  "x\x07y", "\ufeffnom"])
def test_invisible_characters_refused_in_names(store, name):
    engine, *_ = store
    with write_session(engine) as s, pytest.raises(ValidationFailed, match="interdit"):
        auth.create_user(s, SYSTEM, name, "reader", password=PASSWORD,
                         territory="paris-est-marne-et-bois")
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from user_account")).scalar_one() == 4


@pytest.mark.parametrize("password, reason", [
    ("aaaaaaaaaa", "trop court"), (" " * 10, "trop court"), ("onze-carac", "trop court"),
    ("aaaaaaaaaaaa", "un seul caractère"), (" " * 12, "uniquement d'espaces"),
    ("mot-de-passe\x00-suite", "contrôle"), ("mot-de-passe\n-suite", "contrôle"),
    ("é" * 37, "trop long"), ("Marie-Curie-1867", "identique à l'identifiant"),
])
def test_password_policy(store, password, reason):
    engine, *_ = store
    with write_session(engine) as s, pytest.raises(ValidationFailed, match=reason):
        auth.create_user(s, SYSTEM, "marie-curie-1867", "reader", password=password,
                         territory="paris-est-marne-et-bois")
    assert _account(engine, "marie-curie-1867") is None
    name = "marie-curie-1867" if "identifiant" in reason else "lecteur"
    if name != "lecteur":  # the same rule when a password is reset
        with write_session(engine) as s:
            auth.create_user(s, SYSTEM, name, "reader", password=PASSWORD,
                             territory="paris-est-marne-et-bois")
    before = _account(engine, name)[1]
    with write_session(engine) as s, pytest.raises(ValidationFailed, match=reason):
        auth.set_password(s, SYSTEM, name, password)
    assert _account(engine, name)[1] == before


def test_a_good_password_is_accepted(store):
    engine, *_ = store
    with write_session(engine) as s:
        auth.create_user(s, SYSTEM, "marie-curie-1867", "reader", password="radium-polonium",
                         territory="paris-est-marne-et-bois")
    assert auth.sign_in(engine, "marie-curie-1867", "radium-polonium").role == "reader"


def test_a_territory_admin_cannot_touch_the_instance_admin_nor_another_territory(store):
    engine, actors, *_ = store
    with write_session(engine) as s:
        auth.create_user(s, SYSTEM, "admin-national", "admin", password=PASSWORD)
        auth.create_user(s, SYSTEM, "chef-envol", "reader", password=PASSWORD,
                         territory="paris-terres-d-envol")
    admin_pemb = actors["admin-pemb"]
    before = {name: _account(engine, name) for name in ("admin-national", "chef-envol")}
    for name, message in (("admin-national", "toute l'instance"),
                          ("chef-envol", "pas de votre territoire")):
        with write_session(engine) as s, pytest.raises(PermissionDenied, match=message):
            auth.set_active(s, admin_pemb, name, False)
        with write_session(engine) as s, pytest.raises(PermissionDenied, match=message):
            auth.set_password(s, admin_pemb, name, "un-autre-mot-de-passe")
    assert {name: _account(engine, name) for name in before} == before
    # on its own territory it still may; the instance's administrator anywhere
    with write_session(engine) as s:
        auth.set_active(s, admin_pemb, "chef-champigny", False)
    assert _account(engine, "chef-champigny")[0] in (False, 0)
    with write_session(engine) as s:
        national = auth.authenticate(s, "admin-national", PASSWORD)
    with write_session(engine) as s:
        auth.set_active(s, national, "chef-envol", False)
    assert _account(engine, "chef-envol")[0] in (False, 0)
