"""Administration: import official perimeters (communes, QPV) from a file, then show the report."""
import tempfile
from pathlib import Path

import streamlit as st

from perr_model.auth import Actor
from perr_model.errors import PerrError
from perr_model.importers.communes import import_communes
from perr_model.importers.qpv import import_qpv
from perr_ui import common
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

try:
    from perr_ui.auth import require_admin
except ImportError:  # the sign-in module is not there: refuse unless an admin session is set
    require_admin = None
if require_admin is not None:
    checked = require_admin()
elif common.is_public() or st.session_state.get("role") != "admin":
    st.error("Page réservée aux administrateurs.")
    st.stop()
else:
    checked = None
# The import functions check the role again (perr_model.auth.require_admin).
actor = checked if isinstance(checked, Actor) else st.session_state.get("actor")

st.title("Importer les périmètres officiels")
st.caption("Contours des communes (GeoJSON de geo.api.gouv.fr, Shapefile IGN ADMIN EXPRESS) et "
           "périmètres des quartiers prioritaires (fichiers ANCT 2015 ou 2024 : GeoJSON, "
           "Shapefile zippé ou GeoPackage, en WGS84 ou Lambert-93), de toute la France, outre-mer "
           "compris. Le fichier est pris tel qu'il est publié : les lignes inutilisables sont "
           "mises de côté et comptées dans le compte rendu, le reste est importé ; seul un "
           "fichier illisible ou d'un autre format est refusé en entier. Un nouvel import "
           "remplace les périmètres déjà chargés, sans doublon.")

KINDS = {"Communes": ("communes", import_communes), "Quartiers prioritaires (QPV)": ("qpv", import_qpv)}
with st.form("import_geo"):
    label = st.radio("Type de fichier", list(KINDS), horizontal=True)
    upload = st.file_uploader("Fichier", type=["geojson", "json", "zip", "gpkg", "gz"])
    submitted = st.form_submit_button("Vérifier et importer", type="primary")

if submitted:
    if upload is None:
        st.warning("Choisissez d'abord un fichier.")
        st.stop()
    kind, importer = KINDS[label]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        try:
            with st.spinner("Vérification et import…"):
                report = importer(common.store(), path, display_name=upload.name,
                                  actor=actor)
        except PerrError as exc:
            common.refused(exc)
            st.stop()
    lines = report.lines()
    st.success(md(lines[0] + " " + lines[1]))
    if len(lines) > 2:  # text from the file: shown as text, never as Markdown
        st.text("\n".join(lines[2:]))
    if report.details() and report.details() != lines[2:]:
        with st.expander("Rapport détaillé (toutes les lignes)"):
            st.text("\n".join(report.details()))
