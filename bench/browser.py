"""Browser benchmark: what a person waits for in a real browser, against the real server.

    .venv/bin/python bench/browser.py [--small | --actions N] [--runs 5]
        [--pages Couverture,Actions] [--datasets embedded,national] [--backends sqlite,postgresql]
        [--visitors 1,5,10,20] [--instances 1,2]

Playwright drives Debian's Chromium (/usr/bin/chromium, no browser download) against
`streamlit run app.py` started as a subprocess on a free loopback port (127.0.0.1 only).

Measured, per dataset (embedded data of data/, or the labelled national synthetic set of
perr_model.synthetic as built by bench/scale.py: 200,000 actions, 1,500 QPV) and per backend
(a temporary SQLite file, or a throw-away PostgreSQL database on PERR_BENCH_PG_URL's server,
dropped at the end):

- first render of each reading page of perr_ui/nav.py (new pages are picked up from the
  registry): a new browser context (a new Streamlit session) loads the page; the time runs
  from navigation start until the script is idle
  (`[data-testid="stApp"][data-test-script-state="notRunning"]`, or its end read on the
  websocket) with every chart, map and table drawn, and the page stays still for 0.5 s: no
  node added or removed, no rerun (a widget set on load may cause one more), and no long task
  of the page's main thread (deck.gl compiling its shaders and drawing, in software here: the
  page does not answer a click meanwhile; counted since 2026-11-24, 07:20);
- year change: another year is chosen in the sidebar's "Année" selectbox; time from the click
  on the option until idle with charts drawn;
- websocket bytes received per render (sum of the payloads of the frames received by the
  page between the start and the end of that render);
- N concurrent public visitors (PERR_PUBLIC=1): N separate browser contexts open Couverture
  at once, each timed to idle with charts drawn; with --instances 2, two servers on two ports
  and the visitors split round robin (in production a reverse proxy does that split:
  docs/postgresql.md § 2). The servers' caches are warmed by one visit first; a wave is
  bounded by --visitor-timeout. Each wave is followed by the same number of visitors without
  a browser (`protocol_visit`: a websocket session speaking Streamlit's protocol, timed until
  the script has finished): what the server does for them, without the drawing that each
  visitor's own device does in real life (N Chromium tabs on these 2 cores measure mostly
  themselves).
- the framework floor: a minimal Streamlit script (one st.write, one sidebar selectbox
  "Année") written to a temporary directory, timed the same way, so that every figure also
  reads as a ratio to that floor.

The first run of each page (new server process, empty caches) is counted in the runs: the
max of a first render is usually that cold run. Prints `uptime` at start and end, medians
with min–max, and the targets of issue 12 next to the results. The machine has 2 cores:
the browser, the server and the database share them.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CHROMIUM = os.environ.get("PERR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PG_ADMIN = os.environ.get("PERR_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
VIEWPORT = {"width": 1400, "height": 900}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SETTLE_MS = 500          # idle this long = done (a widget set on load may rerun the script)
STEP_TIMEOUT_S = 120     # one render, one year change

# Targets of issue 12 (2 cores, medians).
TARGET_FIRST_RATIO = 1.5      # first render ≤ 1.5 × the floor page
TARGET_YEAR_S = 0.3           # filter / year change
TARGET_VISITORS_S = 3.0       # 20 concurrent public visitors on Couverture, national, 1 instance
TARGET_YEAR_KB = 60           # websocket payload per year change, national

FLOOR_SCRIPT = '''import streamlit as st
st.set_page_config(page_title="Plancher", layout="wide")
with st.sidebar:
    st.selectbox("Année", ["Toutes les années", "2022", "2023", "2024"], key="year")
st.title("Plancher")
st.write("Une page Streamlit minimale :", st.session_state.year)
'''

# In-page probe, installed before any script of the page runs: counts the script's
# transitions to "not running", keeps the time of the last one (performance.now(), ms since
# navigation start) and tells whether every chart is drawn.
PROBE = """
(() => {
  const st = window.__perr = {idle: 0, lastIdle: 0, running: false, lastMut: 0, files: 0};
  // Work of the page's main thread that changes no node (deck.gl compiling its shaders and
  // drawing the map on the canvas, in software without a GPU): a page busy this way does not
  // answer a click yet, so the end of the last long task (> 50 ms) counts as a change.
  st.lastBusy = 0;
  const seen = entries => { for (const e of entries)
    st.lastBusy = Math.max(st.lastBusy, e.startTime + e.duration); };
  try {
    st.obs = new PerformanceObserver(list => seen(list.getEntries()));
    st.obs.observe({type: 'longtask', buffered: true});
  } catch (e) { /* no long-task timing: the heartbeat below still sees them */ }
  // The observer's callback is a low-priority task: the bench's own look at the page can run
  // first, right after a long task, and would miss it. So each look also takes the observer's
  // pending entries, and a heartbeat (every 10 ms while the thread is free) tells a look that
  // comes out of a long task: no beat for more than 50 ms = busy until now.
  st.beat = performance.now();
  setInterval(() => { st.beat = performance.now(); }, 10);
  st.busy = () => {
    const now = performance.now();
    if (st.obs) seen(st.obs.takeRecords());
    if (now - st.beat > 50) st.lastBusy = Math.max(st.lastBusy, now);
    return st.lastBusy;
  };
  // The maps' files (app/static/, loaded by deck.gl with fetch): a page is not drawn while
  // one is on its way; its arrival counts as a change of the page.
  const fetch0 = window.fetch;
  window.fetch = function (...args) {
    const url = String((args[0] && args[0].url) || args[0]);
    if (!url.includes('app/static/')) return fetch0.apply(this, args);
    st.files += 1;
    return fetch0.apply(this, args).finally(() => {
      st.files -= 1; st.lastMut = performance.now(); });
  };
  // Pictures (the maps drawn as SVG images, perr_model/svgmap.py): a page is not drawn while
  // one is loading; its arrival counts as a change.
  document.addEventListener('load', e => {
    if (e.target && e.target.tagName === 'IMG') st.lastMut = performance.now(); }, true);
  // Charts, maps and tables are lazy elements: a skeleton first, then a frame whose chart
  // module is fetched, then the drawing. Ready = no skeleton, every shown frame holds a drawing.
  const charts = window.__perrCharts = () => {
    if (document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]')) return false;
    // frames in a closed expander or a hidden tab draw nothing until shown
    const frames = [...document.querySelectorAll('[data-testid="stFullScreenFrame"]')]
      .filter(f => f.offsetWidth > 0 && f.offsetHeight > 0);
    const plots = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    const decks = [...document.querySelectorAll('[data-testid="stDeckGlJsonChart"]')];
    return frames.every(f => f.querySelector(
      'canvas, svg.main-svg, img, table, .stDataFrameGlideDataEditor'))
        && plots.every(p => p.querySelector('.main-svg, canvas'))
        && decks.every(d => d.querySelector('canvas')) && st.files === 0
        && [...document.querySelectorAll('[data-testid="stMain"] img')]
             .every(i => i.complete);
  };
  // Mutation records carry the old value: a run that starts and ends between two callbacks
  // is still counted (a fast rerun would otherwise be missed).
  const look = (records) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return;
    const state = app.getAttribute('data-test-script-state');
    let ended = false;
    for (const r of records || []) {
      if (r.type === 'childList') st.lastMut = performance.now();
      if (r.type === 'attributes' && r.attributeName === 'data-test-script-state'
          && r.oldValue === 'running') ended = true;
    }
    if (state === 'running') { st.running = true; }
    else if (state === 'notRunning' && (st.running || ended)) {
      st.running = false; st.idle += 1; st.lastIdle = performance.now();
    }
  };
  const start = () => {
    new MutationObserver(look).observe(document.documentElement,
      {subtree: true, attributes: true, attributeOldValue: true, childList: true});
    look([]);
  };
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def loadavg() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


# ---------------------------------------------------------------------------------------------
# Servers and databases


class Server:
    """`streamlit run SCRIPT` on a free loopback port; stop() always ends it."""

    def __init__(self, script: str, cwd: Path, env: dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        full = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=cwd, env=full, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        try:
            self._wait()
        except BaseException:
            self.stop()
            raise

    def _wait(self, timeout: float = 90) -> None:
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
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
NGINX_SITE = ROOT / "docs" / "deploy" / "nginx.conf"
NGINX_MISSING = ("nginx absent : vague à 2 instances derrière le proxy non mesurée "
                 "(apt-get install nginx, puis relancer ; docs/deploy/nginx.conf)")


class Proxy:
    """nginx in front of `servers`, with docs/deploy/nginx.conf as documented (its upstream
    servers and its port replaced), run in the foreground from a temporary prefix."""

    def __init__(self, servers: list["Server"], tmp: Path):
        import re
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        root = tmp / f"nginx-{self.port}"
        root.mkdir()
        root.chmod(0o755)
        site = NGINX_SITE.read_text(encoding="utf-8")
        upstream = "".join(f"    server 127.0.0.1:{s.port};\n" for s in servers)
        site = re.sub(r"(?m)^    server 127\.0\.0\.1:\d+;\n", "", site)
        site = site.replace("    hash $perr_key consistent;\n",
                            "    hash $perr_key consistent;\n" + upstream)
        site = re.sub(r"(?m)^    listen 80;", f"    listen 127.0.0.1:{self.port};", site)
        temps = "".join(f"    {k}_temp_path {root / k};\n"
                        for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root root;\n" if os.geteuid() == 0 else ""
        conf = (f"{user}daemon off;\nworker_processes 1;\npid {root / 'nginx.pid'};\n"
                f"error_log {root / 'error.log'} warn;\nevents {{ worker_connections 4096; }}\n"
                f"http {{\n    access_log off;\n{temps}{site}\n}}\n")
        (root / "nginx.conf").write_text(conf, encoding="utf-8")
        self.log = root / "error.log"
        self.proc = subprocess.Popen([NGINX, "-p", str(root), "-c", str(root / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        end = time.time() + 20
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx s'est arrêté : " + (self.log.read_text()[-1500:]
                                                               if self.log.exists() else ""))
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise TimeoutError("nginx ne répond pas")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class Databases:
    """Temporary stores; every PostgreSQL database created here is dropped by close()."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.pg_names: list[str] = []
        self._admin = None

    def admin(self):
        if self._admin is None:
            from sqlalchemy import create_engine
            self._admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        return self._admin

    def new_url(self, backend: str, name: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.sqlite')}"
        from sqlalchemy import text
        db = f"perr_bench_{name}_{uuid.uuid4().hex[:8]}"
        with self.admin().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        self.pg_names.append(db)
        return PG_ADMIN.rsplit("/", 1)[0] + "/" + db

    def close(self) -> None:
        if self._admin is None:
            return
        from sqlalchemy import text
        with self._admin.connect() as conn:
            for db in self.pg_names:
                try:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
                except Exception as exc:  # noqa: BLE001 - report and go on dropping
                    print(f"  base {db} non supprimée : {exc}", file=sys.stderr)
        self._admin.dispose()


def build_store(dbs: Databases, backend: str, dataset: str, plan: dict) -> tuple[str, str | None]:
    """(url, territory slug to open) with the embedded data, plus the synthetic set if national."""
    url = dbs.new_url(backend, dataset)
    t0 = time.perf_counter()
    if dataset == "embedded":
        from perr_model.commands import init_database
        init_database(url)
        slug = None
    else:
        sys.path.insert(0, str(ROOT / "bench"))
        import scale  # bench/scale.py: schema, referential, ANCT posts, synthetic, ANALYZE
        from perr_model import synthetic
        scale.load(url, plan)
        slug = synthetic.SLUG
    print(f"  base {backend} / {dataset} prête en {time.perf_counter() - t0:.1f} s", flush=True)
    return url, slug


# ---------------------------------------------------------------------------------------------
# Measuring in the browser


@dataclass
class Sample:
    seconds: float        # until idle with every chart drawn
    kbytes: float         # websocket payload received
    script: float = 0.0   # until the script's end (server work + transfer); the rest is drawing
    files_kb: float = 0.0  # map files loaded over HTTP (app/static/, perr_ui/mapfiles.py)


@dataclass
class PageResult:
    first: list[Sample] = field(default_factory=list)
    year: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Wire:
    """Bytes of websocket frames received by one page, and of the map files it loaded; the
    scripts' ends read from the frames themselves (ForwardMsg script_finished): a rerun that
    takes a few milliseconds may never show "running" in the page (the front-end draws its
    start and its end in one go), so the page alone can miss it."""

    def __init__(self, page):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        self._forward = ForwardMsg
        self._early = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
        self.received = 0
        self.files = 0
        self.finished = 0          # scripts ended (a rerun stopped for another one excluded)
        self.last_finish = 0.0     # time.perf_counter() of the last end
        page.on("websocket", self._ws)
        page.on("response", self._response)

    def _response(self, response) -> None:
        if "/app/static/" in response.url:
            self.files += int(response.headers.get("content-length") or 0)

    def _ws(self, ws) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        self.received += len(data)
        try:
            msg = self._forward()
            msg.ParseFromString(data)
        except Exception:  # noqa: BLE001 - not a ForwardMsg: counted in bytes only
            return
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished != self._early:
            self.finished += 1
            self.last_finish = time.perf_counter()


async def new_context(browser):
    ctx = await browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    await ctx.add_init_script(PROBE)
    return ctx


async def wait_done(page, wire: Wire, idle_before: int, finished_before: int,
                    timeout_s: float) -> tuple[float, float]:
    """Wait until the script ended since `idle_before` / `finished_before` (seen in the page or
    on the websocket), every chart is drawn and the page has not changed (no node added or
    removed, no rerun, no long task of its main thread) for SETTLE_MS; returns the page-clock times (ms since navigation start)
    of the last change (the moment the page was complete) and of the script's end.
    (Charts are lazy elements: a map's canvas appears after the script's end.)"""
    snap = ("() => { const s = window.__perr; return s ? [performance.now(), s.idle, s.running,"
            " window.__perrCharts(), Math.max(s.lastMut, s.busy()), s.lastIdle] : null; }")
    end = time.perf_counter() + timeout_s
    while True:
        before = time.perf_counter()
        got = await page.evaluate(snap)
        after = time.perf_counter()
        if got:
            now, idle, running, drawn, last_mut, last_idle = got
            offset = now - (before + after) / 2 * 1000   # page clock minus ours, in ms
            if wire.finished > finished_before:  # the end as the websocket saw it
                last_idle = max(last_idle, wire.last_finish * 1000 + offset)
            ended = idle > idle_before or wire.finished > finished_before
            if (ended and not running and drawn and now - last_mut >= SETTLE_MS
                    and now - last_idle >= SETTLE_MS):
                return max(last_idle, last_mut), last_idle
        if after > end:
            raise TimeoutError(f"page pas prête en {timeout_s:.0f} s")
        await asyncio.sleep(0.1)


async def first_render(browser, url: str) -> tuple[Sample, object, Wire, object]:
    ctx = await new_context(browser)
    page = await ctx.new_page()
    wire = Wire(page)
    await page.goto(url, wait_until="commit", timeout=STEP_TIMEOUT_S * 1000)
    done, idle = await wait_done(page, wire, 0, 0, STEP_TIMEOUT_S)
    kb = wire.received / 1024
    if await page.locator('[data-testid="stException"]').count():
        raise RuntimeError("la page affiche une erreur")
    return Sample(done / 1000, kb, idle / 1000, wire.files / 1024), ctx, wire, page


async def year_change(page, wire: Wire, run: int) -> Sample:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="Année")
    await box.locator("input, [role=combobox]").first.click(timeout=10_000)
    options = page.locator('[role="option"]')
    await options.first.wait_for(timeout=10_000)
    labels = [t.strip() for t in await options.all_inner_texts()]
    current = await box.locator("input").first.input_value() if await box.locator(
        "input").count() else ""
    choices = [label for label in labels if label and label != current] or labels
    target = choices[run % len(choices)]
    idle_before = await page.evaluate("() => window.__perr.idle")
    finished_before = wire.finished
    wire.received = wire.files = 0
    t_click = await page.evaluate("() => performance.now()")
    await options.filter(has_text=target).first.click(timeout=10_000)
    done, idle = await wait_done(page, wire, idle_before, finished_before,
                                 STEP_TIMEOUT_S)
    return Sample((done - t_click) / 1000, wire.received / 1024, (idle - t_click) / 1000,
                  wire.files / 1024)


async def measure_page(browser, url: str, runs: int) -> PageResult:
    res = PageResult()
    for run in range(runs):
        ctx = None
        try:
            sample, ctx, wire, page = await asyncio.wait_for(
                first_render(browser, url), STEP_TIMEOUT_S + 30)
            res.first.append(sample)
            res.year.append(await asyncio.wait_for(year_change(page, wire, run),
                                                   STEP_TIMEOUT_S + 30))
        except Exception as exc:  # noqa: BLE001 - a failed step is a result, the bench goes on
            res.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
        finally:
            if ctx is not None:
                await ctx.close()
    return res


async def visitors_wave(browser, urls: list[str], n: int, timeout_s: float) -> list[float]:
    """N contexts open Couverture at once (round robin over `urls`); seconds each, inf = timeout."""
    contexts = [await new_context(browser) for _ in range(n)]
    try:
        pages = [await c.new_page() for c in contexts]

        async def one(i: int, page) -> float:
            wire = Wire(page)
            try:
                await page.goto(urls[i % len(urls)], wait_until="commit", timeout=timeout_s * 1000)
                return (await wait_done(page, wire, 0, 0, timeout_s))[0] / 1000  # from navigation
            except Exception:  # noqa: BLE001 - counted as over time
                return float("inf")

        return list(await asyncio.gather(*(one(i, p) for i, p in enumerate(pages))))
    finally:
        for c in contexts:
            await c.close()


# ---------------------------------------------------------------------------------------------
# Output


def fmt_s(values: list[float]) -> str:
    finite = [v for v in values if v != float("inf")]
    if not finite:
        return "échec" if not values else f"aucun terminé ({len(values)} délai(s) dépassé(s))"
    med = statistics.median(finite)
    out = f"{med:.2f} ({min(finite):.2f}–{max(finite):.2f})"
    if len(finite) < len(values):
        out += f" [{len(values) - len(finite)} délai(s) dépassé(s)]"
    return out


def med(values: list[float]) -> float:
    finite = [v for v in values if v != float("inf")]
    return statistics.median(finite) if finite else float("inf")


def verdict(ok: bool) -> str:
    return "oui" if ok else "NON"


def print_pages_table(title: str, floor: PageResult, results: dict[str, PageResult],
                      national: bool) -> None:
    # "dont script": until the script's end (server work and transfer), the rest is the
    # browser drawing charts, maps and tables.
    floor_first = med([s.seconds for s in floor.first])
    floor_year = med([s.seconds for s in floor.year])
    print(f"\n### {title}")
    print(f"plancher (page Streamlit minimale) : premier rendu {fmt_s([s.seconds for s in floor.first])} s,"
          f" changement d'année {fmt_s([s.seconds for s in floor.year])} s,"
          f" websocket {med([s.kbytes for s in floor.first]):.0f} / "
          f"{med([s.kbytes for s in floor.year]):.1f} Kio")
    print("\n| page | premier rendu (s) médiane (min–max) | dont script | × plancher | ≤ 1,5× ? "
          "| changement d'année (s) | dont script | ≤ 0,3 s ? | × plancher | Kio reçus 1er rendu "
          "| Kio reçus changement d'année" + (" | ≤ 60 Kio ? |" if national else " |")
          + " Kio de fichiers de carte (HTTP) 1er rendu / changement d'année |")
    print("|---|---:|---:|---:|:-:|---:|---:|:-:|---:|---:|---:|" + (":-:|" if national else "")
          + "---:|")
    for name, r in results.items():
        first = [s.seconds for s in r.first]
        year = [s.seconds for s in r.year]
        ratio = med(first) / floor_first if first and floor_first else float("inf")
        ratio_y = med(year) / floor_year if year and floor_year else float("inf")
        ykb = med([s.kbytes for s in r.year]) if r.year else float("inf")
        row = (f"| {name} | {fmt_s(first)} | {med([x.script for x in r.first]):.2f} | {ratio:.1f} "
               f"| {verdict(ratio <= TARGET_FIRST_RATIO)} "
               f"| {fmt_s(year)} | {med([x.script for x in r.year]):.2f} "
               f"| {verdict(med(year) <= TARGET_YEAR_S)} | {ratio_y:.1f} "
               f"| {med([s.kbytes for s in r.first]) if r.first else float('inf'):.0f} "
               f"| {ykb:.0f} |")
        if national:
            row += f" {verdict(ykb <= TARGET_YEAR_KB)} |"
        row += (f" {med([s.files_kb for s in r.first]) if r.first else 0:.0f} / "
                f"{med([s.files_kb for s in r.year]) if r.year else 0:.0f} |")
        print(row)
        for err in r.errors:
            print(f"|   ↳ {name} : {err} |")
    sys.stdout.flush()


def print_visitors_table(title: str, rows: list[tuple], national: bool) -> None:
    """Rows: (instances, visitors, browser seconds, load, protocol seconds, protocol KiB)."""
    print(f"\n### {title}")
    print("| instances | visiteurs simultanés | navigateurs : attente jusqu'au repos (s) médiane "
          "(min–max) | pire | ≤ 3 s chacun ? | sans navigateur (protocole) : fin du script (s) "
          "médiane (min–max) | pire | ≤ 3 s chacun ? | Kio reçus | charge avant |")
    print("|---:|---:|---:|---:|:-:|---:|---:|:-:|---:|---|")

    def worst_of(times: list[float]) -> str:
        worst = max(times) if times else float("inf")
        return "délai dépassé" if worst == float("inf") else f"{worst:.2f}"

    for inst, n, times, load, ptimes, pkib in rows:
        targeted = national and ((n == 20 and inst == 1) or (n == 50 and inst == 2))
        note = "" if targeted else " (cibles : national, 20 à 1 instance, 50 à 2 instances)"
        shown = f"{inst} (nginx)" if inst > 1 else str(inst)
        if not times:
            print(f"| {shown} | {n} | non mesuré (au-delà de --browser-visitors) | — | — "
                  f"| {fmt_s(ptimes)} | {worst_of(ptimes)} "
                  f"| {verdict(bool(ptimes) and max(ptimes) <= TARGET_VISITORS_S)}{note} "
                  f"| {pkib:.0f} | {load} |")
            continue
        print(f"| {shown} | {n} | {fmt_s(times)} | {worst_of(times)} "
              f"| {verdict(bool(times) and max(times) <= TARGET_VISITORS_S)}{note} "
              f"| {fmt_s(ptimes)} | {worst_of(ptimes)} "
              f"| {verdict(bool(ptimes) and max(ptimes) <= TARGET_VISITORS_S)}{note} "
              f"| {pkib:.0f} | {load} |")
    sys.stdout.flush()


async def protocol_visit(base: str, page_name: str, query: str, timeout_s: float
                         ) -> tuple[float, int]:
    """One visitor without a browser: a websocket session that asks for the page the way
    Streamlit's front-end does (BackMsg rerun_script), and reads what the server sends until
    the script has finished. Returns (seconds, bytes received); (inf, bytes) past the timeout.
    What the server does for a visitor, without the drawing that each visitor's own device does
    in real life (a browser wave on this machine puts every visitor's drawing on its 2 cores)."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    finished = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
    received, start = 0, time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            async with websockets.connect(base.replace("http://", "ws://") + "/_stcore/stream",
                                          subprotocols=["streamlit"], max_size=None) as ws:
                msg = BackMsg()
                msg.rerun_script.query_string = query
                msg.rerun_script.page_name = page_name
                await ws.send(msg.SerializeToString())
                while True:
                    data = await ws.recv()
                    received += len(data)
                    forward = ForwardMsg()
                    forward.ParseFromString(data)
                    if (forward.WhichOneof("type") == "script_finished"
                            and forward.script_finished == finished):
                        return time.perf_counter() - start, received
    except (TimeoutError, OSError):
        pass
    return float("inf"), received


async def protocol_wave(bases: list[str], page_name: str, query: str, n: int,
                        timeout_s: float) -> tuple[list[float], float]:
    """N protocol visitors at once (round robin over `bases`): seconds each, median KiB."""
    results = await asyncio.gather(*(protocol_visit(bases[i % len(bases)], page_name, query,
                                                    timeout_s) for i in range(n)))
    return [r[0] for r in results], med([r[1] / 1024 for r in results])


# ---------------------------------------------------------------------------------------------
# Main


def reading_pages(selected: list[str] | None):
    from perr_ui.nav import READING_PAGES
    specs = [s for s in READING_PAGES if (ROOT / s.path).exists()]
    if selected:
        wanted = {w.strip().casefold() for w in selected}
        unknown = wanted - {s.title.casefold() for s in specs} - {s.url_path for s in specs}
        if unknown:
            raise SystemExit("Pages inconnues : " + ", ".join(sorted(unknown)) + ". Pages : "
                             + ", ".join(s.title for s in specs))
        specs = [s for s in specs if s.title.casefold() in wanted or s.url_path in wanted]
    return specs


def page_url(base: str, spec, slug: str | None) -> str:
    path = "" if spec.default else spec.url_path
    return f"{base}/{path}" + (f"?territoire={slug}" if slug else "")


async def run(args) -> int:
    from playwright.async_api import async_playwright

    specs = reading_pages(args.pages.split(",") if args.pages else None)
    plan = dict(n_qpv=1500, n_contrats=435, n_actions=args.actions,
                n_funding_lines=2 * args.actions)
    if args.small:
        plan = dict(n_qpv=150, n_contrats=40, n_actions=20_000, n_funding_lines=40_000)
    visitors = [int(v) for v in args.visitors.split(",") if v.strip() and int(v) > 0]
    instances = [int(v) for v in args.instances.split(",") if v.strip()]
    datasets = args.datasets.split(",")
    backends = args.backends.split(",")

    print(f"Machine : {os.cpu_count()} cœurs ; {uptime()}")
    print(f"Chromium : {CHROMIUM} ; pages : {', '.join(s.title for s in specs)} ; "
          f"{args.runs} exécution(s) ; jeux : {', '.join(datasets)} ; bases : {', '.join(backends)}")
    if "national" in datasets:
        print(f"Jeu national synthétique (démonstration) : {plan}")
    tmp = Path(tempfile.mkdtemp(prefix="perr_browser_"))
    dbs = Databases(tmp)
    servers: list[Server] = []

    def start(script: str, cwd: Path, env: dict) -> Server:
        s = Server(script, cwd, env, tmp / f"server-{len(servers)}.log")
        servers.append(s)
        return s

    def stop(s: Server) -> None:
        s.stop()
        servers.remove(s)

    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                floor_dir = tmp / "plancher"
                floor_dir.mkdir()
                (floor_dir / "plancher.py").write_text(FLOOR_SCRIPT, encoding="utf-8")
                floor_server = start("plancher.py", floor_dir, {})
                floor = await measure_page(browser, floor_server.url + "/",
                                           max(args.runs, 3) if args.runs > 1 else 1)
                stop(floor_server)
                for err in floor.errors:
                    print(f"  plancher : {err}")
                print(f"Plancher : premier rendu {fmt_s([s.seconds for s in floor.first])} s ; "
                      f"changement d'année {fmt_s([s.seconds for s in floor.year])} s "
                      f"(charge {loadavg()})", flush=True)

                for dataset in datasets:
                    for backend in backends:
                        label = f"{dataset} / {backend}"
                        print(f"\n[{label}] construction de la base…", flush=True)
                        url, slug = build_store(dbs, backend, dataset, plan)
                        env = {"DATABASE_URL": url, "PERR_PUBLIC": "0"}
                        if args.runs > 0 and specs:
                            load0 = loadavg()
                            server = start("app.py", ROOT, env)
                            results: dict[str, PageResult] = {}
                            try:
                                for spec in specs:
                                    results[spec.title] = await measure_page(
                                        browser, page_url(server.url, spec, slug), args.runs)
                                    r = results[spec.title]
                                    print(f"  {spec.title} : premier rendu "
                                          f"{fmt_s([s.seconds for s in r.first])} s, année "
                                          f"{fmt_s([s.seconds for s in r.year])} s"
                                          + (f" ; erreurs : {r.errors}" if r.errors else ""),
                                          flush=True)
                            finally:
                                stop(server)
                            print_pages_table(
                                f"{label} — {args.runs} exécution(s) — charge {load0} → {loadavg()}",
                                floor, results, dataset == "national")
                        if args.work_runs > 0:
                            import work   # bench/work.py: signing in, saving, importing…
                            load0 = loadavg()
                            server = start("app.py", ROOT, env)
                            try:
                                done, errors = await work.measure(
                                    browser, server.url, url, slug, tmp, args.work_runs)
                            finally:
                                stop(server)
                            work.print_table(
                                f"{label} — le travail — {args.work_runs} exécution(s) — charge "
                                f"{load0} → {loadavg()}",
                                med([s.seconds for s in floor.first]), done, errors,
                                dataset == "national")
                        if visitors:
                            rows = []
                            couverture = next(s for s in reading_pages(None) if s.default)
                            for inst in instances:
                                if inst > 1 and NGINX is None:
                                    print(f"  {NGINX_MISSING}", flush=True)
                                    continue
                                penv = {**env, "PERR_PUBLIC": "1"}
                                pool = [start("app.py", ROOT, penv) for _ in range(inst)]
                                proxy = None
                                try:
                                    urls = [page_url(s.url, couverture, slug) for s in pool]
                                    for u in urls:   # warm each instance's caches (not counted)
                                        await visitors_wave(browser, [u], 1, args.visitor_timeout)
                                    bases = [s.url for s in pool]
                                    if inst > 1:   # the documented reverse proxy in front
                                        proxy = Proxy(pool, tmp)
                                        bases = [proxy.url]
                                        urls = [page_url(proxy.url, couverture, slug)]
                                    query = f"territoire={slug}" if slug else ""
                                    page_name = "" if couverture.default else couverture.url_path
                                    for n in visitors:
                                        load = loadavg()
                                        times = (await visitors_wave(browser, urls, n,
                                                                     args.visitor_timeout)
                                                 if n <= args.browser_visitors else [])
                                        ptimes, pkib = await protocol_wave(
                                            bases, page_name, query, n, args.visitor_timeout)
                                        rows.append((inst, n, times, load, ptimes, pkib))
                                        print(f"  {inst} instance(s){' (nginx)' if proxy else ''}"
                                              f", {n} visiteur(s) : navigateurs "
                                              f"{fmt_s(times) if times else 'non mesuré'} s ; "
                                              f"sans navigateur {fmt_s(ptimes)} s", flush=True)
                                finally:
                                    if proxy is not None:
                                        proxy.stop()
                                    for s in pool:
                                        stop(s)
                            print_visitors_table(
                                f"{label} — visiteurs publics simultanés sur Couverture",
                                rows, dataset == "national")
            finally:
                await browser.close()
    finally:
        for s in list(servers):
            s.stop()
        dbs.close()
        shutil.rmtree(tmp, ignore_errors=True)

    print("\nCibles (ticket 27, médianes, 2 cœurs) : enregistrer une action ≤ 1 s (embarqué), "
          "≤ 2 s (national) ; import de 500 lignes : contrôle ≤ 3 s, écriture ≤ 5 s ; carte "
          "interactive dessinée ≤ 2,5 s après le clic ; 50 visiteurs publics simultanés, national, "
          "2 instances derrière nginx : chacun ≤ 3 s jusqu'au repos.")
    print("Cibles (ticket 12, médianes, 2 cœurs) : premier rendu ≤ 1,5 × plancher ; changement "
          "d'année ≤ 0,3 s ; chaque requête ≤ 50 ms au national (bench/scale.py) ; PDF COPIL ≤ 5 s"
          " (bench/scale.py) ; 20 visiteurs publics simultanés ≤ 3 s chacun (national, 1 instance) ;"
          " ≤ 60 Kio par changement d'année (national).")
    print(f"Fin : {uptime()}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="exécutions par page (médiane)")
    parser.add_argument("--pages", default="", help="titres ou chemins séparés par des virgules")
    parser.add_argument("--datasets", default="embedded,national")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--visitors", default="1,5,10,20", help="0 : pas de test de foule")
    parser.add_argument("--instances", default="1,2")
    parser.add_argument("--visitor-timeout", type=float, default=90.0,
                        help="secondes au plus par vague de visiteurs")
    parser.add_argument("--work-runs", type=int, default=None,
                        help="exécutions du travail (connexion, enregistrement, import, COPIL, "
                             "carte ; bench/work.py) ; par défaut --runs, 0 : pas mesuré")
    parser.add_argument("--browser-visitors", type=int, default=20,
                        help="vagues de navigateurs jusqu'à ce nombre de visiteurs (au-delà : "
                             "sans navigateur seulement, 2 cœurs ne dessinent pas 50 onglets)")
    parser.add_argument("--actions", type=int, default=200_000, help="actions du jeu national")
    parser.add_argument("--small", action="store_true",
                        help="jeu national réduit (20 000 actions, 150 QPV)")
    args = parser.parse_args()
    if args.work_runs is None:
        args.work_runs = args.runs
    for value, allowed in ((args.datasets, {"embedded", "national"}),
                           (args.backends, {"sqlite", "postgresql"})):
        bad = set(value.split(",")) - allowed
        if bad:
            parser.error(f"valeur inconnue : {', '.join(sorted(bad))}")
    def stop_on_term(signum, frame):  # noqa: ANN001 - a killed bench still stops its servers
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop_on_term)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
