"""Vehicles moving along the road graph: buses on fixed routes, taxis and service vehicles roaming.

State lives in numpy arrays; each step moves every vehicle along its current road at a speed that
follows the road's current traffic speed, and only vehicles reaching a node go through Python to
pick their next road. Deterministic for a seed.

Buses keep a timetable: they start evenly spread over their route's cycle, and their schedule
deviation (`delay`, s, + late) grows when they run slower than the timetable's speed for the hour
and shrinks at termini (layover recovery) and at stops (an early bus holds). A bus whose next road
is blocked (accident, full closure) takes a detour and rejoins its route after the blockage.
Service vehicles can be sent to a node (`send`) and wait there (`held`) until released.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from console.sim.graph import RoadGraph
from console.sim.sensors import Traffic

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


# The timetable: what a bus is planned to do (see the module docstring).
STOP_CHANCE = 0.35  # a node is a served stop this often
STOP_DWELL_S = (8.0, 25.0)
STOP_ALLOWANCE_S = 6.0  # planned dwell per node (STOP_CHANCE x mean dwell)
LAYOVER_S = 45.0  # planned turn-round time at a terminus
MIN_LAYOVER_S = 5.0
HOLD_EARLY_S = 30.0  # an earlier bus holds at the stop
MAX_HOLD_S = 120.0
SCHEDULE_SPEED = 0.85 * 0.93  # timetable speed relative to traffic (bus factor, 7% slack)
MAX_START_OFF_S = 400.0  # the start's slot jitter (±15% of a headway) is at most ±60 s off the timetable


@dataclass(frozen=True)
class Route:
    id: str
    name_fa: str
    name_en: str
    nodes: tuple[int, ...]  # dense node indices
    cum_m: tuple[float, ...] = ()  # distance along the route from its first node to each node

    @property
    def length_m(self) -> float:
        return self.cum_m[-1] if self.cum_m else 0.0


def make_routes(graph: RoadGraph, count: int, rng: np.random.Generator) -> list[Route]:
    """Bus routes: shortest paths between distant nodes (radial, cross-town and ring-ish lines), round
    the city's no-bus zones."""
    n = len(graph.node_ids)
    routes: list[Route] = []
    tries = 0
    while len(routes) < count and tries < count * 50:
        tries += 1
        a, b = (int(x) for x in rng.choice(n, 2, replace=False))
        dist = np.hypot(graph.lat[a] - graph.lat[b], (graph.lon[a] - graph.lon[b]) * 0.82) * 111_000
        if dist < 4000:
            continue
        path = graph.shortest_path(a, b, avoid=graph.no_bus)
        if len(path) < 5:
            continue
        k = len(routes) + 1
        cum = [0.0]
        for u, v in itertools.pairwise(path):
            cum.append(cum[-1] + float(graph.length_m[graph.edge[(u, v)]]))
        routes.append(
            Route(f"R{k:02d}", f"خط {str(k).translate(_FA_DIGITS)}", f"Line {k}", tuple(path), tuple(cum))
        )
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
        self.held = np.zeros(n, dtype=bool)  # standing still: broken down, or a crew at its site
        self.delay = np.zeros(n)  # buses: schedule deviation, s (+ late)
        self.route_m = np.zeros(n)  # buses: distance along the route from its first node
        self.detour: dict[int, list[int]] = {}  # bus -> nodes still to drive off its route
        self.rejoin: dict[int, int] = {}  # bus -> route position it rejoins at
        self.plan: dict[int, list[int]] = {}  # service vehicle -> nodes still to drive to its target
        self._blocked: set[int] = set()
        self.factor = np.where(self.kind == BUS, 0.85, np.where(self.kind == TAXI, 1.05, 0.7))
        self.factor = self.factor * rng.uniform(0.9, 1.1, n)
        width = max((len(r.cum_m) for r in self.routes), default=1)
        self._cum = np.array(
            [list(r.cum_m) + [r.length_m] * (width - len(r.cum_m)) for r in self.routes] or [[0.0]]
        )
        self._len = np.array([r.length_m for r in self.routes] or [0.0])
        self._place_buses(np.flatnonzero(self.kind == BUS).tolist())
        for i in np.flatnonzero(self.kind != BUS).tolist():
            self._place(i)
        self.occupancy[self.kind == BUS] = rng.uniform(10, 70, int((self.kind == BUS).sum()))
        self.hired[self.kind == TAXI] = rng.random(int((self.kind == TAXI).sum())) < 0.45
        for i in np.flatnonzero(self.kind == SERVICE).tolist():
            self.task[i] = SERVICE_TASKS[int(rng.integers(len(SERVICE_TASKS)))]

    def _place(self, i: int) -> None:
        rng = self.rng
        a = int(rng.integers(len(self.g.node_ids)))
        b, _ = self.g.adj[a][int(rng.integers(len(self.g.adj[a])))]
        self.a[i], self.b[i] = a, b
        ri = self.g.edge[(a, b)]
        self.road[i] = ri
        self.progress[i] = rng.uniform(0, self.g.length_m[ri])

    def _place_buses(self, buses: list[int]) -> None:
        """Round-robin over the routes; `lay_out` spreads each route's buses over its cycle."""
        if not self.routes:
            for i in buses:
                self._place(i)
            return
        self._slots: dict[int, list[tuple[int, float]]] = {}  # route -> [(bus, jitter in headways)]
        for j, i in enumerate(buses):
            self.route[i] = j % len(self.routes)
            self._slots.setdefault(j % len(self.routes), []).append((i, float(self.rng.uniform(-0.15, 0.15))))
        self.lay_out(None)

    def lay_out(self, schedule_kmh: np.ndarray | None) -> None:
        """Put every bus one timetabled headway after the one ahead on its route's cycle (out,
        layover, back, layover), give or take a little, and set its schedule deviation to match.
        With `schedule_kmh` (the timetable's speed per road) the timing is the timetable's own;
        without, an estimate from the speed limits. Called again when the clock is set (World.rebase)."""
        g = self.g
        for r, members in getattr(self, "_slots", {}).items():
            nodes = self.routes[r].nodes
            roads = [g.edge[(u, v)] for u, v in itertools.pairwise(nodes)]
            if schedule_kmh is None:
                sens = np.array([Traffic.CLASS_SENSITIVITY.get(g.road_cls[ri], 0.4) for ri in roads])
                planned_kmh = g.limit_kmh[roads] * (1.0 - 0.3 * sens)
            else:
                planned_kmh = schedule_kmh[roads]
            t_road = (
                g.length_m[roads] / np.maximum(planned_kmh * SCHEDULE_SPEED / 3.6, 0.5) + STOP_ALLOWANCE_S
            )
            one_way = float(t_road.sum())
            headway = 2.0 * (one_way + LAYOVER_S) / len(members)
            # off its slot by a share of the headway, but never by more than a street's worth of
            # traffic: a line with one or two buses (a headway of most of an hour) is not minutes off
            # its timetable at the start of a calm day
            off_scale = min(1.0, MAX_START_OFF_S / headway)
            for k, (i, jitter_share) in enumerate(members):
                jitter = jitter_share * off_scale
                tau = (k + jitter) * headway % (2.0 * (one_way + LAYOVER_S))
                outbound = tau < one_way + LAYOVER_S
                t = tau if outbound else tau - one_way - LAYOVER_S
                self.dwell[i] = 0.0
                self.delay[i] = -jitter * headway  # its timetable slot is k headways in
                if t >= one_way:  # in the layover at the far terminus: leaves in the other direction
                    self.dwell[i] = one_way + LAYOVER_S - t
                    self.delay[i] -= self.dwell[i]  # standing out the layover brings it back on time
                    t, outbound = 0.0, not outbound
                order = t_road if outbound else t_road[::-1]  # inbound runs the roads in reverse
                ends = np.cumsum(order)
                p = int(min(np.searchsorted(ends, t, side="right"), len(roads) - 1))
                frac = (t - (ends[p - 1] if p else 0.0)) / order[p]
                if outbound:
                    self.route_dir[i], self.route_pos[i] = 1, p + 1
                    a, b = nodes[p], nodes[p + 1]
                else:
                    q = len(roads) - 1 - p
                    self.route_dir[i], self.route_pos[i] = -1, q
                    a, b = nodes[q + 1], nodes[q]
                self.a[i], self.b[i] = a, b
                self.road[i] = g.edge[(a, b)]
                self.progress[i] = min(max(frac, 0.0), 0.999) * float(g.length_m[self.road[i]])
        self._route_progress(self.kind == BUS)

    # -- motion -------------------------------------------------------------------------------------
    def step(
        self,
        dt: float,
        road_speed_kmh: np.ndarray,
        schedule_kmh: np.ndarray | None = None,
        blocked: np.ndarray | None = None,
    ) -> None:
        """Move everything by dt seconds. `schedule_kmh`: the timetable's speed per road (buses'
        delay follows it); `blocked`: roads nobody should enter (buses detour, others avoid)."""
        rng = self.rng
        n = self.count
        if not n:
            return
        self._blocked = set(np.flatnonzero(blocked).tolist()) if blocked is not None else set()
        target = road_speed_kmh[self.road] * self.factor * rng.uniform(0.92, 1.08, n)
        self.speed += (target - self.speed) * min(1.0, 0.35 * dt)
        standing = (self.dwell > 0) | self.held
        self.dwell = np.maximum(0.0, self.dwell - dt)
        moving_speed = np.where(standing, 0.0, self.speed)
        advance_m = moving_speed / 3.6 * dt
        self.progress += advance_m
        buses = self.kind == BUS
        if schedule_kmh is not None and dt > 0 and buses.any():
            planned_ms = np.maximum(schedule_kmh[self.road[buses]] * SCHEDULE_SPEED / 3.6, 0.5)
            self.delay[buses] += dt - advance_m[buses] / planned_ms
        length = self.g.length_m[self.road]
        for i in np.flatnonzero((self.progress >= length) & ~self.held).tolist():
            self._advance(i)
        # passengers drift slowly
        if buses.any():
            self.occupancy[buses] = np.clip(
                self.occupancy[buses] + rng.normal(0, 1.5 * dt, int(buses.sum())), 0, 100
            )
        self._route_progress(buses)

    def _route_progress(self, buses: np.ndarray) -> None:
        """Distance along the route of every bus that is on it (a detouring bus keeps its last)."""
        on = buses & (self.route >= 0)
        if self.detour:
            on[list(self.detour)] = False
        idx = np.flatnonzero(on)
        if not len(idx):
            return
        r, p = self.route[idx], self.route_pos[idx].astype(np.int64)
        width = self._cum.shape[1]
        behind = self._cum[r, np.clip(p - 1, 0, width - 1)] + self.progress[idx]
        ahead = self._cum[r, np.clip(p + 1, 0, width - 1)] - self.progress[idx]
        self.route_m[idx] = np.clip(np.where(self.route_dir[idx] > 0, behind, ahead), 0.0, self._len[r])

    def _advance(self, i: int) -> None:
        g = self.g
        while self.progress[i] >= g.length_m[self.road[i]]:
            a, b = int(self.a[i]), int(self.b[i])
            if i in self.plan and not self.plan[i]:  # arrived where it was sent: wait there
                del self.plan[i]
                self.held[i] = True
                self.progress[i] = float(g.length_m[self.road[i]])
                return
            self.progress[i] -= g.length_m[self.road[i]]
            if self.kind[i] == BUS and self.route[i] >= 0:
                nxt = self._next_on_route(i, b)
            elif i in self.plan:
                nxt = self.plan[i].pop(0)
            else:
                options = [v for v, ri in g.adj[b] if v != a and ri not in self._blocked]
                options = options or [v for v, _ in g.adj[b] if v != a] or [a]
                nxt = options[int(self.rng.integers(len(options)))]
                if self.kind[i] == SERVICE and self.rng.random() < 0.2:
                    self.dwell[i] = self.rng.uniform(10, 40)
            self.a[i], self.b[i] = b, nxt
            self.road[i] = g.edge[(b, nxt)]

    def _next_on_route(self, i: int, b: int) -> int:
        if i in self.detour:
            path = self.detour[i]
            nxt = path.pop(0)
            if not path:
                del self.detour[i]
                self.route_pos[i] = self.rejoin.pop(i)
            return nxt
        nodes = self.routes[self.route[i]].nodes
        pos = int(self.route_pos[i]) + int(self.route_dir[i])
        if pos < 0 or pos >= len(nodes):  # terminus: turn round, the layover absorbs lateness
            self.route_dir[i] = -self.route_dir[i]
            pos = int(self.route_pos[i]) + int(self.route_dir[i])
            self.delay[i] -= LAYOVER_S
            self.dwell[i] = max(MIN_LAYOVER_S, -self.delay[i]) + self.rng.uniform(0.0, 8.0)
        else:
            self.delay[i] -= STOP_ALLOWANCE_S
            if self.rng.random() < STOP_CHANCE:
                self.dwell[i] = self.rng.uniform(*STOP_DWELL_S)
            if self.delay[i] < -HOLD_EARLY_S:  # early: hold at the stop to get back on time
                self.dwell[i] = max(self.dwell[i], min(MAX_HOLD_S, -self.delay[i]))
        nxt = nodes[pos]
        if self._blocked and self.g.edge[(b, nxt)] in self._blocked:
            detour = self._detour(i, b, pos)
            if detour is not None:
                return detour
        self.route_pos[i] = pos
        return nxt

    def _detour(self, i: int, b: int, pos: int) -> int | None:
        """Around the blocked roads ahead: the shortest way to the first route node after them (never
        through a no-bus zone)."""
        nodes, step = self.routes[self.route[i]].nodes, int(self.route_dir[i])
        q = pos
        while 0 <= q + step < len(nodes) and self.g.edge[(nodes[q], nodes[q + step])] in self._blocked:
            q += step
        path = self.g.shortest_path(b, nodes[q], avoid=self._blocked | self.g.no_bus)
        if len(path) < 2:
            return None
        if len(path) > 2:
            self.detour[i] = path[2:]
            self.rejoin[i] = q
        else:
            self.route_pos[i] = q
        return path[1]

    # -- dispatch -----------------------------------------------------------------------------------
    def send(self, i: int, node: int) -> bool:
        """Drive vehicle i to a node (avoiding blocked roads) and hold it there; False if unreachable."""
        path = self.g.shortest_path(int(self.b[i]), node, avoid=self._blocked)
        if not path:
            return False
        self.plan[i] = path[1:]
        self.held[i] = False
        return True

    def release(self, i: int) -> None:
        self.plan.pop(i, None)
        self.held[i] = False

    # -- output -------------------------------------------------------------------------------------
    def positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g = self.g
        frac = np.clip(self.progress / g.length_m[self.road], 0.0, 1.0)
        lat = g.lat[self.a] + (g.lat[self.b] - g.lat[self.a]) * frac
        lon = g.lon[self.a] + (g.lon[self.b] - g.lon[self.a]) * frac
        return lat, lon, g.headings(self.a, self.b)

    def displayed_speed(self) -> np.ndarray:
        return np.where((self.dwell > 0) | self.held, 0.0, self.speed)
