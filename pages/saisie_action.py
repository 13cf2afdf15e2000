"""Saisir une action: create, edit, archive; the action's history; restore (administrators).

The page reads through perr_model.forms / editing / history only (no query of its own)."""
import pandas as pd
import streamlit as st

from perr_model import editing, forms
from perr_model.errors import ConcurrentEdit, DatabaseUnavailable, PerrError, ValidationFailed
from perr_model.history import action_history
from perr_model.schema import FUNDERS
from perr_model.textnorm import fold
from perr_model.vocabulary import amount_text, fr_timestamp
from perr_ui import auth, common, tables
from perr_ui.frame import require_app_frame
from perr_ui.text import md

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

actor = auth.require_editor()
territory_id = common.current_territory_id()
st.title("Saisir une action")
st.caption(f"{md(actor.username, multiline=False)} — {auth.role_label(actor)}. Montants en euros, virgule décimale "
           "acceptée (1 234,50). Une action n'est jamais supprimée : on l'archive.")



def _form_context() -> tuple:
    with common.session() as s:
        return (forms.form_choices(s, actor, territory_id),
                {a.id: a.label for a in forms.action_choices(s, actor, territory_id)},
                forms.read_only_notice(s, actor, territory_id))


def _values(choice: int) -> dict:
    with common.session() as s:
        return (forms.action_values(s, actor, choice) if choice else None) or {}


# A confirmation stays asked (st.session_state.confirm) until answered or dismissed, so that
# the dialog's own buttons are seen by whichever run follows their click.
def _close_confirm() -> None:
    st.session_state.pop("confirm", None)


@st.dialog("Confirmer", on_dismiss=_close_confirm)
def confirm_archive(action_id: int, title: str, archive: bool) -> None:
    if archive:
        st.write(f"Archiver l'action « {md(title, multiline=False)} » ? Elle sort de tous les tableaux, cartes et "
                 "documents, mais reste dans l'historique ; on peut la désarchiver ensuite.")
    else:
        st.write(f"Désarchiver l'action « {md(title, multiline=False)} » ? Elle revient dans les tableaux, cartes et "
                 "documents.")
    c1, c2 = st.columns(2)
    if c1.button("Archiver" if archive else "Désarchiver", type="primary", key="confirm_yes"):
        _close_confirm()
        try:
            with common.write() as s:
                editing.set_archived(s, actor, action_id, archive,
                                     expected_version=st.session_state.opened_version)
        except PerrError as exc:
            st.error(md(str(exc)))
            return
        st.session_state.opened = None
        st.session_state[auth.EDIT_REQUEST_KEY] = action_id
        st.session_state.flash = (
            f"Action « {md(title, multiline=False)} » archivée : elle n'apparaît plus dans les tableaux." if archive
            else f"Action « {md(title, multiline=False)} » désarchivée : elle apparaît de nouveau dans les tableaux.")
        st.rerun()
    if c2.button("Annuler", key="confirm_no"):
        _close_confirm()
        st.rerun()


@st.dialog("Confirmer la restauration", on_dismiss=_close_confirm)
def confirm_restore(action_id: int, title: str, entry: int, when: str) -> None:
    st.write(f"Remettre l'action « {md(title, multiline=False)} » dans l'état où elle était après la modification "
             f"du {when} ? La version actuelle reste dans l'historique.")
    c1, c2 = st.columns(2)
    if c1.button("Restaurer", type="primary", key="restore_yes"):
        _close_confirm()
        try:
            with common.write() as s:
                editing.restore_version(s, actor, action_id, entry)
        except PerrError as exc:
            st.error(md(str(exc)))
            return
        st.session_state.opened = None
        st.session_state[auth.EDIT_REQUEST_KEY] = action_id
        st.session_state.flash = f"Action « {md(title, multiline=False)} » restaurée à son état du {when}."
        st.rerun()
    if c2.button("Annuler", key="restore_no"):
        _close_confirm()
        st.rerun()


def _rerun_editor() -> None:
    """After a save: run the editor again (its fragment only, when the click ran it alone: the
    sidebar and the rest of the app are not rebuilt), to show the saved state."""
    from streamlit.errors import StreamlitAPIException
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:  # a full run of the page (first display, a test's run)
        st.rerun()


LONG_LIST = 300  # more actions than this: the list is searched, not scrolled


@st.cache_data(max_entries=8, show_spinner=False)
def _folded(labels: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(fold(label) for label in labels)


def _offered(actions: dict[int, str]) -> list[int]:
    """The actions the selector lists: all of them, or for a territory with more than
    LONG_LIST (an administrator's list can hold thousands), those whose reference or title
    holds the words typed in « Chercher une action », at most LONG_LIST, the chosen one always
    among them. Sending thousands of options at every run made each save seconds longer."""
    ids = list(actions)
    if len(ids) <= LONG_LIST:
        return ids
    words = fold(st.text_input("Chercher une action", key="action_search",
                               placeholder="Référence ou mots du titre…",
                               help=f"{len(ids)} actions : la liste montre les {LONG_LIST} "
                                    "premières qui contiennent ces mots.")).split()
    found = ids if not words else [i for i, label in zip(ids, _folded(tuple(actions.values())))
                                   if all(w in label for w in words)]
    shown = found[:LONG_LIST]
    chosen = st.session_state.get("action_choice")
    if chosen in actions and chosen not in shown:
        shown.insert(0, chosen)
    st.caption(f"{len(found)} action(s) sur {len(ids)} contiennent ces mots" if words
               else f"{len(ids)} actions" + (f" : les {LONG_LIST} premières sont listées, "
                                              "cherchez les autres" if len(found) > LONG_LIST
                                              else ""))
    return shown


@st.fragment
def editor() -> None:
    """The chosen action's form, its archiving and its history: a fragment, so that saving
    redraws this part of the page only (issue 27: a save in the time of a click)."""
    # Read again at every run; when the base does not answer, what the last run read: the form is
    # drawn again and keeps what was typed (common.remembered).
    options, actions, notice = common.remembered(f"_saisie_context_{territory_id}", _form_context)
    if notice:
        st.info(notice, icon=":material/lock:")
    if auth.EDIT_REQUEST_KEY in st.session_state:  # "Modifier" on an action, or the one just saved
        wanted = st.session_state.pop(auth.EDIT_REQUEST_KEY)
        if wanted in actions:
            st.session_state.action_choice = wanted
    choice = st.selectbox("Action", [0] + _offered(actions), format_func=lambda i: actions.get(
        i, "+ Nouvelle action"), key="action_choice")
    values = common.remembered(f"_saisie_values_{choice}", lambda: _values(choice), warn=False)
    action_id = values.get("id")
    if st.session_state.get("opened") != choice:  # the version this editor started from
        st.session_state.opened, st.session_state.opened_version = choice, values.get("version")

    flash = st.session_state.pop("flash", None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    k = f"_{choice}"
    DATE_HELP = "Au format JJ/MM/AAAA, par exemple 01/09/2022 ; vide si elle n'est pas connue."
    with st.form(f"action{k}", enter_to_submit=False):  # Enter never saves: only the button
        data = {"title": st.text_input("Titre *", values.get("title") or "", key="title" + k),
                "reference": st.text_input("Référence (vide : attribuée)",
                                           values.get("reference") or "", disabled=bool(action_id)),
                "holder_name": st.text_input("Porteur", values.get("holder_name") or ""),
                "holder_siret": st.text_input("SIRET du porteur", values.get("holder_siret") or ""),
                "description": st.text_area("Description", values.get("description") or "")}
        c1, c2, c3 = st.columns(3)
        # an action whose status nobody gave (the protocol's): « non renseigné » until chosen
        statuses = ([None] if action_id and values.get("status") is None else []) + list(
            editing.STATUS_LABELS)
        status = c1.selectbox("Statut", statuses, format_func=lambda k: editing.STATUS_LABELS.get(
            k, "Statut non renseigné"), index=statuses.index(values.get("status") or (
                None if None in statuses else "en_cours")))
        if status is not None:
            data["status"] = status
        undated = bool(action_id) and values.get("year_start") is None
        data["year_start"] = c2.text_input(
            "Année de début" + ("" if undated else " *"), str(values.get("year_start") or ""),
            help=("Action non datée (protocole) : l'année peut rester vide." if undated else
                  "Obligatoire, y compris en modification."))
        data["year_end"] = c3.text_input("Année de fin", str(values.get("year_end") or ""))
        data["start_date"] = c2.date_input("Date de début", editing.parse_date(
            values.get("start_date")), format="DD/MM/YYYY", help=DATE_HELP)
        data["end_date"] = c3.date_input("Date de fin", editing.parse_date(values.get("end_date")),
                                         format="DD/MM/YYYY", help=DATE_HELP)
        data["communes"] = st.multiselect("Communes *", list(options["communes"]), [
            c for c in values.get("communes", []) if c in options["communes"]],
            format_func=options["communes"].get, placeholder="Choisir…")
        data["qpvs"] = st.multiselect("Quartiers (QPV)", list(options["qpvs"]), [
            q for q in values.get("qpvs", []) if q in options["qpvs"]],
            format_func=options["qpvs"].get, placeholder="Choisir…")
        data["axes"] = st.multiselect("Axes", list(options["axes"]), [
            a for a in values.get("axes", []) if a in options["axes"]],
            format_func=options["axes"].get, placeholder="Choisir par numéro (Axe 2)…")
        if options["objectives"]:  # a protocol without operational objectives has engagements
            data["objectives"] = st.multiselect(
                "Objectifs opérationnels", list(options["objectives"]), [
                    o for o in values.get("objectives", []) if o in options["objectives"]],
                format_func=options["objectives"].get, placeholder="Choisir par numéro (2.1.3)…",
                help="Numérotés axe.objectif stratégique.objectif opérationnel, comme le référentiel.")
        if options["commitments"]:  # communes whose protocol lists engagements
            data["commitments"] = st.multiselect(
                "Engagements des communes servis", list(options["commitments"]), [
                    c for c in values.get("commitments", []) if c in options["commitments"]],
                format_func=options["commitments"].get,
                # typed words or a reference match as typed (a fuzzy match of E-94017-4-2 also
                # found E-94017-5-4 … Axe 2, and Enter then picked « select both »)
                filter_mode="contains", select_all=False,
                placeholder="Choisir par commune, axe, mots ou référence (E-94017-1-3)…",
                help="Les engagements pris par vos communes dans le protocole, classés par commune, "
                     "axe et thème. Seuls ceux des communes de l'action sont acceptés. Une action "
                     "qui en sert un le retire des angles morts.")
        data["target_public"] = st.text_input("Public cible", values.get("target_public") or "")
        c1, c2 = st.columns(2)
        data["beneficiaries_planned"] = c1.text_input("Bénéficiaires prévus", str(
            values.get("beneficiaries_planned") or ""))
        data["beneficiaries_achieved"] = c2.text_input("Bénéficiaires réalisés", str(
            values.get("beneficiaries_achieved") or ""))
        st.markdown("**Financements**")
        funding = st.data_editor(pd.DataFrame(
            [[f, "" if y is None else str(y), amount_text(r), amount_text(a)]  # « 12 500,50 »
             for f, y, r, a in values.get("funding") or []],
            columns=["funder", "year", "amount_requested", "amount_approved"], dtype=object),
            num_rows="dynamic", hide_index=True, key="funding" + k, column_config={
                "funder": st.column_config.SelectboxColumn(
                    "Financeur", options=list(FUNDERS), format_func=FUNDERS.get),
                "year": st.column_config.TextColumn("Année"),
                "amount_requested": st.column_config.TextColumn("Demandé (€)"),
                "amount_approved": st.column_config.TextColumn("Accordé (€)")})
        saved = st.form_submit_button("Enregistrer", type="primary")

    if saved:
        data["funding"] = [r for r in funding.to_dict("records") if r.get("funder")]
        if action_id:
            data.pop("reference")
        try:
            with common.write() as s:
                if action_id:
                    result = editing.update_action(s, actor, action_id, data,
                                                   expected_version=st.session_state.opened_version)
                else:
                    result = editing.create_action(s, actor, data, territory_id=territory_id)
                saved_id, saved_version = result.id, result.version
        except ValidationFailed as exc:
            st.error("Enregistrement refusé :\n\n" + "\n".join(f"- {md(m, multiline=False)}"
                                                          for m in exc.problems.values()))
        except ConcurrentEdit as exc:
            st.error(md(str(exc)))
        except DatabaseUnavailable as exc:
            st.error(md(str(exc)) + " Votre saisie est conservée dans le formulaire : cliquez de "
                     "nouveau sur « Enregistrer » quand la base répondra.")
        except PerrError as exc:
            st.error(md(str(exc)))
        else:
            st.session_state.opened, st.session_state.opened_version = saved_id, saved_version
            st.session_state.flash = "Action enregistrée."
            st.session_state[auth.EDIT_REQUEST_KEY] = saved_id
            _rerun_editor()

    if action_id:
        archived = values.get("archived")
        if archived:
            st.warning("Cette action est archivée : elle n'apparaît dans aucun tableau.",
                       icon=":material/inventory_2:")
        label = "Désarchiver…" if archived else "Archiver (retirer des tableaux)…"
        if st.button(label, icon=":material/unarchive:" if archived else ":material/archive:"):
            st.session_state.confirm = ("archive", action_id, not archived)
        if st.session_state.get("confirm", (None, None))[:2] == ("archive", action_id):
            confirm_archive(action_id, values.get("title") or "", st.session_state.confirm[2])
        st.subheader("Historique")

        def _history() -> pd.DataFrame:
            with common.session() as s:
                return action_history(s, action_id)
        hist = common.remembered(f"_saisie_history_{action_id}", _history, warn=False)
        dates = {int(r.id): fr_timestamp(pd.Timestamp(r.date).to_pydatetime())
                 for r in hist.itertuples()}
        tables.table(hist.assign(date=[dates[int(i)] for i in hist["id"]]),
                     {c: c.capitalize() for c in hist.columns if c != "id"},
                     title="date", caption="Historique de l'action (la plus récente en premier)")
        if actor.is_admin and len(hist) > 1:
            entry = st.selectbox("Revenir à l'état après la modification du", list(dates),
                                 format_func=dates.get)
            if st.button("Restaurer cette version…", icon=":material/history:"):
                st.session_state.confirm = ("restore", action_id, int(entry))
            asked = st.session_state.get("confirm", (None, None, None))
            if asked[:2] == ("restore", action_id) and asked[2] in dates:
                confirm_restore(action_id, values.get("title") or "", asked[2], dates[asked[2]])


editor()
