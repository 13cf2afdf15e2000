"""The action list: filters that combine, SQL sorting and paging, one action's detail, exports.

Personal fields (Action.contact_*, created_by, updated_by) are never selected here: nothing in
this module can leak them to a page or an export. The export columns are the import format of
the spreadsheet importer (docs/actions-format.md).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import pandas as pd
from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from .figures.definitions import counted, funding_year_clause, qpv_served, reported_status
from .figures.places import qpv_labels, territory_qpvs
from .figures.scope import Scope
from .schema import (
    FUNDERS, Action, Axis, Commune, FundingLine, ObjectiveGroup, OperationalObjective, Qpv,
    StrategicObjective, action_axis, action_axis_served, action_commune, action_commune_reached,
    action_objective, action_qpv,
)
from .served import references_by_action, served_lines
from .textnorm import CONTROL, fold
from .vocabulary import EMPTY, STATUS_LABELS, axis_label, objective_reference, short_date

STATUSES = STATUS_LABELS
UNREPORTED = "non_renseigne"  # the status filter's choice for « statut non renseigné »
SORTS = {"reference": Action.reference, "titre": Action.title, "porteur": Action.holder_name,
         "statut": Action.status, "annee": Action.year_start}
PERSONAL_FIELDS = ("contact_name", "contact_email", "contact_phone", "created_by", "updated_by")


@dataclass(frozen=True)
class ActionFilter:
    """Every filter of the Actions page; empty tuples/None mean "no restriction"."""
    territory_id: int
    year: int | None = None
    commune_ids: tuple[int, ...] = ()
    qpv_ids: tuple[int, ...] = ()
    axis_ids: tuple[int, ...] = ()
    objective_ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    holders: tuple[str, ...] = ()
    funders: tuple[str, ...] = ()
    text: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def matching_ids(f: ActionFilter):
    """SELECT Action.id of the live actions matching every filter at once."""
    q = select(Action.id).where(*counted(Scope(f.territory_id, f.year)))  # a counted action
    if f.commune_ids:  # linked to the commune, or to one of its quartiers
        q = q.where(Action.id.in_(  # kept by the database: see figures.definitions.COMMUNE_REACHED
            select(action_commune_reached.c.action_id)
            .where(action_commune_reached.c.commune_id.in_(f.commune_ids))))
    if f.qpv_ids:  # serving the quartier: see figures.definitions.QPV_SERVED
        served = qpv_served(f.qpv_ids).subquery()
        q = q.where(Action.id.in_(select(served.c.action_id)))
    if f.axis_ids:
        q = q.where(Action.id.in_(  # kept by the database: see figures.definitions.AXIS_SERVED
            select(action_axis_served.c.action_id)
            .where(action_axis_served.c.axis_id.in_(f.axis_ids))))
    if f.objective_ids:
        q = q.where(Action.id.in_(select(action_objective.c.action_id)
                                  .where(action_objective.c.objective_id.in_(f.objective_ids))))
    if f.statuses:  # a status is the one a person gave; « non renseigné » the others
        given = [k for k in f.statuses if k != UNREPORTED]
        q = q.where(or_(and_(Action.status.in_(given), Action.status_reported.is_(True)),
                        and_(Action.status_reported.is_(False),
                             true() if UNREPORTED in f.statuses else false())))
    if f.holders:
        q = q.where(Action.holder_name.in_(f.holders))
    if f.funders:
        q = q.where(Action.id.in_(select(FundingLine.action_id)
                                  .where(FundingLine.funder.in_(f.funders))))
    for word in search_words(f.text):
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"  # % and _ taken literally
        q = q.where(or_(_folded(Action.title).like(pattern, escape="\\"),
                        _folded(func.coalesce(Action.description, "")).like(pattern,
                                                                            escape="\\"),
                        _folded(func.coalesce(Action.holder_name, "")).like(pattern,
                                                                            escape="\\"),
                        _folded(Action.reference).like(pattern, escape="\\")))
    return q


SEARCH_MAX_CHARS = 200  # the page's field stops there too
SEARCH_MAX_WORDS = 10


def search_words(text: str | None) -> list[str]:
    """The words of a free search, bounded: at most SEARCH_MAX_CHARS characters and
    SEARCH_MAX_WORDS words (a longer text is cut, never an error). A control character (a NUL
    typed or pasted: PostgreSQL refuses it in a text) separates words: no stored text holds
    one (refused at import and in the forms), so it matches nothing on either backend."""
    return fold(CONTROL.sub(" ", (text or "")[:SEARCH_MAX_CHARS])).split()[:SEARCH_MAX_WORDS]


def _folded(column):
    """Accent-insensitive comparison for the common French accents, in SQL on both backends."""
    expr = func.lower(column)
    for a, b in (("é", "e"), ("è", "e"), ("ê", "e"), ("à", "a"), ("ç", "c"), ("ô", "o"),
                 ("î", "i"), ("û", "u"), ("â", "a"), ("É", "e"), ("’", " "), ("'", " "),
                 ("-", " ")):
        expr = func.replace(expr, a, b)
    return expr


def count(session: Session, f: ActionFilter) -> int:
    return int(session.scalar(select(func.count()).select_from(matching_ids(f).subquery())))


def page(session: Session, f: ActionFilter, sort: str = "reference", descending: bool = False,
         page_number: int = 1, page_size: int = 50) -> pd.DataFrame:
    """One page of the filtered list, sorted and cut in SQL: only those rows leave the database."""
    order = SORTS.get(sort, Action.reference)
    order = order.desc() if descending else order.asc()
    rows = session.execute(
        select(Action.id, Action.reference, Action.title, Action.holder_name, reported_status(),
               Action.year_start, Action.year_end, Action.is_synthetic)
        .where(matching_ids(f).whereclause)  # on Action itself: an index can give the order
        .order_by(order, Action.id).offset(max(0, page_number - 1) * page_size)
        .limit(page_size)).all()
    df = pd.DataFrame(rows, columns=["id", "reference", "titre", "porteur", "statut",
                                     "annee_debut", "annee_fin", "is_synthetic"])
    for col in ("annee_debut", "annee_fin"):  # nullable integers: blank, not "None"
        df[col] = pd.array(df[col].tolist(), dtype="Int64")
    amounts = dict(session.execute(  # only for the rows of this page
        select(FundingLine.action_id, func.sum(FundingLine.amount_approved))
        .join(Action, Action.id == FundingLine.action_id)
        .where(FundingLine.action_id.in_([int(i) for i in df["id"]]), funding_year_clause(f.year))
        .group_by(FundingLine.action_id)).all())
    df.insert(7, "montant_accorde", [_f(amounts.get(int(i))) for i in df["id"]])
    df["statut"] = df["statut"].map(lambda s: STATUSES.get(s, s) if isinstance(s, str) else EMPTY)
    ids = [int(i) for i in df["id"]]
    places = _names_by_action(session, ids)
    df["communes"] = [places["communes"].get(i, "") for i in ids]
    df["quartiers"] = [places["quartiers"].get(i, "") for i in ids]
    return df


def _names_by_action(session: Session, ids: list[int]) -> dict[str, dict[int, str]]:
    out: dict[str, dict[int, list[str]]] = {"communes": {}, "quartiers": {}}
    if not ids:
        return {"communes": {}, "quartiers": {}}
    for aid, name in session.execute(
            select(action_commune.c.action_id, Commune.name)
            .join(Commune, Commune.id == action_commune.c.commune_id)
            .where(action_commune.c.action_id.in_(ids)).order_by(Commune.name)):
        out["communes"].setdefault(aid, []).append(name)
    for aid, name in session.execute(
            select(action_qpv.c.action_id, Qpv.name).join(Qpv, Qpv.id == action_qpv.c.qpv_id)
            .where(action_qpv.c.action_id.in_(ids)).order_by(Qpv.name)):
        out["quartiers"].setdefault(aid, []).append(name)
    return {k: {a: ", ".join(v) for a, v in d.items()} for k, d in out.items()}


def filter_options(session: Session, territory_id: int) -> dict[str, dict]:
    """Choices of each filter for a territory: {filter: {value: label}}."""
    communes = dict(session.execute(select(Commune.id, Commune.name)
                                    .where(Commune.territory_id == territory_id)
                                    .order_by(Commune.name)).all())
    qpvs = qpv_labels(territory_qpvs(session, territory_id))  # « name (its communes) »
    axes = {a: axis_label(n, t, 200, p) for a, n, p, t in session.execute(
        select(Axis.id, Axis.number, Axis.position, func.coalesce(Axis.short_title, Axis.title))
        .where(Axis.territory_id == territory_id).order_by(Axis.position))}
    objectives = {o: f"{objective_reference(ap, gp, op)} {t[:90]}"
                  for o, ap, gp, op, t in session.execute(
        select(OperationalObjective.id, func.coalesce(Axis.number, Axis.position),
               func.coalesce(ObjectiveGroup.number, ObjectiveGroup.position),
               OperationalObjective.position, OperationalObjective.text)
        .join(ObjectiveGroup, ObjectiveGroup.id == OperationalObjective.group_id)
        .join(StrategicObjective, StrategicObjective.id == ObjectiveGroup.strategic_objective_id)
        .join(Axis, Axis.id == StrategicObjective.axis_id)
        .where(Axis.territory_id == territory_id)
        .order_by(Axis.position, ObjectiveGroup.position, OperationalObjective.position))}
    holders = session.scalars(select(Action.holder_name).distinct()
                              .where(Action.territory_id == territory_id,
                                     Action.holder_name.is_not(None))
                              .order_by(Action.holder_name).limit(2000)).all()
    funders = session.scalars(select(FundingLine.funder).distinct()
                              .join(Action, Action.id == FundingLine.action_id)
                              .where(Action.territory_id == territory_id)).all()
    return {"communes": communes, "quartiers": qpvs, "axes": axes, "objectifs": objectives,
            "statuts": {**STATUSES, UNREPORTED: "Statut non renseigné"}, "porteurs": {h: h for h in holders},
            "financeurs": {k: FUNDERS.get(k, k) for k in sorted(funders)}}


# --- one action -------------------------------------------------------------------------------

PUBLIC_ACTION_COLUMNS = [
    Action.id, Action.reference, Action.title, Action.description, Action.holder_name,
    Action.holder_siret, Action.status, Action.year_start, Action.year_end, Action.start_date,
    Action.end_date, Action.target_public, Action.beneficiaries_planned,
    Action.beneficiaries_achieved, Action.origin, Action.source, Action.is_synthetic,
    Action.territory_id]


def linkable(session: Session, territory_id: int, action_id: int) -> bool:
    """Whether an address may open this action's detail in this territory: one of its actions,
    not archived (an archived action is on no reading page)."""
    return session.scalar(select(func.count()).select_from(Action).where(
        Action.id == action_id, Action.territory_id == territory_id,
        Action.archived.is_(False))) == 1


def detail(session: Session, action_id: int) -> dict | None:
    """All non-personal fields of one action, with its places, axes, objectives, what it
    serves (`sert`: objectives and engagements with their references) and funding."""
    row = session.execute(select(*PUBLIC_ACTION_COLUMNS).where(Action.id == action_id)).first()
    if row is None:
        return None
    d = dict(row._mapping)
    d["statut"] = (STATUSES.get(d["status"], d["status"]) if session.scalar(
        select(Action.status_reported).where(Action.id == action_id)) else EMPTY)
    d["communes"] = session.scalars(select(Commune.name).join(
        action_commune, action_commune.c.commune_id == Commune.id)
        .where(action_commune.c.action_id == action_id).order_by(Commune.name)).all()
    d["quartiers"] = pd.DataFrame(session.execute(
        select(Qpv.id, Qpv.code, Qpv.name, Qpv.centroid_lon, Qpv.centroid_lat,
               Qpv.geometry.is_not(None))
        .join(action_qpv, action_qpv.c.qpv_id == Qpv.id)
        .where(action_qpv.c.action_id == action_id).order_by(Qpv.name)).all(),
        columns=["id", "code", "name", "lon", "lat", "has_perimeter"])
    d["axes"] = [axis_label(n, t, 200, p) for n, p, t in session.execute(
        select(Axis.number, Axis.position, Axis.title).where(Axis.id.in_(
            select(action_axis_served.c.axis_id).where(action_axis_served.c.action_id == action_id)
        )).order_by(Axis.position))]
    d["objectifs"] = session.scalars(select(OperationalObjective.text).join(
        action_objective, action_objective.c.objective_id == OperationalObjective.id)
        .where(action_objective.c.action_id == action_id)).all()
    d["sert"] = served_lines(session, action_id)
    d["financements"] = pd.DataFrame([
        (FUNDERS.get(f, f), y, _f(r), _f(a)) for f, y, r, a in session.execute(
            select(FundingLine.funder, FundingLine.year, FundingLine.amount_requested,
                   FundingLine.amount_approved).where(FundingLine.action_id == action_id)
            .order_by(FundingLine.year, FundingLine.funder))],
        columns=["Financeur", "Année", "Montant demandé", "Montant accordé"])
    return d


def _f(v):
    return None if v is None else float(v)


# --- export (the import format: docs/actions-format.md) ---------------------------------------

# The sheet people open: names, labels, French dates; the importer reads it back as it is
# (importers/actions_spelling.py: commune and quartier names, « En cours », « Axe 1 – … »,
# funder labels). Then the technical columns, « … (code) », that the importer reads where the
# readable cell is empty (INSEE codes, quartier codes, axis numbers, status keys).
EXPORT_COLUMNS = ["Référence", "Titre", "Description", "Porteur", "SIRET du porteur", "Communes",
                  "Quartiers", "Axes", "Objectifs", "Engagements", "Statut", "Année de début",
                  "Année de fin", "Date de début", "Date de fin", "Public cible",
                  "Bénéficiaires prévus", "Bénéficiaires réalisés"]
CODE_COLUMNS = ["Communes (code)", "Quartiers (code)", "Axes (code)", "Statut (code)"]
FUNDING_COLUMNS = ("Financeur", "Montant demandé", "Montant accordé", "Année du financement")
_SCALARS = [Action.reference, Action.title, Action.description, Action.holder_name,
            Action.holder_siret, reported_status(), Action.year_start, Action.year_end,
            Action.start_date, Action.end_date, Action.target_public,
            Action.beneficiaries_planned, Action.beneficiaries_achieved]
_SCALAR_COLUMNS = EXPORT_COLUMNS[:5] + EXPORT_COLUMNS[10:]
_WHOLE = ("Année de début", "Année de fin", "Bénéficiaires prévus", "Bénéficiaires réalisés")


def export_frame(session: Session, f: ActionFilter) -> pd.DataFrame:
    """Every filtered action, one row each: EXPORT_COLUMNS, then per funding line « Financeur
    N » (its label) / « Montant demandé N » / « Montant accordé N » / « Année du financement N »,
    then CODE_COLUMNS. Whole numbers are integers (years 2022, never 2022.0)."""
    ids = matching_ids(f).subquery()
    rows = session.execute(select(Action.id, *_SCALARS).where(Action.id.in_(select(ids.c.id)))
                           .order_by(Action.reference)).all()
    df = pd.DataFrame(rows, columns=["id"] + _SCALAR_COLUMNS)
    aids = [int(i) for i in df["id"]]
    names, codes = _joined_names(session, ids), _joined_codes(session, ids)
    for col, key in (("Communes", "communes"), ("Quartiers", "quartiers"), ("Axes", "axes")):
        df[col] = [names[key].get(i, "") for i in aids]
    df["Objectifs"] = [codes["objectifs"].get(i, "") for i in aids]
    engagements = references_by_action(session, select(ids.c.id))
    df["Engagements"] = [" ; ".join(engagements.get(i, [])) for i in aids]
    df["Statut (code)"] = df["Statut"]
    df["Statut"] = df["Statut"].map(lambda k: STATUSES.get(k, k))
    for col in ("Date de début", "Date de fin"):
        df[col] = df[col].map(short_date)
    for col in _WHOLE:
        df[col] = pd.array([None if v is None or v != v else int(v) for v in df[col]],
                           dtype="Int64")
    for col, key in (("Communes (code)", "communes"), ("Quartiers (code)", "quartiers"),
                     ("Axes (code)", "axes")):
        df[col] = [codes[key].get(i, "") for i in aids]
    out = df[EXPORT_COLUMNS].copy()
    _add_funding(session, ids, aids, out)
    for col in CODE_COLUMNS:
        out[col] = df[col].tolist()
    return out


def _add_funding(session: Session, ids, aids: list[int], out: pd.DataFrame) -> None:
    """The funding column groups, in the order of each action's lines (year, funder)."""
    lines: dict[int, list[tuple]] = {}
    for aid, funder, req, app, year in session.execute(
            select(FundingLine.action_id, FundingLine.funder, FundingLine.amount_requested,
                   FundingLine.amount_approved, FundingLine.year)
            .where(FundingLine.action_id.in_(select(ids.c.id)))
            .order_by(FundingLine.action_id, FundingLine.year, FundingLine.funder,
                      FundingLine.id)):
        lines.setdefault(aid, []).append((FUNDERS.get(funder, funder), _amount(req),
                                          _amount(app), year))
    width = max((len(v) for v in lines.values()), default=0)
    got = [lines.get(i, []) for i in aids]
    for n in range(1, width + 1):
        for k, name in enumerate(FUNDING_COLUMNS):
            cells = [g[n - 1][k] if len(g) >= n else None for g in got]
            out[f"{name} {n}"] = (pd.array(cells, dtype="Int64") if k == 3
                                  else pd.Series(cells, dtype=object, index=out.index))


def _amount(value):  # noqa: ANN001, ANN202
    """12500 (an integer when whole), 12500.5, or None."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def _export_label(text: str) -> str:
    """A name in a '|' / ';'-separated cell: without those separators."""
    return re.sub(r"\s*[|;]\s*", ", ", text)


def _joined_names(session: Session, ids) -> dict[str, dict[int, str]]:
    """' ; '-joined names of each action's communes, quartiers and axes (« Axe 1 – … »)."""
    within = select(ids.c.id)
    out: dict[str, dict[int, list[str]]] = {"communes": {}, "quartiers": {}, "axes": {}}
    for key, q in (
            ("communes", select(action_commune.c.action_id, Commune.name)
             .join(Commune, Commune.id == action_commune.c.commune_id)
             .where(action_commune.c.action_id.in_(within)).order_by(Commune.insee_code)),
            ("quartiers", select(action_qpv.c.action_id, Qpv.name)
             .join(Qpv, Qpv.id == action_qpv.c.qpv_id)
             .where(action_qpv.c.action_id.in_(within)).order_by(Qpv.name))):
        for aid, name in session.execute(q):
            out[key].setdefault(aid, []).append(_export_label(name))
    for aid, n, p, t in session.execute(
            select(action_axis.c.action_id, Axis.number, Axis.position,
                   func.coalesce(Axis.short_title, Axis.title))
            .join(Axis, Axis.id == action_axis.c.axis_id)
            .where(action_axis.c.action_id.in_(within)).order_by(Axis.position)):
        out["axes"].setdefault(aid, []).append(_export_label(axis_label(n, t, 80, p)))
    return {k: {a: " ; ".join(v) for a, v in d.items()} for k, d in out.items()}


def _joined_codes(session: Session, ids) -> dict[str, dict[int, str]]:
    """'|'-joined references of each action's places and referential items."""
    queries = {
        "communes": select(action_commune.c.action_id, Commune.insee_code)
        .join(Commune, Commune.id == action_commune.c.commune_id)
        .where(action_commune.c.action_id.in_(select(ids.c.id))).order_by(Commune.insee_code),
        "quartiers": select(action_qpv.c.action_id, func.coalesce(Qpv.code, Qpv.name))
        .join(Qpv, Qpv.id == action_qpv.c.qpv_id)
        .where(action_qpv.c.action_id.in_(select(ids.c.id))).order_by(Qpv.name),
        "axes": select(action_axis.c.action_id, func.coalesce(Axis.number, Axis.position))
        .join(Axis, Axis.id == action_axis.c.axis_id)
        .where(action_axis.c.action_id.in_(select(ids.c.id))).order_by(Axis.position),
    }
    out = {k: {} for k in ("communes", "quartiers", "axes", "objectifs")}
    for key, q in queries.items():
        for aid, value in session.execute(q):
            out[key].setdefault(aid, []).append(str(value))
    for aid, ap, gp, op in session.execute(
            select(action_objective.c.action_id, func.coalesce(Axis.number, Axis.position),
                   func.coalesce(ObjectiveGroup.number, ObjectiveGroup.position),
                   OperationalObjective.position)
            .join(OperationalObjective, OperationalObjective.id == action_objective.c.objective_id)
            .join(ObjectiveGroup, ObjectiveGroup.id == OperationalObjective.group_id)
            .join(StrategicObjective, StrategicObjective.id == ObjectiveGroup.strategic_objective_id)
            .join(Axis, Axis.id == StrategicObjective.axis_id)
            .where(action_objective.c.action_id.in_(select(ids.c.id)))
            .order_by(Axis.position, ObjectiveGroup.position, OperationalObjective.position)):
        out["objectifs"].setdefault(aid, []).append(objective_reference(ap, gp, op))
    return {k: {a: "|".join(v) for a, v in d.items()} for k, d in out.items()}


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM (Excel opens it with the accents right), ';' separator, ',' decimals;
    text cells neutralised against formulas (perr_model/exports/safe.py)."""
    from .exports.safe import csv_text
    out = df.copy()
    for col in out.columns:  # amounts with cents in an object column: a French comma too
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: str(v).replace(".", ",")
                                    if isinstance(v, float) and v == v else v)
    return csv_text(out, sep=";", decimal=",").encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame) -> bytes:
    """Text cells typed as text and neutralised against formulas (perr_model/exports/safe.py)."""
    from .exports.safe import xlsx_bytes
    return xlsx_bytes(df, "Actions")


def export_filename(territory_slug: str, fmt: str, day) -> str:  # noqa: ANN001
    """« actions-paris-est-marne-et-bois-2026-12-03.xlsx »: the territory and the day."""
    return f"actions-{territory_slug}-{day.isoformat()}.{fmt}"
