"""Layout of the COPIL PDF (fpdf2) and its coverage maps (matplotlib, no browser).

Printed in black and white: greys of clearly different lightness plus hatching, and every
commune labelled with its figure, so that no information rests on colour alone.
"""
from __future__ import annotations

import io
import json
import math
import threading
import types
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from ..figures import trend as tr
from ..figures.money import contrat_title
from ..figures.summary import comparison_words
from ..vocabulary import euros as fr_euros, fr_date, number as fr_number, plural
from .data import ACTIONS_PER_COMMITMENT, ANGLE_TITLES, CopilData
from .annex import render_annex_pdf
from .evaluation import render_evaluation_section

matplotlib.use("Agg")
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
GREY_HEAD = (215, 215, 215)
GREY_GROUP = (238, 238, 238)
MAX_LABELS = 15          # beyond, only the communes with the most actions are labelled
MAX_ROWS = 40            # communes listed in the PDF matrix; the XLSX has them all
NO_PERIMETER = ("Périmètres communaux non disponibles : cercles proportionnels au nombre "
                "d'actions, placés au centre de chaque commune.")
UNPRINTABLE = "\u25a1"    # □ (DejaVu has it): printed for a character the font cannot draw
NOT_GIVEN = "non renseigné"  # an amount no line gives: the PDF and the XLSX say it alike
SMALL_TABLE = 12          # rows: a table this short is kept on one page
ROW_MAX_MM = 120          # a table row taller than this is split into rows of this height at
#                           most, so that any row fits on a page under the repeated heading


class CopilPdf(FPDF):
    """The COPIL PDF: a footer on every page, and every character printed or marked.

    The fonts installed (DejaVu) draw Latin, Greek, Cyrillic and many symbols, not CJK nor most
    emoji; fpdf2 would leave such characters out without a word. They are printed as □ instead,
    counted, and a note at the end of the document says how many (the XLSX keeps them)."""
    footer_text = ""
    replaced = 0

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.contents: list[tuple[str, int]] = []   # (numbered heading, page)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7.5)
        self.set_text_color(80)
        self.cell(0, 5, f"{self.footer_text} – page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def normalize_text(self, text: str) -> str:
        """Called by fpdf2 on every text it measures or prints: characters of the current font
        kept, invisible format characters it lacks (joiners, variation selectors) left out,
        any other → □, counted when printed (not when fpdf2 only measures: it then swaps its
        `_out` method for a function that writes nothing)."""
        text = super().normalize_text(text)
        cmap = getattr(self.current_font, "cmap", None)
        if cmap is None or all(ord(c) in cmap or c in "\n\r\t" for c in text):
            return text
        out, n = [], 0
        for c in text:
            if ord(c) in cmap or c in "\n\r\t":
                out.append(c)
            elif not _invisible(c):
                out.append(UNPRINTABLE)
                n += 1
        if isinstance(self._out, types.MethodType):
            self.replaced += n
        return "".join(out)

    def output(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        """The document, with the note of the characters printed as □ at its end."""
        if self.replaced and self.page:
            note = (plural(self.replaced, "caractère non imprimable remplacé",
                           "caractères non imprimables remplacés")
                    + f" par {UNPRINTABLE} dans ce document (emoji ou écriture absents de ses "
                    "polices) ; le tableur (XLSX) les donne tels quels.")
            self.ln(3)
            self.set_font(FONT, "I", 8)
            self.multi_cell(0, 4, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return super().output(*args, **kwargs)


def _invisible(char: str) -> bool:
    """Zero-width joiners, direction marks, variation selectors: nothing to print."""
    return unicodedata.category(char) == "Cf" or 0xFE00 <= ord(char) <= 0xFE0F \
        or 0xE0100 <= ord(char) <= 0xE01EF


@dataclass
class Rendered:
    """The PDF and its table of contents: (section title as printed, page)."""
    pdf: bytes
    contents: list[tuple[str, int]]
    pages: int


def render_pdf(data: CopilData) -> bytes:
    return render(data).pdf


def sections_for(data: CopilData) -> list:
    """The sections in order, each a function (pdf, data) drawing its numbered heading and
    body. A scope without any counted action gets a short document (no table of zeros, no
    map): its key figures, its angles morts axis by axis, the money, what to decide. Another
    section (an annex) goes in this list, before the sources."""
    if data.quiet:
        body = [_headline, _angles_by_axis, _funding]
    else:
        body = [_headline, _axes, _maps, _angles_morts, _commitments, _funding]
    return [*body, _decisions, _evaluation, _sources, _annex]


def _annex(pdf: FPDF, data: CopilData) -> None:
    """The protocol's annex (copil/annex.py: cités éducatives, governance, signatories), last."""
    render_annex_pdf(pdf, data.annex)


def render(data: CopilData) -> Rendered:
    pdf = CopilPdf(format="A4")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font(FONT, "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_margins(15, 15, 15)
    place = data.territory + (f" – {data.commune}" if data.commune else "")
    period = data.year if data.year is not None else "toutes années"
    pdf.footer_text = f"COPIL {period} – {place} – document produit le {fr_date(data.generated)}"
    pdf.set_title(f"Document COPIL {period} – {place}")
    pdf.set_author("Tableau de bord PERR")
    pdf.set_creator("Tableau de bord PERR")
    _cover(pdf, data, place)
    for section in sections_for(data):
        section(pdf, data)
    out = bytes(pdf.output())
    return Rendered(out, list(pdf.contents), pdf.pages_count)


# --- sections ---------------------------------------------------------------------------------

def _h1(pdf: FPDF, text: str, numbered: bool = True) -> None:
    """A section heading, numbered in order and listed in the table of contents."""
    if pdf.get_y() > 240:
        pdf.add_page()
    contents = getattr(pdf, "contents", None)
    if numbered and contents is not None:
        text = f"{sum(1 for t, _ in contents if t[:1].isdigit()) + 1}. {text}"
    if contents is not None:
        contents.append((text, pdf.page_no()))
    pdf.ln(3)
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(0)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)
    pdf.set_font(FONT, size=9.5)


def _para(pdf: FPDF, text: str, size: float = 9.5, style: str = "") -> None:
    pdf.set_font(FONT, style, size)
    pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9.5)


def _table(pdf: FPDF, header: list[str], rows: list, widths: tuple,
           align: tuple, size: float = 8.5) -> None:
    """A table with its heading repeated on every page; a heading row (`Group`) never left
    alone at the foot of a page: the table goes on, heading repeated, on the next one."""
    pdf.set_font(FONT, size=size)
    line = size * 0.5
    rows = list(_split_rows(pdf, rows, widths, line))
    if len(rows) <= SMALL_TABLE:      # a short table is never split: it goes on the next page
        tall = sum(_height(pdf, r, widths, line) for r in [header, *rows])
        if pdf.get_y() + tall > pdf.page_break_trigger and tall < pdf.eph / 2:
            pdf.add_page()
    for n, chunk in enumerate(_keep_groups(pdf, header, rows, widths, line)):
        if n:
            pdf.add_page()
        _one_table(pdf, header, chunk, widths, align, size)
    pdf.ln(2)


def _lines(pdf: FPDF, width: float, line: float, text: str) -> list[str]:
    """`text` wrapped in a cell of `width` mm in the current font, measured once per document
    (the tables' layout asks again for the same cells: this is most of the PDF's time)."""
    cache = pdf.__dict__.setdefault("_measured", {})
    key = (pdf.font_family, pdf.font_style, pdf.font_size_pt, round(width, 3), line, text)
    if key not in cache:
        cache[key] = pdf.multi_cell(width, line, text, dry_run=True, output="LINES", padding=1)
    return cache[key]


def _height(pdf: FPDF, row, widths: tuple, line: float) -> float:
    scale = pdf.epw / sum(widths)
    cells = [(sum(widths), row.text)] if isinstance(row, Group) else zip(widths, row)
    return 2 + line * max(len(_lines(pdf, w * scale, line, str(t))) for w, t in cells)


def _keep_groups(pdf: FPDF, header: list[str], rows: list, widths: tuple, line: float):
    """The rows cut where a heading row and the row after it would not share a page (fpdf2
    breaks the pages itself, row by row: the same is counted here)."""
    if not any(isinstance(r, Group) for r in rows):
        yield rows
        return
    bottom, top = pdf.page_break_trigger, pdf.t_margin + _height(pdf, header, widths, line)
    y = pdf.get_y() + _height(pdf, header, widths, line)
    heights = [_height(pdf, row, widths, line) for row in rows] + [0]
    chunk: list = []
    for i, row in enumerate(rows):
        h, after = heights[i], heights[i + 1]
        if isinstance(row, Group) and chunk and y + h + after > bottom:
            yield chunk
            chunk, y = [], top
        elif y + h > bottom:
            y = top
        chunk.append(row)
        y += h
    yield chunk


def _one_table(pdf: FPDF, header: list[str], rows: list, widths: tuple, align: tuple,
               size: float) -> None:
    style = FontFace(emphasis="BOLD", fill_color=GREY_HEAD)
    group = FontFace(emphasis="BOLD", fill_color=GREY_GROUP)
    with pdf.table(col_widths=widths, text_align=align, headings_style=style,
                   line_height=size * 0.5, padding=1, repeat_headings=1) as table:
        for row in [header, *rows]:
            r = table.row()
            if isinstance(row, Group):      # a heading inside the table, across its columns
                r.cell(row.text, colspan=len(widths), style=group, align="LEFT")
                continue
            for cell in row:
                r.cell(cell)


@dataclass
class Group:
    """A row of a table that heads the rows below it (a commune and its theme)."""
    text: str


def _split_rows(pdf: FPDF, rows: list[list[str]], widths: tuple, line_height: float):
    """The rows as texts, a row taller than ROW_MAX_MM split into rows of at most that height
    (each cell's wrapped lines shared out in order: nothing cut), so that fpdf2, which cannot
    break a row across pages, can print it whatever its length."""
    scale = pdf.epw / sum(widths)
    most = max(1, int(ROW_MAX_MM / line_height))
    for row in rows:
        if isinstance(row, Group):
            yield row
            continue
        texts = [str(cell) for cell in row]
        lines = [_lines(pdf, w * scale, line_height, t) for w, t in zip(widths, texts)]
        tallest = max((len(c) for c in lines), default=0)
        if tallest <= most:
            yield texts
            continue
        for start in range(0, tallest, most):
            yield ["\n".join(c[start:start + most]) for c in lines]


def _cover(pdf: FPDF, data: CopilData, place: str) -> None:
    pdf.add_page()
    pdf.ln(25)
    pdf.set_font(FONT, "B", 12)
    several = sum(len(names) for _, names in data.contracts) > 1
    pdf.multi_cell(0, 7, "Comité de pilotage des contrats de ville" if several
                   else "Comité de pilotage du contrat de ville", align="C",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(FONT, "B", 24)
    pdf.multi_cell(0, 12, place, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(0, 10, data.period, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if data.frame:  # the referential the figures of that year read
        pdf.set_font(FONT, size=12)
        pdf.multi_cell(0, 7, data.frame, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    for heading, names in data.contracts:
        pdf.set_font(FONT, "B", 10)
        pdf.multi_cell(0, 5.5, f"{heading} :", align="C", new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(0, 5.5, " ; ".join(names), align="C", new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
        pdf.ln(1)
    pdf.ln(3)
    pdf.set_font(FONT, size=11)
    pdf.multi_cell(0, 6, "Suivi du protocole d'engagements réciproques et renforcés : "
                   "couverture des axes par les actions, angles morts, engagements des "
                   "communes, financements.", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font(FONT, "I", 9.5)
    pdf.multi_cell(0, 5, data.protocol, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 6, f"L'essentiel : {data.summary}", border=1, padding=3, align="L",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_font(FONT, size=11)
    pdf.multi_cell(0, 6, f"Document produit le {fr_date(data.generated)}", align="C",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if data.synthetic:
        pdf.ln(6)
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(0, 6, "DÉMONSTRATION : ce document contient des données synthétiques, "
                       "générées pour essai, qui ne décrivent aucune action réelle.",
                       border=1, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if pdf.get_y() < pdf.h - 62:
        pdf.set_y(-60)
    else:
        pdf.ln(4)
    _para(pdf, data.year_rule, size=8.5, style="I")


def _headline(pdf: FPDF, data: CopilData) -> None:
    pdf.add_page()
    _h1(pdf, "Chiffres clés")
    _para(pdf, "En bref : " + data.summary, size=10.5, style="B")
    pdf.ln(2)
    _table(pdf, ["Indicateur", "Valeur"], [[lbl, shown] for lbl, shown, _ in data.headline],
           (120, 60), ("LEFT", "RIGHT"), size=10)
    _para(pdf, "Les postes adultes-relais et FONJEP sont financés par l'État dans les contrats "
               "de ville ; ils ne sont pas rattachés à une action et ne s'ajoutent pas aux "
               "montants accordés aux actions.", size=8, style="I")
    if not data.quiet:
        _evolution(pdf, data)


def _subtitle(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > 235:
        pdf.add_page()
    pdf.ln(3)
    _para(pdf, text, size=11, style="B")
    pdf.ln(1)


def _evolution(pdf: FPDF, data: CopilData) -> None:
    """Évolution sur un an (figures.trend.year_over_year), or, for all years, year by year."""
    t = data.trend
    if t is not None:
        _subtitle(pdf, f"Évolution sur un an : {t['year']} par rapport à {t['previous']}")
        _para(pdf, tr.actions_words(t), size=9.5)
        _para(pdf, tr.coverage_words(t, data.figures["basis"]), size=9.5)
        pdf.ln(1)
        money = tr.money_words(t)
        _table(pdf, ["Montants", str(t["previous"]), str(t["year"]), "Écart", "Écart (%)"],
               money.values.tolist(), (64, 30, 30, 30, 26),
               ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"), size=8.5)
        changed = t["elements"]
        if len(changed):
            _table(pdf, ["Référence", "Changement", "Élément"],
                   changed[["reference", "change", "element"]].values.tolist(), (24, 36, 120),
                   ("LEFT", "LEFT", "LEFT"), size=7.5)
        return
    df = data.trajectory
    if df is None or df.empty:
        return
    _subtitle(pdf, "Évolution année par année")
    columns = tr.trajectory_columns(data.figures["basis"])
    rows = [[str(int(r.year)), *[fr_number(getattr(r, k)) for k in list(columns)[1:-2]],
             fr_euros(r.funding), fr_euros(r.posts)] for r in df.itertuples()]
    _table(pdf, list(columns.values()), rows, (14, 18, 20, 22, 20, 26, 30, 30),
           ("LEFT", *["RIGHT"] * 7), size=7.5)
    _para(pdf, "Chaque année par rapport à la précédente : nouvelles (comptées cette année, pas "
               "la précédente), poursuivies (les deux), terminées (la précédente, pas celle-ci).",
          size=8, style="I")


def _axes(pdf: FPDF, data: CopilData) -> None:
    _h1(pdf, "Couverture par axe")
    if data.axes.empty:
        _para(pdf, "Aucun axe n'est inscrit au référentiel de ce territoire.")
        return
    funded = bool(data.figures["funding_lines"])
    # a protocol whose commitments carry the coverage has no operational objective at all
    no_objectives = "aucun" if data.axes["objectives"].sum() else "sans objet"
    rows = [[r.code, r.title,
             f"{r.objectives_covered} / {r.objectives}" if r.objectives else no_objectives,
             f"{r.commitments_covered} / {r.commitments}" if r.commitments else "aucun",
             fr_number(r.actions), fr_euros(r.amount_approved) if funded else NOT_GIVEN]
            for r in data.axes.itertuples()]
    _table(pdf, ["Axe", "Intitulé", "Objectifs op. couverts", "Engagements avec action",
                 "Actions", "Montants accordés"], rows, (14, 72, 22, 24, 16, 32),
           ("LEFT", "LEFT", "CENTER", "RIGHT", "RIGHT", "RIGHT"), size=8)
    _para(pdf, "Une action compte pour un axe si elle y est rattachée directement, par un de "
               "ses objectifs opérationnels ou par un engagement de commune relevant de l'axe ; "
               "elle compte une fois par axe.", size=8, style="I")
    if data.matrix.shape[1]:
        pdf.ln(2)
        if pdf.get_y() > 230:
            pdf.add_page()
        pdf.set_font(FONT, "B", 10)
        pdf.cell(0, 6, "Actions par commune et par axe", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        m = data.matrix
        width = min(20.0, 110 / max(len(m.index), 1))
        shown = list(m.columns)
        if len(shown) > MAX_ROWS:
            ranked = data.communes.sort_values("actions", ascending=False, kind="stable")
            top = set(ranked["name"].iloc[:MAX_ROWS])
            shown = [c for c in m.columns if c in top]
        rows = [[commune, *[fr_number(v) for v in m[commune]]] for commune in shown]
        codes = list(data.axes["code"])
        _table(pdf, ["Commune", *codes], rows, (180 - width * len(m.index),
                                                  *[width] * len(m.index)),
               ("LEFT", *["RIGHT"] * len(m.index)), size=8)
        more = (f" Les {MAX_ROWS} communes ayant le plus d'actions sont listées ; les "
                f"{m.shape[1] - MAX_ROWS} autres figurent dans le tableur (XLSX)."
                if m.shape[1] > MAX_ROWS else "")
        _para(pdf, "Une action menée dans plusieurs communes compte dans chacune d'elles." + more,
              size=8, style="I")


def map_groups(data: CopilData) -> tuple[list[tuple[list[str], dict[str, int]]], list[str]]:
    """The maps to draw: axes whose counts per commune are the same share one map ([axis
    names], counts); the axes without any action in any commune get none (returned second)."""
    groups: dict[tuple, tuple[list[str], dict[str, int]]] = {}
    empty = []
    names = data.axis_names
    for axis_id, label in zip(data.axes["axis_id"], data.axes["label"]):
        counts = ({k: int(v) for k, v in data.matrix.loc[label].to_dict().items()}
                  if label in data.matrix.index else {})
        name = names[int(axis_id)]
        if not any(counts.values()):
            empty.append(name)
            continue
        key = tuple(sorted((k, v) for k, v in counts.items() if v))
        groups.setdefault(key, ([], counts))[0].append(name)
    return list(groups.values()), empty


def _maps(pdf: FPDF, data: CopilData) -> None:
    if data.axes.empty or data.communes.empty:
        return
    _h1(pdf, "Cartes de couverture par axe")
    groups, empty = map_groups(data)
    if empty:
        _para(pdf, ("Sans action dans aucune commune (pas de carte) : " if len(empty) > 1 else
                    "Sans action dans aucune commune (pas de carte) : ") + " ; ".join(empty) + ".",
              size=9)
        pdf.ln(2)
    for axes_names, counts in groups:
        title = " ; ".join(axes_names)
        if len(axes_names) > 1:
            title = "Même répartition pour : " + title
        png = map_png(data, title, counts)
        if pdf.get_y() + 118 > pdf.h - 16:
            pdf.add_page()
        pdf.image(png, x=pdf.l_margin, w=180, h=112, keep_aspect_ratio=True)
        pdf.ln(4)


def _angle_rows(data: CopilData, part) -> list:
    """Objectives: (reference, rubrique, text). Commitments: under a heading row per commune
    and theme (their numbers restart in each theme), (reference, number and text)."""
    if data.figures["basis"] == "objectives":
        return [[r.reference, r.groupe, r.element] for r in part.itertuples()]
    themes = dict(zip(data.commitments["reference"], data.commitments["theme"])) \
        if len(data.commitments) else {}
    rows, last = [], None
    for r in part.itertuples():
        head = (r.groupe, themes.get(r.reference) or "")
        if head != last:
            rows.append(Group(f"{head[0]} – thème : {head[1]}" if head[1] else head[0]))
            last = head
        rows.append([r.reference, (f"{r.numero}. " if r.numero else "") + r.element])
    return rows


def _no_angle_words(data: CopilData) -> str:
    if data.figures["basis"] == "objectives":
        return ("Aucun angle mort : chaque objectif opérationnel du référentiel a au moins une "
                "action.")
    if data.figures["commitments_total"]:
        return "Aucun angle mort : chaque engagement des communes a au moins une action."
    return ("Le protocole de ce territoire n'inscrit ni objectif opérationnel ni engagement de "
            "commune : il n'y a rien à couvrir.")


def _what(basis: str) -> tuple[str, str]:
    return (("objectif opérationnel", "objectifs opérationnels") if basis == "objectives"
            else ("engagement des communes", "engagements des communes"))


def _angles_morts(pdf: FPDF, data: CopilData) -> None:
    basis = data.figures["basis"]
    _h1(pdf, f"Angles morts : {ANGLE_TITLES[basis]}")
    df = data.angles_morts
    if df.empty:
        _para(pdf, _no_angle_words(data))
        return
    what = _what(basis)
    _para(pdf, f"{plural(len(df), what[0], what[1])} sans aucune action comptée "
               f"{data.for_period}, axe par axe dans l'ordre du protocole.", size=9)
    names = data.axis_names
    for axis_id, axe in dict.fromkeys(zip(df["axis_id"], df["axe"])):
        known = axis_id is not None and axis_id == axis_id
        part = df[df["axis_id"] == axis_id] if known else df[df["axe"] == axe]
        pdf.ln(1)
        if pdf.get_y() > 250:
            pdf.add_page()
        _para(pdf, f"{names.get(int(axis_id), axe) if known else axe} ({len(part)})",
              size=9.5, style="B")
        if basis == "objectives":
            _table(pdf, ["Référence", "Rubrique", "Objectif opérationnel"],
                   _angle_rows(data, part), (24, 50, 106), ("LEFT", "LEFT", "LEFT"), size=7.5)
        else:
            _table(pdf, ["Référence", "Engagement"], _angle_rows(data, part), (26, 154),
                   ("LEFT", "LEFT"), size=7.5)


def _angles_by_axis(pdf: FPDF, data: CopilData) -> None:
    """The short document's angles morts: one table, one row per axis (the list is in the
    workbook)."""
    basis = data.figures["basis"]
    _h1(pdf, f"Angles morts par axe : {ANGLE_TITLES[basis]}")
    df = data.angles_morts
    if df.empty:
        _para(pdf, _no_angle_words(data))
        return
    total = "objectives" if basis == "objectives" else "commitments"
    rows = []
    for r in data.axes.itertuples():
        n = int((df["axis_id"] == r.axis_id).sum())
        rows.append([f"{r.code} – {r.title}", fr_number(n), fr_number(getattr(r, total))])
    others = df[df["axis_id"].isna()] if df["axis_id"].isna().any() else df.iloc[0:0]
    if len(others):
        rows.append(["Sans axe (thèmes des communes)", fr_number(len(others)), ""])
    rows.append(["Total", fr_number(len(df)), fr_number(data.figures[f"{total}_total"])])
    what = _what(basis)[1]
    _table(pdf, ["Axe", f"{what[0].upper()}{what[1:]} sans action", "Inscrits au protocole"],
           rows, (110, 40, 30), ("LEFT", "RIGHT", "RIGHT"), size=9)
    _para(pdf, f"Aucune action n'est comptée {data.for_period} : tous les {what} du protocole "
               "sont des angles morts. Leur liste, axe par axe, est dans le tableur (XLSX), "
               "feuille « Angles morts ».", size=8, style="I")


def _commitments(pdf: FPDF, data: CopilData) -> None:
    """Per commune, theme by theme as in the protocol (the numbers restart in each theme): the
    engagements with an action and their actions; those without, by number (listed in full
    among the angles morts)."""
    _h1(pdf, "Engagements des communes et actions")
    df = data.commitments
    if df.empty:
        _para(pdf, "Le protocole de ce territoire n'inscrit pas d'engagements par commune.")
        return
    for commune in dict.fromkeys(df["commune"]):
        part = df[df["commune"] == commune]
        if pdf.get_y() > 235:
            pdf.add_page()
        done = sum(1 for n in part["actions"] if n > 0)
        _para(pdf, f"{commune} : {done} engagement(s) sur {len(part)} avec au moins une action",
              size=10, style="B")
        for index, theme in enumerate(dict.fromkeys(part["theme"]), start=1):
            block = part[part["theme"] == theme]
            if pdf.get_y() > 250:
                pdf.add_page()
            _para(pdf, f"Thème {index} – {theme or 'sans thème'}", size=9, style="B")
            rows = []
            for r in block[block["actions"] > 0].itertuples():
                shown = r.details[:ACTIONS_PER_COMMITMENT]
                more = len(r.details) - len(shown)
                body = "\n".join(f"• {a}" for a in shown) + (
                    f"\n{plural(more, 'autre action', 'autres actions')} dans le tableur (XLSX)"
                    if more else "")
                num = f"{r.numero}. " if r.numero else ""
                rows.append([f"{num}{r.engagement} ({r.reference})", fr_number(r.actions), body])
            if rows:
                _table(pdf, ["Engagement", "Actions", "Actions en cours"], rows, (82, 14, 84),
                       ("LEFT", "RIGHT", "LEFT"), size=7.5)
            without = block[block["actions"] == 0]
            if len(without):
                refs = ", ".join(f"n° {r.numero}" if r.numero else r.reference
                                 for r in without.itertuples())
                _para(pdf, f"Sans action : {refs} (textes parmi les angles morts).", size=8,
                      style="I")
        pdf.ln(1)


def _funding(pdf: FPDF, data: CopilData) -> None:
    _h1(pdf, "Financements des actions et postes de l'État")
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 6, "Financements des actions, par financeur", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    df = data.funding
    if df.empty:
        _para(pdf, f"Aucun financement d'action n'est saisi {data.for_period}.")
    else:
        rows = [[r.label, fr_number(r.lines), fr_euros(r.requested, empty=NOT_GIVEN),
                 fr_euros(r.approved)] for r in df.itertuples()]
        rows.append(["Total des actions", fr_number(data.figures["funding_lines"]),
                     fr_euros(data.figures["amount_requested"], empty=NOT_GIVEN),
                     fr_euros(data.figures["amount_approved"])])
        _table(pdf, ["Financeur", "Lignes", "Montant demandé", "Montant accordé"], rows,
               (90, 20, 35, 35), ("LEFT", "RIGHT", "RIGHT", "RIGHT"), size=8.5)
        _para(pdf, comparison_words(data.figures), size=8, style="I")
    pdf.ln(2)
    _posts(pdf, data)


def _posts(pdf: FPDF, data: CopilData) -> None:
    """The State posts per contrat de ville (adultes-relais, FONJEP)."""
    if pdf.get_y() + 14 + 7 * (len(data.posts) + 2) > pdf.page_break_trigger:
        pdf.add_page()                  # the heading stays with its (short) table
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(0, 6, "Postes financés par l'État (adultes-relais, FONJEP), par contrat de "
                   "ville", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    posts = data.posts
    if not data.figures["posts_count"]:
        _para(pdf, f"Aucun poste adulte-relais ou FONJEP n'est enregistré {data.for_period} "
                   "pour ces contrats de ville.")
    else:
        rows = [[f"{contrat_title(r.name, r.code)} ({r.communes})" if r.communes
                 else contrat_title(r.name, r.code),
                 f"{fr_number(r.adultes_relais_posts)} – {fr_euros(r.adultes_relais)}",
                 f"{fr_number(r.fonjep_posts)} – {fr_euros(r.fonjep)}", fr_euros(r.total)]
                for r in posts.itertuples()]
        rows.append(["Total des postes de l'État", "", "", fr_euros(data.figures["posts_amount"])])
        _table(pdf, ["Contrat de ville", "Adultes-relais", "FONJEP", "Total"], rows,
               (72, 40, 34, 34), ("LEFT", "RIGHT", "RIGHT", "RIGHT"), size=8)
    _para(pdf, "Source des postes : ANCT. Ils sont attribués aux contrats de ville, pas aux "
               "actions : ce montant ne s'ajoute pas aux financements des actions.", size=8,
          style="I")


def _decisions(pdf: FPDF, data: CopilData) -> None:
    _h1(pdf, "Ce que le COPIL peut décider")
    for point in decision_points(data):
        _para(pdf, f"• {point}", size=9.5)
        pdf.ln(1)


def decision_points(data: CopilData) -> list[str]:
    """The questions the figures put to the committee, in plain words (no advice beyond
    them)."""
    h = data.figures
    what = _what(h["basis"])
    out = []
    if not h["actions"]:
        out.append(f"Aucune action n'est saisie {data.for_period} : décider qui saisit ou "
                   "importe la programmation des actions, pour que le prochain document montre "
                   "la couverture des axes.")
    else:
        empty = [f"{r.code} – {r.title}" for r in data.axes.itertuples() if not r.actions]
        if empty:
            out.append("Axes sans aucune action : " + " ; ".join(empty)
                       + ". Décider s'ils sont une priorité de la prochaine programmation.")
    if h["angles_morts"] and h["actions"]:
        out.append(f"{plural(h['angles_morts'], what[0], what[1])} sans action "
                   f"{data.for_period} : choisir ceux à traiter en priorité (liste en section "
                   "« Angles morts »).")
    if not h["funding_lines"]:
        out.append("Aucun financement d'action n'est saisi : décider de demander aux "
                   "financeurs les montants demandés et accordés, pour suivre l'effort par axe.")
    if h["posts_count"]:
        out.append(f"Les postes adultes-relais et FONJEP de l'État ({fr_euros(h['posts_amount'])})"
                   " sont rattachés aux contrats de ville, pas aux axes : le COPIL peut "
                   "demander quels axes ils servent.")
    return out


def _evaluation(pdf: FPDF, data: CopilData) -> None:
    """copil.evaluation draws its own heading (not numbered), on this page or the next."""
    if data.evaluation is None:
        return
    start = pdf.page_no() + 1 if pdf.get_y() > 150 else pdf.page_no()   # its own rule
    if getattr(pdf, "contents", None) is not None:
        pdf.contents.append(("Évaluation", start))
    render_evaluation_section(pdf, data.evaluation)


def _sources(pdf: FPDF, data: CopilData) -> None:
    _h1(pdf, "Sources et date")
    _para(pdf, f"Document produit le {fr_date(data.generated)} à partir de la base du tableau "
               "de bord PERR.", size=9)
    _para(pdf, data.year_rule, size=8)
    for s in data.sources:
        _para(pdf, f"• {s}", size=7.5)
    if data.synthetic:
        _para(pdf, "Les actions marquées [démonstration] sont synthétiques.", size=8.5, style="B")


# --- maps -------------------------------------------------------------------------------------

def classes_for(maximum: int) -> list[tuple[int, int, str, str]]:
    """(low, high, grey, hatch) classes from 0 to `maximum`: "none" is white and hatched, then
    up to four greys of clearly different lightness (readable in black and white)."""
    out = [(0, 0, "1.0", "///")]
    if maximum <= 0:
        return out
    greys = ("0.85", "0.65", "0.45", "0.25")
    steps = min(4, maximum)
    low = 1
    for i in range(steps):
        high = maximum if i == steps - 1 else max(low, round(maximum * (i + 1) / steps))
        out.append((low, high, greys[i], ""))
        low = high + 1
        if low > maximum:
            break
    return out


def _shade(n: int, classes) -> tuple[str, str]:
    for low, high, grey, hatch in classes:
        if low <= n <= high:
            return grey, hatch
    return classes[-1][2], classes[-1][3]


def _frame(ax, com, ky: float, ratio: float = 1.45, widen: float = 1.3) -> None:
    """Limits around the communes, widened to a landscape frame so the map fills the page."""
    if com.empty:
        return
    if com["geometry"].notna().any():
        ax.autoscale_view()
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
    else:
        x0, x1 = float(com["lon"].min()), float(com["lon"].max())
        y0, y1 = float(com["lat"].min()), float(com["lat"].max())
    w = max(x1 - x0, 0.02)
    h = max(y1 - y0, 0.02)
    w, h = w * widen, h * 1.25                  # room for circles and labels
    if w < ratio * h * ky:
        w = ratio * h * ky
    else:
        h = w / (ratio * ky)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - h * 0.03
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)


def _class_label(low: int, high: int) -> str:
    if high == 0:
        return "aucune"
    return str(low) if low == high else f"{fr_number(low)} à {fr_number(high)}"


_MAPS: OrderedDict = OrderedDict()   # drawn maps by what they show (see map_png)
MAPS_KEPT = 64
_MAPS_LOCK = threading.Lock()


def map_png(data: CopilData, title: str, counts: dict[str, int]) -> io.BytesIO:
    """A greyscale-safe map of actions per commune for one axis, as PNG bytes; drawn once
    for the same communes, figures and title (the same data version gives the same map: the
    next document, and the XLSX-only or PDF-only rebuild, reuse it; new data, a new key)."""
    com = data.communes
    key = (title, tuple(sorted(counts.items())),
           tuple(zip(com["name"], com["lon"], com["lat"], com["selected"],
                     map(hash, com["geometry"]))))
    with _MAPS_LOCK:                 # the app's sessions run in threads
        png = _MAPS.get(key)
        if png is not None:
            _MAPS.move_to_end(key)
    if png is None:
        png = _draw_map(data, title, counts).getvalue()
        with _MAPS_LOCK:
            _MAPS[key] = png
            while len(_MAPS) > MAPS_KEPT:
                _MAPS.popitem(last=False)
    return io.BytesIO(png)


def _draw_map(data: CopilData, title: str, counts: dict[str, int]) -> io.BytesIO:
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Polygon

    com = data.communes.dropna(subset=["lon", "lat"])
    fig, ax = plt.subplots(figsize=(8, 4.6), dpi=120)
    mean_lat = float(com["lat"].mean()) if len(com) else 48.0
    ky = 1 / max(0.2, math.cos(math.radians(mean_lat)))   # degrees of latitude are longer
    ax.set_aspect(ky, adjustable="box")
    with_geom = bool(com["geometry"].notna().any())
    biggest = max([0, *counts.values()])
    classes = classes_for(biggest)
    n_of = com["name"].map(lambda name: int(counts.get(name, 0))).astype(int)
    # circle sizes (points) shrink with the number of communes, so that they stay apart
    base, span = (10.0, 34.0) if len(com) <= 20 else (max(3.0, 45 / len(com) ** 0.5),
                                                       max(6.0, 150 / len(com) ** 0.5))
    n_labels = MAX_LABELS if len(com) <= 40 else 8    # dense maps: fewer, readable labels
    labelled = set(n_of.sort_values(ascending=False).index[:n_labels]) \
        if len(com) > n_labels else set(com.index)
    if not with_geom:      # one scatter per class: fast with hundreds of communes
        diameter = (base + span * (n_of / biggest) ** 0.5) if biggest else n_of * 0 + base
        for low, high, grey, hatch in classes:
            part = com[(n_of >= low) & (n_of <= high)]
            if len(part):
                ax.scatter(part["lon"], part["lat"], s=diameter[part.index] ** 2, c=grey,
                           edgecolors=["black" if v else "0.55" for v in part["selected"]],
                           hatch=hatch, linewidths=0.8, zorder=2)
    for idx, r in zip(com.index, com.itertuples()):
        grey, hatch = _shade(int(n_of[idx]), classes)
        if with_geom and r.geometry:
            edge, width = ("black", 1.0) if r.selected else ("0.55", 0.6)
            for ring in _rings(r.geometry):
                ax.add_patch(Polygon(ring, closed=True, facecolor=grey, edgecolor=edge,
                                     hatch=hatch, linewidth=width))
    _frame(ax, com, ky, widen=2.2)      # room for the label columns on both sides
    _label_columns(ax, com[com.index.isin(labelled)], n_of)
    if len(com) > n_labels:
        fig.text(0.01, 0.045, f"Étiquettes : les {n_labels} communes ayant le plus d'actions "
                 f"(sur {len(com)}).", fontsize=7, style="italic")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(_wrap(title, 80), fontsize=9.5)
    legend = [Patch(facecolor=g, edgecolor="black", hatch=h, label=_class_label(lo, hi))
              for lo, hi, g, h in classes]
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7,
              title="Actions de l'axe", title_fontsize=7.5, frameon=False)
    if not with_geom:
        fig.text(0.01, 0.01, _wrap(NO_PERIMETER, 130), fontsize=7, style="italic")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    buf.seek(0)
    return buf


LABEL_STEP = 0.075     # axes fraction between two labels of a column (two lines at 6.5 pt)


def _label_columns(ax, com, n_of) -> None:  # noqa: ANN001
    """Each commune's name and figure in a column at the left or right edge of the map (the
    side it lies on), a thin line to its centre; a column's labels are spread apart, in the
    order of their latitudes, so that no two overlap whatever the communes' shapes."""
    if com.empty:
        return
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    middle = float(com["lon"].median())
    for side, part in (("left", com[com["lon"] < middle]), ("right", com[com["lon"] >= middle])):
        if part.empty:
            continue
        part = part.sort_values("lat", ascending=False)
        wanted = [(float(lat) - y0) / (y1 - y0) for lat in part["lat"]]
        ys = _spread(wanted, LABEL_STEP, 0.06, 0.97)
        for (idx, r), y in zip(part.iterrows(), ys):
            n = int(n_of[idx])
            ax.annotate(f"{r['name']}\n{fr_number(n)} action{'s' if n > 1 else ''}",
                        (r["lon"], r["lat"]), xycoords="data",
                        xytext=(0.01 if side == "left" else 0.99, y), textcoords="axes fraction",
                        ha=side, va="center", fontsize=6.5, zorder=4,
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="0.6", lw=0.4),
                        arrowprops=dict(arrowstyle="-", color="0.25", lw=0.5,
                                        shrinkA=0, shrinkB=1))
            ax.plot([r["lon"]], [r["lat"]], marker="o", ms=1.8, color="black", zorder=3)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def _spread(wanted: list[float], step: float, low: float, high: float) -> list[float]:
    """Positions as near `wanted` (descending) as can be, at least `step` apart, in
    [low, high]: pushed down from the top, then up from the bottom."""
    ys = []
    for w in wanted:
        y = min(high, w)
        if ys:
            y = min(y, ys[-1] - step)
        ys.append(y)
    if ys and ys[-1] < low:
        ys[-1] = low
        for i in range(len(ys) - 2, -1, -1):
            ys[i] = max(ys[i], ys[i + 1] + step)
    return ys


def _rings(geometry: str) -> list[list[tuple[float, float]]]:
    geo = json.loads(geometry)
    polys = [geo["coordinates"]] if geo.get("type") == "Polygon" else (
        geo.get("coordinates", []) if geo.get("type") == "MultiPolygon" else [])
    return [[tuple(p[:2]) for p in poly[0]] for poly in polys if poly]


def _wrap(text: str, width: int) -> str:
    import textwrap
    return "\n".join(textwrap.wrap(text, width))
