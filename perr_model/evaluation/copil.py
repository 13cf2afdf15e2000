"""The "Évaluation" section of the COPIL document (PDF and XLSX), computed by the same
functions as the Évaluation page (`model.indicators`, `progress.planned_vs_achieved`).

Self-contained: `copil_evaluation` gathers the figures, `render_evaluation_section(pdf, data)`
lays them out in the fpdf2 document (font "DejaVu", registered by report_pdf.render_pdf), and
`write_evaluation_sheets(wb, data)` adds two sheets to the workbook.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.orm import Session

from . import model, progress

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
             "Avancement d'après le statut : en projet 0 %, programmée 10 %, en cours 50 %, "
             "terminée 100 % ; actions abandonnées exclues. Un nombre de bénéficiaires non "
             "renseigné n'est pas compté comme zéro."]
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


def trend_png(ind: dict) -> io.BytesIO | None:
    """A small black-and-white trend chart (matplotlib), None under two dated values."""
    if len(ind["series"]) < 2:
        return None
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(3.2, 1.5), dpi=150)
    xs, ys = zip(*ind["series"])
    ax.plot(xs, ys, color="black", marker="o", linewidth=1.2)
    for x, y in ind["series"]:
        ax.annotate(model.fr_value(y), (x, y), textcoords="offset points", xytext=(0, 5),
                    ha="center", fontsize=6)
    if ind["target"] and ind["target"]["year"]:
        ax.plot([ind["target"]["year"]], [ind["target"]["value"]], marker="D",
                markerfacecolor="white", color="black", linestyle="none")
    ax.set_xticks(list(xs))
    ax.tick_params(labelsize=6)
    ax.set_ylabel(ind["unit"], fontsize=6)
    ax.set_ylim(bottom=0, top=max(ys) * 1.25)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    buf.seek(0)
    return buf


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
        png = trend_png(ind)
        if png is not None:
            pdf.image(png, w=62)
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
    from .exchange import neutralise
    sheets = [
        ("Évaluation – indicateurs",
         ["Indicateur", "Commune / quartier", "Référence ou première mesure",
          "Dernière valeur", "Cible", "Évolution", "Source"],
         [r + [" ; ".join(ind["sources"])] for r, ind in
          zip(indicator_rows(data), data.indicators.to_dict("records"))]),
        ("Évaluation – prévu réalisé",
         ["Axe", "Actions", "Bénéficiaires prévus", "Actions renseignant le prévu",
          "Bénéficiaires réalisés", "Actions renseignant le réalisé",
          "Montant demandé (€)", "Montant accordé (€)", "Avancement (%)",
          "Actions abandonnées"],
         [[r["label"], r["actions"], r["planned"], r["planned_reported"], r["achieved"],
           r["achieved_reported"], r["requested"], r["granted"],
           None if r["progress"] is None else round(r["progress"], 1), r["abandoned"]]
          for r in ([{**data.total, "label": "Ensemble"}] if data.total else [])
          + data.by_axis.to_dict("records")]),
    ]
    for title, header, rows in sheets:
        ws = wb.create_sheet(title[:31])
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([neutralise(v) for v in row])
