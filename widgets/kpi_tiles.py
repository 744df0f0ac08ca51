"""Big-number tiles for department panels and the wall: value, unit, caption, status.

A tile never shows a made-up number: `None` renders as "—" with the caption "no data".
Status is shown by colour *and* a glyph, so it reads without colour vision.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from console import i18n

STATUS_STYLE = {
    "ok": ("#3fb950", "●"),
    "warn": ("#d29922", "▲"),
    "alarm": ("#ff6b6b", "◆"),
    "stale": ("#8b98a5", "◌"),
    "none": ("#8b98a5", ""),
}


@dataclass
class Tile:
    key: str
    title_fa: str
    title_en: str
    value: float | None = None
    unit: str = ""
    decimals: int = 0
    status: str = "none"  # ok | warn | alarm | stale | none
    detail: str = ""
    text: str = ""  # shown instead of the formatted number when the value is not a plain number (12:05)

    def title(self) -> str:
        return self.title_fa if i18n.lang() == "fa" else self.title_en


class KpiTile(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kpiTile")
        self.setFrameShape(QFrame.StyledPanel)
        self.setStyleSheet(
            "QFrame#kpiTile { background: #111922; border: 1px solid #223041; border-radius: 6px; }"
            "QLabel { background: transparent; }"
        )
        self.title = QLabel(self)
        self.title.setStyleSheet("color: #b8c4d0;")
        self.title.setWordWrap(True)
        self.value = QLabel(self)
        self.value.setStyleSheet("font-size: 20pt; font-weight: bold;")
        self.detail = QLabel(self)
        self.detail.setStyleSheet("color: #8b98a5;")
        self.detail.setWordWrap(True)
        self.compact = False
        self._last: Tile | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(2)
        for w in (self.title, self.value, self.detail):
            w.setAlignment(Qt.AlignLeading | Qt.AlignVCenter)
            lay.addWidget(w)

    def set_compact(self, compact: bool) -> None:
        """Smaller numbers and no detail line: many tiles in a narrow dock (detail moves to the tooltip)."""
        self.compact = compact
        self.detail.setVisible(not compact)
        margin = (6, 3, 6, 3) if compact else (10, 6, 10, 6)
        self.layout().setContentsMargins(*margin)
        if self._last is not None:
            self.show_tile(self._last)

    def show_tile(self, tile: Tile) -> None:
        self._last = tile
        colour, glyph = STATUS_STYLE.get(tile.status, STATUS_STYLE["none"])
        self.title.setText(f"{glyph} {tile.title()}".strip())
        self.title.setStyleSheet(f"color: {colour if tile.status != 'none' else '#b8c4d0'};")
        if tile.value is None:
            self.value.setText("—")
            self.detail.setText(tile.detail or i18n.tr("kpi.no_data"))
        else:
            if tile.text:
                self.value.setText(tile.text)
            else:
                unit = i18n.unit(tile.unit)  # "٪" glued to the number; a unit word after a space
                unit = unit if tile.unit == "%" else f" {unit}" if unit else ""
                self.value.setText(f"{i18n.number(tile.value, tile.decimals)}{unit}")
            self.detail.setText(tile.detail)
        self.value.setStyleSheet(
            f"font-size: {14 if self.compact else 20}pt; font-weight: bold; color: "
            f"{'#8b98a5' if tile.status == 'stale' else '#ffffff'};"
        )
        self.setToolTip(self.detail.text())


class KpiStrip(QWidget):
    """A responsive grid of tiles, updated by key: as many columns as fit (at most `columns`, and
    never more than MAX_ROWS rows), so a panel in a narrow dock never forces the window wider or
    taller than the screen; with more than one row the tiles turn compact (detail in the tooltip)."""

    MIN_TILE_PX = 150
    MAX_ROWS = 3  # compact tiles in a narrow dock: at most three short rows

    def __init__(self, columns: int = 4, parent: QWidget | None = None):
        super().__init__(parent)
        self.columns = columns
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(6)
        self._tiles: dict[str, KpiTile] = {}
        self._order: list[str] = []
        self._laid = 0

    def set_tiles(self, tiles: list[Tile]) -> None:
        for tile in tiles:
            w = self._tiles.get(tile.key)
            if w is None:
                w = self._tiles[tile.key] = KpiTile(self)
                self._order.append(tile.key)
                self._laid = 0
            w.show_tile(tile)
        self._reflow()

    def _fit(self) -> int:
        width = self.width() if self.isVisible() else self.MIN_TILE_PX * self.columns
        fewest = min(self.columns, -(-len(self._order) // self.MAX_ROWS))
        spacing = self._grid.spacing()
        fits = (width + spacing) // (self.MIN_TILE_PX + spacing)
        return max(1, fewest, min(self.columns, fits))

    def _reflow(self) -> None:
        cols = self._fit()
        if cols == self._laid:
            return
        self._laid = cols
        for key in self._order:
            self._grid.removeWidget(self._tiles[key])
        compact = cols < len(self._order)  # more than one row: keep them small
        for i, key in enumerate(self._order):
            self._tiles[key].set_compact(compact)
            self._grid.addWidget(self._tiles[key], i // cols, i % cols)
        for c in range(self.columns):
            self._grid.setColumnStretch(c, 1 if c < cols else 0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._reflow()

    def showEvent(self, event) -> None:  # a resize while hidden arrives before the widget is visible
        super().showEvent(event)
        self._reflow()

    def minimumSizeHint(self) -> QSize:
        fewest = max(1, min(self.columns, -(-len(self._order) // self.MAX_ROWS)))
        return QSize(self.MIN_TILE_PX * fewest, super().minimumSizeHint().height())

    def tile(self, key: str) -> KpiTile:
        return self._tiles[key]
