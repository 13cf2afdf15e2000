"""Every change records who, when, old → new; an administrator restores a previous version."""
import json
from decimal import Decimal

import pytest

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model import editing
from perr_model.errors import PermissionDenied
from perr_model.history import action_history, entries
from perr_model.schema import Action
from perr_model.store import write_session


def _make(store):
    engine, actors, pemb, _ = store
    with write_session(engine) as s:
        aid = editing.create_action(s, actors["chef-champigny"], {
            "title": "Atelier", "year_start": "2021", "communes": ["94017"],
            "qpvs": ["Bois l'Abbé"],
            "funding": [{"funder": "commune", "amount_approved": "1 000"}]},
            territory_id=pemb).id
    with write_session(engine) as s:
        editing.update_action(s, actors["chef-champigny"], aid, {
            "title": "Atelier d'écriture", "qpvs": ["Plateau"],
            "funding": [{"funder": "commune", "amount_approved": "1 500"}]},
            expected_version=1)
    return aid


def test_history_records_who_what_old_and_new(store):
    engine = store[0]
    aid = _make(store)
    with write_session(engine) as s:
        log = entries(s, "action", aid)
        assert [e.operation for e in log] == ["create", "update"]
        assert all(e.username == "chef-champigny" and e.at is not None for e in log)
        changes = json.loads(log[1].changes)
        assert changes["title"] == ["Atelier", "Atelier d'écriture"]
        assert changes["qpvs"] == [["Bois l'Abbé"], ["Plateau"]]
        table = action_history(s, aid)
        public = action_history(s, aid, public=True)
    assert "Titre : Atelier → Atelier d'écriture" in table.iloc[0]["détail"]
    assert "1\u202f000\u00a0€ → " in table.iloc[0]["détail"]  # French, never 1000.00
    assert table.iloc[0]["auteur"] == "chef-champigny"
    assert "auteur" not in public.columns


def test_admin_restores_a_previous_version(store):
    engine, actors, *_ = store
    aid = _make(store)
    with write_session(engine) as s:
        first = entries(s, "action", aid)[0].id
        editing.restore_version(s, actors["admin-pemb"], aid, first)
    with write_session(engine) as s:
        a = s.get(Action, aid)
        assert a.title == "Atelier" and [q.name for q in a.qpvs] == ["Bois l'Abbé"]
        assert [f.amount_approved for f in a.funding_lines] == [Decimal("1000.00")]
        assert a.version == 3
        assert entries(s, "action", aid)[-1].operation == "restore"


def test_restore_brings_back_an_archived_state(store):
    engine, actors, *_ = store
    aid = _make(store)
    with write_session(engine) as s:
        editing.set_archived(s, actors["admin-pemb"], aid, True, expected_version=2)
    with write_session(engine) as s:
        before_archive = entries(s, "action", aid)[1].id
        editing.restore_version(s, actors["admin-pemb"], aid, before_archive)
    with write_session(engine) as s:
        assert s.get(Action, aid).archived is False


def test_editor_cannot_restore(store):
    engine, actors, *_ = store
    aid = _make(store)
    with write_session(engine) as s, pytest.raises(PermissionDenied, match="administrateurs"):
        editing.restore_version(s, actors["chef-champigny"], aid, entries(s, "action", aid)[0].id)
