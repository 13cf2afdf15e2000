"""Pieces shared by the reading pages: cached model calls, demo banner, empty notices, maps,
expanders built only when opened.

`cached(fn, *args)` runs a perr_model read function `fn(session, *args)` on the read-only
engine, through perr_model.figures.stored (the figure stored at the current data version when
there is one, the definition otherwise), and caches its result in the process (st.cache_data,
shared by every session) per database URL, **data version** and arguments: nothing is
recomputed until the data changes, and a change is seen at the next rerun (the version is one
primary-key lookup).

Built elements (the maps' pydeck decks) are cached
with st.cache_resource: one object shared by every session, no copy per hit, so it is treated
as immutable. They are keyed by the database URL, `data_version()` and the values they draw.
"""
from __future__ import annotations

import importlib
import threading

import streamlit as st
from sqlalchemy.orm import Session

from perr_model import vocabulary
from perr_model.figures import places, stored
from perr_model.figures import scope as scopes
from perr_model.store import database_url
from perr_ui import common
from perr_ui.text import md

TTL_SECONDS = 3600  # results stay exact by their version key; the TTL only frees memory
# Built elements: kept at most this long, and at most this many (a deck of a national
# territory is ~1 MB in memory).
RESOURCE_TTL_SECONDS, RESOURCE_ENTRIES = TTL_SECONDS, 64
MAP_MAX_PX = 600   # a map picture is never drawn wider (its names would become posters)
DEMO_NOTICE = ("Territoire de **démonstration** : toutes les données affichées ici sont "
               "**fictives**, générées par programme. Elles ne décrivent aucun lieu réel.")


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=512)
def _call(url: str, version: int, module: str, name: str, args: tuple, kwargs: tuple):
    fn = getattr(importlib.import_module(module), name)
    with Session(common._engine(url, True)) as s:
        return stored.read(s, fn, *args, **dict(kwargs))


data_version = common.data_version      # read at most once a second per process
forget_version = common.forget_version  # after this process's own write


def data_key() -> tuple[str, int]:
    """(database URL, data version): what a page's own `st.cache_data` is keyed by, so that it
    never serves what another database, or older data, gave (a write by this process, the CLI
    or another process changes the version)."""
    url = database_url()
    return url, data_version(url)


def cached(fn, *args, **kwargs):
    """fn(session, *args, **kwargs) on the read-only engine, read from the stored figures or
    computed, cached per data version — the version at which its value last changed: after a
    write that said its scope (a territory × years), a figure outside it keeps its cached value
    (`figure_version`)."""
    url = database_url()
    kw = tuple(sorted(kwargs.items()))
    return _call(url, figure_version(url, fn, args, kw), fn.__module__, fn.__name__, args, kw)


_SEEN: dict[tuple, int] = {}   # (url, module, name, args, kwargs) → the version it is keyed by
_SEEN_LOCK = threading.Lock()
_SEEN_MAX = 4096


def figure_version(url: str, fn, args: tuple, kwargs: tuple) -> int:  # noqa: ANN001
    """The data version `cached` keys fn(*args, **kwargs) by: the one it was last keyed by when
    every write since said its scope and none covers this figure (perr_model.figures.stored.
    unchanged_between), the current one otherwise. So a save in one territory × year leaves
    every other figure cached: nothing is read again for them (issue 27, item 2)."""
    now = data_version(url)
    try:
        ident = (url, fn.__module__, fn.__name__, args, kwargs)
        with _SEEN_LOCK:
            seen = _SEEN.get(ident)
    except TypeError:  # arguments that cannot be a key: the current version
        return now
    version = now
    if seen is not None and seen < now:
        with Session(common._engine(url, True)) as s:
            if stored.unchanged_between(s, fn, args, dict(kwargs), seen, now):
                version = seen
    if seen != version:
        with _SEEN_LOCK:
            if len(_SEEN) >= _SEEN_MAX:
                _SEEN.clear()
            _SEEN[ident] = version
    return version


def years_offered(territory_id: int) -> list[int]:
    """The years the selectors offer for a territory, newest first (figures.places.action_years:
    every year its actions run, every year of its funding lines and State posts): the sidebar's
    and the COPIL page's."""
    return cached(places.action_years, territory_id)


def prefetch(*calls: tuple) -> None:
    """Run independent `cached` calls at the same time, each on its own pooled connection, so
    that a page's queries overlap instead of queuing (the database works while Python waits:
    sqlite3 and psycopg release the GIL). The page's own `cached(fn, *args)` calls then find
    their results in the cache. A call that fails here is left to fail, with its message, where
    the page makes it. `calls`: (fn, *args) tuples."""
    from concurrent.futures import ThreadPoolExecutor

    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx
    ctx, url = get_script_run_ctx(), database_url()

    def run(call):
        add_script_run_ctx(threading.current_thread(), ctx)  # st.cache_data needs the session
        fn, *args = call
        try:
            _call(url, figure_version(url, fn, tuple(args), ()), fn.__module__, fn.__name__,
                  tuple(args), ())
        except Exception:  # noqa: BLE001 - reported by the page's own call
            pass

    with ThreadPoolExecutor(max_workers=min(4, len(calls)) or 1,
                            thread_name_prefix="perr-prefetch") as pool:
        list(pool.map(run, calls))


def territory() -> dict | None:
    """The territory chosen in the sidebar: {id, slug, name, is_synthetic}."""
    tid = common.current_territory_id()
    terr = cached(places.territories)
    if tid is None and not terr.empty:
        # Page run on its own (AppTest.switch_page): app.py's selector did not run.
        tid = st.session_state["territory_id"] = int(terr.iloc[0]["id"])
    row = terr[terr["id"] == tid]
    return None if row.empty else row.iloc[0].to_dict()


def page_header(title: str, caption: str | None = None, help: str | None = None  # noqa: A002
                ) -> dict | None:
    """Title (with its help: the glossary's words it uses), the territory/year in a caption
    with the frame of that year (« Cadre : PERR 2020–2023 », `scope.frame_line`), and the demo
    banner when the data is fictive."""
    t = territory()
    st.title(title, help=help)
    year = common.current_year()
    where = md(t["name"], multiline=False) if t else "aucun territoire"
    frame = cached(scopes.frame_line, scopes.Scope(int(t["id"]), year)) if t else ""
    st.caption(f"{where} · {year if year else 'toutes les années'}"
               + (f" · {md(frame, multiline=False)}" if frame else "")
               + (f" · {caption}" if caption else ""))
    if t and t["is_synthetic"]:
        st.warning(DEMO_NOTICE, icon=":material/science:")
    return t


def metric_row(n: int) -> list:
    """Columns for a row of figures (they stack on a phone, in reading order)."""
    return list(st.columns(n))


def figure(row: list, label: str, value: str, help: str | None = None) -> None:  # noqa: A002
    """The next figure of a `metric_row`."""
    row.pop(0).metric(label, value, help=help)


def references(pairs: list[tuple[str, str]], key: str | None = None) -> None:
    """Codes and references (official codes, action and engagement references) for those who
    look them up: folded in a details section « Codes et références », never in the text a
    resident reads. `pairs`: (what, code) from the data, shown as text; empty codes left out."""
    pairs = [(what, code) for what, code in pairs if code and str(code).strip()]
    if not pairs:
        return
    with st.expander("Codes et références", key=key):
        st.markdown("  \n".join(f"{md(what, multiline=False)} : "
                                 f"{md(str(code), multiline=False)}" for what, code in pairs))


def nothing(message: str = "Aucune action enregistrée pour cette sélection.") -> None:
    st.info(message, icon=":material/info:")


def on_demand(label: str, key: str, build, *args, keep: bool = False) -> None:
    """An expander whose content `build(*args)` is computed and sent only while it is open
    (Streamlit sends a closed expander's content anyway). It is its own fragment: opening or
    closing it reruns this block only. The expander stays what it was for a person: a
    disclosure button, reached and opened with the keyboard, with its French label.

    `keep`: once opened, the content stays in the page when the expander is closed (hidden):
    an interactive map is then not built again in the browser when it is opened again (a new
    deck.gl map compiles its shaders and draws again: seconds without a GPU)."""
    _on_demand(label, key, build, args, keep)


@st.fragment
def _on_demand(label: str, key: str, build, args: tuple, keep: bool = False) -> None:
    box = st.expander(label, key=key, on_change="rerun")
    kept = f"{key}__kept"
    if box.open and keep:
        st.session_state[kept] = True
    if box.open or (keep and st.session_state.get(kept)):
        with box:
            build(*args)


def coverage_map(territory_id: int, by_commune: dict[int, float], by_qpv: dict[int, float],
                 label: str, key: str, empty_label: str = "aucune donnée",
                 on_pick=None) -> None:
    """The coverage map as a picture (perr_model.svgmap: no WebGL, readable at once on any
    screen), its colour legend, then on demand the interactive map (zoom, hover, a click on a
    place: `on_pick(event)` shows it) and the map as text."""
    from perr_model import geo
    svg, notice = _coverage_svg(database_url(), data_version(), territory_id, by_commune,
                                by_qpv, label)
    notice = _for_readers(notice)
    t = territory()
    if t and t["is_synthetic"]:
        notice = ("Données fictives : cercles proportionnels placés sur une grille arbitraire, "
                  "sans contours ni fond de carte.")
    if svg is None:
        st.info(md(notice) if notice else "Aucune position connue pour dessiner la carte.")
        return
    if notice:
        st.caption(md(notice))  # geo notices name places from data
    picture(svg, f"Carte « {label} » par commune et par quartier prioritaire (couleur la "
                 "plus foncée : valeur la plus élevée), les quartiers numérotés comme dans la "
                 "liste sous la carte. Chaque valeur est dans « La carte en texte ».")
    background_credit()
    map_key(svg)
    legend = geo.legend_html(by_commune, by_qpv, label, empty_label)
    if legend:
        st.html(legend)
    on_demand("Carte interactive : zoomer, survoler, cliquer sur un lieu", f"{key}_deck",
              _interactive_coverage, territory_id, by_commune, by_qpv, label, key, on_pick,
              keep=True)
    on_demand("La carte en texte", f"{key}_text", map_as_text, territory_id, by_commune,
              by_qpv, label)


def picture(svg, alt: str) -> None:
    """An SVG map (perr_model.svgmap.Svg) as an image: its alt text says what it shows; it
    fills the column up to a readable size (never wider than the screen)."""
    import base64
    import html

    from perr_ui import mapfiles
    src = mapfiles.publish_svg(svg.text) or (  # by URL: loaded once, kept by the browser
        "data:image/svg+xml;base64," + base64.b64encode(svg.text.encode("utf-8")).decode())
    st.html(f'<figure class="perr-map" style="margin:0"><img src="{html.escape(src)}" '
            f'alt="{html.escape(alt)}" width="{svg.width}" height="{svg.height}" '
            f'style="display:block;width:100%;max-width:{MAP_MAX_PX}px;height:auto">'
            '</figure>')


def background_credit() -> None:
    """Under a map picture drawn over the street background (PERR_MAP_TILES): whose tiles."""
    from perr_model import tiles
    source = tiles.configured()
    if source is not None:
        credit = source.attribution()
        st.caption("Fond de rues : " + (md(credit, multiline=False) if credit
                                        else "tuiles enregistrées sur le serveur") + ".")


def map_key(svg) -> None:
    """The numbered quartiers of a map picture (svgmap.Svg.legend) as a list under it: every
    quartier named, whatever room the map had for names. Names from data: escaped."""
    import html
    if not svg.legend:
        return
    items = "".join(f'<li><span class="perr-map-num" aria-hidden="true">{n}</span>'
                    f'{html.escape(name)}</li>' for n, name in svg.legend)
    st.html('<div class="perr-map-key"><p style="margin:0.2em 0;font-size:0.9rem;'
            'font-weight:600">Quartiers prioritaires de la carte</p>'
            '<ol style="list-style:none;padding:0;margin:0;columns:13em;column-gap:1.5em;'
            f'font-size:0.9rem;line-height:1.5">{items}</ol></div>'
            '<style>.perr-map-num{display:inline-block;min-width:1.6em;height:1.6em;'
            'line-height:1.5em;margin-right:0.4em;border:1.5px solid #222;border-radius:50%;'
            'text-align:center;font-size:0.8rem;font-weight:600}'
            '.perr-map-key li{break-inside:avoid}</style>')


def _interactive_coverage(territory_id: int, by_commune, by_qpv, label: str, key: str,
                          on_pick) -> None:
    deck, _ = _coverage_deck(database_url(), data_version(), territory_id, by_commune, by_qpv,
                             label)
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key=key,
                            height=420)
    if on_pick is not None:
        on_pick(event)


def map_as_text(territory_id: int, by_commune, by_qpv, label: str) -> None:
    """The map's text equivalent (geo.coverage_text): a sentence and a real HTML table."""
    from perr_model import geo
    with common.session() as s:
        sentence, rows = geo.coverage_text(s, territory_id, by_commune, by_qpv, label)
    st.text(sentence)
    # st.table renders Markdown in its cells: the places' names go through an escaped
    # HTML table instead (perr_ui/tables.py)
    from perr_ui import tables
    if rows:
        import pandas as pd
        frame = pd.DataFrame(rows)
        tables.table(frame, {c: c for c in frame.columns}, title="Lieu",
                     caption="Valeurs de la carte, par lieu")


@st.cache_resource(show_spinner=False, ttl=RESOURCE_TTL_SECONDS, max_entries=RESOURCE_ENTRIES)
def _coverage_deck(url: str, version: int, territory_id: int, by_commune: dict,
                   by_qpv: dict, label: str):
    """geo.coverage_deck, built and serialized once for every session that draws the same
    values (the year, axis and measure only choose the values). The drawing's data is served
    by URL when it can be (perr_ui/mapfiles.py): the deck then carries only the colours."""
    from perr_model import geo
    drawing, urls = _coverage_drawing(url, version, territory_id)
    return geo.painted(drawing, by_commune, by_qpv, label, urls).freeze(), drawing.notice


@st.cache_resource(show_spinner=False, ttl=RESOURCE_TTL_SECONDS, max_entries=RESOURCE_ENTRIES)
def _coverage_svg(url: str, version: int, territory_id: int, by_commune: dict, by_qpv: dict,
                  label: str):
    """(perr_model.svgmap.Svg of the coverage deck with its data, notice), once for every
    session that draws the same values; (None, notice) when nothing can be placed."""
    from perr_model import geo, svgmap
    drawing, _ = _coverage_drawing(url, version, territory_id)
    if not drawing.parts:
        return None, drawing.notice
    return (svgmap.picture(geo.painted(drawing, by_commune, by_qpv, label), label,
                           numbered=(geo.LAYER_QPV_LABELS,)), drawing.notice)


@st.cache_resource(show_spinner=False, ttl=RESOURCE_TTL_SECONDS, max_entries=RESOURCE_ENTRIES)
def _coverage_drawing(url: str, version: int, territory_id: int):
    """(geo.coverage_drawing, its files' URLs or None), once per territory and data version."""
    from perr_model import geo
    from perr_ui import mapfiles
    with Session(common._engine(url, True)) as s:
        drawing = geo.coverage_drawing(s, territory_id)
    return drawing, mapfiles.publish(drawing.files())


def _for_readers(notice: str | None) -> str | None:
    """Administrators' instructions (commands, menus) are not for the public instance."""
    if notice and common.is_public():
        return notice.split(" Un administrateur")[0]
    return notice


def selected_place(event) -> tuple[str, int] | None:
    """(kind, id) of the commune or quartier clicked on a map drawn by perr_model.geo: the
    selection is keyed by layer, and each pickable layer holds one kind (geo.PICKABLE)."""
    from perr_model.geo import PICKABLE
    if not event:
        return None
    try:
        objects = event.selection.get("objects", {})
    except AttributeError:
        return None
    for layer, picked in objects.items():
        if picked and layer in PICKABLE:
            obj = picked[0]
            props = obj.get("properties", obj)
            if props.get("id") is not None:
                return PICKABLE[layer], int(props["id"])
    return None


short_euros = vocabulary.short_euros


def export_bytes(f, fmt: str) -> bytes:
    """The filtered actions in the import format (built only when the user downloads)."""
    from perr_model import action_list as al
    with common.session() as s:
        frame = al.export_frame(s, f)
    return al.to_xlsx_bytes(frame) if fmt == "xlsx" else al.to_csv_bytes(frame)


def quartiers_map(quartiers, key: str) -> None:
    """Small map of an action's quartier(s) (geo.qpv_deck of the first one), with its notice."""
    if quartiers is None or quartiers.empty:
        st.caption("Aucun quartier rattaché à cette action.")
        return
    deck, svg, notice, legend, sentence = _qpv_map(database_url(), data_version(),
                                                   int(quartiers.iloc[0]["id"]))
    notice = _for_readers(notice)
    if len(quartiers) > 1:
        st.caption(f"Carte du quartier « {md(quartiers.iloc[0]['name'], multiline=False)} » ; "
                   "autres quartiers : "
                   + md(", ".join(quartiers["name"].iloc[1:]), multiline=False) + ".")
    if notice:
        st.caption(md(notice))  # names the quartier (data)
    picture(svg, sentence)
    background_credit()
    if legend:  # legend and text equivalent (geo.qpv_text)
        st.html(legend)
        st.caption(md(sentence))  # names from data
    on_demand("Carte interactive : zoomer, survoler", f"{key}_deck",
              lambda: st.pydeck_chart(deck, key=key, height=280), keep=True)


@st.cache_resource(show_spinner=False, ttl=RESOURCE_TTL_SECONDS, max_entries=RESOURCE_ENTRIES)
def _qpv_map(url: str, version: int, qpv_id: int):
    """(deck, its picture, notice, legend, sentence) of one quartier's map, built once for
    every session."""
    from perr_model import geo, svgmap
    from perr_ui import mapfiles
    with Session(common._engine(url, True)) as s:
        deck, notice = geo.qpv_deck(s, qpv_id)
        sentence = geo.qpv_text(s, qpv_id)
        svg = svgmap.picture(deck, sentence, names_first=geo.LAYER_QPV_LABELS)  # its own name
        # the interactive map's layers by URL (public contours, names and codes, loaded once
        # by the browser): the deck sent on the websocket carries no coordinates
        geo.by_url(deck, mapfiles.publish({layer.id: layer.data for layer in deck.layers}))
        return deck.freeze(), svg, notice, geo.qpv_legend_html(s, qpv_id), sentence
