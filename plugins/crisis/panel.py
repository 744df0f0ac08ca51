"""The crisis cell's panel: tiles, active alarms with the nearest available vehicles to the selected
one, alarms by district and priority with the affected population, the alarm timeline, and the entry
point to a public warning (CAP). Reads the Qt-free CrisisDepartment once a second.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from console import i18n
from console.mapstyle import PRIORITY_COLOURS
from console.model import Priority
from console.roles import PermissionDenied
from widgets.department_panel import Column, DepartmentPanel, Tile
from widgets.records_table import RecordsTable

from .overview import UNPLACED, Dispatch, Overview
from .rules import AFFECTED, CrisisDepartment
from .warning import LANGUAGES, cap_unavailable, may_publish


def _priority(value, row) -> str:
    return i18n.tr(f"crisis.priority.{value}") if value else "—"


def _distance(value, row) -> str:
    if value is None:
        return "—"
    return (
        i18n.tr("crisis.km", km=i18n.number(value / 1000.0, 1))
        if value >= 1000
        else i18n.tr("crisis.m", m=i18n.number(value))
    )


def _eta(value, row) -> str:
    if value is None:
        return "—"
    minutes, seconds = divmod(round(value), 60)
    return i18n.digits(f"{minutes}:{seconds:02d}")


class CrisisPanel(DepartmentPanel):
    title_fa = "مدیریت بحران — تصویر وضعیت شهر"
    title_en = "Crisis management — the city at a glance"
    keep_order = True  # most urgent first, as the overview ranks them

    def __init__(self, department: CrisisDepartment, parent: QWidget | None = None):
        super().__init__(department, parent, tile_columns=7)

    # -- layout ----------------------------------------------------------------------------------------
    def build(self) -> None:
        self.selected_alarm = None
        self.following_top = True  # until the operator picks an alarm, the most urgent one is shown
        self._selecting = False
        self.last_dispatch: Dispatch | None = None
        self.alarms = RecordsTable(
            [
                Column("priority", "اولویت", "Priority", render=_priority),
                Column("title", "هشدار", "Alarm"),
                Column("district_text", "منطقه", "District"),
                Column("state_text", "وضعیت", "State"),
                Column("raised", "زمان", "Raised", kind="time"),
                Column("message", "شرح", "Message"),
            ],
            self,
            key="entity",
            keep_order=True,
        )
        self.alarms.sig_selected.connect(self._on_alarm_selected)
        self.alarms.doubleClicked.connect(
            lambda index: self.show_alarm_on_map(self._find_alarm(self.alarms.row_at(index.row())["entity"]))
        )
        self.response = QWidget(self)
        self.response_title = QLabel(self.response)
        self.response_title.setWordWrap(True)
        self.response_title.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.vehicles = RecordsTable(
            [
                Column("rank", "ردیف", "#", kind="number"),
                Column("entity", "خودرو", "Vehicle"),
                Column("kind_text", "نوع", "Kind"),
                Column("status", "کار فعلی", "Doing"),
                Column("metres", "فاصله", "Distance", render=_distance),
                Column("seconds", "زمان رسیدن", "ETA", render=_eta),
                Column("method_text", "روش", "Measured"),
            ],
            self.response,
            key="entity",
            keep_order=True,
        )
        self.vehicles.doubleClicked.connect(lambda index: self._on_row_activated(self.vehicles, index.row()))
        self.method_note = QLabel(self.response)
        self.method_note.setWordWrap(True)
        self.method_note.setStyleSheet("color: #8b98a5;")
        self.map_button = QPushButton(self.response)
        self.map_button.clicked.connect(
            lambda: self.selected_alarm and self.show_alarm_on_map(self.selected_alarm)
        )
        self.cap_button = QPushButton(self.response)
        self.cap_button.clicked.connect(self.compose_cap)
        self.cap_note = QLabel(self.response)
        self.cap_note.setWordWrap(True)
        self.cap_note.setStyleSheet("color: #d29922;")
        buttons = QHBoxLayout()
        buttons.addWidget(self.map_button)
        buttons.addWidget(self.cap_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self.response)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.response_title)
        lay.addWidget(self.vehicles, 1)
        lay.addWidget(self.method_note)
        lay.addLayout(buttons)
        lay.addWidget(self.cap_note)
        self.split = self.add_split_tab(self.alarms, self.response, "هشدارها و اعزام", "Alarms and response")
        self.add_table(
            "districts",
            "به تفکیک منطقه",
            "By district",
            [
                Column("name", "منطقه", "District"),
                Column("population", "جمعیت", "Population", kind="number"),
                Column("p4", "بحرانی", "Extreme", kind="number"),
                Column("p3", "شدید", "Severe", kind="number"),
                Column("p2", "متوسط", "Moderate", kind="number"),
                Column("p1", "کم", "Minor", kind="number"),
                Column("unacked", "تأییدنشده", "Unacknowledged", kind="number"),
                Column("affected_text", "متأثر", "Affected"),
                Column(
                    "share", "سهم مساحت در محدودهٔ هشدار", "Area in alarm areas", kind="number", decimals=0
                ),
                Column("people", "جمعیت برآوردی در محدوده", "People in alarm areas (est.)", kind="number"),
            ],
            row_key="entity",
        )
        self.add_table(
            "timeline",
            "رویدادهای هشدارهای شدید",
            "Timeline of severe alarms",
            [
                Column("t", "زمان", "Time", kind="time"),
                Column("priority", "اولویت", "Priority", render=_priority),
                Column("action_text", "رویداد", "Event"),
                Column("message", "هشدار", "Alarm"),
                Column("district_text", "منطقه", "District"),
                Column("operator", "کاربر", "By"),
            ],
            row_key="entity",
        )

    def _on_alarm_selected(self, row: dict | None) -> None:
        if row is not None:
            if not self._selecting:
                self.following_top = False  # the operator chose
            self.selected_alarm = self._find_alarm(row["entity"])
            self._refresh_response()

    def _select_alarm(self, alarm) -> None:
        self._selecting = True
        try:
            self.alarms.select_key(alarm.id)
        finally:
            self._selecting = False
        self.selected_alarm = alarm

    # -- refresh ---------------------------------------------------------------------------------------
    def refresh(self) -> None:
        ov = self.department.overview()
        if ov is None:
            self.provenance.setText(i18n.tr("crisis.no_engine"))
            return
        self._overview = ov
        self.alarms.set_rows([self._alarm_row(a) for a in ov.alarms])
        if self.selected_alarm is not None:
            self.selected_alarm = self._find_alarm(self.selected_alarm.id)
        if self.selected_alarm is None:
            self.following_top = True  # the chosen alarm is gone: back to the most urgent
        if (
            self.following_top
            and ov.alarms
            and (self.selected_alarm is None or self.selected_alarm.id != ov.alarms[0].id)
        ):
            self._select_alarm(ov.alarms[0])
            self.alarms.scrollToTop()
        self._refresh_response()
        self.set_rows("districts", [self._district_row(d) for d in ov.districts])
        floor = int(self.department.crisis_config.affected_min)
        timeline = [tr for tr in reversed(self.department.timeline) if int(tr.priority) >= floor]
        self.set_rows("timeline", [self._timeline_row(tr) for tr in timeline])
        self._tiles(ov)
        self._provenance(ov)

    def _find_alarm(self, alarm_id: str):
        ov = getattr(self, "_overview", None)
        return next((a for a in ov.alarms if a.id == alarm_id), None) if ov else None

    def _refresh_response(self) -> None:
        a, lang = self.selected_alarm, i18n.lang()
        dispatch = self.department.nearest(a) if a is not None else None
        self.last_dispatch = dispatch
        self.department.update_dispatch(a, dispatch)
        if a is None:
            self.response_title.setText(i18n.tr("crisis.no_alarm_selected"))
            self.vehicles.set_rows([])
            self.method_note.setText("")
        else:
            where = self._district_text(a.district)
            self.response_title.setText(i18n.tr("crisis.response_title", title=a.title(lang), where=where))
            self.response_title.setStyleSheet(
                f"font-size: 12pt; font-weight: bold; color: {PRIORITY_COLOURS[int(a.priority)]};"
            )
            self.vehicles.set_rows(self._vehicle_rows(dispatch))
            self.method_note.setText(self._method_text(a, dispatch))
        self._cap_state(a)

    def _alarm_row(self, a) -> dict:
        lang = i18n.lang()
        return {
            "entity": a.id,
            "priority": int(a.priority),
            "title": a.title(lang),
            "district_text": self._district_text(a.district),
            "state_text": i18n.tr(f"crisis.state.{a.state.value}"),
            "raised": a.raised_t or None,
            "message": a.message(lang),
            "_colour": PRIORITY_COLOURS[int(a.priority)],
        }

    def _district_text(self, district_id: str) -> str:
        if not district_id:
            return i18n.tr("crisis.unplaced")
        return self.department.district_name(district_id, i18n.lang())

    def _vehicle_rows(self, dispatch: Dispatch | None) -> list[dict]:
        if dispatch is None:
            return []
        return [
            {
                "entity": c.entity,
                "rank": rank,
                "kind_text": i18n.tr(f"crisis.kind.{c.kind}"),
                "status": i18n.tr(f"crisis.doing.{c.status}")
                if i18n.has_key(f"crisis.doing.{c.status}")
                else c.status or "—",
                "metres": c.metres,
                "seconds": c.seconds,
                "method_text": i18n.tr(f"crisis.method.{c.method}"),
            }
            for rank, c in enumerate(dispatch.candidates, start=1)
        ]

    def _method_text(self, alarm, dispatch: Dispatch | None) -> str:
        if alarm.lat is None:
            return i18n.tr("crisis.method.no_place")
        if dispatch is None:
            return i18n.tr("crisis.method.no_entities")
        if not dispatch.candidates:
            return i18n.tr("crisis.method.none", n=dispatch.considered, refused=dispatch.unavailable)
        if dispatch.method == "road":
            return i18n.tr(
                "crisis.method.road_note",
                live=dispatch.live_segments,
                total=dispatch.segments,
                refused=dispatch.unavailable,
            )
        return i18n.tr("crisis.method.straight_note", refused=dispatch.unavailable)

    def _district_row(self, d) -> dict:
        lang, floor = i18n.lang(), int(self.department.crisis_config.affected_min)
        return {
            "entity": d.id or "unplaced",
            "name": d.name(lang) if d.id != UNPLACED else i18n.tr("crisis.unplaced"),
            "population": d.population or None,
            "p4": d.counts[4] or None,
            "p3": d.counts[3] or None,
            "p2": d.counts[2] or None,
            "p1": d.counts[1] or None,
            "unacked": d.unacked or None,
            "affected_text": i18n.tr("crisis.yes") if d.affected else "",
            "share": 100.0 * d.share if d.share else None,
            "people": round(d.people) if d.people else None,
            # a district can be affected by a neighbour's alarm area without an alarm of its own
            "_colour": PRIORITY_COLOURS[max(d.top, floor)] if d.affected else ("" if d.total else "#8b98a5"),
        }

    def _timeline_row(self, tr) -> dict:
        lang = i18n.lang()
        key = f"crisis.action.{tr.action}"
        return {
            "entity": f"{tr.alarm_id}@{tr.t}:{tr.action}",
            "t": tr.t,
            "priority": int(tr.priority),
            "action_text": i18n.tr(key) if i18n.has_key(key) else tr.action,
            "message": (tr.message_fa if lang == "fa" else tr.message_en) or tr.rule_id,
            "district_text": self._district_text(tr.district),
            "operator": tr.operator or "—",
        }

    def _tiles(self, ov: Overview) -> None:
        severe = ov.count(int(Priority.SEVERE))
        unacked = sum(1 for a in ov.alarms if a.state.value == "unack")
        affected = ov.affected
        dispatch = self.last_dispatch
        self.set_tiles(
            [
                Tile(
                    "active",
                    "هشدارهای فعال",
                    "Active alarms",
                    float(len(ov.alarms)),
                    status="warn" if ov.alarms else "ok",
                ),
                Tile(
                    "severe",
                    "شدید و بحرانی",
                    "Severe and extreme",
                    float(severe),
                    status="alarm" if severe else "ok",
                ),
                Tile(
                    "unacked",
                    "تأییدنشده",
                    "Unacknowledged",
                    float(unacked),
                    status="alarm" if unacked else "ok",
                ),
                Tile(
                    "districts",
                    "مناطق متأثر",
                    "Districts affected",
                    float(len(affected)),
                    status="alarm" if affected else "ok",
                ),
                Tile(
                    "population",
                    "جمعیت مناطق متأثر",
                    "Population of affected districts",
                    float(ov.affected_population),
                    status="alarm" if affected else "ok",
                ),
                Tile(
                    "people",
                    "جمعیت در محدودهٔ هشدارها",
                    "People in alarm areas",
                    float(round(ov.people_estimate, -2)),
                    status="alarm" if ov.people_estimate else "ok",
                    detail=i18n.tr("crisis.estimate_note"),
                ),
                Tile(
                    "vehicles",
                    "خودروهای آماده در دسترس",
                    "Vehicles fresh for dispatch",
                    float(dispatch.considered) if dispatch is not None else None,
                    status="ok" if dispatch is not None and dispatch.considered else "none",
                ),
            ]
        )

    def _provenance(self, ov: Overview) -> None:
        engine = self.department.service("alarms")
        text = i18n.tr("crisis.provenance", alarms=len(ov.alarms), rules=len(engine.rules()) if engine else 0)
        if self.department.service("simulator") is not None:
            text += " — " + i18n.tr("dept.simulated")
        self.provenance.setText(text)

    # -- CAP -------------------------------------------------------------------------------------------
    def cap_blocker(self, alarm) -> str:
        """Why the selected alarm cannot become a public warning from here ("" when it can)."""
        operator = self.department.operator()
        if alarm is None:
            return i18n.tr("crisis.cap.select_alarm")
        if not may_publish(operator):
            return i18n.tr("crisis.cap.needs_role", who=operator.name)
        return cap_unavailable(self.department.service("alarms"))

    def _cap_state(self, alarm) -> None:
        why = self.cap_blocker(alarm)
        self.cap_button.setEnabled(not why)
        self.cap_note.setText(why)

    def open_cap_dialog(self):
        """The alarm room's CAP composer for the selected alarm, filled with the crisis cell's draft
        (districts its area touches, their residents, the instruction for its priority)."""
        from widgets.alarm_dialogs import CapComposer

        alarm = self.selected_alarm
        if alarm is None or self.cap_blocker(alarm):
            return None
        ov = getattr(self, "_overview", None) or self.department.overview()
        draft = self.department.draft(alarm, ov)
        engine = self.department.service("alarms")
        dialog = CapComposer(alarm, self._district_text(alarm.district), engine.cap_sender(), self)
        for lang, code in LANGUAGES.items():
            for name, widget in dialog.fields[code].items():
                text = draft.texts[lang].get(name, "")
                if isinstance(widget, QPlainTextEdit):
                    widget.setPlainText(text)
                else:
                    widget.setText(text)
        for box, value in (
            (dialog.severity, draft.severity),
            (dialog.urgency, draft.urgency),
            (dialog.certainty, draft.certainty),
            (dialog.category, draft.category),
        ):
            box.setCurrentText(value)
        if draft.circles:
            dialog.radius.setValue(draft.circles[0][2])
        dialog.hours.setValue(draft.expires_h)
        return dialog

    def publish_from(self, dialog) -> Path | None:
        """Publish what the composer holds, in the signed-in operator's name; errors stay on the dialog."""
        from console.alarms.cap import CapError

        try:
            path = self.department.service("alarms").publish_cap(
                dialog.warning(), self.department.operator(), dialog.reason.text()
            )
        except (CapError, PermissionDenied, OSError) as exc:
            dialog.error.setText(str(exc))
            return None
        self.cap_note.setText(i18n.tr("crisis.cap.published", path=str(path)))
        return path

    def compose_cap(self) -> None:
        dialog = self.open_cap_dialog()
        while dialog is not None and dialog.exec():
            if self.publish_from(dialog) is not None:
                return

    def show_alarm_on_map(self, alarm) -> bool:
        """Pan the map to an alarm: its feature in a map layer, else its entity, else its district."""
        if alarm is None:
            return False
        layers = self.department.service("maplayers")
        refs = [f"alarms:{alarm.id}", f"citizen-137.clusters:{alarm.id}"]
        for ref in refs:
            if layers is not None and layers.find(ref) is not None:
                return self.show_on_map(ref)
        entities = self.department.service("entities")
        if alarm.subject and entities is not None and entities.get(alarm.subject) is not None:
            return self.show_on_map(alarm.subject)
        if alarm.district and self.department.affected_layer.get(alarm.district) is not None:
            return self.show_on_map(f"{AFFECTED}:{alarm.district}")
        return False

    def retranslate(self) -> None:
        self.alarms.retranslate()
        self.vehicles.retranslate()
        self.map_button.setText(i18n.tr("crisis.action.map"))
        self.cap_button.setText(i18n.tr("crisis.action.cap"))
        super().retranslate()
