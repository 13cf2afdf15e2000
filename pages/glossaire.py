"""Les mots du tableau de bord: every term the pages use, in plain French (perr_model.glossary,
the same text as the help of the figures that show it)."""
import html

import streamlit as st

from perr_model.glossary import TERMS, in_order
from perr_ui.frame import require_app_frame

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

st.title("Les mots du tableau de bord")
st.caption("Ce que veulent dire les mots et les sigles des pages, en quelques mots. Le même "
           "texte s'affiche en survolant ou en touchant le point d'interrogation à côté d'un "
           "chiffre.")
st.html('<dl class="perr-glossary" style="margin:0;padding:0">' + "".join(
    f'<dt id="{html.escape(term.split(" (")[0].lower().replace(" ", "-"))}" '
    f'style="font-weight:700;margin:0.9em 0 0;padding:0">{html.escape(term)}</dt>'
    f'<dd style="margin:0.2em 0 0 0;line-height:1.5">{html.escape(text)}</dd>'
    for term, text in in_order(TERMS)) + "</dl>")
