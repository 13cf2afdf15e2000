"""The "Évaluation" section of the COPIL document (PDF and XLSX), computed by the same
functions as the Évaluation page (`model.indicators`, `progress.planned_vs_achieved`).

Self-contained: `copil_evaluation` gathers the figures, `render_evaluation_section(pdf, data)`
lays them out in the fpdf2 document (font "DejaVu", registered by copil.pdf.render_pdf), and
`write_evaluation_sheets(wb, data)` adds two sheets to the workbook.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.orm import Session

from ..evaluation import model, progress

FONT = "DejaVu"


@dataclass
class EvaluationSection:
    indicators: pd.DataFrame            # model.indicators rows
    total: dict | None                  # progress "total" row (None: no counted action)
    by_axis: pd.DataFrame               # progress rows per axis
    notes: list[str] = field(default_factory=list)


def copil_evaluation(session: Session, territory_id: int, year: int | None,
                     commune_id: int | None = None) -> EvaluationSection:
    inds = model.indicators(session, territory_id, commune_id)
    total = progress.planned_vs_achieved(session, territory_id, year, "total", commune_id)
    by_axis = progress.planned_vs_achieved(session, territory_id, year, "axe", commune_id)
    notes = [progress.SPENT_NOTE,
             progress.STATUS_NOTE + " Un nombre de bénéficiaires non renseigné n'est pas "
             "compté comme zéro."]
    return EvaluationSection(inds, total.iloc[0].to_dict() if len(total) else None, by_axis,
                             notes)


def indicator_rows(data: EvaluationSection) -> list[list[str]]:
    """(indicator, place, baseline, latest, target, gap) as shown in the PDF and XLSX."""
    rows = []
    for ind in data.indicators.to_dict("records"):
        place = " – ".join(p for p in (ind["commune"], ind["quartier"]) if isinstance(p, str))
        rows.append([ind["label"], place or "territoire",
                     model.value_text(ind["baseline"], ind["unit"]) if ind["baseline"] else "–",
                     model.value_text(ind["latest"], ind["unit"]),
                     model.value_text(ind["target"], ind["unit"]) if ind["target"]
                     else "non fixée", ind["words"] or "–"])
    return rows


def trend_vector(pdf, ind: dict, width: float = 70, height: float = 24) -> None:  # noqa: ANN001
    """A small black-and-white trend chart drawn with PDF lines (vector, no image): measured
    values by year, each labelled with its value and year; the target as an open diamond."""
    points = list(ind["series"])
    if len(points) < 2:
        return
    target = ind["target"] if ind["target"] and ind["target"]["year"] else None
    if pdf.get_y() + height + 8 > pdf.h - pdf.b_margin:
        pdf.add_page()
    x0, y0 = pdf.l_margin + 4, pdf.get_y() + 4
    years = [y for y, _ in points] + ([target["year"]] if target else [])
    top = max([v for _, v in points] + ([target["value"]] if target else [])) or 1
    span = (max(years) - min(years)) or 1

    def xy(year, value):  # noqa: ANN001
        return (x0 + (year - min(years)) / span * width,
                y0 + height - (value / (top * 1.15)) * height)

    pdf.set_draw_color(0)
    pdf.set_line_width(0.2)
    pdf.line(x0, y0 + height, x0 + width, y0 + height)          # time axis
    pdf.set_line_width(0.5)
    coords = [xy(y, v) for y, v in points]
    for (xa, ya), (xb, yb) in zip(coords, coords[1:]):
        pdf.line(xa, ya, xb, yb)
    pdf.set_font(FONT, size=6.5)
    for (year, value), (x, y) in zip(points, coords):
        pdf.circle(x=x, y=y, radius=0.8, style="F")
        pdf.text(x - 3, y - 1.8, model.fr_value(value))
        pdf.text(x - 3, y0 + height + 3.2, str(year))
    if target:
        x, y = xy(target["year"], target["value"])
        pdf.set_line_width(0.3)
        pdf.polygon([(x, y - 1.4), (x + 1.4, y), (x, y + 1.4), (x - 1.4, y)], style="D")
        pdf.text(x - 3, y - 2, f"cible {model.fr_value(target['value'])}")
        pdf.text(x - 3, y0 + height + 3.2, str(target["year"]))
    pdf.set_line_width(0.2)
    pdf.set_y(y0 + height + 5)


def render_evaluation_section(pdf, data: EvaluationSection | None) -> None:  # noqa: ANN001
    """The section in the COPIL PDF: indicators (baseline → latest → target, gap, trend
    chart), then planned vs achieved for the whole and per axis."""
    if data is None:
        return
    from fpdf.enums import XPos, YPos
    if pdf.page_no() == 0 or pdf.get_y() > 150:
        pdf.add_page()
    else:
        pdf.ln(6)
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(0, 8, "Évaluation", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)

    def para(text: str, size: float = 9, style: str = "") -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    para("Indicateurs", 11, "B")
    if data.indicators.empty:
        para("Aucun indicateur enregistré pour ce périmètre.")
    for ind, row in zip(data.indicators.to_dict("records"), indicator_rows(data)):
        if pdf.get_y() > 235:
            pdf.add_page()
        pdf.ln(1)
        para(row[0], 9.5, "B")
        para(f"{row[1]} · {ind['node_title']}", 8, "I")
        para(f"Référence / première mesure : {row[2]} → dernière valeur : {row[3]} → "
             f"cible : {row[4]}")
        if ind["words"]:
            para(f"Évolution : {ind['words']}")
        trend_vector(pdf, ind)
        if ind["sources"]:
            para("Source : " + " ; ".join(ind["sources"]), 7.5)
    pdf.ln(3)
    if pdf.get_y() > 220:
        pdf.add_page()
    para("Prévu et réalisé des actions", 11, "B")
    if data.total is None:
        para("Aucune action comptée pour ce périmètre.")
    else:
        for line in progress.words(data.total):
            para(line)
        for row in data.by_axis.to_dict("records"):
            if pdf.get_y() > 250:
                pdf.add_page()
            pdf.ln(1)
            para(row["label"], 9, "B")
            para(" ".join(progress.words(row)), 8.5)
    pdf.ln(1)
    for note in data.notes:
        para(note, 7.5, "I")


def write_evaluation_sheets(wb, data: EvaluationSection | None) -> None:  # noqa: ANN001
    """Two sheets of the COPIL workbook: indicators, planned vs achieved per axis."""
    if data is None:
        return
    from openpyxl.styles import Font

    from ..exports.safe import append_row
    sheets = [
        ("Évaluation – indicateurs",
         ["Indicateur", "Commune / quartier", "Référence ou première mesure",
          "Dernière valeur", "Cible", "Évolution", "Source"],
         [r + [" ; ".join(ind["sources"])] for r, ind in
          zip(indicator_rows(data), data.indicators.to_dict("records"))]),
        ("Évaluation – prévu réalisé",
         ["Axe", "Actions", "Bénéficiaires prévus", "Actions renseignant le prévu",
          "Bénéficiaires réalisés", "Actions renseignant le réalisé",
          "Montant demandé (€)", "Montant accordé (€)", "Lignes de financement",
          "Lignes renseignant le demandé", "Lignes où demandé et accordé sont renseignés",
          "Demandé sur ces lignes (€)", "Accordé sur ces lignes (€)", "Avancement (%)",
          "Actions au statut renseigné", "Actions abandonnées"],
         [[r["label"], r["actions"], r["planned"], r["planned_reported"], r["achieved"],
           r["achieved_reported"],
           "non renseigné" if r["requested"] is None and r["lines"] else r["requested"],
           r["granted"], r["lines"], r["requested_lines"], r["compared_lines"],
           r["requested_compared"], r["granted_compared"],
           None if r["progress"] is None else round(r["progress"], 1), r["status_reported"],
           r["abandoned"]]
          for r in ([{**data.total, "label": "Ensemble"}] if data.total else [])
          + data.by_axis.to_dict("records")]),
    ]
    for title, header, rows in sheets:
        ws = wb.create_sheet(title[:31])
        append_row(ws, header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            append_row(ws, row)  # text cells typed as text: « +3,0 pts » shown as it is
