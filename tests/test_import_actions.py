"""Spreadsheet import of the yearly programming: formats, row-level report, atomic write,
idempotent re-import by reference, the Actions export accepted back."""
import io
import subprocess
import sys
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, select

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model.auth import Actor
from perr_model.errors import ImportRefused
from perr_model.importers.actions import guess_mapping, import_actions, read_table
from perr_model.schema import Action, FundingLine
from perr_model.settings import PROJECT_ROOT
from perr_model.store import write_session

HEADER = ("Référence;Intitulé de l'action;Porteur;Communes;Quartiers;Statut;Année;"
          "Date de début;Financement État P147;Financement commune demandé\n")
GOOD = [
    "PEMB-1;Soutien scolaire à l'Étoile;Association Étoile;94017;Bois l'Abbé;En cours;2022;"
    "01/09/2022;1 234,50;500",
    "PEMB-2;Jardin partagé;Régie de quartier;94033;Larris|La Redoute;programmée;2022;;2000;",
]
BAD = [
    "PEMB-3;Chantier;X;94017;Larris;en_cours;2050;;-5;",
    "PEMB-4;;X;99999;;en_cours;2022;;;",
]


def _csv(lines, encoding="cp1252", sep=";") -> bytes:
    text = (HEADER + "\n".join(lines) + "\n").replace(";", sep) if sep != ";" else (
        HEADER + "\n".join(lines) + "\n")
    return text.encode(encoding)


def _import(engine, data, name, actor=None, dry_run=False):
    df = read_table(data, name)
    with write_session(engine) as s:
        return import_actions(s, actor or Actor.system(), df, guess_mapping(list(df.columns)),
                              dry_run=dry_run, source=name)


def _count(engine):
    with write_session(engine) as s:
        return s.scalar(select(func.count(Action.id)))


def test_mapping_is_guessed_from_french_headers():
    df = read_table(_csv(GOOD), "p.csv")
    assert guess_mapping(list(df.columns)) == {
        "Référence": "reference", "Intitulé de l'action": "title", "Porteur": "holder_name",
        "Communes": "communes", "Quartiers": "qpvs", "Statut": "status", "Année": "year_start",
        "Date de début": "start_date", "Financement État P147": "funding:etat_p147:approved",
        "Financement commune demandé": "funding:commune:requested"}


@pytest.mark.parametrize("encoding, sep", [("cp1252", ";"), ("utf-8", ";"), ("utf-8-sig", ",")])
def test_csv_variants_import_the_same_actions(store, encoding, sep):
    engine = store[0]
    lines = GOOD if sep == ";" else [line.replace("1 234,50", '"1 234,50"') for line in GOOD]
    report = _import(engine, _csv(lines, encoding, sep), "p.csv")
    assert (report.created, report.updated) == (2, 0)
    with write_session(engine) as s:
        a = s.scalars(select(Action).filter_by(reference="PEMB-1")).one()
        assert a.title == "Soutien scolaire à l'Étoile" and a.holder_name == "Association Étoile"
        assert [q.name for q in a.qpvs] == ["Bois l'Abbé"] and a.status == "en_cours"
        amounts = {(f.funder, f.amount_requested, f.amount_approved) for f in a.funding_lines}
        assert amounts == {("etat_p147", None, Decimal("1234.50")),
                           ("commune", Decimal("500.00"), None)}
        b = s.scalars(select(Action).filter_by(reference="PEMB-2")).one()
        assert sorted(q.name for q in b.qpvs) == ["La Redoute", "Larris"]


def test_xlsx_is_accepted(store):
    engine = store[0]
    df = pd.read_csv(io.BytesIO(_csv(GOOD, "utf-8")), sep=";", dtype=str, keep_default_na=False)
    df["Année"] = df["Année"].astype(int)  # numbers as a spreadsheet stores them
    buf = io.BytesIO()
    df.to_excel(buf, index=False)
    report = _import(engine, buf.getvalue(), "programmation.xlsx")
    assert report.created == 2


def test_bad_rows_are_listed_and_nothing_is_written(store):
    engine = store[0]
    with pytest.raises(ImportRefused) as err:
        _import(engine, _csv(GOOD + BAD), "p.csv")
    problems = "\n".join(err.value.problems)
    assert "Ligne 4 (PEMB-3) refusée" in problems and "2050 peu plausible" in problems
    assert "« Larris » n'appartient à aucune commune" in problems
    assert "positif ou nul" in problems
    assert "Ligne 5 (PEMB-4) refusée" in problems and "titre est obligatoire" in problems
    assert "Commune inconnue" in problems
    assert "Ligne 2" not in problems and "Ligne 3" not in problems
    assert _count(engine) == 0


def test_dry_run_reports_and_writes_nothing(store):
    engine = store[0]
    report = _import(engine, _csv(GOOD + BAD), "p.csv", dry_run=True)
    assert len(report.to_create) == 2 and [p[0] for p in report.problems] == [4, 5]
    assert _count(engine) == 0


def test_reimport_updates_by_reference_without_duplicating(store):
    engine = store[0]
    _import(engine, _csv(GOOD), "p.csv")
    again = _import(engine, _csv(GOOD), "p.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = [GOOD[0].replace("Soutien scolaire", "Aide aux devoirs"), GOOD[1]]
    third = _import(engine, _csv(changed), "p.csv")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert _count(engine) == 2
    with write_session(engine) as s:
        assert s.scalar(select(func.count(FundingLine.id))) == 3


def test_editor_import_limited_to_own_communes(store):
    engine, actors, *_ = store
    with pytest.raises(ImportRefused) as err:
        _import(engine, _csv(GOOD), "p.csv", actor=actors["chef-champigny"])
    assert any("Ligne 3" in p and "Fontenay" in p for p in err.value.problems)
    assert _count(engine) == 0
    assert _import(engine, _csv(GOOD[:1]), "p.csv", actor=actors["chef-champigny"]).created == 1


def test_duplicate_reference_in_the_file_is_refused(store):
    engine = store[0]
    with pytest.raises(ImportRefused, match="refusée"):
        _import(engine, _csv([GOOD[0], GOOD[0]]), "p.csv")


def test_actions_export_format_is_accepted_back(store):
    """The columns of docs/actions-format.md (perr_model.action_list.export_frame)."""
    engine = store[0]
    export = pd.DataFrame([{
        "reference": "EXP-1", "titre": "Médiation", "description": "", "porteur": "Asso",
        "siret_porteur": "", "communes": "94017", "quartiers": "Plateau", "axes": "",
        "objectifs": "", "statut": "terminee", "annee_debut": 2021, "annee_fin": 2022,
        "date_debut": "2021-01-04", "date_fin": "2022-06-30", "public_cible": "Jeunes",
        "beneficiaires_prevus": 40, "beneficiaires_realises": 35,
        "financeur_1": "etat_p147", "montant_demande_1": "5000,0", "montant_accorde_1": "4500,5",
        "annee_financement_1": 2021, "financeur_2": "caf", "montant_demande_2": None,
        "montant_accorde_2": "1000,0", "annee_financement_2": 2022}])
    data = export.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")
    report = _import(engine, data, "actions.csv")
    assert report.created == 1
    with write_session(engine) as s:
        a = s.scalars(select(Action).filter_by(reference="EXP-1")).one()
        assert (a.status, a.year_end, a.beneficiaries_achieved) == ("terminee", 2022, 35)
        lines = sorted((f.funder, f.year, f.amount_requested, f.amount_approved)
                       for f in a.funding_lines)
        assert lines == [("caf", 2022, None, Decimal("1000.00")),
                         ("etat_p147", 2021, Decimal("5000.00"), Decimal("4500.50"))]


def test_cli_dry_run_then_import(places_url, tmp_path):
    path = tmp_path / "programmation.csv"
    path.write_bytes(_csv(GOOD + BAD))
    env = {"DATABASE_URL": places_url, "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "perr_model", "import", "actions", str(path)]
    run = subprocess.run(cmd + ["--dry-run"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1 and "Ligne 4 (PEMB-3) refusée" in run.stdout
    path.write_bytes(_csv(GOOD))
    run = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Écrit : 2 créée(s)" in run.stdout
