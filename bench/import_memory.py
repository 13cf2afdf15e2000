"""Benchmark: time and peak memory of the spreadsheet readers on the worst files (issues 13, 28).

    .venv/bin/python bench/import_memory.py [--case NAME ...] [--json]

Each case runs in its own process (peak RSS is that process's, measured before and after the
read): the file is made in memory (tests/hostile_files.py), then read as the page and the
command line do (size checked first, then the bounded reader of importers/tabular.py). Prints
the time, the peak RSS and the answer (the French refusal, or what was read). Figures only, no
target checked here (tests/test_import_bounds.py asserts the refusals and their memory).
Cases: csv-50mo (a 50 MB one-row CSV), xfd-actions and xfd-indicateurs (2,000 rows with a cell
in column XFD), csv-60000-colonnes, bombe-95mo (an XLSX of 95 MB unzipped), programmation-20000
(an ordinary 20,000-row XLSX, read in full).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def peak_mb() -> float:
    """Peak RSS of this program: VmHWM of /proc (reset by exec; getrusage's ru_maxrss also
    counts the parent's memory a forked child had before exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _csv_50mb(size_mb: int = 50) -> bytes:
    return b"reference;titre\nR-1;" + b"x" * (size_mb * 1024 * 1024) + b"\n"


def _cases() -> dict:
    """name → (make the file, its name, reader)."""
    import hostile_files as h
    from perr_model.evaluation import exchange
    from perr_model.importers import actions
    return {
        "csv-50mo": (_csv_50mb, "une-ligne.csv", actions.read_table),
        "xfd-actions": (lambda: h.xfd_workbook(h.ACTIONS, ["BND-XFD-", "Atelier", "94017", 2024,
                                                           100], 2000),
                        "xfd.xlsx", actions.read_table),
        "xfd-indicateurs": (lambda: h.xfd_workbook(h.INDICATORS, h.IND_ROW, 2000), "xfd.xlsx",
                            exchange.read_rows),
        "csv-60000-colonnes": (lambda: h.wide_csv(60_000, h.ACTIONS), "large.csv",
                               actions.read_table),
        "bombe-95mo": (lambda: h.zip_bomb(95), "bombe.xlsx", actions.read_table),
        "programmation-20000": (lambda: h.programming_xlsx(20_000), "programmation.xlsx",
                                actions.read_table),
    }


def run_case(name: str) -> dict:
    """One case, in this process."""
    from perr_model.errors import ImportRefused
    from perr_model.importers.tabular import check_size
    make, filename, read = _cases()[name]
    data = make()
    before = peak_mb()
    start = time.perf_counter()
    try:  # what cli_import and the pages do
        check_size(len(data))
        result = read(data, filename)
        rows = len(result) if not isinstance(result, tuple) else len(result[0])
        message = f"lu : {rows} ligne(s)"
    except ImportRefused as exc:
        message = str(exc)
    return {"case": name, "file_kb": round(len(data) / 1024), "message": message,
            "seconds": round(time.perf_counter() - start, 2),
            "peak_rss_mb_before": round(before, 1), "peak_rss_mb": round(peak_mb(), 1)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", action="append", help="one case (default: all)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = args.case or list(_cases())
    if args.in_process:
        print(json.dumps(run_case(names[0]), ensure_ascii=False))
        return 0
    for name in names:
        out = subprocess.run([sys.executable, __file__, "--in-process", "--case", name],
                             capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return out.returncode
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        if args.json:
            print(json.dumps(figures, ensure_ascii=False))
        else:
            print(f"{name} ({figures['file_kb']} ko) : {figures['seconds']} s, pic mémoire "
                  f"{figures['peak_rss_mb']} Mo (avant lecture : {figures['peak_rss_mb_before']}"
                  f" Mo) — {figures['message']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
