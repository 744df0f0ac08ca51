"""A sortable table over a list of row dicts: the workhorse of department panels.

Columns declare how to render (number with Persian digits, text, local time); sorting uses the raw
value, so "۱۰" sorts after "۹". Rows are replaced wholesale per refresh. The `key` field (default
"entity") identifies a record, and a refresh keeps what the operator is looking at: when the same
records come back in the same order only the cells change (selection and scroll stay); otherwise the
model is reset and the selected record is selected again. `keep_order=True` keeps the order the rows
are given (the panel's own ranking, most urgent first) until the operator clicks a header.
`sig_selected(row | None)` fires only when the selection really changes (a refresh is not a
selection; a selected record that disappears is announced once as None).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from console import i18n


@dataclass(frozen=True)
class Column:
    key: str
    title_fa: str
    title_en: str
    kind: str = "text"  # text | number | time
    decimals: int = 0
    render: Callable[[Any, dict], str] | None = None
    sort_by: str = ""  # sort on another key of the row (e.g. an id for natural order of names)

    def title(self) -> str:
        return self.title_fa if i18n.lang() == "fa" else self.title_en

    def text(self, row: dict) -> str:
        value = row.get(self.key)
        if self.render is not None:
            return self.render(value, row)
        if value is None:
            return "—"
        if self.kind == "number":
            return i18n.number(value, self.decimals)
        if self.kind == "time":
            return i18n.format_clock(i18n.local_time(int(value)), seconds=False)
        return str(value)


class RecordsModel(QAbstractTableModel):
    def __init__(self, columns: list[Column], parent=None):
        super().__init__(parent)
        self.columns = columns
        self.rows: list[dict] = []

    def set_rows(self, rows: list[dict], key: str | None = None) -> bool:
        """Replace the rows; True when the model was reset (False: same records, cells updated)."""
        rows = list(rows)
        if (
            key is not None
            and rows
            and len(rows) == len(self.rows)
            and all(a.get(key) == b.get(key) for a, b in zip(rows, self.rows, strict=True))
        ):
            self.rows = rows
            self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(self.columns) - 1))
            return False
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()
        return True

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], self.columns[index.column()]
        if role == Qt.DisplayRole:
            return col.text(row)
        if role == Qt.UserRole:
            value = row.get(col.sort_by or col.key)
            return (value is None, value if value is not None else 0)
        if role == Qt.ForegroundRole and row.get("_colour"):
            return QColor(row["_colour"])
        if role == Qt.TextAlignmentRole and col.kind == "number":
            return int(Qt.AlignTrailing | Qt.AlignVCenter)
        return None

    def headerData(self, section: int, orientation, role: int = Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return self.columns[section].title()
        return None

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Horizontal, 0, max(0, len(self.columns) - 1))


class _SortProxy(QSortFilterProxyModel):
    def lessThan(self, left: QModelIndex, right: QModelIndex) -> bool:
        a, b = left.data(Qt.UserRole), right.data(Qt.UserRole)
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)


class RecordsTable(QTableView):
    sig_selected = Signal(object)  # the selected row dict, or None

    def __init__(
        self,
        columns: list[Column],
        parent: QWidget | None = None,
        *,
        key: str = "entity",
        keep_order: bool = False,
    ):
        super().__init__(parent)
        self.key = key
        self.model_ = RecordsModel(columns, self)
        self.proxy = _SortProxy(self)
        self.proxy.setSourceModel(self.model_)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        if keep_order:  # the panel's order (e.g. most urgent first) until the operator clicks a header
            self.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)
        else:
            self.sortByColumn(0, Qt.AscendingOrder)  # Qt 6 starts descending
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self._selected_key: object = None
        self._quiet = False

    def set_rows(self, rows: list[dict]) -> None:
        """Replace the rows, keeping the selected record (by `key`) and, for the same records, the scroll."""
        keep, scroll = self._selected_key, self.verticalScrollBar().value()
        self._quiet = True  # a refresh is not a selection: only a lost record is announced
        try:
            if self.model_.set_rows(rows, self.key):
                self.verticalScrollBar().setValue(scroll)
                if keep is not None and not self.select_key(keep):
                    self._selected_key = None
        finally:
            self._quiet = False
        if keep is not None and self._selected_key is None:
            self.sig_selected.emit(None)

    def row_at(self, view_row: int) -> dict:
        return self.model_.rows[self.proxy.mapToSource(self.proxy.index(view_row, 0)).row()]

    def selected_row(self) -> dict | None:
        index = self.selectionModel().currentIndex() if self.selectionModel() else None
        if index is None or not index.isValid() or not self.selectionModel().isRowSelected(index.row()):
            return None
        return self.row_at(index.row())

    def select_key(self, value: object) -> bool:
        """Select the record whose key field equals `value`; False when it is not in the table."""
        for i, row in enumerate(self.model_.rows):
            if row.get(self.key) == value:
                index = self.proxy.mapFromSource(self.model_.index(i, 0))
                self.selectionModel().setCurrentIndex(
                    index, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows
                )
                return True
        return False

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.row_at(current.row()) if current.isValid() else None
        self._selected_key = row.get(self.key) if row is not None else None
        if not self._quiet:
            self.sig_selected.emit(row)

    def retranslate(self) -> None:
        self.model_.retranslate()
