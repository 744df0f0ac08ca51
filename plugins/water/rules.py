"""Qt-free logic of the water department: flood gauges, rising water, flooded areas, affected roads.

Per gauge: the level, the rise measured from its own recent levels (m/h over `rise_window_min`, next
to the rate the gauge reports), and a two-hour level forecast (console.forecast) with the minutes
until the warning and the alarm (flood-stage) levels of the catalog, as an interval.

Areas: around a gauge at or above the warning level, a *flooded* circle growing with the water
above that level (`flood_radius_m` + `flood_radius_per_m` per metre); around a gauge rising at
`rising_m_h` or faster, a smaller *at risk* circle; around each recent 137 flooding report, a
*reported* circle. Roads crossing a flooded or reported area are *flooded*, roads crossing only an
at-risk area are *at risk*. Derived readings: `derived/water/forecast` per gauge, `derived/water/roads`
for the city (roads_flooded, roads_at_risk, km_flooded, people_in_flooded_area, gauges_above_warning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console import i18n
from console.areas import buffered_area, districts_in, geojson, projection_for, roads_within
from console.catalog import signal_meta
from console.departments import Department, Row, RowView
from console.forecast import NS, Forecast, forecast_many
from console.maplayers import FeatureStyle, LegendItem, MapFeature

LEVEL = signal_meta("WaterObserved", "level")
DEFAULTS = {
    "rising_m_h": 0.3,  # a gauge rising this fast or faster is "rising"
    "rise_window_min": 10.0,  # the rise is measured over this much of the gauge's own history
    "flood_radius_m": 400.0,  # flooded area around a gauge at the warning level ...
    "flood_radius_per_m": 500.0,  # ... growing by this much per metre above it
    "flood_radius_max_m": 2000.0,
    "risk_radius_m": 300.0,  # around a rising gauge below the warning level
    "report_radius_m": 150.0,  # around each recent 137 flooding report
    "report_minutes": 60.0,  # reports older than this no longer mark roads
    "report_categories": ["flooding"],
    "forecast_horizon_min": 120.0,
    "forecast_window_min": 60.0,
    "forecast_step_s": 30.0,
    "forecast_level": 0.8,
    "forecast_min_points": 10,
}
COLOURS = {"ok": "#3fb950", "rising": "#d29922", "warn": "#fb5607", "alarm": "#e5383b", "unknown": "#8b98a5"}
ROAD_COLOURS = {"flooded": "#e5383b", "at_risk": "#d29922"}


@dataclass(frozen=True)
class GaugeState(RowView):
    rise_m_h: float | None  # measured from the gauge's own levels
    forecast: Forecast | None
    rising_limit: float

    @property
    def level(self) -> float | None:
        return self.row.value("level")

    @property
    def reported_rate(self) -> float | None:
        return self.row.value("rate")

    @property
    def rising(self) -> bool:
        return not self.row.stale and self.rise_m_h is not None and self.rise_m_h >= self.rising_limit

    def state(self) -> str:
        lvl = self.level
        if self.row.stale or lvl is None:
            return "unknown"
        if LEVEL.alarm_hi is not None and lvl >= LEVEL.alarm_hi:
            return "alarm"
        if LEVEL.warn_hi is not None and lvl >= LEVEL.warn_hi:
            return "warn"
        return "rising" if self.rising else "ok"

    def minutes_to(self, threshold: float | None) -> tuple[float | None, float | None, float | None]:
        """(earliest, expected, latest) minutes until the level reaches `threshold`; 0 when it has."""
        if threshold is None or self.level is None or self.row.stale:
            return None, None, None
        if self.level >= threshold:
            return 0.0, 0.0, 0.0
        return self.forecast.crossing(threshold) if self.forecast is not None else (None, None, None)


@dataclass(frozen=True)
class AffectedRoad:
    road: Any  # console.city.Road
    state: str  # flooded | at_risk
    cause: str  # gauge id or "137"
    distance_m: float | None


@dataclass
class WaterPicture:
    flooded: Any = None  # lon/lat geometry
    at_risk: Any = None
    roads: list[AffectedRoad] = field(default_factory=list)
    people: float = 0.0
    reports: int = 0


class WaterDesk(Department):
    def __init__(self, folder: Path):
        super().__init__("water", folder, ("water/gauge",), history={"level": 3 * 3600.0}, defaults=DEFAULTS)
        self._forecasts: dict[str, Forecast] = {}
        self._computed_t = 0
        self._reports: dict[str, tuple[int, float, float]] = {}  # report id -> (t, lat, lon)
        self.picture = WaterPicture()
        self.area_layer = self.roads_layer = None

    # -- wiring --------------------------------------------------------------------------------------
    def activate(self, ctx) -> None:
        super().activate(ctx)
        ctx.subscribe("report/137", self.on_reports, worker=True)
        self.area_layer = self.add_layer(
            "areas",
            "محدوده‌های آب‌گرفته و در خطر",
            "Flooded and at-risk areas",
            z=13,
            legend=[
                LegendItem("#1f6feb", "آب‌گرفته", "Flooded", "square"),
                LegendItem("#4cc9f0", "در خطر (آب در حال بالا آمدن)", "At risk (water rising)", "square"),
            ],
        )
        self.roads_layer = self.add_layer(
            "roads",
            "معابر متأثر از آب",
            "Roads affected by water",
            z=33,
            legend=[
                LegendItem(ROAD_COLOURS["flooded"], "آب‌گرفته", "Flooded", "square"),
                LegendItem(ROAD_COLOURS["at_risk"], "در خطر", "At risk", "square"),
            ],
        )
        self.add_kpi(
            "infrastructure",
            "gauges_above_warning",
            self.gauges_above_warning,
            "سنجه‌های بالای آستانهٔ هشدار",
            "Gauges above warning level",
        )
        self.add_kpi(
            "environment", "water_level_max", self.max_level, "بیشینهٔ تراز آب", "Highest water level", "m"
        )
        self.add_kpi("mobility", "roads_flooded", self.roads_flooded, "معابر آب‌گرفته", "Flooded roads")
        self.add_kpi(
            "people",
            "people_flooded_area",
            self.people_in_flooded_area,
            "جمعیت در محدودهٔ آب‌گرفته",
            "People in flooded areas",
        )

    # -- state ---------------------------------------------------------------------------------------
    def gauges(self) -> list[GaugeState]:
        limit = float(self.config["rising_m_h"])
        return [
            GaugeState(r, self._rise(r), self._forecasts.get(r.entity), limit)
            for r in sorted(self.table.rows(), key=lambda r: r.entity)
        ]

    def _rise(self, row: Row) -> float | None:
        """m/h between the oldest level inside the window and the newest (None with too little history)."""
        t, v = self.table.history(row.entity, "level")
        window = float(self.config["rise_window_min"]) * 60 * NS
        if len(t) < 2:
            return None
        keep = t >= t[-1] - window
        t, v = t[keep], v[keep]
        span = (t[-1] - t[0]) / NS
        if len(t) < 2 or span < window / NS / 2:
            return None
        return float((v[-1] - v[0]) / span * 3600.0)

    def _live(self) -> list[GaugeState]:
        return [g for g in self.gauges() if not g.row.stale and g.level is not None]

    def gauges_above_warning(self) -> float | None:
        live = self._live()
        return float(sum(1 for g in live if g.state() in ("warn", "alarm"))) if live else None

    def max_level(self) -> float | None:
        live = self._live()
        return max(g.level for g in live) if live else None

    def roads_flooded(self) -> float | None:
        return float(sum(1 for r in self.picture.roads if r.state == "flooded")) if self._live() else None

    def people_in_flooded_area(self) -> float | None:
        return self.picture.people if self._live() else None

    # -- 137 flooding reports ------------------------------------------------------------------------
    def on_reports(self, topic: str, items: list) -> None:
        wanted = set(self.config["report_categories"])
        with self._batch_lock:
            for r in items:
                if getattr(r, "lat", None) is None or str(r.attrs.get("category", "")) not in wanted:
                    continue
                self._reports[r.entity] = (r.t, r.lat, r.lon)

    def recent_reports(self) -> list[tuple[int, float, float]]:
        horizon = self.table.newest_t - int(float(self.config["report_minutes"]) * 60 * NS)
        with self._batch_lock:
            for key in [k for k, v in self._reports.items() if v[0] < horizon]:
                del self._reports[key]
            return list(self._reports.values())

    # -- per batch -----------------------------------------------------------------------------------
    def update(self, topic: str, items: list) -> None:
        cfg = self.config
        newest = self.table.newest_t
        if newest - self._computed_t < int(float(cfg["forecast_step_s"]) * NS):
            return
        self._computed_t = newest
        rows = [r for r in self.table.rows() if not r.stale]
        fits = forecast_many(
            [self.table.history(r.entity, "level") for r in rows],
            horizon_s=float(cfg["forecast_horizon_min"]) * 60.0,
            step_s=float(cfg["forecast_step_s"]),
            window_s=float(cfg["forecast_window_min"]) * 60.0,
            end_ns=newest,
            level=float(cfg["forecast_level"]),
            min_points=int(cfg["forecast_min_points"]),
            bounds=(LEVEL.lo, LEVEL.hi),  # a gauge reads within its range
        )
        self._forecasts = {r.entity: f for r, f in zip(rows, fits, strict=True) if f is not None}
        gauges = self.gauges()
        self.picture = self._picture(gauges)
        self.publish(self._derived(gauges))
        self._draw(gauges)

    def _picture(self, gauges: list[GaugeState]) -> WaterPicture:
        city = self.city
        if city is None:
            return WaterPicture()
        cfg = self.config
        proj = projection_for(city)
        flooded_pts, risk_pts = [], []
        for g in gauges:
            r = g.row.reading
            if g.row.stale or g.level is None or r.lat is None:
                continue
            if g.state() in ("warn", "alarm"):
                above = g.level - (LEVEL.warn_hi or 0.0)
                radius = min(
                    float(cfg["flood_radius_max_m"]),
                    float(cfg["flood_radius_m"]) + float(cfg["flood_radius_per_m"]) * above,
                )
                flooded_pts.append((r.lat, r.lon, radius, g.entity))
            elif g.rising:
                risk_pts.append((r.lat, r.lon, float(cfg["risk_radius_m"]), g.entity))
        reports = self.recent_reports()
        report_r = float(cfg["report_radius_m"])
        flooded = buffered_area(
            [p[:3] for p in flooded_pts] + [(la, lo, report_r) for _t, la, lo in reports], proj
        )
        at_risk = buffered_area([p[:3] for p in risk_pts], proj)
        if at_risk is not None and flooded is not None:
            at_risk = at_risk.difference(flooded)
        roads: list[AffectedRoad] = []
        seen: set[str] = set()
        for road in roads_within(city, flooded):
            roads.append(AffectedRoad(road, "flooded", *self._cause(road, flooded_pts, proj)))
            seen.add(road.id)
        for road in roads_within(city, at_risk):
            if road.id not in seen:
                roads.append(AffectedRoad(road, "at_risk", *self._cause(road, risk_pts, proj)))
        people = sum(d.people for d in districts_in(city, flooded))
        return WaterPicture(flooded, at_risk, roads, people, len(reports))

    def _cause(self, road: Any, sites: list[tuple], proj: Any) -> tuple[str, float | None]:
        """The nearest gauge whose circle reaches the road and its distance (m); "137" when only
        flooding reports mark it."""
        (alat, alon), (blat, blon) = self.city.road_coords(road)
        x1, y1 = proj.to_xy((alat + blat) / 2, (alon + blon) / 2)
        best = None
        for lat, lon, radius, entity in sites:
            x0, y0 = proj.to_xy(lat, lon)
            distance = float(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5)
            if distance <= radius + road.length_m / 2 and (best is None or distance < best[1]):
                best = (entity, distance)
        return best if best is not None else ("137", None)

    def _derived(self, gauges: list[GaugeState]) -> list:
        out = []
        horizon = float(self.config["forecast_horizon_min"])
        for g in gauges:
            if g.forecast is None or g.row.stale:
                continue
            r = g.row.reading
            mean, lo, hi = g.forecast.at(60.0)
            _early, expected, _late = g.minutes_to(LEVEL.alarm_hi)
            out.append(
                self.derive(
                    "forecast",
                    g.entity,
                    {
                        "level_60": round(mean, 3),
                        "level_60_lo": round(lo, 3),
                        "level_60_hi": round(hi, 3),
                        # minutes until flood stage; the horizon when not expected within it
                        "minutes_to_alarm": round(horizon if expected is None else expected, 1),
                    },
                    etype="WaterForecast",
                    attrs={"district": g.row.district, "name_fa": r.attrs.get("name_fa", "")},
                    lat=r.lat,
                    lon=r.lon,
                )
            )
        live = [g for g in gauges if not g.row.stale and g.level is not None]
        if live and self.city is not None:
            pic = self.picture
            flooded = [x for x in pic.roads if x.state == "flooded"]
            lat, lon = self.city.center
            out.append(
                self.derive(
                    "roads",
                    self.city.key,
                    {
                        "roads_flooded": float(len(flooded)),
                        "roads_at_risk": float(len(pic.roads) - len(flooded)),
                        "km_flooded": round(sum(x.road.length_m for x in flooded) / 1000.0, 2),
                        "people_in_flooded_area": round(pic.people),
                        "gauges_above_warning": float(sum(1 for g in live if g.state() in ("warn", "alarm"))),
                    },
                    etype="FloodPicture",
                    lat=lat,
                    lon=lon,
                )
            )
        return out

    def _draw(self, gauges: list[GaugeState]) -> None:
        pic = self.picture
        areas = []
        for key, geom, colour, fa, en in (
            ("flooded", pic.flooded, "#1f6feb", "محدودهٔ آب‌گرفته", "Flooded area"),
            ("at_risk", pic.at_risk, "#4cc9f0", "در خطر آب‌گرفتگی", "At risk of flooding"),
        ):
            shape_ = geojson(geom)
            if shape_ is not None:
                areas.append(
                    MapFeature(
                        id=key,
                        geometry=shape_,
                        style=FeatureStyle(color=colour, fill=colour, fill_opacity=0.25, weight=1.5),
                        title_fa=fa,
                        title_en=en,
                        props={"water.col.roads": sum(1 for r in pic.roads if r.state == key)},
                        t=self.table.newest_t,
                    )
                )
        self.area_layer.replace(areas)
        features = []
        for a in pic.roads:
            (alat, alon), (blat, blon) = self.city.road_coords(a.road)
            colour = ROAD_COLOURS[a.state]
            features.append(
                MapFeature(
                    id=a.road.id,
                    geometry={"type": "LineString", "coordinates": [[alon, alat], [blon, blat]]},
                    style=FeatureStyle(
                        color=colour, weight=6.0, opacity=0.9, dash="" if a.state == "flooded" else "6 4"
                    ),
                    title_fa=f"{a.road.name_fa}: {i18n.tr(f'water.road.{a.state}', 'fa')}",
                    title_en=f"{a.road.name_en}: {i18n.tr(f'water.road.{a.state}', 'en')}",
                    entity=a.road.id,
                    props={
                        "water.col.cause": a.cause,
                        "water.col.distance": "—" if a.distance_m is None else round(a.distance_m),
                    },
                    t=self.table.newest_t,
                )
            )
        self.roads_layer.replace(features)
