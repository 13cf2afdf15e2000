"""Quartier page: one QPV's figures, actions by axis and its commune's commitments."""
from page_support import (PEMB, Page, demo_url, html_tables, map_pictures, on,  # noqa: F401
                          sql, sql_rows, svg_groups, territory_id)
from perr_model import synthetic
from perr_model.geo import QPV_OUTLINE


def test_embedded_quartier_with_protocol_actions(on, embedded_sqlite):
    url = on(embedded_sqlite)
    tid = territory_id(url, PEMB)
    p = Page(url, "pages/quartier.py", tid)
    qpv = sql(url, "select id from qpv where code='QN09424I'")  # protocol's « Bois l'Abbé »
    p.at.selectbox(key="qpv_id").set_value(qpv)
    p.run()
    assert p.metric("Actions") == str(sql(url, "select count(*) from action_qpv where qpv_id=:q",
                                          q=qpv))
    assert any("Le Bois L'Abbé" in h.value for h in p.at.header)  # official 2024 name
    assert "QN09424I" in p.text()  # official 2024 code, from the embedded ANCT extract
    # its map, a picture: the quartier's perimeter outlined, it and its communes named
    [picture] = map_pictures(p.at)
    communes = sorted(r[0] for r in sql_rows(
        url, "select c.name from commune c join qpv_commune l on l.commune_id = c.id "
             "where l.qpv_id = :q", q=qpv))
    assert picture["alt"].startswith("La carte montre le périmètre du quartier « Le Bois "
                                     "L'Abbé » (contour orange) sur sa ou ses communes : "
                                     + ", ".join(communes))
    groups = svg_groups(picture["svg"])
    assert len(groups["qpv"]) == 1 and groups["qpv"][0]["tag"] == "path"
    assert [el["text"] for el in groups["quartiers-noms"]] == ["Le Bois L'Abbé"]
    assert set(communes) <= {el["text"] for el in groups["communes-noms"]}
    assert 'stroke="rgb({},{},{})"'.format(*QPV_OUTLINE[:3]) in picture["svg"]
    assert not p.at.get("deck_gl_json_chart")  # the interactive map only when asked for
    p.at.session_state["qpv_map_deck"] = True
    p.run()
    assert len(p.at.get("deck_gl_json_chart")) == 1


def test_choosing_another_quartier_and_year(on, demo_url):
    url = on(demo_url)
    tid = territory_id(url, synthetic.SLUG)
    p = Page(url, "pages/quartier.py", tid, 2022)
    qpv = sql(url, "select id from qpv where code='DEMO-Q00007'")
    p.at.selectbox(key="qpv_id").set_value(qpv)
    p.run()
    n = sql(url, "select count(*) from action_qpv l join action a on a.id=l.action_id where "
                 "qpv_id=:q and year_start<=2022 and coalesce(year_end,year_start)>=2022", q=qpv)
    assert p.metric("Actions") == str(n)
    # each axis's list is sent only once its expander is opened
    axes = len([e for e in p.at.expander if not e.label.startswith("Carte interactive")
                and e.label != "Codes et références"])
    assert axes and not [t for t in html_tables(p.at) if list(t.columns)[:2] == ["Titre", "Statut"]]
    for i in range(axes):
        p.at.session_state[f"qpv_axis_{i}"] = True
    p.run()
    by_axis = [t for t in html_tables(p.at) if list(t.columns)[:2] == ["Titre", "Statut"]]
    assert len(by_axis) == axes
    assert sum(len(t) for t in by_axis) >= n  # by axis (an action may serve 2)
    assert all((t["Titre"] != "").all() for t in by_axis)


def test_nothing_to_say_is_left_out(on, embedded_sqlite):
    """A quartier with no official code nor population: no « non renseigné » line for it."""
    url = on(embedded_sqlite)
    p = Page(url, "pages/quartier.py", territory_id(url, "paris-terres-d-envol"))
    qpv = sql(url, "select id from qpv where code is null or code = '' limit 1")
    assert qpv is not None
    p.at.selectbox(key="qpv_id").set_value(qpv)
    p.run()
    captions = " ".join(c.value for c in p.at.caption)
    assert "Code officiel" not in captions and "non renseign" not in captions
    assert all(m.label != "Population" for m in p.at.metric)


def test_a_quartier_of_another_territory_gives_way_to_the_first(on, embedded_sqlite):
    """A quartier chosen on another territory is not this territory's: after a change of
    territory the page opens on its first quartier."""
    url = on(embedded_sqlite)
    p = Page(url, "pages/quartier.py", territory_id(url, "paris-terres-d-envol"))
    elsewhere = sql(url, "select max(q.id) from qpv q join qpv_commune l on l.qpv_id = q.id "
                         "join commune c on c.id = l.commune_id join territory t on "
                         "t.id = c.territory_id where t.slug = 'paris-terres-d-envol'")
    p.at.selectbox(key="qpv_id").set_value(elsewhere)
    p.run()
    assert p.at.selectbox(key="qpv_id").value == elsewhere
    p.territory_id = territory_id(url, PEMB)
    p.run()
    box = p.at.selectbox(key="qpv_id")
    assert box.index == 0 and box.value != elsewhere
    assert len(box.options) == sql(
        url, "select count(distinct q.id) from qpv q join qpv_commune l on l.qpv_id = q.id "
             "join commune c on c.id = l.commune_id join territory t on t.id = c.territory_id "
             "where t.slug = :s", s=PEMB)
