"""Feed health: one status record per source, the truth behind the status bar and feed-health panel.

States: idle (not started), connected, reconnecting, stale (connected but silent past its
stale-after), down (gave up or failed). Everything fed by a stale/down source is drawn stale.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace


class FeedState(enum.StrEnum):
    IDLE = "idle"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    STALE = "stale"
    DOWN = "down"

    @property
    def ok(self) -> bool:
        return self is FeedState.CONNECTED


@dataclass
class SourceStatus:
    source: str
    title_fa: str = ""
    title_en: str = ""
    kind: str = ""
    stale_after_s: float = 10.0
    state: FeedState = FeedState.IDLE
    messages: int = 0
    rate: float = 0.0  # messages/s, smoothed
    last_seq: int = 0
    gaps: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reconnects: int = 0
    latency_ms: float | None = None
    last_message: float | None = None  # monotonic seconds
    detail: str = ""
    _rate_mark: tuple[float, int] = field(default=(0.0, 0), repr=False)


class FeedHealth:
    """Thread-safe registry of SourceStatus; listeners hear about state changes (not every message)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._sources: dict[str, SourceStatus] = {}
        self._listeners: list[Callable[[SourceStatus], None]] = []

    def register(self, source: str, **meta) -> SourceStatus:
        with self._lock:
            st = self._sources.get(source)
            if st is None:
                st = self._sources[source] = SourceStatus(source=source, **meta)
                st._rate_mark = (self._clock(), 0)
            else:
                for k, v in meta.items():
                    setattr(st, k, v)
            return st

    def on_state_change(self, fn: Callable[[SourceStatus], None]) -> Callable[[], None]:
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn) if fn in self._listeners else None

    def set_state(self, source: str, state: FeedState, detail: str = "") -> None:
        with self._lock:
            st = self._sources.get(source) or self.register(source)
            changed = st.state != state
            st.state, st.detail = state, detail
            if state is FeedState.RECONNECTING and changed:
                st.reconnects += 1
            snap = replace(st)
        if changed:
            for fn in list(self._listeners):
                fn(snap)

    def count(self, source: str, **deltas: int) -> None:
        """Add to counters: messages, gaps, duplicates, quarantined."""
        with self._lock:
            st = self._sources.get(source) or self.register(source)
            for k, v in deltas.items():
                setattr(st, k, getattr(st, k) + v)
            if deltas.get("messages"):
                st.last_message = self._clock()

    def note(self, source: str, **values) -> None:
        """Set plain fields: last_seq, latency_ms, detail."""
        with self._lock:
            st = self._sources.get(source) or self.register(source)
            for k, v in values.items():
                setattr(st, k, v)

    def evaluate(self) -> list[SourceStatus]:
        """Recompute rates and staleness (call about once a second); returns changed sources."""
        now = self._clock()
        changed: list[SourceStatus] = []
        with self._lock:
            for st in self._sources.values():
                t0, n0 = st._rate_mark
                if now - t0 >= 1.0:
                    st.rate = (st.messages - n0) / (now - t0)
                    st._rate_mark = (now, st.messages)
                silent = st.last_message is None or now - st.last_message > st.stale_after_s
                if st.state is FeedState.CONNECTED and silent:
                    st.state, st.detail = FeedState.STALE, f"no data for {st.stale_after_s:g} s"
                    changed.append(replace(st))
                elif st.state is FeedState.STALE and not silent:
                    st.state, st.detail = FeedState.CONNECTED, ""
                    changed.append(replace(st))
        for snap in changed:
            for fn in list(self._listeners):
                fn(snap)
        return changed

    def snapshot(self) -> list[SourceStatus]:
        with self._lock:
            return [replace(s) for s in self._sources.values()]

    def get(self, source: str) -> SourceStatus | None:
        with self._lock:
            st = self._sources.get(source)
            return replace(st) if st else None

    def is_live(self, source: str) -> bool:
        st = self.get(source)
        return st is not None and st.state is FeedState.CONNECTED
