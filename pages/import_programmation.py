"""Importer une programmation: XLSX/CSV → mapping of columns → dry run → one atomic write.

After writing, the page starts again empty (new file field, no stale preview) and lists the
actions created or updated, each with a "Modifier" button that opens it in "Saisir une action"."""
import pandas as pd
import streamlit as st

from perr_model.errors import ImportRefused, PerrError
from perr_model.importers import actions as importer
from perr_ui import auth, common, tables, uploads
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

actor = auth.require_editor()
territory_id = common.current_territory_id()
st.title("Importer une programmation")
st.caption("Fichier XLSX ou CSV (séparateur ; ou , — UTF-8 ou Windows-1252) : une ligne par "
           "action et une colonne par financeur, ou une ligne par action et par financeur "
           "(colonnes Financeur, Montant demandé, Montant accordé). Une action déjà présente "
           "(même référence, ou à défaut même titre, porteur et année) n'est pas dupliquée : "
           "vous choisissez de la mettre à jour ou de la laisser. L'export de la page Actions "
           "se réimporte tel quel.")
t1, t2 = st.columns(2)
t1.download_button("Modèle : une colonne par financeur (CSV)",
                   importer.to_csv_template("large").encode("utf-8-sig"),
                   "modele-programmation-colonnes.csv", "text/csv")
t2.download_button("Modèle : une ligne par financeur (CSV)",
                   importer.to_csv_template("long").encode("utf-8-sig"),
                   "modele-programmation-lignes.csv", "text/csv")


def show_done(summary: str, written: list) -> None:
    """What the last import wrote, each action with a button that opens it in the form."""
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


done_box = st.container()  # above the file field, shown until another file is chosen
max_mb = st.get_option("server.maxUploadSize")
upload = st.file_uploader(
    "Fichier de programmation (XLSX ou CSV)", type=["xlsx", "csv"],
    key=f"programmation_{st.session_state.get('import_round', 0)}",
    help=f"Glissez-déposez le fichier ou cliquez sur le bouton pour le choisir ; "
         f"{max_mb} Mo au plus.")
if upload is None:
    if st.session_state.get("import_done"):
        with done_box:
            show_done(*st.session_state.import_done)
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
guessed = importer.guess_mapping(list(table.columns), table)
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
ignored = [h for h, t in mapping.items() if not t]
if ignored:  # said before anything is written: their cells will not be read
    st.warning(md(f"{len(ignored)} colonne(s) ignorée(s) — leurs cases ne seront pas lues : "
                  + ", ".join(f"« {h} »" for h in ignored)
                  + ". Choisissez un champ ci-dessus pour les utiliser."),
               icon=":material/visibility_off:")
else:
    st.caption("Toutes les colonnes du fichier sont utilisées.")

with common.session() as s:
    try:
        report, _ = importer.plan_import(s, actor, table, mapping, territory_id)
    except PerrError as exc:
        st.error(md(str(exc)))
        st.stop()
c1, c2, c3 = st.columns(3)
c1.metric("À créer", len(report.to_create))
c2.metric("Déjà présentes", len(report.to_update))
c3.metric("Refusées", len(report.problems))
if report.problems:
    st.error("Lignes refusées : corrigez le fichier (ou la correspondance) puis rechargez-le. "
             "Rien ne sera écrit tant qu'une ligne est refusée.")
    tables.table(pd.DataFrame(report.refused_rows(), columns=["line", "action", "why"]),
                 {"line": "Ligne", "action": "Action", "why": "Motif"},
                 caption=f"Lignes refusées ({len(report.problems)})")
    st.stop()
existing = "update"
if report.existing:
    st.markdown(f"**Actions déjà présentes** ({len(report.existing)}) : retrouvées dans la "
                "base, elles ne seront pas créées une seconde fois.")
    tables.table(pd.DataFrame(
        [(f"Ligne {n}", ref, title, how, " ; ".join(changes) or "aucune différence")
         for n, ref, title, how, changes in report.existing],
        columns=["line", "ref", "title", "how", "changes"]),
        {"line": "Ligne", "ref": "Référence", "title": "Action", "how": "Retrouvée par",
         "changes": "Différences (avant → fichier)"},
        caption=f"Actions déjà présentes ({len(report.existing)})")
    existing = st.radio("Que faire des actions déjà présentes ?",
                        list(importer.EXISTING_MODES),
                        format_func=importer.EXISTING_MODES.get, key="existing_mode")
st.success("Essai à blanc : aucune ligne refusée.")
if st.button("Importer", type="primary", icon=":material/upload:"):
    try:
        with common.write() as s:
            done = importer.import_actions(s, actor, table, mapping, territory_id=territory_id,
                                           source=upload.name, existing=existing)
    except ImportRefused as exc:
        common.refused(exc)
    else:
        # start again empty: a new file field (new key), no stale preview or "Importer" button
        st.session_state.import_done = (done.lines()[-1], done.written_actions)
        st.session_state.import_round = st.session_state.get("import_round", 0) + 1
        st.rerun()
