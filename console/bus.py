"""FeedBus: topic publish/subscribe with batched delivery per tick.

- `publish(topic, item)` is cheap and thread-safe; items wait in each matching subscriber's queue.
- Inline subscribers are called on the loop thread by `flush()` (once per tick), one call per topic
  with every item that arrived since the last tick, in publish order.
- Worker subscribers (`worker=True`) get their own thread and queue: heavy consumers (storage,
  rule engines) never hold up the loop, and the loop never holds them up.
- A subscriber that raises is contained (counted, logged once a minute). An inline subscriber whose
  call exceeds `slow_call_s` is marked slow and served after all others until it behaves again, so it
  cannot delay the others beyond its first offence.
- Nothing is dropped unless the subscriber asked for `overflow="drop-oldest"` with `max_pending`;
  drops are counted. Producers may await `async_wait_capacity()` for back-pressure.

Topic patterns: exact ("air/station"), single-level "+" ("vehicle/+"), trailing "#" ("vehicle/#", "#").
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Literal

from console.logsetup import LogOnce

log = logging.getLogger(__name__)
_once = LogOnce(log)

Callback = Callable[[str, list[Any]], None]
Unsubscribe = Callable[[], None]


def topic_matches(pattern: str, topic: str) -> bool:
    if pattern == "#" or pattern == topic:
        return True
    p_parts = pattern.split("/")
    t_parts = topic.split("/")
    for i, p in enumerate(p_parts):
        if p == "#":
            return True
        if i >= len(t_parts):
            return False
        if p != "+" and p != t_parts[i]:
            return False
    return len(p_parts) == len(t_parts)


class _Subscription:
    __slots__ = (
        "active",
        "callback",
        "delivered",
        "dropped",
        "errors",
        "inflight",
        "max_call_s",
        "max_pending",
        "name",
        "overflow",
        "pattern",
        "pending",
        "pending_count",
        "slow",
        "slow_calls",
        "worker",
    )

    def __init__(
        self,
        pattern: str,
        callback: Callback,
        name: str,
        worker: bool,
        max_pending: int | None,
        overflow: str,
    ):
        self.pattern = pattern
        self.callback = callback
        self.name = name
        self.worker = worker
        self.max_pending = max_pending
        self.overflow = overflow
        self.pending: dict[str, list[Any]] = {}
        self.pending_count = 0
        self.active = True
        self.inflight = 0
        self.delivered = 0
        self.dropped = 0
        self.errors = 0
        self.slow = False
        self.slow_calls = 0
        self.max_call_s = 0.0

    def add(self, topic: str, items: list[Any]) -> None:
        bucket = self.pending.get(topic)
        if bucket is None:
            self.pending[topic] = bucket = []
        bucket.extend(items)
        self.pending_count += len(items)
        if (
            self.max_pending is not None
            and self.overflow == "drop-oldest"
            and self.pending_count > self.max_pending
        ):
            excess = self.pending_count - self.max_pending
            for bucket in self.pending.values():
                cut = min(excess, len(bucket))
                del bucket[:cut]
                excess -= cut
                self.dropped += cut
                self.pending_count -= cut
                if not excess:
                    break

    def take(self) -> dict[str, list[Any]]:
        batch, self.pending, self.pending_count = self.pending, {}, 0
        return batch

    def stats(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "pattern": self.pattern,
            "worker": self.worker,
            "pending": self.pending_count,
            "delivered": self.delivered,
            "dropped": self.dropped,
            "errors": self.errors,
            "slow": self.slow,
            "max_call_ms": round(self.max_call_s * 1000, 2),
        }


class FeedBus:
    def __init__(self, *, slow_call_s: float = 0.05, capacity: int = 500_000, clock=time.perf_counter):
        self._lock = threading.Condition()
        self._subs: list[_Subscription] = []
        self._route: dict[str, tuple[_Subscription, ...]] = {}
        self._published: dict[str, int] = {}
        self._threads: dict[_Subscription, threading.Thread] = {}
        self._slow_call_s = slow_call_s
        self._capacity = capacity
        self._clock = clock
        self._closed = False

    # -- subscribing -------------------------------------------------------------------------------
    def subscribe(
        self,
        pattern: str,
        callback: Callback,
        *,
        name: str | None = None,
        worker: bool = False,
        max_pending: int | None = None,
        overflow: Literal["keep", "drop-oldest"] = "keep",
    ) -> Unsubscribe:
        """Deliver `callback(topic, items)` for every topic matching `pattern`; returns the unsubscriber."""
        sub = _Subscription(
            pattern,
            callback,
            name or getattr(callback, "__qualname__", repr(callback)),
            worker,
            max_pending,
            overflow,
        )
        with self._lock:
            if self._closed:
                raise RuntimeError("FeedBus is closed")
            self._subs.append(sub)
            self._route.clear()
        if worker:
            t = threading.Thread(target=self._worker_loop, args=(sub,), name=f"bus:{sub.name}", daemon=True)
            self._threads[sub] = t
            t.start()

        def unsubscribe() -> None:
            with self._lock:
                if not sub.active:
                    return
                sub.active = False
                self._subs.remove(sub)
                self._route.clear()
                sub.take()
                self._lock.notify_all()
            t = self._threads.pop(sub, None)
            if t is not None and t is not threading.current_thread():
                t.join(timeout=2.0)

        return unsubscribe

    def _match(self, topic: str) -> tuple[_Subscription, ...]:
        subs = self._route.get(topic)
        if subs is None:
            subs = tuple(s for s in self._subs if topic_matches(s.pattern, topic))
            self._route[topic] = subs
        return subs

    # -- publishing --------------------------------------------------------------------------------
    def publish(self, topic: str, item: Any) -> None:
        self.publish_many(topic, (item,))

    def publish_many(self, topic: str, items: Iterable[Any]) -> None:
        items = list(items)
        if not items:
            return
        with self._lock:
            self._published[topic] = self._published.get(topic, 0) + len(items)
            wake = False
            for sub in self._match(topic):
                sub.add(topic, items)
                wake = wake or sub.worker
            if wake:
                self._lock.notify_all()

    @property
    def capacity(self) -> int:
        """Backlog above which async producers are asked to wait (`async_wait_capacity`)."""
        return self._capacity

    def backlog(self) -> int:
        with self._lock:
            return max((s.pending_count + s.inflight for s in self._subs), default=0)

    async def async_wait_capacity(self, poll_s: float = 0.005) -> None:
        """Back-pressure for async producers: returns once no subscriber holds more than `capacity` items."""
        while self.backlog() > self._capacity:
            await asyncio.sleep(poll_s)

    # -- delivering --------------------------------------------------------------------------------
    def _deliver(self, sub: _Subscription, batch: dict[str, list[Any]]) -> float:
        start = self._clock()
        for topic, items in batch.items():
            if not sub.active:  # unsubscribed meanwhile: nothing more, not even the rest of this batch
                break
            try:
                sub.callback(topic, items)
            except Exception as exc:  # a subscriber never takes the bus down
                sub.errors += 1
                _once.error(
                    ("bus-subscriber", sub.name), "bus subscriber %s failed on %s: %r", sub.name, topic, exc
                )
            sub.delivered += len(items)
        return self._clock() - start

    def flush(self) -> int:
        """Deliver everything pending to inline subscribers; returns the number of items delivered."""
        with self._lock:
            subs = [s for s in self._subs if not s.worker and s.pending_count]
        subs.sort(key=lambda s: s.slow)  # well-behaved first, known-slow last
        delivered = 0
        for sub in subs:
            with self._lock:
                if not sub.active:
                    continue
                batch = sub.take()
            n = sum(len(v) for v in batch.values())
            took = self._deliver(sub, batch)
            delivered += n
            sub.max_call_s = max(sub.max_call_s, took)
            if took > self._slow_call_s:
                sub.slow_calls += 1
                if not sub.slow:
                    sub.slow = True
                    log.warning(
                        "bus subscriber %s is slow (%.0f ms for %d items); serving it last",
                        sub.name,
                        took * 1000,
                        n,
                    )
            elif sub.slow:
                sub.slow = False
                log.info("bus subscriber %s is fast again", sub.name)
        return delivered

    def _worker_loop(self, sub: _Subscription) -> None:
        while True:
            with self._lock:
                while sub.active and not sub.pending_count and not self._closed:
                    self._lock.wait(0.5)
                if not sub.active or (self._closed and not sub.pending_count):
                    return
                batch = sub.take()
                sub.inflight = sum(len(v) for v in batch.values())
            try:
                took = self._deliver(sub, batch)
                sub.max_call_s = max(sub.max_call_s, took)
            finally:
                sub.inflight = 0

    async def async_pump(self, hz: float = 20.0) -> None:
        """Flush at a fixed cadence on the running loop until cancelled."""
        period = 1.0 / hz
        while not self._closed:
            self.flush()
            await asyncio.sleep(period)

    def drain_workers(self, timeout: float = 5.0) -> bool:
        """Wait until every worker subscriber has consumed its queue (tests, clean shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not any(s.pending_count or s.inflight for s in self._subs if s.worker):
                    return True
            time.sleep(0.002)
        return False

    def close(self) -> None:
        self.flush()
        self.drain_workers()
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        for t in list(self._threads.values()):
            t.join(timeout=2.0)

    # -- introspection -----------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "published": dict(self._published),
                "subscribers": [s.stats() for s in self._subs],
            }

    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subs)
