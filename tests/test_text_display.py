"""perr_ui/text.py: data strings shown literally (the browser check is tests/e2e/test_text_from_data.py)."""
from perr_ui.text import WJ, md


def test_markdown_constructs_are_escaped():
    src = md("![x](http://h.invalid/p.png) [l](http://h.invalid) <b>gras</b> **g** `c` "
             ":red[r] $x$ &amp; www.h.invalid nom@h.invalid")
    for raw in ("![", "[l]", "<b>", "**", "`c`", ":red[", "$x$", " &amp;"):
        assert raw not in src, raw
    for literal in ("http://", "www.", "n@h"):  # autolinks broken by an invisible joiner
        assert literal not in src, literal
    assert src.replace("\\", "").replace(WJ, "") == (
        "![x](http://h.invalid/p.png) [l](http://h.invalid) <b>gras</b> **g** `c` "
        ":red[r] $x$ &amp; www.h.invalid nom@h.invalid")


def test_line_starts_and_plain_words():
    assert md("- a\n# b\n1. c\n> d") == "\\- a  \n\\# b  \n1\\. c  \n\\> d"
    assert md("Bois l'Abbé, Saint-Maur (94) : 12 %") == "Bois l'Abbé, Saint-Maur (94) : 12 %"
    assert md("a\x00b\nc", multiline=False) == "ab c"
    assert md(None) == "" and md(float("nan")) == ""


def test_autolinks_and_short_codes_of_a_hostile_probe_are_broken():
    # issue 28: `_www.` made a link; `x-@`, `x.@`, `x+@` made mailto links; Streamlit's icons,
    # emoji short codes and its logo rendered. GFM and Streamlit read them after escapes are
    # resolved: each needs the invisible joiner where its pattern needs two characters together
    import re
    for hostile, pattern in (("_www.evil.example", r"www\."),
                             ("x-@evil.example", r"[-.+\w]@\w"), ("x.@evil.example", r"\.@"),
                             ("x+@evil.example", r"\+@"), ("x_@evil.example", r"_@"),
                             (":material/home:", r":material"), (":smile:", r":smile"),
                             (":streamlit:", r":streamlit"), ("a:blue-badge[b]", r":blue")):
        src = md(hostile)
        assert not re.search(pattern, src.replace("\\", "")), (hostile, src)
        assert src.replace("\\", "").replace(WJ, "") == hostile
