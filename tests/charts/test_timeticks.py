"""Time-axis ticks (Qt-free): clock-friendly steps, local-clock alignment, Jalali/Gregorian labels."""

from __future__ import annotations

import datetime as dt

from console import i18n, signal_choice, timeticks
from console.series import NS

TZ = "Asia/Tehran"  # UTC+03:30
# 2026-11-25 00:00 local = 2026-11-24 20:30 UTC
MIDNIGHT = int(dt.datetime(2026, 11, 24, 20, 30, tzinfo=dt.UTC).timestamp()) * NS


def test_pick_step_fits_the_labels():
    assert timeticks.pick_step(60, 10) == 10
    assert timeticks.pick_step(15 * 60, 8) == 120
    assert timeticks.pick_step(7 * 86_400, 8) == 86_400
    assert timeticks.pick_step(10 * 365 * 86_400, 5) >= 365 * 86_400


def test_ticks_sit_on_the_local_clock():
    origin = MIDNIGHT - 5 * 3600 * NS  # an origin that is not on a local hour
    x0 = (MIDNIGHT - 3 * 3600 * NS - 17 * NS - origin) / NS
    x1 = x0 + 6 * 3600
    ticks = timeticks.tick_positions(x0, x1, origin, 3600, TZ)
    assert len(ticks) == 6
    for x in ticks:
        local = i18n.local_time(int(origin + x * NS), TZ)
        assert (local.minute, local.second) == (0, 0)
    assert timeticks.tick_positions(5.0, 5.0, origin, 60, TZ) == []


def test_labels_jalali_and_persian_digits_in_persian():
    x_mid = 0.0
    fa = timeticks.tick_label(x_mid, MIDNIGHT, 3600, TZ, "fa")
    assert "آذر" in fa and "۴" in fa  # 4 Azar 1405: midnight shows the Jalali date
    assert timeticks.tick_label(x_mid, MIDNIGHT, 3600, TZ, "en") == "25 Nov"
    assert timeticks.tick_label(90 * 60, MIDNIGHT, 3600, TZ, "fa") == "۰۱:۳۰"
    assert timeticks.tick_label(90 * 60 + 5, MIDNIGHT, 5, TZ, "en") == "01:30:05"
    assert timeticks.cursor_label(MIDNIGHT + 5 * NS, TZ, "fa") == "۱۴۰۵/۰۹/۰۴ ۰۰:۰۰:۰۵"
    assert timeticks.cursor_label(MIDNIGHT + 5 * NS, TZ, "en") == "2026-11-25 00:00:05"


class _S:
    def __init__(self, signal: str, etype: str):
        self.signal, self.etype, self.key = signal, etype, signal.rsplit("/", 1)[1]


def test_suggested_signals_are_city_level():
    pool = [
        _S("bus-12/speed", "Vehicle"),
        _S("aq-3/aqi", "AirQualityObserved"),
        _S("aq-1/aqi", "AirQualityObserved"),
        _S("aq-2/aqi", "AirQualityObserved"),
        _S("aq-4/aqi", "AirQualityObserved"),
        _S("aq-1/pm25", "AirQualityObserved"),
        _S("seg-9/speed", "TrafficFlowObserved"),
        _S("river-1/level", "WaterObserved"),
        _S("sub-2/load", "Substation"),
        _S("sub-2/load_pct", "Substation"),
    ]
    got = signal_choice.suggest(pool, k=6)
    assert got == ["aq-1/aqi", "seg-9/speed", "river-1/level", "sub-2/load_pct", "aq-2/aqi", "aq-3/aqi"]
    assert signal_choice.suggest(pool, k=2) == ["aq-1/aqi", "seg-9/speed"], "a small panel: air and traffic"
    assert "bus-12/speed" not in signal_choice.suggest(pool, k=20)
    assert signal_choice.suggest([], k=6) == []
