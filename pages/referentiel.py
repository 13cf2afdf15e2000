"""Référentiel: axis → group → objective, with the number of actions at every node (rolled up
from the actions without double counting); the protocol's example actions shown apart.
Territories whose protocol has no objectives (axes = pillars) show their communes'
commitments under each axis instead."""
import streamlit as st

from perr_model import action_list as al
from perr_model import vocabulary as v
from perr_model.figures import Scope, annexes, gaps
from perr_ui import common, tables, widgets as w
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

t = w.page_header("Référentiel du protocole",
                  "axes, objectifs et nombre d'actions qui les servent")
if t is None:
    st.stop()
tid, year = int(t["id"]), common.current_year()
tree = w.cached(gaps.referential_tree, Scope(tid, year))
if not tree:
    w.nothing("Aucun axe n'est chargé pour ce territoire.")
    st.stop()

st.caption("Chaque pastille donne le nombre d'actions enregistrées qui servent l'élément. "
           "Un groupe ou un axe compte chaque action une fois, même si elle sert plusieurs "
           "de ses objectifs. Les « exemples d'actions » sont les idées citées par le protocole : "
           "ce ne sont pas des actions enregistrées et ils ne sont pas comptés.")
if not any(axis["actions"] for axis in tree):
    w.nothing("Aucune action enregistrée pour ce territoire et cette année : le référentiel "
              "est affiché sans couverture.")
only_empty = st.toggle("N'afficher que les éléments sans action", key="ref_only_empty")
annex = w.cached(annexes.protocol_annex, tid)
context = {}   # engagement reference → the protocol's context sentences about it
for r in annex["notes"].itertuples():
    context.setdefault(r.reference, []).append(r.note)
commitments = None
if any(not axis["groups"] for axis in tree):
    communes = w.cached(al.filter_options, tid)["communes"]
    commitments = w.cached(gaps.commune_commitments, Scope(tid, year), list(communes))


def badge(n: int) -> str:
    return f":green-badge[{n} action{'s' if n > 1 else ''}]" if n else ":orange-badge[aucune action]"


for axis in tree:
    with st.expander(f"{md(axis['label'], multiline=False)} — {axis['actions']} action(s)", expanded=len(tree) <= 2):
        if axis["strategic"]:
            st.markdown(f"*Objectif stratégique : {md(axis['strategic'], multiline=False)}*")
        for g in axis["groups"]:
            objectives = [o for o in g["objectives"] if not only_empty or o["actions"] == 0]
            if only_empty and not objectives:
                continue
            st.markdown(f"**{md(g['label'], multiline=False)}** {badge(g['actions'])}")
            st.markdown("\n".join(f"- {md(o['reference'])} – {md(o['label'], multiline=False)} "
                                  f"{badge(o['actions'])}" for o in objectives))
            if g["examples"] and not only_empty:
                st.caption("Exemples d'actions cités par le protocole (pas des actions "
                           "enregistrées) : " + md(" · ".join(e["label"] for e in g["examples"]),
                                                     multiline=False))
        if not axis["groups"]:
            mine = commitments[commitments["axis_id"] == axis["axis_id"]]
            if only_empty:
                mine = mine[mine["actions"] == 0]
            st.caption("Pas d'objectifs opérationnels dans ce protocole : engagements des "
                       f"communes classés dans cet axe ({len(mine)}).")
            for commune in sorted(set(mine["commune"])):
                part = mine[mine["commune"] == commune]
                st.markdown(f"**{md(commune, multiline=False)}**")
                st.markdown("\n".join(
                    f"- {md(r.reference)} – {md(r.engagement, multiline=False)} "
                    f"{badge(r.actions)}" + "".join(
                        f"\n    - *Contexte donné par le protocole : {md(n, multiline=False)}*"
                        for n in context.get(r.reference, []))
                    for r in part.itertuples()))


# --- what the protocol says beside its axes: folded, one section each (long on a phone) ---------
cites, bodies, signatories = annex["cites"], annex["governance"], annex["signatories"]
if len(cites) or len(bodies) or len(signatories) or len(annex["notes"]):
    st.header("Ce que le protocole prévoit aussi")  # h2 under the page title
if len(cites):
    names = list(dict.fromkeys(cites["cite"]))
    with st.expander(f"Cités éducatives : {v.plural(len(names), 'cité', 'cités')}, "
                     f"{v.plural(len(cites), 'objectif', 'objectifs')}"):
        st.caption("Les objectifs que le protocole fixe à chaque cité éducative, dans son "
                   "ordre ; « 2.3 » est le 3e point de l'objectif 2.")
        for name in names:
            part = cites[cites["cite"] == name]
            st.markdown(f"**{md(name, multiline=False)}**")
            if annex["cite_intros"].get(name):
                st.caption(md(annex["cite_intros"][name]))
            tables.table(part, {"numero": "N°", "objectif": "Objectif"}, title="objectif",
                         kinds={"numero": "code"},
                         caption=f"{name} : {v.plural(len(part), 'objectif', 'objectifs')}")
if len(bodies):
    with st.expander("Gouvernance : " + v.plural(len(bodies), "instance ou rendez-vous",
                                                 "instances ou rendez-vous")):
        st.caption("Les réunions des élus chargés de la politique de la ville que le protocole "
                   "cite, avec ses mots.")
        shown = {"instance": "Instance ou rendez-vous"}
        if bodies["description"].str.strip().any():
            shown["description"] = "Précision"
        tables.table(bodies, shown, caption="Gouvernance du protocole")
if len(signatories):
    signed = annex["signed_date"]
    with st.expander(f"Signataires : {v.plural(len(signatories), 'signataire', 'signataires')}"
                     + (f", signé le {v.fr_date(signed)}" if signed else "")):
        st.caption("Qui a signé le protocole, par sa fonction.")
        tables.table(signatories, {"fonction": "Fonction", "commune": "Commune"},
                     caption="Signataires du protocole")
if len(annex["notes"]):
    notes = annex["notes"]
    with st.expander("Contexte donné par le protocole pour des engagements : "
                     + v.plural(notes["reference"].nunique(), "engagement", "engagements")):
        st.caption("Des phrases des listes « actions en cours » du protocole qui ne décrivent "
                   "pas une action (une date, un bilan, une signature) : elles ne sont pas "
                   "comptées comme actions, elles restent ici, avec leur engagement.")
        tables.table(notes, {"engagement": "Engagement", "commune": "Commune",
                             "note": "Ce que dit le protocole", "reference": "Référence"},
                     title="engagement", kinds={"reference": "code"},
                     caption="Contexte donné par le protocole")
