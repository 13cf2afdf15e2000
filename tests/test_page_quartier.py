"""Quartier page: chosen by name or commune; one QPV's figures, the actions serving it (its own
by axis, those of its whole commune) and the engagements that concern it."""
from page_support import (PEMB, PTE, Page, demo_url, html_tables, map_pictures,  # noqa: F401
                          on, sql, sql_rows, svg_groups, territory_id)
from sql_support import quartier_actions
import json

import pandas as pd

from perr_model import synthetic
from perr_model.geo import QPV_OUTLINE
from perr_ui.mapfiles import enabled as static_serving


def test_embedded_quartier_with_protocol_actions(on, embedded_sqlite):
    url = on(embedded_sqlite)
    tid = territory_id(url, PEMB)
    p = Page(url, "pages/quartier.py", tid)
    qpv = sql(url, "select id from qpv where code='QN09424I'")  # protocol's « Bois l'Abbé »
    p.at.selectbox(key="qpv_id").set_value(qpv)
    p.run()
    assert p.metric("Actions du quartier") == str(len(quartier_actions(url, tid, qpv)["own"]))
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
    [chart] = p.at.get("deck_gl_json_chart")
    deck = json.loads(chart.proto.json)
    # the layers as designed: neighbours, communes, quartier, two kinds of names
    assert [(lay["@@type"], lay["id"]) for lay in deck["layers"]] == [
        ("GeoJsonLayer", "communes-voisines"), ("GeoJsonLayer", "communes"),
        ("GeoJsonLayer", "qpv"), ("TextLayer", "communes-noms"),
        ("TextLayer", "quartiers-noms")]
    if static_serving():  # their data by URL (perr_ui/mapfiles.py): no coordinate sent
        assert all(isinstance(lay["data"], str) and lay["data"].startswith("app/static/cartes/")
                   for lay in deck["layers"])
        assert "coordinates" not in chart.proto.json
    # closed again: the map stays in the page, hidden (reopened, nothing is built again)
    p.at.session_state["qpv_map_deck"] = False
    p.run()
    assert [c.proto.json for c in p.at.get("deck_gl_json_chart")] == [chart.proto.json]


def test_choosing_another_quartier_and_year(on, demo_url):
    url = on(demo_url)
    tid = territory_id(url, synthetic.SLUG)
    p = Page(url, "pages/quartier.py", tid, 2022)
    qpv = sql(url, "select id from qpv where code='DEMO-Q00007'")
    p.at.selectbox(key="qpv_id").set_value(qpv)
    p.run()
    n = len(quartier_actions(url, tid, qpv, 2022)["own"])
    assert p.metric("Actions du quartier") == str(n)
    # each axis's list is sent only once its expander is opened
    axes = len([e for e in p.at.expander if not e.label.startswith(("Carte interactive",
                                                                      "Dans tout"))
                and e.label != "Codes et références"])
    assert axes and not [t for t in html_tables(p.at) if list(t.columns)[:2] == ["Titre", "Statut"]]
    for i in range(axes):
        p.at.session_state[f"qpv_axis_{i}"] = True
    p.run()
    by_axis = [t for t in html_tables(p.at) if t.columns[0] == "Titre"]
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


def opened(p, prefix: str) -> None:
    """Every on-demand list of the page whose key starts with `prefix`, opened."""
    for i in range(len(p.at.expander)):
        p.at.session_state[f"{prefix}{i}"] = True
    p.run()


def test_bois_l_abbe_lists_every_action_serving_it(on, embedded_sqlite):
    """Le Bois L'Abbé: the actions naming it, the 2 of its renewal engagement (attached to the
    quartier, not named by the actions) and those of the whole of Champigny-sur-Marne, each
    with its status, porteur and path; the engagements that concern it, with its own counts."""
    url = on(embedded_sqlite)
    tid = territory_id(url, PEMB)
    p = Page(url, "pages/quartier.py", tid)
    qpv = sql(url, "select id from qpv where code='QN09424I'")
    p.at.selectbox(key="qpv_id").set_value(qpv)
    p.run()
    opened(p, "qpv_axis_")
    opened(p, "qpv_commune_")
    tables = [t for t in html_tables(p.at) if list(t.columns)[:2] == ["Titre",
                                                                      "Lien avec le quartier"]]
    rows = pd.concat(tables)
    expected = quartier_actions(url, tid, qpv)
    renewal = {r for (r,) in sql_rows(
        url, "select a.reference from action a join action_commitment ac on ac.action_id = a.id "
             "join commitment k on k.id = ac.commitment_id join commitment_qpv cq "
             "on cq.commitment_id = k.id where cq.qpv_id = :q and k.text like "
             "'Engager le Projet de Renouvellement Urbain de la 2%'", q=qpv)}
    # the renewal engagement's actions (one since the protocol's review: its « Signature du
    # protocole le 5 février 2019 » is a note of the engagement, not an action)
    assert len(renewal) == 1 and renewal <= expected["own"]
    whole = rows[rows["Lien avec le quartier"] == "dans tout Champigny-sur-Marne"]
    assert set(whole["Référence"]) == expected["commune"] and expected["commune"]
    assert set(rows["Référence"]) - set(whole["Référence"]) == expected["own"]
    by_commitment = rows[rows["Référence"].isin(renewal)]
    assert set(by_commitment["Lien avec le quartier"]) == {
        "par l'engagement « Engager le Projet de Renouvellement Urbain de la 2ème tranche du "
        "Bois l'Abbé »"}
    assert (rows["Statut"] != "").all()
    assert any(e.label.startswith("Dans tout Champigny-sur-Marne (") for e in p.at.expander)
    # the engagements: attached to the quartier or carried by its own actions, counted on them
    [engagements] = [t for t in html_tables(p.at) if list(t.columns)[:2] == [
        "Engagement", "Actions du quartier"]]
    own = ",".join(f"'{r}'" for r in expected["own"])
    concerned = dict(sql_rows(
        url, "select k.text, (select count(*) from action_commitment ac join action a on "
             f"a.id = ac.action_id where ac.commitment_id = k.id and a.reference in ({own})) "
             "from commitment k where k.id in (select commitment_id from commitment_qpv where "
             "qpv_id = :q) or k.id in (select ac.commitment_id from action_commitment ac join "
             f"action a on a.id = ac.action_id where a.reference in ({own}))", q=qpv))
    assert dict(zip(engagements["Engagement"], engagements["Actions du quartier"].map(int))) \
        == concerned
    assert concerned["Engager le Projet de Renouvellement Urbain de la 2ème tranche du Bois "
                     "l'Abbé"] == len(renewal)
    communes = sql(url, "select count(*) from commitment where commune_id = (select id from "
                        "commune where name = 'Champigny-sur-Marne')")
    assert len(concerned) < communes  # not the commune's every engagement


def test_a_quartier_of_two_communes_is_under_each(on, embedded_sqlite):
    """Les Beaudottes Savigny and Rougemont (Aulnay-sous-Bois and Sevran, per the ANCT file's
    communes): a Sevran resident finds them under Sevran."""
    url = on(embedded_sqlite)
    p = Page(url, "pages/quartier.py", territory_id(url, PTE))
    shared = dict(sql_rows(url, "select q.name, q.id from qpv q where q.code in "
                                "('QN09355M', 'QN09349M')"))
    for commune in ("Sevran", "Aulnay-sous-Bois"):
        town = sql(url, "select id from commune where name = :n", n=commune)
        p.at.selectbox(key="qpv_commune").set_value(town)
        p.run()
        box = p.at.selectbox(key="qpv_id")
        in_town = {r for (r,) in sql_rows(url, "select qpv_id from qpv_commune where "
                                               "commune_id = :c", c=town)}
        assert set(box.options) == {box.format_func(i) for i in in_town}
        for name, i in shared.items():
            assert box.format_func(i) == f"{name} (Aulnay-sous-Bois, Sevran)"
    box.set_value(shared["Les Beaudottes Savigny"])
    p.run()
    assert any(h.value == "Les Beaudottes Savigny" for h in p.at.header)


def test_the_fiche_quartier_is_offered_and_built_only_when_asked(on, embedded_sqlite, monkeypatch):
    """The button is there, in French; the PDF is not built while the page runs (a callable
    Streamlit calls at the click; the public instance's download: tests/e2e)."""
    from perr_model import fiche
    built = []
    monkeypatch.setattr(fiche, "fiche_pdf", lambda *a, **k: built.append(a) or b"%PDF")
    url = on(embedded_sqlite)
    tid = territory_id(url, PEMB)
    p = Page(url, "pages/quartier.py", tid)
    p.at.selectbox(key="qpv_id").set_value(sql(url, "select id from qpv where code='QN09424I'"))
    p.run()
    [button] = [b for b in p.at.get("download_button")
                if b.proto.label.startswith("Télécharger la fiche du quartier")]
    assert button.proto.label == "Télécharger la fiche du quartier (PDF, une page)"
    assert built == []
