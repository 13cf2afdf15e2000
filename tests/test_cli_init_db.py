"""`python -m perr_model init-db` and the CLI's contract: exit codes and one-line French errors."""
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from perr_model.store import make_engine

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, env=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "perr_model", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=300)


def test_help_lists_every_command_group():
    res = run_cli("--help")
    assert res.returncode == 0
    for word in ("init-db", "import", "export", "geo", "report", "user"):
        assert word in res.stdout


def test_init_db_empty_creates_bare_schema(tmp_path):
    url = f"sqlite:///{tmp_path/'bare.sqlite'}"
    res = run_cli("init-db", "--empty", env={"DATABASE_URL": url})
    assert res.returncode == 0, res.stderr
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from territory")).scalar_one() == 0
    engine.dispose()


def test_init_db_loads_embedded_default_and_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path/'perr.sqlite'}"
    counts = []
    for _ in range(2):
        res = run_cli("init-db", env={"DATABASE_URL": url})
        assert res.returncode == 0, res.stderr
        engine = make_engine(url)
        with engine.connect() as conn:
            counts.append([conn.execute(text(f"select count(*) from {t}")).scalar_one()
                           for t in ("territory", "commune", "contrat_de_ville", "qpv", "axis",
                                     "operational_objective", "commitment", "action")])
        engine.dispose()
    assert counts[0] == counts[1]
    # communes: those of communes.csv plus every commune of the embedded contours of 93 and 94;
    # QPV: the official ones of the extract plus the protocol quartiers left unmatched
    import csv
    import json
    listed = {r["insee_code"] for r in csv.DictReader((ROOT / "data" / "communes.csv").open())}
    contours = {f["properties"]["code"] for f in json.loads(
        (ROOT / "data" / "geo" / "communes-93-94.geojson").read_text())["features"]}
    official = json.loads((ROOT / "data" / "geo" / "qpv-2024-93-94.geojson").read_text())
    # contrats de ville: 4 + 4 of 2015–2023, 1 + 1 of 2024–2030 (data/territories.yaml)
    assert counts[0][:3] == [2, len(listed | contours), 10]
    assert "à vérifier : « Gros Saule »" in res.stdout
    engine = make_engine(url)
    with engine.connect() as conn:
        unmatched = conn.execute(text("select count(*) from qpv where code is null")).scalar_one()
    engine.dispose()
    assert counts[0][3] == len(official["features"]) + unmatched


def test_init_db_if_missing_keeps_existing_data(tmp_path):
    url = f"sqlite:///{tmp_path/'perr.sqlite'}"
    assert run_cli("init-db", "--empty", env={"DATABASE_URL": url}).returncode == 0
    engine = make_engine(url, read_only=False)
    with engine.begin() as conn:
        conn.execute(text("insert into pillar(code, name, position) values ('mine', 'M', 9)"))
    engine.dispose()
    res = run_cli("init-db", "--if-missing", env={"DATABASE_URL": url})
    assert res.returncode == 0, res.stderr
    assert "déjà présente" in res.stdout
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from territory")).scalar_one() == 0
        assert conn.execute(text("select name from pillar where code='mine'")).scalar_one() == "M"
    engine.dispose()


def test_unreachable_database_gives_one_french_line():
    res = run_cli("init-db", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert res.returncode != 0
    assert res.stderr.startswith("Erreur")
    assert len(res.stderr.strip().splitlines()) == 1
