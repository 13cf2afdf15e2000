"""Helpers for the AppTest page tests: open a page of the real app on a given database.

In Streamlit 1.67, after `AppTest.switch_page` the page script runs on its own (app.py's
sidebar selectors do not run), so the territory and year are put in session_state before
every run, as app.py would have left them.
"""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
ALL_YEARS = "Toutes les années"


class Page:
    def __init__(self, url: str, path: str, territory_id: int, year: int | None = None):
        self.url, self.path = url, path
        self.territory_id, self.year = territory_id, year
        self.at = AppTest.from_file(APP, default_timeout=30)
        self.at.run()
        if path != "pages/couverture.py":
            self.at.switch_page(path)
        self.run()

    def run(self) -> "Page":
        self.at.session_state["territory_id"] = self.territory_id
        self.at.session_state["year"] = str(self.year) if self.year else ALL_YEARS
        self.at.run()
        assert not self.at.exception, [e.value for e in self.at.exception]
        return self

    def metric(self, label: str) -> str:
        return next(m.value for m in self.at.metric if m.label == label)

    def text(self) -> str:
        """Every text the page shows (markdown, captions, tables, metrics, alerts, charts)."""
        parts = []
        for node in _walk(self.at.main) + _walk(self.at.sidebar):
            proto = getattr(node, "proto", None)
            if proto is not None:
                parts.append(str(proto))
            value = getattr(node, "value", None)
            if hasattr(value, "to_csv"):
                parts.append(value.to_csv())
        return "\n".join(parts)


def _walk(node) -> list:
    out = [node]
    for child in getattr(node, "children", {}).values():
        out += _walk(child)
    return out


def territory_id(url: str, slug: str) -> int:
    engine = create_engine(url)
    with engine.connect() as c:
        tid = c.execute(text("select id from territory where slug=:s"), {"s": slug}).scalar_one()
    engine.dispose()
    return tid


def sql(url: str, query: str, **params):
    engine = create_engine(url)
    with engine.connect() as c:
        value = c.execute(text(query), params).scalar()
    engine.dispose()
    return value


def sql_rows(url: str, query: str, **params) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as c:
        rows = [tuple(r) for r in c.execute(text(query), params)]
    engine.dispose()
    return rows


def bar_widths(at) -> list[float]:
    """The widths (% of the largest) of the bars drawn by perr_ui.charts.bars_html, in order."""
    import re
    return [float(w) for el in at.get("html") if "perr-bars" in el.proto.body
            for w in re.findall(r'class="perr-bar" style="width:([0-9.]+)%"', el.proto.body)]


def trend_columns(at) -> list[dict]:
    """The trends drawn by perr_ui.charts.trend_html (st.html): for each, its description and
    its columns in order as (label under the column, text above it, height in rem, is target)."""
    import html as h
    import re
    out = []
    for el in at.get("html"):
        for label, body in re.findall(
                r'<div class="perr-cols" role="img" aria-label="([^"]*)">(.*?)</div></div>',
                el.proto.body + "</div>", re.S):
            cols = [(h.unescape(year), h.unescape(text), float(height), bool(target))
                    for target, text, height, year in re.findall(
                        r'<div class="perr-colw( perr-target)?"><span class="perr-colv">([^<]*)'
                        r'</span><span class="perr-colb" style="height:([0-9.]+)rem"></span>'
                        r'<span class="perr-coly">([^<]*)</span>', body)]
            out.append({"label": h.unescape(label), "columns": cols})
    return out


def map_pictures(at) -> list[dict]:
    """The maps drawn as pictures (perr_ui.widgets.picture): for each, its alt text, its size
    and its SVG, read from the file it is served from (app/static/...) or from its data URL."""
    import base64
    import html as h
    import re
    root = Path(APP).parent
    out = []
    for el in at.get("html"):
        for src, alt, width, height in re.findall(
                r'<figure class="perr-map"[^>]*><img src="([^"]*)" alt="([^"]*)" '
                r'width="(\d+)" height="(\d+)"', el.proto.body):
            src = h.unescape(src)
            if src.startswith("data:image/svg+xml;base64,"):
                svg = base64.b64decode(src.split(",", 1)[1]).decode("utf-8")
            else:
                assert src.startswith("app/static/"), src
                svg = (root / "static" / src[len("app/static/"):]).read_text("utf-8")
            out.append({"src": src, "alt": h.unescape(alt), "width": int(width),
                        "height": int(height), "svg": svg})
    return out


def svg_groups(svg: str) -> dict[str, list[dict]]:
    """The SVG's groups by class (the deck layer each draws): each element's attributes and
    text, parsed as XML (so a name that was not escaped fails here)."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    out: dict[str, list[dict]] = {}
    for g in root.iter(ns + "g"):
        out[g.get("class", "")] = [{**el.attrib, "tag": el.tag.replace(ns, ""),
                                    "text": el.text} for el in g]
    return out


# --- fixtures shared by tests/test_page_*.py (imported by name in each file) -------------------

import shutil  # noqa: E402

import pytest  # noqa: E402

PEMB, PTE = "paris-est-marne-et-bois", "paris-terres-d-envol"


@pytest.fixture(scope="session")
def demo_url(embedded_sqlite, tmp_path_factory) -> str:
    """The embedded data plus a generated demonstration territory of 2,000 actions."""
    from perr_model import synthetic
    path = tmp_path_factory.mktemp("demo") / "perr.sqlite"
    shutil.copy(embedded_sqlite, path)
    url = f"sqlite:///{path}"
    synthetic.generate_into(url, n_qpv=25, n_contrats=5, n_actions=2000, n_funding_lines=4000)
    return url


@pytest.fixture
def on(monkeypatch):
    """on(url) → DATABASE_URL set for the app (before AppTest starts), returns url."""
    def use(url) -> str:
        url = url if isinstance(url, str) else f"sqlite:///{url}"
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.delenv("PERR_PUBLIC", raising=False)
        return url
    return use


def html_tables(at) -> list:
    """The HTML tables the page drew with perr_ui.tables (st.html), as DataFrames of the text a
    person reads (header labels as columns). Parsed with the standard library's HTML parser."""
    from html.parser import HTMLParser

    import pandas as pd

    class Tables(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tables, self.cell = [], None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.tables.append({"head": [], "rows": []})
            elif tag == "tr":
                self.row = []
            elif tag in ("td", "th"):
                self.cell = ""

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                self.row.append(self.cell)
                self.cell = None
            elif tag == "tr":
                t = self.tables[-1]
                if t["head"]:
                    t["rows"].append(self.row)
                else:  # the first row is the header
                    t["head"].extend(self.row)

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

    out = []
    for el in at.get("html"):
        parser = Tables()
        parser.feed(el.proto.body)
        out += [pd.DataFrame(t["rows"], columns=t["head"]) for t in parser.tables]
    return out
