"""Time-axis ticks for charts: where to put them (aligned to the city's local clock) and how to label
them (Jalali dates and Persian digits in the Persian UI, Gregorian in English). Qt-free.

Chart x coordinates are seconds since a chart origin (int ns UTC), so float64 keeps sub-microsecond
precision however far from 1970 the data lies.
"""

from __future__ import annotations

import datetime as dt
import math

import jdatetime

from console import i18n

NS = 1_000_000_000
RLM = "\u200f"
NBSP = "\u00a0"
DAY = 86_400
# Steps (seconds) a label may be apart: round numbers on a clock and a calendar.
STEPS = (
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1_800,
    3_600,
    2 * 3_600,
    3 * 3_600,
    6 * 3_600,
    12 * 3_600,
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
    30 * DAY,
    91 * DAY,
    365 * DAY,
)


def pick_step(span_s: float, max_ticks: int) -> int:
    """Smallest clock-friendly step that puts at most `max_ticks` labels over `span_s` seconds."""
    max_ticks = max(1, max_ticks)
    for step in STEPS:
        if span_s / step <= max_ticks:
            return step
    return math.ceil(span_s / max_ticks / (365 * DAY)) * 365 * DAY


def _utcoffset_s(t_ns: int, tz: str) -> int:
    off = i18n.local_time(t_ns, tz).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def tick_positions(x0: float, x1: float, origin_ns: int, step: int, tz: str) -> list[float]:
    """Tick x values in [x0, x1], on multiples of `step` of the local wall clock (midnights for days)."""
    if not (math.isfinite(x0) and math.isfinite(x1)) or x1 <= x0:
        return []
    origin_s = origin_ns / NS
    off = _utcoffset_s(int(origin_ns + x0 * NS), tz)
    local0 = origin_s + x0 + off  # seconds on the local clock
    # weeks and longer start from a local midnight and march in whole days
    first = math.ceil(local0 / DAY) * DAY if step >= 7 * DAY else math.ceil(local0 / step) * step
    out = []
    k = first
    limit = origin_s + x1 + off
    while k <= limit and len(out) < 1_000:
        out.append(k - off - origin_s)
        k += step
    return out


def tick_label(x: float, origin_ns: int, step: int, tz: str, language: str | None = None) -> str:
    """Label of one tick: clock time for sub-day steps (the date at local midnight), date otherwise."""
    language = language or i18n.lang()
    moment = i18n.local_time(int(origin_ns + x * NS), tz)
    midnight = moment.hour == 0 and moment.minute == 0 and moment.second == 0
    if step < 60:
        text = moment.strftime("%H:%M:%S")
    elif step < DAY and not midnight:
        text = moment.strftime("%H:%M")
    else:
        text = day_label(moment, language)
    return i18n.digits(text, language)


def day_label(moment: dt.datetime, language: str) -> str:
    """Short date: "۴ آذر" (Jalali) in Persian, "25 Nov" in English."""
    if language == "fa":
        j = jdatetime.datetime.fromgregorian(datetime=moment, locale=jdatetime.FA_LOCALE)
        # right-to-left marks: read as Persian ("۴ آذر", day on the right) inside a left-to-right plot
        return f"{RLM}{j.day}{NBSP}{j.strftime('%B')}{RLM}"
    return f"{moment.day} {moment.strftime('%b')}"


def cursor_label(t_ns: int, tz: str, language: str | None = None) -> str:
    """Full stamp for the shared cursor: Jalali date and time in Persian, ISO-like in English."""
    language = language or i18n.lang()
    moment = i18n.local_time(t_ns, tz)
    if language == "fa":
        return i18n.format_jalali_short(moment, "fa", with_time=True) + i18n.digits(
            moment.strftime(":%S"), "fa"
        )
    return moment.strftime("%Y-%m-%d %H:%M:%S")
