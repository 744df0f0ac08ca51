"""A small chart for department panels: a recent series, its forecast with the interval, limits.

The x axis is minutes relative to the newest observation ("now" = 0; the past negative, the
forecast positive), so it reads the same in both languages and needs no clock; tick labels use the
language's digits. The forecast is drawn only when there is one (console.forecast.Forecast): a
dashed mean inside a shaded interval. Horizontal limits (e.g. "full", "flood stage") are dotted.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from console import i18n
from console.forecast import NS, Forecast


def _decimals(spacing: float) -> int:
    """Enough decimals to tell neighbouring ticks apart."""
    return 0 if spacing >= 1 else 1 if spacing >= 0.1 else 2


class _MinutesAxis(pg.AxisItem):
    def tickStrings(self, values, scale, spacing):
        return [i18n.number(v, _decimals(spacing)) for v in values]


class _ValueAxis(pg.AxisItem):
    decimals = 0

    def tickStrings(self, values, scale, spacing):
        return [i18n.number(v, max(self.decimals, _decimals(spacing))) for v in values]


class ForecastChart(QWidget):
    def __init__(self, parent: QWidget | None = None, *, colour: str = "#4cc9f0"):
        super().__init__(parent)
        self.colour = colour
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.title.setStyleSheet("color: #b8c4d0;")
        self._value_axis = _ValueAxis("left")
        self.plot = pg.PlotWidget(
            self, axisItems={"bottom": _MinutesAxis("bottom"), "left": self._value_axis}, background="#0b1119"
        )
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        # time runs left to right and the value axis stays on the left in both languages
        self.plot.setLayoutDirection(Qt.LeftToRight)
        self.plot.plotItem.setLayoutDirection(Qt.LeftToRight)
        # Persian digits (Noto Sans Arabic) are taller than pyqtgraph's default axis allows
        metrics = QFontMetrics(self.font())
        self.plot.getAxis("bottom").setHeight(metrics.height() + 18)
        self._value_axis.setWidth(metrics.horizontalAdvance("88,888.8") + 14)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.plot, 1)
        self.lines: dict[str, pg.PlotDataItem] = {}
        self.band: pg.FillBetweenItem | None = None
        self.limits: list[pg.InfiniteLine] = []

    def clear(self, message: str = "") -> None:
        self.plot.clear()
        self.lines, self.band, self.limits = {}, None, []
        self.title.setText(message)

    def show_series(
        self,
        title: str,
        now_ns: int,
        series: list[tuple[str, np.ndarray, np.ndarray, str]],
        forecast: Forecast | None = None,
        *,
        limits: list[tuple[float, str]] = (),
        y_range: tuple[float, float] | None = None,
        decimals: int = 0,
    ) -> None:
        """`series`: (key, t ns, values, colour) drawn solid; `forecast` dashed with its interval."""
        self.clear(title)
        self._value_axis.decimals = decimals
        for key, t, v, colour in series:
            if len(t):
                x = (np.asarray(t, np.int64) - now_ns) / (60.0 * NS)
                self.lines[key] = self.plot.plot(x, v, pen=pg.mkPen(colour, width=2))
        if forecast is not None:
            x = (forecast.t - now_ns) / (60.0 * NS)
            lo = self.plot.plot(x, forecast.lo, pen=pg.mkPen(self.colour, width=1, style=Qt.DotLine))
            hi = self.plot.plot(x, forecast.hi, pen=pg.mkPen(self.colour, width=1, style=Qt.DotLine))
            self.band = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(76, 201, 240, 45))
            self.plot.addItem(self.band)
            self.lines["forecast"] = self.plot.plot(
                x, forecast.mean, pen=pg.mkPen(self.colour, width=2, style=Qt.DashLine)
            )
        for value, colour in limits:
            line = pg.InfiniteLine(value, angle=0, pen=pg.mkPen(colour, width=1, style=Qt.DotLine))
            self.plot.addItem(line)
            self.limits.append(line)
        now = pg.InfiniteLine(0.0, angle=90, pen=pg.mkPen("#8b98a5", width=1))
        self.plot.addItem(now)
        if y_range is not None:
            self.plot.setYRange(*y_range, padding=0.02)
        else:
            self.plot.enableAutoRange(axis="y")
