"""Chart axes: a time axis on the city's clock (Jalali dates, Persian digits in the Persian UI) and a
value axis with the UI's digits. Placement and wording live in console.timeticks (Qt-free, tested)."""

from __future__ import annotations

import pyqtgraph as pg

from console import i18n, timeticks

_FA = str.maketrans("0123456789.-", "۰۱۲۳۴۵۶۷۸۹٫−")

# Pixels one time label needs (clock "۲۳:۵۹" or date "۲۹ اسفند" plus a margin).
LABEL_PX = 96


class TimeAxis(pg.AxisItem):
    """Bottom axis for x = seconds since `origin_ns`."""

    def __init__(self, origin_ns: int, tz: str, **kw):
        super().__init__("bottom", **kw)
        self.origin_ns = origin_ns
        self.tz = tz
        self.enableAutoSIPrefix(False)

    def tickValues(self, minVal: float, maxVal: float, size: float):
        step = timeticks.pick_step(maxVal - minVal, max(2, int(size / LABEL_PX)))
        return [(float(step), timeticks.tick_positions(minVal, maxVal, self.origin_ns, step, self.tz))]

    def tickStrings(self, values, scale, spacing):
        step = max(1, round(spacing))
        return [timeticks.tick_label(v, self.origin_ns, step, self.tz) for v in values]


class ValueAxis(pg.AxisItem):
    """Left axis: pyqtgraph's numbers, in Persian digits when the UI is Persian; no SI prefixes."""

    def __init__(self, **kw):
        super().__init__("left", **kw)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):
        labels = super().tickStrings(values, scale, spacing)
        return [s.translate(_FA) for s in labels] if i18n.lang() == "fa" else labels
