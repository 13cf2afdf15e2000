"""Role boundaries, enforced in the model layer (no UI): every write takes the acting user."""
import subprocess
import sys

import pytest
from sqlalchemy import select

from editing_support import PASSWORD, places_url, store  # noqa: F401 - fixtures
from perr_model import editing
from perr_model.auth import (
    Actor, actor_for_email, authenticate, create_user, hash_password, verify_password,
)
from perr_model.errors import AuthenticationFailed, PermissionDenied, ValidationFailed
from perr_model.schema import Action, UserAccount
from perr_model.settings import PROJECT_ROOT
from perr_model.store import write_session

CHAMPIGNY = {"title": "Atelier d'écriture", "year_start": "2021", "communes": ["94017"]}


def test_password_is_hashed_and_checked():
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$2") and "correct" not in hashed
    assert verify_password("correct horse battery", hashed)
    assert not verify_password("correct horse batterie", hashed)


def test_short_password_refused():
    with pytest.raises(ValidationFailed, match="trop court"):
        hash_password("court")


def test_sign_in_gives_the_account_role_and_communes(store):
    engine, actors, *_ = store
    with write_session(engine) as s:
        actor = authenticate(s, "chef-champigny", PASSWORD)
    assert actor.role == "editor" and actor.commune_ids == actors["chef-champigny"].commune_ids


@pytest.mark.parametrize("username, password", [
    ("chef-champigny", "mauvais-mot-de-passe"), ("inconnu", PASSWORD)])
def test_sign_in_failure_says_the_same_thing(store, username, password):
    engine, *_ = store
    with write_session(engine) as s, pytest.raises(AuthenticationFailed, match="incorrect"):
        authenticate(s, username, password)


def test_deactivated_account_cannot_sign_in(store):
    engine, *_ = store
    with write_session(engine) as s:
        s.scalars(select(UserAccount).filter_by(username="chef-champigny")).one().active = False
    with write_session(engine) as s, pytest.raises(AuthenticationFailed):
        authenticate(s, "chef-champigny", PASSWORD)


def test_editor_writes_in_own_commune(store):
    engine, actors, pemb, _ = store
    with write_session(engine) as s:
        action = editing.create_action(s, actors["chef-champigny"], CHAMPIGNY, territory_id=pemb)
        assert action.created_by == "chef-champigny"


@pytest.mark.parametrize("communes", [["94033"], ["94017", "94033"]])
def test_editor_cannot_write_outside_own_communes(store, communes):
    engine, actors, pemb, _ = store
    with write_session(engine) as s, pytest.raises(PermissionDenied, match="Fontenay"):
        editing.create_action(s, actors["chef-champigny"], {**CHAMPIGNY, "communes": communes},
                              territory_id=pemb)
    with write_session(engine) as s:
        assert s.scalars(select(Action)).all() == []


def test_editor_cannot_edit_or_archive_another_communes_action(store):
    engine, actors, pemb, _ = store
    with write_session(engine) as s:
        aid = editing.create_action(s, actors["chef-fontenay"], {**CHAMPIGNY,
                                    "communes": ["94033"]}, territory_id=pemb).id
    with write_session(engine) as s, pytest.raises(PermissionDenied):
        editing.update_action(s, actors["chef-champigny"], aid, {"title": "Pris"},
                              expected_version=1)
    with write_session(engine) as s, pytest.raises(PermissionDenied):
        editing.set_archived(s, actors["chef-champigny"], aid, True, expected_version=1)
    with write_session(engine) as s, pytest.raises(PermissionDenied):  # moving it in: refused
        editing.update_action(s, actors["chef-fontenay"], aid, {"communes": ["94017"]},
                              expected_version=1)
    with write_session(engine) as s:
        a = s.get(Action, aid)
        assert (a.title, a.archived, a.version) == (CHAMPIGNY["title"], False, 1)


def test_reader_cannot_write(store):
    engine, actors, pemb, _ = store
    with write_session(engine) as s, pytest.raises(PermissionDenied, match="lecture seule"):
        editing.create_action(s, actors["lecteur"], CHAMPIGNY, territory_id=pemb)


def test_admin_limited_to_own_territory(store):
    engine, actors, pemb, pte = store
    with write_session(engine) as s:
        editing.create_action(s, actors["admin-pemb"], CHAMPIGNY, territory_id=pemb)
    with write_session(engine) as s, pytest.raises(PermissionDenied, match="territoire"):
        editing.create_action(s, actors["admin-pemb"], {**CHAMPIGNY, "communes": ["93071"]},
                              territory_id=pte)


def test_territory_wide_action_is_for_administrators(store):
    engine, actors, pemb, _ = store
    with write_session(engine) as s:
        aid = editing.create_action(s, actors["admin-pemb"], CHAMPIGNY, territory_id=pemb).id
        s.get(Action, aid).communes = []
    with write_session(engine) as s, pytest.raises(PermissionDenied, match="administrateur"):
        editing.update_action(s, actors["chef-champigny"], aid, {"title": "x"},
                              expected_version=1)


def test_public_instance_refuses_sign_in_and_writes(store, monkeypatch):
    engine, actors, pemb, _ = store
    monkeypatch.setenv("PERR_PUBLIC", "1")
    with write_session(engine) as s:
        with pytest.raises(PermissionDenied, match="publique"):
            authenticate(s, "admin-pemb", PASSWORD)
        with pytest.raises(PermissionDenied, match="publique"):
            editing.create_action(s, actors["admin-pemb"], CHAMPIGNY, territory_id=pemb)
        with pytest.raises(PermissionDenied, match="publique"):
            create_user(s, Actor.system(), "x", "reader", password="abcdefghijkl")


def test_only_admins_create_accounts(store):
    engine, actors, *_ = store
    with write_session(engine) as s, pytest.raises(PermissionDenied):
        create_user(s, actors["chef-champigny"], "intrus", "admin", password="abcdefghijkl")


def test_editor_account_needs_a_known_commune(store):
    engine, actors, *_ = store
    with write_session(engine) as s, pytest.raises(ValidationFailed, match="99999"):
        create_user(s, actors["admin-pemb"], "x", "editor", password="abcdefghijkl",
                    commune_codes=["99999"])
    with write_session(engine) as s, pytest.raises(ValidationFailed, match="au moins une"):
        create_user(s, actors["admin-pemb"], "x", "editor", password="abcdefghijkl")


def test_oidc_email_maps_to_an_existing_account(store):
    engine, actors, *_ = store
    with write_session(engine) as s:
        create_user(s, actors["admin-pemb"], "agent", "editor", commune_codes=["94017"],
                    email="Agent@Ville.fr")
    with write_session(engine) as s:
        assert actor_for_email(s, "agent@ville.fr").role == "editor"
        assert actor_for_email(s, "autre@ville.fr") is None


def test_cli_creates_a_user_with_a_hashed_password(places_url):
    env = {"DATABASE_URL": places_url, "PATH": "/usr/bin:/bin", "PERR_NEW_PASSWORD": ""}
    out = subprocess.run(
        [sys.executable, "-m", "perr_model", "user", "create", "chef-villiers", "--role",
         "editor", "--commune", "94079", "--password", "villiers-2021!"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "94079" in out.stdout
    from perr_model.store import make_engine
    engine = make_engine(places_url)
    with engine.connect() as conn:
        stored = conn.execute(select(UserAccount.password_hash).where(
            UserAccount.username == "chef-villiers")).scalar_one()
    engine.dispose()
    assert verify_password("villiers-2021!", stored)
    bad = subprocess.run(
        [sys.executable, "-m", "perr_model", "user", "create", "x", "--role", "editor",
         "--commune", "99999", "--password", "abcdefghijkl"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "99999" in bad.stderr
