"""The one vocabulary: labels and French formatting of everything a person reads.

Screens, the COPIL document and the exports meant for people take their words and numbers from
here: status labels, funder labels (never a raw key like `etat_p147`), axis labels
"Axe N – …", French numbers, euros, dates and years, plurals, and the empty values (never
`None`, `nan` or `4000.00`). No import from the rest of the package: anything may use it.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone

NARROW_NBSP = "\u202f"     # thousands separator
NBSP = "\u00a0"            # before €, %
EMPTY = "non renseigné"    # a value nobody entered (text)
ALL_YEARS = "Toutes les années"
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")

STATUS_LABELS = {"en_projet": "En projet", "programmee": "Programmée", "en_cours": "En cours",
                 "terminee": "Terminée", "abandonnee": "Abandonnée"}
# Words people type for each status (folded: no accent, lower case), read by the importer.
STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "en_projet": ("en projet", "projet", "a l etude", "envisage", "envisagee",
                  "en preparation", "a venir"),
    "programmee": ("programme", "programmee", "programmes", "programmees", "prevu", "prevue",
                   "prevus", "prevues", "planifie", "planifiee", "valide", "validee"),
    "en_cours": ("en cours", "encours", "en cours de realisation", "demarre", "demarree",
                 "commence", "commencee"),
    "terminee": ("termine", "terminee", "termines", "terminees", "acheve", "achevee",
                 "realise", "realisee", "fini", "finie", "cloture", "cloturee", "solde",
                 "soldee"),
    "abandonnee": ("abandonne", "abandonnee", "abandonnes", "abandonnees", "annule",
                   "annulee", "arrete", "arretee", "non realise", "non realisee"),
}
# Status → progress (%) for the planned-vs-achieved roll-up; abandoned actions are left out.
STATUS_PROGRESS = {"en_projet": 0, "programmee": 10, "en_cours": 50, "terminee": 100}

# Where an action record comes from (the COPIL document's sources).
ORIGIN_LABELS = {"protocol": "actions en cours citées par le protocole",
                 "import": "importées d'une programmation", "manual": "saisies dans l'outil",
                 "synthetic": "fictives (démonstration)"}

FUNDER_LABELS = {
    "etat_p147": "État – crédits politique de la ville (P147)",
    "etat_adultes_relais": "État – postes adultes-relais",
    "etat_fonjep": "État – postes FONJEP",
    "etat_droit_commun": "État – droit commun",
    "commune": "Commune",
    "ept": "Territoire (EPT)",
    "caf": "CAF",
    "region": "Région",
    "departement": "Département",
    "bailleur_tfpb": "Bailleurs (abattement TFPB)",
    "fondation": "Fondations et mécénat",
    "autre": "Autre financeur",
}
POST_FUNDERS = ("etat_adultes_relais", "etat_fonjep")   # State posts, not action funding

MEASURE_LABELS = {"actions": "Nombre d'actions", "amount": "Montants accordés aux actions (€)",
                  "posts": "Postes financés par l'État (€)"}


# the fields of an action, as the forms, the imports and the history name them
FIELD_LABELS = {
    "reference": "Référence", "title": "Titre", "description": "Description",
    "holder_name": "Porteur", "holder_siret": "SIRET du porteur", "contact_name": "Contact",
    "contact_email": "Courriel du contact", "contact_phone": "Téléphone du contact",
    "status": "Statut", "year_start": "Année de début", "year_end": "Année de fin",
    "start_date": "Date de début", "end_date": "Date de fin", "target_public": "Public cible",
    "beneficiaries_planned": "Bénéficiaires prévus",
    "beneficiaries_achieved": "Bénéficiaires réalisés", "communes": "Communes",
    "qpvs": "Quartiers (QPV)", "axes": "Axes", "objectives": "Objectifs opérationnels",
    "commitments": "Engagements",
    "funding": "Financements", "archived": "Archivée", "version": "Version",
}


def is_empty(value) -> bool:
    if value is None:
        return True
    try:
        return isinstance(value, float) and math.isnan(value)
    except TypeError:
        return False


def status_label(key: str | None, lower: bool = False) -> str:
    if is_empty(key) or key == "":
        return EMPTY
    label = STATUS_LABELS.get(key, str(key).replace("_", " "))
    return label.lower() if lower else label


def funder_label(key: str | None) -> str:
    if is_empty(key) or key == "":
        return "Financeur non renseigné"
    return FUNDER_LABELS.get(key, str(key).replace("_", " ").capitalize())


def axis_code(number: int | None, position: int | None = None) -> str:
    """'Axe 3' (the protocol's number, else its position)."""
    n = number if not is_empty(number) and number else position
    return "Axe" if is_empty(n) else f"Axe {int(n)}"


def axis_label(number: int | None, title: str | None, width: int = 60,
               position: int | None = None) -> str:
    """'Axe 3 – Emploi et insertion', the title shortened to `width` characters."""
    title = "" if is_empty(title) else str(title)
    text = title if len(title) <= width else title[: width - 1].rstrip() + "…"
    return f"{axis_code(number, position)} – {text}" if text else axis_code(number, position)


# --- stable references of what an action serves (perr_model/served.py) --------------------------

def commitment_reference(insee_code: str, theme_position: int, position: int) -> str:
    """'E-94017-1-3': the 3rd engagement of the 1st theme of commune 94017 in the protocol's
    annex, in the protocol's order (its actions under way are PERR-94017-1-3-n). Stable: the
    protocol loader keys commitments by (commune, theme, position), never by their id."""
    return f"E-{insee_code}-{int(theme_position)}-{int(position)}"


def objective_reference(axis: int, group: int, position: int) -> str:
    """'2.1.3': an operational objective by the protocol's numbers, axis . group . objective
    (the axis's and group's numbers, else their positions)."""
    return f"{int(axis)}.{int(group)}.{int(position)}"


def number(value, decimals: int = 0, empty: str = "aucune donnée") -> str:
    """12 345 / 12 345,6 (narrow no-break space for thousands, comma for decimals)."""
    if is_empty(value):
        return empty
    value = float(value)
    if decimals == 0:
        value = round(value)
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NARROW_NBSP).replace(".", ",")


def _cents(value) -> int:
    """The decimals an amount needs: 2 when it has cents, else 0."""
    return 2 if round(float(value) * 100) % 100 else 0


def euros(value, empty: str = "aucun montant", cents: bool = False) -> str:
    """'1 847 937 €' (cents only when asked and not zero)."""
    if is_empty(value):
        return empty
    return f"{number(value, _cents(value) if cents else 0)}{NBSP}€"


def short_euros(value, empty: str = "aucun montant") -> str:
    """Amounts that fit a metric on a phone: 950 €, 12,5 k€, 1,8 M€."""
    if is_empty(value):
        return empty
    for threshold, size, unit in ((1e9, 1e9, "Md€"), (1e6, 1e6, "M€"), (1e4, 1e3, "k€")):
        if abs(float(value)) >= threshold:
            return f"{number(float(value) / size, 1)}{NBSP}{unit}"
    return euros(value)


def percent(share, empty: str = "aucune donnée") -> str:
    return empty if is_empty(share) else f"{number(float(share) * 100)}{NBSP}%"


def enumeration(items) -> str:
    """'2, 3 et 4' (French: the last two joined by « et »)."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]


def signed_euros(value) -> str:
    """'+2 000 €', '−1 500 €', '0 €' (a difference)."""
    sign = "+" if value > 0.5 else "−" if value < -0.5 else ""
    return sign + euros(abs(float(value)))


def signed_percent(share, empty: str = "sans objet") -> str:
    """'+12 %', '−3 %'; `empty` when there is no share (the previous year at zero)."""
    if is_empty(share):
        return empty
    pct = float(share) * 100
    sign = "+" if pct > 0 else "−" if pct < 0 else ""
    return f"{sign}{number(abs(pct), 1 if 0 < abs(pct) < 1 else 0)}{NBSP}%"


def plural(n, singular: str, plural_form: str | None = None, show: bool = True) -> str:
    """'1 action', '0 action', '3 actions' (French: 0 and 1 take the singular)."""
    word = singular if abs(float(n or 0)) < 2 else (plural_form or singular + "s")
    return f"{number(n)} {word}" if show else word


def fr_date(d: date | None) -> str:
    if d is None:
        return "date inconnue"
    return f"{d.day if d.day > 1 else '1er'} {MONTHS[d.month - 1]} {d.year}"


def short_date(d, empty: str = "") -> str:
    """'01/09/2022' (a date as people type it in a form or a spreadsheet): from a date, a
    datetime or an ISO text ('2022-09-01'); any other text is returned as it is."""
    if is_empty(d) or d == "":
        return empty
    if isinstance(d, str):
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?", d.strip())
        return f"{m.group(3)}/{m.group(2)}/{m.group(1)}" if m else d
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def fr_timestamp(when, empty: str = "") -> str:
    """'3 décembre 2026 à 14 h 05', Paris time (a naive datetime is UTC: what the store
    writes, schema.utcnow); a date alone: its French date."""
    if is_empty(when) or when == "":
        return empty
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if not isinstance(when, datetime):
        return fr_date(when)
    from zoneinfo import ZoneInfo
    when = (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(
        ZoneInfo("Europe/Paris"))
    return f"{fr_date(when.date())} à {when.hour}{NBSP}h{NBSP}{when.minute:02d}"


def amount_text(value, empty: str = "") -> str:
    """An amount as a form shows it for editing: '12 500', '12 500,50' (cents only when there
    are some; the forms read it back, narrow no-break spaces included)."""
    if is_empty(value) or value == "":
        return empty
    return number(value, _cents(value))


def year_label(year: int | None) -> str:
    """'2022' or 'toutes les années'."""
    return "toutes les années" if year is None else str(int(year))


def period_title(year: int | None) -> str:
    return ALL_YEARS if year is None else f"Année {int(year)}"


def for_period(year: int | None) -> str:
    return "toutes années confondues" if year is None else f"pour l'année {int(year)}"


def plain(value, empty: str = EMPTY) -> str:
    """A stored value shown as text: the empty value for nothing, never 'None' or 'nan'."""
    if is_empty(value) or (isinstance(value, str) and not value.strip()):
        return empty
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def format_value(value, name: str | None = None, names: dict | None = None) -> str:  # noqa: ANN001
    """A value of an action's field (`name`) as the history and the edit conflicts show it;
    `names`: {field: {stored key: what a person reads}} (communes' INSEE codes → names, axes'
    ids → « Axe 2 »), a key without a name shown as it is."""
    shown = (names or {}).get(name or "")
    if shown and isinstance(value, list) and value:
        return ", ".join(str(shown.get(v, v)) for v in value)
    if name == "funding" and isinstance(value, list) and value:
        return ", ".join(f"{FUNDER_LABELS.get(f, f)} {y or ''} : "
                         f"{euros(a if not is_empty(a) else r, empty='0 €', cents=True)}"
                         .replace("  ", " ") for f, y, r, a in value)
    if value in (None, "", []):
        return "(vide)"
    if name in ("start_date", "end_date") and isinstance(value, str):
        return short_date(value)
    if isinstance(value, list):
        return ", ".join(format_value(v) if isinstance(v, list) else str(v) for v in value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    return STATUS_LABELS.get(value, str(value)) if isinstance(value, str) else str(value)


def changes_text(changes: dict, names: dict | None = None) -> str:
    """{field: (old, new)} as "Titre : old → new; …", fields in a stable order."""
    return "; ".join(f"{FIELD_LABELS.get(k, k)} : {format_value(o, k, names)} → "
                     f"{format_value(n, k, names)}" for k, (o, n) in sorted(changes.items()))


def origin_label(key: str | None) -> str:
    return ORIGIN_LABELS.get(key or "", "origine non renseignée")
_FILE = r"[\w./\\-]+\.(?:md|xlsx|xls|csv|json|geojson|yaml|yml|zip|shp|gpkg|txt|pdf|sqlite|ods)"
_COLUMN = r"\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+\b"  # CODE_QP, lib_com, id_poste…
_SOURCE_NOISE = [
    # the protocols' texts (seeds): named as what they are
    (re.compile(r"\bperr-[\w-]*?-annexe-(\d+)\.md\b", re.I), r"protocole, annexe \1"),
    (re.compile(r"\bperr-[\w-]*\.md\b", re.I), "protocole"),
    (re.compile(r"\s*\([^()]*(?:" + _FILE + r"|" + _COLUMN + r")[^()]*\)"), ""),  # (file.geojson)
    (re.compile(r"\s*[:,;]\s*" + _FILE + r"\b"), ""),                           # … : data/x.yaml
    (re.compile(r"\s*\b(?:fichier|file)\s+" + _FILE + r"\b", re.I), ""),
    (re.compile(r"\s*\b" + _FILE + r"\b"), ""),
    # a line number of the text read ("(ligne 19)", "(lignes 20-22)"): the place said in words stays
    (re.compile(r"\s*\(lignes?\s+\d+(?:\s*[-–à]\s*\d+)?\)", re.I), ""),
    # the app's own copy of an official file: the official file is the source
    (re.compile(r"\s*[–—-]?\s*«\s*extrait embarqué[^»]*»", re.I), ""),
    (re.compile(r"\s*[–—,;-]?\s*\bextrait embarqué\b[^,;·]*", re.I), ""),
]


def human_source(text) -> str:
    """A source as a person names it: the publisher and the dataset, without file names,
    paths or column names ("ANCT, cartographie Ci-VILLE (contrats-de-ville.geojson)" →
    "ANCT, cartographie Ci-VILLE"). Empty text stays empty."""
    if is_empty(text):
        return ""
    out = str(text)
    for pattern, repl in _SOURCE_NOISE:
        out = pattern.sub(repl, out)
    out = re.sub(r"\s{2,}", " ", out).strip(" ,;:—–-")
    return out[:1].upper() + out[1:]
