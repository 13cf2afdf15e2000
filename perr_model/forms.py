"""What the editing pages read: the action form's choices and values, who may edit what, and
the accounts page's choices. The pages (`pages/saisie_action.py`, `pages/comptes.py`) call
these and lay out; they issue no query of their own.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from . import editing, served
from .auth import Actor, check_scope, require_admin
from .errors import PermissionDenied
from .schema import (
    Action, Axis, Commune, ObjectiveGroup, OperationalObjective, StrategicObjective, Territory,
)


def form_choices(session: Session, actor: Actor, territory_id: int) -> dict:
    """`editing.form_options` plus the operational objectives, each shown by its reference,
    and the engagements of the communes this actor may use: {"communes": {insee: name},
    "qpvs": {...}, "axes": {id: "Axe 2 – …"}, "objectives": {id: "2.1.3 – text"},
    "commitments": {"E-94017-1-3": "Champigny-sur-Marne · Axe 1 – … · n° 2 : text (E-…)"}}
    (in the referential's order)."""
    options = editing.form_options(session, actor, territory_id)
    # an archived objective (or one under an archived parent) stays listed, said so: an
    # action already linked to it keeps its link (referential_edit), nobody takes it unawares
    rows = session.execute(
        select(OperationalObjective, or_(OperationalObjective.archived, ObjectiveGroup.archived,
                                         StrategicObjective.archived, Axis.archived))
        .join(ObjectiveGroup).join(StrategicObjective).join(Axis)
        .where(Axis.territory_id == territory_id)
        .order_by(Axis.position, ObjectiveGroup.position, OperationalObjective.position)).all()
    options["objectives"] = {o.id: f"{served.objective_ref(o)} – {o.text}"[:110]
                             + (" (archivé)" if archived else "") for o, archived in rows}
    communes = session.scalars(select(Commune.id).where(
        Commune.insee_code.in_(list(options["communes"]) or ["-"]))).all()
    options["commitments"] = served.commitment_choices(session, territory_id, communes)
    return options


@dataclass(frozen=True)
class ActionChoice:
    id: int
    label: str
    archived: bool


def action_choices(session: Session, actor: Actor, territory_id: int) -> list[ActionChoice]:
    """The actions this actor may edit, with the label of the selector. An administrator's
    scope does not depend on an action's communes (`auth.check_fresh_scope`): their list is
    read as columns, once the territory is checked (20,000 actions as objects with their
    communes took 11 s per run of the form, twice per save: docs/performance.md)."""
    def label(reference, title, archived) -> str:  # noqa: ANN001
        return f"{reference} — {title}" + (" (archivée)" if archived else "")

    if actor is not None and actor.is_admin:
        from .auth import check_fresh_scope, fresh_actor, require_writer
        try:
            fresh = require_writer(fresh_actor(session, actor))
            if fresh.is_admin:
                check_fresh_scope(session, fresh, territory_id, set())
                return [ActionChoice(i, label(r, t, a), bool(a)) for i, r, t, a in session.execute(
                    select(Action.id, Action.reference, Action.title, Action.archived)
                    .where(Action.territory_id == territory_id)
                    .order_by(Action.archived, Action.title)).all()]
        except PermissionDenied:
            return []
    return [ActionChoice(a.id, label(a.reference, a.title, a.archived), bool(a.archived))
            for a in editing.editable_actions(session, actor, territory_id)]


def action_values(session: Session, actor: Actor, action_id: int) -> dict | None:
    """The form's values for one action (`editing.snapshot`), None when it does not exist or
    this actor may not edit it."""
    action = session.get(Action, action_id)
    if action is None or not may_edit(session, actor, action_id):
        return None
    return {**editing.snapshot(action), "id": action.id, "reference": action.reference,
            "title": action.title}


def may_edit(session: Session, actor: Actor | None, action_id: int) -> bool:
    """Whether `actor` may edit this action (the model's own scope rule)."""
    if actor is None or actor.role not in ("editor", "admin"):
        return False
    action = session.get(Action, action_id)
    if action is None:
        return False
    try:
        check_scope(session, actor, action.territory_id, {c.id for c in action.communes})
    except PermissionDenied:
        return False
    return True


def read_only_notice(session: Session, actor: Actor, territory_id: int) -> str | None:
    """For an editor: which communes they may edit, and how many of the territory's actions are
    read-only for them, and why. None for administrators (they may edit everything)."""
    if actor.is_admin:
        return None
    total = len(session.scalars(select(Action.id).where(
        Action.territory_id == territory_id)).all())
    mine = len(editing.editable_actions(session, actor, territory_id))
    names = sorted(session.scalars(select(Commune.name).where(
        Commune.territory_id == territory_id,
        Commune.id.in_(actor.commune_ids or {-1}))).all())
    where = ", ".join(names) if names else "aucune commune"
    text = f"Vous pouvez modifier les actions de : {where}."
    others = total - mine
    if others == 1:
        text += (" 1 autre action du territoire est en lecture seule pour vous : elle concerne "
                 "une autre commune (ou tout le territoire) et relève de son chef de projet ou "
                 "d'un administrateur. Elle reste consultable sur la page Actions.")
    elif others > 1:
        text += (f" Les {others} autres actions du territoire sont en lecture seule pour vous : "
                 "elles concernent au moins une autre commune (ou tout le territoire) et "
                 "relèvent de son chef de projet ou d'un administrateur. Elles restent "
                 "consultables sur la page Actions.")
    return text


def account_choices(session: Session, actor: Actor, territory_id: int) -> dict:
    """The accounts page's choices: the territory's communes {insee: name} and its slug."""
    require_admin(actor)
    communes = {c.insee_code: c.name for c in session.scalars(
        select(Commune).where(Commune.territory_id == territory_id).order_by(Commune.name))}
    slug = session.scalar(select(Territory.slug).where(
        Territory.id == (actor.territory_id or territory_id)))
    return {"communes": communes, "territory_slug": slug}
