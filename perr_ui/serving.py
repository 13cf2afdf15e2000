"""What serve.py adds around the app, besides the sign-in cookie's routes (session_routes.py):

- `script_error`, Streamlit's `on_script_error`: an error of a page is shown as a French
  sentence. A PerrError carries its own (written for the user: a read past the time limit, a
  refused write…); on the public instance any other error gets one fixed sentence, never
  Streamlit's English box, its exception type or its "Ask Google / Ask ChatGPT" links (also
  off by `client.showErrorLinks = false` in .streamlit/config.toml). The error is in the
  server's log either way (Streamlit logs it before calling the handler). On the private
  instance other errors keep Streamlit's box, with the details config.toml asks for.
- `CloseInternals`, an ASGI middleware: Streamlit's `/_stcore/metrics` (sessions, caches,
  memory of the process: nothing a visitor needs, no page of the app reads it) answers 404.
"""
from __future__ import annotations

import re

from perr_model import settings
from perr_model.errors import PerrError

PUBLIC_ERROR = ("Cette page n'a pas pu s'afficher à cause d'une erreur du serveur (elle est "
                "enregistrée pour l'équipe qui gère le tableau de bord). Réessayez dans un "
                "instant, ou ouvrez une autre page.")


def script_error(exc: Exception) -> bool:
    """Show the French message of `exc`; True when it replaced Streamlit's own display."""
    import streamlit as st

    from perr_ui.text import md
    if isinstance(exc, PerrError):
        st.error(md(str(exc)))
        return True
    if settings.is_public():
        st.error(PUBLIC_ERROR)
        return True
    return False


# Paths closed whatever the base URL: `/_stcore/metrics`, with or without a trailing slash or
# doubled slashes.
_CLOSED = re.compile(r"(^|/)_stcore/+metrics/*$")


class CloseInternals:
    """ASGI middleware: 404 for Streamlit's internal paths the app does not serve."""

    def __init__(self, app) -> None:  # noqa: ANN001 - the ASGI app below
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI
        if scope["type"] == "http" and _CLOSED.search(scope.get("path", "")):
            from starlette.responses import PlainTextResponse
            await PlainTextResponse("Page introuvable.", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)
