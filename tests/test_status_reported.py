"""Progress only from statuses someone gave, and « demandés / accordés » compared only where
both are known (issue 24, items 2 and 3): the Évaluation figures (progress.planned_vs_achieved,
progress.words), the page, the COPIL section (PDF and XLSX), the editing service and migration
0016. Expected values from raw SQL or worked by hand; SQLite and PostgreSQL."""
from __future__ import annotations

import io
import re
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from editing_support import places_url, store  # noqa: F401 - fixtures
from page_support import PEMB, PTE, Page, on, territory_id  # noqa: F401
from perr_model import editing, migrate
from perr_model.evaluation import progress
from perr_model.schema import Action, Axis, Commune, FundingLine, Territory
from perr_model.store import make_engine, write_session

NNBSP, NBSP = "\u202f", "\u00a0"
YEAR = 2031  # the protocol's own actions do not run then

# what the statuses are worth, written out again (not read from the code under test)
SQL_PROGRESS = ("avg(case status when 'en_projet' then 0 when 'programmee' then 10 "
                "when 'en_cours' then 50 when 'terminee' then 100 end)")


@pytest.fixture
def pemb(loaded_url, rw_engine):
    """Five actions of Paris Est Marne & Bois in 2031:

    R1 terminée (given),  lines: requested 1 000 / approved 800; requested empty / approved 300
    R2 programmée (given), line: requested 200 / approved 150
    U1, U2 « en cours » nobody gave (as the protocol's), no money
    AB abandonnée (given), no money
    progress: (100 + 10) / 2 = 55 % on 2 actions of 4 live; 2 not reported; 1 abandoned.
    money: approved 1 250; requested 1 200 on 2 lines of 3; compared on those 2: 1 200 / 950.
    """
    engine = rw_engine(loaded_url)
    with write_session(engine) as s:
        t = s.scalars(select(Territory).where(Territory.slug == PEMB)).one()
        champigny = s.scalars(select(Commune).where(Commune.insee_code == "94017")).one()
        axis = s.scalars(select(Axis).where(Axis.territory_id == t.id)
                         .order_by(Axis.position)).first()

        def add(ref, status, reported=True, lines=()):
            s.add(Action(reference=ref, territory_id=t.id, title=ref, status=status,
                         status_reported=reported, year_start=YEAR, origin="manual",
                         communes=[champigny], axes=[axis], funding_lines=[
                             FundingLine(funder="commune", year=YEAR, amount_requested=r,
                                         amount_approved=a) for r, a in lines]))
        add("R1", "terminee", lines=[(1000, 800), (None, 300)])
        add("R2", "programmee", lines=[(200, 150)])
        add("U1", "en_cours", reported=False)
        add("U2", "en_cours", reported=False)
        add("AB", "abandonnee")
    return engine, t.id


def test_progress_counts_the_statuses_someone_gave_only(pemb, loaded_url):
    engine, tid = pemb
    with engine.connect() as c:
        want = float(c.execute(text(
            f"select {SQL_PROGRESS} from action where territory_id = :t and year_start = :y "
            "and status_reported and status <> 'abandonnee' and not archived"),
            {"t": tid, "y": YEAR}).scalar())
        unreported = c.execute(text("select count(*) from action where territory_id = :t and "
                                    "year_start = :y and not status_reported"),
                               {"t": tid, "y": YEAR}).scalar()
    assert (want, unreported) == (55.0, 2)
    with Session(engine) as s:
        row = progress.planned_vs_achieved(s, tid, YEAR).iloc[0].to_dict()
    assert row["progress"] == pytest.approx(want)
    assert (row["status_reported"], row["progress_actions"], row["abandoned"]) == (2, 4, 1)
    assert ("Avancement : 55 % d'après les statuts de 2 action(s) sur 4 (statut non renseigné "
            "pour 2, laissées de côté) ; 1 abandonnée(s) exclue(s).") in progress.words(row)


def test_the_protocols_actions_have_no_reported_status(loaded_url):
    """The embedded protocols' actions are « en cours » by default: no progress is computed
    from them, and the words say why."""
    engine = make_engine(loaded_url)
    try:
        with engine.connect() as c:
            tid = c.execute(text("select id from territory where slug = :s"),
                            {"s": PEMB}).scalar_one()
            n, given = c.execute(text(
                "select count(*), sum(case when status_reported then 1 else 0 end) from action "
                "where territory_id = :t and not archived"), {"t": tid}).one()
            protocol = c.execute(text("select count(*) from action where territory_id = :t and "
                                      "origin = 'protocol' and not status_reported"),
                                 {"t": tid}).scalar()
        assert n and not given and protocol == n
        with Session(engine) as s:
            row = progress.planned_vs_achieved(s, tid, None).iloc[0].to_dict()
        assert row["progress"] is None and row["status_reported"] == 0
        assert (f"Avancement : non calculé, statut non renseigné pour les {n} action(s).") \
            in progress.words(row)
    finally:
        engine.dispose()


def test_requested_and_granted_are_compared_where_both_are_known(pemb):
    engine, tid = pemb
    with engine.connect() as c:
        lines, req_n, both, req_both, app_both, approved = c.execute(text(
            "select count(*), count(f.amount_requested), "
            "sum(case when f.amount_requested is not null and f.amount_approved is not null "
            "then 1 else 0 end), "
            "sum(case when f.amount_approved is not null then f.amount_requested end), "
            "sum(case when f.amount_requested is not null then f.amount_approved end), "
            "sum(f.amount_approved) from funding_line f join action a on a.id = f.action_id "
            "where a.territory_id = :t and a.year_start = :y and not a.archived "
            "and f.year = :y"), {"t": tid, "y": YEAR}).one()
    assert (lines, req_n, both, float(req_both), float(app_both), float(approved)) == \
        (3, 2, 2, 1200.0, 950.0, 1250.0)
    with Session(engine) as s:
        row = progress.planned_vs_achieved(s, tid, YEAR).iloc[0].to_dict()
    assert (row["lines"], row["requested_lines"], row["compared_lines"]) == (3, 2, 2)
    assert (row["requested_compared"], row["granted_compared"]) == (1200, 950)
    words = progress.words(row)
    assert "Montants accordés : 1\u202f250\u00a0€ (2 action(s) financée(s), 3 ligne(s) de " \
           "financement)." in words
    assert "Montants demandés : 1\u202f200\u00a0€ (renseignés sur 2 ligne(s) sur 3)." in words
    assert ("Demandé et accordé comparés sur 2 ligne(s) sur 3, celles où les deux sont "
            "renseignés : demandés 1\u202f200\u00a0€, accordés 950\u00a0€.") in words


def test_no_requested_amount_is_non_renseigne(pemb):
    engine, tid = pemb
    with write_session(engine) as s:
        for line in s.scalars(select(FundingLine).where(FundingLine.year == YEAR)):
            line.amount_requested = None
    with Session(engine) as s:
        row = progress.planned_vs_achieved(s, tid, YEAR).iloc[0].to_dict()
    assert row["requested"] is None and row["compared_lines"] == 0
    words = progress.words(row)
    assert ("Montants demandés : non renseignés sur les 3 ligne(s) ; demandé et accordé ne "
            "peuvent pas être comparés.") in words
    assert not any(w.startswith("Demandé et accordé comparés") for w in words)


def test_copil_evaluation_says_the_same(pemb, tmp_path):
    """PDF (pdftotext) and XLSX (openpyxl) of the COPIL document for 2031."""
    from perr_model.copil.document import copil_bytes
    engine, tid = pemb
    with Session(engine) as s:
        pdf, xlsx, _ = copil_bytes(s, tid, YEAR)
    (tmp_path / "c.pdf").write_bytes(pdf)
    txt = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], check=True,
                         capture_output=True, text=True).stdout
    flat = re.sub(r"\s+", " ", txt.replace(NNBSP, " ").replace(NBSP, " "))
    assert ("Avancement : 55 % d'après les statuts de 2 action(s) sur 4 (statut non renseigné "
            "pour 2, laissées de côté) ; 1 abandonnée(s) exclue(s).") in flat
    assert ("Demandé et accordé comparés sur 2 ligne(s) sur 3, celles où les deux sont "
            "renseignés : demandés 1 200 €, accordés 950 €.") in flat
    ws = load_workbook(io.BytesIO(xlsx))["Évaluation – prévu réalisé"]
    header, total = [c.value for c in ws[1]], [c.value for c in ws[2]]
    got = dict(zip(header, total))
    assert (got["Lignes de financement"], got["Lignes renseignant le demandé"],
            got["Lignes où demandé et accordé sont renseignés"]) == (3, 2, 2)
    assert (got["Demandé sur ces lignes (€)"], got["Accordé sur ces lignes (€)"]) == (1200, 950)
    assert (got["Avancement (%)"], got["Actions au statut renseigné"]) == (55, 2)


def test_evaluation_page_shows_the_reported_share(pemb, loaded_url, on):
    url = on(loaded_url)
    engine, tid = pemb
    p = Page(url, "pages/evaluation.py", tid, YEAR)
    shown = "\n".join(re.sub(r"\\(.)", r"\1", m.value)  # md() escapes punctuation
                      for m in [*p.at.markdown, *p.at.caption])
    assert "Avancement : 55 % d'après les statuts de 2 action(s) sur 4" in shown
    assert "Demandé et accordé comparés sur 2 ligne(s) sur 3" in shown
    assert "seuls comptent les statuts renseignés par une personne" in shown


def test_editing_sets_the_status_as_given(store):
    """A new action without a status: stored « en cours », not reported; a status given by a
    form or a file: reported; the form's values say « non renseigné » (None) meanwhile."""
    engine, actors, pemb_id, _ = store
    admin = actors["admin-pemb"]
    base = {"title": "Atelier", "year_start": "2024", "communes": ["94017"]}
    with write_session(engine) as s:
        quiet = editing.create_action(s, admin, base, territory_id=pemb_id).id
        said = editing.create_action(s, admin, {**base, "title": "Jardin", "status": "Terminée"},
                                     territory_id=pemb_id).id
    with write_session(engine) as s:
        a, b = s.get(Action, quiet), s.get(Action, said)
        assert (a.status, a.status_reported) == ("en_cours", False)
        assert (b.status, b.status_reported) == ("terminee", True)
        assert editing.snapshot(a)["status"] is None
        editing.update_action(s, admin, quiet, {"title": "Atelier d'écriture"},
                              expected_version=None)  # another field: still not reported
    with write_session(engine) as s:
        assert s.get(Action, quiet).status_reported is False
        editing.update_action(s, admin, quiet, {"status": "en_cours"}, expected_version=None)
    with engine.connect() as c:
        assert c.execute(text("select status, status_reported from action where id = :i"),
                         {"i": quiet}).one() == ("en_cours", True)


def test_migration_0016_marks_the_protocols_untouched_actions(fresh_database):
    engine = make_engine(fresh_database, read_only=False)
    try:
        migrate.upgrade(engine, "0015_commitment_note")
        with engine.begin() as c:
            c.execute(text("insert into territory (id, slug, name, kind, axes_from_pillars, "
                           "is_synthetic) values (1, 't', 'T', 'EPT', false, false)"))
            for i, origin, version in ((1, "protocol", 1), (2, "protocol", 2), (3, "manual", 1)):
                c.execute(text(
                    "insert into action (id, reference, territory_id, title, status, origin, "
                    "is_synthetic, archived, version, created_at, updated_at) values (:i, :r, "
                    "1, 'x', 'en_cours', :o, false, false, :v, '2021-01-01 00:00:00', "
                    "'2021-01-01 00:00:00')"), {"i": i, "r": f"R-{i}", "o": origin, "v": version})
        migrate.upgrade(engine, "heads")
        with engine.connect() as c:
            got = dict(c.execute(text("select id, status_reported from action")).all())
        assert {k: bool(v) for k, v in got.items()} == {1: False, 2: True, 3: True}
        migrate.downgrade(engine, "0015_commitment_note")
        with engine.connect() as c:
            assert c.execute(text("select count(*) from action")).scalar() == 3
        migrate.upgrade(engine, "heads")
        assert migrate.current_revision(engine) == migrate.script_heads()
    finally:
        engine.dispose()


def test_actions_list_shows_and_filters_the_unreported_status(pemb):
    """The Actions list: « non renseigné » in the Statut column; the « En cours » filter keeps
    the statuses someone gave, « Statut non renseigné » the others."""
    from perr_model import action_list
    engine, tid = pemb
    with Session(engine) as s:
        def refs(*statuses):
            f = action_list.ActionFilter(territory_id=tid, year=YEAR, statuses=statuses)
            df = action_list.page(s, f, page_size=100)
            return dict(zip(df["reference"], df["statut"]))
        assert refs() == {"AB": "Abandonnée", "R1": "Terminée", "R2": "Programmée",
                          "U1": "non renseigné", "U2": "non renseigné"}
        assert refs("en_cours") == {}
        assert refs(action_list.UNREPORTED) == {"U1": "non renseigné", "U2": "non renseigné"}
        assert refs("terminee", action_list.UNREPORTED) == {
            "R1": "Terminée", "U1": "non renseigné", "U2": "non renseigné"}
