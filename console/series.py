"""Series store: one ring buffer of (time int64 ns, value float64) per signal, fed from the FeedBus.

A signal is one numeric attribute of one entity: "<entity>/<key>" (`Reading.signal(key)`), with its
metadata (`catalog.signal_meta(etype, key)`: unit, bands, stale-after).

Rings
- Batch append is O(batch): samples go after the newest; when the array is full the live tail is
  copied once into a fresh array (amortised O(1) per sample), growing by doubling up to
  `points_per_signal` while the store's memory budget allows, then dropping the oldest.
- Published data is never written again: appends only write past the newest sample, and
  compaction/merges build a new array. A window view (`Ring.view`, `SeriesStore.window`) is therefore
  a zero-copy numpy slice that stays consistent while the feed thread keeps appending: readers need
  no lock and never see a half-written batch.
- Gaps stay gaps: when two consecutive samples are further apart than the signal's stale-after, a NaN
  sample is stored between them (at prev + stale-after), so lines break and statistics skip it.
- Late samples (older than the newest) are merged in time order; duplicates of the newest instant
  are kept (harmless for charts). A merge into a huge ring is refused and counted instead.

History beyond the ring comes from a `HistoryProvider` (the storage room plugs one in);
`SeriesStore.decimated()` joins provider history and ring data for zoomed-out views.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np

from console import catalog, kernels
from console.bus import FeedBus, Unsubscribe
from console.logsetup import LogOnce
from console.model import Reading, SignalMeta

log = logging.getLogger(__name__)
_once = LogOnce(log)

NS = 1_000_000_000
_BYTES_PER_SLOT = 16  # int64 time + float64 value
# A late sample forces a copy of the ring; above this many points we count it instead of merging.
MERGE_LIMIT = 1 << 21


@dataclass(frozen=True)
class SeriesConfig:
    """Memory bounds of the store (settings: series_points_per_signal, series_memory_mb)."""

    points_per_signal: int = 1 << 20
    memory_mb: float = 512.0
    initial_points: int = 1024
    max_signals: int = 50_000

    @classmethod
    def from_settings(cls, settings: Any) -> SeriesConfig:
        return cls(
            points_per_signal=int(getattr(settings, "series_points_per_signal", cls.points_per_signal)),
            memory_mb=float(getattr(settings, "series_memory_mb", cls.memory_mb)),
        )

    @property
    def budget_slots(self) -> int:
        # arrays are allocated at twice the capacity (room to append before compacting)
        return int(self.memory_mb * 1024 * 1024 / _BYTES_PER_SLOT)


class SeriesView(NamedTuple):
    """Read-only window of one signal: t (int64 ns UTC, sorted) and v (float64, NaN = gap)."""

    t: np.ndarray
    v: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


EMPTY = SeriesView(np.empty(0, np.int64), np.empty(0, np.float64))
for _a in EMPTY:
    _a.setflags(write=False)


class HistoryProvider(Protocol):
    """Older data than the rings hold (the storage room implements it).

    `history(signal, t0, t1, n_out)` returns (t int64 ns, v float64) for t0 <= t < t1, already reduced
    to about `n_out` points (MinMax-like, keeping extremes), or None when it has nothing.
    """

    def history(self, signal: str, t0: int, t1: int, n_out: int) -> tuple[np.ndarray, np.ndarray] | None: ...


class _Budget:
    """Slots (samples of array capacity) the whole store may allocate. Growing rings may use only
    `growth_share` of it, so a few fast signals cannot starve new ones of their first array."""

    def __init__(self, slots: int, growth_share: float = 0.75):
        self.limit = slots
        self.growth_limit = int(slots * growth_share)
        self.used = 0
        self._lock = threading.Lock()

    def take(self, extra: int, *, growth: bool) -> bool:
        with self._lock:
            if self.used + extra > (self.growth_limit if growth else self.limit):
                return False
            self.used += extra
            return True

    def give(self, slots: int) -> None:
        with self._lock:
            self.used = max(0, self.used - slots)


class Ring:
    """Bounded, append-mostly time series of one signal (see the module doc for the guarantees)."""

    def __init__(
        self, max_points: int, *, initial: int = 1024, budget: _Budget | None = None, gap_ns: int = 0
    ):
        if max_points < 1:
            raise ValueError("max_points must be >= 1")
        self.max_points = int(max_points)
        self.initial = max(1, min(int(initial), self.max_points))
        self.gap_ns = int(gap_ns)
        self._budget = budget
        self._lock = threading.Lock()
        # (t array, v array, lo, hi, version): replaced as a whole, read without a lock
        self._state: tuple[np.ndarray, np.ndarray, int, int, int] = (
            np.empty(0, np.int64),
            np.empty(0, np.float64),
            0,
            0,
            0,
        )
        self.appended = 0
        self.dropped_late = 0
        self.dropped_budget = 0
        self.gaps = 0
        # bumped whenever samples already published change (late merge, release): incremental
        # consumers (console.chart_data) must start over; plain appends never bump it
        self.rewrites = 0

    # -- reading -----------------------------------------------------------------------------------
    @property
    def capacity(self) -> int:
        return len(self._state[0]) // 2

    @property
    def version(self) -> int:
        return self._state[4]

    def __len__(self) -> int:
        _, _, lo, hi, _ = self._state
        return hi - lo

    def view(self, t0: int | None = None, t1: int | None = None) -> SeriesView:
        """Samples with t0 <= t <= t1 (either bound may be None), zero-copy and read-only."""
        ta, va, lo, hi, _ = self._state
        if hi == lo:
            return EMPTY
        t = ta[lo:hi]
        i0 = 0 if t0 is None else int(np.searchsorted(t, t0, side="left"))
        i1 = hi - lo if t1 is None else int(np.searchsorted(t, t1, side="right"))
        tv, vv = t[i0:i1], va[lo + i0 : lo + i1]
        tv.flags.writeable = False
        vv.flags.writeable = False
        return SeriesView(tv, vv)

    def last(self) -> tuple[int, float] | None:
        """Newest sample (gap markers only ever precede a sample, so this is real data)."""
        ta, va, lo, hi, _ = self._state
        return (int(ta[hi - 1]), float(va[hi - 1])) if hi > lo else None

    def span(self) -> tuple[int, int] | None:
        ta, _, lo, hi, _ = self._state
        return (int(ta[lo]), int(ta[hi - 1])) if hi > lo else None

    # -- writing -----------------------------------------------------------------------------------
    def append(self, t: Any, v: Any) -> int:
        """Append a batch (any order); returns the number of samples stored (gap markers excluded)."""
        t = np.asarray(t, dtype=np.int64).ravel()
        v = np.asarray(v, dtype=np.float64).ravel()
        if len(t) != len(v):
            raise ValueError(f"t and v differ in length ({len(t)} != {len(v)})")
        if not len(t):
            return 0
        if len(t) > 1 and np.any(t[1:] < t[:-1]):
            order = np.argsort(t, kind="stable")
            t, v = t[order], v[order]
        with self._lock:
            newest = self._newest()
            late = 0
            if newest is not None and t[0] < newest:
                late = int(np.searchsorted(t, newest, side="left"))
                self._merge_late(t[:late], v[:late])
                t, v = t[late:], v[late:]
                if not len(t):
                    return late
                newest = self._newest()
            real = len(t)
            t, v = self._with_gaps(newest, t, v)
            self._write(t, v)
            self.appended += real
            return late + real

    def _newest(self) -> int | None:
        ta, _, lo, hi, _ = self._state
        return int(ta[hi - 1]) if hi > lo else None

    def _with_gaps(self, newest: int | None, t: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.gap_ns <= 0:
            return t, v
        prev = t[0] if newest is None else newest
        dt = np.diff(t, prepend=prev)
        at = np.flatnonzero(dt > self.gap_ns)
        if not len(at):
            return t, v
        self.gaps += len(at)
        before = np.where(at > 0, t[np.maximum(at - 1, 0)], prev)
        t = np.insert(t, at, before + self.gap_ns)
        v = np.insert(v, at, np.nan)
        return t, v

    def _target_capacity(self, need: int) -> int:
        """Capacity for `need` live samples: grown (doubling) up to max_points while the budget allows."""
        cap = self.capacity
        if need <= cap or cap >= self.max_points:
            return cap
        want = min(self.max_points, max(self.initial, 1 << (need - 1).bit_length()))
        if self._budget is None:
            return want
        floor = max(cap, min(self.initial, self.max_points))
        while want > floor:  # the largest doubling the budget still allows
            if self._budget.take(2 * (want - cap), growth=True):
                return want
            want = max(floor, want // 2)
        if cap == 0 and self._budget.take(2 * floor, growth=False):
            return floor  # a new signal gets its first small array from the reserve
        return cap

    def _write(self, t: np.ndarray, v: np.ndarray) -> None:
        ta, va, lo, hi, ver = self._state
        cap = self.capacity
        grown = self._target_capacity(hi - lo + len(t))
        if grown != cap or hi + len(t) > len(ta):  # fresh arrays holding the live tail, then the batch
            if grown == 0:
                self.dropped_budget += len(t)
                _once.warning(("series-budget",), "series: memory budget exhausted; new signals are not kept")
                return
            t, v = t[-grown:], v[-grown:]
            keep = min(hi - lo, grown - len(t))
            nt, nv = np.empty(2 * grown, np.int64), np.empty(2 * grown, np.float64)
            nt[:keep] = ta[hi - keep : hi]
            nv[:keep] = va[hi - keep : hi]
            ta, va, lo, hi = nt, nv, 0, keep
        k = len(t)
        ta[hi : hi + k] = t
        va[hi : hi + k] = v
        hi += k
        lo = max(lo, hi - len(ta) // 2)
        self._state = (ta, va, lo, hi, ver + 1)

    def _merge_late(self, t: np.ndarray, v: np.ndarray) -> None:
        ta, va, lo, hi, ver = self._state
        if hi - lo >= self.capacity:  # full: what is older than the oldest kept is history, not ours
            old = int(np.searchsorted(t, ta[lo], side="left"))
            self.dropped_late += old
            t, v = t[old:], v[old:]
        if not len(t):
            return
        if hi - lo > MERGE_LIMIT:
            self.dropped_late += len(t)
            return
        live_t, live_v = ta[lo:hi], va[lo:hi]
        mt = np.concatenate([live_t, t])
        mv = np.concatenate([live_v, v])
        order = np.argsort(mt, kind="stable")
        mt, mv = mt[order], mv[order]
        cap = max(self.capacity, 1)
        mt, mv = mt[-cap:], mv[-cap:]
        nt, nv = np.empty(2 * cap, np.int64), np.empty(2 * cap, np.float64)
        nt[: len(mt)] = mt
        nv[: len(mv)] = mv
        self.rewrites += 1
        self._state = (nt, nv, 0, len(mt), ver + 1)
        self.appended += len(t)

    def release(self) -> None:
        with self._lock:
            if self._budget is not None:
                self._budget.give(2 * self.capacity)
            self.rewrites += 1
            self._state = (np.empty(0, np.int64), np.empty(0, np.float64), 0, 0, self._state[4] + 1)


@dataclass
class SignalInfo:
    """What views need about one signal besides its samples."""

    signal: str
    entity: str
    key: str
    etype: str
    topic: str
    source: str
    meta: SignalMeta
    ring: Ring = field(repr=False)
    label_fa: str = ""  # the entity's name for people (from the reading's attrs), if the feed gave one
    label_en: str = ""

    @property
    def version(self) -> int:
        return self.ring.version


class SeriesStore:
    """Per-signal rings fed by every numeric Reading on the bus (a worker subscriber)."""

    def __init__(
        self,
        bus: FeedBus | None = None,
        config: SeriesConfig | None = None,
        *,
        history: HistoryProvider | None = None,
        pattern: str = "#",
    ):
        self.bus = bus
        self.config = config or SeriesConfig()
        self.history: HistoryProvider | None = history
        self._pattern = pattern
        self._budget = _Budget(self.config.budget_slots)
        self._signals: dict[str, SignalInfo] = {}
        self._lock = threading.Lock()
        self._unsubscribe: Unsubscribe | None = None
        self.readings = 0
        self.samples = 0
        self.rejected = 0
        self.refused_signals = 0
        self.ingest_s = 0.0

    # -- lifecycle ---------------------------------------------------------------------------------
    async def async_start(self) -> None:
        self.start()

    async def async_stop(self) -> None:
        self.stop()

    def start(self) -> None:
        if self.bus is not None and self._unsubscribe is None:
            self._unsubscribe = self.bus.subscribe(self._pattern, self._on_items, name="series", worker=True)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def set_history(self, provider: HistoryProvider | None) -> None:
        """Plug in (or remove) the provider of history older than the rings."""
        self.history = provider

    # -- ingest ------------------------------------------------------------------------------------
    def _on_items(self, topic: str, items: list[Any]) -> None:
        self.ingest(items, topic=topic)

    def ingest(self, items: Iterable[Any], *, topic: str = "") -> int:
        """Append every numeric value of every Reading in `items`; returns samples stored."""
        start = time.perf_counter()
        groups: dict[str, tuple[list[int], list[Any], Reading, str]] = {}
        n_read = 0
        for r in items:
            if not isinstance(r, Reading):
                continue
            vals = r.values
            if not vals:
                continue
            n_read += 1
            t = r.t
            prefix = r.entity + "/"
            for key, x in vals.items():
                sig = prefix + key
                g = groups.get(sig)
                if g is None:
                    g = groups[sig] = ([], [], r, key)
                g[0].append(t)
                g[1].append(x)
        stored = 0
        for sig, (ts, xs, first, key) in groups.items():
            info = self._signals.get(sig) or self._register(
                sig,
                entity=first.entity,
                key=key,
                etype=first.etype,
                topic=topic or first.topic,
                source=first.source,
                attrs=first.attrs,
            )
            if info is None:
                continue
            stored += self._append(info, ts, xs)
        self.readings += n_read
        self.samples += stored
        self.ingest_s += time.perf_counter() - start
        return stored

    def _append(self, info: SignalInfo, ts: list[int], xs: list[Any]) -> int:
        try:
            t = np.array(ts, dtype=np.int64)
            v = np.array(xs, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            t, v = self._salvage(info, ts, xs)
        return info.ring.append(t, v)

    def _salvage(self, info: SignalInfo, ts: list[Any], xs: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Keep the samples that are numbers; count and report (once a minute) the others."""
        keep_t, keep_v, bad = [], [], None
        for t, x in zip(ts, xs, strict=True):
            try:
                keep_t.append(int(t))
                keep_v.append(float(x))
            except (TypeError, ValueError, OverflowError):
                if len(keep_t) > len(keep_v):
                    keep_t.pop()
                bad = x
                self.rejected += 1
        _once.warning(
            ("series-bad-value", info.source),
            "series: source %s sent a non-numeric value for %s (%r); sample skipped",
            info.source,
            info.signal,
            bad,
        )
        return np.array(keep_t, dtype=np.int64), np.array(keep_v, dtype=np.float64)

    def _register(
        self,
        sig: str,
        *,
        entity: str,
        key: str,
        etype: str,
        topic: str,
        source: str,
        meta: SignalMeta | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> SignalInfo | None:
        with self._lock:
            info = self._signals.get(sig)
            if info is not None:
                return info
            if len(self._signals) >= self.config.max_signals:
                self.refused_signals += 1
                _once.warning(
                    ("series-full",), "series: %d signals held; not keeping %s", len(self._signals), sig
                )
                return None
            meta = meta or catalog.signal_meta(etype, key)
            ring = Ring(
                self.config.points_per_signal,
                initial=self.config.initial_points,
                budget=self._budget,
                gap_ns=int(meta.stale_after_s * NS),
            )
            attrs = attrs or {}
            name = str(attrs.get("name") or "")
            info = SignalInfo(
                sig,
                entity,
                key,
                etype or meta.etype,
                topic,
                source,
                meta,
                ring,
                label_fa=str(attrs.get("name_fa") or name),
                label_en=str(attrs.get("name_en") or name),
            )
            self._signals = {**self._signals, sig: info}  # readers keep iterating the old dict
            return info

    def append(
        self,
        signal: str,
        t: Any,
        v: Any,
        *,
        etype: str = "",
        source: str = "",
        topic: str = "",
        meta: SignalMeta | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> int:
        """Direct append (generated test data, replay tools); creates the signal on first use."""
        entity, _, key = signal.rpartition("/")
        info = self._signals.get(signal) or self._register(
            signal, entity=entity, key=key, etype=etype, topic=topic, source=source, meta=meta, attrs=attrs
        )
        if info is None:
            return 0
        n = info.ring.append(t, v)
        self.samples += n
        return n

    # -- reading -----------------------------------------------------------------------------------
    def signals(self) -> list[SignalInfo]:
        return list(self._signals.values())

    def info(self, signal: str) -> SignalInfo | None:
        return self._signals.get(signal)

    def version(self, signal: str) -> int:
        info = self._signals.get(signal)
        return -1 if info is None else info.ring.version

    def window(self, signal: str, t0: int | None = None, t1: int | None = None) -> SeriesView:
        info = self._signals.get(signal)
        return EMPTY if info is None else info.ring.view(t0, t1)

    def decimated(
        self, signal: str, t0: int, t1: int, n_out: int, *, algo: str = "minmax"
    ) -> tuple[np.ndarray, np.ndarray]:
        """About `n_out` points over [t0, t1] for drawing: ring data reduced by `algo` (a
        console.kernels decimator), joined with provider history where the ring does not reach."""
        info = self._signals.get(signal)
        ring_view = EMPTY if info is None else info.ring.view(t0, t1)
        ring_from = int(ring_view.t[0]) if len(ring_view) else t1 + 1
        parts_t: list[np.ndarray] = []
        parts_v: list[np.ndarray] = []
        span = max(1, t1 - t0)
        if self.history is not None and t0 < ring_from:
            share = max(2, int(n_out * (min(ring_from, t1) - t0) / span)) // 2 * 2
            try:
                got = self.history.history(signal, t0, min(ring_from, t1 + 1), share)
            except Exception as exc:  # a broken provider must not blank the live chart
                _once.error(("series-history", signal), "series: history for %s failed: %r", signal, exc)
                got = None
            if got is not None and len(got[0]):
                parts_t.append(np.asarray(got[0], np.int64))
                parts_v.append(np.asarray(got[1], np.float64))
        if len(ring_view):
            share = max(4, int(n_out * (t1 - ring_from) / span)) // 4 * 4 if parts_t else n_out // 4 * 4
            idx = getattr(kernels, algo)(ring_view.t, ring_view.v, max(4, share))
            parts_t.append(ring_view.t[idx])
            parts_v.append(ring_view.v[idx])
        if not parts_t:
            return EMPTY.t, EMPTY.v
        if len(parts_t) == 1:
            return parts_t[0], parts_v[0]
        return np.concatenate(parts_t), np.concatenate(parts_v)

    def stats(self) -> dict[str, Any]:
        rings = [i.ring for i in self._signals.values()]
        return {
            "signals": len(rings),
            "readings": self.readings,
            "samples": self.samples,
            "rejected": self.rejected,
            "refused_signals": self.refused_signals,
            "late_dropped": sum(r.dropped_late for r in rings),
            "budget_dropped": sum(r.dropped_budget for r in rings),
            "gaps": sum(r.gaps for r in rings),
            "memory_mb": round(self._budget.used * _BYTES_PER_SLOT / 1024 / 1024, 1),
            "budget_mb": self.config.memory_mb,
            "ingest_s": round(self.ingest_s, 3),
        }
