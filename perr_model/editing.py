"""Action services: create, edit, archive, restore a previous version; validation in French.

Every service takes the Session of ONE transaction (`store.write_session`) and the acting user
(`auth.Actor`), checks permissions (auth.check_scope) before and after the change, validates
everything, and records the change in the audit log. Nothing is ever hard-deleted.

Optimistic locking: the caller passes the `version` it read; the save bumps it with a
conditional UPDATE, so of two editors who opened the same version only the first one saves;
the second gets `ConcurrentEdit` listing what the first one changed.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from . import history, limits, served
from .auth import (Actor, check_fresh_scope, check_scope, fresh_actor, require_admin,
                   require_writer)
from .errors import ConcurrentEdit, PermissionDenied, ValidationFailed
from .schema import (
    FUNDERS, Action, Axis, Commune, FundingLine, ObjectiveGroup,
    OperationalObjective, Qpv, StrategicObjective,
)
from .textnorm import CONTROL, fold, same_place_name
from .write_scope import note_action, note_scope

YEAR_MIN, YEAR_MAX = 2014, 2035
from .vocabulary import FIELD_LABELS, STATUS_LABELS, axis_label, changes_text, number  # noqa: E402
TEXT_FIELDS = ("reference", "title", "description", "holder_name", "holder_siret",
               "contact_name", "contact_email", "contact_phone", "target_public")
SCALAR_FIELDS = TEXT_FIELDS + ("status", "year_start", "year_end", "start_date", "end_date",
                               "beneficiaries_planned", "beneficiaries_achieved")
LINKS = ("communes", "qpvs", "axes", "objectives", "commitments")  # relationships of Action


# --- parsing of French input ---------------------------------------------------------------------

def _decimal(value, what: str) -> Decimal | None:  # noqa: ANN001
    """'1 234,50', '1234.5', '1.234,50 €', 1234.5 → a finite Decimal; '' → None; ValueError
    « … n'est pas {what} » otherwise (NaN and infinity included)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (int, float, Decimal)):
        text = str(value)
    else:
        text = re.sub(r"[\s\u00a0\u202f€]", "", str(value)).replace("EUR", "")
        if not text:
            return None
        if "," in text and "." in text:  # the last separator is the decimal one
            thousands = "." if text.rfind(",") > text.rfind(".") else ","
            text = text.replace(thousands, "")
        if text.count(",") > 1 or re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text):
            text = text.replace(",", "").replace(".", "")
        text = text.replace(",", ".")
    try:
        parsed = Decimal(text)
    except InvalidOperation:
        parsed = None
    if parsed is None or not limits.finite(parsed):
        raise ValueError(f"« {value} » n'est pas {what}")
    return parsed


def parse_amount(value) -> Decimal | None:  # noqa: ANN001
    """'1 234,50', '1234.5', '1.234,50 €', 1234.5 → Decimal('1234.50'); '' → None; within what
    the funding columns hold (Numeric(14, 2): below 10^12)."""
    amount = _decimal(value, "un montant (exemple : 1 234,50)")
    money = FundingLine.__table__.c.amount_approved
    if amount is not None and not limits.out_of_range(money, amount):
        amount = amount.quantize(Decimal("0.01"))
    if amount is not None and limits.out_of_range(money, amount):
        raise ValueError(f"« {value} » : montant trop élevé (moins de "
                         f"{number(limits.numeric_limit(money))} € attendu)")
    return amount


def parse_year(value) -> int | None:  # noqa: ANN001
    try:
        return parse_int(value)
    except ValueError:
        raise ValueError(f"« {value} » n'est pas une année (exemple : 2022)") from None


def parse_int(value) -> int | None:  # noqa: ANN001
    """A count (or a year): a whole number within what an Integer column holds."""
    count = _decimal(value, "un nombre entier (exemple : 120)")
    if count is None:
        return None
    if count != count.to_integral_value():
        raise ValueError(f"« {value} » n'est pas un nombre entier")
    if limits.out_of_range(Action.__table__.c.beneficiaries_planned, count):
        raise ValueError(f"« {value} » : nombre trop grand")
    return int(count)


def parse_date(value) -> date | None:  # noqa: ANN001
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern, order in ((r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", "ymd"),
                           (r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", "dmy")):
        m = re.fullmatch(pattern, text)
        if m:
            a, b, c = (int(x) for x in m.groups())
            try:
                return date(a, b, c) if order == "ymd" else date(c, b, a)
            except ValueError:
                break
    raise ValueError(f"« {value} » n'est pas une date (JJ/MM/AAAA)")


def parse_status(value) -> str | None:  # noqa: ANN001
    if value is None or str(value).strip() == "":
        return None
    key = fold(str(value)).replace(" ", "_")
    for code, label in STATUS_LABELS.items():
        if key in (code, fold(label).replace(" ", "_")):
            return code
    raise ValueError(f"statut « {value} » inconnu (attendus : "
                     f"{', '.join(STATUS_LABELS.values())})")


# --- validation ---------------------------------------------------------------------------------

def validate(session: Session, data: dict, territory_id: int | None, *,
             year_required: bool = True) -> dict:
    """Clean values for every field present in `data`, or ValidationFailed listing them all.

    `year_required=False` lets an update keep empty a start year the action never had (the
    protocol's actions under way are not dated); a new action always needs one."""
    problems: dict[str, str] = {}
    clean: dict = {}
    _refuse_controls(data, problems)
    if problems:  # before any query: PostgreSQL cannot even compare a text holding NUL
        raise ValidationFailed("Saisie refusée : " + " ".join(problems.values()), problems)
    for name in TEXT_FIELDS:
        if name in data:
            text = "" if data[name] is None else str(data[name]).strip()
            clean[name] = text or None
    if "title" in data and not clean.get("title"):
        problems["title"] = "Le titre est obligatoire."
    siret = clean.get("holder_siret")
    if siret:
        siret = re.sub(r"\s", "", siret)
        clean["holder_siret"] = siret
        if not re.fullmatch(r"\d{14}", siret):
            problems["holder_siret"] = "Le SIRET compte 14 chiffres."
    _check_lengths(clean, problems)
    _parse_into(clean, problems, data, "status", parse_status)
    if "status" in data and clean.get("status") is None and "status" not in problems:
        problems["status"] = "Le statut est obligatoire."
    for name in ("year_start", "year_end"):
        _parse_into(clean, problems, data, name, parse_year)
        year = clean.get(name)
        if year is not None and not YEAR_MIN <= year <= YEAR_MAX:
            problems[name] = (f"{FIELD_LABELS[name]} {year} peu plausible : entre {YEAR_MIN} "
                              f"et {YEAR_MAX}.")
    if (year_required and "year_start" in data and clean.get("year_start") is None
            and "year_start" not in problems):
        problems["year_start"] = "L'année de début est obligatoire."
    if (clean.get("year_start") and clean.get("year_end")
            and clean["year_end"] < clean["year_start"]):
        problems["year_end"] = "L'année de fin précède l'année de début."
    for name in ("start_date", "end_date"):
        _parse_into(clean, problems, data, name, parse_date)
    if clean.get("start_date") and clean.get("end_date") and clean["end_date"] < clean[
            "start_date"]:
        problems["end_date"] = "La date de fin précède la date de début."
    for name in ("beneficiaries_planned", "beneficiaries_achieved"):
        _parse_into(clean, problems, data, name, parse_int)
        if (clean.get(name) or 0) < 0:
            problems[name] = f"{FIELD_LABELS[name]} : un nombre positif ou nul est attendu."
    _validate_places(session, data, territory_id, clean, problems)
    _validate_referential(session, data, territory_id, clean, problems)
    if "funding" in data:
        clean["funding"] = _validate_funding(data["funding"] or [], clean, problems)
    if problems:
        raise ValidationFailed("Saisie refusée : " + " ".join(problems.values()), problems)
    return clean


def _check_lengths(clean: dict, problems: dict) -> None:
    """Texts longer than their column holds (perr_model/limits.py), on both backends."""
    for name in TEXT_FIELDS:
        why = limits.too_long(Action.__table__.c[name], clean.get(name), FIELD_LABELS[name])
        if why and name not in problems:
            problems[name] = why


def _refuse_controls(data: dict, problems: dict) -> None:
    """NUL and the other invisible control characters (tab and line breaks allowed) are refused
    in every field, so SQLite and PostgreSQL (which cannot store NUL) behave alike and no export
    breaks on them."""
    def bad(value) -> bool:  # noqa: ANN001
        if isinstance(value, str):
            return bool(CONTROL.search(value))
        if isinstance(value, dict):
            return any(bad(v) for v in value.values())
        if isinstance(value, (list, tuple, set)):
            return any(bad(v) for v in value)
        return False
    for name, value in data.items():
        if bad(value):
            label = FIELD_LABELS.get(name, "Un champ")
            problems[name] = (f"{label} : caractère invisible interdit (caractère de contrôle, "
                              "par exemple un octet nul) ; retapez la valeur.")


def _parse_into(clean: dict, problems: dict, data: dict, name: str, parser) -> None:  # noqa: ANN001
    if name not in data:
        return
    try:
        clean[name] = parser(data[name])
    except ValueError as exc:
        problems[name] = f"{FIELD_LABELS[name]} : {exc}."


def _items(value) -> list:  # noqa: ANN001
    """A list from a list, or from a '|'/';'-separated cell."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, (list, tuple, set)):
        return [v for v in value if v not in (None, "")]
    return [p.strip() for p in re.split(r"[|;]", str(value)) if p.strip()]


def _validate_places(session, data, territory_id, clean, problems) -> None:  # noqa: ANN001
    if "communes" not in data:
        return
    communes: list[Commune] = []
    for item in _items(data["communes"]):
        if isinstance(item, Commune):
            communes.append(item)
            continue
        code = str(item).strip()
        row = session.scalars(select(Commune).where(
            (Commune.insee_code == code) | (func.lower(Commune.name) == code.lower()))).first()
        if row is None:
            problems["communes"] = f"Commune inconnue : « {code} » (code INSEE attendu)."
            continue
        communes.append(row)
    if not communes and "communes" not in problems:
        problems["communes"] = "Indiquez au moins une commune."
    foreign = [c.name for c in communes if territory_id and c.territory_id != territory_id]
    if foreign:
        problems["communes"] = f"Commune(s) hors du territoire : {', '.join(foreign)}."
    clean["communes"] = communes
    qpvs: list[Qpv] = []
    for item in _items(data.get("qpvs")):
        qpv = _find_qpv(session, item, communes)
        if qpv is None:
            where = ", ".join(c.name for c in communes) or "aucune commune"
            problems["qpvs"] = (f"Le quartier « {item} » n'appartient à aucune commune de "
                                f"l'action ({where}).")
        else:
            qpvs.append(qpv)
    clean["qpvs"] = qpvs


def _find_qpv(session: Session, item, communes: list[Commune]) -> Qpv | None:  # noqa: ANN001
    ids = {c.id for c in communes}
    if isinstance(item, int) or str(item).isdigit():
        qpv = session.get(Qpv, int(item))
        return qpv if qpv and ids & {c.id for c in qpv.communes} else None
    text = str(item).strip()
    for commune in communes:
        for q in commune.qpvs:
            names = [q.name] + (q.aliases.split("|") if q.aliases else [])
            if q.code == text.upper() or any(same_place_name(text, n) for n in names):
                return q
    return None


def _validate_referential(session, data, territory_id, clean, problems) -> None:  # noqa: ANN001
    if "axes" in data:
        axes = list(session.scalars(select(Axis).where(Axis.territory_id == territory_id)))
        clean["axes"] = []
        for item in _items(data["axes"]):
            match = [a for a in axes if (isinstance(item, int) and a.id == item) or (
                isinstance(item, str) and (item.strip() == str(a.number or a.position) or fold(
                    item) in (fold(a.title), fold(a.short_title or ""))))]
            if not match:
                problems["axes"] = f"Axe inconnu pour ce territoire : « {item} »."
            clean["axes"] += match[:1]
    if "objectives" in data:
        objectives = list(session.scalars(
            select(OperationalObjective).join(ObjectiveGroup).join(StrategicObjective)
            .join(Axis).where(Axis.territory_id == territory_id)))
        clean["objectives"] = []
        for item in _items(data["objectives"]):
            match = [o for o in objectives if (isinstance(item, int) and o.id == item) or (
                isinstance(item, str) and (fold(item) == fold(o.text)
                                            or item.strip() == served.objective_ref(o)))]
            if not match:
                problems["objectives"] = f"Objectif opérationnel inconnu : « {item} »."
            clean["objectives"] += match[:1]
    if "commitments" in data:  # their communes and the editor's scope: served.check_commitments
        clean["commitments"], unknown = served.find_commitments(
            session, territory_id, _items(data["commitments"]))
        if unknown:
            problems["commitments"] = " ".join(unknown)


def _funder_key(value) -> str | None:  # noqa: ANN001
    if value is None:
        return None
    key = fold(str(value))
    return next((k for k, label in FUNDERS.items()
                 if key in (k, k.replace("_", " "), fold(label))), str(value))


def _validate_funding(lines: list[dict], clean: dict, problems: dict) -> list[dict]:
    out, errors = [], []
    for n, line in enumerate(lines, 1):
        funder = _funder_key(line.get("funder"))
        if funder not in FUNDERS:
            errors.append(f"Financement n° {n} : financeur « {funder} » inconnu.")
            continue
        label = FUNDERS[funder]
        try:
            requested = parse_amount(line.get("amount_requested"))
            approved = parse_amount(line.get("amount_approved"))
            year = parse_int(line.get("year")) or clean.get("year_start")
        except ValueError as exc:
            errors.append(f"{label} : {exc}.")
            continue
        if any(a is not None and a < 0 for a in (requested, approved)):
            errors.append(f"{label} : le montant doit être positif ou nul.")
        elif year is not None and not YEAR_MIN <= year <= YEAR_MAX:
            errors.append(f"{label} : année {year} peu plausible.")
        elif requested is not None or approved is not None:
            out.append({"funder": funder, "year": year, "amount_requested": requested,
                        "amount_approved": approved})
    if errors:
        problems["funding"] = " ".join(errors)
    return out


# --- snapshots and diffs -----------------------------------------------------------------------

def snapshot(action: Action) -> dict:
    """Everything a restore needs, JSON-ready; relations by stable keys."""
    snap = {name: getattr(action, name) for name in SCALAR_FIELDS}
    if action.status_reported is False:  # a default nobody gave: « statut non renseigné »
        snap["status"] = None
    for name in ("start_date", "end_date"):
        snap[name] = snap[name].isoformat() if snap[name] else None
    snap["communes"] = sorted(c.insee_code for c in action.communes)
    snap["qpvs"] = sorted(q.name for q in action.qpvs)
    snap["axes"] = sorted(a.id for a in action.axes)
    snap["objectives"] = sorted(o.id for o in action.objectives)
    snap["commitments"] = served.sorted_refs(action.commitments)
    snap["funding"] = sorted(
        [f.funder, f.year, _money(f.amount_requested), _money(f.amount_approved)]
        for f in action.funding_lines if f.origin != "anct")
    snap["archived"] = bool(action.archived)
    snap["version"] = action.version
    return snap


def _money(value) -> str | None:  # noqa: ANN001
    return None if value is None else f"{Decimal(value):.2f}"


def diff(old: dict, new: dict) -> dict:
    return {k: [old.get(k), new.get(k)] for k in new
            if k != "version" and old.get(k) != new.get(k)}


# --- services -----------------------------------------------------------------------------------

def create_action(session: Session, actor: Actor, data: dict, *, territory_id: int,
                  origin: str = "manual", source: str | None = None) -> Action:
    """Create an action; `data` holds form values (French formats accepted)."""
    # no status given (a form left on « non renseigné », a file without one): « en cours » is
    # stored, but as a status nobody reported (left out of the progress: insert_actions)
    if data.get("status") is None or str(data["status"]).strip() == "":
        data = {k: v for k, v in data.items() if k != "status"}
    for required in ("title", "year_start", "communes"):
        data.setdefault(required, None)
    clean = validate(session, data, territory_id)
    check_scope(session, actor, territory_id, {c.id for c in clean["communes"]})
    check_links(session, actor, clean)
    reference = clean.get("reference")
    if reference and session.scalars(select(Action.id).where(Action.reference == reference)
                                     ).first():
        raise ValidationFailed(f"La référence « {reference} » existe déjà.",
                               {"reference": "référence déjà prise"})
    return insert_actions(session, actor, [(territory_id, clean)], origin=origin,
                          source=source)[0]


def insert_actions(session: Session, actor: Actor, rows: list[tuple[int, dict]], *,
                   origin: str = "manual", source: str | None = None) -> list[Action]:
    """Write new actions from `rows` of (territory, clean values) that this transaction has
    already validated (`validate`), checked against the editor's scope and links
    (`check_scope`, `check_links`) and whose references are free: create_action for one, the
    spreadsheet import for a whole file (one flush for all, not one per action). Each action
    gets its reference (given, or the next free one of its commune × year), « statut non
    renseigné » when `clean` has no status, its scope noted and its audit entry."""
    taken = {clean["reference"] for _, clean in rows if clean.get("reference")}
    stems: dict[str, list] = {}
    references = [clean.get("reference") or _new_reference(session, clean, stems, taken)
                  for _, clean in rows]  # every query before the first object is added
    for territory_id in dict.fromkeys(t for t, _ in rows):
        note_scope(session, territory_id, ())   # before writing (the years: once it is built)
    actions = []
    for (territory_id, clean), reference in zip(rows, references):
        reported = clean.get("status") is not None
        clean = clean if reported else {**clean, "status": "en_cours"}
        action = Action(territory_id=territory_id, reference=reference, origin=origin,
                        source=source, created_by=actor.username, updated_by=actor.username,
                        version=1, archived=False)
        for name in (*LINKS, "funding_lines"):  # a new action: nothing to load from the base
            setattr(action, name, [])
        session.add(action)
        _apply(action, clean)
        action.status_reported = reported
        actions.append(action)
    session.flush()
    for action in actions:
        note_action(session, action)
        after = snapshot(action)
        history.record(session, actor, "create" if origin != "import" else "import", "action",
                       action.id, f"Action « {action.title} » créée",
                       {k: v for k, v in diff({}, after).items() if v[1] not in (None, [], False)},
                       after)
    return actions


def update_action(session: Session, actor: Actor, action_id: int, data: dict, *,
                  expected_version: int | None, operation: str = "update") -> Action:
    """Save changes. `expected_version`: the version read by the editor (None: no check,
    for imports, whose file is authoritative). Unchanged data saves nothing."""
    action = _get(session, action_id)
    check_scope(session, actor, action.territory_id, {c.id for c in action.communes})
    if "qpvs" in data and "communes" not in data:  # quartiers are checked against communes
        data = {**data, "communes": list(action.communes)}
    clean = validate(session, data, action.territory_id,
                     year_required=action.year_start is not None)
    if "communes" in clean:
        check_scope(session, actor, action.territory_id, {c.id for c in clean["communes"]})
    check_links(session, actor, clean, action)
    before = snapshot(action)
    _check_version(session, action, expected_version, before)
    note_action(session, action)   # the years it counted in, before the change
    _apply(action, clean)
    session.flush()
    note_action(session, action)   # and after
    after = snapshot(action)
    changes = diff(before, after)
    if not changes:
        return action
    _bump(session, action, actor)
    after["version"] = action.version
    history.record(session, actor, operation, "action", action.id,
                   f"Action « {action.title} » modifiée", changes, after)
    return action


def set_archived(session: Session, actor: Actor, action_id: int, archived: bool, *,
                 expected_version: int | None) -> Action:
    """Archive (or bring back) an action: it leaves every count but stays in the history."""
    action = _get(session, action_id)
    check_scope(session, actor, action.territory_id, {c.id for c in action.communes})
    before = snapshot(action)
    _check_version(session, action, expected_version, before)
    if action.archived == archived:
        return action
    note_action(session, action)
    action.archived = archived
    _bump(session, action, actor)
    history.record(session, actor, "archive" if archived else "unarchive", "action", action.id,
                   f"Action « {action.title} » {'archivée' if archived else 'désarchivée'}",
                   {"archived": [not archived, archived]}, snapshot(action))
    return action


def restore_version(session: Session, actor: Actor, action_id: int, audit_id: int) -> Action:
    """Administrators: put the action back in the state recorded by audit entry `audit_id`."""
    require_admin(fresh_actor(session, actor))
    entry = next((e for e in history.entries(session, "action", action_id)
                  if e.id == audit_id and e.snapshot), None)
    if entry is None:
        raise ValidationFailed("Version introuvable dans l'historique de cette action.")
    old = json.loads(entry.snapshot)
    data = {k: old[k] for k in SCALAR_FIELDS + LINKS if k in old}  # older ones: no engagements
    unreported = "status" in data and data["status"] is None  # « statut non renseigné » then
    if unreported:
        del data["status"]
    data["funding"] = [{"funder": f, "year": y, "amount_requested": r, "amount_approved": a}
                       for f, y, r, a in old["funding"]]
    action = update_action(session, actor, action_id, data, expected_version=None,
                           operation="restore")
    if unreported:
        action.status_reported = False
    if action.archived != old["archived"]:
        set_archived(session, actor, action_id, old["archived"], expected_version=None)
    return action


def check_links(session: Session, actor: Actor, clean: dict,
                action: Action | None = None) -> None:
    """The engagements an action will serve (`clean`'s, else its own), against the editor's
    scope and the communes it will name (`clean`'s, else its own): served.check_commitments.
    Unchanged links of an action left alone are not checked again."""
    if "commitments" not in clean and "communes" not in clean:
        return
    commitments = clean.get("commitments", action.commitments if action else [])
    communes = clean.get("communes", action.communes if action else [])
    served.check_commitments(session, actor, commitments, communes)


def _get(session: Session, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise ValidationFailed(f"Action introuvable (n° {action_id}).")
    return action


def _check_version(session: Session, action: Action, expected: int | None,
                   current: dict) -> None:
    if expected is None or expected == action.version:
        return
    seen = next((json.loads(e.snapshot) for e in history.entries(session, "action", action.id)
                 if e.snapshot and json.loads(e.snapshot).get("version") == expected), {})
    changes = diff(seen, current) if seen else {}
    last = history.entries(session, "action", action.id)[-1:]
    who = f" par {last[0].username}" if last and last[0].username else ""
    detail = changes_text(changes)
    raise ConcurrentEdit(
        f"Cette action a été enregistrée{who} depuis que vous l'avez ouverte : rien n'a été "
        f"écrasé. Modifications faites entre-temps : {detail or 'voir l’historique'}. "
        "Rechargez l'action puis refaites vos changements.", changes)


def _bump(session: Session, action: Action, actor: Actor) -> None:
    """Conditional UPDATE: fails if another transaction bumped the version in between."""
    done = session.execute(
        update(Action).where(Action.id == action.id, Action.version == action.version)
        .values(version=action.version + 1).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise ConcurrentEdit("Cette action vient d'être enregistrée par quelqu'un d'autre : "
                             "rien n'a été écrasé. Rechargez-la.")
    set_committed_value(action, "version", action.version + 1)
    action.updated_by = actor.username


def _apply(action: Action, clean: dict) -> None:
    for name in SCALAR_FIELDS:
        if name in clean and name != "reference":
            setattr(action, name, clean[name])
    if "status" in clean:  # a person (a form, a file) gave it
        action.status_reported = True
    if clean.get("reference"):
        action.reference = clean["reference"]
    for name in LINKS:
        if name in clean:
            setattr(action, name, clean[name])
    if "funding" in clean:
        keep = [f for f in action.funding_lines if f.origin == "anct"]
        wanted = {(f["funder"], f["year"], _money(f["amount_requested"]),
                   _money(f["amount_approved"])) for f in clean["funding"]}
        current = [f for f in action.funding_lines if f.origin != "anct"]
        same = {(f.funder, f.year, _money(f.amount_requested), _money(f.amount_approved))
                for f in current}
        if same != wanted:
            cv_id = action.communes[0].contrat_de_ville_id if action.communes else None
            action.funding_lines = keep + [FundingLine(origin=action.origin or "manual",
                                                       contrat_de_ville_id=cv_id, **f)
                                           for f in clean["funding"]]


def _new_reference(session: Session, clean: dict, stems: dict[str, list],
                   taken: set[str]) -> str:
    """The next free reference « commune-year-NNN » (NNN from the count of that stem's
    references). `stems`: the stems already read in this batch (their last number, their
    references; the number only grows, so a batch never picks one twice); `taken`: the
    references the batch's rows give."""
    commune = clean["communes"][0].insee_code if clean.get("communes") else "T"
    stem = f"{commune}-{clean.get('year_start') or 'SD'}-"
    if stem not in stems:
        present = set(session.scalars(select(Action.reference)
                                      .where(Action.reference.like(stem + "%"))))
        stems[stem] = [len(present), present]
    known = stems[stem]
    while True:
        known[0] += 1
        candidate = f"{stem}{known[0]:03d}"
        if candidate not in known[1] and candidate not in taken:
            return candidate


def editable_actions(session: Session, actor: Actor, territory_id: int) -> list[Action]:
    """Actions of the territory this actor may edit (archived ones included, last)."""
    try:  # the account read again once for the whole list (bench/save_action.py)
        actor = require_writer(fresh_actor(session, actor))
    except PermissionDenied:
        return []
    actions = session.scalars(select(Action).where(Action.territory_id == territory_id)
                              .options(selectinload(Action.communes))
                              .order_by(Action.archived, Action.title)).all()
    out = []
    for a in actions:
        try:
            check_fresh_scope(session, actor, a.territory_id, {c.id for c in a.communes})
        except PermissionDenied:
            continue
        out.append(a)
    return out


def form_options(session: Session, actor: Actor, territory_id: int) -> dict:
    """Choices of the action form: the communes this actor may use, their quartiers, axes."""
    q = select(Commune).where(Commune.territory_id == territory_id).order_by(Commune.name)
    if not actor.is_admin:
        q = q.where(Commune.id.in_(actor.commune_ids or {-1}))
    communes = list(session.scalars(q))
    qpvs = {}
    for c in communes:
        for qpv in sorted(c.qpvs, key=lambda x: x.name):
            qpvs[qpv.name] = f"{qpv.name} ({c.name})"
    axes = {a.id: axis_label(a.number, a.short_title or a.title, 80, a.position)
            for a in session.scalars(select(Axis).where(Axis.territory_id == territory_id)
                                     .order_by(Axis.position))}
    return {"communes": {c.insee_code: c.name for c in communes}, "qpvs": qpvs, "axes": axes}
