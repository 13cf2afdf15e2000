"""The two routes of the server (serve.py) that set and clear the sign-in cookie (docs/auth.md).

A Streamlit script talks to the browser over a websocket and cannot answer with a Set-Cookie;
these routes, served by the same process next to Streamlit (`st.App`), can:

- POST /api/session with the one-time code of a sign-in (header X-Perr-Code): the cookie
  `perr_session` = the token (HttpOnly, SameSite=Strict, Path=/, Secure when the page came over
  https, max-age = PERR_SESSION_HOURS), 204; 403 for a code that is unknown, used or too old;
- POST /api/session/fin: the cookie's token revoked and the cookie cleared, 204.

Both refuse a request from another site (Origin) and answer 404 on the public instance, where
no token is ever read or written.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from perr_model import session_tokens, settings
from perr_ui import common

OPEN_PATH, CLOSE_PATH = "/api/session", "/api/session/fin"
CODE_HEADER = "x-perr-code"


def _same_origin(request: Request) -> bool:
    """A request sent by a page of this server (fetch from the app), not by another site."""
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site", "same-origin") == "same-origin"
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _https(request: Request) -> bool:
    """Served over https: directly, or behind a proxy that says so (X-Forwarded-Proto)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _cookie_options(request: Request) -> dict:
    return {"path": "/", "httponly": True, "samesite": "strict", "secure": _https(request)}


def _refused(request: Request) -> Response | None:
    if settings.is_public():
        return Response(status_code=404)
    if not _same_origin(request):
        return Response(status_code=403)
    return None


def open_cookie(request: Request) -> Response:
    refused = _refused(request)
    if refused is not None:
        return refused
    with common.store().write() as s:
        token = session_tokens.exchange(s, request.headers.get(CODE_HEADER, ""))
    if token is None:
        return Response(status_code=403)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(session_tokens.COOKIE_NAME, token,
                        max_age=int(session_tokens.lifetime().total_seconds()),
                        **_cookie_options(request))
    return response


def close_cookie(request: Request) -> Response:
    refused = _refused(request)
    if refused is not None:
        return refused
    token = request.cookies.get(session_tokens.COOKIE_NAME)
    if token:
        with common.store().write() as s:
            session_tokens.revoke(s, token=token)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(session_tokens.COOKIE_NAME, **_cookie_options(request))
    return response


# Plain functions: Starlette runs them in its thread pool (the database calls block).
ROUTES = [Route(OPEN_PATH, open_cookie, methods=["POST"]),
          Route(CLOSE_PATH, close_cookie, methods=["POST"])]
