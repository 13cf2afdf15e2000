"""Administration: the referential from the protocol document people hold (text PDF, Word, or
Markdown). The parse is shown for review and corrected here (perr_model.importers.
protocol_review: merge, split, rename, renumber, move); nothing is written before « Enregistrer »,
then everything in one transaction."""
import pandas as pd
import streamlit as st

from perr_model.errors import PerrError
from perr_model.importers import protocol_review as review
from perr_model.importers.protocol import referential_counts
from perr_ui import auth, common, widgets
from perr_ui.frame import require_app_frame
from perr_ui.text import md
from perr_ui.uploads import parsed_once

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

actor = auth.require_admin()
territory = widgets.territory()
st.title("Importer un protocole")
st.caption(md("Le protocole d'engagements tel que vous l'avez : PDF (avec son texte, pas un "
              "scan), document Word (.docx) ou texte Markdown. Ce que le document donne — axes, "
              "objectifs stratégiques et opérationnels, engagements des communes — est montré "
              "d'abord pour relecture ; corrigez-le ici si besoin. Rien n'est enregistré avant "
              "« Enregistrer », et l'enregistrement remplace le référentiel du territoire "
              f"« {territory['name'] if territory else '—'} » choisi dans la barre latérale."))
if territory is None:
    st.warning("Aucun territoire : créez-en un d'abord.")
    st.stop()

upload = st.file_uploader("Document du protocole", type=["pdf", "docx", "md", "txt"])
if upload is None:
    st.stop()

tid = int(territory["id"])
try:
    with common.session() as s:
        doc = parsed_once(f"protocol-{tid}", upload.getvalue(), upload.name,
                          lambda data, name: review.read_for_review(s, tid, data, name))
except PerrError as exc:
    common.refused(exc)
    st.stop()

# The items under review live in the session, for this file and territory.
state_key = f"protocol-review-{tid}"
held = st.session_state.get(state_key)
if held is None or held["doc"] is not doc:
    held = {"doc": doc, "items": review.to_items(doc), "version": 0}
    st.session_state[state_key] = held


def update(items: list) -> None:
    held["items"], held["version"] = items, held["version"] + 1
    st.rerun()


items = held["items"]
report = doc.get("report", {})
try:
    reviewed = review.from_items(items, doc)
    blocking = review.problems(reviewed)
    counts = referential_counts(reviewed)
except PerrError as exc:      # an item left without a parent by an edit of the table
    reviewed, blocking, counts = None, [str(exc)], {}

st.subheader("Ce que le document donne")
shape = "organisé par axes" if doc.get("shape") == "axes" else "organisé par commune"
st.markdown(md(f"Document {doc.get('format', '')}, {shape}. Ce qui sera enregistré :"))
st.markdown("\n".join(f"- {md(f'{k} : {v}', multiline=False)}" for k, v in counts.items() if v))
unplaced = report.get("unplaced", [])
if unplaced:
    with st.expander(f"Lignes que la lecture n'a pas su placer ({len(unplaced)})",
                     expanded=len(unplaced) <= 5):
        st.text("\n".join(unplaced))   # text from the file: shown as text
        st.caption("Elles ne seront pas enregistrées. Ajoutez-les si besoin avec « Ajouter un "
                   "élément sous celui-ci » ci-dessous.")
else:
    st.caption("Toutes les lignes du document ont trouvé leur place.")

# --- the table: rename and renumber in place -----------------------------------------------------
st.subheader("Relire et corriger")
st.caption("Modifiez un texte ou un numéro directement dans le tableau, puis « Appliquer les "
           "modifications du tableau ». Pour fusionner, scinder ou rattacher ailleurs, choisissez "
           "l'élément sous le tableau.")
table = pd.DataFrame(review.table(items))
edited = st.data_editor(
    table, key=f"protocol-table-{tid}-{held['version']}", hide_index=True,
    width="stretch", height=min(38 + 35 * len(items), 460), num_rows="fixed",
    disabled=["Ligne", "Niveau", "Rattaché à"],
    column_config={"Ligne": st.column_config.NumberColumn(width="small"),
                   "N°": st.column_config.TextColumn(width="small"),
                   "Texte": st.column_config.TextColumn(width=520),
                   "Rattaché à": st.column_config.TextColumn(width="medium")})
if st.button("Appliquer les modifications du tableau"):
    try:
        changed = review.edit_table(items, list(zip(edited["N°"], edited["Texte"])))
    except PerrError as exc:
        common.refused(exc)
    else:
        update(changed)

# --- one element: merge, split, move, add ------------------------------------------------------
def option(i: int) -> str:
    return f"ligne {i + 1} — {review.LABELS[items[i].level]} — {review.label(items, i, 60)}"


with st.form(f"protocol-correction-{tid}-{held['version']}"):
    chosen = st.selectbox("Élément", range(len(items)), format_func=option, index=None,
                          placeholder="Tapez quelques mots de l'élément")
    action = st.radio("Correction", review.CORRECTIONS)
    cut = st.text_input("Scinder : premiers mots de la seconde partie, tels qu'écrits")
    target = st.selectbox("Rattacher à", range(len(items)), format_func=option, index=None,
                          placeholder="Nouveau parent (un élément du niveau au-dessus)")
    new_level = st.selectbox("Ajouter : niveau", review.child_levels(doc.get("shape")),
                             format_func=review.LABELS.get)
    new_text = st.text_input("Ajouter : texte")
    applied = st.form_submit_button("Appliquer la correction")
if applied:
    try:
        changed = review.correct(items, action, chosen, cut=cut, parent=target, level=new_level,
                                 text=new_text)
    except PerrError as exc:
        common.refused(exc)
    else:
        update(changed)

# --- save ---------------------------------------------------------------------------------------
st.subheader("Enregistrer")
if blocking:
    st.warning("À corriger avant d'enregistrer :")
    st.markdown("\n".join(f"- {md(p, multiline=False)}" for p in blocking))
c1, c2 = st.columns(2)
save = c1.button("Enregistrer", type="primary", disabled=bool(blocking))
if c2.button("Revenir à la lecture du document"):
    update(review.to_items(doc))
if save:
    try:
        with st.spinner("Enregistrement…"), common.write() as s:
            written = review.save_reviewed(s, actor, tid, items, doc)
    except PerrError as exc:
        common.refused(exc)
        st.stop()
    st.success(md(f"Référentiel enregistré pour « {territory['name']} » : "
                  + " ; ".join(f"{k} : {v}" for k, v in written.items()) + "."))
