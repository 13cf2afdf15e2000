"""Frame of the PERR dashboard: page config, role → pages, shared selectors, st.navigation."""
import streamlit as st

from perr_model.figures import places as queries
from perr_ui import common, frame, nav

# A local favicon: a ":material/…:" page icon is fetched from Google Fonts (no network here).
st.set_page_config(page_title="PERR – tableau de bord", page_icon=str(frame.FAVICON),
                   layout="wide", initial_sidebar_state="auto")

public = common.is_public()
if public:  # residents see a plain message, never a traceback (whatever config.toml says)
    st.set_option("client.showErrorDetails", "none")
role = None if public else st.session_state.get("role")

sections: dict[str, list] = {}
by_file: dict[str, st.Page] = {}
for spec in nav.pages_for(public, role):
    by_file[spec.path.rsplit("/", 1)[-1]] = st.Page(
        spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=spec.default)
    sections.setdefault(spec.section, []).append(by_file[spec.path.rsplit("/", 1)[-1]])
page = st.navigation(sections)
frame.mark_app_frame()
wanted_page = frame.pending_destination()  # a deep link that arrived outside the frame
if wanted_page in by_file:
    st.switch_page(by_file[wanted_page])

try:
    with common.session() as s:
        terr = queries.territories(s)
        years = queries.action_years(s)
except FileNotFoundError as exc:
    st.error(f"{exc}")
    st.stop()

if terr.empty:
    st.warning("La base ne contient aucun territoire. Un administrateur doit lancer "
               "« python -m perr_model init-db ».")
    st.stop()

# Selectors rendered here, on every page, so that their value stays set across pages.
with st.sidebar:
    labels = {int(r.id): r.name + ("" if not r.is_synthetic or "monstration" in r.name
                                   else " (démonstration)")
              for r in terr.itertuples()}
    wanted = st.query_params.get("territoire")
    by_slug = {r.slug: int(r.id) for r in terr.itertuples()}
    if "territory_id" not in st.session_state or st.session_state.territory_id not in labels:
        st.session_state.territory_id = by_slug.get(wanted, next(iter(labels)))
    st.selectbox("Territoire", options=list(labels), format_func=labels.get, key="territory_id")
    year_options = [common.ALL_YEARS] + [str(y) for y in years]
    if st.session_state.get("year") not in year_options:
        st.session_state.year = common.ALL_YEARS
    st.selectbox("Année", options=year_options, key="year")
    if public:
        st.caption("Instance publique, en lecture seule.")

page.run()
