"""The summary a person reads in a minute, built from the figures shown below it.

"12 des 57 engagements des communes ont au moins une action ; 46 actions ; 1 847 937 € de
l'État en postes adultes-relais et FONJEP, aucun financement d'action saisi ; axes 2, 3 et 4 :
aucune action ; par rapport à 2021 : 1 action nouvelle, 3 poursuivies, 2 terminées, postes de
l'État +82 773 € (+14 %)."

Ties are named (every axis with the fewest actions), a requested amount nobody entered is said
so, and the year-over-year clause comes from `trend.year_over_year`.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from ..vocabulary import enumeration, euros, number, plural, signed_euros, signed_percent
from .coverage import axis_table, headline, least_covered_axes
from .scope import Scope
from .trend import year_over_year


def _coverage_part(h: dict) -> str:
    if h["basis"] == "objectives":
        total, covered = h["objectives_total"], h["objectives_covered"]
        what = ("objectif opérationnel du protocole", "objectifs opérationnels du protocole")
    else:
        total, covered = h["commitments_total"], h["commitments_covered"]
        what = ("engagement des communes", "engagements des communes")
    if total and covered:
        verb = "a" if covered < 2 else "ont"
        return (f"{number(covered)} des {number(total)} "
                f"{what[0] if total < 2 else what[1]} {verb} au moins une action")
    if total:
        return f"aucun des {number(total)} {what[0] if total < 2 else what[1]} n'a d'action"
    return "le protocole n'inscrit ni objectif opérationnel ni engagement de commune"


def _money_part(h: dict) -> str:
    posts = (f"{euros(h['posts_amount'])} de l'État en postes adultes-relais et FONJEP"
             + (" (tout le contrat de ville de la commune)" if h.get("commune_scope") else "")
             if h["posts_count"] else "aucun poste adulte-relais ou FONJEP de l'État enregistré")
    if not h["funding_lines"]:
        return f"{posts}, aucun financement d'action saisi"
    funding = f"{euros(h['amount_approved'])} de financements d'actions"
    missing = h["funding_lines"] - h["requested_lines"]
    if missing:
        funding += (f" (montant demandé non renseigné sur {number(missing)} des "
                    f"{plural(h['funding_lines'], 'ligne')})")
    return f"{posts}, {funding}"


def comparison_words(h: dict) -> str:
    """Requested against approved, on the lines where both are known only, saying how many."""
    n, lines = h["compared_lines"], h["funding_lines"]
    if not n:
        return ("Montant demandé non renseigné sur toutes les lignes : demandé et accordé ne "
                "peuvent pas être comparés.")
    return (f"Demandé et accordé comparés sur {plural(n, 'ligne')} sur {number(lines)}, celles "
            f"où les deux sont renseignés : demandés {euros(h['requested_compared'])}, "
            f"accordés {euros(h['approved_compared'])}.")


def axes_part(axes: pd.DataFrame) -> str | None:
    """The least covered axes, every one of a tie: "axes 2, 3 et 4 : aucune action"."""
    least = least_covered_axes(axes)
    if least is None:
        return None
    n, tied = least["actions"], least["axes"]
    if not axes["actions"].any():
        return "aucun axe n'a encore d'action"
    if len(tied) == 1:
        return (f"axe le moins couvert : {tied[0]['label']} "
                f"({plural(n, 'action') if n else 'aucune action'})")
    numbers = enumeration(a["code"].removeprefix("Axe ") for a in tied)
    if not n:
        return f"axes {numbers} : aucune action"
    return f"axes les moins couverts : {numbers} ({plural(n, 'action')} chacun)"


def trend_part(trend: dict | None) -> str | None:
    """"par rapport à 2021 : 1 action nouvelle, 2 poursuivies, 1 terminée, …" (N against N-1)."""
    if not trend:
        return None
    bits = [plural(trend["actions_new"], "action nouvelle", "actions nouvelles"),
            plural(trend["actions_continued"], "poursuivie"),
            plural(trend["actions_ended"], "terminée")] if (
        trend["actions"] or trend["actions_previous"]) else ["aucune action les deux années"]
    for kind, (one, many) in (("objectives", ("objectif", "objectifs")),
                              ("commitments", ("engagement", "engagements"))):
        if trend[f"{kind}_gained"]:
            bits.append(f"{plural(trend[f'{kind}_gained'], one, many)} nouvellement "
                        f"{'couvert' if trend[f'{kind}_gained'] < 2 else 'couverts'}")
        if trend[f"{kind}_lost"]:
            bits.append(f"{plural(trend[f'{kind}_lost'], one, many)} sans action désormais")
    for key, what in (("funding", "financements des actions"), ("posts", "postes de l'État")):
        if trend[key] or trend[f"{key}_previous"]:
            diff, share = trend[f"{key}_change"]
            bits.append(f"{what} {signed_euros(diff)}"
                        + (f" ({signed_percent(share)})" if share is not None else ""))
    return f"par rapport à {trend['previous']} : " + ", ".join(bits)


def summary_parts(h: dict, axes: pd.DataFrame, trend: dict | None = None) -> list[str]:
    """The sentence's clauses from a headline dict, an axis table and, for a year, its
    `trend.year_over_year` (no database)."""
    parts = [_coverage_part(h),
             plural(h["actions"], "action") if h["actions"] else "aucune action comptée",
             _money_part(h), axes_part(axes), trend_part(trend)]
    return [p for p in parts if p]


def sentence(h: dict, axes: pd.DataFrame, trend: dict | None = None) -> str:
    """The summary from figures already computed (the page and the document pass theirs)."""
    text = " ; ".join(summary_parts(h, axes, trend))
    return text[0].upper() + text[1:] + "."


def summary_sentence(session: Session, scope: Scope) -> str:
    return sentence(headline(session, scope), axis_table(session, scope),
                    year_over_year(session, scope))
