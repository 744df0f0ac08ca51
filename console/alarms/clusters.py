"""Count-in-area: at least N matching reports within R metres in the last T seconds (e.g. 137 floods).

Report topics carry a new entity per message, so these rules are topic-level: `CountRouter` sends
each report only to the rules whose `match` it satisfies (by the value of the attribute they match
on), and each `CountEval` keeps a grid of R-sized cells so a report looks only at its 3×3 cells.
"""

from __future__ import annotations

from collections import deque

from console.alarms.evaluators import Change
from console.alarms.rules import CountInArea
from console.geo import LocalProjection
from console.model import Reading

NS = 1_000_000_000


class CountEval:
    """Sliding spatial clusters: ≥N matching reports within R metres in the last T seconds.

    Reports go into a grid of R-sized cells on a local projection, so a new report only looks at
    the 3×3 cells around it. A cluster alarm is centred on the reports that formed it and named by
    its cell; new reports inside an active cluster raise its count instead of a second alarm.
    """

    def __init__(self, rule: CountInArea, proj: LocalProjection):
        self.rule = rule
        self.proj = proj
        self.r = rule.radius_m
        self.r2 = rule.radius_m**2
        self.window_ns = int(rule.window_s * NS)
        self.reports: deque[tuple[int, float, float]] = deque()
        self.cells: dict[tuple[int, int], list[tuple[int, float, float]]] = {}
        self.clusters: dict[str, tuple[float, float, float, float]] = {}  # subject -> x, y, lat, lon
        self.recheck: dict[str, int] = {}  # subject -> earliest time its count can fall

    def _xy(self, lat: float, lon: float) -> tuple[float, float]:
        p = self.proj
        return (lon - p.lon0) * p.m_per_deg_lon, (lat - p.lat0) * p.m_per_deg_lat

    def _prune(self, now: int) -> None:
        cutoff = now - self.window_ns
        while self.reports and self.reports[0][0] < cutoff:
            t, x, y = self.reports.popleft()
            cell = (int(x // self.r), int(y // self.r))
            bucket = self.cells.get(cell)
            if bucket:
                bucket.remove((t, x, y))
                if not bucket:
                    del self.cells[cell]

    def _near(self, x: float, y: float, enough: int | None = None) -> list[tuple[int, float, float]]:
        """Reports within R of (x, y); stops at `enough` when only "at least N?" matters."""
        cx, cy = int(x // self.r), int(y // self.r)
        r2 = self.r2
        out = []
        for i in (cx - 1, cx, cx + 1):
            for j in (cy - 1, cy, cy + 1):
                for p in self.cells.get((i, j), ()):
                    dx, dy = p[1] - x, p[2] - y
                    if dx * dx + dy * dy <= r2:
                        out.append(p)
                        if enough is not None and len(out) >= enough:
                            return out
        return out

    def update(self, r: Reading) -> Change | None:
        if r.lat is None or r.lon is None:
            return None
        for k, want in self.rule.match.items():
            if str(r.attrs.get(k, "")) != want:
                return None
        x, y = self._xy(r.lat, r.lon)
        p = (r.t, x, y)
        self._prune(max(r.t, self.reports[-1][0] if self.reports else r.t))
        self.reports.append(p)
        self.cells.setdefault((int(x // self.r), int(y // self.r)), []).append(p)
        for cx, cy, _lat, _lon in self.clusters.values():
            if (cx - x) ** 2 + (cy - y) ** 2 <= self.r2:
                return None  # counts towards a cluster that is already alarmed
        if len(self._near(x, y, self.rule.count)) < self.rule.count:
            return None
        near = self._near(x, y)
        mx = sum(q[1] for q in near) / len(near)
        my = sum(q[2] for q in near) / len(near)
        p = self.proj
        lat, lon = p.lat0 + my / p.m_per_deg_lat, p.lon0 + mx / p.m_per_deg_lon
        subject = f"cluster:{int(mx // self.r)}:{int(my // self.r)}"
        self.clusters[subject] = (mx, my, float(lat), float(lon))
        return Change(self.rule, subject, True, r.t, float(len(near)), float(lat), float(lon), r)

    def count_at(self, subject: str) -> int:
        cx, cy, _lat, _lon = self.clusters[subject]
        return len(self._near(cx, cy))

    def tick(self, now: int) -> list[Change]:
        """Clusters that thinned out below N. A cluster is looked at again only once one of the N
        reports that held it up can have left the window (counts only fall by reports ageing out)."""
        self._prune(now)
        out = []
        for subject, (cx, cy, lat, lon) in list(self.clusters.items()):
            if now < self.recheck.get(subject, 0):
                continue
            near = self._near(cx, cy, self.rule.count)
            if len(near) >= self.rule.count:
                self.recheck[subject] = min(p[0] for p in near) + self.window_ns
                continue
            del self.clusters[subject]
            self.recheck.pop(subject, None)
            n = len(self._near(cx, cy))
            out.append(Change(self.rule, subject, False, now, float(n), lat, lon, None))
        return out

    def seed(self, subject: str, active: bool, lat: float | None, lon: float | None) -> None:
        if active and lat is not None and lon is not None:
            x, y = self._xy(lat, lon)
            self.clusters[subject] = (x, y, lat, lon)


class CountRouter:
    """The count rules of one topic, routed by the attribute they all match on (when they share one)."""

    def __init__(self, evals: list[CountEval]):
        self.evals = evals
        keys = [set(ev.rule.match) for ev in evals]
        common = set.intersection(*keys) if keys else set()
        self.key = min(common) if common else None
        self.route: dict[str, list[CountEval]] = {}
        self.always: list[CountEval] = []
        for ev in evals:
            if self.key is None:
                self.always.append(ev)
            else:
                self.route.setdefault(ev.rule.match[self.key], []).append(ev)

    def update(self, r: Reading) -> Change | list[Change] | None:
        if self.key is not None:
            evals = self.route.get(str(r.attrs.get(self.key, "")))
            if not evals:
                return None
        else:
            evals = self.always
        out = None
        for ev in evals:
            ch = ev.update(r)
            if ch is not None:
                if out is None:
                    out = []
                out.append(ch)
        return out
