"""Benchmark: peak memory of the programming importer refusing a 50 MB one-row CSV (issue 13).

    .venv/bin/python bench/import_memory.py [--size-mb 50] [--json]

Runs in its own process (peak RSS is this process's): writes the file, then does what the CLI
and the page do (size checked first, then read). Prints the refusal message and the peak RSS
before and after the attempt. Target: under 300 MB.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from perr_model.errors import ImportRefused
    from perr_model.importers import actions as importer
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "une-ligne.csv"
        with path.open("wb") as fh:
            fh.write(b"reference;titre\nR-1;")
            chunk = b"x" * (1024 * 1024)
            for _ in range(args.size_mb):
                fh.write(chunk)
            fh.write(b"\n")
        before = peak_mb()
        try:  # what cli_import and the page do
            importer.check_size(path.stat().st_size)
            importer.read_table(path.read_bytes(), path.name)
            message = "accepté"
        except ImportRefused as exc:
            message = str(exc)
    figures = {"size_mb": args.size_mb, "message": message,
               "peak_rss_mb_before": round(before, 1), "peak_rss_mb": round(peak_mb(), 1)}
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print(f"Fichier de {args.size_mb} Mo : {message}")
        print(f"Pic mémoire : {figures['peak_rss_mb']} Mo (après imports : "
              f"{figures['peak_rss_mb_before']} Mo)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
