"""Importer une programmation: XLSX/CSV → mapping of columns → dry run → one atomic write."""
import pandas as pd
import streamlit as st

from perr_model.errors import ImportRefused, PerrError
from perr_model.importers import actions as importer
from perr_model.store import write_session
from perr_ui import auth, common
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

actor = auth.require_editor()
territory_id = common.current_territory_id()
st.title("Importer une programmation")
st.caption("Fichier XLSX ou CSV (séparateur ; ou , — UTF-8 ou Windows-1252), une ligne par "
           "action. Une action déjà présente (même référence) est mise à jour, pas dupliquée. "
           "L'export de la page Actions se réimporte tel quel.")
st.download_button("Modèle de fichier (CSV)", importer.to_csv_template().encode("utf-8-sig"),
                   "modele-programmation.csv", "text/csv")

upload = st.file_uploader("Fichier de programmation", type=["xlsx", "csv"])
if upload is None:
    st.stop()
try:
    importer.check_size(upload.size)  # before reading it (limit in the message)
    table = importer.read_table(upload.getvalue(), upload.name)
except PerrError as exc:
    st.error(md(str(exc)))
    st.stop()
st.write(f"{len(table)} ligne(s), {len(table.columns)} colonne(s).")

choices = importer.field_choices()
labels = {v: k for k, v in choices.items()}
IGNORE = "(ignorer cette colonne)"
guessed = importer.guess_mapping(list(table.columns))
st.markdown("**Correspondance des colonnes** (devinée des en-têtes, modifiable)")
mapping_table = st.data_editor(
    pd.DataFrame({"Colonne du fichier": list(guessed),
                  "Champ": [choices.get(t, IGNORE) if t and not t.startswith("group:")
                            else (t or IGNORE) for t in guessed.values()]}),
    hide_index=True, disabled=["Colonne du fichier"], key=f"mapping_{upload.name}",
    column_config={"Champ": st.column_config.SelectboxColumn(
        options=[IGNORE] + list(choices.values()) + [t for t in guessed.values()
                                                      if t and t.startswith("group:")])})
mapping = {row["Colonne du fichier"]: labels.get(row["Champ"], row["Champ"])
           if row["Champ"] != IGNORE else None for row in mapping_table.to_dict("records")}

with common.session() as s:
    try:
        report, _ = importer.plan_import(s, actor, table, mapping, territory_id)
    except PerrError as exc:
        st.error(md(str(exc)))
        st.stop()
c1, c2, c3 = st.columns(3)
c1.metric("À créer", len(report.to_create))
c2.metric("À mettre à jour", len(report.to_update))
c3.metric("Refusées", len(report.problems))
if report.problems:
    st.error("Lignes refusées : corrigez le fichier (ou la correspondance) puis rechargez-le. "
             "Rien ne sera écrit tant qu'une ligne est refusée.")
    st.dataframe(pd.DataFrame(report.problems, columns=["Ligne", "Référence", "Motif"]),
                 hide_index=True, width="stretch")
    st.stop()
st.success("Essai à blanc : aucune ligne refusée.")
if st.button("Importer", type="primary", icon=":material/upload:"):
    try:
        with write_session(common.write_engine()) as s:
            done = importer.import_actions(s, actor, table, mapping, territory_id=territory_id,
                                           source=upload.name)
    except ImportRefused as exc:
        st.error(md(str(exc)))
        st.markdown("\n".join(f"- {md(p, multiline=False)}" for p in exc.problems))
    else:
        st.cache_data.clear()
        st.success(md(done.lines()[-1]))
