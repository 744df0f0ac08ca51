"""Vehicles moving along the road graph: buses on fixed routes, taxis and service vehicles roaming.

State lives in numpy arrays; each step moves every vehicle along its current road at a speed that
follows the road's current traffic speed, and only vehicles reaching a node go through Python to
pick their next road. Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from console.sim.graph import RoadGraph

BUS, TAXI, SERVICE = 0, 1, 2
KIND_NAMES = ("bus", "taxi", "service")
DEFAULT_SPLIT = (300, 1000, 100)  # of 1,400: the minimum fleet
SERVICE_TASKS = ("waste", "street-cleaning", "road-maintenance", "green-space", "water-network")
_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def split_fleet(total: int) -> tuple[int, int, int]:
    """Buses, taxis, service vehicles for a total (the default ratio 300 : 1000 : 100)."""
    if total <= 0:
        return 0, 0, 0
    whole = sum(DEFAULT_SPLIT)
    bus = max(1, round(total * DEFAULT_SPLIT[0] / whole))
    service = max(0, round(total * DEFAULT_SPLIT[2] / whole))
    taxi = max(0, total - bus - service)
    return bus, taxi, service


@dataclass(frozen=True)
class Route:
    id: str
    name_fa: str
    name_en: str
    nodes: tuple[int, ...]  # dense node indices


def make_routes(graph: RoadGraph, count: int, rng: np.random.Generator) -> list[Route]:
    """Bus routes: shortest paths between distant nodes (radial, cross-town and ring-ish lines)."""
    n = len(graph.node_ids)
    routes: list[Route] = []
    tries = 0
    while len(routes) < count and tries < count * 50:
        tries += 1
        a, b = (int(x) for x in rng.choice(n, 2, replace=False))
        dist = np.hypot(graph.lat[a] - graph.lat[b], (graph.lon[a] - graph.lon[b]) * 0.82) * 111_000
        if dist < 4000:
            continue
        path = graph.shortest_path(a, b)
        if len(path) < 5:
            continue
        k = len(routes) + 1
        routes.append(Route(f"R{k:02d}", f"خط {str(k).translate(_FA_DIGITS)}", f"Line {k}", tuple(path)))
    return routes


class Fleet:
    def __init__(self, graph: RoadGraph, counts: tuple[int, int, int], rng: np.random.Generator):
        self.g = graph
        self.rng = rng
        n_bus, n_taxi, n_service = counts
        self.count = n = n_bus + n_taxi + n_service
        self.kind = np.array([BUS] * n_bus + [TAXI] * n_taxi + [SERVICE] * n_service, dtype=np.int8)
        prefix = {BUS: "bus", TAXI: "taxi", SERVICE: "svc"}
        counters = {BUS: 0, TAXI: 0, SERVICE: 0}
        self.ids: list[str] = []
        for k in self.kind.tolist():
            counters[k] += 1
            self.ids.append(f"{prefix[k]}-{counters[k]:04d}")
        self.routes = make_routes(graph, max(30, n_bus // 10) if n_bus else 0, rng)
        self.route = np.full(n, -1, dtype=np.int32)
        self.route_pos = np.zeros(n, dtype=np.int32)
        self.route_dir = np.ones(n, dtype=np.int8)
        self.a = np.zeros(n, dtype=np.int32)
        self.b = np.zeros(n, dtype=np.int32)
        self.road = np.zeros(n, dtype=np.int32)
        self.progress = np.zeros(n)
        self.speed = np.zeros(n)  # km/h
        self.dwell = np.zeros(n)  # s left standing at a stop
        self.occupancy = np.zeros(n)
        self.hired = np.zeros(n, dtype=bool)
        self.task = [""] * n
        self.factor = np.where(self.kind == BUS, 0.85, np.where(self.kind == TAXI, 1.05, 0.7))
        self.factor = self.factor * rng.uniform(0.9, 1.1, n)
        for i in range(n):
            self._place(i)
        self.occupancy[self.kind == BUS] = rng.uniform(10, 70, int((self.kind == BUS).sum()))
        self.hired[self.kind == TAXI] = rng.random(int((self.kind == TAXI).sum())) < 0.45
        for i in np.flatnonzero(self.kind == SERVICE).tolist():
            self.task[i] = SERVICE_TASKS[int(rng.integers(len(SERVICE_TASKS)))]

    def _place(self, i: int) -> None:
        rng = self.rng
        if self.kind[i] == BUS and self.routes:
            r = int(rng.integers(len(self.routes)))
            nodes = self.routes[r].nodes
            pos = int(rng.integers(len(nodes) - 1))
            self.route[i], self.route_pos[i] = r, pos + 1
            self.route_dir[i] = 1
            a, b = nodes[pos], nodes[pos + 1]
        else:
            a = int(rng.integers(len(self.g.node_ids)))
            b, _ = self.g.adj[a][int(rng.integers(len(self.g.adj[a])))]
        self.a[i], self.b[i] = a, b
        ri = self.g.edge[(a, b)]
        self.road[i] = ri
        self.progress[i] = rng.uniform(0, self.g.length_m[ri])

    # -- motion -------------------------------------------------------------------------------------
    def step(self, dt: float, road_speed_kmh: np.ndarray) -> None:
        rng = self.rng
        n = self.count
        if not n:
            return
        target = road_speed_kmh[self.road] * self.factor * rng.uniform(0.92, 1.08, n)
        self.speed += (target - self.speed) * min(1.0, 0.35 * dt)
        standing = self.dwell > 0
        self.dwell = np.maximum(0.0, self.dwell - dt)
        moving_speed = np.where(standing, 0.0, self.speed)
        self.progress += moving_speed / 3.6 * dt
        length = self.g.length_m[self.road]
        for i in np.flatnonzero(self.progress >= length).tolist():
            self._advance(i)
        # passengers and hires drift slowly
        buses = self.kind == BUS
        if buses.any():
            self.occupancy[buses] = np.clip(
                self.occupancy[buses] + rng.normal(0, 1.5 * dt, int(buses.sum())), 0, 100
            )
        taxis = self.kind == TAXI
        if taxis.any():
            flip = rng.random(int(taxis.sum())) < 0.004 * dt
            idx = np.flatnonzero(taxis)[flip]
            self.hired[idx] = ~self.hired[idx]

    def _advance(self, i: int) -> None:
        g = self.g
        while self.progress[i] >= g.length_m[self.road[i]]:
            self.progress[i] -= g.length_m[self.road[i]]
            a, b = int(self.a[i]), int(self.b[i])
            if self.kind[i] == BUS and self.route[i] >= 0:
                nodes = self.routes[self.route[i]].nodes
                pos = int(self.route_pos[i]) + int(self.route_dir[i])
                if pos < 0 or pos >= len(nodes):  # terminus: turn round
                    self.route_dir[i] = -self.route_dir[i]
                    pos = int(self.route_pos[i]) + int(self.route_dir[i])
                    self.dwell[i] = self.rng.uniform(20, 60)
                elif self.rng.random() < 0.35:  # a stop
                    self.dwell[i] = self.rng.uniform(8, 25)
                self.route_pos[i] = pos
                nxt = nodes[pos]
            else:
                options = [v for v, _ in g.adj[b] if v != a] or [a]
                nxt = options[int(self.rng.integers(len(options)))]
                if self.kind[i] == SERVICE and self.rng.random() < 0.2:
                    self.dwell[i] = self.rng.uniform(10, 40)
            self.a[i], self.b[i] = b, nxt
            self.road[i] = g.edge[(b, nxt)]

    # -- output -------------------------------------------------------------------------------------
    def positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g = self.g
        frac = np.clip(self.progress / g.length_m[self.road], 0.0, 1.0)
        lat = g.lat[self.a] + (g.lat[self.b] - g.lat[self.a]) * frac
        lon = g.lon[self.a] + (g.lon[self.b] - g.lon[self.a]) * frac
        return lat, lon, g.headings(self.a, self.b)

    def displayed_speed(self) -> np.ndarray:
        return np.where(self.dwell > 0, 0.0, self.speed)
