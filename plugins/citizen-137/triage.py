"""The 137 triage desk, Qt-free: citizen reports become cases that operators categorise, merge,
assign to a department and close, each against a service level per urgency.

- A `Report` is what a citizen sent, as received; it never changes. A `Case` is the desk's work item:
  it starts with one report and keeps every report merged into it (`members`), so nothing a citizen
  sent is ever lost by a merge.
- Operator actions (`categorise`, `assign`, `merge`, `close`, `reopen`) validate, change the case,
  record a history entry and tell `on_action(kind, subject, detail, operator)` so the plugin can
  journal an AuditEvent. A refused action raises `TriageError` with a one-line reason.
- Timers (`timers`) judge time to triage (first operator decision) and time to resolve against the
  budgets in triage.toml, on the data clock (replays and fast simulations judge by their own time).
- Duplicates are *suggested* (same category, within `duplicate_radius_m` and `duplicate_window_s`);
  the operator confirms every merge.

Thread-safety: the bus thread feeds `on_reports`, the GUI thread acts and reads. Everything goes
through one lock; readers get copies (cases hold tuples, so a shallow copy is a consistent view).
"""

from __future__ import annotations

import copy
import math
import statistics
import threading
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.departments import DataClock
from console.geo import haversine_m
from console.model import Operator, Reading

NS = 1_000_000_000
OPEN = ("new", "triaged", "assigned")
DONE = ("closed", "merged")
URGENCIES = (1, 2, 3, 4)


class TriageError(ValueError):
    """An operator action the desk refuses; the message says why in one line."""


# -- configuration -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Titled:
    key: str
    title_fa: str
    title_en: str

    def title(self, language: str) -> str:
        return self.title_fa if language == "fa" else self.title_en


@dataclass(frozen=True)
class CategoryDef(Titled):
    urgency: int
    department: str


@dataclass(frozen=True)
class Sla:
    triage_s: float
    resolve_s: float


@dataclass(frozen=True)
class TriageConfig:
    categories: dict[str, CategoryDef]
    departments: dict[str, Titled]
    resolutions: dict[str, Titled]
    sla: dict[int, Sla]
    warn_fraction: float = 0.75
    duplicate_radius_m: float = 250.0
    duplicate_window_s: float = 7200.0
    keep_closed_s: float = 86400.0
    max_cases: int = 5000

    def category_title(self, key: str, language: str) -> str:
        c = self.categories.get(key)
        return c.title(language) if c else key

    def department_title(self, key: str, language: str) -> str:
        d = self.departments.get(key)
        return d.title(language) if d else key


def _titled(raw: dict[str, Any], where: str) -> dict[str, Titled]:
    out = {}
    for key, entry in raw.items():
        if not str(entry.get("title_fa", "")).strip() or not str(entry.get("title_en", "")).strip():
            raise ValueError(f"{where}.{key}: needs title_fa and title_en")
        out[key] = Titled(key, str(entry["title_fa"]), str(entry["title_en"]))
    return out


def load_config(path: Path) -> TriageConfig:
    """triage.toml; a problem raises ValueError naming the file and the key."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    where = path.name
    departments = _titled(raw.get("departments", {}), f"{where}: departments")
    resolutions = _titled(raw.get("resolutions", {}), f"{where}: resolutions")
    categories = {}
    for key, entry in raw.get("categories", {}).items():
        t = _titled({key: entry}, f"{where}: categories")[key]
        urgency = int(entry.get("urgency", 2))
        dept = str(entry.get("department", ""))
        if urgency not in URGENCIES:
            raise ValueError(f"{where}: categories.{key}: urgency {urgency} is not 1..4")
        if dept and dept not in departments:
            raise ValueError(f"{where}: categories.{key}: unknown department {dept!r}")
        categories[key] = CategoryDef(key, t.title_fa, t.title_en, urgency, dept)
    sla = {}
    for u in URGENCIES:
        entry = raw.get("sla", {}).get(str(u))
        if entry is None:
            raise ValueError(f"{where}: sla.{u} is missing (every urgency 1..4 needs a service level)")
        sla[u] = Sla(float(entry["triage_s"]), float(entry["resolve_s"]))
        if not 0 < sla[u].triage_s <= sla[u].resolve_s:
            raise ValueError(f"{where}: sla.{u}: need 0 < triage_s <= resolve_s")
    if not categories or not departments or not resolutions:
        raise ValueError(f"{where}: categories, departments and resolutions must not be empty")
    return TriageConfig(
        categories=categories,
        departments=departments,
        resolutions=resolutions,
        sla=sla,
        warn_fraction=float(raw.get("warn_fraction", 0.75)),
        duplicate_radius_m=float(raw.get("duplicate_radius_m", 250.0)),
        duplicate_window_s=float(raw.get("duplicate_window_s", 7200.0)),
        keep_closed_s=float(raw.get("keep_closed_s", 86400.0)),
        max_cases=int(raw.get("max_cases", 5000)),
    )


# -- reports and cases ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    """One citizen report as received (never changed)."""

    id: str
    t: int
    category: str
    urgency: int
    text: str = ""
    street: str = ""
    district: str = ""
    district_fa: str = ""
    lat: float | None = None
    lon: float | None = None
    image: str = ""  # data:image/...;base64,... ("" when the report has no photo)
    image_sha256: str = ""
    source: str = ""

    @classmethod
    def from_reading(cls, r: Reading, config: TriageConfig) -> Report:
        a = r.attrs
        category = str(a.get("category") or "unknown")
        known = config.categories.get(category)
        raw_u = r.values.get("urgency")
        urgency = int(raw_u) if raw_u is not None and raw_u == raw_u else (known.urgency if known else 2)
        image = a.get("image")
        return cls(
            id=r.entity,
            t=r.t,
            category=category,
            urgency=min(4, max(1, urgency)),
            text=str(a.get("text", "")),
            street=str(a.get("street", "")),
            district=str(a.get("district", "")),
            district_fa=str(a.get("district_fa", "")),
            lat=r.lat,
            lon=r.lon,
            image=image if isinstance(image, str) and image.startswith("data:image/") else "",
            image_sha256=str(a.get("image_sha256", "")),
            source=r.source,
        )


@dataclass(frozen=True)
class Action:
    t: int
    operator: str
    action: str
    detail: dict[str, Any]


@dataclass
class Case:
    report: Report
    category: str
    urgency: int
    suggested_department: str = ""
    status: str = "new"
    department: str = ""
    triaged_t: int | None = None
    assigned_t: int | None = None
    closed_t: int | None = None
    resolution: str = ""
    merged_into: str = ""
    members: tuple[Report, ...] = ()
    history: tuple[Action, ...] = ()

    def __post_init__(self) -> None:
        if not self.members:
            self.members = (self.report,)

    @property
    def id(self) -> str:
        return self.report.id

    @property
    def opened_t(self) -> int:
        return min(m.t for m in self.members)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def lat(self) -> float | None:
        return self.report.lat

    @property
    def lon(self) -> float | None:
        return self.report.lon


@dataclass(frozen=True)
class Timer:
    elapsed_s: float
    budget_s: float
    state: str  # ok | warn | overdue (running) — met | missed (stopped)

    @property
    def remaining_s(self) -> float:
        return self.budget_s - self.elapsed_s

    @property
    def running(self) -> bool:
        return self.state in ("ok", "warn", "overdue")


@dataclass(frozen=True)
class Suggestion:
    case_id: str
    distance_m: float
    dt_s: float
    score: float  # 0 (same place, same moment) .. 1 (at the edges of the radius and window)


def _xy(lat: float, lon: float) -> tuple[float, float]:
    """Metres on a local equirectangular plane (good enough within a city)."""
    return lon * 111_320.0 * math.cos(math.radians(lat)), lat * 110_540.0


# -- the desk ------------------------------------------------------------------------------------------
@dataclass
class DeskStats:
    open: int = 0
    new: int = 0
    overdue: int = 0
    closed: int = 0
    merged: int = 0
    triaged_in_sla: float | None = None  # share of cases triaged within their budget (0..1)
    median_triage_s: float | None = None
    by_department: dict[str, int] = field(default_factory=dict)


class TriageDesk:
    def __init__(
        self,
        config: TriageConfig,
        clock: DataClock | None = None,
        on_action: Callable[[str, str, dict[str, Any], Operator], None] | None = None,
    ):
        self.config = config
        self.clock = clock or DataClock()
        self.on_action = on_action
        self._lock = threading.RLock()
        self._cases: dict[str, Case] = {}
        self._absorbed: dict[str, str] = {}  # report id merged away -> case id holding it
        self.version = 0
        self.received = 0
        self.ignored = 0

    # -- intake (bus thread) ---------------------------------------------------------------------------
    def on_reports(self, topic: str, items: list[Any]) -> None:
        """FeedBus callback for report/137: each new report id opens a case."""
        with self._lock:
            changed = False
            for r in items:
                if not isinstance(r, Reading):
                    self.ignored += 1
                    continue
                self.received += 1
                self.clock.see(r.t)
                if r.entity in self._cases or r.entity in self._absorbed:
                    continue  # a report the desk already has (re-sent): operators' work stands
                report = Report.from_reading(r, self.config)
                known = self.config.categories.get(report.category)
                self._cases[report.id] = Case(
                    report=report,
                    category=report.category,
                    urgency=report.urgency,
                    suggested_department=known.department if known else "",
                )
                changed = True
            if changed:
                self._prune()
                self.version += 1

    def _prune(self) -> None:
        now = self.clock.now()
        keep_ns = int(self.config.keep_closed_s * NS)
        for cid, c in list(self._cases.items()):
            if not c.is_open and c.closed_t is not None and now - c.closed_t > keep_ns:
                self._drop(cid)
        excess = len(self._cases) - self.config.max_cases
        if excess > 0:
            done = sorted((c for c in self._cases.values() if not c.is_open), key=lambda c: c.closed_t or 0)
            for c in done[:excess]:
                self._drop(c.id)

    def _drop(self, cid: str) -> None:
        self._cases.pop(cid, None)
        for rid in [k for k, v in self._absorbed.items() if v == cid]:
            del self._absorbed[rid]

    # -- reading (any thread; copies) ------------------------------------------------------------------
    def get(self, case_id: str) -> Case | None:
        with self._lock:
            c = self._cases.get(case_id)
            return copy.copy(c) if c else None

    def cases(self, include_done: bool = False) -> list[Case]:
        """Copies, in queue order: open before done, most urgent first, then overdue, then oldest."""
        now = self.clock.now()
        with self._lock:
            cases = [copy.copy(c) for c in self._cases.values() if include_done or c.is_open]

        def order(c: Case) -> tuple:
            tri, res = self.timers(c, now)
            overdue = tri.state == "overdue" or res.state == "overdue"
            return (not c.is_open, -c.urgency, not overdue, c.status != "new", c.opened_t)

        return sorted(cases, key=order)

    def __len__(self) -> int:
        with self._lock:
            return len(self._cases)

    def timers(self, case: Case, now: int | None = None) -> tuple[Timer, Timer]:
        """(time to triage, time to resolve) of one case, judged on the data clock."""
        now = self.clock.now() if now is None else now
        sla = self.config.sla[case.urgency]
        return (
            self._timer(case.opened_t, case.triaged_t, sla.triage_s, now),
            self._timer(
                case.opened_t, case.closed_t if case.status == "closed" else None, sla.resolve_s, now
            ),
        )

    def _timer(self, start: int, stop: int | None, budget_s: float, now: int) -> Timer:
        if stop is not None:
            elapsed = max(0.0, (stop - start) / NS)
            return Timer(elapsed, budget_s, "met" if elapsed <= budget_s else "missed")
        elapsed = max(0.0, (now - start) / NS)
        if elapsed > budget_s:
            state = "overdue"
        elif elapsed >= budget_s * self.config.warn_fraction:
            state = "warn"
        else:
            state = "ok"
        return Timer(elapsed, budget_s, state)

    def overdue(self, case: Case, now: int | None = None) -> bool:
        if not case.is_open:
            return False
        tri, res = self.timers(case, now)
        return tri.state == "overdue" or res.state == "overdue"

    def stats(self, window_s: float = 86400.0) -> DeskStats:
        now = self.clock.now()
        with self._lock:
            cases = list(self._cases.values())
        st = DeskStats()
        triage_times: list[float] = []
        within = 0
        since = now - int(window_s * NS)
        for c in cases:
            if c.is_open:
                st.open += 1
                st.new += c.status == "new"
                st.overdue += self.overdue(c, now)
                if c.department:
                    st.by_department[c.department] = st.by_department.get(c.department, 0) + 1
            elif c.status == "closed":
                st.closed += 1
            else:
                st.merged += 1
            if c.triaged_t is not None and c.triaged_t >= since and c.status != "merged":
                tri, _ = self.timers(c, now)
                triage_times.append(tri.elapsed_s)
                within += tri.state == "met"
        if triage_times:
            st.triaged_in_sla = within / len(triage_times)
            st.median_triage_s = statistics.median(triage_times)
        return st

    # -- duplicates ------------------------------------------------------------------------------------
    def suggest_duplicates(self, case_id: str, limit: int = 5) -> list[Suggestion]:
        """Open cases that look like the same event: same category, near in place and time."""
        with self._lock:
            c = self._cases.get(case_id)
            if c is None or not c.is_open or c.lat is None or c.lon is None:
                return []
            others = [o for o in self._cases.values() if o.id != case_id and o.is_open]
            out = [s for o in others if (s := self._compare(c, o)) is not None]
        out.sort(key=lambda s: s.score)
        return out[:limit]

    def _compare(self, c: Case, o: Case) -> Suggestion | None:
        if o.category != c.category or o.lat is None or o.lon is None:
            return None
        dt = abs(o.report.t - c.report.t) / NS
        if dt > self.config.duplicate_window_s:
            return None
        d = haversine_m(c.lat, c.lon, o.lat, o.lon)
        if d > self.config.duplicate_radius_m:
            return None
        score = 0.6 * d / self.config.duplicate_radius_m + 0.4 * dt / self.config.duplicate_window_s
        return Suggestion(o.id, d, dt, round(score, 4))

    def duplicate_counts(self) -> dict[str, int]:
        """Open case id -> how many other open cases look like duplicates of it (grid, O(n))."""
        r = self.config.duplicate_radius_m
        with self._lock:
            located = [
                c for c in self._cases.values() if c.is_open and c.lat is not None and c.lon is not None
            ]
            grid: dict[tuple[str, int, int], list[Case]] = {}
            pos = {}
            for c in located:
                x, y = _xy(c.lat, c.lon)
                cell = (c.category, int(x // r), int(y // r))
                pos[c.id] = cell
                grid.setdefault(cell, []).append(c)
            counts: dict[str, int] = {}
            for c in located:
                cat, cx, cy = pos[c.id]
                n = 0
                for i in (cx - 1, cx, cx + 1):
                    for j in (cy - 1, cy, cy + 1):
                        for o in grid.get((cat, i, j), ()):
                            if o.id != c.id and self._compare(c, o) is not None:
                                n += 1
                if n:
                    counts[c.id] = n
        return counts

    def cases_near(
        self, lat: float, lon: float, radius_m: float, category: str | None = None, open_only: bool = True
    ) -> list[Case]:
        """Copies of the cases within `radius_m` of a point (e.g. the reports behind a cluster alarm)."""
        with self._lock:
            return [
                copy.copy(c)
                for c in self._cases.values()
                if (c.is_open or not open_only)
                and (category is None or c.category == category)
                and c.lat is not None
                and c.lon is not None
                and haversine_m(lat, lon, c.lat, c.lon) <= radius_m
            ]

    # -- operator actions (GUI thread) -----------------------------------------------------------------
    def _open_case(self, case_id: str) -> Case:
        c = self._cases.get(case_id)
        if c is None:
            raise TriageError(f"no case {case_id}")
        if not c.is_open:
            raise TriageError(f"case {case_id} is {c.status}")
        return c

    def _record(self, c: Case, now: int, operator: Operator, action: str, detail: dict[str, Any]) -> None:
        c.history = (*c.history, Action(now, operator.name, action, detail))
        if c.triaged_t is None:
            c.triaged_t = now
        self.version += 1

    def _done(self, kind: str, subject: str, detail: dict[str, Any], operator: Operator) -> None:
        if self.on_action is not None:
            self.on_action(kind, subject, detail, operator)

    def categorise(self, case_id: str, category: str, operator: Operator) -> Case:
        """Set a case's category; a changed category brings its own urgency and usual department."""
        if category not in self.config.categories:
            raise TriageError(f"unknown category {category!r}")
        now = self.clock.now()
        with self._lock:
            c = self._open_case(case_id)
            before = c.category
            cat = self.config.categories[category]
            if before != category:  # the operator's judgement replaces the citizen's choice
                c.category, c.urgency = category, cat.urgency
            c.suggested_department = cat.department
            if c.status == "new":
                c.status = "triaged"
            detail = {"action": "categorise", "from": before, "to": category, "urgency": c.urgency}
            self._record(c, now, operator, "categorise", detail)
            out = copy.copy(c)
        self._done("report-categorise", case_id, detail, operator)
        return out

    def assign(self, case_id: str, department: str, operator: Operator) -> Case:
        if department not in self.config.departments:
            raise TriageError(f"unknown department {department!r}")
        now = self.clock.now()
        with self._lock:
            c = self._open_case(case_id)
            before = c.department
            c.department, c.status, c.assigned_t = department, "assigned", now
            detail = {"action": "assign", "from": before, "to": department}
            self._record(c, now, operator, "assign", detail)
            out = copy.copy(c)
        self._done("report-assign", case_id, detail, operator)
        return out

    def close(self, case_id: str, resolution: str, operator: Operator, note: str = "") -> Case:
        if resolution not in self.config.resolutions:
            raise TriageError(f"unknown resolution {resolution!r}")
        now = self.clock.now()
        with self._lock:
            c = self._open_case(case_id)
            c.status, c.closed_t, c.resolution = "closed", now, resolution
            _, res = self.timers(c, now)
            detail = {
                "action": "close",
                "resolution": resolution,
                "note": note.strip(),
                "department": c.department,
                "resolve_s": round(res.elapsed_s, 1),
                "within_sla": res.state == "met",
            }
            self._record(c, now, operator, "close", detail)
            out = copy.copy(c)
        self._done("report-close", case_id, detail, operator)
        return out

    def reopen(self, case_id: str, operator: Operator, note: str = "") -> Case:
        now = self.clock.now()
        with self._lock:
            c = self._cases.get(case_id)
            if c is None or c.status != "closed":
                raise TriageError(f"case {case_id} is not closed")
            c.status = "assigned" if c.department else "triaged"
            c.closed_t, c.resolution = None, ""
            detail = {"action": "reopen", "note": note.strip()}
            self._record(c, now, operator, "reopen", detail)
            out = copy.copy(c)
        self._done("report-reopen", case_id, detail, operator)
        return out

    def merge(self, primary_id: str, other_ids: Iterable[str], operator: Operator) -> Case:
        """Merge duplicates into `primary_id`: the others close as merged; the primary keeps every report."""
        others = [o for o in dict.fromkeys(other_ids) if o != primary_id]
        if not others:
            raise TriageError("nothing to merge")
        now = self.clock.now()
        with self._lock:
            p = self._open_case(primary_id)
            victims = [self._open_case(o) for o in others]
            for v in victims:
                if v.category != p.category:
                    raise TriageError(
                        f"{v.id} is {v.category}, {p.id} is {p.category}: categorise them alike before merging"
                    )
            for v in victims:
                p.members = (*p.members, *v.members)
                p.urgency = max(p.urgency, v.urgency)
                v.status, v.merged_into, v.closed_t = "merged", p.id, now
                for m in v.members:
                    self._absorbed[m.id] = p.id
                self._record(v, now, operator, "merged-into", {"into": p.id})
            if p.status == "new":
                p.status = "triaged"
            p.members = tuple(sorted(p.members, key=lambda m: m.t))
            detail = {
                "action": "merge",
                "merged": [v.id for v in victims],
                "reports": [m.id for m in p.members],
            }
            self._record(p, now, operator, "merge", detail)
            out = copy.copy(p)
        self._done("report-merge", primary_id, detail, operator)
        return out
