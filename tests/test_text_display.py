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


def test_md_fuzz_keeps_the_text_and_leaves_no_markdown_trigger():
    """2 000 random strings of Markdown-significant characters and words (fixed seed): md()
    gives back the same text once its escapes and word joiners are taken away, and leaves no
    unescaped character that opens syntax, no colon glued to a word (directives, :shortcodes:,
    :material/…:), no `www.`, no `@` without a joiner before it, no scheme followed by `:`."""
    import random
    import re
    pieces = list("\\`*_[]<>~$|{}:&#-+=!()@./ \t\n") + [
        "www", "http", "mailto", "a", "é", "x1", "material/home", "smile", "red", "1.", "ftp"]
    rng = random.Random(2026)
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        src = md(text, multiline=False)
        plain = re.sub(r"\\(.)", r"\1", src).replace(WJ, "")
        expected = " ".join(line.strip() for line in text.replace("\t", " ").split("\n")
                            if line.strip())
        assert plain == expected, (text, src)
        bare = re.sub(r"\\.", "", src)   # what is left once every escaped character is gone
        assert not re.search(r"[`*_\[\]<>~$|{}\\]", bare), (text, src)
        assert not re.search(r":[\w/]", src), (text, src)
        assert "www." not in src and not re.search(r"(?i)(https?|ftp|mailto):", src), (text, src)
        assert all(src[i - 1] == WJ for i, ch in enumerate(src) if ch == "@"), (text, src)
