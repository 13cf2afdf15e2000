"""Territoires: per territory, its axes with their counts (objectives, commitments, actions)."""
import streamlit as st

from perr_model import queries
from perr_ui import common
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

st.title("Territoires et axes du PERR")
st.caption("Pour chaque territoire : les axes prioritaires du protocole, avec le nombre "
           "d'objectifs opérationnels, d'engagements des communes et d'actions rattachées.")

with common.session() as s:
    terr = queries.territories(s)
    overviews = {int(t.id): queries.axis_overview(s, int(t.id)) for t in terr.itertuples()}
    notes = {int(t.id): queries.territory_summary(s, int(t.id)) for t in terr.itertuples()}

for t in terr.itertuples():
    info = notes[int(t.id)]
    with st.container(border=True):
        st.subheader(md(t.name, multiline=False) + (" — démonstration (données fictives)" if t.is_synthetic else ""))
        st.caption(md(info["caption"]))
        table = overviews[int(t.id)]
        if table.empty:
            st.info("Aucun axe n'est encore chargé pour ce territoire.")
            continue
        if info["axes_from_pillars"]:
            st.caption("Le protocole de ce territoire ne définit pas d'axes territoriaux : "
                       "les engagements des communes sont classés par pilier du contrat de ville.")
        shown = table.assign(Axe=table["title"]).rename(columns={
            "objectives": "Objectifs opérationnels", "commitments": "Engagements",
            "actions": "Actions"})
        st.dataframe(shown[["Axe", "Objectifs opérationnels", "Engagements", "Actions"]],
                     hide_index=True, width="stretch",
                     column_config={"Axe": st.column_config.TextColumn(width="large")})
