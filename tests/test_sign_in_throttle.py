"""The sign-in throttle cannot be jammed nor raced (issue 28, item 2), on SQLite and PostgreSQL:
twenty simultaneous attempts check five passwords; a client guessing one account holds back
neither the other accounts nor the account's owner; an attempt during a wait does not extend
it; a success resets no count. The client's address behind a declared proxy."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from editing_support import PASSWORD, places_url, store  # noqa: F401 - fixtures
from perr_model import auth, client_address
from perr_model.errors import AuthenticationFailed
from perr_model.schema import utcnow
from perr_model.store import make_engine

WRONG = "mauvais-mot-de-passe"


def _fail(engine, username, client, now, times=1):
    for _ in range(times):
        with pytest.raises(AuthenticationFailed, match="incorrect"):
            auth.sign_in(engine, username, WRONG, client, now=now)


def _refused(engine, username, client, now):
    with pytest.raises(AuthenticationFailed, match="Trop de tentatives"):
        auth.sign_in(engine, username, PASSWORD, client, now=now)


def _signs_in(engine, username, client, now):
    return auth.sign_in(engine, username, PASSWORD, client, now=now).username == username


def _operations(engine):
    with engine.connect() as conn:
        return dict(conn.execute(text(
            "select operation, count(*) from audit_log where entity = 'sign_in' "
            "group by operation")).all())


@pytest.mark.parametrize("client", ["203.0.113.9", None])
def test_twenty_simultaneous_wrong_passwords_check_five(store, places_url, monkeypatch, client):
    engine, *_ = store
    checked, lock = [], threading.Lock()
    real_verify = auth.verify_password

    def counting_verify(password, hashed):
        with lock:
            checked.append(password)
        return real_verify(password, hashed)

    now = utcnow()
    _fail(engine, "chef-champigny", client, now - timedelta(minutes=20))  # counts that exist,
    monkeypatch.setattr(auth, "verify_password", counting_verify)       # forgotten since
    wide = make_engine(places_url, read_only=False)  # its own pool, one connection per thread
    wide.pool._pool.maxsize = 25  # noqa: SLF001 - QueuePool: room for the 20 threads
    start, outcomes = threading.Barrier(20), []

    def attempt():
        start.wait()
        try:
            auth.sign_in(wide, "chef-champigny", WRONG, client, now=now)
        except AuthenticationFailed as exc:
            with lock:
                outcomes.append(str(exc))

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wide.dispose()
    assert len(checked) == 5 and len(outcomes) == 20
    assert sum("Trop de tentatives" in o for o in outcomes) == 15
    assert _operations(engine) == {"failed": 1 + 5, "throttled": 15}


def test_a_guessed_account_holds_back_neither_other_accounts_nor_its_owner(store):
    engine, *_ = store
    t0 = utcnow()
    owner, attacker, stranger = "198.51.100.20", "203.0.113.9", "203.0.113.50"
    assert _signs_in(engine, "chef-champigny", owner, t0 - timedelta(days=1))
    _fail(engine, "chef-champigny", attacker, t0, 5)
    _refused(engine, "chef-champigny", attacker, t0)            # the attacker: held back
    _refused(engine, "chef-fontenay", attacker, t0)             # … on every account
    assert _signs_in(engine, "chef-champigny", owner, t0)       # the owner's client: not
    _refused(engine, "chef-champigny", stranger, t0)            # a client never seen: held back
    assert _signs_in(engine, "chef-fontenay", stranger, t0)     # other accounts: free
    assert _signs_in(engine, "lecteur", None, t0)


def test_failures_from_unknown_clients_do_not_hold_back_other_accounts(store):
    engine, *_ = store
    t0 = utcnow()
    _fail(engine, "admin-pemb", None, t0, 5)
    _refused(engine, "admin-pemb", None, t0)
    assert _signs_in(engine, "chef-champigny", None, t0)
    assert _signs_in(engine, "admin-pemb", "192.0.2.1", t0 + timedelta(seconds=31))


def test_an_attempt_during_the_wait_does_not_extend_it(store):
    engine, *_ = store
    t0 = utcnow()
    _fail(engine, "admin-pemb", "203.0.113.9", t0, 5)              # wait: until t0 + 30 s
    for seconds in (1, 10, 20, 29):
        _refused(engine, "admin-pemb", "203.0.113.9", t0 + timedelta(seconds=seconds))
    assert _signs_in(engine, "admin-pemb", "203.0.113.9", t0 + timedelta(seconds=31))
    assert _signs_in(engine, "admin-pemb", "192.0.2.7", t0 + timedelta(seconds=32))  # no wait left
    # the longest wait (15 min): tries during it, even at 14 minutes, do not keep it shut
    now = t0 + timedelta(minutes=1)
    for failures in range(1, 12):                       # each failure once the wait is over
        last = now
        _fail(engine, "chef-fontenay", "192.0.2.66", last)
        if failures >= 5:
            now = last + auth.throttle.wait_after(failures) + timedelta(seconds=1)
    assert auth.throttle.wait_after(11) == timedelta(minutes=15)
    for minutes in (1, 14):
        _refused(engine, "chef-fontenay", "192.0.2.66", last + timedelta(minutes=minutes))
    assert _signs_in(engine, "chef-fontenay", "192.0.2.66", last + timedelta(minutes=15, seconds=1))


def test_a_success_resets_no_count(store):
    engine, *_ = store
    t0 = utcnow()
    # one client: 4 failures on an account, a success on its own, a 5th failure: held back
    _fail(engine, "chef-champigny", "203.0.113.9", t0, 4)
    assert _signs_in(engine, "lecteur", "203.0.113.9", t0)
    _fail(engine, "chef-champigny", "203.0.113.9", t0)
    _refused(engine, "lecteur", "203.0.113.9", t0)
    # one account: 5 failures from 5 clients, another account's success, a new client: held back
    for i in range(5):
        _fail(engine, "chef-fontenay", f"192.0.2.{i + 1}", t0)
    assert _signs_in(engine, "admin-pemb", "192.0.2.100", t0)
    _refused(engine, "chef-fontenay", "192.0.2.101", t0)


# --- the client's address -------------------------------------------------------------------

@pytest.mark.parametrize("proxies, peer, forwarded, expected", [
    ("", "203.0.113.7", "198.51.100.1", "203.0.113.7"),       # no declared proxy: the peer
    ("", None, "198.51.100.1", None),                          # loopback, header not believed
    ("", None, None, None),
    ("127.0.0.1,::1", None, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # rightmost undeclared
    ("127.0.0.1,::1", "203.0.113.7", "198.51.100.1", "203.0.113.7"),   # peer not a proxy
    ("127.0.0.1,::1", None, None, None),                       # local visitor: unknown
    ("10.0.0.0/8", "10.1.2.3", "6.6.6.6, 198.51.100.4, 10.9.9.9", "198.51.100.4"),
    ("127.0.0.1", None, "pas-une-adresse", None),
    ("", "2001:db8::1:2", None, "2001:db8::/64"),              # IPv6: its /64
    ("", "::ffff:203.0.113.7", None, "203.0.113.7"),
])
def test_client_address_from_declared_proxies_only(monkeypatch, proxies, peer, forwarded,
                                                   expected):
    monkeypatch.setenv("PERR_TRUSTED_PROXIES", proxies)
    assert client_address.client_from(peer, forwarded) == expected
