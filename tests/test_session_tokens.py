"""Session tokens of the sign-in cookie (issue 22, item 4; docs/auth.md): issued at sign-in as a
one-time code, exchanged once for the cookie's token, verified, expired, revoked at sign-out and
when the account is deactivated; only sha256 hashes stored. SQLite and PostgreSQL (the `store`
fixture of editing_support runs on both). The routes that set the cookie: at the end."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from starlette.requests import Request

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model import auth, session_tokens as tokens
from perr_model.errors import PermissionDenied
from perr_model.store import write_session

T0 = datetime(2026, 3, 2, 9, 0, 0)


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _rows(engine, username):
    with engine.connect() as conn:
        return conn.execute(text(
            "select t.id, t.token_hash, t.pending, t.created_at, t.expires_at, t.revoked_at "
            "from session_token t join user_account a on a.id = t.account_id "
            "where a.username = :u order by t.id"), {"u": username}).all()


def _signed_in(engine, actor, now=T0):
    """A sign-in's code exchanged for the cookie's token, as the route does."""
    with write_session(engine) as s:
        _, code = tokens.open_session(s, actor, now=now)
    with write_session(engine) as s:
        return tokens.exchange(s, code, now=now + timedelta(seconds=2))


def _verify(engine, token, now):
    with write_session(engine) as s:
        found = tokens.verify(s, token, now=now)
    return found and (found[0], found[1].username, found[1].role)


def test_only_hashes_are_stored_and_the_code_is_exchanged_once(store):
    engine, actors, *_ = store
    with write_session(engine) as s:
        token_id, code = tokens.open_session(s, actors["chef-champigny"], now=T0)
    [(row_id, stored, pending, created, expires, revoked)] = _rows(engine, "chef-champigny")
    assert (row_id, stored, bool(pending), revoked) == (token_id, _sha(code), True, None)
    lasts = datetime.fromisoformat(str(expires)) - datetime.fromisoformat(str(created))
    assert lasts == timedelta(hours=12)        # PERR_SESSION_HOURS' default
    # the code itself signs nobody in: only the token it is exchanged for
    assert _verify(engine, code, T0) is None
    with write_session(engine) as s:
        token = tokens.exchange(s, code, now=T0 + timedelta(seconds=5))
    [(_, stored, pending, *_)] = _rows(engine, "chef-champigny")
    assert token and token != code and stored == _sha(token) and not pending
    with write_session(engine) as s:
        assert tokens.exchange(s, code, now=T0 + timedelta(seconds=6)) is None   # used
    assert _verify(engine, token, T0 + timedelta(hours=1)) == (
        token_id, "chef-champigny", "editor")


def test_a_code_older_than_a_minute_is_refused(store):
    engine, actors, *_ = store
    with write_session(engine) as s:
        _, code = tokens.open_session(s, actors["chef-champigny"], now=T0)
    with write_session(engine) as s:
        assert tokens.exchange(s, code, now=T0 + timedelta(seconds=61)) is None
        assert tokens.exchange(s, "pas-un-code", now=T0) is None


def test_a_token_expires_after_the_configured_hours(store, monkeypatch):
    engine, actors, *_ = store
    monkeypatch.setenv("PERR_SESSION_HOURS", "2")
    token = _signed_in(engine, actors["chef-champigny"])
    assert _verify(engine, token, T0 + timedelta(hours=1, minutes=59))
    assert _verify(engine, token, T0 + timedelta(hours=2, seconds=1)) is None


def test_sign_out_revokes_the_token_and_only_that_one(store):
    engine, actors, *_ = store
    first = _signed_in(engine, actors["chef-champigny"])
    second = _signed_in(engine, actors["chef-champigny"])   # another browser
    with write_session(engine) as s:
        tokens.revoke(s, token=first, now=T0 + timedelta(minutes=1))
    assert _verify(engine, first, T0 + timedelta(minutes=2)) is None
    assert _verify(engine, second, T0 + timedelta(minutes=2))
    revoked = [r[5] for r in _rows(engine, "chef-champigny")]
    assert revoked[0] is not None and revoked[1] is None
    token_id = _verify(engine, second, T0)[0]
    with write_session(engine) as s:
        tokens.revoke(s, token_id=token_id, now=T0 + timedelta(minutes=3))
        assert not tokens.still_open(s, token_id, now=T0 + timedelta(minutes=4))
    assert _verify(engine, second, T0 + timedelta(minutes=4)) is None


def test_deactivating_an_account_revokes_all_its_tokens_at_once(store):
    engine, actors, *_ = store
    chef = [_signed_in(engine, actors["chef-champigny"]) for _ in range(2)]
    other = _signed_in(engine, actors["chef-fontenay"])
    with write_session(engine) as s:
        auth.set_active(s, actors["admin-pemb"], "chef-champigny", False)
    assert [r[5] is not None for r in _rows(engine, "chef-champigny")] == [True, True]
    assert all(_verify(engine, t, T0 + timedelta(minutes=1)) is None for t in chef)
    assert _verify(engine, other, T0 + timedelta(minutes=1))  # another account: untouched
    with write_session(engine) as s:   # reactivated: the old tokens stay revoked
        auth.set_active(s, actors["admin-pemb"], "chef-champigny", True)
    assert all(_verify(engine, t, T0 + timedelta(minutes=2)) is None for t in chef)


def test_a_deactivated_account_is_refused_even_with_an_unrevoked_token(store):
    """Deactivated by hand (SQL), without set_active: verify still reads the account."""
    engine, actors, *_ = store
    token = _signed_in(engine, actors["chef-fontenay"])
    with engine.begin() as conn:
        conn.execute(text("update user_account set active = false where username = 'chef-fontenay'"))
    assert _verify(engine, token, T0 + timedelta(minutes=1)) is None


def test_expired_rows_are_deleted_at_the_next_sign_in(store):
    engine, actors, *_ = store
    _signed_in(engine, actors["chef-champigny"])
    with write_session(engine) as s:
        tokens.open_session(s, actors["chef-fontenay"], now=T0 + timedelta(hours=13))
    assert _rows(engine, "chef-champigny") == []


def test_the_public_instance_never_reads_nor_writes_a_token(store, monkeypatch):
    engine, actors, *_ = store
    token = _signed_in(engine, actors["chef-champigny"])
    monkeypatch.setenv("PERR_PUBLIC", "1")
    # no database session given at all: a read would fail
    assert tokens.verify(None, token, now=T0) is None
    assert tokens.still_open(None, 1, now=T0) is False
    with write_session(engine) as s:
        for call in (lambda: tokens.open_session(s, actors["chef-champigny"]),
                     lambda: tokens.exchange(s, "code"), lambda: tokens.revoke(s, token=token)):
            with pytest.raises(PermissionDenied):
                call()


# --- the routes of serve.py --------------------------------------------------------------------

def _request(path, headers=None, scheme="http"):
    raw = [(k.lower().encode(), v.encode()) for k, v in
           {"host": "127.0.0.1:8501", **(headers or {})}.items()]
    return Request({"type": "http", "method": "POST", "path": path, "scheme": scheme,
                    "headers": raw, "query_string": b"", "server": ("127.0.0.1", 8501)})


@pytest.fixture
def routes(store, places_url, monkeypatch):
    engine, actors, *_ = store
    monkeypatch.setenv("DATABASE_URL", places_url)
    monkeypatch.setenv("PERR_PUBLIC", "0")
    from perr_ui import common, session_routes
    yield session_routes, engine, actors
    common._store.clear()


def _code(engine, actor):
    with write_session(engine) as s:
        return tokens.open_session(s, actor)[1]


def test_the_route_sets_an_httponly_strict_cookie_for_a_fresh_code(routes):
    session_routes, engine, actors = routes
    code = _code(engine, actors["chef-champigny"])
    response = session_routes.open_cookie(_request("/api/session", {
        "X-Perr-Code": code, "Origin": "http://127.0.0.1:8501"}))
    cookie = response.headers["set-cookie"]
    assert response.status_code == 204
    token = cookie.split(";")[0].removeprefix("perr_session=")
    assert _rows(engine, "chef-champigny")[0][1] == _sha(token)
    assert {"HttpOnly", "Path=/", "SameSite=strict", "Max-Age=43200"} <= {
        p.strip() for p in cookie.split(";")}
    assert "Secure" not in cookie      # plain http: a Secure cookie would never come back
    again = session_routes.open_cookie(_request("/api/session", {"X-Perr-Code": code}))
    assert again.status_code == 403 and "set-cookie" not in again.headers


def test_the_cookie_is_secure_behind_https(routes):
    session_routes, engine, actors = routes
    response = session_routes.open_cookie(_request("/api/session", {
        "X-Perr-Code": _code(engine, actors["chef-champigny"]), "X-Forwarded-Proto": "https"}))
    assert "Secure" in response.headers["set-cookie"]


def test_the_routes_refuse_another_site_and_the_public_instance(routes, monkeypatch):
    session_routes, engine, actors = routes
    code = _code(engine, actors["chef-champigny"])
    other = session_routes.open_cookie(_request("/api/session", {
        "X-Perr-Code": code, "Origin": "https://ailleurs.example"}))
    assert other.status_code == 403 and "set-cookie" not in other.headers
    monkeypatch.setenv("PERR_PUBLIC", "1")
    for endpoint in (session_routes.open_cookie, session_routes.close_cookie):
        response = endpoint(_request("/api/session", {"X-Perr-Code": code}))
        assert response.status_code == 404 and "set-cookie" not in response.headers
    assert bool(_rows(engine, "chef-champigny")[0][2])   # still the unexchanged code


def test_the_sign_out_route_revokes_the_cookie_and_clears_it(routes):
    session_routes, engine, actors = routes
    token = _signed_in(engine, actors["chef-champigny"], now=tokens.utcnow())
    response = session_routes.close_cookie(_request("/api/session/fin", {
        "Cookie": f"perr_session={token}"}))
    assert response.status_code == 204
    assert 'perr_session=""' in response.headers["set-cookie"]
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert _rows(engine, "chef-champigny")[0][5] is not None
