"""One story: the Couverture page (AppTest), the COPIL PDF (pdftotext) and its XLSX show the same
figures for the same scope — actions, coverage, angles morts, money and State posts.

1. A small hand-built territory with answers worked out by hand below (not by the code under
   test), for one year and for all years, plus a territory whose coverage is carried by its
   communes' commitments (no operational objectives); SQLite and PostgreSQL.
2. The embedded data (Paris Est Marne & Bois), all years and its latest year: the screen, the
   PDF and the XLSX say what plain SQL says (tests/sql_support.py), for every shared figure.
"""
from __future__ import annotations

import html
import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from page_support import Page, on  # noqa: F401
import sql_support as sql
from perr_model import cli
from perr_model.schema import (
    Action, Axis, Commitment, Commune, ContratDeVille, FundingLine, ObjectiveGroup,
    OperationalObjective, Qpv, StrategicObjective, Territory, qpv_commune,
)
from perr_model.store import make_engine, write_session

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext absent (apt-get install poppler-utils)")
NB = str.maketrans({"\u202f": " ", "\u00a0": " "})

# --- the hand-built territories and their answers ---------------------------------------------
#
# Territory "Essai chiffres" (operational objectives O1, O2 under axis 1; axis 2 without any):
#   a1  2021–2022, commune Alpha, objective O1, commitment K1 (Alpha, axis 1);
#       funding: commune 2021 10 000 accordés / 12 000 demandés; P147 without year 5 000/5 000
#       (takes a1's first year, 2021)
#   a2  2022 only, quartier Q1 (in Beta), axis 2 directly, commitment K2 (Beta, axis 2);
#       funding: CAF 2022 3 000 / 4 000
#   a3  2022, archived, objective O2, Alpha; 99 999 accordés          -> never counted
#   a4  no year, commune Beta, objective O2; holder "asso un" (= a1's, case aside);
#       funding: commune without year 700 / none                      -> all years only
#   K3  (Beta, axis 2) has no action.
#   State posts of contrat CVZ01: adultes-relais 2021 20 000, 2022 21 000; FONJEP 2022 7 164.
# Territory "Essai engagements" (no objectives): b1 2022, commune Gamma, commitment L1; L2 none.

EXPECTED = {
    ("essai-chiffres", 2022): {
        "Actions comptées": ("2", 2),
        "Actions sans année renseignée (non comptées)": ("1", 1),
        "Porteurs différents": ("2", 2),
        "Axes couverts par au moins une action": ("2 sur 2", 2),
        "Objectifs opérationnels couverts": ("1 sur 2", 1),
        "Engagements des communes avec au moins une action": ("2 sur 3", 2),
        "Angles morts (objectifs opérationnels sans action)": ("1", 1),
        "Communes avec au moins une action": ("2 sur 2", 2),
        "Quartiers (QPV) avec au moins une action": ("1 sur 1", 1),
        "Montants accordés aux actions": ("3 000 €", 3000),
        "Montants demandés pour les actions": ("4 000 €", 4000),
        "Postes adultes-relais et FONJEP de l'État (postes-années)": ("2", 2),
        "Postes adultes-relais et FONJEP de l'État (montant)": ("28 164 €", 28164),
        "summary": "1 des 2 objectifs opérationnels du protocole a au moins une action ; "
                   "2 actions ; 28 164 € de l'État en postes adultes-relais et FONJEP, 3 000 € "
                   "de financements d'actions ; axes les moins couverts : 1 et 2 (1 action "
                   "chacun) ; par rapport à 2021 : 1 action nouvelle, 1 poursuivie, 0 terminée, "
                   "1 engagement nouvellement couvert, financements des actions −12 000 € "
                   "(−80 %), postes de l'État +8 164 € (+41 %).",
        "matrix": {"Alpha": [1, 0], "Beta": [0, 1]},
        "metrics": {"Actions": "2", "Objectifs couverts": "1 / 2", "Angles morts": "1",
                    "Quartiers touchés": "1 / 1", "Financements des actions": "3 000 €",
                    "Postes financés par l'État": "28,2 k€"},
    },
    ("essai-chiffres", None): {
        "Actions comptées": ("3", 3),
        "Actions sans année renseignée (comptées)": ("1", 1),
        "Porteurs différents": ("2", 2),
        "Axes couverts par au moins une action": ("2 sur 2", 2),
        "Objectifs opérationnels couverts": ("2 sur 2", 2),
        "Engagements des communes avec au moins une action": ("2 sur 3", 2),
        "Angles morts (objectifs opérationnels sans action)": ("0", 0),
        "Communes avec au moins une action": ("2 sur 2", 2),
        "Quartiers (QPV) avec au moins une action": ("1 sur 1", 1),
        "Montants accordés aux actions": ("18 700 €", 18700),
        "Montants demandés pour les actions": ("21 000 €", 21000),
        "Postes adultes-relais et FONJEP de l'État (postes-années)": ("3", 3),
        "Postes adultes-relais et FONJEP de l'État (montant)": ("48 164 €", 48164),
        "summary": "2 des 2 objectifs opérationnels du protocole ont au moins une action ; "
                   "3 actions ; 48 164 € de l'État en postes adultes-relais et FONJEP, 18 700 € "
                   "de financements d'actions (montant demandé non renseigné sur 1 des 4 "
                   "lignes) ; axe le moins couvert : Axe 2 – Cadre de vie (1 action).",
        "matrix": {"Alpha": [1, 0], "Beta": [1, 1]},
        "metrics": {"Actions": "3", "Objectifs couverts": "2 / 2", "Angles morts": "0",
                    "Quartiers touchés": "1 / 1", "Financements des actions": "18,7 k€",
                    "Postes financés par l'État": "48,2 k€"},
    },
    ("essai-engagements", 2022): {
        "Actions comptées": ("1", 1),
        "Engagements des communes avec au moins une action": ("1 sur 2", 1),
        "Angles morts (engagements des communes sans action)": ("1", 1),
        "Montants accordés aux actions": ("aucun financement saisi", 0),
        "Postes adultes-relais et FONJEP de l'État (montant)": ("aucun poste enregistré", 0),
        "summary": "1 des 2 engagements des communes a au moins une action ; 1 action ; aucun "
                   "poste adulte-relais ou FONJEP de l'État enregistré, aucun financement "
                   "d'action saisi ; axe le moins couvert : Axe 2 – Habitat (aucune action) ; "
                   "par rapport à 2021 : 1 action nouvelle, 0 poursuivie, 0 terminée, "
                   "1 engagement nouvellement couvert.",
        "matrix": {"Gamma": [1, 0]},
        "metrics": {"Actions": "1", "Engagements avec action": "1 / 2", "Angles morts": "1",
                    "Financements des actions": "aucun saisi",
                    "Postes financés par l'État": "aucun enregistré"},
    },
}


def build(url: str) -> None:
    engine = make_engine(url, read_only=False)
    with write_session(engine) as s:
        t = Territory(slug="essai-chiffres", name="Essai chiffres", is_synthetic=True)
        t2 = Territory(slug="essai-engagements", name="Essai engagements", is_synthetic=True)
        s.add_all([t, t2])
        s.flush()
        cv = ContratDeVille(code="CVZ01", name="Contrat d'essai", territory_id=t.id,
                            is_synthetic=True)
        s.add(cv)
        s.flush()
        alpha, beta = (Commune(insee_code=c, name=n, territory_id=t.id, contrat_de_ville_id=cv.id,
                               is_synthetic=True) for c, n in (("Z9001", "Alpha"), ("Z9002", "Beta")))
        gamma = Commune(insee_code="Z9003", name="Gamma", territory_id=t2.id, is_synthetic=True)
        q1 = Qpv(name="Quartier d'essai", is_synthetic=True)
        s.add_all([alpha, beta, gamma, q1])
        s.flush()
        s.execute(insert(qpv_commune).values(qpv_id=q1.id, commune_id=beta.id))
        ax1, ax2 = (Axis(territory_id=t.id, position=i, number=i, title=x, short_title=x)
                    for i, x in ((1, "Emploi"), (2, "Cadre de vie")))
        bx1, bx2 = (Axis(territory_id=t2.id, position=i, number=i, title=x, short_title=x)
                    for i, x in ((1, "Éducation"), (2, "Habitat")))
        s.add_all([ax1, ax2, bx1, bx2])
        s.flush()
        so = StrategicObjective(axis_id=ax1.id, position=1, text="Stratégie d'essai")
        s.add(so)
        s.flush()
        g = ObjectiveGroup(strategic_objective_id=so.id, position=1, number=1, title="Groupe")
        s.add(g)
        s.flush()
        o1, o2 = (OperationalObjective(group_id=g.id, position=i, text=f"Objectif {i}")
                  for i in (1, 2))
        s.add_all([o1, o2])

        def commitment(terr, commune, axis, n):
            c = Commitment(territory_id=terr.id, commune_id=commune.id, axis_id=axis.id,
                           theme="Thème", theme_position=1, position=n, number=n,
                           text=f"Engagement {n} de {commune.name}")
            s.add(c)
            return c

        k1, k2, _k3 = commitment(t, alpha, ax1, 1), commitment(t, beta, ax2, 2), \
            commitment(t, beta, ax2, 3)
        l1, _l2 = commitment(t2, gamma, bx1, 1), commitment(t2, gamma, bx2, 2)
        s.flush()

        def action(ref, terr, start, end=None, holder=None, archived=False, lines=(), **links):
            a = Action(reference=ref, territory_id=terr.id, title=f"Action {ref}",
                       holder_name=holder, year_start=start, year_end=end, archived=archived,
                       origin="manual", is_synthetic=True)
            for key, value in links.items():
                setattr(a, key, value)
            a.funding_lines = [FundingLine(funder=f, year=y, amount_approved=ap,
                                           amount_requested=rq) for f, y, ap, rq in lines]
            s.add(a)

        action("a1", t, 2021, 2022, "Asso Un", communes=[alpha], objectives=[o1],
               commitments=[k1], lines=[("commune", 2021, 10000, 12000),
                                        ("etat_p147", None, 5000, 5000)])
        action("a2", t, 2022, None, "Asso Deux", qpvs=[q1], axes=[ax2], commitments=[k2],
               lines=[("caf", 2022, 3000, 4000)])
        action("a3", t, 2022, None, "Asso Trois", archived=True, objectives=[o2],
               communes=[alpha], lines=[("commune", 2022, 99999, None)])
        action("a4", t, None, None, "asso un", communes=[beta], objectives=[o2],
               lines=[("commune", None, 700, None)])
        action("b1", t2, 2022, None, "Asso Gamma", communes=[gamma], commitments=[l1])
        for funder, year, amount in (("etat_adultes_relais", 2021, 20000),
                                     ("etat_adultes_relais", 2022, 21000),
                                     ("etat_fonjep", 2022, 7164)):
            s.add(FundingLine(contrat_de_ville_id=cv.id, funder=funder, year=year,
                              amount_approved=amount, origin="anct", is_synthetic=True))
    engine.dispose()


# --- reading the three outputs ----------------------------------------------------------------

def copil(url, slug, year, tmp_path, monkeypatch) -> tuple[str, dict]:
    monkeypatch.setenv("DATABASE_URL", url)
    out = tmp_path / f"{slug}-{year}.pdf"
    assert cli.main(["report", "copil", "--territory", slug, "--year",
                     str(year or "toutes"), "--out", str(out)]) == 0
    txt = subprocess.run(["pdftotext", "-layout", str(out), "-"], check=True,
                         capture_output=True, text=True).stdout.translate(NB)
    wb = load_workbook(out.with_suffix(".xlsx"), read_only=True)
    sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb}
    return txt, sheets


def pdf_value(txt: str, label: str) -> str:
    m = re.search(re.escape(label) + r"\s{2,}(.+)", txt)
    assert m, f"« {label} » absent du PDF"
    return m.group(1).strip()


def pdf_summary(txt: str) -> str:
    """The summary of the "Chiffres clés" page, checked equal to the cover's."""
    flat = " ".join(txt.split())
    m = re.search(r"En bref : (.+?\.)(?= Indicateur)", flat)
    cover = re.search(r"L'essentiel : (.+?\.)(?= Document produit le)", flat)
    assert m and cover, "résumé absent du PDF"
    assert cover.group(1) == m.group(1)
    return m.group(1)


def pdf_matrix(txt: str, communes) -> dict[str, list[int]]:
    out = {}
    for name in communes:
        row = re.search(rf"^\s*{re.escape(name)}((?:\s+\d+)+)\s*$", txt, re.M)
        assert row, name
        out[name] = [int(v) for v in row.group(1).split()]
    return out


def screen(url: str, tid: int, year) -> dict:
    p = Page(url, "pages/couverture.py", tid, year)
    # the whole axis × commune table, in its sortable grid: both are built only when asked
    p.at.session_state["cov_matrix_all"] = p.at.session_state["cov_matrix_grid"] = True
    p.at.session_state["cov_matrix"] = True  # the folded section of the axis × commune table
    p.run()
    boxes = [h.proto.body for h in p.at.get("html") if "perr-summary" in h.proto.body]
    assert len(boxes) == 1
    matrix = next(d.value for d in p.at.dataframe if "Total territoire" in d.value.columns)
    return {"metrics": {m.label: m.value.translate(NB) for m in p.at.metric},
            "summary": boxes[0], "matrix": matrix}


# --- 1. known answers -------------------------------------------------------------------------

@pytest.mark.parametrize("slug, year", list(EXPECTED))
def test_page_pdf_and_xlsx_give_the_worked_out_figures(loaded_url, on, slug, year, tmp_path,  # noqa: F811
                                                       monkeypatch):
    build(loaded_url)
    want = EXPECTED[(slug, year)]
    txt, sheets = copil(loaded_url, slug, year, tmp_path, monkeypatch)
    key = {r[0]: r[1] for r in sheets["Chiffres clés"][1:]}
    for label, (shown, raw) in ((k, v) for k, v in want.items() if isinstance(v, tuple)):
        assert pdf_value(txt, label) == shown, label
        # the workbook says what the PDF says when the PDF gives no number (issue 24)
        assert key[label] == (shown if not any(c.isdigit() for c in shown)
                              else pytest.approx(raw)), label
    assert pdf_summary(txt) == want["summary"]
    assert sheets["Synthèse"][1][0].translate(NB) == want["summary"]
    assert pdf_matrix(txt, want["matrix"]) == want["matrix"]
    xlsx_matrix = {r[0]: list(r[1:]) for r in sheets["Axes x communes"][1:]}
    assert [[xlsx_matrix[a][i] for a in xlsx_matrix] for i in range(len(want["matrix"]))] == \
        list(want["matrix"].values())

    engine = make_engine(loaded_url)
    with Session(engine) as s:
        tid = s.scalar(select(Territory.id).where(Territory.slug == slug))
    engine.dispose()
    seen = screen(on(loaded_url), tid, year)
    for label, value in want["metrics"].items():
        assert seen["metrics"][label] == value, label
    assert html.escape(want["summary"]) in seen["summary"].translate(NB)
    assert [list(seen["matrix"][c]) for c in want["matrix"]] == list(want["matrix"].values())


# --- 2. embedded data: the screen and the document agree ------------------------------------

@pytest.mark.parametrize("which", ["toutes", "dernière"])
def test_embedded_data_screen_and_document_agree(loaded_url, on, which, tmp_path,  # noqa: F811
                                                 monkeypatch):
    """Paris Est Marne & Bois, all years and the latest year an action runs in: the screen, the
    PDF and the XLSX say what plain SQL says (tests/sql_support.py, not perr_model.figures)."""
    slug = "paris-est-marne-et-bois"
    engine = make_engine(loaded_url)
    with engine.connect() as c:
        tid = c.execute(text("select id from territory where slug = :s"), {"s": slug}).scalar()
        year = None if which == "toutes" else c.execute(text(
            "select max(coalesce(year_end, year_start)) from action "
            "where territory_id = :t and not archived"), {"t": tid}).scalar()
        assert not sql.has_objectives(c, tid)   # the communes' commitments carry coverage
        covered, uncovered = sql.commitment_coverage(c, tid, year)
        actions = sql.count_actions(c, tid, year)
        amount = sql.action_amount(c, tid, year)
        n_posts, posts_amount = sql.state_posts(c, tid, year)
        matrix = sql.axis_commune_counts(c, tid, year)
    engine.dispose()
    assert covered and uncovered and actions
    txt, sheets = copil(loaded_url, slug, year, tmp_path, monkeypatch)
    key = {r[0]: r[1] for r in sheets["Chiffres clés"][1:]}
    seen = screen(on(loaded_url), tid, year)

    angles = "Angles morts (engagements des communes sans action)"
    assert int(pdf_value(txt, angles)) == key[angles] == int(seen["metrics"]["Angles morts"]) \
        == len(uncovered)
    assert pdf_value(txt, "Actions comptées") == str(key["Actions comptées"]) \
        == seen["metrics"]["Actions"] == str(actions)
    shown = f"{len(covered)} / {len(covered) + len(uncovered)}"
    assert seen["metrics"]["Engagements avec action"] == shown
    assert pdf_value(txt, "Engagements des communes avec au moins une action") == \
        shown.replace("/", "sur")
    posts = "Postes adultes-relais et FONJEP de l'État (montant)"
    assert key[posts] == pytest.approx(posts_amount)
    if n_posts:
        euros = f"{round(posts_amount):,d} €".replace(",", " ")
        assert pdf_value(txt, posts) == euros
        short = round(posts_amount / 1e6, 1) if posts_amount >= 1e6 else None
        assert seen["metrics"]["Postes financés par l'État"] == (
            f"{short:.1f} M€".replace(".", ",") if short else
            f"{round(posts_amount / 1e3, 1):.1f} k€".replace(".", ","))
    else:
        assert pdf_value(txt, posts) == "aucun poste enregistré"
        assert seen["metrics"]["Postes financés par l'État"] == "aucun enregistré"
    money = "Montants accordés aux actions"
    if pdf_value(txt, money) == "aucun financement saisi":    # the workbook says it too
        assert amount == 0 and key[money] == "aucun financement saisi"
    else:
        assert key[money] == pytest.approx(amount)
    summary = pdf_summary(txt)
    assert summary == sheets["Synthèse"][1][0].translate(NB)
    assert html.escape(summary) in seen["summary"].translate(NB)
    assert pdf_matrix(txt, matrix) == matrix == \
        {c: list(seen["matrix"][c]) for c in matrix}
