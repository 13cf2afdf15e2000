"""Test support: a protocol written as a real document, from its Markdown transcription.

`blocks(markdown)` reads each Markdown line once (protocol_text.read_line) and keeps only what a
reader sees on paper: the text (no `#`, `**`, `-` markers), whether the line is bold (a Markdown
heading or a bold line: "headings as plain bold lines"), whether it is a bullet item. The cells
of the signatures table (`<p>…</p>`, tabs) become paragraphs of their own.

`pdf_bytes(blocks)` prints them with fpdf2 and the DejaVu fonts the COPIL document uses (11 pt,
bullets "•" with a hanging indent, paragraphs wrapped and broken across pages as they come);
`docx_bytes(blocks)` writes a minimal WordprocessingML package with the standard library (bold
runs, bullet items numbered by numbering.xml as Word does). Neither carries a Markdown marker.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

from perr_model.copil.pdf import FONT_DIR
from perr_model.importers.protocol_text import clean_inline, read_line


@dataclass(frozen=True)
class Block:
    text: str
    bold: bool = False
    bullet: bool = False


def blocks(markdown: str) -> list[Block]:
    out: list[Block] = []
    for number, raw in enumerate(markdown.splitlines(), 1):
        if "</p>" in raw or "\t" in raw:      # a table row of the signatures
            out += [Block(clean_inline(piece)) for piece in re.split(r"</p>|\t", raw)
                    if clean_inline(piece)]
            continue
        ln = read_line(number, raw)
        if ln.blank:
            continue
        text = f"➤ {ln.text}" if ln.arrow else ln.text
        out.append(Block(text, bold=ln.bold or ln.heading, bullet=ln.bullet))
    return out


def pdf_bytes(items: list[Block], *, image_only: bool = False, folios: bool = False) -> bytes:
    """`folios`: each page's number printed at its foot, as in most documents."""
    from fpdf import FPDF

    class Document(FPDF):
        def footer(self):
            if folios:
                self.set_y(-15)
                self.set_font("DejaVu", "", 9)
                self.cell(0, 5, f"Page {self.page_no()}/{{nb}}", align="C")

    pdf = Document(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    if image_only:   # a "scan": one picture, no text layer
        from PIL import Image, ImageDraw
        img = Image.new("L", (600, 800), 255)
        ImageDraw.Draw(img).rectangle([40, 40, 560, 90], fill=0)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        buf.seek(0)
        pdf.image(buf, x=20, y=20, w=170)
        return bytes(pdf.output())
    for block in items:
        pdf.set_font("DejaVu", "B" if block.bold else "", 11)
        if block.bullet:
            pdf.set_x(25)
            pdf.cell(5, 5, "•")
            pdf.multi_cell(0, 5, block.text, align="L", new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.multi_cell(0, 5, block.text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())


_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>"""
_DOC_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/>
</Relationships>"""
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_NUMBERING = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering {_W}>
<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/>
<w:lvlText w:val="•"/><w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>
<w:lvlText w:val="%1."/></w:lvl></w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>
</w:numbering>"""


def docx_paragraph(text: str, *, bold: bool = False, num_id: int | None = None) -> str:
    ppr = (f'<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr></w:pPr>'
           if num_id else "")
    rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return (f'<w:p>{ppr}<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>')


def docx_package(paragraphs: list[str]) -> bytes:
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {_W}>'
                f'<w:body>{"".join(paragraphs)}</w:body></w:document>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("word/_rels/document.xml.rels", _DOC_RELS)
        zf.writestr("word/document.xml", document)
        zf.writestr("word/numbering.xml", _NUMBERING)
    return buf.getvalue()


def docx_bytes(items: list[Block]) -> bytes:
    return docx_package([docx_paragraph(b.text, bold=b.bold, num_id=1 if b.bullet else None)
                         for b in items])
