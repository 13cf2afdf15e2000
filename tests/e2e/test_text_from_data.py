"""Text from data is text (issue 13, item 1), in a real browser on the public instance.

Markdown and HTML are planted in every free-text field of every action (title, description,
porteur, SIRET, public cible, source, reference), in the funding lines, in the communes'
commitments and in the quartiers' names of a copy of the real store. The reading pages that show
them are opened in Chromium: no request may leave for a host other than the app's own, no
`<a>`/`<img>` may point at the planted host, and the planted text must be shown literally.
"""
import shutil
from urllib.parse import urlparse

import pytest
from sqlalchemy import text

from conftest import PHONE, goto, rerun, screenshot, wait_idle
from perr_model.store import make_engine

HOST = "piege.invalid"
PAYLOADS = {
    "title": f"![pixel](http://{HOST}/titre.png) Titre **gras**",
    "description": f"<img src=\"http://{HOST}/desc.png\"> [clic](http://{HOST}/desc) "
                   f"http://{HOST}/nu www.{HOST} :red[rouge] $x^2$ :material/home: :smile: "
                   f":streamlit:\n# Titre\n- liste",
    "holder_name": f"[Porteur](http://{HOST}/porteur)",
    "holder_siret": "<a href=x>",
    "target_public": f"<a href=\"http://{HOST}/public\">public</a> contact@{HOST} "
                     f"_www.{HOST} x-@{HOST} x.@{HOST} x+@{HOST}",
    "source": f"![s](http://{HOST}/source.svg)",
}
COMMITMENT = f"Engagement ![e](http://{HOST}/engagement.png) [lien](http://{HOST}/eng)"
QPV = f"Quartier [q](http://{HOST}/qpv)"


@pytest.fixture(scope="module")
def planted_db(embedded_sqlite, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("e2e-planted") / "perr.sqlite"
    shutil.copy(embedded_sqlite, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url, read_only=False)
    with engine.begin() as c:
        sets = ", ".join(f"{col} = :{col}" for col in PAYLOADS)
        c.execute(text(f"update action set {sets}"), PAYLOADS)
        c.execute(text("update action set reference = reference || ' <b>[r](http://"
                       + HOST + "/ref)</b>'"))
        c.execute(text("update funding_line set holder_name = :h, source = :s"),
                  {"h": PAYLOADS["holder_name"], "s": PAYLOADS["source"]})
        c.execute(text("update commitment set text = :t"), {"t": COMMITMENT})
        c.execute(text("update qpv set name = :n"), {"n": QPV})
    engine.dispose()
    return url


def _watch(page, base: str) -> list[str]:
    own = urlparse(base).netloc
    outside: list[str] = []

    def on_request(request):
        u = urlparse(request.url)
        if u.scheme in ("data", "blob", "about") or u.netloc == own:
            return
        outside.append(request.url)
    page.on("request", on_request)
    return outside


def _no_link_or_image_from_data(page) -> None:
    found = page.evaluate("""(host) => {
        const bad = [];
        for (const a of document.querySelectorAll('a[href]'))
            if (a.href.includes(host) || a.getAttribute('href') === 'x') bad.push('a ' + a.href);
        for (const i of document.querySelectorAll('img, image, source, video, audio, iframe'))
            if ((i.src || i.getAttribute('href') || '').includes(host)) bad.push('img ' + i.src);
        return bad;
    }""", HOST)
    assert found == []


def test_planted_markup_stays_text_on_public_pages(start_app, planted_db, new_page):
    base = start_app(planted_db, public=True)
    page = new_page(*PHONE)
    outside = _watch(page, base)

    goto(page, f"{base}/actions")
    # on a phone the list is cards; an action opens from the picker above them
    page.locator('[data-testid="stSelectbox"]').filter(
        has_text="Voir le détail d'une action").first.click()
    # the first action (0 is "Choisir une action")
    rerun(page, page.get_by_role("option").nth(1).click)
    main = page.locator('[data-testid="stMain"]')
    assert main.locator("h2").count() >= 1, "détail non affiché"
    body = main.inner_text().replace("\u2060", "")  # invisible word joiner (perr_ui/text.py)
    screenshot(page, "text-from-data-action-390")
    # shown literally: the Markdown / HTML source, character for character
    for value in (PAYLOADS["title"], PAYLOADS["holder_name"], PAYLOADS["source"],
                  PAYLOADS["target_public"], f"[clic](http://{HOST}/desc)", "$x^2$",
                  ":red[rouge]", "# Titre", "- liste", ":material/home:", ":smile:",
                  ":streamlit:"):
        assert value in body, value
    # no icon, emoji or logo drawn from a short code of the data (issue 28)
    assert main.locator('[data-testid="stIconMaterial"]', has_text="home").count() == 0
    assert "\U0001f604" not in body   # :smile:
    _no_link_or_image_from_data(page)

    for slug in ("quartier", "engagements", "referentiel", "territoires", ""):
        goto(page, f"{base}/{slug}")
        wait_idle(page)
        _no_link_or_image_from_data(page)
        if slug == "quartier":
            assert QPV in main.inner_text().replace("\u2060", "")
        if slug == "engagements":
            shown = main.inner_text().replace("\u2060", "")
            assert COMMITMENT in shown and PAYLOADS["title"] in shown
    page.wait_for_timeout(500)
    assert outside == [], outside
