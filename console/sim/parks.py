"""Green spaces: soil moisture, the irrigation controllers that water them, and park facilities.

Soil moisture (volumetric water content, % of a 300 mm root zone) falls with evapotranspiration
(from the weather's temperature and the sun), rises with irrigation and rain, and drains above field
capacity. Each park's controller waters in its nightly/daily window: the three parks in four with
smart controllers (rain and soil sensors) only while the soil is below target and it is not raining,
the others (plain timers) for the whole window, rain or not. Pumps,
lights and fountains draw power from the nearest substation. An earthquake bursts irrigation pipes
near its epicentre (water flows while the controller is off) and damages facilities; heavy rain
closes the playgrounds. A couple of facilities are under planned maintenance on any day.

Published every 60 s:
- `parks/green` (GreenSpace), one per park: values {soil_moisture (%), flow (m³/h), water_today
  (m³)}; attrs {irrigation: on|off|rain_hold|no_power, rain_sensor, area_ha, window ("21:00-01:00"),
  target (% moisture), name_fa, name_en, district}.
- `parks/facility` (ParkFacility), one per facility: values {ok: 1|0}; attrs {park, kind:
  lighting|pump|fountain|restroom|playground, status: ok|maintenance|fault|no_power|closed, lit
  (lighting), name_fa, name_en, district}.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from console.geo import haversine_m_np
from console.sim.effects import EffectState
from console.sim.sensors import Clock, Row, Sites

ROOT_ZONE_MM = 300.0
FIELD_CAPACITY = 30.0
SATURATION = 42.0
TARGET = 24.0
APPLICATION_MM_H = 5.0
WINDOWS = ((21, 4), (1, 4), (5, 3), (17, 3), (11, 3))  # start hour, hours
FACILITIES = (
    ("lighting", "روشنایی", "Lighting", 1.0),
    ("pump", "پمپ آبیاری", "Irrigation pump", 1.0),
    ("fountain", "آب‌نما", "Fountain", 0.5),
    ("restroom", "سرویس بهداشتی", "Restroom", 0.7),
    ("playground", "زمین بازی", "Playground", 0.8),
)
POWERED = ("lighting", "pump", "fountain")
LEAK_RADIUS_M = 3500.0
DAMAGE_RADIUS_M = 2500.0


class Parks(Sites):
    def __init__(self, places: list[dict], substations: list[dict], rng: np.random.Generator):
        super().__init__(places, rng)
        n = self.n
        self.area = rng.uniform(1.0, 12.0, n)
        self.moisture = rng.uniform(19.0, 27.0, n)
        self.sensor = rng.random(n) < 0.75
        self.window = [WINDOWS[int(k)] for k in rng.integers(len(WINDOWS), size=n)]
        self.nominal = self.area * 10_000 * 0.25 * APPLICATION_MM_H / 1000.0  # m³/h, a quarter zoned at once
        self.flow = np.zeros(n)
        self.water_today = rng.uniform(0.0, 40.0, n) * self.area
        self.state = ["off"] * n
        self.leak = np.zeros(n, dtype=bool)
        self.u_leak = rng.random(n)
        if substations:
            sl = np.array([p["lat"] for p in substations])
            so = np.array([p["lon"] for p in substations])
            self.feeder = np.array(
                [
                    int(np.argmin(haversine_m_np(la, lo, sl, so)))
                    for la, lo in zip(self.lat, self.lon, strict=True)
                ]
            )
        else:
            self.feeder = np.full(n, -1)
        self.powered = np.ones(n, dtype=bool)
        self.fac: list[tuple[int, str, str, str]] = []  # (park, kind, fa, en)
        for i in range(n):
            for kind, fa, en, share in FACILITIES:
                if share >= 1.0 or rng.random() < share:
                    self.fac.append((i, kind, fa, en))
        nf = len(self.fac)
        self.fac_status = ["ok"] * nf
        for k in sorted(rng.choice(nf, size=min(2, nf), replace=False).tolist()):
            self.fac_status[k] = "maintenance"
        self.planned = [s == "maintenance" for s in self.fac_status]
        self.u_damage = rng.random(nf)
        self._hour = 0.0
        self._sun = 0.0

    def _in_window(self, i: int, hour: float) -> bool:
        start, hours = self.window[i]
        return (hour - start) % 24.0 < hours

    def update(self, dt: float, clock: Clock, fx: EffectState, temperature: float) -> None:
        if clock.hour < self._hour:  # local midnight: the daily meters restart
            self.water_today[:] = 0.0
        self._hour, self._sun = clock.hour, clock.sun
        if fx.outage is not None:
            fed = self.feeder >= 0
            self.powered = np.ones(self.n, dtype=bool)
            self.powered[fed] = ~fx.outage[self.feeder[fed]]
        else:
            self.powered = np.ones(self.n, dtype=bool)
        if fx.quake is not None:
            qlat, qlon, _mag = fx.quake
            near = haversine_m_np(qlat, qlon, np.array(self.lat), np.array(self.lon)) <= LEAK_RADIUS_M
            self.leak |= near & (self.u_leak < 0.4)
        rain = fx.rain_mm_h
        for i in range(self.n):
            if not self.powered[i]:
                state = "no_power"
            elif not self._in_window(i, clock.hour) or (self.sensor[i] and self.moisture[i] >= TARGET):
                state = "off"
            elif self.sensor[i] and rain > 0.5:
                state = "rain_hold"
            else:
                state = "on"
            self.state[i] = state
        on = np.array([s == "on" for s in self.state])
        leak_flow = np.where(self.leak, 0.4 * self.nominal, 0.0)  # mains pressure: flows without the pump
        self.flow = np.where(on, self.nominal, 0.0) + leak_flow
        et_day = 2.0 + 0.22 * max(0.0, temperature - 5.0)
        et_h = et_day * max(0.0, np.sin(np.radians(clock.sun))) / 5.0
        irrigation_mm_h = np.where(on, APPLICATION_MM_H * 0.8, 0.0) + np.where(leak_flow > 0, 1.0, 0.0)
        drain = np.clip(self.moisture - FIELD_CAPACITY, 0.0, None) * 0.3
        rate = (irrigation_mm_h + 0.9 * rain - et_h) / ROOT_ZONE_MM * 100.0 - drain  # % per hour
        self.moisture = np.clip(self.moisture + rate * dt / 3600.0, 4.0, SATURATION)
        self.water_today += self.flow * dt / 3600.0
        self._facilities(fx)

    def _facilities(self, fx: EffectState) -> None:
        quake_near = np.zeros(self.n, dtype=bool)
        if fx.quake is not None:
            qlat, qlon, _mag = fx.quake
            quake_near = haversine_m_np(qlat, qlon, np.array(self.lat), np.array(self.lon)) <= DAMAGE_RADIUS_M
        for k, (i, kind, _fa, _en) in enumerate(self.fac):
            if self.fac_status[k] == "fault":
                continue  # damage stays until repaired (not within a scenario)
            if quake_near[i] and self.u_damage[k] < 0.3:
                self.fac_status[k] = "fault"
            elif kind in POWERED and not self.powered[i]:
                self.fac_status[k] = "no_power"
            elif kind == "playground" and fx.rain_mm_h > 25.0:
                self.fac_status[k] = "closed"
            else:
                self.fac_status[k] = "maintenance" if self.planned[k] else "ok"

    def rows(self) -> Iterator[Row]:
        for i in range(self.n):
            start, hours = self.window[i]
            yield self.row(
                i,
                {
                    "soil_moisture": round(float(self.moisture[i]), 1),
                    "flow": round(float(self.flow[i]), 1),
                    "water_today": float(round(self.water_today[i])),
                },
                name_en=self.places[i]["name_en"],
                irrigation=self.state[i],
                rain_sensor=bool(self.sensor[i]),
                area_ha=round(float(self.area[i]), 1),
                window=f"{start:02d}:00-{(start + hours) % 24:02d}:00",
                target=TARGET,
            )

    def facility_rows(self) -> Iterator[Row]:
        for k, (i, kind, fa, en) in enumerate(self.fac):
            p = self.places[i]
            status = self.fac_status[k]
            attrs = {
                "park": p["id"],
                "kind": kind,
                "status": status,
                "name_fa": f"{fa} — {p['name_fa']}",
                "name_en": f"{en} — {p['name_en']}",
                "district": p["district"],
            }
            if kind == "lighting":
                attrs["lit"] = status == "ok" and self._sun < 0.0
            yield f"{p['id']}-{kind}", {"ok": 1.0 if status == "ok" else 0.0}, attrs, None, None
