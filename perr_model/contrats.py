"""The two generations of contrats de ville, and the national list of each (embedded extracts).

- **2015** (contrats de ville 2015–2020, extended to 2023): ANCT codes `CVnnn`, one per EPCI
  or per commune; a commune of the database names its contract of this generation
  (`Commune.contrat_de_ville_id`, data/communes.csv).
- **2024** ("Engagements Quartiers 2030", 2024–2030): one contract per EPCI/EPT, codes
  `CNdddddX` (`CN09304M` Paris Terres d'Envol); overseas contracts keep a `CVnnn` code (the
  same code as their 2015 contract: a code names a contract only within its generation). Such
  a contract covers every commune of its territory.

A posts file row of year Y belongs to the contract of its code in the generation of Y
(`generation_of`). The national lists are the extracts `data/contrats/contrats-de-ville-<g>.json`
built by `python -m perr_model build-embedded` (provenance in data/sources.yaml): one row per
published feature (`code_cv`, `lib_cv`, `codgeo`, `insee_dep`); a contract spanning two
departments or signed by several collectivities has several rows.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# generation -> (first year, last year) of validity
GENERATIONS = {2015: (2015, 2023), 2024: (2024, 2030)}
# a contract given without generation (data/territories.yaml)
DEFAULT_GENERATION = 2015
# the generation whose contract each commune names (data/communes.csv); the contracts of the
# other generations cover their whole territory (one per EPCI/EPT)
COMMUNE_GENERATION = 2015
CODE = re.compile(r"(CV\d{3})+|CN\d{2}[0-9AB]\d{2}[A-Z]")


def generation_of(year: int) -> int:
    """The generation of contrats de ville in force in `year` (the latest started by then; the
    first one for earlier years)."""
    started = [g for g, (first, _) in GENERATIONS.items() if first <= year]
    return max(started) if started else min(GENERATIONS)


def period_label(generation: int) -> str:
    first, last = GENERATIONS[generation]
    return f"{first}–{last}"


def list_file(generation: int) -> str:
    return f"contrats/contrats-de-ville-{generation}.json"


@dataclass(frozen=True)
class NationalContract:
    code: str
    generation: int
    name: str            # lib_cv as published ("93 - Paris Terres d'Envol"); several joined by " / "
    collectivities: str  # codgeo: SIREN of the EPCI/EPT or INSEE code of the commune, comma-joined
    departments: str     # insee_dep, comma-joined


def merge_rows(rows: list[dict], generation: int) -> dict[str, NationalContract]:
    """The published rows of a national list, one contract per code (rows of the same code:
    names, collectivities and departments joined, in the order published, without repeats)."""
    parts: dict[str, list[dict]] = {}
    for r in rows:
        parts.setdefault(r["code_cv"], []).append(r)

    def joined(rs, key, sep):
        return sep.join(dict.fromkeys(str(r[key]) for r in rs if r.get(key)))

    return {code: NationalContract(code, generation, joined(rs, "lib_cv", " / "),
                                   joined(rs, "codgeo", ","), joined(rs, "insee_dep", ","))
            for code, rs in parts.items()}


@lru_cache(maxsize=8)
def _national(folder: str, generation: int) -> dict[str, NationalContract]:
    path = Path(folder) / list_file(generation)
    if not path.is_file():
        return {}
    return merge_rows(json.loads(path.read_text(encoding="utf-8")), generation)


def national_list(generation: int, folder: Path | None = None) -> dict[str, NationalContract]:
    """Code -> contract of the embedded national list of `generation` (empty if not shipped)."""
    if folder is None:
        from . import settings
        folder = Path(settings.get("PERR_DATA_DIR"))
    return _national(str(Path(folder).resolve()), generation)
