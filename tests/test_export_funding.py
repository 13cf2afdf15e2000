"""`export funding` lists every funding line: ANCT posts and actions' funding alike."""
import csv
import io
import json
from collections import Counter

from editing_support import places_url, store  # noqa: F401 - fixtures
from perr_model import editing
from perr_model.auth import Actor
from perr_model.exports.funding import funding_lines, to_csv
from perr_model.importers.posts import import_posts
from perr_model.store import write_session


def test_every_line_is_listed_with_its_contrat_and_origin(store, shared_data):
    engine, actors, pemb, _ = store
    path = shared_data / "anct" / "adultes-relais-2020.json"
    posts = json.loads(path.read_text())
    with write_session(engine) as s:
        import_posts(s, Actor.system(), path.read_bytes(), "adultes-relais", source=path.name)
        editing.create_action(s, actors["chef-champigny"], {
            "reference": "R-1", "title": "Atelier", "year_start": "2021", "communes": ["94017"],
            "funding": [{"funder": "caf", "amount_requested": "1 000,5"}]}, territory_id=pemb)
        rows = list(csv.DictReader(io.StringIO(to_csv(funding_lines(s)))))
    assert len(rows) == len(posts) + 1
    action_line = next(r for r in rows if r["reference_action"] == "R-1")
    assert (action_line["contrat_de_ville"], action_line["financeur"],
            action_line["montant_demande"], action_line["origine"]) == (
        "CV915", "caf", "1000.50", "manual")
    by_cv = Counter(r["contrat_de_ville"] for r in rows if r["origine"] == "anct")
    assert by_cv == Counter(p["code_cv"] for p in posts)
    assert set(rows[0]) >= {"contrat_de_ville", "annee", "financeur", "porteur",
                            "montant_accorde", "origine"}
