"""Actions serve commune engagements (issue 22, item 1): the form's choices, a save or an import
naming an engagement's reference removes that angle mort at once (headline, angles-morts list,
COPIL XLSX, the stored figures), the editor's commune scope, the detail, the history and
restore, and the export read back unchanged. SQLite and PostgreSQL.

Expected values come from raw SQL on the tables (commitment, action_commitment, action), never
from the functions under test; references are written by hand from the documented format
E-<INSEE>-<theme>-<place in the theme> (docs/actions-format.md)."""
from __future__ import annotations

import csv
import io
import re
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from editing_support import add_accounts
from perr_model import action_list as al
from perr_model import editing, forms
from perr_model.auth import Actor, actor_for
from perr_model.errors import ImportRefused, PermissionDenied, ValidationFailed
from perr_model.figures import Scope, coverage, gaps, stored
from perr_model.history import action_history
from perr_model.importers import actions as importer
from perr_model.importers.embedded import load_embedded
from perr_model.copil.document import copil_bytes
from perr_model.schema import Action, UserAccount
from perr_model.store import Store, make_engine, write_session

PEMB = "paris-est-marne-et-bois"


def fill_engaged(url: str) -> None:
    """The embedded default (PEMB: 57 commune engagements, no operational objective) and the
    accounts of editing_support (chef-champigny: 94017, chef-fontenay: 94033, admin-pemb)."""
    engine = make_engine(url, read_only=False)
    try:
        with write_session(engine) as s:
            load_embedded(s)
    finally:
        engine.dispose()
    add_accounts(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def engaged_url(request, tmp_path, store_from_template):
    yield from store_from_template(request, tmp_path, fill_engaged)


@pytest.fixture
def env(engaged_url, rw_engine):
    engine = rw_engine(engaged_url)
    with write_session(engine) as s:
        actors = {a.username: actor_for(a) for a in s.scalars(select(UserAccount))}
    tid = sql(engine, "SELECT id FROM territory WHERE slug = :s", s=PEMB)
    return engine, actors, tid


def sql(engine, query: str, **params):
    with engine.connect() as c:
        return c.execute(text(query), params).scalar()


def raw_angles_morts(engine, tid: int) -> int:
    """Commitments of the territory that no live (non-archived) action of it serves: the
    angle-mort rule for all years of a protocol without operational objectives."""
    return sql(engine, """
        SELECT count(*) FROM commitment m WHERE m.territory_id = :t AND NOT EXISTS (
            SELECT 1 FROM action_commitment ac JOIN action a ON a.id = ac.action_id
            WHERE ac.commitment_id = m.id AND NOT a.archived AND a.territory_id = :t)""", t=tid)


def angle_mort_of(engine, tid: int, insee: str) -> str:
    """The reference, written by hand from the table, of one angle mort of commune `insee`."""
    with engine.connect() as c:
        tp, pos = c.execute(text("""
            SELECT m.theme_position, m.position FROM commitment m
            JOIN commune co ON co.id = m.commune_id
            WHERE m.territory_id = :t AND co.insee_code = :i AND NOT EXISTS (
                SELECT 1 FROM action_commitment ac JOIN action a ON a.id = ac.action_id
                WHERE ac.commitment_id = m.id AND NOT a.archived)
            ORDER BY m.theme_position, m.position"""), {"t": tid, "i": insee}).first()
    return f"E-{insee}-{tp}-{pos}"


def links_of(engine, action_id: int) -> list[str]:
    with engine.connect() as c:
        rows = c.execute(text("""
            SELECT co.insee_code, m.theme_position, m.position FROM action_commitment ac
            JOIN commitment m ON m.id = ac.commitment_id JOIN commune co ON co.id = m.commune_id
            WHERE ac.action_id = :a ORDER BY 1, 2, 3"""), {"a": action_id}).all()
    return [f"E-{i}-{t}-{p}" for i, t, p in rows]


def headline_angles(engine, tid: int) -> int:
    with write_session(engine) as s:
        return coverage.headline(s, Scope(tid, None))["angles_morts"]


NEW = {"title": "Café des parents du Bois l'Abbé", "year_start": "2024", "communes": ["94017"]}


def test_saving_an_action_for_an_angle_mort_removes_it_everywhere(env, tmp_path):
    engine, actors, tid = env
    before = raw_angles_morts(engine, tid)
    assert before > 0 and headline_angles(engine, tid) == before
    ref = angle_mort_of(engine, tid, "94017")
    with write_session(engine) as s:
        listed = gaps.angles_morts(s, Scope(tid, None))
        assert ref in set(listed["reference"])  # the reference the list shows is the one typed
        action = editing.create_action(s, actors["chef-champigny"], {**NEW, "commitments": [ref]},
                                       territory_id=tid)
        aid = action.id
    assert links_of(engine, aid) == [ref]                      # action_commitment written
    assert raw_angles_morts(engine, tid) == before - 1
    assert headline_angles(engine, tid) == before - 1
    with write_session(engine) as s:
        assert ref not in set(gaps.angles_morts(s, Scope(tid, None))["reference"])
        assert any(line.startswith(f"{ref} – Champigny-sur-Marne")
                   for line in al.detail(s, aid)["sert"])
        pdf, xlsx, _ = copil_bytes(s, tid, None)
    sheet = load_workbook(io.BytesIO(xlsx))["Angles morts"]
    header = [c.value for c in sheet[1]]
    refs = [row[header.index("Référence")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(refs) == before - 1 and ref not in refs
    (tmp_path / "copil.pdf").write_bytes(pdf)
    words = subprocess.run(["pdftotext", "-layout", str(tmp_path / "copil.pdf"), "-"], check=True,
                           capture_output=True, text=True).stdout
    section = words[words.index("4. Angles morts"):words.index("5. Engagements des communes")]
    assert f"{before - 1} engagements des communes sans aucune action" in section
    listed = set(re.findall(r"E-\d{5}-\d+-\d+", section))
    assert len(listed) == before - 1 and ref not in listed


def test_the_store_write_refreshes_the_stored_angles_morts(env):
    engine, actors, tid = env
    url = engine.url.render_as_string(hide_password=False)
    stored.refresh(engine)
    before = raw_angles_morts(engine, tid)
    ref = angle_mort_of(engine, tid, "94017")
    store = Store(url, read_only=False, refresh=False)  # the refresh is run here, not in a thread
    try:
        with store.write() as s:
            editing.create_action(s, actors["chef-champigny"], {**NEW, "commitments": ref},
                                  territory_id=tid)
        with store.read() as s:  # the stored figure of the old data is not read any more
            assert stored.read(s, coverage.headline, Scope(tid, None))["angles_morts"] == before - 1
        stored.refresh(store.write_engine)
        with store.read() as s:
            assert stored.stored_at(s, coverage.headline, Scope(tid, None)) is not None
            assert stored.read(s, coverage.headline, Scope(tid, None))["angles_morts"] == before - 1
    finally:
        store.dispose()


def test_an_editor_of_another_commune_is_refused_on_that_engagement(env):
    engine, actors, tid = env
    ref = angle_mort_of(engine, tid, "94017")
    links = sql(engine, "SELECT count(*) FROM action_commitment")
    with write_session(engine) as s, pytest.raises(PermissionDenied) as refused:
        editing.create_action(s, actors["chef-fontenay"], {
            **NEW, "communes": ["94033"], "commitments": [ref]}, territory_id=tid)
    assert ref in str(refused.value) and "hors de votre périmètre" in str(refused.value)
    # an administrator may, but only for an action that concerns Champigny
    with write_session(engine) as s, pytest.raises(ValidationFailed) as wrong:
        editing.create_action(s, actors["admin-pemb"], {
            **NEW, "communes": ["94033"], "commitments": [ref]}, territory_id=tid)
    assert "Champigny-sur-Marne" in wrong.value.problems["commitments"]
    with write_session(engine) as s, pytest.raises(ValidationFailed) as unknown:
        editing.create_action(s, actors["chef-champigny"], {
            **NEW, "commitments": ["E-94017-9-9"]}, territory_id=tid)
    assert "E-94017-9-9" in unknown.value.problems["commitments"]
    assert sql(engine, "SELECT count(*) FROM action_commitment") == links


def test_the_form_offers_the_editors_engagements_grouped(env):
    engine, actors, tid = env
    with write_session(engine) as s:
        options = forms.form_choices(s, actors["chef-champigny"], tid)["commitments"]
    mine = sql(engine, """SELECT count(*) FROM commitment m JOIN commune c ON c.id = m.commune_id
                          WHERE c.insee_code = '94017'""")
    assert len(options) == mine and all(r.startswith("E-94017-") for r in options)
    ref = angle_mort_of(engine, tid, "94017")
    _, _, theme_position, position = ref.split("-")
    theme = sql(engine, """SELECT theme FROM commitment m JOIN commune c ON c.id = m.commune_id
                           WHERE c.insee_code = '94017' AND m.theme_position = :t
                           AND m.position = :p""", t=int(theme_position), p=int(position))
    label = options[ref]
    assert label.startswith(f"{ref} · Champigny-sur-Marne · Axe ")
    assert theme[:20] in label


def csv_of(rows: list[dict]) -> bytes:
    """A CSV as a spreadsheet saves it (';' separator, cells holding ';' quoted)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def run_import(engine, actor: Actor, data: bytes, tid: int, name: str = "programmation.csv"):
    table = importer.read_table(data, name)
    with write_session(engine) as s:
        return importer.import_actions(s, actor, table, importer.guess_mapping(
            list(table.columns)), territory_id=tid)


def test_a_csv_import_with_the_reference_removes_the_angle_mort(env):
    engine, actors, tid = env
    before = raw_angles_morts(engine, tid)
    ref = angle_mort_of(engine, tid, "94017")
    report = run_import(engine, actors["chef-champigny"], csv_of([{
        "Titre": "Permanence d'accès aux droits", "Communes": "94017", "Année de début": 2024,
        "Engagements": f"{ref} ; "}]), tid)
    assert report.created == 1
    aid = sql(engine, "SELECT id FROM action WHERE title = 'Permanence d''accès aux droits'")
    assert links_of(engine, aid) == [ref]
    assert raw_angles_morts(engine, tid) == before - 1 == headline_angles(engine, tid)


@pytest.mark.parametrize("who, cell, reason", [
    ("chef-champigny", "E-94017-9-9", "Engagement inconnu pour ce territoire : « E-94017-9-9 »"),
    ("chef-fontenay", "{ref}", "hors de votre périmètre : {ref} (Champigny-sur-Marne)"),
])
def test_an_import_row_with_a_wrong_engagement_is_refused_and_nothing_written(env, who, cell,
                                                                              reason):
    engine, actors, tid = env
    ref = angle_mort_of(engine, tid, "94017")
    commune = "94017" if who == "chef-champigny" else "94033"
    actions = sql(engine, "SELECT count(*) FROM action")
    data = csv_of([{"Titre": "Une action correcte", "Communes": commune, "Année de début": 2024,
                    "Engagements": ""},
                   {"Titre": "Une action mal rattachée", "Communes": commune,
                    "Année de début": 2024, "Engagements": cell.format(ref=ref)}])
    with pytest.raises(ImportRefused) as refused:
        run_import(engine, actors[who], data, tid)
    refusal = next(p for p in refused.value.problems if p.startswith("Ligne 3"))
    assert reason.format(ref=ref) in refusal
    assert not any(p.startswith("Ligne 2 ") for p in refused.value.problems)
    assert sql(engine, "SELECT count(*) FROM action") == actions


def test_export_then_reimport_changes_nothing(env):
    engine, actors, tid = env
    ref = angle_mort_of(engine, tid, "94017")
    with write_session(engine) as s:
        aid = editing.create_action(s, actors["chef-champigny"], {
            **NEW, "commitments": [ref]}, territory_id=tid).id
        frame = al.export_frame(s, al.ActionFilter(territory_id=tid))
    row = frame[frame["Référence"] == sql(engine, "SELECT reference FROM action WHERE id = :a",
                                          a=aid)]
    assert row["Engagements"].iloc[0] == ref
    links = sql(engine, "SELECT count(*) FROM action_commitment")
    versions = sql(engine, "SELECT sum(version) FROM action")
    for name, data in (("actions.csv", al.to_csv_bytes(frame)),
                       ("actions.xlsx", al.to_xlsx_bytes(frame))):
        report = run_import(engine, actors["admin-pemb"], data, tid, name)
        assert (report.created, report.updated, report.unchanged) == (0, 0, len(frame)), name
    assert sql(engine, "SELECT count(*) FROM action_commitment") == links
    assert sql(engine, "SELECT sum(version) FROM action") == versions


def test_history_shows_the_engagements_and_restore_brings_them_back(env):
    engine, actors, tid = env
    first = angle_mort_of(engine, tid, "94017")
    with write_session(engine) as s:
        action = editing.create_action(s, actors["chef-champigny"], {
            **NEW, "commitments": [first]}, territory_id=tid)
        aid, version = action.id, action.version
    second = angle_mort_of(engine, tid, "94017")
    with write_session(engine) as s:
        editing.update_action(s, actors["chef-champigny"], aid, {"commitments": [second]},
                              expected_version=version)
    assert links_of(engine, aid) == [second]
    with write_session(engine) as s:
        hist = action_history(s, aid)
        assert f"Engagements : {first} → {second}" in hist["détail"].iloc[0]
        created = int(hist["id"].iloc[-1])
        editing.restore_version(s, actors["admin-pemb"], aid, created)
    assert links_of(engine, aid) == [first]
    with write_session(engine) as s:
        assert s.get(Action, aid).version == version + 2
