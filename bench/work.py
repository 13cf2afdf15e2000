"""The work a person waits for, in the browser (issue 27, item 1): bench/browser.py runs it on
the private instance of each dataset × backend, `--work-runs` times, each run in a new browser
context (a new Streamlit session) signed in as an administrator made for the bench:

- signing in: click on « Se connecter » → « Connecté » shown, page idle;
- saving an action: click on « Enregistrer » → « Action enregistrée » shown, page idle; then
  until the stored figures are at the new data version (the background refresh, scoped to the
  action's territory × years: perr_model/write_scope.py), polled in the database;
- a page after a write: Couverture opened from the menu right after the save (its figures of
  the changed scope computed, the others read as stored);
- a 500-row spreadsheet: upload → the dry run's report (the « Importer » button) shown; click
  on « Importer » → « Actions écrites » shown;
- « Préparer le document » (Document COPIL) → both downloads (PDF, XLSX) offered;
- the interactive map: click on Couverture's « Carte interactive » → its canvas drawn.

Each time runs from the click (page clock) until the page is idle with everything drawn
(bench/browser.py's `wait_done`: no change for 0.5 s, which is then not counted).
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

PASSWORD = "banc-d-essai-du-travail"
ACCOUNT = "banc-travail"
STEPS = ("se connecter", "enregistrer une action", "… chiffres enregistrés à jour",
         "une page après l'écriture (Couverture)", "import 500 lignes : contrôle (à blanc)",
         "import 500 lignes : écriture", "« Préparer le document » → 2 téléchargements",
         "carte interactive dessinée")
# Targets of issue 27 (2 cores, medians): step → (embedded, national) seconds
TARGETS = {"enregistrer une action": (1.0, 2.0),
           "import 500 lignes : contrôle (à blanc)": (3.0, 3.0),
           "import 500 lignes : écriture": (5.0, 5.0),
           "carte interactive dessinée": (2.5, 2.5)}


def prepare(url: str, slug: str | None, tmp: Path) -> dict:
    """The bench's administrator account, and what the steps type: a commune of the territory
    opened (its name and INSEE code) and the 500-row file's path per run."""
    from sqlalchemy import select

    from perr_model.auth import hash_password
    from perr_model.schema import Commune, Territory, UserAccount
    from perr_model.store import Store
    store = Store(url, read_only=False, refresh=False)
    try:
        with store.write() as s:
            query = select(Territory).order_by(Territory.id)
            t = (s.scalars(query.filter_by(slug=slug)).one() if slug
                 else s.scalars(query.where(Territory.slug.like("%marne%"))).first())
            commune = s.scalars(select(Commune).where(Commune.territory_id == t.id)
                                .order_by(Commune.insee_code)).first()
            if s.scalars(select(UserAccount).filter_by(username=ACCOUNT)).first() is None:
                from perr_model.login_names import login_key
                s.add(UserAccount(username=ACCOUNT, login=login_key(ACCOUNT), role="admin",
                                  password_hash=hash_password(PASSWORD), active=True))
            return {"slug": t.slug, "commune": commune.name, "insee": commune.insee_code,
                    "tmp": tmp}
    finally:
        store.dispose()


def sheet(path: Path, insee: str, run: int, rows: int = 500) -> Path:
    lines = ["reference;titre;communes;annee_debut;financeur_1;montant_accorde_1"]
    lines += [f"BT-{run}-{i};Action du banc {run}-{i};{insee};{2023 + i % 3};Commune;1 500"
              for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _figures_current(url: str) -> bool:
    from sqlalchemy.orm import Session

    from perr_model.figures import stored
    from perr_model.store import shared_engine
    with Session(shared_engine(url, True)) as s:
        return stored.has_current(s)


async def run_once(browser, base: str, url: str, info: dict, run: int, timeout: float
                   ) -> dict[str, float]:
    from browser import Wire, new_context, wait_done
    out: dict[str, float] = {}
    ctx = await new_context(browser)
    try:
        page = await ctx.new_page()
        wire = Wire(page)

        async def timed(name: str, act, expect=None) -> float:
            idle_before = await page.evaluate("() => window.__perr.idle")
            finished_before = wire.finished
            t0 = await page.evaluate("() => performance.now()")
            await act()
            if expect is not None:
                await expect.first.wait_for(timeout=timeout * 1000)
            done, _ = await wait_done(page, wire, idle_before, finished_before, timeout)
            if await page.locator('[data-testid="stException"]').count():
                raise RuntimeError(f"{name} : la page affiche une erreur")
            out[name] = (done - t0) / 1000
            return out[name]

        async def menu(label: str) -> None:
            link = page.locator('[data-testid="stSidebarNav"] a', has_text=label).first
            idle_before = await page.evaluate("() => window.__perr.idle")
            finished_before = wire.finished
            await link.click()
            await wait_done(page, wire, idle_before, finished_before, timeout)

        await page.goto(f"{base}/connexion?territoire={info['slug']}", wait_until="commit")
        await wait_done(page, wire, 0, 0, timeout)
        await page.get_by_label("Identifiant").fill(ACCOUNT)
        await page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        await timed("se connecter", page.get_by_role("button", name="Se connecter").click,
                    page.get_by_text("Connecté"))

        await menu("Saisir une action")
        await page.get_by_label("Titre *").fill(f"Action enregistrée par le banc {run}")
        await page.get_by_role("textbox", name="Année de début *").fill("2024")
        communes = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Communes *")
        await communes.locator("input").click()
        await page.keyboard.type(info["commune"])
        await page.keyboard.press("Enter")
        await page.keyboard.press("Escape")
        clicked = time.perf_counter()
        await timed("enregistrer une action", page.get_by_role("button", name="Enregistrer").click,
                    page.get_by_text("Action enregistrée"))
        while not await asyncio.to_thread(_figures_current, url):
            if time.perf_counter() - clicked > timeout:
                raise TimeoutError("chiffres enregistrés pas à jour")
            await asyncio.sleep(0.05)
        out["… chiffres enregistrés à jour"] = time.perf_counter() - clicked

        await menu("Importer une programmation")
        path = sheet(info["tmp"] / f"banc-{run}.csv", info["insee"], run)
        await timed("import 500 lignes : contrôle (à blanc)",
                    lambda: page.locator('input[type="file"]').set_input_files(str(path)),
                    page.get_by_role("button", name="Importer"))
        await timed("import 500 lignes : écriture",
                    page.get_by_role("button", name="Importer").click,
                    page.get_by_text("Actions écrites"))

        idle_before = await page.evaluate("() => window.__perr.idle")
        finished_before = wire.finished
        t0 = await page.evaluate("() => performance.now()")
        await page.locator('[data-testid="stSidebarNav"] a', has_text="Couverture").first.click()
        done, _ = await wait_done(page, wire, idle_before, finished_before, timeout)
        out["une page après l'écriture (Couverture)"] = (done - t0) / 1000
        await timed("carte interactive dessinée",
                    page.get_by_text("Carte interactive", exact=False).first.click,
                    page.locator('[data-testid="stDeckGlJsonChart"]'))

        await menu("Document COPIL")
        await timed("« Préparer le document » → 2 téléchargements",
                    page.get_by_role("button", name="Préparer le document").click,
                    page.get_by_role("button", name="Télécharger les tableaux (XLSX)"))
        if not await page.get_by_role("button", name="Télécharger le PDF").count():
            raise RuntimeError("pas de PDF proposé")
    finally:
        await ctx.close()
    return out


async def measure(browser, base: str, url: str, slug: str | None, tmp: Path, runs: int,
                  timeout: float = 180.0) -> tuple[dict[str, list[float]], list[str]]:
    info = prepare(url, slug, tmp)
    results: dict[str, list[float]] = {k: [] for k in STEPS}
    errors: list[str] = []
    for run in range(runs):
        try:
            got = await asyncio.wait_for(run_once(browser, base, url, info, run, timeout),
                                         timeout * 8)
        except Exception as exc:  # noqa: BLE001 - a failed step is a result, the bench goes on
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
            continue
        for k, v in got.items():
            results[k].append(v)
    return results, errors


def print_table(title: str, floor_first: float, results: dict[str, list[float]],
                errors: list[str], national: bool) -> None:
    from browser import fmt_s, med, verdict
    print(f"\n### {title}")
    print("| travail | attente (s) médiane (min–max) | × plancher (1er rendu) | cible | tenue ? |")
    print("|---|---:|---:|---:|:-:|")
    for name in STEPS:
        values = results.get(name, [])
        target = TARGETS.get(name)
        limit = None if target is None else target[1 if national else 0]
        ratio = med(values) / floor_first if values and floor_first else float("inf")
        print(f"| {name} | {fmt_s(values)} | {ratio:.1f} | "
              f"{'—' if limit is None else f'≤ {limit:g} s'} | "
              f"{'—' if limit is None or not values else verdict(med(values) <= limit)} |")
    for err in errors:
        print(f"  (travail interrompu : {err})")
