"""Addresses that can be shared: a page's choices (year, commune, quartier, axis, action) are in
its address, so that a link copied from the browser opens the same view, on a fresh server and
on the public instance alike.

One rule for every parameter: before a selector is drawn, `take` gives it the address's value
when that value is new (a link just opened) or when the selector has no state yet (a page
visited again: Streamlit forgets a selector that was not drawn); after it is drawn, `give`
writes the selector's value back into the address. A value the page does not offer (another
territory's quartier, a year without data) is ignored: the page opens on its default.

The values are those a person can read or type: the year (`annee=2022`), the commune's INSEE
code (`commune=94017`), the quartier's official code (`quartier=QN09422M`), the axis number
(`axe=2`), the action's number (`action=123`). Several communes or quartiers of the Actions
filters are separated by commas.
"""
from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

PARAMS = ("territoire", "annee", "commune", "quartier", "axe", "action")


def _applied(param: str) -> str:
    return f"_perr_addr_{param}"


def _wanted(param: str) -> str | None:
    value = st.query_params.get(param)
    return value.strip() if isinstance(value, str) and value.strip() else None


def take(param: str, key: str, offered: Mapping[str, object]) -> bool:
    """Before the selector `key` is drawn: the address's `param`, if new or if the selector has
    no state, chooses it (`offered`: the address's value → the selector's value). True when it
    did."""
    wanted = _wanted(param)
    if wanted is None or wanted not in offered:
        return False
    if wanted != st.session_state.get(_applied(param)) or key not in st.session_state:
        st.session_state[key] = offered[wanted]
        st.session_state[_applied(param)] = wanted
        return True
    return False


def take_many(param: str, key: str, offered: Mapping[str, object]) -> list | None:
    """The same for a list of choices (`a,b,c`): the choices the page offers, or None when the
    address says nothing new."""
    wanted = _wanted(param)
    if wanted is None:
        return None
    values = [offered[p] for p in (part.strip() for part in wanted.split(",")) if p in offered]
    if not values:
        return None
    if wanted != st.session_state.get(_applied(param)) or key not in st.session_state:
        st.session_state[key] = values
        st.session_state[_applied(param)] = wanted
        return values
    return None


def fresh(param: str) -> str | None:
    """The address's `param` when it has not been applied yet in this session (a link just
    opened), else None; the caller checks it and applies it, then `give`s the value."""
    wanted = _wanted(param)
    return wanted if wanted is not None and wanted != st.session_state.get(_applied(param)) \
        else None


def give(param: str, value: str | None) -> None:
    """After the selector is drawn: its value in the address (None: taken out of it)."""
    if value is None or value == "":
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != value:
        st.query_params[param] = value
    st.session_state[_applied(param)] = value


def give_many(param: str, values: list[str]) -> None:
    give(param, ",".join(values) if values else None)


def title(*parts: str | None) -> None:
    """The browser tab's title: the page, then what it shows (a quartier, the territory), then
    the product — each page its own, so that tabs, bookmarks and history can be told apart."""
    words = [p for p in parts if p] + ["Tableau de bord PERR"]
    st.set_page_config(page_title=" – ".join(words))
