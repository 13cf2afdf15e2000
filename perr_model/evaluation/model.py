"""Indicators: where they hang in the referential, their values, and the figures shown about them.

A node of the referential is written the same way in files and on screen ("rattachement"):

- `territoire`                      the territory as a whole (context figures);
- `axe 3`                           an axis (its number, or position);
- `objectif stratégique 1.1`        the n-th strategic objective of an axis;
- `objectif 1.2.3`                  an operational objective (axis.group.objective, as the
                                    Actions format numbers them);
- `engagement 94017-4-1`            a commune commitment: INSEE code, theme position, position
                                    within the theme (as the protocol actions' references).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..schema import (
    Axis, Commitment, Commune, Indicator, IndicatorValue, OperationalObjective,
    Qpv, StrategicObjective, Territory,
)
from ..textnorm import fold

KIND_LABELS = {"reference": "référence", "cible": "cible", "mesure": "mesure"}
NOT_AGGREGABLE = ("{label} : valeur non additionnable ({unit}) ; elle n'est pas agrégée, "
                  "aucune moyenne n'est calculée sans les effectifs.")


# --- nodes ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    kind: str
    axis_id: int | None = None
    strategic_objective_id: int | None = None
    objective_id: int | None = None
    commitment_id: int | None = None
    commune_id: int | None = None   # the commitment's commune

    def columns(self) -> dict:
        return {"node_kind": self.kind, "axis_id": self.axis_id,
                "strategic_objective_id": self.strategic_objective_id,
                "objective_id": self.objective_id, "commitment_id": self.commitment_id}


def parse_node(session: Session, territory_id: int, text: str | None) -> Node:
    """Node of `territory_id` written as `text` (see module docstring); ValueError in French."""
    raw = (text or "").strip()
    key = fold(raw)
    if key in ("", "territoire", "territoire entier", "ept"):
        return Node("territory")
    m = re.fullmatch(r"axe (\d+)", key)
    if m:
        axis = _axis(session, territory_id, int(m.group(1)))
        return Node("axis", axis_id=axis.id)
    m = re.fullmatch(r"objectif strategique (\d+) (\d+)", key)
    if m:
        axis = _axis(session, territory_id, int(m.group(1)))
        so = next((s for s in axis.strategic_objectives if s.position == int(m.group(2))), None)
        if so is None:
            raise ValueError(f"objectif stratégique inconnu : « {raw} »")
        return Node("strategic_objective", axis_id=axis.id, strategic_objective_id=so.id)
    m = re.fullmatch(r"objectif (?:operationnel )?(\d+) (\d+) (\d+)", key)
    if m:
        a, g, o = (int(x) for x in m.groups())
        axis = _axis(session, territory_id, a)
        for so in axis.strategic_objectives:
            for grp in so.groups:
                if (grp.number or grp.position) == g:
                    obj = next((x for x in grp.objectives if x.position == o), None)
                    if obj is not None:
                        return Node("operational_objective", axis_id=axis.id,
                                    strategic_objective_id=so.id, objective_id=obj.id)
        raise ValueError(f"objectif opérationnel inconnu : « {raw} » (axe.groupe.objectif)")
    m = re.fullmatch(r"engagement (\d[0-9ab]\d{3}) (\d+) (\d+)", key)
    if m:
        insee, theme, pos = m.group(1).upper(), int(m.group(2)), int(m.group(3))
        c = session.execute(
            select(Commitment).join(Commune, Commune.id == Commitment.commune_id).where(
                Commitment.territory_id == territory_id, Commune.insee_code == insee,
                Commitment.theme_position == theme, Commitment.position == pos)).scalar_one_or_none()
        if c is None:
            raise ValueError(f"engagement inconnu : « {raw} » (code INSEE-thème-position)")
        return Node("commitment", axis_id=c.axis_id, commitment_id=c.id, commune_id=c.commune_id)
    raise ValueError(f"rattachement illisible : « {raw} » (attendus : territoire, axe 2, "
                     "objectif stratégique 2.1, objectif 2.1.3, engagement 94017-4-1)")


def _axis(session: Session, territory_id: int, number: int) -> Axis:
    axes = session.scalars(select(Axis).where(Axis.territory_id == territory_id)).all()
    axis = next((a for a in axes if (a.number or a.position) == number), None)
    if axis is None:
        raise ValueError(f"axe {number} inconnu pour ce territoire")
    return axis


def node_text(session: Session, ind: Indicator) -> str:
    """The `rattachement` of an indicator, in the file format."""
    if ind.node_kind == "axis":
        a = session.get(Axis, ind.axis_id)
        return f"axe {a.number or a.position}"
    if ind.node_kind == "strategic_objective":
        so = session.get(StrategicObjective, ind.strategic_objective_id)
        return f"objectif stratégique {so.axis.number or so.axis.position}.{so.position}"
    if ind.node_kind == "operational_objective":
        o = session.get(OperationalObjective, ind.objective_id)
        g = o.group
        a = g.strategic_objective.axis
        return f"objectif {a.number or a.position}.{g.number or g.position}.{o.position}"
    if ind.node_kind == "commitment":
        c = session.get(Commitment, ind.commitment_id)
        return f"engagement {c.commune.insee_code}-{c.theme_position}-{c.position}"
    return "territoire"


def node_title(session: Session, ind: Indicator) -> str:
    """Readable name of the node ("Engagement 4.1 de Champigny-sur-Marne : Améliorer …")."""
    if ind.node_kind == "axis":
        a = session.get(Axis, ind.axis_id)
        return f"Axe {a.number or a.position} – {a.short_title or a.title}"
    if ind.node_kind == "strategic_objective":
        so = session.get(StrategicObjective, ind.strategic_objective_id)
        return f"Objectif stratégique : {so.text}"
    if ind.node_kind == "operational_objective":
        return f"Objectif opérationnel : {session.get(OperationalObjective, ind.objective_id).text}"
    if ind.node_kind == "commitment":
        c = session.get(Commitment, ind.commitment_id)
        return f"Engagement de {c.commune.name} ({c.theme}) : {c.text}"
    return "Territoire"


# --- numbers ----------------------------------------------------------------------------------

def parse_number(value) -> float | None:  # noqa: ANN001
    """'22,5', '1 090', '30 000', '22.5 %', 1090 → float; '' → None; ValueError in French."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _finite(float(value), value)
    text = re.sub(r"[\s\u00a0\u202f€%]", "", str(value)).replace("\u2212", "-")
    if not text:
        return None
    if "," in text and "." in text:
        thousands = "." if text.rfind(",") > text.rfind(".") else ","
        text = text.replace(thousands, "")
    text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"« {value} » n'est pas un nombre (exemples : 22,5 ou 1 090)") from None
    return _finite(number, value)


def _finite(number: float, typed) -> float:  # noqa: ANN001
    """NaN and infinity are not figures (SQLite would store NULL, a page « inf »)."""
    if not math.isfinite(number):
        raise ValueError(f"« {typed} » n'est pas un nombre fini (exemples : 22,5 ou 1 090)")
    return number


def fr_value(value: float | None, unit: str = "") -> str:
    """22,5 %, 1 090 €, 14 points, 200 demandeurs d'emploi."""
    from ..vocabulary import number
    if value is None:
        return "aucune valeur"
    decimals = 0 if float(value).is_integer() else (1 if round(value, 1) == value else 2)
    text = number(value, decimals)
    if not unit:
        return text
    return f"{text}\u00a0{unit}" if unit not in ("%",) else f"{text}\u00a0%"


def gap_unit(unit: str) -> str:
    """Unit of a difference: a difference of rates is in points."""
    return "points" if unit.strip() in ("%", "points", "point") else unit


# --- reading ----------------------------------------------------------------------------------

def places(session: Session, territory_id: int) -> dict:
    """Communes and quartiers of a territory, for the page's filters."""
    communes = session.scalars(select(Commune).where(Commune.territory_id == territory_id)
                               .order_by(Commune.name)).all()
    quartiers: dict[int, dict] = {}
    for c in communes:
        for q in c.qpvs:
            quartiers.setdefault(q.id, {"id": q.id, "name": q.name, "communes": []})
            quartiers[q.id]["communes"].append(c.id)
    return {"communes": [{"id": c.id, "name": c.name} for c in communes],
            "quartiers": sorted(quartiers.values(), key=lambda q: fold(q["name"]))}


def indicators(session: Session, territory_id: int, commune_id: int | None = None,
               qpv_id: int | None = None) -> pd.DataFrame:
    """One row per indicator of the territory with its figures: baseline, latest, target and
    the gap in words. `commune_id`: that commune's indicators only (its quartiers' included);
    `qpv_id`: that quartier's only."""
    q = select(Indicator).where(Indicator.territory_id == territory_id)
    if qpv_id is not None:
        q = q.where(Indicator.qpv_id == qpv_id)
    elif commune_id is not None:
        q = q.where(Indicator.commune_id == commune_id)
    rows = []
    for ind in session.scalars(q.order_by(Indicator.id)).all():
        rows.append(summary(session, ind))
    columns = ["id", "axis_id", "axis", "axis_position", "node", "node_title", "commune",
               "quartier", "label", "unit", "direction", "aggregation", "baseline", "latest",
               "target", "words", "series", "values", "sources"]
    df = pd.DataFrame(rows, columns=columns)
    if len(df):
        df = df.sort_values(["axis_position", "id"], na_position="first", kind="stable")
    return df.reset_index(drop=True)


def _value_dict(v: IndicatorValue) -> dict:
    return {"id": v.id, "kind": v.kind, "year": v.year, "value": v.value,
            "approximate": bool(v.approximate), "quoted": v.quoted, "source": v.source,
            "source_place": v.source_place, "version": v.version}


def summary(session: Session, ind: Indicator) -> dict:
    values = [_value_dict(v) for v in ind.values]
    measures = sorted([v for v in values if v["kind"] == "mesure" and v["year"] is not None],
                      key=lambda v: v["year"])
    undated = [v for v in values if v["kind"] == "mesure" and v["year"] is None]
    refs = sorted([v for v in values if v["kind"] == "reference"], key=lambda v: v["year"] or 0)
    targets = sorted([v for v in values if v["kind"] == "cible"], key=lambda v: v["year"] or 0)
    baseline = refs[0] if refs else (measures[0] if len(measures) > 1 else None)
    latest = measures[-1] if measures else (undated[-1] if undated else None)
    target = targets[-1] if targets else None
    axis = session.get(Axis, ind.axis_id) if ind.axis_id else None
    commune = session.get(Commune, ind.commune_id) if ind.commune_id else None
    qpv = session.get(Qpv, ind.qpv_id) if ind.qpv_id else None
    sources = []
    for v in values:
        s = " – ".join(x for x in (v["source"], v["source_place"]) if x)
        if s and s not in sources:
            sources.append(s)
    return {
        "id": ind.id, "axis_id": ind.axis_id,
        "axis": f"Axe {axis.number or axis.position} – {axis.short_title or axis.title}"
        if axis else None,
        "axis_position": axis.position if axis else None,
        "node": node_text(session, ind), "node_title": node_title(session, ind),
        "commune": commune.name if commune else None, "quartier": qpv.name if qpv else None,
        "label": ind.label, "unit": ind.unit, "direction": ind.direction,
        "aggregation": ind.aggregation, "baseline": baseline, "latest": latest, "target": target,
        "words": gap_words(ind.unit, ind.direction, baseline, latest, target),
        "series": [(v["year"], v["value"]) for v in measures], "values": values,
        "sources": sources}


def gap_words(unit: str, direction: str | None, baseline: dict | None, latest: dict | None,
              target: dict | None) -> str:
    """'+3 points depuis 2000 (évolution défavorable) · objectif 2023 : 12 points (reste 5
    points)'. Without a target, nothing is said about one."""
    parts = []
    if baseline and latest and baseline is not latest and baseline["year"] and latest["year"] \
            and latest["year"] > baseline["year"]:
        delta = latest["value"] - baseline["value"]
        sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
        text = f"{sign}{fr_value(abs(delta), gap_unit(unit))} depuis {baseline['year']}"
        if delta and direction in ("hausse", "baisse"):
            good = (delta > 0) == (direction == "hausse")
            text += " (évolution favorable)" if good else " (évolution défavorable)"
        if baseline["approximate"] or latest["approximate"]:
            text += ", à partir de valeurs approximatives"
        parts.append(text)
    if target:
        when = f"objectif {target['year']}" if target["year"] else "objectif"
        text = f"{when} : {fr_value(target['value'], unit)}"
        if latest:
            rest = target["value"] - latest["value"]
            text += (" (atteint)" if (direction == "baisse" and rest >= 0) or
                     (direction == "hausse" and rest <= 0) or rest == 0
                     else f" (écart restant : {fr_value(abs(rest), gap_unit(unit))})")
        parts.append(text)
    return " · ".join(parts)


def value_text(v: dict | None, unit: str) -> str:
    """'environ 200 demandeurs d'emploi (2019)'; '–' when there is no value."""
    if v is None:
        return "–"
    text = fr_value(v["value"], unit)
    if v["approximate"]:
        text = f"environ {text}"
    return text + (f" ({v['year']})" if v["year"] else " (année non précisée)")


# --- roll-up to the commune and the territory ---------------------------------------------------

def rollup(session: Session, territory_id: int, commune_id: int | None = None) -> pd.DataFrame:
    """Values of quartier-level indicators rolled up to their commune, and of commune-level ones
    to the territory, per (node, label, unit, year, kind): sums when the indicator adds up
    (`aggregation` "somme"), otherwise a French note saying why it is not aggregated.

    Columns: level ("commune"/"territoire"), place, label, unit, kind, year, value (None when
    not aggregable), parts (places with a value), places (places with the indicator),
    approximate, note. `parts`: places with a value; `places`: quartiers of the commune, or
    communes of the territory. `commune_id`: only that commune's roll-up."""
    inds = session.scalars(select(Indicator).where(Indicator.territory_id == territory_id)).all()
    groups: dict[tuple, list[Indicator]] = {}
    for ind in inds:
        node = (ind.node_kind, ind.axis_id, ind.strategic_objective_id, ind.objective_id,
                ind.commitment_id, fold(ind.label), ind.unit)
        if ind.qpv_id is not None and ind.commune_id is not None:
            groups.setdefault(("commune", ind.commune_id) + node, []).append(ind)
        elif ind.qpv_id is None and ind.commune_id is not None and commune_id is None:
            groups.setdefault(("territoire", None) + node, []).append(ind)
    rows = []
    n_communes = len(session.scalars(select(Commune.id).where(
        Commune.territory_id == territory_id)).all())
    for key, members in groups.items():
        level, place_id = key[0], key[1]
        if commune_id is not None and (level != "commune" or place_id != commune_id):
            continue
        first = members[0]
        if level == "commune":
            commune = session.get(Commune, place_id)
            place, n_places, what = commune.name, len(commune.qpvs), "quartier(s)"
        else:
            place, n_places, what = (session.get(Territory, territory_id).name, n_communes,
                                     "commune(s)")
        if first.aggregation != "somme":
            # said once per indicator, and only where someone could be tempted to combine:
            # several places, or a quartier's figure read as its commune's
            if len(members) >= 2 or level == "commune":
                rows.append({"level": level, "place": place, "label": first.label,
                             "unit": first.unit, "kind": "mesure", "year": None, "value": None,
                             "parts": len(members), "places": n_places,
                             "approximate": False,
                             "note": NOT_AGGREGABLE.format(label=first.label, unit=first.unit)})
            continue
        by_year: dict[tuple, list[IndicatorValue]] = {}
        for ind in members:
            for v in ind.values:
                by_year.setdefault((v.kind, v.year), []).append(v)
        for (kind, year), vals in sorted(by_year.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
            if kind == "cible":
                continue  # targets of parts do not make a target of the whole
            add = first.aggregation == "somme"
            if add:
                note = ("" if len(vals) >= n_places else
                        f"somme partielle : {len(vals)} {what} renseigné(s) sur {n_places}, "
                        f"ce n'est pas le total de {place}")
            else:
                note = NOT_AGGREGABLE.format(label=first.label, unit=first.unit)
            rows.append({
                "level": level, "place": place, "label": first.label, "unit": first.unit,
                "kind": kind, "year": year,
                "value": sum(v.value for v in vals) if add else None,
                "parts": len(vals), "places": n_places,
                "approximate": any(v.approximate for v in vals), "note": note})
    df = pd.DataFrame(rows, columns=["level", "place", "label", "unit", "kind", "year", "value",
                                     "parts", "places", "approximate", "note"])
    return df.astype(object).where(df.notna(), None)  # no value: None, never NaN
