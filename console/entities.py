"""EntityState (core service "entities"): the latest state of everything the map draws, Qt-free.

It subscribes to the FeedBus as a worker (its own thread: ingest never runs on the UI loop) and keeps,
per entity (vehicle, sensor, traffic segment, 137 report): position, heading, status level, kind,
source, receive time and the latest Reading. State lives in numpy columns indexed by *slot* (a small
integer the page uses too), so diffs, staleness and clustering are vectorised.

- `cursor()` gives each consumer its own `DiffCursor`; `take()` returns what changed since that
  consumer last looked: adds (new slots with their ids), upserts (moved or restyled) and removes.
  A consumer that falls behind simply gets one bigger, coalesced diff: nothing queues up.
- Staleness: an entity is stale when it has been silent past its stale-after (from the signal
  catalog) or when its source is stale/down/reconnecting in core.health. Stale entities are drawn grey.
- Vehicles keep a bounded trail (a ring of points at least `trail_step_s` apart, or on a turn) for
  track replay; `trail()` asks a `HistoryProvider` (the storage room's, once it lands) for anything
  older than the ring holds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np

from console.bus import FeedBus
from console.catalog import DERIVED_PREFIX, signal_meta
from console.health import FeedHealth, FeedState
from console.logsetup import LogOnce
from console.mapstyle import (
    IGNORED_TOPICS,
    KIND_CODE,
    KINDS,
    LEVEL_ALARM,
    LEVEL_OK,
    LEVEL_SEVERE,
    LEVEL_UNKNOWN,
    LEVEL_WARN,
    PLACE_KINDS,
    TOPIC_KINDS,
    VEHICLE_CODES,
    segment_level,
    style_code,
)
from console.model import Reading

log = logging.getLogger(__name__)
_once = LogOnce(log)

SEGMENT = KIND_CODE["segment"]
REPORT = KIND_CODE["report"]
OTHER = KIND_CODE["other"]
NO_HEADING = 0xFFFF
_VEHICLE_ALARM = {"emergency", "panic", "sos", "alarm", "accident"}
_VEHICLE_WARN = {"out_of_service", "breakdown", "stopped", "delayed", "off_route", "maintenance"}
_REPORT_ALARM = {"urgent", "critical", "emergency"}
_SENSOR_ALARM = {"tripped", "fault", "failed", "down", "alarm", "emergency", "offline"}
_SENSOR_WARN = {"degraded", "maintenance", "warning", "overload"}
_REPORT_DONE = {"resolved", "closed", "done", "rejected"}
_NEVER = -(2**62)  # "no trail point yet": far in the past, yet t - _NEVER cannot overflow int64
_BAD_SOURCE_STATES = (FeedState.STALE, FeedState.DOWN, FeedState.RECONNECTING)


class Trail(NamedTuple):
    t: np.ndarray  # int64 ns
    lat: np.ndarray  # float64
    lon: np.ndarray
    speed: np.ndarray  # float32 km/h (NaN unknown)
    heading: np.ndarray  # float32 degrees (NaN unknown)

    def __len__(self) -> int:
        return len(self.t)

    @classmethod
    def empty(cls) -> Trail:
        f = np.empty(0, np.float64)
        return cls(np.empty(0, np.int64), f, f.copy(), np.empty(0, np.float32), np.empty(0, np.float32))

    def at(self, t_ns: int) -> tuple[float, float, float] | None:
        """(lat, lon, heading) interpolated at `t_ns` (clamped to the trail's span)."""
        if not len(self.t):
            return None
        i = int(np.searchsorted(self.t, t_ns))
        if i <= 0:
            return float(self.lat[0]), float(self.lon[0]), float(self.heading[0])
        if i >= len(self.t):
            return float(self.lat[-1]), float(self.lon[-1]), float(self.heading[-1])
        t0, t1 = self.t[i - 1], self.t[i]
        f = (t_ns - t0) / (t1 - t0) if t1 > t0 else 0.0
        lat = self.lat[i - 1] + f * (self.lat[i] - self.lat[i - 1])
        lon = self.lon[i - 1] + f * (self.lon[i] - self.lon[i - 1])
        return float(lat), float(lon), float(self.heading[i - 1] if f < 0.5 else self.heading[i])


def concat_trails(a: Trail, b: Trail) -> Trail:
    return Trail(*(np.concatenate([x, y]) for x, y in zip(a, b, strict=True)))


class HistoryProvider(Protocol):
    """Older positions than the ring buffer holds (the storage room implements this)."""

    def trail(self, entity: str, since_ns: int, until_ns: int) -> Trail | None: ...


@dataclass(frozen=True)
class EntityInfo:
    id: str
    kind: str
    slot: int
    lat: float
    lon: float
    heading: float | None
    level: int
    stale: bool
    source: str
    topic: str
    age_s: float
    reading: Reading | None


class EntityDiff(NamedTuple):
    up_slot: np.ndarray  # uint32
    up_lat: np.ndarray  # float32
    up_lon: np.ndarray  # float32
    up_heading: np.ndarray  # uint16 (degrees, NO_HEADING = unknown)
    up_style: np.ndarray  # uint16 (mapstyle.style_code)
    add_slot: np.ndarray  # uint32 (subset of up_slot: first time this consumer sees the slot)
    add_ids: list[str]
    rm_slot: np.ndarray  # uint32

    def __bool__(self) -> bool:
        return bool(len(self.up_slot) or len(self.rm_slot))


class _Columns:
    """Growable numpy columns, one row per slot."""

    SPEC = (
        ("lat", np.float64, np.nan),
        ("lon", np.float64, np.nan),
        ("heading", np.float32, np.nan),
        ("speed", np.float32, np.nan),
        ("kind", np.uint8, 0),
        ("level", np.uint8, 0),
        ("stale", np.bool_, False),
        ("alive", np.bool_, False),
        ("gen", np.uint32, 0),
        ("pos_ver", np.uint32, 0),
        ("style_ver", np.uint32, 0),
        ("rx", np.float64, 0.0),
        ("stale_after", np.float32, np.inf),
        ("expire_after", np.float32, np.inf),
        ("src", np.int32, 0),
        ("trow", np.int32, -1),
    )

    def __init__(self, capacity: int):
        self.capacity = 0
        for name, dtype, fill in self.SPEC:
            setattr(self, name, np.full(0, fill, dtype))
        self.grow(capacity)

    def grow(self, capacity: int) -> None:
        if capacity <= self.capacity:
            return
        for name, dtype, fill in self.SPEC:
            old = getattr(self, name)
            new = np.full(capacity, fill, dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        self.capacity = capacity


class _Trails:
    """Per-vehicle ring of trail points: t (deciseconds since t0), lat, lon (float32), speed, heading."""

    def __init__(self, points: int, step_s: float):
        self.k = max(8, int(points))
        self.step_ns = int(step_s * 1e9)
        self.rows = 0
        self.free: list[int] = []
        self.t0_ns: int | None = None
        self._alloc(0)

    def _alloc(self, rows: int) -> None:
        def grow(old, shape, dtype, fill):
            new = np.full(shape, fill, dtype)
            if old is not None:
                new[: len(old)] = old
            return new

        k = self.k
        self.t = grow(getattr(self, "t", None), (rows, k), np.int32, 0)
        self.lat = grow(getattr(self, "lat", None), (rows, k), np.float32, np.nan)
        self.lon = grow(getattr(self, "lon", None), (rows, k), np.float32, np.nan)
        self.speed = grow(getattr(self, "speed", None), (rows, k), np.float16, np.nan)
        self.heading = grow(getattr(self, "heading", None), (rows, k), np.float16, np.nan)
        self.head = grow(getattr(self, "head", None), rows, np.int32, 0)
        self.count = grow(getattr(self, "count", None), rows, np.int32, 0)
        self.last_ns = grow(getattr(self, "last_ns", None), rows, np.int64, _NEVER)
        self.last_hd = grow(getattr(self, "last_hd", None), rows, np.float32, np.nan)
        self.capacity = rows

    def new_row(self) -> int:
        if self.free:
            row = self.free.pop()
        else:
            if self.rows >= self.capacity:
                self._alloc(self.capacity + max(256, self.capacity // 4))
            row = self.rows
            self.rows += 1
        self.head[row] = 0
        self.count[row] = 0
        self.last_ns[row] = _NEVER
        self.last_hd[row] = np.nan
        return row

    def release(self, row: int) -> None:
        self.count[row] = 0
        self.free.append(row)

    def push(self, row: int, t_ns: int, lat: float, lon: float, speed: float, heading: float) -> bool:
        last = int(self.last_ns[row])
        dt = t_ns - last
        if dt <= 0:
            return False
        if dt < self.step_ns:
            turn = abs(((heading - float(self.last_hd[row])) + 180.0) % 360.0 - 180.0)
            if not (dt >= 1_000_000_000 and turn >= 30.0):  # NaN comparisons are False: no turn known
                return False
        if self.t0_ns is None:
            self.t0_ns = t_ns - t_ns % 1_000_000_000
        i = int(self.head[row])
        self.t[row, i] = (t_ns - self.t0_ns) // 100_000_000
        self.lat[row, i] = lat
        self.lon[row, i] = lon
        self.speed[row, i] = speed
        self.heading[row, i] = heading
        self.head[row] = (i + 1) % self.k
        self.count[row] = min(self.k, int(self.count[row]) + 1)
        self.last_ns[row] = t_ns
        self.last_hd[row] = heading
        return True

    def push_many(self, rows, t_ns, lat, lon, speed, heading) -> int:
        """Vectorised `push` for distinct rows; returns how many points were kept."""
        last = self.last_ns[rows]
        dt = t_ns - last
        turn = np.abs((heading - self.last_hd[rows] + 180.0) % 360.0 - 180.0)
        keep = (dt > 0) & ((dt >= self.step_ns) | ((dt >= 1_000_000_000) & (turn >= 30.0)))
        if not keep.any():
            return 0
        rows, t_ns = rows[keep], t_ns[keep]
        if self.t0_ns is None:
            self.t0_ns = int(t_ns[0]) - int(t_ns[0]) % 1_000_000_000
        i = self.head[rows]
        self.t[rows, i] = (t_ns - self.t0_ns) // 100_000_000
        self.lat[rows, i] = lat[keep]
        self.lon[rows, i] = lon[keep]
        self.speed[rows, i] = speed[keep]
        self.heading[rows, i] = heading[keep]
        self.head[rows] = (i + 1) % self.k
        self.count[rows] = np.minimum(self.k, self.count[rows] + 1)
        self.last_ns[rows] = t_ns
        self.last_hd[rows] = heading[keep]
        return int(keep.sum())

    def read(self, row: int, since_ns: int) -> Trail:
        n = int(self.count[row])
        if not n or self.t0_ns is None:
            return Trail.empty()
        head = int(self.head[row])
        order = np.arange(head - n, head) % self.k
        t = self.t[row, order].astype(np.int64) * 100_000_000 + self.t0_ns
        keep = t >= since_ns
        return Trail(
            t[keep],
            self.lat[row, order][keep].astype(np.float64),
            self.lon[row, order][keep].astype(np.float64),
            self.speed[row, order][keep].astype(np.float32),
            self.heading[row, order][keep].astype(np.float32),
        )

    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.t, self.lat, self.lon, self.speed, self.heading))


class EntityState:
    CHUNK = 2048  # readings ingested per lock hold

    def __init__(
        self,
        bus: FeedBus | None = None,
        health: FeedHealth | None = None,
        city: Any = None,
        *,
        trail_minutes: float = 30.0,
        trail_step_s: float = 10.0,
        capacity: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.bus = bus
        self.health = health
        self.city = city
        self.clock = clock
        self.trail_minutes = trail_minutes
        self._lock = threading.RLock()
        self.cols = _Columns(capacity)
        self.trails = _Trails(math.ceil(trail_minutes * 60.0 / trail_step_s) + 1, trail_step_s)
        self.ids: list[str | None] = [None] * capacity
        self.index: dict[str, int] = {}
        self.latest: dict[str, Reading] = {}
        self.topics: list[str] = [""] * capacity
        self._free: list[int] = []
        self._high = 0  # slots [0, _high) have been used
        self._sources: dict[str, int] = {"": 0}
        self._source_names: list[str] = [""]
        self._bad_sources = np.zeros(1, np.bool_)
        self._health_checked = -1e9
        self._fixed = self._fixed_positions(city)
        self._unsubscribe: Callable[[], None] | None = None
        self._providers: list[HistoryProvider] = []
        self.counters = {"ingested": 0, "ignored": 0, "no_position": 0, "bad_position": 0, "expired": 0}

    # -- lifecycle -------------------------------------------------------------------------------------
    def attach(self, worker: bool = True) -> None:
        """Subscribe to every topic on the bus (worker thread by default)."""
        if self.bus is not None and self._unsubscribe is None:
            self._unsubscribe = self.bus.subscribe("#", self.ingest, name="entities", worker=worker)

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def async_start(self) -> None:
        self.attach()

    async def async_stop(self) -> None:
        self.detach()

    def set_history_provider(self, provider: HistoryProvider | None) -> None:
        """The storage room registers here; `trail()` asks it for what the ring no longer holds."""
        self._providers = [provider] if provider is not None else []

    # -- fixed positions ---------------------------------------------------------------------------------
    @staticmethod
    def _fixed_positions(city: Any) -> dict[str, tuple[float, float, str]]:
        """entity id -> (lat, lon, kind) for segments (road midpoints) and the city's fixed sites."""
        fixed: dict[str, tuple[float, float, str]] = {}
        if city is None:
            return fixed
        for road in city.roads:
            a, b = city.nodes[road.a], city.nodes[road.b]
            fixed[road.id] = ((a.lat + b.lat) / 2, (a.lon + b.lon) / 2, "segment")
        for place_kind, kind in PLACE_KINDS.items():
            for p in city.places.get(place_kind, []):
                fixed[p["id"]] = (p["lat"], p["lon"], kind)
        return fixed

    def _road_limit(self, entity: str) -> float | None:
        if self.city is None:
            return None
        try:
            return self.city.road(entity).speed_limit_kmh
        except KeyError:
            return None

    # -- ingest (bus worker thread) --------------------------------------------------------------------------
    def ingest(self, topic: str, items: list[Any]) -> None:
        if topic in IGNORED_TOPICS or topic.startswith(DERIVED_PREFIX):
            return
        kind = KIND_CODE.get(TOPIC_KINDS.get(topic, "other"), OTHER)
        now = self.clock()
        for start in range(0, len(items), self.CHUNK):
            with self._lock:
                self._ingest_chunk(topic, kind, items[start : start + self.CHUNK], now)

    def _ingest_chunk(self, topic: str, kind: int, items: list[Any], now: float) -> None:
        """A Python pass picks slots and positions; numpy applies the chunk (the last reading of a slot wins)."""
        c, index, latest, fixed, counters = self.cols, self.index, self.latest, self._fixed, self.counters
        nan = math.nan
        slots: list[int] = []
        lats: list[float] = []
        lons: list[float] = []
        hds: list[float] = []
        spds: list[float] = []
        lvls: list[int] = []
        srcs: list[int] = []
        ts: list[int] = []
        for r in items:
            if r.__class__ is not Reading:  # other rooms' traffic (alarm transitions, ...) passes by
                counters["ignored"] += 1
                if topic in TOPIC_KINDS:  # but junk on an entity topic is worth a line
                    _once.warning(
                        ("entities-type", topic), "entities: ignoring non-Reading items on %s", topic
                    )
                continue
            slot = index.get(r.entity)
            lat, lon = r.lat, r.lon
            if lat is None or lon is None:
                place = fixed.get(r.entity)
                if place is not None:
                    lat, lon = place[0], place[1]
                elif slot is not None:
                    lat, lon = float(c.lat[slot]), float(c.lon[slot])
                else:
                    counters["no_position"] += 1
                    continue
            elif not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # also False for NaN
                counters["bad_position"] += 1
                _once.warning(
                    ("entities-pos", r.source),
                    "entities: %s sent an impossible position for %s (%r, %r); keeping the last one",
                    r.source,
                    r.entity,
                    lat,
                    lon,
                )
                if slot is None:
                    continue
                lat, lon = float(c.lat[slot]), float(c.lon[slot])
            if slot is None:
                slot = self._new_slot(r, topic, kind)
            latest[r.entity] = r
            values = r.values
            src = self._sources.get(r.source)
            if src is None:
                src = self._add_source(r.source)
            slots.append(slot)
            lats.append(lat)
            lons.append(lon)
            hds.append(values.get("heading", nan))
            spds.append(values.get("speed", nan))
            lvls.append(self._level(int(c.kind[slot]) if kind == OTHER else kind, r))
            srcs.append(src)
            ts.append(r.t)
        if not slots:
            return
        counters["ingested"] += len(slots)
        s = np.array(slots, np.int64)
        lat = np.array(lats)
        lon = np.array(lons)
        hd = np.array(hds, np.float32)
        spd = np.array(spds, np.float32)
        t = np.array(ts, np.int64)
        uniq, first_rev = np.unique(s[::-1], return_index=True)
        rows = c.trow[s]
        if len(uniq) < len(s):  # a slot twice in one chunk (replay bursts): trail points in order
            for i in np.flatnonzero(rows >= 0):
                self.trails.push(int(rows[i]), int(t[i]), lat[i], lon[i], float(spd[i]), float(hd[i]))
            last = len(s) - 1 - first_rev
            s, lat, lon, hd, spd, t, rows = (
                s[last],
                lat[last],
                lon[last],
                hd[last],
                spd[last],
                t[last],
                rows[last],
            )
            lvl = np.array(lvls, np.uint8)[last]
            src_a = np.array(srcs, np.int32)[last]
        else:
            lvl = np.array(lvls, np.uint8)
            src_a = np.array(srcs, np.int32)
            veh = rows >= 0
            if veh.any():
                self.trails.push_many(rows[veh], t[veh], lat[veh], lon[veh], spd[veh], hd[veh])
        old_hd = c.heading[s]
        turned = (hd != old_hd) & ~(np.isnan(hd) & np.isnan(old_hd))
        moved = (lat != c.lat[s]) | (lon != c.lon[s]) | turned
        c.lat[s] = lat
        c.lon[s] = lon
        c.heading[s] = hd
        c.speed[s] = spd
        c.pos_ver[s[moved]] += 1
        restyled = lvl != c.level[s]
        c.level[s] = lvl
        c.style_ver[s[restyled]] += 1
        c.rx[s] = now
        c.src[s] = src_a

    def _add_source(self, source: str) -> int:
        idx = self._sources[source] = len(self._source_names)
        self._source_names.append(source)
        self._bad_sources = np.append(self._bad_sources, False)
        return idx

    def _new_slot(self, r: Reading, topic: str, kind: int) -> int:
        if kind == OTHER:
            fixed = self._fixed.get(r.entity)
            if fixed is not None:
                kind = KIND_CODE[fixed[2]]
        if self._free:
            slot = self._free.pop()
        else:
            slot = self._high
            self._high += 1
            if slot >= self.cols.capacity:
                cap = self.cols.capacity * 2
                self.cols.grow(cap)
                self.ids.extend([None] * (cap - len(self.ids)))
                self.topics.extend([""] * (cap - len(self.topics)))
        c = self.cols
        c.kind[slot] = kind
        c.level[slot] = LEVEL_UNKNOWN
        c.alive[slot] = True
        c.stale[slot] = False
        c.gen[slot] += 1
        c.lat[slot] = c.lon[slot] = c.heading[slot] = np.nan
        c.stale_after[slot] = self._stale_after(kind, r)
        c.expire_after[slot] = np.inf if (r.entity in self._fixed or kind == SEGMENT) else 3600.0
        c.trow[slot] = self.trails.new_row() if kind in VEHICLE_CODES else -1
        self.ids[slot] = r.entity
        self.topics[slot] = topic
        self.index[r.entity] = slot
        return slot

    @staticmethod
    def _stale_after(kind: int, r: Reading) -> float:
        if kind == REPORT:
            return np.inf  # a report is an event, not a live signal
        if not r.values:
            return 60.0
        return max(signal_meta(r.etype, k).stale_after_s for k in r.values)

    def _level(self, kind: int, r: Reading) -> int:
        attrs = r.attrs
        if kind in VEHICLE_CODES:
            status = str(attrs.get("status", "")).lower()
            if status in _VEHICLE_ALARM:
                return LEVEL_ALARM
            return LEVEL_WARN if status in _VEHICLE_WARN else LEVEL_OK
        if kind == SEGMENT:
            return segment_level(r.values.get("speed"), self._road_limit(r.entity))
        if kind == REPORT:
            status = str(attrs.get("status", "")).lower()
            if status in _REPORT_DONE:
                return LEVEL_OK
            urgency = r.values.get("urgency")  # 1 routine .. 4 life-threatening
            if urgency is not None and urgency == urgency:
                return LEVEL_SEVERE if urgency >= 4 else LEVEL_ALARM if urgency >= 3 else LEVEL_WARN
            label = str(attrs.get("urgency", attrs.get("priority", ""))).lower()
            return LEVEL_ALARM if label in _REPORT_ALARM or status in _REPORT_ALARM else LEVEL_WARN
        status = str(attrs.get("status", "")).lower()
        by_status = (
            LEVEL_ALARM if status in _SENSOR_ALARM else LEVEL_WARN if status in _SENSOR_WARN else LEVEL_OK
        )
        return max(band_level(r), by_status)

    # -- reading (any thread) -------------------------------------------------------------------------------
    def remove(self, entity: str) -> bool:
        with self._lock:
            slot = self.index.get(entity)
            if slot is None:
                return False
            self._free_slot(slot)
            return True

    def _free_slot(self, slot: int) -> None:
        c = self.cols
        entity = self.ids[slot]
        c.alive[slot] = False
        if c.trow[slot] >= 0:
            self.trails.release(int(c.trow[slot]))
            c.trow[slot] = -1
        self.index.pop(entity, None)
        self.latest.pop(entity, None)
        self.ids[slot] = None
        self._free.append(slot)

    def refresh(self, now: float | None = None) -> int:
        """Re-evaluate staleness and expiry; returns how many entities changed their stale flag."""
        now = self.clock() if now is None else now
        with self._lock:
            self._refresh_sources(now)
            n = self._high
            c = self.cols
            alive = c.alive[:n]
            age = now - c.rx[:n]
            expired = np.flatnonzero(alive & (age > c.expire_after[:n]))
            for slot in expired:
                self._free_slot(int(slot))
            self.counters["expired"] += len(expired)
            stale = alive & ((age > c.stale_after[:n]) | self._bad_sources[c.src[:n]])
            changed = stale != c.stale[:n]
            if changed.any():
                c.stale[:n] = stale
                c.style_ver[:n][changed] += 1
            return int(changed.sum())

    def _refresh_sources(self, now: float) -> None:
        if self.health is None or now - self._health_checked < 0.5:
            return
        self._health_checked = now
        bad = np.zeros(len(self._source_names), np.bool_)
        for st in self.health.snapshot():
            idx = self._sources.get(st.source)
            if idx is not None and st.state in _BAD_SOURCE_STATES:
                bad[idx] = True
        self._bad_sources = bad

    def cursor(self) -> DiffCursor:
        return DiffCursor(self)

    def get(self, entity: str) -> EntityInfo | None:
        with self._lock:
            slot = self.index.get(entity)
            if slot is None:
                return None
            return self._info(slot)

    def at_slot(self, slot: int) -> EntityInfo | None:
        with self._lock:
            if not (0 <= slot < self._high) or not self.cols.alive[slot]:
                return None
            return self._info(slot)

    def _info(self, slot: int) -> EntityInfo:
        c = self.cols
        entity = self.ids[slot]
        hd = float(c.heading[slot])
        return EntityInfo(
            id=entity,
            kind=KINDS[int(c.kind[slot])][0],
            slot=slot,
            lat=float(c.lat[slot]),
            lon=float(c.lon[slot]),
            heading=None if math.isnan(hd) else hd,
            level=int(c.level[slot]),
            stale=bool(c.stale[slot]),
            source=self._source_names[int(c.src[slot])],
            topic=self.topics[slot],
            age_s=max(0.0, self.clock() - float(c.rx[slot])),
            reading=self.latest.get(entity),
        )

    def count(self, kinds: Iterable[str] | None = None) -> int:
        with self._lock:
            alive = self.cols.alive[: self._high]
            if kinds is None:
                return int(alive.sum())
            codes = [KIND_CODE[k] for k in kinds]
            return int((alive & np.isin(self.cols.kind[: self._high], codes)).sum())

    def summary(self) -> dict[str, int]:
        """Alive entities per drawn class ("vehicle", "sensor", "segment", "report") and how many are stale."""
        with self._lock:
            n = self._high
            c = self.cols
            alive = c.alive[:n]
            kinds = c.kind[:n][alive]
            out = {
                "vehicle": 0,
                "sensor": 0,
                "segment": 0,
                "report": 0,
                "stale": int((c.stale[:n] & alive).sum()),
            }
            counts = np.bincount(kinds, minlength=max(KINDS) + 1)
            for code, (_, drawn) in KINDS.items():
                out[drawn] += int(counts[code])
            return out

    def ids_of(self, kind: str) -> list[str]:
        code = KIND_CODE[kind]
        with self._lock:
            n = self._high
            slots = np.flatnonzero(self.cols.alive[:n] & (self.cols.kind[:n] == code))
            return [self.ids[int(s)] for s in slots]

    def snapshot(self, kinds: Iterable[str]) -> dict[str, np.ndarray]:
        """Copies of the columns for alive entities of `kinds`: slot, lat, lon, value arrays, stale, level."""
        codes = [KIND_CODE[k] for k in kinds]
        with self._lock:
            n = self._high
            c = self.cols
            mask = c.alive[:n] & np.isin(c.kind[:n], codes) & ~np.isnan(c.lat[:n])
            slots = np.flatnonzero(mask)
            return {
                "slot": slots,
                "lat": c.lat[slots].copy(),
                "lon": c.lon[slots].copy(),
                "kind": c.kind[slots].copy(),
                "stale": c.stale[slots].copy(),
                "level": c.level[slots].copy(),
            }

    def values(self, slots: np.ndarray, key: str) -> np.ndarray:
        """The latest numeric value `key` of each slot's entity (NaN where missing)."""
        with self._lock:
            out = np.full(len(slots), np.nan)
            for i, s in enumerate(slots):
                r = self.latest.get(self.ids[int(s)])
                if r is not None:
                    out[i] = r.values.get(key, np.nan)
            return out

    def trail(self, entity: str, minutes: float | None = None, now_ns: int | None = None) -> Trail:
        """The vehicle's positions over the last `minutes` (ring buffer, then the history provider)."""
        minutes = self.trail_minutes if minutes is None else minutes
        with self._lock:
            slot = self.index.get(entity)
            reading = self.latest.get(entity)
            end_ns = now_ns or (reading.t if reading else time.time_ns())
            since = end_ns - int(minutes * 60e9)
            row = int(self.cols.trow[slot]) if slot is not None else -1
            ring = self.trails.read(row, since) if row >= 0 else Trail.empty()
        oldest = int(ring.t[0]) if len(ring) else end_ns
        for provider in self._providers:
            if oldest > since:
                try:
                    older = provider.trail(entity, since, oldest - 1)
                except Exception as exc:
                    _once.error(
                        ("entities-history", entity), "history provider failed for %s: %r", entity, exc
                    )
                    older = None
                if older is not None and len(older):
                    ring = concat_trails(older, ring)
        return ring

    def memory_bytes(self) -> int:
        cols = sum(getattr(self.cols, name).nbytes for name, _, _ in _Columns.SPEC)
        return cols + self.trails.nbytes()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                **self.counters,
                "entities": int(self.cols.alive[: self._high].sum()),
                "slots": self._high,
            }


def band_level(r: Reading) -> int:
    """Worst status of a reading's values against their catalog bands (warn/alarm, high or low)."""
    level = LEVEL_OK
    for key, v in r.values.items():
        m = signal_meta(r.etype, key)
        if v != v:
            continue
        if (m.alarm_hi is not None and v >= m.alarm_hi) or (m.alarm_lo is not None and v <= m.alarm_lo):
            return LEVEL_ALARM if m.alarm_hi is None or v < m.alarm_hi * 1.5 else LEVEL_SEVERE
        if (m.warn_hi is not None and v >= m.warn_hi) or (m.warn_lo is not None and v <= m.warn_lo):
            level = LEVEL_WARN
    return level


class DiffCursor:
    """One consumer's view of EntityState: `take()` returns what changed since its last take."""

    def __init__(self, state: EntityState):
        self.state = state
        self.seen_gen = np.zeros(0, np.uint32)
        self.seen_pos = np.zeros(0, np.uint32)
        self.seen_style = np.zeros(0, np.uint32)
        self.known = np.zeros(0, np.bool_)
        self.taken = 0

    def _fit(self, n: int) -> None:
        if len(self.known) >= n:
            return
        size = max(n, 2 * len(self.known))
        for name in ("seen_gen", "seen_pos", "seen_style", "known"):
            old = getattr(self, name)
            new = np.zeros(size, old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def reset(self) -> None:
        """Forget everything seen: the next take() re-sends every entity (page reloaded)."""
        self.known[:] = False

    def take(self, refresh: bool = True) -> EntityDiff:
        st = self.state
        if refresh:
            st.refresh()
        with st._lock:
            n = st._high
            self._fit(n)
            c = st.cols
            alive = c.alive[:n] & ~np.isnan(c.lat[:n])
            gen, pos, sty = c.gen[:n], c.pos_ver[:n], c.style_ver[:n]
            known = self.known[:n]
            same = known & (self.seen_gen[:n] == gen)
            added = alive & ~same
            changed = alive & same & ((self.seen_pos[:n] != pos) | (self.seen_style[:n] != sty))
            removed = known & ~alive
            up = np.flatnonzero(added | changed).astype(np.uint32)
            add = np.flatnonzero(added).astype(np.uint32)
            rm = np.flatnonzero(removed).astype(np.uint32)
            hd = c.heading[up]
            heading = np.where(np.isnan(hd), NO_HEADING, np.mod(np.nan_to_num(hd), 360.0)).astype(np.uint16)
            style = (
                (c.kind[up].astype(np.uint16) & 0x1F)
                | (c.level[up].astype(np.uint16) << 5)
                | (c.stale[up].astype(np.uint16) << 8)
            )
            diff = EntityDiff(
                up,
                c.lat[up].astype(np.float32),
                c.lon[up].astype(np.float32),
                heading,
                style,
                add,
                [st.ids[int(s)] for s in add],
                rm,
            )
            self.seen_gen[:n] = gen
            self.seen_pos[:n] = pos
            self.seen_style[:n] = sty
            self.known[:n] = alive
        self.taken += 1
        return diff


def describe_style(code: int) -> dict[str, Any]:
    """For tests and the details panel: the parts of a style code."""
    kind = code & 0x1F
    return {
        "kind": KINDS.get(kind, ("?", ""))[0],
        "level": (code >> 5) & 7,
        "stale": bool(code >> 8 & 1),
        "code": style_code(kind, (code >> 5) & 7, bool(code >> 8 & 1)),
    }
