"""Which figures `figures.stored.refresh` keeps: each function that defines one says so itself,
above its definition, with `@stored_figure(per, *variants)`. This module imports nothing of the
package, so a figure module (or `evaluation.progress`) registers without knowing the store,
and the store never names a figure.

`per` says which calls are stored (the session first, then):
- "once":           fn(session, *extra)
- "territory":      fn(session, territory_id, *extra), for every territory
- "territory_year": fn(session, territory_id, year, *extra), every territory × year and all years
- "scope":          fn(session, Scope(territory_id, year), *extra), likewise
- "axis":           fn(session, Scope(territory_id, year), axis_id, *extra), for every axis of
                    the territory, computed by a batch for all axes at once: decorate the batch,
                    `batch(session, scope, *extra) -> {axis_id: value}`, with `batch_of=fn` and
                    the value of an axis it leaves out (`absent`)
Each variant is one `extra` (none: `()`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

PER = ("once", "territory", "territory_year", "scope", "axis")


@dataclass(frozen=True)
class Published:
    fn: Callable                     # the definition: the rows are stored under its name
    per: str
    extra: tuple
    batch: Callable | None = None    # per "axis": every axis at once
    absent: Any = None               # per "axis": the value of an axis the batch leaves out


REGISTRY: list[Published] = []


def stored_figure(per: str, *variants: tuple, batch_of: Callable | None = None,
                  absent: Any = None) -> Callable[[Callable], Callable]:
    """Register the decorated function's figures for storage; returns it unchanged."""
    if per not in PER or (per == "axis") != (batch_of is not None):
        raise ValueError(per)

    def register(fn: Callable) -> Callable:
        for extra in variants or ((),):
            REGISTRY.append(Published(batch_of or fn, per, tuple(extra),
                                      fn if batch_of else None, absent))
        return fn
    return register


def published(per: str) -> list[Published]:
    return [p for p in REGISTRY if p.per == per]
