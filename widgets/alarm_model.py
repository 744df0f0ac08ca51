"""The alarm table: a model fed by the engine's diffs (`changes_since`) and a filter/sort proxy.

Rows are copies of `console.alarms.alarm.Alarm`; the model never touches the engine's state. Normal
alarms leave the table. Sorting uses a key per column (priority, state order, time), not the text.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from console import i18n
from console.alarms.alarm import Alarm
from console.model import AlarmState, Priority
from widgets.alarm_style import (
    STATE_ORDER,
    alarm_time,
    colour,
    marker_tip,
    markers,
    priority_text,
    state_text,
)

COLUMNS = ("marker", "priority", "state", "time", "title", "message", "district", "department", "acked_by")
SORT_ROLE = Qt.ItemDataRole.UserRole.value
ALARM_ROLE = Qt.ItemDataRole.UserRole.value + 1
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_BACKGROUND = Qt.ItemDataRole.BackgroundRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_ALIGN = Qt.ItemDataRole.TextAlignmentRole.value


class AlarmTableModel(QAbstractTableModel):
    def __init__(self, tz: str = "Asia/Tehran", district_name=None, parent=None):
        super().__init__(parent)
        self.tz = tz
        self.rows: list[Alarm] = []
        self._row_of: dict[str, int] = {}
        self.district_name = district_name or (lambda d: d)
        self._bold = QFont()
        self._bold.setBold(True)
        self._fg = {p: QBrush(colour(p)) for p in Priority}
        self._tint = {
            p: QBrush(QColor(colour(p).red(), colour(p).green(), colour(p).blue(), 38)) for p in Priority
        }
        self._muted = QBrush(QColor("#8b98a5"))

    # -- feeding ------------------------------------------------------------------------------------
    def reset(self, alarms: list[Alarm]) -> None:
        self.beginResetModel()
        self.rows = [a for a in alarms if a.standing]
        self._row_of = {a.id: i for i, a in enumerate(self.rows)}
        self.endResetModel()

    def apply(self, changed: list[Alarm]) -> None:
        """Update, add and drop rows for the alarms that changed."""
        if len(changed) > 300:  # a storm: one reset is cheaper than hundreds of signals
            by_id = {a.id: a for a in self.rows}
            by_id.update({a.id: a for a in changed})
            self.reset(list(by_id.values()))
            return
        for a in changed:
            row = self._row_of.get(a.id)
            if row is not None and not a.standing:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self.rows[row]
                self._row_of = {x.id: i for i, x in enumerate(self.rows)}
                self.endRemoveRows()
            elif row is not None:
                self.rows[row] = a
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            elif a.standing:
                n = len(self.rows)
                self.beginInsertRows(QModelIndex(), n, n)
                self.rows.append(a)
                self._row_of[a.id] = n
                self.endInsertRows()

    def alarm(self, row: int) -> Alarm:
        return self.rows[row]

    def row_of(self, alarm_id: str) -> int | None:
        return self._row_of.get(alarm_id)

    # -- Qt ---------------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Horizontal and role == _DISPLAY:
            return i18n.tr(f"alarms.col.{COLUMNS[section]}")
        return None

    def data(self, index: QModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        a = self.rows[index.row()]
        col = COLUMNS[index.column()]
        if role == _DISPLAY:
            return self._text(a, col)
        if role == SORT_ROLE:
            return self._key(a, col)
        if role == ALARM_ROLE:
            return a
        if role == _FOREGROUND:
            if col in ("priority", "marker"):
                return self._fg[a.priority]
            return (
                self._muted
                if a.state in (AlarmState.SHELVED, AlarmState.SUPPRESSED, AlarmState.OUT_OF_SERVICE)
                else None
            )
        if role == _BACKGROUND and a.unacked and not a.grouped:
            return self._tint[a.priority]
        if role == _FONT and a.unacked:
            return self._bold
        if role == _TOOLTIP:
            return self._tip(a, col)
        if role == _ALIGN and col in ("marker", "time"):
            return int(Qt.AlignCenter)
        return None

    def _text(self, a: Alarm, col: str) -> str:
        lang = i18n.lang()
        if col == "marker":
            return markers(a)
        if col == "priority":
            return priority_text(a.priority)
        if col == "state":
            return state_text(a.state)
        if col == "time":
            return alarm_time(a.raised_t or a.changed_t, self.tz)
        if col == "title":
            return a.title(lang)
        if col == "message":
            return a.message(lang)
        if col == "district":
            return self.district_name(a.district) if a.district else "—"
        if col == "department":
            key = f"alarms.dept.{a.department}"
            return i18n.tr(key) if a.department and i18n.has_key(key) else (a.department or "—")
        if col == "acked_by":
            return a.acked_by or a.shelved_by or a.oos_by or ""
        return ""

    def _key(self, a: Alarm, col: str) -> Any:
        if col == "priority":
            return (int(a.priority), a.raised_t)
        if col == "state":
            return (len(STATE_ORDER) - STATE_ORDER.index(a.state), a.raised_t)
        if col == "time":
            return a.raised_t or a.changed_t
        if col == "marker":
            return (a.first_out, a.escalation, a.chattering)
        return self._text(a, col)

    def _tip(self, a: Alarm, col: str) -> str:
        if col == "marker":
            return marker_tip(a)
        if col == "time":
            return alarm_time(a.raised_t or a.changed_t, self.tz, with_date=True)
        if col == "state":
            parts = [state_text(a.state)]
            if a.acked_by:
                parts.append(i18n.tr("alarms.tip.acked_by", who=a.acked_by, note=a.ack_note or "—"))
            if a.shelve_reason:
                parts.append(i18n.tr("alarms.tip.shelved", who=a.shelved_by, reason=a.shelve_reason))
            if a.suppressed_by:
                parts.append(i18n.tr("alarms.tip.suppressed", by=a.suppressed_by))
            for who, console, _t in a.late_acks:
                parts.append(i18n.tr("alarms.tip.late_ack", who=who, console=console))
            return "\n".join(parts)
        return self._text(a, col)


class AlarmFilter(QSortFilterProxyModel):
    """Filters by priority, state group, district, department and text; sorts by the column keys."""

    STATE_GROUPS = {
        "active": {AlarmState.UNACK, AlarmState.RTN_UNACK, AlarmState.ACKED},
        "unacked": {AlarmState.UNACK, AlarmState.RTN_UNACK},
        "hidden": {AlarmState.SHELVED, AlarmState.SUPPRESSED, AlarmState.OUT_OF_SERVICE},
        "all": set(AlarmState),
    }

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.priorities: set[Priority] = set(Priority)
        self.states = "active"
        self.district = ""
        self.department = ""
        self.text = ""

    def set_filter(self, **kw: Any) -> None:
        self.beginFilterChange()
        for k, v in kw.items():
            setattr(self, k, v)
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        a = self.sourceModel().alarm(row)
        if a.priority not in self.priorities or a.state not in self.STATE_GROUPS[self.states]:
            return False
        if self.district and a.district != self.district:
            return False
        if self.department and a.department != self.department:
            return False
        if self.text:
            hay = f"{a.title_fa} {a.title_en} {a.message_fa} {a.message_en} {a.subject}".lower()
            return self.text.lower() in hay
        return True

    def lessThan(self, left: QModelIndex, right: QModelIndex) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)
