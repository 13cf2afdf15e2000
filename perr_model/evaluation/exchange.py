"""Indicator values in and out: one format both ways (CSV or XLSX), see docs/evaluation.md.

Import: every row is read and checked first (node, commune, quartier, numbers in French, the
user's scope), then everything is written in the caller's transaction, or nothing when a single
row is refused; the report lists each refused row with its reason in French. Re-importing the
same file changes nothing (values are matched on indicator, type and year). A cell holding an
invisible control character refuses its row. Export: the same columns, made safe to open and
read back by perr_model/exports/safe.py (formulas made inert, the one rule of every export).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import history, limits
from ..auth import Actor, require_writer
from ..errors import ConcurrentEdit, ImportRefused, PermissionDenied
from ..exports.safe import control_refusal, csv_text, import_text, xlsx_bytes
from ..importers.tabular import formula_refusal, read_sheet
from ..schema import Commune, Indicator, IndicatorValue, Qpv, Territory
from ..textnorm import fold, same_place_name
from .model import Node, node_text, parse_node, parse_number

COLUMNS = ["territoire", "rattachement", "commune", "quartier", "indicateur", "unite", "sens",
           "agregation", "annee", "type", "valeur", "approximatif", "texte_cite", "source",
           "emplacement"]
REQUIRED = ["rattachement", "indicateur", "unite", "annee", "type", "valeur"]
KINDS = {"reference": "reference", "cible": "cible", "mesure": "mesure", "objectif": "cible",
         "valeur de reference": "reference", "base": "reference"}
DIRECTIONS = {"hausse": "hausse", "baisse": "baisse", "": None, "neutre": None,
              "contexte": None}
AGGREGATIONS = {"somme": "somme", "": None, "aucune": None, "non": None}
YES = {"oui", "o", "vrai", "x", "1", "yes", "true"}
NO = {"non", "n", "faux", "0", "", "no", "false"}


@dataclass
class ImportReport:
    """What an import did (or would do, with `dry_run`). `problems`: (line, message)."""
    rows: int = 0
    created_indicators: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what the file held and was not read
    dry_run: bool = False
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.problems:
            out = [f"Import refusé : {len(self.problems)} ligne(s) en erreur sur {self.rows}, "
                   "rien n'a été enregistré."]
            out += self.warnings + [f"ligne {n} : {msg}" for n, msg in self.problems]
            return out
        verb = "seraient" if self.dry_run else "ont été"
        out = [f"{self.rows} ligne(s) lue(s) : {self.created} valeur(s) {verb} ajoutée(s), "
               f"{self.updated} modifiée(s), {self.unchanged} inchangée(s) ; "
               f"{self.created_indicators} indicateur(s) nouveau(x)."]
        if self.dry_run:
            out.append("Vérification seule : rien n'a été enregistré.")
        if self.ignored_columns:
            out.append("Colonnes ignorées : " + ", ".join(self.ignored_columns) + ".")
        return out + self.warnings


# --- cells ------------------------------------------------------------------------------------

def _text(value) -> str:  # noqa: ANN001
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return import_text(value) if isinstance(value, str) else str(value).strip()


# --- reading files ------------------------------------------------------------------------------

def read_rows(data: bytes, name: str) -> tuple[list[dict], list[str], list[str]]:
    """Rows (dicts keyed by normalised column names), the ignored columns and the warnings
    (sheets not read) of a CSV/XLSX, read within the bounds of importers/tabular.py."""
    sheet = read_sheet(data, name)
    header = [h for h in sheet.header if h]
    records = [{h: v for h, v in zip(sheet.header, row) if h} for row in sheet.rows]
    norm = {h: fold(str(h)).replace(" ", "_") for h in header}
    missing = [c for c in REQUIRED if c not in norm.values()]
    if missing:
        raise ImportRefused("Colonnes obligatoires absentes : " + ", ".join(missing)
                            + f". Colonnes attendues : {', '.join(COLUMNS)}.")
    ignored = [h for h, n in norm.items() if n not in COLUMNS]
    rows = [{norm[k]: v for k, v in rec.items() if k in norm and norm[k] in COLUMNS}
            for rec in records]
    rows = [r for r in rows if any(_text(v) for v in r.values())]  # blank lines
    return rows, ignored, sheet.warnings


# --- checking rows ------------------------------------------------------------------------------

@dataclass
class Clean:
    territory_id: int
    node: Node
    commune_id: int | None
    qpv_id: int | None
    label: str
    unit: str
    direction: str | None
    aggregation: str | None
    year: int | None
    kind: str
    value: float
    approximate: bool
    quoted: str | None
    source: str | None
    place: str | None

    def indicator_key(self) -> tuple:
        return (self.territory_id, self.node.kind, self.node.axis_id,
                self.node.strategic_objective_id, self.node.objective_id,
                self.node.commitment_id, self.commune_id, self.qpv_id, fold(self.label))


def _territory(session: Session, text: str, default: Territory | None) -> Territory:
    if not text:
        if default is None:
            raise ValueError("territoire manquant")
        return default
    key = fold(text)
    for t in session.scalars(select(Territory)).all():
        if key in (fold(t.slug), fold(t.name)):
            return t
    raise ValueError(f"territoire inconnu : « {text} »")


def _commune(session: Session, territory: Territory, text: str) -> Commune | None:
    if not text:
        return None
    key = fold(text)
    for c in session.scalars(select(Commune).where(Commune.territory_id == territory.id)).all():
        if key in (c.insee_code.lower(), fold(c.name)):
            return c
    raise ValueError(f"commune inconnue dans ce territoire : « {text} »")


def _qpv(session: Session, territory: Territory, commune: Commune | None, text: str) -> Qpv | None:
    if not text:
        return None
    communes = [commune] if commune else session.scalars(
        select(Commune).where(Commune.territory_id == territory.id)).all()
    found = []
    for c in communes:
        for q in c.qpvs:
            names = [q.name] + (q.aliases.split("|") if q.aliases else [])
            if (q.code and q.code.lower() == text.strip().lower()) or any(
                    same_place_name(text, n) for n in names):
                if q not in found:
                    found.append(q)
    if len(found) != 1:
        where = f" de {commune.name}" if commune else ""
        raise ValueError(f"quartier inconnu{where} : « {text} »" if not found
                         else f"quartier ambigu : « {text} » (précisez la commune)")
    return found[0]


def check_row(session: Session, actor: Actor, row: dict,
              default_territory: Territory | None = None) -> Clean:
    """One row → Clean, or ValueError/PermissionDenied with every reason in French."""
    get = {k: _text(row.get(k)) for k in COLUMNS}
    problems: list[str] = []
    for col, what in (("rattachement", "le rattachement (par exemple « axe 2 »)"),
                      ("indicateur", "le nom de l'indicateur"), ("unite", "l'unité"),
                      ("type", "le type (référence, cible ou mesure)"), ("valeur", "la valeur")):
        if not get[col]:
            problems.append(f"il manque {what}")
    territory = None
    try:
        territory = _territory(session, get["territoire"], default_territory)
    except ValueError as exc:
        problems.append(str(exc))
    node = commune = qpv = None
    if territory is not None:
        try:
            node = parse_node(session, territory.id, get["rattachement"] or "?")
        except ValueError as exc:
            if get["rattachement"]:
                problems.append(str(exc))
        try:
            commune = _commune(session, territory, get["commune"])
            qpv = _qpv(session, territory, commune, get["quartier"])
        except ValueError as exc:
            problems.append(str(exc))
    if node is not None and node.commune_id is not None:
        if commune is not None and commune.id != node.commune_id:
            problems.append("la commune ne correspond pas à celle de l'engagement")
        elif commune is None:
            commune = session.get(Commune, node.commune_id)
    if qpv is not None and commune is None:
        commune = qpv.communes[0] if len(qpv.communes) == 1 else None
    kind = KINDS.get(fold(get["type"]))
    if get["type"] and kind is None:
        problems.append(f"type « {get['type']} » inconnu (reference, cible ou mesure)")
    year = None
    if get["annee"]:
        try:
            y = parse_number(get["annee"])
            if y is None or not float(y).is_integer() or not 1900 <= y <= 2100:
                raise ValueError
            year = int(y)
        except ValueError:
            problems.append(f"année « {get['annee']} » invalide (quatre chiffres, ex. 2014)")
    elif kind in ("reference", "cible"):
        problems.append("une référence ou une cible doit avoir une année")
    value = None
    try:
        value = parse_number(get["valeur"])
    except ValueError as exc:
        problems.append(str(exc))
    direction = DIRECTIONS.get(fold(get["sens"]), "?")
    if direction == "?":
        problems.append(f"sens « {get['sens']} » inconnu (hausse, baisse, ou vide)")
    aggregation = AGGREGATIONS.get(fold(get["agregation"]), "?")
    if aggregation == "?":
        problems.append(f"agrégation « {get['agregation']} » inconnue (somme, ou vide)")
    elif aggregation == "somme" and get["unite"].strip() in ("%", "points", "point"):
        problems.append("un taux ou un écart en points ne s'additionne pas (agrégation : vide)")
    problems += _too_long(get)
    approx = fold(get["approximatif"])
    if approx not in YES | NO:
        problems.append(f"approximatif « {get['approximatif']} » : oui ou non attendu")
    if problems:
        raise ValueError(" ; ".join(problems))
    _check_scope(session, actor, territory, commune)
    return Clean(territory.id, node, commune.id if commune else None, qpv.id if qpv else None,
                 get["indicateur"], get["unite"], direction, aggregation, year, kind, value,
                 approx in YES, get["texte_cite"] or None, get["source"] or None,
                 get["emplacement"] or None)


def _too_long(get: dict) -> list[str]:
    """Texts longer than their column holds (perr_model/limits.py), on both backends."""
    columns = ((Indicator.__table__.c.label, "indicateur"), (Indicator.__table__.c.unit, "unite"),
               (IndicatorValue.__table__.c.quoted, "texte_cite"),
               (IndicatorValue.__table__.c.source, "source"),
               (IndicatorValue.__table__.c.source_place, "emplacement"))
    found = (limits.too_long(column, get[name], f"colonne « {name} »") for column, name in columns)
    return [why.rstrip(".") for why in found if why]


def _check_scope(session: Session, actor: Actor, territory: Territory,
                 commune: Commune | None) -> None:
    require_writer(actor)
    if actor.is_admin:
        if actor.territory_id is not None and actor.territory_id != territory.id:
            raise PermissionDenied("ce territoire n'est pas le vôtre")
        return
    if commune is None:
        raise PermissionDenied("un indicateur du territoire (sans commune) relève d'un "
                               "administrateur")
    if commune.id not in actor.commune_ids:
        raise PermissionDenied(f"{commune.name} n'est pas dans votre périmètre")


# --- import ------------------------------------------------------------------------------------

def _find_indicator(session: Session, c: Clean) -> Indicator | None:
    q = select(Indicator).where(Indicator.territory_id == c.territory_id,
                                Indicator.node_kind == c.node.kind)
    for col, val in (("axis_id", c.node.axis_id),
                     ("strategic_objective_id", c.node.strategic_objective_id),
                     ("objective_id", c.node.objective_id),
                     ("commitment_id", c.node.commitment_id), ("commune_id", c.commune_id),
                     ("qpv_id", c.qpv_id)):
        column = getattr(Indicator, col)
        q = q.where(column.is_(None) if val is None else column == val)
    return next((i for i in session.scalars(q).all() if fold(i.label) == fold(c.label)), None)


def _same(v: IndicatorValue, c: Clean) -> bool:
    return (abs(v.value - c.value) < 1e-9 and bool(v.approximate) == c.approximate
            and (v.quoted or None) == c.quoted and (v.source or None) == c.source
            and (v.source_place or None) == c.place)


def import_rows(session: Session, actor: Actor, rows: list[dict], *,
                territory: str | None = None, dry_run: bool = False, origin: str = "import",
                first_line: int = 2, ignored: list[str] | None = None,
                warnings: list[str] | None = None) -> ImportReport:
    """Check every row, then (unless a row is refused, or `dry_run`) write them all in the
    caller's transaction. Returns the report; never writes part of a file."""
    report = ImportReport(rows=len(rows), dry_run=dry_run, ignored_columns=ignored or [],
                          warnings=warnings or [])
    try:
        require_writer(actor)
    except PermissionDenied as exc:
        raise ImportRefused(str(exc)) from None
    default = None
    if territory:
        try:
            default = _territory(session, territory, None)
        except ValueError as exc:
            raise ImportRefused(str(exc)[0].upper() + str(exc)[1:] + ".") from None
    cleans: list[tuple[int, Clean]] = []
    for n, row in enumerate(rows, first_line):
        read = [c for c in COLUMNS if c in row]
        refused = control_refusal(row, read) or formula_refusal(row, read)
        if refused:  # before any query (PostgreSQL cannot compare NUL)
            report.problems.append((n, refused))
            continue
        try:
            cleans.append((n, check_row(session, actor, row, default)))
        except (ValueError, PermissionDenied) as exc:
            report.problems.append((n, str(exc)))
    attrs: dict[tuple, tuple[int, Clean]] = {}
    seen: dict[tuple, tuple[int, Clean]] = {}
    for n, c in cleans:
        key = c.indicator_key()
        first = attrs.setdefault(key, (n, c))[1]
        if (first.unit, first.direction, first.aggregation) != (c.unit, c.direction,
                                                                 c.aggregation):
            report.problems.append((n, f"unité, sens ou agrégation différents de la ligne "
                                       f"{attrs[key][0]} pour le même indicateur"))
        vkey = key + (c.kind, c.year)
        if vkey in seen and seen[vkey][1].value != c.value:
            report.problems.append((n, f"même indicateur, type et année que la ligne "
                                       f"{seen[vkey][0]} avec une autre valeur"))
        seen.setdefault(vkey, (n, c))
    report.problems.sort()
    if report.problems:
        return report
    new_indicators: dict[tuple, Indicator] = {}
    for n, c in cleans:
        ind = new_indicators.get(c.indicator_key()) or _find_indicator(session, c)
        if ind is None:
            report.created_indicators += 1
            if dry_run:
                report.created += 1
                new_indicators[c.indicator_key()] = Indicator(label=c.label)  # placeholder
                continue
            ind = Indicator(territory_id=c.territory_id, commune_id=c.commune_id,
                            qpv_id=c.qpv_id, label=c.label, unit=c.unit, direction=c.direction,
                            aggregation=c.aggregation, **c.node.columns())
            session.add(ind)
            session.flush()
            new_indicators[c.indicator_key()] = ind
        elif ind.id is None:  # placeholder of a dry run
            report.created += 1
            continue
        elif not dry_run and (ind.unit, ind.direction, ind.aggregation) != (
                c.unit, c.direction, c.aggregation):
            history.record(session, actor, "update", "indicator", ind.id,
                           f"Indicateur « {ind.label} » : unité, sens ou agrégation",
                           {"unite": [ind.unit, c.unit], "sens": [ind.direction, c.direction],
                            "agregation": [ind.aggregation, c.aggregation]})
            ind.unit, ind.direction, ind.aggregation = c.unit, c.direction, c.aggregation
        existing = session.scalars(select(IndicatorValue).where(
            IndicatorValue.indicator_id == ind.id, IndicatorValue.kind == c.kind,
            IndicatorValue.year.is_(None) if c.year is None else IndicatorValue.year == c.year)
        ).first()
        if existing is not None and _same(existing, c):
            report.unchanged += 1
            continue
        if existing is not None:
            report.updated += 1
            if not dry_run:
                _write_value(session, actor, ind, existing, c, origin)
        else:
            report.created += 1
            if not dry_run:
                _write_value(session, actor, ind, None, c, origin)
    if not dry_run:
        session.flush()
        report.written = True
    return report


def _snapshot(v: IndicatorValue) -> dict:
    return {"type": v.kind, "annee": v.year, "valeur": v.value, "approximatif": v.approximate,
            "texte_cite": v.quoted, "source": v.source, "emplacement": v.source_place,
            "version": v.version}


def _write_value(session: Session, actor: Actor, ind: Indicator, v: IndicatorValue | None,
                 c: Clean, origin: str) -> IndicatorValue:
    before = _snapshot(v) if v is not None else {}
    if v is None:
        v = IndicatorValue(indicator_id=ind.id, kind=c.kind, year=c.year, version=1,
                           origin=origin)
        session.add(v)
    else:
        v.version = (v.version or 1) + 1
    v.value, v.approximate, v.quoted = c.value, c.approximate, c.quoted
    v.source, v.source_place, v.entered_by = c.source, c.place, actor.username
    session.flush()
    after = _snapshot(v)
    changes = {k: [before.get(k), after[k]] for k in after
               if k != "version" and before.get(k) != after[k]}
    history.record(session, actor, "update" if before else "create", "indicator_value", v.id,
                   f"{ind.label} – {c.kind} {c.year or 'non datée'}", changes, after)
    return v


def save_value(session: Session, actor: Actor, row: dict, *,
               expected_version: int | None = None) -> ImportReport:
    """One value from a form: the same checks as a file row, plus optimistic locking (the
    `version` of the value the user read; None: a new value). Raises ConcurrentEdit when
    someone saved it in between, ValidationFailed-like ImportRefused on a bad row."""
    c = None
    if expected_version is not None:
        try:
            c = check_row(session, actor, row)
        except (ValueError, PermissionDenied):
            c = None  # reported below, with the other checks
    if c is not None:
        ind = _find_indicator(session, c)
        current = None if ind is None else session.scalars(select(IndicatorValue).where(
            IndicatorValue.indicator_id == ind.id, IndicatorValue.kind == c.kind,
            IndicatorValue.year.is_(None) if c.year is None else IndicatorValue.year == c.year)
        ).first()
        if current is not None and current.version != expected_version:
            last = history.entries(session, "indicator_value", current.id)[-1:]
            who = f" par {last[0].username}" if last and last[0].username else ""
            raise ConcurrentEdit(f"Cette valeur a été enregistrée{who} depuis que vous l'avez "
                                 "ouverte : rien n'a été écrasé. Rechargez la page puis "
                                 "refaites votre saisie.")
    report = import_rows(session, actor, [row], origin="manual", first_line=1)
    if report.problems:
        raise ImportRefused("Saisie refusée : " + report.problems[0][1] + ".",
                            [m for _, m in report.problems])
    return report


def delete_value(session: Session, actor: Actor, value_id: int, *,
                 expected_version: int | None) -> None:
    v = session.get(IndicatorValue, value_id)
    if v is None:
        raise ImportRefused("Valeur introuvable.")
    ind = v.indicator
    _check_scope(session, actor, session.get(Territory, ind.territory_id),
                 session.get(Commune, ind.commune_id) if ind.commune_id else None)
    if expected_version is not None and v.version != expected_version:
        raise ConcurrentEdit("Cette valeur a été modifiée depuis que vous l'avez ouverte : "
                             "rien n'a été supprimé. Rechargez la page.")
    history.record(session, actor, "archive", "indicator_value", v.id,
                   f"{ind.label} – {v.kind} {v.year or 'non datée'} supprimée", None, _snapshot(v))
    session.delete(v)
    session.flush()


# --- export ------------------------------------------------------------------------------------

def export_frame(session: Session, territory_id: int | None = None,
                 commune_ids: set[int] | None = None) -> pd.DataFrame:
    """Every value in the import format (no personal field), sorted; numbers as numbers."""
    q = select(IndicatorValue, Indicator).join(Indicator)
    if territory_id is not None:
        q = q.where(Indicator.territory_id == territory_id)
    if commune_ids is not None:
        q = q.where(Indicator.commune_id.in_(commune_ids))
    rows = []
    territories = {t.id: t.slug for t in session.scalars(select(Territory))}
    for v, ind in session.execute(q).all():
        commune = session.get(Commune, ind.commune_id) if ind.commune_id else None
        qpv = session.get(Qpv, ind.qpv_id) if ind.qpv_id else None
        rows.append({
            "territoire": territories[ind.territory_id], "rattachement": node_text(session, ind),
            "commune": commune.insee_code if commune else "",
            "quartier": (qpv.code or qpv.name) if qpv else "", "indicateur": ind.label,
            "unite": ind.unit, "sens": ind.direction or "", "agregation": ind.aggregation or "",
            "annee": v.year, "type": v.kind, "valeur": v.value,
            "approximatif": "oui" if v.approximate else "non",
            "texte_cite": v.quoted or "", "source": v.source or "",
            "emplacement": v.source_place or ""})
    df = pd.DataFrame(rows, columns=COLUMNS)
    if len(df):
        df["_y"] = df["annee"].fillna(0)
        df = df.sort_values(["territoire", "rattachement", "commune", "quartier", "indicateur",
                             "type", "_y"], kind="stable").drop(columns="_y")
        df["annee"] = df["annee"].astype("Int64")
    return df.reset_index(drop=True)


def indicator_row(session: Session, indicator_id: int) -> dict:
    """The indicator's columns of the file format (to add a value to it from a form)."""
    ind = session.get(Indicator, indicator_id)
    commune = session.get(Commune, ind.commune_id) if ind.commune_id else None
    qpv = session.get(Qpv, ind.qpv_id) if ind.qpv_id else None
    return {"territoire": session.get(Territory, ind.territory_id).slug,
            "rattachement": node_text(session, ind),
            "commune": commune.insee_code if commune else "",
            "quartier": (qpv.code or qpv.name) if qpv else "", "indicateur": ind.label,
            "unite": ind.unit, "sens": ind.direction or "", "agregation": ind.aggregation or ""}


def territory_slug(session: Session, territory_id: int) -> str:
    return session.get(Territory, territory_id).slug


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, ';' separator, decimal comma (as the Actions export)."""
    out = df.copy()
    out["valeur"] = out["valeur"].map(
        lambda v: "" if v is None or v != v else (str(int(v)) if float(v).is_integer()
                                                  else repr(float(v)).replace(".", ",")))
    return csv_text(out, sep=";").encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame) -> bytes:
    """Text cells typed as text, numbers as numbers (perr_model/exports/safe.py)."""
    return xlsx_bytes(df, "indicateurs")


def import_file(session: Session, actor: Actor, data: bytes, name: str, *,
                territory: str | None = None, dry_run: bool = False) -> ImportReport:
    rows, ignored, warnings = read_rows(data, name)
    return import_rows(session, actor, rows, territory=territory, dry_run=dry_run,
                       ignored=ignored, warnings=warnings)
