"""Couverture page: headline figures, axis × commune table, map and angles morts agree with SQL."""
import json
import shutil

import pytest

from page_support import (PEMB, PTE, Page, bar_widths, demo_url, html_tables,  # noqa: F401
                          map_pictures, on, sql, sql_rows, svg_groups, territory_id)
from perr_model import synthetic

ACTIONS, MONEY = "Nombre d'actions", "Montants accordés aux actions (€)"
LIVE = ("select id from action where territory_id=:t and not archived "
        "and year_start<=:y and coalesce(year_end, year_start)>=:y")


def matrix_of(p):
    """The sortable axis × commune grid, built only once its section is open and asked for."""
    if not (p.at.session_state["cov_matrix"] and p.at.session_state["cov_matrix_grid"]):
        p.at.session_state["cov_matrix"] = p.at.session_state["cov_matrix_grid"] = True
        p.run()
    return next(d.value for d in p.at.dataframe if "Total territoire" in d.value.columns)


def test_embedded_territories_render_their_real_counts(on, embedded_sqlite):
    url = on(embedded_sqlite)
    for slug in (PEMB, PTE):
        tid = territory_id(url, slug)
        p = Page(url, "pages/couverture.py", tid)
        expected = sql(url, "select count(*) from action where territory_id=:t and not archived",
                       t=tid)
        assert p.metric("Actions") == str(expected)
        assert len(p.at.metric) == 7
    # PEMB: no operational objectives, so its angles morts are the commitments without action
    p = Page(url, "pages/couverture.py", territory_id(url, PEMB))
    free = sql(url, "select count(*) from commitment where territory_id=:t and id not in "
                    "(select commitment_id from action_commitment ac join action a on "
                    "a.id=ac.action_id where not a.archived)", t=territory_id(url, PEMB))
    assert p.metric("Angles morts") == str(free)
    assert any(c.value.startswith(f"{free} engagements des communes sans aucune action")
               for c in p.at.caption)


def test_year_changes_the_figures(on, demo_url):
    url = on(demo_url)
    tid = territory_id(url, synthetic.SLUG)
    p = Page(url, "pages/couverture.py", tid)
    assert p.metric("Actions") == "2\u202f000"
    assert any("démonstration" in w.value for w in p.at.warning)
    p.year = 2021
    p.run()
    n = sql(url, f"select count(*) from ({LIVE}) x", t=tid, y=2021)
    assert p.metric("Actions") == f"{n:,}".replace(",", "\u202f")
    matrix = matrix_of(p)
    axis1 = sql(url, "select count(distinct l.action_id) from action_axis l join axis a on "
                     f"a.id=l.axis_id where a.territory_id=:t and a.position=1 and l.action_id in ({LIVE})",
                t=tid, y=2021)
    assert matrix.iloc[0]["Total territoire"] == axis1


def test_measure_and_axis_drive_the_table_and_map(on, demo_url):
    url = on(demo_url)
    tid = territory_id(url, synthetic.SLUG)
    p = Page(url, "pages/couverture.py", tid)
    p.at.button_group(key="cov_measure").set_value("amount")
    p.run()
    total = sql(url, "select sum(amount_approved) from funding_line f join action a on "
                     "a.id=f.action_id join action_axis l on l.action_id=a.id join axis x on "
                     "x.id=l.axis_id where x.position=2 and a.territory_id=:t", t=tid)
    assert matrix_of(p).iloc[1]["Total territoire"] == float(total)
    axis2 = sql(url, "select id from axis where territory_id=:t and position=2", t=tid)
    [before] = map_pictures(p.at)
    p.at.selectbox(key="cov_axis").set_value(axis2)
    p.run()
    [after] = map_pictures(p.at)
    assert before["svg"] != after["svg"] and before["src"] != after["src"]
    assert after["alt"].startswith("Carte « Montants accordés aux actions (€) » par commune")
    assert not p.at.get("deck_gl_json_chart")  # the interactive map only when asked for
    assert "Axe 2" in str(p.at.selectbox(key="cov_axis").format_func(axis2))
    legend = [h.proto.body for h in p.at.get("html")]
    assert any("Montants accordés aux actions (€)" in b and "aucun financement d&#x27;action saisi"
               in b for b in legend), legend


def test_bars_per_axis_write_and_draw_each_axis_value(on, demo_url):
    """The bars per axis (an HTML table, no chart library): each axis' count, then its funding,
    written as text and drawn as a bar whose width is its share of the largest value."""
    url = on(demo_url)
    tid = territory_id(url, synthetic.SLUG)
    p = Page(url, "pages/couverture.py", tid)
    axes = sql_rows(url, "select id, coalesce(number, position), coalesce(short_title, title) "
                         "from axis where territory_id=:t order by position", t=tid)
    counts = [sql(url, "select count(distinct l.action_id) from action_axis l join action a on "
                       "a.id=l.action_id where l.axis_id=:x and not a.archived", x=x)
              for x, _, _ in axes]
    bars = next(t for t in html_tables(p.at) if list(t.columns[:2]) == ["Axe", ACTIONS])
    assert len(bars) == len(axes)
    for shown, (_, number, title) in zip(bars["Axe"], axes):
        assert shown.startswith(f"Axe {number} – {title[:20]}"), (shown, title)
    assert list(bars[ACTIONS]) == [f"{n:,}".replace(",", "\u202f") for n in counts]
    assert bar_widths(p.at)[:len(axes)] == pytest.approx(
        [100 * n / max(counts) for n in counts], abs=0.1)
    p.at.button_group(key="cov_measure").set_value("amount")
    p.run()
    amounts = [float(sql(url, "select coalesce(sum(f.amount_approved), 0) from funding_line f "
                              "where f.action_id in (select l.action_id from action_axis l join "
                              "action a on a.id=l.action_id where l.axis_id=:x and not "
                              "a.archived)", x=x)) for x, _, _ in axes]
    bars = next(t for t in html_tables(p.at) if list(t.columns[:2]) == ["Axe", MONEY])
    assert [float(x.replace("\u202f", "").replace("\u00a0€", "").replace(",", "."))
            for x in bars[MONEY]] == pytest.approx(amounts, abs=0.5)
    assert bar_widths(p.at)[:len(axes)] == pytest.approx(
        [100 * a / max(amounts) for a in amounts], abs=0.1)


def test_state_posts_are_a_measure_per_contract_apart_from_action_funding(on, loaded_url):
    """« Postes financés par l'État (€) »: the contrat de ville's posts, once, in a table per
    contract (no map: a commune never shows its contract's amount); the headline keeps posts
    and action funding as two figures."""
    from sqlalchemy import text as sql_text

    from perr_model.store import make_engine
    engine = make_engine(loaded_url, read_only=False)
    with engine.begin() as c:
        cv, name = c.execute(sql_text(
            "select cv.id, cv.name from commune co join contrat_de_ville cv on "
            "cv.id = co.contrat_de_ville_id join territory t on t.id = co.territory_id "
            "where t.slug = :s order by co.name limit 1"), {"s": PEMB}).one()
        c.execute(sql_text("delete from funding_line where action_id is null"))
        c.execute(sql_text(
            "insert into funding_line (contrat_de_ville_id, funder, year, amount_approved, "
            "origin, is_synthetic) values (:cv, 'etat_adultes_relais', 2022, 21254, 'anct', "
            "false), (:cv, 'etat_fonjep', 2021, 7164, 'anct', false)"), {"cv": cv})
    engine.dispose()
    url = on(loaded_url)
    p = Page(url, "pages/couverture.py", territory_id(url, PEMB))
    assert p.metric("Postes financés par l'État") == "28,4\u00a0k€"
    assert p.metric("Financements des actions") == "aucun saisi"
    p.at.button_group(key="cov_measure").set_value("posts")
    p.run()
    assert not map_pictures(p.at)
    table = next(t for t in html_tables(p.at) if "Communes couvertes" in t.columns)
    amounts = dict(zip(table["Contrat de ville"], table["Postes financés par l'État"]))
    assert amounts[f"Contrat de ville « {name} »"] == "28\u202f418\u00a0€"
    assert {x for k, x in amounts.items() if k != f"Contrat de ville « {name} »"} == {"0\u00a0€"}


@pytest.fixture(scope="module")
def wide_url(embedded_sqlite, tmp_path_factory) -> str:
    """The embedded data plus a demonstration territory of 30 communes (more than the table
    shows at first)."""
    path = tmp_path_factory.mktemp("wide") / "perr.sqlite"
    shutil.copy(embedded_sqlite, path)
    url = f"sqlite:///{path}"
    synthetic.generate_into(url, n_qpv=40, n_contrats=20, n_actions=1500, n_funding_lines=300)
    return url


def test_the_table_shows_the_top_communes_and_all_of_them_on_demand(on, wide_url):
    url = on(wide_url)
    tid = territory_id(url, synthetic.SLUG)
    n = sql(url, "select count(*) from commune where territory_id=:t", t=tid)
    assert n == 30
    p = Page(url, "pages/couverture.py", tid)
    p.at.session_state["cov_matrix"] = True  # the folded section « Tableau par axe et par commune »
    p.run()
    toggle = p.at.toggle(key="cov_matrix_all")
    assert toggle.label == f"Afficher toutes les communes ({n})" and not toggle.value
    first = _matrix_table(p)
    toggle.set_value(True)
    p.run()
    full = _matrix_table(p)
    communes = [c for c in full.columns if c != "Total territoire"]
    assert len(communes) == n
    # worked out here from the full table: each commune's total over the axes, highest first
    # (a tie keeps the table's order), the 10 others added up cell by cell
    ranked = sorted(communes, key=lambda c: -full[c].sum())
    assert list(first.columns) == ranked[:20] + ["Autres communes", "Total territoire"]
    for axis in full.index:
        assert first.loc[axis, ranked[:20]].tolist() == full.loc[axis, ranked[:20]].tolist()
        assert first.loc[axis, "Autres communes"] == sum(full.loc[axis, c] for c in ranked[20:])
        assert first.loc[axis, "Total territoire"] == full.loc[axis, "Total territoire"]
    axis1 = sql(url, "select count(distinct l.action_id) from action_axis l join axis a on "
                     "a.id=l.axis_id join action x on x.id=l.action_id where a.territory_id=:t "
                     "and a.position=1 and not x.archived", t=tid)
    assert first.iloc[0]["Total territoire"] == axis1
    others = "« Autres communes » additionne, axe par axe, les 10 autres"
    assert not any(others in c.value for c in p.at.caption)  # all shown: nothing added up
    p.at.toggle(key="cov_matrix_all").set_value(False)
    p.run()
    assert any(others in c.value for c in p.at.caption)
    assert _matrix_table(p).equals(first)


def _matrix_table(p):
    """The axis × commune HTML table as numbers, axes as the index."""
    table = next(t for t in html_tables(p.at) if "Total territoire" in t.columns)
    return table.set_index("Axe").apply(lambda col: col.str.replace("\u202f", "").astype(int))


def test_closed_expanders_are_built_only_when_opened(on, demo_url):
    url = on(demo_url)
    p = Page(url, "pages/couverture.py", territory_id(url, synthetic.SLUG))
    shown = p.text()
    assert "Financements des actions, par financeur" not in shown
    assert "Valeurs de la carte, par lieu" not in shown
    assert not any("Total territoire" in d.value.columns for d in p.at.dataframe)
    labels = {e.label for e in p.at.expander}
    assert {"Financements des actions et postes de l'État", "Tableau par axe et par commune",
            "La carte en texte", "Carte interactive : zoomer, survoler, cliquer sur un lieu"
            } <= labels
    assert not p.at.get("deck_gl_json_chart") and len(map_pictures(p.at)) == 1
    for key in ("cov_money", "cov_matrix", "cov_matrix_grid", "cov_map_text", "cov_map_deck"):
        p.at.session_state[key] = True
    p.run()
    shown = p.text()
    assert "Financements des actions, par financeur" in shown
    assert "Valeurs de la carte, par lieu" in shown
    places = sql(url, "select count(*) from commune where territory_id=:t",
                 t=territory_id(url, synthetic.SLUG))
    assert f"La carte montre {places} commune(s)" in shown
    assert any("Total territoire" in d.value.columns for d in p.at.dataframe)
    assert len(p.at.get("deck_gl_json_chart")) == 1
