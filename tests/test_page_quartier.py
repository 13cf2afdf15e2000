"""Quartier page: one QPV's figures, actions by axis and its commune's commitments."""
from page_support import PEMB, Page, demo_url, on, sql, territory_id  # noqa: F401
from perr_model import synthetic


def test_embedded_quartier_with_protocol_actions(on, embedded_sqlite):
    url = on(embedded_sqlite)
    tid = territory_id(url, PEMB)
    p = Page(url, "pages/quartier.py", tid)
    qpv = sql(url, "select id from qpv where code='QN09424I'")  # protocol's « Bois l'Abbé »
    p.at.selectbox(key="qpv_id").set_value(qpv)
    p.run()
    assert p.metric("Actions") == str(sql(url, "select count(*) from action_qpv where qpv_id=:q",
                                          q=qpv))
    assert any("Le Bois L'Abbé" in h.value for h in p.at.subheader)  # official 2024 name
    assert "QN09424I" in p.text()  # official 2024 code, from the embedded ANCT extract


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
    assert sum(len(d.value) for d in p.at.dataframe[:-1]) >= n  # by axis (an action may serve 2)
