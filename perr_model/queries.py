"""Read functions: Session in, DataFrame or plain values out. Aggregation happens in SQL."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, distinct, func, select, true
from sqlalchemy.orm import Session

from .schema import (
    Action, Axis, Commitment, ObjectiveGroup, OperationalObjective, StrategicObjective,
    Territory, action_axis, action_axis_served, action_commitment, action_commune,
    action_objective, action_qpv, qpv_commune,
)


def territories(session: Session) -> pd.DataFrame:
    rows = session.execute(select(Territory.id, Territory.slug, Territory.name,
                                  Territory.is_synthetic).order_by(Territory.name)).all()
    return pd.DataFrame(rows, columns=["id", "slug", "name", "is_synthetic"])


def action_years(session: Session, territory_id: int | None = None) -> list[int]:
    q = select(Action.year_start).distinct().where(Action.year_start.is_not(None))
    if territory_id is not None:
        q = q.where(Action.territory_id == territory_id)
    return sorted(session.scalars(q).all(), reverse=True)


def axis_overview(session: Session, territory_id: int) -> pd.DataFrame:
    """One row per axis: operational objectives, commitments and (non-archived) actions.

    An action counts for an axis when linked to it directly, through one of its operational
    objectives, or through a commitment mapped to it; each action is counted once per axis.
    """
    objectives = (
        select(Axis.id.label("axis_id"), func.count(OperationalObjective.id).label("n"))
        .join(StrategicObjective, StrategicObjective.axis_id == Axis.id)
        .join(ObjectiveGroup, ObjectiveGroup.strategic_objective_id == StrategicObjective.id)
        .join(OperationalObjective, OperationalObjective.group_id == ObjectiveGroup.id)
        .where(Axis.territory_id == territory_id).group_by(Axis.id).subquery())
    commitments = (
        select(Commitment.axis_id, func.count(Commitment.id).label("n"))
        .where(Commitment.territory_id == territory_id).group_by(Commitment.axis_id).subquery())
    links = axis_action_links(territory_id).subquery()
    actions = (select(links.c.axis_id, func.count(distinct(links.c.action_id)).label("n"))
               .group_by(links.c.axis_id).subquery())
    q = (select(Axis.id, Axis.position, Axis.number, Axis.title, Axis.short_title,
                func.coalesce(objectives.c.n, 0), func.coalesce(commitments.c.n, 0),
                func.coalesce(actions.c.n, 0))
         .outerjoin(objectives, objectives.c.axis_id == Axis.id)
         .outerjoin(commitments, commitments.c.axis_id == Axis.id)
         .outerjoin(actions, actions.c.axis_id == Axis.id)
         .where(Axis.territory_id == territory_id).order_by(Axis.position))
    return pd.DataFrame(session.execute(q).all(), columns=[
        "id", "position", "number", "title", "short_title", "objectives", "commitments",
        "actions"])


def year_clause(year: int | None, table=None):
    """SQL condition "the action runs during `year`" (always true when year is None).

    An action runs during Y when year_start <= Y <= coalesce(year_end, year_start); actions
    without a year only count under "toutes les années". `table`: a derived link table
    carrying copies of the action's columns, instead of Action.
    """
    if year is None:
        return true()
    c = Action if table is None else table.c
    return and_(c.year_start <= year, func.coalesce(c.year_end, c.year_start) >= year)


def live_conditions(territory_id: int | None = None, year: int | None = None,
                    table=None) -> list:
    """Conditions for "counted": not archived, in the territory, running in `year`; on Action,
    or on a derived link table's copies of those columns (`table`)."""
    c = Action if table is None else table.c
    conds = [c.archived.is_(False), year_clause(year, table)]
    if territory_id is not None:
        conds.append(c.territory_id == territory_id)
    return conds


def axis_action_links(territory_id: int | None = None, year: int | None = None,
                      action_ids: list[int] | None = None):
    """SELECT (axis_id, action_id) for every axis a counted action serves, once per pair.

    "Serves" is defined once, in `axis_links_definition` (direct link, via one of its
    operational objectives, or via a commune commitment mapped to the axis); the database keeps
    that union in `action_axis_served` (triggers of migration 0004_derived_links), with copies of
    the action's territory, archived flag and years: reading it needs no union to de-duplicate
    and no join on Action. Archived actions are excluded (and, with `year`,
    actions not running that year). Used by every coverage figure, so that all pages agree.
    `action_ids` restricts the links to those actions (a quartier's, a page of the list).
    """
    served = action_axis_served
    live = live_conditions(territory_id, year, served)
    if action_ids is not None:
        live.append(served.c.action_id.in_(action_ids))
    return select(served.c.axis_id, served.c.action_id).where(*live)


def axis_links_definition():
    """SELECT (axis_id, action_id): the definition `action_axis_served` materialises, for all
    actions (archived included). Read by the tests that check the triggers keep it exact."""
    direct = select(action_axis.c.axis_id, action_axis.c.action_id)
    via_objective = (
        select(StrategicObjective.axis_id, action_objective.c.action_id)
        .select_from(action_objective)
        .join(OperationalObjective, OperationalObjective.id == action_objective.c.objective_id)
        .join(ObjectiveGroup, ObjectiveGroup.id == OperationalObjective.group_id)
        .join(StrategicObjective, StrategicObjective.id == ObjectiveGroup.strategic_objective_id))
    via_commitment = (
        select(Commitment.axis_id, action_commitment.c.action_id)
        .select_from(action_commitment)
        .join(Commitment, Commitment.id == action_commitment.c.commitment_id)
        .where(Commitment.axis_id.is_not(None)))
    return direct.union(via_objective, via_commitment)


def commune_links_definition():
    """SELECT (commune_id, action_id): what `action_commune_reached` materialises (an action
    reaches a commune directly or through one of its quartiers), for all actions."""
    return select(action_commune.c.commune_id, action_commune.c.action_id).union(
        select(qpv_commune.c.commune_id, action_qpv.c.action_id).select_from(action_qpv)
        .join(qpv_commune, qpv_commune.c.qpv_id == action_qpv.c.qpv_id))


def territory_summary(session: Session, territory_id: int) -> dict:
    """Communes, contrats de ville and protocol dates of a territory, as a one-line caption."""
    from .schema import Commune, ContratDeVille
    t = session.get(Territory, territory_id)
    communes = session.scalars(select(Commune.name).where(Commune.territory_id == territory_id)
                               .order_by(Commune.name)).all()
    cvs = session.scalars(select(ContratDeVille.code).where(
        ContratDeVille.territory_id == territory_id).order_by(ContratDeVille.code)).all()
    parts = [f"{len(communes)} communes", f"contrats de ville {', '.join(cvs)}" if cvs else ""]
    if t.signed_date:
        parts.append(f"protocole signé le {t.signed_date.strftime('%d/%m/%Y')}")
    return {"caption": " · ".join(p for p in parts if p), "communes": communes,
            "axes_from_pillars": bool(t.axes_from_pillars)}
