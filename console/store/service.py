"""`core.services["store"]`: opens the database, migrates it, and persists what crosses the bus.

Subscriptions (FeedBus worker threads, never the UI thread):
- `alarm/transition` → `record_transitions` (full durability; each one a journal entry; compare-and-set
  state, so a later conflicting acknowledgement is recorded as superseded and published on
  `alarm/superseded`);
- `audit/event` → `record_audit` (journal);
- every topic → the readings writer (only `Reading` items are taken).

Durable writes retry while the database is unavailable (the bus keeps their items meanwhile); at stop,
what is still unwritten is spilled to an fsync'ed file and written first at the next start.

The store is also the history provider (`history`, `samples`, `track`) and the alarm-state provider
the alarm engine calls at start (`alarm_snapshot`; see docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import numpy as np
import sqlalchemy as sa

from console.bus import FeedBus
from console.logsetup import LogOnce
from console.model import AlarmTransition, AuditEvent, now_ns
from console.paths import data_dir
from console.settings import Settings
from console.store import alarms, journal, shifts, tiers
from console.store.db import Database, DatabaseError, safe_url, url_fingerprint
from console.store.history import History
from console.store.writer import TRANSIENT, ReadingWriter, _first_line

log = logging.getLogger(__name__)
_once = LogOnce(log)

TOPIC_TRANSITION = "alarm/transition"
TOPIC_AUDIT = "audit/event"
TOPIC_SUPERSEDED = "alarm/superseded"
NOTIFY_CHANNEL = "rasad_journal"


class _Spilled(msgspec.Struct):
    kind: str  # "alarm" | "audit"
    items: list[Any]


def _append_audit(conn: sa.Connection, events: Sequence[AuditEvent]) -> list[int]:
    seqs = journal.append(conn, events)
    shifts.project(conn, events)
    return seqs


def anchor_for(db: Database) -> journal.Anchor:
    """This console's anchor for `db`: the last journal entry it committed, kept outside the database."""
    return journal.Anchor(data_dir() / "anchors" / f"{url_fingerprint(db.url)}.json")


def default_console_id() -> str:
    return socket.gethostname() or "console"


class Store:
    def __init__(self, settings: Settings, bus: FeedBus, *, clock: Callable[[], int] = now_ns):
        self.settings = settings
        self.bus = bus
        self.clock = clock
        self.console = settings.console_id or default_console_id()
        self.db = Database(settings.db, console=self.console)
        fingerprint = url_fingerprint(self.db.url)
        self.spill_dir = data_dir() / "spill" / fingerprint
        self.anchor = anchor_for(self.db)
        self.writer = ReadingWriter(
            self.db,
            batch_max=settings.store_batch_max,
            queue_max=settings.store_queue_max,
            flush_s=settings.store_flush_s,
            spill_dir=self.spill_dir,
            maintenance=self.maintain,
            maintenance_every_s=settings.store_maintenance_s,
        )
        self.history_provider = History(self.db.read, self.writer.ids)
        self.tier_stats = tiers.TierStats()
        self.counts = {"transitions": 0, "superseded": 0, "audit": 0, "durable_failures": 0, "spilled": 0}
        self._ready = threading.Event()
        self.writer.ready = self._ready.is_set
        self._stopping = False
        self._durable_lock = threading.Lock()
        self._unsubs: list[Callable[[], None]] = []
        self._snapshot: alarms.AlarmSnapshot | None = None
        self._retry_thread: threading.Thread | None = None
        self.error: str = ""

    # -- lifecycle --------------------------------------------------------------------------------
    async def async_start(self) -> None:
        await asyncio.to_thread(self.open)

    async def async_stop(self) -> None:
        # synchronous on purpose: under Qt the loop may already be winding down (last window closed),
        # and a stop that awaits a thread would never be resumed; closing is bounded by its timeouts
        self.close()

    def open(self) -> None:
        """Migrate, write back anything spilled, take the alarm snapshot, subscribe. Never raises for an
        unreachable database: subscriptions start anyway and a helper retries until it is reachable."""
        self._subscribe()
        self.writer.start()
        if not self._try_ready():
            self._retry_thread = threading.Thread(target=self._retry_ready, name="store-connect", daemon=True)
            self._retry_thread.start()

    def _try_ready(self) -> bool:
        try:
            self.db.migrate()
            self._replay_durable_spill()
            with self.db.read.connect() as conn:
                self._snapshot = alarms.snapshot(conn)
        except (DatabaseError, *TRANSIENT) as exc:
            self.error = _first_line(exc)
            _once.error("store-open", "store: database %s unavailable: %s", safe_url(self.db.url), self.error)
            return False
        self.error = ""
        self._ready.set()
        log.info(
            "store: %s ready (console %s, journal at %d, %d alarms not normal)",
            safe_url(self.db.url),
            self.console,
            self._snapshot.seq,
            len(self._snapshot.alarms),
        )
        return True

    def _retry_ready(self) -> None:
        while not self._stopping and not self._try_ready():
            for _ in range(50):
                if self._stopping:
                    return
                time.sleep(0.1)

    def _subscribe(self) -> None:
        b = self.bus
        self._unsubs += [
            b.subscribe(TOPIC_TRANSITION, self._on_transitions, name="store:alarms", worker=True),
            b.subscribe(TOPIC_AUDIT, self._on_audit, name="store:audit", worker=True),
            b.subscribe("#", self.writer.on_bus, name="store:readings", worker=True),
        ]

    def close(self, timeout: float = 10.0) -> None:
        self.bus.drain_workers(timeout)  # let the durable subscribers finish (or give up, below)
        self._stopping = True
        self.bus.drain_workers(2.0)  # stuck retries now spill instead
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        self.writer.stop(timeout)
        if self._retry_thread is not None:
            self._retry_thread.join(timeout=2.0)
        self.db.dispose()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait_ready(self, timeout: float = 10.0) -> bool:
        return self._ready.wait(timeout)

    # -- durable writes ---------------------------------------------------------------------------
    def _on_transitions(self, topic: str, items: list[Any]) -> None:
        trs = [i for i in items if isinstance(i, AlarmTransition)]
        if len(trs) != len(items):
            _once.error(
                "store-bad-transition",
                "store: ignored %d non-transition items on %s",
                len(items) - len(trs),
                topic,
            )
        if trs:
            self.record_transitions(trs)

    def _on_audit(self, topic: str, items: list[Any]) -> None:
        evs = [i for i in items if isinstance(i, AuditEvent)]
        if len(evs) != len(items):
            _once.error(
                "store-bad-audit", "store: ignored %d non-audit items on %s", len(items) - len(evs), topic
            )
        if evs:
            self.record_audit(evs)

    def record_transitions(self, transitions: Sequence[AlarmTransition]) -> list[alarms.Recorded]:
        """Persist alarm transitions (durably, with their journal entries); blocks until committed."""
        recorded = self._durably(
            "alarm", list(transitions), lambda conn: alarms.record(conn, transitions, self.console)
        )
        if recorded:
            lost = [r.transition for r in recorded if not r.applied]
            self.counts["transitions"] += len(recorded)
            self.counts["superseded"] += len(lost)
            if lost:
                self.bus.publish_many(TOPIC_SUPERSEDED, lost)
        return recorded or []

    def record_audit(self, events: Sequence[AuditEvent]) -> list[int]:
        """Append audit events to the journal (durably); returns their seqs."""
        evs = [e if e.console else msgspec.structs.replace(e, console=self.console) for e in events]
        seqs = self._durably("audit", evs, lambda conn: _append_audit(conn, evs))
        if seqs:
            self.counts["audit"] += len(seqs)
        return seqs or []

    def _durably(self, kind: str, items: list, write: Callable[[sa.Connection], Any]) -> Any:
        backoff = 0.1
        while True:
            if self._ready.is_set():
                try:
                    with self._durable_lock, self.db.durable.begin() as conn:
                        result = write(conn)
                        seq, head_hash = journal.head(conn)
                        if self.db.is_postgres:
                            conn.execute(sa.select(sa.func.pg_notify(NOTIFY_CHANNEL, str(seq))))
                except TRANSIENT as exc:
                    err = _first_line(exc)
                except Exception as exc:  # rejected outright: keep it on disk, never lose it
                    log.error(
                        "store: %d %s records rejected by the database (%r); spilled", len(items), kind, exc
                    )
                    self._spill_durable(kind, items)
                    return None
                else:  # committed: from here on nothing may send these records down again
                    self._advance_anchor(seq, head_hash)
                    if backoff > 0.1:
                        log.info("store: journal writable again")
                        _once.clear("store-durable")
                    return result
            else:
                err = self.error or "database not ready"
            self.counts["durable_failures"] += 1
            _once.error("store-durable", "store: cannot write %s records (%s); retrying", kind, err)
            if self._stopping:
                self._spill_durable(kind, items)
                return None
            time.sleep(backoff)
            backoff = min(2.0, backoff * 2)

    def _advance_anchor(self, seq: int, head_hash: str) -> None:
        try:
            self.anchor.write(seq, head_hash)
        except OSError as exc:
            _once.error("store-anchor", "store: journal anchor %s not updated: %s", self.anchor.path, exc)

    def _spill_durable(self, kind: str, items: list) -> None:
        folder = self.spill_dir / "durable"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{time.time_ns():020d}-{os.getpid()}-{kind}.msgpack"
        data = msgspec.msgpack.encode(_Spilled(kind, items))
        with open(path.with_suffix(".tmp"), "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        path.with_suffix(".tmp").replace(path)
        self.counts["spilled"] += len(items)
        log.error("store: %d %s records kept in %s until the database takes them", len(items), kind, path)

    def _replay_durable_spill(self) -> None:
        folder = self.spill_dir / "durable"
        for path in sorted(folder.glob("*.msgpack")) if folder.is_dir() else []:
            spilled = msgspec.msgpack.decode(path.read_bytes(), type=_Spilled)
            with self.db.durable.begin() as conn:
                if spilled.kind == "alarm":
                    trs = msgspec.convert(spilled.items, list[AlarmTransition])
                    alarms.record(conn, trs, self.console)
                else:
                    _append_audit(conn, msgspec.convert(spilled.items, list[AuditEvent]))
            path.unlink()
            log.info(
                "store: wrote back %d spilled %s records from %s", len(spilled.items), spilled.kind, path.name
            )

    # -- readings maintenance ---------------------------------------------------------------------
    def maintain(self) -> None:
        """Seal old rows into blocks, roll old blocks up into minutes (runs on the writer thread)."""
        if not self._ready.is_set():
            return
        now = self.clock()
        s = self.settings
        seal_cut = now - int(s.store_seal_after_s * 1e9)
        while True:
            with self.db.bulk.begin() as conn:
                n = tiers.seal(conn, seal_cut, self.tier_stats)
            if n < tiers.SEAL_ROWS_MAX:
                break
        if s.store_rollup_after_s > 0:
            roll_cut = now - int(s.store_rollup_after_s * 1e9)
            while True:
                with self.db.bulk.begin() as conn:
                    n = tiers.rollup(conn, roll_cut, self.tier_stats)
                if n < tiers.ROLLUP_BLOCKS_MAX:
                    break

    # -- providers --------------------------------------------------------------------------------
    def alarm_snapshot(self) -> alarms.AlarmSnapshot:
        """Alarm states to restore at start: every non-normal alarm's last applied transition, and the
        journal seq they are valid at (sync delivers everything after it on `alarm/remote`)."""
        if self._snapshot is None and (not self.wait_ready(10.0) or self._snapshot is None):
            log.error("store: no alarm snapshot (database unavailable); starting with none")
            return alarms.AlarmSnapshot(-1, [])
        return self._snapshot

    def alarm_states(self) -> list[AlarmTransition]:
        """console.alarms.engine.AlarmStateProvider: the snapshot's transitions."""
        return self.alarm_snapshot().alarms

    def history(self, signal: str, t0: int, t1: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
        return self.history_provider.history(signal, t0, t1, n_out)

    def samples(self, signal: str, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        return self.history_provider.samples(signal, t0, t1)

    def track(self, entity: str, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.history_provider.track(entity, t0, t1)

    def trail(self, entity: str, since_ns: int, until_ns: int):
        return self.history_provider.trail(entity, since_ns, until_ns)

    def verify_journal(self, use_anchor: bool = True) -> journal.Verdict:
        with self.db.read.connect() as conn:
            return journal.verify(conn, self.anchor.read() if use_anchor else None)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything published so far is committed (tests, clean shutdown, CLI)."""
        return self.bus.drain_workers(timeout) and self.writer.flush(timeout)

    def stats(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "error": self.error,
            "database": safe_url(self.db.url),
            "console": self.console,
            "writer": msgspec.to_builtins(self.writer.stats),
            "tiers": vars(self.tier_stats).copy(),
            **self.counts,
        }

    def status_line(self) -> str:
        if not self.ready:
            return f"store: unavailable ({self.error or 'connecting'})"
        w = self.writer.stats
        parts = [
            f"store: {w.values} values, {w.positions} positions",
            f"{self.counts['transitions']} alarm transitions",
            f"{self.counts['audit']} audit entries",
        ]
        if w.queued:
            parts.append(f"{w.queued} queued")
        if w.spilled or self.counts["spilled"]:
            parts.append(f"{w.spilled + self.counts['spilled']} spilled to disk")
        if w.invalid:
            parts.append(f"{w.invalid} invalid values skipped")
        return ", ".join(parts)
