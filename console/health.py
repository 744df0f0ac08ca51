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

RATE_WINDOW_S = 30.0


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
    missing: int = 0  # messages lost in gaps (the server could no longer supply them)
    reconnects: int = 0
    latency_ms: float | None = None
    last_message: float | None = None  # monotonic seconds
    detail: str = ""
    connection: str = ""  # the link this source arrives on (one websocket may carry many sources)
    since: float | None = None  # monotonic time of the last state change
    _rate_mark: tuple[float, int] = field(default=(0.0, 0), repr=False)
    _marks: list[tuple[float, int]] = field(default_factory=list, repr=False)


class FeedHealth:
    """Thread-safe registry of SourceStatus; listeners hear about state changes (not every message)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.RLock()  # register() is called with the lock held by count()/note()
        self._sources: dict[str, SourceStatus] = {}
        self._listeners: list[Callable[[SourceStatus], None]] = []

    def register(self, source: str, **meta) -> SourceStatus:
        with self._lock:
            st = self._sources.get(source)
            if st is None:
                st = self._sources[source] = SourceStatus(source=source, **meta)
                st._rate_mark = (self._clock(), 0)
                st._marks = [(self._clock(), 0)]
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
            if changed:
                st.since = self._clock()
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

    def touch(self, source: str) -> None:
        """Start the stale-after clock now (a source just (re)connected and has not spoken yet)."""
        with self._lock:
            st = self._sources.get(source) or self.register(source)
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
                t0, _n0 = st._rate_mark
                if now - t0 >= 1.0:
                    # messages/s over the last RATE_WINDOW_S, so sources that report every 30 s read steadily
                    st._marks.append((now, st.messages))
                    while len(st._marks) > 2 and now - st._marks[0][0] > RATE_WINDOW_S:
                        st._marks.pop(0)
                    ta, na = st._marks[0]
                    st.rate = (st.messages - na) / (now - ta) if now > ta else 0.0
                    st._rate_mark = (now, st.messages)
                silent = st.last_message is None or now - st.last_message > st.stale_after_s
                if st.state is FeedState.CONNECTED and silent:
                    st.state, st.detail = FeedState.STALE, f"no data for {st.stale_after_s:g} s"
                    st.since = now
                    changed.append(replace(st))
                elif st.state is FeedState.STALE and not silent:
                    st.state, st.detail = FeedState.CONNECTED, ""
                    st.since = now
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

    def state_of(self, source: str) -> FeedState:
        """The state of a source (IDLE when unknown): what views ask to draw a Reading fresh or stale."""
        with self._lock:
            st = self._sources.get(source)
            return st.state if st else FeedState.IDLE

    def stale_sources(self) -> set[str]:
        """Sources whose data must be drawn stale right now (not connected-and-fresh)."""
        with self._lock:
            return {sid for sid, st in self._sources.items() if st.state is not FeedState.CONNECTED}

    def unregister(self, source: str) -> None:
        with self._lock:
            self._sources.pop(source, None)
