"""The parks panel (Qt): soil moisture and irrigation per green space, park facilities."""

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

from .rules import ParksDesk

DOWN = ("fault", "no_power", "closed")


def _window(text: str) -> str:
    """ "21:00-01:00" as people say it ("از ۲۱:۰۰ تا ۰۱:۰۰"), so direction never scrambles it."""
    start, _, end = str(text).partition("-")
    return i18n.tr("parks.window", start=i18n.digits(start), end=i18n.digits(end)) if end else "—"


class ParksPanel(DepartmentPanel):
    tile_columns = 6
    keep_order = True  # most urgent first, as filled

    def build(self) -> None:
        self.bars, _ = self.add_bars_table(
            "parks",
            "فضای سبز",
            "Green spaces",
            [
                Column("name", "بوستان", "Park"),
                Column("district", "منطقه", "District"),
                Column("moisture", "رطوبت خاک ٪", "Soil moisture %", "number", 1),
                Column("target", "هدف ٪", "Target %", "number"),
                Column("irrigation", "آبیاری", "Irrigation"),
                Column("flow", "دبی (مترمکعب/ساعت)", "Flow (m³/h)", "number", 1),
                Column("water", "آب امروز (مترمکعب)", "Water today (m³)", "number"),
                Column("window", "نوبت آبیاری", "Watering window"),
                Column("sensor", "کنترلر", "Controller"),
                Column("alert", "هشدار", "Alert"),
            ],
        )
        self.add_table(
            "facilities",
            "تأسیسات",
            "Facilities",
            [
                Column("name", "تأسیسات", "Facility"),
                Column("status", "وضعیت", "Status"),
                Column("district", "منطقه", "District"),
            ],
        )

    def fill(self, desk: ParksDesk, snap: dict) -> None:
        lang = i18n.lang()
        city = self.department.city
        names = {d.id: d.name(lang) for d in city.districts} if city is not None else {}
        dry = desk.param("dry_pct", 15.0)
        rows, bars = [], []
        for row in sorted(snap["parks"], key=lambda r: r.entity):
            a = row.reading.attrs
            st = snap["status"].get(row.entity, {})
            moisture = row.value("soil_moisture")
            alert = "leak" if st.get("leak") else "rain" if st.get("watering_in_rain") else ""
            level = (
                "stale"
                if row.stale
                else "alarm"
                if alert
                else "warn"
                if moisture is not None and moisture < dry
                else "ok"
            )
            name = name_of(a, row.entity)
            rows.append(
                {
                    "entity": row.entity,
                    "name": name,
                    "district": names.get(row.district, row.district),
                    "moisture": moisture,
                    "target": a.get("target"),
                    "irrigation": word("parks.irrigation", a.get("irrigation")),
                    "flow": row.value("flow"),
                    "water": row.value("water_today"),
                    "window": _window(a.get("window", "")),
                    "sensor": i18n.tr("parks.smart" if a.get("rain_sensor") else "parks.timer"),
                    "alert": word("parks.alert", alert) if alert else "",
                    "_colour": level_colour(level) if level != "ok" else "",
                }
            )
            colour = "#4cc9f0" if a.get("irrigation") == "on" else level_colour(level)
            bars.append(Bar(row.entity, name, moisture, 42.0, colour, percent(moisture, 1)))
        self.bars.set_bars(bars)
        self.set_rows("parks", rows)
        facilities = sorted(
            snap["facilities"],
            key=lambda f: (
                f.reading.attrs.get("status") not in DOWN,
                f.reading.attrs.get("status") == "ok",
                f.entity,
            ),
        )
        self.set_rows(
            "facilities",
            [
                {
                    "entity": f.reading.attrs.get("park", ""),
                    "name": f.name(lang),
                    "status": word("dept.status", "stale" if f.stale else f.reading.attrs.get("status")),
                    "district": names.get(f.district, f.district),
                    "_colour": level_colour(
                        "stale"
                        if f.stale
                        else "alarm"
                        if f.reading.attrs.get("status") in DOWN
                        else "warn"
                        if f.reading.attrs.get("status") == "maintenance"
                        else "none"
                    ),
                }
                for f in facilities
            ],
        )
        live = [r for r in snap["parks"] if not r.stale]
        watering = sum(1 for r in live if r.reading.attrs.get("irrigation") == "on")
        driest = min(
            (r.value("soil_moisture") for r in live if r.value("soil_moisture") is not None), default=None
        )
        alerts = sum(1 for st in snap["status"].values() if st.get("leak") or st.get("watering_in_rain"))
        ok = desk.facilities_ok_pct()
        self.set_tiles(
            [
                Tile(
                    "watering",
                    "در حال آبیاری",
                    "Being watered",
                    float(watering) if snap["parks"] else None,
                    detail=i18n.tr("parks.of_parks", n=i18n.number(len(snap["parks"]))),
                ),
                Tile("moisture", "رطوبت میانگین خاک", "Mean soil moisture", desk.mean_moisture(), "%", 1),
                Tile(
                    "driest",
                    "خشک‌ترین بوستان",
                    "Driest park",
                    driest,
                    "%",
                    1,
                    status="none" if driest is None else "warn" if driest < dry else "ok",
                ),
                Tile("water", "آب آبیاری امروز", "Irrigation water today", desk.water_today(), "m³"),
                Tile(
                    "alerts",
                    "نشت یا آبیاری زیر باران",
                    "Leaks or watering in rain",
                    float(alerts) if snap["parks"] else None,
                    status="alarm" if alerts else "ok",
                ),
                Tile(
                    "facilities",
                    "تأسیسات سالم",
                    "Facilities working",
                    ok,
                    "%",
                    status=band(ok, 95, 85, low=True),
                ),
            ]
        )
        self.show_provenance(snap["parks"] + snap["facilities"])
