"""Who may enter indicator values (issue 15): editors for their communes, administrators for
their territory, readers and the public instance never; history and optimistic locking."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from perr_model.auth import actor_for
from perr_model.errors import ConcurrentEdit, ImportRefused, ReadOnlyStore
from perr_model.evaluation import exchange
from perr_model.schema import AuditLog, Commune, IndicatorValue, Territory, UserAccount
from perr_model.store import make_engine, write_session

ACCOUNTS = {"chef-champigny": ("editor", ["94017"]), "lecteur": ("reader", []),
            "admin-pemb": ("admin", []), "admin-pte": ("admin", [])}


@pytest.fixture
def actors(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    with write_session(engine) as s:
        pemb = s.scalars(select(Territory).where(Territory.slug == "paris-est-marne-et-bois")).one()
        pte = s.scalars(select(Territory).where(Territory.slug == "paris-terres-d-envol")).one()
        for name, (role, codes) in ACCOUNTS.items():
            communes = list(s.scalars(select(Commune).where(Commune.insee_code.in_(codes))))
            s.add(UserAccount(username=name, role=role, password_hash="x", active=True,
                              territory_id=pte.id if name == "admin-pte" else pemb.id,
                              communes=communes))
        s.flush()
        return engine, {a.username: actor_for(a) for a in s.scalars(select(UserAccount))}


def row(commune: str = "94017", node: str = "axe 3", value: str = "12", year: str = "2022",
        kind: str = "mesure", label: str = "Jeunes accompagnés", unit: str = "jeunes",
        quartier: str = "") -> dict:
    return {"territoire": "paris-est-marne-et-bois", "rattachement": node, "commune": commune,
            "quartier": quartier, "indicateur": label, "unite": unit, "sens": "hausse",
            "agregation": "somme", "annee": year, "type": kind, "valeur": value,
            "source": "Bilan de la mission locale"}


def values(engine) -> int:
    with Session(engine) as s:
        return len(s.scalars(select(IndicatorValue.id)).all())


def test_editor_writes_for_their_commune_and_its_quartiers_only(actors):
    engine, who = actors
    chef = who["chef-champigny"]
    n = values(engine)
    with write_session(engine) as s:
        exchange.save_value(s, chef, row())
        exchange.save_value(s, chef, row(quartier="Bois l'Abbé", label="Jeunes du quartier"))
    assert values(engine) == n + 2
    for other in (row(commune="94068"), row(commune="", node="territoire")):
        with write_session(engine) as s, pytest.raises(ImportRefused) as exc:
            exchange.save_value(s, chef, other)
        assert ("n'est pas dans votre périmètre" in str(exc.value)
                or "relève d'un administrateur" in str(exc.value))
    # a whole file with one row outside the remit: refused as a whole
    with write_session(engine) as s:
        report = exchange.import_rows(s, chef, [row(year="2023"), row(commune="94068")])
    assert [n_ for n_, _ in report.problems] == [3]
    assert "Saint-Maur-des-Fossés n'est pas dans votre périmètre" in report.problems[0][1]
    assert values(engine) == n + 2


def test_admin_writes_for_their_territory_readers_never(actors):
    engine, who = actors
    with write_session(engine) as s:
        exchange.save_value(s, who["admin-pemb"], row(commune="", node="territoire",
                                                      label="Habitants des QPV"))
    with write_session(engine) as s, pytest.raises(ImportRefused) as exc:
        exchange.save_value(s, who["admin-pte"], row())
    assert "ce territoire n'est pas le vôtre" in str(exc.value)
    with write_session(engine) as s, pytest.raises(ImportRefused) as exc:
        exchange.import_rows(s, who["lecteur"], [row()])
    assert "lecture seule" in str(exc.value)


def test_history_and_optimistic_locking(actors):
    engine, who = actors
    chef = who["chef-champigny"]
    with write_session(engine) as s:
        exchange.save_value(s, chef, row(value="10"))
    with Session(engine) as s:
        v = s.scalars(select(IndicatorValue).where(IndicatorValue.value == 10)).one()
        vid, version = v.id, v.version
    # two editors opened version 1; the first saves, the second is refused, nothing lost
    with write_session(engine) as s:
        exchange.save_value(s, chef, row(value="11"), expected_version=version)
    with write_session(engine) as s, pytest.raises(ConcurrentEdit) as exc:
        exchange.save_value(s, who["admin-pemb"], row(value="99"), expected_version=version)
    assert "par chef-champigny" in str(exc.value) and "rien n'a été écrasé" in str(exc.value)
    with Session(engine) as s:
        v = s.get(IndicatorValue, vid)
        assert (v.value, v.version, v.entered_by) == (11, version + 1, "chef-champigny")
        log = s.scalars(select(AuditLog).where(AuditLog.entity == "indicator_value",
                                               AuditLog.entity_id == vid)
                        .order_by(AuditLog.id)).all()
        assert [e.operation for e in log] == ["create", "update"]
        assert '"valeur": [10.0, 11.0]' in log[1].changes


def test_public_instance_cannot_write(reader_url, actors):
    _, who = actors
    engine = make_engine(reader_url)  # read-only, as the public instance opens it
    try:
        with pytest.raises(ReadOnlyStore):
            with write_session(engine) as s:
                exchange.save_value(s, who["admin-pemb"], row())
    finally:
        engine.dispose()
