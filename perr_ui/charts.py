"""Charts of the reading pages drawn on the server as plain HTML: the bars per axis
(Couverture, Territoires) and the indicators' trends (Évaluation, Quartier).

Why not plotly: in a real browser a page with one plotly chart waits for plotly.js (4.6 MB
uncompressed) to load and compile, +0.9 s over a minimal Streamlit page on this 2-core
machine, and again on every phone of the public instance (bench/browser.py, docs/performance.md).
These charts are a few bars and a few yearly values: an HTML table with bars and a row of
columns say the same, are read by screen readers as text (their values are written, not only drawn), print,
and cost nothing to draw.

Every text from data (an axis' title, a value, a year) is HTML-escaped here (`html.escape`),
never rendered as Markdown or HTML; the lengths and coordinates are numbers computed here.
Style: `tables.CSS` (installed once per run).
"""
from __future__ import annotations

import html
import math
from collections.abc import Sequence

# colours: perr_ui/tables.py's style sheet (bars #2c7fb8, the maps' palette, 4.5:1 on white;
# the target's outlined column and label #b35806, 4.6:1 on white)
COLUMN_REM = 7.0            # the tallest column of a trend, in rem


def bar_widths(values: Sequence[float]) -> list[float]:
    """Each value as a percentage of the largest (0 for zero, empty or negative values),
    rounded to 0.1 %; all zero when no value is positive."""
    clean = [float(x) if x is not None and not (isinstance(x, float) and math.isnan(x))
             and float(x) > 0 else 0.0 for x in values]
    top = max(clean, default=0.0)
    return [round(100 * x / top, 1) if top else 0.0 for x in clean]


def bars_html(labels: Sequence[str], values: Sequence[float], texts: Sequence[str], *,
              label_header: str, value_header: str, caption: str) -> str:
    """A table of horizontal bars: one row per label (a row header), its value written (a
    number cell) and drawn (a bar as wide as the value's share of the largest one). On a phone
    the rows become cards (tables.CSS), the bar under the value."""
    esc = html.escape
    rows = []
    for label, width, text in zip(labels, bar_widths(values), texts):
        rows.append(
            f'<tr><th scope="row">{esc(str(label))}</th>'
            f'<td class="n" data-label="{esc(value_header)}">{esc(str(text))}</td>'
            f'<td class="perr-barcell" aria-hidden="true"><span class="perr-bar" '
            f'style="width:{width:.1f}%"></span></td></tr>')
    return (f'<div class="perr-wrap" tabindex="0" role="region" aria-label="{esc(caption)}">'
            f'<table class="perr-t perr-bars"><caption>{esc(caption)}</caption><thead><tr>'
            f'<th scope="col">{esc(label_header)}</th><th scope="col" class="n">'
            f'{esc(value_header)}</th><th scope="col" class="perr-barcell">'
            f'<span class="perr-sr">Barre</span></th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def trend_html(series: Sequence[tuple[int, float]], texts: Sequence[str],
               target: tuple[int, float, str] | None, description: str) -> str | None:
    """Measured values by year as columns (each value written above its column, its year
    under it) and the target as an outlined column (« cible 2030 »), heights in proportion
    from zero (a negative value draws no column; its value is still written). None under 2
    years. Plain HTML (st.html keeps no SVG): `description` names the chart for screen
    readers (role="img"); the page writes the values in a sentence too."""
    if len(series) < 2:
        return None
    esc = html.escape
    cols = [(str(int(yr)), float(val), str(text), False) for (yr, val), text in zip(series, texts)]
    if target:
        cols.append((f"cible {int(target[0])}", float(target[1]), str(target[2]), True))
    heights = [COLUMN_REM * w / 100 for w in bar_widths([c[1] for c in cols])]
    out = [f'<div class="perr-cols" role="img" aria-label="{esc(description)}">']
    for (year, _, text, is_target), h in zip(cols, heights):
        out.append(f'<div class="perr-colw{" perr-target" if is_target else ""}">'
                   f'<span class="perr-colv">{esc(text)}</span>'
                   f'<span class="perr-colb" style="height:{h:.2f}rem"></span>'
                   f'<span class="perr-coly">{esc(year)}</span></div>')
    out.append("</div>")
    return "".join(out)
