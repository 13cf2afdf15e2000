"""Importer les postes ANCT (adultes-relais, FONJEP): JSON files of Ci-VILLE → funding lines."""
import streamlit as st

from perr_model.errors import PerrError
from perr_model.importers import posts
from perr_ui import auth, common
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

actor = auth.require_admin()
st.title("Importer les postes ANCT")
st.caption("Fichiers JSON de l'ANCT (Ci-VILLE) : postes adultes-relais ou FONJEP d'une année. "
           "Toutes les lignes sont gardées ; réimporter le même fichier remplace ses lignes. "
           "Les postes des contrats de ville hors de nos territoires sont conservés à part, "
           "pour que les totaux nationaux restent vérifiables.")
upload = st.file_uploader("Fichier JSON", type=["json"])
if upload is None:
    st.stop()
kinds = list(posts.KINDS)
guess = posts.guess_kind(upload.name)
kind = st.radio("Type de postes", kinds, index=kinds.index(guess) if guess else 0,
                format_func=posts.KIND_LABELS.get, horizontal=True)
try:
    with common.session() as s:
        report = posts.import_posts(s, actor, upload.getvalue(), kind, source=upload.name,
                                    dry_run=True)
except PerrError as exc:   # ImportRefused too: with its problems
    common.refused(exc, limit=200)
    st.stop()
st.subheader("Essai à blanc")
st.text("\n".join(report.lines()))
if st.button("Importer", type="primary", icon=":material/upload:"):
    with common.write() as s:
        done = posts.import_posts(s, actor, upload.getvalue(), kind, source=upload.name)
    st.success(md(done.lines()[-1]))
