"""Each validation rule of the action form, with its French explanation; nothing written."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model import editing
from perr_model.errors import ValidationFailed
from perr_model.schema import Action, FundingLine
from perr_model.store import write_session

GOOD = {"title": "Atelier d'écriture", "year_start": "2021", "communes": ["94017"]}


@pytest.mark.parametrize("text, expected", [
    ("1 234,50", Decimal("1234.50")), ("1\u202f234,5 €", Decimal("1234.50")),
    ("1234.5", Decimal("1234.50")), ("1.234,50", Decimal("1234.50")),
    ("1,234.50", Decimal("1234.50")), ("12 000", Decimal("12000.00")), (7164, Decimal("7164.00")),
    ("", None), (None, None)])
def test_parse_amount_accepts_french_formats(text, expected):
    assert editing.parse_amount(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("03/02/2021", date(2021, 2, 3)), ("2021-02-03", date(2021, 2, 3)), ("", None)])
def test_parse_date(text, expected):
    assert editing.parse_date(text) == expected


@pytest.mark.parametrize("changes, field, message", [
    ({"title": "  "}, "title", "titre est obligatoire"),
    ({"year_start": ""}, "year_start", "année de début est obligatoire"),
    ({"communes": []}, "communes", "au moins une commune"),
    ({"communes": ["99999"]}, "communes", "Commune inconnue"),
    ({"communes": ["93071"]}, "communes", "hors du territoire"),
    ({"qpvs": ["Larris"]}, "qpvs", "n'appartient à aucune commune de l'action"),
    ({"qpvs": ["Nulle Part"]}, "qpvs", "n'appartient à aucune commune"),
    ({"year_start": "2013"}, "year_start", "peu plausible"),
    ({"year_start": "2036"}, "year_start", "peu plausible"),
    ({"year_start": "deux mille"}, "year_start", "n'est pas une année"),
    ({"beneficiaries_planned": "douze"}, "beneficiaries_planned", "n'est pas un nombre entier"),
    ({"year_end": "2020"}, "year_end", "précède l'année de début"),
    ({"start_date": "01/06/2021", "end_date": "31/05/2021"}, "end_date", "précède la date"),
    ({"start_date": "31/02/2021"}, "start_date", "n'est pas une date"),
    ({"status": "fini"}, "status", "statut « fini » inconnu"),
    ({"holder_siret": "1234"}, "holder_siret", "14 chiffres"),
    ({"beneficiaries_planned": "-3"}, "beneficiaries_planned", "positif ou nul"),
    ({"beneficiaries_planned": "2,5"}, "beneficiaries_planned", "entier"),
    ({"funding": [{"funder": "commune", "amount_approved": "-1"}]}, "funding", "positif ou nul"),
    ({"funding": [{"funder": "commune", "amount_approved": "beaucoup"}]}, "funding",
     "n'est pas un montant"),
    ({"funding": [{"funder": "mécène", "amount_approved": "10"}]}, "funding", "inconnu"),
])
def test_each_rule_is_explained_and_nothing_is_written(store, changes, field, message):
    engine, actors, pemb, _ = store
    with write_session(engine) as s, pytest.raises(ValidationFailed) as err:
        editing.create_action(s, actors["admin-pemb"], {**GOOD, **changes}, territory_id=pemb)
    assert message in err.value.problems[field]
    assert message in str(err.value)
    with write_session(engine) as s:
        assert s.scalar(select(func.count(Action.id))) == 0


def test_all_problems_are_listed_at_once(store):
    engine, actors, pemb, _ = store
    with write_session(engine) as s, pytest.raises(ValidationFailed) as err:
        editing.create_action(s, actors["admin-pemb"], {"title": "", "year_start": "1999",
                              "communes": ["94017"], "qpvs": ["Larris"]}, territory_id=pemb)
    assert set(err.value.problems) == {"title", "year_start", "qpvs"}


def test_valid_action_with_quartier_and_french_amounts(store):
    engine, actors, pemb, _ = store
    with write_session(engine) as s:
        action = editing.create_action(s, actors["chef-champigny"], {
            **GOOD, "qpvs": ["Bois-l'Abbé", "les mordacs"], "status": "Programmée",
            "start_date": "01/09/2021", "end_date": "30/06/2022", "year_end": "2022",
            "funding": [{"funder": "etat_p147", "amount_requested": "12 000",
                         "amount_approved": "10 500,50"},
                        {"funder": "Commune", "amount_approved": "2 000"}]}, territory_id=pemb)
        aid = action.id
    with write_session(engine) as s:
        a = s.get(Action, aid)
        assert sorted(q.name for q in a.qpvs) == ["Bois l'Abbé", "Mordacs"]
        assert a.status == "programmee" and a.reference == "94017-2021-001"
        lines = {f.funder: f for f in s.scalars(select(FundingLine))}
        assert lines["etat_p147"].amount_approved == Decimal("10500.50")
        assert lines["etat_p147"].year == 2021 and lines["commune"].amount_requested is None
        assert lines["commune"].contrat_de_ville.code == "CV915"


def test_duplicate_reference_refused(store):
    engine, actors, pemb, _ = store
    with write_session(engine) as s:
        editing.create_action(s, actors["admin-pemb"], {**GOOD, "reference": "R-1"},
                              territory_id=pemb)
    with write_session(engine) as s, pytest.raises(ValidationFailed, match="existe déjà"):
        editing.create_action(s, actors["admin-pemb"], {**GOOD, "reference": "R-1"},
                              territory_id=pemb)
