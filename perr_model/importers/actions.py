"""Yearly programming spreadsheets (XLSX or CSV) → actions, matched on their reference.

read → guess the column mapping from the headers (editable by the user) → plan: validate every
row with the same rules as the form (editing.validate) and the same permission checks → report
every refused row and why → only when no row is refused, write everything in the caller's one
transaction (create, or update the action with the same reference: re-importing a file does
not duplicate). The Actions page export (docs/actions-format.md) is accepted back as is.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth import Actor, check_fresh_scope, fresh_actor, require_writer
from ..editing import check_links, insert_actions, update_action, validate
from ..errors import ImportRefused, PerrError, QueryTimeout, ValidationFailed
from ..exports.safe import control_refusal, import_text
from ..schema import FUNDERS, Action
from ..textnorm import fold, title_key
from . import actions_formats as formats
from .actions_match import differences, find_existing
from .actions_spelling import commune_index, spell

# The engagements column (docs/actions-format.md): references "E-94017-1-3" separated by " ; ".
ENGAGEMENT_HEADERS = ("engagements", "engagement", "engagements des communes",
                      "engagement de commune", "engagements de la commune", "engagements servis",
                      "references engagements", "reference engagement")
from .tabular import check_size, formula_refusal, read_sheet  # noqa: F401 - check_size: callers

# Field → accepted headers (folded: no accents, lower case, punctuation as spaces).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "reference": ("reference", "ref", "reference action", "code action", "numero",
                  "n dossier", "numero dossier", "id action", "identifiant"),
    "title": ("titre", "intitule", "titre de l action", "intitule de l action", "nom de l action",
              "action", "libelle", "projet"),
    "description": ("description", "descriptif", "objet", "contenu", "resume"),
    "holder_name": ("porteur", "structure porteuse", "porteur de projet", "organisme",
                    "structure", "association", "operateur"),
    "holder_siret": ("siret porteur", "siret", "n siret", "siret du porteur"),
    "contact_name": ("contact", "referent", "nom du contact"),
    "contact_email": ("courriel", "email", "e mail", "mail", "courriel contact"),
    "contact_phone": ("telephone", "tel", "telephone contact"),
    "communes": ("communes", "commune", "code insee", "codes insee", "insee", "ville"),
    "qpvs": ("quartiers", "quartier", "qpv", "quartiers prioritaires", "quartier prioritaire",
             "quartiers qpv"),
    "axes": ("axes", "axe", "axe du perr", "axe prioritaire", "axes prioritaires"),
    "objectives": ("objectifs", "objectif", "objectifs operationnels", "objectif operationnel"),
    "commitments": ENGAGEMENT_HEADERS,
    "status": ("statut", "etat", "etat d avancement", "avancement"),
    "year_start": ("annee debut", "annee", "annee de debut", "exercice", "annee programmation",
                   "millesime"),
    "year_end": ("annee fin", "annee de fin"),
    "start_date": ("date debut", "date de debut", "debut"),
    "end_date": ("date fin", "date de fin", "fin"),
    "target_public": ("public cible", "public", "public vise", "publics"),
    "beneficiaries_planned": ("beneficiaires prevus", "nombre de beneficiaires prevus",
                              "nb beneficiaires prevus", "beneficiaires"),
    "beneficiaries_achieved": ("beneficiaires realises", "nombre de beneficiaires realises",
                               "nb beneficiaires realises"),
}


def field_choices() -> dict[str, str]:
    """Every target of a column, with its French label (for the mapping editor)."""
    from ..vocabulary import FIELD_LABELS
    choices = {k: FIELD_LABELS[k] for k in SYNONYMS}
    for key, label in FUNDERS.items():
        choices[f"funding:{key}:approved"] = f"{label} (accordé)"
        choices[f"funding:{key}:requested"] = f"{label} (demandé)"
    for name, what in CODE_FIELDS.items():
        choices[f"code:{name}"] = (f"{FIELD_LABELS[name]} ({what}, lu si la colonne lisible "
                                   "est vide)")
    return choices | formats.long_labels()


# The Actions export's technical columns « Communes (code) »… (action_list.CODE_COLUMNS): read
# where the readable column is absent or its cell empty (`row_data`).
CODE_FIELDS = {"communes": "codes INSEE", "qpvs": "codes des quartiers",
               "axes": "numéros des axes", "status": "code du statut"}


_GROUP = re.compile(r"(financeur|montant demande|montant accorde|annee (?:du )?financement) "
                    r"(\d+)")
_GROUP_PART = {"financeur": "funder", "montant demande": "amount_requested",
               "montant accorde": "amount_approved", "annee financement": "year",
               "annee du financement": "year"}


def guess_field(header: str) -> str | None:
    key = fold(str(header)).replace("_", " ")
    group = _GROUP.fullmatch(key)
    if group:  # the Actions export: financeur_1, montant_demande_1, montant_accorde_1, ...
        return f"group:{group.group(2)}:{_GROUP_PART[group.group(1)]}"
    key = re.sub(r"\b(n°|no)\b", "n", key).strip()
    if key.endswith(" code"):  # « Communes (code) »: the export's technical columns
        stem = guess_field(key.removesuffix(" code"))
        return f"code:{stem}" if stem in CODE_FIELDS else None
    for name, synonyms in SYNONYMS.items():
        if key in synonyms:
            return name
    return formats.long_field(key) or formats.funder_of_header(key)


def guess_mapping(headers: list[str], table: pd.DataFrame | None = None
                  ) -> dict[str, str | None]:
    """Header → target. With the `table`, a column headed by a bare funder word (« Ville »,
    « État ») that holds amounts is that funder's money (actions_formats.money_columns)."""
    guesses = {h: guess_field(h) for h in headers}
    if table is not None:
        guesses = formats.money_columns(guesses, table)
    mapping, taken = {}, set()
    for h, target in guesses.items():
        mapping[h] = target if target not in taken else None
        taken.add(target)
    return mapping


# --- reading -------------------------------------------------------------------------------------

def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """XLSX or CSV (';' or ',' or tab; UTF-8 or Windows-1252) → DataFrame of raw cell values,
    read within the bounds of importers/tabular.py; `attrs["warnings"]`: the sheets not read.
    Every failure is an ImportRefused with a French message (no exception name, no path)."""
    sheet = read_sheet(data, filename)
    df = pd.DataFrame(sheet.rows, columns=sheet.header, dtype=object)
    df = df.loc[:, [bool(c) for c in sheet.header]]  # a column without header is not read
    df = df.map(_cell).dropna(how="all")
    df.attrs["warnings"] = sheet.warnings
    return df


def _cell(value):  # noqa: ANN001
    """A cell as read from the file: text stripped, the quote our exports put before =, +, -,
    @ … removed (exports/safe.py); numbers and dates as they are."""
    if isinstance(value, str):
        return import_text(value) or None
    return _value(value)


def _value(value):  # noqa: ANN001
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- planning and writing -------------------------------------------------------------------------

@dataclass
class ActionsReport:
    rows: int = 0
    to_create: list[str] = field(default_factory=list)
    to_update: list[str] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # line, reference, why
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    # after writing: (action id, reference, title, "créée" / "mise à jour"), in file order
    written_actions: list[tuple[int, str, str, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # rows already in the base: (line, reference, title, how recognised, differences)
    existing: list[tuple[int, str, str, str, list[str]]] = field(default_factory=list)
    existing_mode: str = "update"  # or "skip": what the write does with those rows
    skipped: int = 0
    titles: dict[int, str] = field(default_factory=dict)  # first line → the row's title
    warnings: list[str] = field(default_factory=list)  # what the file held and was not read

    def refused_rows(self) -> list[tuple[str, str, str]]:
        """The refused rows as people read them: (« Ligne 4 », the action, why)."""
        return [(f"Ligne {n}", " — ".join(x for x in (ref, self.titles.get(n)) if x), why)
                for n, ref, why in self.problems]

    def lines(self) -> list[str]:
        out = [f"Colonnes ignorées (non reconnues) : {', '.join(self.ignored_columns)}."
               ] if self.ignored_columns else []
        out += [f"{self.rows} ligne(s) lue(s) : {len(self.to_create)} action(s) à créer, "
                f"{len(self.to_update)} déjà présente(s) "
                + ("(mises à jour)." if self.existing_mode == "update" else "(ignorées)."),
                *self.warnings]
        out += [f"Ligne {n} ({ref or 'sans référence'}) déjà présente ({how}) : "
                + ("; ".join(changes) if changes else "aucune différence") + "."
                for n, ref, _title, how, changes in self.existing]
        out += [f"Ligne {n} ({ref or 'sans référence'}) refusée : {why}"
                for n, ref, why in self.problems]
        if self.written:
            out.append(f"Écrit : {self.created} créée(s), {self.updated} mise(s) à jour, "
                       f"{self.unchanged} inchangée(s)"
                       + (f", {self.skipped} ignorée(s) (déjà présentes)." if self.skipped
                          else "."))
        elif not self.problems:
            out.append("Aucune ligne refusée : le fichier peut être importé.")
        else:
            out.append(f"{len(self.problems)} ligne(s) refusée(s) : rien n'a été écrit.")
        return out


def row_data(row: dict, mapping: dict[str, str | None]) -> dict:
    data: dict = {}
    codes: dict = {}
    funding: dict[str, dict] = {}
    for header, target in mapping.items():
        if not target or header not in row:
            continue
        value = _value(row[header])  # pandas may hand NaN back for an empty cell
        if target.startswith("funding:"):
            _, funder, kind = target.split(":")
            funding.setdefault(funder, {"funder": funder})[f"amount_{kind}"] = value
        elif target.startswith("group:"):
            _, n, part = target.split(":")
            funding.setdefault(f"#{n}", {})[part] = value
        elif target.startswith("line:"):  # the long format: this row's one funder
            funding.setdefault("#line", {})[target.split(":")[1]] = value
        elif target.startswith("code:"):
            codes[target.split(":")[1]] = value
        else:
            data[target] = value
    for name, value in codes.items():  # a technical column: where the readable one is empty
        if data.get(name) in (None, ""):
            data[name] = value
    if any(t and t.startswith(("funding:", "group:", "line:")) for t in mapping.values()):
        data["funding"] = [f for f in funding.values() if any(v not in (None, "") for v in
                                                              f.values())]
    if data.get("status") in (None, ""):  # no status given: left as it is (a new action's:
        data.pop("status", None)           # « statut non renseigné », editing.create_action)
    return data


def plan_import(session: Session, actor: Actor, df: pd.DataFrame,
                mapping: dict[str, str | None], territory_id: int | None = None,
                existing_mode: str = "update"
                ) -> tuple[ActionsReport, list[tuple[int, dict, int, int | None, dict]]]:
    """Validate every row (nothing written). Returns the report and the rows to write as
    (line, data, territory_id, existing action id, validated values): a row is an action
    already present when its reference is, or without reference by its natural key
    (actions_match)."""
    if "title" not in mapping.values() and "reference" not in mapping.values():
        raise ImportRefused("Aucune colonne « titre » ni « référence » reconnue : vérifiez "
                            "la correspondance des colonnes.")
    for cache in ("perr_import_communes", "perr_import_actions"):  # filled while planning
        session.info.pop(cache, None)
    report = ActionsReport(rows=len(df), existing_mode=existing_mode,
                           ignored_columns=[h for h, t in mapping.items() if not t])
    report.warnings = list(df.attrs.get("warnings", []))
    plan, seen = [], {}  # reference, natural key or ("id", action id) → first line
    require_writer(actor)
    actor = require_writer(fresh_actor(session, actor))  # the account read once, not per row
    rows = action_rows(df, mapping)
    present = _present(session, [d.get("reference") for _l, d, _n, refused in rows if not refused])
    for line, data, notes, refused in rows:
        ref = str(data["reference"]).strip() if data.get("reference") is not None else None
        data["reference"] = ref
        report.titles[line] = re.sub(r"[\x00-\x1f\x7f]", "", str(data.get("title") or ""))
        try:
            if refused:  # before any query (PostgreSQL cannot compare NUL)
                raise ValidationFailed(refused + ".")
            existing, how, terr, clean = _plan_row(session, actor, data, notes, territory_id,
                                                   seen, line, present)
        except PerrError as exc:
            shown = re.sub(r"[\x00-\x1f\x7f]", "", ref or "")
            report.problems.append((line, shown, str(exc).replace("Saisie refusée : ", "")))
            continue
        if existing is None:
            report.to_create.append(ref or data.get("title"))
        else:
            report.to_update.append(existing.reference)
            report.existing.append((line, existing.reference, existing.title, how,
                                    differences(existing, clean)))
        plan.append((line, data, terr, existing.id if existing else None, clean))
    return report, plan


def check_engagements(session: Session, actor: Actor, clean: dict,
                      existing: Action | None) -> None:
    """The row's engagements (read by editing.validate: unknown reference refused) against
    the editor's communes and the row's communes (PermissionDenied / ValidationFailed)."""
    check_links(session, actor, clean, existing)


def action_rows(df: pd.DataFrame, mapping: dict[str, str | None]
                ) -> list[tuple[int, dict, list[str], str | None]]:
    """(first line, data of one action, problems found putting it together, refusal for
    a control character or a formula without its value in one of its lines, or None): one row each, or in the long format the
    rows of one action grouped (actions_formats.group_rows)."""
    records = list(enumerate(df.to_dict("records"), 2))  # line 1: the headers
    controls = {line: _cell_refusal(row, mapping) for line, row in records}
    rows = [(line, row_data(row, mapping)) for line, row in records]
    if not formats.is_long(mapping):
        return [(line, data, [], controls[line]) for line, data in rows]
    return [(lines[0], data, notes, _first(controls[n] for n in lines))
            for lines, data, notes in formats.group_rows(rows)]


def _first(values):  # noqa: ANN001, ANN202
    return next((v for v in values if v), None)


def _present(session: Session, references: list) -> dict[str, Action]:
    """The actions already present under the file's references, read in a few queries."""
    wanted = sorted({str(r).strip() for r in references if r is not None and str(r).strip()})
    found: dict[str, Action] = {}
    for start in range(0, len(wanted), 500):
        found.update((a.reference, a) for a in session.scalars(
            select(Action).where(Action.reference.in_(wanted[start:start + 500]))))
    return found


def _plan_row(session, actor, data, notes, territory_id, seen, line, present):  # noqa: ANN001, ANN202
    """One action of the file: (existing action or None, how it was recognised, territory,
    validated values), or a PerrError saying why the row is refused. `actor`: read again in
    this transaction (auth.fresh_actor); `present`: the actions under the file's references."""
    ref = data["reference"]
    if ref and ref in seen:
        raise ValidationFailed(f"référence déjà présente ligne {seen[ref]} du fichier.")
    if ref and ref.upper().startswith(formats.EXAMPLE_PREFIX + "-"):
        raise ValidationFailed("ligne d'exemple du modèle : remplacez-la par vos actions ou "
                               "supprimez-la.")
    existing = present.get(ref) if ref else None
    notes = notes + spell(session, data, territory_id or (existing.territory_id if existing
                                                          else None))
    terr = _territory(session, data, existing, territory_id)
    how, key = ("même référence" if existing else None), None
    if existing is None and not ref:
        match = find_existing(session, terr, data, _year(data))
        existing, how = (match.action, match.how) if match else (None, None)
    if existing is not None:
        if ("id", existing.id) in seen:
            raise ValidationFailed(f"même action déjà présente que la ligne "
                                   f"{seen['id', existing.id]} du fichier ({how}).")
        if existing.territory_id != terr:
            raise ValidationFailed("cette référence appartient à un autre territoire.")
        check_fresh_scope(session, actor, existing.territory_id,
                          {c.id for c in existing.communes})
    else:
        for required in ("title", "year_start", "communes"):
            data.setdefault(required, None)
        key = ("key", terr, title_key(data.get("title")), title_key(data.get("holder_name")),
               _year(data))
        if not ref and key in seen:
            raise ValidationFailed(f"même titre, porteur et année que la ligne {seen[key]} du "
                                   "fichier : une ligne par action (ou indiquez leurs "
                                   "références).")
    clean = _validated(session, data, terr, existing, notes)
    if terr is None:
        raise ValidationFailed("territoire introuvable : indiquez les codes INSEE des "
                               "communes (ou choisissez le territoire).")
    if "communes" in clean:
        check_fresh_scope(session, actor, terr, {c.id for c in clean["communes"]})
    check_engagements(session, actor, clean, existing)
    for mark in (ref, key, ("id", existing.id) if existing else None):
        if mark:
            seen[mark] = line
    return existing, how, terr, clean


def _validated(session, data, terr, existing, notes) -> dict:  # noqa: ANN001
    """editing.validate's clean values; its problems and the row's `notes` in one refusal."""
    if data.get("communes") is not None:  # codes spell() recognised: no query per row
        from ..editing import _items
        known = commune_index(session)[1]
        data = {**data, "communes": [known.get(c, c) if isinstance(c, str) else c
                                     for c in _items(data["communes"])]}
    try:
        clean = validate(session, data, terr, year_required=existing is None
                         or existing.year_start is not None)
    except ValidationFailed as exc:
        raise ValidationFailed(" ".join(notes + [str(exc).replace("Saisie refusée : ", "")])
                               ) from None
    if notes:
        raise ValidationFailed(" ".join(notes))
    return clean


def _year(data: dict) -> int | None:
    from ..editing import parse_year
    try:
        return parse_year(data.get("year_start"))
    except ValueError:
        return None


def _cell_refusal(row: dict, mapping: dict[str, str | None]) -> str | None:
    """A control character, or a formula saved without its value, in a column read."""
    columns = [h for h, t in mapping.items() if t and h in row]
    return control_refusal(row, columns) or formula_refusal(row, columns)


def _territory(session, data, existing, territory_id) -> int | None:  # noqa: ANN001
    if territory_id is not None:
        return territory_id
    if existing is not None:
        return existing.territory_id
    from ..editing import _items
    by_code = commune_index(session)[1]
    for item in _items(data.get("communes")):
        commune = by_code.get(str(item).strip())
        if commune is not None and commune.territory_id is not None:
            return commune.territory_id
    return None


def import_actions(session: Session, actor: Actor, df: pd.DataFrame,
                   mapping: dict[str, str | None], *, territory_id: int | None = None,
                   dry_run: bool = False, source: str | None = None,
                   existing: str = "update") -> ActionsReport:
    """Plan, then (unless dry_run) write all rows in the caller's transaction. Any refused
    row refuses the whole file: ImportRefused carries the row-by-row report. Imports are
    serialised (`import_lock`): a second one waits for the first, then plans against what it
    wrote. `existing`: "update" the actions already present with the file's values, or
    "skip" their rows."""
    if existing not in EXISTING_MODES:
        raise ImportRefused("Choix inconnu pour les actions déjà présentes.")
    if not dry_run:
        import_lock(session)
    report, plan = plan_import(session, actor, df, mapping, territory_id, existing)
    if report.problems and not dry_run:
        raise ImportRefused(f"{len(report.problems)} ligne(s) refusée(s) : rien n'a été écrit.",
                            report.lines())
    if dry_run:
        return report
    written = {}  # line → (id, reference, title, what), in the file's order at the end
    creations = [(line, terr, clean) for line, _d, terr, existing_id, clean in plan
                 if existing_id is None]  # validated and checked by plan_import, just now
    created = insert_actions(session, actor, [(terr, clean) for _l, terr, clean in creations],
                             origin="import", source=source)
    for (line, _t, _c), action in zip(creations, created):
        written[line] = (action.id, action.reference, action.title, "créée")
    report.created = len(created)
    for line, data, _terr, existing_id, _clean in plan:
        if existing_id is None:
            continue
        if existing == "skip":
            report.skipped += 1
            continue
        before = session.get(Action, existing_id).version
        action = update_action(session, actor, existing_id, data, expected_version=None,
                               operation="import")
        if action.version != before:
            report.updated += 1
            written[line] = (action.id, action.reference, action.title, "mise à jour")
        else:
            report.unchanged += 1
    report.written_actions = [written[line] for line in sorted(written)]
    report.written = True
    return report


EXISTING_MODES = {"update": "Mettre à jour ces actions avec les valeurs du fichier",
                  "skip": "Les laisser telles quelles (lignes ignorées)"}
BUSY_MESSAGE = "Un autre import est en cours, réessayez dans un instant."
LOCK_WAIT_MS = 15_000


def import_lock(session: Session) -> None:
    """Take the actions-import lock for the rest of the caller's transaction, waiting at most
    LOCK_WAIT_MS; ImportRefused(BUSY_MESSAGE) when another import holds it longer.
    PostgreSQL: a transaction-level advisory lock. SQLite: the database write lock, taken now
    (a no-op UPDATE opens the write transaction) with the connection's busy timeout."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError
    try:
        if session.get_bind().dialect.name == "postgresql":
            # the wait is bounded by LOCK_WAIT_MS, not by the statement time limit (a first
            # import of a long file may hold the lock longer than one query may last)
            limit = session.execute(text("SHOW statement_timeout")).scalar()
            session.execute(text(f"SET LOCAL lock_timeout = {LOCK_WAIT_MS}"))
            session.execute(text(f"SET LOCAL statement_timeout = {LOCK_WAIT_MS}"))
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext('perr:import:actions'))"))
            session.execute(text("SET LOCAL lock_timeout = 0"))
            session.execute(text("SELECT set_config('statement_timeout', :v, true)"),
                            {"v": limit})
        else:
            session.execute(text(f"PRAGMA busy_timeout = {LOCK_WAIT_MS}"))
            session.execute(text("UPDATE territory SET id = id WHERE 1 = 0"))
    except (OperationalError, QueryTimeout):  # the wait ran out
        raise ImportRefused(BUSY_MESSAGE) from None


def to_csv_template(kind: str = "large") -> str:
    """The template offered for download: the documented headers of the wide ("large": one
    column per funder) or long ("long": one row per funder) format and a filled example."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows(formats.template_rows(kind))
    return buf.getvalue()
