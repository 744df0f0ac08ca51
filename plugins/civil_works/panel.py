"""The civil works panel (Qt): work sites with their crews and closures, the service fleet."""

from __future__ import annotations

from console import i18n
from widgets.department_panel import Column, DepartmentPanel, Tile, level_colour, moment, name_of, word

from .rules import WorksDesk

NS = 1_000_000_000


class WorksPanel(DepartmentPanel):
    tile_columns = 6
    keep_order = True  # most urgent first, as filled

    def build(self) -> None:
        self.add_table(
            "sites",
            "کارگاه‌ها",
            "Work sites",
            [
                Column("kind", "نوع", "Kind"),
                Column("name", "کار و محل", "Work and place"),
                Column("district", "منطقه", "District"),
                Column("status", "وضعیت", "Status"),
                Column("closure", "انسداد", "Closure"),
                Column("crew", "گروه", "Crew"),
                Column("progress", "پیشرفت ٪", "Progress %", "number"),
                Column("waiting", "انتظار گروه (دقیقه)", "Waiting for crew (min)", "number", 1),
                Column("opened", "ثبت", "Opened", render=lambda v, row: moment(v, row.get("_now"))),
            ],
        )
        self.add_table(
            "fleet",
            "ناوگان خدمات",
            "Service fleet",
            [
                Column("entity", "خودرو", "Vehicle"),
                Column("task", "کار", "Task"),
                Column("status", "وضعیت", "Status"),
                Column("site", "کارگاه", "Site"),
                Column("speed", "سرعت", "Speed (km/h)", "number"),
            ],
        )

    def fill(self, desk: WorksDesk, snap: dict) -> None:
        now = snap["now"]
        city = self.department.city
        lang = i18n.lang()
        sites = []
        for row in snap["sites"]:
            a = row.reading.attrs
            emergency = a.get("kind") == "emergency"
            waiting = emergency and a.get("status") in ("reported", "dispatched")
            wait_min = round((now - int(a.get("opened", now))) / NS / 60.0, 1) if waiting else None
            closure = a.get("closure_planned", a.get("closure", "none"))
            level = (
                "stale"
                if row.stale
                else "alarm"
                if waiting and (wait_min or 0) >= 15
                else "warn"
                if emergency
                else "none"
            )
            district = next((d for d in (city.districts if city else []) if d.id == a.get("district")), None)
            sites.append(
                {
                    "entity": row.entity,
                    "kind": word("works.kind", a.get("kind")),
                    "name": name_of(a, row.entity),
                    "district": district.name(lang) if district else a.get("district", ""),
                    "status": word("works.status", a.get("status")),
                    "closure": word("works.closure", closure)
                    + (
                        ""
                        if a.get("closure", "none") != "none" or closure == "none"
                        else " " + i18n.tr("works.upcoming")
                    ),
                    "crew": a.get(f"crew_{lang}") or a.get("crew") or "—",
                    "progress": row.value("progress"),
                    "waiting": wait_min,
                    "opened": a.get("opened"),
                    "_now": now,
                    "_sort": (a.get("kind") != "emergency", a.get("status") == "in_progress", row.entity),
                    "_colour": level_colour(level),
                }
            )
        sites.sort(key=lambda s: s["_sort"])
        self.set_rows("sites", sites)
        fleet = sorted(
            snap["fleet"], key=lambda r: (r.reading.attrs.get("status", "available") == "available", r.entity)
        )
        self.set_rows(
            "fleet",
            [
                {
                    "entity": r.entity,
                    "task": word("works.task", r.reading.attrs.get("task")),
                    "status": word(
                        "works.crew", "stale" if r.stale else r.reading.attrs.get("status", "available")
                    ),
                    "site": r.reading.attrs.get("site", ""),
                    "speed": r.value("speed"),
                    "_colour": level_colour("stale" if r.stale else "none"),
                }
                for r in fleet
            ],
        )
        live = [r for r in snap["sites"] if r.reading.attrs.get("status") != "done"]
        emergency = [r for r in live if r.reading.attrs.get("kind") == "emergency"]
        waiting = [r for r in emergency if r.reading.attrs.get("status") in ("reported", "dispatched")]
        longest = max(
            ((now - int(r.reading.attrs.get("opened", now))) / NS / 60.0 for r in waiting), default=0.0
        )
        busy = sum(1 for r in snap["fleet"] if r.reading.attrs.get("status") in ("en_route", "on_site"))
        closed = desk.closed_km()
        lanes = sum(1 for r in live if r.reading.attrs.get("closure") == "lane")
        self.set_tiles(
            [
                Tile("active", "کارگاه فعال", "Active sites", float(len(live)) if snap["sites"] else None),
                Tile(
                    "emergency",
                    "کار اضطراری",
                    "Emergency works",
                    float(len(emergency)) if snap["sites"] else None,
                    status="warn" if emergency else "ok",
                ),
                Tile(
                    "closed",
                    "معابر بسته",
                    "Roads closed",
                    closed,
                    i18n.tr("dept.unit.km"),
                    2,
                    status="warn" if closed else "ok",
                    detail=i18n.tr("works.lanes_closed", n=i18n.number(lanes)),
                ),
                Tile(
                    "crews",
                    "گروه‌های در کار",
                    "Crews at work",
                    float(busy) if snap["fleet"] else None,
                    detail=i18n.tr("works.fleet_of", n=i18n.number(len(snap["fleet"]))),
                ),
                Tile(
                    "response",
                    "میانگین زمان پاسخ",
                    "Mean response",
                    desk.mean_response_min(),
                    i18n.tr("dept.unit.min"),
                    1,
                ),
                Tile(
                    "waiting",
                    "طولانی‌ترین انتظار گروه",
                    "Longest wait for a crew",
                    round(longest, 1) if snap["sites"] else None,
                    i18n.tr("dept.unit.min"),
                    1,
                    status="alarm" if longest >= 15 else "warn" if waiting else "ok",
                ),
            ]
        )
        self.show_provenance(snap["sites"] + snap["fleet"])
