"""The interactive maps (« Carte interactive », perr_ui.widgets.on_demand with keep=True) in the
real browser: their data comes by URL (perr_ui/mapfiles.py), never on the websocket, and a map
closed then opened again is the same deck.gl map (its canvas kept: nothing built again, no
shader compiled again, no layer data fetched again)."""
from __future__ import annotations

from conftest import goto, rerun, wait_idle

PEMB = "paris-est-marne-et-bois"
DECK = '[data-testid="stDeckGlJsonChart"]'


def _wire(page) -> list[bytes]:
    frames: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(
        payload if isinstance(payload, bytes) else payload.encode())))
    return frames


def _files(page) -> list[str]:
    urls: list[str] = []
    page.on("response", lambda r: urls.append(r.url) if "/app/static/cartes/" in r.url
            and r.url.endswith(".json") else None)
    return urls


def _open_close_open(page, frames, files) -> None:
    summary = page.locator('[data-testid="stExpander"] summary').filter(
        has_text="Carte interactive").first
    start = len(frames)
    rerun(page, summary.click)
    canvas = page.locator(f"{DECK} canvas").first
    canvas.wait_for(timeout=30_000)
    page.wait_for_function(f"() => document.querySelector('{DECK} canvas').width > 0")
    wait_idle(page)
    opened = b"".join(frames[start:])
    assert b"coordinates" not in opened        # the contours came as files
    assert files, "aucun fichier de carte chargé"
    loaded = len(files)
    # mark the deck's canvas, close the expander, open it again
    page.evaluate(f"() => {{ document.querySelector('{DECK} canvas').__perrMark = 1; }}")
    rerun(page, summary.click)
    rerun(page, summary.click)
    page.locator(f"{DECK} canvas").first.wait_for(timeout=30_000)
    assert page.evaluate(f"() => document.querySelector('{DECK} canvas').__perrMark === 1"), \
        "la carte a été reconstruite à la réouverture"
    assert len(files) == loaded                 # no layer loaded again
    assert page.locator(DECK).count() == 1


def test_quartier_map_by_url_and_kept_when_reopened(start_app, e2e_db, page):
    base = start_app(e2e_db)
    frames, files = _wire(page), _files(page)
    goto(page, f"{base}/quartier?territoire={PEMB}")
    _open_close_open(page, frames, files)


def test_coverage_map_kept_when_reopened(start_app, e2e_db, page):
    base = start_app(e2e_db)
    frames, files = _wire(page), _files(page)
    goto(page, f"{base}/couverture?territoire={PEMB}")
    _open_close_open(page, frames, files)
