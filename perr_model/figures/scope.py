"""The scope every figure takes, and the one territory look-up.

`Scope(territory_id, year=None, commune_id=None, qpv_id=None)`: a territory, one year or all
years (None), optionally one commune or one quartier. Frozen and hashable, so the pages'
cache keys on it.

`resolve_territory(session, "Paris Est Marne & Bois")` accepts the name or the slug, whatever
the accents, case and punctuation; every command and page goes through it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import PerrError
from ..schema import Commune, Territory
from ..textnorm import fold


class UnknownTerritory(PerrError):
    """No territory matches the name or slug given."""


class UnknownCommune(PerrError):
    """No commune of the territory matches the INSEE code or name given."""


@dataclass(frozen=True)
class Scope:
    territory_id: int
    year: int | None = None          # None: all years (undated actions included)
    commune_id: int | None = None
    qpv_id: int | None = None

    def all_years(self) -> "Scope":
        return replace(self, year=None)

    def whole_territory(self) -> "Scope":
        return replace(self, commune_id=None, qpv_id=None)


def find_territory(session: Session, name_or_slug: str) -> Territory | None:
    wanted = fold(str(name_or_slug))
    if not wanted:
        return None
    for t in session.scalars(select(Territory).order_by(Territory.id)).all():
        if wanted in (fold(t.slug), fold(t.name)):
            return t
    return None


def resolve_territory(session: Session, name_or_slug: str | int) -> Territory:
    """The territory named (name or slug, accents and case ignored) or of that id; a French
    error listing the known ones otherwise."""
    t = (session.get(Territory, name_or_slug) if isinstance(name_or_slug, int)
         else find_territory(session, name_or_slug))
    if t is None:
        names = ", ".join(session.scalars(select(Territory.name).order_by(Territory.name)).all())
        raise UnknownTerritory(f"Territoire inconnu : « {name_or_slug} » "
                               f"(connus : {names or 'aucun'}).")
    return t


def resolve_commune(session: Session, territory: Territory, ref: str) -> Commune:
    """A commune of the territory by INSEE code or name (accents and case ignored)."""
    ref = str(ref).strip()
    for c in session.scalars(select(Commune).where(Commune.territory_id == territory.id)):
        if ref == c.insee_code or fold(ref) == fold(c.name):
            return c
    raise UnknownCommune(f"Commune « {ref} » inconnue dans le territoire {territory.name}.")


def parse_year(value: str | int | None) -> int | None:
    """`2022`, or `toutes` (toutes les années) for every year."""
    if value is None or isinstance(value, int):
        return value
    if fold(str(value)) in ("toutes", "toutes les annees", "tout", ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise PerrError(f"Année invalide : « {value} » (une année comme 2022, ou « toutes »)."
                        ) from None


def commune_choices(session: Session, territory_id: int) -> list[tuple[str, str]]:
    """(INSEE code, name) of the territory's communes."""
    return [(c, n) for c, n in session.execute(
        select(Commune.insee_code, Commune.name).where(Commune.territory_id == territory_id)
        .order_by(Commune.name)).all()]
