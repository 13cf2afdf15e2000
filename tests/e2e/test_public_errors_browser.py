"""The public instance in a browser when a page fails (issue 28, item 6): a French sentence,
no English box, no exception type, no link to another site; Streamlit's /_stcore/metrics
closed by serve.py (the server `make run` starts)."""
import urllib.error
import urllib.request

import pytest

from perr_ui.serving import PUBLIC_ERROR


@pytest.fixture(scope="module")
def broken_db(tmp_path_factory) -> str:
    """A file that is not a database: every read fails (sqlite3.DatabaseError)."""
    path = tmp_path_factory.mktemp("e2e-broken") / "perr.sqlite"
    path.write_bytes(b"ceci n'est pas une base de donnees\n" * 200)
    return f"sqlite:///{path}"


@pytest.mark.parametrize("script", ["serve.py", "app.py"])
def test_a_failing_page_says_so_in_french_without_outside_links(script, start_app, broken_db,
                                                                page):
    """serve.py writes the sentence itself; `streamlit run app.py` shows Streamlit's box, whose
    English is put in French by perr_ui/i18n.py and whose outside links config.toml turns off."""
    base = start_app(broken_db, public=True, script=script)
    page.goto(f"{base}/couverture")   # (goto() waits for the page's title: there is none)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text(PUBLIC_ERROR).wait_for(timeout=60_000)
    text = main.inner_text()
    for english in ("This app has encountered an error", "Ask Google", "Ask ChatGPT",
                    "DatabaseError", "Traceback", "sqlite", "perr.sqlite"):
        assert english not in text, english
    hrefs = main.locator("a").evaluate_all("els => els.map(e => e.href)")
    assert [h for h in hrefs if not h.startswith(base)] == []
    if script == "serve.py":
        assert page.locator('[data-testid="stException"]').count() == 0


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_streamlit_metrics_are_closed(start_app, e2e_db):
    base = start_app(e2e_db, public=True)
    for path in ("/_stcore/metrics", "/_stcore/metrics/", "//_stcore//metrics",
                 "/_stcore/metrics?families=session_events"):
        assert _status(base + path) == 404, path
    assert _status(base + "/_stcore/health") == 200
    bare = start_app(e2e_db, public=True, script="app.py")   # without serve.py: open
    assert _status(bare + "/_stcore/metrics") == 200
