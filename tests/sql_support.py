"""Expected figures in plain SQL, written for the tests (never taken from perr_model.figures):
the definitions of docs/ARCHITECTURE.md ("Where each figure is defined") spelt out by hand."""
from __future__ import annotations

from sqlalchemy import text

RUNS = "a.year_start <= {y} and coalesce(a.year_end, a.year_start) >= {y}"
REACHES = ("a.id in (select action_id from action_commune where commune_id = {c} union "
           "select aq.action_id from action_qpv aq join qpv_commune qc on qc.qpv_id = aq.qpv_id "
           "where qc.commune_id = {c})")
OBJECTIVES = ("select o.id, o.text from operational_objective o "
              "join objective_group g on g.id = o.group_id "
              "join strategic_objective so on so.id = g.strategic_objective_id "
              "join axis ax on ax.id = so.axis_id where ax.territory_id = :t")
SERVED = ("select axis_id, action_id from action_axis union "
          "select so.axis_id, ao.action_id from action_objective ao "
          "join operational_objective o on o.id = ao.objective_id "
          "join objective_group g on g.id = o.group_id "
          "join strategic_objective so on so.id = g.strategic_objective_id union "
          "select k.axis_id, ac.action_id from action_commitment ac "
          "join commitment k on k.id = ac.commitment_id where k.axis_id is not null")
REACHED = ("select commune_id, action_id from action_commune union "
           "select qc.commune_id, aq.action_id from action_qpv aq "
           "join qpv_commune qc on qc.qpv_id = aq.qpv_id")


def counted_sql(territory_id: int, year, commune_id=None) -> str:
    """"A counted action", on the alias `a`: not archived, of the territory, running during
    `year` (any year when None), reaching `commune_id` when given."""
    conds = [f"a.territory_id = {int(territory_id)}", "a.archived = false"]
    if year is not None:
        conds.append(RUNS.format(y=int(year)))
    if commune_id is not None:
        conds.append(REACHES.format(c=int(commune_id)))
    return " and ".join(conds)


def count_actions(conn, territory_id: int, year) -> int:
    return conn.execute(text(
        f"select count(*) from action a where {counted_sql(territory_id, year)}")).scalar()


def has_objectives(conn, territory_id: int) -> bool:
    return conn.execute(text(f"select count(*) from ({OBJECTIVES}) x"),
                        {"t": territory_id}).scalar() > 0


def dead_objectives(conn, territory_id: int, year) -> list[str]:
    return sorted(r[1] for r in conn.execute(text(
        f"select * from ({OBJECTIVES}) o where not exists (select 1 from action_objective ao "
        f"join action a on a.id = ao.action_id where ao.objective_id = o.id "
        f"and {counted_sql(territory_id, year)})"), {"t": territory_id}))


def commitment_coverage(conn, territory_id: int, year, commune_id=None) -> tuple[list[str], list[str]]:
    """(texts of the commitments with a counted action, of those without), sorted."""
    only = "" if commune_id is None else f" and k.commune_id = {int(commune_id)}"
    covered = (f"exists (select 1 from action_commitment ac join action a "
               f"on a.id = ac.action_id where ac.commitment_id = k.id "
               f"and {counted_sql(territory_id, year, commune_id)})")
    rows = conn.execute(text(f"select k.text, {covered} from commitment k "
                             f"where k.territory_id = :t{only}"), {"t": territory_id}).all()
    return (sorted(t for t, c in rows if c), sorted(t for t, c in rows if not c))


def action_amount(conn, territory_id: int, year) -> float:
    """Approved amounts of the counted actions' lines of `year` (a line without a year: its
    action's first year)."""
    of_year = "" if year is None else f" and coalesce(f.year, a.year_start) = {int(year)}"
    return float(conn.execute(text(
        "select coalesce(sum(f.amount_approved), 0) from funding_line f join action a "
        f"on a.id = f.action_id where {counted_sql(territory_id, year)}{of_year}")).scalar())


def state_posts(conn, territory_id: int, year) -> tuple[int, float]:
    """(lines, amount) of the State posts: lines without action, of the territory's contrats."""
    of_year = "" if year is None else f" and f.year = {int(year)}"
    n, amount = conn.execute(text(
        "select count(*), coalesce(sum(f.amount_approved), 0) from funding_line f "
        "join contrat_de_ville cv on cv.id = f.contrat_de_ville_id "
        f"where f.action_id is null and cv.territory_id = :t{of_year}"),
        {"t": territory_id}).one()
    return int(n), float(amount)


def axis_commune_counts(conn, territory_id: int, year) -> dict[str, list[int]]:
    """{commune name: [counted actions serving each axis (in axis order) and reaching it]},
    every commune of the territory."""
    cells = {(ax, cm): n for ax, cm, n in conn.execute(text(
        f"select s.axis_id, r.commune_id, count(distinct a.id) from ({SERVED}) s "
        f"join ({REACHED}) r on r.action_id = s.action_id join action a on a.id = s.action_id "
        f"where {counted_sql(territory_id, year)} group by s.axis_id, r.commune_id"))}
    axes = [r[0] for r in conn.execute(text(
        "select id from axis where territory_id = :t order by position"), {"t": territory_id})]
    return {name: [cells.get((ax, cid), 0) for ax in axes] for cid, name in conn.execute(text(
        "select id, name from commune where territory_id = :t"), {"t": territory_id})}


# "An action serves a quartier" (:q), spelt out by hand: the quartier's own actions (named in
# it, or carrying an engagement attached to it) and those of a commune of the quartier that name
# none of that commune's quartiers nor carry an engagement attached to one of them.
IN_QUARTIER = ("select action_id from action_qpv where qpv_id = :q union "
               "select ac.action_id from action_commitment ac join commitment_qpv cq "
               "on cq.commitment_id = ac.commitment_id where cq.qpv_id = :q")
WHOLE_COMMUNE = (
    "select am.action_id from action_commune am join qpv_commune mine "
    "on mine.commune_id = am.commune_id and mine.qpv_id = :q "
    "where am.action_id not in (" + IN_QUARTIER + ") and not exists ("
    "select 1 from qpv_commune other where other.commune_id = am.commune_id and ("
    "exists (select 1 from action_qpv x where x.action_id = am.action_id "
    "and x.qpv_id = other.qpv_id) or exists (select 1 from action_commitment y "
    "join commitment_qpv z on z.commitment_id = y.commitment_id "
    "where y.action_id = am.action_id and z.qpv_id = other.qpv_id)))")


def quartier_actions(url: str, territory_id: int, qpv_id: int, year=None) -> dict[str, set[str]]:
    """{"own": references, "commune": references} of the counted actions serving quartier `qpv_id`."""
    from sqlalchemy import create_engine
    engine = create_engine(url)
    out = {}
    with engine.connect() as conn:
        for key, ids in (("own", IN_QUARTIER), ("commune", WHOLE_COMMUNE)):
            out[key] = set(conn.execute(text(
                f"select a.reference from action a where {counted_sql(territory_id, year)} "
                f"and a.id in ({ids})"), {"q": qpv_id}).scalars())
    engine.dispose()
    return out
