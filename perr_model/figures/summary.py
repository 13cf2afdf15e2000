"""The summary a person reads in a minute, built from the figures shown below it.

"12 des 57 engagements des communes ont au moins une action ; 46 actions ; 1 847 937 € de
l'État en postes adultes-relais et FONJEP, aucun financement d'action saisi ; axe le moins
couvert : Axe 3 – … (0 action)."
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from ..vocabulary import euros, number, plural
from .coverage import axis_table, headline, least_covered_axis
from .scope import Scope


def summary_parts(h: dict, axes: pd.DataFrame) -> list[str]:
    """The sentence's clauses from a headline dict and an axis table (no database)."""
    parts = []
    if h["basis"] == "objectives":
        total, covered = h["objectives_total"], h["objectives_covered"]
        what = ("objectif opérationnel du protocole", "objectifs opérationnels du protocole")
    else:
        total, covered = h["commitments_total"], h["commitments_covered"]
        what = ("engagement des communes", "engagements des communes")
    if total and covered:
        verb = "a" if covered < 2 else "ont"
        parts.append(f"{number(covered)} des {number(total)} "
                     f"{what[0] if total < 2 else what[1]} {verb} au moins une action")
    elif total:
        parts.append(f"aucun des {number(total)} {what[0] if total < 2 else what[1]} "
                     "n'a d'action")
    else:
        parts.append("le protocole n'inscrit ni objectif opérationnel ni engagement de commune")
    parts.append(plural(h["actions"], "action") if h["actions"] else "aucune action comptée")
    posts = (f"{euros(h['posts_amount'])} de l'État en postes adultes-relais et FONJEP"
             if h["posts_count"] else "aucun poste adulte-relais ou FONJEP de l'État enregistré")
    funding = (f"{euros(h['amount_approved'])} de financements d'actions"
               if h["funding_lines"] else "aucun financement d'action saisi")
    parts.append(f"{posts}, {funding}")
    least = least_covered_axis(axes)
    if least is not None and not axes["actions"].any():
        parts.append("aucun axe n'a encore d'action")
    elif least is not None:
        parts.append(f"axe le moins couvert : {least['label']} "
                     f"({plural(least['actions'], 'action')})")
    return parts


def sentence(h: dict, axes: pd.DataFrame) -> str:
    """The summary from figures already computed (the page and the document pass theirs)."""
    text = " ; ".join(summary_parts(h, axes))
    return text[0].upper() + text[1:] + "."


def summary_sentence(session: Session, scope: Scope) -> str:
    return sentence(headline(session, scope), axis_table(session, scope))
