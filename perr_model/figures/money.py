"""Money: funding of the counted actions, and the State's posts — two figures, never summed.

- *action funding*: funding lines attached to counted actions, for the scope's year
  (`definitions.funding_year_clause`), per funder;
- *State posts*: adultes-relais and FONJEP posts the State funds in a contrat de ville (ANCT
  files), lines with no action; for a year, that year's posts, read on the territory's
  contracts of that year's generation (`perr_model.contrats`: CVnnn until 2023, CNdddddX from
  2024); for all years, every year's on every generation (a post counts once per year). A
  commune's posts are those of its contrat de ville: its own contract of the 2015 generation
  (shared by the communes of a multi-commune contrat), the territory's contract from 2024 (one
  per EPCI/EPT, shared by all its communes). The posts are the contract's money, never a
  commune's nor a quartier's: they are shown per contract (`state_posts_by_contrat`,
  `contrat_words`), never drawn on the communes of a map (issue 24).
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from ..contrats import COMMUNE_GENERATION, generation_of, period_label
from ..schema import Commune, ContratDeVille, FundingLine
from ..vocabulary import FUNDER_LABELS, POST_FUNDERS, euros, funder_label, plural
from .definitions import funding_year_clause, on_counted
from .registry import stored_figure
from .scope import Scope

_ORDER = {k: i for i, k in enumerate(FUNDER_LABELS)}


def _f(value) -> float:
    return 0.0 if value is None else float(value)


@stored_figure("scope")
def funding_by_funder(session: Session, scope: Scope) -> pd.DataFrame:
    """Action funding per funder (funder order of the vocabulary): funder, label, lines,
    actions, requested (None when no line of the funder says what was requested: "non
    renseigné", never 0), approved, requested_lines (lines with a requested amount), and the
    comparison of requested and approved on the lines where both are known only:
    compared_lines, requested_compared, approved_compared."""
    line = FundingLine
    both = and_(line.amount_requested.is_not(None), line.amount_approved.is_not(None))
    q = select(line.funder, func.count(line.id), func.count(distinct(line.action_id)),
               func.sum(line.amount_requested), func.sum(line.amount_approved),
               func.count(line.amount_requested), func.sum(case((both, 1), else_=0)),
               func.sum(case((both, line.amount_requested))),
               func.sum(case((both, line.amount_approved))))
    rows = session.execute(on_counted(q, line.action_id, scope)
                           .where(funding_year_clause(scope.year))
                           .group_by(line.funder)).all()
    rows = sorted(rows, key=lambda r: _ORDER.get(r[0], 99))
    return pd.DataFrame([(f, funder_label(f), int(n), int(a), None if not nr else _f(r), _f(ap),
                          int(nr), int(nb or 0), _f(rb), _f(ab))
                         for f, n, a, r, ap, nr, nb, rb, ab in rows],
                        columns=FUNDING_COLUMNS).astype({"requested": object})


FUNDING_COLUMNS = ["funder", "label", "lines", "actions", "requested", "approved",
                   "requested_lines", "compared_lines", "requested_compared",
                   "approved_compared"]


def requested_total(funding: pd.DataFrame) -> float | None:
    """The requested amounts of a `funding_by_funder` frame added up; None when no line says."""
    known = [x for x in funding["requested"] if x is not None and x == x]
    return float(sum(known)) if known else None


def _contrats(scope: Scope):
    """SELECT ContratDeVille.id of the scope: the territory's contracts of the year's generation
    (of every generation for all years); with a commune, its own contract of the generation
    communes name and the territory-wide contracts of the other generations."""
    q = select(ContratDeVille.id).where(ContratDeVille.territory_id == scope.territory_id)
    if scope.year is not None:
        q = q.where(ContratDeVille.generation == generation_of(scope.year))
    if scope.commune_id is not None:
        q = q.where(or_(ContratDeVille.generation != COMMUNE_GENERATION,
                        ContratDeVille.id.in_(select(Commune.contrat_de_ville_id)
                                              .where(Commune.id == scope.commune_id))))
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
    """Per contrat de ville of the scope (generation by generation, then by code): code, name,
    period of validity, communes, adultes-relais (posts, €), FONJEP (posts, €), total (€).
    Contrats without any post are listed with zeros."""
    cvs = session.execute(select(ContratDeVille.id, ContratDeVille.code, ContratDeVille.name,
                                 ContratDeVille.generation)
                          .where(ContratDeVille.id.in_(_contrats(scope)))
                          .order_by(ContratDeVille.generation, ContratDeVille.code)).all()
    communes: dict[int, list[str]] = {}
    everyone: list[str] = []  # a contract of a later generation covers the whole territory
    for cv, name in session.execute(select(Commune.contrat_de_ville_id, Commune.name)
                                    .where(Commune.territory_id == scope.territory_id)
                                    .order_by(Commune.name)):
        communes.setdefault(cv, []).append(name)
        everyone.append(name)
    money = {(cv, f): (int(n), _f(a)) for cv, f, n, a in session.execute(
        select(FundingLine.contrat_de_ville_id, FundingLine.funder, func.count(FundingLine.id),
               func.sum(FundingLine.amount_approved))
        .where(*_post_lines(scope))
        .group_by(FundingLine.contrat_de_ville_id, FundingLine.funder)).all()}
    rows = []
    for cid, code, name, generation in cvs:
        ar, fj = (money.get((cid, f), (0, 0.0)) for f in POST_FUNDERS)
        covered = communes.get(cid, []) if generation == COMMUNE_GENERATION else everyone
        rows.append((cid, code, name, generation, period_label(generation), ", ".join(covered),
                     ar[0], ar[1], fj[0], fj[1], ar[1] + fj[1]))
    return pd.DataFrame(rows, columns=[
        "contrat_id", "code", "name", "generation", "period", "communes",
        "adultes_relais_posts", "adultes_relais", "fonjep_posts", "fonjep", "total"])


def contrat_title(name: str | None, code: str) -> str:
    """« Contrat de ville « Champigny-sur-Marne » » (the contract's name; its code without one)."""
    named = name if name and name == name and str(name).strip() else code
    return f"Contrat de ville « {named} »"


def contrat_words(row) -> str:  # noqa: ANN001 - a row of state_posts_by_contrat
    """One contract's State posts, as the contract's money: « Contrat de ville « Sevran… »
    (2015–2023) : 283 466 € (14 postes-années) » or « … : aucun poste enregistré »."""
    head = f"{contrat_title(row['name'], row['code'])} ({row['period']})"
    posts = int(row["adultes_relais_posts"]) + int(row["fonjep_posts"])
    if not posts:
        return f"{head} : aucun poste enregistré"
    return (f"{head} : {euros(row['total'])} "
            f"({plural(posts, 'poste-année', 'postes-années')})")
