"""Couverture: headline figures, actions per axis, axis × commune, coverage map, angles morts."""
import plotly.express as px
import streamlit as st

from perr_model import coverage
from perr_ui import common, widgets as w
from perr_ui.common import fr_euros, fr_number
from perr_ui.frame import require_app_frame
from perr_ui.text import plain

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

t = w.page_header("Couverture du protocole",
                  "quels axes et objectifs sont couverts par des actions, où, avec quels moyens")
if t is None:
    st.stop()
tid, year = int(t["id"]), common.current_year()
# The page's queries are independent: start them together (widgets' values from the last run).
w.prefetch((coverage.headline, tid, year),
           (coverage.axis_commune_matrix, tid, year, st.session_state.get("cov_measure") or "actions"),
           (coverage.metric_by_place, tid, year, st.session_state.get("cov_axis"),
            st.session_state.get("cov_measure") or "actions"),
           (coverage.angles_morts, tid, year), (coverage.commitments_without_action, tid, year))
h = w.cached(coverage.headline, tid, year)

c = w.metric_row(5)
w.figure(c, "Actions", fr_number(h["actions"]),
         help="Actions non archivées du territoire, en cours pendant l'année choisie "
              "(année de début ≤ année ≤ année de fin).")
w.figure(c, "Montants accordés",
         w.short_euros(h["amount_approved"]) if len(h["by_funder"]) else "–",
         help=f"Somme des montants accordés ({fr_euros(h['amount_approved'])}) par tous les "
              "financeurs aux actions comptées "
              f"(demandés : {fr_euros(h['amount_requested'])}). « – » : aucun financement "
              "enregistré pour ces actions.")
w.figure(c, "Porteurs", fr_number(h["holders"]) if h["holders"] or not h["actions"] else "–",
         help="Organisations distinctes portant au moins une action comptée. « – » : le "
              "porteur n'est renseigné pour aucune de ces actions.")
w.figure(c, "Quartiers touchés", f"{h['qpv_reached']} / {h['qpv_total']}",
         help="Quartiers prioritaires (QPV) du territoire ciblés par au moins une action, "
              "sur le nombre de QPV connus du territoire.")
share = h["objectives_share"]
w.figure(c, "Objectifs couverts", "–" if share is None else f"{share:.0%}".replace("%", " %"),
         help="Part des objectifs opérationnels du protocole servis par au moins une action "
              f"({h['objectives_covered']} sur {h['objectives_total']}). « – » : le protocole "
              "de ce territoire n'a pas d'objectifs opérationnels"
              + (f" ; engagements des communes couverts : {h['commitments_covered']} sur "
              f"{h['commitments_total']}." if h["commitments_total"] else "."))

if h["actions"] == 0:
    w.nothing("Aucune action enregistrée pour ce territoire et cette année : "
              "la couverture est vide, ce n'est pas une erreur d'affichage.")
elif not len(h["by_funder"]):
    st.caption("Aucun financement n'est enregistré pour ces actions : les montants restent vides.")
else:
    with st.expander("Montants par financeur"):
        st.dataframe(h["by_funder"][["label", "requested", "approved", "actions"]], hide_index=True,
                     width="stretch", column_config={
                         "label": "Financeur",
                         "requested": st.column_config.NumberColumn("Demandé (€)", format="localized"),
                         "approved": st.column_config.NumberColumn("Accordé (€)", format="localized"),
                         "actions": "Actions"})

measure = st.segmented_control("Mesure", list(coverage.MEASURES), default="actions",
                               format_func=coverage.MEASURES.get, key="cov_measure") or "actions"
matrix = w.cached(coverage.axis_commune_matrix, tid, year, measure)
axes = w.cached(coverage.axis_labels, tid)

st.subheader("Par axe")
if axes.empty:
    w.nothing("Aucun axe n'est chargé pour ce territoire.")
else:
    totals = matrix["Total territoire"].reset_index()
    totals["axis_id"], totals["court"] = axes["axis_id"].values, [
        f"Axe {n}" for n in axes["number"].fillna(axes["position"]).astype(int)]
    totals["Axe"] = totals["Axe"].map(plain)  # plotly reads <a>, <b>… in hover texts
    fig = px.bar(totals, x="Total territoire", y="court", orientation="h", custom_data=["axis_id"],
                 hover_name="Axe", labels={"Total territoire": coverage.MEASURES[measure], "court": ""})
    fig.update_traces(hovertemplate="%{hovertext}<br>%{x}<extra></extra>")
    fig.update_layout(height=60 + 45 * len(totals), margin=dict(l=0, r=10, t=10, b=0),
                      yaxis=dict(autorange="reversed"))
    event = st.plotly_chart(fig, on_select="rerun", selection_mode="points", key="cov_axis_chart")
    clicked = w.selected_point(event)
    if clicked is not None and clicked != st.session_state.get("cov_axis_clicked"):
        st.session_state["cov_axis_clicked"] = st.session_state["cov_axis"] = int(clicked)
    st.caption("Cliquez sur une barre pour choisir l'axe de la carte.")
    st.dataframe(matrix, width="stretch", column_config={
        col: st.column_config.NumberColumn(col, format="localized") for col in matrix.columns})
    st.caption("Une action couvrant plusieurs communes compte dans chacune ; la colonne "
               "« Total territoire » compte chaque action une fois.")

    st.subheader("Carte de la couverture")
    labels = dict(zip(axes["axis_id"], axes["label"]))
    axis_id = st.selectbox("Axe de la carte", [None] + list(labels), key="cov_axis",
                           format_func=lambda a: "Tous les axes" if a is None else labels[a])
    by_commune, by_qpv = w.cached(coverage.metric_by_place, tid, year, axis_id, measure)
    map_event = w.coverage_map(tid, by_commune, by_qpv, coverage.MEASURES[measure], "cov_map",
                               "aucune action" if measure == "actions" else "aucun montant")
    place = w.selected_place(map_event)
    if place and place[0] == "qpv":
        st.session_state["qpv_id"] = place[1]
        st.info(f"Quartier sélectionné : {fr_number(by_qpv.get(place[1], 0))} "
                f"({coverage.MEASURES[measure].lower()}).")
        st.page_link("pages/quartier.py", label="Ouvrir la page du quartier",
                     icon=":material/location_city:")
    elif place:
        st.session_state["act_communes"] = [place[1]]
        st.info(f"Commune sélectionnée : {fr_number(by_commune.get(place[1], 0))} "
                f"({coverage.MEASURES[measure].lower()}).")
        st.page_link("pages/actions.py", label="Voir les actions de cette commune",
                     icon=":material/list_alt:")

st.subheader("Angles morts")
dead = w.cached(coverage.angles_morts, tid, year)
if len(dead):
    st.caption(f"{len(dead)} objectif(s) opérationnel(s) sans aucune action.")
    st.dataframe(dead[["axe", "groupe", "objectif"]], hide_index=True, width="stretch",
                 column_config={"axe": "Axe", "groupe": "Groupe", "objectif": "Objectif opérationnel"})
elif h["objectives_total"]:
    st.success("Chaque objectif opérationnel est servi par au moins une action.")
free = w.cached(coverage.commitments_without_action, tid, year)
if len(free):
    st.caption(f"{len(free)} engagement(s) des communes sans action rattachée.")
    st.dataframe(free, hide_index=True, width="stretch", column_config={
        "commune": "Commune", "theme": "Thème", "numero": "N°", "engagement": "Engagement"})
