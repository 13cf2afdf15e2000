"""The definitions every figure is built on, written once.

- **counted action** (`counted`): not archived, in the scope's territory; with a year Y it must
  run during Y (`year_start <= Y <= coalesce(year_end, year_start)`), so actions without a year
  only count under "toutes les années"; with a commune (a quartier), it must reach that commune
  (serve that quartier, by any path of `QPV_SERVED`);
- **axis served** (`AXIS_SERVED`, `axis_links_definition`): an action serves an axis when linked
  to it directly, through one of its operational objectives, or through a commune commitment
  mapped to the axis; once per pair;
- **commune reached** (`COMMUNE_REACHED`, `commune_links_definition`): directly, or through one
  of its quartiers (a quartier's communes);
- **quartier served** (`QPV_SERVED`, `qpv_links_definition`, `qpv_served`): an action serves a
  quartier when it names it (`action_qpv`), when it carries an engagement attached to the
  quartier (`action_commitment` → `commitment_qpv`), or when it covers the whole of one of the
  quartier's communes (linked to the commune, and serving none of its quartiers by the first
  two paths); each pair says its path, the first that applies;
- **amount of a year** (`funding_year_clause`): the approved amounts (montant accordé) of the
  funding lines of counted actions; with a year, only the lines of that year (a line without a
  year takes its action's first year). State posts (adultes-relais, FONJEP) are lines with no
  action, attached to a contrat de ville: never part of the action amounts;
- **angle mort** (`coverage_basis`): for a protocol with operational objectives, an operational
  objective no counted action is linked to; for a protocol whose coverage is carried by the
  communes' commitments (no operational objectives), a commitment no counted action is linked to.
  Only live items count (`live_objective`, `Commitment.archived`): an archived item, or one under
  an archived axis / strategic objective / group, is neither an angle mort nor in a total; its
  action links stay (perr_model/referential_edit.py).

The two derived link tables (`action_axis_served`, `action_commune_reached`) materialise
`AXIS_SERVED` and `COMMUNE_REACHED`; the database keeps them with triggers (migration
0004_derived_links), whose SQL `tests/test_figures_definitions.py` checks against these
definitions.
"""
from __future__ import annotations

from sqlalchemy import (
    Integer, and_, case, exists, func, literal, null, select, true, union, union_all,
)
from sqlalchemy.orm import Session

from ..schema import (
    Action, Axis, Commitment, FundingLine, ObjectiveGroup, OperationalObjective,
    StrategicObjective, action_axis, action_axis_served, action_commitment, action_commune,
    action_commune_reached, action_objective, action_qpv, commitment_qpv, qpv_commune,
)
from .scope import Scope, in_frame

# The source paths of each derived table, as (link table, path to the target column): the
# triggers of 0004_derived_links must cover exactly these (checked by the tests).
AXIS_SERVED = {
    "table": "action_axis_served", "target": "axis_id",
    "sources": (("action_axis", "axis_id"),
                ("action_objective", "operational_objective → objective_group → "
                                     "strategic_objective.axis_id"),
                ("action_commitment", "commitment.axis_id (when set)")),
}
COMMUNE_REACHED = {
    "table": "action_commune_reached", "target": "commune_id",
    "sources": (("action_commune", "commune_id"), ("action_qpv", "qpv_commune.commune_id")),
}

# "An action serves a quartier" (the Quartier page, the Actions list's quartier filter, a
# counted action of a quartier's scope): its paths, in the order one wins over the next.
QPV_SERVED = {
    "target": "qpv_id",
    "sources": (("action_qpv", "qpv_id"),
                ("action_commitment", "commitment_qpv.qpv_id"),
                ("action_commune", "qpv_commune.qpv_id, when the action serves none of that "
                                   "commune's quartiers by the two paths above")),
}
BY_NAME, BY_COMMITMENT, WHOLE_COMMUNE = "quartier", "engagement", "commune"  # the paths
IN_QUARTIER = (BY_NAME, BY_COMMITMENT)  # the quartier's own actions


def axis_links_definition():
    """SELECT (axis_id, action_id): "an action serves an axis", for all actions."""
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
    """SELECT (commune_id, action_id): "an action reaches a commune", for all actions."""
    return select(action_commune.c.commune_id, action_commune.c.action_id).union(
        select(qpv_commune.c.commune_id, action_qpv.c.action_id).select_from(action_qpv)
        .join(qpv_commune, qpv_commune.c.qpv_id == action_qpv.c.qpv_id))


def qpv_links_definition():
    """SELECT (qpv_id, action_id, path, via_id): "an action serves a quartier", for all actions,
    once per pair, by the first path of QPV_SERVED that applies; via_id: the engagement (path
    "engagement") or the commune (path "commune") it goes through, NULL for "quartier"."""
    by_commitment = (select(commitment_qpv.c.qpv_id, action_commitment.c.action_id,
                            action_commitment.c.commitment_id)
                     .join(commitment_qpv,
                           commitment_qpv.c.commitment_id == action_commitment.c.commitment_id)
                     .subquery("by_commitment"))
    named = select(action_qpv.c.action_id).where(  # the first path wins
        action_qpv.c.action_id == by_commitment.c.action_id,
        action_qpv.c.qpv_id == by_commitment.c.qpv_id)
    whole = qpv_commune.alias("whole")
    return union_all(
        select(action_qpv.c.qpv_id, action_qpv.c.action_id, literal(BY_NAME).label("path"),
               null().cast(Integer).label("via_id")),
        select(by_commitment.c.qpv_id, by_commitment.c.action_id, literal(BY_COMMITMENT),
               func.min(by_commitment.c.commitment_id))
        .where(~exists(named)).group_by(by_commitment.c.qpv_id, by_commitment.c.action_id),
        select(whole.c.qpv_id, action_commune.c.action_id, literal(WHOLE_COMMUNE),
               func.min(action_commune.c.commune_id))
        .join(whole, whole.c.commune_id == action_commune.c.commune_id)
        .where(~exists(_in_quartiers_of_commune()), ~exists(_in_quartier(whole.c.qpv_id)))
        .group_by(whole.c.qpv_id, action_commune.c.action_id))


def _in_quartier_pairs():
    """SELECT (qpv_id, action_id) of the first two paths (the quartier's own actions)."""
    return union(select(action_qpv.c.qpv_id, action_qpv.c.action_id),
                 select(commitment_qpv.c.qpv_id, action_commitment.c.action_id)
                 .join(commitment_qpv,
                       commitment_qpv.c.commitment_id == action_commitment.c.commitment_id)
                 ).subquery("in_quartier")


def _in_quartiers_of_commune():
    """Correlated on action_commune: its action is in one of its commune's quartiers (named or
    through an engagement), so it does not cover the whole commune."""
    pairs = _in_quartier_pairs()
    return select(pairs.c.action_id).join(qpv_commune, qpv_commune.c.qpv_id == pairs.c.qpv_id)\
        .where(pairs.c.action_id == action_commune.c.action_id,
               qpv_commune.c.commune_id == action_commune.c.commune_id)


def _in_quartier(qpv_id):
    """Correlated on action_commune: its action is in quartier `qpv_id` by the first two paths
    (a quartier of two communes, covered whole through one, named in the other)."""
    pairs = _in_quartier_pairs()
    return select(pairs.c.action_id).where(pairs.c.action_id == action_commune.c.action_id,
                                           pairs.c.qpv_id == qpv_id)


def qpv_served(qpv_ids, paths=(BY_NAME, BY_COMMITMENT, WHOLE_COMMUNE)):
    """SELECT (action_id, path, via_id) of the actions serving one of `qpv_ids` by one of
    `paths` (QPV_SERVED), for all actions; join it on Action for counted ones."""
    links = qpv_links_definition().subquery()
    return (select(links.c.action_id, links.c.path, links.c.via_id)
            .where(links.c.qpv_id.in_(list(qpv_ids)), links.c.path.in_(list(paths))))


# --- counted actions --------------------------------------------------------------------------

def year_clause(year: int | None, table=None):
    """"The action runs during `year`" (always true for all years). `table`: a derived link
    table carrying copies of the action's columns, instead of Action."""
    if year is None:
        return true()
    c = Action if table is None else table.c
    return and_(c.year_start <= year, func.coalesce(c.year_end, c.year_start) >= year)


def counted(scope: Scope, table=None) -> list:
    """Conditions for "a counted action" on Action, or on a derived link table's copies."""
    c = Action if table is None else table.c
    action_id = Action.id if table is None else table.c.action_id
    conds = [c.archived.is_(False), year_clause(scope.year, table)]
    if scope.territory_id is not None:
        conds.append(c.territory_id == scope.territory_id)
    if scope.commune_id is not None:
        reached = action_commune_reached
        conds.append(action_id.in_(select(reached.c.action_id)
                                   .where(reached.c.commune_id == scope.commune_id)))
    if scope.qpv_id is not None:  # serving the quartier: QPV_SERVED
        served = qpv_served([scope.qpv_id]).subquery()
        conds.append(action_id.in_(select(served.c.action_id)))
    return conds


def on_counted(query, action_col, scope: Scope):
    """`query` restricted to counted actions, by a join on Action (much faster than IN)."""
    return query.join(Action, Action.id == action_col).where(*counted(scope))


def undated_actions(scope: Scope):
    """SELECT Action.id of the scope's non-archived actions without any year."""
    return select(Action.id).where(*counted(scope.all_years()), Action.year_start.is_(None),
                                   Action.year_end.is_(None))


# --- links of counted actions -------------------------------------------------------------------

def axis_served(scope: Scope, action_ids: list[int] | None = None):
    """SELECT (axis_id, action_id) for every axis a counted action serves, once per pair, read
    from the derived table (no union to de-duplicate, no join on Action)."""
    served = action_axis_served
    conds = counted(scope, served)
    if action_ids is not None:
        conds.append(served.c.action_id.in_(action_ids))
    return select(served.c.axis_id, served.c.action_id).where(*conds)


def commune_reached(scope: Scope):
    """SELECT (commune_id, action_id) for every commune a counted action reaches."""
    reached = action_commune_reached
    return select(reached.c.commune_id, reached.c.action_id).where(*counted(scope, reached))


# --- amount of a year -------------------------------------------------------------------------

def funding_year_clause(year: int | None):
    """A funding line of a counted action counts for `year` (its own year, else its action's
    first year); all lines for all years."""
    if year is None:
        return literal(True)
    return func.coalesce(FundingLine.year, Action.year_start) == year


def reported_status():
    """Action.status where a person gave it, NULL (« statut non renseigné ») where it is only
    the default of the protocol's actions (`Action.status_reported`)."""
    return case((Action.status_reported.is_(False), null()), else_=Action.status)


def action_amounts(scope: Scope):
    """Subquery (action_id, amount, requested, lines, requested_lines, compared_lines,
    requested_compared, approved_compared): money of each counted action for the scope;
    `requested` sums the lines that say it (NULL when none does), the *_compared columns only
    the lines where both amounts are known."""
    line = FundingLine
    both = and_(line.amount_requested.is_not(None), line.amount_approved.is_not(None))
    q = select(line.action_id.label("action_id"),
               func.sum(line.amount_approved).label("amount"),
               func.sum(line.amount_requested).label("requested"),
               func.count(line.id).label("lines"),
               func.count(line.amount_requested).label("requested_lines"),
               func.sum(case((both, 1), else_=0)).label("compared_lines"),
               func.sum(case((both, line.amount_requested))).label("requested_compared"),
               func.sum(case((both, line.amount_approved))).label("approved_compared"))
    return (on_counted(q, FundingLine.action_id, scope)
            .where(funding_year_clause(scope.year)).group_by(FundingLine.action_id).subquery())


# --- angle mort -------------------------------------------------------------------------------

def territory_objective_ids(territory_id: int, year: int | None = None):
    """SELECT the live operational objectives of the territory's frame of `year` (all: every
    frame)."""
    return (select(OperationalObjective.id)
            .join(ObjectiveGroup, ObjectiveGroup.id == OperationalObjective.group_id)
            .join(StrategicObjective, StrategicObjective.id == ObjectiveGroup.strategic_objective_id)
            .join(Axis, Axis.id == StrategicObjective.axis_id)
            .where(Axis.territory_id == territory_id, *live_objective(),
                   in_frame(Axis.frame_id, territory_id, year)))


def live_objective() -> list:
    """Conditions for "a live operational objective" (on a join of the objective, its group,
    strategic objective and axis): neither it nor a parent archived (0013_referential_edit)."""
    return [Axis.archived.is_(False), StrategicObjective.archived.is_(False),
            ObjectiveGroup.archived.is_(False), OperationalObjective.archived.is_(False)]


def coverage_basis(session: Session, territory_id: int, year: int | None = None) -> str:
    """"objectives" when the referential (of the frame of `year`) has operational objectives,
    else "commitments": what an angle mort is for this territory (see the module docstring)."""
    n = session.scalar(select(func.count()).select_from(
        territory_objective_ids(territory_id, year).subquery()))
    return "objectives" if n else "commitments"
