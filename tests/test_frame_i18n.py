"""The frame's workarounds, pinned to the Streamlit they work around (see docs/ARCHITECTURE.md
and docs/accessibility.md): if an upgrade removes what they rely on or what they fix, these
fail and say which workaround to revisit."""
import json
import re
from pathlib import Path

import streamlit

from perr_ui import i18n, nav

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = "\n".join(p.read_text(encoding="utf-8", errors="ignore")
                   for p in (Path(streamlit.__file__).parent / "static").rglob("*.js"))


def test_streamlit_still_runs_a_pages_folder_by_itself_before_st_navigation():
    """Why perr_ui/frame.py exists: Streamlit 1.67 decides per process, before any script ran,
    to run `pages/` scripts directly (its first multipage API) while `st.navigation` has not been
    called; no setting turns this off (client.showSidebarNavigation only hides the menu)."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import script_runner
    assert streamlit.__version__ == "1.67.0"  # the pinned version the workaround was checked on
    assert hasattr(PagesManager, "uses_pages_directory")
    assert "PagesManager.uses_pages_directory = False" in Path(
        streamlit.commands.navigation.__file__).read_text(encoding="utf-8")
    assert hasattr(script_runner, "_mpa_v1")
    assert (ROOT / "pages").is_dir()  # the design card keeps the folder's name


def test_every_page_has_its_own_address_and_the_root_only_forwards():
    """`default=True` would serve the home page at / only (and /couverture → "Page not found");
    app.py adds a hidden root page that forwards to it with its query parameters."""
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    assert "default=spec.default" not in source
    assert re.search(r'st\.Page\(lambda: frame\.forward\(home\).*default=True', source, re.S)
    assert "visibility=\"hidden\"" in source
    assert nav.home_page().url_path == "couverture"


def test_translated_strings_are_streamlit_s_own():
    """Each English string replaced in the browser is one Streamlit 1.67 really draws."""
    missing = [k for k in i18n.EXACT if k not in BUNDLE and k not in i18n.DATE_FORMATS
               and k not in i18n.FROM_SERVER]
    assert missing == []
    assert "View ${" in BUNDLE and "} per file" in BUNDLE  # the patterns' sources


def test_script_survives_streamlit_s_html_sanitiser():
    """st.html passes its body through DOMPurify: markup inside the script (even in a comment)
    made it drop the script. Only the script's own tags may contain '<'."""
    body = i18n.script().strip()
    assert body.startswith("<script>") and body.endswith("</script>")
    inner = body[len("<script>"):-len("</script>")]
    assert "<" not in inner.replace("<=", "") and "</" not in inner
    for name in ("EXACT", "PATTERNS"):  # the data is JSON, constants only
        match = re.search(rf"const {name} = (.*?);\n", inner)
        json.loads(match.group(1).replace(".map(([re, to]) => [new RegExp(re), to])", ""))
    assert 'documentElement.lang = "fr"' in inner


def test_french_replacements_are_french():
    for english, french in i18n.EXACT.items():
        assert french and french != english
    for pattern, french in i18n.PATTERNS:
        re.compile(pattern)
        assert french


def _run_in_node(texts: list[str]) -> list:
    """The script's `fr()` (EXACT, PATTERNS, dates) run by Node on `texts` (no DOM needed)."""
    import shutil
    import subprocess
    import pytest
    if shutil.which("node") is None:
        pytest.skip("Node absent")
    inner = i18n.script().strip()[len("<script>"):-len("</script>")]
    start, end = inner.index("  const EXACT"), inner.index("  function text(node)")
    js = "var document = {};\n" + inner[start:end] + f"console.log(JSON.stringify({json.dumps(texts)}.map(fr)));"
    out = subprocess.run(["node", "-e", js], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_date_field_names_and_values_are_spoken_in_french():
    """What react-aria (en-US, forced by Streamlit) gives a screen reader for st.date_input:
    « day, Date de début », « 7 – July », « Empty », the calendar's « September 2022 »,
    « Monday, September 1, 2022 » (issue 22, item 5). Hand-written French expected."""
    texts = ["day, Date de début", "month, Date de début", "year, Date de fin", "7 – July",
             "Empty", "September 2022", "Monday, September 1, 2022",
             "Thursday, May 15, 2025 selected", "Previous month", "Next month",
             "Date de début start date", "Juillet 2022", "Choose date, July 2022",
             "Selected Date: July 15, 2022", "48 options available.", "1 option available."]
    assert _run_in_node(texts) == [
        "jour, Date de début", "mois, Date de début", "année, Date de fin", "7 – juillet",
        "Vide", "septembre 2022", "lundi 1er septembre 2022",
        "jeudi 15 mai 2025 sélectionnée", "Mois précédent", "Mois suivant",
        "Date de début, date de début", None, "Choisir une date, juillet 2022",
        "Date choisie : 15 juillet 2022", "48 option(s) disponible(s).",
        "1 option(s) disponible(s)."]
    assert "Previous month" in BUNDLE and "Empty:`Empty`" in BUNDLE  # what Streamlit draws
    assert "Selected Date: " in BUNDLE and "options`})} available." in BUNDLE
    assert "locale:`en-US`" in BUNDLE  # why: the date field's locale is not the browser's
