"""The map's Qt chrome: the layer panel (switches that are also the legend) and the top bar.

Every layer row shows the symbol the page draws, in the palette of console/mapstyle.py, so the
legend cannot drift from the map. Plugin layers get rows as they come and go.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console import i18n, mapstyle
from widgets.elided_label import ElidedLabel

SW = 18  # swatch size, px


def swatch(kind: str, colour: str, size: int = SW) -> QPixmap:
    """A small picture of how the page draws `kind` ("arrow", "dot", "line", "triangle", "diamond",
    "area", "dashed", "square", "band")."""
    pm = QPixmap(size, size)
    pm.fill(Qt.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.Antialiasing)
    c = QColor(colour)
    s = float(size)
    outline = QPen(QColor("#0b1119"), 1.2)
    if kind == "arrow":
        p.setPen(outline)
        p.setBrush(c)
        p.drawPolygon(
            QPolygonF([QPointF(s / 2, 2), QPointF(s - 4, s - 3), QPointF(s / 2, s - 6), QPointF(4, s - 3)])
        )
    elif kind == "dot":
        p.setPen(outline)
        p.setBrush(c)
        p.drawEllipse(QRectF(3, 3, s - 6, s - 6))
    elif kind == "square":
        p.setPen(outline)
        p.setBrush(c)
        p.drawRect(QRectF(3, 3, s - 6, s - 6))
    elif kind == "line":
        p.setPen(QPen(c, 4, Qt.SolidLine, Qt.RoundCap))
        p.drawLine(QPointF(2, s - 4), QPointF(s - 2, 4))
    elif kind == "triangle":
        p.setPen(outline)
        p.setBrush(c)
        p.drawPolygon(QPolygonF([QPointF(s / 2, 2), QPointF(s - 2, s - 3), QPointF(2, s - 3)]))
    elif kind == "diamond":
        p.setPen(QPen(c.lighter(130), 2))
        p.setBrush(Qt.NoBrush)
        p.drawEllipse(QRectF(1, 1, s - 2, s - 2))
        p.setPen(outline)
        p.setBrush(c)
        p.drawPolygon(
            QPolygonF([QPointF(s / 2, 4), QPointF(s - 4, s / 2), QPointF(s / 2, s - 4), QPointF(4, s / 2)])
        )
    elif kind in ("area", "dashed"):
        fill = QColor(c)
        fill.setAlphaF(0.3)
        p.setBrush(QBrush(fill))
        p.setPen(QPen(c, 1.6, Qt.DashLine if kind == "dashed" else Qt.SolidLine))
        path = QPainterPath()
        path.addPolygon(
            QPolygonF([QPointF(2, 5), QPointF(s - 3, 2), QPointF(s - 2, s - 4), QPointF(5, s - 2)])
        )
        path.closeSubpath()
        p.drawPath(path)
    else:  # band
        p.setPen(Qt.NoPen)
        p.setBrush(c)
        p.drawRoundedRect(QRectF(1, 4, s - 2, s - 8), 2, 2)
    p.end()
    return pm


class _Scale(QWidget):
    """A row of colour swatches with labels (segment speeds, sensor levels, AQI bands)."""

    def __init__(self, items: list[tuple[str, str, str]], parent: QWidget | None = None, columns: int = 2):
        super().__init__(parent)
        self._items = items
        grid = QGridLayout(self)
        grid.setContentsMargins(26, 0, 0, 4)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(1)
        self._labels: list[tuple[QLabel, str]] = []
        for i, (kind, colour, key) in enumerate(items):
            icon = QLabel(self)
            icon.setPixmap(swatch(kind, colour, 14))
            text = QLabel(self)
            text.setObjectName("mapLegendText")
            grid.addWidget(icon, i // columns, (i % columns) * 2)
            grid.addWidget(text, i // columns, (i % columns) * 2 + 1)
            self._labels.append((text, key))
        grid.setColumnStretch(columns * 2 - 1, 1)

    def retranslate(self) -> None:
        for label, key in self._labels:
            label.setText(i18n.tr(key))


class LayerPanel(QFrame):
    """Layer switches with their legend. Emits `sig_toggled(key, on)`."""

    sig_toggled = Signal(str, bool)
    sig_cluster = Signal(bool)
    sig_heat_metric = Signal(str)

    HEAT_METRICS = ("aqi", "pm25", "no2", "reports")

    def __init__(self, cluster: bool, heat_metric: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mapLayerPanel")
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Preferred)
        self.setMinimumWidth(250)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(self)
        self.title.setObjectName("mapPanelTitle")
        outer.addWidget(self.title)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        body = QWidget(scroll)
        self._box = QVBoxLayout(body)
        self._box.setContentsMargins(8, 4, 8, 8)
        self._box.setSpacing(2)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self.checks: dict[str, QCheckBox] = {}
        self._titles: dict[str, str | tuple[str, str]] = {}
        self._scales: list[_Scale] = []
        p = mapstyle
        self._row("districts", "map.layer.districts", swatch("area", p.DISTRICT_LINE))
        self._row("segments", "map.layer.segments", swatch("line", p.SEGMENT_COLOURS[0]))
        self._scale(
            [
                ("line", p.SEGMENT_COLOURS[i], f"map.legend.{n}")
                for i, n in enumerate(("free", "slowing", "slow", "jammed"))
            ]
        )
        for fleet in mapstyle.VEHICLE_KINDS:
            self._row(fleet, f"map.layer.{fleet}", swatch("arrow", p.FLEET_COLOURS[fleet]))
        self.cluster = QCheckBox(self)
        self.cluster.setChecked(cluster)
        self.cluster.setObjectName("mapClusterToggle")
        self.cluster.toggled.connect(self.sig_cluster.emit)
        cluster_row = QHBoxLayout()
        cluster_row.setContentsMargins(26, 0, 0, 0)
        cluster_row.addWidget(self.cluster)
        self._box.addLayout(cluster_row)
        self._row("sensors", "map.layer.sensors", swatch("dot", p.LEVEL_COLOURS[0]))
        self._scale(
            [
                ("dot", p.LEVEL_COLOURS[0], "map.legend.ok"),
                ("dot", p.LEVEL_COLOURS[1], "map.legend.warn"),
                ("dot", p.LEVEL_COLOURS[2], "map.legend.alarm"),
                ("dot", p.STALE_GREY, "map.legend.stale"),
            ]
        )
        self._row("reports", "map.layer.reports", swatch("triangle", p.REPORT_COLOUR))
        self._row("heat", "map.layer.heat", swatch("band", p.AQI_BANDS[2][1]))
        self.heat_combo = QComboBox(self)
        self.heat_combo.setObjectName("mapHeatMetric")
        for m in self.HEAT_METRICS:
            self.heat_combo.addItem("", m)
        self.heat_combo.setCurrentIndex(max(0, self.heat_combo.findData(heat_metric)))
        self.heat_combo.currentIndexChanged.connect(
            lambda _i: self.sig_heat_metric.emit(self.heat_combo.currentData())
        )
        metric_row = QHBoxLayout()
        metric_row.setContentsMargins(26, 0, 0, 0)
        metric_row.addWidget(self.heat_combo, 1)
        self._box.addLayout(metric_row)
        self._scale([("band", colour, key) for _, colour, key in p.AQI_BANDS])
        self._row(
            "alarms", "map.layer.alarms", swatch("diamond", p.PRIORITY_COLOURS[max(p.PRIORITY_COLOURS)])
        )
        self._scale([("diamond", p.PRIORITY_COLOURS[max(p.PRIORITY_COLOURS)], "map.legend.unack")], columns=1)
        self._row("cap", "map.layer.cap", swatch("dashed", p.PRIORITY_COLOURS[min(p.PRIORITY_COLOURS)]))
        self._row("geofences", "map.layer.geofences", swatch("dashed", "#80ffdb"))
        self._plugin_anchor = self._box.count()
        self._box.addStretch(1)
        self.retranslate()

    def _row(self, key: str, title: str | tuple[str, str], icon: QPixmap, at: int | None = None) -> QCheckBox:
        row = QWidget(self)
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 2, 0, 0)
        lay.setSpacing(6)
        pic = QLabel(row)
        pic.setPixmap(icon)
        check = QCheckBox(row)
        check.setChecked(True)
        check.setObjectName(f"mapLayer_{key}")
        check.toggled.connect(lambda on, k=key: self.sig_toggled.emit(k, on))
        lay.addWidget(pic)
        lay.addWidget(check, 1)
        if at is None:
            self._box.addWidget(row)
        else:
            self._box.insertWidget(at, row)
        self.checks[key] = check
        self._titles[key] = title
        return check

    def _scale(self, items: list[tuple[str, str, str]], columns: int = 2) -> None:
        scale = _Scale(items, self, columns)
        self._scales.append(scale)
        self._box.addWidget(scale)

    def add_plugin_layer(self, key: str, title_fa: str, title_en: str, colour: str = "#4cc9f0") -> None:
        if key in self.checks:
            return
        self._row(key, (title_fa, title_en), swatch("dot", colour), at=self._plugin_anchor)
        self._plugin_anchor += 1
        self.retranslate()

    def remove_plugin_layer(self, key: str) -> None:
        check = self.checks.pop(key, None)
        self._titles.pop(key, None)
        if check is not None:
            row = check.parentWidget()
            self._box.removeWidget(row)
            row.deleteLater()
            self._plugin_anchor -= 1

    def is_on(self, key: str) -> bool:
        check = self.checks.get(key)
        return check is None or check.isChecked()

    def retranslate(self) -> None:
        self.title.setText(i18n.tr("map.layers"))
        for key, check in self.checks.items():
            title = self._titles[key]
            if isinstance(title, tuple):
                check.setText(title[0] if i18n.lang() == "fa" else title[1])
            else:
                check.setText(i18n.tr(title))
        self.cluster.setText(i18n.tr("map.cluster"))
        for i, m in enumerate(self.HEAT_METRICS):
            self.heat_combo.setItemText(i, i18n.tr(f"map.heat.{m}"))
        for scale in self._scales:
            scale.retranslate()


class MapBar(QFrame):
    """Top bar: base-map source, live counts, whole-city and geofence buttons, layer-panel toggle."""

    sig_fit = Signal()
    sig_draw = Signal(bool)
    sig_panel = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mapBar")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 3, 6, 3)
        self.panel_button = QToolButton(self)
        self.panel_button.setCheckable(True)
        self.panel_button.setChecked(True)
        self.panel_button.setObjectName("mapPanelButton")
        self.panel_button.toggled.connect(self.sig_panel.emit)
        self.base_label = ElidedLabel(self)  # narrow windows elide; the whole text is in the tooltip
        self.base_label.setObjectName("mapBaseLabel")
        self.counts_label = ElidedLabel(self)
        self.counts_label.setObjectName("mapCountsLabel")
        self.hint_label = ElidedLabel(self)
        self.hint_label.setObjectName("mapHintLabel")
        self.hint_label.hide()
        self.fit_button = QToolButton(self)
        self.fit_button.clicked.connect(self.sig_fit.emit)
        self.draw_button = QToolButton(self)
        self.draw_button.setCheckable(True)
        self.draw_button.setObjectName("mapDrawButton")
        self.draw_button.toggled.connect(self._on_draw)
        lay.addWidget(self.panel_button)
        lay.addWidget(self.base_label)
        lay.addWidget(self.counts_label, 1)
        lay.addWidget(self.hint_label)
        lay.addWidget(self.fit_button)
        lay.addWidget(self.draw_button)

    def _on_draw(self, on: bool) -> None:
        self.hint_label.setVisible(on)
        self.sig_draw.emit(on)

    def retranslate(self) -> None:
        self.panel_button.setText(i18n.tr("map.layers"))
        self.fit_button.setText(i18n.tr("map.fit"))
        self.draw_button.setText(i18n.tr("map.draw_geofence"))
        self.hint_label.setText(i18n.tr("map.draw_hint"))
