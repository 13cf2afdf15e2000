"""Couverture page: headline figures, axis × commune table, map and angles morts agree with SQL."""
import json

from page_support import PEMB, PTE, Page, demo_url, on, sql, territory_id  # noqa: F401
from perr_model import synthetic

LIVE = ("select id from action where territory_id=:t and not archived "
        "and year_start<=:y and coalesce(year_end, year_start)>=:y")


def matrix_of(p):
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
    before = json.loads(p.at.get("deck_gl_json_chart")[0].proto.json)
    p.at.selectbox(key="cov_axis").set_value(axis2)
    p.run()
    after = json.loads(p.at.get("deck_gl_json_chart")[0].proto.json)
    assert before != after
    assert "Axe 2" in str(p.at.selectbox(key="cov_axis").format_func(axis2))
    legend = [h.proto.body for h in p.at.get("html")]
    assert any("Montants accordés aux actions (€)" in b and "aucun financement d&#x27;action saisi"
               in b for b in legend), legend


def test_state_posts_are_a_map_measure_apart_from_action_funding(on, loaded_url):
    """« Postes financés par l'État (€) »: each commune shows its contrat de ville's posts; the
    headline keeps posts and action funding as two figures."""
    from sqlalchemy import text as sql_text

    from perr_model.store import make_engine
    engine = make_engine(loaded_url, read_only=False)
    with engine.begin() as c:
        cv, commune = c.execute(sql_text(
            "select cv.id, co.id from commune co join contrat_de_ville cv on "
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
    deck = json.loads(p.at.get("deck_gl_json_chart")[0].proto.json)
    assert "28\u202f418" in json.dumps(deck, ensure_ascii=False)
    assert any("contrat de ville de chaque commune" in c.value for c in p.at.caption)
    legend = [h.proto.body for h in p.at.get("html")]
    assert any("Postes financés par l&#x27;État (€)" in b or "Postes financés par l'État (€)" in b
               for b in legend), legend
