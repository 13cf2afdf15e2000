"""Saisir une action: create, edit, archive; the action's history; restore (administrators)."""
import pandas as pd
import streamlit as st

from perr_model import editing
from perr_model.errors import ConcurrentEdit, PerrError, ValidationFailed
from perr_model.history import action_history
from perr_model.schema import FUNDERS, Action
from perr_model.store import write_session
from perr_ui import auth, common
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

actor = auth.require_editor()
territory_id = common.current_territory_id()
st.title("Saisir une action")
st.caption(f"{md(actor.username, multiline=False)} — {auth.role_label(actor)}. Montants en euros, virgule décimale "
           "acceptée (1 234,50). Une action n'est jamais supprimée : on l'archive.")

with common.session() as s:
    options = editing.form_options(s, actor, territory_id)
    actions = {a.id: f"{a.reference} — {a.title}" + (" (archivée)" if a.archived else "")
               for a in editing.editable_actions(s, actor, territory_id)}
if "pending_choice" in st.session_state:  # open the action just created
    st.session_state.action_choice = st.session_state.pop("pending_choice")
choice = st.selectbox("Action", [0] + list(actions), format_func=lambda i: actions.get(
    i, "+ Nouvelle action"), key="action_choice")
with common.session() as s:
    action = s.get(Action, choice) if choice else None
    values = editing.snapshot(action) if action else {}
if st.session_state.get("opened") != choice:  # the version this editor started from
    st.session_state.opened, st.session_state.opened_version = choice, values.get("version")

if st.session_state.pop("flash", None):
    st.success("Action enregistrée.")
k = f"_{choice}"
with st.form(f"action{k}"):
    data = {"title": st.text_input("Titre *", values.get("title") or "", key="title" + k),
            "reference": st.text_input("Référence (vide : attribuée)",
                                       values.get("reference") or "", disabled=bool(action)),
            "holder_name": st.text_input("Porteur", values.get("holder_name") or ""),
            "holder_siret": st.text_input("SIRET du porteur", values.get("holder_siret") or ""),
            "description": st.text_area("Description", values.get("description") or "")}
    c1, c2, c3 = st.columns(3)
    data["status"] = c1.selectbox("Statut", list(editing.STATUS_LABELS), format_func=editing.
                                  STATUS_LABELS.get, index=list(editing.STATUS_LABELS).index(
                                      values.get("status") or "en_cours"))
    data["year_start"] = c2.text_input("Année de début *", str(values.get("year_start") or ""))
    data["year_end"] = c3.text_input("Année de fin", str(values.get("year_end") or ""))
    data["start_date"] = c2.date_input("Date de début", editing.parse_date(
        values.get("start_date")), format="DD/MM/YYYY")
    data["end_date"] = c3.date_input("Date de fin", editing.parse_date(values.get("end_date")),
                                     format="DD/MM/YYYY")
    data["communes"] = st.multiselect("Communes *", list(options["communes"]), [
        c for c in values.get("communes", []) if c in options["communes"]],
        format_func=options["communes"].get, placeholder="Choisir…")
    data["qpvs"] = st.multiselect("Quartiers (QPV)", list(options["qpvs"]), [
        q for q in values.get("qpvs", []) if q in options["qpvs"]],
        format_func=options["qpvs"].get, placeholder="Choisir…")
    data["axes"] = st.multiselect("Axes", list(options["axes"]), [
        a for a in values.get("axes", []) if a in options["axes"]],
        format_func=options["axes"].get, placeholder="Choisir…")
    data["target_public"] = st.text_input("Public cible", values.get("target_public") or "")
    c1, c2 = st.columns(2)
    data["beneficiaries_planned"] = c1.text_input("Bénéficiaires prévus", str(
        values.get("beneficiaries_planned") or ""))
    data["beneficiaries_achieved"] = c2.text_input("Bénéficiaires réalisés", str(
        values.get("beneficiaries_achieved") or ""))
    st.markdown("**Financements**")
    funding = st.data_editor(pd.DataFrame(values.get("funding") or [], columns=[
        "funder", "year", "amount_requested", "amount_approved"], dtype=object).map(
        lambda v: None if v is None else str(v)),
        num_rows="dynamic", hide_index=True, key="funding" + k, column_config={
            "funder": st.column_config.SelectboxColumn("Financeur", options=list(FUNDERS)),
            "year": st.column_config.TextColumn("Année"),
            "amount_requested": st.column_config.TextColumn("Demandé (€)"),
            "amount_approved": st.column_config.TextColumn("Accordé (€)")})
    saved = st.form_submit_button("Enregistrer", type="primary")

if saved:
    data["funding"] = [r for r in funding.to_dict("records") if r.get("funder")]
    if action:
        data.pop("reference")
    try:
        with write_session(common.write_engine()) as s:
            if action:
                result = editing.update_action(s, actor, action.id, data,
                                               expected_version=st.session_state.opened_version)
            else:
                result = editing.create_action(s, actor, data, territory_id=territory_id)
            saved_id, saved_version = result.id, result.version
    except ValidationFailed as exc:
        st.error("Enregistrement refusé :\n\n" + "\n".join(f"- {md(m, multiline=False)}"
                                                      for m in exc.problems.values()))
    except ConcurrentEdit as exc:
        st.error(md(str(exc)))
    except PerrError as exc:
        st.error(md(str(exc)))
    else:
        st.cache_data.clear()
        st.session_state.opened, st.session_state.opened_version = saved_id, saved_version
        st.session_state.flash = "Action enregistrée."
        st.session_state.pending_choice = saved_id
        st.rerun()

if action:
    label = "Désarchiver" if action.archived else "Archiver (retirer des tableaux)"
    if st.button(label, icon=":material/archive:"):
        try:
            with write_session(common.write_engine()) as s:
                editing.set_archived(s, actor, action.id, not action.archived,
                                     expected_version=st.session_state.opened_version)
        except PerrError as exc:
            st.error(md(str(exc)))
        else:
            st.session_state.opened = None
            st.cache_data.clear()
            st.rerun()
    st.subheader("Historique")
    with common.session() as s:
        hist = action_history(s, action.id)
    st.dataframe(hist.drop(columns="id"), hide_index=True, width="stretch")
    if actor.is_admin and len(hist) > 1:
        entry = st.selectbox("Revenir à l'état après la modification du", hist["id"],
                             format_func=lambda i: str(hist.set_index("id").loc[i, "date"])[:19])
        if st.button("Restaurer cette version", icon=":material/history:"):
            with write_session(common.write_engine()) as s:
                editing.restore_version(s, actor, action.id, int(entry))
            st.session_state.opened = None
            st.cache_data.clear()
            st.rerun()
