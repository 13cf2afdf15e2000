"""Actions page: filters combine, the table is a sorted SQL page, reset, export format."""
import io

import pandas as pd

from page_support import (PEMB, Page, demo_url, html_tables, on, sql, sql_rows,  # noqa: F401
                          territory_id)
from perr_model import action_list as al, synthetic
from sql_support import quartier_actions
from perr_model.store import make_engine
from sqlalchemy.orm import Session

COUNT = "Actions correspondant aux filtres"


def n(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def listed(p):
    """The page's table of actions (an HTML table, first column « Titre »), as the text shown."""
    return next(t for t in html_tables(p.at) if t.columns[0] == "Titre")


def test_embedded_actions_are_listed(on, embedded_sqlite):
    url = on(embedded_sqlite)
    tid = territory_id(url, PEMB)
    p = Page(url, "pages/actions.py", tid)
    total = sql(url, "select count(*) from action where territory_id=:t and not archived", t=tid)
    assert p.metric(COUNT) == n(total)
    assert len(listed(p)) == min(total, 50)
    quartier = sql(url, "select id from qpv where code='QN09424I'")  # protocol's Bois l'Abbé
    assert not p.at.multiselect  # the filters' lists are built once « Filtres » is opened
    p.at.session_state["act_filters"] = True
    p.run()
    p.at.multiselect(key="act_quartiers").select(quartier)
    p.run()
    # the actions serving the quartier (figures.definitions.QPV_SERVED), as the Quartier page
    # lists them: named in it, through its renewal engagement, or in the whole of Champigny
    served = quartier_actions(url, tid, quartier)
    assert served["own"] and served["commune"]
    expected = served["own"] | served["commune"]
    assert p.metric(COUNT) == n(len(expected))
    assert set(listed(p)["Référence"]) == expected


def test_filters_combine_and_reset(on, demo_url):
    url = on(demo_url)
    tid = territory_id(url, synthetic.SLUG)
    p = Page(url, "pages/actions.py", tid, 2021)
    commune = sql(url, "select id from commune where insee_code='Z0002'")
    p.at.session_state["act_filters"] = True
    p.run()
    p.at.multiselect(key="act_communes").select(commune)
    p.at.multiselect(key="act_statuts").select("en_cours")
    p.run()
    expected = sql(url, "select count(*) from action a where territory_id=:t and status='en_cours'"
                        " and year_start<=2021 and coalesce(year_end,year_start)>=2021 and id in"
                        " (select action_id from action_commune where commune_id=:c)",
                   t=tid, c=commune)
    assert 0 < expected < 2000
    assert p.metric(COUNT) == n(expected)
    assert set(listed(p)["Statut"]) == {"En cours"}
    # « Filtres » closed: its lists are gone, the choice stays (and is counted in its label)
    p.at.session_state["act_filters"] = False
    p.run()
    assert not p.at.multiselect and p.metric(COUNT) == n(expected)
    assert [e.label for e in p.at.expander if e.label.startswith("Filtres")] == [
        "Filtres (2 actifs)"]
    p.at.session_state["act_filters"] = True
    p.run()
    assert p.at.multiselect(key="act_communes").value == [commune]
    assert p.at.multiselect(key="act_statuts").value == ["en_cours"]
    p.at.text_input(key="act_text").input("MÉDIATION")
    p.run()
    with_text = sql(url, "select count(*) from action a where territory_id=:t and status="
                         "'en_cours' and year_start<=2021 and coalesce(year_end,year_start)>=2021"
                         " and title like 'Médiation%' and id in (select action_id from "
                         "action_commune where commune_id=:c)", t=tid, c=commune)
    assert p.metric(COUNT) == n(with_text)
    p.at.button[0].click()
    p.run()
    all_2021 = sql(url, "select count(*) from action where territory_id=:t and year_start<=2021"
                        " and coalesce(year_end,year_start)>=2021", t=tid)
    assert p.metric(COUNT) == n(all_2021)


def test_sorting_and_paging_happen_in_sql(on, demo_url):
    url = on(demo_url)
    tid = territory_id(url, synthetic.SLUG)
    p = Page(url, "pages/actions.py", tid)
    p.at.selectbox(key="act_sort").set_value("titre")
    p.at.toggle(key="act_desc").set_value(True)
    p.run()
    first = sql(url, "select title from action where territory_id=:t order by title desc, id "
                     "limit 1", t=tid)
    assert listed(p)["Titre"].iloc[0] == first
    p.at.number_input(key="act_page").set_value(3)
    p.run()
    third = sql(url, "select title from action where territory_id=:t order by title desc, id "
                     "limit 1 offset 100", t=tid)
    assert listed(p)["Titre"].iloc[0] == third
    assert len(listed(p)) == 50


def test_export_has_the_import_columns_and_every_filtered_action(demo_url):
    tid = territory_id(demo_url, synthetic.SLUG)
    f = al.ActionFilter(territory_id=tid, year=2022, statuses=("terminee",))
    engine = make_engine(demo_url)
    with Session(engine) as s:
        frame = al.export_frame(s, f)
        assert len(frame) == al.count(s, f)
    engine.dispose()
    assert list(frame.columns[:len(al.EXPORT_COLUMNS)]) == al.EXPORT_COLUMNS
    assert list(frame.columns[-len(al.CODE_COLUMNS):]) == al.CODE_COLUMNS
    assert "Engagements" in al.EXPORT_COLUMNS  # the commune engagements each action serves
    assert {"Financeur 1", "Montant demandé 1", "Montant accordé 1"} <= set(frame.columns)
    back = pd.read_excel(io.BytesIO(al.to_xlsx_bytes(frame)), dtype={"Communes (code)": str})
    assert list(back["Référence"]) == list(frame["Référence"])
    csv = pd.read_csv(io.BytesIO(al.to_csv_bytes(frame)), sep=";", decimal=",",
                      encoding="utf-8-sig", dtype={"Communes (code)": str})
    assert round(csv["Montant accordé 1"].sum(), 2) == round(
        frame["Montant accordé 1"].astype(float).sum(), 2)


def test_export_is_accepted_back_by_the_spreadsheet_importer(demo_url, tmp_path):
    """Export → import on the same data: every row matched by reference, nothing refused.
    (Generated data: many embedded protocol actions have no year, which the form requires.)"""
    import shutil
    from perr_model.auth import Actor
    from perr_model.importers import actions as importer
    from perr_model.store import write_session
    path = tmp_path / "perr.sqlite"
    shutil.copy(demo_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    tid = territory_id(url, synthetic.SLUG)
    commune = sql(url, "select id from commune where insee_code='Z0003'")
    engine = make_engine(url, read_only=False)
    with Session(engine) as s:
        frame = al.export_frame(s, al.ActionFilter(territory_id=tid, year=2022,
                                                   commune_ids=(commune,)))
    assert 20 < len(frame) < 400
    for name, data in (("actions.csv", al.to_csv_bytes(frame)),
                       ("actions.xlsx", al.to_xlsx_bytes(frame))):
        table = importer.read_table(data, name)
        mapping = importer.guess_mapping(list(table.columns))
        assert {"reference", "title", "communes", "qpvs", "status"} <= set(mapping.values())
        with write_session(engine) as s:
            report = importer.import_actions(s, Actor.system("test"), table, mapping,
                                             territory_id=tid, dry_run=True)
        assert not report.problems, report.lines()
        assert len(report.to_update) == len(frame) and not report.to_create
    engine.dispose()


def test_table_and_detail_picker(on, embedded_sqlite):
    """The page's actions are one HTML table (a card per action on a phone), in the order of
    the SQL sort (reference, then id); the list above it opens an action's detail."""
    url = on(embedded_sqlite)
    tid = territory_id(url, PEMB)
    p = Page(url, "pages/actions.py", tid)
    table = listed(p)
    expected = [r[0] for r in sql_rows(
        url, "select title from action where territory_id=:t and not archived "
             "order by reference, id limit 50", t=tid)]
    assert list(table["Titre"]) == expected
    assert "Statut" in table.columns and (table["Statut"] != "").all()
    assert not p.at.dataframe  # no canvas grid: a screen reader reads the table
    first = sql(url, "select id from action where territory_id=:t and not archived "
                     "and title=:x", t=tid, x=expected[0])
    p.at.selectbox(key="act_pick").set_value(first)
    p.run()
    assert any(h.value.replace("\\", "") == expected[0] for h in p.at.header)
