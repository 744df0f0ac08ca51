"""The charts dock: a chart grid of city-level signals from the series store, a window selector and a
signal picker; an honest empty state until numeric data arrives.

Until the operator picks, the panel follows `console.signal_choice.suggest` as signals appear (AQI of a
few stations, a traffic speed, a water level, a substation load ...). Once they pick, it keeps their
choice. Also the "charts" snapshot view (`python main.py snapshot --view charts`), which with
`--points N` draws generated test data under a visible "generated test data" banner.
"""

from __future__ import annotations

import argparse
import time

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from console import i18n, signal_choice
from console.core import Core
from console.series import NS, SeriesConfig, SeriesStore
from widgets.chart import title_of
from widgets.chart_grid import MIN_CELL_PX, ChartGrid

MAX_CHARTS = 16
MIN_CHART_PX = 150  # a chart lower than this (header + plot + axis) is not readable
DEFAULT_CHARTS = 6
# (seconds, catalog key, n) offered in the window selector
WINDOWS = (
    (5 * 60, "charts.minutes", 5),
    (15 * 60, "charts.minutes", 15),
    (3600, "charts.hours", 1),
    (6 * 3600, "charts.hours", 6),
    (86_400, "charts.hours", 24),
    (7 * 86_400, "charts.days", 7),
)


class SignalPicker(QDialog):
    """Tick the signals to chart; filter by text; or go back to the automatic choice."""

    def __init__(self, store: SeriesStore, chosen: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(i18n.tr("charts.pick_title"))
        self.auto = False
        self.hint = QLabel(i18n.tr("charts.pick_hint", n=MAX_CHARTS), self)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText(i18n.tr("charts.filter"))
        self.filter.textChanged.connect(self._on_filter)
        self.list = QListWidget(self)
        for info in sorted(store.signals(), key=lambda i: (i.etype, i.key, i.signal)):
            item = QListWidgetItem(f"{title_of(info, info.signal)}  ({info.meta.unit})", self.list)
            item.setData(Qt.UserRole, info.signal)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if info.signal in chosen else Qt.Unchecked)
        buttons = QDialogButtonBox(self)
        buttons.addButton(i18n.tr("charts.apply"), QDialogButtonBox.AcceptRole)
        buttons.addButton(i18n.tr("charts.cancel"), QDialogButtonBox.RejectRole)
        auto = buttons.addButton(i18n.tr("charts.auto"), QDialogButtonBox.ResetRole)
        auto.clicked.connect(self._on_auto)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.hint)
        lay.addWidget(self.filter)
        lay.addWidget(self.list, 1)
        lay.addWidget(buttons)
        self.resize(520, 560)

    def _on_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.list.count()):
            item = self.list.item(i)
            hay = (item.text() + " " + item.data(Qt.UserRole)).lower()
            item.setHidden(bool(needle) and needle not in hay)

    def _on_auto(self) -> None:
        self.auto = True
        self.accept()

    def chosen(self) -> list[str]:
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.checkState() == Qt.Checked:
                out.append(item.data(Qt.UserRole))
        return out[:MAX_CHARTS]


class ChartPanel(QWidget):
    def __init__(
        self,
        store: SeriesStore,
        *,
        health=None,
        tz: str = "Asia/Tehran",
        redraw_hz: float = 30.0,
        charts: int = DEFAULT_CHARTS,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("chartPanel")
        self.store = store
        self.n_auto = charts
        self.picked: list[str] | None = None  # None: follow the automatic choice
        self.grid = ChartGrid(store, health=health, tz=tz, redraw_hz=redraw_hz, parent=self)
        # the charts' own minimum heights must not hold the dock open: the panel shows as many
        # charts as fit (auto_count) instead, so an explicit small minimum wins over the layout's
        self.grid.setMinimumSize(MIN_CELL_PX // 2, MIN_CHART_PX)
        self.window_box = QComboBox(self)
        for seconds, _key, _n in WINDOWS:
            self.window_box.addItem("", seconds)
        self.window_box.setCurrentIndex(1)
        self.window_box.currentIndexChanged.connect(self._on_window)
        self.window_label = QLabel(self)
        self.pick_button = QPushButton(self)
        self.pick_button.clicked.connect(self.open_picker)
        tools = QHBoxLayout()
        tools.setContentsMargins(4, 4, 4, 0)
        tools.addWidget(self.window_label)
        tools.addWidget(self.window_box)
        tools.addStretch(1)
        tools.addWidget(self.pick_button)
        self.empty = QLabel(self, objectName="placeholder")
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedLayout()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.grid)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(tools)
        lay.addLayout(self.stack, 1)
        self._follow = QTimer(self)
        self._follow.setInterval(1000)
        self._follow.timeout.connect(self.follow_store)
        self._follow.start()
        self.retranslate()
        self.follow_store()

    def sizeHint(self) -> QSize:
        # ask the main window for room for a few readable charts when docks share a side
        return QSize(460, 620)

    def auto_count(self) -> int:
        """How many charts fit the panel readably (at least MIN_CHART_PX high), up to n_auto."""
        h = self.height() - 80 if self.isVisible() else 10_000
        fit = max(1, h // MIN_CHART_PX) * max(1, self.width() // MIN_CELL_PX)
        return max(1, min(self.n_auto, fit))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.picked is None:
            self.follow_store()

    def follow_store(self) -> None:
        """Apply the automatic choice as signals appear (until the operator picks)."""
        wanted = (
            self.picked
            if self.picked is not None
            else signal_choice.suggest(self.store.signals(), self.auto_count())
        )
        if wanted != self.grid.signals():
            self.grid.set_signals(wanted)
        self.stack.setCurrentWidget(self.grid if wanted else self.empty)
        self.pick_button.setEnabled(bool(self.store.signals()))

    def open_picker(self) -> None:
        dlg = SignalPicker(self.store, self.grid.signals(), self)
        if dlg.exec() == QDialog.Accepted:
            self.picked = None if dlg.auto else dlg.chosen()
            self.follow_store()

    def _on_window(self, index: int) -> None:
        self.grid.set_window(float(self.window_box.itemData(index)))

    def retranslate(self) -> None:
        self.empty.setText(i18n.tr("charts.empty"))
        self.window_label.setText(i18n.tr("charts.window"))
        self.pick_button.setText(i18n.tr("charts.pick"))
        for i, (_seconds, key, n) in enumerate(WINDOWS):
            self.window_box.setItemText(i, i18n.tr(key, n=n))
        self.grid.retranslate()


def make_chart_panel(core: Core, parent: QWidget) -> QWidget:
    """Factory for the charts dock (widgets/docks.py)."""
    return ChartPanel(
        core.services["series"],
        health=core.health,
        tz=core.settings.timezone,
        redraw_hz=core.settings.redraw_hz,
        parent=parent,
    )


def snapshot_view(window, args: argparse.Namespace) -> QWidget:
    """`snapshot --view charts`: the live chart panel, or with --points a grid of generated test data."""
    from console import testdata

    core: Core = window.core
    points = getattr(args, "points", None)
    n_charts = getattr(args, "charts", None)
    if not points:
        panel = ChartPanel(
            core.services["series"],
            health=core.health,
            tz=core.settings.timezone,
            charts=n_charts or DEFAULT_CHARTS,
        )
        return panel
    n_charts = n_charts or 12
    span_s = 7 * 86_400.0
    other = min(points, 1_000_000)
    store = SeriesStore(
        config=SeriesConfig(
            points_per_signal=max(points, other),
            # rings grow within 3/4 of the budget (see console.series): room for every generated point
            memory_mb=(points + other * n_charts) * 32 / 2**20 / 0.7 + 64,
            initial_points=1024,
        )
    )
    now = time.time_ns()
    ids = testdata.fill_store(store, n_charts, points, t_end_ns=now, span_s=span_s, other_points=other)
    grid = ChartGrid(store, tz=core.settings.timezone, window_s=span_s, origin_ns=now - now % (86_400 * NS))
    grid.set_signals(ids)
    grid.set_banner(
        f"{i18n.tr('charts.test_data')} — {i18n.tr('charts.points', n=i18n.number(points))}"
        + (f" / {i18n.tr('charts.points', n=i18n.number(other))}" if n_charts > 1 and other != points else "")
    )
    return grid
