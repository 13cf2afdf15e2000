"""Administration: correct a territory's referential after it is loaded (rename, renumber,
archive, add; history and restore) and fill an empty one from the spreadsheet template.
Lays out only: reads and writes through perr_model.referential_edit and
perr_model.importers.referential_sheet, writes through common.write()."""
import pandas as pd
import streamlit as st

from perr_model import referential_edit as edit
from perr_model.errors import PerrError
from perr_model.exports import safe
from perr_model.importers import referential_sheet
from perr_model.vocabulary import fr_timestamp
from perr_ui import auth, common, tables
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

actor = auth.require_admin()
st.title("Modifier le référentiel")
tid = actor.territory_id or common.current_territory_id()
if tid is None:
    st.info("Choisissez d'abord un territoire dans la barre latérale.")
    st.stop()
st.caption("Corrigez le référentiel du territoire : renommer, renuméroter, archiver ou ajouter "
           "un axe, un objectif, une rubrique ou un engagement. Les actions gardent leurs liens "
           "(un élément archivé les garde aussi et sort des comptes : il n'est plus un angle "
           "mort). Chaque changement est inscrit dans l'historique de l'élément, d'où une "
           "version précédente peut être rétablie.")

flash = st.session_state.pop("referential_flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")


def _read():
    with common.session() as s:
        return edit.items(s, tid), edit.form_choices(s, tid)


items, choices = common.remembered(f"_referential_items_{tid}", _read)
by_key = {(i["kind"], i["id"]): i for i in items}
KIND_LABELS = {k: v.label for k, v in edit.KINDS.items()}


def _label(key) -> str:  # noqa: ANN001
    item = by_key[key]
    where = f" ({item['commune']})" if item["commune"] else ""
    indent = "\u2003" * item["depth"]
    return indent + item["label"].strip() + where


def _done(message: str) -> None:
    """After a write: the message shown at the next run, and the fields drawn again from what
    the store now holds (a restored text, not the one typed before)."""
    st.session_state.referential_flash = message
    for key in [k for k in st.session_state if str(k).startswith(("ref_text_", "ref_number_",
                                                                  "ref_add_text_",
                                                                  "ref_add_number_"))]:
        del st.session_state[key]
    st.rerun()


correct, add, fill = st.tabs(["Corriger un élément", "Ajouter un élément",
                              "Remplir depuis un tableur"])

with correct:
    if not items:
        st.info("Ce territoire n'a pas encore de référentiel : ajoutez-en les éléments ou "
                "remplissez-le depuis le modèle de tableur (onglets suivants).")
    else:
        key = st.selectbox("Élément", list(by_key), format_func=_label, key="referential_item",
                           help="Les éléments archivés restent dans la liste, marqués "
                                "« (archivé) ».")
        item = by_key[key]
        kind, item_id = key
        opened = st.session_state.get("referential_opened")
        if not opened or opened[0] != key:   # the state read when the item was opened
            st.session_state.referential_opened = (key, item["state"])
        expected = st.session_state.referential_opened[1]
        if item["archived"]:
            st.warning("Cet élément est archivé : il ne compte plus dans les tableaux (ses "
                       "liens avec les actions sont gardés).", icon=":material/inventory_2:")
        elif item["parent_archived"]:
            st.warning("Un élément au-dessus de celui-ci est archivé : il ne compte plus dans "
                       "les tableaux.", icon=":material/inventory_2:")
        with st.form(f"corriger_{kind}_{item_id}", enter_to_submit=False):
            st.markdown(f"**{md(item['reference'], multiline=False)}**"
                        + (f" — {md(item['commune'], multiline=False)}" if item["commune"]
                           else ""))
            new_text = st.text_area("Texte", value=item["text"] or "",
                                    key=f"ref_text_{kind}_{item_id}")
            new_number = st.text_input(
                "Numéro", value="" if item["number"] is None else str(item["number"]),
                key=f"ref_number_{kind}_{item_id}",
                help="Renuméroter garde l'élément et ses liens ; un numéro déjà pris par un "
                     "élément voisin est refusé.")
            saved = st.form_submit_button("Enregistrer", type="primary")
        if saved:
            try:
                with common.write() as s:
                    changes = edit.update_item(s, actor, kind, item_id,
                                               {"text": new_text, "number": new_number},
                                               expected=expected)
                    now = edit.reference_of(s, kind, item_id)
            except PerrError as exc:
                common.refused(exc)
            else:
                st.session_state.pop("referential_opened", None)
                if changes:
                    _done(f"{md(now, multiline=False)} enregistré : "
                          f"{md(edit.changes_text(changes), multiline=False)}.")
                st.info("Rien n'a changé : rien n'a été enregistré.")
        archived = item["archived"]
        if st.button("Désarchiver" if archived else "Archiver (retirer des comptes)",
                     icon=":material/unarchive:" if archived else ":material/archive:",
                     key=f"ref_archive_{kind}_{item_id}"):
            try:
                with common.write() as s:
                    edit.set_item_archived(s, actor, kind, item_id, not archived,
                                           expected=expected)
            except PerrError as exc:
                common.refused(exc)
            else:
                st.session_state.pop("referential_opened", None)
                _done(f"{md(item['reference'], multiline=False)} "
                      + ("désarchivé : il compte de nouveau." if archived
                         else "archivé : il ne compte plus, ses liens sont gardés."))

        st.subheader("Historique")

        def _history() -> pd.DataFrame:
            with common.session() as s:
                return edit.item_history(s, kind, item_id)
        hist = common.remembered(f"_referential_history_{kind}_{item_id}", _history, warn=False)
        if hist.empty:
            st.caption("Aucune modification depuis le chargement du référentiel.")
        else:
            dates = {int(r.id): fr_timestamp(pd.Timestamp(r.date).to_pydatetime())
                     for r in hist.itertuples()}
            tables.table(hist.assign(date=[dates[int(i)] for i in hist["id"]]),
                         {c: c.capitalize() for c in hist.columns if c != "id"},
                         title="date", caption="Historique de l'élément (le plus récent en "
                                               "premier)")
            if len(hist) > 1:
                what = {int(r["id"]): f"{dates[int(r['id'])]} — {r['résumé']}"
                        for r in hist.to_dict("records")}
                entry = st.selectbox("Revenir à l'état après la modification du", list(dates),
                                     format_func=what.get, key=f"ref_entry_{kind}_{item_id}")
                if st.button("Restaurer cette version", icon=":material/history:",
                             key=f"ref_restore_{kind}_{item_id}"):
                    try:
                        with common.write() as s:
                            edit.restore_version(s, actor, kind, item_id, int(entry))
                    except PerrError as exc:
                        common.refused(exc)
                    else:
                        st.session_state.pop("referential_opened", None)
                        _done(f"{md(item['reference'], multiline=False)} rétabli dans son état "
                              f"du {dates[int(entry)]}.")

with add:
    kind = st.selectbox("Que voulez-vous ajouter ?", list(KIND_LABELS),
                        format_func=KIND_LABELS.get, key="ref_add_kind")
    parent_kind = edit.PARENT_KIND.get(kind)
    with st.form("ajouter_element", enter_to_submit=False):
        data: dict = {}
        if parent_kind:
            parents = [k for k in by_key if k[0] == parent_kind]
            data["parent_id"] = st.selectbox(
                f"Sous quel élément ({KIND_LABELS[parent_kind].lower()}) ?", parents,
                format_func=lambda k: by_key[k]["label"].strip(), index=None,
                placeholder="Choisissez", key=f"ref_add_parent_{kind}")
        if kind == "commitment":
            communes = choices["communes"]
            data["commune_id"] = st.selectbox("Commune", list(communes), index=None,
                                              format_func=communes.get, placeholder="Choisissez",
                                              key="ref_add_commune")
            known = sorted({t for ts in choices["themes"].values() for t in ts})
            data["theme"] = st.text_input(
                "Thème", key="ref_add_theme",
                help="Un thème existant de la commune (tapé à l'identique) ou un nouveau. "
                     + ("Thèmes déjà présents : " + " ; ".join(known[:12]) if known else ""))
            axes = choices["axes"]
            data["axis_id"] = st.selectbox("Axe auquel il compte (facultatif)", list(axes),
                                           index=None, format_func=axes.get,
                                           placeholder="Aucun", key="ref_add_axis")
        data["text"] = st.text_area("Texte", key=f"ref_add_text_{kind}")
        data["number"] = st.text_input("Numéro (vide : le suivant)", key=f"ref_add_number_{kind}")
        added = st.form_submit_button("Ajouter", type="primary")
    if added:
        if parent_kind and data["parent_id"] is not None:
            data["parent_id"] = data["parent_id"][1]
        try:
            with common.write() as s:
                row = edit.add_item(s, actor, tid, kind, data)
                done = edit.reference(row)
        except PerrError as exc:
            common.refused(exc)
        else:
            _done(f"{md(done, multiline=False)} ajouté.")

with fill:
    st.markdown("Un référentiel **vide** se remplit depuis le modèle : une ligne par élément "
                "(niveau, numéro, texte, parent, commune, thème). Le parent d'un objectif "
                "stratégique est le numéro de son axe (« 1 »), celui d'une rubrique son objectif "
                "stratégique (« 1.1 »), celui d'un objectif opérationnel sa rubrique (« 1.2 ») ; "
                "un engagement nomme sa commune, son thème et, s'il le faut, son axe. Tout est "
                "vérifié d'abord : au moindre problème, rien n'est écrit.")

    def _template() -> pd.DataFrame:
        with common.session() as s:
            return referential_sheet.template(s, tid)
    model = _template()
    c1, c2 = st.columns(2)
    c1.download_button("Modèle (XLSX)", safe.xlsx_bytes(model, "Référentiel"),
                       file_name="modele-referentiel.xlsx", icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    c2.download_button("Modèle (CSV)", safe.csv_text(model, sep=";")
                       .encode("utf-8-sig"), file_name="modele-referentiel.csv",
                       mime="text/csv", icon=":material/download:")
    upload = st.file_uploader("Référentiel rempli (XLSX ou CSV)", type=["xlsx", "csv"],
                              key="ref_upload",
                              help=f"{referential_sheet.tabular.MAX_FILE_MB} Mo au plus ; la "
                                   "première feuille visible est lue.")
    # the next frame beside a loaded PERR: its contrat de ville 2024–2030 (figures.scope.frame_of)
    new_frame = st.checkbox("Nouveau cadre : le contrat de ville 2024-2030, à côté du PERR déjà "
                            "chargé", key="ref_new_frame",
                            help="Les pages et le document du COPIL liront, pour chaque année, "
                                 "le référentiel du cadre de cette année.")
    years = st.text_input("Années du nouveau cadre", "2024-2030", key="ref_frame_years",
                          disabled=not new_frame)
    dry_run = st.checkbox("Essai : vérifier sans rien écrire", value=True, key="ref_dry_run")
    if upload is not None and st.button("Vérifier" if dry_run else "Importer", type="primary",
                                        icon=":material/upload:", key="ref_import"):
        try:
            with st.spinner("Vérification…"), common.write() as s:
                report = referential_sheet.import_sheet(s, actor, upload.getvalue(),
                                                        upload.name, territory=tid,
                                                        dry_run=dry_run,
                                                        frame="contrat-2024" if new_frame
                                                        else None,
                                                        years=years if new_frame else None)
        except PerrError as exc:
            common.refused(exc)
        else:
            lines = report.lines()
            if dry_run:
                st.success(md(lines[0]))
                st.text("\n".join(lines[1:]))
            else:
                _done(md(" ".join(lines)))
