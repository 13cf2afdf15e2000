"""The app's Store (engines, the one write path), role and the selectors that stay set across
pages."""
from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from perr_model import settings
from perr_model.store import Store, database_url
from perr_model.vocabulary import ALL_YEARS, euros as fr_euros, number as fr_number  # noqa: F401



def is_public() -> bool:
    return settings.is_public()


def public_options() -> None:
    """The public instance's Streamlit options, set by serve.py when the server starts (so the
    first visit has them) and by app.py at every run (a server started as `streamlit run
    app.py`): no traceback for visitors, and no ⋮ menu — "viewer" still lists Streamlit's
    English "Record screen" and "Made with Streamlit v…", "minimal" only the app's own items
    (none). docs/public-instance.md."""
    if is_public():
        st.set_option("client.showErrorDetails", "none")
        st.set_option("client.toolbarMode", "minimal")


@st.cache_resource(show_spinner=False)
def _store(url: str, read_only: bool) -> Store:
    """One Store per database (and mode) for the whole process, shared by every session.
    After a write that changed the data it stores the figures in the background
    (perr_model.figures.stored.refresh_later) and, through the hook registered here, forgets
    the data version this process read (`forget_version`): the next run reads
    the new one. The cached figures are keyed by the version at which each last changed
    (widgets.figure_version): those outside the write's scope stay cached, the others are
    read again; nothing is cleared wholesale. perr_model never imports streamlit."""
    store = Store(url, read_only=read_only)
    store.on_change(forget_version)
    return store


@st.cache_data(ttl=1, show_spinner=False, max_entries=8)
def _version(url: str) -> int:
    from perr_model.figures.stored import current_version
    with Session(_engine(url, True)) as s:
        return current_version(s)


def data_version(url: str | None = None) -> int:
    """The database's data version (perr_model.figures.stored.current_version), read at most
    once a second per process (a page's reads share it; this process's own writes forget it
    through the Store's write hook: `forget_version`)."""
    return _version(url or database_url())


def forget_version() -> None:
    """After a write by this process: the next read asks the database for its version."""
    _version.clear()


def store() -> Store:
    """The app's Store; built read-only on the public instance (its write() is refused)."""
    return _store(database_url(), is_public())


def _engine(url: str, read_only: bool) -> Engine:
    store = _store(url, is_public())
    return store.read_engine if read_only else store.write_engine


def read_engine() -> Engine:
    """The read-only engine every reading page uses (public or not)."""
    return store().read_engine


def session() -> Session:
    return Session(read_engine())


def write():
    """`with common.write() as s:` one transaction (Store.write): committed or nothing; after
    a change, the figures are stored again in the background and the data version is read
    again (the cached figures outside the write's scope are kept: widgets.figure_version)."""
    return store().write()


def remembered(key: str, read, warn: bool = True):  # noqa: ANN001, ANN201
    """read() → its value, kept in this session; when the database does not answer, the value
    of the last run (with the French warning, unless `warn` is False), so that a form is drawn
    again with what was typed in it: Streamlit forgets the widgets a run does not draw. With
    nothing kept yet, the error goes on."""
    from perr_model.errors import DatabaseUnavailable
    from perr_ui.text import md
    try:
        value = read()
    except DatabaseUnavailable as exc:
        if key not in st.session_state:
            raise
        if warn:
            st.warning(md(str(exc)) + " La page affiche ce qu'elle avait lu ; vos saisies "
                       "restent dans les champs.")
        return st.session_state[key]
    st.session_state[key] = value
    return value


def refused(exc: Exception, limit: int | None = None) -> None:
    """A refused write or import: its message, then its problems (text from the file, shown
    literally) as one list (the first `limit` of them)."""
    from perr_ui.text import md
    st.error(md(str(exc)))
    problems = getattr(exc, "problems", None)   # ImportRefused: one line per problem
    if isinstance(problems, list) and problems:
        st.markdown("\n".join(f"- {md(p, multiline=False)}" for p in problems[:limit]))


@st.cache_resource(show_spinner=False)
def _warmed(url: str) -> bool:
    from perr_model.figures import stored
    try:
        with _store(url, is_public()).read() as s:
            fresh = stored.has_current(s)
    except Exception:  # noqa: BLE001 - no store yet: the page says so itself
        return False
    if not fresh and not is_public():
        stored.refresh_later(url, _store(url, False).background_writer)
    return True


def warm_figures() -> None:
    """At the first run of the process: when no figure is stored for the current data (a store
    written by hand, or built before the figures were stored), store them in the background.
    The public instance cannot write: its writers (the private app, the commands) do it."""
    _warmed(database_url())


def current_territory_id() -> int | None:
    return st.session_state.get("territory_id")


def current_year() -> int | None:
    year = st.session_state.get("year", ALL_YEARS)
    return None if year in (None, ALL_YEARS) else int(year)
