"""The protocol review screen in a real browser: a PDF made here, with one operational objective
wrongly split in two (its second half printed as a bullet of its own), is uploaded; the two are
merged on the review screen, then saved; the database (raw SQL) holds the merged objective.
Screenshots: tests/e2e/screenshots/protocole-relecture-1400 / -390."""
import sqlite3
import sys
from pathlib import Path

from conftest import DESKTOP, PHONE, copy_with_accounts, goto, rerun, screenshot, wait_idle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from editing_support import PASSWORD  # noqa: E402
from protocol_renderings import Block, pdf_bytes  # noqa: E402

FIRST = "Inciter les employeurs et les acteurs de l'insertion"
SECOND = "à la mise en œuvre d'une gestion prévisionnelle des emplois et des compétences"
PROTOCOL = [
    Block("Protocole d'Engagements Réciproques et Renforcés de Paris Terres d'Envol", bold=True),
    Block("Axe 1 – Insertion et développement économique : créer des dynamiques de parcours",
          bold=True),
    Block("Objectif stratégique : faciliter l'accès à l'emploi pour les populations des "
          "quartiers", bold=True),
    Block("1. Renforcer l'attractivité économique des QPV", bold=True),
    Block("Objectifs opérationnels :"),
    Block("Stimuler la mutation des zones d'activités", bullet=True),
    Block(FIRST, bullet=True),
    Block(SECOND, bullet=True),          # the mis-split: a bullet of its own
    Block("Améliorer l'offre de services", bullet=True),
]


def objectives(url: str) -> list[str]:
    """Paris Terres d'Envol's operational objectives in the store, in order (raw SQL)."""
    db = sqlite3.connect(url.removeprefix("sqlite:///"))
    rows = db.execute(
        "SELECT o.text FROM operational_objective o JOIN objective_group g ON g.id = o.group_id "
        "JOIN strategic_objective s ON s.id = g.strategic_objective_id JOIN axis a "
        "ON a.id = s.axis_id JOIN territory t ON t.id = a.territory_id "
        "WHERE t.slug = 'paris-terres-d-envol' ORDER BY a.position, s.position, g.position, "
        "o.position").fetchall()
    db.close()
    return [r[0] for r in rows]


def test_a_mis_split_objective_is_merged_before_saving(start_app, embedded_sqlite,
                                                       tmp_path_factory, new_page, tmp_path):
    url = copy_with_accounts(embedded_sqlite, tmp_path_factory, "e2e-protocole")
    db = sqlite3.connect(url.removeprefix("sqlite:///"))   # the administrator of PTE, here
    db.execute("UPDATE user_account SET territory_id = (SELECT id FROM territory WHERE slug = "
               "'paris-terres-d-envol') WHERE username = 'admin-pemb'")
    db.commit()
    db.close()
    page = new_page(*DESKTOP)
    goto(page, f"{start_app(url)}/connexion?territoire=paris-terres-d-envol")
    page.get_by_label("Identifiant").fill("admin-pemb")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_function("() => document.body.innerText.includes('Connecté')")
    wait_idle(page)
    rerun(page, lambda: page.locator('[data-testid="stSidebarNav"] a',
                                     has_text="Importer un protocole").click(),
          "Document du protocole")

    pdf = tmp_path / "protocole.pdf"
    pdf.write_bytes(pdf_bytes(PROTOCOL))
    rerun(page, lambda: page.locator('input[type="file"]').set_input_files(str(pdf)),
          "objectifs opérationnels : 4")
    screenshot(page, "protocole-relecture-1400")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    screenshot(page, "protocole-relecture-390")
    page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})

    box = page.get_by_role("combobox", name="Élément")
    box.click()
    box.fill("à la mise en œuvre")
    page.get_by_role("option", name=SECOND[:40], exact=False).first.click()
    rerun(page, lambda: page.get_by_role("button", name="Appliquer la correction").click(),
          "objectifs opérationnels : 3")
    before = objectives(url)
    assert len(before) == 69 and f"{FIRST} {SECOND}" not in before   # nothing written yet
    rerun(page, lambda: page.get_by_role("button", name="Enregistrer", exact=True).click(),
          "Référentiel enregistré")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert objectives(url) == ["Stimuler la mutation des zones d'activités",
                               f"{FIRST} {SECOND}", "Améliorer l'offre de services"]
