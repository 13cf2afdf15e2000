"""State posts are a contrat de ville's money (issue 24): Couverture shows them per contract
(never a commune's value on the map), Territoires and the Quartier page name the contract and
show its amount once. Expected values from raw SQL on the post lines (action_id IS NULL)."""
import pytest

from page_support import (PEMB, PTE, Page, html_tables, map_pictures, on, sql,  # noqa: F401
                          sql_rows, territory_id)
from sqlalchemy.orm import Session

from perr_model.figures import Scope, coverage, money
from perr_model.store import make_engine

NBSP, NNBSP = "\u00a0", "\u202f"


def fr_euros(x) -> str:
    return f"{round(float(x)):,d}".replace(",", NNBSP) + f"{NBSP}€"


def sql_by_contrat(url: str, slug: str, year: int, generation: int) -> dict[str, float]:
    """code → sum of the post lines of the year, the territory's contracts of the generation."""
    return {code: float(total) for code, total in sql_rows(
        url, "select cv.code, coalesce(sum(f.amount_approved), 0) from contrat_de_ville cv "
             "join territory t on t.id = cv.territory_id left join funding_line f on "
             "f.contrat_de_ville_id = cv.id and f.action_id is null and f.year = :y "
             "where t.slug = :s and cv.generation = :g group by cv.code", s=slug, y=year,
        g=generation)}


def sql_territory_posts(url: str, slug: str, year: int, generation: int) -> float:
    return float(sql(url, "select coalesce(sum(f.amount_approved), 0) from funding_line f join "
                          "contrat_de_ville cv on cv.id = f.contrat_de_ville_id join territory t "
                          "on t.id = cv.territory_id where f.action_id is null and f.year = :y "
                          "and t.slug = :s and cv.generation = :g", s=slug, y=year,
                     g=generation))


def add_posts(url: str) -> None:
    """Hand-built post lines: PTE's multi-commune CV351 (Drancy, Dugny, Le Bourget) and CV353
    in 2022, on top of whatever the extract holds."""
    engine = make_engine(url, read_only=False)
    with engine.begin() as c:
        from sqlalchemy import text
        ids = dict(c.execute(text("select code, id from contrat_de_ville where code in "
                                  "('CV351', 'CV353')")).all())
        c.execute(text(
            "insert into funding_line (contrat_de_ville_id, funder, year, amount_approved, "
            "origin, is_synthetic) values (:a, 'etat_adultes_relais', 2022, 21254, 'anct', "
            "false), (:a, 'etat_fonjep', 2022, 7164, 'anct', false), "
            "(:b, 'etat_fonjep', 2022, 7164, 'anct', false)"),
            {"a": ids["CV351"], "b": ids["CV353"]})
    engine.dispose()


def test_posts_per_contract_add_up_to_the_territory_total(loaded_url):
    """PTE 2022: one row per contract of the 2015 generation, each its own lines' sum, the rows
    adding up to the territory's total (each post once, not once per commune); the map has no
    posts measure any more (a commune never gets its contract's whole amount)."""
    add_posts(loaded_url)
    engine = make_engine(loaded_url)
    try:
        with Session(engine) as s:
            tid = territory_id(loaded_url, PTE)
            by_cv = money.state_posts_by_contrat(s, Scope(tid, 2022))
            want = sql_by_contrat(loaded_url, PTE, 2022, 2015)
            assert dict(zip(by_cv["code"], by_cv["total"])) == pytest.approx(want)
            total = sql_territory_posts(loaded_url, PTE, 2022, 2015)
            assert float(by_cv["total"].sum()) == pytest.approx(total)
            assert coverage.headline(s, Scope(tid, 2022))["posts_amount"] == pytest.approx(total)
            # CV351 covers three communes: listed once, with its three communes
            [row] = by_cv[by_cv["code"] == "CV351"].to_dict("records")
            assert row["communes"] == "Drancy, Dugny, Le Bourget"
            assert money.contrat_words(row) == (
                f"Contrat de ville « CA de l'Aéroport du Bourget » (2015–2023) : "
                f"{fr_euros(want['CV351'])} ({row['adultes_relais_posts'] + row['fonjep_posts']}"
                " postes-années)")
            with pytest.raises(ValueError):
                coverage.metric_by_place(s, Scope(tid, 2022), None, "posts")
    finally:
        engine.dispose()


def test_couverture_posts_measure_is_a_table_per_contract(on, embedded_sqlite):
    url = on(embedded_sqlite)
    p = Page(url, "pages/couverture.py", territory_id(url, PTE), 2022)
    p.at.button_group(key="cov_measure").set_value("posts")
    p.run()
    assert not map_pictures(p.at)  # no commune map for a contract's money
    assert any(h.value == "Postes de l'État, par contrat de ville" for h in p.at.header)
    assert any("pas à une commune ni à un quartier" in c.value for c in p.at.caption)
    table = next(t for t in html_tables(p.at) if "Communes couvertes" in t.columns)
    want = sql_by_contrat(url, PTE, 2022, 2015)
    names = dict(sql_rows(url, "select code, name from contrat_de_ville"))
    shown = dict(zip(table["Contrat de ville"], table["Postes financés par l'État"]))
    assert shown == {f"Contrat de ville « {names[c]} »": fr_euros(x) for c, x in want.items()}
    [drancy] = table.loc[table["Communes couvertes"].str.contains("Drancy"),
                         "Communes couvertes"]
    assert drancy == "Drancy, Dugny, Le Bourget"
    # the rows add up to the territory's total, the headline figure's
    total = sql_territory_posts(url, PTE, 2022, 2015)
    assert sum(want.values()) == pytest.approx(total)
    # the measure back to actions: the map again
    p.at.button_group(key="cov_measure").set_value("actions")
    p.run()
    assert len(map_pictures(p.at)) == 1


def contract_list(p) -> list[str]:
    import html
    import re
    out = []
    for el in p.at.get("html"):
        if 'data-testid="perr-contrats"' in el.proto.body:
            out += [html.unescape(x) for x in re.findall(r"<li>(.*?)</li>", el.proto.body)]
    return out


@pytest.mark.parametrize("year", [2022, None])
def test_quartier_shows_its_contract_posts_as_the_contracts(on, embedded_sqlite, year):
    """L'Egalité (Champigny-sur-Marne, no action): its contract's posts once, named, never a
    figure of the quartier."""
    url = on(embedded_sqlite)
    tid = territory_id(url, PEMB)
    p = Page(url, "pages/quartier.py", tid, year)
    qpv = sql(url, "select id from qpv where name = 'L''Egalité'")
    p.at.selectbox(key="qpv_id").set_value(qpv)
    p.run()
    assert [m.label for m in p.at.metric if "Postes" in m.label] == []
    years = "" if year is None else f"and f.year = {year}"
    rows = sql_rows(url, "select cv.code, cv.name, cv.generation, coalesce(sum("
                         "f.amount_approved), 0), count(f.id) from contrat_de_ville cv "
                         "left join funding_line f on f.contrat_de_ville_id = cv.id and "
                         f"f.action_id is null {years} where cv.territory_id = :t and "
                         "(cv.id = (select contrat_de_ville_id from commune where name = "
                         "'Champigny-sur-Marne') or cv.generation = 2024) "
                         + ("and cv.generation = 2015 " if year == 2022 else "")
                         + "group by cv.code, cv.name, cv.generation order by cv.generation",
                    t=tid)
    assert rows and rows[0][0] == "CV915" and rows[0][3] > 0
    period = {2015: "2015–2023", 2024: "2024–2030"}
    want = [f"Contrat de ville « {name} » ({period[g]}) : "
            + (f"{fr_euros(total)} ({n} postes-années)" if n else "aucun poste enregistré")
            for _, name, g, total, n in rows]
    assert contract_list(p) == want
    assert any("pas celui du quartier" in c.value for c in p.at.caption)


def test_territoires_names_each_contract_with_its_posts(on, embedded_sqlite):
    url = on(embedded_sqlite)
    p = Page(url, "pages/accueil.py", territory_id(url, PTE), 2022)
    names = dict(sql_rows(url, "select code, name from contrat_de_ville"))
    lines = contract_list(p)
    for slug in (PTE, PEMB):
        for code, total in sql_by_contrat(url, slug, 2022, 2015).items():
            amount = fr_euros(total) if total else "aucun poste enregistré"
            assert any(x.startswith(f"Contrat de ville « {names[code]} » (2015–2023) : "
                                    + amount) for x in lines), (code, lines)


def test_copil_of_a_commune_gives_its_contract_posts_as_the_contracts(embedded_sqlite, tmp_path):
    """Champigny-sur-Marne's document, 2022: the posts' key figures say they are the whole
    contract's, and the posts table names the contract; PDF (pdftotext) = XLSX (openpyxl)."""
    import re
    import subprocess

    from openpyxl import load_workbook

    from perr_model.copil.data import copil_data
    from perr_model.copil.pdf import render_pdf
    from perr_model.copil.xlsx import render_xlsx
    url = f"sqlite:///{embedded_sqlite}"
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            data = copil_data(s, PEMB, 2022, commune="94017")
            (tmp_path / "c.pdf").write_bytes(render_pdf(data))
            render_xlsx(data, tmp_path / "c.xlsx")
    finally:
        engine.dispose()
    [(name, total)] = sql_rows(url, "select cv.name, sum(f.amount_approved) from funding_line f "
                                    "join contrat_de_ville cv on cv.id = f.contrat_de_ville_id "
                                    "where cv.code = 'CV915' and f.action_id is null "
                                    "and f.year = 2022 group by cv.name")
    label = "Postes adultes-relais et FONJEP de l'État, tout le contrat de ville (montant)"
    txt = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], check=True,
                         capture_output=True, text=True).stdout
    flat = re.sub(r"\s+", " ", txt.replace(NNBSP, " ").replace(NBSP, " "))
    money = fr_euros(total).replace(NNBSP, " ").replace(NBSP, " ")
    assert f"{label} {money}" in flat, flat
    assert f"{money} de l'État en postes adultes-relais et FONJEP (tout le contrat de ville " \
           "de la commune)" in flat
    assert f"Contrat de ville « {name} »" in flat
    wb = load_workbook(tmp_path / "c.xlsx")
    key = {r[0]: r[1] for r in wb["Chiffres clés"].iter_rows(min_row=2, values_only=True)}
    assert key[label] == pytest.approx(float(total))
    posts = list(wb["Postes de l'État"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[-1]) for r in posts if r[-1]] == [(name, pytest.approx(float(total)))]
