"""The corrections of the review screen, as pure functions, on small hand-worked referentials."""
from __future__ import annotations

import pytest

from perr_model.errors import ValidationFailed
from perr_model.importers.protocol import context_from_data, parse_protocol
from perr_model.importers.protocol_review import (
    ACTION, AXIS, COMMITMENT, EXAMPLE, GROUP, OBJECTIVE, STRATEGIC, THEME, Item, add_child,
    from_items, merge_with_previous, move, number_in_order, problems, rename, renumber, split,
    to_items,
)

DOC = {"territory": "paris-terres-d-envol", "shape": "axes", "protocol_title": "P",
       "axes": [
           {"number": 1, "title": "Insertion et développement économique", "short_title": "x",
            "pillar": "developpement_economique", "pillar_keyword": "developpement economique",
            "strategic_objectives": [{"text": "Faciliter l'accès à l'emploi", "pillar": "x",
                                      "groups": [
                {"number": 1, "title": "Renforcer l'attractivité", "pillar": "x",
                 "pillar_keyword": None, "objectives": ["Stimuler la mutation des zones",
                                                        "d'activités", "Améliorer l'offre"],
                 "examples": ["Un exemple"]},
                {"number": 2, "title": "Mieux informer", "pillar": "x", "pillar_keyword": None,
                 "objectives": ["Identifier les acteurs"], "examples": []}]}]}],
       "governance": [{"name": "COPIL"}]}


def levels_texts(items):
    return [(i.level, i.number, i.text) for i in items]


def test_to_items_lists_the_tree_in_document_order():
    assert levels_texts(to_items(DOC)) == [
        (AXIS, 1, "Insertion et développement économique"),
        (STRATEGIC, None, "Faciliter l'accès à l'emploi"),
        (GROUP, 1, "Renforcer l'attractivité"),
        (OBJECTIVE, None, "Stimuler la mutation des zones"),
        (OBJECTIVE, None, "d'activités"),
        (OBJECTIVE, None, "Améliorer l'offre"),
        (EXAMPLE, None, "Un exemple"),
        (GROUP, 2, "Mieux informer"),
        (OBJECTIVE, None, "Identifier les acteurs")]


def test_merge_a_mis_split_objective():
    items = merge_with_previous(to_items(DOC), 4)
    doc = from_items(items, DOC)
    group = doc["axes"][0]["strategic_objectives"][0]["groups"][0]
    assert group["objectives"] == ["Stimuler la mutation des zones d'activités",
                                   "Améliorer l'offre"]
    assert group["examples"] == ["Un exemple"]
    assert doc["governance"] == [{"name": "COPIL"}]       # the rest of the parse is kept
    assert problems(doc) == []


def test_merge_refuses_an_item_without_previous_sibling():
    items = to_items(DOC)
    with pytest.raises(ValidationFailed, match="rien à fusionner"):
        merge_with_previous(items, 3)     # the first objective of its group
    with pytest.raises(ValidationFailed, match="rien à fusionner"):
        merge_with_previous(items, 8)     # first objective of group 2: group 1's are not siblings


def test_merge_groups_takes_the_children_along():
    items = merge_with_previous(to_items(DOC), 7)
    groups = from_items(items, DOC)["axes"][0]["strategic_objectives"][0]["groups"]
    assert [(g["number"], g["title"]) for g in groups] == [
        (1, "Renforcer l'attractivité Mieux informer")]
    assert groups[0]["objectives"] == ["Stimuler la mutation des zones", "d'activités",
                                       "Améliorer l'offre", "Identifier les acteurs"]


def test_split_an_objective_at_a_text():
    items = split(to_items(DOC), 5, "l'offre")
    group = from_items(items, DOC)["axes"][0]["strategic_objectives"][0]["groups"][0]
    assert group["objectives"] == ["Stimuler la mutation des zones", "d'activités", "Améliorer",
                                   "l'offre"]
    with pytest.raises(ValidationFailed, match="ne se trouve pas"):
        split(to_items(DOC), 5, "absent")
    with pytest.raises(ValidationFailed, match="ne se trouve pas"):
        split(to_items(DOC), 5, "Améliorer")   # nothing would be left before


def test_split_a_group_gives_the_next_number_and_the_children_to_the_second_part():
    items = split(to_items(DOC), 2, "l'attractivité")
    groups = from_items(items, DOC)["axes"][0]["strategic_objectives"][0]["groups"]
    assert [(g["number"], g["title"], len(g["objectives"])) for g in groups] == [
        (1, "Renforcer", 0), (2, "l'attractivité", 3), (2, "Mieux informer", 1)]
    doc = from_items(items, DOC)
    assert problems(doc) == [
        "Axe 1 : deux objectifs portent le numéro 2.",
        "Axe 1, objectif 1 « Renforcer » : aucun objectif opérationnel."]
    fixed = number_in_order(items, 2)
    assert [g["number"] for g in from_items(fixed, DOC)["axes"][0]["strategic_objectives"][0][
        "groups"]] == [1, 2, 3]


def test_rename_renumber_and_pillar_follows_the_title():
    items = rename(to_items(DOC), 0, "Éducation et formation")
    items = renumber(items, 0, 3)
    axis = from_items(items, DOC)["axes"][0]
    assert (axis["number"], axis["title"], axis["pillar"]) == (3, "Éducation et formation",
                                                               "cohesion_sociale")
    with pytest.raises(ValidationFailed):
        renumber(items, 3, 2)            # an operational objective has no number
    with pytest.raises(ValidationFailed):
        rename(items, 3, "   ")


def test_move_an_objective_to_another_group():
    items = to_items(DOC)
    moved = move(items, 5, 7)           # "Améliorer l'offre" under group 2
    groups = from_items(moved, DOC)["axes"][0]["strategic_objectives"][0]["groups"]
    assert groups[0]["objectives"] == ["Stimuler la mutation des zones", "d'activités"]
    assert groups[1]["objectives"] == ["Identifier les acteurs", "Améliorer l'offre"]
    # moved: axis, SO, group 1, Stimuler, d'activités, example, group 2, Identifier, Améliorer
    back = move(moved, 7, 2)            # "Identifier les acteurs" up under group 1
    groups = from_items(back, DOC)["axes"][0]["strategic_objectives"][0]["groups"]
    assert groups[0]["objectives"] == ["Stimuler la mutation des zones", "d'activités",
                                       "Identifier les acteurs"]
    assert groups[0]["examples"] == ["Un exemple"]
    with pytest.raises(ValidationFailed, match="ne peut pas être rattaché"):
        move(items, 5, 1)               # an objective under a strategic objective


def test_add_child_then_save_shape():
    items = add_child(to_items(DOC), 7, EXAMPLE, "Un exemple ajouté")
    group = from_items(items, DOC)["axes"][0]["strategic_objectives"][0]["groups"][1]
    assert group["examples"] == ["Un exemple ajouté"]


COMMUNES_MD = """Orientations Paris Est Marne & Bois

➤ Orientations et objectifs du contrat de ville de la commune de Champigny-sur-Marne :

➤ **Les engagements de la ville en matière de cadre de vie :**

**1. Relancer une dynamique avec les bailleurs.**

Exemples d'actions en cours :

- Instances relancées en 2019 au Bois l'Abbé
- Mise en place du dispositif « Champigny Ville Durable »

**2. Engager le Projet de Renouvellement Urbain**
"""


def test_communes_round_trip_and_merge_renumbers_action_references():
    ctx = context_from_data("paris-est-marne-et-bois")
    doc = parse_protocol(COMMUNES_MD, "paris-est-marne-et-bois", context=ctx)
    items = to_items(doc)
    assert [i.level for i in items] == ["commune", THEME, COMMITMENT, ACTION, ACTION, COMMITMENT]
    strip = lambda d: [{k: v for k, v in c.items() if k != "line"} for c in d]  # noqa: E731
    again = from_items(items, doc, ctx)
    c_again = again["communes"][0]["themes"][0]["commitments"]
    c_doc = doc["communes"][0]["themes"][0]["commitments"]
    assert [strip(c["actions"]) for c in c_again] == [strip(c["actions"]) for c in c_doc]
    merged = from_items(merge_with_previous(items, 4), doc, ctx)
    commitments = merged["communes"][0]["themes"][0]["commitments"]
    actions = commitments[0]["actions"]
    assert [a["reference"] for a in actions] == ["PERR-94017-1-1-1"]
    assert actions[0]["text"] == ("Instances relancées en 2019 au Bois l'Abbé Mise en place du "
                                  "dispositif « Champigny Ville Durable »")
    assert actions[0]["year_start"] == 2019
    # the second commitment moved under the first becomes... not possible: same level
    with pytest.raises(ValidationFailed):
        move(items, 5, 2)
    moved = from_items(move(items, 3, 5), doc, ctx)     # an action under commitment 2
    refs = [[a["reference"] for a in c["actions"]]
            for c in moved["communes"][0]["themes"][0]["commitments"]]
    assert refs == [["PERR-94017-1-1-1"], ["PERR-94017-1-2-1"]]


def test_items_are_values():
    assert Item(AXIS, 1, "a") == Item(AXIS, 1, "a", {"x": 1})


@pytest.mark.parametrize("typed, number", [("", None), (" 3 ", 3), ("4.", 4), (None, None)])
def test_number_typed(typed, number):
    from perr_model.importers.protocol_review import number_typed
    assert number_typed(typed) == number


def test_number_typed_refuses_words():
    from perr_model.importers.protocol_review import number_typed
    with pytest.raises(ValidationFailed, match="« deux » n'est pas un nombre entier"):
        number_typed("deux")


def test_the_form_corrections_and_the_table_edits():
    from perr_model.importers.protocol_review import CORRECTIONS, correct, edit_table, table
    items = to_items(DOC)
    merged = correct(items, CORRECTIONS[0], 4)
    assert [i.text for i in merged][3] == "Stimuler la mutation des zones d'activités"
    with pytest.raises(ValidationFailed, match="Choisissez d'abord"):
        correct(items, CORRECTIONS[0], None)
    with pytest.raises(ValidationFailed, match="nouveau parent"):
        correct(items, CORRECTIONS[2], 5)
    added = correct(items, CORRECTIONS[4], 2, level=OBJECTIVE, text="Un de plus")
    assert [(i.level, i.text) for i in added][7] == (OBJECTIVE, "Un de plus")   # after group 1's
    columns = table(items)
    assert columns["N°"][:3] == ["1", "", "1"]
    assert columns["Rattaché à"][3] == "1. Renforcer l'attractivité"
    rows = list(zip(columns["N°"], columns["Texte"]))
    rows[7] = ("5", "Mieux informer les publics")
    edited = edit_table(items, rows)
    assert (edited[7].number, edited[7].text) == (5, "Mieux informer les publics")
    assert edited[:7] == items[:7] and edited[8:] == items[8:]


def test_read_for_review_then_save_in_one_transaction(loaded_url):
    """The page's two calls on both backends: a PDF read (nothing written), a merge, the save;
    the commitments in the store (raw SQL) are the corrected ones."""
    import sys
    from pathlib import Path

    from sqlalchemy import text

    from perr_model.auth import Actor
    from perr_model.errors import PermissionDenied
    from perr_model.importers.protocol_review import read_for_review, save_reviewed
    from perr_model.store import make_engine, write_session
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from protocol_renderings import blocks, pdf_bytes
    engine = make_engine(loaded_url, read_only=False)
    sql = ("SELECT c.text FROM commitment c JOIN commune m ON m.id = c.commune_id "
           "WHERE m.insee_code = '94017' ORDER BY c.theme_position, c.position")
    with write_session(engine) as s:
        tid = s.execute(text("SELECT id FROM territory WHERE slug = 'paris-est-marne-et-bois'"
                             )).scalar()
        other = s.execute(text("SELECT id FROM territory WHERE slug = 'paris-terres-d-envol'"
                               )).scalar()
        doc = read_for_review(s, tid, pdf_bytes(blocks(COMMUNES_MD)), "annexe.pdf")
    with engine.connect() as c:
        before = c.execute(text(sql)).scalars().all()
    assert doc["format"] == "PDF" and len(before) > 2      # the embedded referential, untouched
    items = merge_with_previous(to_items(doc), 5)          # commitment 2 into commitment 1
    with pytest.raises(PermissionDenied):
        with write_session(engine) as s:
            save_reviewed(s, Actor("admin-pte", "admin", territory_id=other), tid, items, doc)
    with write_session(engine) as s:
        save_reviewed(s, Actor.system(), tid, items, doc)
    with engine.connect() as c:
        after = c.execute(text(sql)).scalars().all()
    engine.dispose()
    assert after == ["Relancer une dynamique avec les bailleurs Engager le Projet de "
                     "Renouvellement Urbain"]
