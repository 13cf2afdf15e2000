"""The annex of the COPIL document: what the protocol provides beside its axes — its cités
éducatives and their objectives, its governance, its signatories (by role, never by name) and
the context it gives about the communes' engagements.

The figures come from `figures.annexes.protocol_annex` (the Référentiel page shows the same);
`render_annex_pdf` writes the PDF's last section, `write_annex_sheet` the workbook's last sheet.
Each is one call at the end of its document (copil/pdf.py, copil/xlsx.py), so the rest of the
document may change around them.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..figures.annexes import protocol_annex
from ..vocabulary import fr_date, plural

FONT = "DejaVu"
GREY_HEAD = (215, 215, 215)
TITLE = "Annexe : ce que le protocole prévoit aussi"
SHEET = "Annexe du protocole"


def annex_data(session: Session, scope) -> dict:  # noqa: ANN001
    """The annex of the scope's territory's protocol (the whole protocol, whatever the year)."""
    return protocol_annex(session, scope.territory_id)


def is_empty(annex: dict | None) -> bool:
    return annex is None or not any(len(annex[k]) for k in (
        "cites", "governance", "signatories", "notes"))


# --- PDF ------------------------------------------------------------------------------------------

def render_annex_pdf(pdf, annex: dict | None) -> None:  # noqa: ANN001
    """The annex as the PDF's last section (on a new page unless the last one has room);
    nothing when the protocol has none."""
    if is_empty(annex):
        return
    from fpdf import FontFace
    from fpdf.enums import XPos, YPos

    def para(text: str, size: float = 9, style: str = "") -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def subtitle(text: str) -> None:
        if pdf.get_y() > 250:
            pdf.add_page()
        pdf.ln(3)
        para(text, 11, "B")
        pdf.ln(1)

    def table(header: list[str], rows: list[list[str]], widths: tuple, size: float = 8) -> None:
        pdf.set_font(FONT, size=size)
        style = FontFace(emphasis="BOLD", fill_color=GREY_HEAD)
        with pdf.table(col_widths=widths, text_align="LEFT", headings_style=style,
                       line_height=size * 0.45, padding=0.7, repeat_headings=1) as t:
            for row in [header, *rows]:
                r = t.row()
                for cell in row:
                    r.cell(cell)
        pdf.ln(2)

    if pdf.get_y() > 200:  # on the sources' page when there is room: a short document stays short
        pdf.add_page()
    else:
        pdf.ln(6)
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(0, 8, TITLE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)
    para("Le protocole, tel qu'il a été relu, au-delà de ses axes et de ses objectifs : rien "
         "de ce qui suit n'est compté comme action.", 8.5, "I")
    cites = annex["cites"]
    if len(cites):
        names = list(dict.fromkeys(cites["cite"]))
        subtitle(f"Cités éducatives : {plural(len(names), 'cité', 'cités')}, "
                 f"{plural(len(cites), 'objectif', 'objectifs')}")
        for name in names:
            part = cites[cites["cite"] == name]
            if pdf.get_y() > 240:
                pdf.add_page()
            para(name, 9.5, "B")
            if annex["cite_intros"].get(name):
                para(annex["cite_intros"][name], 8.5, "I")
            table(["N°", "Objectif"],
                  [[r.numero, ("    " if r.niveau == 2 else "") + r.objectif]
                   for r in part.itertuples()], (14, 166))
    bodies = annex["governance"]
    if len(bodies):
        subtitle("Gouvernance : " + plural(len(bodies), "instance ou rendez-vous",
                                           "instances ou rendez-vous"))
        para("Les réunions des élus chargés de la politique de la ville que le protocole cite, "
             "avec ses mots.", 8.5)
        for b in bodies.itertuples():  # a line each (compact: the XLSX sheet has the table)
            para("• " + b.instance + (f" : {b.description}" if str(b.description or "").strip()
                                      else ""), 8.5)
    signatories = annex["signatories"]
    if len(signatories):
        signed = annex["signed_date"]
        subtitle(f"Signataires : {plural(len(signatories), 'signataire', 'signataires')}"
                 + (f", protocole signé le {fr_date(signed)}" if signed else ""))
        # one paragraph (their functions name their communes; the XLSX sheet has the table)
        para(" ; ".join(signatories["fonction"]) + ".", 8.5)
    notes = annex["notes"]
    if len(notes):
        subtitle("Contexte donné par le protocole pour des engagements : "
                 + plural(notes["reference"].nunique(), "engagement", "engagements"))
        para("Des phrases des listes « actions en cours » du protocole qui ne décrivent pas une "
             "action (une date, un bilan, une signature) : elles ne sont pas comptées comme "
             "actions.", 8.5)
        table(["Référence", "Commune", "Engagement", "Ce que dit le protocole"],
              notes[["reference", "commune", "engagement", "note"]].values.tolist(),
              (22, 36, 61, 61), size=7.5)


# --- XLSX -----------------------------------------------------------------------------------------

def annex_rows(annex: dict | None) -> tuple[list[str], list[tuple]]:
    """(header, rows) of the annex sheet: one row per item, its part named in the first column."""
    header = ["Partie", "Commune", "Cité éducative", "N° ou référence", "Texte",
              "Engagement ou précision"]
    if is_empty(annex):
        return header, []
    rows: list[tuple] = []
    for r in annex["cites"].itertuples():
        rows.append(("Cité éducative : objectif" if r.niveau == 1 else
                     "Cité éducative : sous-objectif", r.commune, r.cite, r.numero, r.objectif,
                     ""))
    for r in annex["governance"].itertuples():
        rows.append(("Gouvernance", "", "", "", r.instance, r.description))
    signed = annex["signed_date"]
    for r in annex["signatories"].itertuples():
        rows.append(("Signataire", r.commune, "", "", r.fonction,
                     f"protocole signé le {fr_date(signed)}" if signed else ""))
    for r in annex["notes"].itertuples():
        rows.append(("Contexte d'un engagement", r.commune, "", r.reference, r.note,
                     r.engagement))
    return header, rows


def write_annex_sheet(wb, annex: dict | None) -> None:  # noqa: ANN001
    """The annex as the workbook's last sheet; none when the protocol has no annex."""
    if is_empty(annex):
        return
    from openpyxl.styles import Font

    from ..exports.safe import append_row
    header, rows = annex_rows(annex)
    ws = wb.create_sheet(SHEET)
    append_row(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(ws, row)  # text as text, neutralised against formulas
