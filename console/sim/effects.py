"""A scenario's events resolved against the city: which gauges, stations, substations, segments and
where reports come from; `state(s)` gives the effects in force at simulated second s."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from console.city import City
from console.geo import haversine_m_np
from console.sim.graph import RoadGraph
from console.sim.scenario import Event, Scenario

PLACE_KIND = {"water_rise": "gauge", "pollution": "air", "power_outage": "substation"}


@dataclass
class PlannedReport:
    s: float
    category: str
    lat: float
    lon: float
    event: int  # index of the scenario event that caused it


@dataclass(frozen=True)
class TelecomZone:
    """Mobile network down for `fraction` of devices within `radius_m` of (lat, lon) (None: city-wide)."""

    fraction: float
    lat: float = 0.0
    lon: float = 0.0
    radius_m: float | None = None

    def down(self, lat: np.ndarray, lon: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Which devices (stable per-device draws `u` in [0, 1)) have no network."""
        hit = u < self.fraction
        if self.radius_m is None:
            return hit
        return hit & (haversine_m_np(self.lat, self.lon, lat, lon) <= self.radius_m)


@dataclass(frozen=True)
class Breakdown:
    event: int  # index of the scenario event (the world picks the vehicles once, when it starts)
    fleet: str
    count: int
    lat: float
    lon: float


@dataclass
class EffectState:
    rain_mm_h: float = 0.0
    wind_ms: float | None = None
    road_factor: np.ndarray | None = None  # per road, multiplies traffic speed
    pollution: np.ndarray | None = None  # per air station, multiplies pollutants
    water_rate: np.ndarray | None = None  # per gauge, m/h of rise
    water_cap: np.ndarray | None = None  # per gauge, level the rise stops at
    outage: np.ndarray | None = None  # per substation, True when tripped
    silenced: set[str] = field(default_factory=set)
    quake: tuple[float, float, float] | None = None  # lat, lon, magnitude
    telecom: list[TelecomZone] = field(default_factory=list)
    breakdowns: list[Breakdown] = field(default_factory=list)

    def telecom_down(self, lat: np.ndarray, lon: np.ndarray, u: np.ndarray) -> np.ndarray:
        down = np.zeros(len(u), dtype=bool)
        for zone in self.telecom:
            down |= zone.down(lat, lon, u)
        return down


class Effects:
    def __init__(self, scenario: Scenario, city: City, graph: RoadGraph, rng: np.random.Generator):
        self.scenario = scenario
        self.city = city
        self.graph = graph
        self.weights: dict[int, np.ndarray] = {}
        for i, ev in enumerate(scenario.events):
            if ev.kind in PLACE_KIND:
                self.weights[i] = self._place_weights(ev, PLACE_KIND[ev.kind])
            elif ev.kind == "speed_drop":
                self.weights[i] = self._road_weights(ev)
        self.reports = self._plan_reports(rng)

    # -- target resolution ------------------------------------------------------------------------
    def _place_weights(self, ev: Event, kind: str) -> np.ndarray:
        places = self.city.places.get(kind, [])
        w = np.zeros(len(places))
        if not places:
            return w
        lat = np.array([p["lat"] for p in places])
        lon = np.array([p["lon"] for p in places])
        if ev.places:
            for j, p in enumerate(places):
                if p["id"] in ev.places:
                    w[j] = 1.0
        elif ev.district:
            w[:] = [1.0 if p["district"] == ev.district else 0.0 for p in places]
        elif ev.near is not None:
            d = haversine_m_np(ev.near[0], ev.near[1], lat, lon)
            if ev.nearest:
                w[np.argsort(d, kind="stable")[: ev.nearest]] = 1.0
            elif ev.radius_m:
                w = np.clip(1.0 - d / (2.0 * ev.radius_m), 0.35, 1.0)
            else:
                w[:] = 1.0
        else:
            w[:] = 1.0
        return w

    def _road_weights(self, ev: Event) -> np.ndarray:
        g = self.graph
        w = np.zeros(len(g.roads))
        if ev.segments:
            for sid in ev.segments:
                if sid in g.road_index:
                    for ri in g.adjacent_roads(g.road_index[sid], ev.adjacent):
                        w[ri] = 1.0
        elif ev.district:
            w[:] = [1.0 if r.district == ev.district else 0.0 for r in g.roads]
        elif ev.near is not None and (ev.radius_m or ev.nearest):
            d = haversine_m_np(ev.near[0], ev.near[1], g.road_mid_lat, g.road_mid_lon)
            if ev.nearest:
                w[np.argsort(d, kind="stable")[: ev.nearest]] = 1.0
            else:
                w = (d <= ev.radius_m).astype(float)
        else:
            w[:] = 1.0
        return w

    def _centre(self, ev: Event) -> tuple[float, float]:
        if ev.near is not None:
            return ev.near
        if ev.segments and ev.segments[0] in self.graph.road_index:
            ri = self.graph.road_index[ev.segments[0]]
            return float(self.graph.road_mid_lat[ri]), float(self.graph.road_mid_lon[ri])
        if ev.district:
            d = next((d for d in self.city.districts if d.id == ev.district), None)
            if d is not None:
                return sum(p[1] for p in d.ring) / len(d.ring), sum(p[0] for p in d.ring) / len(d.ring)
        return self.city.center

    def _plan_reports(self, rng: np.random.Generator) -> list[PlannedReport]:
        planned: list[PlannedReport] = []
        for i, ev in enumerate(self.scenario.events):
            if ev.kind != "reports":
                continue
            end = ev.until if ev.until is not None else ev.at + 600.0
            u = np.sort(rng.random(ev.count)) ** 1.8  # front-loaded: most calls come early
            times = ev.at + (end - ev.at) * u
            lat0, lon0 = self._centre(ev)
            sigma = ev.spread_m / 2.0
            dy = rng.normal(0, sigma, ev.count) / 111_000.0
            dx = rng.normal(0, sigma, ev.count) / (111_000.0 * np.cos(np.radians(lat0)))
            for t, la, lo in zip(times.tolist(), (lat0 + dy).tolist(), (lon0 + dx).tolist(), strict=True):
                planned.append(PlannedReport(t, ev.category, la, lo, i))
        planned.sort(key=lambda r: r.s)
        return planned

    def _windowed(self, st: EffectState, i: int, ev: Event) -> None:
        lat, lon = self._centre(ev)
        if ev.kind == "telecom_outage":
            targeted = ev.near is not None or bool(ev.segments) or ev.district is not None
            radius = (ev.radius_m or 3000.0) if targeted else None
            st.telecom.append(TelecomZone(min(1.0, ev.intensity), lat, lon, radius))
        else:
            st.breakdowns.append(Breakdown(i, ev.fleet, ev.count, lat, lon))

    # -- state at time s ----------------------------------------------------------------------------
    def state(self, s: float) -> EffectState:
        st = EffectState()
        n_roads = len(self.graph.roads)
        for i, ev in enumerate(self.scenario.events):
            env = ev.envelope(s)
            if ev.kind == "silence":
                if ev.at <= s < (ev.until if ev.until is not None else float("inf")):
                    st.silenced.add(ev.source)
                continue
            if ev.kind == "quake":
                if s >= ev.at and ev.near is not None:
                    st.quake = (ev.near[0], ev.near[1], ev.intensity)
                continue
            if ev.kind in ("telecom_outage", "breakdown"):
                if s >= ev.at and (ev.until is None or s < ev.until):
                    self._windowed(st, i, ev)
                continue
            if ev.kind == "power_outage":
                if s >= ev.at and (ev.until is None or s < ev.until):
                    mask = self.weights[i] > 0
                    st.outage = mask if st.outage is None else (st.outage | mask)
                continue
            if env <= 0.0:
                continue
            if ev.kind == "rain":
                st.rain_mm_h = max(st.rain_mm_h, ev.intensity * env)
            elif ev.kind == "stagnation":
                st.wind_ms = ev.intensity
            elif ev.kind == "speed_drop":
                f = 1.0 - (1.0 - ev.intensity) * env * self.weights[i]
                st.road_factor = f if st.road_factor is None else st.road_factor * f
            elif ev.kind == "pollution":
                f = 1.0 + (ev.intensity - 1.0) * env * self.weights[i]
                st.pollution = f if st.pollution is None else st.pollution * f
            elif ev.kind == "water_rise":
                rate = ev.intensity * env * self.weights[i]
                st.water_rate = rate if st.water_rate is None else st.water_rate + rate
                cap = np.where(self.weights[i] > 0, ev.max_level_m or 5.0, np.inf)
                st.water_cap = cap if st.water_cap is None else np.minimum(st.water_cap, cap)
        if st.road_factor is None:
            st.road_factor = np.ones(n_roads)
        return st
