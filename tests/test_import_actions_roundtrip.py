"""The Actions export of the real embedded data goes back through the spreadsheet importer:
the protocol's actions under way have no year, and an update may keep it empty."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from perr_model import action_list as al
from perr_model.auth import Actor
from perr_model.importers import actions as importer
from perr_model.schema import Action, Territory
from perr_model.store import write_session


def _export(engine, slug):
    with Session(engine) as s:
        tid = s.scalar(select(Territory.id).where(Territory.slug == slug))
        return tid, al.export_frame(s, al.ActionFilter(territory_id=tid))


def test_embedded_protocol_actions_are_accepted_back_unchanged(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    tid, frame = _export(engine, "paris-est-marne-et-bois")
    undated = int(frame["annee_debut"].isna().sum())
    assert undated > 0  # the case under test: actions under way the protocol does not date
    table = importer.read_table(al.to_csv_bytes(frame), "actions.csv")
    mapping = importer.guess_mapping(list(table.columns))
    with write_session(engine) as s:
        report = importer.import_actions(s, Actor.system("test"), table, mapping,
                                         territory_id=tid)
    assert not report.problems, report.lines()
    assert (report.created, report.updated) == (0, 0) and report.unchanged == len(frame)
    with Session(engine) as s:
        assert s.scalar(select(func.count(Action.id)).where(
            Action.territory_id == tid, Action.year_start.is_(None))) == undated


def test_a_new_action_still_needs_a_year(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    tid, frame = _export(engine, "paris-est-marne-et-bois")
    new = frame.head(1).assign(reference="NOUVELLE-1", annee_debut=None, annee_fin=None)
    table = importer.read_table(al.to_csv_bytes(new), "actions.csv")
    with write_session(engine) as s:
        report = importer.import_actions(s, Actor.system("test"), table,
                                         importer.guess_mapping(list(table.columns)),
                                         territory_id=tid, dry_run=True)
    assert [why for _, ref, why in report.problems if ref == "NOUVELLE-1"]
    assert "année de début est obligatoire" in report.problems[0][2].lower()
    assert report.created == 0 and not report.to_create
