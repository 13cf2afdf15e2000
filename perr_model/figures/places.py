"""Places and provenance: territories, communes, quartiers (the quartier profile), datasets."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..contrats import period_label
from ..schema import (
    Action, Axis, Commitment, Commune, ContratDeVille, Dataset, FundingLine, Qpv, Territory,
    qpv_commune,
)
from ..vocabulary import axis_label, fr_date, status_label, plain
from . import money
from .coverage import metric_by_place
from .definitions import (
    BY_COMMITMENT, IN_QUARTIER, WHOLE_COMMUNE, action_amounts, axis_served, counted, qpv_served,
    reported_status,
)
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
    """The territory's quartiers, one row per (quartier, commune of the territory it covers):
    id, code, name, commune_id, commune, communes (all of them, « Aulnay-sous-Bois, Sevran »),
    so that a quartier of two communes is found under each."""
    rows = session.execute(
        select(Qpv.id, Qpv.code, Qpv.name, Commune.id, Commune.name)
        .join(qpv_commune, qpv_commune.c.qpv_id == Qpv.id)
        .join(Commune, Commune.id == qpv_commune.c.commune_id)
        .where(Commune.territory_id == territory_id).order_by(Commune.name, Qpv.name)).all()
    df = pd.DataFrame(rows, columns=["id", "code", "name", "commune_id", "commune"])
    names = df.groupby("id")["commune"].agg(lambda c: ", ".join(sorted(c)))
    return df.assign(communes=df["id"].map(names)).reset_index(drop=True)


def qpv_labels(qpvs: pd.DataFrame) -> dict[int, str]:
    """{id: « name (its communes) »} of a `territory_qpvs` frame, once per quartier, by name."""
    once = qpvs.drop_duplicates("id").sort_values(["name", "id"], kind="stable")
    return {int(i): f"{n} ({c})" for i, n, c in zip(once["id"], once["name"], once["communes"])}


ACTION_COLUMNS = ["id", "reference", "titre", "description", "porteur", "statut", "montant",
                  "chemin", "lien"]


def qpv_profile(session: Session, scope: Scope) -> dict | None:
    """One quartier (scope.qpv_id) and the counted actions serving it (`QPV_SERVED`): its own
    (named, or through an engagement attached to it: `actions`, `amount`, `axes` as (axis
    label, frame) pairs) and those covering one of its communes whole (`whole_commune`: (commune,
    frame) pairs, `commune_actions`); each frame has ACTION_COLUMNS, `lien` saying the path in
    words. `posts`: the State posts of its communes' contrats de ville, one row per contract
    (`money.state_posts_by_contrat`): a contract's money, never summed as the quartier's."""
    q = session.get(Qpv, scope.qpv_id)
    if q is None:
        return None
    actions = _served_actions(session, scope)
    own = actions[actions["chemin"].isin(IN_QUARTIER)].reset_index(drop=True)
    whole = actions[actions["chemin"] == WHOLE_COMMUNE].reset_index(drop=True)
    communes = session.execute(select(Commune.id, Commune.name).join(
        qpv_commune, qpv_commune.c.commune_id == Commune.id)
        .where(qpv_commune.c.qpv_id == scope.qpv_id).order_by(Commune.name)).all()
    posts = pd.concat([money.state_posts_by_contrat(
        session, Scope(scope.territory_id, scope.year, cid)) for cid, _ in communes]
        or [money.state_posts_by_contrat(session, scope).iloc[:0]]).drop_duplicates("contrat_id")
    amounts = own["montant"].dropna()
    return {"id": q.id, "code": q.code, "name": q.name, "population": q.population,
            "has_perimeter": q.geometry is not None, "is_synthetic": q.is_synthetic,
            "lon": q.centroid_lon, "lat": q.centroid_lat, "source": q.source,
            "actions": len(own), "amount": float(amounts.sum()) if len(amounts) else None,
            "axes": _by_axis(session, scope, own), "commune_actions": len(whole),
            "whole_commune": [(lien, part.reset_index(drop=True))
                              for lien, part in whole.groupby("lien", sort=True)],
            "communes": [(int(i), n) for i, n in communes], "posts": posts.reset_index(drop=True)}


def _served_actions(session: Session, scope: Scope) -> pd.DataFrame:
    """The counted actions serving the quartier, ACTION_COLUMNS, by title."""
    served = qpv_served([scope.qpv_id]).subquery()
    money_of = action_amounts(scope)
    rows = session.execute(
        select(Action.id, Action.reference, Action.title, Action.description,
               Action.holder_name, reported_status(), money_of.c.amount, served.c.path,
               served.c.via_id)
        .join(served, served.c.action_id == Action.id)
        .outerjoin(money_of, money_of.c.action_id == Action.id)
        .where(*counted(scope.whole_territory())).order_by(Action.title, Action.id)).all()
    df = pd.DataFrame(rows, columns=ACTION_COLUMNS[:-2] + ["chemin", "via"])
    commitments = dict(session.execute(select(Commitment.id, Commitment.text).where(
        Commitment.id.in_([int(v) for v in df.loc[df["chemin"] == BY_COMMITMENT, "via"]]))).all())
    towns = dict(session.execute(select(Commune.id, Commune.name).where(
        Commune.id.in_([int(v) for v in df.loc[df["chemin"] == WHOLE_COMMUNE, "via"]]))).all())
    df["lien"] = [served_words(path, commitments.get(via), towns.get(via))
                  for path, via in zip(df["chemin"], df["via"])]
    df["statut"] = df["statut"].map(status_label)
    df["porteur"] = df["porteur"].map(plain)
    df["description"] = df["description"].map(lambda d: plain(d, ""))
    df["montant"] = [None if m is None or m != m else float(m) for m in df["montant"]]
    return df[ACTION_COLUMNS]


def served_words(path: str, commitment: str | None, commune: str | None) -> str:
    """How an action serves the quartier, for a resident."""
    if path == BY_COMMITMENT:
        return f"par l'engagement « {plain(commitment, '')} »"
    if path == WHOLE_COMMUNE:
        return f"dans tout {commune}"
    return "nomme le quartier"


def _by_axis(session: Session, scope: Scope, own: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The quartier's own actions by axis served (an action under each of its axes), those
    serving none last."""
    pairs = session.execute(axis_served(scope.whole_territory(),
                                        action_ids=[int(i) for i in own["id"]])).all()
    axes = {a.id: axis_label(a.number, a.title, 200, a.position) for a in session.scalars(
        select(Axis).where(Axis.id.in_({axis for axis, _ in pairs})).order_by(Axis.position))}
    out = [(label, own[own["id"].isin([a for axis, a in pairs if axis == aid])]
            .reset_index(drop=True)) for aid, label in axes.items()]
    without = own[~own["id"].isin([a for _, a in pairs])].reset_index(drop=True)
    return out + ([("Sans axe renseigné", without)] if len(without) else [])


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


def address_codes(session: Session, territory_id: int) -> dict[str, dict[str, int]]:
    """What a shared address may name in a territory, by the code a person reads (perr_ui/
    addresses.py): {"commune": {INSEE code: id}, "quartier": {official QPV code: id} (every
    quartier covering one of its communes; a quartier of the protocol without an official code,
    such as Gros Saule, by its number in the base), "axe": {axis number: id}}."""
    communes = dict(session.execute(select(Commune.insee_code, Commune.id)
                                    .where(Commune.territory_id == territory_id)).all())
    quartiers = {code or str(i): i for code, i in session.execute(  # no code: its number
        select(Qpv.code, Qpv.id).distinct()
        .join(qpv_commune, qpv_commune.c.qpv_id == Qpv.id)
        .join(Commune, Commune.id == qpv_commune.c.commune_id)
        .where(Commune.territory_id == territory_id)).all()}
    axes = {str(n if n is not None else p): a for a, n, p in session.execute(
        select(Axis.id, Axis.number, Axis.position).where(Axis.territory_id == territory_id))}
    return {"commune": {str(k): int(v) for k, v in communes.items()},
            "quartier": {str(k): int(v) for k, v in quartiers.items()},
            "axe": {k: int(v) for k, v in axes.items()}}
