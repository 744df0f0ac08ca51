"""Parks and green space, Qt-free: irrigation and soil moisture per green space, park facilities.

Per park the desk publishes `derived/parks/status` (ParkStatus) whenever the green spaces report: values
{watering_in_rain (1 while the controller waters although it rains more than `rain_mm_h` at the
nearest weather station), leak (1 while water flows although the controller is not watering:
a burst pipe), facilities_down (facilities out of order: fault, no power, closed)}. Planned
maintenance is not counted as out of order.
"""

from __future__ import annotations

import math
from typing import Any

from console.departments import Desk, KpiSpec
from console.geo import haversine_m
from console.maplayers import FeatureStyle, MapFeature

DOWN = ("fault", "no_power", "closed")


class ParksDesk(Desk):
    def __init__(self, dept: Any):
        super().__init__(dept)
        self.parks = self.table()
        self.facilities = self.table()
        self.weather = self.table()
        self.status: dict[str, dict[str, float]] = {}
        self.green_layer = self.layer(
            "parks.green", "فضای سبز و آبیاری", "Green spaces and irrigation", 6,
            ("#d29922", "خاک خشک", "Dry soil"),
            ("#3fb950", "رطوبت مناسب", "Moisture fine"),
            ("#4cc9f0", "در حال آبیاری", "Being watered"),
            ("#ff6b6b", "نشت یا آبیاری زیر باران", "Leak or watering in the rain"),
        )  # fmt: skip

    def subscriptions(self):
        return {
            "parks/green": self.on_parks,
            "parks/facility": self.facilities.on_readings,
            "weather/station": self.weather.on_readings,
        }

    def layers(self):
        return [self.green_layer]

    def kpis(self):
        return [
            KpiSpec(
                "environment",
                "parks.soil_moisture",
                "رطوبت خاک فضای سبز",
                "Green-space soil moisture",
                self.mean_moisture,
                "%",
            ),
            KpiSpec(
                "environment",
                "parks.water_today",
                "آب آبیاری امروز",
                "Irrigation water today",
                self.water_today,
                "m³",
            ),
            KpiSpec(
                "people",
                "parks.facilities_ok",
                "تأسیسات سالم بوستان‌ها",
                "Park facilities working",
                self.facilities_ok_pct,
                "%",
            ),
        ]

    def _rain_near(self, lat: float | None, lon: float | None) -> float | None:
        stations = [w for w in self.weather.rows() if not w.stale and w.value("precipitation") is not None]
        if not stations:
            return None
        if lat is None or stations[0].reading.lat is None:
            return max(w.value("precipitation") for w in stations)
        nearest = min(stations, key=lambda w: haversine_m(lat, lon, w.reading.lat, w.reading.lon))
        return nearest.value("precipitation")

    def on_parks(self, topic: str, items: list[Any]) -> None:
        readings, now = self.batch(self.parks, topic, items)
        if not readings:
            return
        down: dict[str, int] = {}
        for f in self.facilities.rows():
            if not f.stale and f.reading.attrs.get("status") in DOWN:
                park = str(f.reading.attrs.get("park", ""))
                down[park] = down.get(park, 0) + 1
        rows = []
        with self.lock:
            for r in readings:
                state = r.attrs.get("irrigation", "")
                flow = r.values.get("flow", 0.0)
                rain = self._rain_near(r.lat, r.lon)
                st = {
                    "leak": 1.0 if flow > self.param("leak_flow_m3h", 0.5) and state != "on" else 0.0,
                    "facilities_down": float(down.get(r.entity, 0)),
                }
                if rain is not None:
                    st["watering_in_rain"] = (
                        1.0 if state == "on" and rain > self.param("rain_mm_h", 2.0) else 0.0
                    )
                self.status[r.entity] = st
                attrs = {k: r.attrs[k] for k in ("name_fa", "name_en", "district") if k in r.attrs}
                rows.append((r.entity, dict(st), attrs, r.lat, r.lon))
            self._draw()
        self.emit("status", rows, now, etype="ParkStatus")

    def _draw(self) -> None:
        feats = []
        dry = self.param("dry_pct", 15.0)
        for row in self.parks.rows():
            r = row.reading
            if r.lat is None:
                continue
            st = self.status.get(row.entity, {})
            moisture = row.value("soil_moisture")
            if st.get("leak") or st.get("watering_in_rain"):
                colour = "#ff6b6b"
            elif r.attrs.get("irrigation") == "on":
                colour = "#4cc9f0"
            elif moisture is not None and moisture < dry:
                colour = "#d29922"
            else:
                colour = "#3fb950"
            area = float(r.attrs.get("area_ha", 2.0))
            feats.append(
                MapFeature.circle_area(
                    row.entity,
                    r.lat,
                    r.lon,
                    max(60.0, math.sqrt(area * 10_000 / math.pi)),
                    style=FeatureStyle(color=colour, fill_opacity=0.35, weight=2),
                    title_fa=str(r.attrs.get("name_fa", row.entity)),
                    title_en=str(r.attrs.get("name_en", row.entity)),
                    entity=row.entity,
                    props={
                        "soil moisture %": moisture,
                        "irrigation": r.attrs.get("irrigation", ""),
                        "flow m³/h": row.value("flow"),
                    },
                )
            )
        self.green_layer.replace(feats)

    # -- views and KPIs -------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "parks": self.parks.rows(),
                "facilities": self.facilities.rows(),
                "status": {k: dict(v) for k, v in self.status.items()},
            }

    def _live(self, key: str) -> list[float]:
        return [r.value(key) for r in self.parks.rows() if not r.stale and r.value(key) is not None]

    def mean_moisture(self) -> float | None:
        values = self._live("soil_moisture")
        return round(sum(values) / len(values), 1) if values else None

    def water_today(self) -> float | None:
        values = self._live("water_today")
        return round(sum(values)) if values else None

    def facilities_ok_pct(self) -> float | None:
        rows = [f for f in self.facilities.rows() if not f.stale]
        if not rows:
            return None
        return round(100.0 * sum(1 for f in rows if f.reading.attrs.get("status") not in DOWN) / len(rows), 1)
