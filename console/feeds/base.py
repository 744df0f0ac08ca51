"""What every feed client shares: publishing decoded batches, health bookkeeping, backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from itertools import groupby
from operator import attrgetter

from console.bus import FeedBus
from console.feeds.quarantine import Quarantine
from console.health import FeedHealth, FeedState
from console.logsetup import LogOnce
from console.model import Reading

log = logging.getLogger("rasad.feeds")
_topic = attrgetter("topic")


def publish_grouped(bus: FeedBus, items: list[Reading]) -> None:
    """One publish per run of equal topics (a batch is usually all one topic)."""
    if not items:
        return
    t0 = items[0].topic
    if items[-1].topic == t0 and all(r.topic == t0 for r in items):
        bus.publish_many(t0, items)
        return
    for topic, group in groupby(items, key=_topic):
        bus.publish_many(topic, list(group))


class Backoff:
    """Exponential backoff with jitter, capped: base, 2·base, 4·base ... ≤ cap, each × U(0.5, 1)."""

    def __init__(self, base: float = 0.25, cap: float = 10.0, rng: random.Random | None = None):
        self.base, self.cap = base, cap
        self.attempt = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        delay = min(self.cap, self.base * (2**self.attempt))
        self.attempt = min(self.attempt + 1, 30)
        return delay * self._rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.attempt = 0


class FeedClient:
    """A long-running connection that keeps itself alive; subclasses implement `_session()`."""

    kind = "feed"

    def __init__(
        self,
        name: str,
        bus: FeedBus,
        health: FeedHealth,
        quarantine: Quarantine,
        *,
        backoff: Backoff | None = None,
        down_after_s: float = 30.0,
    ):
        self.name = name
        self.bus = bus
        self.health = health
        self.quarantine = quarantine
        self.backoff = backoff or Backoff()
        self.down_after_s = down_after_s
        self.sources: set[str] = set()  # health entries this connection feeds
        self.connects = 0
        self.disconnects = 0
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._down_since: float | None = None
        self._once = LogOnce(log)

    async def async_start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=f"feed:{self.name}")

    async def async_stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        for sid in self.sources:
            self.health.set_state(sid, FeedState.IDLE, "stopped")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            reason = ""
            try:
                await self._session()
                reason = "closed by the server"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # every failure means: reconnect (never crash the loop)
                reason = _describe(exc)
            if self._stopping:
                break
            self.disconnects += 1
            now = loop.time()
            if self._down_since is None:
                self._down_since = now
            down = now - self._down_since >= self.down_after_s
            state = FeedState.DOWN if down else FeedState.RECONNECTING
            for sid in self.sources:
                self.health.set_state(sid, state, reason)
            self._once.warning(("link", self.name), "feed %s: %s; reconnecting", self.name, reason)
            await asyncio.sleep(self.backoff.next_delay())

    def _connected(self) -> None:
        """A session is up. A flapping link logs once a minute; a real outage logs its recovery once."""
        self.connects += 1
        self.backoff.reset()
        if self._down_since is not None:
            outage = asyncio.get_running_loop().time() - self._down_since
            if outage >= 5.0 and self._once.clear(("link", self.name)):
                log.info("feed %s: connected again after %.0f s", self.name, outage)
        self._down_since = None

    def _set_all(self, state: FeedState, detail: str = "") -> None:
        for sid in self.sources:
            self.health.set_state(sid, state, detail)

    async def _session(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return text if len(text) < 160 else text[:159] + "…"
