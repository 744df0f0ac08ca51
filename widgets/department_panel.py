"""The common frame of department panels: title, data provenance, KPI tiles, tables, map link.

A plugin subclasses DepartmentPanel, declares its tables in `build()`, and fills tiles and rows in
`refresh()` from its Qt-free state. Errors in refresh stay on the panel (PluginPanel), and so do
failures of the department's own logic off the screen (its bus callbacks and KPIs: `Department.errors`),
so the people who rely on the panel see that its numbers may be behind. A row's entity can be shown
on the map (double-click), through the main window's selection.

Helpers for rows: `level_colour(level)` (the status palette of tiles and tables), `word(key, value)`
(a translated status word, e.g. word("dept.status", "offline")), `name_of(attrs)` (a place's name in
the current language), `clock(t_ns)` (local time of day).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

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
    tile_columns = 4

    def __init__(self, department, parent: QWidget | None = None, *, tile_columns: int | None = None):
        super().__init__(parent, plugin=department.name)
        self.department = department
        head = QHBoxLayout()
        self.title_fa = self.title_fa or getattr(department, "title_fa", "")
        self.title_en = self.title_en or getattr(department, "title_en", "")
        self.heading = QLabel(self)
        self.heading.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.provenance = QLabel(self)
        self.provenance.setStyleSheet("color: #8b98a5;")
        head.addWidget(self.heading)
        head.addStretch(1)
        head.addWidget(self.provenance)
        self.body.addLayout(head)
        self.tiles = KpiStrip(tile_columns or self.tile_columns, self)
        self.body.addWidget(self.tiles)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.body.addWidget(self.tabs, 1)
        self.tables: dict[str, tuple[RecordsTable, str, str]] = {}
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

    def add_table(self, key: str, title_fa: str, title_en: str, columns: list[Column]) -> RecordsTable:
        table = RecordsTable(columns, self.tabs)
        table.doubleClicked.connect(lambda index, t=table: self._on_row_activated(t, index.row()))
        self.tables[key] = (table, title_fa, title_en)
        self.tabs.addTab(table, title_fa if i18n.lang() == "fa" else title_en)
        return table

    def add_tab(self, widget: QWidget, title_fa: str, title_en: str) -> None:
        widget.setProperty("title_fa", title_fa)
        widget.setProperty("title_en", title_en)
        self.tabs.addTab(widget, title_fa if i18n.lang() == "fa" else title_en)

    def add_bars_table(
        self, key: str, title_fa: str, title_en: str, columns: list[Column]
    ) -> tuple[BarsArea, RecordsTable]:
        """One tab: bars (how much, where; scrolling when the tab is short) above the figures."""
        page = QWidget(self.tabs)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 4, 0, 0)
        bars = BarsArea(page)
        table = RecordsTable(columns, page)
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
        """Refresh, then say so on the panel if the department's own logic failed recently."""
        super().safe_refresh()
        last = getattr(self.department, "last_error", None)
        err = last() if callable(last) and not self.last_error else None
        if err is not None:
            self._error.setText(i18n.tr("dept.logic_error", where=err.where, reason=err.message))
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
        fa = i18n.lang() == "fa"
        self.heading.setText(self.title_fa if fa else self.title_en)
        for table, _fa, _en in self.tables.values():
            table.retranslate()
        for i in range(self.tabs.count()):
            w = self.tabs.widget(i)
            entry = next((v for v in self.tables.values() if v[0] is w), None)
            if entry is not None:
                self.tabs.setTabText(i, entry[1] if fa else entry[2])
            elif w.property("title_fa"):
                self.tabs.setTabText(i, w.property("title_fa" if fa else "title_en"))
        self.safe_refresh()


__all__ = [
    "Bar",
    "BarsWidget",
    "Column",
    "DepartmentPanel",
    "Tile",
    "clock",
    "level_colour",
    "name_of",
    "word",
]
