"""Travel distance and time to a place over the city's road graph (Qt-free).

One Dijkstra from the target over the (undirected) road graph gives the quickest time and its
distance from every graph node; a vehicle joins the graph at its nearest node. Each segment runs at
its live speed when the traffic feed has a fresh one, otherwise at its limit times a free-flow
factor; the short legs off the graph (vehicle → node, node → target) are straight lines at an
access speed. The result says which it used, so a screen can label it honestly.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from console.geo import haversine_m_np


@dataclass(frozen=True)
class RoutingParams:
    free_flow_factor: float = 0.8  # speed on a segment without live data: limit × this
    min_speed_kmh: float = 5.0  # a jammed segment is slow, never impassable
    access_speed_kmh: float = 20.0  # off-graph legs, straight line


@dataclass(frozen=True)
class Tree:
    """Quickest times (s) and their distances (m) from every node to the target."""

    target: tuple[float, float]
    node: int  # index of the target's node
    time_s: np.ndarray
    dist_m: np.ndarray
    egress_m: float
    live_segments: int
    segments: int


class RoadRouter:
    def __init__(self, city, params: RoutingParams | None = None):
        self.params = params or RoutingParams()
        ids = sorted(city.nodes)
        self.node_ids = ids
        index = {nid: i for i, nid in enumerate(ids)}
        self.lat = np.array([city.nodes[n].lat for n in ids])
        self.lon = np.array([city.nodes[n].lon for n in ids])
        self.edges: list[list[tuple[int, int]]] = [[] for _ in ids]  # node -> [(other node, road index)]
        self.road_ids = [r.id for r in city.roads]
        self.length_m = np.array([r.length_m for r in city.roads])
        self.limit_kmh = np.array([r.speed_limit_kmh for r in city.roads])
        for k, r in enumerate(city.roads):
            a, b = index[r.a], index[r.b]
            self.edges[a].append((b, k))
            self.edges[b].append((a, k))

    def nearest_node(self, lat: float, lon: float) -> tuple[int, float]:
        d = haversine_m_np(lat, lon, self.lat, self.lon)
        i = int(np.argmin(d))
        return i, float(d[i])

    def nearest_nodes(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For many points: (node index, metres to it), vectorised over an equirectangular plane."""
        k = math.cos(math.radians(float(np.mean(self.lat))))
        dx = (lon[:, None] - self.lon[None, :]) * k
        dy = lat[:, None] - self.lat[None, :]
        d2 = dx * dx + dy * dy
        idx = np.argmin(d2, axis=1)
        return idx, np.sqrt(d2[np.arange(len(lat)), idx]) * 111_195.0

    def speeds(self, live_kmh: dict[str, float]) -> tuple[np.ndarray, int]:
        """Segment speeds (km/h): live where known, else limit × free-flow factor; and how many were live."""
        p = self.params
        v = self.limit_kmh * p.free_flow_factor
        live = 0
        for k, rid in enumerate(self.road_ids):
            s = live_kmh.get(rid)
            if s is not None and s == s:
                v[k] = s
                live += 1
        return np.maximum(v, p.min_speed_kmh), live

    def tree(self, lat: float, lon: float, live_kmh: dict[str, float] | None = None) -> Tree:
        speed, live = self.speeds(live_kmh or {})
        seconds = self.length_m / (speed / 3.6)
        start, egress = self.nearest_node(lat, lon)
        n = len(self.node_ids)
        time_s = np.full(n, np.inf)
        dist_m = np.full(n, np.inf)
        time_s[start], dist_m[start] = 0.0, 0.0
        heap = [(0.0, start)]
        while heap:
            t, u = heapq.heappop(heap)
            if t > time_s[u]:
                continue
            for v, k in self.edges[u]:
                nt = t + seconds[k]
                if nt < time_s[v]:
                    time_s[v] = nt
                    dist_m[v] = dist_m[u] + self.length_m[k]
                    heapq.heappush(heap, (nt, v))
        return Tree((lat, lon), start, time_s, dist_m, egress, live, len(self.road_ids))

    def route(self, tree: Tree, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(metres, seconds) from each point to the tree's target; inf where the graph does not connect."""
        access = self.params.access_speed_kmh / 3.6
        node, access_m = self.nearest_nodes(np.asarray(lat, float), np.asarray(lon, float))
        metres = access_m + tree.dist_m[node] + tree.egress_m
        seconds = (access_m + tree.egress_m) / access + tree.time_s[node]
        return metres, seconds


def straight_line(lat: float, lon: float, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    return haversine_m_np(lat, lon, np.asarray(lat2, float), np.asarray(lon2, float))
