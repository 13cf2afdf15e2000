"""The reviewed decision on each line of Paris Est Marne & Bois' « actions en cours » (issue 24,
item 3): kept as an action, a note of its engagement, or dropped; the figures follow.

Expected values are read from the committed YAML by this test's own walk (not by the importer)
and from raw SQL; the seed is read line by line with a rule written here, when ../shared is
present.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from perr_model.settings import PROJECT_ROOT

YAML_FILE = PROJECT_ROOT / "data" / "referential" / "paris-est-marne-et-bois.yaml"
SEED_NAME = "perr-paris-est-marne-et-bois-annexe-1.md"
SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / SEED_NAME
SIGNATURE = "Signature du protocole le 5 février 2019"


def reviewed_lines() -> list[tuple[str, dict, dict]]:
    """(commune INSEE code, commitment, line) of every line of the committed YAML's lists."""
    doc = yaml.safe_load(YAML_FILE.read_text(encoding="utf-8"))
    return [(c["insee_code"], cm, a) for c in doc["communes"] for t in c["themes"]
            for cm in t["commitments"] for a in cm["actions"]]


def kept() -> list[dict]:
    return [a for _, _, a in reviewed_lines() if a["decision"] == "action"]


def scalar(url: str, query: str, **params):
    engine = create_engine(url)
    with engine.connect() as c:
        value = c.execute(text(query), params).scalar()
    engine.dispose()
    return value


# --- the YAML alone (no ../shared needed) -------------------------------------------------------

def test_every_line_of_the_yaml_has_a_decision_and_a_reason():
    lines = reviewed_lines()
    assert len(lines) == 46                          # the lines under « Exemple(s) d'action(s) »
    numbers = [a["line"] for _, _, a in lines]
    assert len(set(numbers)) == len(numbers) and all(isinstance(n, int) for n in numbers)
    for _, _, a in lines:
        assert a["decision"] in ("action", "note", "dropped"), a["line"]
        assert a["reason"] and a["reason"].strip(), a["line"]
        if a["decision"] == "action":
            assert a["reference"].startswith("PERR-94017-"), a["line"]
        else:
            assert "reference" not in a and "year_start" not in a, a["line"]
    by_line = {a["line"]: a for _, _, a in lines}
    assert by_line[186]["text"] == SIGNATURE and by_line[186]["decision"] == "note"
    assert by_line[149]["text"].startswith("2018 a été l'année de la montée en puissance")
    assert by_line[149]["decision"] == "note"


def test_years_only_where_the_line_or_its_list_states_them():
    """A kept action's year is written in its own text, or its list's label (« Exemples
    d'actions en cours depuis 2018 », lines 143-153 of the annex): never invented."""
    for a in kept():
        for year in (a.get("year_start"), a.get("year_end")):
            if year is not None:
                assert str(year) in a["text"] or (143 <= a["line"] <= 153 and year == 2018), a


# --- the seed, read here line by line -----------------------------------------------------------

def seed_action_lines(path: Path) -> dict[int, str]:
    """Line number → text of each bullet under a « Exemple(s) d'action(s) » label, up to the next
    paragraph or heading; a bullet « - 2. … » is a numbered engagement and ends the list."""
    out: dict[int, str] = {}
    in_list = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if re.match(r"^Exemples? d'actions?\b", line):
            in_list = True
        elif not line:
            continue
        elif in_list and line.startswith("- ") and not re.match(r"^-\s+\d+\.\s", line):
            out[number] = line[2:]
        else:
            in_list = False
    return out


def words(value: str) -> list[str]:
    return re.findall(r"\w+", value.replace("*", ""))


@pytest.mark.skipif(not SEED.is_file(), reason=f"../shared/seeds/{SEED_NAME} absent : le texte "
                    "du protocole n'est pas livré avec le dépôt")
def test_every_line_of_the_annex_has_a_decision():
    seed = seed_action_lines(SEED)
    reviewed = {a["line"]: a for _, _, a in reviewed_lines()}
    assert sorted(seed) == sorted(reviewed)
    for number, line in seed.items():          # the same words as the document's line
        assert words(reviewed[number]["text"]) == words(line), number


# --- the store built from data/ (init-db) -------------------------------------------------------

def test_protocol_actions_are_the_kept_lines(loaded_url):
    n = scalar(loaded_url, "select count(*) from action a join territory t on t.id = "
                           "a.territory_id where t.slug = 'paris-est-marne-et-bois' and "
                           "a.origin = 'protocol' and not a.archived")
    assert n == len(kept()) == 42
    refs = scalar(loaded_url, "select count(*) from action where reference in ("
                  + ",".join(f"'{a['reference']}'" for a in kept()) + ")")
    assert refs == len(kept())


def test_a_context_sentence_is_a_note_of_its_engagement(loaded_url):
    assert scalar(loaded_url, "select count(*) from action where title = :t or description "
                              "= :t", t=SIGNATURE) == 0
    note = scalar(loaded_url, "select note from commitment where text like 'Engager le Projet "
                              "de Renouvellement Urbain%'")
    assert note == SIGNATURE
    for insee, commitment, a in reviewed_lines():
        if a["decision"] == "note":
            notes = scalar(loaded_url, "select c.note from commitment c join commune m on m.id "
                           "= c.commune_id where m.insee_code = :i and c.text = :x",
                           i=insee, x=commitment["text"])
            assert a["text"] in notes.split("\n"), a["line"]
    noted = {(insee, cm["text"]) for insee, cm, a in reviewed_lines() if a["decision"] == "note"}
    assert scalar(loaded_url, "select count(*) from commitment where note is not null") == len(
        noted) == 3                           # lines 146 and 149 are notes of one engagement


def test_stored_figures_follow(embedded_sqlite):
    """The figures stored by init-db (headline, angles morts) count the kept actions only."""
    from perr_model.figures import Scope, coverage
    from perr_model.figures.stored import read
    url = f"sqlite:///{embedded_sqlite}"
    tid = scalar(url, "select id from territory where slug = 'paris-est-marne-et-bois'")
    undated = sum(1 for a in kept() if a.get("year_start") is None)
    dead = scalar(url, "select count(*) from commitment c where c.territory_id = :t and not "
                       "exists (select 1 from action_commitment l join action a on a.id = "
                       "l.action_id where l.commitment_id = c.id and not a.archived)", t=tid)
    engine = create_engine(url)
    with Session(engine) as s:
        h = read(s, coverage.headline, Scope(tid, None))
    engine.dispose()
    assert (h["actions"], h["undated"], h["angles_morts"]) == (len(kept()), undated, dead)
    assert undated == 28


@pytest.mark.skipif(not SEED.is_file(), reason=f"../shared/seeds/{SEED_NAME} absent : le texte "
                    "du protocole n'est pas livré avec le dépôt")
def test_reimporting_the_document_keeps_the_review(loaded_url):
    from perr_model.importers.protocol import import_protocol
    report = import_protocol(loaded_url, SEED, "paris-est-marne-et-bois")
    assert report.counts["Champigny-sur-Marne : actions en cours"] == len(kept())
    assert not [n for n in report.notes if "à relire" in n]
    assert scalar(loaded_url, "select count(*) from action where origin = 'protocol' and not "
                              "archived and reference like 'PERR-94017-%'") == len(kept())
    assert scalar(loaded_url, "select count(*) from commitment where note = :t",
                  t=SIGNATURE) == 1
