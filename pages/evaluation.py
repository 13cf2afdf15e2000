"""Évaluation: indicators of the protocol (reference → latest → target, trend), planned vs
achieved from the actions, roll-ups; filters by commune and quartier (issue 15)."""
import streamlit as st

from perr_model import glossary
from perr_model.evaluation import exchange, model, progress
from perr_model.figures.places import address_codes as places_codes
from perr_ui import addresses, common, widgets as w
from perr_ui.common import fr_number
from perr_ui.evaluation_view import indicator_list, md, progress_block
from perr_ui.frame import require_app_frame

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

t = w.page_header("Évaluation", "indicateurs du protocole, cibles et réalisé des actions")
if t is None:
    st.stop()
tid, year = int(t["id"]), common.current_year()

places = w.cached(model.places, tid)
communes = {r["id"]: r["name"] for r in places["communes"]}
ALL = 0  # "toutes / tous" (not None: Streamlit would show its own placeholder for None)
codes = w.cached(places_codes, tid)  # a shared address: ?commune=94017&quartier=QN09422M
addresses.take("commune", "eval_commune", codes["commune"])
addresses.take("quartier", "eval_qpv", codes["quartier"])
if st.session_state.get("eval_commune", ALL) not in [ALL, *communes]:  # set only if stale
    st.session_state["eval_commune"] = ALL
commune_id = st.selectbox("Commune", [ALL] + list(communes), key="eval_commune",
                          format_func=lambda c: "Toutes les communes" if c == ALL
                          else communes[c]) or None
quartiers = {q["id"]: q["name"] for q in places["quartiers"]
             if commune_id is None or commune_id in q["communes"]}
if st.session_state.get("eval_qpv", ALL) not in [ALL, *quartiers]:  # (a set value is resent)
    st.session_state["eval_qpv"] = ALL
qpv_id = st.selectbox("Quartier", [ALL] + list(quartiers), key="eval_qpv",
                      format_func=lambda q: "Tous les quartiers" if q == ALL
                      else quartiers[q]) or None
addresses.give("commune", next((c for c, i in codes["commune"].items() if i == commune_id), None))
addresses.give("quartier", next((c for c, i in codes["quartier"].items() if i == qpv_id), None))

# --- indicators ---------------------------------------------------------------------------------
st.header("Indicateurs")
df = w.cached(model.indicators, tid, commune_id, qpv_id)
if df.empty:
    w.nothing("Aucun indicateur n'est enregistré pour cette sélection. Les chiffres cités par "
              "le protocole sont chargés avec la base ; les éditeurs en ajoutent (saisie ou "
              "import de fichier).")
else:
    st.caption(f"{fr_number(len(df))} indicateur(s). Les chiffres viennent du protocole ou des "
               "saisies, chacun avec sa source ; une cible n'est affichée que si elle a été "
               "fixée.")
    context = df[df["axis_id"].isna()]
    if len(context):
        st.subheader("Contexte du territoire")
        indicator_list(context)
    for axis_id in df["axis_id"].dropna().unique():  # axes in the order of the frame
        part = df[df["axis_id"] == axis_id]
        st.subheader(md(part["axis"].iloc[0]))
        indicator_list(part)

    frame = w.cached(exchange.export_frame, tid)
    st.download_button("Télécharger les valeurs des indicateurs (CSV)",
                       exchange.to_csv_bytes(frame), "indicateurs.csv", "text/csv",
                       help="Toutes les valeurs du territoire avec leur source, dans le format "
                            "d'import (sans le nom des personnes qui les ont saisies).")

roll = w.cached(model.rollup, tid, commune_id)
if len(roll):
    with st.expander("Agrégation à la commune et au territoire"):
        st.caption(glossary.named("Agrégation") + " "
                   "Les nombres s'additionnent (quartiers → commune, communes → territoire) ; "
                   "un taux, une moyenne ou un écart ne s'additionne pas et n'est jamais "
                   "moyenné sans les effectifs.")
        for r in roll.to_dict("records"):
            when = int(r["year"]) if r["year"] is not None else "année non précisée"
            head = f"{r['place']} · {r['label']}" + (
                f" · {when}" if r["value"] is not None else "")
            if r["value"] is not None:
                text = ("environ " if r["approximate"] else "") + model.fr_value(r["value"],
                                                                                  r["unit"])
                line = f"**{md(head)}** : {md(text)}"
            else:
                line = f"**{md(head)}**"
            st.markdown(line)
            if r["note"]:
                st.caption(md(r["note"]))

# --- planned vs achieved ------------------------------------------------------------------------
st.header("Prévu et réalisé des actions")
GROUP_LABELS = {"axe": "Axe", "objectif": "Objectif opérationnel", "commune": "Commune",
                "quartier": "Quartier"}
WEIGHT_LABELS = {"aucune": "Aucune (une action = un)", "montant": "Montant accordé",
                 "beneficiaires": "Bénéficiaires prévus"}
weight_key = st.selectbox("Pondération de l'avancement", list(WEIGHT_LABELS),
                          format_func=WEIGHT_LABELS.get, key="eval_weight",
                          help=glossary.named("Pondération", "Avancement"))
weight = None if weight_key == "aucune" else weight_key
total = w.cached(progress.planned_vs_achieved, tid, year, "total", commune_id, qpv_id, weight)
if total.empty:
    w.nothing()
else:
    progress_block({**total.iloc[0].to_dict(), "label": "Ensemble des actions retenues"})
    st.caption(progress.STATUS_NOTE + " " + progress.SPENT_NOTE)
    by = st.segmented_control("Regrouper par", list(GROUP_LABELS), default="axe",
                              format_func=GROUP_LABELS.get, key="eval_by") or "axe"
    groups = w.cached(progress.planned_vs_achieved, tid, year, by, commune_id, qpv_id, weight)
    if groups.empty:
        st.caption("Aucune action rattachée de cette façon.")
    for row in groups.to_dict("records"):
        progress_block(row)
    years = w.cached(progress.by_year, tid, commune_id, qpv_id, weight)
    if len(years) and year is None:
        st.subheader("Par année")
        lines = []
        for r in years.to_dict("records"):
            done = ("non renseignés" if not r["achieved_reported"]
                    else fr_number(r["achieved"]))
            lines.append(f"- **{int(r['year'])}** : {fr_number(r['actions'])} action(s) ; "
                         f"bénéficiaires réalisés : {done} ({r['achieved_reported']} action(s) "
                         f"sur {r['actions']} renseignée(s))")
        st.markdown("\n".join(lines))
