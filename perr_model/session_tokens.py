"""Signed-in browsers: the token of the sign-in cookie, kept as its sha256 (docs/auth.md).

A sign-in (perr_ui.auth) opens a row with a one-time code; the page hands that code to the
server's own route (perr_ui/session_routes.py), which exchanges it, once and within
`EXCHANGE_WINDOW`, for the long token it puts in an HttpOnly cookie. The base keeps only
hashes: a copy of the table signs nobody in. A token is valid while its row is not revoked
(sign-out, deactivated account), has not expired (`PERR_SESSION_HOURS`) and its account is
active. The public instance never reads nor writes a token.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from . import settings
from .auth import Actor, actor_for, refuse_on_public
from .schema import SessionToken, UserAccount, utcnow

COOKIE_NAME = "perr_session"
EXCHANGE_WINDOW = timedelta(seconds=60)
_LOG = logging.getLogger(__name__)


def lifetime() -> timedelta:
    """How long a browser stays signed in (PERR_SESSION_HOURS; an invalid value: the default)."""
    raw = settings.get("PERR_SESSION_HOURS")
    try:
        hours = float(raw)
    except ValueError:
        hours = 0
    if not 0 < hours <= 24 * 366:
        _LOG.warning("PERR_SESSION_HOURS=%r invalide : 12 heures", raw)
        hours = 12
    return timedelta(hours=hours)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, actor: Actor, now: datetime | None = None
                 ) -> tuple[int, str]:
    """A row for this signed-in actor: (its id, the one-time code the page exchanges)."""
    refuse_on_public()
    if actor.account_id is None:
        raise ValueError("actor without an account")
    now = now or utcnow()
    session.execute(delete(SessionToken).where(SessionToken.expires_at < now))  # no more use
    code = secrets.token_urlsafe(32)
    row = SessionToken(account_id=actor.account_id, token_hash=digest(code), pending=True,
                       created_at=now, expires_at=now + lifetime())
    session.add(row)
    session.flush()
    return row.id, code


def _valid(now: datetime):  # noqa: ANN202 - a select() of the valid rows and their account
    return (select(SessionToken).join(UserAccount, UserAccount.id == SessionToken.account_id)
            .where(SessionToken.revoked_at.is_(None), SessionToken.expires_at > now,
                   UserAccount.active.is_(True)))


def exchange(session: Session, code: str, now: datetime | None = None) -> str | None:
    """The cookie's token for a one-time code, or None (unknown, used, too old, revoked)."""
    refuse_on_public()
    now = now or utcnow()
    row = session.scalars(_valid(now).where(
        SessionToken.token_hash == digest(code or ""), SessionToken.pending.is_(True),
        SessionToken.created_at > now - EXCHANGE_WINDOW)).one_or_none()
    if row is None:
        return None
    token = secrets.token_urlsafe(32)
    done = session.execute(update(SessionToken).where(
        SessionToken.id == row.id, SessionToken.pending.is_(True)).values(
        token_hash=digest(token), pending=False))
    return token if done.rowcount == 1 else None   # exchanged once, even by two at a time


def verify(session: Session, token: str | None, now: datetime | None = None
           ) -> tuple[int, Actor] | None:
    """(row id, actor) for a cookie's token still valid, or None. Nothing read on public."""
    if settings.is_public() or not token:
        return None
    row = session.scalars(_valid(now or utcnow()).where(
        SessionToken.token_hash == digest(token), SessionToken.pending.is_(False))
    ).one_or_none()
    return (row.id, actor_for(row.account)) if row else None


def still_open(session: Session, token_id: int, now: datetime | None = None) -> bool:
    """Whether the row of a signed-in page is still valid (not signed out elsewhere, expired
    or deactivated)."""
    if settings.is_public():
        return False
    return session.scalars(_valid(now or utcnow()).where(SessionToken.id == token_id)
                           ).one_or_none() is not None


def revoke(session: Session, *, token_id: int | None = None, token: str | None = None,
           now: datetime | None = None) -> None:
    """Sign-out: the row (by id, or by the cookie's token) no longer signs anyone in."""
    refuse_on_public()
    which = (SessionToken.id == token_id if token_id is not None
             else SessionToken.token_hash == digest(token or ""))
    session.execute(update(SessionToken).where(which, SessionToken.revoked_at.is_(None))
                    .values(revoked_at=now or utcnow()))


