"""A territory's referential stays editable after it is loaded (issue 25, item 3): add, rename,
renumber, archive (and bring back) its axes, strategic objectives, rubriques (the numbered
headings that hold operational objectives), operational objectives and commune engagements;
history of every change and restore of a previous version.

Rules:
- only an administrator of the territory writes (`auth.require_admin`, `check_fresh_scope`),
  the account read again in the transaction;
- nothing is deleted: archiving sets `archived` (0013_referential_edit). Links of actions to an
  item (action_axis, action_objective, action_commitment) are never touched, so an archived
  item keeps them and bringing it back finds them; renumbering changes the number, never the
  id, so every link survives. An archived item, or one under an archived parent, leaves the
  referential's counts (figures.definitions.live_objective, coverage.live_axes,
  coverage.scope_commitments): it is no angle mort and in no total;
- a number is unique among an item's siblings (axes of the territory, strategic objectives of
  an axis, rubriques of an axis — the middle of the reference "2.1.3" —, objectives of a
  rubrique, engagements of a commune's theme): `ValidationFailed` in French otherwise;
- optimistic locking: the editor passes the item's state it read (`state()`); the UPDATE is
  conditional on those values, so of two administrators who opened the same state only the
  first one saves, the second gets `ConcurrentEdit` saying what changed;
- every change goes to the audit log (history.record) with the state after it, which
  `restore_version` puts back.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from . import history, limits
from .auth import Actor, check_fresh_scope, fresh_actor, require_admin
from .errors import ConcurrentEdit, ValidationFailed
from .schema import (
    Axis, Commitment, Commune, ObjectiveGroup, OperationalObjective, StrategicObjective,
)
from .textnorm import CONTROL


@dataclass(frozen=True)
class Kind:
    key: str          # the audit log's entity
    model: type
    label: str        # French, capitalised
    text: str         # column of its text
    number: str       # column of its number
    feminine: bool = False


KINDS = {k.key: k for k in (
    Kind("axis", Axis, "Axe", "title", "number"),
    Kind("strategic_objective", StrategicObjective, "Objectif stratégique", "text", "position"),
    Kind("objective_group", ObjectiveGroup, "Rubrique", "title", "number", feminine=True),
    Kind("operational_objective", OperationalObjective, "Objectif opérationnel", "text",
         "position"),
    Kind("commitment", Commitment, "Engagement", "text", "number"),
)}
PARENT_KIND = {"strategic_objective": "axis", "objective_group": "strategic_objective",
               "operational_objective": "objective_group"}
NUMBER_MAX = 999
FIELD_WORDS = {"text": "Texte", "number": "Numéro", "archived": "Archivé"}


def kind_of(key: str) -> Kind:
    if key not in KINDS:
        raise ValidationFailed("Élément du référentiel inconnu.")
    return KINDS[key]


# --- reading ---------------------------------------------------------------------------------

def _get(session: Session, kind: Kind, item_id: int):  # noqa: ANN202
    row = session.get(kind.model, item_id)
    if row is None:
        raise ValidationFailed(f"{kind.label} introuvable : rechargez la page.")
    return row


def _axis_of(row):  # noqa: ANN001, ANN202
    if isinstance(row, Axis):
        return row
    if isinstance(row, StrategicObjective):
        return row.axis
    if isinstance(row, ObjectiveGroup):
        return row.strategic_objective.axis
    if isinstance(row, OperationalObjective):
        return row.group.strategic_objective.axis
    return None


def territory_of(row) -> int:  # noqa: ANN001
    return row.territory_id if isinstance(row, Commitment) else _axis_of(row).territory_id


def state(row) -> dict:  # noqa: ANN001
    """What an editor reads of an item, and what the audit log keeps after each change."""
    kind = next(k for k in KINDS.values() if isinstance(row, k.model))
    return {"text": getattr(row, kind.text), "number": getattr(row, kind.number),
            "archived": bool(row.archived)}


def _parents(row) -> list:  # noqa: ANN001
    """The item's parents, nearest first (an engagement has none of the referential's)."""
    out = []
    while True:
        row = {StrategicObjective: lambda r: r.axis, ObjectiveGroup: lambda r: r.strategic_objective,
               OperationalObjective: lambda r: r.group}.get(type(row), lambda r: None)(row)
        if row is None:
            return out
        out.append(row)


def archived_by_parent(row) -> bool:  # noqa: ANN001
    return any(p.archived for p in _parents(row))


def reference(row) -> str:  # noqa: ANN001
    """« Axe 2 », « Objectif stratégique 2.1 », « Rubrique 2.3 », « Objectif 2.3.1 »,
    « Engagement E-94017-1-3 »: the numbers the referential shows."""
    from .vocabulary import axis_code, commitment_reference, objective_reference
    if isinstance(row, Axis):
        return axis_code(row.number, row.position)
    if isinstance(row, Commitment):
        return "Engagement " + commitment_reference(row.commune.insee_code, row.theme_position,
                                                    row.position)
    axis = _axis_of(row)
    a = axis.number or axis.position
    if isinstance(row, StrategicObjective):
        return f"Objectif stratégique {a}.{row.position}"
    if isinstance(row, ObjectiveGroup):
        return f"Rubrique {a}.{row.number or row.position}"
    g = row.group
    return "Objectif " + objective_reference(a, g.number or g.position, row.position)


def reference_of(session: Session, kind_key: str, item_id: int) -> str:
    """The item's reference as it is now (after a renumbering, the new one)."""
    return reference(_get(session, kind_of(kind_key), item_id))


def items(session: Session, territory_id: int) -> list[dict]:
    """Every item of the territory's referential in the protocol's order, archived ones
    included: kind, id, label (French, one line), text, number, archived (its own flag),
    parent_archived, state (for `expected`), commune (engagements)."""
    out: list[dict] = []

    def add(row, depth: int, commune: str | None = None) -> None:  # noqa: ANN001
        kind = next(k for k in KINDS.values() if isinstance(row, k.model))
        ref = reference(row)
        off = row.archived or archived_by_parent(row)
        out.append({"kind": kind.key, "id": row.id, "depth": depth, "reference": ref,
                    "label": ("    " * depth) + f"{ref} – {_short(state(row)['text'])}"
                    + (" (archivé)" if off else ""),
                    "text": state(row)["text"], "number": state(row)["number"],
                    "archived": bool(row.archived), "parent_archived": archived_by_parent(row),
                    "state": state(row), "commune": commune})
    for axis in session.scalars(select(Axis).where(Axis.territory_id == territory_id)
                                .order_by(Axis.position)):
        add(axis, 0)
        for so in axis.strategic_objectives:
            add(so, 1)
            for group in so.groups:
                add(group, 2)
                for objective in group.objectives:
                    add(objective, 3)
    for c in session.scalars(select(Commitment).join(Commune).where(
            Commitment.territory_id == territory_id)
            .order_by(Commune.name, Commitment.theme_position, Commitment.position)):
        add(c, 0, c.commune.name)
    return out


def _short(text: str | None, width: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


# --- checks ----------------------------------------------------------------------------------

def check_admin(session: Session, actor: Actor, territory_id: int) -> Actor:
    """An administrator of `territory_id` (or of every territory), read again."""
    fresh = require_admin(fresh_actor(session, actor))
    check_fresh_scope(session, fresh, territory_id, set())
    return fresh


def clean_text(kind: Kind, value, problems: dict) -> str | None:  # noqa: ANN001
    text = "" if value is None else str(value)
    if CONTROL.search(text):
        problems["text"] = ("Texte : caractère invisible interdit (caractère de contrôle, par "
                            "exemple un octet nul) ; retapez-le.")
        return None
    text = " ".join(text.split())
    if not text:
        problems["text"] = "Le texte est obligatoire."
        return None
    why = limits.too_long(kind.model.__table__.c[kind.text], text, "Texte")
    if why:
        problems["text"] = why
    return text


def clean_number(value, problems: dict, *, required: bool) -> int | None:  # noqa: ANN001
    if value is None or str(value).strip() == "":
        if required:
            problems["number"] = "Le numéro est obligatoire."
        return None
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not text.isdigit() or not 1 <= int(text) <= NUMBER_MAX:
        problems["number"] = f"Numéro « {text} » : un nombre entier de 1 à {NUMBER_MAX} attendu."
        return None
    return int(text)


def _siblings(session: Session, row) -> list:  # noqa: ANN001
    """The items a number must differ from (the row itself excluded when it has an id)."""
    if isinstance(row, Axis):
        q = select(Axis).where(Axis.territory_id == row.territory_id)
    elif isinstance(row, StrategicObjective):
        q = select(StrategicObjective).where(StrategicObjective.axis_id == row.axis_id)
    elif isinstance(row, ObjectiveGroup):  # unique within the axis: "2.1.3" names one objective
        axis_id = session.get(StrategicObjective, row.strategic_objective_id).axis_id
        q = (select(ObjectiveGroup).join(StrategicObjective)
             .where(StrategicObjective.axis_id == axis_id))
    elif isinstance(row, OperationalObjective):
        q = select(OperationalObjective).where(OperationalObjective.group_id == row.group_id)
    else:
        q = select(Commitment).where(Commitment.commune_id == row.commune_id,
                                     Commitment.theme_position == row.theme_position)
    return [r for r in session.scalars(q) if r.id != row.id]


def _check_number_free(session: Session, kind: Kind, row, number: int | None,  # noqa: ANN001
                       problems: dict) -> None:
    if number is None or "number" in problems:
        return
    for other in _siblings(session, row):
        mine = getattr(other, kind.number)
        if kind.key == "objective_group" and mine is None:
            mine = other.position
        if mine == number:
            problems["number"] = (f"Numéro {number} déjà pris par « {_short(state(other)['text'], 60)} »"
                                  " : renumérotez d'abord celui-ci.")
            return


def _refuse(problems: dict, what: str = "Modification refusée") -> None:
    if problems:
        raise ValidationFailed(f"{what} : " + " ".join(problems.values()), problems)


# --- writing ---------------------------------------------------------------------------------

def _check_unchanged(session: Session, kind: Kind, row, expected: dict | None) -> None:  # noqa: ANN001
    if expected is None:
        return
    current = state(row)
    changed = {k: [expected.get(k), current[k]] for k in current if expected.get(k) != current[k]}
    if changed:
        last = history.entries(session, kind.key, row.id)[-1:]
        who = f" par {last[0].username}" if last and last[0].username else ""
        raise ConcurrentEdit(
            f"Cet élément a été modifié{who} depuis que vous l'avez ouvert : rien n'a été "
            f"écrasé. Modifications faites entre-temps : {changes_text(changed)}. Rechargez "
            "la page puis refaites vos changements.", changed)


def _keep_origin(session: Session, kind: Kind, row) -> None:  # noqa: ANN001
    """Before the first change of an item loaded with its referential (no history yet), its
    state as loaded goes to the history, so that it can be restored too."""
    if not history.entries(session, kind.key, row.id):
        history.record(session, None, "import", kind.key, row.id,
                       f"{reference(row)} : état chargé avec le référentiel", None, state(row))


def _conditional_update(session: Session, kind: Kind, row, before: dict, values: dict) -> None:  # noqa: ANN001
    """UPDATE … WHERE the columns still hold what was read: 0 rows means another transaction
    changed the item in between."""
    _keep_origin(session, kind, row)
    model = kind.model
    cols = {"text": getattr(model, kind.text), "number": getattr(model, kind.number),
            "archived": model.archived}
    where = [model.id == row.id] + [cols[k].is_(None) if v is None else cols[k] == v
                                    for k, v in before.items()]
    done = session.execute(update(model).where(*where).values(
        {cols[k].key: v for k, v in values.items()}).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise ConcurrentEdit("Cet élément vient d'être modifié par quelqu'un d'autre : rien "
                             "n'a été écrasé. Rechargez la page.")
    session.expire(row)


def update_item(session: Session, actor: Actor, kind_key: str, item_id: int, data: dict, *,
                expected: dict | None, operation: str = "update") -> dict:
    """Rename (`data["text"]`) and/or renumber (`data["number"]`) an item. Returns the changes
    ({field: [old, new]}, empty when nothing changed: nothing is written)."""
    kind = kind_of(kind_key)
    row = _get(session, kind, item_id)
    check_admin(session, actor, territory_of(row))
    problems: dict = {}
    values = {}
    if "text" in data:
        values["text"] = clean_text(kind, data["text"], problems)
    if "number" in data:
        values["number"] = clean_number(data["number"], problems,
                                        required=kind.number == "position")
        _check_number_free(session, kind, row, values["number"], problems)
    _refuse(problems)
    _check_unchanged(session, kind, row, expected)
    before = state(row)
    values = {k: v for k, v in values.items() if v != before[k]}
    if not values:
        return {}
    _conditional_update(session, kind, row, before, values)
    after = state(row)
    changes = {k: [before[k], after[k]] for k in values}
    what = "renommé" if "text" in values else "renuméroté"
    history.record(session, actor, operation, kind.key, row.id,
                   f"{reference(row)} {_agree(kind, what)}" if operation != "restore"
                   else f"{reference(row)} : version précédente rétablie", changes, after)
    return changes


def _agree(kind: Kind, word: str) -> str:
    return word + ("e" if kind.feminine else "")


def set_item_archived(session: Session, actor: Actor, kind_key: str, item_id: int,
                      archived: bool, *, expected: dict | None,
                      operation: str | None = None) -> bool:
    """Archive (or bring back) an item; its links and its children are kept (a child of an
    archived item counts as archived). False when it already was in that state."""
    kind = kind_of(kind_key)
    row = _get(session, kind, item_id)
    check_admin(session, actor, territory_of(row))
    _check_unchanged(session, kind, row, expected)
    before = state(row)
    if before["archived"] == archived:
        return False
    _conditional_update(session, kind, row, before, {"archived": archived})
    history.record(session, actor, operation or ("archive" if archived else "unarchive"),
                   kind.key, row.id,
                   f"{reference(row)} {_agree(kind, 'archivé' if archived else 'désarchivé')}",
                   {"archived": [not archived, archived]}, state(row))
    return True


def add_item(session: Session, actor: Actor, territory_id: int, kind_key: str, data: dict):  # noqa: ANN201
    """A new item: `data` has text, number (optional but for objectives, where it is the
    position), parent_id (strategic objectives, rubriques, objectives), and for an engagement
    commune_id, theme (an existing theme of the commune or a new one), axis_id (optional)."""
    kind = kind_of(kind_key)
    check_admin(session, actor, territory_id)
    problems: dict = {}
    text = clean_text(kind, data.get("text"), problems)
    number = clean_number(data.get("number"), problems, required=False)
    row = _new_row(session, kind, territory_id, data, problems)
    if row is not None and "number" not in problems:
        if number is None:
            number = _next_number(session, kind, row)
        _check_number_free(session, kind, row, number, problems)
    _refuse(problems, "Ajout refusé")
    setattr(row, kind.text, text)
    setattr(row, kind.number, number)
    row.archived = False
    session.add(row)
    session.flush()
    history.record(session, actor, "create", kind.key, row.id,
                   f"{reference(row)} {_agree(kind, 'ajouté')}",
                   {"text": [None, text], "number": [None, number]}, state(row))
    return row


def _new_row(session: Session, kind: Kind, territory_id: int, data: dict, problems: dict):  # noqa: ANN202
    parent_id = data.get("parent_id")
    if kind.key == "axis":
        top = session.scalar(select(func.max(Axis.position))
                             .where(Axis.territory_id == territory_id)) or 0
        return Axis(territory_id=territory_id, position=top + 1)
    if kind.key == "commitment":
        commune = session.get(Commune, data.get("commune_id") or -1)
        if commune is None or commune.territory_id != territory_id:
            problems["commune"] = "Choisissez une commune du territoire."
            return None
        theme = " ".join(str(data.get("theme") or "").split())
        if not theme or CONTROL.search(theme):
            problems["theme"] = "Le thème est obligatoire (sans caractère invisible)."
            return None
        themes = dict(session.execute(select(Commitment.theme, Commitment.theme_position)
                                      .where(Commitment.commune_id == commune.id)).all())
        theme_position = themes.get(theme) or max(themes.values(), default=0) + 1
        top = session.scalar(select(func.max(Commitment.position)).where(
            Commitment.commune_id == commune.id,
            Commitment.theme_position == theme_position)) or 0
        axis_id = data.get("axis_id")
        if axis_id is not None:
            axis = session.get(Axis, axis_id)
            if axis is None or axis.territory_id != territory_id:
                problems["axis"] = "Axe inconnu pour ce territoire."
                return None
        return Commitment(territory_id=territory_id, commune_id=commune.id, theme=theme,
                          theme_position=theme_position, position=top + 1, axis_id=axis_id)
    parent_kind = KINDS[PARENT_KIND[kind.key]]
    parent = session.get(parent_kind.model, parent_id or -1)
    if parent is None or territory_of(parent) != territory_id:
        problems["parent"] = f"Choisissez d'abord où l'ajouter ({parent_kind.label.lower()})."
        return None
    if kind.key == "strategic_objective":
        return StrategicObjective(axis_id=parent.id, pillar_id=parent.pillar_id)
    if kind.key == "objective_group":
        top = session.scalar(select(func.max(ObjectiveGroup.position)).where(
            ObjectiveGroup.strategic_objective_id == parent.id)) or 0
        return ObjectiveGroup(strategic_objective_id=parent.id, position=top + 1,
                              pillar_id=parent.pillar_id)
    return OperationalObjective(group_id=parent.id, pillar_id=parent.pillar_id)


def _next_number(session: Session, kind: Kind, row) -> int | None:  # noqa: ANN001
    if kind.key == "commitment":
        return None  # engagements may stay unnumbered, as in the protocols
    taken = [getattr(o, kind.number) or (o.position if kind.key == "objective_group" else 0)
             for o in _siblings(session, row)]
    return max(taken, default=0) + 1


# --- history ---------------------------------------------------------------------------------

def restore_version(session: Session, actor: Actor, kind_key: str, item_id: int,
                    audit_id: int) -> dict:
    """Put the item back in the state recorded by audit entry `audit_id` (its text, number and
    archived flag); recorded as a restore."""
    kind = kind_of(kind_key)
    row = _get(session, kind, item_id)
    check_admin(session, actor, territory_of(row))
    entry = next((e for e in history.entries(session, kind.key, item_id)
                  if e.id == audit_id and e.snapshot), None)
    if entry is None:
        raise ValidationFailed("Version introuvable dans l'historique de cet élément.")
    old = json.loads(entry.snapshot)
    changes = update_item(session, actor, kind.key, item_id,
                          {"text": old["text"], "number": old["number"]}, expected=None,
                          operation="restore")
    if set_item_archived(session, actor, kind.key, item_id, old["archived"], expected=None,
                         operation="restore"):
        changes["archived"] = [not old["archived"], old["archived"]]
    return changes


def changes_text(changes: dict) -> str:
    def value(field: str, v) -> str:  # noqa: ANN001
        if field == "archived":
            return "oui" if v else "non"
        return "aucun" if v is None else str(v)
    return "; ".join(f"{FIELD_WORDS.get(k, k)} : {value(k, o)} → {value(k, n)}"
                     for k, (o, n) in sorted(changes.items()))


def item_history(session: Session, kind_key: str, item_id: int) -> pd.DataFrame:
    """One row per change of an item, newest first: id, date, opération, résumé, détail,
    auteur (administrators only see this page)."""
    kind = kind_of(kind_key)
    rows = []
    for e in reversed(history.entries(session, kind.key, item_id)):
        changes = json.loads(e.changes) if e.changes else {}
        rows.append({"id": e.id, "date": e.at,
                     "opération": history.OPERATION_LABELS.get(e.operation, e.operation),
                     "résumé": e.summary or "", "détail": changes_text(changes),
                     "auteur": e.username or ""})
    return pd.DataFrame(rows, columns=["id", "date", "opération", "résumé", "détail", "auteur"])


def form_choices(session: Session, territory_id: int) -> dict:
    """What the page's add form offers: communes {id: name}, themes {commune_id: [theme]} (in
    the protocol's order), axes {id: « Axe N – … »}."""
    from .vocabulary import axis_label
    communes = dict(session.execute(select(Commune.id, Commune.name).where(
        Commune.territory_id == territory_id).order_by(Commune.name)).all())
    themes: dict[int, list[str]] = {}
    for commune_id, theme in session.execute(
            select(Commitment.commune_id, Commitment.theme).where(
                Commitment.territory_id == territory_id).distinct()
            .order_by(Commitment.commune_id, Commitment.theme)):
        themes.setdefault(commune_id, []).append(theme)
    axes = {a.id: axis_label(a.number, a.short_title or a.title, 80, a.position)
            for a in session.scalars(select(Axis).where(Axis.territory_id == territory_id)
                                     .order_by(Axis.position))}
    return {"communes": communes, "themes": themes, "axes": axes}
