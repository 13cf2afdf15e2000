"""Review of a parsed protocol before anything is written: the referential as a flat list of
items a person can correct, and back.

`to_items(doc)` lists the parse (the dict of `protocol.parse_protocol`) in document order, one
`Item` per axis, strategic objective, numbered objective, operational objective and example of
action (axes-shaped protocol), or per commune, theme, commitment and action under way
(commune-shaped protocol). Each item has a level, a number (where the level has one), its text,
and what the parse knew of it beyond the text (`extra`, kept as is). An item's parent is the
nearest item above it of the level above.

The corrections are pure functions of the list, each returning a new list (ValidationFailed, in
French, when the correction makes no sense):
  merge_with_previous(items, i)  the item joins its previous sibling (texts joined by a space,
                                 its children follow the sibling's);
  split(items, i, at)            the item is cut before the text `at`: a new sibling, right
                                 after it, takes the rest (and the item's children);
  rename(items, i, text), renumber(items, i, number);
  number_in_order(items, i)      the item and its siblings numbered 1, 2, 3… in order;
  move(items, i, parent)         the item and its children go under another parent (last);
  add_child(items, parent, level, text).

`from_items(items, doc, ctx)` rebuilds the referential (pillars from titles, figures, quartiers,
action references by position, exactly as the parser derives them) and `problems(doc)` lists
what would keep it from being saved. Saving is `protocol.load_referential`, in one transaction.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

from ..errors import ValidationFailed
from .protocol_axes import _short
from .protocol_communes import _title, theme_fields
from .protocol_text import action_years, pillar_for

AXIS, STRATEGIC, GROUP, OBJECTIVE, EXAMPLE = ("axe", "objectif stratégique", "objectif numéroté",
                                              "objectif opérationnel", "exemple d'action")
COMMUNE, THEME, COMMITMENT, ACTION = "commune", "thématique", "engagement", "action en cours"
DEPTH = {AXIS: 0, STRATEGIC: 1, GROUP: 2, OBJECTIVE: 3, EXAMPLE: 3,
         COMMUNE: 0, THEME: 1, COMMITMENT: 2, ACTION: 3}
PARENT = {STRATEGIC: AXIS, GROUP: STRATEGIC, OBJECTIVE: GROUP, EXAMPLE: GROUP,
          THEME: COMMUNE, COMMITMENT: THEME, ACTION: COMMITMENT}
NUMBERED = {AXIS, GROUP, COMMITMENT}
LABELS = {AXIS: "Axe", STRATEGIC: "Objectif stratégique", GROUP: "Objectif numéroté",
          OBJECTIVE: "Objectif opérationnel", EXAMPLE: "Exemple d'action", COMMUNE: "Commune",
          THEME: "Thématique", COMMITMENT: "Engagement", ACTION: "Action en cours"}


@dataclass(frozen=True)
class Item:
    level: str
    number: int | None
    text: str
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def depth(self) -> int:
        return DEPTH[self.level]


# --- doc → items ------------------------------------------------------------------------------

def to_items(doc: dict) -> list[Item]:
    items: list[Item] = []
    if doc.get("shape") == "communes":
        for c in doc.get("communes", []):
            items.append(Item(COMMUNE, None, c["name"], {"insee_code": c["insee_code"]}))
            for t in c["themes"]:
                items.append(Item(THEME, None, t["title"], _keep(t, "heading", "intro",
                                                                 "quartiers", "figures")))
                for k in t["commitments"]:
                    items.append(Item(COMMITMENT, k.get("number"), k["text"],
                                      _keep(k, "sub_theme", "detail")))
                    for a in k.get("actions", []):
                        items.append(Item(ACTION, None, a["text"], _keep(
                            a, "title", "year_start", "year_end", "text")))
        return items
    for a in doc.get("axes", []):
        items.append(Item(AXIS, a.get("number"), a["title"]))
        for so in a["strategic_objectives"]:
            items.append(Item(STRATEGIC, None, so["text"]))
            for g in so["groups"]:
                items.append(Item(GROUP, g.get("number"), g["title"]))
                items += [Item(OBJECTIVE, None, _text(x)) for x in g["objectives"]]
                items += [Item(EXAMPLE, None, _text(x)) for x in g["examples"]]
    return items


def _keep(node: dict, *keys: str) -> dict:
    return {k: copy.deepcopy(node.get(k)) for k in keys}


def _text(x) -> str:
    return x["text"] if isinstance(x, dict) else x


# --- structure helpers --------------------------------------------------------------------------

def subtree_end(items: list[Item], i: int) -> int:
    """Index just past item i's children (and theirs)."""
    j = i + 1
    while j < len(items) and items[j].depth > items[i].depth:
        j += 1
    return j


def parent_index(items: list[Item], i: int) -> int | None:
    wanted = PARENT.get(items[i].level)
    for j in range(i - 1, -1, -1):
        if items[j].depth < items[i].depth:
            return j if items[j].level == wanted else None
    return None


def siblings(items: list[Item], i: int) -> list[int]:
    """Indexes of the items of i's level under i's parent (i included), in order."""
    p = parent_index(items, i)
    start, end = (p + 1, subtree_end(items, p)) if p is not None else (0, len(items))
    return [j for j in range(start, end) if items[j].level == items[i].level
            and parent_index(items, j) == p]


def label(items: list[Item], i: int, width: int = 70) -> str:
    item = items[i]
    text = item.text if len(item.text) <= width else item.text[:width - 1].rstrip() + "…"
    if item.level == AXIS:
        return f"Axe {item.number} – {text}" if item.number is not None else f"Axe – {text}"
    if item.number is not None:
        return f"{item.number}. {text}"
    return text


def _check(items: list[Item], i: int) -> None:
    if not 0 <= i < len(items):
        raise ValidationFailed("Cet élément n'existe plus : la liste a changé, choisissez-le "
                               "de nouveau.")


# --- corrections ----------------------------------------------------------------------------------

def merge_with_previous(items: list[Item], i: int) -> list[Item]:
    _check(items, i)
    before = [j for j in siblings(items, i) if j < i]
    if not before:
        raise ValidationFailed(f"« {label(items, i)} » n'a pas d'élément précédent du même niveau "
                               "sous le même parent : rien à fusionner.")
    j = before[-1]
    if items[i].level == COMMUNE:
        raise ValidationFailed("Deux communes ne se fusionnent pas.")
    first, second = items[j], items[i]
    extra = dict(first.extra)
    for key in ("detail", "intro"):
        parts = [x for x in (first.extra.get(key), second.extra.get(key)) if x]
        if parts:
            extra[key] = "\n".join(parts)
    merged = replace(first, text=f"{first.text.rstrip()} {second.text.lstrip()}".strip(),
                     extra=extra)
    return items[:j] + [merged] + items[j + 1:i] + items[i + 1:]


def split(items: list[Item], i: int, at: str) -> list[Item]:
    _check(items, i)
    item = items[i]
    at = (at or "").strip()
    pos = item.text.find(at) if at else -1
    if item.level == COMMUNE:
        raise ValidationFailed("Une commune ne se scinde pas.")
    if pos <= 0 or not item.text[:pos].strip():
        raise ValidationFailed(f"« {at} » ne se trouve pas après le début du texte de "
                               f"« {label(items, i)} » : indiquez les premiers mots de la "
                               "seconde partie, tels qu'ils sont écrits.")
    first = replace(item, text=item.text[:pos].strip())
    number = item.number + 1 if item.number is not None else None
    second = Item(item.level, number, item.text[pos:].strip(), {})
    return items[:i] + [first, second] + items[i + 1:]


def rename(items: list[Item], i: int, text: str) -> list[Item]:
    _check(items, i)
    text = " ".join((text or "").split())
    if not text:
        raise ValidationFailed("Le texte ne peut pas être vide.")
    if items[i].level == COMMUNE:
        raise ValidationFailed("Le nom d'une commune vient du territoire : il ne se renomme pas.")
    return items[:i] + [replace(items[i], text=text)] + items[i + 1:]


def renumber(items: list[Item], i: int, number: int | None) -> list[Item]:
    _check(items, i)
    if items[i].level not in NUMBERED:
        raise ValidationFailed(f"Un élément « {LABELS[items[i].level]} » n'a pas de numéro.")
    if number is not None and number < 1:
        raise ValidationFailed("Un numéro est un entier à partir de 1.")
    if items[i].level in (AXIS, GROUP) and number is None:
        raise ValidationFailed("Un axe ou un objectif numéroté garde un numéro.")
    return items[:i] + [replace(items[i], number=number)] + items[i + 1:]


def number_typed(value) -> int | None:
    """A number as typed in the review table: '' → None, '3' → 3 (ValidationFailed else)."""
    text = "" if value is None else str(value).strip().rstrip(".")
    if text in ("", "nan", "None", "<NA>"):
        return None
    if not text.isdigit():
        raise ValidationFailed(f"Le numéro « {text} » n'est pas un nombre entier.")
    return int(text)


def number_in_order(items: list[Item], i: int) -> list[Item]:
    _check(items, i)
    if items[i].level not in NUMBERED:
        raise ValidationFailed(f"Un élément « {LABELS[items[i].level]} » n'a pas de numéro.")
    out = list(items)
    for n, j in enumerate(siblings(items, i), 1):
        out[j] = replace(out[j], number=n)
    return out


def move(items: list[Item], i: int, parent: int) -> list[Item]:
    _check(items, i)
    _check(items, parent)
    if PARENT.get(items[i].level) != items[parent].level:
        raise ValidationFailed(f"Un élément « {LABELS[items[i].level]} » ne peut pas être "
                               f"rattaché à un élément « {LABELS[items[parent].level]} ».")
    end = subtree_end(items, i)
    if i <= parent < end:
        raise ValidationFailed("Un élément ne peut pas être rattaché à lui-même.")
    block, rest = items[i:end], items[:i] + items[end:]
    p = parent if parent < i else parent - len(block)
    at = subtree_end(rest, p)
    return rest[:at] + block + rest[at:]


def add_child(items: list[Item], parent: int | None, level: str, text: str) -> list[Item]:
    text = " ".join((text or "").split())
    if not text:
        raise ValidationFailed("Le texte ne peut pas être vide.")
    if level not in DEPTH or level == COMMUNE:
        raise ValidationFailed("Ce niveau ne s'ajoute pas ici.")
    if parent is None:
        if level != AXIS:
            raise ValidationFailed(f"Un élément « {LABELS[level]} » se rattache à un parent.")
        number = max([x.number or 0 for x in items if x.level == AXIS], default=0) + 1
        return items + [Item(AXIS, number, text)]
    _check(items, parent)
    if PARENT.get(level) != items[parent].level:
        raise ValidationFailed(f"Un élément « {LABELS[level]} » ne peut pas être rattaché à un "
                               f"élément « {LABELS[items[parent].level]} ».")
    at = subtree_end(items, parent)
    number = None
    if level in (GROUP,):
        kids = [x.number or 0 for x in items[parent + 1:at] if x.level == level]
        number = max(kids, default=0) + 1
    return items[:at] + [Item(level, number, text)] + items[at:]


# --- the review screen's two ways of correcting -------------------------------------------------

CORRECTIONS = ["Fusionner avec le précédent", "Scinder à ce texte", "Rattacher à un autre parent",
               "Numéroter ses pareils dans l'ordre (1, 2, 3…)", "Ajouter un élément sous celui-ci"]


def correct(items: list[Item], correction: str, i: int | None, *, cut: str = "",
            parent: int | None = None, level: str | None = None, text: str = "") -> list[Item]:
    """One of CORRECTIONS applied to item i (the review form's choice)."""
    if i is None:
        raise ValidationFailed("Choisissez d'abord l'élément à corriger.")
    if correction == CORRECTIONS[0]:
        return merge_with_previous(items, i)
    if correction == CORRECTIONS[1]:
        return split(items, i, cut)
    if correction == CORRECTIONS[2]:
        if parent is None:
            raise ValidationFailed("Choisissez le nouveau parent.")
        return move(items, i, parent)
    if correction == CORRECTIONS[3]:
        return number_in_order(items, i)
    if correction == CORRECTIONS[4]:
        return add_child(items, i, level or "", text)
    raise ValidationFailed("Correction inconnue.")


def edit_table(items: list[Item], rows: list[tuple[object, object]]) -> list[Item]:
    """The review table as edited: (number as typed, text) per item, in order."""
    if len(rows) != len(items):
        raise ValidationFailed("Le tableau a changé pendant la saisie : recommencez.")
    out = list(items)
    for i, (number, text) in enumerate(rows):
        if str(text) != out[i].text:
            out = rename(out, i, str(text))
        typed = number_typed(number)
        if typed != out[i].number:
            out = renumber(out, i, typed)
    return out


def child_levels(shape: str | None) -> list[str]:
    """The levels an item may be added at, for a protocol of this shape."""
    if shape == "communes":
        return [THEME, COMMITMENT, ACTION]
    return [STRATEGIC, GROUP, OBJECTIVE, EXAMPLE]


def table(items: list[Item]) -> dict[str, list]:
    """The review table's columns (French headings)."""
    parents = [parent_index(items, i) for i in range(len(items))]
    return {"Ligne": list(range(1, len(items) + 1)),
            "N°": ["" if it.number is None else str(it.number) for it in items],
            "Texte": [it.text for it in items],
            "Niveau": [LABELS[it.level] for it in items],
            "Rattaché à": [label(items, p, 50) if p is not None else "" for p in parents]}


# --- items → doc ----------------------------------------------------------------------------------

def from_items(items: list[Item], doc: dict, ctx=None) -> dict:
    """The referential `doc` with its tree replaced by `items` (other parts kept)."""
    out = copy.deepcopy({k: v for k, v in doc.items() if k not in ("axes", "communes")})
    if doc.get("shape") == "communes":
        out["axes"] = copy.deepcopy(doc.get("axes", []))
        out["communes"] = _communes(items, ctx)
    else:
        out["axes"] = _axes(items)
    return out


def _orphan(item: Item) -> ValidationFailed:
    return ValidationFailed(f"« {item.text[:80]} » ({LABELS[item.level]}) n'a pas de parent "
                            f"« {LABELS[PARENT[item.level]]} » au-dessus de lui.")


def _axes(items: list[Item]) -> list[dict]:
    axes: list[dict] = []
    so = group = None
    for item in items:
        if item.level == AXIS:
            pillar, word = pillar_for(item.text)
            axes.append({"number": item.number, "title": item.text,
                         "short_title": _short(item.text), "pillar": pillar or "cohesion_sociale",
                         "pillar_keyword": word, "strategic_objectives": []})
            so = group = None
        elif item.level == STRATEGIC:
            if not axes:
                raise _orphan(item)
            so = {"text": item.text, "pillar": axes[-1]["pillar"], "groups": []}
            axes[-1]["strategic_objectives"].append(so)
            group = None
        elif item.level == GROUP:
            if so is None:
                raise _orphan(item)
            own, word = pillar_for(item.text)
            group = {"number": item.number, "title": item.text,
                     "pillar": own or axes[-1]["pillar"], "pillar_keyword": word if own else None,
                     "objectives": [], "examples": []}
            so["groups"].append(group)
        elif item.level in (OBJECTIVE, EXAMPLE):
            if group is None:
                raise _orphan(item)
            group["objectives" if item.level == OBJECTIVE else "examples"].append(item.text)
        else:
            raise ValidationFailed(f"Un élément « {LABELS[item.level]} » n'a pas sa place dans "
                                   "un protocole organisé par axes.")
    return axes


def _communes(items: list[Item], ctx) -> list[dict]:
    communes: list[dict] = []
    theme = commitment = None
    for item in items:
        e = item.extra
        if item.level == COMMUNE:
            communes.append({"insee_code": e["insee_code"], "name": item.text, "themes": []})
            theme = commitment = None
        elif item.level == THEME:
            if not communes:
                raise _orphan(item)
            pillar, word = pillar_for(item.text)
            theme = {"title": item.text, "heading": e.get("heading") or item.text,
                     "pillar": pillar or "cohesion_sociale", "pillar_keyword": word,
                     "intro": e.get("intro"), "commitments": []}
            communes[-1]["themes"].append(theme)
            commitment = None
        elif item.level == COMMITMENT:
            if theme is None:
                raise _orphan(item)
            commitment = {"number": item.number, "sub_theme": e.get("sub_theme"),
                          "text": item.text, "detail": e.get("detail"), "actions": []}
            theme["commitments"].append(commitment)
        elif item.level == ACTION:
            if commitment is None:
                raise _orphan(item)
            same = e.get("text") == item.text
            start, end, _ = (e.get("year_start"), e.get("year_end"), None) if same else \
                action_years(item.text)
            commitment["actions"].append({"title": e.get("title") if same else _title(item.text),
                                          "text": item.text, "year_start": start,
                                          "year_end": end})
        else:
            raise ValidationFailed(f"Un élément « {LABELS[item.level]} » n'a pas sa place dans "
                                   "un protocole organisé par commune.")
    quartiers = getattr(ctx, "quartiers", {}) or {}
    for commune in communes:    # as the parse derives them (protocol_communes.theme_fields)
        names = quartiers.get(commune["insee_code"], {})
        for t_pos, theme in enumerate(commune["themes"], 1):
            theme_fields(commune["insee_code"], t_pos, theme, names)
    return communes


def problems(doc: dict) -> list[str]:
    """What keeps a reviewed referential from being saved (French, one line each)."""
    out: list[str] = []
    if doc.get("shape") == "communes":
        for c in doc.get("communes", []):
            if not c["themes"]:
                out.append(f"La commune « {c['name']} » n'a aucune thématique.")
            for t in c["themes"]:
                if not t["commitments"]:
                    out.append(f"{c['name']} : la thématique « {t['title']} » n'a aucun "
                               "engagement.")
        return out
    numbers = [a["number"] for a in doc.get("axes", [])]
    if not numbers:
        out.append("Le référentiel n'a aucun axe.")
    for n in sorted({n for n in numbers if numbers.count(n) > 1}):
        out.append(f"Deux axes portent le numéro {n}.")
    for axis in doc.get("axes", []):
        if not axis["strategic_objectives"]:
            out.append(f"L'axe {axis['number']} n'a aucun objectif stratégique.")
        for so in axis["strategic_objectives"]:
            if not so["groups"]:
                out.append(f"Axe {axis['number']} : aucun objectif numéroté sous « "
                           f"{so['text'][:80]} ».")
            group_numbers = [g["number"] for g in so["groups"]]
            for n in sorted({n for n in group_numbers if group_numbers.count(n) > 1}):
                out.append(f"Axe {axis['number']} : deux objectifs portent le numéro {n}.")
            for g in so["groups"]:
                if not g["objectives"]:
                    out.append(f"Axe {axis['number']}, objectif {g['number']} « "
                               f"{g['title'][:80]} » : aucun objectif opérationnel.")
    return out


def outline(items: list[Item]) -> list[str]:
    """The items as an indented list (the CLI's dry run)."""
    return [f"{'  ' * it.depth}{LABELS[it.level]} : {label(items, i, width=100)}"
            for i, it in enumerate(items)]


# --- the page's two calls -------------------------------------------------------------------------

def read_for_review(session, territory_id: int, data: bytes, name: str) -> dict:
    """The parse of an uploaded protocol file for the territory `territory_id` (nothing written).
    MalformedDocument (French) for a file that cannot be read, a scanned PDF included."""
    from pathlib import Path

    from ..errors import MalformedDocument
    from ..schema import Territory
    from .protocol import context_from_db, parse_protocol
    from .protocol_documents import document_lines
    territory = session.get(Territory, territory_id)
    if territory is None:
        raise MalformedDocument("Choisissez d'abord un territoire.")
    lines, kind = document_lines(data, name)
    doc = parse_protocol(lines, territory.slug, context=context_from_db(session, territory),
                         source=Path(name).name)
    doc["format"] = kind
    return doc


def save_reviewed(session, actor, territory_id: int, items: list[Item], doc: dict
                  ) -> dict[str, int]:
    """The reviewed referential written in the caller's transaction (all or nothing): checked
    first (ImportRefused with one French line per problem), then loaded as the CLI does."""
    from ..auth import require_admin
    from ..errors import ImportRefused, PermissionDenied
    from ..schema import Territory
    from .protocol import context_from_db, load_referential
    require_admin(actor)
    if actor.territory_id not in (None, territory_id):
        raise PermissionDenied("Ce territoire n'est pas le vôtre : son référentiel ne peut pas "
                               "être remplacé depuis votre compte.")
    territory = session.get(Territory, territory_id)
    reviewed = from_items(items, doc, context_from_db(session, territory))
    found = problems(reviewed)
    if found:
        raise ImportRefused("Le référentiel relu n'est pas enregistrable : rien n'a été écrit.",
                            found)
    reviewed.pop("format", None)
    reviewed.pop("report", None)
    return load_referential(session, territory, reviewed)
