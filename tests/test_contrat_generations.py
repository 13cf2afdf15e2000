"""Both generations of contrats de ville (issue 25, item 1): the embedded national lists, the
2024 posts attached to their 2024–2030 contracts, and a territory's State money following it
from its CVnnn contracts (until 2023) to its CNdddddX contract (from 2024).

The posts files are the small fixtures of tests/fixtures/anct (rows of the official files,
written by `build-embedded --fixtures`); the national lists are the committed extracts of
data/contrats. Expected values come from those JSON files (json + Decimal) or from plain SQL,
never from the importer or the figures under test.
"""
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import yaml
from sqlalchemy import text
from sqlalchemy.orm import Session

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model.auth import Actor
from perr_model.figures import money
from perr_model.figures.scope import Scope
from perr_model.importers.posts import import_posts
from perr_model.store import write_session

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
PTE_2015 = ("CV351", "CV353", "CV907", "CV908")
PTE_2024 = "CN09304M"
FILES = [("adultes-relais-2022.json", "adultes-relais"), ("postes-fonjep-2022.json", "fonjep"),
         ("adultes-relais-2024.json", "adultes-relais"), ("postes-fonjep-2024.json", "fonjep")]


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def national(generation: int) -> list[dict]:
    return _json(DATA / "contrats" / f"contrats-de-ville-{generation}.json")


def raw_sum(shared_data: Path, code: str, year: int) -> Decimal:
    """Sum of the amounts of the fixture rows of `code` in `year` (both funders)."""
    total = Decimal(0)
    for name, _ in FILES:
        for post in _json(shared_data / "anct" / name):
            if post.get("code_cv") == code and int(post["annee"]) == year:
                total += Decimal(str(post["montant"]))
    return total


def import_all(engine, shared_data: Path) -> dict:
    reports = {}
    for name, kind in FILES:
        with write_session(engine) as s:
            reports[name] = import_posts(s, Actor.system(), (shared_data / "anct" / name)
                                         .read_bytes(), kind, source=name)
    return reports


def sql_sum(engine, where: str, **params) -> Decimal:
    with engine.connect() as conn:
        value = conn.execute(text(
            "select coalesce(sum(f.amount_approved), 0) from funding_line f join contrat_de_ville "
            f"c on c.id = f.contrat_de_ville_id where f.action_id is null and {where}"),
            params).scalar_one()
    return Decimal(str(value)).quantize(Decimal("0.01"))


def posts_amount(engine, territory_id: int, year: int | None) -> Decimal:
    with Session(engine) as s:
        df = money.state_posts(s, Scope(territory_id, year))
    return Decimal(str(round(float(df["amount"].sum()), 2))).quantize(Decimal("0.01"))


def test_the_national_lists_of_both_generations_are_embedded_with_their_provenance():
    old, new = national(2015), national(2024)
    assert len(old) == 434 and len({r["code_cv"] for r in old}) == 433  # CV043: 13 and 84
    assert len(new) == 448 and len({r["code_cv"] for r in new}) == 446
    assert all(set(r) == {"code_cv", "lib_cv", "codgeo", "insee_dep"} for r in old + new)
    assert all(r["code_cv"].startswith("CV") and len(r["code_cv"]) == 5 for r in old)
    assert sum(r["code_cv"].startswith("CN") for r in new) == 392  # rows; 56 overseas CVnnn
    pte = [r for r in new if r["code_cv"] == PTE_2024]
    assert pte == [{"code_cv": "CN09304M", "lib_cv": "93 - Paris Terres d'Envol",
                    "codgeo": "200058097", "insee_dep": "93"}]
    assert {r["code_cv"] for r in old if r["insee_dep"] == "93"} >= set(PTE_2015)
    provenance = {d["key"]: d for d in yaml.safe_load(
        (DATA / "sources.yaml").read_text(encoding="utf-8"))["datasets"]}
    for generation, rows in ((2015, 434), (2024, 448)):
        d = provenance[f"contrats-de-ville-{generation}"]
        assert d["file"] == f"contrats/contrats-de-ville-{generation}.json" and d["rows"] == rows
        assert d["publisher"].startswith("ANCT") and d["licence"].startswith("Licence Ouverte")
    # the territories name their contract of each generation
    meta = yaml.safe_load((DATA / "territories.yaml").read_text(encoding="utf-8"))
    by_slug = {t["slug"]: t["contrats_de_ville"] for t in meta["territories"]}
    assert [c["code"] for c in by_slug["paris-terres-d-envol"] if c.get("generation") == 2024] \
        == [PTE_2024]
    assert [c["code"] for c in by_slug["paris-est-marne-et-bois"]
            if c.get("generation") == 2024] == ["CN09403M"]


def test_2024_posts_attach_to_their_2024_contracts(store, shared_data):
    engine = store[0]
    reports = import_all(engine, shared_data)
    for name in ("adultes-relais-2024.json", "postes-fonjep-2024.json"):
        report = reports[name]
        assert report.checked.bad_cv == [] and report.unlisted == {}, name
        assert not any("non reconnu" in line or "absent de la liste" in line
                       for line in report.lines())
    with engine.connect() as conn:
        generations = dict(conn.execute(text(
            "select f.year, min(c.generation) || '-' || max(c.generation) from funding_line f "
            "join contrat_de_ville c on c.id = f.contrat_de_ville_id group by f.year")).all())
        stored = {(code, g, y): (n, Decimal(str(a)).quantize(Decimal("0.01")))
                  for code, g, y, n, a in conn.execute(text(
                      "select c.code, c.generation, f.year, count(*), sum(f.amount_approved) "
                      "from funding_line f join contrat_de_ville c "
                      "on c.id = f.contrat_de_ville_id group by c.code, c.generation, f.year"))}
        names = dict(conn.execute(text(
            "select code, name from contrat_de_ville where generation = 2024")).all())
    assert generations == {2022: "2015-2015", 2024: "2024-2024"}
    expected = defaultdict(lambda: [0, Decimal(0)])
    for name, _ in FILES:
        for post in _json(shared_data / "anct" / name):
            year = int(post["annee"])
            code = post.get("code_cv") or f"SANS-{post.get('insee_dep') or 'CV'}"
            key = (code, 2024 if year >= 2024 else 2015, year)
            expected[key][0] += 1
            expected[key][1] += Decimal(str(post["montant"]))
    assert stored == {k: (n, a.quantize(Decimal("0.01"))) for k, (n, a) in expected.items()}
    # overseas: the same CVnnn code is one contract per generation
    assert ("CV415", 2015, 2022) in stored and ("CV415", 2024, 2024) in stored
    # a contract created by the import is named from the national list of its generation
    published = {r["code_cv"]: r["lib_cv"] for r in national(2024)}
    assert names["CN00101I"] == published["CN00101I"] == "01 - CC Bugey Sud"
    # rows without a code stay by department, counted
    fonjep = _json(shared_data / "anct" / "postes-fonjep-2024.json")
    no_code = [p for p in fonjep if not p.get("code_cv")]
    assert reports["postes-fonjep-2024.json"].checked.no_cv == len(no_code) > 0
    assert stored[("SANS-93", 2024, 2024)][0] == sum(p.get("insee_dep") == "93" for p in no_code)


def test_paris_terres_d_envol_reads_cv_codes_until_2023_and_cn09304m_from_2024(store,
                                                                                shared_data):
    engine, _, _, pte = store
    import_all(engine, shared_data)
    cv_2022 = sql_sum(engine, "f.year = 2022 and c.generation = 2015 and c.code in "
                      "('CV351', 'CV353', 'CV907', 'CV908')")
    cn_2024 = sql_sum(engine, "f.year = 2024 and c.code = 'CN09304M'")
    assert cv_2022 > 0
    assert posts_amount(engine, pte, 2022) == cv_2022
    # the ANCT's 2024 files hold no coded post of Seine-Saint-Denis (its FONJEP rows carry no
    # contract code): the amount read is the CN09304M rows', whatever they are
    assert posts_amount(engine, pte, 2024) == cn_2024
    assert posts_amount(engine, pte, None) == cv_2022 + cn_2024
    with Session(engine) as s:
        table_2022 = money.state_posts_by_contrat(s, Scope(pte, 2022))
        table_2024 = money.state_posts_by_contrat(s, Scope(pte, 2024))
    assert list(table_2022["code"]) == list(PTE_2015)
    assert list(table_2024["code"]) == [PTE_2024]
    assert list(table_2024["period"]) == ["2024–2030"]


def test_a_territory_s_money_follows_it_from_its_cv_contract_to_its_cn_contract(store,
                                                                                 shared_data):
    """CC Bugey Sud: CV003 in 2015–2023, CN00101I in 2024–2030 (the same SIREN in both national
    lists), with posts in the fixtures of both years."""
    engine = store[0]
    siren = {r["code_cv"]: r["codgeo"] for r in national(2015)}
    assert siren["CV003"] == {r["code_cv"]: r["codgeo"] for r in national(2024)}["CN00101I"]
    import_all(engine, shared_data)
    with engine.begin() as conn:
        conn.execute(text("insert into territory (slug, name, kind, axes_from_pillars, "
                          "is_synthetic) values ('bugey-sud', 'CC Bugey Sud', 'EPCI', false, "
                          "false)"))
        tid = conn.execute(text("select id from territory where slug = 'bugey-sud'")).scalar_one()
        conn.execute(text("update contrat_de_ville set territory_id = :t where "
                          "(code = 'CV003' and generation = 2015) or "
                          "(code = 'CN00101I' and generation = 2024)"), {"t": tid})
    old, new = raw_sum(shared_data, "CV003", 2022), raw_sum(shared_data, "CN00101I", 2024)
    assert old > 0 and new > 0
    assert posts_amount(engine, tid, 2022) == old
    assert posts_amount(engine, tid, 2024) == new
    assert posts_amount(engine, tid, None) == old + new


def test_a_code_of_the_other_generation_is_reported_and_kept_apart(store, shared_data):
    """A 2022 row of the fixture with its year set to 2024 (what a file mixing the generations
    would hold): CV351 is not a contract of 2024–2030, so the row is not Paris Terres d'Envol's
    2024 money; it is kept on a CV351 of the 2024 generation, without territory, and reported."""
    engine, _, _, pte = store
    rows = [p for p in _json(shared_data / "anct" / "adultes-relais-2022.json")
            if p["code_cv"] == "CV351"][:1]
    rows[0] = dict(rows[0], annee=2024)
    with write_session(engine) as s:
        report = import_posts(s, Actor.system(), json.dumps(rows), "adultes-relais",
                              source="essai")
    assert report.unlisted == {("CV351", 2024): 1}
    assert any("« CV351 » absent de la liste nationale des contrats de ville 2024–2030" in line
               for line in report.lines())
    with engine.connect() as conn:
        where = conn.execute(text(
            "select c.generation, c.territory_id from funding_line f join contrat_de_ville c "
            "on c.id = f.contrat_de_ville_id where f.year = 2024")).all()
    assert where == [(2024, None)]
    assert posts_amount(engine, pte, 2024) == 0
