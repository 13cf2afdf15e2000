"""Planned vs achieved, from the actions: beneficiaries, amounts and progress by status.

Uses the dashboard's definitions (`perr_model.figures.definitions`): an action is *counted*
when it is live (not archived, running in the year); it *serves an axis* as `axis_served` says;
it *reaches a commune* as `commune_reached` says; a quartier through `action_qpv`; an
operational objective through `action_objective`. Amounts are the action's funding lines (of
the year, when a year is chosen), as `action_amounts` sums them.

An empty "bénéficiaires réalisés" is *not reported*, never zero: each sum comes with the number
of actions that report it. Likewise a requested amount nobody entered is « non renseigné », and
requested and granted are compared only on the funding lines where both are known, saying on
how many (the rule of `figures.summary.comparison_words`).

Status → progress: en projet 0, programmée 10, en cours 50, terminée 100, from the statuses
somebody gave only (`Action.status_reported`: the protocol's actions are « en cours » by
default, « statut non renseigné »), saying on how many actions; abandoned actions are left out
of the progress (and counted apart). The database holds no "montant dépensé" yet: the figures
say so instead of showing zero.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from ..figures import definitions as d
from ..figures.places import action_years
from ..figures.registry import stored_figure
from ..figures.scope import Scope
from ..schema import (
    Action, Axis, Commune, ObjectiveGroup, OperationalObjective, Qpv, StrategicObjective,
    action_commune_reached, action_objective, action_qpv, qpv_commune,
)
from ..vocabulary import STATUS_PROGRESS  # the one table of statuses

WEIGHTS = {None: "chaque action compte pour un", "montant": "pondéré par le montant accordé",
           "beneficiaires": "pondéré par les bénéficiaires prévus"}
GROUPS = ("total", "axe", "objectif", "commune", "quartier")
COLUMNS = ["group_id", "label", "actions", "planned", "planned_reported", "achieved",
           "achieved_reported", "achieved_share", "requested", "granted", "funded_actions",
           "lines", "requested_lines", "compared_lines", "requested_compared",
           "granted_compared", "progress", "progress_actions", "status_reported", "abandoned"]
STATUS_NOTE = ("Avancement d'après le statut : en projet 0 %, programmée 10 %, en cours 50 %, "
               "terminée 100 % ; seuls comptent les statuts renseignés par une personne (les "
               "actions citées par le protocole, « en cours » par défaut, sont au statut non "
               "renseigné tant que personne ne l'a donné) ; les actions abandonnées sont "
               "exclues.")
SPENT_NOTE = ("Montants dépensés : non suivis par le tableau de bord (seuls les montants "
              "demandés et accordés sont enregistrés).")


def _links(territory_id: int, year: int | None, by: str):
    """SELECT (group_id, action_id) pairs for the grouping `by` (counted actions only)."""
    if by == "axe":
        return d.axis_served(Scope(territory_id, year))
    if by == "commune":
        return d.commune_reached(Scope(territory_id, year))
    if by == "quartier":
        return select(action_qpv.c.qpv_id, action_qpv.c.action_id)
    if by == "objectif":
        return select(action_objective.c.objective_id, action_objective.c.action_id)
    return select(literal(0).label("group_id"), Action.id.label("action_id")).where(
        *d.counted(Scope(territory_id, year)))


@stored_figure("territory_year", (), ("axe",))  # ("axe",): Évaluation's default grouping
def planned_vs_achieved(session: Session, territory_id: int, year: int | None = None,
                        by: str = "total", commune_id: int | None = None,
                        qpv_id: int | None = None, weight: str | None = None) -> pd.DataFrame:
    """One row per axis / operational objective / commune / quartier (or one row, "total") with
    the counted actions, beneficiaries planned and achieved (sums and how many actions report
    each), amounts requested and granted, and the progress (0–100) from the statuses, weighted
    by `weight` (None, "montant" or "beneficiaires"). `commune_id` / `qpv_id` restrict to the
    actions reaching that commune / targeting that quartier."""
    if by not in GROUPS or weight not in WEIGHTS:
        raise ValueError(by)
    links = _links(territory_id, year, by).subquery()
    gid, aid = links.c[0], links.c[1]
    amounts = d.action_amounts(Scope(territory_id, year))
    progress = case(*[(Action.status == k, v) for k, v in STATUS_PROGRESS.items()], else_=None)
    live = Action.status != "abandonnee"
    reported = and_(live, Action.status_reported.is_(True))  # a status somebody gave
    w = {None: literal(1.0), "montant": func.coalesce(amounts.c.amount, 0),
         "beneficiaries": None, "beneficiaires": func.coalesce(Action.beneficiaries_planned, 0)
         }[weight]
    q = (select(gid, func.count(),
                func.sum(Action.beneficiaries_planned), func.count(Action.beneficiaries_planned),
                func.sum(Action.beneficiaries_achieved), func.count(Action.beneficiaries_achieved),
                func.sum(amounts.c.requested), func.sum(amounts.c.amount),
                func.count(amounts.c.action_id),
                func.sum(amounts.c.lines), func.sum(amounts.c.requested_lines),
                func.sum(amounts.c.compared_lines), func.sum(amounts.c.requested_compared),
                func.sum(amounts.c.approved_compared),
                func.sum(case((reported, progress * w), else_=None)),
                func.sum(case((reported, w), else_=None)),
                func.sum(case((reported, 1), else_=0)),
                func.sum(case((live, 1), else_=0)),
                func.sum(case((live, 0), else_=1)))
         .select_from(links).join(Action, Action.id == aid)
         .outerjoin(amounts, amounts.c.action_id == Action.id)
         .where(*d.counted(Scope(territory_id, year))).group_by(gid))
    if commune_id is not None:
        reached = action_commune_reached
        q = q.where(Action.id.in_(select(reached.c.action_id).where(
            reached.c.commune_id == commune_id)))
    if qpv_id is not None:
        q = q.where(Action.id.in_(select(action_qpv.c.action_id).where(
            action_qpv.c.qpv_id == qpv_id)))
    rows = []
    for (g, n, pl, pl_n, ach, ach_n, req, gra, funded, lines, req_n, both_n, req_both, gra_both,
         pw, ws, n_reported, n_live, n_ab) in session.execute(q):
        rows.append({
            "group_id": int(g), "actions": int(n),
            "planned": int(pl) if pl_n else None, "planned_reported": int(pl_n),
            "achieved": int(ach) if ach_n else None, "achieved_reported": int(ach_n),
            "achieved_share": ach_n / n if n else None,
            "requested": float(req) if req is not None and req_n else None,
            "granted": float(gra) if gra is not None else None, "funded_actions": int(funded),
            "lines": int(lines or 0), "requested_lines": int(req_n or 0),
            "compared_lines": int(both_n or 0),
            "requested_compared": float(req_both) if both_n else None,
            "granted_compared": float(gra_both) if both_n else None,
            "progress": float(pw) / float(ws) if ws else None,
            "progress_actions": int(n_live or 0), "status_reported": int(n_reported or 0),
            "abandoned": int(n_ab or 0)})
    df = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "label"])
    labels = _labels(session, territory_id, by, list(df["group_id"]))
    df.insert(1, "label", [labels.get(g, "") for g in df["group_id"]])
    if by in ("quartier", "objectif"):  # link tables not restricted to the territory
        df = df[df["group_id"].isin(labels)]
    df = df.astype(object).where(df.notna(), None)  # "non renseigné" stays None, never NaN
    return df.sort_values("label", key=lambda s: s.map(_order(labels))).reset_index(drop=True)


def _order(labels: dict):
    order = {label: i for i, label in enumerate(labels.values())}
    return lambda v: order.get(v, len(order))


def _labels(session: Session, territory_id: int, by: str, ids: list[int]) -> dict[int, str]:
    if by == "axe":
        return {a.id: f"Axe {a.number or a.position} – {a.short_title or a.title}"
                for a in session.scalars(select(Axis).where(Axis.territory_id == territory_id)
                                         .order_by(Axis.position))}
    if by == "commune":
        return {c.id: c.name for c in session.scalars(select(Commune).where(
            Commune.territory_id == territory_id).order_by(Commune.name))}
    if by == "quartier":
        return {q.id: q.name for q in session.scalars(
            select(Qpv).where(Qpv.id.in_(select(qpv_commune.c.qpv_id).join(
                Commune, Commune.id == qpv_commune.c.commune_id)
                .where(Commune.territory_id == territory_id)))
            .order_by(Qpv.name))}
    if by == "objectif":
        out = {}
        for o, g, a in session.execute(
                select(OperationalObjective, ObjectiveGroup, Axis)
                .join(ObjectiveGroup, ObjectiveGroup.id == OperationalObjective.group_id)
                .join(StrategicObjective,
                      StrategicObjective.id == ObjectiveGroup.strategic_objective_id)
                .join(Axis, Axis.id == StrategicObjective.axis_id)
                .where(Axis.territory_id == territory_id)
                .order_by(Axis.position, ObjectiveGroup.position, OperationalObjective.position)):
            out[o.id] = f"{a.number or a.position}.{g.number or g.position}.{o.position} {o.text}"
        return out
    return {0: "Ensemble des actions"}


@stored_figure("territory")
def by_year(session: Session, territory_id: int, commune_id: int | None = None,
            qpv_id: int | None = None, weight: str | None = None) -> pd.DataFrame:
    """The "total" row for each year in which actions run (figures.places.action_years)."""
    frames = []
    for y in sorted(action_years(session, territory_id)):
        row = planned_vs_achieved(session, territory_id, y, "total", commune_id, qpv_id, weight)
        if len(row):
            frames.append(row.assign(year=y))
    if not frames:
        return pd.DataFrame(columns=["year"] + COLUMNS)
    return pd.concat(frames, ignore_index=True)


def words(row: dict) -> list[str]:
    """The row as plain French sentences (the page and the COPIL document)."""
    from ..vocabulary import euros as fr_euros, number as fr_number
    n = row["actions"]
    out = [f"{fr_number(n)} action(s) comptée(s)."]
    if row["planned_reported"]:
        out.append(f"Bénéficiaires prévus : {fr_number(row['planned'])} "
                   f"({row['planned_reported']} action(s) sur {n} renseignée(s)).")
    else:
        out.append("Bénéficiaires prévus : non renseignés.")
    if row["achieved_reported"]:
        out.append(f"Bénéficiaires réalisés : {fr_number(row['achieved'])} "
                   f"({row['achieved_reported']} action(s) sur {n} renseignée(s), "
                   f"{row['achieved_share']:.0%})".replace("%", " %") + ".")
    else:
        out.append("Bénéficiaires réalisés : non renseignés (ce n'est pas zéro).")
    if row["funded_actions"]:
        lines = row["lines"]
        out.append(f"Montants accordés : {fr_euros(row['granted'])} "
                   f"({row['funded_actions']} action(s) financée(s), "
                   f"{fr_number(lines)} ligne(s) de financement).")
        if not row["requested_lines"]:
            out.append(f"Montants demandés : non renseignés sur les {fr_number(lines)} "
                       "ligne(s) ; demandé et accordé ne peuvent pas être comparés.")
        else:
            out.append(f"Montants demandés : {fr_euros(row['requested'])} "
                       f"(renseignés sur {fr_number(row['requested_lines'])} ligne(s) sur "
                       f"{fr_number(lines)}).")
        if row["requested_lines"] and not row["compared_lines"]:
            out.append("Demandé et accordé : aucune ligne ne renseigne les deux, pas de "
                       "comparaison.")
        elif row["requested_lines"]:
            out.append(f"Demandé et accordé comparés sur {fr_number(row['compared_lines'])} "
                       f"ligne(s) sur {fr_number(lines)}, celles où les deux sont renseignés : "
                       f"demandés {fr_euros(row['requested_compared'])}, accordés "
                       f"{fr_euros(row['granted_compared'])}.")
    else:
        out.append("Aucun financement enregistré pour ces actions.")
    live, reported = row["progress_actions"], row["status_reported"]
    left = live - reported
    abandoned = (f" ; {row['abandoned']} abandonnée(s) exclue(s)" if row["abandoned"] else "")
    if row["progress"] is not None:
        out.append(f"Avancement : {fr_number(round(row['progress']))} % d'après les statuts de "
                   f"{fr_number(reported)} action(s) sur {fr_number(live)}"
                   + (f" (statut non renseigné pour {fr_number(left)}, laissées de côté)"
                      if left else "") + abandoned + ".")
    elif live and not reported:
        out.append(f"Avancement : non calculé, statut non renseigné pour les {fr_number(live)} "
                   "action(s)" + abandoned + ".")
    elif live:
        out.append(f"Avancement : non calculé, aucun poids (montant ou bénéficiaires) pour les "
                   f"{fr_number(reported)} action(s) au statut renseigné" + abandoned + ".")
    return out
