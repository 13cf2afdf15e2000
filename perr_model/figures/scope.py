"""The scope every figure takes, and the one territory look-up.

`Scope(territory_id, year=None, commune_id=None, qpv_id=None)`: a territory, one year or all
years (None), optionally one commune or one quartier. Frozen and hashable, so the pages'
cache keys on it.

`resolve_territory(session, "Paris Est Marne & Bois")` accepts the name or the slug, whatever
the accents, case and punctuation; every command and page goes through it.

The frame of a year (`frame_of`, `in_frame`): a territory may hold successive referentials
(its PERR 2020–2023, its contrat de ville 2024–2030: `perr_model.frames`); the figures of a
year read the axes, objectives and commitments of that year's frame — the frame whose years
hold it, else the last one begun before it, else the first one; all years read every frame.
An axis or commitment without frame belongs to every year; a territory without frame reads
all its referential.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from ..errors import PerrError
from ..frames import Frame, frame_words
from ..schema import Commune, ReferentialFrame, Territory
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


# --- the frame of a year --------------------------------------------------------------------

def frame_id_for(territory_id: int, year: int):
    """Scalar SELECT: the id of the territory's frame for `year` (NULL without frame): the
    frame whose years hold it (the latest begun, when several do), else the last one begun
    before it, else the first one."""
    f = ReferentialFrame
    holds = and_(or_(f.year_start.is_(None), f.year_start <= year),
                 or_(f.year_end.is_(None), f.year_end >= year))
    rank = case((holds, 0), (f.year_start <= year, 1), else_=2)
    return (select(f.id).where(f.territory_id == territory_id)
            .order_by(rank, case((f.year_start > year, f.year_start),
                                 else_=-func.coalesce(f.year_start, 0)), f.id)
            .limit(1).scalar_subquery())


def in_frame(frame_column, territory_id: int, year: int | None):
    """Condition on an `Axis.frame_id` / `Commitment.frame_id` column: the row belongs to the
    frame of `year` (or to no frame); every row for all years."""
    if year is None:
        return true()
    return or_(frame_column.is_(None), frame_column == frame_id_for(territory_id, year))


def _frame(row) -> Frame:
    return Frame(row.id, row.territory_id, row.kind, row.label, row.year_start, row.year_end)


def frames_of(session: Session, territory_id: int) -> list[Frame]:
    """The territory's frames, in order of their years."""
    f = ReferentialFrame
    rows = session.scalars(select(f).where(f.territory_id == territory_id)
                           .order_by(func.coalesce(f.year_start, 0), f.id)).all()
    return [_frame(r) for r in rows]


def frame_of(session: Session, territory_id: int, year: int | None) -> Frame | None:
    """The frame the figures of `year` read (`frame_id_for`); None for all years or a
    territory without frame."""
    if year is None:
        return None
    row = session.scalars(select(ReferentialFrame).where(
        ReferentialFrame.id == frame_id_for(territory_id, year))).first()
    return None if row is None else _frame(row)


def frame_line(session: Session, scope: Scope) -> str:
    """What the pages and the COPIL document say near the year: « Cadre : PERR 2020–2023 »
    (with a word when the year lies outside the frame's years), for all years every frame;
    '' for a territory without frame."""
    if scope.year is None:
        return frame_words(frames_of(session, scope.territory_id), None)
    frame = frame_of(session, scope.territory_id, scope.year)
    if frame is None:
        return ""
    line = frame_words([frame], scope.year)
    outside = ((frame.year_start is not None and scope.year < frame.year_start)
               or (frame.year_end is not None and scope.year > frame.year_end))
    if outside:
        line += f" (aucun cadre saisi pour {scope.year} : celui-ci, le plus proche, est repris)"
    return line
