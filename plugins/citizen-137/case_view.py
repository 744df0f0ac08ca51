"""One 137 case on screen: the photo (click to enlarge), what the citizen wrote, the timers, the merged
originals, and the operator's actions (categorise, assign, merge suggested duplicates, close, reopen).

Every action goes through the Qt-free TriageDesk (which refuses bad actions with one line, shown
here) and is journaled by the plugin as an AuditEvent in the operator's name.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console import i18n
from widgets.photo_view import PhotoThumb

from .rules import CitizenDepartment, urgency_colour
from .texts import duration_text, timer_text, when_text
from .triage import Case, TriageError


def is_rtl_text(text: str) -> bool:
    """True when the text is written in Arabic script (Persian): shown right to left."""
    return any("\u0600" <= ch <= "\u06ff" or "\ufb50" <= ch <= "\ufeff" for ch in text[:80])


TIMER_COLOURS = {
    "ok": "#3fb950",
    "warn": "#d29922",
    "overdue": "#ff6b6b",
    "met": "#3fb950",
    "missed": "#ff6b6b",
}


class CaseView(QFrame):
    """Details and actions of the selected case; `sig_show_on_map(case_id)` asks for the map."""

    sig_show_on_map = Signal(str)
    sig_changed = Signal()

    def __init__(self, department: CitizenDepartment, parent: QWidget | None = None):
        super().__init__(parent)
        self.department = department
        self.desk = department.triage
        self.triage_config = department.triage_config
        self.case_id = ""
        self._dupes: tuple[str, ...] = ()
        self.setObjectName("c137Case")
        self.empty = QLabel(self)
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setStyleSheet("color: #8b98a5;")

        self.photo = PhotoThumb(240, self)
        self.heading = QLabel(self)
        self.heading.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.heading.setWordWrap(True)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.text.setStyleSheet("font-size: 11pt;")
        self.facts = QFormLayout()
        self.fact_labels: dict[str, tuple[QLabel, QLabel]] = {}
        for key in ("id", "place", "time", "status", "department", "triage", "resolve"):
            name, value = QLabel(self), QLabel(self)
            value.setWordWrap(True)
            self.fact_labels[key] = (name, value)
            self.facts.addRow(name, value)

        self.members_title = QLabel(self)
        self.members = QListWidget(self)
        self.members.setMaximumHeight(90)

        # actions
        self.category = QComboBox(self)
        self.set_category = QPushButton(self)
        self.set_category.clicked.connect(self._on_categorise)
        self.department_box = QComboBox(self)
        self.assign = QPushButton(self)
        self.assign.clicked.connect(self._on_assign)
        self.resolution = QComboBox(self)
        self.note = QLineEdit(self)
        self.close_case = QPushButton(self)
        self.close_case.clicked.connect(self._on_close)
        self.reopen = QPushButton(self)
        self.reopen.clicked.connect(self._on_reopen)
        self.dupes_title = QLabel(self)
        self.dupes = QListWidget(self)
        self.dupes.setMaximumHeight(110)
        self.merge = QPushButton(self)
        self.merge.clicked.connect(self._on_merge)
        self.map_button = QPushButton(self)
        self.map_button.clicked.connect(lambda: self.case_id and self.sig_show_on_map.emit(self.case_id))
        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.photo, 0, Qt.AlignTop)
        right = QVBoxLayout()
        right.addWidget(self.heading)
        right.addWidget(self.text)
        right.addLayout(self.facts)
        right.addStretch(1)
        top.addLayout(right, 1)

        grid = QGridLayout()
        grid.addWidget(self.category, 0, 0)
        grid.addWidget(self.set_category, 0, 1)
        grid.addWidget(self.department_box, 1, 0)
        grid.addWidget(self.assign, 1, 1)
        grid.addWidget(self.resolution, 2, 0)
        grid.addWidget(self.close_case, 2, 1)
        grid.addWidget(self.note, 3, 0)
        grid.addWidget(self.reopen, 3, 1)
        grid.setColumnStretch(0, 1)

        self.content = QWidget(self)
        lay = QVBoxLayout(self.content)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.members_title)
        lay.addWidget(self.members)
        lay.addLayout(grid)
        lay.addWidget(self.dupes_title)
        lay.addWidget(self.dupes)
        buttons = QHBoxLayout()
        buttons.addWidget(self.merge)
        buttons.addStretch(1)
        buttons.addWidget(self.map_button)
        lay.addLayout(buttons)
        lay.addWidget(self.feedback)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.addWidget(self.empty, 1)
        outer.addWidget(self.content)
        self.retranslate()
        self.show_case(None)

    # -- showing ---------------------------------------------------------------------------------------
    def show_case(self, case_id: str | None) -> None:
        """Select a case (or none): fills the static parts and the choice lists once."""
        if (case_id or "") != self.case_id:
            self.feedback.clear()
        self.case_id = case_id or ""
        self._dupes = ()
        case = self.desk.get(self.case_id) if self.case_id else None
        self.empty.setVisible(case is None)
        self.content.setVisible(case is not None)
        if case is None:
            self.empty.setText(
                i18n.tr("c137.case.none" if self.desk.stats().open else "c137.case.queue_empty")
            )
            return
        self._select(self.category, case.category)
        self._select(self.department_box, case.department or case.suggested_department)
        self.photo.set_photo(case.report.image, f"{case.id} — {case.report.text}")
        self.members.clear()
        for m in case.members:
            item = QListWidgetItem(f"{when_text(m.t)} · {m.id} · {m.text}")
            item.setToolTip(m.text)
            self.members.addItem(item)
        self.members_title.setText(i18n.tr("c137.case.members", n=len(case.members)))
        self.text.setText(case.report.text)
        # what the citizen wrote keeps its own direction, whatever the interface language
        self.text.setLayoutDirection(Qt.RightToLeft if is_rtl_text(case.report.text) else Qt.LeftToRight)
        self.text.setAlignment(Qt.AlignLeading | Qt.AlignVCenter)
        self.update_live()

    def update_live(self) -> None:
        """What changes with time or other operators: status, timers, duplicate suggestions."""
        case = self.desk.get(self.case_id) if self.case_id else None
        if case is None:
            if self.case_id:
                self.show_case(None)
            return
        lang = i18n.lang()
        cfg = self.triage_config
        self.heading.setText(
            f"{cfg.category_title(case.category, lang)} — {i18n.tr(f'c137.urgency.{case.urgency}')}"
        )
        self.heading.setStyleSheet(
            f"font-size: 13pt; font-weight: bold; color: {urgency_colour(case.urgency)};"
        )
        r = case.report
        district = self.department.district_name(r.district, lang, r.district_fa) if r.district else ""
        place = " — ".join(p for p in (r.street, district) if p)
        status = i18n.tr(f"c137.status.{case.status}")
        if case.status == "merged":
            status += " → " + case.merged_into
        elif case.status == "closed":
            status += (
                " — " + cfg.resolutions[case.resolution].title(lang)
                if case.resolution in cfg.resolutions
                else ""
            )
        if case.department:
            dept = cfg.department_title(case.department, lang)
        elif case.suggested_department:
            dept = i18n.tr("c137.case.suggested", name=cfg.department_title(case.suggested_department, lang))
        else:
            dept = "—"
        tri, res = self.desk.timers(case)
        values = {
            "id": case.id,
            "place": place or "—",
            "time": when_text(case.opened_t, with_date=True),
            "status": status,
            "department": dept,
            "triage": timer_text(tri),
            "resolve": timer_text(res),
        }
        for key, text in values.items():
            self.fact_labels[key][1].setText(text)
        for key, timer in (("triage", tri), ("resolve", res)):
            self.fact_labels[key][1].setStyleSheet(f"color: {TIMER_COLOURS[timer.state]};")
        is_open = case.is_open
        for w in (self.set_category, self.assign, self.close_case, self.category, self.department_box):
            w.setEnabled(is_open)
        self.reopen.setEnabled(case.status == "closed")
        self._update_dupes(case)

    def _update_dupes(self, case: Case) -> None:
        suggestions = self.desk.suggest_duplicates(case.id) if case.is_open else []
        ids = tuple(s.case_id for s in suggestions)
        if ids == self._dupes:
            return
        checked = {
            self.dupes.item(i).data(Qt.UserRole)
            for i in range(self.dupes.count())
            if self.dupes.item(i).checkState() == Qt.Checked
        }
        self._dupes = ids
        self.dupes.clear()
        for s in suggestions:
            other = self.desk.get(s.case_id)
            text = other.report.text if other else ""
            item = QListWidgetItem(
                i18n.tr("c137.dupe.row", id=s.case_id, m=i18n.number(s.distance_m), t=duration_text(s.dt_s))
                + f" · {text}"
            )
            item.setData(Qt.UserRole, s.case_id)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if s.case_id in checked else Qt.Unchecked)
            self.dupes.addItem(item)
        self.dupes_title.setText(i18n.tr("c137.dupe.title", n=len(suggestions)))
        self.merge.setEnabled(bool(suggestions))

    @staticmethod
    def _select(box: QComboBox, key: str) -> None:
        i = box.findData(key)
        box.setCurrentIndex(i if i >= 0 else 0)

    # -- actions ---------------------------------------------------------------------------------------
    def _act(self, action) -> bool:
        """Run `action(case_id, operator)` on the desk; show the refusal or the attribution."""
        operator = self.department.operator()
        try:
            action(self.case_id, operator)
        except TriageError as exc:
            self.feedback.setStyleSheet("color: #ff6b6b;")
            self.feedback.setText(i18n.tr("c137.action.refused", reason=str(exc)))
            return False
        self.feedback.setStyleSheet("color: #3fb950;")
        self.feedback.setText(i18n.tr("c137.action.done", who=operator.name))
        self.department.update_layers()
        self.update_live()
        self.sig_changed.emit()
        return True

    def _on_categorise(self) -> None:
        category = self.category.currentData()
        if self._act(lambda cid, op: self.desk.categorise(cid, category, op)):
            self._select(self.department_box, self.desk.get(self.case_id).suggested_department)

    def _on_assign(self) -> None:
        department = self.department_box.currentData()
        self._act(lambda cid, op: self.desk.assign(cid, department, op))

    def _on_close(self) -> None:
        resolution, note = self.resolution.currentData(), self.note.text()
        if self._act(lambda cid, op: self.desk.close(cid, resolution, op, note)):
            self.note.clear()

    def _on_reopen(self) -> None:
        self._act(self.desk.reopen)

    def checked_duplicates(self) -> list[str]:
        return [
            self.dupes.item(i).data(Qt.UserRole)
            for i in range(self.dupes.count())
            if self.dupes.item(i).checkState() == Qt.Checked
        ]

    def _on_merge(self) -> None:
        chosen = self.checked_duplicates()
        if not chosen:
            self.feedback.setStyleSheet("color: #d29922;")
            self.feedback.setText(i18n.tr("c137.dupe.none_checked"))
            return
        if self._act(lambda cid, op: self.desk.merge(cid, chosen, op)):
            self.show_case(self.case_id)

    # -- language --------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        lang = i18n.lang()
        tr = i18n.tr
        self.empty.setText(tr("c137.case.none"))
        for key, (name, _value) in self.fact_labels.items():
            name.setText(tr(f"c137.case.{key}"))
        self.set_category.setText(tr("c137.action.categorise"))
        self.assign.setText(tr("c137.action.assign"))
        self.close_case.setText(tr("c137.action.close"))
        self.reopen.setText(tr("c137.action.reopen"))
        self.merge.setText(tr("c137.action.merge"))
        self.map_button.setText(tr("c137.action.map"))
        self.note.setPlaceholderText(tr("c137.action.note"))
        for box, items in (
            (self.category, self.triage_config.categories.values()),
            (self.department_box, self.triage_config.departments.values()),
            (self.resolution, self.triage_config.resolutions.values()),
        ):
            current = box.currentData()
            box.clear()
            for item in items:
                box.addItem(item.title(lang), item.key)
            if current is not None:
                self._select(box, current)
        self.photo.retranslate()
        self.show_case(self.case_id or None)
