"""The Évaluation page (issue 15) through AppTest on the embedded data: Champigny's indicators
with their trend, planned vs achieved, filters, plain-text data, the Quartier page's section,
the public instance, and the editing page's role check."""
from __future__ import annotations

import shutil

import pytest

from page_support import PEMB, PTE, Page, on, sql, territory_id, trend_columns  # noqa: F401
from perr_model.auth import Actor
from perr_model.evaluation import exchange
from perr_model.store import make_engine, write_session

PAGE = "pages/evaluation.py"


def champigny(url: str) -> int:
    return sql(url, "select id from commune where insee_code = '94017'")


def test_champigny_indicators_trend_and_words(embedded_sqlite, on):
    url = on(embedded_sqlite)
    p = Page(url, PAGE, territory_id(url, PEMB))
    p.at.selectbox(key="eval_commune").set_value(champigny(url))
    p.run()
    shown = "\n".join(m.value for m in p.at.markdown)
    assert "Écart de taux d\\'emploi entre les quartiers prioritaires de Champigny" in shown
    assert "Première mesure : 14\u00a0points \\(2000\\)" in shown
    assert "Dernière valeur : 17\u00a0points \\(2014\\)" in shown
    assert "\\+3\u00a0points depuis 2000 \\(évolution défavorable\\)" in shown
    assert "Cible : aucune fixée par le protocole" in shown and "objectif 20" not in shown
    assert "Taux de chômage" not in shown  # Saint-Maur's figures are filtered out
    assert any(d.label == "Télécharger les valeurs des indicateurs (CSV)"
               for d in p.at.get("download_button"))
    # the trends (HTML columns): each value written above its column, its year under it,
    # the heights in proportion to the values (from zero)
    trends = {tuple(c[1] for c in t["columns"]): t for t in trend_columns(p.at)}
    for values in ((14, 15, 17), (860, 1090, 1190)):
        t = trends[tuple(f"{x:,}".replace(",", "\u202f") for x in values)]
        assert [c[0] for c in t["columns"]] == ["2000", "2009", "2014"]
        heights = [c[2] for c in t["columns"]]
        assert heights == pytest.approx([7.0 * x / max(values) for x in values], abs=0.01)
        assert t["label"].startswith("Évolution de l'indicateur « ")
    captions = "\n".join(c.value for c in p.at.caption)
    # the place in the protocol said in words, without the line number of the text read
    assert "parcours\\, 1er tiret" in captions  # Markdown source: « mi\\-parcours\\, 1er tiret »
    assert "(ligne" not in captions and "Annexe 1" not in captions.replace("annexe 1", "")
    # planned vs achieved: the protocol's actions report no beneficiaries — said, not zero
    assert "Bénéficiaires réalisés \\: non renseignés \\(ce n\\'est pas zéro\\)" in shown
    n = sql(url, "select count(*) from action a where not a.archived and a.id in ("
                 "select action_id from action_commune where commune_id = :c union "
                 "select aq.action_id from action_qpv aq join qpv_commune qc "
                 "on qc.qpv_id = aq.qpv_id where qc.commune_id = :c)", c=champigny(url))
    assert n > 0 and f"- {n} action\\(s\\) comptée\\(s\\)" in shown


def test_quartier_filter_and_quartier_page(embedded_sqlite, on):
    url = on(embedded_sqlite)
    tid = territory_id(url, PEMB)
    rives = sql(url, "select id from qpv where name = 'Rives de la Marne' or aliases like '%Rives de la Marne%'")
    p = Page(url, PAGE, tid)
    p.at.selectbox(key="eval_qpv").set_value(rives)
    p.run()
    shown = "\n".join(m.value for m in p.at.markdown)
    assert "Taux de chômage" in shown and "22\\,5\u00a0\\%" in shown
    assert "environ 200\u00a0demandeurs d\\'emploi \\(année non précisée\\)" in shown
    assert "Écart de taux" not in shown
    q = Page(url, "pages/quartier.py", tid)
    q.at.selectbox(key="qpv_id").set_value(rives)
    q.run()
    assert any(s.value == "Indicateurs du quartier" for s in q.at.subheader)
    assert "Part des habitants en emploi précaire" in "\n".join(m.value for m in q.at.markdown)


def test_context_figures_of_paris_terres_d_envol(embedded_sqlite, on):
    url = on(embedded_sqlite)
    p = Page(url, PAGE, territory_id(url, PTE))
    shown = "\n".join(m.value for m in p.at.markdown)
    assert any(s.value == "Contexte du territoire" for s in p.at.subheader)
    assert "environ 361\u202f000\u00a0habitants \\(2016\\)" in shown
    assert "48\u00a0\\% \\(année non précisée\\)" in shown


def test_text_from_data_is_never_markdown(embedded_sqlite, tmp_path, on):
    path = tmp_path / "perr.sqlite"
    shutil.copy(embedded_sqlite, path)
    url = on(f"sqlite:///{path}")
    engine = make_engine(url, read_only=False)
    label = "**gras** [lien](http://exemple.invalid) :red[rouge] <b>x</b>"
    with write_session(engine) as s:
        report = exchange.import_rows(s, Actor.system(), [{
            "territoire": PEMB, "rattachement": "axe 1", "commune": "94017", "indicateur": label,
            "unite": "%", "annee": "2020", "type": "mesure", "valeur": "5",
            "source": "_source_ `code`"}])
        assert report.ok
    engine.dispose()
    p = Page(url, PAGE, territory_id(url, PEMB))
    values = [m.value for m in p.at.markdown] + [c.value for c in p.at.caption]
    assert not any("**gras**" in v or "[lien](" in v or ":red[" in v for v in values)
    assert any("\\*\\*gras\\*\\* \\[lien\\]\\(http\\:" in v for v in values)
    assert any("\\_source\\_ \\`code\\`" in v for v in values)


def test_public_instance_shows_the_page_without_editing(embedded_sqlite, monkeypatch, on):
    url = on(embedded_sqlite)
    monkeypatch.setenv("PERR_PUBLIC", "1")
    from perr_ui.nav import pages_for
    public = [s.path for s in pages_for(True, None)]
    assert PAGE in public and "pages/saisie_indicateurs.py" not in public
    assert "pages/saisie_indicateurs.py" in [s.path for s in pages_for(False, "editor")]
    p = Page(url, PAGE, territory_id(url, PEMB))
    assert "init-db" not in p.text()  # who entered the protocol's figures is not shown


def test_editing_page_refuses_a_reader(embedded_sqlite, on):
    url = on(embedded_sqlite)
    p = Page(url, "pages/couverture.py", territory_id(url, PEMB))
    p.at.switch_page("pages/saisie_indicateurs.py")
    p.run()
    assert not p.at.get("file_uploader")
    assert [w.value for w in p.at.warning] == [
        "Cette page est réservée aux éditeurs connectés (chefs de projet) et aux "
        "administrateurs."]
    assert any(m.value.startswith("Connectez-vous depuis la page **Connexion**")
               for m in p.at.markdown)
