"""The city's road graph as dense numpy arrays, plus shortest paths (bus routes follow them)."""

from __future__ import annotations

import heapq

import numpy as np

from console.city import City

# Bus lines keep this far clear of a no-bus zone's edge (a bus on a road grazing it would be inside).
NO_BUS_MARGIN_M = 50.0


class RoadGraph:
    def __init__(self, city: City):
        self.city = city
        self.node_ids = sorted(city.nodes)
        self.index = {nid: i for i, nid in enumerate(self.node_ids)}
        self.lat = np.array([city.nodes[n].lat for n in self.node_ids])
        self.lon = np.array([city.nodes[n].lon for n in self.node_ids])
        self.roads = list(city.roads)
        self.road_index = {r.id: i for i, r in enumerate(self.roads)}
        self.road_a = np.array([self.index[r.a] for r in self.roads])
        self.road_b = np.array([self.index[r.b] for r in self.roads])
        self.length_m = np.array([max(r.length_m, 20.0) for r in self.roads])
        self.limit_kmh = np.array([r.speed_limit_kmh for r in self.roads])
        self.lanes = np.array([r.lanes for r in self.roads])
        self.road_cls = [r.cls for r in self.roads]
        self.adj: list[list[tuple[int, int]]] = [[] for _ in self.node_ids]  # node -> [(neighbour, road)]
        for ri, r in enumerate(self.roads):
            a, b = self.index[r.a], self.index[r.b]
            self.adj[a].append((b, ri))
            self.adj[b].append((a, ri))
        self.edge: dict[tuple[int, int], int] = {}
        for a, lst in enumerate(self.adj):
            for b, ri in lst:
                self.edge[(a, b)] = ri
        # roads through the city's no-bus zones (the shrine's pedestrian precinct): routes and detours avoid them
        self.no_bus: frozenset[int] = frozenset(
            self.road_index[r] for r in city.no_bus_roads(NO_BUS_MARGIN_M)
        )
        self.road_mid_lat = (self.lat[self.road_a] + self.lat[self.road_b]) / 2
        self.road_mid_lon = (self.lon[self.road_a] + self.lon[self.road_b]) / 2

    def shortest_path(self, src: int, dst: int, avoid: set[int] | frozenset[int] | None = None) -> list[int]:
        """Node indices from src to dst by length; roads in `avoid` are not used ([] if no way)."""
        dist = {src: 0.0}
        prev: dict[int, int] = {}
        heap = [(0.0, src)]
        while heap:
            d, u = heapq.heappop(heap)
            if u == dst:
                break
            if d > dist.get(u, float("inf")):
                continue
            for v, ri in self.adj[u]:
                if avoid and ri in avoid:
                    continue
                nd = d + float(self.length_m[ri])
                if nd < dist.get(v, float("inf")):
                    dist[v] = nd
                    prev[v] = u
                    heapq.heappush(heap, (nd, v))
        if dst not in dist:
            return []
        path = [dst]
        while path[-1] != src:
            path.append(prev[path[-1]])
        return path[::-1]

    def adjacent_roads(self, road: int, hops: int) -> set[int]:
        """Roads within `hops` shared nodes of `road` (the road itself included)."""
        found = {road}
        frontier = {int(self.road_a[road]), int(self.road_b[road])}
        for _ in range(hops):
            nxt: set[int] = set()
            for node in frontier:
                for other, ri in self.adj[node]:
                    if ri not in found:
                        found.add(ri)
                        nxt.add(other)
            frontier = nxt
        return found

    def headings(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Compass bearing (degrees) from node a to node b, vectorised (flat-earth, fine within a city)."""
        dlat = self.lat[b] - self.lat[a]
        dlon = (self.lon[b] - self.lon[a]) * np.cos(np.radians(self.lat[a]))
        return (np.degrees(np.arctan2(dlon, dlat)) + 360.0) % 360.0
