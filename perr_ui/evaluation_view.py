"""Blocks of the Évaluation page, reused by the Quartier page (issue 15).

Text from the database is shown escaped (`md`): every ASCII punctuation sign gets a backslash,
so that Markdown, Streamlit's colour/icon directives and LaTeX never apply to data. The trends
are HTML columns drawn by perr_ui/charts.py (escaped text).
"""
from __future__ import annotations

import re

import streamlit as st

from perr_model.vocabulary import human_source
from perr_model.evaluation import model, progress
from perr_ui import charts, widgets as w

_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")


def md(text) -> str:  # noqa: ANN001
    """Data as literal text inside st.markdown / st.caption."""
    return _PUNCT.sub(r"\\\1", "" if text is None else str(text))


def trend_chart(ind: dict) -> str | None:
    """Measured values by year and the target as columns, each value written (HTML,
    perr_ui/charts.py); None under 2 years."""
    series = ind["series"]
    target = ind["target"] if ind["target"] and ind["target"]["year"] else None
    return charts.trend_html(
        series, [model.fr_value(val) for _, val in series],
        (target["year"], target["value"], model.fr_value(target["value"])) if target else None,
        f"Évolution de l'indicateur « {ind['label']} » par année")


def indicator_block(ind: dict, show_place: bool = True) -> None:
    """One indicator, stacked for a phone: name, place, reference → latest → target, words,
    trend chart, sources."""
    with st.container(border=True):
        st.markdown(f"**{md(ind['label'])}**")
        place = [p for p in (ind["commune"], ind["quartier"]) if isinstance(p, str)]
        caption = " · ".join(place + ([ind["node_title"]] if ind["node_title"] else []))
        if show_place and caption:
            st.caption(md(caption))
        base_label = "Référence" if ind["baseline"] and ind["baseline"]["kind"] == "reference" \
            else "Première mesure"
        lines = []
        if ind["baseline"]:
            lines.append(f"- {base_label} : {md(model.value_text(ind['baseline'], ind['unit']))}")
        lines.append(f"- Dernière valeur : {md(model.value_text(ind['latest'], ind['unit']))}")
        lines.append("- Cible : " + (md(model.value_text(ind["target"], ind["unit"]))
                                     if ind["target"] else "aucune fixée par le protocole"))
        st.markdown("\n".join(lines))
        if ind["words"]:
            st.markdown(f"**{md(ind['words'])}**")
        chart = trend_chart(ind)
        if chart is not None:
            st.html(chart)
            target = ind["target"] if ind["target"] and ind["target"]["year"] else None
            st.caption("Le graphique en texte : " + md(
                " ; ".join(f"{y} : {model.fr_value(val, ind['unit'])}"
                           for y, val in ind["series"])
                + (f" ; cible {target['year']} : {model.fr_value(target['value'], ind['unit'])}"
                   if target else "")) + ".")
        quoted = [v["quoted"] for v in ind["values"] if v["quoted"]]
        if quoted:
            st.caption("Texte : " + md(" ; ".join(f"« {q} »" for q in quoted)))
        if ind["sources"]:
            st.caption("Source : " + md(" ; ".join(human_source(x) for x in ind["sources"])))
        if any(v["approximate"] for v in ind["values"]):
            st.caption("« environ » : le document donne ce chiffre comme approximatif.")


def indicator_list(df, show_place: bool = True) -> None:
    for ind in df.to_dict("records"):
        indicator_block(ind, show_place)


def progress_block(row: dict) -> None:
    with st.container(border=True):
        st.markdown(f"**{md(row['label'])}**")
        st.markdown("\n".join(f"- {md(line)}" for line in progress.words(row)))


def quartier_section(territory_id: int, qpv_id: int) -> None:
    """The Quartier page's "Indicateurs" section: the quartier's indicators."""
    st.subheader("Indicateurs du quartier")
    df = w.cached(model.indicators, territory_id, None, qpv_id)
    if df.empty:
        st.caption("Aucun indicateur n'est enregistré pour ce quartier.")
        return
    indicator_list(df, show_place=False)
    st.page_link("pages/evaluation.py", label="Toute l'évaluation du territoire",
                 icon=":material/monitoring:")
