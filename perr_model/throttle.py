"""The sign-in throttle (issue 28, item 2): failed sign-ins counted per account and per client,
in the table `sign_in_throttle`, so that the limit holds for every server sharing the base.

- **Counts** (`keys_for`): the client's (`client:` + its address, perr_model/client_address.py),
  which holds back that client on every account; the account's (`compte:` + its login), which
  holds back every client that has not signed in to that account successfully in the last
  KNOWN_FOR days: somebody guessing an account's password from elsewhere cannot keep its owner
  out. A client whose address is not known has no count of its own (no shared « unknown »
  count: it would hold back everybody); the account's count applies to it.
- **Waits**: from the AFTER-th failure of a count, each new attempt must wait FIRST_WAIT, then
  twice as long after each further failure (at most MAX_WAIT). An attempt made during a wait is
  refused without checking the password and changes nothing (it neither extends the wait nor
  counts). A count is forgotten WINDOW after its last failure or the end of its wait.
- **Atomic** (`reserve`): the attempt locks its counts (an INSERT … ON CONFLICT DO NOTHING,
  which takes SQLite's write lock for the whole transaction, then SELECT … FOR UPDATE, which
  locks the rows on PostgreSQL, in the order of their keys), checks them and counts itself as a
  failure in the same transaction, before the password is checked; twenty simultaneous attempts
  therefore check AFTER passwords at most. A success then gives back the failure it had counted
  (`refund`): nothing else resets a count, neither another account's success nor the client's.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .schema import AuditLog, SignInThrottle

AFTER = 5
WINDOW = timedelta(minutes=15)
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
KNOWN_FOR = timedelta(days=90)


def client_tag(client: str | None) -> str:
    """How the audit log names the client of a sign-in."""
    return f"client {(client or 'inconnu')[:80]}"


def keys_for(session: Session, login: str, client: str | None, now: datetime) -> list[str]:
    """The counts an attempt on `login` from `client` is held back by and counted in."""
    keys = [f"client:{client}"] if client else []
    if not client or not _known(session, login, client, now):
        keys.append(f"compte:{login}")
    return sorted(keys)


def _known(session: Session, login: str, client: str, now: datetime) -> bool:
    return bool(session.scalar(select(exists().where(
        AuditLog.entity == "sign_in", AuditLog.operation == "success",
        AuditLog.username == login, AuditLog.summary == client_tag(client),
        AuditLog.at >= now - KNOWN_FOR))))


def reserve(session: Session, keys: list[str], now: datetime) -> timedelta | None:
    """How long the attempt must still wait (nothing changed), or None: then it is counted as
    a failure in each of its counts, in this transaction, until `refund`."""
    rows = _locked(session, keys)
    waits = [row.locked_until - now for row in rows
             if row.locked_until is not None and row.locked_until > now]
    if waits:
        return max(waits)
    for row in rows:
        _count_failure(row, now)
    session.flush()
    return None


def refund(session: Session, keys: list[str], now: datetime) -> None:
    """A success at `now`: the failure `reserve` counted for it is given back, and the wait it
    set (there was none before it: `reserve` let it through; and while it holds nobody else
    was counted)."""
    for row in _locked(session, keys):
        if row.failures >= AFTER and row.locked_until == now + wait_after(row.failures):
            row.locked_until = None
        row.failures = max(0, row.failures - 1)
        if row.failures < AFTER:
            row.locked_until = None
    session.flush()


def current_wait(session: Session, keys: list[str], now: datetime) -> timedelta | None:
    """The wait these counts impose now, read without locking nor counting."""
    rows = session.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(keys)))
    waits = [r.locked_until - now for r in rows if r.locked_until and r.locked_until > now]
    return max(waits) if waits else None


def _count_failure(row: SignInThrottle, now: datetime) -> None:
    quiet_since = row.locked_until or row.last_failure_at
    if quiet_since is None or now - quiet_since > WINDOW:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    row.locked_until = now + wait_after(row.failures) if row.failures >= AFTER else None


def wait_after(failures: int) -> timedelta:
    """The wait imposed by the `failures`-th failure (AFTER or more)."""
    return min(FIRST_WAIT * 2 ** min(failures - AFTER, 10), MAX_WAIT)


def _locked(session: Session, keys: list[str]) -> list[SignInThrottle]:
    """The rows of `keys`, created if need be, locked until the end of the transaction."""
    if not keys:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(SignInThrottle).values(
        [{"key": key, "failures": 0} for key in sorted(keys)]).on_conflict_do_nothing())
    return list(session.scalars(
        select(SignInThrottle).where(SignInThrottle.key.in_(keys)).order_by(SignInThrottle.key)
        .with_for_update().execution_options(populate_existing=True)))
