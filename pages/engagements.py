"""Engagements des communes: two to four communes side by side, commitments grouped by axis or
pillar, each with its actions under way, so that the differences show."""
import streamlit as st

from perr_model import action_list as al, glossary
from perr_model.figures import Scope, gaps, places
from perr_ui import addresses, common, tables, widgets as w
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

t = w.page_header("Engagements des communes",
                  "les engagements pris par chaque commune dans le protocole, et leurs actions",
                  help=glossary.named("Engagement", "PERR"))
if t is None:
    st.stop()
tid, year = int(t["id"]), common.current_year()
communes = w.cached(al.filter_options, tid)["communes"]
if not communes:
    w.nothing("Aucune commune n'est rattachée à ce territoire.")
    st.stop()

with_commitments = set(w.cached(gaps.communes_with_commitments, tid))
having = [c for c in communes if c in with_commitments]
if st.session_state.get("eng_communes") and not set(st.session_state["eng_communes"]) <= set(communes):
    del st.session_state["eng_communes"]
# a shared address: ?commune=94017,94033 (up to four); the address follows the list
codes = w.cached(places.address_codes, tid)["commune"]
if (linked := addresses.take_many("commune", "eng_communes", codes)) is not None:
    st.session_state["eng_communes"] = linked[:4]
chosen = st.multiselect("Communes à comparer (2 à 4)", list(communes), format_func=communes.get,
                        default=None if "eng_communes" in st.session_state
                        else (having or list(communes))[:3], max_selections=4,
                        key="eng_communes")
by_id = {i: c for c, i in codes.items()}
addresses.give_many("commune", [by_id[i] for i in chosen if i in by_id])
group_by = st.segmented_control("Regrouper par", ["axis", "pillar"], default="axis",
                                format_func={"axis": "Axe", "pillar": "Pilier"}.get,
                                key="eng_group") or "axis"
if not chosen:
    st.info("Choisissez au moins une commune.")
    st.stop()
if len(chosen) == 1:
    st.caption("Ajoutez une deuxième commune pour comparer.")

table = w.cached(gaps.commune_commitments, Scope(tid, year), chosen, group_by)
if table.empty:
    w.nothing("Le protocole de ce territoire ne comporte pas d'engagements pour ces communes.")
    st.stop()

summary = gaps.commitment_counts(table, [communes[c] for c in chosen])
tables.table(summary.reset_index(), {"Commune": "Commune", "engagements": "Engagements",
                                     "avec_action": "Engagements avec action",
                                     "actions": "Actions rattachées"}, title="Commune",
             kinds=dict.fromkeys(["engagements", "avec_action", "actions"], "number"),
             caption="Engagements des communes choisies et actions rattachées")

groups = table.sort_values("groupe_position")["groupe"].drop_duplicates().tolist()
public = common.is_public()  # references folded for residents (w.references)
for g, group in enumerate(groups):
    part = table[table["groupe"] == group]
    st.header(md(group, multiline=False))  # h2 under the page title
    cols = st.columns(len(chosen))
    for col, cid in zip(cols, chosen):
        mine = part[part["commune_id"] == cid]
        with col.container(border=True):
            st.markdown(f"**{md(communes[cid], multiline=False)}** · {len(mine)} engagement(s), "
                        f"{int(mine['actions'].sum())} action(s)")
            if mine.empty:
                st.caption("Aucun engagement sur ce thème.")
            for r in mine.itertuples():
                number = f"{md(r.numero)}\\. " if r.numero else ""
                st.markdown(f"{number}{md(r.engagement)}")
                if not public:
                    st.caption(f"Référence : {md(r.reference, multiline=False)}")
                if r.titres:
                    short = [t if len(t) <= 110 else t[:109].rstrip() + "…" for t in r.titres[:8]]
                    st.caption(f"{len(r.titres)} action(s) : " + md(" ; ".join(short))
                               + (f" (+{len(r.titres) - 8})" if len(r.titres) > 8 else ""))
                else:
                    st.markdown("*Aucune action enregistrée.*")  # full-contrast text (AA)
            if public:
                w.references([(f"Engagement n° {r.numero}" if r.numero else r.engagement[:60],
                               r.reference) for r in mine.itertuples()], key=f"eng_codes_{g}_{cid}")
