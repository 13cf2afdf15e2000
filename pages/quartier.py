"""Quartier: one QPV — perimeter (or a notice), key figures, actions by axis, State posts of its
contrat de ville, commune commitments. Every number comes from perr_model.figures."""
import streamlit as st

from perr_model import glossary, vocabulary as v
from perr_model.figures import Scope, gaps, places
from perr_ui import common, tables, widgets as w
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
if st.session_state.get("qpv_id", next(iter(labels))) not in labels:
    # another territory's quartier: back to the first. Deleted, not set: a value set by the
    # code changes the selector sent once more, and its 1,500 names are sent again
    del st.session_state["qpv_id"]
qpv_id = st.selectbox("Quartier", list(labels), format_func=labels.get, key="qpv_id")
p = w.cached(places.qpv_profile, Scope(tid, year, qpv_id=qpv_id))

st.header(md(p["name"], multiline=False))  # h2; its sections are h3
# Only what there is to say: no "code : non renseigné" line for residents.
st.caption(" · ".join(
    ([f"{'Commune' if len(p['communes']) == 1 else 'Communes'} : "
        f"{md(', '.join(n for _, n in p['communes']), multiline=False)}"] if p["communes"] else [])
    + ([f"Source : {md(v.human_source(p['source']), multiline=False)}"]
       if not v.is_empty(p["source"]) else [])))
w.references([("Code officiel du quartier", None if v.is_empty(p["code"]) else p["code"])],
             key="qpv_codes")  # codes folded, not in the resident's text
c = w.metric_row(4 if not v.is_empty(p["population"]) else 3)
w.figure(c, "Actions", v.number(p["actions"]), help="Actions non archivées ciblant ce quartier "
         "pendant l'année choisie. " + glossary.define("Action"))
w.figure(c, "Financements des actions",
         v.short_euros(p["amount"], empty="aucun saisi"),
         help=f"Montants accordés à ces actions, tous financeurs "
              f"({v.euros(p['amount'], empty='aucune action n’a encore de financement saisi')}).")
w.figure(c, "Postes de l'État (contrat de ville)",
         v.short_euros(p["posts_amount"]) if p["posts_amount"] else "aucun enregistré",
         help="Postes adultes-relais et FONJEP du contrat de ville de la commune du quartier "
              "(tout le contrat de ville, pas seulement ce quartier) ; ils ne s'ajoutent pas aux "
              "financements des actions. " + glossary.named("Adultes-relais", "FONJEP"))
if not v.is_empty(p["population"]):  # left out when the source gives none
    w.figure(c, "Population", v.number(p["population"]),
             help="Population du quartier selon la source officielle.")

w.quartiers_map(w.cached(places.qpv_points, qpv_id), key="qpv_map")

st.subheader("Actions par axe")
if not p["axes"]:
    w.nothing("Aucune action enregistrée pour ce quartier.")


def axis_actions(label: str, part) -> None:
    # an unknown porteur: the card leaves the line out
    tables.table(part.assign(porteur=part["porteur"].replace(v.EMPTY, "")),
                 {"titre": "Titre", "statut": "Statut", "porteur": "Porteur",
                  "reference": "Référence"}, title="titre",
                 caption=f"Actions du quartier : {label}")


for i, (label, part) in enumerate(p["axes"]):  # each list sent only once its axis is opened
    w.on_demand(f"{md(label, multiline=False)} ({v.plural(len(part), 'action')})",
                f"qpv_axis_{i}", axis_actions, label, part)

st.subheader("Engagements de la commune")
commitments = w.cached(gaps.commune_commitments, Scope(tid, year),
                       [i for i, _ in p["communes"]])
if commitments.empty:
    st.caption("Le protocole ne détaille pas d'engagements pour cette commune.")
else:
    columns = ["engagement", "actions", "groupe"] + (["commune"] if len(p["communes"]) > 1 else [])
    tables.table(commitments, {c: {"commune": "Commune", "groupe": "Axe ou thème",
                                   "actions": "Actions", "engagement": "Engagement"}[c]
                               for c in columns}, title="engagement", kinds={"actions": "number"},
                 caption="Engagements de la commune et nombre d'actions rattachées")

from perr_ui.evaluation_view import quartier_section  # noqa: E402 - issue 15 (evaluation)
quartier_section(tid, qpv_id)
