"""The bus operations panel (Qt): lines (on-time performance, headways), every bus with its state."""

from __future__ import annotations

from console import i18n
from widgets.department_panel import Bar, Column, DepartmentPanel, Tile, band, level_colour, percent, word

from .rules import BusDesk

SEVERITY = {"off_route": 0, "stopped": 1, "bunched": 2, "late": 3, "early": 4, "unknown": 5, "on_time": 6}
LEVEL = {"off_route": "alarm", "stopped": "warn", "bunched": "warn", "late": "warn", "early": "none"}


def _otp_level(otp: float | None) -> str:
    return band(otp, 80, 60, low=True, unknown="stale")


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 1)


class BusPanel(DepartmentPanel):
    tile_columns = 6
    keep_order = True  # most urgent first, as filled

    def build(self) -> None:
        self.bars, _ = self.add_bars_table(
            "lines",
            "خطوط",
            "Lines",
            [
                Column("name", "خط", "Line"),
                Column("buses", "اتوبوس فعال", "Buses", "number"),
                Column("otp", "به‌موقع ٪", "On time %", "number"),
                Column("delay", "تأخیر میانگین (دقیقه)", "Mean delay (min)", "number", 1),
                Column("headway", "سرفاصلهٔ واقعی (دقیقه)", "Observed headway (min)", "number", 1),
                Column("sched", "سرفاصلهٔ برنامه (دقیقه)", "Timetabled headway (min)", "number", 1),
                Column("bunched", "هم‌رس", "Bunched", "number"),
                Column("off_route", "خارج از مسیر", "Off route", "number"),
                Column("wifi", "وای‌فای ٪", "Wi-Fi %", "number"),
            ],
        )
        self.add_table(
            "buses",
            "اتوبوس‌ها",
            "Buses",
            [
                Column("entity", "اتوبوس", "Bus"),
                Column("line", "خط", "Line"),
                Column("status", "وضعیت", "State"),
                Column("delay", "انحراف از برنامه (دقیقه)", "Schedule deviation (min)", "number", 1),
                Column("headway", "سرفاصله (دقیقه)", "Headway (min)", "number", 1),
                Column("ratio", "نسبت به برنامه", "Of timetable", "number", 2),
                Column("off_route", "فاصله از مسیر (متر)", "From route (m)", "number"),
                Column("stopped", "توقف (ثانیه)", "Standing (s)", "number"),
                Column("speed", "سرعت", "Speed (km/h)", "number"),
                Column("wifi", "وای‌فای", "Wi-Fi"),
            ],
        )

    def fill(self, desk: BusDesk, snap: dict) -> None:
        fa = i18n.lang() == "fa"
        routes = snap["routes"]

        def line_name(line: str) -> str:
            if line == "all":
                return i18n.tr("bus.fleet")
            names = routes.get(line)
            return (names[0] if fa else names[1]) if names else line

        lines, bars = [], []
        for line, st in sorted(snap["lines"].items(), key=lambda kv: (kv[0] != "all", kv[0])):
            otp = st.get("on_time_pct")
            level = _otp_level(otp)
            lines.append(
                {
                    "entity": line if line != "all" else "",
                    "name": line_name(line),
                    "buses": st.get("buses"),
                    "otp": otp,
                    "delay": _minutes(st.get("mean_delay_s")),
                    "headway": _minutes(st.get("headway_s")),
                    "sched": _minutes(st.get("headway_sched_s")),
                    "bunched": st.get("bunched"),
                    "off_route": st.get("off_route"),
                    "wifi": st.get("wifi_pct"),
                    "_colour": level_colour(level) if level != "ok" else "",
                }
            )
            if line != "all":
                bars.append(Bar(line, line_name(line), otp, 100.0, level_colour(level), percent(otp)))
        bars.sort(key=lambda b: (b.value is None, b.value if b.value is not None else 0))
        self.bars.set_bars(bars[:12])
        self.set_rows("lines", lines)
        buses = []
        for row, info in snap["buses"]:
            status, headway, ratio, off, stopped = info or ("unknown", None, None, None, None)
            if row.stale:
                status = "stale"
            buses.append(
                {
                    "entity": row.entity,
                    "line": line_name(str(row.reading.attrs.get("route", ""))),
                    "status": word("bus.status", status),
                    "delay": _minutes(row.value("delay")),
                    "headway": _minutes(headway),
                    "ratio": ratio,
                    "off_route": None if off is None else round(off),
                    "stopped": stopped,
                    "speed": row.value("speed"),
                    "wifi": word("dept.status", row.reading.attrs.get("wifi", "")),
                    "_sort": (SEVERITY.get(status, 7), row.entity),
                    "_colour": level_colour("stale" if row.stale else LEVEL.get(status, "none")),
                }
            )
        buses.sort(key=lambda b: b["_sort"])
        self.set_rows("buses", buses)
        fleet = snap["lines"].get("all", {})
        live = [r for r, _ in snap["buses"] if not r.stale]
        otp = fleet.get("on_time_pct")
        wifi = fleet.get("wifi_pct")
        self.set_tiles(
            [
                Tile("live", "اتوبوس در خط", "Buses in service", float(len(live)) if snap["buses"] else None),
                Tile("otp", "به‌موقع", "On time", otp, "%", status=_otp_level(otp)),
                Tile(
                    "delay",
                    "تأخیر میانگین",
                    "Mean delay",
                    _minutes(fleet.get("mean_delay_s")),
                    i18n.tr("dept.unit.min"),
                    1,
                ),
                Tile(
                    "bunched",
                    "هم‌رس",
                    "Bunched",
                    fleet.get("bunched"),
                    status="warn" if fleet.get("bunched") else "ok" if fleet else "none",
                ),
                Tile(
                    "off",
                    "خارج از مسیر / توقف طولانی",
                    "Off route / long stop",
                    None if not fleet else fleet.get("off_route", 0) + fleet.get("stopped", 0),
                    status="alarm"
                    if fleet.get("off_route") or fleet.get("stopped")
                    else "ok"
                    if fleet
                    else "none",
                ),
                Tile(
                    "wifi",
                    "وای‌فای برقرار",
                    "Wi-Fi available",
                    wifi,
                    "%",
                    status=band(wifi, 90, 80, low=True),
                ),
            ]
        )
        self.show_provenance([r for r, _ in snap["buses"]])
