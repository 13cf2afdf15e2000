"""Spreadsheets of actions as people lay them out (docs/actions-format.md).

- **wide**: one column per funder (« Montant État », « Ville », « CAF »…): `funder_of_header`
  and, for a bare funder word that is also a field (« Ville », « État »), `money_columns`
  decides from the cells (amounts → a funder; names → the field);
- **long**: one row per action × funder (« Financeur / Montant demandé / Montant accordé »):
  `long_field` maps those columns to `line:<part>` targets and `group_rows` puts the rows of
  one action together (same reference, or same title, porteur and year; a row that names no
  action continues the one above it);
- the downloadable templates of both formats (`template_rows`), with the documented headers.

Funder words (« Ville », « Mairie », « CD94 », « BOP 147 »…) → keys of `schema.FUNDERS`:
`funder_key`, for headers and for the cells of a « Financeur » column alike.
"""
from __future__ import annotations

import re

from ..schema import FUNDERS
from ..textnorm import fold

# Folded words people write for each funder, beyond its key and its label.
FUNDER_WORDS: dict[str, tuple[str, ...]] = {
    "etat_p147": ("etat", "p147", "p 147", "bop 147", "programme 147", "etat p147",
                  "etat politique de la ville", "credits politique de la ville",
                  "politique de la ville", "anct", "etat anct", "cget", "etat contrat de ville"),
    "etat_droit_commun": ("droit commun", "etat droit commun"),
    "commune": ("ville", "villes", "commune", "communes", "mairie", "municipalite"),
    "ept": ("ept", "territoire", "etablissement public territorial"),
    "caf": ("caf", "cnaf"),
    "region": ("region", "conseil regional", "region ile de france", "idf"),
    "departement": ("departement", "conseil departemental", "cd", "cd94", "cd 94", "cd93",
                    "cd 93"),
    "bailleur_tfpb": ("bailleur", "bailleurs", "bailleurs sociaux", "tfpb", "abattement tfpb"),
    "fondation": ("fondation", "fondations", "mecenat"),
    "autre": ("autre", "autres", "autre financeur", "autres financeurs"),
}


def funder_key(text) -> str | None:  # noqa: ANN001
    """« Ville », « Mairie », « commune », « État », « etat_p147 », « CAF »… → a key of FUNDERS."""
    if text is None:
        return None
    key = fold(str(text))
    for funder, label in FUNDERS.items():
        if key in (funder, funder.replace("_", " "), fold(label)) + FUNDER_WORDS.get(funder, ()):
            return funder
    return None


_KIND_WORDS = (("demande", "requested"), ("sollicite", "requested"), ("accorde", "approved"),
               ("attribue", "approved"), ("obtenu", "approved"), ("vote", "approved"))
_MONEY_WORDS = ("financement", "montant", "subvention", "credits", "part", "participation",
                "cofinancement")


def funder_of_header(key: str) -> str | None:
    """A folded header naming a funder (wide format) → 'funding:<funder>:<kind>', else None:
    « Montant État », « Financement Ville accordé », « Montant demandé CAF », « Subvention
    Région », « Part ville »…"""
    kind, words = "approved", key.split()
    for word, k in _KIND_WORDS:
        if word in words:
            kind = k
            words = [w for w in words if w != word]
    while words and words[0] in _MONEY_WORDS + ("de", "du", "la", "le", "l", "des"):
        words = words[1:]
    rest = " ".join(words)
    if rest == key and not any(rest in (k, k.replace("_", " "), fold(label))
                               for k, label in FUNDERS.items()):
        return None  # a bare word (« Ville », « Territoire »): from its cells (money_columns)
    funder = funder_key(rest)
    return f"funding:{funder}:{kind}" if funder else None


# --- long format ---------------------------------------------------------------------------------

LONG_PARTS = {"funder": "Financeur (une ligne par financeur)",
              "amount_requested": "Montant demandé (ligne du financeur)",
              "amount_approved": "Montant accordé (ligne du financeur)",
              "year": "Année du financement (ligne du financeur)"}
_LONG_HEADERS = {
    "funder": ("financeur", "financeurs", "organisme financeur", "nom du financeur"),
    "amount_requested": ("montant demande", "montant sollicite", "demande", "sollicite",
                         "subvention demandee", "montant de la demande"),
    "amount_approved": ("montant accorde", "montant attribue", "montant obtenu", "accorde",
                        "attribue", "montant", "subvention accordee", "montant vote"),
    "year": ("annee du financement", "annee financement", "annee de financement",
             "exercice du financement"),
}


def long_field(key: str) -> str | None:
    """A folded header of the long format → 'line:<part>'."""
    for part, headers in _LONG_HEADERS.items():
        if key in headers:
            return f"line:{part}"
    return None


def long_labels() -> dict[str, str]:
    return {f"line:{part}": label for part, label in LONG_PARTS.items()}


def is_long(mapping: dict) -> bool:
    return any(t and t.startswith("line:") for t in mapping.values())


_ACTION_FIELDS_KEY = ("reference", "title", "holder_name")


def _row_key(data: dict) -> tuple | None:
    ref = data.get("reference")
    if ref not in (None, ""):
        return ("ref", str(ref).strip())
    if data.get("title") in (None, ""):
        return None
    year = data.get("year_start") or _year_of(data.get("start_date"))
    return ("key", fold(str(data["title"])), fold(str(data.get("holder_name") or "")),
            str(year or ""))


def _year_of(value) -> int | None:  # noqa: ANN001
    from ..editing import parse_date
    try:
        d = parse_date(value)
    except ValueError:
        return None
    return d.year if d else None


def group_rows(rows: list[tuple[int, dict]]) -> list[tuple[list[int], dict, list[str]]]:
    """Long format: [(line, data of one row)] → [(lines, data of one action, problems)], the
    funding lines of its rows added up in file order. A value of the action that differs from
    one row to another is a problem (named with both lines); an empty cell takes the value of
    the other rows (a row without year joins the one action of that title and porteur)."""
    groups: dict[tuple, list] = {}
    out: list[list] = []
    for line, data in rows:
        key = _row_key(data)
        if key is not None and key[0] == "key" and not key[3]:
            same = [k for k in groups if k[:3] == key[:3]]
            key = same[0] if len(same) == 1 else key
        if key is None and out and not _names_an_action(data):
            group = out[-1]  # a continuation row: only its funder's cells are filled
        elif key is not None and key in groups:
            group = groups[key]
        else:
            group = [[], {k: v for k, v in data.items() if k != "funding"}, [], []]
            out.append(group)
            if key is not None:
                groups[key] = group
        group[0].append(line)
        group[3] += data.get("funding") or []
        _merge(group, line, data)
    return [(lines, {**data, "funding": funding}, problems)
            for lines, data, problems, funding in out]


def _names_an_action(data: dict) -> bool:
    return any(data.get(k) not in (None, "") for k in _ACTION_FIELDS_KEY)


def _merge(group: list, line: int, data: dict) -> None:
    from ..editing import FIELD_LABELS
    lines, merged, problems, _ = group
    for name, value in data.items():
        if name == "funding" or value in (None, ""):
            continue
        if merged.get(name) in (None, ""):
            merged[name] = value
        elif fold(str(merged[name])) != fold(str(value)):
            problems.append(f"{FIELD_LABELS.get(name, name)} différent(e) ligne {lines[0]} "
                            f"(« {merged[name]} ») et ligne {line} (« {value} »).")


# --- wide format: a bare funder word, from its cells ----------------------------------------------

_INSEE = re.compile(r"\d[\dAB]\d{3}")
_PLACE_HEADERS = ("commune", "communes")  # codes under these are places, never money


def money_columns(guesses: dict[str, str | None], table) -> dict[str, str | None]:  # noqa: ANN001
    """A column headed by a bare funder word that is also a field (« Ville », « Commune »,
    « État ») holds money when every filled cell is an amount and not every cell looks like an
    INSEE code (5 digits: money too under « Ville » when another column holds the communes):
    then it is that funder's approved amount."""
    from ..editing import parse_amount
    out = dict(guesses)
    for header, target in guesses.items():
        key = fold(str(header)).replace("_", " ")
        funder = funder_key(key)
        if funder is None or (target or "").startswith(("funding:", "group:", "line:")):
            continue
        cells = [c for c in table[header].tolist()
                 if c is not None and c == c and str(c).strip()]  # c == c: not NaN
        try:
            amounts = bool(cells) and all(parse_amount(c) is not None for c in cells)
        except ValueError:
            amounts = False
        codes = all(_INSEE.fullmatch(str(c).strip()) for c in cells)
        taken = [h for h, t in guesses.items() if h != header and t == target]
        if amounts and (not codes or (key not in _PLACE_HEADERS and (taken or target is None))):
            out[header] = f"funding:{funder}:approved"
    return out


# --- templates -----------------------------------------------------------------------------------

BASE_HEADERS = ("reference", "titre", "description", "porteur", "siret_porteur", "communes",
                "quartiers", "axes", "objectifs", "engagements", "statut", "annee_debut",
                "annee_fin",
                "date_debut", "date_fin", "public_cible", "beneficiaires_prevus",
                "beneficiaires_realises")
WIDE_FUNDERS = tuple(k for k in FUNDERS if k not in ("etat_adultes_relais", "etat_fonjep"))
LONG_HEADERS = ("financeur", "montant_demande", "montant_accorde", "annee_financement")
EXAMPLE_PREFIX = "EXEMPLE"
_EXAMPLE = {"reference": f"{EXAMPLE_PREFIX}-1", "titre": "Atelier santé ville (exemple)",
            "description": "Ligne d'exemple du modèle : remplacez-la par vos actions.",
            "porteur": "Association Les Abeilles", "siret_porteur": "",
            "communes": "94017", "quartiers": "Bois l'Abbé", "axes": "Axe 1",
            "objectifs": "", "engagements": "", "statut": "En cours", "annee_debut": "2022", "annee_fin": "2022",
            "date_debut": "01/09/2022", "date_fin": "30/06/2023",
            "public_cible": "Jeunes 16-25 ans", "beneficiaires_prevus": "120",
            "beneficiaires_realises": ""}
_EXAMPLE_MONEY = {"etat_p147": ("12 500", "10 000"), "commune": ("", "5 000")}


def template_rows(kind: str) -> list[list[str]]:
    """The template of `kind` ("large" or "long"): its headers, then one example row per line
    of the example (« EXEMPLE-1 », refused by the import until replaced)."""
    base = [_EXAMPLE[h] for h in BASE_HEADERS]
    if kind == "large":
        headers = list(BASE_HEADERS) + [f"financement_{k}" for k in WIDE_FUNDERS]
        return [headers, base + [_EXAMPLE_MONEY.get(k, ("", ""))[1] for k in WIDE_FUNDERS]]
    headers = list(BASE_HEADERS) + list(LONG_HEADERS)
    return [headers] + [base + [FUNDERS[k], asked, given, "2022"]
                        for k, (asked, given) in _EXAMPLE_MONEY.items()]
