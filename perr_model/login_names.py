"""Account names as people type them, and as the database matches them (issue 28, item 7).

A name is normalised once, in Python, the same way on both backends: Unicode NFC, then
case-folding (`str.casefold`, not SQL `lower()`, which on SQLite folds ASCII only: « Élodie »
could never sign in). The folded form is kept in `user_account.login` (migration
0011_sign_in_throttle), unique, and every look-up goes through it. A new name is refused when
it holds a character a person cannot see or that reorders the text: control characters,
zero-width and bidirectional marks (Unicode category Cf), separators other than the space.
"""
from __future__ import annotations

import unicodedata

MAX_LENGTH = 120
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def login_key(name: str | None) -> str:
    """The form a name is matched by: trimmed, NFC, case-folded (then NFC again: folding can
    decompose), at most MAX_LENGTH characters."""
    text = unicodedata.normalize("NFC", (name or "").strip())
    return unicodedata.normalize("NFC", text.casefold())[:MAX_LENGTH]


def stored_name(name: str | None) -> str:
    """The name as it is stored and shown: trimmed, NFC (the case kept)."""
    return unicodedata.normalize("NFC", (name or "").strip())


def name_problem(name: str) -> str | None:
    """Why this account name is refused (French), or None."""
    for char in name:
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES or (category == "Zs" and char != " "):
            return ("caractère invisible ou de mise en forme interdit (caractère de contrôle, "
                    "de largeur nulle, de sens d'écriture ou espace spéciale)")
    if len(name) > MAX_LENGTH:
        return f"{MAX_LENGTH} caractères au plus"
    return None
