"""Benchmark: server-side render time of each reading page (AppTest) and of one filter change,
on the embedded data and on a generated dataset (1,500 QPV / 100,000 actions by default).

    .venv/bin/python bench/pages.py [--actions 100000] [--qpv 1500] [--url DATABASE_URL]

"first render" runs the page with the query cache emptied (what the first visitor after a
data change waits for); "filter change" is the rerun after one widget change on that page
(new arguments, so nothing cached). Targets (issue 4): first render < 1.5 s, filter < 0.3 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore")


def change_year(at, ctx):
    ctx["year"] = str(ctx["years"][0])


def change_commune(at, ctx):
    # the filters' lists exist while « Filtres » is open (pages/actions.py): the choice is kept
    at.session_state["act_communes_kept"] = ctx["communes"][:1]


def change_grouping(at, ctx):
    at.button_group(key="eng_group").set_value("pillar")


def only_empty(at, ctx):
    at.toggle(key="ref_only_empty").set_value(True)


def other_quartier(at, ctx):
    at.selectbox(key="qpv_id").set_value(ctx["qpvs"][-1])


PAGES = {
    "pages/couverture.py": ("année", change_year),
    "pages/actions.py": ("commune", change_commune),
    "pages/engagements.py": ("regroupement", change_grouping),
    "pages/referentiel.py": ("sans action", only_empty),
    "pages/quartier.py": ("autre quartier", other_quartier),
    "pages/a_propos.py": ("année", change_year),
}


def context(url: str, slug: str | None) -> dict:
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as c:
        tid = (c.execute(text("select id from territory where slug=:s"), {"s": slug}).scalar()
               if slug else c.execute(text("select t.id from territory t join action a on "
                                           "a.territory_id=t.id group by t.id order by count(*) "
                                           "desc limit 1")).scalar())
        years = [r[0] for r in c.execute(text(
            "select distinct year_start from action where territory_id=:t and year_start is "
            "not null order by 1 desc"), {"t": tid})] or [2020]
        communes = [r[0] for r in c.execute(text(
            "select id from commune where territory_id=:t order by name"), {"t": tid})]
        qpvs = [r[0] for r in c.execute(text(
            "select distinct q.qpv_id from qpv_commune q join commune m on m.id=q.commune_id "
            "where m.territory_id=:t order by 1"), {"t": tid})]
        actions = c.execute(text("select count(*) from action where territory_id=:t"),
                            {"t": tid}).scalar()
    engine.dispose()
    return {"territory_id": tid, "years": years, "communes": communes, "qpvs": qpvs,
            "actions": actions, "year": "Toutes les années"}


def measure(url: str, slug: str | None, repeat: int = 3) -> list[tuple[str, float, float]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest
    os.environ["DATABASE_URL"] = url
    ctx = context(url, slug)
    print(f"  territoire {ctx['territory_id']} : {ctx['actions']} actions, "
          f"{len(ctx['qpvs'])} QPV, {len(ctx['communes'])} communes")
    out = []
    for path, (label, change) in PAGES.items():
        firsts, changes = [], []
        for _ in range(repeat):
            ctx["year"] = "Toutes les années"
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.session_state["territory_id"] = ctx["territory_id"]
            at.run()
            at.switch_page(path)
            st.cache_data.clear()
            firsts.append(run(at, ctx))
            change(at, ctx)
            changes.append(run(at, ctx))
            assert not at.exception, [e.value for e in at.exception]
        out.append((path, statistics.median(firsts), statistics.median(changes), label))
    return out


def run(at, ctx) -> float:
    at.session_state["territory_id"] = ctx["territory_id"]
    at.session_state["year"] = ctx["year"]
    t = time.perf_counter()
    at.run()
    return time.perf_counter() - t


def report(title: str, rows) -> None:
    print(f"\n{title}")
    print(f"  {'page':28} {'1er rendu':>10} {'filtre':>10}  (changement)")
    for path, first, change, label in rows:
        flag = "" if first < 1.5 and change < 0.3 else "  ← au-dessus de la cible"
        print(f"  {path:28} {first:9.3f}s {change:9.3f}s  ({label}){flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--qpv", type=int, default=1500)
    parser.add_argument("--contrats", type=int, default=435)
    parser.add_argument("--url", help="base déjà prête (sinon SQLite temporaire)")
    args = parser.parse_args()
    from perr_model import synthetic
    from perr_model.commands import init_database
    tmp = Path(tempfile.mkdtemp(prefix="perr-bench-"))
    embedded = f"sqlite:///{tmp / 'embedded.sqlite'}"
    init_database(embedded)
    report("Données embarquées (territoire qui a le plus d'actions)", measure(embedded, None))
    big = args.url or f"sqlite:///{tmp / 'big.sqlite'}"
    if not args.url:
        init_database(big)
        t = time.perf_counter()
        counts = synthetic.generate_into(big, n_qpv=args.qpv, n_contrats=args.contrats,
                                         n_actions=args.actions,
                                         n_funding_lines=2 * args.actions)
        print(f"\nJeu généré en {time.perf_counter() - t:.1f} s : {counts}")
    report(f"Jeu généré ({args.qpv} QPV, {args.actions} actions)", measure(big, synthetic.SLUG))


if __name__ == "__main__":
    main()
