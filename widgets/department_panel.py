"""The common frame of department panels: title, data provenance, KPI tiles, tables, map link.

A plugin subclasses DepartmentPanel, declares its tables in `build()`, and fills tiles and rows in
`refresh()` (or, for a department with a Desk, in `fill(desk, snapshot)`) from its Qt-free state.
Errors in refresh stay on the panel (PluginPanel), and so do failures of the department's own logic
off the screen (its bus callbacks and KPIs: `Department.last_error`), so the people who rely on the
panel see that its numbers may be behind. A row's entity can be shown on the map (double-click),
through the main window's selection.

Helpers for rows: `level_colour(level)` and `band(value, warn, alarm)` (the status palette of tiles
and tables), `word(key, value)` (a translated status word, e.g. word("dept.status", "offline")),
`name_of(attrs)` (a place's name in the current language), `percent`, `clock(t_ns)`, `moment`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from console import i18n
from console.departments import Row
from widgets.bars import Bar, BarsArea, BarsWidget
from widgets.kpi_tiles import STATUS_STYLE, KpiStrip, Tile
from widgets.plugin_panel import PluginPanel
from widgets.records_table import Column, RecordsTable

DISTRICT_NAME = Column("name", "منطقه", "District")


def level_colour(level: str) -> str:
    """Colour of a status level (ok | warn | alarm | stale | none), the same as the tiles use."""
    return STATUS_STYLE.get(level, STATUS_STYLE["none"])[0]


def band(value: float | None, warn: float, alarm: float, *, low: bool = False, unknown: str = "none") -> str:
    """The status level of a figure: high values are bad (alarm >= alarm > warn >= warn), or with
    `low=True` low ones are (alarm < alarm < warn < warn); `unknown` when there is no figure."""
    if value is None:
        return unknown
    if low:
        return "alarm" if value < alarm else "warn" if value < warn else "ok"
    return "alarm" if value >= alarm else "warn" if value >= warn else "ok"


def word(prefix: str, value: Any) -> str:
    """A translated status word (`prefix.value` in the catalog); the raw value when there is none."""
    if value is None or value == "":
        return "—"
    key = f"{prefix}.{value}"
    text = i18n.tr(key)
    return str(value) if text == key else text


def name_of(attrs: dict[str, Any], fallback: str = "") -> str:
    lang = i18n.lang()
    return str(attrs.get(f"name_{lang}") or attrs.get("name_fa") or attrs.get("name_en") or fallback)


def percent(value: float | None, decimals: int = 0) -> str:
    """A percentage as people read it: "۴۲٪" in Persian, "42%" in English, "—" when unknown."""
    if value is None:
        return "—"
    return i18n.number(value, decimals) + ("٪" if i18n.lang() == "fa" else "%")


def clock(t_ns: int | None) -> str:
    if not t_ns:
        return "—"
    return i18n.format_clock(i18n.local_time(int(t_ns)), seconds=False)


def moment(t_ns: int | None, now_ns: int | None = None) -> str:
    """Time of day for today's events, the Jalali date for older ones."""
    if not t_ns:
        return "—"
    if now_ns is not None and now_ns - int(t_ns) > 12 * 3600 * 10**9:
        return i18n.format_jalali_short(i18n.local_time(int(t_ns)), with_time=False)
    return clock(t_ns)


class DepartmentPanel(PluginPanel):
    title_fa = ""
    title_en = ""
    WIDE_PX = 1000  # split tabs: side by side when the panel is wider, one above the other when narrower
    tile_columns = 4
    keep_order = False  # True: tables keep the order `refresh` gives (most urgent first) until a click

    def __init__(self, department, parent: QWidget | None = None, *, tile_columns: int | None = None):
        super().__init__(parent, plugin=department.name)
        self.department = department
        if getattr(department, "faults", None) is not None:
            self.watch_faults(department.faults)
        self.title_fa = self.title_fa or getattr(department, "title_fa", "")
        self.title_en = self.title_en or getattr(department, "title_en", "")
        head = QHBoxLayout()
        self.heading = QLabel(self)
        self.heading.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.heading.setWordWrap(True)  # long texts wrap instead of widening a narrow dock
        self.provenance = QLabel(self)
        self.provenance.setStyleSheet("color: #8b98a5;")
        self.provenance.setWordWrap(True)
        self.provenance.setAlignment(Qt.AlignTrailing | Qt.AlignVCenter)
        head.addWidget(self.heading, 1)
        head.addWidget(self.provenance, 1)
        self.body.addLayout(head)
        self.tiles = KpiStrip(tile_columns or self.tile_columns, self)
        self.body.addWidget(self.tiles)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #8b98a5;")
        self.note.hide()
        self.body.addWidget(self.note)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.body.addWidget(self.tabs, 1)
        self.tables: dict[str, tuple[RecordsTable, str, str]] = {}
        self._splits: list[tuple[QSplitter, float]] = []
        self.build()
        self.retranslate()
        self.safe_refresh()

    # -- for subclasses ------------------------------------------------------------------------------
    def build(self) -> None:
        """Declare tables (add_table) and any extra widgets."""

    def refresh(self) -> None:
        """Fill the panel from the department desk's snapshot (nothing to show before it exists)."""
        desk = getattr(self.department, "state", None)
        if desk is not None:
            self.fill(desk, desk.snapshot())

    def fill(self, desk: Any, snap: dict[str, Any]) -> None:
        """Subclasses with a Desk: set tiles and rows from `snap` (the desk's `snapshot()`)."""

    def add_table(
        self,
        key: str,
        title_fa: str,
        title_en: str,
        columns: list[Column],
        on_select: Callable[[dict], None] | None = None,
        *,
        row_key: str = "entity",
    ) -> RecordsTable:
        """A tab with a table; double-click shows a row's entity on the map, `on_select(row)` follows
        the operator's selection, `row_key` identifies a record across refreshes."""
        table = RecordsTable(columns, self.tabs, key=row_key, keep_order=self.keep_order)
        table.doubleClicked.connect(lambda index, t=table: self._on_row_activated(t, index.row()))
        if on_select is not None:  # the operator's choices only, not a refresh re-selecting the same record
            table.sig_selected.connect(lambda row: row is not None and on_select(row))
        self.tables[key] = (table, title_fa, title_en)
        self.tabs.addTab(table, title_fa if i18n.lang() == "fa" else title_en)
        return table

    def add_tab(self, widget: QWidget, title_fa: str, title_en: str) -> None:
        widget.setProperty("title_fa", title_fa)
        widget.setProperty("title_en", title_en)
        self.tabs.addTab(widget, title_fa if i18n.lang() == "fa" else title_en)

    def add_split_tab(
        self, first: QWidget, second: QWidget, title_fa: str, title_en: str, first_share: float = 0.5
    ) -> QSplitter:
        """A tab with two parts (a list and the selected item's details): side by side on a wide panel,
        stacked in a narrow dock; `first_share` of the room goes to the first part."""
        split = QSplitter(Qt.Vertical, self)
        split.addWidget(first)
        split.addWidget(second)
        self._splits.append((split, first_share))
        self.add_tab(split, title_fa, title_en)
        return split

    def resizeEvent(self, event) -> None:
        wanted = Qt.Horizontal if self.width() >= self.WIDE_PX else Qt.Vertical
        for split, share in self._splits:
            if split.orientation() != wanted or not split.property("sized"):
                split.setOrientation(wanted)
                span = self.width() if wanted == Qt.Horizontal else self.height()
                split.setSizes([int(span * share), span - int(span * share)])
                split.setProperty("sized", True)
        super().resizeEvent(event)

    def add_bars_table(
        self, key: str, title_fa: str, title_en: str, columns: list[Column]
    ) -> tuple[BarsArea, RecordsTable]:
        """One tab: bars (how much, where; scrolling when the tab is short) above the figures."""
        page = QWidget(self.tabs)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 4, 0, 0)
        bars = BarsArea(page)
        table = RecordsTable(columns, page, keep_order=self.keep_order)
        table.doubleClicked.connect(lambda index, t=table: self._on_row_activated(t, index.row()))
        lay.addWidget(bars)
        lay.addWidget(table, 1)
        self.tables[key] = (table, title_fa, title_en)
        self.add_tab(page, title_fa, title_en)
        return bars, table

    def set_rows(self, key: str, rows: list[dict]) -> None:
        self.tables[key][0].set_rows(rows)

    def set_tiles(self, tiles: list[Tile]) -> None:
        self.tiles.set_tiles(tiles)

    def set_note(self, text: str) -> None:
        """One line under the tiles for what the numbers rest on (an approximation, a missing input)."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    # -- bilingual helpers (strings from the plugin's strings.toml) ---------------------------------------
    @staticmethod
    def both(key: str, **fmt: Any) -> tuple[str, str]:
        """A string key in Persian and in English."""
        return i18n.tr(key, "fa", **fmt), i18n.tr(key, "en", **fmt)

    def column(
        self,
        key: str,
        title_key: str,
        kind: str = "text",
        decimals: int = 0,
        render: Callable[[Any, dict], str] | None = None,
        sort_by: str = "",
        **fmt: Any,
    ) -> Column:
        return Column(
            key, *self.both(title_key, **fmt), kind=kind, decimals=decimals, render=render, sort_by=sort_by
        )

    def tile(self, key: str, title_key: str, value: float | None, **kw: Any) -> Tile:
        fmt = kw.pop("fmt", {})
        return Tile(key, *self.both(title_key, **fmt), value=value, **kw)

    # -- shared behaviour ----------------------------------------------------------------------------
    def show_provenance(self, rows: list[Row]) -> None:
        """One honest line: how many entities, how many stale, and whether the data is simulated."""
        stale = sum(1 for r in rows if r.stale)
        core_sim = self.department.service("simulator") is not None
        text = i18n.tr("dept.provenance", n=len(rows), stale=stale)
        if core_sim:
            text += " — " + i18n.tr("dept.simulated")
        self.provenance.setText(text)
        self.provenance.setStyleSheet(f"color: {'#d29922' if stale else '#8b98a5'};")

    def safe_refresh(self) -> None:
        """Refresh, then show an error the department met outside the panel (rules, KPIs), if any."""
        super().safe_refresh()
        error = getattr(self.department, "last_error", "")
        if error and not self.last_error:
            self._error.setText(i18n.tr("plugin.panel_error", reason=error))
            self._error.show()

    def _on_row_activated(self, table: RecordsTable, view_row: int) -> None:
        entity = table.row_at(view_row).get("entity")
        if entity:
            self.show_on_map(str(entity))

    def show_on_map(self, ref: str) -> bool:
        window = self.window()
        select = getattr(window, "select_entity", None)
        return bool(select(ref)) if callable(select) else False

    def retranslate(self) -> None:
        self.heading.setText(self.title_fa if i18n.lang() == "fa" else self.title_en)
        for table, _fa, _en in self.tables.values():
            table.retranslate()
        for i in range(self.tabs.count()):
            w = self.tabs.widget(i)
            entry = next((v for v in self.tables.values() if v[0] is w), None)
            if entry is not None:
                self.tabs.setTabText(i, entry[1] if i18n.lang() == "fa" else entry[2])
            elif w.property("title_fa"):
                self.tabs.setTabText(i, w.property("title_fa" if i18n.lang() == "fa" else "title_en"))
                if callable(getattr(w, "retranslate", None)):
                    w.retranslate()
        self.safe_refresh()


__all__ = [
    "DISTRICT_NAME",
    "Bar",
    "BarsArea",
    "BarsWidget",
    "Column",
    "DepartmentPanel",
    "Tile",
    "band",
    "clock",
    "level_colour",
    "moment",
    "name_of",
    "percent",
    "word",
]
