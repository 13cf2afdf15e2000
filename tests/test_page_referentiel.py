"""Référentiel page: the axis → group → objective tree with counts; examples kept apart."""
from page_support import PTE, Page, demo_url, on, sql, territory_id  # noqa: F401
from perr_model import synthetic

OBJECTIVES = ("select count(*) from operational_objective o join objective_group g on "
              "g.id=o.group_id join strategic_objective s on s.id=g.strategic_objective_id "
              "join axis a on a.id=s.axis_id where a.territory_id=:t")


def bullets(p) -> list[str]:
    return [line for m in p.at.markdown for line in m.value.splitlines() if line.startswith("- ")]


def test_embedded_tree_lists_every_axis_and_objective(on, embedded_sqlite):
    url = on(embedded_sqlite)
    tid = territory_id(url, PTE)
    p = Page(url, "pages/referentiel.py", tid)
    assert len(p.at.expander) == sql(url, "select count(*) from axis where territory_id=:t", t=tid)
    assert len(bullets(p)) == sql(url, OBJECTIVES, t=tid)
    examples = sql(url, "select count(*) from example_action e join objective_group g on "
                        "g.id=e.group_id join strategic_objective s on s.id=g.strategic_objective_id"
                        " join axis a on a.id=s.axis_id where a.territory_id=:t", t=tid)
    if examples:
        assert any("pas des actions enregistrées" in c.value for c in p.at.caption)


def test_only_uncovered_objectives(on, demo_url):
    url = on(demo_url)
    tid = territory_id(url, synthetic.SLUG)
    p = Page(url, "pages/referentiel.py", tid)
    assert len(bullets(p)) == sql(url, OBJECTIVES, t=tid)
    p.at.toggle(key="ref_only_empty").set_value(True)
    p.run()
    uncovered = sql(url, OBJECTIVES + " and o.id not in (select objective_id from action_objective)",
                    t=tid)
    assert 0 < len(bullets(p)) == uncovered
    assert all("aucune action" in b for b in bullets(p))


def test_pillar_territory_shows_commitments_under_each_axis(on, embedded_sqlite):
    from page_support import PEMB
    url = on(embedded_sqlite)
    tid = territory_id(url, PEMB)
    p = Page(url, "pages/referentiel.py", tid)
    assert len(bullets(p)) == sql(url, "select count(*) from commitment where territory_id=:t "
                                       "and axis_id is not null", t=tid)
    p.at.toggle(key="ref_only_empty").set_value(True)
    p.run()
    assert len(bullets(p)) == sql(url, "select count(*) from commitment where territory_id=:t "
                                       "and axis_id is not null and id not in (select "
                                       "commitment_id from action_commitment)", t=tid)
