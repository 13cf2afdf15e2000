"""Spreadsheets as people type them (issue 22 item 3): one column per funder or one row per
action × funder give the same money; the year from a start date; statuses, axes, communes and
quartiers as people write them; an ambiguous commune refused; every column used or named as
ignored; the templates carry the documented headers. Read back by raw SQL, both backends."""
import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model.auth import Actor
from perr_model.errors import ImportRefused
from perr_model.importers import actions as importer
from perr_model.store import write_session

ROOT = Path(__file__).resolve().parents[1]

WIDE = ("Intitulé;Porteur;Commune;Date de début;Montant État;Ville;CAF;Montant demandé Région\n"
        "Soutien scolaire;Association Étoile;Champigny;01/09/2022;10 000;5 000;;\n"
        "Jardin partagé;Régie de quartier;Fontenay;15/03/2023;2 500,50;;1 200;4000\n")
LONG = ("Intitulé;Porteur;Commune;Date de début;Financeur;Montant demandé;Montant accordé\n"
        "Soutien scolaire;Association Étoile;Champigny;01/09/2022;État;;10 000\n"
        ";;;;Ville;;5 000\n"                      # a row that continues the one above
        "Jardin partagé;Régie de quartier;Fontenay;15/03/2023;Etat;;2 500,50\n"
        "Jardin partagé;Régie de quartier;Fontenay;;caf;;1 200\n"  # repeated, date left empty
        "Jardin partagé;Régie de quartier;Fontenay;15/03/2023;Région;4000;\n")
# worked out by hand from the two files above: (title, year, funder, requested, approved)
MONEY = [("Jardin partagé", 2023, "caf", None, 1200.0),
         ("Jardin partagé", 2023, "etat_p147", None, 2500.5),
         ("Jardin partagé", 2023, "region", 4000.0, None),
         ("Soutien scolaire", 2022, "commune", None, 5000.0),
         ("Soutien scolaire", 2022, "etat_p147", None, 10000.0)]


def _frame(csv_text):
    return importer.read_table(csv_text.encode("utf-8"), "p.csv")


def _run(session, csv_text, **options):
    df = _frame(csv_text)
    return importer.import_actions(session, Actor.system(), df,
                                   importer.guess_mapping(list(df.columns), df), **options)


def _import(engine, csv_text, **options):
    with write_session(engine) as s:
        return _run(s, csv_text, **options)


def _rows(engine, query, **params):
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text(query), params)]


def _money_in_transaction(engine, csv_text):
    """Import, read the money by raw SQL in the same transaction, roll back."""
    with Session(engine) as s:
        report = _run(s, csv_text)
        s.flush()
        rows = [(t, y, f, None if r is None else float(r), None if a is None else float(a))
                for t, y, f, r, a in s.execute(text(
                    "select a.title, f.year, f.funder, f.amount_requested, f.amount_approved "
                    "from funding_line f join action a on a.id = f.action_id "
                    "order by a.title, f.funder"))]
        s.rollback()
    return report, rows


def test_wide_and_long_files_of_the_same_actions_give_the_same_money(store):
    engine = store[0]
    wide, wide_money = _money_in_transaction(engine, WIDE)
    long, long_money = _money_in_transaction(engine, LONG)
    assert (wide.created, long.created, wide.rows, long.rows) == (2, 2, 2, 5)
    assert wide_money == long_money == MONEY
    assert not wide.ignored_columns and not long.ignored_columns


def test_long_rows_that_disagree_are_refused_with_both_lines(store):
    engine = store[0]
    bad = LONG.replace("Jardin partagé;Régie de quartier;Fontenay;;caf",
                       "Jardin partagé;Régie de quartier;Champigny;;caf")
    with pytest.raises(ImportRefused) as err:
        _import(engine, bad.replace("Fontenay;15/03/2023;Région", "Fontenay;;Région"))
    assert any(p.startswith("Ligne 4 (sans référence) refusée : Communes différent(e) ligne 4 "
                            "(« Fontenay ») et ligne 5 (« Champigny »).") for p in err.value.problems)
    assert _rows(engine, "select count(*) from action") == [(0,)]


def test_the_year_is_taken_from_the_start_date(store):
    engine = store[0]
    _import(engine, "Titre;Communes;Date de début;Date de fin\nAtelier;94017;01/09/2022;"
                    "30/06/2023\n")
    assert _rows(engine, "select year_start, year_end from action") == [(2022, 2023)]


@pytest.mark.parametrize("written, stored", [
    ("Terminée", "terminee"), ("Terminé", "terminee"), ("TERMINEE", "terminee"),
    ("terminé", "terminee"), ("En cours", "en_cours"), ("en cours", "en_cours"),
    ("Prévue", "programmee"), ("prévu", "programmee"), ("Programmée", "programmee"),
    ("Abandonnée", "abandonnee"), ("abandonné", "abandonnee"), ("En projet", "en_projet")])
def test_statuses_as_french_words(store, written, stored):
    engine = store[0]
    _import(engine, f"Titre;Communes;Année;Statut\nAtelier;94017;2022;{written}\n")
    assert _rows(engine, "select status from action") == [(stored,)]


def test_an_unknown_status_is_refused_in_french(store):
    with pytest.raises(ImportRefused) as err:
        _import(store[0], "Titre;Communes;Année;Statut\nAtelier;94017;2022;peut-être\n")
    assert any("statut « peut-être » inconnu" in p for p in err.value.problems)


@pytest.mark.parametrize("written", ["Champigny", "champigny", "Champigny-sur-Marne",
                                     "CHAMPIGNY SUR MARNE", "94017"])
def test_communes_by_name_with_or_without_suffix_or_by_code(store, written):
    engine = store[0]
    _import(engine, f"Titre;Commune;Année\nAtelier;{written}|Fontenay;2022\n")
    assert _rows(engine, "select c.insee_code from action_commune ac join commune c on "
                         "c.id = ac.commune_id order by c.insee_code") == [("94017",), ("94033",)]


def test_an_ambiguous_commune_is_refused_naming_the_candidates(store):
    engine, _actors, pemb, _pte = store
    with engine.begin() as c:  # a second « Villiers » (real commune, outside any territory)
        c.execute(text("insert into commune (insee_code, name, is_synthetic) "
                       "values ('95680', 'Villiers-le-Bel', false)"))
    csv_text = "Titre;Commune;Année\nAtelier;Villiers;2022\n"
    with pytest.raises(ImportRefused) as err:
        _import(engine, csv_text)
    assert any("La commune « Villiers » est ambiguë (Villiers-le-Bel, Villiers-sur-Marne)"
               in p for p in err.value.problems)
    assert _rows(engine, "select count(*) from action") == [(0,)]
    _import(engine, csv_text, territory_id=pemb)  # one « Villiers » in the chosen territory
    assert _rows(engine, "select c.name from action_commune ac join commune c on "
                         "c.id = ac.commune_id") == [("Villiers-sur-Marne",)]


def _two_axes(engine, territory_id):
    with engine.begin() as c:
        for n, title in ((1, "Réussite éducative"), (2, "Emploi et insertion")):
            c.execute(text("insert into axis (territory_id, number, position, title) "
                           "values (:t, :n, :n, :title)"), {"t": territory_id, "n": n,
                                                            "title": title})


@pytest.mark.parametrize("written", ["Axe 1", "axe 1", "AXE 1", "1", "Axe n° 1",
                                     "Axe 1 – Réussite éducative", "réussite éducative"])
def test_axes_by_number_or_title(store, written):
    engine, _actors, pemb, _pte = store
    _two_axes(engine, pemb)
    _import(engine, f"Titre;Communes;Année;Axes\nAtelier;94017;2022;{written}|Axe 2\n")
    assert _rows(engine, "select x.number from action_axis aa join axis x on x.id = aa.axis_id "
                         "order by x.number") == [(1,), (2,)]


@pytest.mark.parametrize("written, name", [
    ("Bois l'Abbé", "Bois l'Abbé"), ("bois-l'abbe", "Bois l'Abbé"),
    ("Quartier du Bois l'Abbé", "Bois l'Abbé"), ("Mordac", "Mordacs"),
    ("les quatre cités", "Quatre Cités"), ("le plateau", "Plateau")])
def test_quartiers_by_loose_name(store, written, name):
    engine = store[0]
    _import(engine, f"Titre;Communes;Année;Quartier\nAtelier;Champigny;2022;{written}\n")
    assert _rows(engine, "select q.name from action_qpv aq join qpv q on q.id = aq.qpv_id"
                 ) == [(name,)]


def test_every_column_is_used_or_named_as_ignored(store):
    report = _import(store[0], "Titre;Communes;Année;Commentaire;Thématique\n"
                               "Atelier;94017;2022;vu en comité;santé\n", dry_run=True)
    assert report.ignored_columns == ["Commentaire", "Thématique"]
    assert report.lines()[0] == "Colonnes ignorées (non reconnues) : Commentaire, Thématique."


def test_a_place_column_of_insee_codes_stays_a_place_column():
    df = _frame("Titre;Ville;Année\nAtelier;94017;2022\n")
    assert importer.guess_mapping(list(df.columns), df)["Ville"] == "communes"
    df = _frame("Titre;Communes;Ville;Etat;Année\nAtelier;94017;1 000;En cours;2022\n")
    mapping = importer.guess_mapping(list(df.columns), df)
    assert (mapping["Communes"], mapping["Ville"], mapping["Etat"]) == (
        "communes", "funding:commune:approved", "status")
    df = _frame("Titre;Commune;Ville;Année\nAtelier;94017;5000;2022\n")  # 5 digits, money
    mapping = importer.guess_mapping(list(df.columns), df)
    assert (mapping["Commune"], mapping["Ville"]) == ("communes", "funding:commune:approved")


# --- templates ----------------------------------------------------------------------------------

def _documented(kind: str) -> list[str]:
    """The headers docs/actions-format.md gives for the template of `kind`."""
    doc = (ROOT / "docs" / "actions-format.md").read_text(encoding="utf-8")
    block = re.search(rf"<!-- modele-{kind} -->\s*```\w*\n(.*?)\n```", doc, re.S)
    assert block, kind
    return block.group(1).strip().split(";")


@pytest.mark.parametrize("kind", ["large", "long"])
def test_template_headers_are_the_documented_headers(kind):
    rows = list(csv.reader(io.StringIO(importer.to_csv_template(kind)), delimiter=";"))
    assert rows[0] == _documented(kind)
    assert len(rows) >= 2 and all(len(r) == len(rows[0]) for r in rows)
    assert any(cell for cell in rows[1])  # a filled example


def test_the_templates_examples_give_the_same_money_and_are_refused_as_they_are(store):
    engine, _actors, pemb, _pte = store
    _two_axes(engine, pemb)  # the example names « Axe 1 »
    money = {}
    for kind in ("large", "long"):
        example = importer.to_csv_template(kind)
        with pytest.raises(ImportRefused) as err:
            _import(engine, example)
        assert any("ligne d'exemple du modèle" in p for p in err.value.problems)
        report, rows = _money_in_transaction(engine, example.replace("EXEMPLE-1", "A-1"))
        assert report.created == 1
        money[kind] = [(f, a) for _t, _y, f, _r, a in rows if a is not None]
    assert money["large"] == money["long"] == [("commune", 5000.0), ("etat_p147", 10000.0)]
