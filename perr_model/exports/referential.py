"""`export referential --format json`: every territory's referential, without personal data.

territory → axes → strategic objectives → groups → operational objectives / example actions;
territory → communes → commitments → actions under way. Shape documented in
docs/referential-format.md. Never exported: Signatory.person_name, Action.contact_*,
created_by / updated_by (personal data), archived actions.
"""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..schema import (
    Action, Axis, CiteEducative, Commitment, Commune, ContratDeVille, GovernanceBody,
    ObjectiveGroup, Pillar, Signatory, StrategicObjective, Territory, action_commitment,
)

FORMAT_VERSION = 1


def referential(session: Session) -> dict:
    """The whole referential as plain JSON-ready data."""
    pillars = {p.id: p.code for p in session.scalars(select(Pillar).order_by(Pillar.position))}
    out = {"format": "perr-referential", "version": FORMAT_VERSION,
           "pillars": [{"code": p.code, "name": p.name}
                       for p in session.scalars(select(Pillar).order_by(Pillar.position))],
           "territories": []}
    for t in session.scalars(select(Territory).order_by(Territory.slug)):
        out["territories"].append(_territory(session, t, pillars))
    return out


def _territory(session: Session, t: Territory, pillars: dict[int, str]) -> dict:
    axes = session.scalars(
        select(Axis).where(Axis.territory_id == t.id).order_by(Axis.position).options(
            selectinload(Axis.strategic_objectives).selectinload(StrategicObjective.groups)
            .selectinload(ObjectiveGroup.objectives),
            selectinload(Axis.strategic_objectives).selectinload(StrategicObjective.groups)
            .selectinload(ObjectiveGroup.examples))).all()
    axis_numbers = {a.id: a.number for a in axes}
    return {
        "slug": t.slug, "name": t.name, "kind": t.kind, "departments": t.departments,
        "protocol_title": t.protocol_title,
        "protocol_date": t.protocol_date.isoformat() if t.protocol_date else None,
        "signed_date": t.signed_date.isoformat() if t.signed_date else None,
        "period": t.period, "source": t.source, "axes_from_pillars": bool(t.axes_from_pillars),
        "is_synthetic": bool(t.is_synthetic),
        "axes": [_axis(a, pillars) for a in axes],
        "communes": _communes(session, t, pillars, axis_numbers),
        "governance_bodies": [
            {"position": g.position, "name": g.name, "description": g.description}
            for g in session.scalars(select(GovernanceBody).where(
                GovernanceBody.territory_id == t.id).order_by(GovernanceBody.position))],
        "signatories": _signatories(session, t),
        "cites_educatives": _cites(session, t),
    }


def _axis(a: Axis, pillars: dict[int, str]) -> dict:
    return {
        "id": a.id, "number": a.number, "position": a.position, "title": a.title,
        "short_title": a.short_title, "pillar": pillars.get(a.pillar_id),
        "archived": bool(a.archived),
        "strategic_objectives": [{
            "id": so.id, "position": so.position, "text": so.text,
            "pillar": pillars.get(so.pillar_id), "archived": bool(so.archived),
            "groups": [{
                "id": g.id, "number": g.number, "position": g.position, "title": g.title,
                "pillar": pillars.get(g.pillar_id), "archived": bool(g.archived),
                "operational_objectives": [
                    {"id": o.id, "position": o.position, "text": o.text,
                     "pillar": pillars.get(o.pillar_id), "archived": bool(o.archived)}
                    for o in g.objectives],
                "example_actions": [
                    {"id": e.id, "position": e.position, "text": e.text,
                     "pillar": pillars.get(e.pillar_id)}
                    for e in g.examples],
            } for g in so.groups],
        } for so in a.strategic_objectives],
    }


def _communes(session: Session, t: Territory, pillars: dict[int, str],
              axis_numbers: dict[int, int | None]) -> list[dict]:
    communes = session.scalars(select(Commune).where(Commune.territory_id == t.id)
                               .order_by(Commune.insee_code)).all()
    cvs = {c.id: c.code for c in session.scalars(select(ContratDeVille))}
    commitments = session.scalars(
        select(Commitment).where(Commitment.territory_id == t.id)
        .order_by(Commitment.theme_position, Commitment.position)
        .options(selectinload(Commitment.qpvs))).all()
    actions: dict[int, list[Action]] = {}
    rows = session.execute(
        select(action_commitment.c.commitment_id, Action)
        .join(Action, Action.id == action_commitment.c.action_id)
        .where(Action.archived.is_(False), Action.territory_id == t.id)
        .order_by(Action.reference).options(selectinload(Action.qpvs))).all()
    for commitment_id, action in rows:
        actions.setdefault(commitment_id, []).append(action)
    out = []
    for commune in communes:
        own = [c for c in commitments if c.commune_id == commune.id]
        out.append({
            "insee_code": commune.insee_code, "name": commune.name,
            "contrat_de_ville": cvs.get(commune.contrat_de_ville_id),
            "commitments": [_commitment(c, pillars, axis_numbers, actions.get(c.id, []))
                            for c in own]})
    return out


def _commitment(c: Commitment, pillars, axis_numbers, actions: list[Action]) -> dict:
    return {
        "id": c.id, "theme": c.theme, "theme_position": c.theme_position,
        "sub_theme": c.sub_theme, "number": c.number, "position": c.position, "text": c.text,
        "detail": c.detail, "figures": json.loads(c.figures) if c.figures else [],
        "axis_number": axis_numbers.get(c.axis_id), "pillar": pillars.get(c.pillar_id),
        "quartiers": sorted(q.name for q in c.qpvs), "archived": bool(c.archived),
        "note": c.note,
        "actions": [_action(a) for a in actions],
    }


def _action(a: Action) -> dict:
    # Personal fields (contact_*, created_by, updated_by) are deliberately absent.
    return {
        "id": a.id, "reference": a.reference, "title": a.title, "description": a.description,
        "status": a.status, "origin": a.origin, "year_start": a.year_start,
        "year_end": a.year_end, "holder_name": a.holder_name,
        "figures": json.loads(a.figures) if a.figures else [],
        "quartiers": sorted(q.name for q in a.qpvs), "is_synthetic": bool(a.is_synthetic),
    }


def _signatories(session: Session, t: Territory) -> list[dict]:
    communes = {c.id: c.insee_code for c in session.scalars(select(Commune))}
    # person_name is personal data: only the role is exported.
    return [{"position": s.position, "role": s.role, "commune": communes.get(s.commune_id)}
            for s in session.scalars(select(Signatory).where(Signatory.territory_id == t.id)
                                     .order_by(Signatory.position))]


def _cites(session: Session, t: Territory) -> list[dict]:
    out = []
    for cite in session.scalars(select(CiteEducative).where(CiteEducative.territory_id == t.id)
                                .order_by(CiteEducative.id)):
        tops = [o for o in cite.objectives if o.parent_id is None]
        out.append({
            "name": cite.name, "commune": cite.commune_id and session.get(
                Commune, cite.commune_id).insee_code,
            "quartier": cite.qpv_id and _qpv_name(session, cite.qpv_id), "intro": cite.intro,
            "objectives": [{
                "number": o.number, "position": o.position, "text": o.text,
                "children": [{"number": ch.number, "position": ch.position, "text": ch.text}
                             for ch in cite.objectives if ch.parent_id == o.id]}
                for o in tops]})
    return out


def _qpv_name(session: Session, qpv_id: int) -> str:
    from ..schema import Qpv
    return session.get(Qpv, qpv_id).name
