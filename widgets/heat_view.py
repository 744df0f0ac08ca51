"""A compact map picture for department panels: a heat image over the city, district outlines,
labelled points and a legend, drawn with QPainter (no web page: cheap enough for a panel tab).

The image rows are evenly spaced in web-mercator y (console.heatmap.grid_axes), so positions are
placed with the same projection; the picture keeps the city's aspect ratio and is always drawn
north-up, left-to-right (a map does not mirror in a right-to-left interface).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class MapPoint:
    lat: float
    lon: float
    colour: str
    label: str = ""


def _merc_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


class HeatView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(240, 200)
        self.setLayoutDirection(Qt.LeftToRight)
        self._image: QImage | None = None
        self._rgba: np.ndarray | None = None
        self.bbox: tuple[float, float, float, float] | None = None
        self.outlines: list[list[tuple[float, float]]] = []
        self.points: list[MapPoint] = []
        self.caption = ""
        self.legend: list[tuple[str, str]] = []

    def set_scene(
        self,
        rgba: np.ndarray | None,
        bbox: tuple[float, float, float, float] | None,
        *,
        outlines: list[list[tuple[float, float]]] = (),
        points: list[MapPoint] = (),
        caption: str = "",
        legend: list[tuple[str, str]] = (),
    ) -> None:
        """`rgba`: (rows, cols, 4) uint8 over `bbox` (min_lon, min_lat, max_lon, max_lat); outlines are
        rings of (lon, lat); legend entries (colour, text)."""
        if rgba is not self._rgba:
            self._rgba = rgba
            if rgba is None:
                self._image = None
            else:
                data = np.ascontiguousarray(rgba)
                self._image = QImage(
                    data.data, data.shape[1], data.shape[0], 4 * data.shape[1], QImage.Format_RGBA8888
                ).copy()
        self.bbox = bbox
        self.outlines = list(outlines)
        self.points = list(points)
        self.caption = caption
        self.legend = list(legend)
        self.update()

    # -- drawing -------------------------------------------------------------------------------------
    def _frame(self) -> tuple[QRectF, callable] | None:
        if self.bbox is None:
            return None
        min_lon, min_lat, max_lon, max_lat = self.bbox
        y0, y1 = _merc_y(max_lat), _merc_y(min_lat)
        width_u = math.radians(max_lon - min_lon)
        height_u = y0 - y1
        avail = QRectF(self.rect()).adjusted(8, 24, -8, -34)
        if width_u <= 0 or height_u <= 0 or avail.width() <= 0 or avail.height() <= 0:
            return None
        scale = min(avail.width() / width_u, avail.height() / height_u)
        w, h = width_u * scale, height_u * scale
        frame = QRectF(avail.x() + (avail.width() - w) / 2, avail.y() + (avail.height() - h) / 2, w, h)

        def place(lat: float, lon: float) -> QPointF:
            return QPointF(
                frame.x() + math.radians(lon - min_lon) * scale, frame.y() + (y0 - _merc_y(lat)) * scale
            )

        return frame, place

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.fillRect(self.rect(), QColor("#0b1119"))
        p.setPen(QColor("#b8c4d0"))
        p.drawText(
            QRectF(self.rect()).adjusted(8, 2, -8, 0),
            Qt.AlignTop | Qt.AlignLeading | Qt.TextWordWrap,
            self.caption,
        )
        framed = self._frame()
        if framed is not None:
            frame, place = framed
            if self._image is not None:
                p.drawImage(frame, self._image)
            p.setPen(QPen(QColor("#3d5a80"), 1.2))
            p.setBrush(Qt.NoBrush)
            for ring in self.outlines:
                path = QPainterPath()
                for i, (lon, lat) in enumerate(ring):
                    (path.lineTo if i else path.moveTo)(place(lat, lon))
                p.drawPath(path)
            small = QFont(self.font())
            small.setPointSizeF(max(6.0, self.font().pointSizeF() * 0.8))
            p.setFont(small)
            for pt in self.points:
                at = place(pt.lat, pt.lon)
                p.setPen(QPen(QColor("#0b1119"), 1))
                p.setBrush(QColor(pt.colour))
                p.drawEllipse(at, 4.5, 4.5)
                if pt.label:
                    p.setPen(QColor("#e8edf2"))
                    p.drawText(at + QPointF(6, 4), pt.label)
        self._paint_legend(p)
        p.end()

    def _paint_legend(self, p: QPainter) -> None:
        if not self.legend:
            return
        x = 8.0
        y = self.height() - 22.0
        for colour, text in self.legend:
            p.setPen(Qt.NoPen)
            p.setBrush(QColor(colour))
            p.drawRect(QRectF(x, y + 3, 12, 12))
            p.setPen(QColor("#b8c4d0"))
            width = p.fontMetrics().horizontalAdvance(text)
            p.drawText(QPointF(x + 16, y + 14), text)
            x += 28 + width
