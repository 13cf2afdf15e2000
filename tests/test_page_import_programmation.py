"""The import page (AppTest, SQLite and PostgreSQL) with a spreadsheet as people type it: the
columns it will not read are named before anything is written, the refused rows' reasons are
an escaped HTML table (cards on a phone) in full, and a file imported twice shows its rows as
already present, lets the editor keep them, and writes nothing."""
from sqlalchemy import create_engine, text

from editing_support import places_url  # noqa: F401 - fixture
from page_support import html_tables
from test_page_editing import _alerts, app  # noqa: F401 - fixture

LONG = ("Intitulé;Porteur;Commune;Date de début;Financeur;Montant accordé;Commentaire\n"
        "Soutien scolaire;Association Étoile;Champigny;01/09/2022;État;10 000;vu\n"
        ";;;;Ville;5 000;\n")
REFUSED = LONG + "Médiation;Asso;<b>Nulle</b>;2022-13-01;CAF;1 000;\n"


def _count(url, query):
    engine = create_engine(url)
    with engine.connect() as c:
        value = c.execute(text(query)).scalar()
    engine.dispose()
    return value


def _upload(app, at, content):
    at.file_uploader[0].set_value(("prog.csv", content.encode("utf-8"), "text/csv"))
    return app.rerun(at)


def test_ignored_columns_and_reasons_are_shown_before_any_write(app):
    at = _upload(app, app("chef-champigny", "pages/import_programmation.py"), REFUSED)
    assert "1 colonne(s) ignorée(s)" in _alerts(at) and "« Commentaire »" in _alerts(at)
    fields = list(at.dataframe[0].value["Champ"])  # the column mapping, editable
    assert fields[4:6] == ["Financeur (une ligne par financeur)",
                           "Montant accordé (ligne du financeur)"]
    assert len(at.dataframe) == 1  # the reasons are no canvas grid
    reasons = html_tables(at)[-1]
    assert list(reasons.columns) == ["Ligne", "Action", "Motif"]
    (line, action, why), = reasons.values.tolist()
    assert (line, action) == ("Ligne 4", "Médiation")
    assert why == ("L'année de début est obligatoire. Date de début : « 2022-13-01 » n'est pas une date (JJ/MM/AAAA). "
                   "Commune inconnue : « <b>Nulle</b> » (code INSEE attendu).")
    html = next(el.proto.body for el in at.get("html") if "Motif" in el.proto.body)
    assert "<b>" not in html and "« &lt;b&gt;Nulle&lt;/b&gt; »" in html  # escaped text
    assert not [b for b in at.button if b.label == "Importer"]
    assert _count(app.url, "select count(*) from action") == 0


def test_the_same_file_twice_is_already_present_and_can_be_kept(app):
    at = _upload(app, app("chef-champigny", "pages/import_programmation.py"), LONG)
    next(b for b in at.button if b.label == "Importer").click()
    at = app.rerun(at)
    assert "1 créée(s)" in _alerts(at)
    version = _count(app.url, "select n from data_version")
    at = _upload(app, at, LONG)
    assert at.metric[0].value == "0" and at.metric[1].value == "1"
    present = html_tables(at)[-1]
    assert present.values.tolist()[0][2:] == ["Soutien scolaire", "même titre, porteur et année",
                                              "aucune différence"]
    at.radio(key="existing_mode").set_value("skip")
    at = app.rerun(at)
    next(b for b in at.button if b.label == "Importer").click()
    at = app.rerun(at)
    assert "1 ignorée(s) (déjà présentes)" in _alerts(at)
    assert _count(app.url, "select count(*) from action") == 1
    assert _count(app.url, "select sum(amount_approved) from funding_line") == 15000
    assert _count(app.url, "select n from data_version") == version
