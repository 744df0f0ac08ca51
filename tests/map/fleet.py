"""Generated entity Readings for map tests and the map benchmark (test data, clearly labelled).

`Fleet` moves N vehicles along the city's road graph (vectorised: each vehicle runs along one
road at its own speed and turns onto a neighbouring road at the end), and produces the Readings a
live AVL feed would publish on vehicle/bus|taxi|service. `segment_readings` and `air_readings`
give traffic-segment speeds and air-quality stations at the city's fixed places.
"""

from __future__ import annotations

import math

import numpy as np

from console.city import City
from console.model import Reading

FLEETS = ("bus", "taxi", "service")
SOURCE = "test-fleet"


class Fleet:
    def __init__(self, city: City, n: int, seed: int = 7, source: str = SOURCE):
        self.city = city
        self.n = n
        self.source = source
        self.rng = np.random.default_rng(seed)
        self.roads = city.roads
        self.node_ids = {nid: i for i, nid in enumerate(city.nodes)}
        self.node_lat = np.array([city.nodes[nid].lat for nid in city.nodes])
        self.node_lon = np.array([city.nodes[nid].lon for nid in city.nodes])
        self.road_a = np.array([self.node_ids[r.a] for r in self.roads])
        self.road_b = np.array([self.node_ids[r.b] for r in self.roads])
        self.road_len = np.array([max(1.0, r.length_m) for r in self.roads])
        self.neigh = {}
        for i, r in enumerate(self.roads):
            self.neigh.setdefault(self.node_ids[r.a], []).append(i)
            self.neigh.setdefault(self.node_ids[r.b], []).append(i)
        self.road = self.rng.integers(0, len(self.roads), n)
        self.forward = self.rng.random(n) < 0.5
        self.progress = self.rng.random(n)
        self.speed = self.rng.uniform(15, 55, n)  # km/h
        self.fleet = self.rng.choice(len(FLEETS), n, p=[0.25, 0.55, 0.2])
        self.ids = [f"{FLEETS[f]}-{i:05d}" for i, f in enumerate(self.fleet)]
        self.seq = 0

    def step(self, dt_s: float) -> None:
        self.progress += self.speed / 3.6 * dt_s / self.road_len[self.road]
        done = np.flatnonzero(self.progress >= 1.0)
        for i in done:
            end = self.road_b[self.road[i]] if self.forward[i] else self.road_a[self.road[i]]
            choices = self.neigh[end]
            nxt = choices[int(self.rng.integers(len(choices)))]
            self.road[i] = nxt
            self.forward[i] = self.road_a[nxt] == end
            self.progress[i] = 0.0

    def positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = np.where(self.forward, self.road_a[self.road], self.road_b[self.road])
        b = np.where(self.forward, self.road_b[self.road], self.road_a[self.road])
        f = np.clip(self.progress, 0, 1)
        lat = self.node_lat[a] + f * (self.node_lat[b] - self.node_lat[a])
        lon = self.node_lon[a] + f * (self.node_lon[b] - self.node_lon[a])
        dy = self.node_lat[b] - self.node_lat[a]
        dx = (self.node_lon[b] - self.node_lon[a]) * math.cos(math.radians(self.city.center[0]))
        heading = (np.degrees(np.arctan2(dx, dy)) + 360.0) % 360.0
        return lat, lon, heading

    def readings(self, t_ns: int, which: np.ndarray | slice | None = None) -> dict[str, list[Reading]]:
        """Readings of the vehicles `which` (default all), grouped by topic."""
        lat, lon, heading = self.positions()
        idx = np.arange(self.n)[which] if which is not None else np.arange(self.n)
        out: dict[str, list[Reading]] = {f"vehicle/{f}": [] for f in FLEETS}
        for i in idx.tolist():
            self.seq += 1
            out[f"vehicle/{FLEETS[self.fleet[i]]}"].append(
                Reading(
                    source=self.source,
                    seq=self.seq,
                    topic=f"vehicle/{FLEETS[self.fleet[i]]}",
                    entity=self.ids[i],
                    etype="Vehicle",
                    t=t_ns,
                    values={"speed": float(self.speed[i]), "heading": float(heading[i])},
                    attrs={"route": f"R{i % 40 + 1}", "status": "in_service"},
                    lat=float(lat[i]),
                    lon=float(lon[i]),
                )
            )
        return out


def segment_readings(
    city: City, t_ns: int, rng: np.random.Generator, source: str = "test-traffic"
) -> list[Reading]:
    out = []
    for i, r in enumerate(city.roads):
        speed = float(r.speed_limit_kmh * rng.uniform(0.05, 1.0))
        out.append(
            Reading(
                source=source,
                seq=i,
                topic="traffic/segment",
                entity=r.id,
                etype="TrafficFlowObserved",
                t=t_ns,
                values={"speed": speed, "flow": float(rng.uniform(100, 2500))},
            )
        )
    return out


def air_readings(city: City, t_ns: int, rng: np.random.Generator, source: str = "test-air") -> list[Reading]:
    out = []
    for i, p in enumerate(city.places["air"]):
        aqi = float(rng.uniform(20, 260))
        out.append(
            Reading(
                source=source,
                seq=i,
                topic="air/station",
                entity=p["id"],
                etype="AirQualityObserved",
                t=t_ns,
                values={"aqi": aqi, "pm25": aqi * 0.4},
                lat=p["lat"],
                lon=p["lon"],
            )
        )
    return out


def vehicle(
    entity: str,
    lat: float,
    lon: float,
    t_ns: int,
    *,
    fleet: str = "bus",
    heading: float = 0.0,
    speed: float = 30.0,
    status: str = "in_service",
    source: str = SOURCE,
    seq: int = 1,
) -> Reading:
    return Reading(
        source=source,
        seq=seq,
        topic=f"vehicle/{fleet}",
        entity=entity,
        etype="Vehicle",
        t=t_ns,
        values={"speed": speed, "heading": heading},
        attrs={"status": status},
        lat=lat,
        lon=lon,
    )


__all__ = ["FLEETS", "Fleet", "air_readings", "segment_readings", "vehicle"]
