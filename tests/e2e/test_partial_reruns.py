"""Couverture in the real browser: a control redraws only what depends on it (its block is a
fragment), and a closed expander's content is sent only once it is opened. Observed on the
wire: the websocket frames the page receives after each click."""
from __future__ import annotations

import json
import re

from conftest import goto, rerun, wait_idle

PEMB = "paris-est-marne-et-bois"
SUMMARY = b"perr-summary"            # the one-minute summary, at the top of the page
MONEY = "Financements des actions, par financeur".encode()
MAP_TEXT = "Valeurs de la carte, par lieu".encode()
MAP = b'<figure class="perr-map"'        # the coverage map's picture (perr_ui.widgets.picture)
DECK = '[data-testid="stDeckGlJsonChart"]'
PICTURE = 'figure.perr-map img'


def _wire(page) -> list[bytes]:
    frames: list[bytes] = []

    def on_ws(ws):
        ws.on("framereceived", lambda payload: frames.append(
            payload if isinstance(payload, bytes) else payload.encode()))

    page.on("websocket", on_ws)
    return frames


def _since(frames: list[bytes], start: int) -> bytes:
    return b"".join(frames[start:])


def test_each_control_redraws_its_own_block(start_app, e2e_db, page):
    base = start_app(e2e_db)
    frames = _wire(page)
    goto(page, f"{base}/couverture?territoire={PEMB}")
    first = _since(frames, 0)
    assert SUMMARY in first and MAP in first
    # closed expanders: their content is not sent
    assert MONEY not in first and MAP_TEXT not in first

    # the map's axis: the map again, not the figures above it
    start = len(frames)
    box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
        has_text="Axe de la carte").first.locator("input").first
    box.click()
    box.fill("Axe 2")  # the keyboard way: type to filter the options, then Enter
    page.get_by_role("option", name=re.compile(r"^Axe 2")).first.wait_for(timeout=10_000)
    rerun(page, lambda: box.press("Enter"))
    after_axis = _since(frames, start)
    assert MAP in after_axis
    assert SUMMARY not in after_axis and "Nombre d'actions par axe".encode() not in after_axis

    # the measure: the map and the bars, still not the summary; the axis × commune table is
    # folded: not sent until opened, then for that measure
    table = "Montants accordés aux actions (€) par axe et par commune".encode()
    start = len(frames)
    rerun(page, page.get_by_role("radio", name="Montants accordés aux actions (€)").click)
    after_measure = _since(frames, start)
    assert "Montants accordés aux actions (€) par axe".encode() in after_measure
    assert table not in after_measure and SUMMARY not in after_measure
    start = len(frames)
    page.locator('[data-testid="stExpander"] summary').filter(
        has_text="Tableau par axe et par commune").click()
    page.get_by_text("Total territoire").first.wait_for(timeout=30_000)
    wait_idle(page)
    assert table in _since(frames, start) and SUMMARY not in _since(frames, start)

    # an expander opened: its content arrives then, and only it
    start = len(frames)
    page.locator('[data-testid="stExpander"] summary').filter(
        has_text="Financements des actions et postes de l'État").click()
    page.get_by_text("Financements des actions, par financeur").wait_for(timeout=30_000)
    wait_idle(page)
    opened = _since(frames, start)
    assert MONEY in opened and SUMMARY not in opened

    # a year: the whole page, for that year
    start = len(frames)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="Année").first.click()
    rerun(page, page.get_by_role("option", name="2022", exact=True).click)
    assert SUMMARY in _since(frames, start)


def _map_pixels(page, selector: str = DECK):
    import io

    import numpy as np
    from PIL import Image
    shot = page.locator(selector).first.screenshot()
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(int)


def _wait_drawn(page, timeout: float = 30.0, selector: str = DECK) -> tuple[float, float, float]:
    """Shares of the map's pixels: drawn (not the page's white), blue (the palette's upper
    steps: blue well above red) and black (what deck.gl draws when a colour expression does
    not evaluate)."""
    import time
    end = time.time() + timeout
    while True:
        px = _map_pixels(page, selector)
        drawn = float((px.min(axis=2) < 235).mean())
        if drawn > 0.05 or time.time() > end:
            return (drawn, float((px[:, :, 2] - px[:, :, 0] > 40).mean()),
                    float((px.max(axis=2) < 30).mean()))
        time.sleep(0.5)


def test_the_map_picture_and_the_interactive_map_come_by_url(start_app, e2e_db, page):
    """The coverage map is first a picture (perr_model/svgmap.py) loaded as a file, never sent
    on the websocket. Opened on demand, the interactive map's contours and names are loaded once
    as a file (perr_ui/mapfiles.py); a change of year then sends only the colours: no
    coordinates on the wire, no new file."""
    base = start_app(e2e_db)
    frames = _wire(page)
    files: list[tuple[str, int, bytes, str]] = []

    def on_response(response):
        if "/app/static/cartes/" in response.url:
            files.append((response.url, response.status, response.body(),
                          response.headers.get("content-type", "")))

    page.on("response", on_response)
    goto(page, f"{base}/couverture?territoire={PEMB}")
    picture = page.locator(PICTURE).first
    picture.scroll_into_view_if_needed()
    page.wait_for_function("() => { const i = document.querySelector('figure.perr-map img');"
                           " return i && i.complete && i.naturalWidth > 0; }", timeout=30_000)
    drawn, blue, _ = _wait_drawn(page, selector=PICTURE)
    # Champigny-sur-Marne holds most of the actions: the palette's darkest blue
    assert drawn > 0.05 and blue > 0.01, (drawn, blue)
    svgs = [(status, body, kind) for url, status, body, kind in files if url.endswith(".svg")]
    assert svgs and all(status == 200 and kind.startswith("image/svg+xml")
                        for status, _, kind in svgs)
    assert b"Champigny-sur-Marne" in svgs[0][1]
    assert b"<path" not in _since(frames, 0)   # the picture's geometry never on the websocket
    assert not page.locator(DECK).count()     # no WebGL map until asked for

    # the interactive map, opened
    page.locator('[data-testid="stExpander"] summary').filter(
        has_text="Carte interactive").first.click()
    page.locator(DECK).first.wait_for(timeout=30_000)
    page.locator(DECK).first.scroll_into_view_if_needed()
    drawn, blue, black = _wait_drawn(page)
    # the browser drew the contours it loaded, in the palette's colours, not in black
    assert drawn > 0.05 and blue > 0.01 and black < 0.01, (drawn, blue, black)
    loaded = [json.loads(body) for url, status, body, _ in files if url.endswith(".json")]
    assert loaded and all(status == 200 for _, status, _, _ in files)
    features = [f for data in loaded if isinstance(data, dict) for f in data["features"]]
    assert any(f["properties"].get("genre") == "Quartier (QPV)" for f in features)
    assert b'"coordinates"' not in _since(frames, 0)   # geometry never on the websocket

    start, before = len(frames), len(files)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="Année").first.click()
    rerun(page, page.get_by_role("option", name="2022", exact=True).click)
    year = _since(frames, start)
    assert b'"id":"communes"' in year and b'"coordinates"' not in year and b"<path" not in year
    # the same contour files: nothing loaded again but, perhaps, the year's picture
    assert all(url.endswith(".svg") for url, *_ in files[before:])
    drawn, _, black = _wait_drawn(page)
    assert drawn > 0.05 and black < 0.01
