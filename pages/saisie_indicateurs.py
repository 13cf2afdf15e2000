"""Saisir des indicateurs: one value through a form, or a whole file (CSV/XLSX) — the same
checks, the user's scope (editors: their communes; administrators: the territory), all or
nothing, history in the audit log (issue 15)."""
import streamlit as st

from perr_model.errors import ConcurrentEdit, PerrError
from perr_model.evaluation import exchange, model
from perr_ui import auth, common, uploads, widgets as w
from perr_model.vocabulary import plain
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

actor = auth.require_editor()
t = w.territory()
if t is None:
    st.warning("Aucun territoire n'est chargé.")
    st.stop()
tid = int(t["id"])
st.title("Saisir des indicateurs")
st.caption("Valeurs de référence, cibles et mesures des indicateurs d'évaluation, avec leur "
           "source. " + ("Administrateur : tout le territoire." if actor.is_admin else
                         "Éditeur : indicateurs de vos communes et de leurs quartiers."))

with common.session() as s:
    frame = exchange.export_frame(s, tid, None if actor.is_admin else set(actor.commune_ids))
st.subheader("Exporter")
st.caption(f"{len(frame)} valeur(s) dans votre périmètre. Le fichier se modifie dans un tableur "
           "et se réimporte tel quel (même format dans les deux sens).")
c1, c2 = st.columns(2)
c1.download_button("Télécharger (CSV)", exchange.to_csv_bytes(frame), "indicateurs.csv",
                   "text/csv")
c2.download_button("Télécharger (XLSX)", exchange.to_xlsx_bytes(frame), "indicateurs.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

st.subheader("Importer un fichier")
upload = st.file_uploader("Fichier d'indicateurs (CSV ou XLSX)", type=["csv", "xlsx"],
                          key="ind_upload")
if upload is not None:
    check, rows = None, []
    with common.session() as s:
        slug = exchange.territory_slug(s, tid)
        try:
            rows, ignored, warnings = uploads.parsed_once(
                "indicateurs", upload.getvalue(), upload.name, exchange.read_rows)
            check = exchange.import_rows(s, actor, rows, territory=slug, dry_run=True,
                                         ignored=ignored, warnings=warnings)
        except PerrError as exc:
            st.error(md(str(exc)))
    if check is not None:
        lines = check.lines()
        (st.success if check.ok else st.error)(lines[0])
        for line in lines[1:]:
            st.text(line)
        if check.ok and st.button("Enregistrer ces valeurs", type="primary"):
            try:
                with common.write() as s:
                    done = exchange.import_rows(s, actor, rows, territory=slug)
                st.success(done.lines()[0].replace("seraient", "ont été"))
            except PerrError as exc:
                st.error(md(str(exc)))

st.subheader("Saisir une valeur")
with common.session() as s:
    existing = model.indicators(s, tid)
if not actor.is_admin:
    with common.session() as s:
        mine = {c for c in actor.commune_ids}
        names = {c["name"] for c in model.places(s, tid)["communes"] if c["id"] in mine}
    existing = existing[existing["commune"].isin(names)]
labels = {int(r.id): f"{r.label} ({plain(r.commune, 'territoire')}"
          + (f", {r.quartier}" if isinstance(r.quartier, str) else "") + ")"
          for r in existing.itertuples()}
NEW = 0
choice = st.selectbox("Indicateur", [NEW] + list(labels), key="ind_choice",
                      format_func=lambda i: "Nouvel indicateur" if i == NEW else labels[i])
current = existing[existing["id"] == choice].iloc[0].to_dict() if choice != NEW else None
with st.form("ind_form", enter_to_submit=False):  # only the button saves
    if current is None:
        node = st.text_input("Rattachement", placeholder="axe 3, objectif 1.2.3, "
                             "engagement 94017-4-1 ou territoire")
        commune = st.text_input("Commune (code INSEE ou nom)")
        quartier = st.text_input("Quartier (facultatif)")
        label = st.text_input("Indicateur")
        unit = st.text_input("Unité", placeholder="%, points, €, habitants…")
        sens = st.selectbox("Sens", ["", "hausse", "baisse"], format_func=lambda x: {
            "": "Indicateur de contexte", "hausse": "Plus haut, mieux c'est",
            "baisse": "Plus bas, mieux c'est"}[x])
        agg = st.selectbox("Agrégation", ["", "somme"], format_func=lambda x: {
            "": "Ne s'additionne pas (taux, moyenne, écart)", "somme": "Somme (effectifs)"}[x])
    else:
        st.text(f"{current['label']} – {current['node']}")
    kind = st.selectbox("Type", ["mesure", "reference", "cible"],
                        format_func=model.KIND_LABELS.get)
    year = st.text_input("Année", placeholder="2023")
    value = st.text_input("Valeur", placeholder="22,5")
    approx = st.checkbox("Valeur approximative (« environ »)")
    source = st.text_input("Source (document, observatoire, enquête)")
    place = st.text_input("Emplacement dans la source (section, page)")
    submitted = st.form_submit_button("Enregistrer", type="primary")
if submitted:
    if current is None:
        row = {"rattachement": node, "commune": commune, "quartier": quartier,
               "indicateur": label, "unite": unit, "sens": sens, "agregation": agg}
    else:
        with common.session() as s:
            row = exchange.indicator_row(s, int(current["id"]))
    with common.session() as s:
        slug = exchange.territory_slug(s, tid)
    row.update({"territoire": slug, "type": kind, "annee": year, "valeur": value,
                "approximatif": "oui" if approx else "non", "source": source,
                "emplacement": place})
    version = None
    if current is not None:
        same = [v for v in current["values"] if v["kind"] == kind
                and str(v["year"] or "") == year.strip()]
        version = same[0]["version"] if same else None
    try:
        with common.write() as s:
            done = exchange.save_value(s, actor, row, expected_version=version)
        st.success(done.lines()[0])
    except ConcurrentEdit as exc:
        st.error(md(str(exc)))
    except PerrError as exc:
        st.error(md(str(exc)))
        for p in getattr(exc, "problems", [])[1:]:
            st.text(p)
