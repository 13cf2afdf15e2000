"""Protocol documents as people hold them (text PDF, Word DOCX, Markdown) → the parser's lines.

One parser (protocol_axes / protocol_communes) reads `Line`s; this module is the line reader of
each format, so that a PDF or a DOCX gives the same lines as the Markdown transcription:

- Markdown: `protocol_text.read_lines` (the `#`, `**`, `-` markers say heading, bold, bullet).
- DOCX: the zip's word/document.xml read with the standard library. A paragraph is a line; it is
  bold when every run with text is bold (or its style is a heading), a bullet when Word numbers
  it with a bullet (numbering.xml) or its text starts with a bullet sign; an automatically
  numbered paragraph gets its number written in front ("2. …"), as it prints.
- PDF (pypdf): the text lines of each page, with their font (bold when the font's name says so)
  and height; consecutive lines of the same paragraph (line spacing, same weight, no bullet sign)
  are joined, since a PDF wraps a paragraph over several lines. A PDF without any text (a scan)
  is refused with a French message.

Nothing here touches the database.
"""
from __future__ import annotations

import io
import logging
import re
import statistics
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from ..errors import MalformedDocument
from .protocol_text import Line, clean_inline, read_lines

# Bullet signs as they come out of documents: typographic ones, then Word's Symbol / Wingdings
# glyphs (private-use code points) when its PDF is read; a dash is a bullet only before a space.
SIGNS = "•●▪◦○■□·\uf0b7\uf0a7\uf076\uf0fc\uf0a8"
ARROWS = "➤➢►▶\uf0d8\uf0e8"
BULLET_SIGNS = SIGNS + "–—-"
_BULLET_RE = re.compile(rf"^(?:[{SIGNS}]\s*|[–—-]\s+)")
MAX_BYTES = 30 * 1024 * 1024   # a protocol is a few hundred kB; a larger upload is refused

SCANNED = ("Ce PDF ne contient aucun texte : c'est sans doute un document scanné (une image de "
           "pages). Il ne peut pas être lu. Importez le document d'origine (Word, ou PDF "
           "enregistré depuis le traitement de texte), ou faites d'abord reconnaître son texte "
           "(OCR).")


def kind_of(data: bytes, name: str) -> str:
    """'pdf', 'docx' or 'markdown', from the content first, then the file name."""
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:2] == b"PK":
        return "docx"
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix in (".docx", ".docm"):
        return "docx"
    return "markdown"


def document_lines(data: bytes, name: str) -> tuple[list[Line], str]:
    """(lines, format label) of a protocol file's bytes. MalformedDocument if unreadable."""
    if len(data) > MAX_BYTES:
        raise MalformedDocument(f"{Path(name).name} : fichier trop gros "
                                f"({len(data) // (1024 * 1024)} Mo ; 30 Mo au plus).")
    kind = kind_of(data, name)
    if kind == "pdf":
        return pdf_lines(data, name), "PDF"
    if kind == "docx":
        return docx_lines(data, name), "Word"
    return read_lines(markdown_text(data, name)), "Markdown"


def markdown_text(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise MalformedDocument(f"{Path(name).name} : fichier binaire d'un format inconnu ; un "
                                "PDF, un document Word (.docx) ou un texte Markdown est attendu.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedDocument(f"{Path(name).name} : le fichier n'est pas un texte UTF-8 "
                                f"(octet {exc.start}).") from None


def make_line(number: int, text: str, *, bold: bool, heading: bool = False,
              bullet: bool = False) -> Line:
    """A `Line` from a paragraph of a PDF or DOCX: bullet signs and ➤ read as the Markdown's."""
    s = text.replace("\u00a0", " ").strip()
    if _BULLET_RE.match(s):
        bullet, s = True, _BULLET_RE.sub("", s)
    arrow = any(a in s for a in ARROWS)
    s = re.sub(f"[{ARROWS}]", " ", s)
    return Line(number, text, clean_inline(s), bullet, heading, arrow, bold)


# --- DOCX -----------------------------------------------------------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _on(el) -> bool:
    """A w:b / w:bCs element: on unless w:val says 0/false."""
    return el is not None and el.get(f"{W}val", "1").lower() not in ("0", "false", "off")


def docx_lines(data: bytes, name: str = "document.docx") -> list[Line]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            body = ET.fromstring(zf.read("word/document.xml"))
            names = set(zf.namelist())
            numbering = ET.fromstring(zf.read("word/numbering.xml")) \
                if "word/numbering.xml" in names else None
            styles = ET.fromstring(zf.read("word/styles.xml")) \
                if "word/styles.xml" in names else None
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError):
        raise MalformedDocument(f"{Path(name).name} : ce n'est pas un document Word (.docx) "
                                "lisible.") from None
    formats = _numbering_formats(numbering)
    bold_styles, heading_styles = _styles(styles)
    counters: dict[tuple[str, int], int] = {}
    lines: list[Line] = []
    for p in body.iter(f"{W}p"):
        text, all_bold = _paragraph_text(p, bold_styles)
        ppr = p.find(f"{W}pPr")
        style = ppr.find(f"{W}pStyle").get(f"{W}val", "") if ppr is not None and ppr.find(
            f"{W}pStyle") is not None else ""
        heading = style in heading_styles or bool(re.match(r"(?i)(heading|titre)\s*\d", style))
        bullet = False
        num = ppr.find(f"{W}numPr") if ppr is not None else None
        if num is not None and num.find(f"{W}numId") is not None:
            num_id = num.find(f"{W}numId").get(f"{W}val")
            level = int(num.find(f"{W}ilvl").get(f"{W}val", "0")) if num.find(
                f"{W}ilvl") is not None else 0
            fmt, pattern = formats.get((num_id, level), ("bullet", ""))
            if fmt == "bullet":
                bullet = True
            elif fmt != "none" and num_id != "0":
                for key in [k for k in counters if k[0] == num_id and k[1] > level]:
                    del counters[key]
                counters[(num_id, level)] = counters.get((num_id, level), 0) + 1
                label = re.sub(r"%(\d)", lambda m: str(counters.get(
                    (num_id, int(m.group(1)) - 1), 1)), pattern)
                text = f"{label} {text}" if text.strip() else text
        elif re.match(r"(?i)list\s*bullet|liste\s*à\s*puces", style):
            bullet = True
        if not text.strip():
            lines.append(make_line(len(lines) + 1, "", bold=False))
            continue
        lines.append(make_line(len(lines) + 1, text, bold=all_bold or heading, heading=heading,
                               bullet=bullet))
    return lines


def _paragraph_text(p, bold_styles: set[str]) -> tuple[str, bool]:
    parts: list[str] = []
    bold_flags: list[bool] = []
    ppr = p.find(f"{W}pPr")
    pstyle = ppr.find(f"{W}pStyle") if ppr is not None else None
    style_bold = pstyle is not None and pstyle.get(f"{W}val") in bold_styles
    for run in p.iter(f"{W}r"):
        rpr = run.find(f"{W}rPr")
        bold = style_bold
        if rpr is not None and rpr.find(f"{W}b") is not None:
            bold = _on(rpr.find(f"{W}b"))
        text = ""
        for el in run:
            if el.tag == f"{W}t":
                text += el.text or ""
            elif el.tag == f"{W}tab":
                text += "\t"
            elif el.tag in (f"{W}br", f"{W}cr"):
                text += " "
        if text:
            parts.append(text)
            if text.strip():
                bold_flags.append(bold)
    return "".join(parts), bool(bold_flags) and all(bold_flags)


def _numbering_formats(root) -> dict[tuple[str, int], tuple[str, str]]:
    """(numId, level) → (numFmt, lvlText) from numbering.xml."""
    if root is None:
        return {}
    abstract = {}
    for a in root.findall(f"{W}abstractNum"):
        levels = {}
        for lvl in a.findall(f"{W}lvl"):
            fmt = lvl.find(f"{W}numFmt")
            text = lvl.find(f"{W}lvlText")
            levels[int(lvl.get(f"{W}ilvl", "0"))] = (
                fmt.get(f"{W}val") if fmt is not None else "bullet",
                text.get(f"{W}val", "") if text is not None else "")
        abstract[a.get(f"{W}abstractNumId")] = levels
    out = {}
    for n in root.findall(f"{W}num"):
        ref = n.find(f"{W}abstractNumId")
        for level, value in abstract.get(ref.get(f"{W}val") if ref is not None else None,
                                         {}).items():
            out[(n.get(f"{W}numId"), level)] = value
    return out


def _styles(root) -> tuple[set[str], set[str]]:
    """(bold paragraph styles, heading styles) from styles.xml."""
    bold, heading = set(), set()
    if root is None:
        return bold, heading
    for s in root.findall(f"{W}style"):
        sid = s.get(f"{W}styleId", "")
        name = s.find(f"{W}name")
        label = name.get(f"{W}val", "") if name is not None else ""
        rpr = s.find(f"{W}rPr")
        if rpr is not None and _on(rpr.find(f"{W}b")):
            bold.add(sid)
        ppr = s.find(f"{W}pPr")
        if re.match(r"(?i)(heading|titre)\s*\d", label) or (
                ppr is not None and ppr.find(f"{W}outlineLvl") is not None):
            heading.add(sid)
    return bold, heading


# --- PDF --------------------------------------------------------------------------------------

def pdf_lines(data: bytes, name: str = "document.pdf") -> list[Line]:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:  # pragma: no cover - pinned in requirements.txt
        raise MalformedDocument("La lecture des PDF n'est pas installée sur ce serveur.") from None
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)   # its notes on a damaged file are for developers, in English
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _read_pdf(PdfReader, PyPdfError, data, name)
    finally:
        log.setLevel(level)


def _read_pdf(PdfReader, PyPdfError, data: bytes, name: str) -> list[Line]:  # noqa: N803
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise MalformedDocument(f"{Path(name).name} : PDF protégé par un mot de passe ; "
                                    "enregistrez-le sans protection puis importez-le.")
        pages = [_without_folio(_page_lines(page)) for page in reader.pages]
    except MalformedDocument:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        raise MalformedDocument(f"{Path(name).name} : ce n'est pas un PDF lisible.") from None
    if not any(text for page in pages for text, *_ in page):
        raise MalformedDocument(SCANNED)
    return _paragraphs(pages)


def _page_lines(page) -> list[tuple[str, bool, float | None, float]]:
    """(text, bold, y or None, font size) of each text line of a page, top to bottom."""
    lines: list[list] = []
    current = {"parts": [], "bold": [], "y": None, "size": 0.0}

    def close():
        text = "".join(current["parts"]).strip()
        if text:
            lines.append([text, all(current["bold"]), current["y"], current["size"]])
        current.update(parts=[], bold=[], y=None, size=0.0)

    def visit(text, cm, tm, font, size):
        y = tm[5] * cm[3] + tm[4] * cm[1] + cm[5] if tm else 0
        if y and current["y"] is None:
            current["y"] = y
        pieces = text.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                close()
                if y and current["y"] is None and i == len(pieces) - 1 and piece.strip():
                    current["y"] = y
            if piece:
                current["parts"].append(piece)
                if piece.strip() and piece.strip() not in BULLET_SIGNS + ARROWS:
                    base = str((font or {}).get("/BaseFont", ""))
                    current["bold"].append(bool(re.search(r"(?i)bold|black|heavy|semibold|demi",
                                                          base)))
                    current["size"] = max(current["size"], float(size or 0) * abs(
                        tm[3] if tm and tm[3] else 1))
    page.extract_text(visitor_text=visit)
    close()
    return [tuple(x) for x in lines]


_FOLIO = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:/|sur)\s*\d{1,4})?$", re.IGNORECASE)


def _without_folio(lines: list[tuple]) -> list[tuple]:
    """A page without its page number (« 3 », « Page 3 », « 3/12 ») as first or last line."""
    if lines and _FOLIO.match(lines[-1][0]):
        lines = lines[:-1]
    if lines and _FOLIO.match(lines[0][0]):
        lines = lines[1:]
    return lines


def _paragraphs(pages: list[list[tuple]]) -> list[Line]:
    """Wrapped lines joined into paragraphs: a line continues the previous one when it follows
    at the usual line spacing, has the same weight and size and starts with no bullet sign; over
    a page break, when it starts with a small letter."""
    gaps = [round(a[2] - b[2], 1) for page in pages for a, b in zip(page, page[1:])
            if a[2] and b[2] and a[2] > b[2]]
    # The line spacing: the smallest distance between two lines, unless even that is wide (a
    # document whose paragraphs are all one line long: then nothing is joined by spacing).
    step = min(gaps) if gaps else 0.0
    paragraphs: list[list] = []          # [text, bold, size]
    for p_index, page in enumerate(pages):
        previous_y = None
        for text, bold, y, size in page:
            starts_bullet = bool(_BULLET_RE.match(text)) or text[:1] in ARROWS
            joined = False
            if paragraphs and not starts_bullet and paragraphs[-1][1] == bold \
                    and abs(paragraphs[-1][2] - size) < 0.5:
                if previous_y is None:   # first line of a page
                    joined = p_index > 0 and text[:1].islower()
                elif y and step and step < 1.75 * max(size, 1.0):
                    joined = 0 < previous_y - y <= step * 1.15
            if joined:
                paragraphs[-1][0] += " " + text
            else:
                paragraphs.append([text, bold, size])
            previous_y = y
    body = statistics.median([size for _, _, size in paragraphs]) if paragraphs else 0
    return [make_line(i, text, bold=bold, heading=size > body * 1.15)
            for i, (text, bold, size) in enumerate(paragraphs, 1)]


__all__ = ["document_lines", "pdf_lines", "docx_lines", "kind_of", "SCANNED"]
