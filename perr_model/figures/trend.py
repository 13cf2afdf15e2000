"""Year over year: a year N against N-1, and, for all years, the trajectory year by year.

Built on the definitions of `definitions` (counted action, amount of a year) and on the same
figures as the headline (covered objectives and commitments, `money.funding_by_funder`,
`money.state_posts`), each read for N and for N-1:

- actions **new** (counted in N, not in N-1), **continued** (counted in both), **ended**
  (counted in N-1, not in N);
- operational objectives and commune commitments **newly covered** (a counted action in N,
  none in N-1) and **newly uncovered** (one in N-1, none in N);
- action funding per funder and State posts per funder, N-1 and N, the difference in € and in
  % (the % only when N-1 is above zero).

`year_over_year(scope)` is None for all years; `trajectory(territory)` gives then one row per
year the selectors offer (`places.action_years`), each against its previous year.
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..schema import Action, action_commitment
from . import money
from .coverage import scope_commitments
from .definitions import counted, on_counted
from .gaps import _objective_frame, commitments, objective_action_counts
from .places import action_years
from .registry import stored_figure
from .scope import Scope

MONEY_COLUMNS = ["kind", "funder", "label", "previous", "current", "difference", "percent"]
CHANGE_COLUMNS = ["kind", "change", "reference", "element"]
GAINED, LOST = "nouvellement couvert", "plus couvert"


def _state(session: Session, scope: Scope) -> dict:
    """What a year N-1 / N comparison reads of one year: counted actions, covered objectives
    and commitments (ids), action funding and State posts per funder (approved €)."""
    covered_commitments = on_counted(select(action_commitment.c.commitment_id),
                                     action_commitment.c.action_id, scope).where(
        action_commitment.c.commitment_id.in_(scope_commitments(scope)))
    funding, posts = money.funding_by_funder(session, scope), money.state_posts(session, scope)
    return {
        "actions": set(session.scalars(select(Action.id).where(*counted(scope))).all()),
        "objectives": {o for o, n in objective_action_counts(session, scope).items() if n},
        "commitments": set(session.scalars(covered_commitments).all()),
        "funding": _by_funder(funding, "approved"), "posts": _by_funder(posts, "amount"),
        "labels": {**dict(zip(funding["funder"], funding["label"])),
                   **dict(zip(posts["funder"], posts["label"]))},
    }


def _by_funder(df: pd.DataFrame, column: str) -> dict[str, float]:
    return {f: float(x) for f, x in zip(df["funder"], df[column])}


def change(previous: float, current: float) -> tuple[float, float | None]:
    """(difference in €, share of N-1 or None when N-1 is not above zero)."""
    diff = float(current) - float(previous)
    return diff, (diff / float(previous) if previous and previous > 0 else None)


def _money_rows(kind: str, total_label: str, before: dict, now: dict, labels: dict) -> list:
    funders = list(dict.fromkeys([*now, *before]))
    rows = [(kind, f, labels.get(f, f), before.get(f, 0.0), now.get(f, 0.0),
             *change(before.get(f, 0.0), now.get(f, 0.0))) for f in funders]
    prev, cur = sum(before.values()), sum(now.values())
    return rows + [(kind, "total", total_label, prev, cur, *change(prev, cur))]


def _counts(before: dict, now: dict) -> dict:
    return {"actions": len(now["actions"]), "actions_previous": len(before["actions"]),
            "actions_new": len(now["actions"] - before["actions"]),
            "actions_continued": len(now["actions"] & before["actions"]),
            "actions_ended": len(before["actions"] - now["actions"]),
            "objectives_gained": len(now["objectives"] - before["objectives"]),
            "objectives_lost": len(before["objectives"] - now["objectives"]),
            "commitments_gained": len(now["commitments"] - before["commitments"]),
            "commitments_lost": len(before["commitments"] - now["commitments"]),
            "funding_previous": sum(before["funding"].values()),
            "funding": sum(now["funding"].values()),
            "posts_previous": sum(before["posts"].values()), "posts": sum(now["posts"].values())}


def _changed_elements(session: Session, scope: Scope, before: dict, now: dict) -> pd.DataFrame:
    """The objectives and commitments whose coverage changed, by their references."""
    rows = []
    objectives = _objective_frame(session, scope.territory_id)
    for r in objectives.itertuples():
        for ids_in, ids_out, what in ((now, before, GAINED), (before, now, LOST)):
            if r.objective_id in ids_in["objectives"] and r.objective_id not in ids_out["objectives"]:
                rows.append(("objectif", what, r.reference, r.objective))
    for r in commitments(session, scope).itertuples():
        for ids_in, ids_out, what in ((now, before, GAINED), (before, now, LOST)):
            if (r.commitment_id in ids_in["commitments"]
                    and r.commitment_id not in ids_out["commitments"]):
                rows.append(("engagement", what, r.reference, f"{r.commune} : {r.engagement}"))
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


@stored_figure("scope")
def year_over_year(session: Session, scope: Scope) -> dict | None:
    """The scope's year N against N-1 (see the module docstring); None for all years.

    year, previous, the counts of `_counts` (actions, actions_previous, actions_new,
    actions_continued, actions_ended, objectives_gained/lost, commitments_gained/lost,
    funding_previous/funding, posts_previous/posts), funding_change and posts_change
    ((€, share or None)), money (MONEY_COLUMNS: per funder then a total, action funding
    "actions" and State posts "posts"), elements (CHANGE_COLUMNS: each objective or commitment
    newly covered or no longer covered)."""
    if scope.year is None:
        return None
    now = _state(session, scope)
    before = _state(session, replace(scope, year=scope.year - 1))
    out = {"year": scope.year, "previous": scope.year - 1, **_counts(before, now)}
    out["funding_change"] = change(out["funding_previous"], out["funding"])
    out["posts_change"] = change(out["posts_previous"], out["posts"])
    labels = {**before["labels"], **now["labels"]}
    out["money"] = pd.DataFrame(
        _money_rows("actions", "Financements des actions (total)", before["funding"],
                    now["funding"], labels)
        + _money_rows("posts", "Postes de l'État (total)", before["posts"], now["posts"],
                      labels), columns=MONEY_COLUMNS)
    out["elements"] = _changed_elements(session, scope, before, now)
    return out


TRAJECTORY_COLUMNS = ["year", "actions", "actions_new", "actions_continued", "actions_ended",
                      "objectives", "commitments", "funding", "posts"]


@stored_figure("territory")
def trajectory(session: Session, territory_id: int, commune_id: int | None = None
               ) -> pd.DataFrame:
    """One row per year offered (oldest first), each against its previous year: counted
    actions, new / continued / ended, objectives and commitments covered, action funding and
    State posts (€)."""
    years = sorted(action_years(session, territory_id))
    states: dict[int, dict] = {}

    def state(y: int) -> dict:
        if y not in states:
            states[y] = _state(session, Scope(territory_id, y, commune_id))
        return states[y]

    rows = []
    for y in years:
        c = _counts(state(y - 1), state(y))
        rows.append((y, c["actions"], c["actions_new"], c["actions_continued"],
                     c["actions_ended"], len(state(y)["objectives"]),
                     len(state(y)["commitments"]), c["funding"], c["posts"]))
    return pd.DataFrame(rows, columns=TRAJECTORY_COLUMNS)
