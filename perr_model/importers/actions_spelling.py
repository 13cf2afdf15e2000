"""Cells as people type them → the values `editing.validate` reads (nothing else changes).

`spell(session, data, territory_id)` rewrites, in a row's data: the start (end) year from the
start (end) date when the year is empty; statuses written as French words (« Terminé »,
« Prévue », « en cours »…); axes as « Axe 1 », « axe 1 », « 1 » or their title; communes by
name, with or without their suffix or article (« Champigny » for Champigny-sur-Marne, only
when one commune has that name), or INSEE code; quartiers by a loose name among the
quartiers of those communes; funders of the long format's « Financeur » cells. It returns the
problems it found (ambiguous commune or quartier, amount without funder), in French.
"""
from __future__ import annotations

import difflib
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..schema import Commune
from ..textnorm import fold, place_key
from .actions_formats import funder_key

QPV_SIMILARITY = 0.8  # difflib ratio of two quartier keys taken for the same quartier


def spell(session: Session, data: dict, territory_id: int | None) -> list[str]:
    problems: list[str] = []
    _years_from_dates(data)
    if data.get("status") is not None:
        data["status"] = status_code(data["status"]) or data["status"]
    if data.get("axes") is not None:
        data["axes"] = [axis_item(item) for item in _items(data["axes"])]
    communes: list[Commune] = []
    if data.get("communes") is not None:
        data["communes"], communes = _communes(session, data["communes"], territory_id,
                                               problems)
    if data.get("qpvs") is not None and communes:
        data["qpvs"] = [_qpv(item, communes, problems) for item in _items(data["qpvs"])]
    if data.get("funding"):
        data["funding"] = [line for n, line in enumerate(data["funding"], 1)
                           if _funder(line, n, problems)]
    return problems


def _items(value) -> list:  # noqa: ANN001
    from ..editing import _items as items
    return items(value)


def _years_from_dates(data: dict) -> None:
    """« Date de début 01/09/2022 » and no year → start year 2022 (the same for the end)."""
    from ..editing import parse_date
    for year, day in (("year_start", "start_date"), ("year_end", "end_date")):
        if data.get(year) not in (None, "") or data.get(day) in (None, ""):
            continue
        try:
            d = parse_date(data[day])
        except ValueError:
            continue  # the date's own problem is reported by validate
        if d is not None:
            data[year] = d.year


def status_code(value) -> str | None:  # noqa: ANN001
    """« Terminé », « TERMINÉE », « prévue », « En cours »… → the status key, None if unknown."""
    from ..vocabulary import STATUS_LABELS, STATUS_WORDS
    key = fold(str(value))
    for code, words in STATUS_WORDS.items():
        if key in words or key == code.replace("_", " ") or key == fold(STATUS_LABELS[code]):
            return code
    return None


_AXIS = re.compile(r"(?:axe\s*)?(?:n[o ]?\s*)?(\d{1,2})(?:\s.*)?")


def axis_item(item):  # noqa: ANN001
    """« Axe 1 », « axe 1 », « Axe n° 1 – Emploi », « 1 » → « 1 »; a title is left as it is."""
    if not isinstance(item, str):
        return item
    m = _AXIS.fullmatch(fold(item).replace("°", " "))
    return m.group(1) if m else item


def commune_index(session: Session) -> tuple[list[Commune], dict[str, Commune]]:
    """Every commune and the same by INSEE code, read once per import (plan_import forgets
    them at its start), not once per row."""
    if "perr_import_communes" not in session.info:
        rows = list(session.scalars(select(Commune)))
        session.info["perr_import_communes"] = (rows, {c.insee_code: c for c in rows})
    return session.info["perr_import_communes"]


def _communes(session: Session, value, territory_id: int | None, problems: list[str]
              ) -> tuple[list, list[Commune]]:
    rows, by_code = commune_index(session)
    found: list[Commune] = []
    out: list = []
    for item in _items(value):
        commune = item if isinstance(item, Commune) else _commune(str(item).strip(), rows,
                                                                  by_code, territory_id, problems)
        out.append(commune.insee_code if commune is not None else item)
        if commune is not None:
            found.append(commune)
    return out, found


def _commune(text: str, rows: list[Commune], by_code: dict[str, Commune],
             territory_id: int | None, problems: list[str]) -> Commune | None:
    if text.upper() in by_code:
        return by_code[text.upper()]
    key = place_key(text)
    same = [c for c in rows if place_key(c.name) == key]
    stem = same or [c for c in rows if place_key(c.name).startswith(key + " ")]
    if len(stem) > 1 and territory_id is not None:
        ours = [c for c in stem if c.territory_id == territory_id]
        stem = ours if len(ours) == 1 else stem
    if len(stem) == 1:
        return stem[0]
    if len(stem) > 1:
        names = ", ".join(sorted(c.name for c in stem))
        problems.append(f"La commune « {text} » est ambiguë ({names}) : écrivez son nom "
                        "complet ou son code INSEE.")
    return None  # unknown: validate says so


def _qpv(item, communes: list[Commune], problems: list[str]):  # noqa: ANN001
    """A quartier written loosely (« Bois-l'Abbé », « quartier des Mordacs », « Rives de
    Marne ») → its name, when one quartier of the action's communes is that close."""
    if not isinstance(item, str):
        return item
    quartiers = {q.id: q for c in communes for q in c.qpvs}.values()
    key = place_key(item)

    def names(q):  # noqa: ANN001, ANN202
        return [q.name] + (q.aliases.split("|") if q.aliases else [])
    if any(q.code == item.strip().upper() or any(place_key(n) == key for n in names(q))
           for q in quartiers):
        return item
    close = [q for q in quartiers if any(_close(key, place_key(n)) for n in names(q))]
    if len(close) == 1:
        return close[0].name
    if len(close) > 1:
        problems.append(f"Le quartier « {item} » est ambigu ("
                        + ", ".join(sorted(q.name for q in close)) + ") : écrivez son nom "
                        "complet ou son code.")
    return item


def _close(a: str, b: str) -> bool:
    wa, wb = set(a.split()), set(b.split())
    contained = bool(wa and wb) and (wa <= wb or wb <= wa)
    return contained or difflib.SequenceMatcher(None, a, b).ratio() >= QPV_SIMILARITY


def _funder(line: dict, n: int, problems: list[str]) -> bool:
    """The line's funder as a key; False (line left out) when it has none."""
    funder = line.get("funder")
    if funder in (None, ""):
        if any(line.get(k) not in (None, "") for k in ("amount_requested", "amount_approved")):
            problems.append(f"Financement n° {n} : un montant sans financeur.")
        return False
    line["funder"] = funder_key(funder) or funder
    return True
