"""Importer une programmation: XLSX/CSV → mapping of columns → dry run → one atomic write.

After writing, the page starts again empty (new file field, no stale preview) and lists the
actions created or updated, each with a "Modifier" button that opens it in "Saisir une action"."""
import pandas as pd
import streamlit as st

from perr_model.errors import ImportRefused, PerrError
from perr_model.importers import actions as importer
from perr_ui import auth, common, uploads
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

done_before = st.session_state.get("import_done")
if done_before:  # what the last import wrote, shown until another file is chosen
    summary, written = done_before
    st.success(md(summary), icon=":material/check_circle:")
    if written:
        st.markdown(f"**Actions écrites** ({len(written)})")
        for n, (aid, ref, title, kind) in enumerate(written[:100]):
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            c1.text(f"{ref} — {title} ({kind})")
            if c2.button("Modifier", key=f"open_{n}", icon=":material/edit:",
                         help=f"Ouvrir {md(ref, multiline=False)} dans « Saisir une action »"):
                st.session_state[auth.EDIT_REQUEST_KEY] = aid
                st.switch_page("pages/saisie_action.py")
        if len(written) > 100:
            st.caption(f"… et {len(written) - 100} autres : voir la page Actions.")

max_mb = st.get_option("server.maxUploadSize")
upload = st.file_uploader(
    "Fichier de programmation (XLSX ou CSV)", type=["xlsx", "csv"],
    key=f"programmation_{st.session_state.get('import_round', 0)}",
    help=f"Glissez-déposez le fichier ou cliquez sur le bouton pour le choisir ; "
         f"{max_mb} Mo au plus.")
if upload is None:
    st.stop()
st.session_state.pop("import_done", None)
try:
    importer.check_size(upload.size)  # before reading it (limit in the message)
    table = uploads.parsed_once("programmation", upload.getvalue(), upload.name,
                                importer.read_table)
except PerrError as exc:
    st.error(md(str(exc)))
    st.stop()
st.write(f"{len(table)} ligne(s), {len(table.columns)} colonne(s).")
for warning in table.attrs.get("warnings", []):
    st.warning(md(warning), icon=":material/warning:")

GROUP_PARTS = {"funder": "financeur", "amount_requested": "montant demandé",
               "amount_approved": "montant accordé", "year": "année"}


def group_label(target: str) -> str:
    """'group:1:funder' (the Actions export's financeur_1, …) → 'Financement n° 1 : financeur'."""
    _, n, part = target.split(":", 2)
    return f"Financement n° {n} : {GROUP_PARTS.get(part, part)}"


choices = importer.field_choices()
guessed = importer.guess_mapping(list(table.columns))
choices.update({t: group_label(t) for t in guessed.values() if t and t.startswith("group:")})
labels = {v: k for k, v in choices.items()}
IGNORE = "(ignorer cette colonne)"
st.markdown("**Correspondance des colonnes** (devinée des en-têtes, modifiable)")
mapping_table = st.data_editor(
    pd.DataFrame({"Colonne du fichier": list(guessed),
                  "Champ": [choices.get(t, IGNORE) if t else IGNORE for t in guessed.values()]}),
    hide_index=True, disabled=["Colonne du fichier"], key=f"mapping_{upload.name}",
    column_config={"Champ": st.column_config.SelectboxColumn(
        options=[IGNORE] + list(choices.values()))})
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
        with common.write() as s:
            done = importer.import_actions(s, actor, table, mapping, territory_id=territory_id,
                                           source=upload.name)
    except ImportRefused as exc:
        common.refused(exc)
    else:
        # start again empty: a new file field (new key), no stale preview or "Importer" button
        st.session_state.import_done = (done.lines()[-1], done.written_actions)
        st.session_state.import_round = st.session_state.get("import_round", 0) + 1
        st.rerun()
