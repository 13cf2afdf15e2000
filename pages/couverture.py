"""Couverture: the one-minute summary, headline figures, axes, axis × commune, map, angles morts.
Every number comes from perr_model.figures (the COPIL document calls the same functions)."""
import plotly.express as px
import streamlit as st

from perr_model import vocabulary as v
from perr_model.figures import Scope, coverage, gaps, money
from perr_ui import common, panels, tables, widgets as w
from perr_ui.frame import require_app_frame
from perr_ui.text import plain

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

t = w.page_header("Couverture du protocole",
                  "quels axes et objectifs sont couverts par des actions, où, avec quels moyens")
if t is None:
    st.stop()
scope = Scope(int(t["id"]), common.current_year())
measure = st.session_state.get("cov_measure") or "actions"
w.prefetch((coverage.headline, scope), (coverage.axis_table, scope),
           (coverage.axis_commune_matrix, scope, "amount" if measure == "amount" else "actions"),
           (coverage.metric_by_place, scope, st.session_state.get("cov_axis"), measure),
           (gaps.angles_morts, scope), (money.state_posts_by_contrat, scope))
h = w.cached(coverage.headline, scope)
axes = w.cached(coverage.axis_table, scope)
panels.summary(h, axes)
panels.headline_figures(h)

with st.expander("Financements des actions et postes de l'État"):
    panels.money_tables(h, w.cached(money.state_posts_by_contrat, scope))

measure = st.segmented_control("Mesure", list(v.MEASURE_LABELS), default="actions",
                               format_func=v.MEASURE_LABELS.get, key="cov_measure") or "actions"
st.header("Par axe")
if axes.empty:
    w.nothing("Aucun axe n'est chargé pour ce territoire.")
else:
    column = "amount_approved" if measure == "amount" else "actions"
    # plotly reads <a>, <b>… in hover texts: the axis titles are escaped
    fig = px.bar(axes.assign(hover=axes["label"].map(plain)), x=column, y="code",
                 orientation="h", custom_data=["axis_id"], hover_name="hover",
                 labels={column: v.MEASURE_LABELS["amount" if measure == "amount" else "actions"],
                         "code": ""})
    fig.update_traces(hovertemplate="%{hovertext}<br>%{x}<extra></extra>")
    fig.update_layout(height=60 + 45 * len(axes), margin=dict(l=0, r=10, t=10, b=0),
                      yaxis=dict(autorange="reversed"), separators=", ")
    if column == "actions":  # counts: whole-number ticks (no "0,2 action")
        fig.update_xaxes(tick0=0, dtick=max(1, -(-int(axes[column].max() or 0) // 5)))
    event = st.plotly_chart(fig, on_select="rerun", selection_mode="points", key="cov_axis_chart")
    clicked = w.selected_point(event)
    if clicked is not None and clicked != st.session_state.get("cov_axis_clicked"):
        st.session_state["cov_axis_clicked"] = st.session_state["cov_axis"] = int(clicked)
    st.caption("Cliquez sur une barre pour choisir l'axe de la carte. Le graphique en texte : "
               + " ; ".join(f"{code} : {v.euros(val) if column == 'amount_approved' else v.number(val)}" for code, val in
                            zip(axes["code"], axes[column].fillna(0))) + ".")
    matrix_measure = "amount" if measure == "amount" else "actions"
    matrix = w.cached(coverage.axis_commune_matrix, scope, matrix_measure)
    # a real HTML table (per-axis cards on a phone); the sortable grid on demand
    tables.table(matrix.reset_index(), {"Axe": "Axe", **{c: c for c in matrix.columns}},
                 title="Axe", kinds=dict.fromkeys(matrix.columns,
                                                  "euros" if matrix_measure == "amount"
                                                  else "number"),
                 caption=f"{v.MEASURE_LABELS[matrix_measure]} par axe et par commune")
    with st.expander("Tableau à trier (axe × commune)"):
        st.dataframe(matrix, width="stretch", column_config={
            col: st.column_config.NumberColumn(col, format="localized")
            for col in matrix.columns})
    st.caption("Une action couvrant plusieurs communes compte dans chacune ; la colonne "
               "« Total territoire » compte chaque action une fois."
               + (" Les postes de l'État ne sont pas rattachés aux axes : le tableau montre "
                  "les actions." if measure == "posts" else ""))

    st.header("Carte de la couverture")
    labels = dict(zip(axes["axis_id"], axes["label"]))
    axis_id = st.selectbox("Axe de la carte", [None] + list(labels), key="cov_axis",
                           disabled=measure == "posts",
                           format_func=lambda a: "Tous les axes" if a is None else labels[a])
    by_commune, by_qpv = w.cached(coverage.metric_by_place, scope, axis_id, measure)
    if measure == "posts":
        st.caption("Postes adultes-relais et FONJEP financés par l'État dans le contrat de ville "
                   "de chaque commune (montant du contrat, partagé par ses communes) ; ils ne "
                   "sont pas rattachés aux actions ni aux axes.")
    empty = {"actions": "aucune action", "amount": "aucun financement d'action saisi",
             "posts": "aucun poste de l'État enregistré"}[measure]
    panels.place_choice(w.coverage_map(scope.territory_id, by_commune, by_qpv,
                                       v.MEASURE_LABELS[measure], "cov_map", empty),
                        by_commune, by_qpv, v.MEASURE_LABELS[measure])

st.header("Angles morts")
panels.angles_morts(h, w.cached(gaps.angles_morts, scope))
if h["basis"] == "objectives" and h["commitments_total"]:
    free = w.cached(gaps.commitments_without_action, scope)
    if len(free):
        st.caption(f"{v.plural(len(free), 'engagement')} des communes sans action rattachée.")
        tables.table(free, {"engagement": "Engagement", "commune": "Commune",
                            "axe": "Axe ou thème", "numero": "N°"}, title="engagement",
                     caption="Engagements des communes sans action rattachée")
