"""Benchmark: commune import time and peak memory (93 file, national file), and the pydeck
payload of the map for one territory and for the whole country after simplification.

    .venv/bin/python bench/geo_import.py [--url postgresql://...]   (default: a temp SQLite)

Each import runs in a fresh process so that its peak RSS is its own. Targets (issue 3):
national import < 60 s and < 2 GiB peak; one territory's map payload < 300 KB.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEO = ROOT.parent / "shared" / "data" / "geo"
sys.path.insert(0, str(ROOT))


def worker(url: str, path: str) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from perr_model import geo
    from perr_model.auth import Actor
    from perr_model.importers.communes import import_communes
    from perr_model.schema import Territory
    from perr_model.store import make_engine
    engine = make_engine(url, read_only=False)
    start = time.perf_counter()
    report = import_communes(engine, path, actor=Actor.system("bench"))
    seconds = time.perf_counter() - start
    peak_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with Session(engine) as s:
        tid = s.scalars(select(Territory.id).order_by(Territory.id)).first()
        start = time.perf_counter()
        deck, _ = geo.coverage_deck(s, tid, {}, {}, "Actions")
        territory = (geo.deck_payload_size(deck), time.perf_counter() - start)
        start = time.perf_counter()
        deck, _ = geo.coverage_deck(s, None, {}, {}, "Actions")
        national = (geo.deck_payload_size(deck), time.perf_counter() - start)
    print(json.dumps({"features": report.features, "seconds": seconds,
                      "peak_import_mib": peak_import,
                      "peak_total_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "territory_payload": territory, "all_payload": national}))


def fresh_sqlite(folder: Path, name: str) -> str:
    from perr_model.commands import init_database
    url = f"sqlite:///{folder / name}"
    init_database(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="PostgreSQL URL of an initialised, disposable database")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    files = [("93", GEO / "communes-93.geojson"), ("France", GEO / "communes-france.geojson.gz")]
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in files:
            url = args.url or fresh_sqlite(Path(tmp), f"bench-{label}.sqlite")
            out = subprocess.run([sys.executable, __file__, "--worker", url, str(path)],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(f"{label:7s} {r['features']:6d} communes  import {r['seconds']:6.1f} s  "
                  f"peak RSS {r['peak_import_mib']:7.0f} MiB (after maps {r['peak_total_mib']:.0f})"
                  f"  map payload: territory {r['territory_payload'][0] / 1024:7.1f} KiB "
                  f"({r['territory_payload'][1]:.2f} s), all communes "
                  f"{r['all_payload'][0] / 1024:8.1f} KiB ({r['all_payload'][1]:.1f} s)")


if __name__ == "__main__":
    main()
