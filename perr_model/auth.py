"""Accounts, password hashing (bcrypt), roles and the permission checks every write goes through.

Roles: `admin` (administrator of a territory, or of everything when territory is NULL),
`editor` (chef de projet: may write only actions whose communes are all in their remit,
table user_commune), `reader`. The checks live here, in the model layer, so that a page that
forgot to hide a button still cannot write: every write service takes the acting user (`Actor`)
and raises `PermissionDenied`. On the public instance (PERR_PUBLIC=1) nobody can sign in and
every write is refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

import unicodedata

import bcrypt
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from . import settings, throttle
from .errors import AuthenticationFailed, PermissionDenied, ValidationFailed
from .login_names import login_key, name_problem, stored_name
from .schema import ROLES, AuditLog, Commune, SessionToken, Territory, UserAccount, utcnow

ROLE_LABELS = {"admin": "Administrateur", "editor": "Éditeur (chef de projet)",
               "reader": "Lecteur"}
MIN_PASSWORD_LENGTH = 12
_BCRYPT_MAX_BYTES = 72  # bcrypt ignores (bcrypt 5: refuses) anything longer


@dataclass(frozen=True)
class Actor:
    """The acting user, as write services see it. Built from an account, never from a form."""
    username: str
    role: str
    territory_id: int | None = None
    commune_ids: frozenset[int] = field(default_factory=frozenset)
    account_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @classmethod
    def system(cls, username: str = "cli") -> "Actor":
        """The command line run by whoever holds the server: administrator of everything."""
        return cls(username=username, role="admin")


def actor_for(account: UserAccount) -> Actor:
    return Actor(username=account.username, role=account.role,
                 territory_id=account.territory_id,
                 commune_ids=frozenset(c.id for c in account.communes), account_id=account.id)


# --- passwords ------------------------------------------------------------------------------

def password_problem(password: str, username: str | None = None) -> str | None:
    """Why this new password is refused (French), or None. The policy (docs/auth.md): at
    least MIN_PASSWORD_LENGTH characters, at most 72 bytes (bcrypt), no control character
    (bcrypt stops at a NUL: the rest would not count), not only spaces, not one character
    repeated, not the account's name."""
    if any(unicodedata.category(char) == "Cc" for char in password):
        return "caractère de contrôle interdit (retour à la ligne, tabulation, caractère nul…)"
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"trop court : {MIN_PASSWORD_LENGTH} caractères au moins"
    if len(password.encode("utf-8")) > _BCRYPT_MAX_BYTES:
        return "trop long : 72 octets au plus"
    if not password.strip():
        return "fait uniquement d'espaces"
    if len(set(password)) == 1:
        return "un seul caractère répété"
    if username and login_key(password) == login_key(username):
        return "identique à l'identifiant"
    return None


def check_password_strength(password: str, username: str | None = None) -> None:
    problem = password_problem(password, username)
    if problem is not None:
        raise ValidationFailed(f"Mot de passe refusé : {problem}.", {"password": problem})


def hash_password(password: str, username: str | None = None) -> str:
    check_password_strength(password, username)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


def verify_password(password: str, hashed: str | None) -> bool:
    if not hashed or len(password.encode("utf-8")) > _BCRYPT_MAX_BYTES:
        return False
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:  # a malformed stored hash is a failed sign-in, not a crash
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Compared against when the account does not exist, so timing does not reveal names."""
    return bcrypt.hashpw(b"pas-un-vrai-mot-de-passe", bcrypt.gensalt()).decode("ascii")


# --- sign-in ---------------------------------------------------------------------------------

def refuse_on_public() -> None:
    if settings.is_public():
        raise PermissionDenied("Instance publique : la connexion et la saisie sont impossibles.")


FAILED_MESSAGE = "Identifiant ou mot de passe incorrect (ou compte désactivé)."


def _now() -> datetime:
    return utcnow()


@dataclass
class _Attempt:
    """One sign-in attempt: the login typed (perr_model.login_names), the client, the time
    and the counts of the throttle it is counted in (perr_model/throttle.py)."""
    login: str
    client: str | None
    now: datetime
    keys: list[str] = field(default_factory=list)


def _record_sign_in(session: Session, attempt: _Attempt, operation: str) -> None:
    """`operation`: success, failed, or throttled (refused during a wait, password unread)."""
    session.add(AuditLog(username=attempt.login, operation=operation, entity="sign_in",
                         entity_id=None, summary=throttle.client_tag(attempt.client),
                         changes=None, snapshot=None, at=attempt.now))
    session.flush()


def _throttled(wait: timedelta) -> AuthenticationFailed:
    minutes = max(1, -(-int(wait.total_seconds()) // 60))
    return AuthenticationFailed("Trop de tentatives de connexion : réessayez dans "
                                f"{minutes} minute{'s' if minutes > 1 else ''}.")


def _open_attempt(session: Session, username: str, client: str | None, now: datetime | None
                  ) -> tuple[_Attempt, AuthenticationFailed | str | None]:
    """Counted in the throttle, or refused by it; else the stored hash to check (None: no
    such active account)."""
    refuse_on_public()
    attempt = _Attempt(login_key(username), client, now or _now())
    attempt.keys = throttle.keys_for(session, attempt.login, client, attempt.now)
    wait = throttle.reserve(session, attempt.keys, attempt.now)
    if wait is not None:
        _record_sign_in(session, attempt, "throttled")
        return attempt, _throttled(wait)
    account = _by_login(session, attempt.login)
    return attempt, account.password_hash if account is not None and account.active else None


def _checked(password: str, hashed: str | None) -> bool:
    ok = verify_password(password or "", hashed or _dummy_hash())
    return ok and hashed is not None


def _settle(session: Session, attempt: _Attempt, ok: bool) -> Actor | AuthenticationFailed:
    account = _by_login(session, attempt.login) if ok else None
    if account is None or not account.active:
        _record_sign_in(session, attempt, "failed")
        return AuthenticationFailed(FAILED_MESSAGE)
    throttle.refund(session, attempt.keys, attempt.now)
    _record_sign_in(session, attempt, "success")
    return actor_for(account)


def authenticate(session: Session, username: str, password: str, client: str | None = None,
                 now: datetime | None = None) -> Actor:
    """The Actor for these credentials; one message for every failure. Everything happens in
    the caller's transaction (the counts stay locked while the password is checked); the app
    signs in through `sign_in`, which does not hold them meanwhile."""
    attempt, stored = _open_attempt(session, username, client, now)
    if isinstance(stored, AuthenticationFailed):
        raise stored
    outcome = _settle(session, attempt, _checked(password, stored))
    if isinstance(outcome, AuthenticationFailed):
        raise outcome
    return outcome


def sign_in(engine, username: str, password: str, client: str | None = None,  # noqa: ANN001
            now: datetime | None = None) -> Actor:
    """Check the credentials, throttled (perr_model/throttle.py), every attempt recorded in
    audit_log. Three steps: the attempt counted (or refused) in one short transaction, the
    password checked outside any transaction (bcrypt is slow on purpose), the outcome written
    in a second one."""
    from .store import writing
    refuse_on_public()
    with writing(engine) as session:
        attempt, stored = _open_attempt(session, username, client, now)
    if isinstance(stored, AuthenticationFailed):
        raise stored
    ok = _checked(password, stored)
    with writing(engine) as session:
        outcome = _settle(session, attempt, ok)
    if isinstance(outcome, AuthenticationFailed):
        raise outcome
    return outcome


def actor_for_email(session: Session, email: str, client: str | None = None) -> Actor | None:
    """OIDC sign-in (ProConnect): the active account holding this e-mail, or None (reader).
    Recorded in the audit log like a password sign-in (an unknown or deactivated address is a
    failed mapping); a client throttled for failed sign-ins gets no editor account meanwhile."""
    refuse_on_public()
    if not email:
        return None
    attempt = _Attempt(email.strip().lower()[:120], client, _now())
    if client and throttle.current_wait(session, [f"client:{client}"], attempt.now):
        _record_sign_in(session, attempt, "throttled")
        return None
    account = session.scalars(select(UserAccount).where(
        func.lower(UserAccount.email) == attempt.login, UserAccount.active.is_(True))).first()
    _record_sign_in(session, attempt, "success" if account is not None else "failed")
    return actor_for(account) if account else None


def fresh_actor(session: Session, actor: Actor | None) -> Actor | None:
    """`actor` as its account is now, read in the caller's transaction: a deactivation or a
    change of role or communes applies to the next write. Actors not built from an account
    (the command line's system actor) are returned as they are."""
    if actor is None or actor.account_id is None:
        return actor
    account = session.get(UserAccount, actor.account_id)
    if account is not None:
        session.refresh(account)
    if account is None or not account.active:
        raise PermissionDenied("Votre compte a été désactivé : modification refusée.")
    return actor_for(account)


# --- permission checks -------------------------------------------------------------------------

def require_writer(actor: Actor | None) -> Actor:
    """Any write: signed in, editor or admin, not on the public instance."""
    refuse_on_public()
    if actor is None:
        raise PermissionDenied("Connectez-vous pour modifier les données.")
    if actor.role not in ("editor", "admin"):
        raise PermissionDenied("Votre compte est en lecture seule.")
    return actor


def require_admin(actor: Actor | None) -> Actor:
    require_writer(actor)
    if not actor.is_admin:
        raise PermissionDenied("Réservé aux administrateurs.")
    return actor


def check_scope(session: Session, actor: Actor, territory_id: int | None,
                commune_ids: set[int] | frozenset[int]) -> None:
    """May `actor` write an action of `territory_id` placed in `commune_ids`?

    Administrators: their territory (all of them when theirs is NULL). Editors: only actions
    whose communes are ALL in their remit; an action with no commune is territory-wide, hence
    for administrators only. The account is read again first (`fresh_actor`).
    """
    require_writer(actor)
    actor = fresh_actor(session, actor)
    require_writer(actor)
    check_fresh_scope(session, actor, territory_id, commune_ids)


def check_fresh_scope(session: Session, actor: Actor, territory_id: int | None,
                      commune_ids: set[int] | frozenset[int]) -> None:
    """`check_scope` for an actor already read again in this transaction (a list of actions
    checked one by one reads the account once, not once per action)."""
    if actor.is_admin:
        if actor.territory_id is not None and territory_id != actor.territory_id:
            raise PermissionDenied("Ce territoire n'est pas le vôtre : modification refusée.")
        return
    if not commune_ids:
        raise PermissionDenied("Une action sans commune relève du territoire : seul un "
                               "administrateur peut la saisir.")
    outside = set(commune_ids) - set(actor.commune_ids)
    if outside:
        names = session.scalars(select(Commune.name).where(Commune.id.in_(outside))
                                .order_by(Commune.name)).all()
        raise PermissionDenied("Vous ne pouvez modifier que les actions de vos communes ; "
                               f"hors de votre périmètre : {', '.join(names)}.")


def check_commitment_scope(session: Session, actor: Actor, commitments) -> None:  # noqa: ANN001
    """May `actor` link an action to these commune engagements (schema.Commitment rows)?
    Administrators: those of their territory. Editors: only their communes' engagements."""
    from .vocabulary import commitment_reference
    require_writer(actor)
    actor = fresh_actor(session, actor)
    require_writer(actor)
    if actor.is_admin:
        outside = [c for c in commitments
                   if actor.territory_id is not None and c.territory_id != actor.territory_id]
    else:
        outside = [c for c in commitments if c.commune_id not in actor.commune_ids]
    if outside:
        names = ", ".join(
            f"{commitment_reference(c.commune.insee_code, c.theme_position, c.position)} "
            f"({c.commune.name})" for c in outside)
        raise PermissionDenied("Vous ne pouvez rattacher une action qu'aux engagements de vos "
                               f"communes ; engagement hors de votre périmètre : {names}.")


# --- accounts ------------------------------------------------------------------------------------

def create_user(session: Session, actor: Actor, username: str, role: str, *,
                password: str | None = None, commune_codes: list[str] | None = None,
                territory: str | None = None, email: str | None = None,
                display_name: str | None = None) -> UserAccount:
    """Create an account (administrators only). An editor needs at least one commune."""
    actor = require_admin(fresh_actor(session, actor))
    username = stored_name(username)
    problems: dict[str, str] = {}
    import re
    for name, value in (("username", username), ("email", email), ("display_name", display_name)):
        if value and re.search(r"[\x00-\x1f\x7f]", value):
            raise ValidationFailed("Compte non créé : caractère invisible interdit (caractère de "
                                   "contrôle) dans l'identifiant, le courriel ou le nom.",
                                   {name: "caractère interdit"})
    if not username:
        problems["username"] = "L'identifiant est obligatoire."
    elif name_problem(username):
        problems["username"] = f"Identifiant refusé : {name_problem(username)}."
    elif _by_login(session, login_key(username)) is not None:
        problems["username"] = f"L'identifiant « {username} » existe déjà."
    if role not in ROLES:
        problems["role"] = f"Rôle inconnu : {role} (admin, editor ou reader)."
    communes = _communes(session, commune_codes or [], problems)
    if role == "editor" and not communes and "communes" not in problems:
        problems["communes"] = "Un éditeur doit avoir au moins une commune."
    territory_row = _territory(session, territory, problems) if territory else None
    if territory_row is None and communes:
        territory_row = session.get(Territory, communes[0].territory_id)
    if actor.territory_id is not None and (territory_row is None
                                           or territory_row.id != actor.territory_id):
        problems["territory"] = "Vous ne pouvez créer des comptes que pour votre territoire."
    if password is None and not email:
        problems["password"] = "Mot de passe obligatoire (ou une adresse pour ProConnect)."
    elif password is not None and password_problem(password, username):
        problems["password"] = f"Mot de passe refusé : {password_problem(password, username)}."
    if problems:
        raise ValidationFailed("Compte non créé : " + " ".join(problems.values()), problems)
    account = UserAccount(username=username, role=role, email=email, display_name=display_name,
                          password_hash=hash_password(password, username) if password else None,
                          territory_id=territory_row.id if territory_row else None,
                          communes=communes, active=True)
    session.add(account)
    session.flush()
    from .history import record
    record(session, actor, "create", "user_account", account.id,
           f"Compte {username} créé ({ROLE_LABELS[role]})")
    return account


def revoke_account(session: Session, account_id: int, now: datetime | None = None) -> int:
    """Every browser signed in to this account is signed out (a deactivated account): its
    session tokens (perr_model/session_tokens.py) revoked."""
    refuse_on_public()
    done = session.execute(update(SessionToken).where(
        SessionToken.account_id == account_id, SessionToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow()))
    return done.rowcount


def set_active(session: Session, actor: Actor, username: str, active: bool) -> None:
    actor = require_admin(fresh_actor(session, actor))
    account = _account(session, username)
    _check_account_scope(actor, account)
    if account.id == actor.account_id and not active:
        raise ValidationFailed("Vous ne pouvez pas désactiver votre propre compte.")
    account.active = active
    if not active:  # its signed-in browsers too, at once (perr_model/session_tokens.py)
        revoke_account(session, account.id)
    from .history import record
    record(session, actor, "update", "user_account", account.id,
           f"Compte {username} {'réactivé' if active else 'désactivé'}")


def set_password(session: Session, actor: Actor, username: str, password: str) -> None:
    """Administrators reset anyone's password; a user may change their own."""
    refuse_on_public()
    actor = fresh_actor(session, actor)
    account = _account(session, username)
    if actor is None or actor.account_id != account.id:
        require_admin(actor)
        _check_account_scope(actor, account)
    account.password_hash = hash_password(password, account.username)
    from .history import record
    record(session, actor, "update", "user_account", account.id,
           f"Mot de passe de {username} changé")


def list_users(session: Session, actor: Actor) -> list[dict]:
    actor = require_admin(fresh_actor(session, actor))
    q = select(UserAccount).order_by(UserAccount.username)
    if actor.territory_id is not None:
        q = q.where(UserAccount.territory_id == actor.territory_id)
    return [{"identifiant": a.username, "rôle": ROLE_LABELS.get(a.role, a.role),
             "communes": ", ".join(sorted(c.name for c in a.communes)),
             "courriel": a.email or "", "actif": a.active,
             "connexion": "mot de passe" if a.password_hash else "ProConnect"}
            for a in session.scalars(q)]


def _check_account_scope(actor: Actor, account: UserAccount) -> None:
    """An administrator of a territory manages the accounts of that territory only: never an
    account without territory (an administrator of the whole instance among them)."""
    if actor.territory_id is None or account.territory_id == actor.territory_id:
        return
    if account.territory_id is None and account.role == "admin":
        raise PermissionDenied("Ce compte est celui d'un administrateur de toute l'instance : "
                               "seul un administrateur de toute l'instance peut le modifier.")
    raise PermissionDenied("Ce compte n'est pas de votre territoire : modification refusée.")


def _by_login(session: Session, login: str) -> UserAccount | None:
    """The account of this login (perr_model.login_names.login_key), matched in Python's
    folding, the same on both backends."""
    return session.scalars(select(UserAccount).where(UserAccount.login == login)).one_or_none()


def _account(session: Session, username: str) -> UserAccount:
    account = _by_login(session, login_key(username))
    if account is None:
        raise ValidationFailed(f"Compte inconnu : {username}.")
    return account


def _communes(session: Session, codes: list[str], problems: dict[str, str]) -> list[Commune]:
    rows = list(session.scalars(select(Commune).where(Commune.insee_code.in_(codes))))
    unknown = sorted(set(codes) - {c.insee_code for c in rows})
    if unknown:
        problems["communes"] = f"Commune(s) inconnue(s) : {', '.join(unknown)}."
    return rows


def _territory(session: Session, ref: str, problems: dict[str, str]) -> Territory | None:
    from .figures.scope import find_territory   # the one territory look-up
    t = find_territory(session, ref)
    if t is not None:
        return t
    problems["territory"] = f"Territoire inconnu : {ref}."
    return None


# --- CLI -----------------------------------------------------------------------------------------
