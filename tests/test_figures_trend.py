"""Year over year (figures.trend): a year against the previous one, the same numbers in the
figure, on the Couverture page (AppTest), in the COPIL PDF (pdftotext) and its XLSX, on SQLite
and PostgreSQL. Expected values come from plain SQL written here (tests/sql_support.py), never
from perr_model.figures; the hand-built territory below says what they must be.

Territory "Essai évolution" (no operational objectives: its communes' commitments carry it):
  c1  2021–2022, commitment K1 (Alpha, axis 1)            -> continued
      funding: commune 2021 10 000 accordés / 12 000 demandés; commune 2022 15 000 accordés,
      requested not entered                                  -> a line changed between years
  e1  2020–2021, commitment K3 (Alpha, axis 1)            -> ended (K3 newly uncovered)
  n1  2022, commitment K2 (Beta, axis 2); CAF 2022 3 000 / 4 000   -> new (K2 newly covered)
  State posts (contrat CVZ09): adultes-relais 2021 20 000, 2022 21 000.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

import sql_support as sql
from page_support import Page, html_tables, on  # noqa: F401
from perr_model import cli
from perr_model.figures import Scope, trend
from perr_model.schema import (
    Action, Axis, Commitment, Commune, ContratDeVille, FundingLine, Territory,
)
from perr_model.store import make_engine, write_session

NB = str.maketrans({"\u202f": " ", "\u00a0": " "})
YEAR, PREV = 2022, 2021


def build(url: str) -> int:
    engine = make_engine(url, read_only=False)
    with write_session(engine) as s:
        t = Territory(slug="essai-evolution", name="Essai évolution", is_synthetic=True)
        s.add(t)
        s.flush()
        cv = ContratDeVille(code="CVZ09", name="Contrat d'essai", territory_id=t.id,
                            is_synthetic=True)
        s.add(cv)
        s.flush()
        alpha, beta = (Commune(insee_code=c, name=n, territory_id=t.id,
                               contrat_de_ville_id=cv.id, is_synthetic=True)
                       for c, n in (("Z9101", "Alpha"), ("Z9102", "Beta")))
        ax1, ax2 = (Axis(territory_id=t.id, position=i, number=i, title=x, short_title=x)
                    for i, x in ((1, "Emploi"), (2, "Habitat")))
        s.add_all([alpha, beta, ax1, ax2])
        s.flush()
        k1, k2, k3 = (Commitment(territory_id=t.id, commune_id=c.id, axis_id=a.id, theme="Thème",
                                 theme_position=1, position=n, number=n,
                                 text=f"Engagement {n} de {c.name}")
                      for c, a, n in ((alpha, ax1, 1), (beta, ax2, 2), (alpha, ax1, 3)))
        s.add_all([k1, k2, k3])
        s.flush()
        for ref, start, end, k, lines in (
                ("c1", 2021, 2022, k1, [("commune", 2021, 10000, 12000),
                                        ("commune", 2022, 15000, None)]),
                ("e1", 2020, 2021, k3, []),
                ("n1", 2022, None, k2, [("caf", 2022, 3000, 4000)])):
            a = Action(reference=ref, territory_id=t.id, title=f"Action {ref}", year_start=start,
                       year_end=end, holder_name=f"Porteur {ref}", origin="manual",
                       is_synthetic=True, commitments=[k])
            a.funding_lines = [FundingLine(funder=f, year=y, amount_approved=ap,
                                           amount_requested=rq) for f, y, ap, rq in lines]
            s.add(a)
        for year, amount in ((2021, 20000), (2022, 21000)):
            s.add(FundingLine(contrat_de_ville_id=cv.id, funder="etat_adultes_relais", year=year,
                              amount_approved=amount, origin="anct", is_synthetic=True))
        s.flush()
        tid = t.id
    engine.dispose()
    return tid


def expected(url: str, tid: int) -> dict:
    """The year-over-year figures in plain SQL (counted actions of tests/sql_support.py)."""
    engine = make_engine(url)
    with engine.connect() as c:
        def ids(year):
            return {r[0] for r in c.execute(text(
                f"select a.id from action a where {sql.counted_sql(tid, year)}"))}
        now, before = ids(YEAR), ids(PREV)
        covered_now = set(sql.commitment_coverage(c, tid, YEAR)[0])
        covered_before = set(sql.commitment_coverage(c, tid, PREV)[0])
        out = {"new": len(now - before), "continued": len(now & before),
               "ended": len(before - now),
               "gained": sorted(covered_now - covered_before),
               "lost": sorted(covered_before - covered_now),
               "funding": (sql.action_amount(c, tid, PREV), sql.action_amount(c, tid, YEAR)),
               "posts": (sql.state_posts(c, tid, PREV)[1], sql.state_posts(c, tid, YEAR)[1]),
               "lines": c.execute(text(
                   "select count(*), count(f.amount_requested) from funding_line f join action a "
                   f"on a.id = f.action_id where {sql.counted_sql(tid, YEAR)} "
                   f"and coalesce(f.year, a.year_start) = {YEAR}")).one()}
    engine.dispose()
    # the hand-built data says what SQL must find (so a wrong query cannot agree with the code)
    assert (out["new"], out["continued"], out["ended"]) == (1, 1, 1)
    assert out["gained"] == ["Engagement 2 de Beta"] and out["lost"] == ["Engagement 3 de Alpha"]
    assert out["funding"] == (10000, 18000) and out["posts"] == (20000, 21000)
    assert tuple(out["lines"]) == (2, 1)
    return out


def euros(x: float) -> str:
    return f"{round(x):,d} €".replace(",", " ")


def signed(x: float) -> str:
    return ("+" if x > 0 else "−" if x < 0 else "") + euros(abs(x))


def pct(before: float, now: float) -> str:
    p = round((now - before) / before * 100)
    return ("+" if p > 0 else "−" if p < 0 else "") + f"{abs(p)} %"


def money_row(label: str, pair) -> list[str]:
    before, now = pair
    return [label, euros(before), euros(now), signed(now - before), pct(before, now)]


def actions_line(want) -> str:
    return (f"Actions : {want['new']} nouvelle, {want['continued']} poursuivie, "
            f"{want['ended']} terminée (2 en {PREV}, 2 en {YEAR}).")


@pytest.fixture
def built(empty_url):
    tid = build(empty_url)
    return empty_url, tid, expected(empty_url, tid)


def test_the_figure_says_what_sql_says(built):
    url, tid, want = built
    engine = make_engine(url)
    with Session(engine) as s:
        t = trend.year_over_year(s, Scope(tid, YEAR))
        assert trend.year_over_year(s, Scope(tid, None)) is None
        path = trend.trajectory(s, tid)
    engine.dispose()
    assert (t["actions_new"], t["actions_continued"], t["actions_ended"]) == \
        (want["new"], want["continued"], want["ended"])
    assert (t["commitments_gained"], t["commitments_lost"]) == (len(want["gained"]),
                                                                len(want["lost"]))
    changed = {r.change: r.element for r in t["elements"].itertuples()}
    assert changed == {"nouvellement couvert": "Beta : " + want["gained"][0],
                       "plus couvert": "Alpha : " + want["lost"][0]}
    money = {(r.kind, r.funder): (r.previous, r.current, r.difference, r.percent)
             for r in t["money"].itertuples()}
    (fb, fn), (pb, pn) = want["funding"], want["posts"]
    assert money[("actions", "total")] == pytest.approx((fb, fn, fn - fb, (fn - fb) / fb))
    assert money[("posts", "total")] == pytest.approx((pb, pn, pn - pb, (pn - pb) / pb))
    assert money[("actions", "caf")][3] != money[("actions", "caf")][3]  # N-1 at 0: no %
    by_year = path.set_index("year")
    assert list(by_year.loc[YEAR, ["actions_new", "actions_continued", "actions_ended"]]) == \
        [want["new"], want["continued"], want["ended"]]
    assert by_year.loc[2020, "actions_new"] == 1 and by_year.loc[PREV, "funding"] == fb


def test_page_pdf_and_xlsx_show_the_same_change(built, on, tmp_path, monkeypatch):  # noqa: F811
    url, tid, want = built
    p = Page(on(url), "pages/couverture.py", tid, YEAR)
    words = [m.value.translate(NB) for m in p.at.markdown]
    assert any(actions_line(want) in w for w in words), words
    assert any("Engagements des communes : 1 nouvellement couvert, 1 sans action désormais."
               in w for w in words), words
    money = next(t for t in html_tables(p.at) if "Écart (%)" in t.columns)
    rows = [[c.translate(NB) for c in r] for r in money.values.tolist()]
    assert money_row("Financements des actions (total)", want["funding"]) in rows
    assert money_row("Postes de l'État (total)", want["posts"]) in rows
    summary = next(h.proto.body for h in p.at.get("html") if "perr-summary" in h.proto.body)
    said = summary.translate(NB)
    assert (f"par rapport à {PREV} : 1 action nouvelle, 1 poursuivie, 1 terminée, "
            "1 engagement nouvellement couvert, 1 engagement sans action désormais, "
            f"financements des actions {signed(want['funding'][1] - want['funding'][0])} "
            f"({pct(*want['funding'])})") in said
    # ties named, a requested amount nobody entered said so (2 lines, 1 with a request)
    assert "axes les moins couverts : 1 et 2 (1 action chacun)" in said
    assert "montant demandé non renseigné sur 1 des 2 lignes" in said

    monkeypatch.setenv("DATABASE_URL", url)
    out = tmp_path / "evolution.pdf"
    assert cli.main(["report", "copil", "--territory", "essai-evolution", "--year", str(YEAR),
                     "--out", str(out)]) == 0
    if shutil.which("pdftotext"):
        txt = subprocess.run(["pdftotext", "-layout", str(out), "-"], check=True,
                             capture_output=True, text=True).stdout.translate(NB)
        assert f"Évolution sur un an : {YEAR} par rapport à {PREV}" in txt
        assert actions_line(want) in txt
        for label, pair in (("Financements des actions (total)", want["funding"]),
                            ("Postes de l'État (total)", want["posts"])):
            line = next(x for x in txt.splitlines() if x.strip().startswith(label))
            assert re.split(r"\s{2,}", line.strip()) == money_row(label, pair)
        flat = " ".join(txt.split())
        assert re.search(r"Commune 1 non renseigné 15 000 €", flat)
        assert "Demandé et accordé comparés sur 1 ligne sur 2" in flat
    elif __import__("os").environ.get("CI") == "true":
        pytest.fail("pdftotext absent")
    wb = load_workbook(out.with_suffix(".xlsx"), read_only=True)
    sheet = {r[0]: r[1:] for r in wb["Évolution sur un an"].iter_rows(min_row=2,
                                                                       values_only=True)}
    assert sheet["Actions nouvelles (comptées en N, pas en N-1)"][1] == want["new"]
    assert sheet["Actions poursuivies (comptées les deux années)"][1] == want["continued"]
    assert sheet["Actions terminées (comptées en N-1, pas en N)"][1] == want["ended"]
    (fb, fn), (pb, pn) = want["funding"], want["posts"]
    assert sheet["Financements des actions (total) (€)"][:3] == pytest.approx((fb, fn, fn - fb))
    assert sheet["Postes de l'État (total) (€)"][:3] == pytest.approx((pb, pn, pn - pb))
    funding = {r[0]: r for r in wb["Financements des actions"].iter_rows(min_row=2,
                                                                          values_only=True)}
    assert funding["Commune"][3] == "non renseigné"


def test_all_years_show_the_years_one_by_one(built, on):  # noqa: F811
    url, tid, want = built
    p = Page(on(url), "pages/couverture.py", tid, None)
    table = next(t for t in html_tables(p.at) if "Terminées" in t.columns).set_index("Année")
    assert list(table.loc[str(YEAR), ["Nouvelles", "Poursuivies", "Terminées"]]) == \
        [str(want["new"]), str(want["continued"]), str(want["ended"])]
    assert table.loc[str(PREV), "Financements des actions"].translate(NB) == \
        euros(want["funding"][0])
