"""Feed health panel: per source, its state (glyph + colour + word, never colour alone), messages/s,
last sequence, gaps, duplicates dropped, quarantined and latency; a banner that makes a stale or
down source impossible to miss, and an honest line when the data is simulated.

Reads `core.health` (console/health.py) twice a second; never touches the network or the disk.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QFrame, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from console import i18n
from console.core import Core
from console.health import FeedState, SourceStatus

GLYPH = {
    FeedState.CONNECTED: "●",
    FeedState.RECONNECTING: "◌",
    FeedState.STALE: "◐",
    FeedState.DOWN: "✖",
    FeedState.IDLE: "○",
}
COLOUR = {
    FeedState.CONNECTED: "#3fb950",
    FeedState.RECONNECTING: "#e3b341",
    FeedState.STALE: "#e3b341",
    FeedState.DOWN: "#ff6b6b",
    FeedState.IDLE: "#8b98a5",
}
ROW_TINT = {FeedState.DOWN: "#3a1518", FeedState.STALE: "#33290f", FeedState.RECONNECTING: "#2b2411"}
SEVERITY = [FeedState.DOWN, FeedState.STALE, FeedState.RECONNECTING, FeedState.IDLE, FeedState.CONNECTED]
COLUMNS = ("state", "source", "rate", "last_seq", "gaps", "duplicates", "quarantined", "latency")
NUMERIC = {"rate", "last_seq", "gaps", "duplicates", "quarantined", "latency"}


def title_of(st: SourceStatus) -> str:
    return (st.title_fa if i18n.lang() == "fa" else st.title_en) or st.source


def age_text(seconds: float) -> str:
    if seconds < 90:
        return i18n.tr("feeds.age.s", n=int(seconds))
    if seconds < 5400:
        return i18n.tr("feeds.age.m", n=int(seconds // 60))
    return i18n.tr("feeds.age.h", n=int(seconds // 3600))


def sort_key(st: SourceStatus) -> tuple[int, str]:
    return SEVERITY.index(st.state), title_of(st)


_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_BACKGROUND = Qt.ItemDataRole.BackgroundRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_ALIGN = Qt.ItemDataRole.TextAlignmentRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_USER = Qt.ItemDataRole.UserRole.value


class FeedHealthModel(QAbstractTableModel):
    """Rows are rendered once per refresh into plain tuples; `data()` only looks them up (Qt asks
    for every role of every cell on each layout pass, so it must be cheap)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list[SourceStatus] = []
        self.now = time.monotonic()
        self._cells: list[list[dict[int, object]]] = []
        self._bold = QFont()
        self._bold.setBold(True)
        self._brush = {state: QBrush(QColor(c)) for state, c in COLOUR.items()}
        self._tint = {state: QBrush(QColor(c)) for state, c in ROW_TINT.items()}
        self._warn = QBrush(QColor("#e3b341"))
        self._center = int(Qt.AlignCenter)

    def set_rows(self, rows: list[SourceStatus], now: float) -> None:
        rows = sorted(rows, key=sort_key)
        self.now = now
        cells = [self._render(st) for st in rows]
        if [r.source for r in rows] == [r.source for r in self.rows]:
            self.rows, self._cells = rows, cells
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self.rows, self._cells = rows, cells
        self.endResetModel()

    def _render(self, st: SourceStatus) -> list[dict[int, object]]:
        row = []
        for col in COLUMNS:
            cell: dict[int, object] = {
                _DISPLAY: self._text(st, col),
                _TOOLTIP: self._tip(st, col),
                _USER: st.state.value,
            }
            if col == "state":
                cell[_FOREGROUND] = self._brush[st.state]
                if st.state is not FeedState.CONNECTED:
                    cell[_FONT] = self._bold
            elif col in ("gaps", "quarantined") and self._count(st, col):
                cell[_FOREGROUND] = self._warn
            if col in NUMERIC:
                cell[_ALIGN] = self._center
            if st.state in self._tint:
                cell[_BACKGROUND] = self._tint[st.state]
            row.append(cell)
        return row

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._cells)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role: int = Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return i18n.tr(f"feeds.col.{COLUMNS[section]}")
        if orientation == Qt.Horizontal and role == Qt.ToolTipRole:
            return i18n.tr("feeds.tip.columns")
        return None

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        try:
            return self._cells[index.row()][index.column()].get(role if isinstance(role, int) else role.value)
        except IndexError:
            return None

    @staticmethod
    def _count(st: SourceStatus, col: str) -> int:
        return {"gaps": st.gaps, "quarantined": st.quarantined, "duplicates": st.duplicates}.get(col, 0)

    def _text(self, st: SourceStatus, col: str) -> str:
        if col == "state":
            if st.state is FeedState.CONNECTED:
                return GLYPH[st.state]  # the shape says it; words are kept for what needs attention
            return f"{GLYPH[st.state]} {i18n.tr(f'feed.{st.state.value}')}"
        if col == "source":
            return title_of(st)
        if col == "rate":
            return i18n.number(st.rate, 1 if st.rate < 10 else 0)
        if col == "last_seq":
            return i18n.number(st.last_seq, grouping=False) if st.last_seq else "—"
        if col == "latency":
            return i18n.number(st.latency_ms, 0) if st.latency_ms is not None else "—"
        return i18n.number(self._count(st, col))

    def _tip(self, st: SourceStatus, col: str) -> str:
        if col == "gaps":
            return i18n.tr("feeds.tip.gaps", gaps=st.gaps, missing=st.missing)
        if col == "duplicates":
            return i18n.tr("feeds.tip.duplicates", n=st.duplicates)
        if col == "quarantined":
            return i18n.tr("feeds.tip.quarantined", n=st.quarantined)
        if col == "state":
            text = i18n.tr(f"feed.{st.state.value}")
            if st.since is not None and st.state is not FeedState.CONNECTED:
                text = i18n.tr("feeds.state_for", state=text, age=age_text(max(0.0, self.now - st.since)))
            return text + (f"\n{i18n.tr('feeds.tip.reason', reason=st.detail)}" if st.detail else "")
        tip = i18n.tr(
            "feeds.tip.source", id=st.source, link=st.connection or "—", stale=round(st.stale_after_s)
        )
        if st.detail and st.state is not FeedState.CONNECTED:
            tip += "\n" + i18n.tr("feeds.tip.reason", reason=st.detail)
        return tip

    def widths_signature(self) -> tuple[int, ...]:
        """Longest text per column: columns are re-fitted only when this changes."""
        return tuple(
            max((len(str(r[c][_DISPLAY])) for r in self._cells), default=0) for c in range(len(COLUMNS))
        )


class FeedHealthWidget(QFrame):
    """The feeds dock: banner, provenance line, per-source table, totals."""

    def __init__(self, core: Core, parent: QWidget | None = None, refresh_ms: int = 500):
        super().__init__(parent)
        self.setObjectName("feedHealth")
        self.core = core
        self.banner = QLabel(self)
        self.banner.setObjectName("feedBanner")
        self.banner.setWordWrap(True)
        self.banner.setMargin(8)
        self.provenance = QLabel(self)
        self.provenance.setObjectName("feedProvenance")
        self.provenance.setWordWrap(True)
        self.model = FeedHealthModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setObjectName("feedTable")
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QTableView.SelectRows)
        self.table.setEditTriggers(QTableView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.setFocusPolicy(Qt.NoFocus)  # a status board: no cursor cell drawn on the first row
        header = self.table.horizontalHeader()
        header.setObjectName("feedHeader")
        header.setMinimumSectionSize(28)
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setSectionResizeMode(1, QHeaderView.Stretch)  # the source title takes what is left
        header.setHighlightSections(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.Fixed)
        self.totals = QLabel(self)
        self.totals.setObjectName("feedTotals")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(self.banner)
        lay.addWidget(self.provenance)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.totals)
        self._header_pt: float | None = None
        self._fitted: tuple | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(refresh_ms)
        self.refresh()

    def refresh(self) -> None:
        rows = [s for s in self.core.health.snapshot()]
        now = time.monotonic()
        self.model.set_rows(rows, now)
        self._compact_header()
        signature = (self.model.widths_signature(), i18n.lang(), self._header_pt)
        if signature != self._fitted:
            self._fitted = signature
            for col in range(len(COLUMNS)):
                if col != 1:
                    self.table.resizeColumnToContents(col)
        self._banner(rows)
        self._provenance()
        rate = sum(s.rate for s in rows)
        self._set_text(
            self.totals,
            i18n.tr(
                "feeds.totals",
                rate=i18n.number(rate, 0),
                gaps=i18n.number(sum(s.gaps for s in rows)),
                dupes=i18n.number(sum(s.duplicates for s in rows)),
                quarantined=i18n.number(sum(s.quarantined for s in rows)),
            ),
        )

    @staticmethod
    def _set_text(label: QLabel, text: str) -> None:
        if label.text() != text:
            label.setText(text)

    def _compact_header(self) -> None:
        """Header labels in the table's (small) type, so eight columns fit a side dock.

        Set on the header itself: the application style sheet's header rule would win otherwise.
        """
        pt = self.table.font().pointSizeF()
        if pt > 0 and self._header_pt != pt:
            self._header_pt = pt
            compact = f"QHeaderView::section {{ font-size: {pt:g}pt; padding: 2px 3px; }}"
            self.table.horizontalHeader().setStyleSheet(compact)
            rows = self.table.verticalHeader()
            rows.setStyleSheet(compact)
            rows.setMinimumSectionSize(16)
            rows.setDefaultSectionSize(self.table.fontMetrics().height() + 8)

    def _banner(self, rows: list[SourceStatus]) -> None:
        if not rows:
            self._set_banner(i18n.tr("feeds.banner.none"), FeedState.IDLE)
            return
        lines = []
        worst = min((s.state for s in rows), key=SEVERITY.index)
        for state in (FeedState.DOWN, FeedState.STALE, FeedState.RECONNECTING, FeedState.IDLE):
            bad = sorted((s for s in rows if s.state is state), key=title_of)
            if bad:
                sep = "، " if i18n.lang() == "fa" else ", "
                names = sep.join(self._named(s) for s in bad[:6])
                if len(bad) > 6:
                    names += " …"
                lines.append(
                    f"{GLYPH[state]} " + i18n.tr(f"feeds.banner.{state.value}", n=len(bad), names=names)
                )
        if not lines:
            lines.append(
                f"{GLYPH[FeedState.CONNECTED]} "
                + i18n.tr("feeds.banner.ok", n=len(rows), rate=i18n.number(sum(s.rate for s in rows), 0))
            )
        self._set_banner("\n".join(lines), worst)

    def _named(self, st: SourceStatus) -> str:
        """A source's title with how long it has been in its state: "Buses (35 s)"."""
        if st.since is None:
            return title_of(st)
        return f"{title_of(st)} ({age_text(max(0.0, time.monotonic() - st.since))})"

    def _set_banner(self, text: str, state: FeedState) -> None:
        if self.banner.text() != text:
            self.banner.setText(text)
        if self.banner.property("feedState") != state.value:
            self.banner.setProperty("feedState", state.value)
            self.banner.style().unpolish(self.banner)
            self.banner.style().polish(self.banner)

    def _provenance(self) -> None:
        sim = self.core.services.get("simulator")
        links = sorted({s.connection for s in self.core.health.snapshot() if s.connection})
        parts = []
        if sim is not None:
            sc = sim.world.scenario
            city = (
                i18n.tr(f"city.{self.core.settings.city}")
                if i18n.has_key(f"city.{self.core.settings.city}")
                else self.core.settings.city
            )
            parts.append(
                i18n.tr(
                    "feeds.simulated", city=city, scenario=sc.title_fa if i18n.lang() == "fa" else sc.title_en
                )
            )
        elif links:
            parts.append(i18n.tr("feeds.links", links=", ".join(links)))
        text = "\n".join(parts)
        if self.provenance.text() != text:
            self.provenance.setText(text)
            self.provenance.setVisible(bool(parts))

    def retranslate(self) -> None:
        self.model.headerDataChanged.emit(Qt.Horizontal, 0, len(COLUMNS) - 1)
        self.refresh()
