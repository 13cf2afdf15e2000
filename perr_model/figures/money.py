"""Money: funding of the counted actions, and the State's posts — two figures, never summed.

- *action funding*: funding lines attached to counted actions, for the scope's year
  (`definitions.funding_year_clause`), per funder;
- *State posts*: adultes-relais and FONJEP posts the State funds in a contrat de ville (ANCT
  files), lines with no action; for a year, that year's posts; for all years, every year's
  (a post counts once per year). A commune's posts are those of its contrat de ville (shared
  by the communes of a multi-commune contrat).
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from ..schema import Commune, ContratDeVille, FundingLine
from ..vocabulary import FUNDER_LABELS, POST_FUNDERS, funder_label
from .definitions import funding_year_clause, on_counted
from .registry import stored_figure
from .scope import Scope

_ORDER = {k: i for i, k in enumerate(FUNDER_LABELS)}


def _f(value) -> float:
    return 0.0 if value is None else float(value)


@stored_figure("scope")
def funding_by_funder(session: Session, scope: Scope) -> pd.DataFrame:
    """Action funding per funder: funder, label, lines, actions, requested, approved (funder
    order of the vocabulary)."""
    q = select(FundingLine.funder, func.count(FundingLine.id),
               func.count(distinct(FundingLine.action_id)),
               func.sum(FundingLine.amount_requested), func.sum(FundingLine.amount_approved))
    rows = session.execute(on_counted(q, FundingLine.action_id, scope)
                           .where(funding_year_clause(scope.year))
                           .group_by(FundingLine.funder)).all()
    rows = sorted(rows, key=lambda r: _ORDER.get(r[0], 99))
    return pd.DataFrame([(f, funder_label(f), int(n), int(a), _f(r), _f(ap))
                         for f, n, a, r, ap in rows],
                        columns=["funder", "label", "lines", "actions", "requested", "approved"])


def _contrats(scope: Scope):
    """SELECT ContratDeVille.id of the scope (the commune's contrat when a commune is set)."""
    q = select(ContratDeVille.id).where(ContratDeVille.territory_id == scope.territory_id)
    if scope.commune_id is not None:
        q = q.where(ContratDeVille.id.in_(select(Commune.contrat_de_ville_id)
                                          .where(Commune.id == scope.commune_id)))
    return q


def _post_lines(scope: Scope) -> list:
    conds = [FundingLine.action_id.is_(None), FundingLine.contrat_de_ville_id.in_(_contrats(scope))]
    if scope.year is not None:
        conds.append(FundingLine.year == scope.year)
    return conds


@stored_figure("scope")
def state_posts(session: Session, scope: Scope) -> pd.DataFrame:
    """State posts per funder: funder, label, posts (lines: one per post and year), amount."""
    rows = session.execute(
        select(FundingLine.funder, func.count(FundingLine.id), func.sum(FundingLine.amount_approved))
        .where(*_post_lines(scope)).group_by(FundingLine.funder)).all()
    rows = sorted(rows, key=lambda r: _ORDER.get(r[0], 99))
    return pd.DataFrame([(f, funder_label(f), int(n), _f(a)) for f, n, a in rows],
                        columns=["funder", "label", "posts", "amount"])


@stored_figure("scope")
def state_posts_by_contrat(session: Session, scope: Scope) -> pd.DataFrame:
    """Per contrat de ville of the scope: code, name, communes, adultes-relais (posts, €),
    FONJEP (posts, €), total (€). Contrats without any post are listed with zeros."""
    cvs = session.execute(select(ContratDeVille.id, ContratDeVille.code, ContratDeVille.name)
                          .where(ContratDeVille.id.in_(_contrats(scope)))
                          .order_by(ContratDeVille.code)).all()
    communes: dict[int, list[str]] = {}
    for cv, name in session.execute(select(Commune.contrat_de_ville_id, Commune.name)
                                    .where(Commune.territory_id == scope.territory_id)
                                    .order_by(Commune.name)):
        communes.setdefault(cv, []).append(name)
    money = {(cv, f): (int(n), _f(a)) for cv, f, n, a in session.execute(
        select(FundingLine.contrat_de_ville_id, FundingLine.funder, func.count(FundingLine.id),
               func.sum(FundingLine.amount_approved))
        .where(*_post_lines(scope))
        .group_by(FundingLine.contrat_de_ville_id, FundingLine.funder)).all()}
    rows = []
    for cid, code, name in cvs:
        ar, fj = (money.get((cid, f), (0, 0.0)) for f in POST_FUNDERS)
        rows.append((cid, code, name, ", ".join(communes.get(cid, [])), ar[0], ar[1], fj[0],
                     fj[1], ar[1] + fj[1]))
    return pd.DataFrame(rows, columns=[
        "contrat_id", "code", "name", "communes", "adultes_relais_posts", "adultes_relais",
        "fonjep_posts", "fonjep", "total"])


def state_posts_by_commune(session: Session, scope: Scope) -> dict[int, float]:
    """Commune id → amount of its contrat de ville's State posts (a map measure: communes of
    the same contrat show the same, shared amount)."""
    by_cv = state_posts_by_contrat(session, scope.whole_territory())
    amounts = dict(zip(by_cv["contrat_id"], by_cv["total"]))
    q = select(Commune.id, Commune.contrat_de_ville_id).where(
        Commune.territory_id == scope.territory_id)
    return {int(c): float(amounts[cv]) for c, cv in session.execute(q).all()
            if cv in amounts and amounts[cv] > 0}
