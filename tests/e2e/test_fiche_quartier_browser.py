"""Issue 26, items 4 and 5, on the public instance at 390 px: the maps' names are at least 12 px
measured in the SVG at its rendered width (Couverture and Quartier), every quartier of the
territory is listed under the Couverture map, and the fiche quartier of Le Bois L'Abbé
downloaded from its page is one A4 page whose figures are the page's and raw SQL's.
Screenshots: tests/e2e/screenshots/public-couverture-carte-390.png and
public-quartier-fiche-390.png."""
import re
import shutil
import subprocess

import pytest
from sqlalchemy import text

from conftest import PHONE, goto, rerun, screenshot, wait_for_text
from perr_model.store import make_engine

PEMB = "paris-est-marne-et-bois"
RENEWAL = "Engager le Projet de Renouvellement Urbain de la 2ème tranche du Bois l'Abbé"

# every <text> of the map's SVG: its font size (own or inherited) in px at the picture's
# rendered width (font-size in units × rendered width / viewBox width)
NAME_PX = """async () => {
  const img = document.querySelector('figure.perr-map img');
  const svg = new DOMParser().parseFromString(await (await fetch(img.src)).text(),
                                              'image/svg+xml').documentElement;
  const units = parseFloat(svg.getAttribute('viewBox').split(/\\s+/)[2]);
  const scale = img.getBoundingClientRect().width / units;
  return [...svg.querySelectorAll('text')].map(t => {
    let el = t;
    while (el && !el.getAttribute('font-size')) el = el.parentElement;
    return {text: t.textContent, px: parseFloat(el.getAttribute('font-size')) * scale};
  });
}"""


def _sql(url: str, query: str, **params):
    engine = make_engine(url)
    with engine.connect() as c:
        rows = c.execute(text(query), params).all()
    engine.dispose()
    return rows


def _choose(page, label: str, typed: str, option: str) -> None:
    box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
        has_text=label).first
    box.click()
    page.keyboard.type(typed)
    rerun(page, page.locator('[role="option"]').filter(has_text=option).first.click)


def test_maps_readable_and_fiche_of_one_page_on_a_phone(start_app, e2e_db, new_page, tmp_path):
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.skip("pdftotext / pdfinfo absents (poppler-utils)")
    tid = _sql(e2e_db, "select id from territory where slug = :s", s=PEMB)[0][0]
    quartiers = sorted(r[0] for r in _sql(
        e2e_db, "select distinct q.name from qpv q join qpv_commune qc on qc.qpv_id = q.id "
        "join commune c on c.id = qc.commune_id where c.territory_id = :t "
        "and q.geometry is not null", t=tid))
    page = new_page(*PHONE)
    base = start_app(e2e_db, public=True)
    # Couverture: names ≥ 12 px, every quartier in the list under the map
    goto(page, base + f"/couverture?territoire={PEMB}")
    page.wait_for_selector("figure.perr-map img")
    names = page.evaluate(NAME_PX)
    assert names and min(n["px"] for n in names) >= 12, names
    key = page.locator(".perr-map-key li").all_inner_texts()
    assert sorted(re.sub(r"^\s*\d+\s*", "", k).strip() for k in key) == quartiers
    assert {"L'Egalité", "Les Quatre Cités"} <= set(quartiers)
    screenshot(page, "public-couverture-carte-390")
    # Quartier: Le Bois L'Abbé, its map's names ≥ 12 px, its outline drawn
    goto(page, base + f"/quartier?territoire={PEMB}")
    _choose(page, "Quartier", "Bois L", "Le Bois L'Abbé (Champigny-sur-Marne)")
    wait_for_text(page, "Engagements qui concernent le quartier")
    names = page.evaluate(NAME_PX)
    assert "Le Bois L'Abbé" in [n["text"] for n in names]
    assert min(n["px"] for n in names) >= 12, names
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Actions du quartier")
    on_page = int(metric.first.locator('[data-testid="stMetricValue"]').inner_text().strip())
    axes = {m.group(1): int(m.group(2)) for m in (
        re.search(r"(Axe \d+) – .*\((\d+) actions?\)", " ".join(s.split())) for s in
        page.locator('[data-testid="stExpander"] summary').all_inner_texts()) if m}
    # the fiche, downloaded from the page (public instance: read-only)
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("Télécharger la fiche du quartier")).click()
    path = tmp_path / "fiche.pdf"
    download.value.save_as(path)
    assert download.value.suggested_filename.endswith(".pdf")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    assert re.search(r"^Page size:\s+595(\.\d+)? x 841", info, re.M), info   # A4
    said = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())
    # its figures: the quartier's own actions (raw SQL: named, or carrying an engagement
    # attached to it; all years, not archived) = the page's figure = the fiche's
    (own,), = _sql(e2e_db, """
        select count(*) from action a where a.archived = :no and a.territory_id = :t
          and (a.id in (select action_id from action_qpv where qpv_id = q.id)
            or a.id in (select ac.action_id from action_commitment ac join commitment_qpv cq
                        on cq.commitment_id = ac.commitment_id where cq.qpv_id = q.id))
        """.replace("q.id", "(select id from qpv where name = :n)"),
        no=False, t=tid, n="Le Bois L'Abbé")
    assert own == on_page > 0
    assert f"Chiffres clés {own} actions du quartier" in said
    assert axes and all(f"{axis} – " in said and re.search(
        rf"{axis} – [^:]*: {n} actions?\b", said) for axis, n in axes.items()), (axes, said)
    (renewal,), = _sql(e2e_db, "select count(*) from action a join action_commitment ac on "
                       "ac.action_id = a.id join commitment k on k.id = ac.commitment_id "
                       "where k.text = :k and a.archived = :no", k=RENEWAL, no=False)
    # French: 0 and 1 take the singular (one action since the protocol's review)
    words = "action du quartier" if renewal < 2 else "actions du quartier"
    assert f"{RENEWAL} ({renewal} {words})" in said
    assert "Le Bois L'Abbé" in said and "Champigny-sur-Marne" in said
    assert "Sources" in said and "Fiche produite le" in said
    screenshot(page, "public-quartier-fiche-390")
