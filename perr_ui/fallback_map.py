"""Stand-in for perr_model.geo.coverage_deck while no perimeter layer exists: proportional
circles at the communes' (and quartiers') stored centroids, no base map, no network."""
from __future__ import annotations

import math

import pydeck as pdk
from sqlalchemy import select
from sqlalchemy.orm import Session

from perr_model.schema import Commune, Qpv, qpv_commune
from perr_ui.common import fr_number


def coverage_deck(session: Session, territory_id: int, metric_by_commune: dict[int, float],
                  metric_by_qpv: dict[int, float], metric_label: str):
    communes = session.execute(select(Commune.id, Commune.name, Commune.centroid_lon,
                                      Commune.centroid_lat)
                               .where(Commune.territory_id == territory_id)).all()
    qpvs = session.execute(select(Qpv.id, Qpv.name, Qpv.centroid_lon, Qpv.centroid_lat)
                           .join(qpv_commune, qpv_commune.c.qpv_id == Qpv.id)
                           .join(Commune, Commune.id == qpv_commune.c.commune_id)
                           .where(Commune.territory_id == territory_id).distinct()).all()
    top = max(list(metric_by_commune.values()) + list(metric_by_qpv.values()) + [1])

    def rows(items, metric, kind, scale):
        out = []
        for id_, name, lon, lat in items:
            if lon is None or lat is None:
                continue
            v = metric.get(id_, 0)
            out.append({"id": id_, f"{kind}_id": id_, "name": name, "value": v,
                        "lon": round(lon, 5), "lat": round(lat, 5),
                        "label": f"{metric_label} : {fr_number(v)}",
                        "radius": 120 + scale * math.sqrt(v / top),
                        "color": [31, 90, 160, 170] if v else [150, 150, 150, 120]})
        return out

    c_rows, q_rows = rows(communes, metric_by_commune, "commune", 1400), \
        rows(qpvs, metric_by_qpv, "qpv", 700)
    if not c_rows and not q_rows:
        return None, "Aucune commune ni aucun quartier n'a de position enregistrée : pas de carte."
    pts = c_rows + q_rows
    lon = sum(p["lon"] for p in pts) / len(pts)
    lat = sum(p["lat"] for p in pts) / len(pts)
    span = max(max(p["lon"] for p in pts) - min(p["lon"] for p in pts),
               max(p["lat"] for p in pts) - min(p["lat"] for p in pts), 0.02)
    zoom = max(4.0, min(12.5, math.log2(360 / span) - 1.2))
    layers = [
        pdk.Layer("ScatterplotLayer", id="communes", data=c_rows, get_position=["lon", "lat"],
                  get_radius="radius", get_fill_color="color", stroked=True,
                  get_line_color=[255, 255, 255], line_width_min_pixels=1, pickable=True),
        pdk.Layer("ScatterplotLayer", id="qpv", data=q_rows, get_position=["lon", "lat"],
                  get_radius="radius", get_fill_color=[200, 80, 40, 200], pickable=True),
        pdk.Layer("TextLayer", id="noms", data=c_rows, get_position=["lon", "lat"],
                  get_text="name", get_size=12, get_color=[30, 30, 30],
                  get_pixel_offset=[0, -18], character_set="auto"),
    ]
    missing = len(qpvs) - len(q_rows)
    notice = ("Périmètres non importés : cercles proportionnels aux centroïdes des communes"
              + (" et des quartiers" if q_rows else "") + ", sans fond de carte."
              + (f" {missing} quartier(s) sans position ne sont pas dessinés." if missing else ""))
    deck = pdk.Deck(layers=layers, map_provider=None,
                    initial_view_state=pdk.ViewState(longitude=lon, latitude=lat, zoom=zoom),
                    tooltip={"text": "{name}\n{label}"})
    return deck, notice
