"""Smoke test of the browser benchmark (bench/browser.py; `make bench-check`, not part of
`make test`): it starts its own servers, drives
Chromium and prints its result tables. Only what it prints is checked, never a duration."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_browser_bench_prints_its_tables():
    # a short temporary folder: Chromium's socket path under it must stay below 108 bytes
    # (a pytest-xdist worker's tmp_path is longer)
    short = Path(tempfile.mkdtemp(prefix="pb-", dir="/tmp"))
    env = {**os.environ, "TMPDIR": str(short)}
    try:
        run = subprocess.run(
            [sys.executable, "bench/browser.py", "--small", "--runs", "1", "--pages",
             "Couverture", "--datasets", "embedded", "--backends", "sqlite", "--visitors", "1",
             "--instances", "1", "--work-runs", "1"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        left = list(short.glob("perr_browser_*"))
    finally:
        shutil.rmtree(short, ignore_errors=True)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert any(line.startswith("| page | premier rendu") for line in lines), run.stdout
    couverture = [line for line in lines if line.startswith("| Couverture |")]
    assert len(couverture) == 1, run.stdout
    # measured (a number and a ratio), not a failed step
    assert "échec" not in couverture[0] and "↳" not in run.stdout, run.stdout
    cells = [c.strip() for c in couverture[0].strip("|").split("|")]
    assert float(cells[1].split()[0]) > 0 and cells[4] in ("oui", "NON"), cells
    visitors = [line for line in lines if line.startswith("| 1 | 1 |")]
    assert len(visitors) == 1 and "échec" not in visitors[0] and "délai" not in visitors[0], run.stdout
    # the work (bench/work.py): each step measured, none interrupted
    work = [line for line in lines if line.startswith(("| se connecter |",
                                                        "| enregistrer une action |",
                                                        "| import 500 lignes : écriture |"))]
    assert len(work) == 3 and "travail interrompu" not in run.stdout, run.stdout
    assert all(float(c.strip("|").split("|")[1].split()[0]) > 0 for c in work), work
    assert "load average" in lines[0] and lines[-1].startswith("Fin :"), run.stdout
    # everything it started is gone: no temporary directory left behind
    assert not left
