"""The Quartier page's « fiche quartier » (perr_model/fiche.py): a download button whose PDF is
built only when it is clicked (Streamlit runs the callable then, on its own thread), on the
read-only engine: nothing is written, so the public instance offers it too. Built once per
database, data version and scope in this process."""
from __future__ import annotations

from functools import lru_cache

import streamlit as st
from sqlalchemy.orm import Session

from perr_model import fiche
from perr_model.figures import Scope
from perr_model.store import database_url
from perr_ui import common, widgets


@lru_cache(maxsize=32)
def _pdf(url: str, version: int, scope: Scope) -> bytes:
    with Session(common._engine(url, True)) as s:
        return fiche.fiche_pdf(s, scope) or b""


def download(scope: Scope, profile: dict) -> None:
    """The button « Télécharger la fiche du quartier (PDF) »."""
    url, version = database_url(), widgets.data_version()
    st.download_button(
        "Télécharger la fiche du quartier (PDF, une page)", lambda: _pdf(url, version, scope),
        file_name=fiche.filename(profile, scope.year), mime="application/pdf",
        icon=":material/download:", key="qpv_fiche", on_click="ignore",
        help="Une page A4 à imprimer pour le conseil citoyen : la carte, les actions par axe "
             "avec leur statut et leur porteur, l'évolution sur un an, les engagements, les "
             "sources. Les mêmes chiffres que cette page, pour l'année choisie.")
