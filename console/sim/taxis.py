"""The taxi market: ride requests per district, matched to free taxis in the same district, trips
that end after a while, and the taxis' QR/payment terminals.

Requests arrive per district in proportion to its population and the hour's activity (more in the
rain, many more near an earthquake's epicentre). A request is served by a free taxi in its district
(the taxi becomes hired); otherwise it waits, and gives up after 20 minutes. Trips last about 12
minutes, longer when traffic is slow. So shortages are emergent: where demand outruns the free taxis
nearby, people wait.

Payment terminals: about 1% are faulty; a `telecom_outage` takes the affected ones offline.

Published every 30 s on `taxi/demand` (TaxiDemand), one reading per district: values {requests
(per hour, over the last 15 minutes), waiting (people waiting now), wait_min (mean wait of the
rides that started in the last 15 minutes), abandoned (requests given up in the last 15 minutes)};
attrs {name_fa, name_en, district}. Taxi readings (`vehicle/taxi`) gain attrs {payment:
ok|offline|fault}.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import numpy as np

from console.city import City
from console.geo import haversine_m
from console.sim.effects import EffectState
from console.sim.fleet import TAXI, Fleet
from console.sim.graph import RoadGraph
from console.sim.physics import activity
from console.sim.sensors import Clock, Row

TRIP_S = 720.0
GIVE_UP_S = 1200.0
WINDOW_S = 900.0
HIRED_SHARE = 0.45  # at midday activity
PAYMENT_FAULTY_SHARE = 0.01
QUAKE_RADIUS_M = 4500.0


class TaxiMarket:
    def __init__(self, fleet: Fleet, graph: RoadGraph, city: City, rng: np.random.Generator):
        self.fleet = fleet
        self.rng = rng
        self.taxis = np.flatnonzero(fleet.kind == TAXI)
        self.districts = list(city.districts)
        index = {d.id: k for k, d in enumerate(self.districts)}
        self.road_district = np.array([index.get(r.district, -1) for r in graph.roads], dtype=np.int64)
        pop = np.array([max(1, d.population) for d in self.districts], dtype=float)
        self.weight = pop / pop.sum()
        self.centre = [
            (sum(p[1] for p in d.ring) / len(d.ring), sum(p[0] for p in d.ring) / len(d.ring))
            for d in self.districts
        ]
        nd = len(self.districts)
        self.waiting: list[deque[float]] = [deque() for _ in range(nd)]
        self.requested: list[deque[float]] = [deque() for _ in range(nd)]
        self.served: list[deque[tuple[float, float]]] = [deque() for _ in range(nd)]
        self.gave_up: list[deque[float]] = [deque() for _ in range(nd)]
        self.rate = HIRED_SHARE / TRIP_S / 1.1  # requests per taxi per second at activity ~0.75
        n = len(self.taxis)
        self.u_pay = rng.random(n)
        self.pay_faulty = rng.random(n) < PAYMENT_FAULTY_SHARE
        self.pay_down = np.zeros(n, dtype=bool)
        self.s = 0.0

    def step(
        self, s: float, dt: float, clock: Clock, fx: EffectState, lat: np.ndarray, lon: np.ndarray
    ) -> None:
        self.s = s
        f, rng, taxis = self.fleet, self.rng, self.taxis
        if not len(taxis):
            return
        self.pay_down = fx.telecom_down(lat[taxis], lon[taxis], self.u_pay)
        if dt <= 0:
            return
        wet = min(1.0, fx.rain_mm_h / 30.0)
        slow = max(0.2, float(np.mean(fx.road_factor)) * (1.0 - 0.15 * wet))
        hired = f.hired[taxis]
        done = hired & (rng.random(len(taxis)) < dt * slow / TRIP_S)
        f.hired[taxis[done]] = False
        mult = (0.35 + activity(clock.hour)) * (1.0 + 0.8 * wet)
        boost = np.ones(len(self.districts))
        if fx.quake is not None:
            qlat, qlon, _mag = fx.quake
            for k, (la, lo) in enumerate(self.centre):
                if haversine_m(qlat, qlon, la, lo) <= QUAKE_RADIUS_M:
                    boost[k] = 4.0
        lam = len(taxis) * self.rate * mult * self.weight * boost * dt
        district_of = self.road_district[f.road[taxis]]
        free = ~f.hired[taxis]
        for k in range(len(self.districts)):
            for _ in range(int(rng.poisson(lam[k]))):
                self.waiting[k].append(s)
                self.requested[k].append(s)
            while self.waiting[k] and s - self.waiting[k][0] > GIVE_UP_S:
                self.waiting[k].popleft()
                self.gave_up[k].append(s)
            if self.waiting[k]:
                candidates = taxis[free & (district_of == k)]
                for taxi in candidates[: len(self.waiting[k])].tolist():
                    f.hired[taxi] = True
                    self.served[k].append((s, s - self.waiting[k].popleft()))
            for q in (self.requested[k], self.gave_up[k]):
                while q and s - q[0] > WINDOW_S:
                    q.popleft()
            while self.served[k] and s - self.served[k][0][0] > WINDOW_S:
                self.served[k].popleft()

    def payment(self) -> list[str]:
        """Payment terminal state of every taxi, in fleet order."""
        return [
            "fault" if f else "offline" if d else "ok"
            for f, d in zip(self.pay_faulty.tolist(), self.pay_down.tolist(), strict=True)
        ]

    def rows(self) -> Iterator[Row]:
        for k, d in enumerate(self.districts):
            served = self.served[k]
            values = {
                "requests": float(round(len(self.requested[k]) * 3600.0 / max(60.0, min(WINDOW_S, self.s)))),
                "waiting": float(len(self.waiting[k])),
                "abandoned": float(len(self.gave_up[k])),
            }
            if served:
                values["wait_min"] = round(sum(w for _, w in served) / len(served) / 60.0, 1)
            yield d.id, values, {"name_fa": d.name_fa, "name_en": d.name_en, "district": d.id}, None, None
