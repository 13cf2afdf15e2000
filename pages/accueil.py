"""Territoires: per territory, its axes with their counts (objectives, commitments, actions) and
the State posts (adultes-relais, FONJEP) of its contrats de ville, from perr_model.figures."""
import streamlit as st

from perr_model import glossary, vocabulary as v
from perr_model.figures import Scope, coverage, money, places
from perr_ui import common, panels, tables, widgets as w
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

st.title("Territoires et axes du PERR", help=glossary.named("PERR", "EPT"))
year = common.current_year()
st.caption("Pour chaque territoire : les axes prioritaires du protocole, avec le nombre "
           "d'objectifs opérationnels, d'engagements des communes et d'actions rattachées, et "
           f"les postes financés par l'État dans ses contrats de ville ({v.year_label(year)}).")

for t in w.cached(places.territories).itertuples():
    scope = Scope(int(t.id), year)
    info = w.cached(places.territory_summary, scope.territory_id)
    with st.container(border=True):
        st.header(md(t.name, multiline=False)
                     + (" — démonstration (données fictives)" if t.is_synthetic else ""))
        st.caption(md(info["caption"]))
        table = w.cached(coverage.axis_table, scope)
        if table.empty:
            st.info("Aucun axe n'est encore chargé pour ce territoire.")
        else:
            if info["axes_from_pillars"]:
                st.caption("Le protocole de ce territoire ne définit pas d'axes territoriaux : "
                           "les engagements des communes sont classés par pilier du contrat "
                           "de ville.")
            tables.table(table, {"label": "Axe", "objectives": "Objectifs opérationnels",
                                 "commitments": "Engagements", "actions": "Actions"},
                         kinds=dict.fromkeys(["objectives", "commitments", "actions"], "number"),
                         caption=f"Axes du protocole : {t.name}")
        h = w.cached(coverage.headline, scope)
        st.markdown("**Financements des actions** : "
                    + (v.euros(h["amount_approved"]) if h["funding_lines"]
                       else "aucune action n'a encore de financement saisi") + ".")
        posts = w.cached(money.state_posts_by_contrat, scope)
        st.markdown("**Postes financés par l'État (adultes-relais, FONJEP), par contrat de "
                    "ville**" + ("" if h["posts_count"] else " : aucun poste enregistré pour "
                                 "cette période"))
        if h["posts_count"]:  # each contract's own money, by its name (not the communes')
            panels.contrat_lines(posts)
            with st.expander("Postes de l'État par contrat de ville"):
                panels.money_tables(h, posts)
