"""The COPIL document: the figures of one scope (territory, year or all years, optionally one
commune), as a PDF to hand out and an XLSX of the same tables.

No SQL and no aggregation here: `copil_data()` calls `perr_model.figures` (the same functions
as the Couverture page) and this module only names what they return; `copil.pdf.render_pdf()`
draws the PDF, `copil.xlsx.render_xlsx()` writes the tables. Public-safe by construction: the
figures never select a personal field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from ..figures import Scope, coverage, gaps, money, places, summary, trend
from ..figures.scope import frame_line, resolve_commune, resolve_territory
from ..contrats import GENERATIONS, generation_of, period_label
from ..figures.stored import read
from ..schema import Territory
from ..vocabulary import origin_label, euros, fr_date, number, period_title
from .annex import annex_data
from .evaluation import EvaluationSection, copil_evaluation

YEAR_RULE = ("Année {year} : sont comptées les actions dont la période (année de début à "
             "année de fin) comprend {year}, non archivées. Les actions sans année renseignée "
             "({undated}) ne sont pas comptées pour une année donnée ; le tableau de bord les "
             "montre sous « Toutes les années ». Financements des actions : lignes de l'année "
             "{year} des actions comptées (une ligne sans année prend la première année de son "
             "action). Postes adultes-relais et FONJEP : postes de l'année {year} financés par "
             "l'État dans les contrats de ville {scope} ; ils ne sont pas rattachés à une action "
             "et ne s'ajoutent pas aux financements des actions.")
ALL_YEARS_RULE = ("Toutes les années : sont comptées toutes les actions non archivées, y compris "
                  "celles sans année renseignée ({undated}). Financements des actions : toutes "
                  "les lignes des actions comptées. Postes adultes-relais et FONJEP : postes de "
                  "toutes les années financés par l'État dans les contrats de ville {scope} (un "
                  "poste compte une fois par année) ; ils ne s'ajoutent pas aux financements des "
                  "actions.")
ACTIONS_PER_COMMITMENT = 6
ANGLE_TITLES = {"objectives": "objectifs opérationnels sans action",
                "commitments": "engagements des communes sans action"}


@dataclass
class CopilData:
    territory: str
    territory_slug: str
    scope: Scope
    commune: str | None               # commune name when the document covers one commune
    generated: date
    protocol: str                     # title/date/period of the protocol, one line
    figures: dict                     # figures.coverage.headline
    summary: str                      # figures.summary.sentence
    axes: pd.DataFrame                # figures.coverage.axis_table
    matrix: pd.DataFrame              # figures.coverage.axis_commune_matrix (actions)
    communes: pd.DataFrame            # figures.places.commune_frame
    angles_morts: pd.DataFrame        # figures.gaps.angles_morts
    commitments: pd.DataFrame         # figures.gaps.commitments
    funding: pd.DataFrame             # figures.money.funding_by_funder
    posts: pd.DataFrame               # figures.money.state_posts_by_contrat
    sources: list[str] = field(default_factory=list)
    year_rule: str = ""
    trend: dict | None = None         # figures.trend.year_over_year (a year)
    trajectory: pd.DataFrame | None = None  # figures.trend.trajectory (all years)
    frame: str = ""                   # figures.scope.frame_line: « Cadre : PERR 2020–2023 »

    @property
    def year(self) -> int | None:
        return self.scope.year

    @property
    def synthetic(self) -> bool:
        return bool(self.figures.get("synthetic"))
    evaluation: EvaluationSection | None = None   # copil.evaluation (issue 15)
    annex: dict | None = None         # copil.annex: figures.annexes.protocol_annex (issue 24)
    contracts: list[tuple[str, list[str]]] = field(default_factory=list)  # cover: see below

    @property
    def quiet(self) -> bool:
        """Nothing to show but the protocol and the money: no action counted for the scope.
        The document is then short (no table or map of zeros)."""
        return not self.figures["actions"]

    @property
    def axis_names(self) -> dict[int, str]:
        """axis_id → "Axe 2 – full title" (never shortened: the document wraps)."""
        return {int(a): f"{c} – {t}" if t else c
                for a, c, t in zip(self.axes["axis_id"], self.axes["code"], self.axes["title"])}

    @property
    def period(self) -> str:
        return period_title(self.year)

    @property
    def for_period(self) -> str:
        return "toutes années confondues" if self.year is None else f"pour l'année {self.year}"

    @property
    def headline(self) -> list[tuple[str, str, float | int]]:
        return key_figures(self.figures)


def key_figures(h: dict) -> list[tuple[str, str, float | int]]:
    """(label, shown text, raw value) of the "Chiffres clés" table, from a headline dict."""
    all_years = h.get("all_years", False)
    # a commune's document: its contracts' posts are the contracts' money, not the commune's
    whose = ", tout le contrat de ville" if h.get("commune_scope") else ""
    rows = [
        ("Actions comptées", number(h["actions"]), h["actions"]),
        ("Actions sans année renseignée (comptées)" if all_years
         else "Actions sans année renseignée (non comptées)", number(h["undated"]), h["undated"]),
        ("Porteurs différents", number(h["holders"]), h["holders"]),
        ("Axes couverts par au moins une action",
         f"{number(h['axes_served'])} sur {number(h['axes_total'])}", h["axes_served"]),
    ]
    if h["objectives_total"]:
        rows.append(("Objectifs opérationnels couverts",
                     f"{number(h['objectives_covered'])} sur {number(h['objectives_total'])}",
                     h["objectives_covered"]))
    if h["commitments_total"]:
        rows.append(("Engagements des communes avec au moins une action",
                     f"{number(h['commitments_covered'])} sur {number(h['commitments_total'])}",
                     h["commitments_covered"]))
    rows += [
        (f"Angles morts ({ANGLE_TITLES[h['basis']]})", number(h["angles_morts"]),
         h["angles_morts"]),
        ("Communes avec au moins une action",
         f"{number(h['communes_reached'])} sur {number(h['communes_total'])}",
         h["communes_reached"]),
        ("Quartiers (QPV) avec au moins une action",
         f"{number(h['qpv_reached'])} sur {number(h['qpv_total'])}", h["qpv_reached"]),
        ("Montants accordés aux actions",
         euros(h["amount_approved"]) if h["funding_lines"] else "aucun financement saisi",
         h["amount_approved"]),
        ("Montants demandés pour les actions",
         "aucun financement saisi" if not h["funding_lines"]
         else "non renseigné" if h["amount_requested"] is None else euros(h["amount_requested"]),
         h["amount_requested"] if h["amount_requested"] is not None
         else "non renseigné" if h["funding_lines"] else 0),
        *([("Lignes de financement où demandé et accordé sont renseignés",
            f"{number(h['compared_lines'])} sur {number(h['funding_lines'])}",
            h["compared_lines"])] if h["funding_lines"] else []),
        (f"Postes adultes-relais et FONJEP de l'État{whose} (postes-années)",
         number(h["posts_count"]), h["posts_count"]),
        (f"Postes adultes-relais et FONJEP de l'État{whose} (montant)",
         euros(h["posts_amount"]) if h["posts_count"] else "aucun poste enregistré",
         h["posts_amount"]),
    ]
    return rows


def copil_data(session: Session, territory: str | int, year: int | None,
               commune: str | None = None, today: date | None = None) -> CopilData:
    """Every figure of the document for the scope, from `perr_model.figures`."""
    t = resolve_territory(session, territory)
    c = resolve_commune(session, t, commune) if commune else None
    scope = Scope(t.id, year, c.id if c else None)
    h = read(session, coverage.headline, scope)
    h["all_years"], h["commune_scope"] = year is None, c is not None
    axes = read(session, coverage.axis_table, scope)
    matrix = read(session, coverage.axis_commune_matrix, scope, "actions")
    change = read(session, trend.year_over_year, scope)
    where = f"de {c.name}" if c else "du territoire"
    return CopilData(
        territory=t.name, territory_slug=t.slug, scope=scope, commune=c.name if c else None,
        generated=today or date.today(), protocol=_protocol_line(t), figures=h,
        summary=summary.sentence(h, axes, change), axes=axes, trend=change,
        trajectory=read(session, trend.trajectory, t.id, *([c.id] if c else []))
        if year is None else None,
        matrix=matrix.drop(columns="Total territoire"),
        communes=read(session, places.commune_frame, scope),
        angles_morts=by_axis_then_number(read(session, gaps.angles_morts, scope), axes),
        commitments=read(session, gaps.commitments, scope),
        funding=read(session, money.funding_by_funder, scope),
        posts=read(session, money.state_posts_by_contrat, scope),
        sources=_sources(t, read(session, places.datasets),
                         read(session, places.action_origins, scope)),
        year_rule=(YEAR_RULE if year is not None else ALL_YEARS_RULE).format(
            year=year, undated=f"{number(h['undated'])} ici", scope=where),
        evaluation=_evaluation(session, scope), frame=frame_line(session, scope),
        annex=annex_data(session, scope),
        contracts=_contracts(read(session, money.state_posts_by_contrat, scope), year,
                             places.action_years(session, t.id)))


def _natural(reference: str) -> tuple:
    """'1.10.2' after '1.9.3', 'E-94017-1-10' after 'E-94017-1-9'."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p)
                 for p in re.split(r"[.\-]", str(reference)))


def by_axis_then_number(df: pd.DataFrame, axes: pd.DataFrame) -> pd.DataFrame:
    """The angles morts in the protocol's order: axis by axis (the axes' order; a commitment
    attached to a theme and no axis after them), then by reference number."""
    if df.empty:
        return df
    rank = {int(a): i for i, a in enumerate(axes["axis_id"])}
    key = [(rank.get(int(a), len(rank)) if a == a and a is not None else len(rank),
            "" if a == a and a is not None else str(x), _natural(r))
           for a, x, r in zip(df["axis_id"], df["axe"], df["reference"])]
    order = sorted(range(len(df)), key=key.__getitem__)
    return df.iloc[order].reset_index(drop=True)


def _contracts(posts: pd.DataFrame, year: int | None, years: list[int]
               ) -> list[tuple[str, list[str]]]:
    """The contrats de ville the document is about, generation by generation: (heading,
    ["name (code)", ...]). A year: its generation's (`contrats.generation_of`); all years: the
    generations of the years offered."""
    wanted = ({generation_of(year)} if year is not None
              else {generation_of(y) for y in years} or set(GENERATIONS))
    out = []
    for g in sorted(wanted):
        part = posts[posts["generation"] == g] if len(posts) else posts
        names = [f"{n} ({c})" if n and n != c else c for c, n in zip(part["code"], part["name"])]
        if names:
            word = "Contrat de ville" if len(names) == 1 else "Contrats de ville"
            out.append((f"{word} {period_label(g)}", names))
    return out


def _evaluation(session: Session, scope):
    """The Évaluation section (perr_model.evaluation), for the same scope."""
    return copil_evaluation(session, scope.territory_id, scope.year, scope.commune_id)


def _protocol_line(t: Territory) -> str:
    parts = [t.protocol_title or "Protocole d'engagements réciproques et renforcés (PERR)"]
    if t.signed_date:
        parts.append(f"signé le {fr_date(t.signed_date)}")
    if t.period:
        parts.append(f"période {t.period}")
    return ", ".join(parts)


def _sources(t: Territory, datasets: pd.DataFrame, origins: dict[str, int]) -> list[str]:
    # human names, never file names: the protocol by its title and date, datasets by theirs
    out = [f"Référentiel : {_protocol_line(t)}, texte relu"]
    for r in datasets.itertuples(index=False):
        out.append(" – ".join(str(p) for p in (r[0], r[1], r[3], r[2]) if p and p == p))
    if origins:
        out.append("Actions de la base : " + ", ".join(
            f"{number(n)} {origin_label(o)}" for o, n in origins.items()))
    return out
