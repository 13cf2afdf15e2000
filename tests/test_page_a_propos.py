"""À propos page: every loaded dataset with its source and licence; public notice."""
from page_support import PEMB, Page, html_tables, on, sql, territory_id  # noqa: F401


def test_lists_every_dataset(on, embedded_sqlite):
    url = on(embedded_sqlite)
    p = Page(url, "pages/a_propos.py", territory_id(url, PEMB))
    table = html_tables(p.at)[0]
    assert len(table) == sql(url, "select count(*) from dataset")
    assert (table["Licence"] != "").all()
    # sources as people name them: no file name shown
    assert not table["Source"].str.contains(r"\.(?:geojson|yaml|md|xlsx|csv)\b").any()
    assert table["Source"].str.contains("ANCT").any()


def test_public_instance_says_so(on, embedded_sqlite, monkeypatch):
    url = on(embedded_sqlite)
    p = Page(url, "pages/a_propos.py", territory_id(url, PEMB))
    assert not any("Instance publique" in i.value for i in p.at.info)
    monkeypatch.setenv("PERR_PUBLIC", "1")
    p.run()
    assert any("Instance publique" in i.value for i in p.at.info)
