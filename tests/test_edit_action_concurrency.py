"""Two editors save the same action: the second save is refused and shows what changed."""
import pytest

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model import editing
from perr_model.errors import ConcurrentEdit
from perr_model.schema import Action, AuditLog
from perr_model.store import write_session


def test_second_save_of_the_same_version_is_refused(store):
    engine, actors, pemb, _ = store
    with write_session(engine) as s:
        aid = editing.create_action(s, actors["chef-champigny"], {
            "title": "Atelier", "year_start": "2021", "communes": ["94017"],
            "holder_name": "Association A"}, territory_id=pemb).id
    opened_by_both = 1
    with write_session(engine) as s:
        editing.update_action(s, actors["chef-champigny"], aid, {"title": "Atelier du soir"},
                              expected_version=opened_by_both)
    with write_session(engine) as s, pytest.raises(ConcurrentEdit) as err:
        editing.update_action(s, actors["admin-pemb"], aid, {"holder_name": "Association B"},
                              expected_version=opened_by_both)
    assert err.value.changes == {"title": ["Atelier", "Atelier du soir"]}
    assert "Atelier → Atelier du soir" in str(err.value)
    assert "chef-champigny" in str(err.value)
    with write_session(engine) as s:
        a = s.get(Action, aid)
        assert (a.title, a.holder_name, a.version) == ("Atelier du soir", "Association A", 2)


def test_archive_with_a_stale_version_is_refused(store):
    engine, actors, pemb, _ = store
    with write_session(engine) as s:
        aid = editing.create_action(s, actors["admin-pemb"], {
            "title": "Atelier", "year_start": "2021", "communes": ["94017"]},
            territory_id=pemb).id
    with write_session(engine) as s:
        editing.update_action(s, actors["admin-pemb"], aid, {"title": "B"}, expected_version=1)
    with write_session(engine) as s, pytest.raises(ConcurrentEdit):
        editing.set_archived(s, actors["chef-champigny"], aid, True, expected_version=1)


def test_saving_unchanged_data_keeps_the_version(store):
    engine, actors, pemb, _ = store
    data = {"title": "Atelier", "year_start": "2021", "communes": ["94017"]}
    with write_session(engine) as s:
        aid = editing.create_action(s, actors["admin-pemb"], data, territory_id=pemb).id
    with write_session(engine) as s:
        assert editing.update_action(s, actors["admin-pemb"], aid, data,
                                     expected_version=1).version == 1


def test_archive_keeps_the_row_and_can_be_undone(store):
    engine, actors, pemb, _ = store
    with write_session(engine) as s:
        aid = editing.create_action(s, actors["chef-champigny"], {
            "title": "Atelier", "year_start": "2021", "communes": ["94017"]},
            territory_id=pemb).id
    with write_session(engine) as s:
        editing.set_archived(s, actors["chef-champigny"], aid, True, expected_version=1)
    with write_session(engine) as s:
        assert s.get(Action, aid).archived is True
        editing.set_archived(s, actors["chef-champigny"], aid, False, expected_version=2)
    with write_session(engine) as s:
        ops = [e.operation for e in s.query(AuditLog).filter_by(entity="action").order_by(
            AuditLog.id)]
        assert ops == ["create", "archive", "unarchive"]
        assert s.get(Action, aid).archived is False
