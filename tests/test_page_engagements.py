"""Engagements page: communes side by side, commitments and action counts as in the database."""
from page_support import PEMB, Page, demo_url, html_tables, on, sql, territory_id  # noqa: F401
from perr_model import synthetic


def summary_of(p):
    """The summary table as drawn (HTML), numbers read back from their French text."""
    t = next(t for t in html_tables(p.at) if "Engagements avec action" in t.columns)
    t = t.set_index("Commune")
    for c in t.columns:
        t[c] = t[c].str.replace(r"\D", "", regex=True).astype(int)
    return t.rename(columns={"Engagements": "engagements", "Actions rattachées": "actions"})


def test_embedded_commitments_per_commune(on, embedded_sqlite):
    url = on(embedded_sqlite)
    tid = territory_id(url, PEMB)
    p = Page(url, "pages/engagements.py", tid)
    summary = summary_of(p)
    assert 2 <= len(summary) <= 4
    for commune, row in summary.iterrows():
        assert row["engagements"] == sql(
            url, "select count(*) from commitment c join commune m on m.id=c.commune_id "
                 "where c.territory_id=:t and m.name=:n", t=tid, n=commune)
    champigny = "Champigny-sur-Marne"
    assert summary.loc[champigny, "actions"] == sql(
        url, "select count(*) from action_commitment l join commitment c on c.id=l.commitment_id"
             " join commune m on m.id=c.commune_id where m.name=:n", n=champigny)


def test_choosing_communes_and_grouping(on, demo_url):
    url = on(demo_url)
    tid = territory_id(url, synthetic.SLUG)
    p = Page(url, "pages/engagements.py", tid)
    ids = [sql(url, "select id from commune where insee_code=:c", c=c) for c in ("Z0004", "Z0005")]
    p.at.multiselect(key="eng_communes").set_value(ids)
    p.run()
    summary = summary_of(p)
    assert list(summary.index) == ["Commune fictive 4", "Commune fictive 5"]
    assert summary.loc["Commune fictive 4", "engagements"] == sql(
        url, "select count(*) from commitment where commune_id=:c", c=ids[0])
    by_axis = [h.value for h in p.at.header]
    assert by_axis[0].startswith("Axe 1")
    p.at.button_group(key="eng_group").set_value("pillar")
    p.run()
    assert [h.value for h in p.at.header] != by_axis
