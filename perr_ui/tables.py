"""Tables for people: real HTML tables (readable by a screen reader, unlike the canvas of
`st.dataframe`) that become one card per row on a phone.

Every cell is text from data: it is HTML-escaped here (`html.escape`), never rendered as
Markdown or HTML. Column labels and captions are written by the code, escaped all the same.
Numbers are formatted by `perr_model.vocabulary` (French separators, euros); empty values are
shown as an empty cell on a screen (a line left out of a card on a phone), never `None`/`nan`.

At most `PHONE_MAX` px wide (CSS media query, no JavaScript): `table()` shows each row as a
card (its first or `title` column as the card's heading line, the others as "label : value"
lines).
"""
from __future__ import annotations

import html
import math
from collections.abc import Mapping

import pandas as pd
import streamlit as st

from perr_model import vocabulary as v

PHONE_MAX = 640  # px: below, tables become cards

CSS = f"""<style>
.perr-t{{border-collapse:collapse;width:100%;font-size:0.95rem;line-height:1.4;color:#1a1a1a}}
.perr-t caption{{text-align:left;caption-side:top;padding:0 0 .3rem;color:#4a4a4a;font-size:.9rem}}
.perr-t th,.perr-t td{{border-bottom:1px solid #d6d6d6;padding:.35rem .5rem;text-align:left;
  vertical-align:top;overflow-wrap:break-word}}
.perr-t th[scope=col]{{white-space:nowrap}}
.perr-t th{{background:#f0f2f6;font-weight:600}}
.perr-t td.n,.perr-t th.n{{text-align:right;white-space:nowrap}}
.perr-t td.code{{white-space:nowrap}}
.perr-t th[scope=row]{{min-width:9rem}}
.perr-wrap{{max-height:36rem;overflow:auto}}
@media (max-width:{PHONE_MAX}px){{
  .perr-wrap{{max-height:none;overflow:visible}}
  .perr-t thead{{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}}
  .perr-t,.perr-t tbody,.perr-t tr,.perr-t td,.perr-t th[scope=row]{{display:block;width:100%;box-sizing:border-box}}
  .perr-t caption{{display:block;width:100%}}
  .perr-t tr{{border:1px solid #c8c8c8;border-radius:.5rem;margin:0 0 .6rem;padding:.3rem .2rem}}
  .perr-t td,.perr-t th[scope=row]{{border:0;padding:.15rem .5rem;text-align:left;min-width:0}}
  .perr-t td.n{{text-align:left;white-space:normal}}
  .perr-t th[scope=row]{{background:none;font-size:1rem}}
  .perr-t td[data-label]::before{{content:attr(data-label) "\\00a0: ";font-weight:600;color:#333}}
  .perr-t td.vide{{display:none}}
}}
.perr-bars td.perr-barcell,.perr-bars th.perr-barcell{{width:50%}}
.perr-bar{{display:block;height:1.1rem;background:#2c7fb8;border-radius:2px}}
.perr-sr{{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}}
.perr-cols{{display:flex;align-items:flex-end;gap:.75rem;max-width:32rem;margin:.4rem 0 .6rem}}
.perr-colw{{flex:1 1 0;min-width:0;display:flex;flex-direction:column;align-items:center}}
.perr-colv{{font-size:.9rem;color:#1a1a1a;white-space:nowrap}}
.perr-colb{{display:block;width:70%;max-width:4rem;background:#2c7fb8;border-radius:2px 2px 0 0}}
.perr-coly{{font-size:.85rem;color:#4a4a4a;border-top:1px solid #767676;width:100%;text-align:center;padding-top:.15rem}}
.perr-target .perr-colb{{background:none;border:2px dashed #b35806;box-sizing:border-box}}
.perr-target .perr-colv,.perr-target .perr-coly{{color:#b35806}}
@media (max-width:{PHONE_MAX}px){{.perr-bars td.perr-barcell{{width:100%}}}}
div[class*="st-key-perr-detail"] h2{{font-size:1.5rem;line-height:1.3}}
</style>"""


def install_css() -> None:
    """The tables' style sheet, written once per run by app.py (in the sidebar: a style-only
    st.html takes no room, and its rules apply to the whole page). Not once per table: it
    would be sent again with each of them at every rerun (1.6 kB each)."""
    with st.sidebar:
        st.html(CSS)


def _empty(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip()) or value is pd.NA or value is pd.NaT


def cell(value, kind: str | None = None) -> str:
    """A value as the text a person reads (not escaped yet)."""
    if v.is_empty(value) or _empty(value):
        return ""
    if kind == "euros":
        return v.euros(value)
    if kind == "number":
        return v.number(value)
    if kind == "date":
        return v.fr_date(value.date() if hasattr(value, "hour") else value)
    return v.plain(value, "")  # 2022.0 → "2022"


def table_html(df: pd.DataFrame, columns: Mapping[str, str], *, title: str | None = None,
               kinds: Mapping[str, str] | None = None, caption: str | None = None,
               hide_empty: bool = True) -> str:
    """An escaped HTML table of `df[columns]` (labels = values of `columns`). `title`: the
    column that heads each row (a row header, the card's first line on a phone). `kinds`:
    column → "euros" | "number" | "date" formatting, or "code" (a reference: never broken
    across lines). Empty cells are left out of a card."""
    kinds = dict(kinds or {})
    title = title or next(iter(columns))
    esc = html.escape
    head = "".join(f'<th scope="col"{" class=n" if kinds.get(c) in ("euros", "number") else ""}>'
                   f"{esc(label)}</th>" for c, label in columns.items())
    body = []
    for row in df[list(columns)].itertuples(index=False):
        cells = []
        for (c, label), value in zip(columns.items(), row):
            text = esc(cell(value, kinds.get(c)))
            num = kinds.get(c) in ("euros", "number")
            if c == title:
                cells.append(f'<th scope="row">{text}</th>')
            else:
                cls = " ".join(x for x in ("n" if num else "", "vide" if hide_empty and not text
                                           else "", "code" if kinds.get(c) == "code" else "")
                               if x)
                cells.append(f'<td data-label="{esc(label)}"'
                             + (f' class="{cls}"' if cls else "") + f">{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    # a region that may scroll: reachable by keyboard and named (axe scrollable-region-focusable)
    region = f' role="region" aria-label="{esc(caption)}"' if caption else ""
    return (f'<div class="perr-wrap" tabindex="0"{region}><table class="perr-t">{cap}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def table(df: pd.DataFrame, columns: Mapping[str, str], **options) -> None:
    """Show `table_html(df, columns, **options)` (its style sheet: `install_css`)."""
    st.html(table_html(df, columns, **options))
