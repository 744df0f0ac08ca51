"""The passenger terminals' panel (Qt): departures and arrivals boards, halls and their crowds."""

from __future__ import annotations

from console import i18n
from widgets.department_panel import (
    Bar,
    Column,
    DepartmentPanel,
    Tile,
    band,
    level_colour,
    name_of,
    percent,
    word,
)

from .rules import TerminalsDesk

BOARD = [
    Column("scheduled", "ساعت", "Time", "time"),
    Column("expected", "ساعت پیش‌بینی", "Expected", "time"),
    Column("city", "شهر", "City"),
    Column("terminal", "پایانه", "Terminal"),
    Column("operator", "شرکت", "Operator"),
    Column("service", "شماره", "No."),
    Column("platform", "سکو", "Platform", "number"),
    Column("status", "وضعیت", "Status"),
    Column("delay", "تأخیر (دقیقه)", "Delay (min)", "number"),
]
STATUS_LEVEL = {"cancelled": "alarm", "delayed": "warn", "boarding": "ok"}


class TerminalsPanel(DepartmentPanel):
    tile_columns = 6
    keep_order = True  # most urgent first, as filled

    def build(self) -> None:
        self.add_table("departures", "حرکت‌ها", "Departures", BOARD)
        self.add_table("arrivals", "ورودها", "Arrivals", BOARD)
        self.bars, _ = self.add_bars_table(
            "halls",
            "سالن‌ها",
            "Halls",
            [
                Column("name", "پایانه", "Terminal"),
                Column("mode", "نوع", "Kind"),
                Column("crowd", "جمعیت سالن", "People in the hall", "number"),
                Column("crowding", "ازدحام ٪", "Crowding %", "number"),
                Column("passengers", "مسافر در ساعت", "Passengers per hour", "number"),
                Column("on_time", "حرکت به‌موقع ٪", "Departures on time %", "number"),
                Column("delayed", "با تأخیر", "Delayed", "number"),
                Column("cancelled", "لغوشده", "Cancelled", "number"),
            ],
        )

    def fill(self, desk: TerminalsDesk, snap: dict) -> None:
        lang = i18n.lang()
        halls = {h.entity: h for h in snap["halls"]}
        now = snap["now"]
        deps, arrs = [], []
        for row in snap["services"]:
            a = row.reading.attrs
            status = "stale" if row.stale else a.get("status", "")
            if status in ("departed", "arrived") and now - int(a.get("expected", 0)) > 15 * 60 * 10**9:
                continue  # the board shows the last quarter hour of what has gone
            hall = halls.get(str(a.get("terminal", "")))
            item = {
                "entity": a.get("terminal", ""),
                "scheduled": a.get("scheduled"),
                "expected": None if status == "cancelled" else a.get("expected"),
                "city": a.get("city_fa") if lang == "fa" else a.get("city_en"),
                "terminal": name_of(hall.reading.attrs, hall.entity) if hall else a.get("terminal", ""),
                "operator": a.get("operator_fa") if lang == "fa" else a.get("operator_en"),
                "service": i18n.digits(a.get("service_no", "")),
                "platform": a.get("platform"),
                "status": word("terminals.status", status),
                "delay": row.value("delay"),
                "_colour": level_colour("stale" if row.stale else STATUS_LEVEL.get(status, "none")),
            }
            (deps if a.get("direction") == "departure" else arrs).append(item)
        for rows in (deps, arrs):
            rows.sort(key=lambda x: x["scheduled"] or 0)
        self.set_rows("departures", deps)
        self.set_rows("arrivals", arrs)
        rows, bars = [], []
        for term, hall in sorted(halls.items()):
            board = snap["boards"].get(term, {})
            crowding = hall.value("crowding")
            level = "stale" if hall.stale else band(crowding, 70, 90)
            name = name_of(hall.reading.attrs, term)
            rows.append(
                {
                    "entity": term,
                    "name": name,
                    "mode": word("terminals.mode", hall.reading.attrs.get("mode")),
                    "crowd": hall.value("crowd"),
                    "crowding": crowding,
                    "passengers": hall.value("passengers"),
                    "on_time": board.get("on_time_pct"),
                    "delayed": board.get("delayed"),
                    "cancelled": board.get("cancelled"),
                    "_colour": level_colour(level) if level != "ok" else "",
                }
            )
            bars.append(Bar(term, name, crowding, 100.0, level_colour(level), percent(crowding)))
        self.bars.set_bars(bars)
        self.set_rows("halls", rows)
        boards = snap["boards"].values()
        fullest = max(
            (h.value("crowding") for h in halls.values() if h.value("crowding") is not None), default=None
        )
        delayed = sum(b.get("delayed", 0) for b in boards) if snap["boards"] else None
        cancelled = desk.cancelled()
        on_time = desk.on_time_pct()
        self.set_tiles(
            [
                Tile(
                    "on_time",
                    "حرکت‌های به‌موقع",
                    "Departures on time",
                    on_time,
                    "%",
                    status=band(on_time, 80, 60, low=True),
                ),
                Tile(
                    "delayed",
                    "سرویس با تأخیر",
                    "Delayed services",
                    delayed,
                    status="warn" if delayed else "ok",
                ),
                Tile(
                    "cancelled",
                    "سرویس لغوشده",
                    "Cancelled services",
                    cancelled,
                    status="alarm" if cancelled else "ok" if cancelled is not None else "none",
                ),
                Tile("people", "مسافران در سالن‌ها", "People in the halls", desk.people()),
                Tile("fullest", "شلوغ‌ترین سالن", "Fullest hall", fullest, "%", status=band(fullest, 70, 90)),
                Tile(
                    "next",
                    "حرکت‌های ساعت آینده",
                    "Departures next hour",
                    float(
                        sum(1 for d in deps if d["scheduled"] and 0 <= d["scheduled"] - now <= 3600 * 10**9)
                    )
                    if snap["services"]
                    else None,
                ),
            ]
        )
        self.show_provenance(snap["halls"] + snap["services"])
