"""The map page: generated with folium, every asset local (no CDN anywhere).

folium writes the Leaflet map, the panes and the two static vector layers of the base map (districts
and roads, which double as the traffic-segment layer); its default_js/default_css lists, which point
at CDNs (jQuery, Bootstrap, Font Awesome, Leaflet), are replaced whole by `rasad://app/static/...`
URLs served from the XStatic packages, Qt's qwebchannel.js and resources/map/. Live layers are
created by resources/map/rasad_map.js, which `RasadMap.boot(...)` starts with a JSON config.
"""

from __future__ import annotations

import json
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template

from console import mapstyle
from console.basemap import BaseMap

STATIC = "rasad://app/static"
JS = [
    ("leaflet", f"{STATIC}/leaflet/leaflet.js"),
    ("markercluster", f"{STATIC}/markercluster/leaflet.markercluster.js"),
    ("qwebchannel", f"{STATIC}/qwebchannel.js"),
    ("rasad_map", f"{STATIC}/rasad/rasad_map.js"),
]
CSS = [
    ("leaflet_css", f"{STATIC}/leaflet/leaflet.css"),
    ("markercluster_css", f"{STATIC}/markercluster/MarkerCluster.css"),
    ("rasad_css", f"{STATIC}/rasad/rasad_map.css"),
]
# Panes, bottom to top (Leaflet: tiles 200, overlay 400, marker 600, tooltip 650).
PANES = (("rasadBase", 250), ("rasadHeat", 320), ("rasadLive", 450), ("rasadAlarms", 620))
MIN_ZOOM, MAX_ZOOM = 3, 19


class _Boot(MacroElement):
    """Starts rasad_map.js once folium's map and layers exist (rendered after them)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
RasadMap.boot({{ this._parent.get_name() }}, {{ this.districts }}, {{ this.roads }}, {{ this.config }});
{% endmacro %}"""
    )

    def __init__(self, districts: str, roads: str, config: dict[str, Any]):
        super().__init__()
        self._name = "RasadBoot"
        self.districts = districts
        self.roads = roads
        self.config = json.dumps(config, ensure_ascii=False)


def _district_style(_feature: dict) -> dict:
    return {
        "color": mapstyle.DISTRICT_LINE,
        "weight": 1.5,
        "opacity": 0.9,
        "fillColor": mapstyle.DISTRICT_FILL,
        "fillOpacity": 0.55,
    }


def _road_style(feature: dict) -> dict:
    cls = feature["properties"].get("class", "local")
    return {
        "color": mapstyle.ROAD_COLOURS.get(cls, mapstyle.ROAD_COLOURS["local"]),
        "weight": mapstyle.ROAD_WEIGHTS.get(cls, 1.6),
        "opacity": 0.95,
        "lineCap": "round",
    }


def build_page(
    *,
    center: tuple[float, float],
    bbox: tuple[float, float, float, float] | None,
    districts: dict[str, Any],
    roads: dict[str, Any],
    basemap: BaseMap,
    lang: str,
    cluster_below_zoom: int,
    extra: dict[str, Any] | None = None,
) -> str:
    """The whole page as HTML text."""
    m = folium.Map(
        location=list(center),
        zoom_start=12,
        tiles=None,
        prefer_canvas=True,
        control_scale=False,  # rasad_map.js adds a metric-only scale
        zoom_control=False,  # rasad_map.js adds one with translated titles
        minZoom=MIN_ZOOM,
        maxZoom=MAX_ZOOM,
        zoomSnap=0.25,  # fit the city to the wall, not to the nearest power of two
        zoomDelta=0.5,
        # No animated zoom/fade: they need animation frames and a 250 ms timer that a hidden or
        # throttled page may never deliver, leaving Leaflet stuck "animating" and deaf to setView.
        zoomAnimation=False,
        fadeAnimation=False,
        markerZoomAnimation=False,
        attributionControl=True,
    )
    m.default_js = list(JS)
    m.default_css = list(CSS)
    for name, z in PANES:
        folium.map.CustomPane(name, z_index=z, pointer_events=False).add_to(m)
    d_layer = folium.GeoJson(
        districts,
        name="districts",
        style_function=_district_style,
        pane="rasadBase",
        interactive=False,
        smooth_factor=1.0,
    )
    d_layer.add_to(m)
    r_layer = folium.GeoJson(roads, name="roads", style_function=_road_style, smooth_factor=1.0)
    r_layer.add_to(m)
    config = {
        "lang": lang,
        "palette": mapstyle.palette(),
        "basemap": basemap.describe(),
        "bbox": bbox,
        "clusterBelowZoom": cluster_below_zoom,
        "minZoom": MIN_ZOOM,
        "maxZoom": MAX_ZOOM,
        **(extra or {}),
    }
    m.add_child(_Boot(d_layer.get_name(), r_layer.get_name(), config))
    html = m.get_root().render()
    return html.replace("<html>", f'<html lang="{lang}">', 1)
