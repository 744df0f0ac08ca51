"""Bus operations (AVL), Qt-free: every bus on its route, headways and bunching, off-route and long
stops, on-time performance per line, on-board Wi-Fi.

- Route shapes and timetabled headways come from the operator's route catalogue (`transit/route`).
- Off-route: distance from the bus to its route's shape (local metric projection).
- Long stop: standing (below `stop_kmh`) for a while, away from the termini (layovers are planned).
- Headway, as observed at the follower's position: how long ago the bus ahead passed where the
  follower is now (from the leader's recent track along the route's out-and-back cycle); bunching
  when it falls below a share of the timetabled headway.
- On time: schedule deviation (AVL `delay`) within [`early_s`, `late_s`].

Publishes, every `publish_every_s` of data time: `derived/bus/adherence` per bus (values delay,
off_route_m, stopped_s, headway_s, headway_ratio) and `derived/bus/line` per line and for the whole
fleet (entity "all": on_time_pct, mean_delay_s, buses, bunched, off_route, wifi_pct).
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from console.departments import Desk, KpiSpec
from console.geo import LocalProjection
from console.maplayers import FeatureStyle, MapFeature
from console.model import Reading

NS = 1_000_000_000
TRACK_S = 2400.0


@dataclass
class Route:
    id: str
    name_fa: str
    name_en: str
    shape: list[list[float]]  # [[lon, lat], ...]
    x: np.ndarray
    y: np.ndarray
    cum: np.ndarray  # distance along the shape at each vertex
    headway_s: float | None
    run_time_s: float | None

    @property
    def length_m(self) -> float:
        return float(self.cum[-1]) if len(self.cum) else 0.0


@dataclass
class Track:
    """What the desk remembers of one bus."""

    laps: int = 0
    last_c: float | None = None
    stopped_since: int | None = None
    history: deque[tuple[int, float]] = field(default_factory=deque)  # (t, unwrapped cycle position)
    off_route_m: float = 0.0
    headway_s: float | None = None
    ratio: float | None = None
    status: str = "on_time"


class BusDesk(Desk):
    def __init__(self, dept: Any):
        super().__init__(dept)
        city = dept.city
        self.proj = LocalProjection(*(city.center if city is not None else (34.6401, 50.8764)))
        self.buses = self.table()
        self.routes: dict[str, Route] = {}
        self.tracks: dict[str, Track] = {}
        self.lines: dict[str, dict[str, float]] = {}
        self.now = 0
        self.route_layer = self.layer(
            "bus.routes", "مسیرهای اتوبوس", "Bus routes", 12,
            ("#3fb950", "خط به‌موقع", "Line on time"),
            ("#d29922", "خط با تأخیر", "Line running late"),
            visible=False,
        )  # fmt: skip
        self.issue_layer = self.layer(
            "bus.issues", "اتوبوس‌های مسئله‌دار", "Buses needing attention", 32,
            ("#ff6b6b", "خارج از مسیر", "Off route", "triangle"),
            ("#d29922", "توقف طولانی", "Long stop", "square"),
            ("#c77dff", "هم‌رسی (بانچینگ)", "Bunched", "circle"),
        )  # fmt: skip

    def subscriptions(self):
        return {"transit/route": self.on_routes, "vehicle/bus": self.on_buses}

    def layers(self):
        return [self.route_layer, self.issue_layer]

    def kpis(self):
        return [
            KpiSpec(
                "mobility",
                "bus.on_time",
                "اتوبوس‌های به‌موقع",
                "Buses on time",
                lambda: self._fleet("on_time_pct"),
                "%",
            ),
            KpiSpec(
                "mobility",
                "bus.mean_delay",
                "تأخیر میانگین اتوبوس",
                "Mean bus delay",
                lambda: (
                    None
                    if self._fleet("mean_delay_s") is None
                    else round(self._fleet("mean_delay_s") / 60.0, 1)
                ),
                "min",
            ),
            KpiSpec(
                "mobility", "bus.bunched", "اتوبوس‌های هم‌رس", "Bunched buses", lambda: self._fleet("bunched")
            ),
            KpiSpec(
                "infrastructure",
                "bus.wifi",
                "وای‌فای اتوبوس‌ها",
                "Bus Wi-Fi available",
                lambda: self._fleet("wifi_pct"),
                "%",
            ),
        ]

    # -- inputs ---------------------------------------------------------------------------------------
    def on_routes(self, topic: str, items: list[Any]) -> None:
        with self.lock:
            for r in items:
                if not isinstance(r, Reading):
                    continue
                shape = r.attrs.get("shape") or []
                if len(shape) < 2:
                    continue
                lon = np.array([p[0] for p in shape], dtype=float)
                lat = np.array([p[1] for p in shape], dtype=float)
                x, y = self.proj.to_xy(lat, lon)
                cum = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
                self.routes[r.entity] = Route(
                    r.entity,
                    str(r.attrs.get("name_fa", r.entity)),
                    str(r.attrs.get("name_en", r.entity)),
                    shape,
                    np.asarray(x),
                    np.asarray(y),
                    cum,
                    r.values.get("headway_s"),
                    r.values.get("run_time_s"),
                )
            self._draw_routes()

    def on_buses(self, topic: str, items: list[Any]) -> None:
        readings, now = self.batch(self.buses, topic, items)
        buses = [r for r in readings if r.lat is not None]
        if not buses:
            return
        with self.lock:
            self.now = max(self.now, now)
            self._track(buses)
            if not self.due(now):
                return
            rows = self.buses.rows()
            self._headways(rows, now)
            adherence = [
                self._adherence_row(row) for row in rows if not row.stale and row.entity in self.tracks
            ]
            self.lines = self._lines(rows)
            lines = [self._line_row(k, v) for k, v in self.lines.items()]
            self._draw_issues(rows)
        self.emit("adherence", adherence, now, etype="BusAdherence")
        self.emit("line", lines, now, etype="BusLine")

    # -- per bus --------------------------------------------------------------------------------------
    def _track(self, buses: list[Reading]) -> None:
        by_route: dict[str, list[Reading]] = {}
        for r in buses:
            by_route.setdefault(str(r.attrs.get("route", "")), []).append(r)
        stop_kmh = self.param("stop_kmh", 3.0)
        for route_id, group in by_route.items():
            route = self.routes.get(route_id)
            dist = along = None
            if route is not None:
                x, y = self.proj.to_xy(np.array([r.lat for r in group]), np.array([r.lon for r in group]))
                dist, along = _to_polyline(np.asarray(x), np.asarray(y), route)
            for k, r in enumerate(group):
                tr = self.tracks.setdefault(r.entity, Track())
                speed = r.values.get("speed", 0.0)
                tr.stopped_since = (tr.stopped_since or r.t) if speed < stop_kmh else None
                if route is None:
                    continue
                tr.off_route_m = float(dist[k])
                length = route.length_m
                pos = float(r.attrs.get("route_m", along[k]))
                c = pos if int(r.attrs.get("dir", 1)) > 0 else 2.0 * length - pos
                if tr.last_c is not None and c < tr.last_c - length:
                    tr.laps += 1  # passed the start terminus: a new cycle
                tr.last_c = c
                u = tr.laps * 2.0 * length + c
                h = tr.history
                if not h or r.t - h[-1][0] >= 5 * NS:
                    h.append((r.t, u))
                while h and r.t - h[0][0] > TRACK_S * NS:
                    h.popleft()

    def _headways(self, rows, now: int) -> None:
        by_route: dict[str, list[tuple[float, str]]] = {}
        for row in rows:
            tr = self.tracks.get(row.entity)
            route = self.routes.get(str(row.reading.attrs.get("route", "")))
            if tr is None or route is None or tr.last_c is None or row.stale:
                if tr is not None:
                    tr.headway_s = tr.ratio = None
                continue
            by_route.setdefault(route.id, []).append((tr.last_c, row.entity))
        for route_id, members in by_route.items():
            route = self.routes[route_id]
            cycle_m = 2.0 * route.length_m
            members.sort()
            for i, (c, bus) in enumerate(members):
                tr = self.tracks[bus]
                if len(members) < 2:
                    tr.headway_s = tr.ratio = None
                    continue
                c_lead, leader = members[(i + 1) % len(members)]
                gap = (c_lead - c) % cycle_m
                tr.headway_s = self._time_behind(self.tracks[leader], gap, now, route)
                sched = route.headway_s
                tr.ratio = round(tr.headway_s / sched, 2) if tr.headway_s is not None and sched else None

    def _time_behind(self, leader: Track, gap_m: float, now: int, route: Route) -> float | None:
        """How long ago the leader was `gap_m` behind where it is now (its own track), in seconds."""
        h = leader.history
        if not h:
            return None
        target = h[-1][1] - gap_m
        us = [u for _, u in h]
        if target >= us[0]:
            i = bisect.bisect_left(us, target)
            t0, u0 = h[max(0, i - 1)]
            t1, u1 = h[min(i, len(h) - 1)]
            t = t0 + (t1 - t0) * ((target - u0) / (u1 - u0)) if u1 > u0 else t1
            return round((now - t) / NS, 1)
        # the leader's track does not reach back that far yet: estimate at the timetable's speed
        if route.run_time_s:
            return round(gap_m / (route.length_m / route.run_time_s), 1)
        return None

    def _status(self, row, tr: Track) -> str:
        delay = row.value("delay")
        if tr.off_route_m > self.param("off_route_m", 250.0):
            return "off_route"
        if tr.stopped_since is not None and self._stopped_s(row, tr) >= self.param("long_stop_s", 300.0):
            return "stopped"
        if tr.ratio is not None and tr.ratio < self.param("bunched_ratio", 0.25):
            return "bunched"
        if delay is None:
            return "unknown"
        if delay > self.param("late_s", 300.0):
            return "late"
        if delay < self.param("early_s", -60.0):
            return "early"
        return "on_time"

    def _stopped_s(self, row, tr: Track) -> float:
        if tr.stopped_since is None:
            return 0.0
        route = self.routes.get(str(row.reading.attrs.get("route", "")))
        pos = row.reading.attrs.get("route_m")
        terminus = self.param("terminus_m", 150.0)
        if route is not None and pos is not None and (pos < terminus or pos > route.length_m - terminus):
            return 0.0  # a layover at the terminus is planned
        return round((row.reading.t - tr.stopped_since) / NS)

    def _adherence_row(self, row):
        tr = self.tracks[row.entity]
        tr.status = self._status(row, tr)
        values = {"off_route_m": round(tr.off_route_m), "stopped_s": float(self._stopped_s(row, tr))}
        delay = row.value("delay")
        if delay is not None:
            values["delay"] = delay
        if tr.headway_s is not None:
            values["headway_s"] = tr.headway_s
        if tr.ratio is not None:
            values["headway_ratio"] = tr.ratio
        route_id = str(row.reading.attrs.get("route", ""))
        route = self.routes.get(route_id)
        attrs = {
            "route": route_id,
            "status": tr.status,
            "district": row.district,
            "name_fa": f"{row.entity} — {route.name_fa}" if route else row.entity,
            "name_en": f"{row.entity} — {route.name_en}" if route else row.entity,
        }
        return row.entity, values, attrs, row.reading.lat, row.reading.lon

    # -- per line ---------------------------------------------------------------------------------------
    def _lines(self, rows) -> dict[str, dict[str, float]]:
        groups: dict[str, list] = {"all": []}
        for row in rows:
            if row.stale:
                continue
            groups["all"].append(row)
            groups.setdefault(str(row.reading.attrs.get("route", "")), []).append(row)
        early, late = self.param("early_s", -60.0), self.param("late_s", 300.0)
        out: dict[str, dict[str, float]] = {}
        for line, members in groups.items():
            if not members or not line:
                continue
            delays = [m.value("delay") for m in members if m.value("delay") is not None]
            tracks = [self.tracks.get(m.entity) for m in members]
            st: dict[str, float] = {"buses": float(len(members))}
            if delays:
                st["on_time_pct"] = round(100.0 * sum(early <= d <= late for d in delays) / len(delays), 1)
                st["mean_delay_s"] = round(sum(delays) / len(delays), 1)
            st["bunched"] = float(sum(1 for t in tracks if t is not None and t.status == "bunched"))
            st["off_route"] = float(sum(1 for t in tracks if t is not None and t.status == "off_route"))
            st["stopped"] = float(sum(1 for t in tracks if t is not None and t.status == "stopped"))
            wifi = [m.reading.attrs.get("wifi") for m in members if "wifi" in m.reading.attrs]
            if wifi:
                st["wifi_pct"] = round(100.0 * sum(w == "online" for w in wifi) / len(wifi), 1)
            heads = [t.headway_s for t in tracks if t is not None and t.headway_s is not None]
            if heads:
                st["headway_s"] = round(sum(heads) / len(heads), 1)
            route = self.routes.get(line)
            if route is not None and route.headway_s:
                st["headway_sched_s"] = route.headway_s
            out[line] = st
        return out

    def _line_row(self, line: str, st: dict[str, float]):
        route = self.routes.get(line)
        names = (
            ("کل ناوگان", "Whole fleet")
            if line == "all"
            else ((route.name_fa, route.name_en) if route else (line, line))
        )
        return line, dict(st), {"name_fa": names[0], "name_en": names[1]}, None, None

    def _fleet(self, key: str) -> float | None:
        with self.lock:
            return self.lines.get("all", {}).get(key)

    # -- map ------------------------------------------------------------------------------------------
    def _draw_routes(self) -> None:
        feats = []
        for route in self.routes.values():
            st = self.lines.get(route.id, {})
            late = st.get("on_time_pct", 100.0) < 80.0
            colour = "#d29922" if late else "#3fb950"
            feats.append(
                MapFeature(
                    id=route.id,
                    geometry={"type": "LineString", "coordinates": route.shape},
                    style=FeatureStyle(color=colour, weight=3, opacity=0.7),
                    title_fa=route.name_fa,
                    title_en=route.name_en,
                    entity=route.id,
                    props={"headway s": route.headway_s or "—", "length km": round(route.length_m / 1000, 1)},
                )
            )
        self.route_layer.replace(feats)

    def _draw_issues(self, rows) -> None:
        look = {
            "off_route": ("#ff6b6b", "triangle", 3),
            "stopped": ("#d29922", "square", 2),
            "bunched": ("#c77dff", "circle", 1),
        }
        feats = []
        for row in rows:
            tr = self.tracks.get(row.entity)
            if row.stale or tr is None or tr.status not in look or row.reading.lat is None:
                continue
            colour, symbol, prio = look[tr.status]
            feats.append(
                MapFeature.point(
                    row.entity,
                    row.reading.lat,
                    row.reading.lon,
                    style=FeatureStyle(
                        color=colour, fill=colour, fill_opacity=0.9, radius_px=8, symbol=symbol
                    ),
                    title_fa=row.entity,
                    title_en=row.entity,
                    entity=row.entity,
                    priority=prio,
                    props={"status": tr.status, "route": row.reading.attrs.get("route", "")},
                )
            )
        self.issue_layer.replace(feats)
        self._draw_routes()

    # -- views ----------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            rows = self.buses.rows()
            buses = []
            for row in rows:
                tr = self.tracks.get(row.entity)
                buses.append(
                    (
                        row,
                        None
                        if tr is None
                        else (tr.status, tr.headway_s, tr.ratio, tr.off_route_m, self._stopped_s(row, tr)),
                    )
                )
            return {
                "buses": buses,
                "lines": {k: dict(v) for k, v in self.lines.items()},
                "routes": {k: (v.name_fa, v.name_en, v.headway_s) for k, v in self.routes.items()},
            }


def _to_polyline(x: np.ndarray, y: np.ndarray, route: Route) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each point to the route's shape and its distance along the shape (vectorised)."""
    ax, ay = route.x[:-1], route.y[:-1]
    dx, dy = np.diff(route.x), np.diff(route.y)
    seg2 = np.maximum(dx * dx + dy * dy, 1e-9)
    px, py = x[:, None] - ax[None, :], y[:, None] - ay[None, :]
    f = np.clip((px * dx + py * dy) / seg2, 0.0, 1.0)
    d = np.hypot(px - f * dx, py - f * dy)
    best = np.argmin(d, axis=1)
    rows = np.arange(len(x))
    along = route.cum[best] + f[rows, best] * np.sqrt(seg2[best])
    return d[rows, best], along
