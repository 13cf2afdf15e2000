"""Couverture: the one-minute summary, headline figures, map, axes, axis × commune, « Depuis
N-1 » (all years: the years one by one), money, angles morts. Every number comes from
perr_model.figures (the COPIL document calls the same functions). On a phone the summary, the
figures and the map come first; the long tables are folded (tests/e2e/test_phone_reading.py:
the first folded section within 4 screens at 390 px).

Blocks driven by their own controls are fragments: the measure redraws the bars, the table
and the map (not the figures above them); the map's axis redraws the map only; the table's
view redraws the table only. Closed expanders are built only when opened (widgets.on_demand)."""
import streamlit as st

from perr_model import glossary, vocabulary as v
from perr_model.figures import Scope, coverage, gaps, money, places, trend
from perr_ui import addresses, common, panels, tables, widgets as w
from perr_ui.frame import require_app_frame

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)
TOP = 20  # communes shown in the axis × commune table until all are asked for

t = w.page_header("Couverture du protocole",
                  "quels axes et objectifs sont couverts par des actions, où, avec quels moyens",
                  help=glossary.named("PERR", "Axe", "Objectif opérationnel"))
if t is None:
    st.stop()
scope = Scope(int(t["id"]), common.current_year())
measure = st.session_state.get("cov_measure") or "actions"
w.prefetch((coverage.headline, scope), (coverage.axis_table, scope),
           (coverage.axis_commune_matrix, scope, "amount" if measure == "amount" else "actions"),
           *([(coverage.metric_by_place, scope, st.session_state.get("cov_axis"), measure)]
             if measure != "posts" else [(money.state_posts_by_contrat, scope)]),
           (gaps.angles_morts, scope), (trend.year_over_year, scope))
h = w.cached(coverage.headline, scope)
axes = w.cached(coverage.axis_table, scope)
change = w.cached(trend.year_over_year, scope)
panels.summary(h, axes, change)
panels.headline_figures(h)


@st.fragment
def matrix_view(scope: Scope, measure: str) -> None:
    """The axis × commune table: the TOP communes (coverage.top_communes) or, when asked, all."""
    shows = "amount" if measure == "amount" else "actions"  # posts are not on axes
    matrix = w.cached(coverage.axis_commune_matrix, scope, shows)
    n = len(matrix.columns) - 1
    cut = n > TOP and not st.toggle(f"Afficher toutes les communes ({v.number(n)})",
                                    key="cov_matrix_all")
    shown = coverage.top_communes(matrix, TOP) if cut else matrix
    # a real HTML table (per-axis cards on a phone); the sortable grid on demand
    tables.table(shown.reset_index(), {"Axe": "Axe", **{c: c for c in shown.columns}},
                 title="Axe", kinds=dict.fromkeys(shown.columns,
                                                  "euros" if shows == "amount" else "number"),
                 caption=f"{v.MEASURE_LABELS[shows]} par axe et par commune"
                         + (f" : les {TOP} communes au total le plus élevé" if cut else ""))
    # inside a folded section: a toggle, not an expander (expanders do not nest)
    if st.toggle("Tableau à trier (axe × commune)", key="cov_matrix_grid"):
        st.dataframe(shown, width="stretch", column_config={
            c: st.column_config.NumberColumn(c, format="localized") for c in shown.columns})
    st.caption((f"Les {TOP} communes au total le plus élevé (somme des axes), de la plus haute à "
                "la plus basse ; « Autres communes » additionne, axe par axe, les "
                f"{v.number(n - TOP)} autres. " if cut else "")
               + "Une action couvrant plusieurs communes compte dans chacune ; la colonne "
               "« Total territoire » compte chaque action une fois : ce n'est pas la somme "
               "des colonnes."
               + (" Les postes de l'État ne sont pas rattachés aux axes : le tableau montre "
                  "les actions." if measure == "posts" else ""))


@st.fragment
def coverage_map(scope: Scope, axes, measure: str) -> None:
    labels = dict(zip(axes["axis_id"], axes["label"]))
    by_number = {n: a for n, a in w.cached(places.address_codes, scope.territory_id)["axe"].items()
                 if a in labels}
    addresses.take("axe", "cov_axis", by_number)  # ?axe=2 (a shared address); it follows the list
    axis_id = st.selectbox("Axe de la carte", [None] + list(labels), key="cov_axis",
                           format_func=lambda a: "Tous les axes" if a is None else labels[a])
    addresses.give("axe", next((n for n, a in by_number.items() if a == axis_id), None))
    by_commune, by_qpv = w.cached(coverage.metric_by_place, scope, axis_id, measure)
    empty = {"actions": "aucune action", "amount": "aucun financement d'action saisi"}[measure]
    w.coverage_map(scope.territory_id, by_commune, by_qpv, v.MEASURE_LABELS[measure],
                   "cov_map", empty, on_pick=lambda event: panels.place_choice(
                       event, by_commune, by_qpv, v.MEASURE_LABELS[measure]))


@st.fragment
def by_measure(scope: Scope, axes) -> None:
    """The measure drives the map, the bars and the table (its axis: the map's own list).
    The map first; the axis × commune table (long on a phone) folded."""
    measure = st.segmented_control("Mesure", list(v.MEASURE_LABELS), default="actions",
                                   format_func=v.MEASURE_LABELS.get, key="cov_measure") or "actions"
    if measure == "posts":  # a contract's money, not a commune's: per contract, no map
        st.header("Postes de l'État, par contrat de ville")
        panels.posts_by_contrat(w.cached(money.state_posts_by_contrat, scope))
    else:
        st.header("Carte de la couverture")
        coverage_map(scope, axes, measure)
    st.header("Par axe", help=glossary.define("Axe"))
    if axes.empty:  # a new territory before its referential: its map still shows its places
        w.nothing("Aucun axe n'est chargé pour ce territoire.")
        return
    panels.axis_bars(axes, measure)
    w.on_demand("Tableau par axe et par commune", "cov_matrix", matrix_view, scope, measure)


by_measure(scope, axes)
if change is not None:
    panels.since_previous(h, change)
else:
    panels.trajectory(h, w.cached(trend.trajectory, scope.territory_id))
st.header("Financements")
w.on_demand("Financements des actions et postes de l'État", "cov_money",
            lambda: panels.money_tables(h, w.cached(money.state_posts_by_contrat, scope)))
st.header("Angles morts", help=glossary.define("Angle mort"))
panels.angles_morts(h, w.cached(gaps.angles_morts, scope))
if h["basis"] == "objectives" and h["commitments_total"]:
    free = w.cached(gaps.commitments_without_action, scope)
    if len(free):
        st.caption(f"{v.plural(len(free), 'engagement')} des communes sans action rattachée.")
        w.on_demand("Liste des engagements sans action", "cov_free", lambda: tables.table(
            free, {"engagement": "Engagement", "commune": "Commune", "axe": "Axe ou thème",
                   "numero": "N°"}, title="engagement",
            caption="Engagements des communes sans action rattachée"))
