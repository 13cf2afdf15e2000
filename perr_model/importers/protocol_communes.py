"""Parser of a protocol organised by commune (Paris Est Marne & Bois annex 1 shape).

Commune heading → thematic blocks (marked ➤, ####, ##, bold or "- **… :**") → commitments:
numbered ("1. …", also "- 2. …**" with stray indentation), unnumbered bold statements, or the
bullets of a theme (optionally under "Axe prioritaire n°1 – …" sub-headings). The bullets after
"Exemple(s) d'action(s) (en cours)" are actions under way, loaded as Action rows.
"""
from __future__ import annotations

import re

from ..errors import MalformedDocument
from ..textnorm import fold
from .protocol_text import (
    Line, action_years, extract_figures, find_names, pillar_for, strip_end,
)

COMMUNE_MARK = "orientations et objectifs du contrat de ville de la commune de"
NUMBERED_RE = re.compile(r"^(\d+)\s*\.\s+(.+)$")
THEME_PREFIX = re.compile(r"^Les engagements de la ville en mati[èe]re (?:de |d['’])",
                          re.IGNORECASE)
EXAMPLES_RE = re.compile(r"^exemples? d ?actions?\b")

# PEMB has no territorial axes: its axes are the contrat de ville pillars.
PILLAR_AXES = [("cohesion_sociale", "Cohésion sociale"),
               ("cadre_de_vie", "Cadre de vie et renouvellement urbain"),
               ("developpement_economique", "Développement économique et emploi"),
               ("transversal", "Pilotage et participation citoyenne")]


def is_commune_heading(line: Line) -> bool:
    return COMMUNE_MARK in fold(line.text)


def parse_communes(lines: list[Line], ctx, report) -> dict:
    start = next(i for i, ln in enumerate(lines) if is_commune_heading(ln))
    head = [ln.text for ln in lines[:start] if not ln.blank]
    period = re.search(r"p[ée]riode\s+((?:19|20)\d{2}\s?-\s?(?:19|20)\d{2})", " ".join(head))
    communes = _Walker(ctx, report).walk(lines[start:])
    used = {t["pillar"] for c in communes for t in c["themes"]}
    axes = [{"number": n, "title": title, "short_title": title, "pillar": code,
             "strategic_objectives": []}
            for n, (code, title) in enumerate(
                [(c, t) for c, t in PILLAR_AXES if c != "transversal" or c in used], 1)]
    return {"protocol_title": " – ".join(h.rstrip(" :") for h in head[:2]) or None,
            "period": period.group(1).replace(" ", "") if period else None,
            "axes_from_pillars": True, "axes": axes, "communes": communes}


class _Walker:
    """Walks the lines once, keeping the current commune / theme / commitment / list."""

    def __init__(self, ctx, report):
        self.ctx, self.report = ctx, report
        self.communes: list[dict] = []
        self.theme = self.commitment = None
        self.mode = "intro"          # intro | commitment | bullets | examples
        self.sub_theme = None
        self.list_year = None

    def walk(self, lines: list[Line]) -> list[dict]:
        for ln in lines:
            if not ln.blank:
                self.line(ln)
        self.check()
        return self.communes

    def line(self, ln: Line) -> None:
        num = NUMBERED_RE.match(ln.text)
        if is_commune_heading(ln):
            self.new_commune(ln)
        elif self.is_theme(ln, num):
            self.new_theme(ln)
        elif self.theme is None:
            if ln.bullet:
                self.report.unplaced(ln, "puce de l'introduction de la commune, hors thématique")
            else:
                self.report.count("paragraphes d'introduction (non chargés)")
        elif num and (ln.bold or ln.heading or (ln.bullet and self.next_number(int(num[1])))):
            self.new_commitment(ln, int(num[1]), num[2])
        elif not ln.bullet and fold(ln.text).startswith("axe prioritaire"):
            self.sub_theme, self.commitment, self.mode = strip_end(ln.text), None, "bullets"
        elif not ln.bullet and EXAMPLES_RE.match(fold(ln.text)):
            self.examples_label(ln)
        elif ln.bullet:
            self.bullet(ln)
        elif ln.bold and not ln.bullet and self.numbered_theme():
            self.new_commitment(ln, None, ln.text)   # "En matière de prévention : …"
        elif self.commitment is not None and self.mode == "commitment":
            c = self.commitment
            c["detail"] = f"{c['detail']}\n{ln.text}" if c["detail"] else ln.text
        elif self.commitment is None and self.mode in ("intro", "bullets"):
            intro = self.theme["intro"]
            self.theme["intro"] = f"{intro}\n{ln.text}" if intro else ln.text
        else:
            self.report.unplaced(ln, "paragraphe après une liste d'actions ou d'engagements")

    # --- structure ------------------------------------------------------------------------

    def is_theme(self, ln: Line, num) -> bool:
        if num or not self.communes:
            return False
        return ln.arrow or (ln.bullet and ln.bold and ln.text.endswith(":"))

    def new_commune(self, ln: Line) -> None:
        name = strip_end(re.split(r"commune de\s+", ln.text, maxsplit=1, flags=re.I)[1])
        insee = next((code for code, n in self.ctx.communes.items() if fold(n) == fold(name)),
                     None)
        if insee is None:
            raise MalformedDocument(
                f"Ligne {ln.number} : la commune « {name} » n'appartient pas au territoire "
                f"« {self.ctx.name} ».")
        self.communes.append({"insee_code": insee, "name": self.ctx.communes[insee],
                              "themes": []})
        self.theme = self.commitment = None
        self.mode = "intro"

    def new_theme(self, ln: Line) -> None:
        title = strip_end(THEME_PREFIX.sub("", ln.text))
        title = title[:1].upper() + title[1:]
        pillar, word = pillar_for(title)
        if pillar is None:
            pillar = "cohesion_sociale"
            self.report.note(f"ligne {ln.number} : thématique « {title} » sans mot-clé de "
                             "pilier reconnu, rattachée par défaut à la cohésion sociale")
        self.theme = {"title": title, "heading": ln.text, "pillar": pillar,
                      "pillar_keyword": word, "intro": None, "commitments": []}
        self.communes[-1]["themes"].append(self.theme)
        self.commitment, self.mode, self.sub_theme = None, "intro", None

    def numbered_theme(self) -> bool:
        return any(c["number"] is not None for c in self.theme["commitments"])

    def next_number(self, number: int) -> bool:
        numbers = [c["number"] for c in self.theme["commitments"] if c["number"] is not None]
        return number == (numbers[-1] + 1 if numbers else 1)

    def new_commitment(self, ln: Line, number: int | None, text: str) -> dict:
        self.commitment = {"number": number, "sub_theme": self.sub_theme, "text": strip_end(text),
                           "detail": None, "actions": [], "line": ln.number}
        self.theme["commitments"].append(self.commitment)
        self.mode = "commitment" if number is not None or not ln.bullet else "bullets"
        return self.commitment

    def examples_label(self, ln: Line) -> None:
        if self.commitment is None:
            self.report.unplaced(ln, "« Exemples d'actions » sans engagement auquel les rattacher")
            self.mode = "orphan-examples"
            return
        self.mode = "examples"
        since = re.search(r"depuis\s+((?:19|20)\d{2})", ln.text)
        self.list_year = int(since.group(1)) if since else None

    def bullet(self, ln: Line) -> None:
        if self.mode == "examples":
            self.commitment["actions"].append(
                {"text": strip_end(ln.text), "list_year": self.list_year, "line": ln.number})
        elif self.mode in ("intro", "bullets") or (
                self.mode == "commitment" and self.commitment["number"] is None
                and not self.numbered_theme()):
            self.new_commitment(ln, None, ln.text)
        else:
            self.report.unplaced(ln, "puce hors d'une liste d'exemples d'actions")

    # --- checks and derived fields -----------------------------------------------------------

    def check(self) -> None:
        for commune in self.communes:
            if not commune["themes"]:
                raise MalformedDocument(f"La commune « {commune['name']} » n'a aucune thématique.")
            for t_pos, theme in enumerate(commune["themes"], 1):
                if not theme["commitments"]:
                    raise MalformedDocument(
                        f"{commune['name']} : la thématique « {theme['title']} » n'a aucun "
                        "engagement.")
                self.finish_theme(commune, t_pos, theme)

    def finish_theme(self, commune: dict, t_pos: int, theme: dict) -> None:
        for c in theme["commitments"]:
            for action in c["actions"]:
                text = action.pop("text")
                start, end, note = action_years(text, action.pop("list_year"))
                if note:
                    self.report.note(f"ligne {action['line']} : {note}")
                action.update({"title": _title(text), "text": text, "year_start": start,
                               "year_end": end})
        theme_fields(commune["insee_code"], t_pos, theme,
                     self.ctx.quartiers.get(commune["insee_code"], {}))


def theme_fields(insee: str, t_pos: int, theme: dict, names: dict) -> None:
    """What a theme's texts give (the parse and the review alike): its quartiers and figures,
    its commitments' (their own and the theme's quartiers), its actions' reference, figures and
    quartiers (each action holds its `text`)."""
    theme["quartiers"] = find_names(theme["intro"] or "", names)
    theme["figures"] = extract_figures(theme["intro"] or "")
    for c_pos, c in enumerate(theme["commitments"], 1):
        own = f"{c['text']}\n{c['detail'] or ''}"
        c["figures"] = extract_figures(own)
        c["quartiers"] = sorted(set(find_names(own, names)) | set(theme["quartiers"]))
        for k, a in enumerate(c["actions"], 1):
            a.update({"reference": f"PERR-{insee}-{t_pos}-{c_pos}-{k}",
                      "figures": extract_figures(a["text"]),
                      "quartiers": find_names(a["text"], names)})


def _title(text: str, width: int = 160) -> str:
    """First sentence of an action's text, cut at a word under `width` characters."""
    first = re.split(r"(?<=[a-zà-ÿ\)»])\.\s+(?=[A-ZÀ-Ý])", text, maxsplit=1)[0]
    if len(first) <= width:
        return first
    return first[:width].rsplit(" ", 1)[0] + " …"
