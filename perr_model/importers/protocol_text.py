"""Pure text helpers of the protocol importer: line cleaning, figures, years, theme → pillar.

No database, no I/O: everything here is a function of the text, so the YAML the parser writes
can be reviewed line by line against the document.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..textnorm import fold

# --- lines --------------------------------------------------------------------------------------

_SUP = re.compile(r"<sup>(.*?)</sup>|\^(\w+)")
_TAGS = re.compile(r"</?p>")


@dataclass(frozen=True)
class Line:
    """One line of the document, cleaned of its Markdown decoration, with what was removed."""
    number: int          # 1-based line number in the document
    raw: str
    text: str            # cleaned text ("" for a blank line)
    bullet: bool         # "- ..." (any indentation)
    heading: bool        # "#", "##", ...
    arrow: bool          # "➤"
    bold: bool           # the whole line was bold ("**...**"), or ended with a stray "**"

    @property
    def blank(self) -> bool:
        return not self.text


def clean_inline(text: str) -> str:
    """Text without Markdown emphasis, HTML superscripts or doubled spaces."""
    text = _SUP.sub(lambda m: m.group(1) or m.group(2), text)
    text = _TAGS.sub(" ", text)
    text = text.replace("**", "").replace("\u00a0", " ")
    text = re.sub(r"(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)", "", text)  # *italics*
    return re.sub(r"\s+", " ", text).strip()


def read_line(number: int, raw: str) -> Line:
    s = raw.strip()
    bullet = bool(re.match(r"^[-•]\s+", s))
    if bullet:
        s = re.sub(r"^[-•]\s+", "", s)
    heading = s.startswith("#")
    s = s.lstrip("#").strip()
    arrow = "➤" in s
    s = s.replace("➤", " ").strip()
    bold = (s.startswith("**") and s.endswith("**")) or (s.endswith("**") and "**" not in s[:-2])
    return Line(number, raw, clean_inline(s), bullet, heading, arrow, bold)


def read_lines(text: str) -> list[Line]:
    return [read_line(i, raw) for i, raw in enumerate(text.splitlines(), 1)]


def strip_end(text: str) -> str:
    """Text without its trailing list punctuation (" ;", ",", ":", final full stops)."""
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"\s*(?:[;,:]|(?<!etc)\.)\s*$", "", text).strip()
    return text


def compact(text: str) -> str:
    """Letters and digits only: 'Paris Est-Marne&Bois' == 'Paris Est Marne & Bois'."""
    return re.sub(r"[^a-z0-9]", "", fold(text))


def find_names(text: str, names: dict[str, list[str]]) -> list[str]:
    """Canonical names (keys) of `names` whose spelling (key or alias) occurs in `text`.

    Accents and apostrophes are ignored but capitals are kept, so 'Plateau' the quartier is not
    mistaken for a common noun.
    """
    hay = _plain(text)
    found = []
    for canonical, spellings in names.items():
        for s in [canonical, *spellings]:
            if re.search(rf"(?<![\w]){re.escape(_plain(s))}(?![\w])", hay):
                found.append(canonical)
                break
    return found


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text.replace("’", "'").replace("-", " "))


# --- figures ------------------------------------------------------------------------------------

MONTHS = {"janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
          "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
          "jan": 1, "fev": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
_NUM = r"\d{1,3}(?:[ \u202f]\d{3})+|\d+(?:[.,]\d+)?"
_YEAR = r"(?:19|20)\d{2}"
_MONTH = (r"(?:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre"
          r"|novembre|d[ée]cembre)")
_FIGURES = [  # (kind, pattern); applied in this order, each match hides its span from the next
    ("date", rf"\b(\d{{1,2}})(?:er)?\s+({_MONTH})\s+({_YEAR})\b"),
    ("month", rf"\b({_MONTH})\s+({_YEAR})\b"),
    ("period", rf"\b({_YEAR})\s?[-/–]\s?({_YEAR})\b"),
    ("rate", rf"({_NUM})\s?%"),
    ("amount", rf"({_NUM})\s?(?:€|euros?\b)"),
    ("hours", rf"({_NUM})\s?heures\b"),
    ("share", r"(?<![\d/])(\d)/(\d{1,2})(?![\d/])"),
    ("year", rf"\b({_YEAR})\b"),
    ("count_range", r"\b(\d+)\s?(?:-|à)\s?(\d+)\s+([a-zà-ÿ]+)"),
    ("count", rf"(?<![\w/.,])({_NUM})\s+([a-zà-ÿ][a-zà-ÿ'’]*)"),  # "4 Cités" is a name
]


def _number(text: str) -> float | int:
    text = re.sub(r"[ \u202f]", "", text).replace(",", ".")
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _month(name: str) -> int:
    return MONTHS[fold(name)]


def extract_figures(text: str) -> list[dict]:
    """Every figure quoted in `text`: kind, value, unit (if any) and the words as written."""
    work = text
    found: list[tuple[int, dict]] = []
    for kind, pattern in _FIGURES:
        for m in re.finditer(pattern, work, flags=re.IGNORECASE if kind in (
                "date", "month") else 0):
            g = m.groups()
            if kind == "date":
                fig = {"value": f"{g[2]}-{_month(g[1]):02d}-{int(g[0]):02d}"}
            elif kind == "month":
                fig = {"value": f"{g[1]}-{_month(g[0]):02d}"}
            elif kind == "period":
                fig = {"value": [int(g[0]), int(g[1])]}
            elif kind == "rate":
                fig = {"value": _number(g[0]), "unit": "%"}
            elif kind == "amount":
                fig = {"value": _number(g[0]), "unit": "EUR"}
            elif kind == "hours":
                fig = {"value": _number(g[0]), "unit": "heures"}
            elif kind == "share":
                fig = {"value": round(int(g[0]) / int(g[1]), 4), "unit": f"{g[0]}/{g[1]}"}
            elif kind == "year":
                fig = {"value": int(g[0])}
            elif kind == "count_range":
                fig = {"value": [int(g[0]), int(g[1])], "unit": g[2]}
            else:
                fig = {"value": _number(g[0]), "unit": g[1].rstrip("'’")}
            found.append((m.start(), {"kind": kind, **fig, "text": m.group(0).strip()}))
            work = work[:m.start()] + "\x00" * (m.end() - m.start()) + work[m.end():]
    return [fig for _, fig in sorted(found, key=lambda item: item[0])]


# --- years of an action -------------------------------------------------------------------------

_DATED = re.compile(rf"(?:\b(?:en|depuis|dès|des|printemps de|été|automne|hiver)\s+|{_MONTH}\s+)"
                    rf"({_YEAR})\b", re.IGNORECASE)


def action_years(text: str, list_year: int | None = None) -> tuple[int | None, int | None,
                                                                      str | None]:
    """(year_start, year_end, note) of an action under way, only where the text is unambiguous.

    A year counts when the text dates the action with it: "en 2019", "depuis 2018", "mars 2019",
    a leading "2019 :" or "2019/2020 :", or a period "(2019-2022)". Several different years →
    nothing, with a note. No year in the text → the year of the list label
    ("Exemples d'actions en cours depuis 2018"), if any.
    """
    lead = re.match(rf"^\s*({_YEAR})(?:\s?[/-]\s?({_YEAR}))?\s*(?::|a été)", text)
    period = re.search(rf"\(({_YEAR})\s?[-/–]\s?({_YEAR})\)", text)
    years = {int(y) for y in _DATED.findall(text)}
    if lead:
        years.add(int(lead.group(1)))
        if lead.group(2) and len(years) == 1:
            return int(lead.group(1)), int(lead.group(2)), None
    if period and not years:
        return int(period.group(1)), int(period.group(2)), None
    if len(years) == 1:
        return years.pop(), None, None
    if len(years) > 1:
        listed = ", ".join(str(y) for y in sorted(years))
        return None, None, f"plusieurs années citées ({listed}) : année de début laissée vide"
    return list_year, None, None


# --- theme → pillar -----------------------------------------------------------------------------

# Ordered: the first pillar with a keyword found in the (accent-free, lower-case) title wins.
PILLAR_KEYWORDS: list[tuple[str, list[str]]] = [
    ("transversal", ["pilotage", "conseil citoyen", "participation citoyenne", "gouvernance"]),
    ("developpement_economique", ["developpement economique", "economique", "emploi",
                                  "insertion", "entreprise", "commerce"]),
    ("cadre_de_vie", ["cadre de vie", "renouvellement urbain", "amenagement urbain", "urbain",
                      "habitat", "logement"]),
    ("cohesion_sociale", ["delinquance", "securite", "educati", "parentalite", "sante",
                          "acces aux droits", "droits", "sport", "culture", "citoyennete",
                          "lien social", "equipements de proximite"]),
]


def pillar_for(title: str, keywords: list[tuple[str, list[str]]] | None = None
               ) -> tuple[str | None, str | None]:
    """(pillar code, keyword that decided it) for a theme or heading title; (None, None)."""
    folded = fold(title)
    for code, words in keywords or PILLAR_KEYWORDS:
        for word in words:
            if word in folded:
                return code, word
    return None, None
