"""Protocols as people hold them: a text PDF or a Word DOCX reads as its Markdown transcription.

The documents are made here with the project's own tools (tests/protocol_renderings.py: fpdf2
and the DejaVu fonts for the PDF, zipfile + WordprocessingML for the DOCX), text only, headings
as plain bold lines. A small hand-written protocol of each shape runs everywhere; the two seed
protocols of ../shared/seeds run where that folder is.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from perr_model.errors import MalformedDocument
from perr_model.importers.protocol import import_protocol, parse_protocol
from perr_model.importers.protocol_documents import SCANNED, document_lines, docx_lines, pdf_lines
from protocol_renderings import blocks, docx_bytes, docx_package, docx_paragraph, pdf_bytes

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
PTE_FILE = SEEDS / "perr-paris-terres-d-envol.md"
PEMB_FILE = SEEDS / "perr-paris-est-marne-et-bois-annexe-1.md"
needs_seeds = pytest.mark.skipif(
    not SEEDS.is_dir(), reason="dossier ../shared/seeds absent : les textes des deux protocoles "
    "(perr-paris-terres-d-envol.md, perr-paris-est-marne-et-bois-annexe-1.md) ne sont pas "
    "livrés avec le dépôt")

# A small protocol of each shape, written by hand for these tests (wording after the seeds).
AXES_MD = """Protocole d'Engagements Réciproques et Renforcés de Paris Terres d'Envol

Axe 1 – Insertion et développement économique : créer des dynamiques de parcours

Objectif stratégique : faciliter l'accès à l'emploi pour les populations des quartiers

1. Renforcer l'attractivité économique des QPV

Objectifs opérationnels :

- Stimuler la mutation des zones d'activités
- Inciter les employeurs et les acteurs de l'insertion à la mise en œuvre d'une gestion prévisionnelle des emplois et des compétences au regard des grands projets impactant le bassin d'emploi (NPNRU, JO, construction du terminal 4) et de la transformation digitale du territoire

Exemples d'actions :

- Assurer le suivi des clauses d'insertion

Axe 2 – Éducation et formation : renforcer les parcours de réussite scolaire et éducative

Objectif stratégique : faire du territoire un site d'excellence éducative

1. Développer l'accompagnement à la scolarité

Objectifs opérationnels :

- Former des accompagnants scolaires
- Développer la médiation scolaire
- Promouvoir les métiers manuels
"""

COMMUNES_MD = """## Annexe 1 :

### Orientations et objectifs des contrats de ville Du Territoire Paris Est-Marne&Bois

#### ➤ Orientations et objectifs du contrat de ville de la commune de Champigny-sur-Marne :

Un paragraphe d'introduction de la commune.

➤ **Les engagements de la ville en matière de réussite éducative et prévention de la délinquance :**

**1. Développer et consolider l'accompagnement du public en matière de réussite éducative.**

Exemple d'actions :

- *Renforcement de l'équipe du PRE avec le recrutement d'un troisième référent*
- *Mise en place de dispositif d'accompagnement en direction des collégiens en 2019.*

**2. Poursuivre les actions de soutien à la parentalité.**

➤ **Les engagements de la ville en matière de cadre de vie et d'aménagement urbain :**

**1. Engager le Projet de Renouvellement Urbain de la 2<sup>ème</sup> tranche du Bois l'Abbé**

#### **➤ Orientations et objectifs du contrat de ville de la commune de Fontenay-sous-Bois :**

#### **➤ L'accès à la Santé :**

- Poursuivre et renforcer les actions issues du contrat local de santé ;
- Aider les associations œuvrant en la matière (ex : Maison de la Prévention) ;
"""


def comparable(doc: dict) -> dict:
    """A parse without what depends on the line numbering of the file (and its name)."""
    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k not in ("line", "report", "source")}
        if isinstance(o, list):
            return [strip(x) for x in o]
        return o
    return strip(doc)


def unplaced_texts(doc: dict) -> list[str]:
    return [re.sub(r"^ligne \d+ : ", "", u) for u in doc["report"]["unplaced"]]


def as_document(markdown: str, kind: str) -> bytes:
    items = blocks(markdown)
    return pdf_bytes(items) if kind == "pdf" else docx_bytes(items)


# --- the documents carry no Markdown marker ------------------------------------------------------

@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_rendered_documents_are_text_only(kind):
    lines, label = document_lines(as_document(AXES_MD, kind), f"protocole.{kind}")
    assert label == {"pdf": "PDF", "docx": "Word"}[kind]
    raw = " ".join(ln.raw for ln in lines)
    assert "**" not in raw and "#" not in raw and "<sup>" not in raw
    by_text = {ln.text: ln for ln in lines}
    # hand-read from AXES_MD: the bold lines and the bullets of the printed page
    assert by_text["Stimuler la mutation des zones d'activités"].bullet
    assert not by_text["1. Renforcer l'attractivité économique des QPV"].bullet
    wrapped = [ln for ln in lines if ln.text.startswith("Inciter les employeurs")]
    assert len(wrapped) == 1 and wrapped[0].text.endswith("transformation digitale du territoire")


# --- hand-written protocols: everywhere -----------------------------------------------------------

@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_small_axes_protocol_reads_as_its_markdown(kind):
    doc = parse_protocol(document_lines(as_document(AXES_MD, kind), "p")[0],
                         "paris-terres-d-envol")
    axes = doc["axes"]
    # counted by hand in AXES_MD: 2 axes, 1 + 1 groups, 2 + 3 objectives, 1 example
    assert [a["number"] for a in axes] == [1, 2]
    groups = [g for a in axes for so in a["strategic_objectives"] for g in so["groups"]]
    assert [len(g["objectives"]) for g in groups] == [2, 3]
    assert [len(g["examples"]) for g in groups] == [1, 0]
    assert groups[0]["objectives"][1].startswith("Inciter les employeurs")
    assert groups[0]["objectives"][1].endswith("(NPNRU, JO, construction du terminal 4) et de la "
                                               "transformation digitale du territoire")
    assert comparable(doc) == comparable(parse_protocol(AXES_MD, "paris-terres-d-envol"))
    assert doc["report"]["unplaced"] == []


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_small_communes_protocol_reads_as_its_markdown(kind):
    doc = parse_protocol(document_lines(as_document(COMMUNES_MD, kind), "p")[0],
                         "paris-est-marne-et-bois")
    communes = doc["communes"]
    assert [c["name"] for c in communes] == ["Champigny-sur-Marne", "Fontenay-sous-Bois"]
    themes = [[(t["title"], [k["number"] for k in t["commitments"]]) for t in c["themes"]]
              for c in communes]
    assert themes == [
        [("Réussite éducative et prévention de la délinquance", [1, 2]),
         ("Cadre de vie et d'aménagement urbain", [1])],
        [("L'accès à la Santé", [None, None])]]
    actions = communes[0]["themes"][0]["commitments"][0]["actions"]
    assert [a["year_start"] for a in actions] == [None, 2019]
    assert comparable(doc) == comparable(parse_protocol(COMMUNES_MD, "paris-est-marne-et-bois"))


def test_docx_automatic_numbering_and_heading_styles():
    """Word numbers a list itself: the number is not in the text, numbering.xml says it."""
    styles = ('<?xml version="1.0" encoding="UTF-8"?><w:styles xmlns:w="http://schemas.'
              'openxmlformats.org/wordprocessingml/2006/main"><w:style w:type="paragraph" '
              'w:styleId="Titre2"><w:name w:val="heading 2"/></w:style></w:styles>')
    paragraphs = [
        '<w:p><w:pPr><w:pStyle w:val="Titre2"/></w:pPr><w:r><w:t>Un titre</w:t></w:r></w:p>',
        docx_paragraph("Premier", num_id=2), docx_paragraph("Deuxième", num_id=2),
        docx_paragraph("Une puce", num_id=1),
        '<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Moitié </w:t></w:r><w:r><w:t>grasse</w:t></w:r>'
        '</w:p>']
    data = docx_package(paragraphs)
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        dst.writestr("word/styles.xml", styles)
    lines = docx_lines(buf.getvalue())
    assert [(ln.text, ln.bold, ln.heading, ln.bullet) for ln in lines] == [
        ("Un titre", True, True, False), ("1. Premier", False, False, False),
        ("2. Deuxième", False, False, False), ("Une puce", False, False, True),
        ("Moitié grasse", False, False, False)]


# --- refusals -------------------------------------------------------------------------------------

def test_scanned_pdf_is_refused_in_french_and_nothing_is_written(loaded_url, tmp_path):
    scan = tmp_path / "protocole-scanne.pdf"
    scan.write_bytes(pdf_bytes([], image_only=True))
    from perr_model.store import make_engine
    engine = make_engine(loaded_url, read_only=False)
    count = "SELECT count(*) FROM operational_objective"
    with engine.connect() as c:
        before = c.execute(text(count)).scalar()
    with pytest.raises(MalformedDocument) as err:
        import_protocol(engine, scan, "paris-terres-d-envol")
    assert str(err.value) == SCANNED and "scanné" in SCANNED
    with engine.connect() as c:
        assert c.execute(text(count)).scalar() == before
    engine.dispose()


@pytest.mark.parametrize("data, words", [
    (b"%PDF-1.4\n\x00\x00 pas un vrai PDF", "PDF lisible"),
    (b"PK\x03\x04 pas un vrai zip", "document Word"),
    (b"\x00\x01\x02binaire", "binaire"),
])
def test_unreadable_files_are_refused_in_french(data, words):
    with pytest.raises(MalformedDocument, match=words):
        document_lines(data, "protocole")


# --- the seeds, as PDF and as DOCX -----------------------------------------------------------------

@needs_seeds
@pytest.mark.parametrize("kind", ["pdf", "docx"])
@pytest.mark.parametrize("path, slug", [(PTE_FILE, "paris-terres-d-envol"),
                                        (PEMB_FILE, "paris-est-marne-et-bois")])
def test_seed_protocols_as_documents_give_the_same_items(path, slug, kind):
    markdown = path.read_text(encoding="utf-8")
    data = as_document(markdown, kind)
    lines = pdf_lines(data) if kind == "pdf" else docx_lines(data)
    assert not any("**" in ln.raw or ln.raw.lstrip().startswith("#") for ln in lines)
    doc = parse_protocol(lines, slug)
    counts = doc["report"]["counts"]
    if slug == "paris-terres-d-envol":   # the figures, read in the document
        assert (counts["axes"], counts["objectifs opérationnels"]) == (4, 69)
    else:
        assert sum(v for k, v in counts.items() if k.endswith(": engagements")) == 57
    reference = parse_protocol(markdown, slug)
    assert comparable(doc) == comparable(reference)
    assert unplaced_texts(doc) == unplaced_texts(reference)


@needs_seeds
def test_seed_pdf_imports_through_the_cli_path(loaded_url, tmp_path):
    pdf = tmp_path / "perr-paris-terres-d-envol.pdf"
    pdf.write_bytes(as_document(PTE_FILE.read_text(encoding="utf-8"), "pdf"))
    report = import_protocol(loaded_url, pdf, "paris-terres-d-envol")
    assert report.counts["base : objectifs opérationnels"] == 69
    from perr_model.store import make_engine
    engine = make_engine(loaded_url, read_only=True)
    with engine.connect() as c:
        n = c.execute(text(
            "SELECT count(*) FROM operational_objective o JOIN objective_group g "
            "ON g.id = o.group_id JOIN strategic_objective s ON s.id = g.strategic_objective_id"
            " JOIN axis a ON a.id = s.axis_id JOIN territory t ON t.id = a.territory_id "
            "WHERE t.slug = 'paris-terres-d-envol'")).scalar()
    engine.dispose()
    assert n == 69


def test_a_short_pdf_replaces_a_whole_referential(loaded_url, tmp_path):
    """The store holds Paris Terres d'Envol's full referential (with its cités éducatives and
    their sub-objectives); a document without them replaces it all, in one transaction."""
    pdf = tmp_path / "protocole.pdf"
    pdf.write_bytes(as_document(AXES_MD, "pdf"))
    import_protocol(loaded_url, pdf, "paris-terres-d-envol")
    from perr_model.store import make_engine
    engine = make_engine(loaded_url, read_only=True)
    with engine.connect() as c:
        cites = c.execute(text(
            "SELECT count(*) FROM cite_educative ce JOIN territory t ON t.id = ce.territory_id "
            "WHERE t.slug = 'paris-terres-d-envol'")).scalar()
        objectives = c.execute(text(
            "SELECT o.text FROM operational_objective o JOIN objective_group g "
            "ON g.id = o.group_id JOIN strategic_objective s ON s.id = g.strategic_objective_id"
            " JOIN axis a ON a.id = s.axis_id JOIN territory t ON t.id = a.territory_id "
            "WHERE t.slug = 'paris-terres-d-envol' ORDER BY a.position, g.position, o.position"
        )).scalars().all()
    engine.dispose()
    assert cites == 0
    assert len(objectives) == 5 and objectives[0] == "Stimuler la mutation des zones d'activités"


def test_cli_dry_run_lists_what_the_pdf_gave_and_writes_nothing(embedded_sqlite, tmp_path):
    import os
    import shutil
    import subprocess
    import sys
    db = tmp_path / "perr.sqlite"
    shutil.copy(embedded_sqlite, db)
    pdf = tmp_path / "protocole.pdf"
    pdf.write_bytes(as_document(AXES_MD, "pdf"))
    root = Path(__file__).resolve().parents[1]
    count = ("SELECT count(*) FROM operational_objective o JOIN objective_group g ON g.id = "
             "o.group_id JOIN strategic_objective s ON s.id = g.strategic_objective_id JOIN axis a "
             "ON a.id = s.axis_id JOIN territory t ON t.id = a.territory_id "
             "WHERE t.slug = 'paris-terres-d-envol'")
    import sqlite3
    with sqlite3.connect(db) as c:
        before = c.execute(count).fetchone()[0]
    done = subprocess.run(
        [sys.executable, "-m", "perr_model", "import", "protocol", str(pdf), "--territory",
         "Paris Terres d'Envol", "--dry-run"], cwd=root, capture_output=True, text=True,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PERR_DEBUG": ""}, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0] == "Protocole lu, rien n'est écrit (essai) : protocole.pdf"
    assert "Axe : Axe 2 – Éducation et formation : renforcer les parcours de réussite scolaire " \
           "et éducative" in out
    assert "      Objectif opérationnel : Développer la médiation scolaire" in out
    assert "objectifs opérationnels : 5" in done.stdout
    with sqlite3.connect(db) as c:
        assert c.execute(count).fetchone()[0] == before
    assert before != 5     # the embedded referential (69), left as it was


@needs_seeds
def test_page_numbers_at_the_foot_of_the_pages_are_not_text():
    markdown = PTE_FILE.read_text(encoding="utf-8")
    data = pdf_bytes(blocks(markdown), folios=True)
    lines = pdf_lines(data)
    assert not any(ln.text.startswith("Page ") for ln in lines)
    doc = parse_protocol(lines, "paris-terres-d-envol")
    assert comparable(doc) == comparable(parse_protocol(markdown, "paris-terres-d-envol"))


def test_a_page_number_alone_is_dropped_but_a_numbered_line_is_kept():
    from perr_model.importers.protocol_documents import _without_folio
    page = [("3", False, 800.0, 9.0), ("1. Renforcer", True, 780.0, 11.0),
            ("Page 4/12", False, 20.0, 9.0)]
    assert [t for t, *_ in _without_folio(page)] == ["1. Renforcer"]


@pytest.mark.parametrize("text, bullet, arrow, clean", [
    ("• Stimuler la mutation", True, False, "Stimuler la mutation"),
    ("\uf0b7\tStimuler la mutation", True, False, "Stimuler la mutation"),   # Word's Symbol dot
    ("•Stimuler", True, False, "Stimuler"),
    ("- Stimuler", True, False, "Stimuler"),
    ("Saint-Maur-des-Fossés", False, False, "Saint-Maur-des-Fossés"),
    ("-3 %", False, False, "-3 %"),
    ("\uf0d8 Les engagements de la ville", False, True, "Les engagements de la ville"),
])
def test_bullet_and_arrow_signs(text, bullet, arrow, clean):
    from perr_model.importers.protocol_documents import make_line
    ln = make_line(1, text, bold=False)
    assert (ln.bullet, ln.arrow, ln.text) == (bullet, arrow, clean)
