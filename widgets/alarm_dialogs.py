"""The alarm room's dialogs: a note for acknowledging Extreme alarms, shelving (reason and time),
a reason for suppression / out of service, and composing a CAP public warning (Persian + English).
Each returns plain values; the callers act through the engine (roles, reasons, journal)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from console import i18n
from console.alarms.alarm import Alarm
from console.alarms.cap import CATEGORY, CERTAINTY, SEVERITY, URGENCY, CapArea, WarningText, compose_warning
from console.model import now_ns

NS = 1_000_000_000


def ask_note(parent: QWidget | None, alarms: list[Alarm]) -> str | None:
    """A note for acknowledging (required for Extreme); None when the operator cancels."""
    titles = "\n".join(f"• {a.title(i18n.lang())}" for a in alarms[:6])
    text, ok = QInputDialog.getMultiLineText(
        parent, i18n.tr("alarms.dialog.note_title"), i18n.tr("alarms.dialog.note_prompt", alarms=titles)
    )
    return text.strip() if ok and text.strip() else None


def ask_reason(parent: QWidget | None, title_key: str) -> str | None:
    text, ok = QInputDialog.getText(parent, i18n.tr(title_key), i18n.tr("alarms.dialog.reason"))
    return text.strip() if ok and text.strip() else None


class ShelveDialog(QDialog):
    def __init__(self, alarm: Alarm, max_hours: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(i18n.tr("alarms.action.shelve"))
        form = QFormLayout(self)
        form.addRow(QLabel(alarm.title(i18n.lang())))
        self.reason = QLineEdit(self)
        self.hours = QDoubleSpinBox(self)
        self.hours.setRange(0.25, max_hours)
        self.hours.setSingleStep(0.25)
        self.hours.setValue(min(1.0, max_hours))
        self.hours.setSuffix(" " + i18n.tr("alarms.dialog.hours"))
        form.addRow(i18n.tr("alarms.dialog.reason"), self.reason)
        form.addRow(i18n.tr("alarms.dialog.duration"), self.hours)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


def ask_shelve(parent: QWidget | None, alarm: Alarm, max_hours: float) -> tuple[str, float] | None:
    dlg = ShelveDialog(alarm, max_hours, parent)
    if dlg.exec() != QDialog.Accepted or not dlg.reason.text().strip():
        return None
    return dlg.reason.text().strip(), dlg.hours.value() * 3600.0


_SEVERITY_OF = {4: "Extreme", 3: "Severe", 2: "Moderate", 1: "Minor"}


class CapComposer(QDialog):
    """Compose a public warning from an alarm: one block per language, shared severity and area."""

    def __init__(self, alarm: Alarm, district_name: str, sender: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.alarm = alarm
        self.sender = sender
        self.setWindowTitle(i18n.tr("alarms.cap.title"))
        self.setMinimumWidth(720)
        lay = QVBoxLayout(self)
        self.fields: dict[str, dict[str, QLineEdit | QPlainTextEdit]] = {}
        grid = QGridLayout()
        for col, (lang, code) in enumerate((("fa", "fa-IR"), ("en", "en-US"))):
            box = QGroupBox(i18n.tr(f"alarms.cap.lang_{lang}"), self)
            form = QFormLayout(box)
            area = ", ".join(alarm.cap.get("areas", [])) if alarm.cap else district_name
            values = {
                "event": alarm.title(lang),
                "headline": alarm.title(lang),
                "description": alarm.message(lang),
                "instruction": "",
                "area_desc": area,
            }
            widgets: dict[str, QLineEdit | QPlainTextEdit] = {}
            for name, value in values.items():
                w = (
                    QPlainTextEdit(value, box)
                    if name in ("description", "instruction")
                    else QLineEdit(value, box)
                )
                if isinstance(w, QPlainTextEdit):
                    w.setFixedHeight(64)
                form.addRow(i18n.tr(f"alarms.cap.{name}"), w)
                widgets[name] = w
            self.fields[code] = widgets
            grid.addWidget(box, 0, col)
        lay.addLayout(grid)
        form = QFormLayout()
        self.severity = self._combo(SEVERITY, _SEVERITY_OF[int(alarm.priority)])
        self.urgency = self._combo(URGENCY, "Immediate")
        self.certainty = self._combo(CERTAINTY, "Observed")
        self.category = self._combo(CATEGORY, "Safety")
        self.radius = QDoubleSpinBox(self)
        self.radius.setRange(0.1, 50.0)
        self.radius.setValue(1.0)
        self.radius.setSuffix(" km")
        self.hours = QDoubleSpinBox(self)
        self.hours.setRange(0.5, 72.0)
        self.hours.setValue(6.0)
        self.hours.setSuffix(" " + i18n.tr("alarms.dialog.hours"))
        self.reason = QLineEdit(self)
        for key, w in (
            ("severity", self.severity),
            ("urgency", self.urgency),
            ("certainty", self.certainty),
            ("category", self.category),
            ("radius", self.radius),
            ("expires", self.hours),
            ("reason", self.reason),
        ):
            form.addRow(i18n.tr(f"alarms.cap.{key}"), w)
        lay.addLayout(form)
        self.error = QLabel(self)
        self.error.setObjectName("alarmError")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def _combo(self, values: tuple[str, ...], current: str) -> QComboBox:
        box = QComboBox(self)
        box.addItems(list(values))
        box.setCurrentText(current)
        return box

    def areas(self) -> list[CapArea]:
        a = self.alarm
        polygons = []
        for geom in (a.geometry or {}).get("geometries", []):
            if geom.get("type") == "Polygon" and "radius_m" not in geom:
                polygons.append([(lat, lon) for lon, lat in geom["coordinates"][0]])
        circles = []
        if a.lat is not None and a.lon is not None and not polygons:
            circles.append((round(a.lat, 6), round(a.lon, 6), self.radius.value()))
        return [CapArea(desc="", polygons=polygons, circles=circles)] if polygons or circles else []

    def warning(self):
        """The composed CapAlert (raises CapError with a clear message when something is missing)."""
        texts = []
        for code, w in self.fields.items():
            get = {k: (v.toPlainText() if isinstance(v, QPlainTextEdit) else v.text()) for k, v in w.items()}
            texts.append(WarningText(language=code, sender_name=self.sender, **get))
        sent = now_ns()
        return compose_warning(
            sender=self.sender,
            texts=texts,
            severity=self.severity.currentText(),
            urgency=self.urgency.currentText(),
            certainty=self.certainty.currentText(),
            categories=(self.category.currentText(),),
            sent=sent,
            expires=sent + int(self.hours.value() * 3600 * NS),
            areas=self.areas(),
        )
