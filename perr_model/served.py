"""What an action serves: the protocol's operational objectives and the communes' engagements
(table `commitment`), each by its stable reference — `vocabulary.objective_reference` ("2.1.3")
and `vocabulary.commitment_reference` ("E-94017-1-3") — the same on the action form, the
detail, the export and the import, the Engagements and Référentiel pages and every angles-morts
list (screen, COPIL PDF and XLSX).

An action may serve only engagements of its own communes (an engagement is a commune's
promise: an action elsewhere does not keep it), and an editor only those of their communes
(`auth.check_commitment_scope`, checked first so that the refusal names the right reason).
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from .auth import Actor, check_commitment_scope
from .errors import ValidationFailed
from .schema import (
    Axis, Commitment, Commune, ObjectiveGroup, OperationalObjective, StrategicObjective,
    action_commitment, action_objective,
)
from .vocabulary import axis_code, commitment_reference, objective_reference

_WRITTEN = re.compile(r"(?:E|ENGAGEMENT)[\s-]*([0-9A-Z]{5})[\s-]+(\d+)[\s-]+(\d+)", re.I)
FORMAT_HINT = "référence attendue comme E-94017-1-3, voir la page Engagements"


def objective_ref(o: OperationalObjective) -> str:
    g = o.group
    a = g.strategic_objective.axis
    return objective_reference(a.number or a.position, g.number or g.position, o.position)


def commitment_ref(c: Commitment) -> str:
    return commitment_reference(c.commune.insee_code, c.theme_position, c.position)


def commitment_label(c: Commitment) -> str:
    """'E-94017-1-3 · Champigny-sur-Marne · Axe 1 · Réussite éducative et prévention… · n° 2 :
    Poursuivre les actions…': the reference first (what the angles-morts lists show, and what
    stays visible when a list cuts the end), then where the protocol puts it: commune, axis,
    theme, number, text (theme and text shortened so that the whole fits a line of the form)."""
    axis = axis_code(c.axis.number, c.axis.position) if c.axis else None
    number = f"n° {c.number} : " if c.number is not None else ""
    parts = [commitment_ref(c), c.commune.name, axis, _short(c.theme, 45),
             number + _short(c.text, 70)]
    return " · ".join(p for p in parts if p)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def commitments_of(session: Session, territory_id: int | None,
                   commune_ids=None) -> list[Commitment]:  # noqa: ANN001
    """The territory's commitments (of `commune_ids` when given), by commune, axis, theme and
    place in the theme."""
    q = (select(Commitment).join(Commune, Commune.id == Commitment.commune_id)
         .outerjoin(Axis, Axis.id == Commitment.axis_id)
         .where(Commitment.territory_id == territory_id)
         .options(joinedload(Commitment.commune), joinedload(Commitment.axis))
         .order_by(Commune.name, Axis.position.is_(None), Axis.position,
                   Commitment.theme_position, Commitment.position))
    if commune_ids is not None:
        q = q.where(Commitment.commune_id.in_(set(commune_ids) or {-1}))
    return list(session.scalars(q))


def commitment_choices(session: Session, territory_id: int, commune_ids) -> dict[str, str]:  # noqa: ANN001
    """{reference: label} of the form's engagements, grouped by commune, axis and theme."""
    return {commitment_ref(c): commitment_label(c) + (" (archivé)" if c.archived else "")
            for c in commitments_of(session, territory_id, commune_ids)}


def canonical(text: str) -> str | None:
    """'e 94017 1 3', 'engagement 94017-1-3', 'E-94017-1-3' → 'E-94017-1-3'; None if unreadable."""
    m = _WRITTEN.fullmatch(str(text).strip())
    return commitment_reference(m.group(1).upper(), int(m.group(2)), int(m.group(3))
                                ) if m else None


def find_commitments(session: Session, territory_id: int | None,
                     items: list) -> tuple[list[Commitment], list[str]]:
    """The commitments named by `items` (Commitment rows, ids or references), and a French
    problem per item that names none of this territory's."""
    known = {commitment_ref(c): c for c in commitments_of(session, territory_id)}
    by_id = {c.id: c for c in known.values()}
    found, problems = [], []
    for item in items:
        if isinstance(item, Commitment):
            row = by_id.get(item.id)
        elif isinstance(item, int):
            row = by_id.get(item)
        else:
            row = known.get(canonical(item) or "")
        if row is None:
            problems.append(f"Engagement inconnu pour ce territoire : « {item} » "
                            f"({FORMAT_HINT}).")
        elif row not in found:
            found.append(row)
    return found, problems


def check_commitments(session: Session, actor: Actor, commitments: list[Commitment],
                      communes: list[Commune]) -> None:
    """PermissionDenied for an engagement outside the editor's communes, then
    ValidationFailed for one of a commune the action does not name."""
    check_commitment_scope(session, actor, commitments)
    ids = {c.id for c in communes}
    foreign = [c for c in commitments if c.commune_id not in ids]
    if foreign:
        why = ("Engagement d'une commune que l'action ne concerne pas : "
               + ", ".join(f"{commitment_ref(c)} ({c.commune.name})" for c in foreign)
               + ". Ajoutez cette commune à l'action, ou retirez l'engagement.")
        raise ValidationFailed("Saisie refusée : " + why, {"commitments": why})


def sorted_refs(commitments: list[Commitment]) -> list[str]:
    """References in the protocol's order (commune code, theme, place), not as text."""
    return [commitment_ref(c) for c in sorted(
        commitments, key=lambda c: (c.commune.insee_code, c.theme_position, c.position))]


# --- reading ---------------------------------------------------------------------------------

def served_lines(session: Session, action_id: int) -> list[str]:
    """What one action serves, for its detail: '2.1.3 – <objective>' then
    'E-94017-1-3 – Champigny-sur-Marne, n° 2 : <engagement>'."""
    objectives = session.scalars(
        select(OperationalObjective).join(
            action_objective, action_objective.c.objective_id == OperationalObjective.id)
        .join(ObjectiveGroup).join(StrategicObjective).join(Axis)
        .where(action_objective.c.action_id == action_id)
        .order_by(Axis.position, ObjectiveGroup.position, OperationalObjective.position)).all()
    commitments = session.scalars(
        select(Commitment).join(action_commitment,
                                action_commitment.c.commitment_id == Commitment.id)
        .where(action_commitment.c.action_id == action_id)
        .options(joinedload(Commitment.commune))).all()
    order = {ref: n for n, ref in enumerate(sorted_refs(list(commitments)))}
    lines = [f"{objective_ref(o)} – {o.text}" for o in objectives]
    for c in sorted(commitments, key=lambda c: order[commitment_ref(c)]):
        number = f"n° {c.number} : " if c.number is not None else ""
        lines.append(f"{commitment_ref(c)} – {c.commune.name}, {number}{c.text}")
    return lines


def references_by_action(session: Session, action_ids) -> dict[int, list[str]]:  # noqa: ANN001
    """{action id: its engagements' references, in the protocol's order} for `action_ids` (a
    list or a SELECT of ids)."""
    out: dict[int, list[str]] = {}
    for aid, insee, theme, pos in session.execute(
            select(action_commitment.c.action_id, Commune.insee_code,
                   Commitment.theme_position, Commitment.position)
            .join(Commitment, Commitment.id == action_commitment.c.commitment_id)
            .join(Commune, Commune.id == Commitment.commune_id)
            .where(action_commitment.c.action_id.in_(action_ids))
            .order_by(action_commitment.c.action_id, Commune.insee_code,
                      Commitment.theme_position, Commitment.position)):
        out.setdefault(aid, []).append(commitment_reference(insee, theme, pos))
    return out
