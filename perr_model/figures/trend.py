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

MONEY_COLUMNS = ["kind", "funder", "label", "previous", "current", "difference", "percent",
                 "previous_lines", "current_lines"]
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
        "funding_lines": _by_funder(funding, "lines"), "posts_lines": _by_funder(posts, "posts"),
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
    """Per funder then the total: N-1 and N (€), the change, and each year's lines."""
    amounts, lines = ("funding", "funding_lines") if kind == "actions" else ("posts", "posts_lines")
    b, n, bl, nl = before[amounts], now[amounts], before[lines], now[lines]
    rows = [(kind, f, labels.get(f, f), b.get(f, 0.0), n.get(f, 0.0),
             *change(b.get(f, 0.0), n.get(f, 0.0)), int(bl.get(f, 0)), int(nl.get(f, 0)))
            for f in dict.fromkeys([*n, *b])]
    prev, cur = sum(b.values()), sum(n.values())
    return rows + [(kind, "total", total_label, prev, cur, *change(prev, cur),
                    int(sum(bl.values())), int(sum(nl.values())))]


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
        _money_rows("actions", "Financements des actions (total)", before, now, labels)
        + _money_rows("posts", "Postes de l'État (total)", before, now, labels),
        columns=MONEY_COLUMNS)
    out["elements"] = _changed_elements(session, scope, before, now)
    return out


TRAJECTORY_COLUMNS = ["year", "actions", "actions_new", "actions_continued", "actions_ended",
                      "objectives", "commitments", "funding", "posts"]


TRAJECTORY_LABELS = {"year": "Année", "actions": "Actions", "actions_new": "Nouvelles",
                     "actions_continued": "Poursuivies", "actions_ended": "Terminées",
                     "objectives": "Objectifs couverts", "commitments": "Engagements avec action",
                     "funding": "Financements des actions", "posts": "Postes de l'État"}


def trajectory_columns(basis: str) -> dict[str, str]:
    """The trajectory's columns for a protocol of this basis (objectives or commitments)."""
    drop = "commitments" if basis == "objectives" else "objectives"
    return {k: x for k, x in TRAJECTORY_LABELS.items() if k != drop}


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


# --- the same words on the page and in the document ------------------------------------------

def actions_words(t: dict) -> str:
    """"Actions : 1 nouvelle, 2 poursuivies, 1 terminée (3 en 2021, 3 en 2022)."""
    from ..vocabulary import number, plural
    return (f"Actions : {plural(t['actions_new'], 'nouvelle')}, "
            f"{plural(t['actions_continued'], 'poursuivie')}, "
            f"{plural(t['actions_ended'], 'terminée')} ({number(t['actions_previous'])} en "
            f"{t['previous']}, {number(t['actions'])} en {t['year']}).")


def coverage_words(t: dict, basis: str) -> str:
    """"Engagements des communes : 1 nouvellement couvert, 0 sans action désormais." (the
    protocol's basis: operational objectives, else commitments)."""
    from ..vocabulary import plural
    key, what = (("objectives", "Objectifs opérationnels") if basis == "objectives"
                 else ("commitments", "Engagements des communes"))
    gained, lost = t[f"{key}_gained"], t[f"{key}_lost"]
    return (f"{what} : {plural(gained, 'nouvellement couvert', 'nouvellement couverts')}, "
            f"{plural(lost, 'sans action désormais', 'sans action désormais')}.")


def money_words(t: dict) -> pd.DataFrame:
    """The money of `year_over_year` as a person reads it: label, previous, current (a year
    without any line: "aucun saisi" / "aucun enregistré", not 0 €), difference (€, signed) and
    percent (signed; "sans objet" when N-1 is zero or neither year has a line)."""
    from ..vocabulary import euros, signed_euros, signed_percent
    rows = []
    for r in t["money"].itertuples():
        none = "aucun saisi" if r.kind == "actions" else "aucun enregistré"
        some = r.previous_lines or r.current_lines
        rows.append((r.label, euros(r.previous) if r.previous_lines else none,
                     euros(r.current) if r.current_lines else none,
                     signed_euros(r.difference) if some else "sans objet",
                     signed_percent(None if pd.isna(r.percent) else r.percent)))
    return pd.DataFrame(rows, columns=["label", "previous", "current", "difference", "percent"])
