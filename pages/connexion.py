"""Connexion: local account (password) or ProConnect (OIDC) when configured."""
import streamlit as st

from perr_model.errors import AuthenticationFailed, PerrError
from perr_ui import auth, common
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

st.title("Connexion")
if common.is_public():
    st.info("Instance publique, en lecture seule : la connexion est impossible ici.")
    st.stop()

actor = auth.current_actor()
auth.send_cookie_request()  # after a sign-in or a sign-out: the cookie set or cleared (docs/auth.md)
if st.session_state.get("signed_out_notice"):
    st.error(st.session_state.pop("signed_out_notice"))
if actor is not None:
    st.success(f"Connecté : **{md(actor.username, multiline=False)}** — "
               f"{auth.role_label(actor)}.")
    if actor.role == "editor":
        st.caption("Vous pouvez saisir et modifier les actions de vos communes.")
    if st.button("Se déconnecter", icon=":material/logout:"):
        auth.sign_out()
        st.rerun()
    st.stop()

if st.session_state.get("user") and st.session_state.get("role") == "reader":
    st.info(f"Connecté via ProConnect ({md(st.session_state.user, multiline=False)}) sans "
            "compte d'éditeur : "
            "lecture seule. Demandez un compte à l'administrateur du territoire.")

with st.form("connexion"):
    # what the browser's password manager looks for (Streamlit's default for a password:
    # "new-password", which it never fills)
    username = st.text_input("Identifiant", autocomplete="username")
    password = st.text_input("Mot de passe", type="password", autocomplete="current-password")
    submitted = st.form_submit_button("Se connecter", type="primary")
if submitted:
    try:
        auth.sign_in(username, password)
    except AuthenticationFailed as exc:
        st.error(md(str(exc)))
    except PerrError as exc:
        st.error(md(str(exc)))
    else:
        st.rerun()

if auth.oidc_configured():
    st.divider()
    provider = auth.oidc_provider()
    st.button("S'identifier avec ProConnect", icon=":material/badge:",
              on_click=st.login, args=(provider,) if provider else ())
