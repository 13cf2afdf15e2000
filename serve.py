"""The server of the PERR dashboard: Streamlit's app (app.py), the two routes that set and
clear the sign-in cookie (perr_ui/session_routes.py, docs/auth.md), errors shown in French and
Streamlit's metrics closed (perr_ui/serving.py).

`make run` runs `streamlit run serve.py`: Streamlit finds `app` below and serves it (st.App),
with the same options and .streamlit/config.toml as `streamlit run app.py`. Started as
`streamlit run app.py`, the app works the same except that an editor's sign-in lasts only as
long as the browser tab (no route to set the cookie), a page's error is Streamlit's own
box and /_stcore/metrics answers: the public instance is started with serve.py.
"""
from starlette.middleware import Middleware
from streamlit.starlette import App

from perr_ui.common import public_options
from perr_ui.serving import CloseInternals, script_error
from perr_ui.session_routes import ROUTES

public_options()  # before the first visit (PERR_PUBLIC=1): no traceback, no ⋮ menu

app = App("app.py", routes=ROUTES, middleware=[Middleware(CloseInternals)],
          on_script_error=script_error)
