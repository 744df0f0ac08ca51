"""Alarm rule evaluators, pure-Python twin of `_alarmeval.pyx` (`console.kernels.load("alarmeval")`).

The hot path of the alarm engine: per-entity evaluators of value rules (threshold with deadband and
delays, rate of change, rolling z-score) and the loop that walks a batch of readings through the
rule index's buckets. Both modules have the same API and are tested against each other:

- `ThresholdEval`, `DelayedThresholdEval`, `RateEval`, `AnomalyEval`: `update(v, r)` returns a
  `Change` when the alarm condition flips, else None; `active` is the condition.
- `RollingZ(window, min_samples).push(x)`: z-score of x against the samples before it.
- `value_entry(key, ev)` / `reading_entry(fn)`: what a bucket holds for a value evaluator or for a
  callable that needs the whole reading (geofences, stale watches, count rules).
- `evaluate(buckets, readings, out, make_bucket)`: appends every Change to `out`.

Evaluators are duck-typed on their rule (attributes of the rule structs in console/alarms/rules.py).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, NamedTuple

from console.model import Reading

NS = 1_000_000_000


class Change(NamedTuple):
    """An alarm condition flipped. `subject` names the alarm within its rule (entity, cluster, "")."""

    rule: Any
    subject: str
    active: bool
    t: int
    value: float | None = None
    lat: float | None = None
    lon: float | None = None
    reading: Reading | None = None


def _change(rule: Any, r: Reading, active: bool, value: float | None) -> Change:
    return Change(rule, r.entity, active, r.t, value, r.lat, r.lon, r)


class ThresholdEval:
    """High/low limits with a deadband; `update` is the hottest path of the engine (keep it lean)."""

    __slots__ = ("active", "hi", "hi_clear", "lo", "lo_clear", "rule")

    def __init__(self, rule: Any):
        self.rule = rule
        self.hi = math.inf if rule.high is None else rule.high
        self.lo = -math.inf if rule.low is None else rule.low
        self.hi_clear = self.hi - rule.deadband
        self.lo_clear = self.lo + rule.deadband
        self.active = False

    def update(self, v: float, r: Reading) -> Change | None:
        if self.active:
            if self.lo_clear < v < self.hi_clear:  # back inside, past the deadband
                self.active = False
                return _change(self.rule, r, False, v)
            return None
        if v >= self.hi or v <= self.lo:
            self.active = True
            return _change(self.rule, r, True, v)
        return None


class DelayedThresholdEval(ThresholdEval):
    """A threshold whose condition must hold `on_delay_s` before it activates, `off_delay_s` before it clears."""

    __slots__ = ("off_ns", "on_ns", "since")

    def __init__(self, rule: Any):
        super().__init__(rule)
        self.on_ns = int(rule.on_delay_s * NS)
        self.off_ns = int(rule.off_delay_s * NS)
        self.since: int | None = None

    def update(self, v: float, r: Reading) -> Change | None:
        t = r.t
        if self.active:
            if self.lo_clear < v < self.hi_clear:
                if self.off_ns:
                    if self.since is None:
                        self.since = t
                        return None
                    if t - self.since < self.off_ns:
                        return None
                self.active, self.since = False, None
                return _change(self.rule, r, False, v)
            self.since = None
            return None
        if v >= self.hi or v <= self.lo:
            if self.on_ns:
                if self.since is None:
                    self.since = t
                    return None
                if t - self.since < self.on_ns:
                    return None
            self.active, self.since = True, None
            return _change(self.rule, r, True, v)
        self.since = None
        return None


class RateEval:
    """Rate of change between now and the oldest sample inside the window (units per `per_s`)."""

    __slots__ = ("active", "clear", "half_ns", "hist", "limit", "rule", "scale", "sign", "window_ns")

    def __init__(self, rule: Any):
        self.rule = rule
        self.window_ns = int(rule.window_s * NS)
        self.half_ns = self.window_ns // 2
        self.scale = rule.per_s * NS
        self.sign = {"rise": 1.0, "fall": -1.0, "both": 0.0}[rule.direction]
        self.limit = rule.limit
        self.clear = rule.limit - rule.deadband
        self.hist: deque[tuple[int, float]] = deque()
        self.active = False

    def update(self, v: float, r: Reading) -> Change | None:
        if v != v:
            return None
        t = r.t
        hist = self.hist
        if hist and t <= hist[-1][0]:
            return None  # out of order or duplicate: rates need increasing time
        hist.append((t, v))
        while len(hist) > 2 and t - hist[1][0] >= self.window_ns:
            hist.popleft()
        t0, v0 = hist[0]
        if t - t0 < self.half_ns:
            return None  # not enough history to judge a rate honestly
        rate = (v - v0) / (t - t0) * self.scale
        signed = abs(rate) if self.sign == 0.0 else rate * self.sign
        if not self.active:
            if signed >= self.limit:
                self.active = True
                return _change(self.rule, r, True, rate)
        elif signed < self.clear:
            self.active = False
            return _change(self.rule, r, False, rate)
        return None


class RollingZ:
    """Rolling mean/std over the last `window` samples, O(1) per sample.

    The small interface anomaly rules need: `push(x)` returns the z-score of x against the samples
    *before* it (None until `min_samples`), then adds x to the window. Sums are kept shifted by the
    first sample (robust against large offsets) and recomputed exactly every few windows, so
    rounding never drifts.
    """

    __slots__ = ("buf", "i", "k", "min_samples", "n", "pushes", "s", "ss", "window")

    def __init__(self, window: int, min_samples: int):
        self.window, self.min_samples = window, min_samples
        self.buf: list[float] = []
        self.i = 0
        self.n = 0
        self.k: float | None = None
        self.s = 0.0
        self.ss = 0.0
        self.pushes = 0

    def mean_std(self) -> tuple[float, float]:
        n = self.n
        if n == 0:
            return 0.0, 0.0
        m = self.s / n
        var = (self.ss - self.s * m) / (n - 1) if n > 1 else 0.0
        return (self.k or 0.0) + m, math.sqrt(var) if var > 0.0 else 0.0

    def push(self, x: float) -> float | None:
        k = self.k
        if k is None:
            k = self.k = x
        d = x - k
        n = self.n
        z = None
        if n >= self.min_samples:
            m = self.s / n
            var = (self.ss - self.s * m) / (n - 1)
            sd = math.sqrt(var) if var > 0.0 else 0.0
            floor = 1e-9 * max(1.0, abs(m + k))
            z = (d - m) / (sd if sd > floor else floor)
        if n == self.window:
            old = self.buf[self.i]
            self.buf[self.i] = d
            self.i = (self.i + 1) % n
            self.s += d - old
            self.ss += d * d - old * old
        else:
            self.buf.append(d)
            self.n = n + 1
            self.s += d
            self.ss += d * d
        self.pushes += 1
        if self.pushes % (8 * self.window) == 0:
            self.s = sum(self.buf)
            self.ss = sum(v * v for v in self.buf)
        return z


class AnomalyEval:
    __slots__ = ("active", "roll", "rule")

    def __init__(self, rule: Any):
        self.rule = rule
        self.roll = RollingZ(rule.window, rule.min_samples)
        self.active = False

    def update(self, v: float, r: Reading) -> Change | None:
        if v != v:
            return None
        z = self.roll.push(v)
        if z is None:
            return None
        d = self.rule.direction
        score = z if d == "high" else -z if d == "low" else abs(z)
        if not self.active and score >= self.rule.z:
            self.active = True
            return _change(self.rule, r, True, round(z, 2))
        if self.active and score < self.rule.z_clear:
            self.active = False
            return _change(self.rule, r, False, round(z, 2))
        return None


class StaleCore:
    """The hot half of a stale watch: `update(r)` records the entity's newest data time and clears
    a stale alarm when data comes back. `due` is a lower bound of the next time anything can go
    stale (the ticking half, in console/alarms/evaluators.py, keeps it)."""

    def __init__(self, rule: Any, after_ns: int):
        self.rule = rule
        self.after_ns = after_ns
        self.last: dict[str, int] = {}
        self.readings: dict[str, Reading] = {}
        self.stale: set[str] = set()
        self.due = 1 << 62

    def update(self, r: Reading) -> Change | None:
        e, t = r.entity, r.t
        last = self.last.get(e)
        if last is not None and t <= last:
            return None  # older than what we have: says nothing about staleness
        self.last[e] = t
        self.readings[e] = r
        if last is None and t + self.after_ns < self.due:
            self.due = t + self.after_ns
        if e in self.stale:
            self.stale.discard(e)
            if t + self.after_ns < self.due:
                self.due = t + self.after_ns
            return _change(self.rule, r, False, None)
        return None


class FenceCore:
    """The hot half of a vehicle's fence tracking: finds the fences it is in (`grid.hits`) and calls
    `changed(now, r)` (the Python half) only when they differ from last time or a dwell comes due."""

    def __init__(self, grid: Any):
        self.grid = grid
        self.prev: tuple[int, ...] | None = None
        self.due = 1 << 62

    def changed(self, now: tuple[int, ...], r: Reading) -> Any:
        raise NotImplementedError

    def update(self, r: Reading) -> Any:
        lat, lon = r.lat, r.lon
        if lat is None or lon is None:
            return None
        now = self.grid.hits(lat, lon)
        if now == self.prev and r.t < self.due:
            return None
        return self.changed(now, r)


def value_entry(key: str, ev: Any) -> tuple[str, Any]:
    return (key, ev.update)


def reading_entry(obj: Any) -> tuple[None, Any]:
    """A bucket entry for an object whose `update(r)` needs the whole reading."""
    return (None, obj.update)


def evaluate(buckets: dict, readings: Any, out: list, make_bucket: Any) -> None:
    """Walk `readings` (one topic) through their entity's bucket, appending every Change to `out`."""
    for r in readings:
        bucket = buckets.get(r.entity)
        if bucket is None:
            bucket = make_bucket(r.entity)
        if not bucket:
            continue
        values = r.values
        for key, fn in bucket:
            if key is None:
                ch = fn(r)
            else:
                v = values.get(key)
                if v is None:
                    continue
                ch = fn(v, r)
            if ch is not None:
                if ch.__class__ is list:
                    out.extend(ch)
                else:
                    out.append(ch)


class FenceGrid:
    """Which of many fences contain a point. The plane is cut into `cell_deg` cells; each cell, on
    first use, lists the fences whose bounding box touches it (ascending), so a point is tested only
    against those, and the answer is a tuple of fence indices (ascending; equal tuples = no change).

    `shapes[i]` is ("circle", lat0, lon0, kx, r2) — kx = cos(lat0), r2 = (radius in degrees of
    latitude)², distances on a local equirectangular plane — or ("ring", lons, lats), even-odd rule.
    `bboxes[i]` is (min lon, min lat, max lon, max lat).
    """

    def __init__(self, shapes: list[tuple], bboxes: list[tuple[float, float, float, float]], cell_deg: float):
        self.shapes = shapes
        self.bboxes = bboxes
        self.cell = cell_deg
        self.cells: dict[tuple[int, int], tuple[int, ...]] = {}

    def _fill(self, i: int, j: int) -> tuple[int, ...]:
        c = self.cell
        lon0, lat0 = i * c, j * c
        lon1, lat1 = lon0 + c, lat0 + c
        cands = tuple(
            k
            for k, (x0, y0, x1, y1) in enumerate(self.bboxes)
            if not (lon1 < x0 or lon0 > x1 or lat1 < y0 or lat0 > y1)
        )
        self.cells[(i, j)] = cands
        return cands

    def contains(self, k: int, lat: float, lon: float) -> bool:
        shape = self.shapes[k]
        if shape[0] == "circle":
            _, clat, clon, kx, r2 = shape
            dx = (lon - clon) * kx
            dy = lat - clat
            return dx * dx + dy * dy <= r2
        _, lons, lats = shape
        inside = False
        n = len(lons)
        j = n - 1
        for i in range(n):
            if (lats[i] > lat) != (lats[j] > lat) and lon < (lons[j] - lons[i]) * (lat - lats[i]) / (
                lats[j] - lats[i]
            ) + lons[i]:
                inside = not inside
            j = i
        return inside

    def hits(self, lat: float, lon: float) -> tuple[int, ...]:
        c = self.cell
        i, j = math.floor(lon / c), math.floor(lat / c)
        cands = self.cells.get((i, j))
        if cands is None:
            cands = self._fill(i, j)
        if not cands:
            return ()
        return tuple(k for k in cands if self.contains(k, lat, lon))
