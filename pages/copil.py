"""Document COPIL: one click → the PDF to hand out and the XLSX of its tables."""
import streamlit as st

from perr_model import glossary
from perr_model.copil import document
from perr_model.figures import scope as figure_scope
import pandas as pd

from perr_ui import common, tables, widgets
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

st.title("Document COPIL", help=glossary.define("COPIL"))
st.caption("Le document du comité de pilotage pour le territoire choisi dans le menu : chiffres "
           "clés, couverture par axe, cartes, angles morts, engagements des communes et leurs "
           "actions, financements, sources. PDF à imprimer (lisible en noir et blanc) et "
           "tableur des mêmes tableaux.")

territory_id = common.current_territory_id()
if territory_id is None:
    st.info("Choisissez un territoire dans le menu latéral.")
    st.stop()


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def build(url: str, version: int, territory_id: int, year: int, insee: str | None
          ) -> document.CopilDocument:
    """The document of the data as it is: keyed by the database and its data version, so a
    write by anyone (a form, the CLI, another process) gives a new document at once."""
    with common.session() as s:
        return document.copil_document(s, territory_id, year, insee)


with common.session() as s:
    communes = figure_scope.commune_choices(s, territory_id)

sidebar_year = common.current_year()
EVERY = "toutes"   # every year, undated actions included (None would read "no choice")
options = [EVERY, *widgets.years_offered(territory_id)]
if (st.session_state.get("copil_year_sidebar", "unset") != sidebar_year
        or st.session_state.get("copil_year") not in options):
    # the sidebar's year changed, the page opens or the territory has not that year: the
    # document's year follows the sidebar
    st.session_state.copil_year_sidebar = sidebar_year
    st.session_state.copil_year = sidebar_year if sidebar_year in options else EVERY
col1, col2 = st.columns(2)
chosen = col1.selectbox("Année du document", options, key="copil_year",
                        format_func=lambda y: "Toutes les années" if y == EVERY else str(y),
                        help="Reprend l'année du menu latéral. « Toutes les années » compte "
                             "aussi les actions sans année renseignée (par exemple les actions en "
                             "cours citées par le protocole).")
year = None if chosen == EVERY else int(chosen)
names = dict(communes)
insee = col2.selectbox("Commune (facultatif)", [None, *names], key="copil_commune",
                       format_func=lambda c: "Tout le territoire" if c is None else names[c])

request = (territory_id, None if year is None else int(year), insee)
if st.button("Préparer le document", type="primary", icon=":material/picture_as_pdf:"):
    st.session_state.copil_request = request
if st.session_state.get("copil_request") == request:
    with st.spinner("Préparation du document…"):
        doc = build(*widgets.data_key(), *request)
    stem = doc.stem
    st.success(f"Document prêt : {md(stem + '.pdf')} et {md(stem + '.xlsx')}")
    st.markdown(f"**L'essentiel :** {md(doc.summary)}")
    tables.table(pd.DataFrame(doc.contents, columns=["section", "page"]),
                 {"section": "Sommaire du document", "page": "Page"}, kinds={"page": "number"},
                 caption=f"Sommaire du document ({doc.pages} pages)")
    c1, c2 = st.columns(2)
    c1.download_button("Télécharger le PDF", doc.pdf, file_name=f"{stem}.pdf",
                       mime="application/pdf", on_click="ignore", icon=":material/download:")
    c2.download_button("Télécharger les tableaux (XLSX)", doc.xlsx, file_name=f"{stem}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       on_click="ignore", icon=":material/table:")
    st.caption("Toutes les années : toutes les actions non archivées, y compris celles sans "
               "année renseignée." if year is None else
               f"Année {year} : actions dont la période comprend {year} ; les actions sans "
               "année renseignée ne sont pas comptées (règle détaillée dans le document).")
