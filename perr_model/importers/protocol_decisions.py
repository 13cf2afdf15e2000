"""The reviewed decision on each line of a protocol's « actions en cours » lists.

The parser takes every bullet after « Exemple(s) d'action(s) (en cours) » for an action. A
reader of the protocol then decides, line by line, in data/referential/<slug>.yaml (versioned,
reviewed), next to the line's number in the document (`line`) and with a short `reason`:

- `decision: action`: an action under way, loaded as an Action linked to its engagement;
- `decision: note`: context (a date, a sentence about the past, a signature): not an action,
  kept as a note of its engagement (`Commitment.note`, one line each);
- `decision: dropped`: nothing the dashboard keeps.

A line without a decision (a document nobody has reviewed yet) is loaded as an action. A new
parse of a reviewed document takes the decisions (and the years) of its reviewed referential
for the lines whose text is unchanged (`carry_review`), and names the others in its report.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

from .. import settings
from ..errors import MalformedDocument

DECISIONS = {"action": "gardée comme action", "note": "note de son engagement",
             "dropped": "écartée"}
# the keys of a line that is not an action: what it says, where, and why
CONTEXT_KEYS = ("line", "decision", "reason", "text", "figures")
ACTION_KEYS = ("line", "decision", "reason", "reference", "title", "text", "year_start",
               "year_end", "figures", "quartiers")


def decision_of(item: dict) -> str:
    """The decision on a line of an « actions en cours » list ("action" when none is made)."""
    decision = item.get("decision") or "action"
    if decision not in DECISIONS:
        raise MalformedDocument(
            f"Ligne {item.get('line')} : décision de relecture inconnue « {decision} » "
            f"(connues : {', '.join(DECISIONS)}).")
    if decision != "action" and not (item.get("reason") or "").strip():
        raise MalformedDocument(f"Ligne {item.get('line')} : la décision « {decision} » n'a pas "
                                "de raison (reason).")
    return decision


def action_lines(doc: dict) -> Iterator[tuple[dict, dict, dict]]:
    """(commune, commitment, line) for every line of every « actions en cours » list."""
    for commune in doc.get("communes", []):
        for theme in commune["themes"]:
            for commitment in theme["commitments"]:
                for item in commitment.get("actions", []):
                    yield commune, commitment, item


def reviewed_referential(slug: str, folder: Path | None = None) -> dict | None:
    """The reviewed referential of `slug` in data/referential, if there is one."""
    path = Path(folder or settings.get("PERR_DATA_DIR")) / "referential" / f"{slug}.yaml"
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def carry_review(doc: dict, reviewed: dict | None, report) -> None:
    """Give each line of `doc` the decision, reason and years `reviewed` has for the same text
    in the same commune; a line it does not know stays an action, named in the report."""
    known = {(c["insee_code"], item["text"]): item for c, _, item in action_lines(reviewed or {})
             if item.get("decision")}
    for commune, commitment, item in action_lines(doc):
        seen = known.get((commune["insee_code"], item["text"]))
        if seen is None:
            if reviewed is not None:
                report.note(f"ligne {item['line']} : ligne d'actions en cours non relue, "
                            "chargée comme action (à relire)")
            continue
        item["decision"], item["reason"] = seen["decision"], seen.get("reason")
        if item["decision"] == "action":
            item["year_start"], item["year_end"] = seen.get("year_start"), seen.get("year_end")
    for commune in doc.get("communes", []):
        for theme in commune["themes"]:
            for commitment in theme["commitments"]:
                commitment["actions"] = [_ordered(i) for i in commitment.get("actions", [])]


def _ordered(item: dict) -> dict:
    if not item.get("decision"):
        return item
    keys = ACTION_KEYS if item["decision"] == "action" else CONTEXT_KEYS
    return {k: item.get(k) for k in keys if k in item}
