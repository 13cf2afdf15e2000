"""Comptes: the accounts of the territory; create, deactivate, reset a password (admins).

Reads through perr_model.auth / forms only (no query of its own)."""
import pandas as pd
import streamlit as st

from perr_model import auth as model_auth
from perr_model import forms
from perr_model.errors import PerrError
from perr_ui import auth, common, tables
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

actor = auth.require_admin()
st.title("Comptes")
with common.session() as s:
    users = pd.DataFrame(model_auth.list_users(s, actor))
    choices = forms.account_choices(s, actor, common.current_territory_id())
communes, slug = choices["communes"], choices["territory_slug"]
flash = st.session_state.pop("accounts_flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")
if not users.empty:  # an escaped table: « oui » / « non », an empty cell empty
    tables.table(users.assign(actif=users["actif"].map({True: "oui", False: "non"})),
                 {c: c.capitalize() for c in users.columns}, title="identifiant",
                 caption="Comptes", kinds={"identifiant": "code"})

with st.form("nouveau_compte", clear_on_submit=True, enter_to_submit=False):
    st.markdown("**Nouveau compte**")
    username = st.text_input("Identifiant")
    role = st.selectbox("Rôle", list(model_auth.ROLE_LABELS),
                        format_func=model_auth.ROLE_LABELS.get, index=1)
    chosen = st.multiselect("Communes (éditeur)", list(communes), format_func=communes.get)
    email = st.text_input("Courriel (connexion ProConnect)")
    password = st.text_input("Mot de passe (12 caractères au moins ; vide : ProConnect seul)",
                             type="password")
    if st.form_submit_button("Créer le compte", type="primary"):
        try:
            with common.write() as s:
                model_auth.create_user(s, actor, username, role, password=password or None,
                                       commune_codes=chosen, email=email or None,
                                       territory=slug)
        except PerrError as exc:
            st.error(md(str(exc)))
        else:
            # shown after the rerun (the list then holds the new account)
            st.session_state.accounts_flash = f"Compte {md(username, multiline=False)} créé."
            st.rerun()

if not users.empty:
    st.markdown("**Activer / désactiver**")
    who = st.selectbox("Compte", users["identifiant"])
    active = bool(users.set_index("identifiant").loc[who, "actif"])
    if st.button("Désactiver" if active else "Réactiver"):
        try:
            with common.write() as s:
                model_auth.set_active(s, actor, who, not active)
        except PerrError as exc:
            st.error(md(str(exc)))
        else:
            st.session_state.accounts_flash = (f"Compte {md(who, multiline=False)} "
                                               f"{'désactivé' if active else 'réactivé'}.")
            st.rerun()
