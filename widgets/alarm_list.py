"""The alarm list (bottom dock): every standing alarm, sortable and filterable by priority, state,
district and department; markers for first-out, escalation, chattering and flood grouping; colours
*and* shapes per priority; the operator's actions with their keys:

    F2          acknowledge the selected alarms (Extreme ones ask for a note)
    Shift+F2    acknowledge the page (the unacknowledged alarms visible in the list)
    F4          silence (sound only: alarms stay unacknowledged and flashing)
    shelve / unshelve, suppress / unsuppress, out of service / return, compose a CAP warning

Roles decide what is enabled (console/roles.py); refusals are shown, never swallowed. The list
polls the engine's version four times a second and applies its diffs; it speaks the selection
protocol of widgets/selection.py (`sig_entity_selected`, `select(ref)`) so the map follows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console import i18n
from console.alarms.alarm import Alarm
from console.alarms.cap import CapError
from console.alarms.states import IllegalTransition, NoteRequired
from console.model import AlarmState, Priority
from console.roles import PermissionDenied, allowed
from widgets import alarm_dialogs
from widgets.alarm_model import ALARM_ROLE, COLUMNS, AlarmFilter, AlarmTableModel
from widgets.alarm_style import MARK_GROUPED, PRIORITY_GLYPH, colour
from widgets.annunciator import Annunciator


class AlarmListWidget(QWidget):
    sig_entity_selected = Signal(str)

    def __init__(self, core: Any, parent: QWidget | None = None, *, sound: bool = True, poll_ms: int = 250):
        super().__init__(parent)
        self.setObjectName("alarmList")
        self.core = core
        self.engine = core.services["alarms"]
        self.tz = core.settings.timezone
        self.city = getattr(self.engine, "city", None)
        self.version = 0
        # What to ask the operator; tests replace these (no modal dialogs offscreen).
        self.ask_note: Callable[[list[Alarm]], str | None] = lambda alarms: alarm_dialogs.ask_note(
            self, alarms
        )
        self.ask_reason: Callable[[str], str | None] = lambda key: alarm_dialogs.ask_reason(self, key)
        self.ask_shelve: Callable[[Alarm], tuple[str, float] | None] = lambda a: alarm_dialogs.ask_shelve(
            self, a, self.engine.config.shelve_max_s / 3600
        )
        self.compose_cap: Callable[[Alarm], Any] = self._compose_cap
        self._build()
        self.annunciator = Annunciator(self.engine, self) if sound else None
        if self.annunciator is not None:
            self.annunciator.sig_state.connect(self._show_sound)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(poll_ms)
        self.retranslate()
        self.refresh()

    # -- building ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.setSpacing(2)
        head = QHBoxLayout()
        filters = head
        self.counts = QLabel(self)
        self.counts.setObjectName("alarmCounts")
        self.flood = QLabel(self)
        self.flood.setObjectName("alarmFlood")
        self.flood.setStyleSheet("color: #ffbe0b; font-weight: bold;")
        self.flood.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # never widens the window
        self.flood.setMinimumWidth(120)
        self.sound = QLabel(self)
        self.sound.setObjectName("alarmSound")
        self.prio_buttons: dict[Priority, QToolButton] = {}
        for p in sorted(Priority, reverse=True):
            b = QToolButton(self)
            b.setCheckable(True)
            b.setChecked(True)
            b.setStyleSheet(f"QToolButton:checked {{ color: {colour(p).name()}; font-weight: bold; }}")
            b.toggled.connect(self._on_filter)
            self.prio_buttons[p] = b
            filters.addWidget(b)
        self.state_box = QComboBox(self)
        self.district_box = QComboBox(self)
        self.dept_box = QComboBox(self)
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(80)
        for w in (self.state_box, self.district_box, self.dept_box):
            w.currentIndexChanged.connect(self._on_filter)
            filters.addWidget(w)
        self.search.textChanged.connect(self._on_filter)
        filters.addWidget(self.search, 1)
        head.addWidget(self.counts)
        head.addWidget(self.flood, 2)
        head.addWidget(self.sound)
        lay.addLayout(head)

        self.model = AlarmTableModel(self.tz, self._district_name, self)
        self.proxy = AlarmFilter(self)
        self.proxy.setSourceModel(self.model)
        self.view = QTableView(self)
        self.view.setObjectName("alarmTable")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(COLUMNS.index("priority"), Qt.DescendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.view.setAlternatingRowColors(False)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.Interactive)
        hh.setStretchLastSection(False)
        hh.setSectionResizeMode(COLUMNS.index("message"), QHeaderView.Stretch)
        for col, width in (("marker", 56), ("priority", 110), ("state", 150), ("time", 80), ("title", 260)):
            self.view.setColumnWidth(COLUMNS.index(col), width)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        lay.addWidget(self.view, 1)

        actions = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        self.more = QToolButton(self)
        self.more.setPopupMode(QToolButton.InstantPopup)
        more_menu = QMenu(self.more)
        self.more.setMenu(more_menu)
        self.view.setContextMenuPolicy(Qt.ActionsContextMenu)
        self.menu_actions: dict[str, QAction] = {}
        for key, slot, shortcut, visible in (
            ("ack", self.ack_selected, "F2", True),
            ("ack_page", self.ack_page, "Shift+F2", True),
            ("silence", self.silence, "F4", True),
            ("shelve", self.shelve_selected, "", True),
            ("cap", self.cap_selected, "", True),
            ("unshelve", lambda: self._release("unshelve"), "", False),
            ("suppress", lambda: self._hide("suppress"), "", False),
            ("unsuppress", lambda: self._release("unsuppress"), "", False),
            ("oos", lambda: self._hide("oos"), "", False),
            ("return", lambda: self._release("return"), "", False),
        ):
            act = QAction(self)
            act.triggered.connect(slot)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(Qt.WindowShortcut)
                self.addAction(act)
            self.view.addAction(act)
            self.menu_actions[key] = act
            if visible:
                b = QPushButton(self)
                b.setObjectName(f"alarmAction_{key}")
                b.clicked.connect(slot)
                self.buttons[key] = b
                actions.addWidget(b)
            else:
                more_menu.addAction(act)
        actions.addWidget(self.more)
        self.message = QLabel(self)
        self.message.setObjectName("alarmMessage")
        self.message.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        actions.addWidget(self.message, 1)
        lay.addLayout(actions)

    def _district_name(self, district_id: str) -> str:
        if self.city is not None:
            for d in self.city.districts:
                if d.id == district_id:
                    return d.name(i18n.lang())
        return district_id

    # -- feeding ----------------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.engine.version != self.version:
            if self.version == 0:
                self.version, alarms = self.engine.snapshot()
                self.model.reset(alarms)
            else:
                self.version, changed = self.engine.changes_since(self.version)
                self.model.apply(changed)
            self._update_header()
            self._update_buttons()

    def _update_header(self) -> None:
        rows = self.model.rows
        unacked = sum(1 for a in rows if a.unacked)
        hidden = sum(1 for a in rows if a.hidden)
        self.counts.setText(
            i18n.tr("alarms.counts", unacked=unacked, active=len(rows) - hidden, hidden=hidden)
        )
        floods = self.engine.floods()
        self.flood.setVisible(bool(floods))
        if floods:
            parts = []
            for f in floods:
                by = "، ".join(
                    f"{PRIORITY_GLYPH[p]} {i18n.digits(n)}"
                    for p, n in sorted(f.by_priority.items(), reverse=True)
                )
                parts.append(i18n.tr("alarms.flood.summary", n=f.grouped, detail=by))
            self.flood.setText(f"{MARK_GROUPED} " + "   ".join(parts))
            self.flood.setToolTip(self.flood.text())

    def _show_sound(self, state: str) -> None:
        if state == "unavailable":
            self.sound.setText("🔇 " + i18n.tr("alarms.sound.unavailable"))
            self.sound.setStyleSheet("color: #ff6b6b;")
        elif state.startswith("playing:"):
            self.sound.setText("🔊 " + i18n.tr("alarms.sound.on"))
            self.sound.setStyleSheet("color: #ffbe0b;")
        else:
            self.sound.setText("🔈 " + i18n.tr("alarms.sound.quiet"))
            self.sound.setStyleSheet("")

    def _fill_filters(self) -> None:
        def refill(box: QComboBox, items: list[tuple[str, str]]) -> None:
            current = box.currentData()
            box.blockSignals(True)
            box.clear()
            for data, text in items:
                box.addItem(text, data)
            i = box.findData(current)
            box.setCurrentIndex(max(0, i))
            box.blockSignals(False)

        refill(
            self.state_box,
            [(g, i18n.tr(f"alarms.filter.{g}")) for g in ("active", "unacked", "hidden", "all")],
        )
        districts = [("", i18n.tr("alarms.filter.all_districts"))]
        if self.city is not None:
            districts += [(d.id, d.name(i18n.lang())) for d in self.city.districts]
        refill(self.district_box, districts)
        depts = sorted({r.department for r in self.engine.rules() if r.department})
        refill(
            self.dept_box,
            [("", i18n.tr("alarms.filter.all_departments"))]
            + [(d, i18n.tr(f"alarms.dept.{d}") if i18n.has_key(f"alarms.dept.{d}") else d) for d in depts],
        )

    def _on_filter(self, *_: Any) -> None:
        self.proxy.set_filter(
            priorities={p for p, b in self.prio_buttons.items() if b.isChecked()},
            states=self.state_box.currentData() or "active",
            district=self.district_box.currentData() or "",
            department=self.dept_box.currentData() or "",
            text=self.search.text().strip(),
        )

    # -- selection ----------------------------------------------------------------------------------------
    def selected(self) -> list[Alarm]:
        rows = {i.row() for i in self.view.selectionModel().selectedRows()}
        return [self.proxy.index(r, 0).data(ALARM_ROLE) for r in sorted(rows)]

    def page(self) -> list[Alarm]:
        """The alarms visible in the list right now (the page an operator acknowledges at once)."""
        top = self.view.rowAt(0)
        bottom = self.view.rowAt(self.view.viewport().height() - 1)
        if top < 0:
            return []
        bottom = self.proxy.rowCount() - 1 if bottom < 0 else bottom
        return [self.proxy.index(r, 0).data(ALARM_ROLE) for r in range(top, bottom + 1)]

    def _on_selection(self, *_: Any) -> None:
        self._update_buttons()
        chosen = self.selected()
        if len(chosen) == 1:
            a = chosen[0]
            if a.kind in ("cap", "count", "composite") or not a.subject:
                ref = f"alarms:{a.id}" if a.lat is not None else f"cap:{a.id}#0"
            else:
                ref = a.subject
            self.sig_entity_selected.emit(ref)

    def select(self, ref: str) -> bool:
        """Select the alarm `ref` names: "alarms:<id>", "cap:<id>#k", or an entity (its alarms)."""
        alarm_id = None
        if ref.startswith("alarms:"):
            alarm_id = ref[len("alarms:") :]
        elif ref.startswith("cap:") and "#" in ref:
            alarm_id = ref[len("cap:") :].rsplit("#", 1)[0]
        rows = []
        for i, a in enumerate(self.model.rows):
            if a.id == alarm_id or (alarm_id is None and a.subject == ref):
                rows.append(i)
        if not rows:
            return False
        sel = self.view.selectionModel()
        sel.clearSelection()
        for i in rows:
            index = self.proxy.mapFromSource(self.model.index(i, 0))
            if index.isValid():
                sel.select(index, QItemSelectionModel.Select | QItemSelectionModel.Rows)
                self.view.scrollTo(index)
        return True

    def _update_buttons(self) -> None:
        op = self.engine.current_operator()
        chosen = self.selected()
        states = {a.state for a in chosen}
        rules = {
            "ack": bool(chosen) and any(a.unacked for a in chosen),
            "ack_page": any(a.unacked for a in self.model.rows),
            "silence": True,
            "shelve": len(chosen) == 1 and not chosen[0].hidden and allowed(op, "alarm.shelve"),
            "unshelve": AlarmState.SHELVED in states and allowed(op, "alarm.shelve"),
            "suppress": len(chosen) == 1 and not chosen[0].hidden and allowed(op, "alarm.suppress"),
            "unsuppress": AlarmState.SUPPRESSED in states and allowed(op, "alarm.suppress"),
            "oos": len(chosen) == 1
            and chosen[0].state is not AlarmState.OUT_OF_SERVICE
            and allowed(op, "alarm.oos"),
            "return": AlarmState.OUT_OF_SERVICE in states and allowed(op, "alarm.oos"),
            "cap": len(chosen) == 1 and allowed(op, "cap.publish"),
        }
        for key, on in rules.items():
            self.menu_actions[key].setEnabled(on)
            if key in self.buttons:
                self.buttons[key].setEnabled(on)
        for key, action in (
            ("shelve", "alarm.shelve"),
            ("suppress", "alarm.suppress"),
            ("oos", "alarm.oos"),
            ("cap", "cap.publish"),
        ):
            tip = i18n.tr(f"alarms.tip.{key}")
            if not allowed(op, action):
                tip += "\n" + i18n.tr("alarms.tip.needs_role", who=op.name)
            self.menu_actions[key].setToolTip(tip)
            if key in self.buttons:
                self.buttons[key].setToolTip(tip)

    # -- actions --------------------------------------------------------------------------------------------
    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #ff6b6b;" if error else "color: #3fb950;")
        self.message.setText(text)

    def ack_ids(self, alarm_ids: list[str]) -> int:
        alarms = [a for a in (self.engine.get(i) for i in alarm_ids) if a is not None and a.unacked]
        return self._ack(alarms)

    def ack_selected(self) -> int:
        return self._ack([a for a in self.selected() if a.unacked])

    def ack_page(self) -> int:
        return self._ack([a for a in self.page() if a.unacked])

    def _ack(self, alarms: list[Alarm]) -> int:
        if not alarms:
            return 0
        op = self.engine.current_operator()
        note = ""
        extreme = [a for a in alarms if a.priority is Priority.EXTREME]
        if extreme:
            note = self.ask_note(extreme) or ""
        done, refused = self.engine.ack_many([a.id for a in alarms], op, note)
        self.refresh()
        if refused:
            self._say(
                i18n.tr("alarms.msg.ack_refused", n=len(refused), reason=next(iter(refused.values()))), True
            )
        else:
            self._say(i18n.tr("alarms.msg.acked", n=len(done)))
        return len(done)

    def silence(self) -> None:
        try:
            self.engine.silence(self.engine.current_operator())
            self._say(i18n.tr("alarms.msg.silenced"))
        except PermissionDenied as exc:
            self._say(str(exc), True)
        if self.annunciator is not None:
            self.annunciator.update()

    def shelve_selected(self) -> None:
        chosen = self.selected()
        if len(chosen) != 1:
            return
        answer = self.ask_shelve(chosen[0])
        if answer is None:
            return
        reason, seconds = answer
        self._act(lambda op: self.engine.shelve(chosen[0].id, op, reason, seconds), "alarms.msg.shelved")

    def _hide(self, action: str) -> None:
        chosen = self.selected()
        if len(chosen) != 1:
            return
        reason = self.ask_reason(f"alarms.action.{action}")
        if not reason:
            return
        fn = self.engine.suppress if action == "suppress" else self.engine.remove_from_service
        self._act(lambda op: fn(chosen[0].id, op, reason), f"alarms.msg.{action}")

    def _release(self, action: str) -> None:
        fn = {
            "unshelve": self.engine.unshelve,
            "unsuppress": self.engine.unsuppress,
            "return": self.engine.return_to_service,
        }[action]
        state = {
            "unshelve": AlarmState.SHELVED,
            "unsuppress": AlarmState.SUPPRESSED,
            "return": AlarmState.OUT_OF_SERVICE,
        }[action]
        for a in [a for a in self.selected() if a.state is state]:
            self._act(lambda op, a=a: fn(a.id, op), f"alarms.msg.{action}")

    def _act(self, fn: Callable[[Any], Any], ok_key: str) -> bool:
        try:
            fn(self.engine.current_operator())
        except (PermissionDenied, IllegalTransition, NoteRequired, ValueError, KeyError) as exc:
            self._say(str(exc), True)
            return False
        self.refresh()
        self._say(i18n.tr(ok_key))
        return True

    def cap_selected(self) -> None:
        chosen = self.selected()
        if len(chosen) == 1:
            self.compose_cap(chosen[0])

    def _compose_cap(self, alarm: Alarm) -> None:
        dlg = alarm_dialogs.CapComposer(
            alarm, self._district_name(alarm.district), self.engine.cap_sender(), self
        )
        while dlg.exec():
            try:
                path = self.engine.publish_cap(
                    dlg.warning(), self.engine.current_operator(), dlg.reason.text()
                )
            except (CapError, PermissionDenied, OSError) as exc:
                dlg.error.setText(str(exc))
                continue
            self._say(i18n.tr("alarms.msg.cap_saved", path=str(path)))
            return

    # -- language ---------------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        for p, b in self.prio_buttons.items():
            b.setText(f"{PRIORITY_GLYPH[p]} {i18n.tr(f'alarms.priority.{p.name.lower()}')}")
        for key, act in self.menu_actions.items():
            act.setText(i18n.tr(f"alarms.action.{key}"))
            if key in self.buttons:
                self.buttons[key].setText(act.text())
                keys = act.shortcut().toString()
                if keys:
                    self.buttons[key].setToolTip(f"{act.text()} — {keys}")
        self.more.setText(i18n.tr("alarms.action.more"))
        self.search.setPlaceholderText(i18n.tr("alarms.filter.search"))
        self._fill_filters()
        self._show_sound(self.annunciator.state() if self.annunciator is not None else "unavailable")
        self.model.headerDataChanged.emit(Qt.Horizontal, 0, len(COLUMNS) - 1)
        if self.model.rows:  # every cell's words changed, not the rows: no layout change
            self.model.dataChanged.emit(
                self.model.index(0, 0), self.model.index(len(self.model.rows) - 1, len(COLUMNS) - 1)
            )
        self._update_header()
        self._update_buttons()

    def closeEvent(self, event) -> None:
        if self.annunciator is not None:
            self.annunciator.stop()
        super().closeEvent(event)
