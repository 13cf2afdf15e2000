"""Text from data is text: the one helper every page uses to show a string that comes from the
database or from a file.

Streamlit renders Markdown (GitHub flavour: links, images, bare URLs made into links, `:color[…]`
directives, `:emoji:` short codes, LaTeX between `$`) in `st.markdown`, `st.caption`,
`st.subheader`, widget and expander labels. `md(value)` returns a Markdown source that displays
`value` literally: the punctuation that can start Markdown syntax is backslash-escaped
(CommonMark allows an escape before any ASCII punctuation; an escaped character can start
neither a link, an image, an HTML tag, an entity, emphasis nor a directive), and so is the first
character of a line that could make a list, a heading or a quote; line breaks become hard
breaks, leading spaces cannot make a code block, and C0 control characters are dropped.
Apostrophes, hyphens inside words, dots and parentheses are left as they are (harmless once
`[` is escaped), so a commune such as « Saint-Maur-des-Fossés » keeps its source text.
Text in HTML built by the code (tables, bars, trends: perr_ui/tables.py, perr_ui/charts.py) is
escaped there with `html.escape`. Map tooltips (pydeck) need nothing: Streamlit HTML-escapes each
substituted value itself (see `perr_model/geo.py`).

Links and images shown by the pages are always written by the code, never taken from data.
"""
from __future__ import annotations

import math
import re

from perr_model.textnorm import CONTROL

# Escaped wherever they are: they can open emphasis, code, links/images (`[`), HTML (`<`),
# entities (`&`), strikethrough, LaTeX, directives and emoji short codes (`:`), tables.
_INLINE = frozenset("\\`*_[]<>~$|{}")
# `:` opens a directive or an emoji short code (`:red[`, `:smile:`), `&` an entity (`&amp;`,
# `&#60;`), only when a letter, digit or `#` follows: « Écrit : 3 » keeps its plain source.
_GLUED = re.compile(r"([:&])(?=[\w#])")
# Escaped at the start of a line only: lists, headings, quotes, setext and thematic breaks.
_LINE_START = frozenset("-+*#>=|")
_ORDERED = re.compile(r"^(\d{1,9})([.)])")
# GitHub-flavoured "autolink literals" (http://…, www.…, name@host) are found in the text
# *after* escapes are resolved, so escaping cannot stop them: an invisible WORD JOINER (U+2060)
# is put where the pattern needs contiguity — before every `@` (an e-mail's local part may end
# with `.`, `-`, `+`, `_`) and after every `www` before a dot (`_www.x` is a link too).
# Streamlit's own short codes (`:material/home:`, `:smile:`, `:streamlit:`, `:red[…]`) are
# also read after escapes are resolved: a word joiner after a `:` glued to a word breaks them.
WJ = "\u2060"
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|xmpp)(?=:)|(www)(?=\.)|(@)")
_SHORTCODE = re.compile(r":(?=[\w/])")


def _to_str(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return CONTROL.sub("", str(value))


def md(value, *, multiline: bool = True) -> str:
    """`value` as Markdown that renders literally (no link, image, HTML, formatting)."""
    text = _to_str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2) or "") + WJ + (m.group(3) or ""),
                         text)
    text = _SHORTCODE.sub(":" + WJ, text)
    lines = [_line(line.strip()) for line in text.split("\n")]
    if not multiline:
        return " ".join(line for line in lines if line)
    return "  \n".join(lines)


def _line(line: str) -> str:
    out = "".join("\\" + ch if ch in _INLINE else ch for ch in line)
    out = _GLUED.sub(r"\\\1", out)
    if out[:1] in _LINE_START:
        out = "\\" + out
    return _ORDERED.sub(r"\1\\\2", out)
