"""The COPIL document for elected officials (issue 24, item 4): short when there is little to
say, theme headings above the numbered engagements, angles morts axis by axis then by number,
no title cut, the cover naming the contrats de ville, a workbook with widths and numbers.
Read back with pdfinfo/pdftotext and openpyxl; expected values from raw SQL."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from perr_model import cli
from perr_model.store import make_engine
from sql_support import counted_sql
from test_report_copil import add_actions

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext absent (apt-get install poppler-utils)")
NB = str.maketrans({"\u202f": " ", "\u00a0": " "})
PTE, PEMB = "paris-terres-d-envol", "paris-est-marne-et-bois"


def make(url: str, slug: str, year, out, monkeypatch) -> tuple[str, object]:
    """The CLI's document; (flat text of the PDF, path)."""
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["report", "copil", "--territory", slug, "--year", str(year or "toutes"),
                     "--out", str(out)]) == 0
    return flat(out), out


def flat(path, first: int | None = None, last: int | None = None) -> str:
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    out = subprocess.run(["pdftotext", *pages, str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return " ".join(out.translate(NB).split())


def page_count(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def rows(url: str, sql: str, **params) -> list[tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(text(sql), params)]
    finally:
        engine.dispose()


def tid_of(url: str, slug: str) -> int:
    return rows(url, "select id from territory where slug = :s", s=slug)[0][0]


def section(txt: str, start: str, end: str) -> str:
    return txt[txt.index(start):txt.index(end, txt.index(start))]


# --- short when there is little to say --------------------------------------------------------

def test_a_territory_without_action_gets_a_short_document(embedded_sqlite, tmp_path,
                                                          monkeypatch):
    url = f"sqlite:///{embedded_sqlite}"
    tid = tid_of(url, PTE)
    assert rows(url, f"select count(*) from action a where {counted_sql(tid, None)}") == [(0,)]
    txt, out = make(url, PTE, None, tmp_path / "pte.pdf", monkeypatch)
    assert page_count(out) <= 5
    axes = rows(url, "select position from axis where territory_id = :t", t=tid)
    # the angles morts in one table, one row per axis, and what the committee may decide
    assert "Angles morts par axe" in txt and "Ce que le COPIL peut décider" in txt
    assert "Actions par commune et par axe" not in txt          # no table of zeros
    assert subprocess.run(["pdfimages", "-list", str(out)], check=True, capture_output=True,
                          text=True).stdout.splitlines()[2:] == []   # no map of zeros
    assert len(axes) == 4


def test_axes_with_the_same_distribution_share_one_map(embedded_sqlite, tmp_path,
                                                       monkeypatch):
    """Paris Est Marne & Bois in 2021: one action, on one axis; the other axes have none in
    any commune: one map, and the axes without action named instead of drawn."""
    url = f"sqlite:///{embedded_sqlite}"
    tid = tid_of(url, PEMB)
    served = rows(url, f"""select count(distinct s.axis_id) from action a join (
        select axis_id, action_id from action_axis union
        select k.axis_id, ac.action_id from action_commitment ac
        join commitment k on k.id = ac.commitment_id) s on s.action_id = a.id
        where {counted_sql(tid, 2021)}""")[0][0]
    txt, out = make(url, PEMB, 2021, tmp_path / "pemb.pdf", monkeypatch)
    images = subprocess.run(["pdfimages", "-list", str(out)], check=True, capture_output=True,
                            text=True).stdout.splitlines()[2:]
    assert served == 1 and len(images) == 1
    assert "Sans action dans aucune commune (pas de carte)" in txt


# --- theme headings and the order of the angles morts -----------------------------------------

def test_engagements_are_listed_under_their_theme_headings(embedded_sqlite, tmp_path,
                                                           monkeypatch):
    url = f"sqlite:///{embedded_sqlite}"
    tid = tid_of(url, PEMB)
    txt, _ = make(url, PEMB, None, tmp_path / "pemb.pdf", monkeypatch)
    part = section(txt, "Engagements des communes et actions", "Financements des actions et")
    themes = rows(url, """select c.name, k.theme_position, k.theme from commitment k
        join commune c on c.id = k.commune_id where k.territory_id = :t
        group by c.name, k.theme_position, k.theme order by c.name, k.theme_position""", t=tid)
    assert len(themes) > 10
    at = 0
    for commune, position, theme in themes:     # in the protocol's order, commune by commune
        heading = f"Thème {position} – {' '.join(theme.split())}"
        found = part.find(heading, at)
        assert found >= 0, (commune, heading)
        at = found + len(heading)
    # the angles morts say which commune and theme each numbered engagement belongs to
    angles = section(txt, "Angles morts : engagements", "Engagements des communes et actions")
    assert "Champigny-sur-Marne – thème : Réussite éducative et prévention de la délinquance" \
        in angles


def _natural(reference: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.-]", reference))


def test_angles_morts_go_axis_by_axis_then_by_number(loaded_url, tmp_path, monkeypatch):
    """Commitments (Paris Est Marne & Bois, all years) and operational objectives (Paris Terres
    d'Envol in 2021, once a few actions are added): the protocol's order, whatever the
    counts."""
    add_actions(loaded_url, PTE)
    tid = tid_of(loaded_url, PEMB)
    want = [r[0] for r in rows(loaded_url, f"""
        select 'E-' || c.insee_code || '-' || k.theme_position || '-' || k.position, x.position,
               k.theme_position, k.position, c.insee_code
        from commitment k join commune c on c.id = k.commune_id
        left join axis x on x.id = k.axis_id
        where k.territory_id = :t and not exists (
            select 1 from action_commitment ac join action a on a.id = ac.action_id
            where ac.commitment_id = k.id and {counted_sql(tid, None)})""", t=tid)]
    by_axis = {r[0]: r[1] for r in rows(loaded_url, """
        select 'E-' || c.insee_code || '-' || k.theme_position || '-' || k.position, x.position
        from commitment k join commune c on c.id = k.commune_id
        left join axis x on x.id = k.axis_id where k.territory_id = :t""", t=tid)}
    want.sort(key=lambda ref: (by_axis[ref], _natural(ref)))
    txt, _ = make(loaded_url, PEMB, None, tmp_path / "pemb.pdf", monkeypatch)
    listed = re.findall(r"E-\d{5}-\d+-\d+", section(txt, "Angles morts : engagements",
                                                      "Engagements des communes et actions"))
    assert listed == want and len(want) > 20

    tid = tid_of(loaded_url, PTE)
    want = [f"{a}.{g}.{o}" for a, g, o in rows(loaded_url, f"""
        select coalesce(x.number, x.position), coalesce(g.number, g.position), o.position
        from operational_objective o join objective_group g on g.id = o.group_id
        join strategic_objective s on s.id = g.strategic_objective_id
        join axis x on x.id = s.axis_id
        where x.territory_id = :t and not exists (
            select 1 from action_objective ao join action a on a.id = ao.action_id
            where ao.objective_id = o.id and {counted_sql(tid, 2021)})
        order by x.position, s.position, g.position, o.position""", t=tid)]
    txt, _ = make(loaded_url, PTE, 2021, tmp_path / "pte.pdf", monkeypatch)
    listed = re.findall(r"(?<![\d.])\d\.\d+\.\d+(?![\d.])",
                        section(txt, "Angles morts : objectifs", "Engagements des communes"))
    assert listed == want and len(want) > 60


# --- nothing cut, the cover names the contracts ----------------------------------------------

LONG_AXIS = ("Cohésion sociale, éducation, santé, accès aux droits et au sport, culture et "
             "citoyenneté pour chaque habitant des quartiers prioritaires du territoire")


def test_a_long_axis_title_is_printed_whole_in_pdf_and_xlsx(embedded_sqlite, tmp_path,
                                                            monkeypatch):
    db = tmp_path / "copie.sqlite"
    shutil.copy(embedded_sqlite, db)
    url = f"sqlite:///{db}"
    tid = tid_of(url, PEMB)
    assert len(LONG_AXIS) > 120
    engine = make_engine(url, read_only=False)
    with engine.begin() as c:
        c.execute(text("update axis set title = :x, short_title = null where territory_id = :t "
                       "and position = (select min(position) from axis where territory_id = :t)"),
                  {"x": LONG_AXIS, "t": tid})
    engine.dispose()
    from perr_model.figures import stored
    stored.refresh(make_engine(url, read_only=False))
    txt, out = make(url, PEMB, None, tmp_path / "pemb.pdf", monkeypatch)
    angles = section(txt, "Angles morts : engagements", "Engagements des communes et actions")
    assert f"Axe 1 – {LONG_AXIS} (" in angles                 # the axis heading, whole
    assert "…" not in section(txt, "Chiffres clés", "Engagements des communes et actions")
    wb = load_workbook(out.with_suffix(".xlsx"))
    cells = {str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v}
    assert f"Axe 1 – {LONG_AXIS}" in cells and LONG_AXIS in cells
    assert not any(c.endswith("…") and LONG_AXIS[:40] in c for c in cells)


@pytest.mark.parametrize("slug, year, generation", [(PTE, None, 2015), (PTE, 2021, 2015),
                                                    (PEMB, 2022, 2015), (PTE, 2024, 2024)])
def test_the_cover_names_the_contrats_de_ville_of_the_year(embedded_sqlite, tmp_path,
                                                           monkeypatch, slug, year, generation):
    url = f"sqlite:///{embedded_sqlite}"
    contracts = rows(url, "select code, name from contrat_de_ville where territory_id = :t "
                          "and generation = :g order by code",
                     t=tid_of(url, slug), g=generation)
    others = rows(url, "select code from contrat_de_ville where territory_id = :t "
                       "and generation <> :g", t=tid_of(url, slug), g=generation)
    assert contracts and others
    _, out = make(url, slug, year, tmp_path / "doc.pdf", monkeypatch)
    cover = flat(out, 1, 1)
    several = len(contracts) > 1
    assert ("Comité de pilotage des contrats de ville" if several
            else "Comité de pilotage du contrat de ville") in cover
    for code, name in contracts:
        assert f"{name} ({code})" in cover, code
    for (code,) in others:
        assert code not in cover


# --- the workbook -----------------------------------------------------------------------------

def test_workbook_has_widths_numbers_and_the_pdf_words(embedded_sqlite, tmp_path,
                                                       monkeypatch):
    url = f"sqlite:///{embedded_sqlite}"
    tid = tid_of(url, PEMB)
    txt, out = make(url, PEMB, 2021, tmp_path / "pemb.pdf", monkeypatch)
    lines = rows(url, f"select count(*) from funding_line f join action a on a.id = f.action_id "
                      f"where {counted_sql(tid, 2021)}")[0][0]
    assert lines == 0 and "non renseigné" in section(txt, "Couverture par axe", "Cartes")
    wb = load_workbook(out.with_suffix(".xlsx"))
    for ws in wb:
        for i in range(1, ws.max_column + 1):
            letter = ws.cell(1, i).column_letter
            assert letter in ws.column_dimensions and ws.column_dimensions[letter].width, \
                (ws.title, letter)
    key = {r[0]: r[1] for r in wb["Chiffres clés"].iter_rows(min_row=2, values_only=True)}
    assert key["Montants accordés aux actions"] == "aucun financement saisi"   # as the PDF
    assert isinstance(key["Actions comptées"], int)
    assert isinstance(key["Postes adultes-relais et FONJEP de l'État (montant)"], float)
    axes = list(wb["Couverture par axe"].iter_rows(min_row=2, values_only=True))
    assert all(isinstance(v, int) for r in axes for v in r[2:7])
    assert {r[7] for r in axes} == {"non renseigné"}
    matrix = list(wb["Axes x communes"].iter_rows(min_row=2, values_only=True))
    assert all(isinstance(v, int) for r in matrix for v in r[1:])


# --- « Préparer le document » in the time of a click (issue 27, item 3) --------------------------

def test_maps_are_drawn_once_for_the_same_data_and_anew_for_new_data(embedded_sqlite, tmp_path,
                                                                      monkeypatch):
    from sqlalchemy.orm import Session

    from perr_model.copil import data as copil_data, pdf as copil_pdf
    db = tmp_path / "copie.sqlite"
    shutil.copy(embedded_sqlite, db)
    url = f"sqlite:///{db}"
    drawn = []
    real = copil_pdf._draw_map
    monkeypatch.setattr(copil_pdf, "_draw_map", lambda *a: drawn.append(a[1]) or real(*a))
    monkeypatch.setattr(copil_pdf, "_MAPS", type(copil_pdf._MAPS)())

    def build():
        engine = make_engine(url)
        with Session(engine) as s:
            done = copil_pdf.render(copil_data.copil_data(s, PEMB, None))
        engine.dispose()
        return done

    first = build()
    assert len(drawn) >= 1
    n = len(drawn)
    assert build().pdf[-2000:] and len(drawn) == n          # the same data: no map drawn again
    tid = tid_of(url, PEMB)
    from sqlalchemy import select

    from perr_model.schema import Action, Axis, Commune
    from perr_model.store import write_session
    engine = make_engine(url, read_only=False)
    with write_session(engine) as s:   # one more action, on axis 1, in Fontenay-sous-Bois
        axis = s.scalars(select(Axis).filter_by(territory_id=tid).order_by(Axis.position)).first()
        a = Action(reference="essai-carte", territory_id=tid, title="Essai", origin="manual")
        a.axes = [axis]
        a.communes = [s.scalars(select(Commune).filter_by(insee_code="94033")).one()]
        s.add(a)
    engine.dispose()
    build()
    assert len(drawn) == n + 1 and first.pages > 5            # only the changed axis' map
