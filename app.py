"""Frame of the PERR dashboard: page config, role → pages, shared selectors, st.navigation."""
import streamlit as st

from perr_model import glossary
from perr_model.figures import places
from perr_ui import addresses, auth, common, frame, i18n, nav, tables, widgets

# A local favicon: a ":material/…:" page icon is fetched from Google Fonts (no network here).
st.set_page_config(page_title="PERR – tableau de bord", page_icon=str(frame.FAVICON),
                   layout="wide", initial_sidebar_state="auto")

public = common.is_public()
common.public_options()  # no traceback, no ⋮ menu for residents (whatever config.toml says)
auth.restore_session()  # a reload or a new tab: signed in again from the cookie (docs/auth.md)
role = None if public else st.session_state.get("role")

sections: dict[str, list] = {}
by_file: dict[str, st.Page] = {}
for spec in nav.pages_for(public, role):
    by_file[spec.path.rsplit("/", 1)[-1]] = st.Page(
        spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path)
    sections.setdefault(spec.section, []).append(by_file[spec.path.rsplit("/", 1)[-1]])
home = by_file[nav.home_page().path.rsplit("/", 1)[-1]]
# Every page keeps its own address (/couverture too); the root address only forwards to the home
# page with its query parameters, so a link to /couverture?territoire=… opens that page.
root = st.Page(lambda: frame.forward(home), title=nav.home_page().title, url_path="accueil-racine",
               default=True, visibility="hidden")
page = st.navigation({"": [root], **sections}, expanded=True)
frame.mark_app_frame()
i18n.install()  # lang="fr" and Streamlit's own words in French (see perr_ui/i18n.py)
tables.install_css()  # the tables' style sheet, once per run (see perr_ui/tables.py)
wanted_page, wanted_params = frame.pending_destination()  # a deep link that arrived outside it
if wanted_page in by_file:
    st.switch_page(by_file[wanted_page], query_params=wanted_params)

common.warm_figures()  # once per process: store the figures if the store has none for this data

try:  # read from the stored figures, cached per data version: every rerun of every page
    # (the last run's when the base does not answer: the page still draws its form)
    terr = common.remembered("_perr_territories", lambda: widgets.cached(places.territories),
                             warn=False)
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
    # ?territoire=<slug> selects the territory (a shared link, a deep link); the address then
    # follows the selector, so that it can be copied and shared as it is.
    wanted = st.query_params.get("territoire")
    by_slug = {r.slug: int(r.id) for r in terr.itertuples()}
    slug_of = {v: k for k, v in by_slug.items()}
    if wanted in by_slug and st.session_state.get("_perr_territoire_param") != wanted:
        st.session_state.territory_id = by_slug[wanted]
    elif "territory_id" not in st.session_state or st.session_state.territory_id not in labels:
        st.session_state.territory_id = next(iter(labels))
    st.selectbox("Territoire", options=list(labels), format_func=labels.get, key="territory_id",
                 help=glossary.named("EPT"))
    st.session_state._perr_territoire_param = slug_of[st.session_state.territory_id]
    st.query_params["territoire"] = st.session_state._perr_territoire_param
    years = common.remembered(f"_perr_years_{st.session_state.territory_id}",  # COPIL's too
                              lambda: widgets.years_offered(st.session_state.territory_id),
                              warn=False)
    year_options = [common.ALL_YEARS] + [str(y) for y in years]
    # ?annee=2022 chooses the year (only a year the selector offers); the address follows it
    addresses.take("annee", "year", {y: y for y in year_options[1:]})
    if st.session_state.get("year") not in year_options:
        st.session_state.year = common.ALL_YEARS
    st.selectbox("Année", options=year_options, key="year")
    addresses.give("annee", None if st.session_state.year == common.ALL_YEARS
                   else st.session_state.year)
    if public:
        st.caption("Instance publique, en lecture seule.")

# each page its own tab title (a page showing one place names it: addresses.title there)
addresses.title(page.title, labels[st.session_state.territory_id])
page.run()
