"""A grid of live charts sharing one time axis and one time cursor (the wall and the charts dock).

- Live mode: every chart shows the last `window` seconds ending now; the window end is quantised to
  one pixel column, so a chart only re-decimates when the picture can change.
- One QTimer drives all redraws at `redraw_hz` (<= 30 Hz); each chart skips its redraw when its data
  version, window, width and staleness are unchanged. Hidden grids do no work.
- Mouse zoom/pan (time axis only) on any chart pauses live mode for the whole grid (x ranges are
  linked); the "back to live" button (or Esc / double-click) returns.
- Hovering a time on one chart shows the same instant, with readouts, on every chart.
- Charts are laid out in columns chosen for the grid's aspect; only the bottom row shows time labels.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from console import i18n
from console.health import FeedHealth
from console.series import NS, SeriesStore
from widgets.chart import ChartWidget

# chart cells look best around this width:height
CELL_ASPECT = 2.6
MIN_CELL_PX = 280
GRID_QSS = """
QLabel#chartBanner { background: #5a3d00; color: #ffe7a3; font-weight: bold; padding: 4px 10px;
                     border: 1px solid #d29922; }
QLabel#chartLive { color: #3fb950; font-weight: bold; padding: 0 6px; }
QLabel#chartLive[paused="true"] { color: #d29922; }
QPushButton#backToLive { background: #1f6feb; color: #ffffff; font-weight: bold; border: none;
                         padding: 4px 14px; }
"""


def grid_columns(n: int, width: float, height: float, aspect: float = CELL_ASPECT) -> int:
    """Columns that make n cells in width x height closest to the wanted cell aspect, never narrower
    than MIN_CELL_PX (a wide, low dock would otherwise get many thin columns whose minimum widths
    add up to more than the dock had)."""
    if n <= 1 or width <= 0 or height <= 0:
        return 1
    best, best_cols = math.inf, 1
    for cols in range(1, min(n, max(1, int(width // MIN_CELL_PX))) + 1):
        rows = math.ceil(n / cols)
        score = abs(math.log((width / cols) / (height / rows) / aspect)) + 0.02 * (cols * rows - n)
        if score < best:
            best, best_cols = score, cols
    return best_cols


class ChartGrid(QWidget):
    sig_live_changed = Signal(bool)

    def __init__(
        self,
        store: SeriesStore,
        *,
        health: FeedHealth | None = None,
        tz: str = "Asia/Tehran",
        redraw_hz: float = 30.0,
        window_s: float = 15 * 60,
        clock: Callable[[], int] = time.time_ns,
        origin_ns: int | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("chartGrid")
        self.setStyleSheet(GRID_QSS)
        self.store = store
        self.health = health
        self.tz = tz
        self.clock = clock
        now = clock()
        self.origin_ns = origin_ns if origin_ns is not None else now - now % (86_400 * NS)
        self.window_ns = int(window_s * NS)
        self.live = True
        self.charts: list[ChartWidget] = []
        self._range: tuple[int, int] | None = None
        self._cols = 0
        self.frames = 0

        self.banner = QLabel(self, objectName="chartBanner")
        self.banner.setAlignment(Qt.AlignCenter)
        self.banner.hide()
        self.live_label = QLabel(self, objectName="chartLive")
        self.back = QPushButton(self, objectName="backToLive")
        self.back.clicked.connect(self.go_live)
        self.back.hide()
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.live_label)
        bar.addStretch(1)
        bar.addWidget(self.back)
        self.bar = bar
        self.cells = QGridLayout()
        self.cells.setContentsMargins(2, 2, 2, 2)
        self.cells.setSpacing(4)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.banner)
        lay.addLayout(bar)
        lay.addLayout(self.cells, 1)

        QShortcut(QKeySequence(Qt.Key_Escape), self, activated=self.go_live)
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, round(1000 / min(redraw_hz, 30.0))))
        self.timer.timeout.connect(self.tick)
        self.retranslate()

    # -- content -----------------------------------------------------------------------------------
    def set_signals(self, signals: list[str]) -> None:
        for chart in self.charts:
            chart.setParent(None)
            chart.deleteLater()
        self.charts = []
        for sig in signals:
            chart = ChartWidget(self.store, sig, origin_ns=self.origin_ns, tz=self.tz, health=self.health)
            chart.set_font(self.font())
            chart.sig_hover.connect(self.set_cursor)
            chart.vb.sigRangeChangedManually.connect(self._on_manual_range)
            chart.plot.scene().sigMouseClicked.connect(self._on_click)
            if self.charts:
                chart.vb.setXLink(self.charts[0].vb)
            self.charts.append(chart)
        self._cols = 0
        self._layout_cells()
        self._range = None
        self.tick(force=True)

    def signals(self) -> list[str]:
        return [c.signal for c in self.charts]

    def set_banner(self, text: str | None) -> None:
        self.banner.setText(text or "")
        self.banner.setVisible(bool(text))

    def set_window(self, seconds: float) -> None:
        self.window_ns = int(seconds * NS)
        self.go_live()

    # -- layout ------------------------------------------------------------------------------------
    def _layout_cells(self) -> None:
        n = len(self.charts)
        cols = grid_columns(n, self.width(), max(1, self.height() - 40))
        if cols == self._cols and all(self.cells.indexOf(c) >= 0 for c in self.charts):
            return
        self._cols = cols
        for c in self.charts:
            self.cells.removeWidget(c)
        rows = math.ceil(n / cols) if n else 0
        for i, chart in enumerate(self.charts):
            r, c = divmod(i, cols)
            self.cells.addWidget(chart, r, c)
            chart.set_time_axis_labels(r == rows - 1 or i + cols >= n)
        # rows/columns of an earlier, larger layout keep their stretch (and their space) unless reset
        for r in range(max(rows, self.cells.rowCount())):
            self.cells.setRowStretch(r, 1 if r < rows else 0)
        for c in range(max(cols, self.cells.columnCount())):
            self.cells.setColumnStretch(c, 1 if c < cols else 0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._layout_cells()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.timer.stop()

    # -- live / paused -----------------------------------------------------------------------------
    def go_live(self) -> None:
        changed = not self.live
        self.live = True
        self._range = None
        self.retranslate()
        self.tick(force=True)
        if changed:
            self.sig_live_changed.emit(True)

    def pause(self) -> None:
        if self.live:
            self.live = False
            self.retranslate()
            self.sig_live_changed.emit(False)

    def _on_manual_range(self, *_) -> None:
        self.pause()

    def _on_click(self, event) -> None:
        if event.double():
            self.go_live()

    def visible_range(self, now_ns: int) -> tuple[int, int]:
        """[t0, t1] to draw: the live window (end quantised to a pixel column) or the paused view."""
        if self.live or not self.charts:
            width = max(16, int(self.charts[0].vb.width())) if self.charts else 1000
            px = max(1, self.window_ns // width)
            t1 = -(-now_ns // px) * px
            return t1 - self.window_ns, t1
        (x0, x1), _ = self.charts[0].vb.viewRange()
        return int(self.origin_ns + x0 * NS), int(self.origin_ns + x1 * NS)

    def tick(self, force: bool = False) -> int:
        """One frame: set the live range, let each chart redraw if it must. Returns charts redrawn."""
        if not self.charts:
            return 0
        now = self.clock()
        t0, t1 = self.visible_range(now)
        if self.live and (t0, t1) != self._range:
            self.charts[0].vb.setXRange((t0 - self.origin_ns) / NS, (t1 - self.origin_ns) / NS, padding=0)
        self._range = (t0, t1)
        drawn = sum(chart.redraw(t0, t1, now, force=force) for chart in self.charts)
        for chart in self.charts:
            # apply the new ranges now: pyqtgraph would defer this to the paint, whose item moves
            # then schedule a second full paint of every plot
            chart.vb.updateMatrix()
        self.frames += 1
        return drawn

    # -- cursor ------------------------------------------------------------------------------------
    def set_cursor(self, t_ns: int | None) -> None:
        for chart in self.charts:
            chart.set_cursor(t_ns)

    def retranslate(self) -> None:
        self.back.setText(i18n.tr("charts.back_to_live"))
        self.back.setVisible(not self.live)
        self.live_label.setText(
            ("● " + i18n.tr("charts.live")) if self.live else ("❚❚ " + i18n.tr("charts.paused"))
        )
        self.live_label.setProperty("paused", "false" if self.live else "true")
        self.live_label.style().unpolish(self.live_label)
        self.live_label.style().polish(self.live_label)
        for chart in self.charts:
            chart.retranslate()
