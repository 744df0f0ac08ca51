"""Chart axes: a time axis on the city's clock (Jalali dates, Persian digits in the Persian UI) and a
value axis with the UI's digits. Placement and wording live in console.timeticks (Qt-free, tested)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF

from console import i18n, timeticks

_FA = str.maketrans("0123456789.-", "۰۱۲۳۴۵۶۷۸۹٫−")

# Pixels one time label needs (clock "۲۳:۵۹" or date "۲۹ اسفند" plus a margin).
LABEL_PX = 96


class TimeAxis(pg.AxisItem):
    """Bottom axis for x = seconds since `origin_ns`."""

    def __init__(self, origin_ns: int, tz: str, **kw):
        super().__init__("bottom", **kw)
        self.origin_ns = origin_ns
        self.tz = tz
        self.enableAutoSIPrefix(False)
        self._ticks: tuple[tuple, list] = ((), [])

    def tickValues(self, minVal: float, maxVal: float, size: float):
        key = (minVal, maxVal, size)
        if key != self._ticks[0]:  # asked by the axis and the grid on every paint: compute once
            step = timeticks.pick_step(maxVal - minVal, max(2, int(size / LABEL_PX)))
            ticks = timeticks.tick_positions(minVal, maxVal, self.origin_ns, step, self.tz)
            self._ticks = (key, [(float(step), ticks)])
        return self._ticks[1]

    def tickStrings(self, values, scale, spacing):
        step = max(1, round(spacing))
        return [timeticks.tick_label(v, self.origin_ns, step, self.tz) for v in values]


class ValueAxis(pg.AxisItem):
    """Left axis: pyqtgraph's numbers, in Persian digits when the UI is Persian; no SI prefixes."""

    def __init__(self, **kw):
        super().__init__("left", **kw)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):
        labels = super().tickStrings(values, scale, spacing)
        return [s.translate(_FA) for s in labels] if i18n.lang() == "fa" else labels


class GridLines(pg.GraphicsObject):
    """Faint grid at the axes' major ticks, drawn as one batch of opaque 1-px lines.

    pyqtgraph's own grid is drawn by the axes across the whole plot, so every curve update
    repaints both axes with all their text (measured: most of a 4K wall frame); this item has no
    text and costs a few dozen lines.
    """

    def __init__(self, time_axis: TimeAxis, value_axis: ValueAxis, color: str = "#161e28"):
        super().__init__()
        self.time_axis = time_axis
        self.value_axis = value_axis
        self.pen = pg.mkPen(color, width=1)
        self.pen.setCosmetic(True)
        self._lines: tuple[tuple, list] = ((), [])
        self.setZValue(-15)  # above the (opaque) bands, below limit lines and the curve

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def boundingRect(self) -> QRectF:
        vb = self.getViewBox()
        return vb.viewRect() if vb is not None else QRectF()

    def paint(self, painter, *_) -> None:
        vb = self.getViewBox()
        if vb is None:
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        key = (x0, x1, y0, y1, vb.width(), vb.height())
        if key != self._lines[0]:
            lines = []
            for _spacing, xs in self.time_axis.tickValues(x0, x1, max(1.0, vb.width()))[:1]:
                lines += [QLineF(x, y0, x, y1) for x in xs]
            for _spacing, ys in self.value_axis.tickValues(y0, y1, max(1.0, vb.height()))[:1]:
                lines += [QLineF(x0, y, x1, y) for y in ys]
            self._lines = (key, lines)
        painter.setPen(self.pen)
        painter.drawLines(self._lines[1])
