"""A territory's referential filled from a spreadsheet template (issue 25, item 3).

One row per item, headers in French (`COLUMNS`):

| niveau | numéro | texte | parent | commune | thème |
|---|---|---|---|---|---|
| axe | 1 | Emploi et insertion | | | |
| objectif stratégique | 1 | Faciliter l'accès à l'emploi | 1 (its axis) | | |
| rubrique | 2 | Mieux informer les publics | 1.1 (axis.strategic objective) | | |
| objectif opérationnel | 3 | Décliner le PAQTE | 1.2 (axis.rubrique) | | |
| engagement | 1 | Consolider l'accompagnement | 1 (its axis, optional) | 94017 | Réussite éducative |

So an operational objective is « 1.2.3 » as everywhere in the product (axe.rubrique.objectif);
rubrique numbers are unique within their axis. Rows may come in any order. Read through the
bounded reader (importers/tabular.py) and the import rule of exports/safe.py (control
characters and formulas without a value refuse their row); every row is checked first, each
refusal names its line in French (unknown level or parent, number missing or taken twice,
commune not of the territory, …), and the referential is written in the caller's one
transaction, or not at all. The territory's referential must be empty (no axis, no
engagement): an existing one is corrected on the page « Modifier le référentiel »
(perr_model/referential_edit.py). `dry_run`: everything checked, nothing written.

A territory whose PERR is loaded can also receive its next frame (issue 25, item 4: its
contrat de ville 2024–2030) from the same template: `frame=` ("contrat-2024") and its `years`
("2024-2030") make a new frame (`referential_frame`) holding the file's axes and engagements;
the pages and the COPIL document then read, for each year, the frame of that year
(`figures.scope.frame_of`). Refused when a frame of those years exists already, or when the
loaded referential belongs to no frame (it would be read every year, beside the new one).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import history, referential_edit
from ..auth import Actor
from ..errors import ImportRefused, PerrError
from ..exports import safe
from ..figures.scope import resolve_territory
from ..frames import CONTRAT_2024, period_years
from ..schema import (
    Axis, Commitment, Commune, ObjectiveGroup, OperationalObjective, ReferentialFrame,
    StrategicObjective, Territory,
)

FRAME_LABELS = {CONTRAT_2024: "Contrat de ville"}   # the frames a sheet may add
from ..textnorm import fold
from . import tabular

COLUMNS = ["niveau", "numéro", "texte", "parent", "commune", "thème"]
LEVELS = {"axe": "axis", "objectif strategique": "strategic_objective",
          "rubrique": "objective_group", "objectif operationnel": "operational_objective",
          "engagement": "commitment"}
LEVEL_WORDS = {"axis": ("axe", "axes"),
               "strategic_objective": ("objectif stratégique", "objectifs stratégiques"),
               "objective_group": ("rubrique", "rubriques"),
               "operational_objective": ("objectif opérationnel", "objectifs opérationnels"),
               "commitment": ("engagement", "engagements")}
MAX_PROBLEMS = 200


def template(session: Session, territory_id: int | None = None) -> pd.DataFrame:
    """The template: the columns, and one filled example row per level (the engagement's
    commune: the territory's first, by name)."""
    commune = None
    if territory_id is not None:
        commune = session.scalar(select(Commune.insee_code).where(
            Commune.territory_id == territory_id).order_by(Commune.name).limit(1))
    rows = [
        ["axe", 1, "Insertion et développement économique", "", "", ""],
        ["objectif stratégique", 1, "Faciliter l'accès à l'emploi des habitants des quartiers",
         "1", "", ""],
        ["rubrique", 1, "Mieux informer les publics et coordonner les acteurs", "1.1", "", ""],
        ["objectif opérationnel", 1, "Développer des structures d'insertion de proximité",
         "1.1", "", ""],
        ["engagement", 1, "Consolider l'accompagnement à la scolarité", "1", commune or "",
         "Réussite éducative"],
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


@dataclass
class Report:
    territory: str
    counts: dict = field(default_factory=dict)
    dry_run: bool = False
    warnings: list = field(default_factory=list)

    def lines(self) -> list[str]:
        parts = [f"{n} {LEVEL_WORDS[k][0 if n == 1 else 1]}" for k, n in self.counts.items()]
        head = (f"Référentiel de {self.territory} {'vérifié' if self.dry_run else 'importé'} : "
                + (", ".join(parts) or "aucun élément") + ".")
        out = [head] + list(self.warnings)
        if self.dry_run:
            out.append("Essai : rien n'a été écrit. Relancez sans essai pour enregistrer.")
        return out


@dataclass
class _Row:
    line: int
    kind: str
    number: int | None
    text: str
    parent: str
    commune: Commune | None = None
    theme: str | None = None
    key: str = ""


def _cell(value) -> str:  # noqa: ANN001
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return safe.import_text(str(value)) if isinstance(value, str) else str(value)


def _ref(text: str) -> str:
    """'1.2', '1,2', ' 1 . 2 ' → '1.2'; 'Axe 1' → '1'."""
    text = fold(text.replace(",", ".")) if text else ""
    text = text.replace("axe", "").replace(" ", ".")
    parts = [p for p in text.split(".") if p]
    return ".".join(str(int(p)) if p.isdigit() else p for p in parts)


def read_rows(session: Session, territory: Territory, sheet: tabular.Sheet) -> list[_Row]:
    """Every row checked; ImportRefused listing every refusal (line by line) otherwise."""
    header = {fold(h): i for i, h in enumerate(sheet.header) if h}
    index = {c: header.get(fold(c)) for c in COLUMNS}
    missing = [c for c in ("niveau", "numéro", "texte", "parent") if index[c] is None]
    if missing:
        raise ImportRefused("Colonnes manquantes : " + ", ".join(f"« {c} »" for c in missing)
                            + ". Partez du modèle (colonnes : " + ", ".join(COLUMNS) + ").")
    communes = list(session.scalars(select(Commune).where(Commune.territory_id == territory.id)))
    problems: list[str] = []
    rows: list[_Row] = []
    for n, cells in enumerate(sheet.rows, start=2):
        raw = {c: (cells[i] if i is not None and i < len(cells) else None)
               for c, i in index.items()}
        if all(v is None or str(v).strip() == "" for v in raw.values()):
            continue
        why = tabular.formula_refusal(raw) or safe.control_refusal(raw)
        if why:
            problems.append(f"Ligne {n} : {why}.")
            continue
        get = {c: _cell(v) for c, v in raw.items()}
        kind = LEVELS.get(fold(get["niveau"]))
        if kind is None:
            problems.append(f"Ligne {n} : niveau « {get['niveau']} » inconnu (attendus : axe, "
                            "objectif stratégique, rubrique, objectif opérationnel, engagement).")
            continue
        word = LEVEL_WORDS[kind][0]
        line_problems: dict = {}
        text = referential_edit.clean_text(referential_edit.KINDS[kind], get["texte"],
                                           line_problems)
        number = referential_edit.clean_number(get["numéro"], line_problems,
                                               required=kind != "commitment")
        row = _Row(n, kind, number, text or "", _ref(get["parent"]))
        if kind == "commitment":
            ref = get["commune"].strip()
            row.commune = next((c for c in communes if ref in (c.insee_code,)
                                or fold(ref) == fold(c.name)), None) if ref else None
            if row.commune is None:
                line_problems["commune"] = (f"commune « {ref} » hors du territoire"
                                            if ref else "commune manquante (code INSEE ou nom)")
            row.theme = " ".join(get["thème"].split()) or None
            if row.theme is None:
                line_problems["theme"] = "thème manquant"
        elif kind != "axis" and not row.parent:
            line_problems["parent"] = f"parent manquant pour un {word}" if kind != \
                "objective_group" else "parent manquant pour une rubrique"
        for why in line_problems.values():
            problems.append(f"Ligne {n} ({word}) : {why[0].lower() + why[1:]}".rstrip(".") + ".")
        if not line_problems:
            rows.append(row)
    problems += _check_tree(rows)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        raise ImportRefused(
            f"Référentiel refusé : {len(problems)} problème(s), rien n'a été écrit."
            + (f" ({more} autres non listés.)" if more > 0 else ""), shown)
    if not rows:
        raise ImportRefused("Le fichier ne contient aucune ligne à importer.")
    return rows


def _check_tree(rows: list[_Row]) -> list[str]:
    """Keys (axe '1', objectif stratégique '1.1', rubrique '1.2' by axis, objectif '1.2.3'),
    numbers taken twice, parents unknown."""
    problems: list[str] = []
    keys: dict[tuple[str, str], _Row] = {}
    axis_of_so: dict[str, str] = {}

    def claim(row: _Row, kind: str, key: str, what: str) -> None:
        other = keys.get((kind, key))
        if other is not None:
            problems.append(f"Ligne {row.line} : {what} {key} en double (déjà ligne {other.line}).")
        else:
            keys[(kind, key)] = row
            row.key = key
    order = ("axis", "strategic_objective", "objective_group", "operational_objective",
             "commitment")
    for kind in order:
        for row in (r for r in rows if r.kind == kind):
            if kind == "axis":
                claim(row, kind, str(row.number), "axe")
            elif kind == "strategic_objective":
                if ("axis", row.parent) not in keys:
                    problems.append(f"Ligne {row.line} : axe parent « {row.parent} » inconnu "
                                    "(aucune ligne « axe » de ce numéro).")
                    continue
                claim(row, kind, f"{row.parent}.{row.number}", "objectif stratégique")
                axis_of_so[row.key] = row.parent
            elif kind == "objective_group":
                if ("strategic_objective", row.parent) not in keys:
                    problems.append(f"Ligne {row.line} : objectif stratégique parent "
                                    f"« {row.parent} » inconnu (attendu : axe.objectif, "
                                    "par exemple 1.1).")
                    continue
                claim(row, kind, f"{axis_of_so[row.parent]}.{row.number}", "rubrique")
            elif kind == "operational_objective":
                if ("objective_group", row.parent) not in keys:
                    problems.append(f"Ligne {row.line} : rubrique parente « {row.parent} » "
                                    "inconnue (attendu : axe.rubrique, par exemple 1.2).")
                    continue
                claim(row, kind, f"{row.parent}.{row.number}", "objectif opérationnel")
            else:
                if row.parent and ("axis", row.parent) not in keys:
                    problems.append(f"Ligne {row.line} : axe « {row.parent} » de l'engagement "
                                    "inconnu (aucune ligne « axe » de ce numéro).")
                    continue
                if row.number is not None:
                    claim(row, kind, f"{row.commune.insee_code} {fold(row.theme)} {row.number}",
                          "engagement n°")
    return problems


def _empty_or_refuse(session: Session, territory: Territory) -> None:
    axes = session.scalar(select(func.count(Axis.id)).where(Axis.territory_id == territory.id))
    com = session.scalar(select(func.count(Commitment.id))
                         .where(Commitment.territory_id == territory.id))
    if axes or com:
        raise ImportRefused(
            f"Le référentiel de {territory.name} n'est pas vide ({axes} axe(s), {com} "
            "engagement(s)) : rien n'a été écrit. Corrigez-le depuis la page « Modifier le "
            "référentiel », qui garde les liens des actions.")


def _new_frame_or_refuse(session: Session, territory: Territory, frame: str,
                         years: str | None) -> tuple[int, int]:
    """The years of a new frame of `territory`, or ImportRefused (French)."""
    if frame not in FRAME_LABELS:
        raise ImportRefused(f"Cadre inconnu : « {frame} » (attendu : "
                            + ", ".join(f"« {k} »" for k in FRAME_LABELS) + ").")
    start, end = period_years(years)
    if start is None or end < start:
        raise ImportRefused("Indiquez les années du nouveau cadre, par exemple « 2024-2030 ».")
    loose = session.scalar(select(func.count(Axis.id)).where(
        Axis.territory_id == territory.id, Axis.frame_id.is_(None))) + session.scalar(
        select(func.count(Commitment.id)).where(Commitment.territory_id == territory.id,
                                                Commitment.frame_id.is_(None)))
    if loose:
        raise ImportRefused(
            f"Le référentiel déjà chargé de {territory.name} n'appartient à aucun cadre "
            f"({loose} axe(s) ou engagement(s)) : il serait lu chaque année, à côté du nouveau. "
            "Rien n'a été écrit.")
    clash = session.scalars(select(ReferentialFrame.label).where(
        ReferentialFrame.territory_id == territory.id,
        func.coalesce(ReferentialFrame.year_start, 0) <= end,
        func.coalesce(ReferentialFrame.year_end, 9999) >= start)).first()
    if clash is not None:
        raise ImportRefused(f"Le cadre « {clash} » de {territory.name} couvre déjà des années "
                            f"de {start}-{end} : rien n'a été écrit.")
    return start, end


def import_sheet(session: Session, actor: Actor, data: bytes, filename: str, *,
                 territory: str | int, dry_run: bool = False, frame: str | None = None,
                 years: str | None = None) -> Report:
    """Check everything, then (unless `dry_run`) write the referential in `session`'s
    transaction. ImportRefused (French, row by row) and nothing written otherwise. `frame`
    and `years`: the file is a new frame of the territory (see the module docstring)."""
    t = resolve_territory(session, territory)
    try:
        referential_edit.check_admin(session, actor, t.id)
    except PerrError as exc:
        raise ImportRefused(str(exc)) from None
    span = None
    if frame is None:
        _empty_or_refuse(session, t)
    else:
        span = _new_frame_or_refuse(session, t, frame, years)
    sheet = tabular.read_sheet(data, filename)
    rows = read_rows(session, t, sheet)
    report = Report(t.name, dry_run=dry_run, warnings=list(sheet.warnings))
    for kind in LEVEL_WORDS:
        n = sum(1 for r in rows if r.kind == kind)
        if n:
            report.counts[kind] = n
    if span is not None:
        report.warnings.insert(0, f"Nouveau cadre : {FRAME_LABELS[frame]} {span[0]}–{span[1]}.")
    if dry_run:
        return report
    frame_id = None
    if span is not None:
        new = ReferentialFrame(territory_id=t.id, kind=frame, label=FRAME_LABELS[frame],
                               year_start=span[0], year_end=span[1])
        session.add(new)
        session.flush()
        frame_id = new.id
    _write(session, actor, t, rows, frame_id)
    return report


def _write(session: Session, actor: Actor, t: Territory, rows: list[_Row],
           frame_id: int | None = None) -> None:
    made: dict[tuple[str, str], object] = {}
    # a new frame's axes come after the territory's others (positions are unique in it)
    after = session.scalar(select(func.max(Axis.position)).where(Axis.territory_id == t.id)) or 0
    by_kind = {k: sorted((r for r in rows if r.kind == k), key=lambda r: (r.parent, r.number or 0,
                                                                          r.line))
               for k in LEVEL_WORDS}
    for i, r in enumerate(sorted(by_kind["axis"], key=lambda r: r.number), start=after + 1):
        made[("axis", r.key)] = Axis(territory_id=t.id, number=r.number, position=i,
                                     title=r.text, archived=False, frame_id=frame_id)
    for r in by_kind["strategic_objective"]:
        made[("strategic_objective", r.key)] = StrategicObjective(
            axis=made[("axis", r.parent)], position=r.number, text=r.text, archived=False)
    groups_per_so: dict[str, int] = {}
    for r in by_kind["objective_group"]:
        groups_per_so[r.parent] = groups_per_so.get(r.parent, 0) + 1
        made[("objective_group", r.key)] = ObjectiveGroup(
            strategic_objective=made[("strategic_objective", r.parent)], number=r.number,
            position=groups_per_so[r.parent], title=r.text, archived=False)
    for r in by_kind["operational_objective"]:
        made[("operational_objective", r.key)] = OperationalObjective(
            group=made[("objective_group", r.parent)], position=r.number, text=r.text,
            archived=False)
    themes: dict[tuple[int, str], int] = {}
    positions: dict[tuple[int, int], int] = {}
    for r in sorted(by_kind["commitment"], key=lambda r: r.line):  # the file's order
        commune_themes = [k for k in themes if k[0] == r.commune.id]
        tkey = (r.commune.id, fold(r.theme))
        if tkey not in themes:
            themes[tkey] = len(commune_themes) + 1
        tpos = themes[tkey]
        positions[(r.commune.id, tpos)] = positions.get((r.commune.id, tpos), 0) + 1
        axis = made.get(("axis", r.parent)) if r.parent else None
        made[("commitment", str(r.line))] = Commitment(
            territory_id=t.id, commune_id=r.commune.id, theme=r.theme, theme_position=tpos,
            number=r.number, position=positions[(r.commune.id, tpos)], text=r.text,
            axis=axis, archived=False, frame_id=frame_id)
    for row in made.values():
        session.add(row)
    session.flush()
    for (kind, _), row in made.items():
        history.record(session, actor, "import", kind, row.id,
                       f"{referential_edit.reference(row)} importé d'un tableur", None,
                       referential_edit.state(row))
