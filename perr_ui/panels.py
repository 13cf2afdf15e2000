"""Page pieces that lay out the figures of perr_model.figures (no computation here): the
one-minute summary, the headline figures, the money tables, the bars per axis, the angles
morts, a map click. The bars per axis are an HTML table (perr_ui/charts.py).

Text from the data is shown as text (st.html of escaped text, dataframes), never as Markdown.
"""
from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from perr_model import vocabulary as v
from perr_model.figures import money, trend as tr
from perr_model.figures.summary import comparison_words, sentence
from perr_model.glossary import define, named
from perr_ui import charts, tables, widgets as w

ANGLE_HELP = {
    "objectives": "Objectifs opérationnels du protocole qu'aucune action comptée ne sert.",
    "commitments": "Le protocole de ce territoire n'a pas d'objectifs opérationnels : ce sont "
                   "les engagements des communes qu'aucune action comptée ne sert.",
}
GLOSSARY_LINK = "Les mots du tableau de bord"  # short: a page link does not wrap on a phone


def summary(h: dict, axes: pd.DataFrame, trend: dict | None = None) -> None:
    """The summary sentence, in a bordered box, as plain text."""
    st.html(f'<p data-testid="perr-summary" style="border-left:4px solid #1f4e9c;'
            f'padding:0.4em 0.8em;margin:0.2em 0 0.8em;font-size:1.05rem;line-height:1.5">'
            f'<strong>En bref&nbsp;:</strong> {html.escape(sentence(h, axes, trend))}</p>')


def since_previous(h: dict, trend: dict) -> None:
    """The compact « Depuis N-1 » block: actions new / continued / ended, coverage gained and
    lost, money of N-1 and N with the differences (figures.trend.year_over_year)."""
    with st.container(border=True, key="perr-depuis"):
        st.markdown(f"**Depuis {trend['previous']}**")
        st.markdown(tr.actions_words(trend) + "  \n" + tr.coverage_words(trend, h["basis"]))
        tables.table(tr.money_words(trend),
                     {"label": "Montants", "previous": str(trend["previous"]),
                      "current": str(trend["year"]), "difference": "Écart",
                      "percent": "Écart (%)"}, title="label",
                     caption=f"Financements des actions et postes de l'État, "
                             f"{trend['previous']} et {trend['year']}")
        changed = trend["elements"]
        if len(changed):
            w.on_demand(f"Éléments dont la couverture a changé ({v.number(len(changed))})",
                        "cov_changed", lambda: tables.table(
                            changed, {"element": "Élément", "reference": "Référence",
                                      "change": "Changement"}, title="element",
                            kinds={"reference": "code"},
                            caption="Objectifs et engagements dont la couverture a changé"))


def trajectory(h: dict, df: pd.DataFrame) -> None:
    """All years: the trajectory year by year (figures.trend.trajectory), each year against
    the previous one."""
    with st.container(border=True, key="perr-trajectoire"):
        st.markdown("**Année par année**")
        if df.empty:
            st.caption("Aucune année renseignée pour ce territoire.")
            return
        kinds = {k: "number" for k in tr.TRAJECTORY_LABELS if k not in ("funding", "posts")}
        tables.table(df.assign(year=df["year"].astype(str)), tr.trajectory_columns(h["basis"]),
                     title="year", kinds={**kinds, "year": None, "funding": "euros",
                                          "posts": "euros"},
                     caption="Évolution année par année (chaque année par rapport à la "
                             "précédente)")


def headline_figures(h: dict) -> None:
    if h["basis"] == "objectives":
        covered = ("Objectifs couverts", f"{v.number(h['objectives_covered'])} / "
                   f"{v.number(h['objectives_total'])}",
                   "Objectifs opérationnels du protocole servis par au moins une action "
                   "comptée. " + define("Objectif opérationnel"))
    else:
        covered = ("Engagements avec action", f"{v.number(h['commitments_covered'])} / "
                   f"{v.number(h['commitments_total'])}",
                   "Engagements des communes auxquels au moins une action comptée est "
                   "rattachée. " + define("Engagement"))
    first = w.metric_row(4)
    w.figure(first, "Actions", v.number(h["actions"]),
             help="Actions non archivées du territoire, en cours pendant l'année choisie "
                  "(année de début ≤ année ≤ année de fin) ; toutes, y compris sans année, "
                  f"pour « toutes les années » (sans année : {v.number(h['undated'])}).")
    w.figure(first, *covered)
    w.figure(first, "Angles morts", v.number(h["angles_morts"]),
             help=define("Angle mort") + " Ici : " + ANGLE_HELP[h["basis"]])
    w.figure(first, "Quartiers touchés", f"{v.number(h['qpv_reached'])} / "
             f"{v.number(h['qpv_total'])}",
             help="Quartiers prioritaires (QPV) du territoire ciblés par au moins une action. "
                  + define("Quartier prioritaire (QPV)"))
    second = w.metric_row(3)
    w.figure(second, "Financements des actions",
             v.short_euros(h["amount_approved"]) if h["funding_lines"] else "aucun saisi",
             help=f"Montants accordés aux actions comptées, tous financeurs "
                  f"({v.euros(h['amount_approved'])}). {comparison_words(h)} « aucun saisi » : "
                  "aucune action n'a encore de financement saisi.")
    w.figure(second, "Postes financés par l'État",
             v.short_euros(h["posts_amount"]) if h["posts_count"] else "aucun enregistré",
             help=f"Postes adultes-relais et FONJEP des contrats de ville du territoire "
                  f"({v.euros(h['posts_amount'])}, {v.plural(h['posts_count'], 'poste-année', 'postes-années')}"
                  "). Attribués par l'État aux contrats de ville, pas aux actions : ce montant "
                  "ne s'ajoute pas aux financements des actions. "
                  + named("Adultes-relais", "FONJEP"))
    w.figure(second, "Porteurs", v.number(h["holders"]) if h["holders"] or not h["actions"]
             else "non renseignés",
             help="Organisations distinctes portant au moins une action comptée. "
                  + define("Porteur"))
    st.page_link("pages/glossaire.py", label=GLOSSARY_LINK, icon=":material/menu_book:",
                 help="Ce que veulent dire les mots et les sigles de ces pages.")
    if h["actions"] == 0:
        w.nothing("Aucune action enregistrée pour ce territoire et cette année : "
                  "la couverture est vide, ce n'est pas une erreur d'affichage.")


def money_tables(h: dict, posts: pd.DataFrame) -> None:
    st.markdown("**Financements des actions, par financeur**")
    if not h["funding_lines"]:
        st.caption("Aucune action n'a encore de financement saisi pour cette sélection.")
    else:
        funding = h["by_funder"]
        shown = funding.assign(requested=[v.euros(x, empty="non renseigné")
                                          for x in funding["requested"]])
        tables.table(shown, {"label": "Financeur", "requested": "Demandé",
                             "approved": "Accordé", "actions": "Actions", "lines": "Lignes"},
                     kinds={"approved": "euros", "actions": "number", "lines": "number"},
                     caption="Financements des actions, par financeur")
        st.caption(comparison_words(h))
    st.markdown("**Postes financés par l'État (adultes-relais, FONJEP), par contrat de ville**")
    if not h["posts_count"]:
        st.caption("Aucun poste adulte-relais ou FONJEP n'est enregistré pour ces contrats de "
                   "ville et cette période (fichiers de l'ANCT non importés, ou aucun poste).")
        return
    tables.table(posts, {"code": "Contrat de ville", "period": "Période", "communes": "Communes",
                         "adultes_relais_posts": "Adultes-relais (postes)",
                         "adultes_relais": "Adultes-relais", "fonjep_posts": "FONJEP (postes)",
                         "fonjep": "FONJEP", "total": "Total"},
                 kinds={"adultes_relais_posts": "number", "adultes_relais": "euros",
                        "fonjep_posts": "number", "fonjep": "euros", "total": "euros"},
                 caption="Postes financés par l'État, par contrat de ville")
    st.markdown(f"**Total** : {v.euros(h['posts_amount'])} "
                f"({v.plural(h['posts_count'], 'poste-année', 'postes-années')}).")
    st.caption("Source : ANCT. Un poste compte une fois par année. Ces postes sont attribués "
               "aux contrats de ville, pas aux actions : ils ne s'ajoutent pas aux financements "
               "des actions.")


POSTS_ARE_CONTRACTS = ("Les postes adultes-relais et FONJEP sont attribués par l'État à un contrat "
                       "de ville, pas à une commune ni à un quartier : chaque montant est celui "
                       "de tout le contrat, partagé par les communes qu'il couvre. Ils ne "
                       "s'ajoutent pas aux financements des actions.")


def posts_by_contrat(posts: pd.DataFrame) -> None:
    """The State posts measure of Couverture: one row per contrat de ville (its name, period,
    the communes it covers, its posts), never a commune's value on the map."""
    st.caption(POSTS_ARE_CONTRACTS + " Ils ne sont donc pas dessinés sur la carte des "
               "communes.")
    shown = posts.assign(contrat=[money.contrat_title(n, c)
                                  for n, c in zip(posts["name"], posts["code"])],
                         postes=posts["adultes_relais_posts"] + posts["fonjep_posts"])
    if shown.empty:
        w.nothing("Aucun contrat de ville n'est enregistré pour ce territoire.")
        return
    tables.table(shown, {"contrat": "Contrat de ville", "period": "Période",
                         "communes": "Communes couvertes", "postes": "Postes-années",
                         "total": "Postes financés par l'État"},
                 kinds={"postes": "number", "total": "euros"},
                 caption="Postes financés par l'État, par contrat de ville")


def contrat_lines(posts: pd.DataFrame) -> None:
    """Each contract's posts once, as the contract's (« Contrat de ville « … » (période) :
    N € »), an escaped list."""
    items = "".join(f"<li>{html.escape(money.contrat_words(r))}</li>"
                    for r in posts.to_dict("records"))
    st.html(f'<ul data-testid="perr-contrats" style="margin:0.2em 0 0.6em">{items}</ul>')


def axis_bars(axes: pd.DataFrame, measure: str) -> None:
    """Actions (or their funding) per axis: a table of bars, each value written beside its bar
    (perr_ui/charts.py). The map's axis is chosen in the map's own list."""
    amount = measure == "amount"  # the State posts are not on axes: their bars show actions
    column = "amount_approved" if amount else "actions"
    values = axes[column].fillna(0)
    shows = "amount" if amount else "actions"
    st.html(charts.bars_html(
        axes["label"].tolist(), values.tolist(),
        [v.euros(x) if amount else v.number(x) for x in values],
        label_header="Axe", value_header=v.MEASURE_LABELS[shows],
        caption=f"{v.MEASURE_LABELS[shows]} par axe"
                + (" (les postes de l'État ne sont pas rattachés aux axes)"
                   if measure == "posts" else "")))


def angles_morts(h: dict, dead: pd.DataFrame) -> None:
    if h["basis"] == "objectives":
        what, first, second = "objectif opérationnel", "Rubrique", "Objectif opérationnel"
        none = "Chaque objectif opérationnel est servi par au moins une action."
    else:
        what, first, second = "engagement des communes", "Commune", "Engagement"
        none = ("Chaque engagement des communes a au moins une action." if h["commitments_total"]
                else "Le protocole n'inscrit ni objectif opérationnel ni engagement de commune.")
    if dead.empty:
        st.success(none)
        return
    plural_what = what.replace("objectif opérationnel", "objectifs opérationnels").replace(
        "engagement des", "engagements des")
    st.caption(f"{v.number(len(dead))} {what if len(dead) < 2 else plural_what} sans aucune "
               "action comptée. " + ANGLE_HELP[h["basis"]])
    # a long list on a phone, with its references: folded
    w.on_demand(f"Liste des angles morts ({v.number(len(dead))})", "cov_dead", lambda: tables.table(
        dead, {"element": second, "reference": "Référence", "axe": "Axe", "groupe": first,
               "numero": "N°"}, title="element", kinds={"reference": "code"},
        caption=f"Angles morts : {plural_what} sans action"))


def place_choice(event, by_commune: dict, by_qpv: dict, label: str) -> None:
    """After a click on the coverage map: the place's value and a link to its page."""
    place = w.selected_place(event)
    if place and place[0] == "qpv":
        st.session_state["qpv_id"] = place[1]
        st.info(f"Quartier sélectionné : {v.number(by_qpv.get(place[1], 0))} ({label.lower()}).")
        st.page_link("pages/quartier.py", label="Ouvrir la page du quartier",
                     icon=":material/location_city:")
    elif place:
        st.session_state["act_communes"] = st.session_state["act_communes_kept"] = [place[1]]
        st.info(f"Commune sélectionnée : {v.number(by_commune.get(place[1], 0))} "
                f"({label.lower()}).")
        st.page_link("pages/actions.py", label="Voir les actions de cette commune",
                     icon=":material/list_alt:")
