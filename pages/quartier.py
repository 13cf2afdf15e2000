"""Quartier: one QPV — perimeter (or a notice), key figures, actions by axis, commune commitments."""
import streamlit as st

from perr_model import coverage
from perr_ui import common, widgets as w
from perr_ui.common import fr_euros, fr_number
from perr_ui.text import md
from perr_ui.frame import require_app_frame

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

t = w.page_header("Quartier", "un quartier prioritaire (QPV) et ses actions")
if t is None:
    st.stop()
tid, year = int(t["id"]), common.current_year()
qpvs = w.cached(coverage.territory_qpvs, tid)
if qpvs.empty:
    w.nothing("Aucun quartier n'est connu pour ce territoire.")
    st.stop()
labels = {int(r.id): f"{r.name} ({r.commune})" for r in qpvs.itertuples()}
if st.session_state.get("qpv_id") not in labels:
    st.session_state["qpv_id"] = next(iter(labels))
qpv_id = st.selectbox("Quartier", list(labels), format_func=labels.get, key="qpv_id")
p = w.cached(coverage.qpv_profile, qpv_id, tid, year)

st.subheader(md(p["name"], multiline=False))
st.caption(f"Code officiel : {md(p['code']) or 'non renseigné'} · communes : "
           f"{md(', '.join(n for _, n in p['communes']), multiline=False)}"
           + (f" · source : {md(p['source'], multiline=False)}" if p["source"] else ""))
c = w.metric_row(4)
w.figure(c, "Actions", fr_number(p["actions"]), help="Actions non archivées ciblant ce quartier "
         "pendant l'année choisie.")
w.figure(c, "Montants accordés", w.short_euros(p["amount"]),
         help=f"Somme des montants accordés à ces actions, tous financeurs "
              f"({fr_euros(p['amount'])}). « – » : aucun financement enregistré.")
w.figure(c, "Porteurs", fr_number(p["holders"]), help="Organisations distinctes portant ces actions.")
w.figure(c, "Population", fr_number(p["population"]),
         help="Population du quartier selon la source officielle, si elle a été importée.")

w.quartiers_map(w.cached(coverage.qpv_points, qpv_id), key="qpv_map")

st.subheader("Actions par axe")
if p["by_axis"].empty:
    w.nothing("Aucune action enregistrée pour ce quartier.")
for (num, axis), part in p["by_axis"].groupby(["axe_numero", "axe"], sort=False):
    with st.expander(f"Axe {md(num)} – {md(axis, multiline=False)} ({len(part)})"):
        st.dataframe(part[["reference", "titre", "porteur", "statut"]], hide_index=True,
                     width="stretch", column_config={"reference": "Référence", "titre": "Titre",
                                                     "porteur": "Porteur", "statut": "Statut"})

st.subheader("Engagements de la commune")
commitments = w.cached(coverage.commune_commitments, tid, [i for i, _ in p["communes"]], year)
if commitments.empty:
    st.caption("Le protocole ne détaille pas d'engagements pour cette commune.")
else:
    columns = ["engagement", "actions", "groupe"] + (["commune"] if len(p["communes"]) > 1 else [])
    st.dataframe(commitments[columns], hide_index=True, width="stretch", column_config={
        "commune": "Commune", "groupe": "Axe ou thème", "actions": "Actions",
        "engagement": st.column_config.TextColumn("Engagement", width="large")})
