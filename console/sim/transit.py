"""What the bus operator's systems add to AVL positions: the route catalogue, the timetable's
schedule deviation of every bus, and on-board Wi-Fi.

- `transit/route` (TransitRoute), every 60 s: one reading per route: values {length_m, stops,
  buses (assigned), run_time_s (one way, as timetabled for this hour), headway_s (timetabled, when
  the route has buses)}; attrs {name_fa, name_en, shape: [[lon, lat], ...], from_node, to_node}.
- Bus readings (`vehicle/bus`) gain values {delay (s, + late)} and attrs {dir (1 outbound, -1
  inbound), route_m (distance along the route from its first node), wifi: online|offline}.

Wi-Fi routers: about 2% are faulty on any day; a `telecom_outage` takes the affected ones offline.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from console.sim.effects import EffectState
from console.sim.fleet import BUS, LAYOVER_S, SCHEDULE_SPEED, STOP_ALLOWANCE_S, Fleet
from console.sim.graph import RoadGraph
from console.sim.sensors import Row

WIFI_FAULTY_SHARE = 0.02


class BusNetwork:
    def __init__(self, fleet: Fleet, graph: RoadGraph, rng: np.random.Generator):
        self.fleet = fleet
        self.g = graph
        self.buses = np.flatnonzero(fleet.kind == BUS)
        n = len(self.buses)
        self.u_wifi = rng.random(n)
        self.wifi_faulty = rng.random(n) < WIFI_FAULTY_SHARE
        self.wifi_down = self.wifi_faulty.copy()
        self.shapes = [
            [[round(float(graph.lon[nd]), 6), round(float(graph.lat[nd]), 6)] for nd in r.nodes]
            for r in fleet.routes
        ]

    def update(self, fx: EffectState, lat: np.ndarray, lon: np.ndarray) -> None:
        b = self.buses
        self.wifi_down = self.wifi_faulty | fx.telecom_down(lat[b], lon[b], self.u_wifi)

    def extras(self, idx: np.ndarray) -> tuple[list[dict[str, float]], list[dict[str, object]]]:
        """(values, attrs) the bus readings of fleet indices `idx` (all buses, in order) gain."""
        f = self.fleet
        delay = np.rint(f.delay[idx]).tolist()
        dirs = f.route_dir[idx].tolist()
        route_m = np.rint(f.route_m[idx]).astype(np.int64).tolist()
        wifi = ["offline" if d else "online" for d in self.wifi_down.tolist()]
        values = [{"delay": d} for d in delay]
        attrs = [{"dir": d, "route_m": m, "wifi": w} for d, m, w in zip(dirs, route_m, wifi, strict=True)]
        return values, attrs

    def route_rows(self, schedule_kmh: np.ndarray) -> Iterator[Row]:
        f, g = self.fleet, self.g
        assigned = np.bincount(f.route[self.buses], minlength=len(f.routes)) if len(self.buses) else None
        for r, route in enumerate(f.routes):
            roads = [g.edge[(u, v)] for u, v in zip(route.nodes, route.nodes[1:], strict=False)]
            speed_ms = schedule_kmh[roads] * SCHEDULE_SPEED / 3.6
            run = float(np.sum(g.length_m[roads] / np.maximum(speed_ms, 0.5)))
            run += STOP_ALLOWANCE_S * (len(route.nodes) - 2)
            values = {
                "length_m": float(round(route.length_m)),
                "stops": float(len(route.nodes)),
                "run_time_s": float(round(run)),
                "buses": float(assigned[r]) if assigned is not None else 0.0,
            }
            if values["buses"] > 0:
                values["headway_s"] = float(round((2.0 * run + 2.0 * LAYOVER_S) / values["buses"]))
            attrs = {
                "name_fa": route.name_fa,
                "name_en": route.name_en,
                "shape": self.shapes[r],
                "from_node": int(g.node_ids[route.nodes[0]]),
                "to_node": int(g.node_ids[route.nodes[-1]]),
            }
            yield route.id, values, attrs, None, None
