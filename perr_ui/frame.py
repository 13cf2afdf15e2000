"""Guard for page scripts: they must run inside app.py's st.navigation, never on their own.

Streamlit keeps a relic of its first multipage API: on the first run of a fresh server, while
`app.py` has not called `st.navigation` yet, a folder named `pages/` makes it list every script
of that folder and run the requested one directly — without app.py, so without the role → pages
registry, the public/read-only choice of pages or the shared selectors. `require_app_frame()`,
called at the top of every page, detects that mode and sends the visitor through app.py.
"""
from __future__ import annotations

import inspect
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

GOTO_KEY = "_perr_goto"
PARAMS_KEY = "_perr_goto_params"
FAVICON = Path(__file__).resolve().parent / "favicon.png"
_frame_has_run = False  # set by app.py; once true, Streamlit never goes back to the legacy mode


def mark_app_frame() -> None:
    """Called by app.py each run, right after st.navigation."""
    global _frame_has_run
    _frame_has_run = True


def outside_app_frame() -> bool:
    """True while a fresh server runs a pages/ script by itself (legacy directory mode).

    AppTest resets Streamlit's flag before every run, hence the check that app.py has never
    run in this process: on a real server the two conditions are the same."""
    return bool(PagesManager.uses_pages_directory) and not _frame_has_run


def require_app_frame() -> None:
    if outside_app_frame():
        # remember where the visitor wanted to go; app.py forwards there if the page is theirs
        # and with which query parameters (?territoire=…), which the detour would lose
        st.session_state[GOTO_KEY] = Path(inspect.stack()[1].filename).resolve().name
        st.session_state[PARAMS_KEY] = st.query_params.to_dict()
        st.switch_page("app.py", query_params=st.query_params.to_dict())


def pending_destination() -> tuple[str | None, dict]:
    """File name and query parameters of the page requested before the detour through app.py
    (once)."""
    return st.session_state.pop(GOTO_KEY, None), st.session_state.pop(PARAMS_KEY, {})


def forward(page) -> None:  # noqa: ANN001 - an st.Page
    """The root address: open `page` under its own address, keeping the query parameters."""
    st.switch_page(page, query_params=st.query_params.to_dict())
