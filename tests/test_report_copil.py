"""The COPIL document: rendered by the CLI for each territory of the embedded data, read back
with pdftotext/pdfimages and openpyxl, and checked against direct SQL on the same store."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from perr_model import cli
from perr_model.vocabulary import euros as fr_euros, fr_date, number as fr_number
from perr_model.schema import (
    Action, Axis, Commitment, Commune, ContratDeVille, FundingLine, ObjectiveGroup,
    OperationalObjective, StrategicObjective, Territory,
)
from perr_model.store import make_engine, write_session

YEAR = 2021
LIVE = ("a.territory_id = :t AND NOT a.archived AND a.year_start <= :y "
        "AND coalesce(a.year_end, a.year_start) >= :y")
AXIS_LINKS = """
    SELECT aa.action_id FROM action_axis aa WHERE aa.axis_id = :axis
    UNION SELECT ao.action_id FROM action_objective ao
      JOIN operational_objective o ON o.id = ao.objective_id
      JOIN objective_group g ON g.id = o.group_id
      JOIN strategic_objective s ON s.id = g.strategic_objective_id WHERE s.axis_id = :axis
    UNION SELECT ac.action_id FROM action_commitment ac
      JOIN commitment c ON c.id = ac.commitment_id WHERE c.axis_id = :axis"""
COMMUNE_LINKS = """
    SELECT ac.action_id FROM action_commune ac WHERE ac.commune_id = :c
    UNION SELECT aq.action_id FROM action_qpv aq
      JOIN qpv_commune qc ON qc.qpv_id = aq.qpv_id WHERE qc.commune_id = :c"""
PERSON = "Jeanne Témoin-Privé"

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext absent (apt-get install poppler-utils)")


def add_actions(url: str, slug: str) -> None:
    """A few actions of known shape: counted, archived, other year, without year."""
    engine = make_engine(url, read_only=False)
    with write_session(engine) as s:
        t = s.scalars(select(Territory).filter_by(slug=slug)).one()
        communes = s.scalars(select(Commune).filter_by(territory_id=t.id)
                             .order_by(Commune.name)).all()
        axes = s.scalars(select(Axis).filter_by(territory_id=t.id).order_by(Axis.position)).all()
        objective = s.scalars(
            select(OperationalObjective).join(ObjectiveGroup).join(StrategicObjective)
            .join(Axis).where(Axis.territory_id == t.id)).first()
        commitment = s.scalars(select(Commitment).filter_by(territory_id=t.id)).first()

        def action(ref, start, end=None, archived=False, **links):
            a = Action(reference=f"test-{slug}-{ref}", territory_id=t.id, title=f"Action {ref}",
                       holder_name="Association Essai", year_start=start, year_end=end,
                       archived=archived, origin="manual", contact_name=PERSON,
                       contact_email="jeanne@example.org", created_by=PERSON)
            a.communes = links.get("communes", [])
            a.axes = links.get("axes", [])
            a.objectives = links.get("objectives", [])
            a.commitments = links.get("commitments", [])
            s.add(a)
            return a

        first = action("A", YEAR - 1, YEAR, communes=communes[:1], axes=axes[:1])
        first.funding_lines = [
            FundingLine(funder="commune", year=YEAR, amount_requested=12000, amount_approved=10000),
            FundingLine(funder="etat_p147", year=None, amount_approved=12345.5),
            FundingLine(funder="caf", year=YEAR - 1, amount_approved=999)]
        second = action("B", YEAR, communes=communes[1:3], axes=axes[-1:],
                        objectives=[objective] if objective else [],
                        commitments=[commitment] if commitment else [])
        second.funding_lines = [FundingLine(funder="etat_p147", year=None, amount_approved=7000)]
        action("C", YEAR, archived=True, communes=communes[:1], axes=axes[:1])
        action("D", YEAR - 3, communes=communes[:1], axes=axes[:1])
        action("E", None, communes=communes[:1], axes=axes[:1])
        cv = s.scalars(select(ContratDeVille).filter_by(territory_id=t.id)).first()
        s.add(FundingLine(contrat_de_ville_id=cv.id, funder="etat_adultes_relais", year=YEAR,
                          amount_approved=21254, external_ref="test-poste", origin="anct"))
    engine.dispose()


def embedded_posts(slug: str, year: int | None = None) -> float:
    """The ANCT posts of the territory's contrats de ville in the embedded extracts of data/,
    summed here from the JSON files (data/territories.yaml gives the contrats)."""
    import json
    from decimal import Decimal
    from pathlib import Path

    import yaml
    data = Path(__file__).resolve().parents[1] / "data"
    meta = yaml.safe_load((data / "territories.yaml").read_text(encoding="utf-8"))
    codes = {cv["code"] for t in meta["territories"] if t["slug"] == slug
             for cv in t["contrats_de_ville"]}
    total = Decimal(0)
    for path in (data / "anct").glob("*.json"):
        for post in json.loads(path.read_text(encoding="utf-8")):
            if post["code_cv"] in codes and (year is None or int(post["annee"]) == year):
                total += Decimal(str(post["montant"]))
    return float(total)


def sql_figures(url: str, slug: str) -> dict:
    engine = make_engine(url)
    with engine.connect() as c:
        t = c.execute(text("SELECT id FROM territory WHERE slug = :s"), {"s": slug}).scalar_one()
        p = {"t": t, "y": YEAR}
        fig = {"actions": c.execute(text(f"SELECT count(*) FROM action a WHERE {LIVE}"),
                                    p).scalar_one()}
        fig["approved"] = float(c.execute(text(
            "SELECT coalesce(sum(f.amount_approved), 0) FROM funding_line f "
            f"JOIN action a ON a.id = f.action_id WHERE {LIVE} "
            "AND coalesce(f.year, a.year_start) = :y"), p).scalar_one())
        fig["posts"] = float(c.execute(text(
            "SELECT coalesce(sum(f.amount_approved), 0) FROM funding_line f "
            "JOIN contrat_de_ville cv ON cv.id = f.contrat_de_ville_id "
            "WHERE f.action_id IS NULL AND cv.territory_id = :t AND f.year = :y"), p).scalar_one())
        objectives = ("FROM operational_objective o JOIN objective_group g ON g.id = o.group_id"
                      " JOIN strategic_objective s ON s.id = g.strategic_objective_id"
                      " JOIN axis x ON x.id = s.axis_id WHERE x.territory_id = :t")
        fig["basis"] = ("objectives" if c.execute(text(f"SELECT count(*) {objectives}"), p)
                        .scalar_one() else "commitments")
        fig["angles"] = c.execute(text(
            f"SELECT count(*) {objectives} AND NOT EXISTS ("
            "  SELECT 1 FROM action_objective ao JOIN action a ON a.id = ao.action_id"
            f"  WHERE ao.objective_id = o.id AND {LIVE})") if fig["basis"] == "objectives" else
            text("SELECT count(*) FROM commitment m WHERE m.territory_id = :t AND NOT EXISTS ("
                 "  SELECT 1 FROM action_commitment ac JOIN action a ON a.id = ac.action_id"
                 f"  WHERE ac.commitment_id = m.id AND {LIVE})"), p).scalar_one()
        axes = c.execute(text("SELECT id, position FROM axis WHERE territory_id = :t "
                              "ORDER BY position"), p).all()
        communes = c.execute(text("SELECT id, name FROM commune WHERE territory_id = :t "
                                  "ORDER BY name"), p).all()
        fig["per_axis"] = [c.execute(text(
            f"SELECT count(DISTINCT l.action_id) FROM ({AXIS_LINKS}) l "
            f"JOIN action a ON a.id = l.action_id WHERE {LIVE}"), {**p, "axis": ax}).scalar_one()
            for ax, _ in axes]
        fig["matrix"] = {name: [c.execute(text(
            f"SELECT count(DISTINCT l.action_id) FROM ({AXIS_LINKS}) l "
            f"JOIN ({COMMUNE_LINKS}) m ON m.action_id = l.action_id "
            f"JOIN action a ON a.id = l.action_id WHERE {LIVE}"),
            {**p, "axis": ax, "c": cid}).scalar_one() for ax, _ in axes]
            for cid, name in communes}
        fig["undated"] = c.execute(text(
            "SELECT count(*) FROM action a WHERE a.territory_id = :t AND NOT a.archived "
            "AND a.year_start IS NULL AND a.year_end IS NULL"), p).scalar_one()
        fig["name"] = c.execute(text("SELECT name FROM territory WHERE id = :t"), p).scalar_one()
    engine.dispose()
    return fig


def pdf_text(path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return out.replace("\u202f", " ").replace("\u00a0", " ")


def value_of(txt: str, label: str) -> str:
    m = re.search(re.escape(label) + r"\s{2,}(.+)", txt)
    assert m, f"« {label} » absent du PDF"
    return m.group(1).strip()


def money(value: float) -> str:
    return fr_euros(value).replace("\u202f", " ").replace("\u00a0", " ")


@pytest.mark.parametrize("slug", ["paris-terres-d-envol", "paris-est-marne-et-bois"])
def test_copil_pdf_and_xlsx_agree_with_sql(loaded_url, slug, tmp_path, monkeypatch, capsys):
    add_actions(loaded_url, slug)
    fig = sql_figures(loaded_url, slug)
    assert fig["actions"] >= 2  # the fixture's shape; posts: the extract's and the fixture's
    assert round(fig["posts"], 2) == round(embedded_posts(slug, YEAR) + 21254, 2)
    monkeypatch.setenv("DATABASE_URL", loaded_url)
    out = tmp_path / "copil.pdf"
    assert cli.main(["report", "copil", "--territory", fig["name"], "--year", str(YEAR),
                     "--out", str(out)]) == 0
    txt = pdf_text(out)

    assert value_of(txt, "Actions comptées") == str(fig["actions"])
    assert value_of(txt, "Actions sans année renseignée (non comptées)") == fr_number(
        fig["undated"]) != "0"
    label = {"objectives": "Angles morts (objectifs opérationnels sans action)",
             "commitments": "Angles morts (engagements des communes sans action)"}[fig["basis"]]
    assert value_of(txt, label) == fr_number(fig["angles"])
    assert value_of(txt, "Montants accordés aux actions") == money(fig["approved"])
    assert value_of(txt, "Postes adultes-relais et FONJEP de l'État (montant)") == money(fig["posts"])
    assert f"Document produit le {fr_date(date.today())}" in txt
    for commune, counts in fig["matrix"].items():
        row = re.search(rf"^\s*{re.escape(commune)}((?:\s+\d+)+)\s*$", txt, re.M)
        assert row and [int(v) for v in row.group(1).split()] == counts, commune
    assert PERSON not in txt and "example.org" not in txt

    images = subprocess.run(["pdfimages", "-list", str(out)], check=True, capture_output=True,
                            text=True).stdout.splitlines()[2:]
    # one map per distribution of the actions over the communes: axes that share one share a
    # map, an axis without any action in any commune has none (issue 24: no identical maps)
    by_axis = {tuple(counts[i] for counts in fig["matrix"].values())
               for i in range(len(fig["per_axis"]))}
    assert len(images) == len({d for d in by_axis if any(d)}) > 0

    wb = load_workbook(out.with_suffix(".xlsx"), read_only=True)
    axes_rows = list(wb["Couverture par axe"].iter_rows(min_row=2, values_only=True))
    assert [r[6] for r in axes_rows] == fig["per_axis"]
    money_rows = list(wb["Financements des actions"].iter_rows(min_row=2, values_only=True))
    assert sum(r[4] for r in money_rows) == pytest.approx(fig["approved"])
    post_rows = list(wb["Postes de l'État"].iter_rows(min_row=2, values_only=True))
    assert sum(r[7] for r in post_rows) == pytest.approx(fig["posts"])
    key = {r[0]: r[1] for r in wb["Chiffres clés"].iter_rows(min_row=2, values_only=True)}
    assert key["Actions comptées"] == fig["actions"]
    assert key["Montants accordés aux actions"] == pytest.approx(fig["approved"])
    cells = " ".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row)
    assert PERSON not in cells
    assert f"Document COPIL écrit : {out}" in capsys.readouterr().out


def test_copil_for_every_year_counts_undated_actions(embedded_sqlite, tmp_path, monkeypatch):
    """« --year toutes »: every non-archived action, the protocol's undated ones included (Paris
    Est Marne & Bois' 42 "actions en cours", 28 have no year), every funding line and post."""
    url = f"sqlite:///{tmp_path / 'perr.sqlite'}"
    shutil.copy(embedded_sqlite, tmp_path / "perr.sqlite")
    add_actions(url, "paris-est-marne-et-bois")
    engine = make_engine(url)
    with engine.connect() as c:
        t = c.execute(text("SELECT id FROM territory WHERE slug = 'paris-est-marne-et-bois'")
                      ).scalar_one()
        live = c.execute(text("SELECT count(*) FROM action WHERE territory_id = :t "
                              "AND NOT archived"), {"t": t}).scalar_one()
        undated = c.execute(text("SELECT count(*) FROM action WHERE territory_id = :t AND NOT "
                                 "archived AND year_start IS NULL"), {"t": t}).scalar_one()
        approved = float(c.execute(text(
            "SELECT sum(f.amount_approved) FROM funding_line f JOIN action a ON a.id = "
            "f.action_id WHERE a.territory_id = :t AND NOT a.archived"), {"t": t}).scalar_one())
    engine.dispose()
    assert live >= 42 + 4 and 0 < undated < live   # Champigny's protocol actions + the fixture's
    monkeypatch.setenv("DATABASE_URL", url)
    out = tmp_path / "toutes.pdf"
    assert cli.main(["report", "copil", "--territory", "paris-est-marne-et-bois", "--year",
                     "toutes", "--out", str(out)]) == 0
    txt = pdf_text(out)
    assert "Toutes les années" in txt
    assert value_of(txt, "Actions comptées") == fr_number(live)
    assert value_of(txt, "Actions sans année renseignée (comptées)") == fr_number(undated)
    assert value_of(txt, "Montants accordés aux actions") == money(approved)
    assert value_of(txt, "Postes adultes-relais et FONJEP de l'État (montant)") == money(
        embedded_posts("paris-est-marne-et-bois") + 21254)
    wb = load_workbook(out.with_suffix(".xlsx"), read_only=True)
    key = {r[0]: r[1] for r in wb["Chiffres clés"].iter_rows(min_row=2, values_only=True)}
    assert key["Actions comptées"] == live


def test_copil_year_must_be_a_year_or_toutes(embedded_sqlite, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{embedded_sqlite}")
    code = cli.main(["report", "copil", "--territory", "paris-est-marne-et-bois", "--year",
                     "l'an dernier", "--out", str(tmp_path / "x.pdf")])
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["Erreur : Année invalide : « l'an dernier » (une année comme 2022, ou "
                   "« toutes »)."]
    assert not (tmp_path / "x.pdf").exists()


def test_copil_for_one_commune_keeps_its_commitments_only(embedded_sqlite, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{embedded_sqlite}")
    out = tmp_path / "champigny.pdf"
    assert cli.main(["report", "copil", "--territory", "paris-est-marne-et-bois", "--year",
                     str(YEAR), "--commune", "94017", "--out", str(out)]) == 0
    txt = pdf_text(out)
    assert "Paris Est Marne & Bois – Champigny-sur-Marne" in txt
    heads = re.findall(r"^\s*(.+?) : \d+ engagement\(s\) sur \d+", txt, re.M)
    engine = make_engine(f"sqlite:///{embedded_sqlite}")
    with engine.connect() as c:
        n = c.execute(text("SELECT count(*) FROM commitment m JOIN commune c ON c.id = m.commune_id"
                           " WHERE c.insee_code = '94017'")).scalar_one()
    engine.dispose()
    assert heads == (["Champigny-sur-Marne"] if n else [])
    assert "Fontenay-sous-Bois :" not in txt


def test_unknown_territory_is_one_french_line(embedded_sqlite, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{embedded_sqlite}")
    assert cli.main(["report", "copil", "--territory", "Atlantide", "--year", "2021",
                     "--out", str(tmp_path / "x.pdf")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Erreur : Territoire inconnu : « Atlantide »") and "\n" not in err
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("value, shown", [(12345, "12\u202f345"), (0, "0"), (None, "aucune donnée"),
                                          (1234567.6, "1\u202f234\u202f568")])
def test_french_number_format(value, shown):
    assert fr_number(value) == shown


def test_french_money_and_date_format():
    assert fr_euros(12345) == "12\u202f345\u00a0€"
    assert fr_date(date(2026, 11, 22)) == "22 novembre 2026"
    assert fr_date(date(2026, 5, 1)) == "1er mai 2026"
