"""Geofence evaluation: vehicles entering, leaving or dwelling in areas, at fleet scale.

The wildcard geofence rules of a topic form a `FenceSet` on the kernel's `FenceGrid` (compiled, with
a pure-Python twin): the city is cut into ~200 m cells, each listing the fences whose bounding box
touches it, so a vehicle fix is tested only against the fences near it, in C. The answer is a tuple
of fence indices; only when it differs from the vehicle's previous one (or a dwell time comes due)
do the per-fence evaluators run, so hundreds of fences cost about as much as one.
"""

from __future__ import annotations

import math
from typing import Any

from console.alarms.evaluators import Change, FenceCore, FenceGrid, _change
from console.alarms.rules import Area, Geofence
from console.geo import point_in_ring
from console.model import Reading

NS = 1_000_000_000
M_PER_DEG = 111_195.0


class CompiledArea:
    """An Area ready for fast point tests (bounding box, then the ring or a local-metric circle)."""

    def __init__(self, area: Area):
        self.area = area
        if area.polygon:
            self.ring = [(float(x), float(y)) for x, y in area.polygon]
            lons, lats = [p[0] for p in self.ring], [p[1] for p in self.ring]
            self.bbox = (min(lons), min(lats), max(lons), max(lats))
            self.lat0, self.lon0 = sum(lats) / len(lats), sum(lons) / len(lons)
            self.kx = self.r2 = 0.0
        else:
            self.ring = []
            self.lat0, self.lon0 = float(area.center[0]), float(area.center[1])
            self.kx = math.cos(math.radians(self.lat0))  # metres per degree of longitude / of latitude
            r_deg = area.radius_m / M_PER_DEG
            self.r2 = r_deg * r_deg  # squared radius in degrees of latitude
            dlon = r_deg / max(0.01, self.kx)
            self.bbox = (self.lon0 - dlon, self.lat0 - r_deg, self.lon0 + dlon, self.lat0 + r_deg)

    def contains(self, lat: float, lon: float) -> bool:
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        if self.ring:
            return point_in_ring(lon, lat, self.ring)
        dx = (lon - self.lon0) * self.kx
        dy = lat - self.lat0
        return dx * dx + dy * dy <= self.r2

    def spec(self) -> tuple:
        """The shape as the kernel's FenceGrid takes it."""
        if self.ring:
            return ("ring", [p[0] for p in self.ring], [p[1] for p in self.ring])
        return ("circle", self.lat0, self.lon0, self.kx, self.r2)

    def centroid(self) -> tuple[float, float]:
        """Centre of a circle, mean vertex of a ring (a label point, not a true centroid)."""
        return self.lat0, self.lon0


class GeofenceEval:
    """Per vehicle: enter (active while inside), exit (active while outside), dwell (inside ≥ dwell_s)."""

    __slots__ = ("active", "area", "dwell_ns", "entered", "inside", "mode", "rule")

    def __init__(self, rule: Geofence, area: CompiledArea):
        self.rule = rule
        self.area = area
        self.mode = rule.mode
        self.dwell_ns = int(rule.dwell_s * NS)
        self.inside: bool | None = None
        self.entered: int | None = None
        self.active = False

    def update(self, r: Reading) -> Change | None:
        if r.lat is None or r.lon is None:
            return None
        return self.move(self.area.contains(r.lat, r.lon), r)

    def move(self, inside: bool, r: Reading) -> Change | None:
        if inside and not self.inside:
            self.entered = r.t
        self.inside = inside
        if self.mode == "enter":
            want = inside
        elif self.mode == "exit":
            want = not inside
        else:
            want = inside and r.t - self.entered >= self.dwell_ns
        if want != self.active:
            self.active = want
            return _change(self.rule, r, want, None)
        return None

    @property
    def dwell_pending(self) -> bool:
        return self.mode == "dwell" and bool(self.inside) and not self.active


class FenceSet:
    """The wildcard geofences of one topic on the kernel's FenceGrid."""

    CELL_DEG = 0.002  # ~220 m × 185 m at Qom's latitude

    def __init__(self, rules: list[Geofence], areas: dict[str, CompiledArea]):
        self.rules = {r.id: r for r in rules}
        self.areas = {r.id: areas[r.id] for r in rules}
        self.ids = list(self.rules)
        self.index = {rid: k for k, rid in enumerate(self.ids)}
        self.exits = tuple(self.index[r.id] for r in rules if r.mode == "exit")
        self.grid = FenceGrid(
            [self.areas[rid].spec() for rid in self.ids],
            [self.areas[rid].bbox for rid in self.ids],
            self.CELL_DEG,
        )

    def inside(self, lat: float, lon: float) -> tuple[int, ...]:
        """Indices (into `ids`) of the fences containing the point, ascending."""
        return self.grid.hits(lat, lon)

    def __len__(self) -> int:
        return len(self.rules)


class FenceTracker(FenceCore):
    """One vehicle against a FenceSet. The kernel's hot half (`update`) finds the fences the vehicle
    is in; this half runs the evaluators only when that set changes or a dwell time comes due."""

    def __init__(self, fences: FenceSet, evals: dict[str, Any]):
        super().__init__(fences.grid)
        self.fences = fences
        self.evals = evals  # rule id -> GeofenceEval, owned by the index (state survives rebuilds)
        known = [k for k, rid in enumerate(fences.ids) if rid in evals and evals[rid].inside is not None]
        if known:
            self.prev = tuple(k for k in known if evals[fences.ids[k]].inside)
        self.pending = {k for k in known if evals[fences.ids[k]].dwell_pending}
        self.due = self._due()

    def _due(self) -> int:
        """The earliest time a pending dwell can complete."""
        if not self.pending:
            return 1 << 62
        evs = [self.evals[self.fences.ids[k]] for k in self.pending]
        return min(ev.entered + ev.dwell_ns for ev in evs)

    def _eval(self, k: int) -> GeofenceEval:
        rid = self.fences.ids[k]
        ev = self.evals.get(rid)
        if ev is None:
            ev = self.evals[rid] = GeofenceEval(self.fences.rules[rid], self.fences.areas[rid])
        return ev

    def changed(self, now: tuple[int, ...], r: Reading) -> list[Change] | None:
        inside = set(now)
        # first sight: every fence it is in, and every exit fence (outside is active)
        changed = (
            inside.union(self.fences.exits) if self.prev is None else inside.symmetric_difference(self.prev)
        )
        pending = self.pending
        out: list[Change] = []
        for k in changed.union(pending):
            ev = self._eval(k)
            ch = ev.move(k in inside, r)
            if ch is not None:
                out.append(ch)
            if ev.dwell_pending:
                pending.add(k)
            else:
                pending.discard(k)
        self.prev = now
        self.due = self._due()
        return out or None
