"""The coverage maps' year-independent data, served once by URL (Streamlit's static serving).

A coverage map's geometry, names and neighbours do not change with the year, the axis or the
measure; only each place's colour does (`perr_model.geo.painted`). Each layer's data is written
once as a JSON file named by the hash of its content under `static/cartes/` (served at
`app/static/cartes/<name>.json`, `server.enableStaticServing` in .streamlit/config.toml): the
browser loads it once and keeps it, and a change of year sends about a byte per place.

The same content always gets the same name, so every session, every instance on the machine and
every data version whose geometry did not change share one file. When the folder cannot be
written (a read-only deployment) or static serving is off, `publish` returns None and the pages
send the map with its data, as before. Only public data goes there (official contours, names and
codes of places), never a person or an action.

The maps' pictures (`publish_svg`, perr_model/svgmap.py) go there too, one file per picture:
contours, names and the colour of each place, i.e. what every reader of the page sees drawn.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import streamlit as st

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"   # next to app.py (Streamlit's rule)
FOLDER = "cartes"
URL_PREFIX = f"app/static/{FOLDER}/"   # relative: works under a server.baseUrlPath too
KEEP = 400                             # files kept; the oldest beyond are removed

log = logging.getLogger(__name__)


def enabled() -> bool:
    try:
        return bool(st.get_option("server.enableStaticServing"))
    except Exception:  # noqa: BLE001 - no Streamlit configuration: send the data inline
        return False


def publish(files: dict[str, object], folder: Path | None = None) -> dict[str, str] | None:
    """Write each layer's data (layer id -> JSON-able data) and return layer id -> URL, or None
    when the files cannot be served (the caller then sends the data inline)."""
    if folder is None:
        if not enabled():
            return None
        folder = STATIC_DIR / FOLDER
    urls, written = {}, set()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for layer_id, data in files.items():
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            name = _write(folder, text.encode("utf-8"), ".json")
            written.add(name)
            urls[layer_id] = URL_PREFIX + name
        _prune(folder, written)
    except OSError as exc:
        log.warning("Fichiers de carte non écrits (%s) : les cartes sont envoyées avec leurs "
                    "données.", exc.strerror or exc.__class__.__name__)
        return None
    return urls


def publish_svg(text: str, folder: Path | None = None) -> str | None:
    """Write a map picture (perr_model.svgmap) and return its URL, or None when it cannot be
    served (the caller then sends it inline). Called at each drawing: a file removed since
    (KEEP) is written again."""
    if folder is None:
        if not enabled():
            return None
        folder = STATIC_DIR / FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
        name = _write(folder, text.encode("utf-8"), ".svg")
        _prune(folder, {name}, "*.svg")
    except OSError as exc:
        log.warning("Image de carte non écrite (%s) : elle est envoyée avec la page.",
                    exc.strerror or exc.__class__.__name__)
        return None
    return URL_PREFIX + name


def _write(folder: Path, body: bytes, suffix: str) -> str:
    """Write `body` as the file named by its content (unless it is there) and return its name."""
    name = hashlib.sha256(body).hexdigest()[:32] + suffix
    path = folder / name
    if not path.exists():
        handle, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(body)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)  # a reader never sees half a file
    return name


def _prune(folder: Path, keep: set[str], pattern: str = "*.json") -> None:
    files = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in files[KEEP:]:
        if path.name not in keep:
            path.unlink(missing_ok=True)
