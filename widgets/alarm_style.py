"""How alarms look everywhere (list, banner, annunciator indicator): colour *and* shape per priority,
a glyph per state, so nothing relies on colour alone. Colours are the map's (console/mapstyle.py)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from console import i18n
from console.mapstyle import PRIORITY_COLOURS
from console.model import AlarmState, Priority

PRIORITY_GLYPH = {Priority.EXTREME: "◆", Priority.SEVERE: "▲", Priority.MODERATE: "■", Priority.MINOR: "●"}
STATE_GLYPH = {
    AlarmState.UNACK: "◉",
    AlarmState.RTN_UNACK: "◎",
    AlarmState.ACKED: "✓",
    AlarmState.SHELVED: "⏸",
    AlarmState.SUPPRESSED: "⊖",
    AlarmState.OUT_OF_SERVICE: "✕",
    AlarmState.NORMAL: "○",
}
STATE_ORDER = [
    AlarmState.UNACK,
    AlarmState.RTN_UNACK,
    AlarmState.ACKED,
    AlarmState.SHELVED,
    AlarmState.SUPPRESSED,
    AlarmState.OUT_OF_SERVICE,
    AlarmState.NORMAL,
]
MARK_FIRST_OUT, MARK_ESCALATED, MARK_CHATTER, MARK_GROUPED, MARK_HELD = "⚑", "⇧", "↯", "≋", "⏳"


def colour(priority: Priority) -> QColor:
    return QColor(PRIORITY_COLOURS[priority])


def ink_on(priority: Priority) -> str:
    """Text colour readable on the priority colour (dark on cyan/amber/orange, white on red)."""
    return "#ffffff" if priority is Priority.EXTREME else "#0b1119"


def priority_text(priority: Priority, language: str | None = None) -> str:
    return f"{PRIORITY_GLYPH[priority]} {i18n.tr(f'alarms.priority.{priority.name.lower()}', language)}"


def state_text(state: AlarmState, language: str | None = None) -> str:
    return f"{STATE_GLYPH[state]} {i18n.tr(f'alarms.state.{state.value}', language)}"


def markers(alarm) -> str:
    """first-out, escalation level, chattering/held, grouped into a flood summary."""
    out = []
    if alarm.first_out:
        out.append(MARK_FIRST_OUT)
    if alarm.escalation:
        out.append(MARK_ESCALATED * alarm.escalation)
    if alarm.chattering:
        out.append(MARK_CHATTER)
    if alarm.held:
        out.append(MARK_HELD)
    if alarm.grouped:
        out.append(MARK_GROUPED)
    return " ".join(out)


def marker_tip(alarm) -> str:
    tips = []
    if alarm.first_out:
        tips.append(i18n.tr("alarms.marker.first_out"))
    elif alarm.cascade and alarm.cascade != alarm.id:
        tips.append(i18n.tr("alarms.marker.in_cascade", first=alarm.cascade))
    if alarm.escalation:
        tips.append(i18n.tr(f"alarms.marker.escalated{alarm.escalation}"))
    if alarm.chattering:
        tips.append(i18n.tr("alarms.marker.chatter"))
    if alarm.held:
        tips.append(i18n.tr("alarms.marker.held"))
    if alarm.grouped:
        tips.append(i18n.tr("alarms.marker.grouped"))
    return "\n".join(tips)


def alarm_time(t_ns: int, tz: str, with_date: bool = False) -> str:
    if not t_ns:
        return "—"
    moment = i18n.local_time(t_ns, tz)
    clock = i18n.format_clock(moment)
    return f"{i18n.format_jalali_date(moment)} {clock}" if with_date else clock
