"""Alarm rules: what makes an alarm. Defined in TOML files (resources/rules/*.toml) or in code by plugins
(`ctx.add_rule(rule)`), evaluated by streaming evaluators that keep O(1) state per entity.

Rule types (the TOML `type`):
    threshold  value above `high` / below `low`, with a deadband and on/off delays
    rate       rate of change over a window (rise, fall or both), e.g. water rising 0.3 m/h
    stale      no data from an entity for `after_s` seconds
    geofence   a vehicle entering, leaving, or dwelling in an area (polygon or circle)
    count      at least `count` reports within `radius_m` metres in `window_s` (e.g. 137 floods)
    anomaly    rolling z-score of a value against its recent past
    composite  AND / OR of other rules' alarms within a window

Every rule has an `id`, a `priority` (minor / moderate / severe / extreme, mapped to CAP severity), the
`topic` it watches and `entity` ("*" = every entity of the topic). `suppresses` lists rule ids whose
alarms are suppressed by design while this rule has an active alarm (a parent alarm).

Evaluators return a `Change` only when the alarm condition flips; the engine turns changes into
ISA-18.2 transitions. Times are the readings' own times (int ns), so evaluation is deterministic and
replays judge data as it was.
"""

from __future__ import annotations

import math
import tomllib
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal, NamedTuple

import msgspec

from console.catalog import TOPICS, known_signals
from console.geo import LocalProjection, haversine_m, point_in_ring
from console.model import Priority, Reading

NS = 1_000_000_000


class RuleError(ValueError):
    """A rule that cannot be used; the message names its origin and the field."""


# -- definitions ---------------------------------------------------------------------------------------
class Rule(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    id: str
    priority: Priority = Priority.MODERATE
    topic: str = ""
    entity: str = "*"
    title_fa: str = ""
    title_en: str = ""
    department: str = ""
    message_fa: str = ""  # templates: {title} {entity} {name} {value} {unit} {count}
    message_en: str = ""
    unit: str = ""
    suppresses: tuple[str, ...] = ()
    enabled: bool = True
    owner: str = ""  # "file:<name>", "plugin:<name>", "catalog"

    def __post_init__(self) -> None:
        if not self.id or not self.id.strip() or any(c.isspace() for c in self.id):
            raise ValueError(f"rule id {self.id!r} must be a non-empty word (no spaces)")

    @property
    def kind(self) -> str:
        return type(self).__struct_config__.tag

    def title(self, language: str) -> str:
        return (self.title_fa if language == "fa" else self.title_en) or self.title_en or self.id


class Threshold(Rule, tag="threshold"):
    key: str
    high: float | None = None
    low: float | None = None
    deadband: float = 0.0
    on_delay_s: float = 0.0
    off_delay_s: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.high is None and self.low is None:
            raise ValueError(f"threshold rule {self.id}: needs high, low or both")
        if self.high is not None and self.low is not None and self.low >= self.high:
            raise ValueError(f"threshold rule {self.id}: low {self.low} must be below high {self.high}")
        if self.deadband < 0 or self.on_delay_s < 0 or self.off_delay_s < 0:
            raise ValueError(f"threshold rule {self.id}: deadband and delays must not be negative")


class RateOfChange(Rule, tag="rate"):
    key: str
    limit: float  # in units per `per_s` seconds (e.g. 0.3 with per_s=3600: 0.3 per hour)
    per_s: float = 60.0
    window_s: float = 300.0
    direction: Literal["rise", "fall", "both"] = "rise"
    deadband: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.limit <= 0 or self.per_s <= 0 or self.window_s <= 0:
            raise ValueError(f"rate rule {self.id}: limit, per_s and window_s must be positive")


class Stale(Rule, tag="stale"):
    after_s: float

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.after_s <= 0:
            raise ValueError(f"stale rule {self.id}: after_s must be positive")


class Area(msgspec.Struct, frozen=True, kw_only=True):
    """A polygon ring of (lon, lat) pairs (GeoJSON order) or a circle (centre lat, lon and radius)."""

    polygon: tuple[tuple[float, float], ...] = ()
    center: tuple[float, float] | None = None  # (lat, lon)
    radius_m: float = 0.0

    def __post_init__(self) -> None:
        if self.polygon and len(self.polygon) < 3:
            raise ValueError("an area polygon needs at least 3 points")
        if not self.polygon and (self.center is None or self.radius_m <= 0):
            raise ValueError("an area needs a polygon, or a center and a positive radius_m")


class Geofence(Rule, tag="geofence"):
    area: Area
    mode: Literal["enter", "exit", "dwell"] = "enter"
    dwell_s: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode == "dwell" and self.dwell_s <= 0:
            raise ValueError(f"geofence rule {self.id}: dwell needs dwell_s > 0")


class CountInArea(Rule, tag="count"):
    count: int
    radius_m: float
    window_s: float
    match: dict[str, str] = {}  # attrs that a reading must carry to count, e.g. {category = "flood"}

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.count < 2 or self.radius_m <= 0 or self.window_s <= 0:
            raise ValueError(f"count rule {self.id}: count >= 2, radius_m and window_s > 0")


class Anomaly(Rule, tag="anomaly"):
    key: str
    window: int = 60  # samples
    z: float = 4.0
    z_clear: float = 2.0
    min_samples: int = 20
    direction: Literal["high", "low", "both"] = "both"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.window < 3 or not (0 < self.z_clear < self.z) or self.min_samples < 3:
            raise ValueError(f"anomaly rule {self.id}: window >= 3, min_samples >= 3, 0 < z_clear < z")


class Composite(Rule, tag="composite"):
    of: tuple[str, ...]
    op: Literal["and", "or"] = "and"
    window_s: float = 600.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.of) < 2:
            raise ValueError(f"composite rule {self.id}: needs at least two rules in `of`")
        if self.id in self.of:
            raise ValueError(f"composite rule {self.id}: cannot include itself")


AnyRule = Threshold | RateOfChange | Stale | Geofence | CountInArea | Anomaly | Composite
RULE_TYPES: dict[str, type[Rule]] = {t.__struct_config__.tag: t for t in AnyRule.__args__}


# -- loading -------------------------------------------------------------------------------------------
def _priority(value: Any, where: str) -> Priority:
    if isinstance(value, Priority):
        return value
    if isinstance(value, int) and value in Priority._value2member_map_:
        return Priority(value)
    if isinstance(value, str) and value.strip().upper() in Priority.__members__:
        return Priority[value.strip().upper()]
    names = ", ".join(p.name.lower() for p in Priority)
    raise RuleError(f"{where}: priority {value!r} is not one of {names}")


def rule_from_dict(raw: dict[str, Any], origin: str = "code") -> Rule:
    """Validate one rule given as a plain dict (a TOML table); RuleError names origin, id and field."""
    where = f"{origin}: rule {raw.get('id', '?')!r}"
    if raw.get("type") not in RULE_TYPES:
        raise RuleError(f"{where}: type {raw.get('type')!r} is not one of {', '.join(RULE_TYPES)}")
    data = dict(raw)
    if "priority" in data:
        data["priority"] = _priority(data["priority"], where).value
    try:
        return msgspec.convert(data, AnyRule)
    except msgspec.ValidationError as exc:
        raise RuleError(f"{where}: {exc}") from None


def load_rules_text(text: str, origin: str) -> list[Rule]:
    """`[[rule]]` tables of one TOML document; the first bad rule fails the file with its reason."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{origin}: not valid TOML ({exc})") from None
    unknown = sorted(set(doc) - {"rule"})
    if unknown:
        raise RuleError(f"{origin}: unknown top-level keys {unknown} (rules go in [[rule]] tables)")
    rules = []
    for raw in doc.get("rule", []):
        raw.setdefault("owner", f"file:{Path(origin).name}")
        rules.append(rule_from_dict(raw, origin))
    ids = [r.id for r in rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RuleError(f"{origin}: duplicate rule ids {dupes}")
    return rules


def load_rule_files(folder: Path) -> tuple[list[Rule], list[str]]:
    """Every *.toml in `folder`: (rules, errors). A broken file is reported and skipped, never fatal."""
    rules: list[Rule] = []
    errors: list[str] = []
    if not folder.is_dir():
        return rules, errors
    for path in sorted(folder.glob("*.toml")):
        try:
            rules += load_rules_text(path.read_text(encoding="utf-8"), str(path))
        except (RuleError, OSError, UnicodeDecodeError) as exc:
            errors.append(str(exc))
    return rules, errors


def band_rules(tr: Callable[..., str] | None = None) -> list[Threshold]:
    """Default threshold rules from the catalog's warn/alarm bands (warn → moderate, alarm → severe)."""
    rules = []
    etypes: dict[str, list[str]] = {}
    for topic, (etype, _fa, _en) in TOPICS.items():
        etypes.setdefault(etype, []).append(topic)
    for meta in known_signals():
        span = (meta.hi - meta.lo) if meta.hi is not None and meta.lo is not None else 0.0
        deadband = round(span * 0.01, 6)
        for topic in etypes.get(meta.etype, []):
            for band, prio, high, low in (
                ("warn_hi", Priority.MODERATE, meta.warn_hi, None),
                ("alarm_hi", Priority.SEVERE, meta.alarm_hi, None),
                ("warn_lo", Priority.MODERATE, None, meta.warn_lo),
                ("alarm_lo", Priority.SEVERE, None, meta.alarm_lo),
            ):
                if high is None and low is None:
                    continue
                word_fa = tr(f"alarms.band.{band}", "fa") if tr else band
                word_en = tr(f"alarms.band.{band}", "en") if tr else band
                rules.append(
                    Threshold(
                        id=f"band.{topic}.{meta.key}.{band}",
                        priority=prio,
                        topic=topic,
                        key=meta.key,
                        high=high,
                        low=low,
                        deadband=deadband,
                        unit=meta.unit,
                        title_fa=f"{meta.title_fa} {word_fa}",
                        title_en=f"{meta.title_en} {word_en}",
                        owner="catalog",
                    )
                )
    return rules


# -- evaluation ----------------------------------------------------------------------------------------
class Change(NamedTuple):
    """An alarm condition flipped. `subject` names the alarm within its rule (entity, cluster, "")."""

    rule: Rule
    subject: str
    active: bool
    t: int
    value: float | None = None
    lat: float | None = None
    lon: float | None = None
    reading: Reading | None = None


def _change(rule: Rule, r: Reading, active: bool, value: float | None) -> Change:
    return Change(rule, r.entity, active, r.t, value, r.lat, r.lon, r)


class ThresholdEval:
    """High/low limits with deadband and on/off delays; `update` is the hot path (keep it lean)."""

    __slots__ = ("active", "db", "hi", "lo", "off_ns", "on_ns", "rule", "since")

    def __init__(self, rule: Threshold):
        self.rule = rule
        self.hi = math.inf if rule.high is None else rule.high
        self.lo = -math.inf if rule.low is None else rule.low
        self.db = rule.deadband
        self.on_ns = int(rule.on_delay_s * NS)
        self.off_ns = int(rule.off_delay_s * NS)
        self.active = False
        self.since: int | None = None

    def update(self, t: int, v: float, r: Reading) -> Change | None:
        if self.active:
            if self.lo + self.db < v < self.hi - self.db:  # back inside, past the deadband
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

    __slots__ = ("active", "hist", "rule", "scale", "window_ns")

    def __init__(self, rule: RateOfChange):
        self.rule = rule
        self.window_ns = int(rule.window_s * NS)
        self.scale = rule.per_s * NS
        self.hist: deque[tuple[int, float]] = deque()
        self.active = False

    def _signed(self, rate: float) -> float:
        d = self.rule.direction
        return rate if d == "rise" else -rate if d == "fall" else abs(rate)

    def update(self, t: int, v: float, r: Reading) -> Change | None:
        if v != v:
            return None
        hist = self.hist
        if hist and t <= hist[-1][0]:
            return None  # out of order or duplicate: rates need increasing time
        hist.append((t, v))
        while len(hist) > 2 and t - hist[1][0] >= self.window_ns:
            hist.popleft()
        t0, v0 = hist[0]
        if t - t0 < self.window_ns // 2:
            return None  # not enough history to judge a rate honestly
        rate = self._signed((v - v0) / (t - t0) * self.scale)
        if not self.active and rate >= self.rule.limit:
            self.active = True
            return _change(self.rule, r, True, rate)
        if self.active and rate < self.rule.limit - self.rule.deadband:
            self.active = False
            return _change(self.rule, r, False, rate)
        return None


class RollingZ:
    """Rolling mean/std over the last `window` samples (O(1) per sample, Welford add/remove).

    The small interface anomaly rules need: `push(x)` returns the z-score of x against the samples
    *before* it (None until `min_samples`), then adds x to the window.
    """

    __slots__ = ("buf", "m2", "mean", "min_samples", "window")

    def __init__(self, window: int, min_samples: int):
        self.window, self.min_samples = window, min_samples
        self.buf: deque[float] = deque()
        self.mean = 0.0
        self.m2 = 0.0

    def std(self) -> float:
        n = len(self.buf)
        return math.sqrt(max(self.m2, 0.0) / (n - 1)) if n > 1 else 0.0

    def push(self, x: float) -> float | None:
        n = len(self.buf)
        z = None
        if n >= self.min_samples:
            sd = self.std()
            scale = max(sd, 1e-9 * max(1.0, abs(self.mean)))
            z = (x - self.mean) / scale
        if n == self.window:  # remove the oldest (reverse Welford)
            old = self.buf.popleft()
            n -= 1
            if n:
                mean_new = (self.mean * (n + 1) - old) / n
                self.m2 -= (old - self.mean) * (old - mean_new)
                self.mean = mean_new
            else:
                self.mean, self.m2 = 0.0, 0.0
        self.buf.append(x)
        n += 1
        delta = x - self.mean
        self.mean += delta / n
        self.m2 += delta * (x - self.mean)
        return z


class AnomalyEval:
    __slots__ = ("active", "roll", "rule")

    def __init__(self, rule: Anomaly):
        self.rule = rule
        self.roll = RollingZ(rule.window, rule.min_samples)
        self.active = False

    def update(self, t: int, v: float, r: Reading) -> Change | None:
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


class CompiledArea:
    """An Area ready for fast point tests (bounding box first, then the ring or the circle)."""

    def __init__(self, area: Area):
        self.area = area
        if area.polygon:
            ring = [tuple(p) for p in area.polygon]
            self.ring = ring
            lons, lats = [p[0] for p in ring], [p[1] for p in ring]
            self.bbox = (min(lons), min(lats), max(lons), max(lats))
        else:
            lat, lon = area.center
            dlat = area.radius_m / 111_195.0
            dlon = dlat / max(0.01, math.cos(math.radians(lat)))
            self.ring = []
            self.bbox = (lon - dlon, lat - dlat, lon + dlon, lat + dlat)

    def contains(self, lat: float, lon: float) -> bool:
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        if self.ring:
            return point_in_ring(lon, lat, self.ring)
        c = self.area.center
        return haversine_m(lat, lon, c[0], c[1]) <= self.area.radius_m

    def centroid(self) -> tuple[float, float]:
        if self.ring:
            return (
                sum(p[1] for p in self.ring) / len(self.ring),
                sum(p[0] for p in self.ring) / len(self.ring),
            )
        return self.area.center


class GeofenceEval:
    """Per vehicle: enter (active while inside), exit (active while outside), dwell (inside ≥ dwell_s)."""

    __slots__ = ("active", "area", "entered", "inside", "rule")

    def __init__(self, rule: Geofence, area: CompiledArea):
        self.rule = rule
        self.area = area
        self.inside: bool | None = None
        self.entered: int | None = None
        self.active = False

    def update(self, r: Reading) -> Change | None:
        if r.lat is None or r.lon is None:
            return None
        inside = self.area.contains(r.lat, r.lon)
        if inside and not self.inside:
            self.entered = r.t
        self.inside = inside
        mode = self.rule.mode
        if mode == "enter":
            want = inside
        elif mode == "exit":
            want = not inside
        else:
            want = inside and self.entered is not None and r.t - self.entered >= self.rule.dwell_s * NS
        if want != self.active:
            self.active = want
            return _change(self.rule, r, want, None)
        return None


class StaleWatch:
    """Last data time per entity of a topic; `tick(now)` raises stale alarms, `touch` clears them."""

    def __init__(self, rule: Stale, started: int):
        self.rule = rule
        self.after_ns = int(rule.after_s * NS)
        self.last: dict[str, int] = {}
        self.stale: set[str] = set()
        self.readings: dict[str, Reading] = {}
        if rule.entity != "*":
            self.last[rule.entity] = started  # a named entity is expected from the start

    def touch(self, r: Reading) -> Change | None:
        last = self.last.get(r.entity)
        if last is None or r.t > last:
            self.last[r.entity] = r.t
            self.readings[r.entity] = r
        if r.entity in self.stale and r.t > (last or 0):
            self.stale.discard(r.entity)
            return _change(self.rule, r, False, None)
        return None

    def tick(self, now: int) -> list[Change]:
        out = []
        for entity, last in self.last.items():
            if entity not in self.stale and now - last > self.after_ns:
                self.stale.add(entity)
                r = self.readings.get(entity)
                age = round((now - last) / NS)
                out.append(
                    Change(
                        self.rule,
                        entity,
                        True,
                        now,
                        float(age),
                        r.lat if r else None,
                        r.lon if r else None,
                        r,
                    )
                )
        return out

    def seed(self, entity: str, active: bool) -> None:
        if active:
            self.stale.add(entity)
            self.last.setdefault(entity, 0)


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

    def _xy(self, lat: float, lon: float) -> tuple[float, float]:
        x, y = self.proj.to_xy(lat, lon)
        return float(x), float(y)

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

    def _near(self, x: float, y: float) -> list[tuple[int, float, float]]:
        cx, cy = int(x // self.r), int(y // self.r)
        out = []
        for i in (cx - 1, cx, cx + 1):
            for j in (cy - 1, cy, cy + 1):
                for p in self.cells.get((i, j), ()):
                    if (p[1] - x) ** 2 + (p[2] - y) ** 2 <= self.r2:
                        out.append(p)
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
        near = self._near(x, y)
        if len(near) < self.rule.count:
            return None
        mx = sum(q[1] for q in near) / len(near)
        my = sum(q[2] for q in near) / len(near)
        lat, lon = self.proj.to_latlon(mx, my)
        subject = f"cluster:{int(mx // self.r)}:{int(my // self.r)}"
        self.clusters[subject] = (mx, my, float(lat), float(lon))
        return Change(self.rule, subject, True, r.t, float(len(near)), float(lat), float(lon), r)

    def count_at(self, subject: str) -> int:
        cx, cy, _lat, _lon = self.clusters[subject]
        return len(self._near(cx, cy))

    def tick(self, now: int) -> list[Change]:
        self._prune(now)
        out = []
        for subject in list(self.clusters):
            n = self.count_at(subject)
            if n < self.rule.count:
                _x, _y, lat, lon = self.clusters.pop(subject)
                out.append(Change(self.rule, subject, False, now, float(n), lat, lon, None))
        return out

    def seed(self, subject: str, active: bool, lat: float | None, lon: float | None) -> None:
        if active and lat is not None and lon is not None:
            x, y = self._xy(lat, lon)
            self.clusters[subject] = (x, y, lat, lon)


class CompositeEval:
    """AND / OR over other rules' alarms: fed with their condition changes, not with readings."""

    def __init__(self, rule: Composite):
        self.rule = rule
        self.window_ns = int(rule.window_s * NS)
        self.active_children: dict[str, dict[str, int]] = {rid: {} for rid in rule.of}  # rule -> alarm -> t
        self.active = False

    def child(self, rule_id: str, alarm_id: str, active: bool, t: int) -> Change | None:
        alarms = self.active_children.get(rule_id)
        if alarms is None:
            return None
        if active:
            alarms[alarm_id] = t
        else:
            alarms.pop(alarm_id, None)
        want = self._holds()
        if want == self.active:
            return None
        self.active = want
        return Change(self.rule, "", want, t, float(sum(1 for a in self.active_children.values() if a)))

    def _holds(self) -> bool:
        live = [max(a.values()) for a in self.active_children.values() if a]
        if self.rule.op == "or":
            return bool(live)
        if len(live) < len(self.active_children):
            return False
        return self.active or max(live) - min(live) <= self.window_ns


def evaluator_for(rule: Rule, *, area: CompiledArea | None = None) -> Any:
    """A fresh per-entity evaluator for value and geofence rules."""
    if isinstance(rule, Threshold):
        return ThresholdEval(rule)
    if isinstance(rule, RateOfChange):
        return RateEval(rule)
    if isinstance(rule, Anomaly):
        return AnomalyEval(rule)
    if isinstance(rule, Geofence):
        return GeofenceEval(rule, area or CompiledArea(rule.area))
    raise TypeError(f"{rule.kind} rules have no per-entity evaluator")


PER_ENTITY = (Threshold, RateOfChange, Anomaly, Geofence)
VALUE_RULES = (Threshold, RateOfChange, Anomaly)


def rule_key(rule: Rule) -> str | None:
    """The value key a per-entity rule reads (None: it needs the whole reading)."""
    return getattr(rule, "key", None) if isinstance(rule, VALUE_RULES) else None


def render_message(rule: Rule, change: Change, language: str, fmt_number: Callable[..., str]) -> str:
    template = rule.message_fa if language == "fa" else rule.message_en
    r = change.reading
    name = ""
    if r is not None:
        name = str(r.attrs.get(f"name_{language}") or r.attrs.get("name") or "")
    values = {
        "title": rule.title(language),
        "entity": change.subject,
        "name": name or change.subject,
        "value": "" if change.value is None else fmt_number(change.value, 2 if abs(change.value) < 10 else 0),
        "unit": rule.unit,
        "count": "" if change.value is None else fmt_number(change.value, 0),
    }
    if template:
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            pass  # a bad template never loses the alarm: fall back to the plain form
    parts = [values["title"], values["name"]]
    if values["value"]:
        parts.append(f"{values['value']} {values['unit']}".strip())
    return " — ".join(p for p in parts if p)


def iter_rules(items: Iterable[Any]) -> Iterable[Rule]:
    """Rules from a registry (RuleSpec(plugin, rule)) or plain rules, with the owner filled in."""
    for item in items:
        rule = getattr(item, "rule", item)
        plugin = getattr(item, "plugin", "")
        if isinstance(rule, Rule):
            yield (
                msgspec.structs.replace(rule, owner=f"plugin:{plugin}") if plugin and not rule.owner else rule
            )
