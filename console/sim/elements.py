"""Traffic elements: signal controllers at intersections, cameras and counting loops on segments.

Each element draws its power from the nearest substation: when that substation trips (a scenario's
`power_outage`), signals with a UPS run on battery for 20-40 minutes and then go dark, the others
(and every camera and counter) go offline at once. Cameras, counters and signal controllers report
to the centre over the mobile network, so a `telecom_outage` takes the affected ones offline too,
and an earthquake damages a share of the elements near its epicentre. On a calm day all are online.

Published on `traffic/element` (TrafficElement) every 10 s: `values` {online: 1|0, and for counters
count (vehicles per 5 minutes) and speed (km/h) while online}; `attrs` {kind: signal|camera|counter,
status: online|on_battery|offline|fault, reason: power|network|damage (when not online), segment,
node (signals), ups (signals), name_fa, name_en, district}.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from console.geo import haversine_m_np
from console.sim.effects import EffectState
from console.sim.graph import RoadGraph
from console.sim.sensors import Row, Traffic

_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
MAJOR = ("ring", "arterial")
DAMAGE_RADIUS_M = 1800.0
DAMAGE_SHARE = 0.35


class TrafficElements:
    def __init__(self, graph: RoadGraph, substations: list[dict], rng: np.random.Generator):
        self.g = graph
        self.rng = rng
        kinds: list[str] = []
        seg: list[int] = []
        node: list[int] = []
        # signals: intersections where a ring or arterial road meets another named road
        for n in range(len(graph.node_ids)):
            roads = [ri for _, ri in graph.adj[n]]
            names = {graph.roads[ri].name_en for ri in roads}
            if len(roads) >= 3 and len(names) >= 2 and any(graph.road_cls[ri] in MAJOR for ri in roads):
                kinds.append("signal")
                seg.append(max(roads, key=lambda ri: (graph.road_cls[ri] in MAJOR, -ri)))
                node.append(n)
        major = [ri for ri, c in enumerate(graph.road_cls) if c in MAJOR]
        for ri in sorted(rng.choice(major, size=min(30, len(major)), replace=False).tolist()):
            kinds.append("camera")
            seg.append(ri)
            node.append(-1)
        for ri in sorted(
            rng.choice(len(graph.roads), size=min(40, len(graph.roads)), replace=False).tolist()
        ):
            kinds.append("counter")
            seg.append(ri)
            node.append(-1)
        self.n = len(kinds)
        self.kind = kinds
        self.seg = np.array(seg, dtype=np.int64)
        self.node = node
        self.lat = np.array(
            [graph.lat[nd] if nd >= 0 else graph.road_mid_lat[s] for nd, s in zip(node, seg, strict=True)]
        )
        self.lon = np.array(
            [graph.lon[nd] if nd >= 0 else graph.road_mid_lon[s] for nd, s in zip(node, seg, strict=True)]
        )
        counters = {"signal": 0, "camera": 0, "counter": 0}
        prefix = {"signal": "sig", "camera": "cam", "counter": "cnt"}
        self.ids: list[str] = []
        for k in kinds:
            counters[k] += 1
            self.ids.append(f"{prefix[k]}-{counters[k]:03d}")
        self.ups = np.array([k == "signal" for k in kinds]) & (rng.random(self.n) < 0.4)
        self.battery_s = rng.uniform(1200.0, 2400.0, self.n)
        self.u_net = rng.random(self.n)  # stable per element: who loses the network first
        self.u_damage = rng.random(self.n)
        if substations:
            sub_lat = np.array([p["lat"] for p in substations])
            sub_lon = np.array([p["lon"] for p in substations])
            self.feeder = np.array(
                [
                    int(np.argmin(haversine_m_np(la, lo, sub_lat, sub_lon)))
                    for la, lo in zip(self.lat, self.lon, strict=False)
                ]
            )
        else:
            self.feeder = np.full(self.n, -1)
        self.unpowered_since = np.full(self.n, np.inf)  # simulated second the grid power went
        self.status = ["online"] * self.n
        self.reason = [""] * self.n
        self._traffic: Traffic | None = None

    def update(self, s: float, fx: EffectState, traffic: Traffic) -> None:
        self._traffic = traffic
        no_grid = np.zeros(self.n, dtype=bool)
        if fx.outage is not None:
            fed = self.feeder >= 0
            no_grid[fed] = fx.outage[self.feeder[fed]]
        self.unpowered_since = np.where(no_grid, np.minimum(self.unpowered_since, s), np.inf)
        on_battery = no_grid & self.ups & (s - self.unpowered_since < self.battery_s)
        net_down = fx.telecom_down(self.lat, self.lon, self.u_net)
        damaged = np.zeros(self.n, dtype=bool)
        if fx.quake is not None:
            qlat, qlon, mag = fx.quake
            near = haversine_m_np(qlat, qlon, self.lat, self.lon) <= DAMAGE_RADIUS_M * max(0.5, mag - 4.6)
            damaged = near & (self.u_damage < DAMAGE_SHARE)
        for i in range(self.n):
            if damaged[i]:
                self.status[i], self.reason[i] = "fault", "damage"
            elif no_grid[i] and not on_battery[i]:
                self.status[i], self.reason[i] = "offline", "power"
            elif net_down[i]:
                self.status[i], self.reason[i] = "offline", "network"
            elif no_grid[i]:
                self.status[i], self.reason[i] = "on_battery", "power"
            else:
                self.status[i], self.reason[i] = "online", ""

    def rows(self) -> Iterator[Row]:
        g = self.g
        traffic = self._traffic
        for i in range(self.n):
            road = g.roads[int(self.seg[i])]
            status = self.status[i]
            online = status in ("online", "on_battery")
            values = {"online": 1.0 if online else 0.0}
            kind = self.kind[i]
            if kind == "counter" and online and traffic is not None:
                values["count"] = float(round(traffic.flow[self.seg[i]] / 12.0))
                values["speed"] = float(round(traffic.speed[self.seg[i]]))
            n = int(self.ids[i].rsplit("-", 1)[1])
            label_fa = {"signal": "چراغ راهنمایی", "camera": "دوربین", "counter": "شمارشگر"}[kind]
            label_en = {"signal": "Signal", "camera": "Camera", "counter": "Counter"}[kind]
            attrs = {
                "kind": kind,
                "status": status,
                "segment": road.id,
                "name_fa": f"{label_fa} {str(n).translate(_FA_DIGITS)} — {road.name_fa}",
                "name_en": f"{label_en} {n} — {road.name_en}",
                "district": road.district,
            }
            if self.reason[i]:
                attrs["reason"] = self.reason[i]
            if kind == "signal":
                attrs["node"] = int(g.node_ids[self.node[i]])
                attrs["ups"] = bool(self.ups[i])
            yield (self.ids[i], values, attrs, round(float(self.lat[i]), 6), round(float(self.lon[i]), 6))
