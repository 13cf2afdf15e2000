"""The COPIL document as files: the PDF and the XLSX of one scope, from the same `CopilData`."""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from ..textnorm import slugify
from .data import copil_data
from .pdf import render, render_pdf
from .xlsx import render_xlsx


@dataclass(frozen=True)
class CopilDocument:
    """Both files of one scope, and what the page shows before offering them."""
    pdf: bytes
    xlsx: bytes
    stem: str                          # file name without extension
    summary: str                       # the cover's « L'essentiel »
    contents: tuple[tuple[str, int], ...]   # (section heading, page), in order
    pages: int


def build_copil(session: Session, territory: str | int, year: int | None, out: Path,
                commune: str | None = None) -> tuple[Path, Path]:
    """Write OUT.pdf and OUT.xlsx (same stem). Returns both paths."""
    out = Path(out)
    data = copil_data(session, territory, year, commune)
    pdf_path = out if out.suffix.lower() == ".pdf" else out.with_suffix(".pdf")
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    pdf_path.write_bytes(render_pdf(data))
    return pdf_path, render_xlsx(data, pdf_path.with_suffix(".xlsx"))


def copil_document(session: Session, territory_id: int, year: int | None,
                   commune: str | None = None) -> CopilDocument:
    """The PDF and the XLSX in memory (made together, from one reading of the figures), with
    the summary and the table of contents, for the app."""
    data = copil_data(session, territory_id, year, commune)
    buf = io.BytesIO()
    render_xlsx(data, buf)
    stem = (f"copil-{data.territory_slug}-{year or 'toutes-annees'}"
            + (f"-{slugify(data.commune)}" if data.commune else ""))
    done = render(data)
    return CopilDocument(done.pdf, buf.getvalue(), stem, data.summary, tuple(done.contents),
                         done.pages)


def copil_bytes(session: Session, territory_id: int, year: int | None,
                commune: str | None = None) -> tuple[bytes, bytes, str]:
    """(pdf, xlsx, file stem) in memory."""
    doc = copil_document(session, territory_id, year, commune)
    return doc.pdf, doc.xlsx, doc.stem
