"""The traffic control centre's panel (Qt): congestion by district, slowest corridors, accidents,
traffic elements and every segment's speed."""

from __future__ import annotations

from console import i18n
from widgets.department_panel import (
    DISTRICT_NAME,
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

from .rules import TrafficDesk


class TrafficPanel(DepartmentPanel):
    tile_columns = 6
    keep_order = True  # most urgent first, as filled

    def build(self) -> None:
        self.bars, _ = self.add_bars_table(
            "districts",
            "مناطق",
            "Districts",
            [
                DISTRICT_NAME,
                Column("congestion", "شاخص تراکم ٪", "Congestion %", "number"),
                Column("speed", "سرعت میانگین", "Mean speed (km/h)", "number"),
                Column("slow", "معابر کند", "Slow segments", "number"),
                Column("signals", "چراغ خاموش", "Signals dark", "number"),
                Column("offline", "تجهیزات قطع ٪", "Elements offline %", "number"),
            ],
        )
        self.add_table(
            "corridors",
            "کندترین محورها",
            "Slowest corridors",
            [
                Column("name", "محور", "Corridor"),
                Column("speed", "سرعت", "Speed (km/h)", "number"),
                Column("tti", "شاخص زمان سفر", "Travel time index", "number", 2),
                Column("km", "طول (کیلومتر)", "Length (km)", "number", 1),
                Column("worst", "کندترین قطعه", "Slowest segment"),
                Column("worst_speed", "سرعت آن", "Its speed", "number"),
            ],
        )
        self.add_table(
            "incidents",
            "تصادف‌ها",
            "Accidents",
            [
                Column("status", "وضعیت", "Status"),
                Column("place", "محل", "Place"),
                Column("district", "منطقه", "District"),
                Column("confidence", "اطمینان", "Confidence", "number", 2),
                Column("reports", "گزارش شاهدان", "Witness reports", "number"),
                Column("drop", "افت سرعت ٪", "Speed drop %", "number"),
                Column("detected", "زمان تشخیص", "Detected", "time"),
            ],
        )
        self.add_table(
            "elements",
            "تجهیزات",
            "Elements",
            [
                Column("kind", "نوع", "Kind"),
                Column("status", "وضعیت", "Status"),
                Column("reason", "علت", "Cause"),
                Column("name", "نام", "Name"),
                Column("district", "منطقه", "District"),
            ],
        )
        self.add_table(
            "segments",
            "قطعه‌ها",
            "Segments",
            [
                Column("entity", "شناسه", "Id"),
                Column("name", "معبر", "Road"),
                Column("district", "منطقه", "District"),
                Column("speed", "سرعت", "Speed (km/h)", "number"),
                Column("ratio", "نسبت به مجاز ٪", "Of the limit %", "number"),
                Column("occupancy", "اشغال ٪", "Occupancy %", "number"),
            ],
        )

    def fill(self, desk: TrafficDesk, snap: dict) -> None:
        districts = desk.districts
        lang = i18n.lang()
        rows, bars = [], []
        for d, st in sorted(snap["districts"].items()):
            ci = st.get("congestion")
            level = band(ci, 35, 50, unknown="stale")
            name = districts.name(d, lang)
            rows.append(
                {
                    "entity": d,
                    "name": name,
                    "congestion": ci,
                    "speed": st.get("speed"),
                    "slow": st.get("slow_segments"),
                    "signals": st.get("signals_down"),
                    "offline": st.get("elements_offline_pct"),
                    "_colour": level_colour(level) if level != "ok" else "",
                }
            )
            bars.append(Bar(d, name, ci, 100.0, level_colour(level), percent(ci)))
        self.bars.set_bars(bars)
        self.set_rows("districts", rows)
        self.set_rows(
            "corridors",
            [
                {
                    "entity": c["worst"],
                    "name": c["name_fa"] if lang == "fa" else c["name_en"],
                    "speed": c["speed"],
                    "tti": c["tti"],
                    "km": c["km"],
                    "worst": c["worst"],
                    "worst_speed": c["worst_speed"],
                    "_colour": level_colour("alarm" if c["tti"] >= 4 else "warn") if c["tti"] >= 2 else "",
                }
                for c in snap["corridors"][:15]
            ],
        )
        incidents = []
        for entity, values, attrs, _lat, _lon in snap["incidents"]:
            status = attrs["status"]
            incidents.append(
                {
                    "entity": entity,
                    "status": word("traffic.incident", status),
                    "place": name_of(attrs, entity),
                    "district": districts.name(attrs["district"], lang),
                    "confidence": values["confidence"],
                    "reports": values["reports"],
                    "drop": values["drop_pct"],
                    "detected": attrs["detected"],
                    "_colour": level_colour({"confirmed": "alarm", "suspected": "warn"}.get(status, "none")),
                }
            )
        self.set_rows("incidents", incidents)
        elements = sorted(
            snap["elements"], key=lambda r: (r.value("online") == 1.0 and not r.stale, r.entity)
        )
        self.set_rows(
            "elements",
            [
                {
                    "entity": r.entity,
                    "kind": word("traffic.kind", r.reading.attrs.get("kind")),
                    "status": word("dept.status", "stale" if r.stale else r.reading.attrs.get("status")),
                    "reason": word("dept.reason", r.reading.attrs.get("reason", "")),
                    "name": r.name(lang),
                    "district": districts.name(r.district, lang),
                    "_colour": level_colour(
                        "stale"
                        if r.stale
                        else "alarm"
                        if r.value("online") == 0.0
                        else "warn"
                        if r.reading.attrs.get("status") == "on_battery"
                        else "none"
                    ),
                }
                for r in elements
            ],
        )
        segs = []
        for r in snap["segments"]:
            seg = desk.segs.get(r.entity)
            speed = r.value("speed")
            ratio = None if seg is None or speed is None else round(100.0 * speed / seg.limit)
            segs.append(
                {
                    "entity": r.entity,
                    "name": (seg.name_fa if lang == "fa" else seg.name_en) if seg else r.entity,
                    "district": districts.name(r.district, lang),
                    "speed": speed,
                    "ratio": ratio,
                    "occupancy": r.value("occupancy"),
                    "_colour": level_colour("stale")
                    if r.stale
                    else level_colour("alarm" if ratio < 25 else "warn")
                    if ratio is not None and ratio < 50
                    else "",
                }
            )
        segs.sort(key=lambda x: (x["ratio"] is None, x["ratio"] or 0))
        self.set_rows("segments", segs)
        self._tiles(snap, desk)
        self.show_provenance(snap["segments"] + snap["elements"])

    def _tiles(self, snap, desk) -> None:
        ci = desk.city_congestion()
        open_acc = [i for i in snap["incidents"] if i[2]["status"] in ("suspected", "confirmed")]
        confirmed = sum(1 for i in open_acc if i[2]["status"] == "confirmed")
        online = desk.elements_online_pct()
        dark = (
            sum(st.get("signals_down", 0) for st in snap["districts"].values()) if snap["districts"] else None
        )
        slow = (
            sum(st.get("slow_segments", 0) for st in snap["districts"].values())
            if snap["districts"]
            else None
        )
        self.set_tiles(
            [
                Tile("speed", "سرعت میانگین شبکه", "Network mean speed", desk.mean_speed(), "km/h"),
                Tile(
                    "ci",
                    "شاخص تراکم شهر",
                    "City congestion index",
                    ci,
                    "%",
                    status=band(ci, 35, 50, unknown="stale"),
                ),
                Tile(
                    "acc",
                    "تصادف‌های باز",
                    "Open accidents",
                    float(len(open_acc)) if snap["segments"] else None,
                    status="alarm" if confirmed else "warn" if open_acc else "ok",
                    detail=i18n.tr("traffic.tile.confirmed", n=i18n.number(confirmed)),
                ),
                Tile("slow", "معابر کند", "Slow segments", slow, status="warn" if slow else "ok"),
                Tile(
                    "online",
                    "تجهیزات برخط",
                    "Elements online",
                    online,
                    "%",
                    status=band(online, 95, 70, low=True),
                ),
                Tile("dark", "چراغ‌های خاموش", "Signals dark", dark, status="alarm" if dark else "ok"),
            ]
        )
