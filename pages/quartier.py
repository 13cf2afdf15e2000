"""Quartier: one QPV — perimeter (or a notice), key figures, actions by axis, State posts of its
contrat de ville, commune commitments. Every number comes from perr_model.figures."""
import streamlit as st

from perr_model import vocabulary as v
from perr_model.figures import Scope, gaps, places
from perr_ui import common, widgets as w
from perr_ui.text import md
from perr_ui.frame import require_app_frame

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

t = w.page_header("Quartier", "un quartier prioritaire (QPV) et ses actions")
if t is None:
    st.stop()
tid, year = int(t["id"]), common.current_year()
qpvs = w.cached(places.territory_qpvs, tid)
if qpvs.empty:
    w.nothing("Aucun quartier n'est connu pour ce territoire.")
    st.stop()
labels = {int(r.id): f"{r.name} ({r.commune})" for r in qpvs.itertuples()}
if st.session_state.get("qpv_id") not in labels:
    st.session_state["qpv_id"] = next(iter(labels))
qpv_id = st.selectbox("Quartier", list(labels), format_func=labels.get, key="qpv_id")
p = w.cached(places.qpv_profile, Scope(tid, year, qpv_id=qpv_id))

st.subheader(md(p["name"], multiline=False))
st.caption(f"Code officiel : {md(v.plain(p['code']), multiline=False)} · communes : "
           f"{md(', '.join(n for _, n in p['communes']), multiline=False)}"
           + (f" · source : {md(p['source'], multiline=False)}" if p["source"] else ""))
c = w.metric_row(4)
w.figure(c, "Actions", v.number(p["actions"]), help="Actions non archivées ciblant ce quartier "
         "pendant l'année choisie.")
w.figure(c, "Financements des actions",
         v.short_euros(p["amount"], empty="aucun saisi"),
         help=f"Montants accordés à ces actions, tous financeurs "
              f"({v.euros(p['amount'], empty='aucune action n’a encore de financement saisi')}).")
w.figure(c, "Postes financés par l'État",
         v.short_euros(p["posts_amount"]) if p["posts_amount"] else "aucun enregistré",
         help="Postes adultes-relais et FONJEP du contrat de ville de la commune du quartier "
              "(tout le contrat de ville, pas seulement ce quartier) ; ils ne s'ajoutent pas aux "
              "financements des actions.")
w.figure(c, "Population", v.number(p["population"], empty="non renseignée"),
         help="Population du quartier selon la source officielle, si elle a été importée.")

w.quartiers_map(w.cached(places.qpv_points, qpv_id), key="qpv_map")

st.subheader("Actions par axe")
if not p["axes"]:
    w.nothing("Aucune action enregistrée pour ce quartier.")
for label, part in p["axes"]:
    with st.expander(f"{md(label, multiline=False)} ({len(part)})"):
        st.dataframe(part[["reference", "titre", "porteur", "statut"]], hide_index=True,
                     width="stretch", column_config={"reference": "Référence", "titre": "Titre",
                                                     "porteur": "Porteur", "statut": "Statut"})

st.subheader("Engagements de la commune")
commitments = w.cached(gaps.commune_commitments, Scope(tid, year),
                       [i for i, _ in p["communes"]])
if commitments.empty:
    st.caption("Le protocole ne détaille pas d'engagements pour cette commune.")
else:
    columns = ["engagement", "actions", "groupe"] + (["commune"] if len(p["communes"]) > 1 else [])
    st.dataframe(commitments[columns], hide_index=True, width="stretch", column_config={
        "commune": "Commune", "groupe": "Axe ou thème", "actions": "Actions",
        "engagement": st.column_config.TextColumn("Engagement", width="large")})

from perr_ui.evaluation_view import quartier_section  # noqa: E402 - issue 15 (evaluation)
quartier_section(tid, qpv_id)
