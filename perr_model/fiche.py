"""The « fiche quartier »: one A4 page for a conseil citoyen (PDF, fpdf2).

What the Quartier page shows, on one page to print: the quartier's map (the page's picture,
perr_model.svgmap, with the quartier outlined), its key figures, its actions by axis with their
status and porteur, what changed since the year before, the engagements that concern it, the
sources and the date. Nothing is computed here: `fiche_data` calls the page's functions of
perr_model.figures with the page's Scope (`places.qpv_profile`, `gaps.qpv_commitments`) and
`trend.year_over_year` on the quartier's Scope (the actions serving the quartier,
`definitions.counted` of a quartier: its own and those of its whole commune); `render` lays
them out. Reads only: nothing is written to the database.

Always exactly one page: the action rows are one line each (a title too long is cut with « … »)
and, when they do not all fit, the page keeps the counts per axis, the first rows and says
« et N autres actions : voir le tableau de bord » (`render` tries fewer rows until the page
holds them). Characters the DejaVu fonts lack are printed □ (copil.pdf.CopilPdf).
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from fpdf.enums import XPos, YPos
from sqlalchemy.orm import Session

from . import geo, svgmap
from .copil.pdf import FONT, FONT_DIR, UNPRINTABLE, CopilPdf
from .figures import gaps, places, stored, trend
from .figures.scope import Scope
from .schema import Territory
from .vocabulary import EMPTY, euros, fr_date, human_source, number, plural

PAGE_W, MARGIN = 210.0, 12.0
MAP_W, MAP_H_MAX = 92.0, 78.0          # mm
BOTTOM = 297.0 - 14.0                  # the footer below
ROWS_FIRST = 30                        # action rows tried first; fewer until the page holds
COMMITMENTS_MAX = 8
ROW_MM = 4.2                           # one action row
NOTE_MM = 9.0                          # room kept for the □ note (copil.pdf.CopilPdf.output)


@dataclass(frozen=True)
class FicheData:
    territory: str
    year: int | None
    profile: dict
    commitments: object          # gaps.qpv_commitments frame
    change: dict | None          # trend.year_over_year of the quartier's scope
    svg: svgmap.Svg | None
    map_sentence: str
    generated: date
    background: str = ""         # the street background's credit, when one is drawn


def fiche_data(session: Session, scope: Scope, today: date | None = None) -> FicheData | None:
    """The fiche's figures for the quartier `scope.qpv_id` (the page's functions, the page's
    Scope); None for an unknown quartier."""
    profile = stored.read(session, places.qpv_profile, scope)
    if profile is None:
        return None
    commitments = stored.read(session, gaps.qpv_commitments, scope)
    change = stored.read(session, trend.year_over_year, scope)
    territory = session.get(Territory, scope.territory_id)
    deck, _ = geo.qpv_deck(session, scope.qpv_id)
    sentence = geo.qpv_text(session, scope.qpv_id)
    from . import tiles
    source = tiles.configured()
    background = (source.attribution() or "tuiles enregistrées sur le serveur") if source else ""
    return FicheData(territory.name if territory else "", scope.year, profile, commitments,
                     change, _print_svg(deck), sentence, today or date.today(), background)


def _print_svg(deck) -> svgmap.Svg | None:
    """The quartier's map as the page draws it, for print: names in the PDF's font, characters
    it lacks as □, halos as white copies."""
    data = json.loads(deck.to_json())
    cmap = _font_cmap()
    for layer in data.get("layers", []):
        if layer.get("@@type") == "TextLayer":
            for row in layer.get("data") or []:
                row["label"] = "".join(c if ord(c) in cmap else UNPRINTABLE
                                       for c in str(row.get("label") or ""))
    from . import tiles
    svg = svgmap.deck_svg(data, svgmap.SUBJECT, "", geo.LAYER_QPV_LABELS, (), True,
                          tiles.configured())
    return svg if svg.width else None


@lru_cache(maxsize=1)
def _font_cmap() -> frozenset[int]:
    pdf = _new_pdf()
    pdf.add_page()
    pdf.set_font(FONT, size=9)
    return frozenset(pdf.current_font.cmap)


def _new_pdf() -> CopilPdf:
    pdf = CopilPdf(format="A4")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font(FONT, "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
    return pdf


def fiche_pdf(session: Session, scope: Scope, today: date | None = None) -> bytes | None:
    data = fiche_data(session, scope, today)
    return None if data is None else render(data)


def filename(profile: dict, year: int | None) -> str:
    """« fiche-quartier-le-bois-l-abbe-2025.pdf »."""
    import re

    from .textnorm import fold
    slug = re.sub(r"[^a-z0-9]+", "-", fold(str(profile["name"]))).strip("-") or "quartier"
    return f"fiche-quartier-{slug}-{year if year else 'toutes-annees'}.pdf"


def render(data: FicheData) -> bytes:
    """The one page: the most action rows (up to ROWS_FIRST) with which it holds on one, the □
    note of `output` included (found by bisection: fewer rows never take more room)."""
    def attempt(rows: int) -> tuple[bool, bytes]:
        pdf = _page(data, rows)
        out = bytes(pdf.output())
        return pdf.page_no() == 1, out

    fits, out = attempt(ROWS_FIRST)
    if fits:
        return out
    low, high, best = 0, ROWS_FIRST - 1, None
    while low <= high:
        mid = (low + high) // 2
        fits, candidate = attempt(mid)
        if fits:
            best, low = candidate, mid + 1
        else:
            high = mid - 1
    return best if best is not None else attempt(0)[1]


# --- layout -------------------------------------------------------------------------------------

def _fit(pdf: CopilPdf, text: str, width: float) -> str:
    """`text` on one line of `width` mm, cut with « … » when longer."""
    text = " ".join(str(text).split())
    if pdf.get_string_width(text) <= width:
        return text
    low, high = 0, len(text)          # the longest prefix that fits with « … » (bisection)
    while low < high:
        mid = (low + high + 1) // 2
        if pdf.get_string_width(text[:mid] + "…") <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + "…"


def _period(year: int | None) -> str:
    return str(year) if year else "toutes les années"


def _page(data: FicheData, max_rows: int) -> CopilPdf:
    p = data.profile
    pdf = _new_pdf()
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=297.0 - BOTTOM)
    communes = ", ".join(n for _, n in p["communes"])
    pdf.footer_text = (f"Fiche quartier {p['name']} – {_period(data.year)} – produite le "
                       f"{fr_date(data.generated)}")
    pdf.set_title(f"Fiche quartier {p['name']} – {_period(data.year)}")
    pdf.set_author("Tableau de bord PERR")
    pdf.set_creator("Tableau de bord PERR")
    pdf.add_page()
    width = PAGE_W - 2 * MARGIN
    # the map first, at its place on the right, and white around it (a PDF reader draws what
    # an SVG has beyond its frame)
    top = MARGIN + 4.5 + 9 + 5.5 + (4.5 if p.get("is_synthetic") else 0) + 2.5  # the heading's
    map_h = 0.0
    if data.svg is not None:
        map_h = min(MAP_W * data.svg.height / data.svg.width, MAP_H_MAX)
        map_w = map_h * data.svg.width / data.svg.height
        x = PAGE_W - MARGIN - map_w
        pdf.image(io.BytesIO(data.svg.text.encode("utf-8")), x=x, y=top, w=map_w, h=map_h)
        pdf.set_fill_color(255)
        out = 60.0   # beyond the page's edges too (a reader draws the edge's pixels)
        for rect in ((-out, -out, PAGE_W + 2 * out, top + out),
                     (-out, top + map_h, PAGE_W + 2 * out, 297 - top - map_h + out),
                     (-out, top, x + out, map_h), (x + map_w, top, PAGE_W - x - map_w + out,
                                                   map_h)):
            pdf.rect(*rect, style="F")
        pdf.set_draw_color(150)
        pdf.rect(x, top, map_w, map_h)
        pdf.set_draw_color(0)
    # heading
    pdf.set_xy(MARGIN, MARGIN)
    pdf.set_font(FONT, size=8.5)
    pdf.set_text_color(90)
    pdf.cell(width, 4.5, f"Fiche quartier · conseil citoyen · {data.territory}",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.set_text_color(0)
    pdf.set_font(FONT, "B", 17)
    pdf.cell(width, 9, _fit(pdf, p["name"], width), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.set_font(FONT, size=10)
    where = f"{'Commune' if len(p['communes']) == 1 else 'Communes'} : {communes}" \
        if communes else ""
    pdf.cell(width, 5.5, _fit(pdf, " · ".join(x for x in (where, _period(data.year)) if x),
                              width), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    if p.get("is_synthetic"):
        pdf.set_font(FONT, "B", 8.5)
        pdf.cell(width, 4.5, "DÉMONSTRATION : données fictives, générées pour essai.",
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    # key figures, left of the map
    left_w = (PAGE_W - 2 * MARGIN - MAP_W - 6) if data.svg is not None else width
    pdf.set_xy(MARGIN, top)
    _figures(pdf, data, left_w)
    y = max(pdf.get_y(), top + map_h) + 3
    pdf.set_xy(MARGIN, y)
    _actions(pdf, data, width, max_rows, BOTTOM - _tail_height(pdf, data, width) - NOTE_MM)
    _commitments(pdf, data, width)
    _sources(pdf, data, width)
    return pdf


def _tail_height(pdf: CopilPdf, data: FicheData, width: float) -> float:
    """The height the engagements and the sources take (drawn on fpdf2's dummy, then undone)."""
    replaced = pdf.replaced
    with pdf.offset_rendering() as dummy:
        start = dummy.get_y()
        _commitments(dummy, data, width)
        _sources(dummy, data, width)
        height = dummy.get_y() - start
    pdf.replaced = replaced
    return height


def _heading(pdf: CopilPdf, text: str, width: float) -> None:
    pdf.ln(1.5)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(width, 6, _fit(pdf, text, width), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.set_draw_color(0)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(1)


def _line(pdf: CopilPdf, label: str, value: str, width: float, size: float = 9.5) -> None:
    """A key figure: its value in bold, what it counts under it."""
    pdf.set_font(FONT, "B", size + 1)
    pdf.multi_cell(width, size * 0.55, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.set_font(FONT, size=size - 1.5)
    pdf.multi_cell(width, size * 0.42, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.ln(1.2)


def _figures(pdf: CopilPdf, data: FicheData, width: float) -> None:
    p = data.profile
    pdf.set_font(FONT, "B", 11)
    pdf.cell(width, 6, "Chiffres clés", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    _line(pdf, "actions du quartier (qui le nomment ou portent un engagement qui lui est "
               "rattaché)", number(p["actions"]), width)
    _line(pdf, "financements accordés aux actions du quartier",
          euros(p["amount"], empty="aucun financement saisi"), width)
    _line(pdf, "actions menées dans toute la commune, qui concernent aussi le quartier",
          number(p["commune_actions"]), width)
    if p.get("population") is not None and p["population"] == p["population"]:
        _line(pdf, "habitants (source officielle)", number(p["population"]), width)
    t = data.change
    if t is not None:
        pdf.set_font(FONT, "B", 10)
        pdf.multi_cell(width, 5, f"Depuis {t['previous']}", new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
        pdf.set_font(FONT, size=8.5)
        pdf.multi_cell(width, 4.2, trend.actions_words(t) + " Y compris les actions menées "
                       "dans toute la commune.", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        money = trend.money_words(t)
        total = money[money["label"] == "Financements des actions (total)"]
        if len(total):
            r = total.iloc[0]
            pdf.multi_cell(width, 4.2, f"Financements des actions : {r['previous']} en "
                           f"{t['previous']}, {r['current']} en {t['year']} (écart : "
                           f"{r['difference']}).", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    else:
        pdf.set_font(FONT, "I", 8.5)
        pdf.multi_cell(width, 4.2, "Évolution sur un an : choisissez une année sur la page "
                       "Quartier.", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")


def _actions(pdf: CopilPdf, data: FicheData, width: float, max_rows: int,
             limit: float = BOTTOM) -> None:
    """The actions by axis: each axis and its count, then its rows while the page has room
    above `limit` (mm, what the sections below need) for them, the axes still to come and the
    closing lines."""
    p = data.profile
    _heading(pdf, "Actions du quartier, par axe", width)
    if not p["axes"]:
        pdf.set_font(FONT, size=9)
        pdf.cell(width, 5, "Aucune action enregistrée pour ce quartier.",
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    cols = (width - 78, 32, 46)   # title, status, porteur
    shown = 0
    listed = sum(len(part) for _, part in p["axes"])
    if listed and max_rows:
        pdf.set_font(FONT, "I", 7.5)
        pdf.set_text_color(90)
        pdf.set_x(MARGIN + 3)
        for text, w in (("Action", cols[0] - 3), ("Statut", cols[1]), ("Porteur", cols[2])):
            pdf.cell(w, 4, text)
        pdf.ln(4)
        pdf.set_text_color(0)
    closing = 9.0 + (9.0 if p["commune_actions"] else 0.0)
    for i, (label, part) in enumerate(p["axes"]):
        pdf.set_font(FONT, "B", 9)
        tail = f" : {plural(len(part), 'action')}"   # the count kept, the label cut if long
        pdf.cell(width, 5, _fit(pdf, label, width - pdf.get_string_width(tail) - 1) + tail,
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        pdf.set_font(FONT, size=8)
        for r in part.itertuples():
            later = 5.0 * (len(p["axes"]) - i - 1)
            if shown >= max_rows or pdf.get_y() + ROW_MM + later + closing > limit:
                max_rows = shown   # no more rows, under this axis or the next ones
                break
            porteur = r.porteur if r.porteur and r.porteur != EMPTY else "porteur non renseigné"
            pdf.set_x(MARGIN + 3)
            pdf.cell(cols[0] - 3, 4.2, _fit(pdf, r.titre, cols[0] - 4))
            pdf.cell(cols[1], 4.2, _fit(pdf, r.statut, cols[1] - 1))
            pdf.cell(cols[2], 4.2, _fit(pdf, porteur, cols[2]), new_x=XPos.LMARGIN,
                     new_y=YPos.NEXT)
            shown += 1
    if shown < listed:
        pdf.set_font(FONT, "I", 8.5)
        pdf.multi_cell(width, 4.5, f"et {plural(listed - shown, 'autre action', 'autres actions')}"
                       " : voir le tableau de bord (page Quartier). Une action qui sert "
                       "plusieurs axes est sous chacun.", new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                       align="L")
    if p["commune_actions"]:
        pdf.set_font(FONT, size=8.5)
        where = "; ".join(f"{plural(len(part), 'action')} {lien}"
                          for lien, part in p["whole_commune"])
        pdf.multi_cell(width, 4.5, f"Actions menées dans toute la commune, qui concernent "
                       f"aussi le quartier : {where} (liste sur le tableau de bord).",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")


def _commitments(pdf: CopilPdf, data: FicheData, width: float) -> None:
    c = data.commitments
    _heading(pdf, "Engagements qui concernent le quartier", width)
    pdf.set_font(FONT, size=8)
    if c is None or c.empty:
        pdf.cell(width, 4.5, "Aucun engagement du protocole n'est rattaché à ce quartier ni à "
                 "ses actions.", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        return
    for r in c.head(COMMITMENTS_MAX).itertuples():
        tail = f" ({plural(r.actions, 'action du quartier', 'actions du quartier')})"
        pdf.cell(width, 4.2, _fit(pdf, str(r.engagement), width - pdf.get_string_width(tail))
                 + tail, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    if len(c) > COMMITMENTS_MAX:
        pdf.set_font(FONT, "I", 8)
        more = plural(len(c) - COMMITMENTS_MAX, "autre engagement", "autres engagements")
        pdf.cell(width, 4.2, f"et {more}"
                 " : voir le tableau de bord.", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")


def _sources(pdf: CopilPdf, data: FicheData, width: float) -> None:
    p = data.profile
    _heading(pdf, "Sources", width)
    pdf.set_font(FONT, size=7.5)
    quartier = human_source(p.get("source"))
    lines = ([f"Périmètre et population du quartier : {quartier}."] if quartier else []) + [
        "Actions, statuts, porteurs et financements : saisis ou importés dans le tableau de "
        f"bord PERR du territoire {data.territory} ; une action compte pour l'année où elle "
        "se déroule.",
        "Engagements : protocole d'engagements renforcés et réciproques du territoire.",
        f"Carte : {data.map_sentence}" + (f" Fond de rues : {data.background}."
                                           if data.background else ""),
        f"Fiche produite le {fr_date(data.generated)} à partir du tableau de bord PERR ; les "
        "mêmes chiffres sont sur sa page Quartier."]
    for text in lines:
        pdf.multi_cell(width, 3.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
