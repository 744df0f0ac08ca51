"""Civil works, Qt-free: work sites (planned and emergency), their crews from the service fleet, and
the road closures they impose, drawn on the map.

Per site the desk publishes `derived/civil-works/status` (WorkStatus) every time the sites are reported: values
{waiting_s (an emergency site without its crew on site yet: how long since it was opened; 0 once
the crew works there), emergency_closure (1 while an emergency site keeps a road fully closed)}.
Response times (opened → crew on site) feed the mean response KPI.
"""

from __future__ import annotations

from typing import Any

from console.departments import Desk, KpiSpec
from console.maplayers import FeatureStyle, MapFeature
from console.model import Reading

NS = 1_000_000_000
WAITING = ("reported", "dispatched")


class WorksDesk(Desk):
    def __init__(self, dept: Any):
        super().__init__(dept)
        self.sites = self.table()
        self.fleet = self.table()
        self.responses: dict[str, float] = {}  # site -> seconds from opened to crew on site
        self.now = 0
        self.site_layer = self.layer(
            "works.sites", "کارگاه‌های عمرانی", "Work sites", 28,
            ("#4cc9f0", "کارگاه برنامه‌ریزی‌شده", "Planned work", "square"),
            ("#ff9f1c", "کار اضطراری", "Emergency work", "triangle"),
        )  # fmt: skip
        self.closure_layer = self.layer(
            "works.closures", "انسداد معابر", "Road closures", 18,
            ("#ff6b6b", "بسته", "Closed"),
            ("#ff9f1c", "یک خط بسته", "Lane closed"),
        )  # fmt: skip

    def subscriptions(self):
        return {"works/site": self.on_sites, "vehicle/service": self.fleet.on_readings}

    def layers(self):
        return [self.closure_layer, self.site_layer]

    def kpis(self):
        return [
            KpiSpec(
                "infrastructure", "works.active", "کارگاه‌های فعال", "Active work sites", self.active_sites
            ),
            KpiSpec(
                "infrastructure", "works.closed_km", "معابر بسته", "Roads fully closed", self.closed_km, "km"
            ),
            KpiSpec(
                "governance",
                "works.response",
                "میانگین زمان پاسخ اضطراری",
                "Mean emergency response",
                self.mean_response_min,
                "min",
            ),
        ]

    def on_sites(self, topic: str, items: list[Any]) -> None:
        readings, now = self.batch(self.sites, topic, items)
        if not readings:
            return
        rows = []
        with self.lock:
            self.now = max(self.now, now)
            for r in readings:
                rows.append(self._status_row(r))
            for row in self.sites.rows():
                if row.stale and self.now - row.reading.t > self.param("forget_after_s", 900.0) * NS:
                    self.sites.forget(row.entity)  # a finished site is no longer reported
            self._draw()
        self.emit("status", rows, now, etype="WorkStatus")

    def _status_row(self, r: Reading):
        a = r.attrs
        emergency = a.get("kind") == "emergency"
        opened = int(a.get("opened", r.t))
        waiting = emergency and a.get("status") in WAITING
        if emergency and not waiting and r.entity not in self.responses and a.get("status") == "in_progress":
            self.responses[r.entity] = max(0.0, (r.t - opened) / NS)
        values = {
            "waiting_s": float(round((r.t - opened) / NS)) if waiting else 0.0,
            "emergency_closure": 1.0 if emergency and a.get("closure") == "full" else 0.0,
        }
        attrs = {k: a[k] for k in ("name_fa", "name_en", "district", "segment", "task") if k in a}
        return r.entity, values, attrs, r.lat, r.lon

    # -- map ------------------------------------------------------------------------------------------
    def _draw(self) -> None:
        city = self.dept.city
        sites, closures = [], []
        for row in self.sites.rows():
            r, a = row.reading, row.reading.attrs
            if a.get("status") == "done" or r.lat is None:
                continue
            emergency = a.get("kind") == "emergency"
            colour = "#ff9f1c" if emergency else "#4cc9f0"
            sites.append(
                MapFeature.point(
                    row.entity,
                    r.lat,
                    r.lon,
                    style=FeatureStyle(
                        color=colour,
                        fill=colour,
                        fill_opacity=0.9,
                        radius_px=8,
                        symbol="triangle" if emergency else "square",
                    ),
                    title_fa=str(a.get("name_fa", row.entity)),
                    title_en=str(a.get("name_en", row.entity)),
                    entity=row.entity,
                    priority=2 if emergency else 0,
                    props={
                        "status": a.get("status", ""),
                        "crew": a.get("crew", ""),
                        "progress %": row.value("progress"),
                    },
                )
            )
            closure = a.get("closure", "none")
            planned = a.get("closure_planned", closure)
            if planned == "none" or city is None:
                continue
            try:
                road = city.road(str(a.get("segment", "")))
            except KeyError:
                continue
            (la, lo), (lb, lob) = city.road_coords(road)
            full = planned == "full"
            upcoming = closure == "none"  # announced, not yet in force: drawn fainter
            closures.append(
                MapFeature(
                    id=f"{row.entity}-{road.id}",
                    geometry={"type": "LineString", "coordinates": [[lo, la], [lob, lb]]},
                    style=FeatureStyle(
                        color="#ff6b6b" if full else "#ff9f1c",
                        weight=7 if full else 5,
                        dash="10 6",
                        opacity=0.45 if upcoming else 0.95,
                    ),
                    title_fa=f"انسداد — {road.name_fa}",
                    title_en=f"Closure — {road.name_en}",
                    entity=row.entity,
                    props={"closure": planned, "in force": not upcoming, "site": row.entity},
                )
            )
        self.site_layer.replace(sites)
        self.closure_layer.replace(closures)

    # -- views and KPIs -------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "sites": self.sites.rows(),
                "fleet": self.fleet.rows(),
                "responses": dict(self.responses),
                "now": self.now,
            }

    def active_sites(self) -> float | None:
        rows = self.sites.rows()
        return float(sum(1 for r in rows if r.reading.attrs.get("status") != "done")) if rows else None

    def closed_km(self) -> float | None:
        city = self.dept.city
        rows = self.sites.rows()
        if not rows or city is None:
            return None
        km = 0.0
        for r in rows:
            if r.reading.attrs.get("closure") == "full" and r.reading.attrs.get("status") != "done":
                try:
                    km += city.road(str(r.reading.attrs.get("segment", ""))).length_m / 1000.0
                except KeyError:
                    continue
        return round(km, 2)

    def mean_response_min(self) -> float | None:
        with self.lock:
            values = list(self.responses.values())
        return round(sum(values) / len(values) / 60.0, 1) if values else None
