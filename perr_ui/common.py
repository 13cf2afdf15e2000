"""Engine, role and the selectors that stay set across pages."""
from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from perr_model import settings
from perr_model.store import database_url, make_engine
from perr_model.vocabulary import ALL_YEARS, euros as fr_euros, number as fr_number  # noqa: F401



def is_public() -> bool:
    return settings.is_public()


@st.cache_resource(show_spinner=False)
def _engine(url: str, read_only: bool) -> Engine:
    return make_engine(url, read_only=read_only)


def read_engine() -> Engine:
    """The read-only engine every reading page uses (public or not)."""
    return _engine(database_url(), True)


def write_engine() -> Engine:
    """Read-write engine, for editing pages only; refused outright on the public instance."""
    if is_public():
        from perr_model.errors import ReadOnlyStore
        raise ReadOnlyStore("Instance publique : lecture seule.")
    return _engine(database_url(), False)


def session() -> Session:
    return Session(read_engine())


@st.cache_resource(show_spinner=False)
def _warmed(url: str) -> bool:
    from perr_model.figures import stored
    try:
        with Session(_engine(url, True)) as s:
            fresh = stored.has_current(s)
    except Exception:  # noqa: BLE001 - no store yet: the page says so itself
        return False
    if not fresh and not is_public():
        stored.refresh_later(url)
    return True


def warm_figures() -> None:
    """At the first run of the process: when no figure is stored for the current data (a store
    written by hand, or built before the figures were stored), store them in the background.
    The public instance cannot write: its writers (the private app, the commands) do it."""
    _warmed(database_url())


def data_changed() -> None:
    """After a write (form, import): forget this process's cached results and store the
    figures of the new data in the background (perr_model.figures.stored). The pages stay
    exact meanwhile: their cache is keyed by the data version, which the write changed."""
    from perr_model.figures import stored
    st.cache_data.clear()
    if not is_public():
        stored.refresh_later(database_url())


def current_territory_id() -> int | None:
    return st.session_state.get("territory_id")


def current_year() -> int | None:
    year = st.session_state.get("year", ALL_YEARS)
    return None if year in (None, ALL_YEARS) else int(year)
