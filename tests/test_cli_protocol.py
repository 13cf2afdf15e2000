"""`python -m perr_model parse|import protocol` and `export referential`, as a user runs them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
pytestmark = pytest.mark.skipif(
    not SEEDS.is_dir(), reason="dossier ../shared/seeds absent : les textes des protocoles ne "
    "sont pas livrés avec le dépôt, ces tests de l'importeur de protocoles ne peuvent pas tourner")
PTE_FILE = SEEDS / "perr-paris-terres-d-envol.md"
PEMB_FILE = SEEDS / "perr-paris-est-marne-et-bois-annexe-1.md"


def run(*args: str, url: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PERR_DEBUG": ""}
    if url:
        env["DATABASE_URL"] = url
    return subprocess.run([sys.executable, "-m", "perr_model", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_parse_writes_the_referential_yaml(tmp_path):
    out = tmp_path / "pemb.yaml"
    done = run("parse", "protocol", str(PEMB_FILE), "--territory", "PARIS EST MARNE & BOIS",
               "--out", str(out))
    assert done.returncode == 0, done.stderr
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert doc["territory"] == "paris-est-marne-et-bois"
    assert sum(len(t["commitments"]) for c in doc["communes"] for t in c["themes"]) == 57
    # 46 lines under « Exemples d'actions », 4 of them context (reviewed YAML): 42 actions
    assert "Champigny-sur-Marne : actions en cours : 42" in done.stderr


def test_import_then_export(loaded_url, tmp_path):
    done = run("import", "protocol", str(PTE_FILE), "--territory", "paris terres d'envol",
               url=loaded_url)
    assert done.returncode == 0, done.stderr
    assert "objectifs opérationnels : 69" in done.stdout
    out = tmp_path / "ref.json"
    done = run("export", "referential", "--format", "json", "--out", str(out), url=loaded_url)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [t["slug"] for t in data["territories"]] == ["paris-est-marne-et-bois",
                                                        "paris-terres-d-envol"]
    assert "BESCHIZZA" not in out.read_text(encoding="utf-8")  # a signatory's name


@pytest.mark.parametrize("args, message", [
    (["import", "protocol", "{empty}", "--territory", "paris-terres-d-envol"], "vide"),
    (["import", "protocol", str(PEMB_FILE), "--territory", "paris-terres-d-envol"],
     "mauvais territoire"),
    (["import", "protocol", str(PTE_FILE), "--territory", "Grand Orly"], "Territoire inconnu"),
    (["import", "protocol", "{binary}", "--territory", "paris-terres-d-envol"], "binaire"),
    (["import", "protocol", "{broken}", "--territory", "paris-terres-d-envol"], "PDF lisible"),
    (["parse", "protocol", "/nonexistent.md", "--territory", "paris-terres-d-envol"],
     "introuvable"),
])
def test_errors_are_one_french_line(embedded_sqlite, tmp_path, args, message):
    db = tmp_path / "perr.sqlite"
    db.write_bytes(embedded_sqlite.read_bytes())
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    (tmp_path / "image.bin").write_bytes(b"\x89PNG\x00\x00binary")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\x00\x00binary")
    args = [a.format(empty=tmp_path / "empty.md", binary=tmp_path / "image.bin",
                     broken=tmp_path / "broken.pdf") for a in args]
    done = run(*args, url=f"sqlite:///{db}")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Erreur : ") and message in lines[0]
