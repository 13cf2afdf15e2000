"""The import page in a real browser at 1400 and 390 px with a refused file typed by hand (one
row per funder, a column the import does not read): the ignored column is named before any
write, the reasons are an HTML table (cards on a phone) whose text is shown in full, inside the
page's width. Screenshots: tests/e2e/screenshots/import-refuse-*."""
import sys
from pathlib import Path

import pytest

from conftest import DESKTOP, PHONE, copy_with_accounts, goto, screenshot, wait_idle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from editing_support import PASSWORD  # noqa: E402

REFUSED = ("Intitulé;Porteur;Commune;Date de début;Financeur;Montant demandé;Montant accordé;"
           "Commentaire\n"
           "Soutien scolaire;Association Étoile;Champigny;01/09/2022;État;12 000;10 000;vu\n"
           ";;;;Ville;;5 000;\n"
           "Médiation de nuit;Association Trait d'union;Champigny;2022-13-01;Mairie;;2 000;\n"
           "Jardin partagé;Régie de quartier;Villiers;01/03/2023;Conseil départemental;;800;\n")


@pytest.fixture(scope="module")
def import_db(embedded_sqlite, tmp_path_factory):
    url = copy_with_accounts(embedded_sqlite, tmp_path_factory, "e2e-import")
    return url


def _open_import_page(page, base, w):
    goto(page, f"{base}/connexion?territoire=paris-est-marne-et-bois")
    page.get_by_label("Identifiant").fill("chef-champigny")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_function("() => document.body.innerText.includes('Connecté')")
    wait_idle(page)
    link = page.locator('[data-testid="stSidebarNav"] a', has_text="Importer une programmation")
    if w < 700:
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        link.wait_for(state="visible")
    link.click()
    wait_idle(page)
    if w < 700:
        page.locator('[data-testid="stSidebarCollapseButton"] button').click(force=True)


def _upload(page, tmp_path, content, name, needle):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8"))
    page.locator('input[type="file"]').set_input_files(str(path))
    page.wait_for_function("(t) => document.body.innerText.includes(t)", arg=needle,
                           timeout=30_000)
    wait_idle(page)


def _within_width(page, table, w):
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= w + 1, box  # within the page's width
    clipped = page.evaluate("""() => [...document.querySelectorAll('table.perr-t td')]
        .filter(td => td.scrollWidth > td.clientWidth + 1).length""")
    assert clipped == 0


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1400", "390"])
def test_a_refused_file_says_why_in_full(start_app, import_db, new_page, size, tmp_path):
    w = size[0]
    page = new_page(*size)
    _open_import_page(page, start_app(import_db), w)
    _upload(page, tmp_path, REFUSED, "programmation.csv", "Lignes refusées")
    screenshot(page, f"import-refuse-{w}")
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "1 colonne(s) ignorée(s)" in main and "« Commentaire »" in main
    table = page.locator("table.perr-t").last
    text = table.inner_text()
    assert "Date de début : « 2022-13-01 » n'est pas une date (JJ/MM/AAAA)." in text
    assert "hors de votre périmètre : Villiers-sur-Marne." in text
    _within_width(page, table, w)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_role("button", name="Importer").count() == 0


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1400", "390"])
def test_a_file_imported_again_shows_what_is_already_there(start_app, import_db, new_page,
                                                           size, tmp_path):
    w = size[0]
    good = "\n".join(REFUSED.replace("Soutien scolaire", f"Soutien scolaire {w}")
                     .splitlines()[:3]) + "\n"
    page = new_page(*size)
    _open_import_page(page, start_app(import_db), w)
    _upload(page, tmp_path, good, "a.csv", "Essai à blanc")
    page.get_by_role("button", name="Importer", exact=True).click()
    try:
        page.wait_for_function("() => document.body.innerText.includes('1 créée(s)')",
                               timeout=30_000)
    except Exception:
        screenshot(page, f"import-echec-{w}")
        raise
    wait_idle(page)
    _upload(page, tmp_path, good.replace(";5 000;", ";6 000;"), "b.csv", "Déjà présentes")
    screenshot(page, f"import-deja-presentes-{w}")
    table = page.locator("table.perr-t").last
    assert "Financements :" in table.inner_text() and "6\u202f000" in table.inner_text()
    _within_width(page, table, w)
    assert page.get_by_text("Que faire des actions déjà présentes ?").count() == 1
