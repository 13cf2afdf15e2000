"""ANCT adultes-relais and FONJEP posts: exact counts and totals per contrat de ville and year.

Expected figures are computed here straight from the JSON files (json + Decimal), never through
the importer's code path; the stored figures are read back with plain SQL.
"""
import json
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import text

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model.auth import Actor
from perr_model.errors import ImportRefused, PermissionDenied
from perr_model.importers.posts import import_posts
from perr_model.settings import PROJECT_ROOT
from perr_model.store import write_session

FILES = [(f"{prefix}-{year}.json", kind, funder)
         for prefix, kind, funder in (("adultes-relais", "adultes-relais", "etat_adultes_relais"),
                                      ("postes-fonjep", "fonjep", "etat_fonjep"))
         for year in (2020, 2021, 2022)]
OURS = ("CV351", "CV353", "CV907", "CV908", "CV915", "CV916", "CV918", "CV922")


def expected_totals(path) -> dict[tuple[str, int], tuple[int, Decimal]]:
    totals = defaultdict(lambda: [0, Decimal(0)])
    for post in json.loads(path.read_text(encoding="utf-8")):
        key = (post["code_cv"], int(post["annee"]))
        totals[key][0] += 1
        totals[key][1] += Decimal(str(post["montant"]))
    return {k: (n, amount) for k, (n, amount) in totals.items()}


def stored_totals(engine, funder) -> dict[tuple[str, int], tuple[int, Decimal]]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "select c.code, f.year, count(*), sum(f.amount_approved) from funding_line f "
            "join contrat_de_ville c on c.id = f.contrat_de_ville_id "
            "where f.funder = :funder and f.origin = 'anct' group by c.code, f.year"),
            {"funder": funder}).all()
    return {(code, year): (n, Decimal(str(total)).quantize(Decimal("0.01")))
            for code, year, n, total in rows}


def test_three_years_of_both_files_with_exact_totals(store, shared_data):
    engine = store[0]
    anct = shared_data / "anct"
    for name, kind, _ in FILES:
        with write_session(engine) as s:
            import_posts(s, Actor.system(), (anct / name).read_bytes(), kind, source=name)
    for funder in ("etat_adultes_relais", "etat_fonjep"):
        expected: dict = {}
        for name, _, f in FILES:
            if f == funder:
                expected.update(expected_totals(anct / name))
        assert stored_totals(engine, funder) == expected
        ours = {k: v for k, v in expected.items() if k[0] in OURS}
        assert ours, "the two territories have posts"
    with engine.connect() as conn:  # posts outside the two territories: kept, no territory
        outside = conn.execute(text(
            "select count(*) from funding_line f join contrat_de_ville c "
            "on c.id = f.contrat_de_ville_id where c.territory_id is null")).scalar_one()
        ours_n = conn.execute(text(
            "select count(*) from funding_line f join contrat_de_ville c "
            "on c.id = f.contrat_de_ville_id where c.territory_id is not null")).scalar_one()
    total_rows = sum(len(json.loads((anct / n).read_text())) for n, _, _ in FILES)
    assert outside + ours_n == total_rows


def test_report_lists_our_contrats_outside_posts_and_duplicates(store, shared_data):
    engine = store[0]
    path = shared_data / "anct" / "postes-fonjep-2020.json"
    posts = json.loads(path.read_text())
    with write_session(engine) as s:
        report = import_posts(s, Actor.system(), path.read_bytes(), "fonjep", source=path.name)
    expected = expected_totals(path)
    lines = "\n".join(report.lines())
    for code in OURS:
        n, _ = expected.get((code, 2020), (0, 0))
        assert f"{code} 2020 : {n} poste(s)" in lines
    outside = [p for p in posts if p["code_cv"] not in OURS]
    assert report.outside_rows == len(outside)
    ids = defaultdict(int)
    for p in posts:
        ids[p["id_poste"]] += 1
    assert {i for i, n in report.duplicate_groups} == {i for i, n in ids.items() if n > 1}
    assert "CV380CV384" in lines


def test_reimport_replaces_the_same_lines(store, shared_data):
    engine = store[0]
    path = shared_data / "anct" / "adultes-relais-2021.json"
    for _ in range(2):
        with write_session(engine) as s:
            report = import_posts(s, Actor.system(), path.read_bytes(), "adultes-relais",
                                  source=path.name)
    assert report.replaced == len(json.loads(path.read_text()))
    assert stored_totals(engine, "etat_adultes_relais") == expected_totals(path)


def test_siret_only_when_code_tiers_is_a_siret(store, shared_data):
    engine = store[0]
    for name, kind in (("adultes-relais-2022.json", "adultes-relais"),
                       ("postes-fonjep-2022.json", "fonjep")):
        path = shared_data / "anct" / name
        with write_session(engine) as s:
            import_posts(s, Actor.system(), path.read_bytes(), kind, source=name)
    with engine.connect() as conn:
        by_funder = dict(conn.execute(text(
            "select funder, count(holder_siret) from funding_line group by funder")).all())
    assert by_funder["etat_fonjep"] == 0
    assert by_funder["etat_adultes_relais"] == len(json.loads(
        (shared_data / "anct" / "adultes-relais-2022.json").read_text()))


def test_odd_rows_of_an_official_file_are_kept_or_set_aside_and_counted(store):
    """A later year's file, official schema: rows without contrat de ville code (with or
    without department), numbers typed as text, an unknown field, unreadable rows."""
    engine = store[0]
    base = {"code_tiers": "77554402601284", "raison_sociale": "ASSOCIATION", "insee_reg": "11"}
    rows = [
        {**base, "id_poste": "P1", "annee": 2023, "montant": 21254, "code_cv": "CV915",
         "insee_dep": "94"},
        {**base, "id_poste": "P2", "annee": "2023", "montant": "21 254,50", "code_cv": "CV915",
         "insee_dep": "94", "commentaire": "ajout"},
        {**base, "id_poste": "P3", "annee": 2023, "montant": 19875.06, "code_cv": None,
         "insee_dep": "971"},
        {**base, "id_poste": "P4", "annee": 2023, "montant": 7164, "code_cv": ""},
        {**base, "id_poste": "P5", "annee": 2023, "montant": 7164, "code_cv": "915",
         "insee_dep": "94"},
        {**base, "id_poste": "P6", "annee": 2023, "montant": "n.c.", "code_cv": "CV915",
         "insee_dep": "94"},
        {**base, "id_poste": "P7", "annee": "vingt", "montant": 1, "code_cv": "CV915",
         "insee_dep": "94"},
    ]
    with write_session(engine) as s:
        report = import_posts(s, Actor.system(), json.dumps(rows), "fonjep", source="t.json")
    assert stored_totals(engine, "etat_fonjep") == {
        ("CV915", 2023): (2, Decimal("42508.50")),
        ("SANS-971", 2023): (1, Decimal("19875.06")),
        ("SANS-CV", 2023): (1, Decimal("7164.00")),
        ("SANS-94", 2023): (1, Decimal("7164.00"))}
    lines = "\n".join(report.lines())
    assert "2 poste(s) sans code de contrat de ville : conservés" in lines
    assert "1 poste(s) au code de contrat non reconnu" in lines
    assert "1 ligne(s) où l'année ou le montant est écrit comme du texte" in lines
    assert "« commentaire » (1 ligne(s))" in lines
    assert "2 ligne(s) écartée(s)" in lines
    assert "Ligne 6 (poste P6) : montant absent ou illisible." in lines
    assert "Ligne 7 (poste P7) : année absente ou illisible." in lines
    assert "None" not in lines and "nan" not in lines.lower().split()
    with engine.connect() as conn:
        names = dict(conn.execute(text(
            "select code, name from contrat_de_ville where code like 'SANS%'")).all())
    assert names == {"SANS-971": "Sans contrat de ville (département 971)",
                     "SANS-94": "Sans contrat de ville (département 94)",
                     "SANS-CV": "Sans contrat de ville ni département"}


@pytest.mark.parametrize("data, message", [
    (b"{ pas du json", "Fichier JSON illisible (ligne 1, colonne 3)"),
    (b'{"id_poste": "X"}', "Une liste JSON de postes était attendue"),
    (b"[]", "aucun poste"),
    (b'[{"code": "93071", "nom": "Sevran"}]', "n'est pas une liste de postes de l'ANCT"),
    (b'[{"id_poste": "X", "annee": "vingt", "montant": "abc"}]', "Aucun poste utilisable"),
    # nested 100,000 deep (the probe's file): the JSON reader would stop on Python's recursion
    (b"[" * 100_000 + b"]" * 100_000, "Fichier JSON imbriqué sur des milliers de niveaux"),
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "Fichier JSON imbriqué"),
    (b'[{"annee": 2021, "montant": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]",
     "Fichier JSON imbriqué"),
])
def test_files_that_are_not_posts_are_refused_whole(store, data, message):
    engine = store[0]
    with write_session(engine) as s, pytest.raises(ImportRefused) as err:
        import_posts(s, Actor.system(), data, "fonjep", source="t.json")
    assert message in str(err.value)
    assert "Expecting" not in str(err.value) and "None" not in str(err.value)
    assert "recursion" not in str(err.value)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from funding_line")).scalar_one() == 0


def test_windows_encoded_file_is_read(store):
    engine = store[0]
    rows = [{"id_poste": "X0", "code_cv": "CV915", "annee": 2021, "montant": 1,
             "raison_sociale": "Régie de quartier"}]
    with write_session(engine) as s:
        import_posts(s, Actor.system(), json.dumps(rows, ensure_ascii=False).encode("cp1252"),
                     "fonjep", source="t.json")
    with engine.connect() as conn:
        assert conn.execute(text("select holder_name from funding_line")).scalar_one() == \
            "Régie de quartier"


def test_string_years_are_accepted(store):
    engine = store[0]
    rows = [{"id_poste": "X0", "code_cv": "CV915", "annee": "2021", "montant": 20000.5}]
    with write_session(engine) as s:
        import_posts(s, Actor.system(), json.dumps(rows), "fonjep", source="t.json")
    assert stored_totals(engine, "etat_fonjep") == {("CV915", 2021): (1, Decimal("20000.50"))}


def test_editors_cannot_import_posts(store):
    engine, actors, *_ = store
    with write_session(engine) as s, pytest.raises(PermissionDenied):
        import_posts(s, actors["chef-champigny"], "[]", "fonjep", source="t.json")


def test_cli_imports_and_exports_the_funding_lines(places_url, shared_data, tmp_path):
    env = {"DATABASE_URL": places_url, "PATH": "/usr/bin:/bin"}
    path = shared_data / "anct" / "postes-fonjep-2022.json"
    run = subprocess.run([sys.executable, "-m", "perr_model", "import", "posts", str(path)],
                         cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "CV915 2022" in run.stdout
    out = tmp_path / "funding.csv"
    run = subprocess.run([sys.executable, "-m", "perr_model", "export", "funding", "--format",
                          "csv", "--out", str(out)], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    import csv
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    totals = defaultdict(lambda: [0, Decimal(0)])
    for r in rows:
        assert r["financeur"] == "etat_fonjep" and r["origine"] == "anct"
        totals[(r["contrat_de_ville"], int(r["annee"]))][0] += 1
        totals[(r["contrat_de_ville"], int(r["annee"]))][1] += Decimal(r["montant_accorde"])
    assert {k: tuple(v) for k, v in totals.items()} == expected_totals(path)
