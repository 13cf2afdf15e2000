"""The COPIL document as files: the PDF and the XLSX of one scope, from the same `CopilData`."""
from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy.orm import Session

from ..textnorm import slugify
from .data import copil_data
from .pdf import render_pdf
from .xlsx import render_xlsx


def build_copil(session: Session, territory: str | int, year: int | None, out: Path,
                commune: str | None = None) -> tuple[Path, Path]:
    """Write OUT.pdf and OUT.xlsx (same stem). Returns both paths."""
    out = Path(out)
    data = copil_data(session, territory, year, commune)
    pdf_path = out if out.suffix.lower() == ".pdf" else out.with_suffix(".pdf")
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    pdf_path.write_bytes(render_pdf(data))
    return pdf_path, render_xlsx(data, pdf_path.with_suffix(".xlsx"))


def copil_bytes(session: Session, territory_id: int, year: int | None,
                commune: str | None = None) -> tuple[bytes, bytes, str]:
    """(pdf, xlsx, file stem) in memory, for the app's download buttons."""
    data = copil_data(session, territory_id, year, commune)
    buf = io.BytesIO()
    render_xlsx(data, buf)
    stem = (f"copil-{data.territory_slug}-{year or 'toutes-annees'}"
            + (f"-{slugify(data.commune)}" if data.commune else ""))
    return render_pdf(data), buf.getvalue(), stem
