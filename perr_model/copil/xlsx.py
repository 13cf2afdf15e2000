"""The COPIL workbook: the document's tables, one sheet each, numbers kept as numbers, text
neutralised against formulas; then the Évaluation sheets (`copil.evaluation`)."""
from __future__ import annotations

import pandas as pd

from ..exports.safe import append_row
from ..figures.trend import trajectory_columns
from .data import CopilData
from .annex import write_annex_sheet
from .evaluation import write_evaluation_sheets


NOT_GIVEN = "non renseigné"   # where the PDF says it (copil.pdf.NOT_GIVEN)
WIDEST = 70                   # characters: a longer column wraps its text


def _axis(data: CopilData, axis_id, shown: str) -> str:  # noqa: ANN001
    """The axis' full name ("Axe 1 – title", never shortened), else what the figure shows (a
    commune's theme)."""
    known = axis_id is not None and axis_id == axis_id
    return data.axis_names.get(int(axis_id), shown) if known else shown


def _num(numero: str):  # noqa: ANN202
    """A commitment's number as a number ("3" → 3), empty when the protocol gives none."""
    return int(numero) if str(numero).isdigit() else (numero or None)


def xlsx_sheets(data: CopilData) -> list[tuple[str, list[str], list[tuple]]]:
    """(sheet title, header, rows): the document's tables, numbers kept as numbers."""
    themes = dict(zip(data.commitments["reference"], data.commitments["theme"])) \
        if len(data.commitments) else {}
    return [
        ("Synthèse", ["Synthèse"], [(data.summary,)]),
        ("Chiffres clés", ["Indicateur", "Valeur"],
         [(lbl, raw if any(c.isdigit() for c in shown) else shown)   # the PDF's words
          for lbl, shown, raw in data.headline]),
        ("Couverture par axe",
         ["Axe", "Intitulé", "Objectifs opérationnels", "Objectifs couverts", "Engagements",
          "Engagements avec action", "Actions", "Financements accordés aux actions (€)"],
         [(r.code, r.title, r.objectives, r.objectives_covered, r.commitments,
           r.commitments_covered, r.actions,
           r.amount_approved if data.figures["funding_lines"] else NOT_GIVEN)
          for r in data.axes.itertuples()]),
        ("Axes x communes", ["Axe"] + list(data.matrix.columns),
         [(idx, *map(int, row)) for idx, row in zip(data.matrix.index, data.matrix.values)]),
        ("Angles morts", ["Nature", "Référence", "Axe", "Rubrique ou commune", "N°",
                          "Élément sans action", "Thème de la commune"],
         [(r.kind, r.reference, _axis(data, r.axis_id, r.axe), r.groupe, _num(r.numero),
           r.element, themes.get(r.reference, ""))
          for r in data.angles_morts.itertuples()]),
        ("Engagements", ["Référence", "Commune", "Axe ou thème", "N°", "Engagement", "Actions",
                         "Détail des actions", "Thème de la commune"],
         [(r.reference, r.commune, _axis(data, r.axis_id, r.axe), _num(r.numero), r.engagement,
           r.actions, "\n".join(r.details), r.theme)
          for r in data.commitments.itertuples()]),
        ("Financements des actions", ["Financeur", "Lignes", "Actions", "Montant demandé (€)",
                                      "Montant accordé (€)"],
         [(r.label, r.lines, r.actions,
           "non renseigné" if pd.isna(r.requested) else r.requested,
           r.approved) for r in data.funding.itertuples()]),
        ("Postes de l'État", ["Contrat de ville", "Nom", "Communes", "Adultes-relais (postes)",
                              "Adultes-relais (€)", "FONJEP (postes)", "FONJEP (€)",
                              "Total (€)"],
         [(r.code, r.name, r.communes, r.adultes_relais_posts, r.adultes_relais,
           r.fonjep_posts, r.fonjep, r.total) for r in data.posts.itertuples()]),
        ("Sources", ["Source"],
         [(s,) for s in [data.year_rule, *([data.frame] if data.frame else []), *data.sources]]),
    ]


def evolution_sheet(data: CopilData) -> tuple[str, list[str], list[tuple]]:
    """« Évolution sur un an » (a year against the previous one) or « Évolution année par
    année » (all years), numbers as numbers; a year without any line: its words."""
    t = data.trend
    if t is None:
        columns = trajectory_columns(data.figures["basis"])
        df = data.trajectory
        rows = [] if df is None else [tuple(r) for r in df[list(columns)].astype(object)
                                      .itertuples(index=False)]
        return "Évolution année par année", list(columns.values()), rows
    key = "objectives" if data.figures["basis"] == "objectives" else "commitments"
    what = "Objectifs opérationnels" if key == "objectives" else "Engagements des communes"
    rows = [("Actions comptées", t["actions_previous"], t["actions"],
             t["actions"] - t["actions_previous"], None),
            ("Actions nouvelles (comptées en N, pas en N-1)", None, t["actions_new"], None, None),
            ("Actions poursuivies (comptées les deux années)", None, t["actions_continued"],
             None, None),
            ("Actions terminées (comptées en N-1, pas en N)", None, t["actions_ended"], None,
             None),
            (f"{what} nouvellement couverts", None, t[f"{key}_gained"], None, None),
            (f"{what} sans action désormais", None, t[f"{key}_lost"], None, None)]
    for r in t["money"].itertuples():
        none = "aucun saisi" if r.kind == "actions" else "aucun enregistré"
        some = r.previous_lines or r.current_lines
        rows.append((f"{r.label} (€)", r.previous if r.previous_lines else none,
                     r.current if r.current_lines else none,
                     r.difference if some else "sans objet",
                     None if pd.isna(r.percent) else round(r.percent * 100, 1)))
    for r in t["elements"].itertuples():
        rows.append((f"{r.reference} : {r.change}", r.element, None, None, None))
    return ("Évolution sur un an",
            ["Indicateur", str(t["previous"]), str(t["year"]), "Écart", "Écart (%)"], rows)


def _fit_columns(ws) -> None:  # noqa: ANN001
    """Each column as wide as its longest line (at most WIDEST characters: longer texts wrap,
    never cut), the heading row kept in view."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    for i, col in enumerate(ws.iter_cols(), start=1):
        longest = 0
        for cell in col:
            if cell.value is None:
                continue
            # a number shown with its thousands separators and two decimals: a third longer
            text = (str(cell.value) + "000") if isinstance(cell.value, float) else str(cell.value)
            widest = max(len(line) for line in text.split("\n"))
            longest = max(longest, widest)
            if widest > WIDEST or "\n" in text:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(i)].width = min(WIDEST, max(8, longest + 2))
    ws.freeze_panes = "A2"


def render_xlsx(data: CopilData, path) -> object:
    """The document's tables, one sheet each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    sheets = xlsx_sheets(data)
    sheets.insert(2, evolution_sheet(data))
    for title, header, rows in sheets:
        ws = wb.create_sheet(title)
        append_row(ws, header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            append_row(ws, row)  # text as text, neutralised against formulas
        for col in ws.iter_cols(min_row=2):
            for cell in col:
                if isinstance(cell.value, float):
                    cell.number_format = "#,##0.00"
    write_evaluation_sheets(wb, data.evaluation)
    write_annex_sheet(wb, data.annex)   # copil/annex.py: the protocol's annex, last
    for ws in wb.worksheets:
        _fit_columns(ws)
    wb.properties.title = f"COPIL {data.territory} {data.period.lower()}"
    wb.properties.creator = "Tableau de bord PERR"
    wb.save(path)
    return path
