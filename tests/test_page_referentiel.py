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
    axes = [e for e in p.at.expander if e.label.startswith("Axe ")]  # then the annex, apart
    assert len(axes) == sql(url, "select count(*) from axis where territory_id=:t", t=tid)
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


CITE_OBJECTIVES = ("select o.text from cite_educative_objective o join cite_educative c on "
                   "c.id = o.cite_id where c.territory_id = :t")


def shown(value: str) -> str:
    """A text from data as an escaped HTML table shows it."""
    import html
    return html.escape(value[:1].upper() + value[1:])


def test_annex_cites_governance_and_signatories(on, embedded_sqlite):
    """Issue 24, item 4: the cités éducatives' objectives (18, counted in SQL), the governance
    bodies and the signatories (by role, never by name) on the page, folded."""
    from page_support import sql_rows
    url = on(embedded_sqlite)
    tid = territory_id(url, PTE)
    p = Page(url, "pages/referentiel.py", tid)
    page = p.text()
    objectives = [r[0] for r in sql_rows(url, CITE_OBJECTIVES, t=tid)]
    assert len(objectives) == 18
    assert all(shown(o) in page for o in objectives)
    labels = [e.label for e in p.at.expander]
    assert "Cités éducatives : 2 cités, 18 objectifs" in labels
    bodies = [r[0] for r in sql_rows(url, "select name from governance_body where "
                                          "territory_id = :t", t=tid)]
    roles = sql_rows(url, "select role, person_name from signatory where territory_id = :t",
                     t=tid)
    assert len(bodies) == 4 and len(roles) == 10
    assert all(shown(b) in page for b in bodies)
    assert all(shown(r) in page for r, _ in roles)
    assert not [n for _, n in roles if n and n in page]           # personal: never shown
    assert "Signataires : 10 signataires, signé le 6 janvier 2020" in labels
    assert not any(e.proto.expanded for e in p.at.expander if e.label in (
        "Cités éducatives : 2 cités, 18 objectifs", "Gouvernance : 4 instances ou rendez-vous"))


def test_context_sentence_is_shown_with_its_engagement(on, embedded_sqlite):
    """Issue 24, item 3: « Signature du protocole le 5 février 2019 » is no action: the page
    shows it under its engagement, and in the protocol's context section."""
    from page_support import PEMB
    url = on(embedded_sqlite)
    tid = territory_id(url, PEMB)
    p = Page(url, "pages/referentiel.py", tid)
    lines = [line for m in p.at.markdown for line in m.value.splitlines()]
    at = next(i for i, line in enumerate(lines) if line.startswith("- E-94017-5-2 "))
    assert lines[at + 1] == ("    - *Contexte donné par le protocole : Signature du protocole "
                             "le 5 février 2019*")
    assert "aucune action" not in lines[at]                        # it keeps its real action
    assert "Contexte donné par le protocole pour des engagements : 3 engagements" in [
        e.label for e in p.at.expander]
