"""Quarantine: input a codec refused, kept with its reason, counted per source, logged once a minute
per (source, kind of error), and announced on the bus ("feeds/quarantine") so storage can keep it."""

from __future__ import annotations

import logging
import threading
from collections import deque

import msgspec

from console.feeds.codecs.base import CodecError
from console.logsetup import LogOnce
from console.model import now_ns

log = logging.getLogger("rasad.feeds.quarantine")
TOPIC = "feeds/quarantine"
SAMPLE_BYTES = 4096


class QuarantineRecord(msgspec.Struct, frozen=True, kw_only=True):
    t: int
    source: str
    kind: str
    reason: str
    field: str | None = None
    size: int = 0
    sample: bytes = b""  # the first SAMPLE_BYTES of the refused input


class Quarantine:
    def __init__(self, bus=None, health=None, per_source: int = 200, clock=None):
        self.bus = bus
        self.health = health
        self.per_source = per_source
        self._records: dict[str, deque[QuarantineRecord]] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._once = LogOnce(log) if clock is None else LogOnce(log, clock=clock)

    def add(self, source: str, error: CodecError | Exception, data: bytes | str = b"") -> QuarantineRecord:
        raw = data.encode("utf-8", "replace") if isinstance(data, str) else bytes(data)
        kind = getattr(error, "kind", type(error).__name__)
        rec = QuarantineRecord(
            t=now_ns(),
            source=source,
            kind=kind,
            reason=str(error),
            field=getattr(error, "field", None),
            size=len(raw),
            sample=raw[:SAMPLE_BYTES],
        )
        with self._lock:
            ring = self._records.get(source)
            if ring is None:
                ring = self._records[source] = deque(maxlen=self.per_source)
            ring.append(rec)
            self._counts[(source, kind)] = self._counts.get((source, kind), 0) + 1
        if self.health is not None:
            self.health.count(source, quarantined=1)
        self._once.warning((source, kind), "feed %s: quarantined %d bytes: %s", source, len(raw), rec.reason)
        if self.bus is not None:
            self.bus.publish(TOPIC, rec)
        return rec

    def records(self, source: str | None = None) -> list[QuarantineRecord]:
        with self._lock:
            if source is not None:
                return list(self._records.get(source, ()))
            return [r for ring in self._records.values() for r in ring]

    def counts(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)
