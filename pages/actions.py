"""Actions: combined filters, a sorted and paginated table (cut in SQL; an HTML table, a card per
action on a phone), the detail of an action chosen in a list, CSV/XLSX export."""
import datetime
import math

import streamlit as st

from perr_model import action_list as al
from perr_model.figures import places
from perr_ui import addresses, auth, common, tables, widgets as w
from perr_ui.text import md
from perr_model.vocabulary import fr_date, human_source
from perr_ui.common import fr_euros, fr_number
from perr_ui.frame import require_app_frame

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

FILTERS = {"communes": "Commune", "quartiers": "Quartier (QPV)", "axes": "Axe",
           "objectifs": "Objectif opérationnel", "statuts": "Statut", "porteurs": "Porteur",
           "financeurs": "Financeur"}
PAGE_SIZE = 50
ADDRESS_FILTERS = {"communes": "commune", "quartiers": "quartier", "axes": "axe"}  # ?commune=…

t = w.page_header("Actions", "territoire et année : dans le menu latéral")
if t is None:
    st.stop()
tid, year = int(t["id"]), common.current_year()
options = w.cached(al.filter_options, tid)


def reset() -> None:
    for name in FILTERS:
        st.session_state[f"act_{name}"] = st.session_state[f"act_{name}_kept"] = []
    st.session_state["act_text"], st.session_state["act_page"] = "", 1


def keep(name: str) -> None:
    """A filter's choice outlives its list: the lists are built only while « Filtres » is open
    (at a national scale they hold thousands of quartiers and porteurs)."""
    st.session_state[f"act_{name}_kept"] = list(st.session_state[f"act_{name}"])


# a shared address: ?commune=94017,94033&quartier=QN09422M&axe=2 (the filters), ?action=123
codes = w.cached(places.address_codes, tid)
for name, param in ADDRESS_FILTERS.items():
    if (values := addresses.take_many(param, f"act_{name}_kept", codes[param])) is not None:
        st.session_state[f"act_{name}"] = values
if (linked := addresses.fresh("action")) is not None:
    if linked.isdigit() and w.cached(al.linkable, tid, int(linked)):
        st.session_state["act_linked"] = int(linked)
        st.session_state.pop("act_pick", None)
    else:
        st.warning("L'action de ce lien n'est pas publiée pour ce territoire : elle a pu être "
                   "archivée, ou le lien est incomplet.")

text = st.text_input("Recherche libre (titre, description, porteur, référence)", key="act_text",
                     max_chars=al.SEARCH_MAX_CHARS)
chosen = {name: [o for o in st.session_state.get(f"act_{name}_kept", []) if o in options[name]]
          for name in FILTERS}
active = sum(bool(values) for values in chosen.values())
box = st.expander(f"Filtres ({active} actif{'s' if active > 1 else ''})" if active else "Filtres",
                  expanded=bool(active), icon=":material/filter_list:", key="act_filters",
                  on_change="rerun")
if box.open:
    with box:
        names = list(FILTERS)
        for start in range(0, len(names), 3):  # rows of three: they stack in order on a phone
            for col, name in zip(st.columns(3), names[start:start + 3]):
                opts, key = options[name], f"act_{name}"
                # the list shown again shows its kept choice (of this territory's options)
                st.session_state[key] = [o for o in st.session_state.get(key, chosen[name])
                                         if o in opts]
                chosen[name] = col.multiselect(FILTERS[name], list(opts), format_func=opts.get,
                                               key=key, placeholder="Tous", on_change=keep,
                                               args=(name,))
st.button("Réinitialiser les filtres", on_click=reset, icon=":material/restart_alt:")

for name, param in ADDRESS_FILTERS.items():  # the address follows the filters
    by_id = {i: c for c, i in codes[param].items()}
    addresses.give_many(param, [by_id[i] for i in chosen[name] if i in by_id])

f = al.ActionFilter(territory_id=tid, year=year, commune_ids=tuple(chosen["communes"]),
                    qpv_ids=tuple(chosen["quartiers"]), axis_ids=tuple(chosen["axes"]),
                    objective_ids=tuple(chosen["objectifs"]), statuses=tuple(chosen["statuts"]),
                    holders=tuple(chosen["porteurs"]), funders=tuple(chosen["financeurs"]),
                    text=text)
total = w.cached(al.count, f)
st.metric("Actions correspondant aux filtres", fr_number(total))
if total == 0:
    w.nothing("Aucune action enregistrée ne correspond à ces filtres."
              if any(chosen.values()) or text else
              "Aucune action enregistrée pour ce territoire et cette année.")
    st.stop()

CARD = {"titre": "Titre", "statut": "Statut", "montant_accorde": "Accordé", "porteur": "Porteur",
        "annee_debut": "Début", "annee_fin": "Fin", "communes": "Communes", "quartiers": "Quartiers",
        "reference": "Référence"}


def detail(action_id: int) -> None:
    """One action's detail (with "Modifier" for those who may edit it)."""
    d = w.cached(al.detail, action_id)
    with st.container(border=True, key="perr-detail"):
        st.header(md(d["title"], multiline=False))  # h2 under the page title
        if d["is_synthetic"]:
            st.caption("Action fictive (démonstration).")
        years = (f"{d['year_start']}" + (f"–{d['year_end']}" if d["year_end"]
                                          and d["year_end"] != d["year_start"] else "")
                 if d["year_start"] else "")
        siret = f" (SIRET {md(d['holder_siret'], multiline=False)})" if d["holder_siret"] else ""
        people = [f"prévus {fr_number(d['beneficiaries_planned'])}"
                  if d["beneficiaries_planned"] is not None else "",
                  f"réalisés {fr_number(d['beneficiaries_achieved'])}"
                  if d["beneficiaries_achieved"] is not None else ""]
        public = common.is_public()  # codes folded for residents (w.references below)
        lines = [  # only what there is to say: an empty field's line is left out
            ("Référence", "" if public else md(d["reference"], multiline=False)),
            ("Porteur", (md(d["holder_name"], multiline=False) + siret) if d["holder_name"]
             else ""),
            ("Statut", md(d["statut"], multiline=False)), ("Années", years),
            ("Dates", " ".join(f"{word} {fr_date(d[k])}" for word, k in (
                ("du", "start_date"), ("au", "end_date")) if d[k])),
            ("Public cible", md(d["target_public"], multiline=False)),
            ("Bénéficiaires", ", ".join(p for p in people if p)),
            ("Communes", md(", ".join(d["communes"]), multiline=False)),
            ("Axes", md(" ; ".join(d["axes"]), multiline=False)),
            ("Source", md(human_source(d["source"]), multiline=False))]
        st.markdown("  \n".join(f"**{label}** : {value}" for label, value in lines if value))
        # objectives and engagements, by the references of the referential ("2.1.3 – …")
        served = [x.partition(" – ") for x in d["sert"]]
        if d["sert"]:
            st.markdown("**Sert** :\n" + "\n".join(
                f"- {md(text if public and text else code, multiline=False)}"
                if public else f"- {md(code + sep + text, multiline=False)}"
                for code, sep, text in served))
        else:
            st.markdown("**Sert** : aucun objectif ni engagement du protocole indiqué.")
        if d["description"]:
            st.markdown(md(d["description"]))
        if len(d["financements"]):
            fin = d["financements"]
            tables.table(fin, {c: c for c in fin.columns}, caption="Financements de l'action",
                         kinds={c: "euros" for c in fin.columns if c.startswith("Montant")})
            st.caption(f"Total accordé : {fr_euros(d['financements']['Montant accordé'].sum())}")
        if public:
            w.references([("Référence de l'action", d["reference"])]
                         + [(text or code, code) for code, _, text in served if text],
                         key="act_detail_codes")
        w.quartiers_map(d["quartiers"], key="act_detail_map")
        auth.edit_button(action_id, key="act_edit")  # editors only


@st.fragment
def listing(f: al.ActionFilter, total: int) -> None:
    """Sort, page, list and detail: a fragment, so that paging redraws the list only."""
    c1, c2, c3 = st.columns([2, 1, 1])
    sort = c1.selectbox("Trier par", list(al.SORTS), key="act_sort",
                        format_func={"reference": "Référence", "titre": "Titre",
                                     "porteur": "Porteur", "statut": "Statut",
                                     "annee": "Année"}.get)
    descending = c2.toggle("Ordre décroissant", key="act_desc")
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if st.session_state.get("act_page", 1) > pages:
        st.session_state["act_page"] = 1
    number = c3.number_input(f"Page (sur {pages})", 1, pages, key="act_page") if pages > 1 else 1
    rows = w.cached(al.page, f, sort, descending, int(number), PAGE_SIZE)
    # One accessible HTML table at every width (a card per action on a phone), and a list to
    # open an action's detail. Not st.dataframe: its canvas grid is not read by screen readers,
    # its toolbar downloads unneutralised CSV, and it costs +0.7 s in the browser (its module).
    ids = [0] + [int(i) for i in rows["id"]]  # 0, not None (None: the framework's placeholder)
    titles = dict(zip(rows["id"].astype(int), rows["titre"]))
    st.selectbox("Voir le détail d'une action", ids, key="act_pick",
                 format_func=lambda i: "Choisir une action de cette page" if not i else titles[i])
    pick = st.session_state.get("act_pick")
    if pick in titles:  # chosen in the list: the address names it (?action=123)
        st.session_state.pop("act_linked", None)
        detail(int(pick))
        addresses.give("action", str(int(pick)))
    elif st.session_state.get("act_linked"):  # opened by an address, wherever its page is
        detail(int(st.session_state["act_linked"]))
        addresses.give("action", str(st.session_state["act_linked"]))
    else:
        addresses.give("action", None)
    shown = {c: label for c, label in CARD.items() if c in rows.columns and (
        c == "titre" or rows[c].map(tables.cell).ne("").any())  # no column empty on the page
        and not (c == "reference" and common.is_public())}  # in each detail's « Codes »
    tables.table(rows, shown,
                 title="titre", kinds={"montant_accorde": "euros"},
                 caption="Actions de cette page")
    st.caption(f"Lignes {(number - 1) * PAGE_SIZE + 1} à {min(number * PAGE_SIZE, total)} "
               f"sur {fr_number(total)}. Choisissez une action dans la liste « Voir le détail "
               "d'une action » pour afficher son détail.")


listing(f, total)
c1, c2 = st.columns(2)
today = datetime.date.today()
c1.download_button("Exporter en CSV", lambda: w.export_bytes(f, "csv"),
                   al.export_filename(t["slug"], "csv", today),
                   "text/csv", icon=":material/download:", on_click="ignore")
c2.download_button("Exporter en XLSX", lambda: w.export_bytes(f, "xlsx"),
                   al.export_filename(t["slug"], "xlsx", today),
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   icon=":material/download:", on_click="ignore")
st.caption("Noms, libellés et dates en clair ; les codes (INSEE, quartiers, axes, statut) dans "
           "les dernières colonnes « … (code) ». "
           + ("Aucune donnée personnelle n'y figure." if common.is_public() else
              "Fichier réimportable tel quel par la page « Importer une programmation » ; aucune "
              "donnée personnelle n'y figure."))
