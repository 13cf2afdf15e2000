"""Sign-in state on the Streamlit side; the real checks are in perr_model.auth.

st.session_state.actor holds the perr_model.auth.Actor built from the account at sign-in;
st.session_state.role / .user are what app.py reads to list the editing pages. Every editing
page calls require_editor() or require_admin() at its top (a page not in the menu can still be
reached by URL), and every write service checks the actor again.

A sign-in also opens a session token (perr_model.session_tokens): the page hands its one-time
code to the server's route (perr_ui/session_routes.py, `send_cookie_request`), which answers
with the HttpOnly cookie; a new tab or a reload (a new Streamlit session) is signed in again
from that cookie (`_adopt_cookie`). Each run checks that the token is still open (signed out
from another tab, expired, account deactivated). docs/auth.md tells the whole story.
"""
from __future__ import annotations

import json

import streamlit as st

from perr_model import auth as model_auth, client_address, session_tokens
from perr_model.auth import Actor, ROLE_LABELS, actor_for_email
from perr_model.errors import DatabaseUnavailable, PermissionDenied
from perr_ui import common

SIGNED_OUT = ("Votre compte a été désactivé par un administrateur : vous avez été déconnecté.")
SESSION_ENDED = ("Votre session a pris fin (déconnexion depuis un autre onglet, ou durée de "
                 "connexion écoulée) : reconnectez-vous.")
TOKEN_KEY = "session_token_id"     # the row of perr_model.session_tokens of this session
COOKIE_KEY = "cookie_request"      # what the next run asks the server: a code, or CLOSE
COOKIE_READ_KEY = "cookie_read"    # the cookie was read once in this session
CLOSE = "fermer"


def current_actor() -> Actor | None:
    """The signed-in actor, re-read from its account on every run: a deactivated account is
    signed out, a change of role or communes applies at once."""
    if common.is_public():
        return None
    _adopt_oidc_user()
    _adopt_cookie()
    actor = st.session_state.get("actor")
    if actor is not None and actor.account_id is not None:
        token_id = st.session_state.get(TOKEN_KEY)
        try:
            with common.session() as s:
                fresh = model_auth.fresh_actor(s, actor)
                still_open = token_id is None or session_tokens.still_open(s, token_id)
        except PermissionDenied:
            sign_out()
            st.session_state["signed_out_notice"] = SIGNED_OUT
            return None
        except DatabaseUnavailable:  # nothing can be read or written now: the page keeps its
            return actor             # form (common.remembered); checked again at the next run
        if not still_open:
            sign_out()
            st.session_state["signed_out_notice"] = SESSION_ENDED
            return None
        if fresh != actor:
            _set(fresh)
            actor = fresh
    return actor


def client_id() -> str | None:
    """Who is trying to sign in, for the throttle: the direct peer's address (Streamlit: None
    for a loopback peer), or the visitor's behind a declared proxy (PERR_TRUSTED_PROXIES,
    perr_model/client_address.py); None when unknown."""
    try:
        peer = st.context.ip_address
        forwarded = st.context.headers.get("X-Forwarded-For")
    except Exception:  # noqa: BLE001 - AppTest and old front-ends have no address
        return None
    return client_address.client_from(peer, forwarded)


def sign_in(username: str, password: str) -> Actor:
    """Check the password (throttled, perr_model.auth) and open a session token whose cookie
    the next run asks the server for (`send_cookie_request`)."""
    actor = model_auth.sign_in(common.store(), username, password, client_id())
    with common.write() as s:
        token_id, code = session_tokens.open_session(s, actor)
    _set(actor)
    st.session_state[TOKEN_KEY], st.session_state[COOKIE_KEY] = token_id, code
    return actor


def sign_out() -> None:
    """This browser signed out: its token revoked at once (every tab), its cookie cleared by
    the next run (`send_cookie_request`)."""
    token_id = st.session_state.pop(TOKEN_KEY, None)
    if token_id is not None and not common.is_public():
        with common.write() as s:
            session_tokens.revoke(s, token_id=token_id)
        st.session_state[COOKIE_KEY] = CLOSE
    for key in ("actor", "role", "user"):
        st.session_state.pop(key, None)
    if oidc_configured() and _oidc_logged_in():
        st.logout()


def _set(actor: Actor | None, fallback_user: str | None = None) -> None:
    st.session_state.actor = actor
    st.session_state.role = actor.role if actor else "reader"
    st.session_state.user = actor.username if actor else fallback_user


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(session_tokens.COOKIE_NAME)
    except Exception:  # noqa: BLE001 - AppTest has no HTTP request behind its session
        return None
    return value if isinstance(value, str) else None


def restore_session() -> None:
    """app.py, before it lists the pages of the role: a new session (reload, new tab) signed
    in from the browser's cookie, so that a link to an editing page opens it."""
    if not common.is_public():
        _adopt_cookie()


def _adopt_cookie() -> None:
    """Signed in from the browser's cookie if its token is still valid. Read once per
    session; never on the public instance."""
    if "actor" in st.session_state or st.session_state.get(COOKIE_READ_KEY):
        return
    st.session_state[COOKIE_READ_KEY] = True
    token = _cookie()
    if not token:
        return
    with common.session() as s:
        found = session_tokens.verify(s, token)
    if found is not None:
        st.session_state[TOKEN_KEY] = found[0]
        _set(found[1])


def send_cookie_request() -> None:
    """After a sign-in or a sign-out: a script of the page asks the server's route to set or
    clear the HttpOnly cookie (perr_ui/session_routes.py). Once; nothing on public."""
    request = st.session_state.pop(COOKIE_KEY, None)
    if request is None or common.is_public():
        return
    from perr_ui.session_routes import CLOSE_PATH, CODE_HEADER, OPEN_PATH
    path, headers = ((CLOSE_PATH, {}) if request == CLOSE
                     else (OPEN_PATH, {CODE_HEADER: request}))
    st.html(f"<script>fetch({json.dumps(path)}, {{method: 'POST', credentials: 'same-origin', "
            f"headers: {json.dumps(headers)}}});</script>", unsafe_allow_javascript=True)


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def oidc_provider() -> str | None:
    """The named provider of secrets.toml ([auth.proconnect]), or None for the default one."""
    auth = st.secrets.get("auth", {})
    return "proconnect" if "proconnect" in auth else None


def _oidc_logged_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except (AttributeError, KeyError):
        return False


def _adopt_oidc_user() -> None:
    """After an OIDC sign-in: the account with that e-mail, else a reader."""
    if "actor" in st.session_state or not oidc_configured() or not _oidc_logged_in():
        return
    email = st.user.get("email") or ""
    with common.write() as s:  # the mapping is recorded in audit_log
        _set(actor_for_email(s, email, client_id()), fallback_user=email)


def _refuse(message: str) -> None:
    st.title("Accès réservé")
    notice = st.session_state.pop("signed_out_notice", None)
    if notice:
        st.error(notice)
    st.warning(message)
    if not common.is_public():
        st.markdown("Connectez-vous depuis la page **Connexion** du menu (rubrique Compte).")
    st.stop()


def require_editor() -> Actor:
    """Stop the page unless an editor or administrator is signed in (never on public)."""
    if common.is_public():
        _refuse("Instance publique, en lecture seule : la saisie est impossible.")
    actor = current_actor()
    if actor is None or actor.role not in ("editor", "admin"):
        _refuse("Cette page est réservée aux éditeurs connectés (chefs de projet) et aux "
                "administrateurs.")
    return actor


def require_admin() -> Actor:
    actor = require_editor()
    if actor.role != "admin":
        _refuse("Cette page est réservée aux administrateurs.")
    return actor


def role_label(actor: Actor) -> str:
    return ROLE_LABELS.get(actor.role, actor.role)


EDIT_REQUEST_KEY = "pending_choice"  # read by pages/saisie_action.py: the action to open


def edit_button(action_id: int, key: str) -> None:
    """"Modifier" on an action's detail, for a signed-in editor who may edit that action (the
    model's scope rule); opens it in "Saisir une action". Nothing for anyone else."""
    actor = current_actor()
    if actor is None or actor.role not in ("editor", "admin"):
        return
    from perr_model import forms
    with common.session() as s:
        allowed = forms.may_edit(s, actor, action_id)
    if not allowed:
        st.caption("Vous ne pouvez pas modifier cette action : elle concerne une commune "
                   "dont vous n'êtes pas chef de projet.")
        return
    if st.button("Modifier", key=key, icon=":material/edit:"):
        st.session_state[EDIT_REQUEST_KEY] = action_id
        st.switch_page("pages/saisie_action.py")
