"""Coverage figures: headline, axis table, axis × commune matrix, map metrics.

Every function takes a session and a `Scope` and reads through `definitions`, so the
Couverture page, the COPIL document and the exports show the same numbers.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from ..schema import (
    Action, Axis, Commitment, Commune, ObjectiveGroup, OperationalObjective, StrategicObjective,
    action_axis_served, action_commitment, action_commune_reached, action_objective, action_qpv,
    qpv_commune,
)
from ..vocabulary import axis_code, axis_label
from . import money
from .definitions import (
    action_amounts, axis_served, counted, coverage_basis, on_counted, territory_objective_ids,
    undated_actions,
)
from .registry import stored_figure
from .scope import Scope, in_frame

TOTAL = "Total territoire"      # the matrix's last column: each action once
OTHERS = "Autres communes"      # top_communes: the communes left out, added up


def _count(session: Session, q) -> int:
    return int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)


def _distinct(session: Session, scope: Scope, column, link_action_col=None) -> int:
    # COUNT(*) over a GROUP BY rather than COUNT(DISTINCT): PostgreSQL hashes a GROUP BY.
    q = select(column).where(column.is_not(None))
    q = q.where(*counted(scope)) if link_action_col is None else on_counted(
        q, link_action_col, scope)
    return _count(session, q.group_by(column))


def scope_commitments(scope: Scope):
    """SELECT Commitment.id of the scope (the commune's only, when a commune is set)."""
    q = select(Commitment.id).where(Commitment.territory_id == scope.territory_id,
                                    Commitment.archived.is_(False),  # live ones only
                                    in_frame(Commitment.frame_id, scope.territory_id, scope.year))
    if scope.commune_id is not None:
        q = q.where(Commitment.commune_id == scope.commune_id)
    return q


def scope_communes(scope: Scope):
    q = select(Commune.id).where(Commune.territory_id == scope.territory_id)
    return q if scope.commune_id is None else q.where(Commune.id == scope.commune_id)


@stored_figure("scope")
def headline(session: Session, scope: Scope) -> dict:
    """The figures at the top of Couverture and of the COPIL document (one dict).

    actions, undated (non-archived actions without a year in the scope: counted only for all
    years), holders, qpv_reached/qpv_total, communes_reached/communes_total,
    objectives_covered/objectives_total/objectives_share, commitments_covered/
    commitments_total, axes_served/axes_total, basis ("objectives" | "commitments"),
    angles_morts, amount_approved/amount_requested (action funding; requested None when no
    line says), funding_lines, requested_lines, compared_lines/requested_compared/
    approved_compared (requested vs approved on the lines where both are known only),
    posts_count/posts_amount (State posts, separate), by_funder, posts.
    """
    tid = scope.territory_id
    n_actions = _count(session, select(Action.id).where(*counted(scope)))
    qpvs = (select(qpv_commune.c.qpv_id).where(qpv_commune.c.commune_id.in_(scope_communes(scope)))
            .distinct())
    obj_total = _count(session, territory_objective_ids(tid, scope.year))
    # covered: among the live items of the year's frame only (an archived one keeps its links
    # but leaves the counts)
    obj_covered = _count(session, territory_objective_ids(tid, scope.year).where(
        OperationalObjective.id.in_(on_counted(select(action_objective.c.objective_id),
                                               action_objective.c.action_id, scope))))
    com_total = _count(session, scope_commitments(scope))
    com_covered = 0
    if com_total:
        covered = on_counted(select(action_commitment.c.commitment_id),
                             action_commitment.c.action_id, scope)
        com_covered = _count(session, scope_commitments(scope).where(Commitment.id.in_(covered)))
    reached = select(action_commune_reached.c.commune_id).where(
        *counted(scope, action_commune_reached),
        action_commune_reached.c.commune_id.in_(scope_communes(scope))).distinct()
    served = axis_served(scope).subquery()
    basis = coverage_basis(session, tid, scope.year)
    funding = money.funding_by_funder(session, scope)
    posts = money.state_posts(session, scope)
    out = {
        "actions": n_actions, "undated": _count(session, undated_actions(scope)),
        "holders": _distinct(session, scope, func.lower(Action.holder_name)),
        "qpv_reached": _distinct(session, scope, action_qpv.c.qpv_id, action_qpv.c.action_id)
        if scope.commune_id is None else _count(session, on_counted(
            select(action_qpv.c.qpv_id), action_qpv.c.action_id, scope)
            .where(action_qpv.c.qpv_id.in_(qpvs)).distinct()),
        "qpv_total": _count(session, qpvs),
        "communes_reached": _count(session, reached),
        "communes_total": _count(session, scope_communes(scope)),
        "objectives_total": obj_total, "objectives_covered": obj_covered,
        "objectives_share": (obj_covered / obj_total) if obj_total else None,
        "commitments_total": com_total, "commitments_covered": com_covered,
        "axes_total": _count(session, live_axes(tid, scope.year)),
        "axes_served": _count(session, select(served.c.axis_id).distinct().where(
            served.c.axis_id.in_(live_axes(tid, scope.year)))),
        "basis": basis,
        "amount_approved": float(funding["approved"].sum()),
        "amount_requested": money.requested_total(funding),
        "funding_lines": int(funding["lines"].sum()),
        "requested_lines": int(funding["requested_lines"].sum()),
        "compared_lines": int(funding["compared_lines"].sum()),
        "requested_compared": float(funding["requested_compared"].sum()),
        "approved_compared": float(funding["approved_compared"].sum()),
        "posts_count": int(posts["posts"].sum()), "posts_amount": float(posts["amount"].sum()),
        "by_funder": funding, "posts": posts,
        "synthetic": _count(session, select(Action.id).where(
            *counted(scope), Action.is_synthetic.is_(True))),
    }
    out["angles_morts"] = (obj_total - obj_covered if basis == "objectives"
                           else com_total - com_covered)
    return out


def live_axes(territory_id: int, year: int | None = None):
    """SELECT Axis.id of the territory's axes that are not archived (0013_referential_edit), of
    the frame of `year` (all years: every frame's)."""
    return select(Axis.id).where(Axis.territory_id == territory_id, Axis.archived.is_(False),
                                 in_frame(Axis.frame_id, territory_id, year))


def axis_labels(session: Session, territory_id: int, year: int | None = None) -> pd.DataFrame:
    """axis_id, position, number, title, short_title, code ("Axe N"), label ("Axe N – …") of
    the live axes of the territory's frame of `year` (all years: every frame's; an archived
    axis is in no table)."""
    rows = session.execute(select(Axis.id, Axis.position, Axis.number, Axis.title,
                                  Axis.short_title)
                           .where(Axis.territory_id == territory_id, Axis.archived.is_(False),
                                  in_frame(Axis.frame_id, territory_id, year))
                           .order_by(Axis.position)).all()
    df = pd.DataFrame(rows, columns=["axis_id", "position", "number", "title", "short_title"])
    df["code"] = [axis_code(r.number, r.position) for r in df.itertuples()]
    df["label"] = [axis_label(r.number, r.short_title or r.title, 60, r.position)
                   for r in df.itertuples()]
    return df


@stored_figure("scope")
def axis_table(session: Session, scope: Scope) -> pd.DataFrame:
    """One row per axis: the axis_labels columns, objectives, objectives_covered,
    commitments, commitments_covered, actions (distinct counted actions serving it),
    amount_approved (their action funding for the scope)."""
    df = axis_labels(session, scope.territory_id, scope.year)
    covered_obj = on_counted(select(action_objective.c.objective_id),
                             action_objective.c.action_id, scope)
    obj = dict((a, (int(n), int(c or 0))) for a, n, c in session.execute(
        select(StrategicObjective.axis_id, func.count(),
               func.sum(case((OperationalObjective.id.in_(covered_obj), 1), else_=0)))
        .join(ObjectiveGroup, ObjectiveGroup.strategic_objective_id == StrategicObjective.id)
        .join(OperationalObjective, OperationalObjective.group_id == ObjectiveGroup.id)
        .where(OperationalObjective.id.in_(territory_objective_ids(scope.territory_id,
                                                                   scope.year)))
        .group_by(StrategicObjective.axis_id)).all())
    covered_com = on_counted(select(action_commitment.c.commitment_id),
                             action_commitment.c.action_id, scope)
    com = dict((a, (int(n), int(c or 0))) for a, n, c in session.execute(
        select(Commitment.axis_id, func.count(),
               func.sum(case((Commitment.id.in_(covered_com), 1), else_=0)))
        .where(Commitment.id.in_(scope_commitments(scope))).group_by(Commitment.axis_id)).all())
    served = axis_served(scope).subquery()
    acts = dict(session.execute(select(served.c.axis_id, func.count())
                                .group_by(served.c.axis_id)).all())
    am = action_amounts(scope)
    amounts = dict(session.execute(
        select(served.c.axis_id, func.sum(am.c.amount))
        .join(am, am.c.action_id == served.c.action_id).group_by(served.c.axis_id)).all())
    ids = df["axis_id"]
    df["objectives"] = [obj.get(a, (0, 0))[0] for a in ids]
    df["objectives_covered"] = [obj.get(a, (0, 0))[1] for a in ids]
    df["commitments"] = [com.get(a, (0, 0))[0] for a in ids]
    df["commitments_covered"] = [com.get(a, (0, 0))[1] for a in ids]
    df["actions"] = [int(acts.get(a, 0)) for a in ids]
    df["amount_approved"] = [float(amounts.get(a) or 0) for a in ids]
    return df


def least_covered_axes(axes: pd.DataFrame) -> dict | None:
    """The axes with the fewest counted actions, every one of a tie (protocol order):
    {"actions": n, "axes": [{"axis_id", "code", "label"}, ...]}; None without axes."""
    if axes.empty:
        return None
    fewest = int(axes["actions"].min())
    tied = axes.loc[axes["actions"] == fewest]
    return {"actions": fewest, "axes": [{"axis_id": int(r.axis_id), "code": r.code,
                                         "label": r.label} for r in tied.itertuples()]}


@stored_figure("scope", ("actions",), ("amount",))
def axis_commune_matrix(session: Session, scope: Scope, measure: str = "actions"
                        ) -> pd.DataFrame:
    """Axis × commune (rows: axis labels in order; columns: the territory's communes, then
    "Total territoire", which counts each action once, so it is not the sum of the columns).
    `measure` "actions": distinct counted actions; "amount": their action funding (an action
    spanning several communes counts in each)."""
    axes = axis_labels(session, scope.territory_id, scope.year)
    communes = session.execute(select(Commune.id, Commune.name)
                               .where(Commune.territory_id == scope.territory_id)
                               .order_by(Commune.name)).all()
    served, reached = action_axis_served, action_commune_reached
    places = (select(served.c.axis_id, reached.c.commune_id, served.c.action_id)
              .join(reached, reached.c.action_id == served.c.action_id)
              .where(*counted(scope, served))).subquery()
    ax = axis_served(scope).subquery()
    if measure == "amount":
        am = action_amounts(scope)
        value = func.coalesce(func.sum(am.c.amount), 0)
        cells = (select(places.c.axis_id, places.c.commune_id, value)
                 .join(am, am.c.action_id == places.c.action_id)
                 .group_by(places.c.axis_id, places.c.commune_id))
        totals = (select(ax.c.axis_id, literal(None), value)
                  .join(am, am.c.action_id == ax.c.action_id).group_by(ax.c.axis_id))
    else:
        cells = (select(places.c.axis_id, places.c.commune_id, func.count())
                 .group_by(places.c.axis_id, places.c.commune_id))
        totals = select(ax.c.axis_id, literal(None), func.count()).group_by(ax.c.axis_id)
    names = {cid: name for cid, name in communes}
    columns = [n for _, n in communes] + [TOTAL]
    grid = {a: dict.fromkeys(columns, 0.0) for a in axes["axis_id"]}
    for axis_id, commune_id, v in session.execute(cells.union_all(totals)).all():
        if axis_id in grid:
            column = TOTAL if commune_id is None else names.get(commune_id)
            if column is not None:
                grid[axis_id][column] = float(v or 0)
    table = pd.DataFrame([list(grid[a].values()) for a in axes["axis_id"]],
                         index=axes["label"].tolist(), columns=columns)
    table.index.name = "Axe"
    return table.astype(int) if measure != "amount" else table


def _metric_rows(session: Session, scope: Scope, axis_id: int | None, measure: str,
                 by_axis: bool) -> list[list]:
    """Rows (commune id, value) then (quartier id, value) of counted actions, serving
    `axis_id` (all axes if None); with `by_axis`, (axis id, place id, value) for every axis."""
    am = action_amounts(scope) if measure == "amount" else None
    out = []
    for key, link in ((action_commune_reached.c.commune_id, action_commune_reached),
                      (action_qpv.c.qpv_id, action_qpv)):
        value = func.coalesce(func.sum(am.c.amount), 0) if am is not None else func.count()
        keys = [action_axis_served.c.axis_id, key] if by_axis else [key]
        q = select(*keys, value).select_from(link)
        if link is action_commune_reached:   # carries the action's columns itself
            q = q.where(*counted(scope, link))
        else:
            q = on_counted(q, link.c.action_id, scope)
        if axis_id is not None or by_axis:
            on = action_axis_served.c.action_id == link.c.action_id
            if axis_id is not None:
                on = and_(on, action_axis_served.c.axis_id == axis_id)
            q = q.join(action_axis_served, on)
        if am is not None:
            q = q.join(am, am.c.action_id == link.c.action_id)
        out.append(session.execute(q.group_by(*keys)).all())
    return out


def top_communes(matrix: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """What fits on a screen of `axis_commune_matrix`: its `n` communes with the highest total
    over the axes (of the measure it holds), highest first (a tie keeps the matrix's order:
    alphabetical), then "Autres communes", the sum of the other communes' cells axis by axis
    (so each row's communes still add up to the full matrix's), then "Total territoire"
    unchanged (each action once: not the sum of the columns). A matrix of at most `n`
    communes is returned as it is."""
    communes = [c for c in matrix.columns if c != TOTAL]
    if len(communes) <= n:
        return matrix
    totals = matrix[communes].sum()
    ranked = sorted(communes, key=lambda c: -totals[c])  # stable: ties keep the matrix's order
    out = matrix[ranked[:n]].copy()
    out[OTHERS] = matrix[ranked[n:]].sum(axis=1)
    out[TOTAL] = matrix[TOTAL]
    return out


@stored_figure("scope", (None, "actions"), (None, "amount"))
def metric_by_place(session: Session, scope: Scope, axis_id: int | None = None,
                    measure: str = "actions") -> tuple[dict[int, float], dict[int, float]]:
    """(by commune id, by quartier id): counted actions serving `axis_id` (all axes if None)
    or their action funding ("amount"). The State posts are no measure of a place: they are
    a contrat de ville's money, shown per contract (`money.state_posts_by_contrat`)."""
    if measure not in ("actions", "amount"):
        raise ValueError(measure)
    communes, qpvs = _metric_rows(session, scope, axis_id, measure, by_axis=False)
    return ({int(k): float(v or 0) for k, v in communes},
            {int(k): float(v or 0) for k, v in qpvs})


@stored_figure("axis", ("actions",), ("amount",), batch_of=metric_by_place,
              absent=({}, {}))
def metric_by_place_by_axis(session: Session, scope: Scope, measure: str = "actions"
                            ) -> dict[int, tuple[dict[int, float], dict[int, float]]]:
    """`metric_by_place(scope, axis, measure)` for every axis at once (two queries instead of
    two per axis; the stored figures are refreshed with it). Axes without any action are
    absent: their metric is ({}, {})."""
    out: dict[int, tuple[dict[int, float], dict[int, float]]] = {}
    communes, qpvs = _metric_rows(session, scope, None, measure, by_axis=True)
    for side, rows in ((0, communes), (1, qpvs)):
        for axis, k, v in rows:
            out.setdefault(int(axis), ({}, {}))[side][int(k)] = float(v or 0)
    return out
