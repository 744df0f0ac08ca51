"""Compose a public warning (CAP 1.2) from an alarm, in Persian and English side by side.

Anyone may read the draft; publishing needs the `cap.publish` role (crisis manager), a reason, a
complete draft (event and headline in both languages, an area) and the alarm room's CAP exporter.
The button says which of these is missing instead of failing after the click.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console import i18n
from console.model import now_ns
from console.roles import PermissionDenied

from .rules import CrisisDepartment
from .warning import (
    CATEGORY,
    CERTAINTY,
    RESPONSE,
    SEVERITY,
    TEXT_FIELDS,
    URGENCY,
    WarningDraft,
    cap_unavailable,
    may_publish,
    publish,
)

MULTILINE = ("description", "instruction")


class CapDialog(QDialog):
    def __init__(
        self, department: CrisisDepartment, alarm, draft: WarningDraft, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.department = department
        self.alarm = alarm
        self.draft = draft
        self.published_path = None
        self.setAttribute(Qt.WA_DeleteOnClose)
        self.setWindowTitle(i18n.tr("crisis.cap.title"))
        self.resize(1100, 760)
        tr = i18n.tr

        head = QLabel(tr("crisis.cap.from_alarm", title=alarm.title(i18n.lang()), id=alarm.id), self)
        head.setWordWrap(True)
        head.setStyleSheet("font-weight: bold;")

        grid = QGridLayout()
        grid.addWidget(QLabel("فارسی", self), 0, 1)
        grid.addWidget(QLabel("English", self), 0, 2)
        self.editors: dict[tuple[str, str], QLineEdit | QPlainTextEdit] = {}
        for row, name in enumerate(TEXT_FIELDS, start=1):
            grid.addWidget(QLabel(tr(f"crisis.cap.field.{name}"), self), row, 0)
            for col, lang in ((1, "fa"), (2, "en")):
                editor = QPlainTextEdit(self) if name in MULTILINE else QLineEdit(self)
                text = draft.texts.get(lang, {}).get(name, "")
                if isinstance(editor, QPlainTextEdit):
                    editor.setPlainText(text)
                    editor.setMinimumHeight(64)
                    editor.setMaximumHeight(110)
                    editor.textChanged.connect(self._update_state)
                else:
                    editor.setText(text)
                    editor.textChanged.connect(self._update_state)
                editor.setLayoutDirection(Qt.RightToLeft if lang == "fa" else Qt.LeftToRight)
                self.editors[(lang, name)] = editor
                grid.addWidget(editor, row, col)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)

        form = QFormLayout()
        self.severity = self._combo(SEVERITY, draft.severity)
        self.urgency = self._combo(URGENCY, draft.urgency)
        self.certainty = self._combo(CERTAINTY, draft.certainty)
        self.category = self._combo(CATEGORY, draft.category)
        self.response = self._combo(RESPONSE, draft.response)
        self.expires = QSpinBox(self)
        self.expires.setRange(1, 72)
        self.expires.setValue(int(draft.expires_h))
        self.expires.setSuffix(" h")
        for key, widget in (
            ("severity", self.severity),
            ("urgency", self.urgency),
            ("certainty", self.certainty),
            ("category", self.category),
            ("response", self.response),
            ("expires", self.expires),
        ):
            form.addRow(tr(f"crisis.cap.field.{key}"), widget)
        form.addRow(tr("crisis.cap.field.area"), QLabel(self._area_text(draft), self))
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(tr("crisis.cap.reason_hint"))
        self.reason.textChanged.connect(self._update_state)
        form.addRow(tr("crisis.cap.field.reason"), self.reason)

        self.state = QLabel(self)
        self.state.setWordWrap(True)
        self.publish_button = QPushButton(tr("crisis.cap.publish"), self)
        self.publish_button.clicked.connect(self.on_publish)
        cancel = QPushButton(tr("crisis.cap.cancel"), self)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state, 1)
        buttons.addWidget(self.publish_button)
        buttons.addWidget(cancel)

        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addLayout(grid)
        lay.addLayout(form)
        lay.addLayout(buttons)
        self._update_state()

    def _combo(self, values: tuple[str, ...], current: str) -> QComboBox:
        box = QComboBox(self)
        for v in values:
            box.addItem(v, v)
        box.setCurrentIndex(max(0, box.findData(current)))
        return box

    @staticmethod
    def _area_text(draft: WarningDraft) -> str:
        parts = [
            i18n.tr(
                "crisis.cap.circle",
                lat=i18n.number(lat, 4, grouping=False),
                lon=i18n.number(lon, 4, grouping=False),
                km=i18n.number(km, 1),
            )
            for lat, lon, km in draft.circles
        ]
        parts += [i18n.tr("crisis.cap.polygon", n=len(ring)) for ring in draft.polygons]
        return "؛ ".join(parts) if i18n.lang() == "fa" else "; ".join(parts)

    def current_draft(self) -> WarningDraft:
        d = self.draft
        d.severity, d.urgency, d.certainty = (
            self.severity.currentData(),
            self.urgency.currentData(),
            self.certainty.currentData(),
        )
        d.category, d.response, d.expires_h = (
            self.category.currentData(),
            self.response.currentData(),
            float(self.expires.value()),
        )
        for (lang, name), editor in self.editors.items():
            text = editor.toPlainText() if isinstance(editor, QPlainTextEdit) else editor.text()
            d.texts.setdefault(lang, {})[name] = text
        return d

    def blockers(self) -> list[str]:
        """Why Publish is disabled (empty: it is enabled)."""
        out = []
        operator = self.department.operator()
        if not may_publish(operator):
            out.append(i18n.tr("crisis.cap.needs_role", who=operator.name))
        why = cap_unavailable(self.department.service("alarms"))
        if why:
            out.append(why)
        out += self.current_draft().problems()
        if not self.reason.text().strip():
            out.append(i18n.tr("crisis.cap.needs_reason"))
        return out

    def _update_state(self) -> None:
        if not hasattr(self, "publish_button"):
            return
        blockers = self.blockers()
        self.publish_button.setEnabled(not blockers)
        self.state.setStyleSheet("color: #d29922;" if blockers else "color: #3fb950;")
        self.state.setText("\n".join(blockers) if blockers else i18n.tr("crisis.cap.ready"))

    def on_publish(self) -> None:
        try:
            path = publish(
                self.department.service("alarms"),
                self.current_draft(),
                self.department.operator(),
                self.reason.text(),
                now_ns(),
                self.department.timezone(),
            )
        except (PermissionDenied, RuntimeError, ValueError, OSError) as exc:
            self.state.setStyleSheet("color: #ff6b6b;")
            self.state.setText(i18n.tr("crisis.cap.failed", reason=str(exc)))
            return
        self.published_path = path
        self.state.setStyleSheet("color: #3fb950;")
        self.state.setText(i18n.tr("crisis.cap.published", path=str(path)))
        self.publish_button.setEnabled(False)
