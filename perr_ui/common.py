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


def current_territory_id() -> int | None:
    return st.session_state.get("territory_id")


def current_year() -> int | None:
    year = st.session_state.get("year", ALL_YEARS)
    return None if year in (None, ALL_YEARS) else int(year)
