"""Sign-in throttling, audit of sign-ins, and revocation taking effect at once (issue 13, item 4).
SQLite and PostgreSQL (the `store` fixture of editing_support runs on both)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from editing_support import PASSWORD, places_url, store  # noqa: F401 - fixtures
from perr_model import auth, editing
from perr_model.errors import AuthenticationFailed, PermissionDenied
from perr_model.schema import AuditLog, UserAccount, utcnow
from perr_model.store import write_session

CHAMPIGNY = {"title": "Atelier d'écriture", "year_start": "2021", "communes": ["94017"]}


def _fail(engine, username, client, now, times=1):
    for _ in range(times):
        with pytest.raises(AuthenticationFailed) as info:
            auth.sign_in(engine, username, "mauvais-mot-de-passe", client, now=now)
    return str(info.value)


def test_five_failures_then_the_right_password_must_wait(store):
    engine, *_ = store
    t0 = utcnow()
    _fail(engine, "chef-champigny", "10.0.0.1", t0, 5)
    # 5 wrong passwords, then the right one from another new client 10 s later: refused
    # without checking it (the account's count holds back every client it has not seen)
    with pytest.raises(AuthenticationFailed, match="Trop de tentatives") as info:
        auth.sign_in(engine, "chef-champigny", PASSWORD, "10.0.0.2", now=t0 + timedelta(seconds=10))
    assert "réessayez dans 1 minute" in str(info.value)
    # the 30 s wait is over: the right password works again (the refused attempt did not count)
    actor = auth.sign_in(engine, "chef-champigny", PASSWORD, "10.0.0.3",
                         now=t0 + timedelta(seconds=31))
    assert actor.username == "chef-champigny"


def test_the_wait_grows_with_each_failure(store):
    engine, *_ = store
    t0 = utcnow()
    _fail(engine, "admin-pemb", "c", t0, 5)          # 5 failures: next wait 30 s
    t1 = t0 + timedelta(seconds=31)
    _fail(engine, "admin-pemb", "c", t1)             # 6th failure: wait 60 s
    with pytest.raises(AuthenticationFailed, match="réessayez dans 1 minute"):
        auth.sign_in(engine, "admin-pemb", PASSWORD, "c", now=t1 + timedelta(seconds=45))
    t2 = t1 + timedelta(seconds=61)
    _fail(engine, "admin-pemb", "c", t2)             # 7th failure: wait 120 s
    with pytest.raises(AuthenticationFailed, match="réessayez dans 2 minutes"):
        auth.sign_in(engine, "admin-pemb", PASSWORD, "c", now=t2 + timedelta(seconds=1))
    assert auth.sign_in(engine, "admin-pemb", PASSWORD, "c",
                        now=t2 + timedelta(seconds=121)).username == "admin-pemb"


def test_same_message_whether_the_account_exists_or_not(store):
    engine, *_ = store
    t0 = utcnow()
    known = _fail(engine, "chef-fontenay", "x", t0, 6)
    unknown = _fail(engine, "personne-de-ce-nom", "y", t0, 6)
    assert known == unknown and "Trop de tentatives" in known
    first_known = _fail(engine, "lecteur", "z1", t0)
    first_unknown = _fail(engine, "absent", "z2", t0)
    assert first_known == first_unknown == auth.FAILED_MESSAGE


def test_throttled_per_client_across_accounts(store):
    engine, *_ = store
    t0 = utcnow()
    for name in ("a1", "a2", "a3", "a4", "a5"):
        _fail(engine, name, "192.0.2.7", t0)
    with pytest.raises(AuthenticationFailed, match="Trop de tentatives"):
        auth.sign_in(engine, "chef-champigny", PASSWORD, "192.0.2.7", now=t0)
    # another client is not held back
    assert auth.sign_in(engine, "chef-champigny", PASSWORD, "192.0.2.8", now=t0).role == "editor"


def test_sign_ins_are_in_the_audit_log(store):
    engine, *_ = store
    t0 = utcnow()
    _fail(engine, "chef-champigny", "198.51.100.1", t0)
    auth.sign_in(engine, "chef-champigny", PASSWORD, "198.51.100.1", now=t0)
    with write_session(engine) as s:
        rows = s.execute(select(AuditLog.operation, AuditLog.username, AuditLog.summary).where(
            AuditLog.entity == "sign_in").order_by(AuditLog.id)).all()
    assert [tuple(r) for r in rows] == [
        ("failed", "chef-champigny", "client 198.51.100.1"),
        ("success", "chef-champigny", "client 198.51.100.1")]


def test_oidc_mapping_recorded_and_deactivated_address_refused(store):
    engine, *_ = store
    with write_session(engine) as s:
        s.scalars(select(UserAccount).filter_by(username="chef-fontenay")).one().email = \
            "chef@fontenay.example"
    with write_session(engine) as s:
        assert auth.actor_for_email(s, "Chef@Fontenay.example", "c").username == "chef-fontenay"
        assert auth.actor_for_email(s, "inconnu@example.fr", "c") is None
    with write_session(engine) as s:
        s.scalars(select(UserAccount).filter_by(username="chef-fontenay")).one().active = False
    with write_session(engine) as s:
        assert auth.actor_for_email(s, "chef@fontenay.example", "c") is None
        ops = s.execute(select(AuditLog.operation, func.count()).where(
            AuditLog.entity == "sign_in").group_by(AuditLog.operation)).all()
    assert dict(ops) == {"success": 1, "failed": 2}


def test_deactivation_and_demotion_apply_to_the_next_write(store):
    engine, actors, pemb, _ = store
    with write_session(engine) as s:
        actor = auth.authenticate(s, "chef-champigny", PASSWORD)
    with write_session(engine) as s:  # the session's actor can write…
        editing.create_action(s, actor, CHAMPIGNY, territory_id=pemb)
    with write_session(engine) as s:  # … an administrator demotes the account to reader
        s.scalars(select(UserAccount).filter_by(username="chef-champigny")).one().role = "reader"
    with write_session(engine) as s, pytest.raises(PermissionDenied, match="lecture seule"):
        editing.create_action(s, actor, CHAMPIGNY, territory_id=pemb)
    with write_session(engine) as s:  # back to editor, but its commune is taken away
        account = s.scalars(select(UserAccount).filter_by(username="chef-champigny")).one()
        account.role, account.communes = "editor", []
    with write_session(engine) as s, pytest.raises(PermissionDenied, match="périmètre"):
        editing.create_action(s, actor, CHAMPIGNY, territory_id=pemb)
    with write_session(engine) as s:
        account = s.scalars(select(UserAccount).filter_by(username="admin-pemb")).one()
        admin = auth.actor_for(account)
        auth.set_active(s, auth.Actor.system(), "admin-pemb", False)
    with write_session(engine) as s, pytest.raises(PermissionDenied, match="désactivé"):
        auth.create_user(s, admin, "nouveau", "reader", password="un-mot-de-passe-long")
    with write_session(engine) as s, pytest.raises(PermissionDenied, match="désactivé"):
        editing.create_action(s, admin, CHAMPIGNY, territory_id=pemb)


def test_account_names_refuse_control_characters(store):
    engine, *_ = store
    with write_session(engine) as s, pytest.raises(Exception, match="caractère invisible"):
        auth.create_user(s, auth.Actor.system(), "nul\x00x", "reader",
                         password="un-mot-de-passe-long")
