"""Words people use (issue 26, item 2), on the public instance: the glossary page « Les mots du
tableau de bord » defines every term the pages use, the figures showing a term carry its
definition, codes and references are folded in « Codes et références », and sources are named
as people name them (no line number, no embedded-extract name, no command)."""
import html
import re

import pytest

from page_support import PEMB, PTE, Page, sql, sql_rows, territory_id
from perr_ui import nav

# the words of issue 26, as a resident meets them on the pages (written here, not read from
# perr_model.glossary)
TERMS = ["angle mort", "engagement", "axe", "objectif opérationnel", "QPV",
         "quartier prioritaire", "contrat de ville", "PERR", "EPT", "adultes-relais", "FONJEP",
         "conseil citoyen", "COPIL", "porteur", "avancement", "pondération", "agrégation"]
# what a resident should never read outside a details section
NOISE = ["(ligne", "python -m", "QN0", "PERR-", "E-940", "E-930", "extrait embarqué",
         ".geojson", ".yaml"]
# an engagement's reference, worked out in SQL (« E-94017-1-3 »: commune, theme, place)
REF = "'E-' || co.insee_code || '-' || c.theme_position || '-' || c.position"


@pytest.fixture
def public(monkeypatch, embedded_sqlite):
    url = f"sqlite:///{embedded_sqlite}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PERR_PUBLIC", "1")
    return url


def glossary_of(p: Page) -> dict[str, str]:
    """{term: definition} as the glossary page shows them (its <dt>/<dd> pairs)."""
    body = "".join(h.proto.body for h in p.at.get("html") if "<dl" in h.proto.body)
    return {html.unescape(t): html.unescape(d) for t, d in re.findall(
        r"<dt[^>]*>(.*?)</dt><dd[^>]*>(.*?)</dd>", body, re.S)}


def outside_details(node, inside: bool = False) -> list[str]:
    """The text of every element of the page that is not inside an expander."""
    inside = inside or getattr(node, "type", None) == "expander"
    children = getattr(node, "children", None)
    if children:
        return [t for c in children.values() for t in outside_details(c, inside)]
    proto = getattr(node, "proto", None)
    return [] if inside or proto is None else [str(proto)]


def details(p: Page, label: str = "Codes et références") -> str:
    return "\n".join(str(el.proto) for e in p.at.expander if e.label == label
                     for el in e.children.values())


def noise_in(texts: list[str]) -> list[str]:
    return [f"{n} … {t[max(0, t.find(n) - 80):t.find(n) + 40]!r}"
            for t in texts for n in NOISE if n in t]


def test_the_glossary_is_a_reading_page_of_the_public_instance_and_defines_each_term(public):
    assert "pages/glossaire.py" in [s.path for s in nav.pages_for(True, None)]
    p = Page(public, "pages/glossaire.py", territory_id(public, PEMB))
    assert [t.value for t in p.at.title] == ["Les mots du tableau de bord"]
    defined = glossary_of(p)
    for term in TERMS:
        found = [d for t, d in defined.items() if term.lower() in t.lower()]
        assert found, f"« {term} » n'est pas défini"
        assert len(found[0].split()) >= 10, (term, found[0])  # a sentence, not a word


def test_figures_carry_the_definition_of_their_words(public):
    p = Page(public, "pages/glossaire.py", territory_id(public, PEMB))
    words = glossary_of(p)
    couverture = Page(public, "pages/couverture.py", territory_id(public, PTE))
    helps = {m.label: m.help for m in couverture.at.metric}
    assert words["Angle mort"] in helps["Angles morts"]
    assert words["Objectif opérationnel"] in helps["Objectifs couverts"]  # PTE: objectives
    assert words["Quartier prioritaire (QPV)"] in helps["Quartiers touchés"]
    assert words["Porteur"] in helps["Porteurs"]
    posts = helps["Postes financés par l'État"]
    for term in ("Adultes-relais", "FONJEP"):  # after a colon: « FONJEP : fonds de … »
        assert words[term][1:] in posts and f"{term} : " in posts
    evaluation = Page(public, "pages/evaluation.py", territory_id(public, PEMB))
    weight = evaluation.at.selectbox(key="eval_weight").help
    assert words["Pondération"][1:] in weight and words["Avancement"][1:] in weight
    territoires = Page(public, "pages/accueil.py", territory_id(public, PEMB))
    assert words["EPT"][1:] in territoires.at.title[0].proto.help
    assert words["PERR"][1:] in territoires.at.title[0].proto.help


def test_no_code_nor_file_outside_a_details_section_on_the_quartier_pages(public):
    for slug in (PEMB, PTE):
        tid = territory_id(public, slug)
        p = Page(public, "pages/quartier.py", tid)
        for qpv_id, code in sql_rows(
                public, "select distinct q.id, q.code from qpv q join qpv_commune l on "
                        "l.qpv_id=q.id join commune c on c.id=l.commune_id where "
                        "c.territory_id=:t order by q.id", t=tid):
            p.at.session_state["qpv_id"] = qpv_id
            p.run()
            assert not noise_in(outside_details(p.at.main)), (slug, qpv_id)
            if code:  # the official code is still there, for those who look it up
                assert f"Code officiel du quartier : {code}" in details(p), (slug, qpv_id)


def test_no_code_outside_a_details_section_on_couverture_and_actions(public):
    for slug in (PEMB, PTE):
        tid = territory_id(public, slug)
        couverture = Page(public, "pages/couverture.py", tid)
        assert not noise_in(outside_details(couverture.at.main)), slug
        actions = Page(public, "pages/actions.py", tid)
        assert not noise_in(outside_details(actions.at.main)), slug
    # an action of Paris Est Marne & Bois that serves an engagement: its detail folds both
    # references
    action_id, reference, served = sql_rows(
        public, f"select a.id, a.reference, {REF} from action a join action_commitment l on "
                "l.action_id=a.id join commitment c on c.id=l.commitment_id join commune co on "
                "co.id=c.commune_id where a.territory_id=:t and not a.archived order by a.id "
                "limit 1", t=territory_id(public, PEMB))[0]
    actions = Page(public, "pages/actions.py", territory_id(public, PEMB))
    actions.at.session_state["act_pick"] = action_id
    actions.run()
    assert [h.value for h in actions.at.header]  # the detail is shown
    assert not noise_in(outside_details(actions.at.main)), action_id
    folded = details(actions)
    assert reference in folded and served in folded, action_id


def test_the_engagements_page_folds_its_references(public):
    p = Page(public, "pages/engagements.py", territory_id(public, PEMB))
    assert not noise_in(outside_details(p.at.main))
    shown = sql(public, f"select {REF} from commitment c join commune co on "
                        "co.id=c.commune_id where c.territory_id=:t order by c.id limit 1",
                t=territory_id(public, PEMB))
    assert shown.startswith("E-94") and shown in details(p)


def test_indicator_sources_say_the_place_without_the_line_number(public):
    """Le Bois L'Abbé's indicators quote Champigny's diagnostic « (ligne 19) » in the data."""
    assert sql(public, "select count(*) from indicator_value where source_place like "
                       "'%(ligne 19)%'") > 0
    tid = territory_id(public, PEMB)
    p = Page(public, "pages/evaluation.py", tid)
    shown = "\n".join(outside_details(p.at.main))
    assert "diagnostic de l" in shown and "(ligne" not in shown


def test_sources_lose_line_numbers_and_the_embedded_extracts_name():
    from perr_model.vocabulary import human_source
    assert human_source("ANCT, périmètres officiels des QPV 2024 – « extrait embarqué des QPV "
                        "2024 (93 et 94) »") == "ANCT, périmètres officiels des QPV 2024"
    assert human_source("Champigny-sur-Marne, diagnostic, 1er tiret (ligne 19)") == \
        "Champigny-sur-Marne, diagnostic, 1er tiret"
    assert human_source("Avant-propos (lignes 20-22), 2e paragraphe") == \
        "Avant-propos, 2e paragraphe"
    assert human_source("Le chapitre « En ligne » (2020)") == "Le chapitre « En ligne » (2020)"


def test_a_quartier_without_official_perimeter_says_so_and_asks_no_import(monkeypatch,
                                                                          embedded_sqlite):
    """Le Gros Saule has no official 2024 perimeter (no QPV code): the notice says so to
    everyone, and asks nobody to import what does not exist."""
    url = f"sqlite:///{embedded_sqlite}"
    monkeypatch.setenv("DATABASE_URL", url)
    qpv_id = sql(url, "select id from qpv where name like '%Gros Saule%' and geometry is null")
    shown = {}
    for public in ("0", "1"):
        monkeypatch.setenv("PERR_PUBLIC", public)
        p = Page(url, "pages/quartier.py", territory_id(url, PTE))
        p.at.session_state["qpv_id"] = qpv_id
        p.run()
        shown[public] = "\n".join(c.value for c in p.at.caption)  # their Markdown source
        assert "« Gros Saule » n'a pas de périmètre officiel parmi les quartiers prioritaires de 2024" \
            in shown[public], shown[public]
    # nothing to import for a quartier that has no official perimeter: no command at all
    assert "python" not in shown["0"] and "Un administrateur" not in shown["0"]
    assert "python" not in shown["1"] and "Un administrateur" not in shown["1"]


def test_the_import_command_is_for_the_normal_instance_only(monkeypatch, embedded_sqlite,
                                                            tmp_path):
    """An official quartier whose perimeter is not imported yet: the way to import it (a menu,
    a command) on the normal instance only."""
    import shutil
    copy = tmp_path / "perr.sqlite"
    shutil.copy(embedded_sqlite, copy)
    url = f"sqlite:///{copy}"
    qpv_id = sql(url, "select id from qpv where name like '%Bois L%Abb%' and code is not null")
    import sqlite3
    with sqlite3.connect(copy) as con:
        con.execute("update qpv set geometry = null where id = ?", (qpv_id,))
    monkeypatch.setenv("DATABASE_URL", url)
    shown = {}
    for public in ("0", "1"):
        monkeypatch.setenv("PERR_PUBLIC", public)
        p = Page(url, "pages/quartier.py", territory_id(url, PEMB))
        p.at.session_state["qpv_id"] = qpv_id
        p.run()
        shown[public] = "\n".join(c.value for c in p.at.caption)  # their Markdown source
        assert "n'est pas encore importé" in shown[public], shown[public]
    assert "« python -m perr\\_model geo fetch --department 94 »" in shown["0"]
    assert "python" not in shown["1"] and "Un administrateur" not in shown["1"]
