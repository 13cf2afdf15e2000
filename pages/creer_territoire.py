"""Administration: a new territory from the national list of contrats de ville 2024 and its
communes, with their QPV 2024 (perr_model.territories.create_territory, as the CLI)."""
import streamlit as st

from perr_model.errors import PerrError
from perr_model.territories import contract_choices, create_territory
from perr_ui import auth, common
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

actor = auth.require_admin()
st.title("Créer un territoire")
st.caption("Choisissez le contrat de ville 2024-2030 de l'EPCI ou de l'EPT dans la liste "
           "nationale de l'ANCT, puis ses communes (codes INSEE ou noms, séparés par des "
           "virgules). Les quartiers prioritaires 2024 de ces communes sont rattachés depuis "
           "l'extrait national embarqué des périmètres officiels. Tout est vérifié d'abord : au "
           "moindre problème, rien n'est créé.")

labels = {c.code: f"{c.name} ({c.code})" for c in contract_choices()}
with st.form("creer_territoire"):
    chosen = st.selectbox("Contrat de ville 2024-2030 (EPCI/EPT)", list(labels), index=None,
                          format_func=labels.get,
                          placeholder="Tapez le nom de l'EPCI ou de l'EPT")
    name = st.text_input("Nom du territoire", help="Vide : le nom du contrat de ville.")
    communes = st.text_area("Communes", placeholder="93006, Bobigny, Bondy…")
    submitted = st.form_submit_button("Vérifier et créer", type="primary")

if submitted:
    if chosen is None:
        st.warning("Choisissez d'abord un contrat de ville.")
        st.stop()
    try:
        with st.spinner("Vérification et création…"), common.write() as s:
            report = create_territory(s, actor, name, chosen, communes)
    except PerrError as exc:   # ImportRefused: one line per refused item
        common.refused(exc)
        st.stop()
    lines = report.lines()
    st.success(md(lines[0]))
    st.text("\n".join(lines[1:]))  # names from the store and the official file: plain text
    st.caption(md(f"« {report.name} » figure désormais dans le choix du territoire de la "
                  "barre latérale."))
