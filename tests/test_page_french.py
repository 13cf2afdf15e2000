"""French on every editing screen (issue 22, item 5): the form, the history, the restore
choice, the detail, the import's differences, the accounts — no `None`, `nan`, `empty`, ISO
dates or timestamps, dot decimals, English month or day names; amounts and dates in French.

The text checked is what the page shows a person (labels, values, options, tables, alerts),
read from the AppTest tree; a date field's own value is a date object for the browser to draw
(its format is checked instead). Expected values are worked by hand from the data written."""
import re

from editing_support import places_url  # noqa: F401 - fixture
from page_support import html_tables
from perr_model import editing
from perr_model.auth import Actor
from perr_model.store import make_engine, write_session
from test_page_editing import app  # noqa: F401 - fixture

FORBIDDEN = {
    "None": re.compile(r"\bNone\b"), "nan": re.compile(r"\bnan\b", re.I),
    "empty": re.compile(r"\bempty\b", re.I),
    "date ISO": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "décimale à point": re.compile(r"(?<![\d.])\d+\.\d{2}\b(?!\.)"),
    "mois ou jour anglais": re.compile(
        r"\b(January|February|March|April|May|June|July|August|September|October|November|"
        r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"),
    "booléen": re.compile(r"\b(True|False)\b"),
}


def shown(at) -> str:
    """Every text of the page a person reads (date fields' internal values left out)."""
    parts = []

    def walk(node):
        kind = getattr(node, "type", "")
        if kind != "date_input":
            for attr in ("label", "value", "options", "help", "placeholder", "body"):
                value = getattr(node, attr, None)
                if hasattr(value, "to_csv"):
                    value = value.to_csv(index=False)
                if isinstance(value, (list, tuple)):
                    value = "\n".join(map(str, value))
                if isinstance(value, str):
                    parts.append(value)
            proto = getattr(node, "proto", None)
            if kind == "html" and proto is not None:
                parts.append(re.sub(r"<[^>]+>", " ", proto.body))
        for child in getattr(node, "children", {}).values():
            walk(child)
    walk(at.main)
    return "\n".join(parts)


def spaces(text):
    """French spacing (narrow and no-break spaces) as plain spaces, to compare by hand."""
    return text.replace("\u202f", " ").replace("\u00a0", " ") if isinstance(text, str) else text


def assert_french(text: str) -> None:
    found = {name: rx.findall(text) for name, rx in FORBIDDEN.items() if rx.search(text)}
    assert not found, found


def _action(app) -> int:
    """An action with empty fields (porteur, description, end date, quartiers, bénéficiaires),
    a start date and amounts with cents, edited once (its history holds dates and amounts)."""
    engine = make_engine(app.url, read_only=False)
    with write_session(engine) as s:
        aid = editing.create_action(s, Actor.system("saisie"), {
            "title": "Atelier numérique", "year_start": "2022", "communes": ["94017"],
            "start_date": "01/09/2022",
            "funding": [{"funder": "etat_p147", "year": "2022", "amount_requested": "12500",
                         "amount_approved": "10000,50"}]}, territory_id=app.tid).id
    with write_session(engine) as s:
        editing.update_action(s, Actor.system("saisie"), aid, {
            "start_date": "15/09/2022",
            "funding": [{"funder": "etat_p147", "year": "2022", "amount_requested": "12500",
                         "amount_approved": "11000"}]}, expected_version=1)
    engine.dispose()
    return aid


def test_the_form_and_its_history_are_in_french(app):
    aid = _action(app)
    at = app("admin-pemb", "pages/saisie_action.py")
    at.selectbox(key="action_choice").set_value(aid)
    at = app.rerun(at)
    text = shown(at)
    assert_french(text)
    funding = at.dataframe[0].value.map(spaces)
    assert funding.values.tolist() == [["etat_p147", "2022", "12 500", "11 000"]]
    starts = [d for d in at.date_input if d.label == "Date de début"]
    assert starts[0].value.isoformat() == "2022-09-15" and starts[0].proto.format == "DD/MM/YYYY"
    history = html_tables(at)[-1].map(spaces)
    assert list(history.columns) == ["Date", "Opération", "Résumé", "Détail", "Auteur"]
    detail = history["Détail"].iloc[0]
    assert "Date de début : 15/09/2022 → " not in detail  # newest first: the edit
    assert "Date de début : 01/09/2022 → 15/09/2022" in detail
    assert "10 000,50 €" in detail and "11 000 €" in detail
    created = history["Détail"].iloc[1]
    assert "Communes : (vide) → Champigny-sur-Marne" in created, created  # not its INSEE code
    months = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
    assert all(re.fullmatch(rf"(1er|\d{{1,2}}) ({months}) 20\d\d à \d{{1,2}} h \d\d", d)
               for d in history["Date"]), history["Date"].tolist()
    restore = next(s for s in at.selectbox if s.label.startswith("Revenir à l'état"))
    assert [spaces(o) for o in restore.options] == history["Date"].tolist()


def test_a_new_action_shows_empty_fields_empty(app):
    at = app("chef-champigny", "pages/saisie_action.py")
    assert_french(shown(at))
    assert all(t.value == "" for t in at.text_input if t.label != "Titre *")


def test_the_detail_is_in_french(app):
    aid = _action(app)
    at = app(None, "pages/actions.py")
    at.selectbox(key="act_pick").set_value(aid)
    at = app.rerun(at)
    text = shown(at)
    assert_french(text)
    assert "**Dates** : du 15 septembre 2022" in text
    money = html_tables(at)[0].map(spaces)
    assert money.values.tolist() == [[
        "État – crédits politique de la ville (P147)", "2022", "12 500 €", "11 000 €"]]


def test_the_import_differences_are_in_french(app):
    aid = _action(app)
    at = app("chef-champigny", "pages/import_programmation.py")
    engine = make_engine(app.url)
    with engine.connect() as c:
        from sqlalchemy import text as sql
        ref = c.execute(sql("select reference from action where id = :i"), {"i": aid}).scalar()
    engine.dispose()
    data = (f"reference;titre;communes;annee_debut;date_debut;financeur;montant_accorde\n"
            f"{ref};Atelier numérique;94017;2022;01/10/2022;État;11000,5\n")
    at.file_uploader[0].set_value(("prog.csv", data.encode("utf-8"), "text/csv"))
    at = app.rerun(at)
    text = shown(at)
    assert_french(text)
    changes = spaces(html_tables(at)[-1]["Différences (avant → fichier)"].iloc[0])
    assert "15 septembre 2022" in changes or "15/09/2022" in changes, changes
    assert "11 000,50" in changes, changes


def test_the_accounts_are_in_french(app):
    at = app("admin-pemb", "pages/comptes.py")
    assert_french(shown(at))
    accounts = html_tables(at)[0]
    assert set(accounts["Actif"]) == {"oui"}
    assert accounts.set_index("Identifiant").loc["lecteur", "Communes"] == ""


def test_the_export_goes_back_through_the_import_page_unchanged(app):
    """Item 6 on the page: the XLSX of the Actions page, uploaded as it is — every column used
    (the readable ones and the « (code) » ones), « 1 inchangée(s) », nothing written."""
    from sqlalchemy.orm import Session

    from perr_model import action_list as al
    _action(app)
    engine = make_engine(app.url)
    with Session(engine) as s:
        data = al.to_xlsx_bytes(al.export_frame(s, al.ActionFilter(territory_id=app.tid)))
    with engine.connect() as c:
        from sqlalchemy import text as sql
        audits = c.execute(sql("select count(*) from audit_log where entity = 'action'")
                           ).scalar()
    at = app("admin-pemb", "pages/import_programmation.py")
    at.file_uploader[0].set_value(("actions.xlsx", data, "application/octet-stream"))
    at = app.rerun(at)
    assert "Toutes les colonnes du fichier sont utilisées." in [c.value for c in at.caption]
    assert not at.warning, [w.value for w in at.warning]
    assert_french(shown(at))
    next(b for b in at.button if b.label == "Importer").click()
    at = app.rerun(at)
    assert any("0 créée(s), 0 mise(s) à jour, 1 inchangée(s)" in s.value for s in at.success)
    with engine.connect() as c:
        assert c.execute(sql("select count(*) from audit_log where entity = 'action'")
                         ).scalar() == audits  # the action untouched: no entry
    engine.dispose()
