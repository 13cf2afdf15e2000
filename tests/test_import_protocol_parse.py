"""parse_protocol on the two seeds: the hierarchy, item by item, against the documents.

Every expected number below was counted by hand in ../shared/seeds/*.md (line numbers given),
not copied from the parser's output.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from perr_model.errors import MalformedDocument
from perr_model.importers.protocol import dump_yaml, parse_protocol, read_document
from perr_model.settings import PROJECT_ROOT

PTE, PEMB = "paris-terres-d-envol", "paris-est-marne-et-bois"
PTE_FILE, PEMB_FILE = "perr-paris-terres-d-envol.md", "perr-paris-est-marne-et-bois-annexe-1.md"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
pytestmark = pytest.mark.skipif(
    not SEEDS.is_dir(), reason="dossier ../shared/seeds absent : les textes des protocoles ne "
    "sont pas livrés avec le dépôt, ces tests de l'importeur de protocoles ne peuvent pas tourner")


@pytest.fixture(scope="module")
def pte_text():
    return (SEEDS / PTE_FILE).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pemb_text():
    return (SEEDS / PEMB_FILE).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pte(pte_text):
    return parse_protocol(pte_text, PTE, source=PTE_FILE)


@pytest.fixture(scope="module")
def pemb(pemb_text):
    return parse_protocol(pemb_text, PEMB, source=PEMB_FILE)


def groups(doc, axis_number):
    axis = next(a for a in doc["axes"] if a["number"] == axis_number)
    return [g for so in axis["strategic_objectives"] for g in so["groups"]]


# Counted in perr-paris-terres-d-envol.md: (objectives, examples) per numbered group.
# Axe 1 (lines 140-217), Axe 2 (219-285), Axe 3 (287-334), Axe 4 (336-383).
PTE_GROUPS = {
    1: [(6, 0), (3, 4), (4, 6), (2, 5), (3, 3)],
    2: [(4, 5), (3, 3), (6, 0), (5, 0), (7, 0)],
    3: [(4, 0), (3, 2), (2, 1), (6, 0)],
    4: [(5, 5), (3, 1), (3, 3)],
}


@pytest.mark.parametrize("axis_number", [1, 2, 3, 4])
def test_pte_objectives_and_examples_per_group(pte, axis_number):
    got = [(len(g["objectives"]), len(g["examples"])) for g in groups(pte, axis_number)]
    assert got == PTE_GROUPS[axis_number]
    assert [g["number"] for g in groups(pte, axis_number)] == list(
        range(1, len(PTE_GROUPS[axis_number]) + 1))


def test_pte_totals_and_titles(pte):
    assert [a["number"] for a in pte["axes"]] == [1, 2, 3, 4]
    assert sum(len(g["objectives"]) for n in PTE_GROUPS for g in groups(pte, n)) == 69
    assert sum(len(g["examples"]) for n in PTE_GROUPS for g in groups(pte, n)) == 38
    assert pte["axes"][2]["title"] == ("Amélioration du cadre de vie, développement durable et "
                                       "prévention de la délinquance")
    assert pte["axes"][1]["strategic_objectives"][0]["text"] == (
        "faire du territoire un site d'excellence éducative")
    assert groups(pte, 1)[4]["title"].startswith("Soutenir et accompagner la création d'entrep")
    assert pte["protocol_date"] == "2019-12-09" and pte["signed_date"] == "2020-01-06"


def test_pte_page_break_inside_a_list_keeps_the_group(pte):
    # Blank line inside the bullet list: Axe 1 group 1 (line 152), group 4 (line 195),
    # Axe 3 group 2 examples (line 312).
    assert groups(pte, 1)[0]["objectives"][3] == "Poursuivre la requalification des espaces publics"
    assert groups(pte, 1)[3]["objectives"][1].startswith("Favoriser l'accompagnement des salariés")
    assert groups(pte, 3)[1]["examples"][1].startswith("Développer des temps forts sur l'espace")
    assert groups(pte, 4)[2]["examples"][0].startswith("Développer l'offre de formation en alpha")


def test_pte_pillars_inherit_axis_with_group_override(pte):
    assert [a["pillar"] for a in pte["axes"]] == [
        "developpement_economique", "cohesion_sociale", "cadre_de_vie", "cohesion_sociale"]
    assert [g["pillar"] for g in groups(pte, 3)] == [
        "cadre_de_vie", "cadre_de_vie", "cadre_de_vie", "cohesion_sociale"]
    assert groups(pte, 3)[3]["title"] == "Prévenir la délinquance"


def test_pte_governance_signatories_and_cites(pte):
    assert [b["name"] for b in pte["governance"]][1:] == [
        "Le COPIL de programmation",
        "La validation des orientations et axes d'interventions prioritaires notamment le PERR",
        "Le suivi de la mise en œuvre et le développement de l'expertise constituée"]
    roles = [s["role"] for s in pte["signatories"]]
    assert len(roles) == 10 and roles[0] == "Le préfet de la Seine Saint Denis"
    mayors = [s for s in pte["signatories"] if "maire" in s["role"].lower()]
    assert len(mayors) == 8
    assert {s["commune"] for s in mayors} == {"93005", "93007", "93013", "93029", "93030",
                                              "93071", "93073", "93078"}
    assert pte["signatories"][6] == {"role": "Le maire du Bourget",
                                     "person_name": "Yannick HOPPE", "commune": "93013"}
    aulnay, sevran = pte["cites_educatives"]
    assert (aulnay["commune"], aulnay["quartier"]) == ("93005", "Gros Saule")
    assert [len(o["children"]) for o in aulnay["objectives"]] == [3, 4, 3]
    assert aulnay["objectives"][1]["children"][1]["text"] == "prévention santé-hygiène"
    assert (sevran["commune"], sevran["quartier"]) == ("93071", "Les Beaudottes")
    assert "« Lutter contre toutes les formes d'exclusion" in sevran["intro"]
    assert len(sevran["objectives"]) == 5 and sevran["objectives"][1]["text"] == (
        "Accentuer le soutien à la parentalité")


def themes(doc, commune_name):
    return next(c for c in doc["communes"] if c["name"] == commune_name)["themes"]


# Counted in perr-paris-est-marne-et-bois-annexe-1.md: commitments per theme, per commune.
PEMB_COMMITMENTS = {
    "Champigny-sur-Marne": [4, 4, 3, 4, 4],   # lines 40-197; incl. "En matière de prévention"
    "Fontenay-sous-Bois": [3, 4, 3, 3],       # lines 207-239; "4 thématiques" (line 203)
    "Saint-Maur-des-Fossés": [5, 6, 2],       # lines 249-310; 5, 6 and 2 "objectifs" announced
    "Villiers-sur-Marne": [4, 3, 3, 1, 1],    # lines 326-351
}


@pytest.mark.parametrize("commune", sorted(PEMB_COMMITMENTS))
def test_pemb_commitments_per_theme(pemb, commune):
    assert [len(t["commitments"]) for t in themes(pemb, commune)] == PEMB_COMMITMENTS[commune]


def test_pemb_champigny_numbering_and_actions(pemb):
    champigny = themes(pemb, "Champigny-sur-Marne")
    # Actions ("Exemple(s) d'action(s)") per theme, lines 44-193.
    assert [sum(len(c["actions"]) for c in t["commitments"]) for t in champigny] == [
        10, 10, 7, 14, 5]
    eco = champigny[3]
    assert eco["title"] == "Développement économique, d'insertion et d'emploi"
    # "- 2. …**" and "  - 3. …**" (lines 154-155) are commitments, not actions.
    assert [c["number"] for c in eco["commitments"]] == [1, 2, 3, 4]
    assert eco["commitments"][1]["text"].startswith("Mobiliser et favoriser le retour vers")
    assert [len(c["actions"]) for c in eco["commitments"]] == [10, 0, 3, 1]
    prevention = champigny[0]["commitments"][1]
    assert prevention["number"] is None and prevention["text"].startswith("En matière de prév")
    ateliers = champigny[0]["commitments"][0]["actions"][2]
    assert ateliers["reference"] == "PERR-94017-1-1-3"
    assert ateliers["quartiers"] == ["Bois l'Abbé", "Quatre Cités", "Mordacs"]
    assert {f["text"] for f in ateliers["figures"]} == {"14 ateliers", "3 quartiers"}
    plateau = champigny[4]["commitments"][3]
    assert plateau["quartiers"] == ["Plateau"]


def test_pemb_figures_and_years(pemb, pemb_text):
    eco = themes(pemb, "Champigny-sur-Marne")[3]["commitments"][0]["actions"]
    clauses = eco[6]  # line 149
    hours = [f["value"] for f in clauses["figures"] if f["kind"] == "hours"]
    assert hours == [30000, 5000]
    assert clauses["decision"] == "note"      # reviewed: context, not an action (issue 24)
    raw = parse_protocol(pemb_text, PEMB, source=PEMB_FILE, reviewed=False)
    unreviewed = themes(raw, "Champigny-sur-Marne")[3]["commitments"][0]["actions"][6]
    assert "decision" not in unreviewed and unreviewed["line"] == 149
    assert unreviewed["year_start"] is None   # 2018 and 2017 both quoted: not guessed
    assert (eco[9]["year_start"], eco[9]["year_end"]) == (2019, 2020)   # "2019/2020 :"
    assert eco[0]["year_start"] == 2018       # "en cours depuis 2018" (line 141)
    emploi = themes(pemb, "Saint-Maur-des-Fossés")[1]
    assert {"kind": "rate", "value": 22.5, "unit": "%", "text": "22.5%"} in emploi["figures"]
    assert emploi["quartiers"] == ["Rives de la Marne"]
    renouvellement = themes(pemb, "Fontenay-sous-Bois")[1]
    assert set(renouvellement["commitments"][0]["quartiers"]) == {"Larris", "La Redoute"}


def test_pemb_axes_are_pillars_and_themes_map_to_one(pemb):
    assert pemb["axes_from_pillars"] is True
    assert [a["pillar"] for a in pemb["axes"]] == [
        "cohesion_sociale", "cadre_de_vie", "developpement_economique", "transversal"]
    villiers = themes(pemb, "Villiers-sur-Marne")
    assert [t["pillar"] for t in villiers] == [
        "cohesion_sociale", "developpement_economique", "cohesion_sociale", "transversal",
        "transversal"]
    assert themes(pemb, "Fontenay-sous-Bois")[1]["pillar"] == "cadre_de_vie"


def test_pemb_report_lists_unplaced_intro_bullets(pemb):
    unplaced = pemb["report"]["unplaced"]
    # Champigny's findings (lines 19-20, 30-34) and Villiers' stakes (320-322).
    assert [int(u.split()[1]) for u in unplaced] == [19, 20, 30, 32, 33, 34, 320, 321, 322]
    assert all(u.startswith("ligne ") for u in unplaced)


@pytest.mark.parametrize("slug, name", [(PTE, "paris-terres-d-envol.yaml"),
                                        (PEMB, "paris-est-marne-et-bois.yaml")])
def test_committed_yaml_is_the_parser_output(slug, name, pte, pemb):
    committed = yaml.safe_load((PROJECT_ROOT / "data" / "referential" / name).read_text(
        encoding="utf-8"))
    assert committed == yaml.safe_load(dump_yaml(pte if slug == PTE else pemb))


def _without_objectives(text: str) -> str:
    """Axe 3 group 3 loses its two operational objectives (lines 318-319)."""
    start = text.index("- Développer des actions partenariales de sensibilisation civique")
    end = text.index("Exemples d'actions :", start)
    return text[:start] + text[end:]


@pytest.mark.parametrize("make, slug, message", [
    (lambda pte, pemb: "", PTE, "vide"),
    (lambda pte, pemb: "  \n\n ", PTE, "vide"),
    (lambda pte, pemb: "Un texte\n\n- sans titre\n", PTE, "Aucun titre d'axe"),
    (lambda pte, pemb: _without_objectives(pte), PTE, "aucun objectif opérationnel"),
    (lambda pte, pemb: pte, PEMB, "mauvais territoire"),
    (lambda pte, pemb: pemb, PTE, "mauvais territoire"),
])
def test_malformed_documents_are_refused(pte_text, pemb_text, make, slug, message):
    with pytest.raises(MalformedDocument, match=message):
        parse_protocol(make(pte_text, pemb_text), slug)


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4\x00\x01\x02binary")
    with pytest.raises(MalformedDocument, match="binaire"):
        read_document(path)
