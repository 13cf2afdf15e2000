"""Parser of a protocol organised by territorial axes (Paris Terres d'Envol shape).

Axe N – title / Objectif stratégique : … / N. group / "Objectifs opérationnels :" bullets /
"Exemples d'actions :" bullets; then governance bodies, signatories and the cités éducatives
annex. Blank lines inside a bullet list (page breaks) do not end the list: only a new label or
heading does.
"""
from __future__ import annotations

import re
from datetime import date

from ..errors import MalformedDocument
from ..textnorm import fold, place_key
from .protocol_text import MONTHS, Line, clean_inline, pillar_for, strip_end

AXIS_RE = re.compile(r"^Axe\s+(\d+)\s*[–—:-]\s*(.+)$")
GROUP_RE = re.compile(r"^(\d+)\s*[.)]\s+(.+)$")
ROLE_RE = re.compile(r"^(?:le|la)\s+(?:pr[ée]f[eè]te?|pr[ée]sidente?|maire)\b", re.IGNORECASE)
SUB_RE = re.compile(r"^(\d+)\s*[–—-]\s*(.+)$")


def is_axis_heading(line: Line) -> bool:
    return not line.bullet and bool(AXIS_RE.match(line.text))


def parse_axes(lines: list[Line], ctx, report) -> dict:
    """The referential of an axes-shaped protocol. Raises MalformedDocument."""
    start = next(i for i, ln in enumerate(lines) if is_axis_heading(ln))
    end = next((i for i in range(start, len(lines)) if re.match(
        r"^(Article\s+\d+|Signatures?\b|ANNEXE\b)", lines[i].text, re.IGNORECASE)), len(lines))
    doc = {
        "protocol_title": next((ln.text for ln in lines[:start]
                                if fold(ln.text).startswith("protocole d")), None),
        "protocol_date": _first_date(lines[:start]),
        "axes": _axes(lines[start:end], report),
        "governance": _governance(lines[:start], report),
    }
    sign = next((i for i, ln in enumerate(lines) if fold(ln.text).startswith("signature")), None)
    annex = next((i for i, ln in enumerate(lines) if ln.text.upper() == "ANNEXE"), len(lines))
    if sign is not None:
        doc["signed_date"], doc["signatories"] = _signatures(lines[sign:annex], ctx, report)
    doc["cites_educatives"] = _cites(lines[annex + 1:], ctx, report)
    return doc


def _first_date(lines: list[Line]) -> str | None:
    for ln in lines:
        m = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", ln.text)
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
    return None


def _axes(lines: list[Line], report) -> list[dict]:
    axes: list[dict] = []
    group = mode = None
    for ln in lines:
        if ln.blank:
            continue  # a page break inside a list keeps the current list open
        m = AXIS_RE.match(ln.text) if not ln.bullet else None
        if m:
            title = ln.text[m.start(2):].strip()
            pillar, word = pillar_for(title)
            axes.append({"number": int(m.group(1)), "title": title,
                         "short_title": _short(title), "pillar": pillar or "cohesion_sociale",
                         "pillar_keyword": word, "strategic_objectives": []})
            group = mode = None
            continue
        if not axes:
            continue
        axis = axes[-1]
        folded = fold(ln.text)
        if not ln.bullet and folded.startswith("objectif strategique"):
            text = ln.text.split(":", 1)[1].strip() if ":" in ln.text else ln.text
            axis["strategic_objectives"].append(
                {"text": text, "pillar": axis["pillar"], "groups": []})
            group = mode = None
        elif not ln.bullet and (m := GROUP_RE.match(ln.text)):
            if not axis["strategic_objectives"]:
                raise MalformedDocument(
                    f"Ligne {ln.number} : l'axe {axis['number']} n'a pas d'objectif stratégique "
                    "avant son premier objectif numéroté.")
            title = strip_end(m.group(2))
            own, word = pillar_for(title)
            group = {"number": int(m.group(1)), "title": title,
                     "pillar": own or axis["pillar"], "pillar_keyword": word if own else None,
                     "objectives": [], "examples": []}
            axis["strategic_objectives"][-1]["groups"].append(group)
            mode = None
        elif not ln.bullet and folded.startswith("objectifs operationnels") and group:
            mode = "objectives"
        elif not ln.bullet and re.match(r"^exemples? d ?actions?\b", folded) and group:
            mode = "examples"
        elif ln.bullet and group and mode:
            group[mode].append(strip_end(ln.text))
        else:
            report.unplaced(ln, "ligne hors structure axe / objectif / groupe")
    _check_axes(axes)
    return axes


def _short(title: str) -> str:
    """'Insertion et développement économique : créer …' → 'Insertion et développement …'."""
    head = re.split(r"\s:\s|,\s", title, maxsplit=1)[0]
    return head[:120]


def _check_axes(axes: list[dict]) -> None:
    numbers = [a["number"] for a in axes]
    if len(set(numbers)) != len(numbers):
        raise MalformedDocument(f"Numéros d'axes en double : {numbers}.")
    for axis in axes:
        if not axis["strategic_objectives"]:
            raise MalformedDocument(f"L'axe {axis['number']} n'a aucun objectif stratégique.")
        for so in axis["strategic_objectives"]:
            if not so["groups"]:
                raise MalformedDocument(
                    f"L'axe {axis['number']} n'a aucun objectif numéroté sous « {so['text']} ».")
            for g in so["groups"]:
                if not g["objectives"]:
                    raise MalformedDocument(
                        f"Axe {axis['number']}, objectif {g['number']} « {g['title']} » : "
                        "aucun objectif opérationnel.")


def _governance(lines: list[Line], report) -> list[dict]:
    """The bullets following the paragraph 'Une gouvernance tournée vers la coopération …'."""
    start = next((i for i, ln in enumerate(lines)
                  if "gouvernance tournee vers la cooperation" in fold(ln.text)), None)
    if start is None:
        return []
    bodies: list[dict] = []
    for ln in lines[start + 1:]:
        if ln.blank:
            continue
        if ln.bullet:
            bodies.append({"name": strip_end(ln.text)})
        elif bodies:
            break
    return bodies


def _signatures(lines: list[Line], ctx, report) -> tuple[str | None, list[dict]]:
    signed = None
    tokens: list[Line] = []
    for ln in lines[1:]:
        for piece in re.split(r"</p>|\t", ln.raw):
            text = clean_inline(piece)
            if text:
                tokens.append(Line(ln.number, ln.raw, text, False, False, False, False))
    people: list[dict] = []
    for tok in tokens:
        m = re.search(r"(\d{1,2})\s+([A-Za-zéûÉÛ]+)\.?\s+(\d{4})", tok.text)
        if fold(tok.text).startswith("date") and m and fold(m.group(2)) in MONTHS:
            signed = date(int(m.group(3)), MONTHS[fold(m.group(2))], int(m.group(1))).isoformat()
        elif ROLE_RE.match(tok.text):
            role = strip_end(tok.text)
            people.append({"role": role, "person_name": None,
                           "commune": _commune_in(role, ctx)})
        elif people and people[-1]["person_name"] is None:
            people[-1]["person_name"] = tok.text
        else:
            report.unplaced(tok, "signature sans fonction reconnue")
    return signed, people


def _commune_in(text: str, ctx) -> str | None:
    """INSEE code of the territory's commune named in `text` (longest name first)."""
    key = f" {place_key(text)} "
    for insee, name in sorted(ctx.communes.items(), key=lambda kv: -len(kv[1])):
        if f" {place_key(name)} " in key:
            return insee
    return None


def _cites(lines: list[Line], ctx, report) -> list[dict]:
    cites: list[dict] = []
    for ln in lines:
        if ln.blank:
            continue
        if not ln.bullet and fold(ln.text).startswith("cite educative"):
            quartier = re.split(r"\bquartier\s+", ln.text, maxsplit=1)
            cites.append({"name": ln.text, "commune": _commune_in(ln.text, ctx),
                          "quartier": quartier[1].strip() if len(quartier) == 2 else None,
                          "intro": None, "objectives": []})
        elif not cites:
            report.unplaced(ln, "annexe : ligne avant la première cité éducative")
        elif not ln.bullet and (m := re.match(r"^Objectif\s+(\d+)\s*:\s*(.+)$", ln.text)):
            cites[-1]["objectives"].append(
                {"number": int(m.group(1)), "text": m.group(2).strip(), "children": []})
        elif ln.bullet and cites[-1]["objectives"] and (m := SUB_RE.match(ln.text)) \
                and cites[-1]["objectives"][-1]["number"] is not None:
            cites[-1]["objectives"][-1]["children"].append(
                {"number": int(m.group(1)), "text": strip_end(m.group(2))})
        elif ln.bullet:
            cites[-1]["objectives"].append({"number": None, "text": strip_end(ln.text),
                                            "children": []})
        elif not cites[-1]["objectives"]:
            intro = cites[-1]["intro"]
            cites[-1]["intro"] = f"{intro}\n{ln.text}" if intro else ln.text
        else:
            report.unplaced(ln, "annexe : paragraphe après les objectifs d'une cité éducative")
    for cite in cites:
        if not cite["objectives"]:
            raise MalformedDocument(f"Annexe : « {cite['name']} » n'a aucun objectif.")
    return cites
