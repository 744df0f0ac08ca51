"""The write-behind readings writer: a bounded queue, one writer thread, batched transactions.

    bus worker thread ──submit(readings)──▶ bounded queue ──▶ writer thread ──▶ one transaction per batch

- `submit` blocks while the queue holds `queue_max` readings: back-pressure reaches the FeedBus
  (its backlog grows, and async producers waiting on `FeedBus.async_wait_capacity` slow down).
  Nothing is dropped to make room.
- A batch is written when `batch_max` readings are waiting or `flush_s` after the first one arrived.
- A transient database failure (locked, disk full, server gone) keeps the batch and retries with
  backoff; the queue fills meanwhile and back-pressure does the rest. Logged once, counted.
- A batch the database rejects outright is quarantined to a file (never silently lost).
- At stop the queue is drained; what cannot be written before the deadline is spilled to a file
  and written at the next start (`replay_spill`).
- Values that cannot be stored (NaN, infinities, non-numbers) are skipped and counted as `invalid`.
Maintenance (sealing into blocks, rollup) runs on the same thread between batches, so SQLite has a
single readings writer.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa

from console.logsetup import LogOnce
from console.model import Reading
from console.store.db import Database
from console.store.ids import IdCache

log = logging.getLogger(__name__)
_once = LogOnce(log)

TRANSIENT = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)
_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(list[Reading])


def _sql(db: Database) -> dict[str, str]:
    p = "%s" if db.is_postgres else "?"
    if db.is_postgres:
        verb, tail = "INSERT INTO", " ON CONFLICT DO NOTHING"
    else:
        verb, tail = "INSERT OR IGNORE INTO", ""
    return {
        "readings": f"{verb} readings (signal_id, t, v) VALUES ({p}, {p}, {p}){tail}",
        "positions": f"{verb} positions (entity_id, t, lat, lon) VALUES ({p}, {p}, {p}, {p}){tail}",
        "attrs": f"{verb} entity_attrs (entity_id, t, attrs) VALUES ({p}, {p}, {p}){tail}",
    }


class WriterStats(msgspec.Struct, kw_only=True):
    queued: int = 0  # readings waiting now
    accepted: int = 0  # readings submitted so far
    written_readings: int = 0  # readings whose rows are committed
    values: int = 0  # value rows committed (one reading holds several values)
    positions: int = 0
    attrs: int = 0
    duplicates: int = 0  # rows the database already had (replays, other consoles)
    invalid: int = 0  # values skipped: NaN, infinite or not a number
    batches: int = 0
    failures: int = 0  # failed attempts (retried)
    quarantined: int = 0
    spilled: int = 0  # readings written to spill files while the database was unavailable
    replayed: int = 0  # spilled readings written back
    blocked: int = 0  # submit calls that had to wait for room
    blocked_s: float = 0.0
    last_batch_ms: float = 0.0
    max_batch_ms: float = 0.0


class ReadingWriter:
    def __init__(
        self,
        db: Database,
        *,
        batch_max: int = 5000,
        queue_max: int = 200_000,
        flush_s: float = 0.5,
        spill_dir: Path | None = None,
        maintenance: Callable[[], None] | None = None,
        maintenance_every_s: float = 30.0,
        spill_after_s: float = 10.0,
    ):
        self.db = db
        self.ids = IdCache()
        self.batch_max = batch_max
        self.queue_max = queue_max
        self.flush_s = flush_s
        self.spill_dir = spill_dir
        self.stats = WriterStats()
        self._sql = _sql(db)
        self._queue: deque[Reading] = deque()
        self._cond = threading.Condition()
        self._stopping = False
        self._busy = False
        self._flushing = 0
        self._last_attrs: dict[str, str] = {}
        self._maintenance = maintenance
        self._maintenance_every_s = maintenance_every_s
        self._next_maintenance = time.monotonic() + min(5.0, maintenance_every_s)
        self._thread: threading.Thread | None = None
        self._backoff = 0.0
        self._failing_since: float | None = None
        self.spill_after_s = spill_after_s
        self._spill_waiting = spill_dir is not None and any((spill_dir / "spill").glob("readings-*.msgpack"))
        self.ready: Callable[[], bool] = lambda: True

    # -- producer side ----------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    def submit(self, readings: list[Reading]) -> None:
        """Queue readings for writing; blocks while the queue is full (back-pressure)."""
        i = 0
        blocked_at = None
        with self._cond:
            while i < len(readings):
                room = self.queue_max - len(self._queue)
                if self._stopping:
                    break
                if room <= 0:
                    if blocked_at is None:
                        blocked_at = time.monotonic()
                        self.stats.blocked += 1
                    self._cond.wait(0.5)
                    continue
                chunk = readings[i : i + room]
                self._queue.extend(chunk)
                i += len(chunk)
                self.stats.accepted += len(chunk)
                self.stats.queued = len(self._queue)
                self._cond.notify_all()
            if blocked_at is not None:
                self.stats.blocked_s += time.monotonic() - blocked_at
        if i < len(readings):  # stopped while waiting for room: keep them for the next start
            self._spill(readings[i:], "spill", "not queued (writer stopping)")

    def on_bus(self, topic: str, items: list[Any]) -> None:
        """FeedBus worker callback: every Reading on any topic."""
        readings = [r for r in items if type(r) is Reading]
        if readings:
            self.submit(readings)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is committed (or quarantined)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._flushing += 1  # write what is queued now, without waiting for `flush_s`
            self._cond.notify_all()
            try:
                while self._queue or self._busy:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(min(left, 0.05))
            finally:
                self._flushing -= 1
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """Drain the queue; spill what the database would not take before the deadline."""
        drained = self.flush(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=max(1.0, timeout if not drained else 2.0))
        with self._cond:
            left = list(self._queue)
            self._queue.clear()
            self.stats.queued = 0
        if left:
            self._spill(left, "spill", "not written before stop")

    # -- writer thread ----------------------------------------------------------------------------
    def _take(self) -> list[Reading] | None:
        with self._cond:
            first_wait = None
            while True:
                if self._queue and (len(self._queue) >= self.batch_max or self._stopping or self._flushing):
                    break
                if self._queue:
                    first_wait = first_wait or time.monotonic()
                    left = self.flush_s - (time.monotonic() - first_wait)
                    if left <= 0:
                        break
                    self._cond.wait(left)
                    continue
                if self._stopping:
                    return None
                self._cond.wait(min(1.0, max(0.05, self._next_maintenance - time.monotonic())))
                if not self._queue:
                    return []
            n = min(self.batch_max, len(self._queue))
            batch = [self._queue.popleft() for _ in range(n)]
            self._busy = True
            self.stats.queued = len(self._queue)
            self._cond.notify_all()
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            done = True
            try:
                if batch:
                    done = self._write_until_done(batch)
                elif self._spill_waiting and self.ready() and self._failing_since is None:
                    with self._cond:
                        self._busy = True
                    self._replay_spilled()
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
            if not done:  # stopping while the database refuses: stop() spills the queue
                return
            if self._maintenance is not None and time.monotonic() >= self._next_maintenance:
                self._next_maintenance = time.monotonic() + self._maintenance_every_s
                try:
                    self._maintenance()
                except Exception as exc:
                    _once.error("store-maintenance", "store maintenance failed: %s", exc)

    def _write_until_done(self, batch: list[Reading]) -> bool:
        """True once written, spilled or quarantined; False when stopping with the batch put back.

        A transient failure is retried with backoff for up to `spill_after_s`; after that (the
        database is down) batches go to spill files at once, so the bus never backs up behind a dead
        database, and the files are written back as soon as a write succeeds again.
        """
        while True:
            if not self.ready():
                exc: Exception | None = RuntimeError("database not migrated yet")
            else:
                try:
                    self.write_batch(batch)
                    exc = None
                except TRANSIENT as err:
                    exc = err
                except Exception as err:
                    self._spill(batch, "quarantine", f"rejected by the database ({err!r})"[:300])
                    self.stats.quarantined += len(batch)
                    return True
            if exc is None:
                if self._failing_since is not None:
                    log.info("store writer: database writable again")
                    _once.clear("store-write")
                self._failing_since = None
                self._backoff = 0.0
                self._replay_spilled()
                return True
            self.stats.failures += 1
            now = time.monotonic()
            if self._failing_since is None:
                self._failing_since = now
            _once.error(
                "store-write",
                "store writer: cannot write readings (%s); retrying, then spilling to disk",
                _first_line(exc),
            )
            if now - self._failing_since >= self.spill_after_s and self.spill_dir is not None:
                self._spill(batch, "spill", "not written (database unavailable)")
                return True
            self._backoff = min(2.0, max(0.1, self._backoff * 2))
            with self._cond:
                if self._stopping:
                    self._queue.extendleft(reversed(batch))
                    return False
                self._cond.wait(self._backoff)

    def write_batch(self, batch: list[Reading]) -> None:
        """Write one batch in one transaction (also used directly by benchmarks and tests)."""
        start = time.perf_counter()
        ids = self.ids
        new_sig = [
            (r.signal(k), r.entity, k, r.etype, r.topic)
            for r in batch
            for k in r.values
            if f"{r.entity}/{k}" not in ids.signal_ids
        ]
        new_ent = [(r.entity, r.etype, r.topic) for r in batch if r.entity not in ids.entity_ids]
        if new_sig or new_ent:
            with self.db.bulk.begin() as conn:  # committed before use: cached ids always exist
                ids.ensure_signals(conn, new_sig)
                ids.ensure_entities(conn, new_ent)
        sig = ids.signal_ids
        ent = ids.entity_ids
        values: list[tuple[int, int, float]] = []
        positions: list[tuple[int, int, float, float]] = []
        attrs: list[tuple[int, int, str]] = []
        invalid = 0
        last_attrs = self._last_attrs
        new_attrs: dict[str, str] = {}
        isfinite = math.isfinite
        for r in batch:
            t = r.t
            entity = r.entity
            for k, v in r.values.items():
                try:
                    fv = float(v)
                except (TypeError, ValueError):
                    invalid += 1
                    continue
                if isfinite(fv):
                    values.append((sig[f"{entity}/{k}"], t, fv))
                else:
                    invalid += 1
            if r.lat is not None and r.lon is not None:
                positions.append((ent[entity], t, r.lat, r.lon))
            if r.attrs:
                text = json.dumps(r.attrs, sort_keys=True, ensure_ascii=False, default=str)
                if new_attrs.get(entity, last_attrs.get(entity)) != text:
                    attrs.append((ent[entity], t, text))
                    new_attrs[entity] = text
        with self.db.bulk.begin() as conn:
            changed = 0
            if values:
                changed = conn.exec_driver_sql(self._sql["readings"], values).rowcount
            if positions:
                conn.exec_driver_sql(self._sql["positions"], positions)
            if attrs:
                conn.exec_driver_sql(self._sql["attrs"], attrs)
        last_attrs.update(new_attrs)
        s = self.stats
        s.batches += 1
        s.written_readings += len(batch)
        s.values += len(values)
        if changed is not None and changed >= 0:
            s.duplicates += max(0, len(values) - changed)
        s.positions += len(positions)
        s.attrs += len(attrs)
        if invalid:
            s.invalid += invalid
            _once.warning(
                "store-invalid", "store writer: skipped %d values that are not finite numbers", invalid
            )
        s.last_batch_ms = (time.perf_counter() - start) * 1000
        s.max_batch_ms = max(s.max_batch_ms, s.last_batch_ms)

    # -- spill / quarantine -----------------------------------------------------------------------
    def _spill(self, readings: list[Reading], kind: str, reason: str) -> None:
        if self.spill_dir is None:
            log.error("store writer: %d readings not written (%s) and no spill folder", len(readings), reason)
            return
        folder = self.spill_dir / kind
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"readings-{time.time_ns()}-{os.getpid()}.msgpack"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(_ENCODER.encode(readings))
        tmp.replace(path)
        if kind == "spill":
            self.stats.spilled += len(readings)
            self._spill_waiting = True
        log.error("store writer: %d readings %s, kept in %s", len(readings), reason, path)

    def _replay_spilled(self) -> None:
        """Write back readings spilled while the database was unavailable (or by an earlier run)."""
        if self.spill_dir is None or not self._spill_waiting:
            return
        for path in sorted((self.spill_dir / "spill").glob("readings-*.msgpack")):
            try:
                readings = _DECODER.decode(path.read_bytes())
            except (OSError, msgspec.DecodeError) as exc:
                log.error("store: spill file %s unreadable (%s); moved to quarantine", path, exc)
                (self.spill_dir / "quarantine").mkdir(parents=True, exist_ok=True)
                path.replace(self.spill_dir / "quarantine" / path.name)
                continue
            try:
                for i in range(0, len(readings), self.batch_max):
                    self.write_batch(readings[i : i + self.batch_max])
            except TRANSIENT as exc:
                _once.error("store-write", "store writer: spill replay paused (%s)", _first_line(exc))
                return
            path.unlink(missing_ok=True)
            self.stats.replayed += len(readings)
            log.info("store writer: wrote back %d spilled readings from %s", len(readings), path.name)
        self._spill_waiting = False


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
