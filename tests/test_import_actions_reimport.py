"""Re-importing a programming creates no twin (issue 22 item 2): rows are matched to existing
actions by reference, or without one by territory, title, porteur and first year, or by a
similar title; the dry run shows them with their differences; the user updates or skips them.
Every expectation is read back by raw SQL (SQLite and PostgreSQL)."""
import subprocess
import sys

import pytest
from sqlalchemy import text

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model.auth import Actor
from perr_model.errors import ImportRefused
from perr_model.importers.actions import guess_mapping, import_actions, read_table
from perr_model.settings import PROJECT_ROOT
from perr_model.store import write_session

NO_REF = ("Intitulé de l'action;Porteur;Communes;Année;Montant État;Financement CAF\n"
          "Soutien scolaire;Association Étoile;Champigny;2022;1 234,50;300\n"
          "Jardin partagé;Régie de quartier;94033;2022;2000;\n"
          "Soutien scolaire;Association Étoile;Champigny;2023;800;\n")  # same, next year
WITH_REF = ("Référence;Intitulé de l'action;Porteur;Communes;Année;Montant État;Financement CAF\n"
            "R-1;Soutien scolaire;Association Étoile;Champigny;2022;1 234,50;300\n"
            "R-2;Jardin partagé;Régie de quartier;94033;2022;2000;\n"
            "R-3;Soutien scolaire;Association Étoile;Champigny;2023;800;\n")


def _import(engine, csv, **options):
    df = read_table(csv.encode("utf-8"), "p.csv")
    with write_session(engine) as s:
        return import_actions(s, Actor.system(), df, guess_mapping(list(df.columns), df),
                              source="p.csv", **options)


def _state(engine):
    """What a second import must leave as it is, read by raw SQL."""
    with engine.connect() as c:
        one = lambda q: c.execute(text(q)).scalar()  # noqa: E731
        return {"version": one("select n from data_version where id = 1"),
                "actions": one("select count(*) from action"),
                "lines": one("select count(*) from funding_line"),
                "approved": one("select sum(amount_approved) from funding_line"),
                "audit": one("select count(*) from audit_log")}


@pytest.mark.parametrize("csv", [NO_REF, WITH_REF], ids=["sans-reference", "avec-reference"])
def test_the_same_file_twice_changes_nothing(store, csv):
    engine = store[0]
    first = _import(engine, csv)
    assert (first.created, first.updated) == (3, 0)
    before = _state(engine)
    assert (before["actions"], before["lines"], float(before["approved"])) == (3, 4, 4334.5)
    again = _import(engine, csv)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert [how for *_, how, _changes in again.existing] == (
        ["même titre, porteur et année"] * 3 if csv is NO_REF else ["même référence"] * 3)
    assert _state(engine) == before


def test_dry_run_shows_the_rows_already_present_and_what_would_change(store):
    engine = store[0]
    _import(engine, NO_REF)
    before = _state(engine)
    edited = NO_REF.replace("Soutien scolaire;Association Étoile;Champigny;2022;1 234,50",
                            "Soutien scolaire !;Association Etoile;Champigny;2022;1 500")
    report = _import(engine, edited, dry_run=True)
    assert not report.to_create and len(report.to_update) == 3
    line, ref, title, how, changes = report.existing[0]
    assert (line, title, how) == (2, "Soutien scolaire", "même titre, porteur et année")
    assert changes == [
        "Titre : Soutien scolaire → Soutien scolaire !",
        "Porteur : Association Étoile → Association Etoile",
        "Financements : État – crédits politique de la ville (P147) 2022 : 1\u202f234,50\u00a0€ "
        "accordés → État – crédits politique de la ville (P147) 2022 : 1\u202f500\u00a0€ "
        "accordés"]  # the CAF line does not change: not shown
    assert [c for *_, c in report.existing[1:]] == [[], []]
    assert "aucune différence" in report.lines()[2]
    assert _state(engine) == before


def test_a_similar_title_is_the_same_action_and_the_user_may_skip_it(store):
    engine = store[0]
    _import(engine, NO_REF)
    edited = NO_REF.replace("Jardin partagé;Régie de quartier", "Jardins partagés;Régie de quartier")
    skipped = _import(engine, edited, existing="skip")
    assert (skipped.created, skipped.updated, skipped.skipped) == (0, 0, 3)
    assert skipped.existing[1][3] == "titre et porteur ressemblants, même année"
    with engine.connect() as c:
        assert c.execute(text("select title from action where title like 'Jardin%'")
                         ).scalars().all() == ["Jardin partagé"]
    updated = _import(engine, edited)
    assert (updated.created, updated.updated, updated.unchanged) == (0, 1, 2)
    with engine.connect() as c:
        assert c.execute(text("select title from action where title like 'Jardin%'")
                         ).scalars().all() == ["Jardins partagés"]


def test_another_porteur_or_year_is_another_action(store):
    engine = store[0]
    _import(engine, NO_REF)
    other = ("Intitulé de l'action;Porteur;Communes;Année\n"
             "Soutien scolaire;Centre social Lamartine;Champigny;2022\n"
             "Jardin partagé;Régie de quartier;94033;2024\n"
             "Jardin partagé 2;Régie de quartier;94033;2022\n")  # close, but another number
    report = _import(engine, other)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    with engine.connect() as c:
        assert c.execute(text("select count(*) from action")).scalar() == 6


def test_two_candidates_are_refused_naming_them(store):
    engine = store[0]
    _import(engine, "Titre;Porteur;Communes;Année\nAtelier de théâtre;Asso;94017;2022\n"
                    "Ateliers théâtre;Asso;94017;2022\n")
    with engine.connect() as c:
        refs = c.execute(text("select reference from action order by id")).scalars().all()
    with pytest.raises(ImportRefused) as err:
        _import(engine, "Titre;Porteur;Communes;Année\nAtelier théâtre;Asso;94017;2022\n")
    why = "\n".join(err.value.problems)
    assert "Ligne 2 (sans référence) refusée : plusieurs actions déjà présentes" in why
    assert f"{refs[0]} « Atelier de théâtre »" in why and f"{refs[1]} « Ateliers théâtre »" in why
    with engine.connect() as c:
        assert c.execute(text("select count(*) from action")).scalar() == 2


def test_the_same_action_twice_in_a_file_is_refused(store):
    engine = store[0]
    twice = "Titre;Porteur;Communes;Année\nAtelier;Asso;94017;2022\natelier ;ASSO;94017;2022\n"
    with pytest.raises(ImportRefused) as err:
        _import(engine, twice)
    assert any("Ligne 3" in p and "même titre, porteur et année que la ligne 2" in p
               for p in err.value.problems)
    _import(engine, twice.splitlines()[0] + "\n" + twice.splitlines()[1] + "\n")
    with pytest.raises(ImportRefused) as err:  # two rows recognised as one existing action
        _import(engine, twice)
    assert any("Ligne 3" in p and "que la ligne 2" in p for p in err.value.problems)


def test_cli_option_existantes(places_url, tmp_path):
    path = tmp_path / "programmation.csv"
    path.write_text(NO_REF.replace("Année;", "Année;Commentaire;").replace(";2022;", ";2022;;")
                    .replace(";2023;", ";2023;vu;"), encoding="utf-8")
    env = {"DATABASE_URL": places_url, "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "perr_model", "import", "actions", str(path)]

    def run(*extra):
        return subprocess.run(cmd + list(extra), cwd=PROJECT_ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
    dry = run("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0] == "Colonnes ignorées (non reconnues) : Commentaire."
    assert "Écrit : 3 créée(s)" in run().stdout
    again = run("--existantes", "ignorer")
    assert again.returncode == 0, again.stderr
    assert "3 déjà présente(s) (ignorées)" in again.stdout
    assert "Écrit : 0 créée(s), 0 mise(s) à jour, 0 inchangée(s), 3 ignorée(s)" in again.stdout
