"""Benchmark: « Préparer le document » (the COPIL PDF and XLSX, made together) on the embedded
data, for each territory × (all years, each year offered).

    .venv/bin/python bench/copil.py [--url DATABASE_URL] [--repeat 2]

Prints, per document: its pages; the figures' time (`copil_data`, read from the stored figures
when they are at the current data version); the first build (maps drawn) and the next one (the
same data: the maps reused, as the page's next click on another year or commune would). The
page itself caches the finished document by data version (pages/copil.py), so a second click
on the same choice costs nothing. No target is asserted: it prints.
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="database (default: a fresh copy of the embedded data)")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from perr_model.copil import data as copil_data, pdf as copil_pdf, xlsx as copil_xlsx
    from perr_model.figures import places, stored
    from perr_model.importers.embedded import load_embedded
    from perr_model.migrate import upgrade
    from perr_model.schema import Territory
    from perr_model.store import make_engine, write_session

    url = args.url
    if url is None:
        path = Path(tempfile.mkdtemp()) / "bench.sqlite"
        url = f"sqlite:///{path}"
        engine = make_engine(url, read_only=False)
        upgrade(engine)
        with write_session(engine) as s:
            load_embedded(s)
        stored.refresh(engine)
        engine.dispose()
    engine = make_engine(url)
    with Session(engine) as s:
        territories = s.execute(select(Territory.id, Territory.name).order_by(Territory.id)).all()
        scopes = [(tid, name, year) for tid, name in territories
                  for year in [None, *places.action_years(s, tid)]]

    print(f"{'territoire':<26} {'année':<8} {'pages':>5} {'chiffres':>9} "
          f"{'1re fois':>9} {'ensuite':>9}")
    for tid, name, year in scopes:
        times = []
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            with Session(engine) as s:
                d = copil_data.copil_data(s, tid, year)
            t1 = time.perf_counter()
            done = copil_pdf.render(d)
            copil_xlsx.render_xlsx(d, io.BytesIO())
            times.append((t1 - t0, time.perf_counter() - t0, done.pages))
        figures, first, pages = times[0]
        after = times[-1][1] if len(times) > 1 else float("nan")
        print(f"{name[:26]:<26} {str(year or 'toutes'):<8} {pages:>5} {figures:>8.2f}s "
              f"{first:>8.2f}s {after:>8.2f}s")
    engine.dispose()


if __name__ == "__main__":
    main()
