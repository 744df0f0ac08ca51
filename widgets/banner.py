"""The banner at the top of the main window: the highest-priority unacknowledged alarm, flashing in
its priority colour until someone acknowledges it, with its shape, time, escalation and a flood
summary when one is running. Calm and small when nothing waits."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from console import i18n
from console.alarms.alarm import Alarm
from console.mapstyle import PRIORITY_COLOURS
from widgets.alarm_style import (
    MARK_ESCALATED,
    MARK_GROUPED,
    PRIORITY_GLYPH,
    alarm_time,
    ink_on,
    priority_text,
)

CALM_BG, CALM_INK = "#131c27", "#8b98a5"


class AlarmBanner(QFrame):
    sig_ack = Signal(str)  # alarm id the operator wants to acknowledge
    sig_select = Signal(str)  # alarm id clicked
    sig_silence = Signal()

    def __init__(
        self, engine: Any, tz: str = "Asia/Tehran", parent: QWidget | None = None, poll_ms: int = 250
    ):
        super().__init__(parent)
        self.setObjectName("alarmBanner")
        self.engine = engine
        self.tz = tz
        self.alarm: Alarm | None = None
        self.flash_on = False
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 4, 10, 4)
        self.glyph = QLabel(self)
        self.glyph.setObjectName("bannerGlyph")
        self.text = QLabel(self)
        self.text.setObjectName("bannerText")
        self.text.setTextFormat(Qt.PlainText)
        self.text.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.flood = QLabel(self)
        self.flood.setObjectName("bannerFlood")
        self.ack_button = QPushButton(self)
        self.ack_button.clicked.connect(lambda: self.alarm and self.sig_ack.emit(self.alarm.id))
        self.silence_button = QPushButton(self)
        self.silence_button.clicked.connect(self.sig_silence.emit)
        for w in (self.glyph, self.text, self.flood, self.ack_button, self.silence_button):
            lay.addWidget(w)
        self._flash = QTimer(self)
        self._flash.timeout.connect(self._toggle)
        self._flash.start(500)
        self._poll = QTimer(self)
        self._poll.timeout.connect(self.refresh)
        self._poll.start(poll_ms)
        self.retranslate()

    def mousePressEvent(self, event) -> None:
        if self.alarm is not None:
            self.sig_select.emit(self.alarm.id)
        super().mousePressEvent(event)

    def refresh(self) -> None:
        self.alarm = self.engine.banner()
        floods = self.engine.floods()
        grouped = sum(f.grouped for f in floods)
        self.flood.setVisible(bool(floods))
        if floods:
            self.flood.setText(f"{MARK_GROUPED} " + i18n.tr("alarms.banner.flood", n=grouped))
        a = self.alarm
        self.ack_button.setVisible(a is not None)
        self.silence_button.setVisible(a is not None or bool(floods))
        if a is None:
            self.glyph.setText("✓")
            self.text.setText(i18n.tr("alarms.banner.none"))
        else:
            lang = i18n.lang()
            title, message = a.title(lang), a.message(lang)
            parts = [priority_text(a.priority), message if message.startswith(title) else title]
            if message and not message.startswith(title):
                parts.append(message)
            parts.append(alarm_time(a.raised_t, self.tz))
            if a.escalation:
                parts.append(
                    f"{MARK_ESCALATED * a.escalation} " + i18n.tr(f"alarms.marker.escalated{a.escalation}")
                )
            self.glyph.setText(PRIORITY_GLYPH[a.priority])
            sep = "\u200f  —  \u200f" if i18n.is_rtl() else "  —  "  # keep Latin units in their place
            self.text.setText(sep.join(parts))
        self._paint()

    def _toggle(self) -> None:
        self.flash_on = not self.flash_on and self.alarm is not None
        self._paint()

    def _paint(self) -> None:
        a = self.alarm
        if a is None:
            bg, ink, border = CALM_BG, CALM_INK, CALM_BG
        else:
            colour = PRIORITY_COLOURS[a.priority]
            bg, ink = (colour, ink_on(a.priority)) if self.flash_on else ("#1a0f10", colour)
            border = colour
        sheet = (
            f"#alarmBanner {{ background: {bg}; border: 2px solid {border}; border-radius: 4px; }}"
            f" #alarmBanner QLabel {{ background: transparent; color: {ink}; font-weight: {'bold' if a else 'normal'}; }}"
            f" #bannerGlyph {{ font-size: 18pt; }}"
        )
        if sheet != self.styleSheet():
            self.setStyleSheet(sheet)

    def retranslate(self) -> None:
        self.ack_button.setText(i18n.tr("alarms.action.ack"))
        self.silence_button.setText(i18n.tr("alarms.action.silence"))
        self.refresh()
