"""Places and provenance: territories, communes, quartiers (the quartier profile), datasets."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from ..contrats import period_label
from ..schema import (
    Action, Axis, Commune, ContratDeVille, Dataset, FundingLine, Qpv, Territory, qpv_commune,
)
from ..vocabulary import axis_label, fr_date, status_label, plain
from . import money
from .coverage import metric_by_place
from .definitions import axis_served, counted, funding_year_clause
from .registry import stored_figure
from .scope import Scope


@stored_figure("once")
def territories(session: Session) -> pd.DataFrame:
    rows = session.execute(select(Territory.id, Territory.slug, Territory.name,
                                  Territory.is_synthetic).order_by(Territory.name)).all()
    return pd.DataFrame(rows, columns=["id", "slug", "name", "is_synthetic"])


@stored_figure("territory")
def action_years(session: Session, territory_id: int | None = None) -> list[int]:
    """The years a person can choose (newest first): every year some action runs (from its
    first to its last year, not only the years actions start) and every year of a funding line
    or of a State post, so that a year with posts but no new action (2022) can be reviewed."""
    spans = select(Action.year_start, func.coalesce(Action.year_end, Action.year_start)).where(
        Action.year_start.is_not(None), Action.archived.is_(False)).distinct()
    lines = (select(FundingLine.year).where(FundingLine.year.is_not(None))
             .outerjoin(Action, Action.id == FundingLine.action_id)
             .outerjoin(ContratDeVille, ContratDeVille.id == FundingLine.contrat_de_ville_id)
             .distinct())
    if territory_id is not None:
        spans = spans.where(Action.territory_id == territory_id)
        lines = lines.where(func.coalesce(Action.territory_id, ContratDeVille.territory_id)
                            == territory_id)
    years = {y for start, end in session.execute(spans).all()
             for y in range(int(start), int(max(start, end)) + 1)}
    years.update(int(y) for y in session.scalars(lines).all())
    return sorted(years, reverse=True)


@stored_figure("territory")
def territory_summary(session: Session, territory_id: int) -> dict:
    """Communes, contrats de ville and protocol date of a territory, as a one-line caption."""
    t = session.get(Territory, territory_id)
    communes = session.scalars(select(Commune.name).where(Commune.territory_id == territory_id)
                               .order_by(Commune.name)).all()
    by_generation: dict[int, list[str]] = {}
    for code, generation in session.execute(select(
            ContratDeVille.code, ContratDeVille.generation).where(
            ContratDeVille.territory_id == territory_id).order_by(ContratDeVille.generation,
                                                                   ContratDeVille.code)):
        by_generation.setdefault(generation, []).append(code)
    cvs = " ; ".join(f"{', '.join(codes)} ({period_label(g)})"
                     for g, codes in by_generation.items())
    parts = [f"{len(communes)} communes", f"contrats de ville {cvs}" if cvs else ""]
    if t.signed_date:
        parts.append(f"protocole signé le {fr_date(t.signed_date)}")
    return {"caption": " · ".join(p for p in parts if p), "communes": communes,
            "axes_from_pillars": bool(t.axes_from_pillars)}


@stored_figure("scope")
def commune_frame(session: Session, scope: Scope) -> pd.DataFrame:
    """The territory's communes with the scope's counted actions reaching each: id, insee,
    name, lon, lat, geometry, actions, selected (the scope's commune, or all)."""
    df = pd.DataFrame(session.execute(
        select(Commune.id, Commune.insee_code, Commune.name, Commune.centroid_lon,
               Commune.centroid_lat, Commune.geometry)
        .where(Commune.territory_id == scope.territory_id).order_by(Commune.name)).all(),
        columns=["id", "insee", "name", "lon", "lat", "geometry"])
    by_commune, _ = metric_by_place(session, scope)
    df["actions"] = [int(by_commune.get(i, 0)) for i in df["id"]]
    df["selected"] = (df["id"] == scope.commune_id) if scope.commune_id else True
    return df


@stored_figure("territory")
def territory_qpvs(session: Session, territory_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(Qpv.id, Qpv.code, Qpv.name, Commune.name)
        .join(qpv_commune, qpv_commune.c.qpv_id == Qpv.id)
        .join(Commune, Commune.id == qpv_commune.c.commune_id)
        .where(Commune.territory_id == territory_id).order_by(Commune.name, Qpv.name)).all()
    df = pd.DataFrame(rows, columns=["id", "code", "name", "commune"])
    return df.drop_duplicates("id").reset_index(drop=True)


def qpv_profile(session: Session, scope: Scope) -> dict | None:
    """One quartier (scope.qpv_id): identity, its counted actions by axis, their action
    funding, and the State posts of its communes' contrats de ville (separate figure)."""
    q = session.get(Qpv, scope.qpv_id)
    if q is None:
        return None
    ids = session.scalars(select(Action.id).where(*counted(scope))).all()
    amount = session.scalar(
        select(func.sum(FundingLine.amount_approved)).join(Action, Action.id == FundingLine.action_id)
        .where(FundingLine.action_id.in_(ids), funding_year_clause(scope.year)))
    holders = session.scalar(select(func.count(distinct(func.lower(Action.holder_name))))
                             .where(Action.id.in_(ids)))
    ax = axis_served(scope.whole_territory(), action_ids=ids).subquery()
    by_axis = pd.DataFrame(session.execute(
        select(Axis.number, Axis.position, Axis.title, Action.reference,
               Action.title, Action.holder_name, Action.status)
        .select_from(ax).join(Axis, Axis.id == ax.c.axis_id)
        .join(Action, Action.id == ax.c.action_id)
        .order_by(Axis.position, Action.title)).all(),
        columns=["number", "position", "title", "reference", "titre", "porteur", "statut"])
    by_axis["axe"] = [axis_label(n, t, 200, p) for n, p, t in
                      zip(by_axis["number"], by_axis["position"], by_axis["title"])]
    by_axis["statut"] = by_axis["statut"].map(status_label)
    by_axis["porteur"] = by_axis["porteur"].map(plain)
    axes = [(label, by_axis[by_axis["axe"] == label].reset_index(drop=True))
            for label in dict.fromkeys(by_axis["axe"])]
    communes = session.execute(select(Commune.id, Commune.name).join(
        qpv_commune, qpv_commune.c.commune_id == Commune.id)
        .where(qpv_commune.c.qpv_id == scope.qpv_id).order_by(Commune.name)).all()
    posts = pd.concat([money.state_posts_by_contrat(
        session, Scope(scope.territory_id, scope.year, cid)) for cid, _ in communes]
        or [money.state_posts_by_contrat(session, scope).iloc[:0]]).drop_duplicates("contrat_id")
    return {"id": q.id, "code": q.code, "name": q.name, "population": q.population,
            "has_perimeter": q.geometry is not None, "is_synthetic": q.is_synthetic,
            "lon": q.centroid_lon, "lat": q.centroid_lat, "source": q.source,
            "actions": len(ids), "amount": None if amount is None else float(amount),
            "holders": int(holders or 0), "by_axis": by_axis, "axes": axes,
            "communes": [(int(i), n) for i, n in communes], "posts": posts.reset_index(drop=True),
            "posts_amount": float(posts["total"].sum()) if len(posts) else 0.0}


@stored_figure("scope")
def action_origins(session: Session, scope: Scope) -> dict[str, int]:
    """Counted actions of the scope per origin (protocole, import, saisie…), for the sources."""
    return {o: int(n) for o, n in session.execute(
        select(Action.origin, func.count()).where(*counted(scope))
        .group_by(Action.origin).order_by(Action.origin)).all()}


def qpv_points(session: Session, qpv_id: int) -> pd.DataFrame:
    """The quartier as the action-detail map expects it (id, code, name, lon, lat, perimeter)."""
    rows = session.execute(select(Qpv.id, Qpv.code, Qpv.name, Qpv.centroid_lon, Qpv.centroid_lat,
                                  Qpv.geometry.is_not(None)).where(Qpv.id == qpv_id)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name", "lon", "lat", "has_perimeter"])


@stored_figure("once")
def datasets(session: Session) -> pd.DataFrame:
    """Provenance of every loaded dataset, for the À propos page and the COPIL sources."""
    rows = session.execute(select(Dataset.title, Dataset.source, Dataset.licence,
                                  Dataset.source_date, Dataset.loaded_at, Dataset.rows,
                                  Dataset.note).order_by(Dataset.title)).all()
    return pd.DataFrame(rows, columns=["Jeu de données", "Source", "Licence", "Date des données",
                                       "Chargé le", "Lignes", "Note"])
