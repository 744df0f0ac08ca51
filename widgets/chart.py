"""One live chart of one signal (pyqtgraph), drawn from the series store.

- `redraw(t0, t1, now)` draws the window [t0, t1] as the MinMax of each pixel column (about two
  points per column, so no spike is ever lost between pixels), rescanning only the columns whose
  samples changed (console.chart_data.PixelBins), and is a no-op when nothing changed: same data
  version, same window, same width, same staleness.
- Units, warn/alarm bands and the expected range come from the signal's metadata; stale data (source
  not connected in core.health, or no sample for longer than stale-after) is drawn dimmed and dashed,
  with the reason in the header.
- Gaps stay gaps: where consecutive drawn points are further apart than the signal's stale-after (and
  more than two pixel columns), the line breaks.
- The shared time cursor (`set_cursor`) shows a vertical line and a readout of the value at that
  instant; hovering emits `sig_hover` for the grid to share.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from console import i18n, timeticks
from console.chart_data import PixelBins
from console.health import FeedHealth
from console.model import SignalMeta
from console.series import NS, SeriesStore, SignalInfo
from widgets.chart_axes import GridLines, TimeAxis, ValueAxis

BG = "#0b0f14"
LINE = QColor("#58a6ff")
STALE_LINE = QColor(88, 166, 255, 90)
# bands are opaque, pre-blended over BG: filling large areas without alpha blending is much cheaper
WARN = QColor("#2f2817")  # amber at 18 % over BG
ALARM = QColor("#3d2226")  # red at 20 % over BG
WARN_EDGE = QColor("#d29922")
ALARM_EDGE = QColor("#ff6b6b")
EXPECTED = QColor("#3a4a5c")
CURSOR = QColor(232, 237, 242, 150)
AXIS_TEXT = QColor("#b8c4d0")
LEFT_AXIS_PX = 64
MIN_HEIGHT_PX = 110
CHART_QSS = f"""
QFrame#chart {{ border: 1px solid #1c2530; border-radius: 3px; background: {BG}; }}
QLabel#chartTitle {{ color: #e8edf2; font-weight: bold; }}
QLabel#chartValue {{ color: #ffffff; font-weight: bold; }}
QLabel#chartState {{ color: #d29922; }}
"""


def title_of(info: SignalInfo | None, signal: str, language: str | None = None) -> str:
    language = language or i18n.lang()
    if info is None:
        return signal
    m = info.meta
    what = (m.title_fa if language == "fa" else m.title_en) or info.key
    where = (info.label_fa if language == "fa" else info.label_en) or info.label_en or info.entity
    return f"{what} · {where}"


def age_text(age_s: float) -> str:
    if age_s < 120:
        return i18n.tr("charts.age_s", n=int(age_s))
    if age_s < 7200:
        return i18n.tr("charts.age_min", n=int(age_s // 60))
    return i18n.tr("charts.age_h", n=int(age_s // 3600))


# the last pixel columns are drawn as a separate curve: new samples land there
TAIL_BINS = 16


def _finite_range(v: np.ndarray) -> tuple:
    finite = v[np.isfinite(v)] if len(v) else v
    return (float(finite.min()), float(finite.max())) if len(finite) else ()


def with_breaks(x: np.ndarray, v: np.ndarray, t: np.ndarray, gap_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """Insert a NaN (a break in the line) wherever consecutive points are more than gap_ns apart."""
    if len(t) < 2 or gap_ns <= 0:
        return x, v
    at = np.flatnonzero(np.diff(t) > gap_ns) + 1
    if not len(at):
        return x, v
    return np.insert(x, at, x[at - 1]), np.insert(v, at, np.nan)


class ChartWidget(QFrame):
    """A header (title, last value, state) over a pyqtgraph plot of one signal."""

    sig_hover = Signal(object)  # t in ns UTC, or None when the pointer leaves

    def __init__(
        self,
        store: SeriesStore,
        signal: str,
        *,
        origin_ns: int,
        tz: str = "Asia/Tehran",
        health: FeedHealth | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("chart")
        self.store = store
        self.signal = signal
        self.origin_ns = origin_ns
        self.tz = tz
        self.health = health
        self._key: tuple | None = None
        self._y: tuple[float, float] | None = None
        self._stale = False
        self._cursor_t: int | None = None
        self.redraws = 0
        self.bins = PixelBins(store, signal)
        self._body_key: tuple | None = None
        self._body_n = 0
        self._body_range: tuple = ()
        self._build()
        self.retranslate()

    # -- construction ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.setStyleSheet(CHART_QSS)
        self.title = QLabel(self, objectName="chartTitle")
        self.value = QLabel(self, objectName="chartValue")
        self.state = QLabel(self, objectName="chartState")
        self.title.setTextFormat(Qt.PlainText)
        self.title.setMinimumWidth(40)
        head = QHBoxLayout()
        head.setContentsMargins(6, 2, 6, 0)
        head.setSpacing(14)
        head.addWidget(self.title, 1)
        head.addWidget(self.state)
        head.addWidget(self.value)

        self.time_axis = TimeAxis(self.origin_ns, self.tz)
        self.value_axis = ValueAxis()
        self.plot = pg.PlotWidget(
            background=BG, axisItems={"bottom": self.time_axis, "left": self.value_axis}
        )
        item = self.plot.getPlotItem()
        # time runs left to right and the value axis stays on the left in both languages
        # (QGraphicsLayout would otherwise mirror the plot's axes in the Persian UI)
        self.plot.setLayoutDirection(Qt.LeftToRight)
        item.setLayoutDirection(Qt.LeftToRight)
        item.hideButtons()
        item.setMenuEnabled(False)
        for ax in (self.time_axis, self.value_axis):
            ax.setPen(pg.mkPen(EXPECTED))
            ax.setTextPen(pg.mkPen(AXIS_TEXT))
        self.value_axis.setWidth(LEFT_AXIS_PX)
        self.vb = item.getViewBox()
        self.vb.setMouseEnabled(x=True, y=False)
        self.vb.disableAutoRange()
        self.vb.setDefaultPadding(0.0)
        self.grid = GridLines(self.time_axis, self.value_axis)
        self.vb.addItem(self.grid, ignoreBounds=True)

        self.bands = {
            name: pg.LinearRegionItem(
                orientation="horizontal", movable=False, brush=pg.mkBrush(color), pen=pg.mkPen(None)
            )
            for name, color in (
                ("warn_hi", WARN),
                ("alarm_hi", ALARM),
                ("warn_lo", WARN),
                ("alarm_lo", ALARM),
            )
        }
        for band in self.bands.values():
            band.setZValue(-20)
            band.hide()
            self.vb.addItem(band, ignoreBounds=True)
        self.limits = {
            name: pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen(color, width=1, style=style))
            for name, color, style in (
                ("warn_hi", WARN_EDGE, Qt.SolidLine),
                ("alarm_hi", ALARM_EDGE, Qt.SolidLine),
                ("warn_lo", WARN_EDGE, Qt.SolidLine),
                ("alarm_lo", ALARM_EDGE, Qt.SolidLine),
                ("lo", EXPECTED, Qt.DashLine),
                ("hi", EXPECTED, Qt.DashLine),
            )
        }
        for line in self.limits.values():
            line.setZValue(-10)
            line.hide()
            self.vb.addItem(line, ignoreBounds=True)

        self.curve = pg.PlotCurveItem(pen=self._pen(stale=False), connect="finite", antialias=False)
        self.tail = pg.PlotCurveItem(pen=self._pen(stale=False), connect="finite", antialias=False)
        for curve in (self.curve, self.tail):
            curve.setSkipFiniteCheck(True)
            self.vb.addItem(curve)
        # the newest sample as a dot: a value stands out even when it has no neighbour to join yet
        # (a plain ellipse that ignores the view transform: moving it costs a setPos, where a
        # ScatterPlotItem re-renders its spots on every setData)
        self.last_dot = QGraphicsEllipseItem(-3.0, -3.0, 6.0, 6.0)
        self.last_dot.setFlag(QGraphicsItem.ItemIgnoresTransformations)
        self.last_dot.setPen(QPen(Qt.NoPen))
        self.last_dot.setBrush(LINE)
        self.last_dot.hide()
        self.vb.addItem(self.last_dot, ignoreBounds=True)
        self.cursor_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(CURSOR, width=1))
        self.cursor_line.hide()
        self.vb.addItem(self.cursor_line, ignoreBounds=True)
        self.readout = pg.TextItem(anchor=(0, 0), color=(232, 237, 242), fill=pg.mkBrush(11, 15, 20, 200))
        self.readout.hide()
        self.vb.addItem(self.readout, ignoreBounds=True)
        self.empty = pg.TextItem(anchor=(0.5, 0.5), color=(139, 152, 165))
        self.empty.hide()
        self.vb.addItem(self.empty, ignoreBounds=True)

        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot.viewport().installEventFilter(self)

        self.setMinimumHeight(MIN_HEIGHT_PX)  # below this a plot is a smear, not a chart
        lay = QVBoxLayout(self)
        lay.setContentsMargins(1, 1, 1, 1)
        lay.setSpacing(0)
        lay.addLayout(head)
        lay.addWidget(self.plot, 1)

    def _pen(self, stale: bool) -> QPen:
        # 1 px cosmetic lines take Qt's fast path; wider pens are stroked (measured ~3x slower)
        pen = pg.mkPen(STALE_LINE if stale else LINE, width=1)
        if stale:
            pen.setStyle(Qt.DashLine)
        pen.setCosmetic(True)
        return pen

    # -- behaviour ---------------------------------------------------------------------------------
    @property
    def info(self) -> SignalInfo | None:
        return self.store.info(self.signal)

    def set_signal(self, signal: str) -> None:
        self.signal = signal
        self.bins = PixelBins(self.store, signal)
        self._key = None
        self.retranslate()

    def set_time_axis_labels(self, visible: bool) -> None:
        self.time_axis.setStyle(showValues=visible)
        self.time_axis.setHeight(None if visible else 6)

    def set_font(self, font: QFont) -> None:
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        for ax in (self.time_axis, self.value_axis):
            ax.setTickFont(small)
        self.readout.setFont(small)
        self.empty.setFont(font)

    def staleness(self, now_ns: int) -> tuple[bool, str]:
        """(stale?, why) from the source's state in core.health and the age of the newest sample."""
        info = self.info
        if info is None:
            return False, ""
        if self.health is not None and info.source:
            st = self.health.get(info.source)
            if st is not None and not st.state.ok:
                return True, i18n.tr("charts.source_state", state=i18n.tr("feed." + st.state.value))
        last = info.ring.last()
        if last is None:
            return False, ""
        age = (now_ns - last[0]) / NS
        if age > info.meta.stale_after_s:
            return True, i18n.tr("charts.stale_since", age=age_text(age))
        return False, ""

    def redraw(self, t0: int, t1: int, now_ns: int, *, force: bool = False) -> bool:
        """Draw [t0, t1]; returns False (and does nothing) when nothing changed since the last draw."""
        width = max(16, int(self.vb.width()) or self.plot.width())
        stale, why = self.staleness(now_ns)
        key = (self.store.version(self.signal), t0, t1, width, stale, why)
        if key == self._key and not force:
            return False
        self._key = key
        info = self.info
        # bins on this chart's own pixel grid (whole-px window ending at or after t1): fixed in time,
        # so a new frame rescans only the bins that changed
        px = max(1, (t1 - t0) // width)
        end = -(-t1 // px) * px
        self.bins.update(end - width * px, end, width)
        gap = max(info.ring.gap_ns, 2 * px) if info is not None else 0
        split = max(0, width - TAIL_BINS)
        body_key = (end - width * px, px, width, id(self.bins.history_part))
        if force or self.bins.changed_from < split or body_key != self._body_key:
            # the settled part: redrawn when the window scrolls a column or old data changed
            self._body_key = body_key
            t, v = self.bins.segment(0, split)
            if self.bins.history_part is not None:
                t = np.concatenate([self.bins.history_part[0], t])
                v = np.concatenate([self.bins.history_part[1], v])
            self._body_n = len(t)
            self._body_range = _finite_range(v)
            self.curve.setData(*with_breaks((t - self.origin_ns) / NS, v, t, gap))
        # the live tail (last columns, overlapping one settled column so the line joins): a new
        # sample repaints only this narrow strip of the plot
        t, v = self.bins.segment(max(0, split - 1), width)
        self.tail.setData(*with_breaks((t - self.origin_ns) / NS, v, t, gap))
        extremes = np.array([*self._body_range, *_finite_range(v)])
        n_points = self._body_n + len(t)
        if stale != self._stale:
            self._stale = stale
            self.curve.setPen(self._pen(stale))
            self.tail.setPen(self._pen(stale))
            self.last_dot.setBrush(STALE_LINE if stale else LINE)
        self.state.setText(why)
        self.state.setVisible(bool(why))
        self._set_y(extremes, info.meta if info else None)
        self._show_empty(n_points == 0, t0, t1)
        self._set_value(info)
        if self._cursor_t is not None:
            self._place_readout()
        self.redraws += 1
        return True

    def drawn(self) -> tuple[np.ndarray, np.ndarray]:
        """The (x, y) currently drawn, settled part and live tail joined (for tests and readouts)."""
        (bx, by), (tx, ty) = self.curve.getData(), self.tail.getData()
        if bx is None or tx is None:
            return (bx, by) if tx is None else (tx, ty)
        cut = np.searchsorted(bx, tx[0]) if len(tx) and len(bx) else len(bx)
        return np.concatenate([bx[:cut], tx]), np.concatenate([by[:cut], ty])

    def _show_empty(self, empty: bool, t0: int, t1: int) -> None:
        self.empty.setVisible(empty)
        if empty:
            self.empty.setText(i18n.tr("charts.no_data_here"))
            y0, y1 = self._y or (0.0, 1.0)
            self.empty.setPos(((t0 + t1) / 2 - self.origin_ns) / NS, (y0 + y1) / 2)

    def _set_value(self, info: SignalInfo | None) -> None:
        last = info.ring.last() if info else None
        if last is None or info is None or last[1] != last[1]:
            self.last_dot.hide()
        else:
            self.last_dot.setPos((last[0] - self.origin_ns) / NS, last[1])
            self.last_dot.show()
        if last is None or info is None:
            self.value.setText("—")
            return
        text = f"{i18n.number(last[1], info.meta.decimals)} {info.meta.unit}".strip()
        # the label's width only ever grows, in 24-px steps: a new value then almost never re-lays the
        # header out (which repaints the whole chart) and never makes the dock wider than it needs
        need = -(-self.value.fontMetrics().horizontalAdvance(text) // 24) * 24 + 4
        if need > self.value.minimumWidth():
            self.value.setMinimumWidth(need)
        self.value.setText(text)

    def _set_y(self, v: np.ndarray, meta: SignalMeta | None) -> None:
        finite = v[np.isfinite(v)] if len(v) else v
        if len(finite):
            lo, hi = float(finite.min()), float(finite.max())
        elif meta is not None and meta.lo is not None and meta.hi is not None:
            lo, hi = float(meta.lo), float(meta.hi)
        else:
            lo, hi = 0.0, 1.0
        span = hi - lo if hi > lo else max(abs(hi) * 0.1, 1.0)
        limits = {}
        if meta is not None:
            for name in ("warn_hi", "alarm_hi", "warn_lo", "alarm_lo", "lo", "hi"):
                val = getattr(meta, name)
                if val is None:
                    continue
                limits[name] = float(val)
                if name in ("lo", "hi"):
                    continue
                if lo - span <= val <= hi + span:  # a threshold near the data is part of the picture
                    lo, hi = min(lo, val), max(hi, val)
        pad = (hi - lo) * 0.08 or 1.0
        y0, y1 = lo - pad, hi + pad
        if (y0, y1) != self._y:
            self._y = (y0, y1)
            self.vb.setYRange(y0, y1, padding=0)
        self._set_bands(limits, y0, y1)

    def _set_bands(self, limits: dict[str, float], y0: float, y1: float) -> None:
        wh, ah = limits.get("warn_hi"), limits.get("alarm_hi")
        wl, al = limits.get("warn_lo"), limits.get("alarm_lo")
        spans: dict[str, tuple[float, float]] = {}
        if wh is not None:
            spans["warn_hi"] = (wh, ah if ah is not None else y1)
        if ah is not None:
            spans["alarm_hi"] = (ah, y1)
        if wl is not None:
            spans["warn_lo"] = (al if al is not None else y0, wl)
        if al is not None:
            spans["alarm_lo"] = (y0, al)
        for name, band in self.bands.items():
            lo, hi = spans.get(name, (0.0, 0.0))
            lo, hi = max(lo, y0), min(hi, y1)
            band.setVisible(lo < hi)
            if lo < hi:
                band.setRegion((lo, hi))
        for name, line in self.limits.items():
            val = limits.get(name)
            visible = val is not None and y0 <= val <= y1
            line.setVisible(visible)
            if visible:
                line.setValue(val)

    # -- shared cursor -----------------------------------------------------------------------------
    def set_cursor(self, t_ns: int | None) -> None:
        self._cursor_t = t_ns
        if t_ns is None:
            self.cursor_line.hide()
            self.readout.hide()
            return
        self.cursor_line.setValue((t_ns - self.origin_ns) / NS)
        self.cursor_line.show()
        self._place_readout()

    def value_at(self, t_ns: int) -> tuple[int, float] | None:
        """The newest sample at or before t_ns, if it is not older than the signal's stale-after."""
        info = self.info
        if info is None:
            return None
        gap = info.ring.gap_ns or 60 * NS
        w = self.store.window(self.signal, t_ns - gap, t_ns)
        if not len(w) or w.v[-1] != w.v[-1]:
            return None
        return int(w.t[-1]), float(w.v[-1])

    def readout_text(self, t_ns: int) -> str:
        info = self.info
        stamp = timeticks.cursor_label(t_ns, self.tz)
        hit = self.value_at(t_ns)
        if hit is None or info is None:
            return f"—  {stamp}"
        return f"{i18n.number(hit[1], info.meta.decimals)} {info.meta.unit}  {stamp}"

    def _place_readout(self) -> None:
        t = self._cursor_t
        if t is None:
            return
        (x0, x1), (_, y1) = self.vb.viewRange()
        x = (t - self.origin_ns) / NS
        self.readout.setText(self.readout_text(t))
        self.readout.setAnchor((1, 0) if x > (x0 + x1) / 2 else (0, 0))
        self.readout.setPos(x, y1)
        self.readout.show()

    def _on_mouse_moved(self, pos: QPointF) -> None:
        if not self.vb.sceneBoundingRect().contains(pos):
            return
        x = self.vb.mapSceneToView(pos).x()
        if math.isfinite(x):
            self.sig_hover.emit(int(self.origin_ns + x * NS))

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Leave:
            self.sig_hover.emit(None)
        return super().eventFilter(obj, event)

    def _align_value(self) -> None:
        outer = (
            Qt.AlignLeft if i18n.is_rtl() else Qt.AlignRight
        ) | Qt.AlignAbsolute  # the chart's outer edge
        self.value.setAlignment(outer | Qt.AlignVCenter)
        self.value.setMinimumWidth(0)

    def retranslate(self) -> None:
        self._align_value()
        self.title.setText(title_of(self.info, self.signal))
        self.title.setToolTip(self.signal)
        self._key = None  # labels and digits change with the language: redraw
