"""Fixed-site models: air stations, traffic segments, parking lots, substations, solar plants, water
gauges, weather stations (terminals: console/sim/intercity.py). Each keeps its state in numpy arrays, `update(...)` advances it
one tick, `rows()` yields (entity, values, attrs, lat, lon) for the world to wrap into Readings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from console.sim.effects import EffectState
from console.sim.graph import RoadGraph
from console.sim.physics import activity, aqi, bump, power_demand, traffic_demand

Row = tuple[str, dict[str, float], dict, float | None, float | None]


@dataclass
class Clock:
    """What models need to know about time: local hour, sun, season."""

    hour: float  # local (Asia/Tehran) hour of day, 0..24
    sun: float  # solar elevation, degrees
    doy: float  # day of year


class Sites:
    """Common part: ids, names, coordinates of one kind of place."""

    def __init__(self, places: list[dict], rng: np.random.Generator):
        self.places = places
        self.n = len(places)
        self.ids = [p["id"] for p in places]
        self.lat = [p["lat"] for p in places]
        self.lon = [p["lon"] for p in places]
        self.rng = rng

    def row(self, i: int, values: dict[str, float], **attrs) -> Row:
        """One site's row: its values, its name and district (plus `attrs`), its position."""
        p = self.places[i]
        return (
            self.ids[i],
            values,
            {"name_fa": p["name_fa"], **attrs, "district": p["district"]},
            self.lat[i],
            self.lon[i],
        )

    def _ar(self, state: np.ndarray, sigma: float, keep: float = 0.9) -> np.ndarray:
        """AR(1) noise: smooth wander around zero."""
        state *= keep
        state += self.rng.normal(0, sigma, state.shape)
        return state


class Weather(Sites):
    def __init__(self, places, rng):
        super().__init__(places, rng)
        self.offset = rng.normal(0, 0.8, self.n)
        self.noise = np.zeros(self.n)
        self.temp = np.zeros(self.n)
        self.hum = np.zeros(self.n)
        self.wind = np.zeros(self.n)
        self.rain = np.zeros(self.n)
        self.spread = rng.uniform(0.8, 1.2, self.n)

    def update(self, clock: Clock, fx: EffectState) -> None:
        seasonal = 18.0 - 13.0 * np.cos(2 * np.pi * (clock.doy - 15) / 365.0)  # Qom: ~5 °C Jan, ~31 °C Jul
        diurnal = 7.0 * np.cos(2 * np.pi * (clock.hour - 15.0) / 24.0)
        self._ar(self.noise, 0.05)
        wet = min(1.0, fx.rain_mm_h / 30.0)
        self.temp = seasonal + diurnal + self.offset + self.noise - 6.0 * wet
        self.hum = np.clip(
            28.0 - 10.0 * np.cos(2 * np.pi * (clock.hour - 4.0) / 24.0) + 60.0 * wet + self.noise * 3, 5, 100
        )
        base_wind = 3.0 + 2.0 * bump(clock.hour, 15.0, 3.0) + 4.0 * wet
        self.wind = np.clip(base_wind + self.noise * 2 + self.rng.normal(0, 0.3, self.n), 0, 40)
        if fx.wind_ms is not None:
            self.wind = np.clip(fx.wind_ms + self.rng.normal(0, 0.1, self.n), 0, 40)
        self.rain = np.clip(
            fx.rain_mm_h * self.spread + self.rng.normal(0, 0.4, self.n) * (fx.rain_mm_h > 0), 0, 200
        )

    def rows(self) -> Iterator[Row]:
        for i in range(self.n):
            values = {
                "temperature": round(float(self.temp[i]), 1),
                "humidity": round(float(self.hum[i]), 0),
                "wind_speed": round(float(self.wind[i]), 1),
                "precipitation": round(float(self.rain[i]), 1),
            }
            yield self.row(i, values)


class Air(Sites):
    def __init__(self, places, rng):
        super().__init__(places, rng)
        self.base = rng.uniform(0.7, 1.35, self.n)
        self.noise = np.zeros(self.n)
        self.v: dict[str, np.ndarray] = {}

    def update(self, clock: Clock, fx: EffectState, mean_wind: float) -> None:
        traffic = traffic_demand(clock.hour)
        self._ar(self.noise, 0.03)
        washout = 1.0 - 0.55 * min(1.0, fx.rain_mm_h / 25.0)
        ventilation = 1.6 / (1.0 + 0.25 * mean_wind)
        f = fx.pollution if fx.pollution is not None else np.ones(self.n)
        mult = np.exp(self.noise) * washout * ventilation
        pm25 = 16.0 * self.base * (0.8 + 0.6 * traffic) * mult * f
        pm10 = pm25 * 1.7 + 12.0 * self.base * (1.0 + 0.1 * mean_wind)
        no2 = 18.0 * self.base * (0.6 + 0.9 * traffic) * mult * np.sqrt(f)
        co = 0.45 * self.base * (0.7 + 0.8 * traffic) * mult * f**0.7
        o3 = np.clip(20.0 + 35.0 * max(0.0, np.sin(np.radians(clock.sun))) - 0.2 * no2, 2.0, 200.0) * np.exp(
            self.noise / 2
        )
        noise_db = 52.0 + 14.0 * traffic + self.rng.normal(0, 1.2, self.n)
        self.v = {"pm25": pm25, "pm10": pm10, "no2": no2, "co": co, "o3": o3, "noise": noise_db}
        self.v["aqi"] = np.array([aqi(pm25[i], pm10[i], no2[i], co[i], o3[i]) for i in range(self.n)])

    def rows(self) -> Iterator[Row]:
        v = {k: a.tolist() for k, a in self.v.items()}
        for i in range(self.n):
            values = {
                "pm25": round(v["pm25"][i], 1),
                "pm10": round(v["pm10"][i], 1),
                "no2": round(v["no2"][i], 1),
                "o3": round(v["o3"][i], 1),
                "co": round(v["co"][i], 2),
                "aqi": round(v["aqi"][i]),
                "noise": round(v["noise"][i]),
            }
            yield self.row(i, values)


class Traffic:
    """Every road segment: speed (also what vehicles on it drive at), flow, lane occupancy."""

    CLASS_SENSITIVITY = {"ring": 0.5, "arterial": 0.6, "local": 0.35}

    def __init__(self, graph: RoadGraph, rng: np.random.Generator):
        self.g = graph
        self.rng = rng
        self.n = len(graph.roads)
        self.ids = [r.id for r in graph.roads]
        self.sens = np.array([self.CLASS_SENSITIVITY.get(c, 0.4) for c in graph.road_cls])
        self.free = graph.limit_kmh * rng.uniform(0.85, 1.0, self.n)
        self.capacity = graph.lanes * 1700.0
        self.noise = np.zeros(self.n)
        self.speed = self.free.copy()
        self.flow = np.zeros(self.n)
        self.occ = np.zeros(self.n)
        self.mid_lat = graph.road_mid_lat.tolist()
        self.mid_lon = graph.road_mid_lon.tolist()

    def expected(self, hour: float) -> np.ndarray:
        """What a timetable plans with: the usual speed of every segment at this hour (dry, no incident)."""
        return np.clip(self.free * (1.0 - 0.55 * traffic_demand(hour) * self.sens), 2.0, 130.0)

    def update(self, clock: Clock, fx: EffectState) -> None:
        demand = traffic_demand(clock.hour)
        self.noise = 0.85 * self.noise + self.rng.normal(0, 0.03, self.n)
        wet = 1.0 - 0.15 * min(1.0, fx.rain_mm_h / 30.0)
        target = self.free * (1.0 - 0.55 * demand * self.sens) * wet * fx.road_factor * (1.0 + self.noise)
        target = np.clip(target, 2.0, 130.0)
        self.speed += (target - self.speed) * 0.25  # a jam builds within tens of seconds, not at once
        ratio = self.speed / self.free
        self.flow = (
            self.capacity * demand * np.clip(ratio * 1.4, 0.05, 1.0) * (0.85 + 0.15 * np.exp(self.noise))
        )
        density = self.flow / np.maximum(self.speed, 1.0) / self.g.lanes  # veh/km/lane
        jam = np.clip(1.0 - ratio, 0.0, 1.0) ** 2 * 70.0
        self.occ = np.clip(density * 0.55 + jam, 0.0, 98.0)

    def rows(self) -> Iterator[Row]:
        speed, flow, occ = self.speed.tolist(), self.flow.tolist(), self.occ.tolist()
        for i in range(self.n):
            r = self.g.roads[i]
            yield (
                self.ids[i],
                {"speed": round(speed[i]), "flow": round(flow[i]), "occupancy": round(occ[i])},
                {
                    "name_fa": r.name_fa,
                    "name_en": r.name_en,
                    "class": r.cls,
                    "limit": r.speed_limit_kmh,
                    "district": r.district,
                },
                self.mid_lat[i],
                self.mid_lon[i],
            )


class Parking(Sites):
    def __init__(self, places, rng):
        super().__init__(places, rng)
        self.capacity = rng.integers(120, 900, self.n)
        self.bias = rng.uniform(-12, 12, self.n)
        self.noise = np.zeros(self.n)
        self.occ = np.zeros(self.n)

    def update(self, clock: Clock, fx: EffectState) -> None:
        self._ar(self.noise, 0.6, 0.95)
        self.occ = np.clip(15.0 + 80.0 * activity(clock.hour) + self.bias + self.noise, 0, 100)

    def rows(self) -> Iterator[Row]:
        for i in range(self.n):
            occ, cap = float(self.occ[i]), int(self.capacity[i])
            yield self.row(
                i, {"occupancy": round(occ), "free": float(round(cap * (1 - occ / 100.0)))}, capacity=cap
            )


class Substations(Sites):
    def __init__(self, places, rng):
        super().__init__(places, rng)
        self.rated = rng.uniform(40, 100, self.n)
        self.noise = np.zeros(self.n)
        self.load = np.zeros(self.n)
        self.volt = np.zeros(self.n)
        self.freq = 50.0
        self.tripped = np.zeros(self.n, dtype=bool)

    def update(self, clock: Clock, fx: EffectState) -> None:
        self._ar(self.noise, 0.01)
        tripped = fx.outage if fx.outage is not None else np.zeros(self.n, dtype=bool)
        newly = int((tripped & ~self.tripped).sum())
        self.tripped = tripped.copy()
        self.load = np.where(tripped, 0.0, self.rated * power_demand(clock.hour) * (1.0 + self.noise))
        self.volt = np.where(
            tripped, 0.0, 20.4 - 0.9 * self.load / self.rated + self.rng.normal(0, 0.04, self.n)
        )
        dip = 0.35 * newly
        self.freq = 50.0 + (self.freq - 50.0) * 0.8 - dip + float(self.rng.normal(0, 0.006))

    def rows(self) -> Iterator[Row]:
        for i in range(self.n):
            load = float(self.load[i])
            values = {
                "load": round(load, 1),
                "load_pct": round(100.0 * load / float(self.rated[i])),
                "voltage": round(float(self.volt[i]), 2),
                "frequency": round(self.freq if not self.tripped[i] else 0.0, 2),
            }
            yield self.row(i, values, status="tripped" if self.tripped[i] else "normal")


class Solar(Sites):
    def __init__(self, places, rng):
        super().__init__(places, rng)
        self.capacity = rng.uniform(1000, 5000, self.n)
        self.noise = np.zeros(self.n)
        self.power = np.zeros(self.n)
        self.expected = np.zeros(self.n)
        self.irr = np.zeros(self.n)

    def update(self, clock: Clock, fx: EffectState) -> None:
        self._ar(self.noise, 0.02)
        clear = 1000.0 * max(0.0, np.sin(np.radians(clock.sun))) ** 1.15
        clouds = 1.0 - 0.8 * min(1.0, fx.rain_mm_h / 15.0)
        self.irr = np.clip(clear * clouds * (1.0 + self.noise), 0, 1200)
        self.expected = self.capacity * clear / 1000.0 * 0.85
        self.power = self.capacity * self.irr / 1000.0 * 0.85

    def rows(self) -> Iterator[Row]:
        for i in range(self.n):
            values = {
                "power": round(float(self.power[i])),
                "expected": round(float(self.expected[i])),
                "irradiance": round(float(self.irr[i])),
            }
            yield self.row(i, values, capacity_kw=round(float(self.capacity[i])))


class Gauges(Sites):
    def __init__(self, places, rng):
        super().__init__(places, rng)
        self.base = rng.uniform(0.3, 1.2, self.n)
        self.level = self.base.copy()
        self.rate = np.zeros(self.n)

    def update(self, dt: float, fx: EffectState) -> None:
        rise = fx.water_rate if fx.water_rate is not None else np.zeros(self.n)
        rain = 0.15 * min(1.0, fx.rain_mm_h / 30.0)
        relax = -(self.level - self.base) * 0.6  # m/h back towards normal once the surge passes
        rate = np.where(rise > 0, rise, relax) + rain + self.rng.normal(0, 0.01, self.n)
        if fx.water_cap is not None:
            rate = np.where(self.level >= fx.water_cap, np.minimum(rate, 0.0), rate)
        self.rate = rate
        self.level = np.clip(self.level + rate * dt / 3600.0, 0.0, 8.0)

    def rows(self) -> Iterator[Row]:
        for i in range(self.n):
            level = float(self.level[i])
            yield self.row(
                i,
                {
                    "level": round(level, 3),
                    "rate": round(float(self.rate[i]), 2),
                    "flow": round(4.0 * level**1.6, 1),
                },
            )
