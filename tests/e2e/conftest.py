"""Browser fixtures: the real app (`streamlit run serve.py`, what `make run` starts) in Debian's
Chromium via Playwright.

Reusable by every e2e test file:

- `start_app(database_url, public=False, env=None, script="serve.py")` starts `streamlit run
  serve.py` on a free port with that environment (DATABASE_URL, PERR_PUBLIC, ...), waits for
  /_stcore/health and returns the base URL; the same environment is started once per session,
  all are stopped at the end (serve.py: `make run`'s server, app.py with the sign-in cookie's
  routes, docs/auth.md; `script="app.py"` for the bare app);
- `browser` one Chromium for the session; `page` a fresh desktop page (1400×900), and
  `new_page(width, height)` for other sizes (phone: 390×844);
- `goto(page, url)` loads a URL and waits until the script has finished running;
- `rerun(page, act, expect=None)` does `act()` (a click, a key press), waits until the app has
  started a new run because of it and finished it, then (if given) until `expect` is on the
  page: never "click, then hope the page is already idle";
- `e2e_db` a copy of the embedded database (real data, read-only use), `demo_db` the same plus
  a generated demonstration territory.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("PERR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP, PHONE = (1400, 900), (390, 844)


def pytest_collection_modifyitems(items):  # noqa: ANN001
    here = str(Path(__file__).resolve().parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.e2e)  # one worker runs them all: tests/conftest.py


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    def __init__(self, env: dict[str, str], log: Path, script: str = "serve.py"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=full, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        self._wait()

    def _wait(self, timeout: float = 60) -> None:
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit s'est arrêté : {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"streamlit ne répond pas sur {self.url}")

    def stop(self) -> None:
        self.terminate()
        self.wait()

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()

    def wait(self) -> None:
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture(scope="session")
def start_app(tmp_path_factory):
    servers: dict[tuple, AppServer] = {}
    logs = tmp_path_factory.mktemp("streamlit-logs")

    def start(database_url: str, public: bool = False, env: dict | None = None,
              script: str = "serve.py") -> str:
        full = {"DATABASE_URL": database_url, "PERR_PUBLIC": "1" if public else "0",
                **(env or {})}
        key = (script, *sorted(full.items()))
        if key not in servers:
            servers[key] = AppServer(full, logs / f"app-{len(servers)}.log", script)
        return servers[key].url

    yield start
    for server in servers.values():   # all asked to stop at once, then each awaited
        server.terminate()
    for server in servers.values():
        server.wait()


@pytest.fixture(scope="session")
def e2e_db(embedded_sqlite, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("e2e") / "perr.sqlite"
    shutil.copy(embedded_sqlite, path)
    return f"sqlite:///{path}"


SESSION_COOKIE = "perr_session"


def session_cookie(context, present: bool = True, timeout: float = 60):
    """The sign-in cookie once the page's request to the server has set (or cleared) it: a
    sign-in is kept across pages only then (docs/auth.md)."""
    end = time.time() + timeout
    while True:
        found = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
        if bool(found) == present:
            return found[0] if found else None
        assert time.time() < end, f"cookie {'absent' if present else 'toujours là'}"
        time.sleep(0.1)


def copy_with_accounts(embedded_sqlite, tmp_path_factory, name: str) -> str:
    """URL of a copy of the embedded store with the editing tests' accounts
    (tests/editing_support.py: the Champigny editor, an administrator…)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from editing_support import add_accounts
    path = tmp_path_factory.mktemp(name) / "perr.sqlite"
    shutil.copy(embedded_sqlite, path)
    url = f"sqlite:///{path}"
    add_accounts(url)
    return url


@pytest.fixture(scope="session")
def demo_db(embedded_sqlite, tmp_path_factory) -> str:
    from perr_model import synthetic
    path = tmp_path_factory.mktemp("e2e-demo") / "perr.sqlite"
    shutil.copy(embedded_sqlite, path)
    url = f"sqlite:///{path}"
    synthetic.generate_into(url, n_qpv=20, n_contrats=4, n_actions=2000, n_funding_lines=4000)
    return url


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium absent ({CHROMIUM}) : apt-get install -y chromium")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(width: int = DESKTOP[0], height: int = DESKTOP[1]):
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR",
                                  accept_downloads=True)
        contexts.append(ctx)
        return _count_frames(ctx.new_page())

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def page(new_page):
    return new_page(*DESKTOP)


def goto(page, url: str, timeout: float = 60_000) -> None:
    """Load `url` and wait until Streamlit has finished running the script."""
    page.goto(url)
    wait_idle(page, timeout)


def _count_frames(page):
    """Count the messages the server sends the page (every run sends some; an idle page none).
    Attached when the page is made, before its first connection."""
    page.perr_frames = [0]

    def on_socket(ws):
        ws.on("framereceived", lambda _payload: page.perr_frames.__setitem__(
            0, page.perr_frames[0] + 1))

    page.on("websocket", on_socket)
    return page


def rerun(page, act, expect: str | None = None, timeout: float = 60_000) -> None:
    """`act()`, then wait for the run it starts (the server's messages to the page: an idle
    page receives none, so the wait cannot end on the page as it was before), the end of that
    run, and `expect` (a text of the page) if given. The script state in the page cannot tell:
    a short run can go from "running" back to "notRunning" in one rendering."""
    before = page.perr_frames[0]
    act()
    end = time.monotonic() + timeout / 1000
    while page.perr_frames[0] == before:
        assert time.monotonic() < end, "aucune exécution de la page après l'action"
        page.wait_for_timeout(50)
    if expect is not None:
        wait_for_text(page, expect, timeout)
    wait_idle(page, timeout)


def wait_for_text(page, needle: str, timeout: float = 60_000) -> None:
    """Until `needle` is in the page's text, then until the page is idle."""
    page.wait_for_function("(t) => document.body.innerText.includes(t)", arg=needle,
                           timeout=timeout)
    wait_idle(page, timeout)


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until the script has run (a title is shown) and is no longer running."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout)
    # A widget set on load (query parameter, default) may trigger a rerun right after the first
    # run: wait until the app reports "notRunning", with no element still loading (skeletons of
    # lazily loaded charts and tables) or stale, on several consecutive polls (the app's own
    # state, not a fixed delay).
    page.evaluate("() => { window.__perrIdle = 0; }")
    try:
        _wait_idle(page, timeout)
    except Exception as exc:
        state = page.evaluate(
            """() => [document.querySelector('[data-testid="stApp"]')
                      ?.getAttribute('data-test-script-state'),
                      ...[...document.querySelectorAll('[data-testid="stSkeleton"], '
                          + '[data-testid="stSkeletonElement"], [data-testid="stAppSkeleton"], '
                          + '[data-stale="true"]')].filter(e => e.offsetParent !== null)
                         .map(e => e.getAttribute('data-testid') || 'stale')]""")
        raise AssertionError(f"La page ne se stabilise pas : {state}") from exc


def _wait_idle(page, timeout: float) -> None:
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            const loading = [...document.querySelectorAll(
                '[data-testid="stSkeleton"], [data-testid="stSkeletonElement"], '
                + '[data-testid="stAppSkeleton"], [data-stale="true"]')]
                .some(e => e.offsetParent !== null);   // shown (not in a folded expander)
            const idle = app && app.getAttribute('data-test-script-state') === 'notRunning'
                && !loading;
            window.__perrIdle = idle ? (window.__perrIdle || 0) + 1 : 0;
            return window.__perrIdle >= 4;
        }""", polling=100, timeout=timeout)


def screenshot(page, name: str) -> Path:
    """Whole page: the viewport is stretched to the main area's height for the shot."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"],
                                                                   min(int(height), 6000))})
    page.evaluate("() => document.fonts.ready")
    wait_idle(page)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path
