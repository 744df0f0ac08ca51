"""How the 137 desk writes times for people (Qt-free): durations, SLA timers, report times."""

from __future__ import annotations

from console import i18n

from .triage import Timer


def duration_text(seconds: float) -> str:
    """0:42 · 12:05 · 3:07:10 · 2 d 4 h — with Persian digits in the Persian interface."""
    s = int(max(0.0, seconds))
    days, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    if days:
        text = i18n.tr("c137.duration.days", d=days, h=h)
    elif h:
        text = f"{h}:{m:02d}:{sec:02d}"
    else:
        text = f"{m}:{sec:02d}"
    return i18n.digits(text)


def timer_text(timer: Timer) -> str:
    """ "4:12 / 5:00 ⚠" while running; "✓ 3:10" or "✗ 9:40" once stopped."""
    if timer.state == "met":
        return f"✓ {duration_text(timer.elapsed_s)}"
    if timer.state == "missed":
        return f"✗ {duration_text(timer.elapsed_s)}"
    mark = {"ok": "", "warn": " ▲", "overdue": " ⚠"}[timer.state]
    return f"{duration_text(timer.elapsed_s)} / {duration_text(timer.budget_s)}{mark}"


def when_text(t_ns: int, with_date: bool = False) -> str:
    moment = i18n.local_time(t_ns)
    clock = i18n.format_clock(moment, seconds=False)
    return f"{i18n.format_jalali_date(moment)} {clock}" if with_date else clock
