"""Coverage computations: which axes, objectives, communes and quartiers the actions reach.

Pure read functions (Session in, DataFrame or dict out), aggregated in SQL, shared by the
reading pages and the COPIL document so that every figure agrees. Definitions:

- an action is *live* when it is not archived; with a year Y it must also run during Y
  (`year_start <= Y <= coalesce(year_end, year_start)`); actions without a year only count
  under "toutes les années";
- an action serves an axis as defined once in `queries.axis_action_links` (direct link, via one
  of its operational objectives, or via a commune commitment mapped to the axis);
- an action reaches a commune when linked to it directly or through one of its quartiers;
- amounts are sums of `FundingLine.amount_approved` (montant accordé) of the live actions; with
  a year, only lines of that year (a line without a year takes its action's first year).
"""
from __future__ import annotations

from decimal import Decimal

import pandas as pd
from sqlalchemy import and_, distinct, func, literal, select
from sqlalchemy.orm import Session

from .queries import axis_action_links, live_conditions, year_clause  # noqa: F401
from .schema import (
    FUNDERS, Action, Axis, Commitment, Commune, ContratDeVille, ExampleAction, FundingLine,
    ObjectiveGroup, OperationalObjective, Pillar, Qpv, StrategicObjective, action_axis_served,
    action_commitment, action_commune_reached, action_objective, action_qpv, qpv_commune,
)

MEASURES = {"actions": "Nombre d'actions", "amount": "Montants accordés (€)"}


def _num(value) -> float:
    if value is None:
        return 0.0
    return float(value) if isinstance(value, (Decimal, int, float)) else float(value)


def live_actions(territory_id: int, year: int | None = None):
    """SELECT Action.id of the counted actions of a territory (see module docstring)."""
    return select(Action.id).where(*live_conditions(territory_id, year))


def live(query, action_col, territory_id: int, year: int | None = None):
    """`query` restricted to counted actions, by a join on Action (much faster than IN)."""
    return query.join(Action, Action.id == action_col).where(
        *live_conditions(territory_id, year))


def funding_year_clause(year: int | None):
    if year is None:
        return literal(True)
    return func.coalesce(FundingLine.year, Action.year_start) == year


def action_amounts(territory_id: int, year: int | None = None):
    """Subquery (action_id, amount, requested): money of each counted action."""
    q = select(FundingLine.action_id.label("action_id"),
               func.sum(FundingLine.amount_approved).label("amount"),
               func.sum(FundingLine.amount_requested).label("requested"))
    return (live(q, FundingLine.action_id, territory_id, year)
            .where(funding_year_clause(year)).group_by(FundingLine.action_id).subquery())


def action_commune_links(territory_id: int, year: int | None = None):
    """SELECT (commune_id, action_id), once per pair: direct commune links plus the communes of
    its quartiers (`queries.commune_links_definition`, kept by the database in
    `action_commune_reached`)."""
    reached = action_commune_reached
    return select(reached.c.commune_id, reached.c.action_id).where(
        *live_conditions(territory_id, year, reached))


def axis_links(territory_id: int, year: int | None = None):
    """Subquery (axis_id, action_id): `queries.axis_action_links` for counted actions."""
    return axis_action_links(territory_id, year).subquery()


# --- headline figures -------------------------------------------------------------------------

def territory_qpv_ids(territory_id: int):
    return (select(qpv_commune.c.qpv_id)
            .join(Commune, Commune.id == qpv_commune.c.commune_id)
            .where(Commune.territory_id == territory_id).distinct())


def territory_objective_ids(territory_id: int):
    return (select(OperationalObjective.id)
            .join(ObjectiveGroup, ObjectiveGroup.id == OperationalObjective.group_id)
            .join(StrategicObjective, StrategicObjective.id == ObjectiveGroup.strategic_objective_id)
            .join(Axis, Axis.id == StrategicObjective.axis_id)
            .where(Axis.territory_id == territory_id))


def headline(session: Session, territory_id: int, year: int | None = None) -> dict:
    """The figures at the top of the Couverture page and of the COPIL document.

    Keys: actions, holders, qpv_reached, qpv_total, objectives_total, objectives_covered,
    objectives_share (None without objectives), commitments_total, commitments_covered,
    amount_approved, amount_requested, by_funder (DataFrame funder, label, requested, approved).
    """
    # Counts of distinct things are written as COUNT(*) over a GROUP BY rather than
    # COUNT(DISTINCT): PostgreSQL sorts for COUNT(DISTINCT) but hashes a GROUP BY (SQLite does
    # the same work either way). Not EXISTS per quartier: without ANALYZE statistics, SQLite
    # plans that correlated subquery as a scan of the live actions per quartier (seconds).
    conds = live_conditions(territory_id, year)

    def distinct_count(column, link_action_col=None):
        q = select(column).where(column.is_not(None))
        q = (q.where(*conds) if link_action_col is None
             else live(q, link_action_col, territory_id, year))
        return session.scalar(select(func.count()).select_from(q.group_by(column).subquery()))

    n_actions = session.scalar(select(func.count(Action.id)).where(*conds))
    holders = distinct_count(func.lower(Action.holder_name))
    qpv_total = session.scalar(select(func.count()).select_from(
        territory_qpv_ids(territory_id).subquery()))
    qpv_reached = distinct_count(action_qpv.c.qpv_id, action_qpv.c.action_id)
    obj_ids = territory_objective_ids(territory_id)
    obj_total = session.scalar(select(func.count()).select_from(obj_ids.subquery()))
    obj_covered = distinct_count(action_objective.c.objective_id, action_objective.c.action_id)
    com_total = session.scalar(select(func.count(Commitment.id))
                               .where(Commitment.territory_id == territory_id))
    com_covered = distinct_count(action_commitment.c.commitment_id,
                                 action_commitment.c.action_id)
    by_funder = funding_by_funder(session, territory_id, year)
    return {
        "actions": int(n_actions or 0), "holders": int(holders or 0),
        "qpv_reached": int(qpv_reached or 0), "qpv_total": int(qpv_total or 0),
        "objectives_total": int(obj_total or 0), "objectives_covered": int(obj_covered or 0),
        "objectives_share": (obj_covered / obj_total) if obj_total else None,
        "commitments_total": int(com_total or 0), "commitments_covered": int(com_covered or 0),
        "amount_approved": float(by_funder["approved"].sum()) if len(by_funder) else 0.0,
        "amount_requested": float(by_funder["requested"].sum()) if len(by_funder) else 0.0,
        "by_funder": by_funder,
    }


def funding_by_funder(session: Session, territory_id: int, year: int | None = None
                      ) -> pd.DataFrame:
    """Amounts requested/approved per funder over the live actions (largest first)."""
    q = select(FundingLine.funder, func.sum(FundingLine.amount_requested),
               func.sum(FundingLine.amount_approved), func.count(distinct(FundingLine.action_id)))
    rows = session.execute(live(q, FundingLine.action_id, territory_id, year)
                           .where(funding_year_clause(year)).group_by(FundingLine.funder)).all()
    df = pd.DataFrame([(f, FUNDERS.get(f, f), _num(r), _num(a), int(n)) for f, r, a, n in rows],
                      columns=["funder", "label", "requested", "approved", "actions"])
    return df.sort_values("approved", ascending=False, ignore_index=True)


def state_posts(session: Session, territory_id: int, year: int | None = None) -> dict:
    """State-funded posts (adultes-relais, FONJEP) of the territory's contrats de ville."""
    q = (select(FundingLine.funder, func.count(FundingLine.id), func.sum(FundingLine.amount_approved))
         .join(ContratDeVille, ContratDeVille.id == FundingLine.contrat_de_ville_id)
         .where(ContratDeVille.territory_id == territory_id, FundingLine.action_id.is_(None)))
    if year is not None:
        q = q.where(FundingLine.year == year)
    rows = session.execute(q.group_by(FundingLine.funder)).all()
    return {f: {"label": FUNDERS.get(f, f), "posts": int(n), "amount": _num(a)}
            for f, n, a in rows}


# --- axis x commune ---------------------------------------------------------------------------

def axis_labels(session: Session, territory_id: int) -> pd.DataFrame:
    rows = session.execute(select(Axis.id, Axis.position, Axis.number, Axis.title,
                                  Axis.short_title)
                           .where(Axis.territory_id == territory_id)
                           .order_by(Axis.position)).all()
    df = pd.DataFrame(rows, columns=["axis_id", "position", "number", "title", "short_title"])
    df["label"] = [axis_label(r.number or r.position, r.short_title or r.title)
                   for r in df.itertuples()]
    return df


def axis_label(number: int, title: str, width: int = 60) -> str:
    text = title if len(title) <= width else title[: width - 1].rstrip() + "…"
    return f"Axe {number} – {text}"


def axis_commune_matrix(session: Session, territory_id: int, year: int | None = None,
                        measure: str = "actions") -> pd.DataFrame:
    """Axis × commune table (rows: axes in order, columns: communes of the territory).

    `measure` "actions": distinct live actions; "amount": their approved amounts (an action
    spanning several communes counts in each of them). A last column "Total territoire" counts
    each action once (so it is not the sum of the columns).
    """
    axes = axis_labels(session, territory_id)
    communes = session.execute(select(Commune.id, Commune.name)
                               .where(Commune.territory_id == territory_id)
                               .order_by(Commune.name)).all()
    # One statement over the derived link tables (one row per action and axis, per action and
    # commune): plain joins and counts, no union to de-duplicate.
    served, reached = action_axis_served, action_commune_reached
    places = (select(served.c.axis_id, reached.c.commune_id, served.c.action_id)
              .join(reached, reached.c.action_id == served.c.action_id)
              .where(*live_conditions(territory_id, year, served))).subquery()
    ax = axis_action_links(territory_id, year).subquery()
    if measure == "amount":
        am = action_amounts(territory_id, year)
        value = func.coalesce(func.sum(am.c.amount), 0)
        cells = (select(places.c.axis_id, places.c.commune_id, value)
                 .join(am, am.c.action_id == places.c.action_id)
                 .group_by(places.c.axis_id, places.c.commune_id))
        totals = (select(ax.c.axis_id, literal(None), value).join(am, am.c.action_id == ax.c.action_id)
                  .group_by(ax.c.axis_id))
    else:
        cells = (select(places.c.axis_id, places.c.commune_id, func.count())
                 .group_by(places.c.axis_id, places.c.commune_id))
        totals = select(ax.c.axis_id, literal(None), func.count()).group_by(ax.c.axis_id)
    names = {cid: name for cid, name in communes}
    columns = [n for _, n in communes] + ["Total territoire"]
    grid = {a: dict.fromkeys(columns, 0.0) for a in axes["axis_id"]}
    for axis_id, commune_id, v in session.execute(cells.union_all(totals)).all():
        if axis_id in grid:
            column = "Total territoire" if commune_id is None else names.get(commune_id)
            if column is not None:
                grid[axis_id][column] = _num(v)
    table = pd.DataFrame([list(grid[a].values()) for a in axes["axis_id"]],
                         index=axes["label"].tolist(), columns=columns)
    table.index.name = "Axe"
    return table.astype(int) if measure == "actions" else table


def metric_by_place(session: Session, territory_id: int, year: int | None = None,
                    axis_id: int | None = None, measure: str = "actions"
                    ) -> tuple[dict[int, float], dict[int, float]]:
    """(by commune id, by qpv id): actions (or amounts) serving `axis_id` (all axes if None)."""
    # Both link tables hold one row per (action, place) and the axis filter one row per action:
    # a plain COUNT(*) per place is the number of distinct actions.
    am = action_amounts(territory_id, year) if measure == "amount" else None
    out = []
    for key, link in ((action_commune_reached.c.commune_id, action_commune_reached),
                      (action_qpv.c.qpv_id, action_qpv)):
        value = func.coalesce(func.sum(am.c.amount), 0) if am is not None else func.count()
        q = select(key, value).select_from(link)
        if link is action_commune_reached:   # carries the action's columns itself
            q = q.where(*live_conditions(territory_id, year, link))
        else:
            q = live(q, link.c.action_id, territory_id, year)
        if axis_id is not None:
            q = q.join(action_axis_served, and_(
                action_axis_served.c.action_id == link.c.action_id,
                action_axis_served.c.axis_id == axis_id))
        if am is not None:
            q = q.join(am, am.c.action_id == link.c.action_id)
        out.append({int(k): _num(v) for k, v in session.execute(q.group_by(key)).all()})
    return out[0], out[1]


# --- angles morts and referential tree --------------------------------------------------------

def _objective_frame(session: Session, territory_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(Axis.id, Axis.position, Axis.number, Axis.title, ObjectiveGroup.id,
               ObjectiveGroup.position, ObjectiveGroup.number, ObjectiveGroup.title,
               OperationalObjective.id, OperationalObjective.position, OperationalObjective.text)
        .join(StrategicObjective, StrategicObjective.axis_id == Axis.id)
        .join(ObjectiveGroup, ObjectiveGroup.strategic_objective_id == StrategicObjective.id)
        .join(OperationalObjective, OperationalObjective.group_id == ObjectiveGroup.id)
        .where(Axis.territory_id == territory_id)
        .order_by(Axis.position, StrategicObjective.position, ObjectiveGroup.position,
                  OperationalObjective.position)).all()
    return pd.DataFrame(rows, columns=[
        "axis_id", "axis_position", "axis_number", "axis_title", "group_id", "group_position",
        "group_number", "group_title", "objective_id", "objective_position", "objective"])


def objective_action_counts(session: Session, territory_id: int, year: int | None = None
                            ) -> dict[int, int]:
    q = live(select(action_objective.c.objective_id,
                    func.count(distinct(action_objective.c.action_id))),
             action_objective.c.action_id, territory_id, year).group_by(
        action_objective.c.objective_id)
    return {int(o): int(n) for o, n in session.execute(q).all()}


def angles_morts(session: Session, territory_id: int, year: int | None = None) -> pd.DataFrame:
    """Operational objectives that no live action serves: columns axe, groupe, objectif."""
    df = _objective_frame(session, territory_id)
    counts = objective_action_counts(session, territory_id, year)
    df = df.loc[~df["objective_id"].isin([o for o, n in counts.items() if n > 0])]
    return pd.DataFrame({
        "objective_id": df["objective_id"],
        "axe": [axis_label(n or p, t, 40) for n, p, t in
                zip(df["axis_number"], df["axis_position"], df["axis_title"])],
        "groupe": [f"{n}. {t}" if n else t for n, t in zip(df["group_number"], df["group_title"])],
        "objectif": df["objective"]}).reset_index(drop=True)


def commitments_without_action(session: Session, territory_id: int, year: int | None = None
                               ) -> pd.DataFrame:
    covered = live(select(action_commitment.c.commitment_id), action_commitment.c.action_id,
                   territory_id, year)
    rows = session.execute(
        select(Commune.name, Commitment.theme, Commitment.number, Commitment.text)
        .join(Commune, Commune.id == Commitment.commune_id)
        .where(Commitment.territory_id == territory_id, Commitment.id.not_in(covered))
        .order_by(Commune.name, Commitment.theme_position, Commitment.position)).all()
    return pd.DataFrame([(c, t, "" if n is None else str(n), e) for c, t, n, e in rows],
                        columns=["commune", "theme", "numero", "engagement"])


def referential_tree(session: Session, territory_id: int, year: int | None = None) -> list[dict]:
    """Axis → group → objective, with `actions` at every node rolled up without double counts.

    An objective counts the live actions linked to it; a group the distinct actions linked to
    any of its objectives; an axis every action serving it (`axis_action_links`, so also actions
    linked to the axis directly or through a commitment). Example actions of the protocol come
    in `examples` (kind "exemple"), never counted as actions.
    """
    obj = _objective_frame(session, territory_id)
    counts = objective_action_counts(session, territory_id, year)
    group_counts = dict(session.execute(live(
        select(OperationalObjective.group_id, func.count(distinct(action_objective.c.action_id)))
        .select_from(action_objective)
        .join(OperationalObjective, OperationalObjective.id == action_objective.c.objective_id),
        action_objective.c.action_id, territory_id, year)
        .group_by(OperationalObjective.group_id)).all())
    ax = axis_links(territory_id, year)
    axis_counts = dict(session.execute(select(ax.c.axis_id, func.count(distinct(ax.c.action_id)))
                                       .group_by(ax.c.axis_id)).all())
    examples: dict[int, list[str]] = {}
    for gid, text in session.execute(
            select(ExampleAction.group_id, ExampleAction.text)
            .join(ObjectiveGroup, ObjectiveGroup.id == ExampleAction.group_id)
            .join(StrategicObjective, StrategicObjective.id == ObjectiveGroup.strategic_objective_id)
            .join(Axis, Axis.id == StrategicObjective.axis_id)
            .where(Axis.territory_id == territory_id)
            .order_by(ExampleAction.position)).all():
        examples.setdefault(gid, []).append(text)
    strategic = dict(session.execute(
        select(StrategicObjective.axis_id, StrategicObjective.text)
        .join(Axis, Axis.id == StrategicObjective.axis_id)
        .where(Axis.territory_id == territory_id)).all())
    tree = []
    for a in axis_labels(session, territory_id).itertuples():
        node = {"axis_id": int(a.axis_id), "label": axis_label(a.number or a.position, a.title, 200),
                "strategic": strategic.get(a.axis_id), "actions": int(axis_counts.get(a.axis_id, 0)),
                "groups": []}
        sub = obj[obj["axis_id"] == a.axis_id]
        for gid, g in sub.groupby("group_id", sort=False):
            first = g.iloc[0]
            node["groups"].append({
                "group_id": int(gid),
                "label": (f"{first.group_number}. " if first.group_number else "") + first.group_title,
                "actions": int(group_counts.get(gid, 0)),
                "objectives": [{"objective_id": int(o.objective_id), "label": o.objective,
                                "actions": counts.get(int(o.objective_id), 0)}
                               for o in g.itertuples()],
                "examples": [{"kind": "exemple", "label": t} for t in examples.get(gid, [])]})
        tree.append(node)
    return tree


# --- commune commitments, one quartier ----------------------------------------------------------

def commune_commitments(session: Session, territory_id: int, commune_ids: list[int],
                        year: int | None = None, group_by: str = "axis") -> pd.DataFrame:
    """Commitments of the given communes with their live actions (titles and count).

    Columns: commune_id, commune, groupe (axis or pillar label, else the protocol's theme),
    groupe_position, numero, engagement, actions (count), titres (list of action titles).
    """
    if group_by == "pillar":
        base = (select(Commitment, Pillar.name, func.coalesce(Pillar.position, 99))
                .outerjoin(Pillar, Pillar.id == Commitment.pillar_id))
        pos = func.coalesce(Pillar.position, 99)
    else:
        base = (select(Commitment, Axis.number, Axis.position, Axis.short_title, Axis.title)
                .outerjoin(Axis, Axis.id == Commitment.axis_id))
        pos = func.coalesce(Axis.position, 99)
    raw = session.execute(
        base.where(Commitment.territory_id == territory_id, Commitment.commune_id.in_(commune_ids))
        .order_by(pos, Commitment.theme_position, Commitment.position)).all()
    rows = []
    for r in raw:
        c = r[0]
        if group_by == "pillar":
            rows.append((c, r[1] or c.theme, r[2]))
        elif r[2] is not None:
            rows.append((c, axis_label(r[1] or r[2], r[3] or r[4], 80), r[2]))
        else:
            rows.append((c, c.theme, 99))
    titles: dict[int, list[str]] = {}
    if rows:
        for cid, title in session.execute(live(
                select(action_commitment.c.commitment_id, Action.title),
                action_commitment.c.action_id, territory_id, year)
                .where(action_commitment.c.commitment_id.in_([r[0].id for r in rows]))
                .order_by(Action.title)):
            titles.setdefault(cid, []).append(title)
    names = dict(session.execute(select(Commune.id, Commune.name)
                                 .where(Commune.id.in_(commune_ids))).all())
    return pd.DataFrame([
        {"commune_id": c.commune_id, "commune": names.get(c.commune_id), "axis_id": c.axis_id,
         "groupe": lab,
         "groupe_position": p, "numero": "" if c.number is None else str(c.number),
         "engagement": c.text,
         "actions": len(titles.get(c.id, [])), "titres": titles.get(c.id, [])}
        for c, lab, p in rows],
        columns=["commune_id", "commune", "axis_id", "groupe", "groupe_position", "numero",
                 "engagement", "actions", "titres"])


def communes_with_commitments(session: Session, territory_id: int) -> list[int]:
    return list(session.scalars(select(Commitment.commune_id).distinct()
                                .where(Commitment.territory_id == territory_id)))


def territory_qpvs(session: Session, territory_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(Qpv.id, Qpv.code, Qpv.name, Commune.name)
        .join(qpv_commune, qpv_commune.c.qpv_id == Qpv.id)
        .join(Commune, Commune.id == qpv_commune.c.commune_id)
        .where(Commune.territory_id == territory_id).order_by(Commune.name, Qpv.name)).all()
    df = pd.DataFrame(rows, columns=["id", "code", "name", "commune"])
    return df.drop_duplicates("id").reset_index(drop=True)


def qpv_profile(session: Session, qpv_id: int, territory_id: int, year: int | None = None
                ) -> dict | None:
    """One quartier: identity, key figures, its live actions by axis, its communes' ids."""
    q = session.get(Qpv, qpv_id)
    if q is None:
        return None
    ids = session.scalars(live(select(action_qpv.c.action_id), action_qpv.c.action_id,
                               territory_id, year).where(action_qpv.c.qpv_id == qpv_id)).all()
    amount = session.scalar(
        select(func.sum(FundingLine.amount_approved)).join(Action, Action.id == FundingLine.action_id)
        .where(FundingLine.action_id.in_(ids), funding_year_clause(year)))
    holders = session.scalar(select(func.count(distinct(func.lower(Action.holder_name))))
                             .where(Action.id.in_(ids)))
    ax = axis_action_links(territory_id, year, action_ids=ids).subquery()
    by_axis = pd.DataFrame(session.execute(
        select(func.coalesce(Axis.number, Axis.position), Axis.title, Action.reference,
               Action.title, Action.holder_name, Action.status)
        .select_from(ax).join(Axis, Axis.id == ax.c.axis_id)
        .join(Action, Action.id == ax.c.action_id)
        .order_by(Axis.position, Action.title)).all(),
        columns=["axe_numero", "axe", "reference", "titre", "porteur", "statut"])
    n_actions = len(ids)
    communes = session.execute(select(Commune.id, Commune.name).join(
        qpv_commune, qpv_commune.c.commune_id == Commune.id)
        .where(qpv_commune.c.qpv_id == qpv_id).order_by(Commune.name)).all()
    return {"id": q.id, "code": q.code, "name": q.name, "population": q.population,
            "has_perimeter": q.geometry is not None, "is_synthetic": q.is_synthetic,
            "lon": q.centroid_lon, "lat": q.centroid_lat, "source": q.source,
            "actions": int(n_actions or 0),
            "amount": None if amount is None else _num(amount), "holders": int(holders or 0),
            "by_axis": by_axis, "communes": [(int(i), n) for i, n in communes]}


def datasets(session: Session) -> pd.DataFrame:
    """Provenance of every loaded dataset, for the À propos page."""
    from .schema import Dataset
    rows = session.execute(select(Dataset.title, Dataset.source, Dataset.licence,
                                  Dataset.source_date, Dataset.loaded_at, Dataset.rows,
                                  Dataset.note).order_by(Dataset.title)).all()
    return pd.DataFrame(rows, columns=["Jeu de données", "Source", "Licence", "Date des données",
                                       "Chargé le", "Lignes", "Note"])


def qpv_points(session: Session, qpv_id: int) -> pd.DataFrame:
    """The quartier as the action-detail map expects it (id, code, name, lon, lat, perimeter)."""
    rows = session.execute(select(Qpv.id, Qpv.code, Qpv.name, Qpv.centroid_lon, Qpv.centroid_lat,
                                  Qpv.geometry.is_not(None)).where(Qpv.id == qpv_id)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name", "lon", "lat", "has_perimeter"])
