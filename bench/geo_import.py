"""Benchmark: commune import time and peak memory (93 file, national file), the pydeck
payload of the map for one territory and for the whole country after simplification, and the
import of a national QPV 2024 file (every territory, overseas and Pacific included) on top of
the national communes.

    .venv/bin/python bench/geo_import.py [--url postgresql://...] [--qpv-only]

The national QPV file is built by code (`national_qpv_file`), following the ANCT 2024 schema
exactly (code_qp, lib_qp, insee_com, lib_com, insee_dep, lib_dep, insee_reg, lib_reg,
siren_epci, lib_epci): one synthetic perimeter (a shrunken copy of a real commune contour, so
vertex counts are realistic) in ~1,600 communes, one in seven across two neighbouring
communes, plus Pacific collectivities. Synthetic, labelled as such, written to a temp folder.

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


def national_qpv_file(folder: Path, communes_path: Path, every: int = 22) -> tuple[Path, int]:
    import geopandas as gpd
    import shapely
    import shapely.affinity
    source = f"/vsigzip/{communes_path}" if communes_path.suffix == ".gz" else communes_path
    communes = gpd.read_file(source).sort_values("code").reset_index(drop=True)
    geoms = shapely.make_valid(communes.geometry.to_numpy())
    tree = shapely.STRtree(geoms)
    rows = []
    for n, i in enumerate(range(0, len(communes), every)):
        code, name, geom = communes.code[i], communes.nom[i], geoms[i]
        dep = code[:3] if code.startswith("97") else code[:2]
        qp = f"QN{dep.zfill(3)}{n % 100:02d}{'MNI'[n % 3]}"
        shape = shapely.affinity.scale(geom, 0.3, 0.3, origin=geom.representative_point())
        codes, names = [code], [name]
        if n % 7 == 0:  # across two communes: add a piece of a neighbour
            near = [j for j in tree.query(geom, predicate="touches") if j != i]
            if near:
                j = near[0]
                border = shapely.intersection(geom.boundary, geoms[j].boundary)
                if not border.is_empty:
                    p = border.representative_point()
                    shape = shapely.union(shape, p.buffer(0.004))
                    codes.append(communes.code[j])
                    names.append(communes.nom[j])
        rows.append({"code_qp": qp, "lib_qp": f"Quartier synthétique {n}", "insee_com": ",".join(codes),
                     "lib_com": ",".join(names), "insee_dep": dep, "lib_dep": "", "insee_reg": "",
                     "lib_reg": "", "siren_epci": "", "lib_epci": "", "geometry": shape})
    for k, (insee, name, lon, lat) in enumerate([("98818", "Nouméa", 166.45, -22.27),
                                                ("98735", "Papeete", -149.57, -17.54),
                                                ("98613", "Uvea", -176.17, -13.28)]):
        rows.append({"code_qp": f"QN{insee[:3]}0{k}N", "lib_qp": f"Quartier synthétique P{k}",
                     "insee_com": insee, "lib_com": name, "insee_dep": insee[:3], "lib_dep": "",
                     "insee_reg": "", "lib_reg": "", "siren_epci": "", "lib_epci": "",
                     "geometry": shapely.box(lon - 0.005, lat - 0.005, lon + 0.005, lat + 0.005)})
    seen: set[str] = set()
    for r in rows:  # codes unique, as in the official file
        while r["code_qp"] in seen:
            r["code_qp"] = r["code_qp"][:-3] + f"{(int(r['code_qp'][-3:-1]) + 1) % 100:02d}" \
                + r["code_qp"][-1]
        seen.add(r["code_qp"])
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    path = folder / "QP2024_France_Hexagonale_Outre_Mer_WGS84_synthetique.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path, len(rows)


def qpv_worker(url: str, path: str) -> None:
    from perr_model.auth import Actor
    from perr_model.importers.qpv import import_qpv
    from perr_model.store import make_engine
    engine = make_engine(url, read_only=False)
    start = time.perf_counter()
    report = import_qpv(engine, path, actor=Actor.system("bench"))
    seconds = time.perf_counter() - start
    print(json.dumps({"features": report.features, "seconds": seconds,
                      "inserted": report.inserted, "set_aside": len(report.set_aside),
                      "repaired": len(report.repaired), "checks": len(report.commune_checks),
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def fresh_sqlite(folder: Path, name: str) -> str:
    from perr_model.commands import init_database
    url = f"sqlite:///{folder / name}"
    init_database(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="PostgreSQL URL of an initialised, disposable database")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--qpv-worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--qpv-only", action="store_true",
                        help="seulement l'import national des QPV 2024 (après les communes)")
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    if args.qpv_worker:
        qpv_worker(*args.qpv_worker)
        return
    if args.qpv_only:
        national_qpv(args.url)
        return
    files = [("93", GEO / "communes-93.geojson"), ("France", GEO / "communes-france.geojson.gz")]
    national_qpv(args.url)
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


def national_qpv(url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        france = GEO / "communes-france.geojson.gz"
        path, n = national_qpv_file(Path(tmp), france)
        url = url or fresh_sqlite(Path(tmp), "bench-qpv.sqlite")
        out = subprocess.run([sys.executable, __file__, "--worker", url, str(france)],
                             check=True, capture_output=True, text=True).stdout
        communes = json.loads(out.strip().splitlines()[-1])
        out = subprocess.run([sys.executable, __file__, "--qpv-worker", url, str(path)],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"QPV 2024 national (synthétique, {n} QPV, schéma ANCT) sur "
              f"{communes['features']} communes : import {r['seconds']:.1f} s, pic mémoire "
              f"{r['peak_mib']:.0f} MiB ; {r['inserted']} ajoutés, {r['set_aside']} écartés, "
              f"{r['repaired']} réparés, {r['checks']} communes à vérifier "
              f"(communes : {communes['seconds']:.1f} s, {communes['peak_import_mib']:.0f} MiB)")


if __name__ == "__main__":
    main()
