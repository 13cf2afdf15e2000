"""import_protocol / load_referential on SQLite and PostgreSQL: counts, links, idempotence,
all-or-nothing. Expected counts were counted by hand in ../shared/seeds (see
test_import_protocol_parse.py for the per-group and per-theme detail).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from perr_model.errors import ImportRefused, MalformedDocument
from perr_model.importers.protocol import import_protocol
from perr_model.schema import (
    Action, Axis, CiteEducative, CiteEducativeObjective, Commitment, Commune, ExampleAction,
    GovernanceBody, ObjectiveGroup, OperationalObjective, Qpv, Signatory, StrategicObjective,
    Territory, action_commitment, action_qpv, commitment_qpv,
)

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
pytestmark = pytest.mark.skipif(
    not SEEDS.is_dir(), reason="dossier ../shared/seeds absent : les textes des protocoles ne "
    "sont pas livrés avec le dépôt, ces tests de l'importeur de protocoles ne peuvent pas tourner")
PTE_FILE = SEEDS / "perr-paris-terres-d-envol.md"
PEMB_FILE = SEEDS / "perr-paris-est-marne-et-bois-annexe-1.md"
TABLES = [Axis, StrategicObjective, ObjectiveGroup, OperationalObjective, ExampleAction,
          Commitment, Action, GovernanceBody, Signatory, CiteEducative, CiteEducativeObjective,
          Qpv]


def snapshot(engine) -> dict:
    """Every id of every table the importer writes, plus the link tables' rows."""
    with Session(engine) as s:
        ids = {m.__tablename__: s.scalars(select(m.id).order_by(m.id)).all() for m in TABLES}
        for table in (action_qpv, action_commitment, commitment_qpv):
            ids[table.name] = sorted(tuple(r) for r in s.execute(select(table)).all())
        ids["figures"] = s.scalars(select(Commitment.figures).order_by(Commitment.id)).all()
    return ids


def territory_counts(session: Session, slug: str) -> dict:
    t = session.scalars(select(Territory).filter_by(slug=slug)).one()
    axes = select(Axis.id).where(Axis.territory_id == t.id)
    sos = select(StrategicObjective.id).where(StrategicObjective.axis_id.in_(axes))
    groups = select(ObjectiveGroup.id).where(ObjectiveGroup.strategic_objective_id.in_(sos))

    def n(model, *where):
        return session.scalar(select(func.count(model.id)).where(*where))
    return {
        "axes": n(Axis, Axis.territory_id == t.id),
        "strategic": n(StrategicObjective, StrategicObjective.id.in_(sos)),
        "groups": n(ObjectiveGroup, ObjectiveGroup.id.in_(groups)),
        "objectives": n(OperationalObjective, OperationalObjective.group_id.in_(groups)),
        "examples": n(ExampleAction, ExampleAction.group_id.in_(groups)),
        "commitments": n(Commitment, Commitment.territory_id == t.id),
        "actions": n(Action, Action.territory_id == t.id, Action.origin == "protocol"),
        "governance": n(GovernanceBody, GovernanceBody.territory_id == t.id),
        "signatories": n(Signatory, Signatory.territory_id == t.id),
        "cites": n(CiteEducative, CiteEducative.territory_id == t.id),
    }


def test_embedded_referentials_are_loaded(loaded_url, rw_engine):
    with Session(rw_engine(loaded_url)) as s:
        assert territory_counts(s, "paris-terres-d-envol") == {
            "axes": 4, "strategic": 4, "groups": 17, "objectives": 69, "examples": 38,
            "commitments": 0, "actions": 0, "governance": 4, "signatories": 10, "cites": 2}
        assert territory_counts(s, "paris-est-marne-et-bois") == {
            "axes": 4, "strategic": 0, "groups": 0, "objectives": 0, "examples": 0,
            "commitments": 57, "actions": 42, "governance": 0, "signatories": 0, "cites": 0}
        pte = s.scalars(select(Territory).filter_by(slug="paris-terres-d-envol")).one()
        assert (pte.protocol_date.isoformat(), pte.signed_date.isoformat()) == (
            "2019-12-09", "2020-01-06")
        pemb = s.scalars(select(Territory).filter_by(slug="paris-est-marne-et-bois")).one()
        assert pemb.axes_from_pillars is True
        # every node of Paris Terres d'Envol has a pillar
        assert s.scalar(select(func.count(OperationalObjective.id)).where(
            OperationalObjective.pillar_id.is_(None))) == 0


def test_commitments_per_commune_and_their_axis(loaded_url, rw_engine):
    with Session(rw_engine(loaded_url)) as s:
        rows = dict(s.execute(select(Commune.name, func.count(Commitment.id))
                              .join(Commitment, Commitment.commune_id == Commune.id)
                              .group_by(Commune.name)).all())
        assert rows == {"Champigny-sur-Marne": 19, "Fontenay-sous-Bois": 13,
                        "Saint-Maur-des-Fossés": 13, "Villiers-sur-Marne": 12}
        assert s.scalar(select(func.count(Commitment.id)).where(
            Commitment.axis_id.is_(None))) == 0
        conseil = s.scalars(select(Commitment).where(Commitment.theme == "Conseil citoyen")).one()
        assert conseil.axis.title == "Pilotage et participation citoyenne"


def by_protocol_name(s) -> dict:
    """Quartiers by every spelling they carry: their name and the protocols' names kept as
    aliases when an official perimeter renamed them ("Bois l'Abbé" → « Le Bois L'Abbé »)."""
    return {n: q for q in s.scalars(select(Qpv))
            for n in [q.name] + (q.aliases.split("|") if q.aliases else [])}


def test_champigny_actions_are_real_actions_under_way(loaded_url, rw_engine):
    with Session(rw_engine(loaded_url)) as s:
        actions = s.scalars(select(Action).where(Action.reference.like("PERR-94017-%"))).all()
        assert len(actions) == 42   # 46 lines, 4 of them context (lines 90, 146, 149, 186)
        assert {(a.origin, a.status) for a in actions} == {("protocol", "en_cours")}
        assert all([c.insee_code for c in a.communes] == ["94017"] for a in actions)
        assert all(len(a.commitments) == 1 for a in actions)
        ateliers = s.scalars(select(Action).filter_by(reference="PERR-94017-1-1-3")).one()
        named = by_protocol_name(s)  # official 2024 names once perimeters are matched
        assert sorted(q.id for q in ateliers.qpvs) == sorted(
            named[n].id for n in ["Bois l'Abbé", "Mordacs", "Quatre Cités"])
        assert ateliers.commitments[0].number == 1
        linked = s.scalars(select(Qpv.id).join(action_qpv, action_qpv.c.qpv_id == Qpv.id)
                           .distinct()).all()
        assert sorted(linked) == sorted(named[n].id for n in ["Bois l'Abbé", "Mordacs",
                                                              "Quatre Cités"])
        # line 149, "2018 a été l'année de la montée en puissance …": a note, not an action
        assert s.scalars(select(Action).filter_by(reference="PERR-94017-4-1-7")).first() is None
        formation = s.scalars(select(Action).filter_by(reference="PERR-94017-4-1-8")).one()
        assert "2018 a été l'année de la montée en puissance" in formation.commitments[0].note


def test_quartiers_named_by_commitments(loaded_url, rw_engine):
    with Session(rw_engine(loaded_url)) as s:
        rows = s.execute(select(Qpv.id, func.count()).join(
            commitment_qpv, commitment_qpv.c.qpv_id == Qpv.id).group_by(Qpv.id)).all()
        named = by_protocol_name(s)
        # Bois l'Abbé (PRU commitment), Plateau; Larris + La Redoute on 4 Fontenay commitments;
        # Rives de la Marne named in Saint-Maur's "Emploi" (6) and "Sécurité" (2) introductions.
        assert dict(rows) == {named[n].id: k for n, k in {
            "Bois l'Abbé": 1, "Plateau": 1, "Larris": 4, "La Redoute": 4,
            "Rives de la Marne": 8}.items()}
        emploi = s.scalars(select(Commitment).where(Commitment.theme == "Emploi")
                           .order_by(Commitment.position)).first()
        assert {"kind": "rate", "value": 22.5, "unit": "%", "text": "22.5%",
                "scope": "thématique"} in json.loads(emploi.figures)
        # no quartier created twice (the others are the official 2024 perimeters)
        assert s.scalar(select(func.count(Qpv.id)).where(Qpv.named_in_protocol)) == 9


@pytest.mark.parametrize("path, territory", [(PTE_FILE, "Paris Terres d'Envol"),
                                             (PEMB_FILE, "paris est marne & bois")])
def test_reimport_changes_nothing(loaded_url, rw_engine, path, territory):
    engine = rw_engine(loaded_url)
    before = snapshot(engine)
    report = import_protocol(engine, path, territory)
    assert snapshot(engine) == before
    import_protocol(loaded_url, path, territory)  # from a URL too
    assert snapshot(engine) == before
    assert report.counts["axes"] == 4


def test_reimport_keeps_links_made_by_users(loaded_url, rw_engine):
    from perr_model.schema import action_objective
    from perr_model.store import write_session
    engine = rw_engine(loaded_url)
    with write_session(engine) as s:
        objective = s.scalars(select(OperationalObjective).order_by(OperationalObjective.id)
                              ).first()
        action = Action(reference="TEST-1", territory_id=objective.group.strategic_objective
                        .axis.territory_id, title="Action manuelle", objectives=[objective])
        s.add(action)
    import_protocol(engine, PTE_FILE, "paris-terres-d-envol")
    with Session(engine) as s:
        links = s.execute(select(action_objective)).all()
        assert [tuple(r)[1] for r in links] == [objective.id]


def _group_without_objectives(text: str) -> str:
    """Axe 3 group 3 loses its two operational objectives (seed lines 318-319)."""
    start = text.index("- Développer des actions partenariales de sensibilisation civique")
    return text[:start] + text[text.index("Exemples d'actions :", start):]


@pytest.mark.parametrize("mangle", [
    _group_without_objectives,
    lambda t: t.replace("Objectif stratégique : faciliter l'accès à l'emploi", "", 1),
    lambda t: "",
], ids=["group-without-objectives", "axis-without-strategic-objective", "empty"])
def test_malformed_document_writes_nothing(loaded_url, rw_engine, tmp_path, mangle):
    engine = rw_engine(loaded_url)
    before = snapshot(engine)
    path = tmp_path / "protocole.md"
    path.write_text(mangle(PTE_FILE.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(MalformedDocument):
        import_protocol(engine, path, "paris-terres-d-envol")
    assert snapshot(engine) == before


def test_wrong_or_unknown_territory_is_refused(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    before = snapshot(engine)
    with pytest.raises(MalformedDocument, match="mauvais territoire"):
        import_protocol(engine, PTE_FILE, "paris-est-marne-et-bois")
    with pytest.raises(ImportRefused, match="Territoire inconnu"):
        import_protocol(engine, PTE_FILE, "Plaine Commune")
    assert snapshot(engine) == before
