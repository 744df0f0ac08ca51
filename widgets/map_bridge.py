"""The QWebChannel object the page sees as `bridge`: three signals in, a few slots out.

Python → page: `batch(str)` one base64 binary batch of entity diffs (console/mapwire.py),
`features(str)` JSON feature-layer diffs, `command(str)` JSON commands (select, visibility, heat,
trail, ghost, draw, language, fit, reset).
Page → Python: `ready()`, `ack(seq, apply_ms, draw_ms)` after a batch is drawn (flow control: the
next batch waits for it), `view(zoom, w, s, e, n)`, `entityClicked(id)`, `featureClicked(layer, id)`,
`geofenceDrawn(geojson)`, `tiles(loaded, errors)`, `pageError(text)`.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal, Slot

from console.logsetup import LogOnce

log = logging.getLogger(__name__)
_once = LogOnce(log)


class MapBridge(QObject):
    batch = Signal(str)
    features = Signal(str)
    command = Signal(str)

    sig_ready = Signal()
    sig_ack = Signal(int, float, float)
    sig_view = Signal(float, float, float, float, float)
    sig_entity_clicked = Signal(str)
    sig_feature_clicked = Signal(str, str)
    sig_geofence_drawn = Signal(str)
    sig_tiles = Signal(int, int)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.errors: list[str] = []

    @Slot()
    def ready(self) -> None:
        self.sig_ready.emit()

    @Slot(int, float, float)
    def ack(self, seq: int, apply_ms: float, draw_ms: float) -> None:
        self.sig_ack.emit(seq, apply_ms, draw_ms)

    @Slot(float, float, float, float, float)
    def view(self, zoom: float, west: float, south: float, east: float, north: float) -> None:
        self.sig_view.emit(zoom, west, south, east, north)

    @Slot(str)
    def entityClicked(self, entity: str) -> None:
        self.sig_entity_clicked.emit(entity)

    @Slot(str, str)
    def featureClicked(self, layer: str, fid: str) -> None:
        self.sig_feature_clicked.emit(layer, fid)

    @Slot(str)
    def geofenceDrawn(self, geojson: str) -> None:
        self.sig_geofence_drawn.emit(geojson)

    @Slot(int, int)
    def tiles(self, loaded: int, errors: int) -> None:
        self.sig_tiles.emit(loaded, errors)

    @Slot(str)
    def pageError(self, text: str) -> None:
        self.errors.append(text)
        del self.errors[:-50]
        _once.error(("map-page", text[:40]), "map page: %s", text)
