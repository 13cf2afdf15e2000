"""Name matching that ignores accents, case, punctuation and leading articles."""
from __future__ import annotations

import re
import unicodedata

# Invisible control characters refused in every value (forms, spreadsheet imports) and dropped
# from every export: C0 but tab, LF and CR, and DEL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ARTICLES = {"le", "la", "les", "l", "du", "de", "des", "d", "quartier", "cite", "cites"}
_NUMBERS = {"1": "un", "2": "deux", "3": "trois", "4": "quatre", "5": "cinq"}


def fold(text: str) -> str:
    """Lower case, no accents, apostrophes/hyphens as spaces, single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[’'`\-_/.,;:()«»\"]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def place_key(name: str) -> str:
    """Key for comparing quartier names: 'Les Quatre-Cités' == '4 cités' == 'quatre cites'."""
    words = [_NUMBERS.get(w, w) for w in fold(name).split()]
    core = [w for w in words if w not in _ARTICLES]
    return " ".join(core or words)


def same_place_name(a: str, b: str) -> bool:
    return place_key(a) == place_key(b)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def title_key(text: str | None) -> str:
    """Key for comparing titles typed twice (an action re-imported without its reference):
    accents, case, punctuation and spacing ignored; '' for no title."""
    return re.sub(r"[^a-z0-9 ]", "", fold(text or "")).strip()
