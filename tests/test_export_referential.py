"""export referential (JSON): the whole hierarchy, no personal field, both backends."""
from __future__ import annotations

import json

from sqlalchemy.orm import Session

from perr_model.exports.referential import referential
from perr_model.schema import Action, Commitment
from perr_model.store import make_engine, write_session


def export(url: str) -> dict:
    engine = make_engine(url)  # read-only connection is enough
    try:
        with Session(engine) as s:
            return referential(s)
    finally:
        engine.dispose()


def test_export_has_both_hierarchies(loaded_url):
    data = export(loaded_url)
    pte, = [t for t in data["territories"] if t["slug"] == "paris-terres-d-envol"]
    pemb, = [t for t in data["territories"] if t["slug"] == "paris-est-marne-et-bois"]
    groups = [g for a in pte["axes"] for so in a["strategic_objectives"] for g in so["groups"]]
    assert len(groups) == 17
    assert sum(len(g["operational_objectives"]) for g in groups) == 69
    assert sum(len(g["example_actions"]) for g in groups) == 38
    assert pte["signed_date"] == "2020-01-06" and len(pte["signatories"]) == 10
    # the protocol's « Les Beaudottes » carries its official 2024 name since init-db matches the
    # embedded QPV 2024 extract (QN09355M); « Gros Saule » has no 2024 counterpart
    assert [c["quartier"] for c in pte["cites_educatives"]] == ["Gros Saule",
                                                              "Les Beaudottes Savigny"]
    assert [len(c["commitments"]) for c in pemb["communes"]] == [19, 13, 13, 12]
    champigny = pemb["communes"][0]
    assert champigny["insee_code"] == "94017" and champigny["contrat_de_ville"] == "CV915"
    # 46 lines under « Exemples d'actions », 4 of them context kept as notes (lines 90, 146,
    # 149, 186 of the annex)
    assert sum(len(c["actions"]) for c in champigny["commitments"]) == 42
    pru, = [c for c in champigny["commitments"] if c["text"].startswith("Engager le Projet")]
    assert pru["note"] == "Signature du protocole le 5 février 2019"
    assert {c["axis_number"] for com in pemb["communes"] for c in com["commitments"]} == {
        1, 2, 3, 4}


def test_export_has_no_personal_field(loaded_url, rw_engine):
    with write_session(rw_engine(loaded_url)) as s:
        action = s.get(Action, s.query(Action.id).filter_by(reference="PERR-94017-1-1-1")
                       .scalar())
        action.contact_name, action.contact_email = "Jeanne Exemple", "jeanne@example.org"
        action.created_by = "jexemple"
    text = json.dumps(export(loaded_url), ensure_ascii=False)
    for personal in ("Jeanne Exemple", "jeanne@example.org", "jexemple",
                     "Georges-François LECLERC", "person_name", "contact_"):
        assert personal not in text


def test_archived_actions_are_left_out(loaded_url, rw_engine):
    with write_session(rw_engine(loaded_url)) as s:
        commitment = s.query(Commitment).filter(Commitment.theme.like("Cadre de vie%"),
                                                Commitment.position == 2).one()
        for action in s.query(Action).filter(Action.commitments.contains(commitment)):
            action.archived = True
    pemb, = [t for t in export(loaded_url)["territories"] if t["slug"].startswith("paris-est")]
    cadre = [c for c in pemb["communes"][0]["commitments"] if c["theme"].startswith("Cadre")]
    assert [len(c["actions"]) for c in cadre] == [2, 0, 1, 0]
