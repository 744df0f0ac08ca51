"""The live city map (the centre of the wall): layer panel, web map, details panel.

Data path: EntityState (bus worker thread) → `DiffCursor.take()` at `map.batch_hz` → clusters
(console/clustering.py) → one base64 binary batch → QWebChannel `bridge.batch` → rasad_map.js draws
it on a canvas and acks. A batch waits for the previous ack, so a slow page gets fewer, bigger
batches, never a queue. Feature layers (alarms, CAP, geofences, plugins) are polled with
`changes_since` and sent as JSON diffs. The heatmap is computed off the UI thread.

Selection: `sig_entity_selected(str)` / `sig_feature_selected(layer, id)` when the operator clicks;
`select(ref)` pans to an entity id, a "layer:feature" ref, or an entity a feature refers to.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QVBoxLayout, QWidget

from console import i18n
from console.basemap import VECTOR, BaseMapError, parse_basemap
from console.clustering import Viewport, cluster_vehicles, world_px
from console.core import Core
from console.geofences import GeofenceError
from console.heatmap import HeatOverlay, build_heat, city_area
from console.logsetup import LogOnce
from console.maplayers import BUILTIN
from console.mapstyle import VEHICLE_KINDS
from console.mapwire import encode_batch_b64
from widgets.map_details import DetailsPanel
from widgets.map_page import build_page
from widgets.map_panels import LayerPanel, MapBar
from widgets.map_web import MapWebView, dispose

log = logging.getLogger(__name__)
_once = LogOnce(log)

ACK_TIMEOUT_S = 3.0
HEAT_EVERY_MS = 5000
HEAT_PX = 4.0  # screen pixels per heat cell
HEAT_MAX_CELLS = 480


def page_strings() -> dict[str, str]:
    """The few words the page itself shows (control tooltips), in the current language."""
    return {"zoomIn": i18n.tr("map.zoom_in"), "zoomOut": i18n.tr("map.zoom_out")}


class MapWidget(QWidget):
    sig_entity_selected = Signal(str)
    sig_feature_selected = Signal(str, str)
    sig_page_ready = Signal()
    _sig_heat_done = Signal(object)
    _sig_layers_changed = Signal()

    def __init__(self, core: Core, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mapWidget")
        self.core = core
        self.cfg = core.settings.map
        self.state = core.services["entities"]
        self.layers = core.services["maplayers"]
        self.geofences = core.services.get("geofences")
        self.city = self.state.city
        self.cursor = self.state.cursor()
        self.base_error = ""
        try:
            self.basemap = parse_basemap(self.cfg.base)
        except BaseMapError as exc:
            log.error("map: %s; using the vector base map", exc)
            self.basemap, self.base_error = VECTOR, str(exc)

        self.bar = MapBar(self)
        self.panel = LayerPanel(self.cfg.cluster, self.cfg.heat_metric, self)
        self.web = MapWebView(self)
        try:
            self.web.set_basemap(self.basemap)
        except BaseMapError as exc:
            log.error("map: %s; using the vector base map", exc)
            self.basemap, self.base_error = VECTOR, str(exc)
            self.web.set_basemap(VECTOR)
        # Showing a web view spins a nested event loop inside Chromium's setup; under qasync that must not
        # happen inside a running asyncio task (the window is shown from one), so it is shown later,
        # from the Qt event loop itself (showEvent → singleShot).
        self.web.setVisible(False)
        self.details = DetailsPanel(self.state, core.health, core.settings.timezone, self)
        self.details.hide()
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.panel)
        body.addWidget(self.web, 1)
        body.addWidget(self.details)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.bar)
        lay.addLayout(body, 1)

        # state of the conversation with the page
        self.ready = False
        self.seq = 0
        self.inflight: int | None = None
        self.inflight_t = 0.0
        self.view: Viewport | None = None
        self.view_dirty = True
        self.cluster_on = self.cfg.cluster
        self.heat_metric = self.cfg.heat_metric
        self.layer_versions: dict[str, int] = {}
        self.selected: str = ""
        self.tiles = (0, 0)
        self.stats: dict[str, Any] = {"batches": 0, "acks": 0, "waits": 0, "timeouts": 0, "bytes": 0}
        self.pump_ms: deque[float] = deque(maxlen=600)
        self.page_ms: deque[tuple[float, float]] = deque(maxlen=600)
        self.last_heat: HeatOverlay | None = None
        self._heat_pool = ThreadPoolExecutor(1, thread_name_prefix="map-heat")
        self._heat_busy = False
        self._area = None
        self.ask_name = self._ask_geofence_name
        self._closed = False
        self._watched: QWidget | None = None

        b = self.web.bridge
        b.sig_ready.connect(self._on_ready)
        b.sig_ack.connect(self._on_ack)
        b.sig_view.connect(self._on_view)
        b.sig_entity_clicked.connect(self._on_entity_clicked)
        b.sig_feature_clicked.connect(self._on_feature_clicked)
        b.sig_geofence_drawn.connect(self._on_geofence_drawn)
        b.sig_tiles.connect(self._on_tiles)
        self.web.sig_crashed.connect(self._on_crashed)
        self.panel.sig_toggled.connect(self._on_toggle)
        self.panel.sig_cluster.connect(self._on_cluster)
        self.panel.sig_heat_metric.connect(self._on_heat_metric)
        self.bar.sig_fit.connect(lambda: self._command(op="fit"))
        self.bar.sig_draw.connect(lambda on: self._command(op="draw", on=on))
        self.bar.sig_panel.connect(self.panel.setVisible)
        self.details.replay.sig_trail.connect(lambda coords: self._command(op="trail", coords=coords))
        self.details.replay.sig_ghost.connect(self._on_ghost)
        self.details.sig_closed.connect(self._on_details_closed)
        self.details.sig_delete_geofence.connect(self._on_delete_geofence)
        self._sig_heat_done.connect(self._on_heat_done, Qt.QueuedConnection)
        self._sig_layers_changed.connect(self._sync_plugin_rows, Qt.QueuedConnection)
        self._unfollow = self.layers.on_change(
            lambda _l: self._sig_layers_changed.emit(), lambda _l: self._sig_layers_changed.emit()
        )

        self._pump_timer = QTimer(self)
        self._pump_timer.setInterval(max(50, int(1000 / max(0.5, self.cfg.batch_hz))))
        self._pump_timer.timeout.connect(self.pump)
        self._heat_timer = QTimer(self)
        self._heat_timer.setInterval(HEAT_EVERY_MS)
        self._heat_timer.timeout.connect(self.request_heat)
        self._heat_soon = QTimer(self)  # the view moved: redo the heat once it settles
        self._heat_soon.setSingleShot(True)
        self._heat_soon.setInterval(300)
        self._heat_soon.timeout.connect(self.request_heat)
        self._slow_timer = QTimer(self)
        self._slow_timer.setInterval(1000)
        self._slow_timer.timeout.connect(self._tick)
        self._sync_plugin_rows()
        self.retranslate()
        self.load()

    # -- page lifecycle -------------------------------------------------------------------------------
    def load(self) -> None:
        """(Re)generate and load the page; everything is re-sent when it says it is ready."""
        self.ready = False
        city = self.city
        if city is not None:
            center, bbox = city.center, city.bbox
            districts, roads = city.districts_geojson(), city.roads_geojson()
        else:
            center, bbox = (35.69, 51.39), None
            districts = roads = {"type": "FeatureCollection", "features": []}
        html = build_page(
            center=center,
            bbox=bbox,
            districts=districts,
            roads=roads,
            basemap=self.basemap,
            lang=i18n.lang(),
            cluster_below_zoom=self.cfg.cluster_below_zoom,
            extra={"strings": page_strings()},
        )
        self.web.load_page(html)

    def _on_ready(self) -> None:
        self.ready = True
        self.cursor.reset()
        self.layer_versions.clear()
        self.inflight = None
        self._command(op="language", lang=i18n.lang(), strings=page_strings())
        for key, check in self.panel.checks.items():
            if not check.isChecked():
                self._command(op="visibility", key=key, on=False)
        self._pump_timer.start()
        self._heat_timer.start()
        self._slow_timer.start()
        self.pump()
        self.request_heat()
        if self.selected:
            self.select(self.selected, pan=False)
        self.sig_page_ready.emit()

    def _on_crashed(self) -> None:
        self.ready = False
        _once.error(("map-crash",), "map: page renderer crashed; reloading")

    # -- the live pump --------------------------------------------------------------------------------
    def pump(self) -> bool:
        """Send what changed (entities as one binary batch, features as JSON). Returns True if sent."""
        if not self.ready:
            return False
        t0 = time.perf_counter()
        if self.inflight is not None:
            if time.monotonic() - self.inflight_t < ACK_TIMEOUT_S:
                self.stats["waits"] += 1
                self._send_features()
                return False
            self.stats["timeouts"] += 1
            _once.warning(
                ("map-ack",), "map: page did not acknowledge batch %d in %.0f s", self.inflight, ACK_TIMEOUT_S
            )
        diff = self.cursor.take()
        frame = None
        clustering = self._clustering()
        if clustering and (diff or self.view_dirty):
            frame = self._cluster_frame()
        sent = False
        if diff or frame is not None or self.view_dirty:
            self.seq += 1
            payload = encode_batch_b64(self.seq, diff, frame)
            self.web.bridge.batch.emit(payload)
            self.inflight, self.inflight_t = self.seq, time.monotonic()
            self.stats["batches"] += 1
            self.stats["bytes"] += len(payload)
            self.view_dirty = False
            sent = True
        self._send_features()
        self.pump_ms.append((time.perf_counter() - t0) * 1000.0)
        return sent

    def _clustering(self) -> bool:
        return self.cluster_on and self.view is not None and self.view.zoom < self.cfg.cluster_below_zoom

    def _cluster_frame(self):
        snap = self.state.snapshot(VEHICLE_KINDS)
        visible = tuple(k for k in VEHICLE_KINDS if self.panel.is_on(k))
        return cluster_vehicles(
            snap["slot"], snap["lat"], snap["lon"], snap["kind"], self.view, visible=visible
        )

    def _send_features(self) -> None:
        updates = []
        current = {layer.key: layer for layer in self.layers.layers()}
        for key in [k for k in self.layer_versions if k not in current]:
            del self.layer_versions[key]
            updates.append({"key": key, "drop": True})
        for key, layer in current.items():
            ch = layer.changes_since(self.layer_versions.get(key, -1))
            if key in self.layer_versions and not (ch.reset or ch.upserts or ch.removes):
                continue
            self.layer_versions[key] = ch.version
            updates.append(
                {
                    "key": key,
                    "z": layer.z,
                    "count": len(layer),
                    "visible": self.panel.is_on(key) and layer.visible,
                    "reset": ch.reset,
                    "upserts": [f.to_geojson() for f in ch.upserts],
                    "removes": ch.removes,
                }
            )
        if updates:
            self.web.bridge.features.emit(json.dumps({"layers": updates}, ensure_ascii=False))

    def _on_ack(self, seq: int, apply_ms: float, draw_ms: float) -> None:
        if seq == self.inflight:
            self.inflight = None
        self.stats["acks"] += 1
        self.page_ms.append((apply_ms, draw_ms))

    def _on_view(self, zoom: float, west: float, south: float, east: float, north: float) -> None:
        self.view = Viewport(float(zoom), west, south, east, north)
        self.view_dirty = True
        self._heat_soon.start()
        if self.inflight is None:
            self.pump()

    def _command(self, **cmd: Any) -> None:
        if self.ready and not self._closed:
            self.web.bridge.command.emit(json.dumps(cmd, ensure_ascii=False))

    # -- heatmap (worker thread) ---------------------------------------------------------------------------
    def heat_region(self) -> tuple[tuple[float, float, float, float], tuple[int, int]] | None:
        """The box the heat grid covers and its size: the city (with a margin) clipped to what is in
        view (with a margin), at about HEAT_PX screen pixels per cell, so zooming in sharpens it."""
        if self.city is None:
            return None
        w, s, e, n = self.city.bbox
        dx, dy = (e - w) * 0.08, (n - s) * 0.08
        w, s, e, n = w - dx, s - dy, e + dx, n + dy
        zoom = 12.0
        if self.view is not None:
            v = self.view
            mx, my = (v.east - v.west) * 0.15, (v.north - v.south) * 0.15
            w, s = max(w, v.west - mx), max(s, v.south - my)
            e, n = min(e, v.east + mx), min(n, v.north + my)
            zoom = v.zoom
            if w >= e or s >= n:
                return None
        x0, y0 = world_px(n, w, zoom)
        x1, y1 = world_px(s, e, zoom)
        nx = int(min(HEAT_MAX_CELLS, max(32, (x1 - x0) / HEAT_PX)))
        ny = int(min(HEAT_MAX_CELLS, max(32, (y1 - y0) / HEAT_PX)))
        return (w, s, e, n), (nx, ny)

    def request_heat(self) -> Future | None:
        region = self.heat_region()
        if not self.ready or self._heat_busy or region is None or not self.panel.is_on("heat"):
            return None
        self._heat_busy = True
        if self._area is None:
            self._area = city_area(self.city)
        bbox, size = region
        fut = self._heat_pool.submit(build_heat, self.state, bbox, self.heat_metric, size, area=self._area)
        fut.add_done_callback(lambda f: self._sig_heat_done.emit(f))
        return fut

    def _on_heat_done(self, fut: Future) -> None:
        self._heat_busy = False
        try:
            heat = fut.result()
        except Exception as exc:
            _once.error(("map-heat",), "map: heatmap failed: %r", exc)
            return
        self.last_heat = heat
        if heat is None:
            self._command(op="heat", url="")
            return
        url = "data:image/png;base64," + base64.b64encode(heat.png).decode("ascii")
        self._command(op="heat", url=url, south=heat.south, west=heat.west, north=heat.north, east=heat.east)

    # -- selection ----------------------------------------------------------------------------------------
    def select(self, ref: str, *, pan: bool = True) -> bool:
        """Show `ref` (entity id, "layer:feature id", or an entity a feature refers to) and pan to it."""
        info = self.state.get(ref)
        if info is not None:
            self.selected = ref
            self._command(op="select", slot=info.slot, lat=info.lat, lon=info.lon, pan=pan)
            self.details.show_entity(ref)
            self.details.show()
            return True
        found = self.layers.find(ref)
        if found is None:
            return False
        layer, feature = found
        self.selected = ref
        anchor = feature.anchor()
        if anchor is not None:
            self._command(op="select", slot=-1, lat=anchor[0], lon=anchor[1], pan=pan)
        self.details.show_feature(layer, feature)
        self.details.show()
        return True

    def _on_entity_clicked(self, entity: str) -> None:
        if self.select(entity, pan=False):
            self.sig_entity_selected.emit(entity)

    def _on_feature_clicked(self, layer_key: str, fid: str) -> None:
        layer = self.layers.get(layer_key)
        feature = layer.get(fid) if layer else None
        if feature is None:
            return
        self.selected = f"{layer_key}:{fid}"
        self.details.show_feature(layer, feature)
        self.details.show()
        self.sig_feature_selected.emit(layer_key, fid)
        self.sig_entity_selected.emit(feature.entity or self.selected)

    def _on_details_closed(self) -> None:
        self.selected = ""
        self._command(op="select", slot=-1, pan=False)
        self._command(op="trail", coords=[])

    def _on_ghost(self, where) -> None:
        if where is None:
            self._command(op="ghost")
        else:
            self._command(op="ghost", lat=where[0], lon=where[1], heading=where[2])

    # -- geofences -----------------------------------------------------------------------------------------
    def _ask_geofence_name(self) -> str:
        name, ok = QInputDialog.getText(self, i18n.tr("map.draw_geofence"), i18n.tr("map.geofence_name"))
        return name.strip() if ok else ""

    def _on_geofence_drawn(self, geojson: str) -> None:
        self.bar.draw_button.setChecked(False)
        if self.geofences is None:
            return
        name = self.ask_name()
        if not name:
            return
        try:
            self.geofences.add(name, json.loads(geojson), operator=self.core.settings.operator)
        except (GeofenceError, ValueError) as exc:
            self._flash(i18n.tr("map.geofence_invalid", reason=str(exc)))
            return
        self._flash(i18n.tr("map.geofence_saved", name=name))

    def _on_delete_geofence(self, fid: str) -> None:
        if self.geofences is not None:
            self.geofences.remove(fid)

    def _flash(self, text: str) -> None:
        self.bar.hint_label.setText(text)
        self.bar.hint_label.show()
        bar = self.bar  # the label as context: a map closed within the 5 s cancels the timer
        QTimer.singleShot(
            5000, bar.hint_label, lambda: bar.hint_label.setVisible(bar.draw_button.isChecked())
        )

    # -- switches ------------------------------------------------------------------------------------------
    def _on_toggle(self, key: str, on: bool) -> None:
        self._command(op="visibility", key=key, on=on)
        if key in VEHICLE_KINDS:
            self.view_dirty = True
        if key == "heat" and on:
            self.request_heat()

    def _on_cluster(self, on: bool) -> None:
        self.cluster_on = on
        self.view_dirty = True
        self.pump()

    def _on_heat_metric(self, metric: str) -> None:
        self.heat_metric = metric
        self.request_heat()

    def _sync_plugin_rows(self) -> None:
        keys = set()
        for layer in self.layers.layers():
            if layer.key in BUILTIN:
                continue
            keys.add(layer.key)
            colour = layer.legend[0].color if layer.legend else "#4cc9f0"
            self.panel.add_plugin_layer(layer.key, layer.title_fa, layer.title_en, colour)
        for key in [k for k in self.panel.checks if k.count(".") and k not in keys]:
            self.panel.remove_plugin_layer(key)

    # -- status --------------------------------------------------------------------------------------------
    def _on_tiles(self, loaded: int, errors: int) -> None:
        if (loaded, errors) != self.tiles:
            self.tiles = (loaded, errors)
            self._update_base_label()

    def base_offline(self) -> bool:
        loaded, errors = self.tiles
        return self.basemap.kind != "vector" and errors > 0 and loaded == 0

    def _update_base_label(self) -> None:
        bm = self.basemap
        if self.base_error:
            text, state = i18n.tr("map.base.invalid"), "stale"
        elif bm.kind == "vector":
            text, state = i18n.tr("map.base.vector"), "ok"
        else:
            text = i18n.tr(f"map.base.{bm.kind}", name=bm.name)
            state = "ok"
            if self.base_offline():
                text, state = i18n.tr("map.base.offline", name=text), "stale"
        if self.city is not None and self.city.districts_origin == "synthetic":
            text += "  |  " + i18n.tr("map.synthetic")
        self.bar.base_label.setText(i18n.tr("map.base", name=text))
        self.bar.base_label.setToolTip(self.base_error or bm.url or bm.path)
        self.bar.base_label.setProperty("mapState", state)
        self.bar.base_label.style().unpolish(self.bar.base_label)
        self.bar.base_label.style().polish(self.bar.base_label)

    def _tick(self) -> None:
        s = self.state.summary()
        self.bar.counts_label.setText(
            i18n.tr(
                "map.counts",
                vehicles=i18n.number(s["vehicle"]),
                sensors=i18n.number(s["sensor"]),
                segments=i18n.number(s["segment"]),
                stale=i18n.number(s["stale"]),
            )
        )
        self.details.refresh()

    def retranslate(self) -> None:
        self.bar.retranslate()
        self.panel.retranslate()
        self.details.retranslate()
        self._update_base_label()
        self._tick()
        self._command(op="language", lang=i18n.lang(), strings=page_strings())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._closed:
            return
        if not self.web.isVisible():
            QTimer.singleShot(0, self._show_web)
        top = self.window()
        if top is not self and top is not self._watched:
            top.installEventFilter(self)
            self._watched = top

    def _show_web(self) -> None:
        if not self._closed:
            self.web.show()

    def eventFilter(self, obj, event) -> bool:
        if obj is self._watched and event.type() == QEvent.Close:
            self.shutdown()
        return False

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop timers and release the page (idempotent; runs when the window closes)."""
        if self._closed:
            return
        self._closed = True
        self.ready = False
        for t in (self._pump_timer, self._heat_timer, self._heat_soon, self._slow_timer):
            t.stop()
        self._unfollow()
        self._heat_pool.shutdown(wait=False, cancel_futures=True)
        dispose(self.web)
