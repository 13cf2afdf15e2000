"""Successive frames of a territory's referential (issue 25, item 4): its PERR (2020–2023)
and its contrat de ville 2024–2030, each with its years and its own axes, objectives and
commitments (table `referential_frame`, migration 0014). The frame a year reads:
`figures.scope.frame_of`; the words the pages and the COPIL document say: `frame_words`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

PERR, CONTRAT_2024 = "perr", "contrat-2024"   # referential_frame.kind
PERIOD = re.compile(r"((?:19|20)\d{2})\s*[-–/]\s*((?:19|20)\d{2})")


def period_years(period: str | None) -> tuple[int | None, int | None]:
    """"2020-2023" -> (2020, 2023); no period stated -> (None, None)."""
    m = PERIOD.search(period or "")
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


@dataclass(frozen=True)
class Frame:
    id: int
    territory_id: int
    kind: str
    label: str
    year_start: int | None
    year_end: int | None

    def years(self) -> str:
        """'2020–2023', 'depuis 2024', "jusqu'en 2023", '' (no years stated)."""
        a, b = self.year_start, self.year_end
        if a is not None and b is not None:
            return f"{a}–{b}" if a != b else str(a)
        if a is not None:
            return f"depuis {a}"
        if b is not None:
            return f"jusqu'en {b}"
        return ""

    def words(self) -> str:
        """'PERR 2020–2023', 'Contrat de ville 2024–2030' (the label, then its years unless
        the label already gives them)."""
        years = self.years()
        text = self.label if not years or years in self.label.replace("-", "–") else (
            f"{self.label} {years}")
        return text[:1].upper() + text[1:]


def frame_words(frames: list[Frame], year: int | None) -> str:
    """The line shown near the year: « Cadre : PERR 2020–2023 », or for all years the frames
    in order (« Cadres : PERR 2020–2023, puis Contrat de ville 2024–2030 »); '' without frame."""
    if not frames:
        return ""
    if len(frames) == 1:
        return f"Cadre : {frames[0].words()}"
    return "Cadres : " + ", puis ".join(f.words() for f in frames)
