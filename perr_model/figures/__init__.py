"""Every figure of the dashboard, the COPIL document and the exports, defined once.

- `scope`: `Scope` (territory, year or all years, commune, quartier) and the one territory
  look-up (`resolve_territory`);
- `definitions`: counted action, axis served, commune reached, quartier reached, amount of a
  year, angle mort; the definitions of the derived link tables;
- `coverage`: headline, axis table, axis × commune matrix, map metrics;
- `gaps`: angles morts, commune commitments, referential roll-up;
- `money`: action funding by funder, State posts (adultes-relais, FONJEP) — separate figures;
- `places`: territories, communes, quartier profile, datasets;
- `summary`: the one-minute sentence at the top of Couverture and of the COPIL document.

Labels and French formatting come from `perr_model.vocabulary`.
"""
from .scope import Scope, UnknownCommune, UnknownTerritory, parse_year, resolve_territory

__all__ = ["Scope", "UnknownCommune", "UnknownTerritory", "parse_year", "resolve_territory"]
