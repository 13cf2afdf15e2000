"""Issue 25, item 3: a loaded referential stays editable (perr_model/referential_edit.py).

On the embedded referential of Paris Terres d'Envol (operational objectives: its angles morts
are objectives), both backends. Expected values come from raw SQL, never from the figures."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from perr_model import referential_edit as edit, served
from perr_model.auth import Actor, actor_for
from perr_model.errors import ConcurrentEdit, PermissionDenied, ValidationFailed
from perr_model.figures import Scope, coverage, gaps, stored
from perr_model.schema import Commitment, Territory, UserAccount
from perr_model.store import Store, write_session
from store_support import wait_refreshed

LIVE_OBJECTIVES = """
    select oo.id from operational_objective oo
      join objective_group og on og.id = oo.group_id
      join strategic_objective so on so.id = og.strategic_objective_id
      join axis a on a.id = so.axis_id
     where a.territory_id = :t and not a.archived and not so.archived and not og.archived
       and not oo.archived"""
ANGLES_MORTS = f"""
    select count(*) from ({LIVE_OBJECTIVES}) live
     where not exists (select 1 from action_objective ao join action x on x.id = ao.action_id
                        where ao.objective_id = live.id and not x.archived
                          and x.territory_id = :t)"""


@pytest.fixture
def pte(loaded_url, rw_engine):
    engine = rw_engine(loaded_url)
    with Session(engine) as s:
        tid = s.scalars(select(Territory.id).where(Territory.slug == "paris-terres-d-envol")).one()
    return engine, tid


def sql(engine, query, **params):
    with engine.connect() as c:
        return c.execute(text(query), params).all()


def one(engine, query, **params):
    return sql(engine, query, **params)[0][0]


def objective_with_action(engine, tid):
    """(objective id, action id): a new action of the territory linked to an objective (the
    embedded Paris Terres d'Envol has no action)."""
    from perr_model import editing
    objective = one(engine, f"select min(id) from ({LIVE_OBJECTIVES}) live", t=tid)
    insee = one(engine, "select min(insee_code) from commune where territory_id = :t", t=tid)
    with write_session(engine) as s:
        action = editing.create_action(s, Actor.system(), {
            "title": "Atelier", "year_start": "2021", "communes": [insee],
            "objectives": [objective]}, territory_id=tid).id
    return objective, action


def uncovered_objective(engine, tid) -> int:
    return one(engine, f"""select min(live.id) from ({LIVE_OBJECTIVES}) live where not exists
        (select 1 from action_objective ao where ao.objective_id = live.id)""", t=tid)


def test_an_action_keeps_its_link_through_rename_renumber_archive(pte):
    engine, tid = pte
    oid, aid = objective_with_action(engine, tid)
    axis = one(engine, """select so.axis_id from operational_objective oo
        join objective_group og on og.id = oo.group_id
        join strategic_objective so on so.id = og.strategic_objective_id where oo.id = :o""", o=oid)
    link = "select count(*) from action_objective where action_id = :a and objective_id = :o"
    served = "select count(*) from action_axis_served where action_id = :a and axis_id = :x"
    admin = Actor.system("admin")
    with write_session(engine) as s:
        read = edit.state(s.get(edit.KINDS["operational_objective"].model, oid))
        edit.update_item(s, admin, "operational_objective", oid, {"text": "Objectif découpé"},
                         expected=read)
    assert one(engine, link, a=aid, o=oid) == 1
    with write_session(engine) as s:
        edit.update_item(s, admin, "operational_objective", oid, {"number": 42}, expected=None)
    assert one(engine, "select position from operational_objective where id = :o", o=oid) == 42
    assert one(engine, link, a=aid, o=oid) == 1
    with write_session(engine) as s:
        edit.set_item_archived(s, admin, "operational_objective", oid, True, expected=None)
    assert one(engine, "select archived from operational_objective where id = :o", o=oid)
    assert one(engine, link, a=aid, o=oid) == 1
    assert one(engine, served, a=aid, x=axis) == 1
    with write_session(engine) as s:   # and its rubrique archived, then brought back
        gid = one(engine, "select group_id from operational_objective where id = :o", o=oid)
        edit.set_item_archived(s, admin, "objective_group", gid, True, expected=None)
        edit.set_item_archived(s, admin, "objective_group", gid, False, expected=None)
    assert one(engine, link, a=aid, o=oid) == 1


def test_angles_morts_leave_with_an_archived_objective_or_rubrique(pte):
    engine, tid = pte
    scope = Scope(tid)
    before = one(engine, ANGLES_MORTS, t=tid)
    assert before > 0
    with Session(engine) as s:
        assert coverage.headline(s, scope)["angles_morts"] == before
        assert len(gaps.angles_morts(s, scope)) == before
    oid = uncovered_objective(engine, tid)
    store = Store(engine.url.render_as_string(hide_password=False), read_only=False)
    try:
        with store.write() as s:
            edit.set_item_archived(s, Actor.system(), "operational_objective", oid, True,
                                   expected=None)
        wait_refreshed(store.url)
        after = one(engine, ANGLES_MORTS, t=tid)
        assert after == before - 1
        total = one(engine, f"select count(*) from ({LIVE_OBJECTIVES}) live", t=tid)
        with Session(engine) as s:   # the stored figures, refreshed after the write
            assert stored.stored_at(s, coverage.headline, scope) == stored.current_version(s)
            headline = stored.read(s, coverage.headline, scope)
            assert headline["angles_morts"] == after
            assert headline["objectives_total"] == total
            gone = one(engine, "select text from operational_objective where id = :o", o=oid)
            assert gone not in set(gaps.angles_morts(s, scope)["element"])
            assert len(stored.read(s, gaps.angles_morts, scope)) == after
        # a whole rubrique: each of its live objectives without action leaves
        gid = one(engine, "select min(og.id) from objective_group og join strategic_objective so"
                          " on so.id = og.strategic_objective_id join axis a on a.id = so.axis_id"
                          " where a.territory_id = :t and not og.archived", t=tid)
        inside = one(engine, ANGLES_MORTS + " and live.id in (select id from "
                     "operational_objective where group_id = :g)", t=tid, g=gid)
        with store.write() as s:
            edit.set_item_archived(s, Actor.system(), "objective_group", gid, True,
                                   expected=None)
        assert one(engine, ANGLES_MORTS, t=tid) == after - inside
        with Session(engine) as s:
            assert coverage.headline(s, scope)["angles_morts"] == after - inside
        with store.write() as s:   # brought back: counted again
            edit.set_item_archived(s, Actor.system(), "objective_group", gid, False,
                                   expected=None)
            edit.set_item_archived(s, Actor.system(), "operational_objective", oid, False,
                                   expected=None)
        with Session(engine) as s:
            assert coverage.headline(s, scope)["angles_morts"] == before
        wait_refreshed(store.url)
    finally:
        store.dispose()


def test_an_archived_axis_leaves_the_axis_totals(pte):
    engine, tid = pte
    axis = one(engine, "select min(id) from axis where territory_id = :t", t=tid)
    with write_session(engine) as s:
        edit.set_item_archived(s, Actor.system(), "axis", axis, True, expected=None)
    live = one(engine, "select count(*) from axis where territory_id = :t and not archived",
               t=tid)
    with Session(engine) as s:
        headline = coverage.headline(s, Scope(tid))
        assert headline["axes_total"] == live
        assert axis not in set(coverage.axis_table(s, Scope(tid))["axis_id"])
        assert headline["angles_morts"] == one(engine, ANGLES_MORTS, t=tid)
        from perr_model.exports.referential import referential
        exported, = [t for t in referential(s)["territories"] if t["slug"]
                     == "paris-terres-d-envol"]
    flags = {a["id"]: a["archived"] for a in exported["axes"]}
    assert flags[axis] is True and not any(v for k, v in flags.items() if k != axis)


def test_history_and_restore_bring_back_the_old_text(pte):
    engine, tid = pte
    oid = uncovered_objective(engine, tid)
    original = one(engine, "select text from operational_objective where id = :o", o=oid)
    admin = Actor.system("admin")
    with write_session(engine) as s:
        edit.update_item(s, admin, "operational_objective", oid, {"text": "Premier essai"},
                         expected=None)
    with write_session(engine) as s:
        edit.update_item(s, admin, "operational_objective", oid, {"text": "Second essai"},
                         expected=None)
        edit.set_item_archived(s, admin, "operational_objective", oid, True, expected=None)
    with Session(engine) as s:
        table = edit.item_history(s, "operational_objective", oid)
    assert list(table["opération"]) == ["Archivage", "Modification", "Modification", "Import"]
    assert "Texte : Premier essai → Second essai" in table.iloc[1]["détail"]
    origin = int(table.iloc[-1]["id"])
    with write_session(engine) as s:
        edit.restore_version(s, admin, "operational_objective", oid, origin)
    assert sql(engine, "select text, archived from operational_objective where id = :o",
               o=oid)[0] == (original, False)
    last = sql(engine, "select operation from audit_log where entity = 'operational_objective' "
                       "and entity_id = :o order by id desc", o=oid)
    assert last[0][0] == "restore"


def test_a_second_editor_of_the_same_state_overwrites_nothing(pte):
    engine, tid = pte
    oid = uncovered_objective(engine, tid)
    with Session(engine) as s:
        read = edit.state(s.get(edit.KINDS["operational_objective"].model, oid))
    with write_session(engine) as s:
        edit.update_item(s, Actor.system("a"), "operational_objective", oid,
                         {"text": "Version de A"}, expected=read)
    with pytest.raises(ConcurrentEdit, match="rien n'a été écrasé"):
        with write_session(engine) as s:
            edit.update_item(s, Actor.system("b"), "operational_objective", oid,
                             {"text": "Version de B"}, expected=read)
    assert one(engine, "select text from operational_objective where id = :o",
               o=oid) == "Version de A"


def test_refusals_are_french_and_write_nothing(pte):
    engine, tid = pte
    oid = uncovered_objective(engine, tid)
    gid, pos = sql(engine, "select group_id, position from operational_objective where id = :o",
                   o=oid)[0]
    sibling = one(engine, "select min(position) from operational_objective where group_id = :g"
                          " and id <> :o", g=gid, o=oid)
    audit = "select count(*) from audit_log"
    n = one(engine, audit)
    for data, words in (({"number": sibling}, "déjà pris"), ({"text": "  "}, "obligatoire"),
                        ({"text": "a\x00b"}, "caractère invisible"),
                        ({"number": "deux"}, "nombre entier")):
        with pytest.raises(ValidationFailed, match=words):
            with write_session(engine) as s:
                edit.update_item(s, Actor.system(), "operational_objective", oid, data,
                                 expected=None)
    assert one(engine, "select position from operational_objective where id = :o", o=oid) == pos
    assert one(engine, audit) == n


def test_only_an_administrator_of_the_territory_edits(pte):
    engine, tid = pte
    oid = uncovered_objective(engine, tid)
    other = one(engine, "select id from territory where slug = 'paris-est-marne-et-bois'")
    with write_session(engine) as s:
        for name, role, territory in (("admin-autre", "admin", other),
                                      ("chef", "editor", tid), ("admin-pte", "admin", tid)):
            s.add(UserAccount(username=name, role=role, territory_id=territory, active=True))
    with Session(engine) as s:
        actors = {a.username: actor_for(a) for a in s.scalars(select(UserAccount))}
    for name in ("admin-autre", "chef"):
        with pytest.raises(PermissionDenied):
            with write_session(engine) as s:
                edit.update_item(s, actors[name], "operational_objective", oid,
                                 {"text": "Pas le mien"}, expected=None)
    with write_session(engine) as s:
        edit.update_item(s, actors["admin-pte"], "operational_objective", oid,
                         {"text": "Le mien"}, expected=None)
    assert one(engine, "select text from operational_objective where id = :o", o=oid) == "Le mien"


def test_added_items_take_the_next_number_and_count(pte):
    engine, tid = pte
    gid = one(engine, "select min(og.id) from objective_group og join strategic_objective so on "
                      "so.id = og.strategic_objective_id join axis a on a.id = so.axis_id "
                      "where a.territory_id = :t", t=tid)
    top = one(engine, "select max(position) from operational_objective where group_id = :g",
              g=gid)
    before = one(engine, ANGLES_MORTS, t=tid)
    with write_session(engine) as s:
        row = edit.add_item(s, Actor.system(), tid, "operational_objective",
                            {"parent_id": gid, "text": "Objectif ajouté"})
        new = row.id
    assert sql(engine, "select position, text, archived from operational_objective where id = :o",
               o=new)[0] == (top + 1, "Objectif ajouté", False)
    assert one(engine, ANGLES_MORTS, t=tid) == before + 1
    with Session(engine) as s:
        assert coverage.headline(s, Scope(tid))["angles_morts"] == before + 1
    commune = one(engine, "select min(id) from commune where territory_id = :t", t=tid)
    with write_session(engine) as s:
        c = edit.add_item(s, Actor.system(), tid, "commitment",
                          {"commune_id": commune, "theme": "Emploi", "text": "S'engager",
                           "number": "3"})
        cid = c.id
    assert sql(engine, "select commune_id, theme, number, position from commitment "
                       "where id = :c", c=cid)[0] == (commune, "Emploi", 3, 1)
    with pytest.raises(ValidationFailed, match="commune du territoire"):
        with write_session(engine) as s:
            pemb_commune = one(engine, "select min(c.id) from commune c join territory t on "
                                       "t.id = c.territory_id where t.slug like '%marne%'")
            edit.add_item(s, Actor.system(), tid, "commitment",
                          {"commune_id": pemb_commune, "theme": "x", "text": "y"})


def test_an_archived_engagement_is_no_longer_an_angle_mort(loaded_url, rw_engine):
    """Paris Est Marne & Bois: its angles morts are engagements without a counted action."""
    engine = rw_engine(loaded_url)
    tid = one(engine, "select id from territory where slug = 'paris-est-marne-et-bois'")
    query = """select count(*) from commitment c where c.territory_id = :t and not c.archived
        and not exists (select 1 from action_commitment ac join action x on x.id = ac.action_id
                         where ac.commitment_id = c.id and not x.archived)"""
    before = one(engine, query, t=tid)
    with Session(engine) as s:
        assert coverage.headline(s, Scope(tid))["angles_morts"] == before
    lonely = one(engine, """select min(c.id) from commitment c where c.territory_id = :t
        and not exists (select 1 from action_commitment ac where ac.commitment_id = c.id)""",
                 t=tid)
    linked, action = sql(engine, """select ac.commitment_id, ac.action_id from action_commitment
        ac join commitment c on c.id = ac.commitment_id where c.territory_id = :t
        order by 1, 2""", t=tid)[0]
    with write_session(engine) as s:
        edit.set_item_archived(s, Actor.system(), "commitment", lonely, True, expected=None)
        edit.set_item_archived(s, Actor.system(), "commitment", linked, True, expected=None)
    assert one(engine, query, t=tid) == before - 1
    total = one(engine, "select count(*) from commitment where territory_id = :t and not "
                        "archived", t=tid)
    with Session(engine) as s:
        headline = coverage.headline(s, Scope(tid))
        assert headline["angles_morts"] == before - 1
        assert headline["commitments_total"] == total
        assert len(gaps.angles_morts(s, Scope(tid))) == before - 1
    assert one(engine, "select count(*) from action_commitment where commitment_id = :c and "
                       "action_id = :a", c=linked, a=action) == 1


def test_the_action_form_says_which_objectives_and_engagements_are_archived(pte):
    """An archived objective (or one under an archived rubrique) and an archived engagement stay
    in the form's lists — an action linked to them keeps its link — marked « (archivé) »."""
    from perr_model import forms
    engine, tid = pte
    oid = uncovered_objective(engine, tid)
    gid, inside = sql(engine, "select og.id, min(oo.id) from objective_group og join "
                      "operational_objective oo on oo.group_id = og.id where og.id <> (select "
                      "group_id from operational_objective where id = :o) and og.strategic_"
                      "objective_id in (select so.id from strategic_objective so join axis a on "
                      "a.id = so.axis_id where a.territory_id = :t) group by og.id order by og.id",
                      o=oid, t=tid)[0]
    pemb = one(engine, "select id from territory where slug = 'paris-est-marne-et-bois'")
    cid = one(engine, "select min(id) from commitment where territory_id = :t", t=pemb)
    with write_session(engine) as s:
        edit.set_item_archived(s, Actor.system(), "operational_objective", oid, True,
                               expected=None)
        edit.set_item_archived(s, Actor.system(), "objective_group", gid, True, expected=None)
        edit.set_item_archived(s, Actor.system(), "commitment", cid, True, expected=None)
    archived = {oid, *(r[0] for r in sql(engine, "select id from operational_objective where "
                                          "group_id = :g", g=gid))}
    with Session(engine) as s:
        choices = forms.form_choices(s, Actor.system(), tid)
        engagements = forms.form_choices(s, Actor.system(), pemb)["commitments"]
        ref = served.commitment_ref(s.get(Commitment, cid))
    marked = {i for i, label in choices["objectives"].items() if label.endswith(" (archivé)")}
    assert marked == archived and inside in marked
    assert [r for r, label in engagements.items() if label.endswith(" (archivé)")] == [ref]
