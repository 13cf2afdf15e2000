"""Couverture in the real browser: a control redraws only what depends on it (its block is a
fragment), and a closed expander's content is sent only once it is opened. Observed on the
wire: the websocket frames the page receives after each click."""
from __future__ import annotations

import re

from conftest import goto, wait_idle

PEMB = "paris-est-marne-et-bois"
SUMMARY = b"perr-summary"            # the one-minute summary, at the top of the page
MONEY = "Financements des actions, par financeur".encode()
MAP_TEXT = "Valeurs de la carte, par lieu".encode()
MAP = b'"id":"communes"'                # the coverage map's layer of communes (its JSON)


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
    box.press("Enter")
    wait_idle(page)
    after_axis = _since(frames, start)
    assert MAP in after_axis
    assert SUMMARY not in after_axis and "Nombre d'actions par axe".encode() not in after_axis

    # the measure: the bars, the table and the map, still not the summary
    start = len(frames)
    page.get_by_role("radio", name="Montants accordés aux actions (€)").click()
    wait_idle(page)
    after_measure = _since(frames, start)
    assert "Montants accordés aux actions (€) par axe et par commune".encode() in after_measure
    assert SUMMARY not in after_measure

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
    page.get_by_role("option", name="2022", exact=True).click()
    wait_idle(page)
    assert SUMMARY in _since(frames, start)
