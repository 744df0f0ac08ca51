"""Horizontal bars with labels: "how much, where" at a glance (congestion by district, shortage by
area, crowding per terminal). Painted directly (no chart machinery), right-to-left in Persian.

A bar never invents a value: `None` draws an empty track with "—". Colour carries the status, and
the value text is always printed beside the bar, so it reads without colour vision.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QWidget

from console import i18n

ROW_PX = 22
MAX_TRACK_PX = 520
TRACK = QColor("#1b2632")
TEXT = QColor("#d8e0e8")
MUTED = QColor("#8b98a5")


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    value: float | None
    maximum: float
    colour: str = "#4cc9f0"
    text: str = ""  # printed beside the bar; default: the value with Persian digits


class BarsWidget(QWidget):
    def __init__(self, parent: QWidget | None = None, label_px: int = 90, text_px: int = 60):
        super().__init__(parent)
        self.bars: list[Bar] = []
        self.label_px = self._min_label = label_px
        self.text_px = self._min_text = text_px
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)

    def set_bars(self, bars: list[Bar]) -> None:
        self.bars = list(bars)
        fm = self.fontMetrics()
        self.label_px = max(self._min_label, *(fm.horizontalAdvance(b.label) + 10 for b in self.bars), 0)
        self.text_px = max(self._min_text, *(fm.horizontalAdvance(self._shown(b)) + 10 for b in self.bars), 0)
        self.setMinimumHeight(max(1, len(self.bars)) * ROW_PX + 4)
        self.updateGeometry()
        self.update()

    @staticmethod
    def _shown(bar: Bar) -> str:
        return bar.text or (i18n.number(bar.value, 0) if bar.value is not None else "—")

    def sizeHint(self) -> QSize:
        return QSize(360, max(1, len(self.bars)) * ROW_PX + 4)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        rtl = i18n.is_rtl()
        w = self.width()
        track_w = max(40, min(MAX_TRACK_PX, w - self.label_px - self.text_px - 16))
        for row, bar in enumerate(self.bars):
            y = 2 + row * ROW_PX
            label = (
                QRectF(w - self.label_px, y, self.label_px - 4, ROW_PX)
                if rtl
                else QRectF(4, y, self.label_px - 4, ROW_PX)
            )
            track_x = w - self.label_px - 8 - track_w if rtl else self.label_px + 8
            track = QRectF(track_x, y + 5, track_w, ROW_PX - 10)
            text = (
                QRectF(track_x - self.text_px - 4, y, self.text_px, ROW_PX)
                if rtl
                else QRectF(track_x + track_w + 6, y, self.text_px, ROW_PX)
            )
            p.setPen(TEXT)
            p.drawText(label, (Qt.AlignRight if rtl else Qt.AlignLeft) | Qt.AlignVCenter, bar.label)
            p.setPen(Qt.NoPen)
            p.setBrush(TRACK)
            p.drawRoundedRect(track, 3, 3)
            if bar.value is not None and bar.maximum > 0:
                frac = max(0.0, min(1.0, bar.value / bar.maximum))
                fill_w = track.width() * frac
                fill = QRectF(
                    track.right() - fill_w if rtl else track.left(), track.top(), fill_w, track.height()
                )
                p.setBrush(QColor(bar.colour))
                p.drawRoundedRect(fill, 3, 3)
            p.setPen(TEXT if bar.value is not None else MUTED)
            p.drawText(text, (Qt.AlignRight if rtl else Qt.AlignLeft) | Qt.AlignVCenter, self._shown(bar))
        p.end()


class BarsArea(QScrollArea):
    """Bars that take the height they need when there is room and scroll when there is not, so a long
    list (16 parks) never makes the window taller than the screen."""

    MIN_ROWS = 3

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.bars = BarsWidget(self)
        self.setWidget(self.bars)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)

    def set_bars(self, bars: list[Bar]) -> None:
        self.bars.set_bars(bars)
        self.setMaximumHeight(self.bars.minimumHeight() + 2)
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        return QSize(self.bars.sizeHint().width(), self.bars.minimumHeight() + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(120, min(self.bars.minimumHeight(), self.MIN_ROWS * ROW_PX) + 2)
