"""The COPIL document: the figures of one territory for one year (optionally one commune),
as a PDF to hand out and an XLSX of the same tables.

`copil_data()` gathers every figure with SQL aggregates (the same definitions as the
dashboard: `queries.axis_action_links` decides whether an action serves an axis);
`report_pdf.render_pdf()` lays them out; `render_xlsx()` writes the tables. Public-safe by
construction: no personal field (contacts, authors, signatories' names) is ever selected.

What "année" means (printed in the document) is the dashboard's, from `coverage`: an action
counts for year Y when year_start <= Y <= coalesce(year_end, year_start); actions without a year
only count under "toutes les années", so the document states how many were left out. Funding
lines of counted actions count for their year (a line without a year takes its action's first
year); State posts (adultes-relais, FONJEP) of the territory's contrats de ville for their year.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from .errors import PerrError
from . import coverage
from .queries import axis_action_links
from .schema import (
    FUNDERS, Action, Axis, Commitment, Commune, ContratDeVille, Dataset, FundingLine,
    ObjectiveGroup, OperationalObjective, StrategicObjective, Territory, action_commitment,
    action_objective, action_qpv,
)

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
STATUS_LABELS = {"en_projet": "en projet", "programmee": "programmée", "en_cours": "en cours",
                 "terminee": "terminée", "abandonnee": "abandonnée"}
YEAR_RULE = ("Année {year} : sont comptées les actions dont la période (année de début à "
             "année de fin) comprend {year}, non archivées. Les actions sans année renseignée "
             "({undated}) ne sont pas comptées pour une année donnée ; le tableau de bord les "
             "montre sous « Toutes les années ». Financements : lignes de l'année {year} des "
             "actions comptées (une ligne sans année prend la première année de son action) ; "
             "postes adultes-relais et FONJEP de l'année {year} des contrats de ville "
             "{scope}.")
ALL_YEARS_RULE = ("Toutes les années : sont comptées toutes les actions non archivées, y compris "
                  "celles sans année renseignée ({undated}). Financements : toutes les lignes "
                  "des actions comptées ; postes adultes-relais et FONJEP de toutes les années "
                  "des contrats de ville {scope} (un poste compte une fois par année).")
ACTIONS_PER_COMMITMENT = 6
FUNDING_KINDS = {"actions": "Financements des actions",
                 "postes": "Postes financés par l'État (adultes-relais, FONJEP)"}


class UnknownTerritory(PerrError):
    """No territory matches the name or slug given."""


class UnknownCommune(PerrError):
    """No commune of the territory matches the INSEE code given."""


# --- French formatting ------------------------------------------------------------------------

def fr_number(value: float | int | None) -> str:
    """12 345 (narrow no-break space between thousands), '–' for nothing."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return f"{round(float(value)):,d}".replace(",", "\u202f")


def fr_euros(value: float | int | None) -> str:
    return "–" if value is None else f"{fr_number(value)}\u00a0€"


def fr_date(d: date) -> str:
    return f"{d.day if d.day > 1 else '1er'} {MONTHS[d.month - 1]} {d.year}"


# --- the figures ------------------------------------------------------------------------------

@dataclass
class CopilData:
    territory: str
    territory_slug: str
    year: int | None                  # None: every year, undated actions included
    commune: str | None               # commune name when the document covers one commune
    generated: date
    protocol: str                     # title/date/period of the protocol, one line
    headline: list[tuple[str, str, float | int]]   # (label, shown text, raw value)
    axes: pd.DataFrame                # one row per axis
    matrix: pd.DataFrame              # actions per axis (rows) x commune (columns)
    communes: pd.DataFrame            # insee, name, lon, lat, geometry, actions
    angles_morts: pd.DataFrame        # axis, group, objective
    commitments: pd.DataFrame         # commune, theme, number, text, n_actions, actions
    funding: pd.DataFrame             # funder, lines, requested, approved
    sources: list[str] = field(default_factory=list)
    year_rule: str = ""
    synthetic: bool = False

    @property
    def period(self) -> str:
        """'Année 2022' or 'Toutes les années', for titles."""
        return "Toutes les années" if self.year is None else f"Année {self.year}"

    @property
    def for_period(self) -> str:
        """'pour l'année 2022' or 'toutes années confondues', inside a sentence."""
        return "toutes années confondues" if self.year is None else f"pour l'année {self.year}"


def resolve_territory(session: Session, name_or_slug: str) -> Territory:
    from .textnorm import fold
    wanted = fold(name_or_slug)
    for t in session.scalars(select(Territory)).all():
        if wanted in (fold(t.slug), fold(t.name)):
            return t
    names = ", ".join(session.scalars(select(Territory.name).order_by(Territory.name)).all())
    raise UnknownTerritory(f"Territoire inconnu : « {name_or_slug} » (connus : {names or 'aucun'}).")


def resolve_commune(session: Session, territory: Territory, insee: str) -> Commune:
    commune = session.scalars(select(Commune).where(
        Commune.insee_code == insee.strip(), Commune.territory_id == territory.id)).one_or_none()
    if commune is None:
        raise UnknownCommune(f"Commune {insee} inconnue dans le territoire {territory.name}.")
    return commune


def action_scope(territory_id: int, year: int | None, commune_id: int | None = None):
    """SELECT action.id of the actions the document counts (the dashboard's live actions,
    restricted to one commune when asked)."""
    q = coverage.live_actions(territory_id, year)
    if commune_id is not None:
        links = coverage.action_commune_links(territory_id, year).subquery()
        q = q.where(Action.id.in_(select(links.c.action_id).where(links.c.commune_id == commune_id)))
    return q


def copil_data(session: Session, territory: str | int, year: int | None,
               commune_insee: str | None = None, today: date | None = None) -> CopilData:
    t = (session.get(Territory, territory) if isinstance(territory, int)
         else resolve_territory(session, territory))
    if t is None:
        raise UnknownTerritory(f"Territoire inconnu : {territory}.")
    commune = resolve_commune(session, t, commune_insee) if commune_insee else None
    cid = commune.id if commune else None
    scope = action_scope(t.id, year, cid).subquery()
    ids = select(scope.c.id)

    links = _links(session, t.id, year, ids)
    axes = _axes_table(session, t.id, ids, links)
    angles = _angles_morts(session, t.id, ids)
    communes = _communes(session, t.id, links, cid)
    matrix = _matrix(links, axes, communes)
    commitments = _commitments(session, t.id, ids, cid)
    funding = _funding(session, t.id, year, ids, commune)
    undated = _undated(session, t.id, cid)
    headline = _headline(session, ids, axes, angles, commitments, funding, communes, undated,
                         all_years=year is None)
    n_synthetic = session.scalar(select(func.count()).select_from(Action).where(
        Action.id.in_(ids), Action.is_synthetic.is_(True))) or 0
    return CopilData(
        territory=t.name, territory_slug=t.slug, year=year,
        commune=commune.name if commune else None, generated=today or date.today(),
        protocol=_protocol_line(t), headline=headline, axes=axes, matrix=matrix,
        communes=communes, angles_morts=angles, commitments=commitments, funding=funding,
        sources=_sources(session, t), year_rule=(YEAR_RULE if year is not None
                                                 else ALL_YEARS_RULE).format(
            year=year, undated=f"{fr_number(undated)} ici",
            scope=f"de {commune.name}" if commune else "du territoire"),
        synthetic=bool(t.is_synthetic or n_synthetic))


def _protocol_line(t: Territory) -> str:
    parts = [t.protocol_title or "Protocole d'engagements réciproques et renforcés (PERR)"]
    if t.signed_date:
        parts.append(f"signé le {fr_date(t.signed_date)}")
    if t.period:
        parts.append(f"période {t.period}")
    return ", ".join(parts)


@dataclass
class _Links:
    axis: pd.DataFrame       # axis_id, action_id (the document's actions only)
    commune: pd.DataFrame    # commune_id, action_id
    amount: pd.DataFrame     # action_id, amount (approved, lines of the year)


def _links(session: Session, territory_id: int, year: int | None, ids) -> _Links:
    """Each link set read once, with the dashboard's definitions (axis_action_links,
    coverage.action_commune_links, coverage.funding_year_clause); the document's counts are
    then derived from these few columns instead of re-running the unions per table."""
    al = axis_action_links(territory_id).subquery()
    cl = coverage.action_commune_links(territory_id).subquery()
    axis = pd.DataFrame(session.execute(
        select(al.c.axis_id, al.c.action_id).where(al.c.action_id.in_(ids))).all(),
        columns=["axis_id", "action_id"])
    commune = pd.DataFrame(session.execute(
        select(cl.c.commune_id, cl.c.action_id).where(cl.c.action_id.in_(ids))).all(),
        columns=["commune_id", "action_id"])
    amount = pd.DataFrame(session.execute(
        select(FundingLine.action_id, func.sum(FundingLine.amount_approved))
        .join(Action, Action.id == FundingLine.action_id)
        .where(FundingLine.action_id.in_(ids), coverage.funding_year_clause(year))
        .group_by(FundingLine.action_id)).all(), columns=["action_id", "amount"])
    amount["amount"] = amount["amount"].astype(float)
    return _Links(axis, commune, amount)


def _axes_table(session: Session, territory_id: int, ids, links: _Links) -> pd.DataFrame:
    obj_axis = (select(StrategicObjective.axis_id, OperationalObjective.id.label("objective_id"))
                .join(ObjectiveGroup, ObjectiveGroup.strategic_objective_id == StrategicObjective.id)
                .join(OperationalObjective, OperationalObjective.group_id == ObjectiveGroup.id)
                .subquery())
    covered_ids = select(action_objective.c.objective_id).where(action_objective.c.action_id.in_(ids))
    objectives = (select(obj_axis.c.axis_id, func.count().label("n"),
                         func.sum(case((obj_axis.c.objective_id.in_(covered_ids), 1), else_=0))
                         .label("covered"))
                  .group_by(obj_axis.c.axis_id).subquery())
    commitments = (select(Commitment.axis_id, func.count().label("n"))
                   .where(Commitment.territory_id == territory_id)
                   .group_by(Commitment.axis_id).subquery())
    q = (select(Axis.id, Axis.position, Axis.number, Axis.title, Axis.short_title,
                func.coalesce(objectives.c.n, 0), func.coalesce(objectives.c.covered, 0),
                func.coalesce(commitments.c.n, 0))
         .outerjoin(objectives, objectives.c.axis_id == Axis.id)
         .outerjoin(commitments, commitments.c.axis_id == Axis.id)
         .where(Axis.territory_id == territory_id).order_by(Axis.position))
    df = pd.DataFrame(session.execute(q).all(), columns=[
        "id", "position", "number", "title", "short_title", "objectives", "objectives_covered",
        "commitments"])
    served = links.axis.groupby("axis_id")["action_id"].nunique()
    money = (links.axis.drop_duplicates().merge(links.amount, on="action_id")
             .groupby("axis_id")["amount"].sum())
    df["actions"] = df["id"].map(served).fillna(0)
    df["amount_approved"] = df["id"].map(money).fillna(0.0).astype(float)
    for col in ("objectives", "objectives_covered", "commitments", "actions"):
        df[col] = df[col].astype(int)
    df["label"] = [f"Axe {n if pd.notna(n) else p}" for n, p in zip(df["number"], df["position"])]
    return df


def _angles_morts(session: Session, territory_id: int, ids) -> pd.DataFrame:
    covered = select(action_objective.c.objective_id).where(action_objective.c.action_id.in_(ids))
    q = (select(Axis.position, Axis.number, Axis.title, ObjectiveGroup.number, ObjectiveGroup.title,
                OperationalObjective.text)
         .join(StrategicObjective, StrategicObjective.axis_id == Axis.id)
         .join(ObjectiveGroup, ObjectiveGroup.strategic_objective_id == StrategicObjective.id)
         .join(OperationalObjective, OperationalObjective.group_id == ObjectiveGroup.id)
         .where(Axis.territory_id == territory_id, OperationalObjective.id.not_in(covered))
         .order_by(Axis.position, StrategicObjective.position, ObjectiveGroup.position,
                   OperationalObjective.position))
    return pd.DataFrame(session.execute(q).all(), columns=[
        "axis_position", "axis_number", "axis", "group_number", "group", "objective"])


def _communes(session: Session, territory_id: int, links: _Links,
              commune_id: int | None) -> pd.DataFrame:
    q = (select(Commune.id, Commune.insee_code, Commune.name, Commune.centroid_lon,
                Commune.centroid_lat, Commune.geometry)
         .where(Commune.territory_id == territory_id).order_by(Commune.name))
    df = pd.DataFrame(session.execute(q).all(), columns=[
        "id", "insee", "name", "lon", "lat", "geometry"])
    counts = links.commune.groupby("commune_id")["action_id"].nunique()
    df["actions"] = df["id"].map(counts).fillna(0).astype(int)
    df["selected"] = (df["id"] == commune_id) if commune_id else True
    return df


def _matrix(links: _Links, axes: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """Actions per axis x commune, as coverage.axis_commune_matrix counts them (an action on
    two communes counts in both columns), restricted to the document's actions."""
    pairs = links.axis.merge(links.commune, on="action_id").drop_duplicates()
    counts = pairs.groupby(["axis_id", "commune_id"])["action_id"].nunique().to_dict()
    data = {name: [int(counts.get((aid, cid), 0)) for aid in axes["id"]]
            for cid, name in zip(communes["id"], communes["name"])}
    return pd.DataFrame(data, index=list(axes["label"]), columns=list(communes["name"]),
                        dtype=int)


def _commitments(session: Session, territory_id: int, ids, commune_id: int | None) -> pd.DataFrame:
    q = (select(Commitment.id, Commune.name, Commitment.theme, Commitment.number, Commitment.text)
         .join(Commune, Commune.id == Commitment.commune_id)
         .where(Commitment.territory_id == territory_id)
         .order_by(Commune.name, Commitment.theme_position, Commitment.position))
    if commune_id is not None:
        q = q.where(Commitment.commune_id == commune_id)
    rows = session.execute(q).all()
    acts = session.execute(
        select(action_commitment.c.commitment_id, Action.title, Action.holder_name, Action.status,
               Action.is_synthetic)
        .join(Action, Action.id == action_commitment.c.action_id)
        .where(Action.id.in_(ids)).order_by(action_commitment.c.commitment_id, Action.title)).all()
    by_commitment: dict[int, list[str]] = {}
    for cid, title, holder, status, synthetic in acts:
        label = title + (f" ({holder})" if holder else "") + \
            (f" – {STATUS_LABELS.get(status, status)}" if status else "") + \
            (" [démonstration]" if synthetic else "")
        by_commitment.setdefault(cid, []).append(label)
    return pd.DataFrame([
        (commune, theme, number, text, len(by_commitment.get(cid, [])), by_commitment.get(cid, []))
        for cid, commune, theme, number, text in rows],
        columns=["commune", "theme", "number", "text", "n_actions", "actions"])


def _funding(session: Session, territory_id: int, year: int | None, ids,
             commune: Commune | None) -> pd.DataFrame:
    """Per funder: money of the counted actions, then the State posts of the contrats de ville."""
    on_actions = (select(FundingLine.funder, func.count(FundingLine.id),
                         func.sum(FundingLine.amount_requested),
                         func.sum(FundingLine.amount_approved))
                  .join(Action, Action.id == FundingLine.action_id)
                  .where(FundingLine.action_id.in_(ids), coverage.funding_year_clause(year))
                  .group_by(FundingLine.funder))
    cvs = select(ContratDeVille.id).where(ContratDeVille.territory_id == territory_id)
    if commune is not None:
        cvs = cvs.where(ContratDeVille.id == commune.contrat_de_ville_id)
    posts = (select(FundingLine.funder, func.count(FundingLine.id),
                    func.sum(FundingLine.amount_requested), func.sum(FundingLine.amount_approved))
             .where(FundingLine.action_id.is_(None), FundingLine.contrat_de_ville_id.in_(cvs),
                    *([] if year is None else [FundingLine.year == year]))
             .group_by(FundingLine.funder))
    order = {k: i for i, k in enumerate(FUNDERS)}
    rows = []
    for kind, q in (("actions", on_actions), ("postes", posts)):
        for funder, n, requested, approved in sorted(session.execute(q).all(),
                                                     key=lambda r: order.get(r[0], 99)):
            rows.append((kind, funder, FUNDERS.get(funder, funder), int(n),
                         float(requested or 0), float(approved or 0)))
    return pd.DataFrame(rows, columns=["kind", "funder", "label", "lines", "requested",
                                       "approved"])


def _undated(session: Session, territory_id: int, commune_id: int | None) -> int:
    q = select(func.count()).select_from(Action).where(
        Action.territory_id == territory_id, Action.archived.is_(False),
        Action.year_start.is_(None), Action.year_end.is_(None))
    if commune_id is not None:
        links = coverage.action_commune_links(territory_id).subquery()
        q = q.where(Action.id.in_(select(links.c.action_id).where(links.c.commune_id == commune_id)))
    return int(session.scalar(q) or 0)


def _headline(session: Session, ids, axes, angles, commitments, funding, communes, undated,
              all_years: bool = False):
    n_actions = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    holders = session.scalar(select(func.count(distinct(func.lower(Action.holder_name))))
                             .where(Action.id.in_(ids), Action.holder_name.is_not(None))) or 0
    qpv = session.scalar(select(func.count(distinct(action_qpv.c.qpv_id)))
                         .where(action_qpv.c.action_id.in_(ids))) or 0
    n_obj = int(axes["objectives"].sum())
    n_cov = int(axes["objectives_covered"].sum())
    axes_served = int((axes["actions"] > 0).sum())
    with_action = int((commitments["n_actions"] > 0).sum()) if len(commitments) else 0
    on_actions = funding[funding["kind"] == "actions"]
    posts = funding[funding["kind"] == "postes"]
    approved = float(on_actions["approved"].sum())
    communes_served = int((communes["actions"] > 0).sum())
    return [
        ("Actions comptées", fr_number(n_actions), n_actions),
        ("Actions sans année renseignée (comptées)" if all_years
         else "Actions sans année renseignée (non comptées)", fr_number(undated), undated),
        ("Porteurs différents", fr_number(holders), holders),
        ("Axes couverts par au moins une action", f"{axes_served} sur {len(axes)}", axes_served),
        ("Objectifs opérationnels couverts", f"{n_cov} sur {n_obj}", n_cov),
        ("Angles morts (objectifs sans action)", fr_number(len(angles)), len(angles)),
        ("Engagements des communes avec au moins une action",
         f"{with_action} sur {len(commitments)}", with_action),
        ("Communes avec au moins une action",
         f"{communes_served} sur {int(communes['selected'].sum())}", communes_served),
        ("Quartiers (QPV) avec au moins une action", fr_number(qpv), qpv),
        ("Montants accordés aux actions", fr_euros(approved), approved),
        ("Montants demandés pour les actions", fr_euros(float(on_actions["requested"].sum())),
         float(on_actions["requested"].sum())),
        ("Postes adultes-relais et FONJEP (nombre)", fr_number(int(posts["lines"].sum())),
         int(posts["lines"].sum())),
        ("Postes adultes-relais et FONJEP (montant)", fr_euros(float(posts["approved"].sum())),
         float(posts["approved"].sum())),
    ]


def _sources(session: Session, t: Territory) -> list[str]:
    out = []
    if t.source:
        out.append(f"Référentiel : {t.source}")
    for title, source, licence, when in session.execute(
            select(Dataset.title, Dataset.source, Dataset.licence, Dataset.source_date)
            .order_by(Dataset.key)).all():
        out.append(" – ".join(p for p in (title, source, when, licence) if p))
    origins = session.execute(
        select(Action.origin, func.count()).where(Action.territory_id == t.id,
                                                  Action.archived.is_(False))
        .group_by(Action.origin).order_by(Action.origin)).all()
    if origins:
        out.append("Actions de la base, par origine : " + ", ".join(
            f"{o} {fr_number(n)}" for o, n in origins))
    return out


# --- files ------------------------------------------------------------------------------------

def render_xlsx(data: CopilData, path: Path) -> Path:
    """The document's tables, one sheet each, numbers kept as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from .exports.safe import append_row
    wb = Workbook()
    sheets = [
        ("Chiffres clés", ["Indicateur", "Valeur"], [(lbl, raw) for lbl, _, raw in data.headline]),
        ("Couverture par axe",
         ["Axe", "Intitulé", "Objectifs opérationnels", "Objectifs couverts", "Engagements",
          "Actions", "Financements accordés (€)"],
         [(r.label, r.title, r.objectives, r.objectives_covered, r.commitments, r.actions,
           r.amount_approved) for r in data.axes.itertuples()]),
        ("Axes x communes", ["Axe"] + list(data.matrix.columns),
         [(idx, *map(int, row)) for idx, row in zip(data.matrix.index, data.matrix.values)]),
        ("Angles morts", ["Axe", "Rubrique", "Objectif opérationnel sans action"],
         [(r.axis, r.group, r.objective) for r in data.angles_morts.itertuples()]),
        ("Engagements", ["Commune", "Thème", "N°", "Engagement", "Actions", "Détail des actions"],
         [(r.commune, r.theme, r.number, r.text, r.n_actions, "\n".join(r.actions))
          for r in data.commitments.itertuples()]),
        ("Financements", ["Nature", "Financeur", "Lignes", "Montant demandé (€)",
                          "Montant accordé (€)"],
         [(FUNDING_KINDS[r.kind], r.label, r.lines, r.requested, r.approved)
          for r in data.funding.itertuples()]),
        ("Sources", ["Source"], [(s,) for s in [data.year_rule, *data.sources]]),
    ]
    wb.remove(wb.active)
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
    wb.properties.title = f"COPIL {data.territory} {data.period.lower()}"
    wb.properties.creator = "Tableau de bord PERR"
    wb.save(path)
    return path


def build_copil(session: Session, territory: str | int, year: int | None, out: Path,
                commune_insee: str | None = None) -> tuple[Path, Path]:
    """Write OUT.pdf and OUT.xlsx (same stem). Returns both paths."""
    from .report_pdf import render_pdf
    out = Path(out)
    data = copil_data(session, territory, year, commune_insee)
    pdf_path = out if out.suffix.lower() == ".pdf" else out.with_suffix(".pdf")
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    pdf_path.write_bytes(render_pdf(data))
    return pdf_path, render_xlsx(data, pdf_path.with_suffix(".xlsx"))


def copil_bytes(session: Session, territory_id: int, year: int | None,
                commune_insee: str | None = None) -> tuple[bytes, bytes, str]:
    """(pdf, xlsx, file stem) in memory, for the app's download buttons."""
    import io
    from .report_pdf import render_pdf
    from .textnorm import slugify
    data = copil_data(session, territory_id, year, commune_insee)
    buf = io.BytesIO()
    render_xlsx(data, buf)
    stem = f"copil-{data.territory_slug}-{year or 'toutes-annees'}" + (f"-{slugify(data.commune)}" if data.commune
                                                    else "")
    return render_pdf(data), buf.getvalue(), stem


def parse_year(value: str | int) -> int | None:
    """`--year 2022`, or `--year toutes` for every year (undated actions included)."""
    from .textnorm import fold
    if isinstance(value, int):
        return value
    if fold(str(value)).strip() in ("toutes", "toutes les annees", "tout"):
        return None
    try:
        return int(value)
    except ValueError:
        raise PerrError(f"Année invalide : « {value} » (une année comme 2022, ou « toutes »)."
                        ) from None


def cli_copil(args: argparse.Namespace) -> int:
    from .store import make_engine
    engine = make_engine()
    try:
        with Session(engine) as session:
            pdf, xlsx = build_copil(session, args.territory, parse_year(args.year), Path(args.out),
                                    args.commune)
    finally:
        engine.dispose()
    print(f"Document COPIL écrit : {pdf} (tableaux : {xlsx})")
    return 0


def commune_choices(session: Session, territory_id: int) -> list[tuple[str, str]]:
    """(INSEE code, name) of the territory's communes, for the optional commune selector."""
    return [(c, n) for c, n in session.execute(
        select(Commune.insee_code, Commune.name).where(Commune.territory_id == territory_id)
        .order_by(Commune.name)).all()]


def year_choices(session: Session, territory_id: int, today: date | None = None) -> list[int]:
    """Years an action of the territory runs in, plus the current year; most recent first."""
    rows = session.execute(
        select(Action.year_start, func.max(Action.year_end))
        .where(Action.territory_id == territory_id, Action.year_start.is_not(None))
        .group_by(Action.year_start)).all()
    years = {(today or date.today()).year}
    for start, end in rows:
        years.update(range(int(start), int(end or start) + 1))
    return sorted(years, reverse=True)
