"""Quartier: one QPV, chosen by name or by commune — perimeter (or a notice), key figures, the
actions serving it (figures.definitions.QPV_SERVED: its own by axis, then those of its whole
commune), State posts of its contrat de ville, the engagements that concern it, and its
one-page « fiche quartier » to print (perr_ui/fiche_view.py, perr_model/fiche.py). Every number
comes from perr_model.figures."""
import streamlit as st

from perr_model import glossary, vocabulary as v
from perr_model.figures import Scope, gaps, places
from perr_ui import addresses, common, fiche_view, panels, tables, widgets as w
from perr_ui.text import md
from perr_ui.frame import require_app_frame

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

t = w.page_header("Quartier", "un quartier prioritaire (QPV) et ses actions")
if t is None:
    st.stop()
tid, year = int(t["id"]), common.current_year()
qpvs = w.cached(places.territory_qpvs, tid)
if qpvs.empty:
    w.nothing("Aucun quartier n'est connu pour ce territoire.")
    st.stop()


def keep_if_offered(key: str, offered) -> None:
    """A choice left from another territory (or commune) is forgotten: back to the first.
    Deleted, not set: a value set by the code changes the selector sent once more, and its
    1,500 names are sent again."""
    if key in st.session_state and st.session_state[key] not in offered:
        del st.session_state[key]


# a quartier by its name (the list is searchable) or by its commune: a quartier of two
# communes is under each
towns = dict(zip(qpvs["commune_id"].astype(int), qpvs["commune"]))
# a shared address (?commune=94017&quartier=QN09422M) chooses them; the address follows them
codes = w.cached(places.address_codes, tid)
addresses.take("commune", "qpv_commune", codes["commune"])
if addresses.take("quartier", "qpv_id", codes["quartier"]) and st.session_state.get(
        "qpv_commune") not in (None, *qpvs.loc[qpvs["id"] == st.session_state["qpv_id"],
                                                  "commune_id"]):
    st.session_state["qpv_commune"] = None  # the address's quartier is not in that commune
keep_if_offered("qpv_commune", [None, *towns])
town = st.selectbox("Commune", [None, *towns], key="qpv_commune",
                    format_func=lambda c: "Toutes les communes" if c is None else towns[c])
labels = places.qpv_labels(qpvs if town is None else qpvs[qpvs["commune_id"] == town])
keep_if_offered("qpv_id", labels)
qpv_id = st.selectbox("Quartier", list(labels), format_func=labels.get, key="qpv_id",
                      help="Tapez quelques lettres du nom du quartier ou de sa commune.")
addresses.give("commune", next((c for c, i in codes["commune"].items() if i == town), None))
addresses.give("quartier", next((c for c, i in codes["quartier"].items() if i == qpv_id), None))
p = w.cached(places.qpv_profile, Scope(tid, year, qpv_id=qpv_id))

st.header(md(p["name"], multiline=False))  # h2; its sections are h3
addresses.title(p["name"], "Quartier", t["name"])  # the tab names the quartier
# Only what there is to say: no "code : non renseigné" line for residents.
st.caption(" · ".join(
    ([f"{'Commune' if len(p['communes']) == 1 else 'Communes'} : "
        f"{md(', '.join(n for _, n in p['communes']), multiline=False)}"] if p["communes"] else [])
    + ([f"Source : {md(v.human_source(p['source']), multiline=False)}"]
       if not v.is_empty(p["source"]) else [])))
w.references([("Code officiel du quartier", None if v.is_empty(p["code"]) else p["code"])],
             key="qpv_codes")  # codes folded, not in the resident's text
c = w.metric_row(3 if not v.is_empty(p["population"]) else 2)
w.figure(c, "Actions du quartier", v.number(p["actions"]),
         help="Actions non archivées de l'année choisie qui nomment ce quartier ou qui portent "
              "un engagement qui lui est rattaché. " + glossary.define("Action"))
w.figure(c, "Financements des actions du quartier",
         v.short_euros(p["amount"], empty="aucun saisi"),
         help=f"Montants accordés aux actions du quartier, tous financeurs "
              f"({v.euros(p['amount'], empty='aucune action n’a encore de financement saisi')}) ; "
              "les actions menées dans toute la commune n'y sont pas.")
if not v.is_empty(p["population"]):  # left out when the source gives none
    w.figure(c, "Population", v.number(p["population"]),
             help="Population du quartier selon la source officielle.")
if len(p["posts"]):  # the contract's money, once, by its name: never the quartier's
    st.markdown("**Postes de l'État du contrat de ville**",
                help=glossary.named("Adultes-relais", "FONJEP"))
    panels.contrat_lines(p["posts"])
    st.caption("Postes adultes-relais et FONJEP financés par l'État au contrat de ville du "
               "quartier (un par période) : chaque montant est celui de tout le contrat, "
               "partagé par ses communes, pas celui du quartier ; il ne s'ajoute pas aux "
               "financements des actions.")

fiche_view.download(Scope(tid, year, qpv_id=qpv_id), p)

w.quartiers_map(w.cached(places.qpv_points, qpv_id), key="qpv_map")

st.subheader("Actions du quartier, par axe")
st.caption("Les actions qui nomment le quartier, et celles qui portent un engagement rattaché au "
           "quartier.")
if not p["axes"]:
    w.nothing("Aucune action enregistrée pour ce quartier.")


def action_table(part, caption: str) -> None:
    # an unknown porteur: the card leaves the line out
    tables.table(part.assign(porteur=part["porteur"].replace(v.EMPTY, "")),
                 {"titre": "Titre", "lien": "Lien avec le quartier", "statut": "Statut",
                  "porteur": "Porteur", "montant": "Montant accordé", "description": "Détail",
                  "reference": "Référence"}, title="titre", kinds={"montant": "euros"},
                 caption=caption)


for i, (label, part) in enumerate(p["axes"]):  # each list sent only once its axis is opened
    w.on_demand(f"{md(label, multiline=False)} ({v.plural(len(part), 'action')})",
                f"qpv_axis_{i}", action_table, part, f"Actions du quartier : {label}")

if p["whole_commune"]:
    st.subheader("Actions menées dans toute la commune")
    st.caption("Elles ne nomment pas de quartier de la commune : elles concernent aussi "
               "celui-ci.")
for i, (where, part) in enumerate(p["whole_commune"]):
    where = where[:1].upper() + where[1:]  # « Dans tout Champigny-sur-Marne »
    w.on_demand(f"{md(where, multiline=False)} ({v.plural(len(part), 'action')})",
                f"qpv_commune_{i}", action_table, part, where)

st.subheader("Engagements qui concernent le quartier")
commitments = w.cached(gaps.qpv_commitments, Scope(tid, year, qpv_id=qpv_id))
if commitments.empty:
    st.caption("Aucun engagement du protocole n'est rattaché à ce quartier ni à ses actions.")
else:
    tables.table(commitments, {"engagement": "Engagement", "actions": "Actions du quartier",
                               "groupe": "Axe ou thème"}, title="engagement",
                 kinds={"actions": "number"},
                 caption="Engagements rattachés au quartier ou à ses actions, et nombre "
                         "d'actions du quartier qui les portent")

from perr_ui.evaluation_view import quartier_section  # noqa: E402 - issue 15 (evaluation)
quartier_section(tid, qpv_id)
