"""The server of the PERR dashboard: Streamlit's app (app.py) and the two routes that set and
clear the sign-in cookie (perr_ui/session_routes.py, docs/auth.md).

`make run` runs `streamlit run serve.py`: Streamlit finds `app` below and serves it (st.App),
with the same options and .streamlit/config.toml as `streamlit run app.py`. Started as
`streamlit run app.py`, the app works the same except that an editor's sign-in lasts only as
long as the browser tab (no route to set the cookie).
"""
from streamlit.starlette import App

from perr_ui.common import public_options
from perr_ui.session_routes import ROUTES

public_options()  # before the first visit (PERR_PUBLIC=1): no traceback, no ⋮ menu

app = App("app.py", routes=ROUTES)
