"""Angles morts, commitments and the referential roll-up.

An angle mort (`definitions.coverage_basis`): an operational objective without a counted
action for a protocol that has operational objectives; a commune commitment without a counted
action for one whose commitments carry the coverage. `angles_morts()` returns either kind in
the same columns, so the page and the document list the same rows.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import distinct, func, select, true
from sqlalchemy.orm import Session

from ..schema import (
    Action, Axis, Commitment, Commune, ExampleAction, ObjectiveGroup, OperationalObjective,
    Pillar, StrategicObjective, action_commitment, action_objective, commitment_qpv,
)
from ..vocabulary import (
    axis_label, commitment_reference, objective_reference, plain, status_label,
)
from .coverage import axis_labels, scope_commitments
from .definitions import (
    IN_QUARTIER, axis_served, counted, coverage_basis, live_objective, on_counted, qpv_served,
    reported_status,
)
from .registry import stored_figure
from .scope import Scope, in_frame

ANGLE_COLUMNS = ["kind", "axis_id", "axe", "groupe", "numero", "reference", "element"]


def _objective_frame(session: Session, territory_id: int, year: int | None = None
                     ) -> pd.DataFrame:
    rows = session.execute(
        select(Axis.id, Axis.position, Axis.number, Axis.title, ObjectiveGroup.id,
               ObjectiveGroup.number, ObjectiveGroup.title, OperationalObjective.id,
               OperationalObjective.text, ObjectiveGroup.position,
               OperationalObjective.position)
        .join(StrategicObjective, StrategicObjective.axis_id == Axis.id)
        .join(ObjectiveGroup, ObjectiveGroup.strategic_objective_id == StrategicObjective.id)
        .join(OperationalObjective, OperationalObjective.group_id == ObjectiveGroup.id)
        .where(Axis.territory_id == territory_id, *live_objective(),
               in_frame(Axis.frame_id, territory_id, year))
        .order_by(Axis.position, StrategicObjective.position, ObjectiveGroup.position,
                  OperationalObjective.position)).all()
    return pd.DataFrame([(*r[:9], objective_reference(r[2] or r[1], r[5] or r[9], r[10]))
                         for r in rows], columns=[
        "axis_id", "axis_position", "axis_number", "axis_title", "group_id", "group_number",
        "group_title", "objective_id", "objective", "reference"])


def _group_label(number, title) -> str:
    return (f"{int(number)}. " if number is not None and number == number else "") + plain(title)


def objective_action_counts(session: Session, scope: Scope) -> dict[int, int]:
    q = on_counted(select(action_objective.c.objective_id,
                          func.count(distinct(action_objective.c.action_id))),
                   action_objective.c.action_id, scope).group_by(action_objective.c.objective_id)
    return {int(o): int(n) for o, n in session.execute(q).all()}


@stored_figure("scope")
def commitments(session: Session, scope: Scope, among=None) -> pd.DataFrame:
    """The scope's commune commitments with their counted actions (`among`: only those of that
    SELECT of action ids): commitment_id, commune_id, commune, axis_id, axe (label, else the
    protocol's theme), theme, numero, reference ("E-94017-1-3"), engagement, actions (count),
    titres (action titles), details ("titre (porteur) – statut")."""
    rows = session.execute(
        select(Commitment.id, Commitment.commune_id, Commune.name, Commitment.axis_id,
               Axis.number, Axis.position, Axis.short_title, Axis.title, Commitment.theme,
               Commitment.number, Commitment.text, Commune.insee_code,
               Commitment.theme_position, Commitment.position)
        .join(Commune, Commune.id == Commitment.commune_id)
        .outerjoin(Axis, Axis.id == Commitment.axis_id)
        .where(Commitment.id.in_(scope_commitments(scope)))
        .order_by(Commune.name, Commitment.theme_position, Commitment.position)).all()
    titles: dict[int, list[str]] = {}
    details: dict[int, list[str]] = {}
    for cid, title, holder, status, synthetic in session.execute(on_counted(
            select(action_commitment.c.commitment_id, Action.title, Action.holder_name,
                   reported_status(), Action.is_synthetic),
            action_commitment.c.action_id, scope)
            .where(action_commitment.c.commitment_id.in_(scope_commitments(scope)),
                   true() if among is None else action_commitment.c.action_id.in_(among))
            .order_by(action_commitment.c.commitment_id, Action.title)):
        titles.setdefault(cid, []).append(title)
        details.setdefault(cid, []).append(
            title + (f" ({holder})" if holder else "")
            + (f" – {status_label(status, lower=True)}" if status else " – statut non renseigné")
            + (" [démonstration]" if synthetic else ""))
    return pd.DataFrame([
        (cid, com_id, commune, axis_id,
         axis_label(an, ast or at, 80, ap) if axis_id is not None else plain(theme),
         plain(theme, ""), "" if num is None else str(num),
         commitment_reference(insee, tpos, pos), body,
         len(titles.get(cid, [])), titles.get(cid, []), details.get(cid, []))
        for cid, com_id, commune, axis_id, an, ap, ast, at, theme, num, body, insee, tpos, pos
        in rows],
        columns=["commitment_id", "commune_id", "commune", "axis_id", "axe", "theme", "numero",
                 "reference", "engagement", "actions", "titres", "details"])


def qpv_commitments(session: Session, scope: Scope) -> pd.DataFrame:
    """The engagements that concern the quartier scope.qpv_id: attached to it (commitment_qpv)
    or carried by one of its own counted actions (named in it, or through an engagement:
    `definitions.IN_QUARTIER`); `actions`, `titres`, `details`: those of its own actions only,
    not the commune's. The columns of `commitments`, plus `groupe` (axis, else theme)."""
    own = qpv_served([scope.qpv_id], IN_QUARTIER).subquery()
    own_ids = select(own.c.action_id).join(Action, Action.id == own.c.action_id).where(
        *counted(scope.whole_territory()))
    concerned = select(commitment_qpv.c.commitment_id).where(
        commitment_qpv.c.qpv_id == scope.qpv_id).union(
        select(action_commitment.c.commitment_id).where(action_commitment.c.action_id.in_(own_ids)))
    df = commitments(session, scope.whole_territory(), among=own_ids)
    df = df[df["commitment_id"].isin(session.scalars(concerned).all())].reset_index(drop=True)
    return df.assign(groupe=df["axe"])


@stored_figure("scope")
def commitments_without_action(session: Session, scope: Scope) -> pd.DataFrame:
    df = commitments(session, scope)
    return df.loc[df["actions"] == 0].reset_index(drop=True)


@stored_figure("scope")
def angles_morts(session: Session, scope: Scope) -> pd.DataFrame:
    """The angles morts of the scope (see the module docstring), columns ANGLE_COLUMNS:
    kind ("objectif" | "engagement"), axis_id, axe, groupe (rubrique or commune), numero,
    element (the objective's or commitment's text)."""
    if coverage_basis(session, scope.territory_id, scope.year) == "objectives":
        df = _objective_frame(session, scope.territory_id, scope.year)
        counts = objective_action_counts(session, scope)
        df = df.loc[~df["objective_id"].isin([o for o, n in counts.items() if n > 0])]
        return pd.DataFrame({
            "kind": "objectif", "axis_id": df["axis_id"],
            "axe": [axis_label(n, t, 60, p) for n, p, t in
                    zip(df["axis_number"], df["axis_position"], df["axis_title"])],
            "groupe": [_group_label(n, t) for n, t in zip(df["group_number"], df["group_title"])],
            "numero": "", "reference": df["reference"], "element": df["objective"]},
            columns=ANGLE_COLUMNS
        ).reset_index(drop=True)
    df = commitments_without_action(session, scope)
    return pd.DataFrame({"kind": "engagement", "axis_id": df["axis_id"], "axe": df["axe"],
                         "groupe": df["commune"], "numero": df["numero"],
                         "reference": df["reference"], "element": df["engagement"]},
                        columns=ANGLE_COLUMNS)


@stored_figure("scope")
def referential_tree(session: Session, scope: Scope) -> list[dict]:
    """Axis → group → objective, with `actions` at every node rolled up without double counts:
    an objective counts the counted actions linked to it; a group the distinct actions linked
    to any of its objectives; an axis every action serving it. The protocol's example actions
    come in `examples` (kind "exemple"), never counted as actions."""
    tid = scope.territory_id
    obj = _objective_frame(session, tid, scope.year)
    counts = objective_action_counts(session, scope)
    group_counts = dict(session.execute(on_counted(
        select(OperationalObjective.group_id, func.count(distinct(action_objective.c.action_id)))
        .select_from(action_objective)
        .join(OperationalObjective, OperationalObjective.id == action_objective.c.objective_id),
        action_objective.c.action_id, scope).group_by(OperationalObjective.group_id)).all())
    ax = axis_served(scope).subquery()
    axis_counts = dict(session.execute(select(ax.c.axis_id, func.count())
                                       .group_by(ax.c.axis_id)).all())
    examples: dict[int, list[str]] = {}
    for gid, body in session.execute(
            select(ExampleAction.group_id, ExampleAction.text)
            .join(ObjectiveGroup, ObjectiveGroup.id == ExampleAction.group_id)
            .join(StrategicObjective, StrategicObjective.id == ObjectiveGroup.strategic_objective_id)
            .join(Axis, Axis.id == StrategicObjective.axis_id)
            .where(Axis.territory_id == tid).order_by(ExampleAction.position)).all():
        examples.setdefault(gid, []).append(body)
    strategic = dict(session.execute(
        select(StrategicObjective.axis_id, StrategicObjective.text)
        .join(Axis, Axis.id == StrategicObjective.axis_id)
        .where(Axis.territory_id == tid, StrategicObjective.archived.is_(False))).all())
    tree = []
    for a in axis_labels(session, tid, scope.year).itertuples():
        node = {"axis_id": int(a.axis_id), "label": axis_label(a.number, a.title, 200, a.position),
                "strategic": strategic.get(a.axis_id), "actions": int(axis_counts.get(a.axis_id, 0)),
                "groups": []}
        for gid, g in obj[obj["axis_id"] == a.axis_id].groupby("group_id", sort=False):
            first = g.iloc[0]
            node["groups"].append({
                "group_id": int(gid), "label": _group_label(first.group_number, first.group_title),
                "actions": int(group_counts.get(gid, 0)),
                "objectives": [{"objective_id": int(o.objective_id), "label": o.objective,
                                "reference": o.reference,
                                "actions": counts.get(int(o.objective_id), 0)}
                               for o in g.itertuples()],
                "examples": [{"kind": "exemple", "label": t} for t in examples.get(gid, [])]})
        tree.append(node)
    return tree


def commune_commitments(session: Session, scope: Scope, commune_ids: list[int],
                        group_by: str = "axis") -> pd.DataFrame:
    """Commitments of the given communes with their counted actions, grouped by axis (or by
    pillar): commune_id, commune, axis_id, groupe, groupe_position, numero, reference,
    engagement, actions, titres."""
    frames = [commitments(session, Scope(scope.territory_id, scope.year, cid, scope.qpv_id))
              for cid in commune_ids]
    df = pd.concat(frames, ignore_index=True) if frames else commitments(session, scope).iloc[:0]
    if group_by == "pillar":
        pillars = dict(session.execute(
            select(Commitment.id, Pillar.name).join(Pillar, Pillar.id == Commitment.pillar_id)
            .where(Commitment.id.in_(df["commitment_id"].tolist()))).all())
        positions = dict(session.execute(select(Pillar.name, Pillar.position)).all())
        df["groupe"] = [pillars.get(c) or t for c, t in zip(df["commitment_id"], df["theme"])]
        df["groupe_position"] = [positions.get(g, 99) for g in df["groupe"]]
    else:
        positions = dict(session.execute(select(Axis.id, Axis.position)
                                         .where(Axis.territory_id == scope.territory_id)).all())
        df["groupe"] = df["axe"]
        df["groupe_position"] = [positions.get(a, 99) if a == a and a is not None else 99
                                 for a in df["axis_id"]]
    df = df.sort_values("groupe_position", kind="stable").reset_index(drop=True)
    return df[["commune_id", "commune", "axis_id", "groupe", "groupe_position", "numero",
               "reference", "engagement", "actions", "titres"]]


def commitment_counts(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Per commune (rows in `names` order) of a `commune_commitments` table: engagements,
    avec_action (commitments with at least one counted action), actions (links to them)."""
    out = (table.groupby("commune").agg(engagements=("engagement", "size"),
                                        avec_action=("actions", lambda s: int((s > 0).sum())),
                                        actions=("actions", "sum"))
           .reindex(names).fillna(0).astype(int))
    out.index.name = "Commune"
    return out


@stored_figure("territory")
def communes_with_commitments(session: Session, territory_id: int) -> list[int]:
    return list(session.scalars(select(Commitment.commune_id).distinct()
                                .where(Commitment.territory_id == territory_id)))
