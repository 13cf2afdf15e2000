"""Which existing action a row of a spreadsheet is (re-importing a file creates no twin).

By its reference when the row has one; otherwise by the natural key — territory, title
(`textnorm.title_key`), porteur, first year — and, when no action has that key, by a
similar title and porteur (difflib ratio ≥ SIMILARITY, the same numbers) among the actions of
the same territory and first year. Two candidates or more: the row is refused, naming them.
`differences` says what an update would change, field by field (« Titre : a → b »).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import ValidationFailed
from ..schema import Action
from ..textnorm import title_key

SIMILARITY = 0.85  # difflib ratio of two title keys (and of two porteurs) taken as the same


@dataclass
class Match:
    action: Action
    how: str  # French: how the row was recognised


def find_existing(session: Session, territory_id: int | None, data: dict,
                  year: int | None) -> Match | None:
    """The action this row without reference already is, or None (a new action)."""
    if territory_id is None or not title_key(data.get("title")):
        return None
    cache = session.info.setdefault("perr_import_actions", {})
    if (territory_id, year) not in cache:
        cache[territory_id, year] = list(session.scalars(select(Action).where(
            Action.territory_id == territory_id, Action.year_start.is_(None) if year is None
            else Action.year_start == year).order_by(Action.id)))
    candidates = cache[territory_id, year]
    title, holder = title_key(data.get("title")), title_key(data.get("holder_name"))
    same = [a for a in candidates
            if title_key(a.title) == title and title_key(a.holder_name) == holder]
    how = "même titre, porteur et année"
    if not same:
        same = [a for a in candidates if _similar(title, title_key(a.title))
                and _similar(holder, title_key(a.holder_name))]
        how = "titre et porteur ressemblants, même année"
    if len(same) > 1:
        names = " ; ".join(f"{a.reference} « {a.title} »" for a in same[:5])
        raise ValidationFailed(f"plusieurs actions déjà présentes pourraient être celle-ci "
                               f"({names}) : indiquez sa référence dans le fichier.")
    return Match(same[0], how) if same else None


def _similar(a: str, b: str) -> bool:
    """Close spellings of one text; never two numbers apart (« Atelier 1 », « Atelier 2 »)."""
    return a == b or (re.findall(r"\d+", a) == re.findall(r"\d+", b)
                      and difflib.SequenceMatcher(None, a, b).ratio() >= SIMILARITY)


# --- what an update would change ------------------------------------------------------------------

def differences(existing: Action, clean: dict) -> list[str]:
    """« Champ : ancienne valeur → nouvelle valeur » for every field of `clean` (validated
    values, as `editing.validate` returns them) the update would change, in French."""
    from ..editing import FIELD_LABELS, SCALAR_FIELDS, snapshot
    old, new = snapshot(existing), _as_snapshot(clean)
    out = []
    if "funding" in new:  # only the lines that change: removed → added
        kept = [line for line in new["funding"] if line in old["funding"]]
        old["funding"] = [line for line in old["funding"] if line not in kept]
        new["funding"] = [line for line in new["funding"] if line not in kept]
    for name in SCALAR_FIELDS + ("communes", "qpvs", "axes", "objectives", "funding"):
        if name in new and new[name] != old.get(name):
            out.append(f"{FIELD_LABELS[name]} : {_shown(existing, name, old.get(name), True)}"
                       f" → {_shown(clean, name, new[name], False)}")
    return out


def _as_snapshot(clean: dict) -> dict:
    """`clean` in the form of `editing.snapshot` (what `editing._apply` would store)."""
    from ..editing import SCALAR_FIELDS, _money
    out = {k: clean[k] for k in SCALAR_FIELDS if k in clean and k != "reference"}
    if clean.get("reference"):
        out["reference"] = clean["reference"]
    for name in ("start_date", "end_date"):
        if out.get(name):
            out[name] = out[name].isoformat()
    keys = {"communes": lambda c: c.insee_code, "qpvs": lambda q: q.name,
            "axes": lambda a: a.id, "objectives": lambda o: o.id}
    for name, key in keys.items():
        if name in clean:
            out[name] = sorted(key(x) for x in clean[name])
    if "funding" in clean:
        out["funding"] = sorted([f["funder"], f["year"], _money(f["amount_requested"]),
                                 _money(f["amount_approved"])] for f in clean["funding"])
    return out


def _shown(source, name: str, value, is_action: bool) -> str:  # noqa: ANN001
    """A value as a person reads it (names, labels, French dates and euros); « (vide) »."""
    from .. import vocabulary as v
    if value in (None, "", []):
        return "(aucun)" if name == "funding" else "(vide)"
    objects = getattr(source, name, None) if is_action else source.get(name)
    if name == "communes":
        return ", ".join(sorted(c.name for c in objects))
    if name == "axes":
        return ", ".join(sorted(v.axis_code(a.number, a.position) for a in objects))
    if name == "objectives":
        return ", ".join(sorted(o.text[:60] for o in objects))
    if name == "qpvs":
        return ", ".join(value)
    if name == "funding":
        return " ; ".join(_line(f, y, r, a) for f, y, r, a in value) or "(aucun)"
    if name == "status":
        return v.status_label(value)
    if name in ("start_date", "end_date"):
        from datetime import date
        return v.fr_date(date.fromisoformat(value))
    return v.plain(value)


def _line(funder: str, year, requested, approved) -> str:  # noqa: ANN001
    from .. import vocabulary as v
    amounts = [f"{v.euros(approved, cents=True)} accordés" if approved is not None else "",
               f"{v.euros(requested, cents=True)} demandés" if requested is not None else ""]
    when = f" {year}" if year else ""
    return f"{v.funder_label(funder)}{when} : " + ", ".join(a for a in amounts if a)
