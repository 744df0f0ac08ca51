"""Several consoles on one PostgreSQL: each sees the others' alarm transitions, acknowledgements, notes,
incidents and sign-ins within a fraction of a second, and catches up by sequence after a reconnect.

How it works:
- Every journal append (which every alarm transition and audit event is) runs `pg_notify('rasad_journal',
  '<seq>')` in its transaction; PostgreSQL delivers it at commit. Payloads are ids only.
- Journal seqs are assigned under the journal-head row lock, so they are gap-free and in commit order:
  "everything after seq N" is a complete answer. A notification is only a wake-up; sync always
  reads the journal from its cursor, so a lost or coalesced notification loses nothing.
- Sync runs on its own thread with its own connection (LISTEN). When the connection drops (server
  restart, network, `pg_terminate_backend`), it reconnects with backoff and resyncs from its cursor.
  It also reads the journal every `poll_s` even without notifications (and that read is its heartbeat).

Published on the FeedBus, for entries made by *other* consoles:
- `alarm/remote`: AlarmTransitions that were applied (the alarm engine applies them; it must not
  republish them on `alarm/transition`);
- `audit/remote`: every other AuditEvent (notes, incidents, sign-ins, CAP publications ...).
Superseded transitions (someone else was first) are in the journal but not published.
The cursor starts at the seq of the store's alarm snapshot, so snapshot + remote transitions is the
whole story (see docs/architecture.md, "Restoring alarm state").
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import msgspec
import psycopg

from console.bus import FeedBus
from console.health import FeedHealth, FeedState
from console.logsetup import LogOnce
from console.model import AlarmTransition, AuditEvent
from console.store.service import NOTIFY_CHANNEL, Store

log = logging.getLogger(__name__)
_once = LogOnce(log)

TOPIC_REMOTE_ALARM = "alarm/remote"
TOPIC_REMOTE_AUDIT = "audit/remote"
SOURCE = "sync"
_NOT_TRANSITION = ("outcome", "found_state")


def conninfo(store: Store) -> str:
    u = store.db.url
    return psycopg.conninfo.make_conninfo(
        host=u.host or "",
        port=str(u.port or ""),
        user=u.username or "",
        password=u.password or "",
        dbname=u.database or "",
        connect_timeout="5",
        application_name=f"rasad-sync:{store.console}"[:63],
        **{k: str(v) for k, v in u.query.items() if isinstance(v, str)},
    )


class SyncStats(msgspec.Struct, kw_only=True):
    connected: bool = False
    cursor: int = 0
    remote_alarms: int = 0
    remote_audit: int = 0
    notifications: int = 0
    reconnects: int = 0
    last_lag_ms: float = 0.0  # commit on another console → published here (from the entry's own t)


class Sync:
    def __init__(self, store: Store, bus: FeedBus, health: FeedHealth | None = None, *, poll_s: float = 5.0):
        self.store = store
        self.bus = bus
        self.health = health
        self.poll_s = poll_s
        self.stats = SyncStats()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection | None = None
        if health is not None:
            health.register(
                SOURCE,
                title_fa="هماهنگی میزها",
                title_en="Console sync",
                kind="postgresql",
                stale_after_s=max(15.0, 3 * poll_s),
            )

    # -- lifecycle --------------------------------------------------------------------------------
    async def async_start(self) -> None:
        self.start()

    async def async_stop(self) -> None:
        self.stop()  # synchronous, bounded: see Store.async_stop

    def start(self) -> None:
        if not self.store.db.is_postgres:
            log.info("sync: %s is not PostgreSQL; one console, nothing to share", self.store.db)
            return
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        conn = self._conn
        if conn is not None:
            try:
                conn.cancel_safe(timeout=1.0)
            except Exception:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5.0)

    # -- the loop ---------------------------------------------------------------------------------
    def _run(self) -> None:
        snapshot = self.store.alarm_snapshot()  # waits for the store to be ready
        self.stats.cursor = max(0, snapshot.seq)
        backoff = 0.2
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo(self.store), autocommit=True) as conn:
                    self._conn = conn
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._set_state(True)
                    backoff = 0.2
                    self._listen(conn)
            except psycopg.Error as exc:
                if self._stop.is_set():
                    break
                self._set_state(False, str(exc).strip().splitlines()[0] if str(exc) else type(exc).__name__)
                self._stop.wait(backoff)
                backoff = min(2.0, backoff * 2)
            finally:
                self._conn = None
        self._set_state(False, "stopped")

    def _listen(self, conn: psycopg.Connection) -> None:
        self.catch_up(conn)  # after every (re)connect: resync by sequence
        next_poll = time.monotonic() + self.poll_s
        while not self._stop.is_set():
            woke = False
            for _ in conn.notifies(timeout=min(0.25, self.poll_s), stop_after=1):
                woke = True
                self.stats.notifications += 1
            if woke or time.monotonic() >= next_poll:
                self.catch_up(conn)
                next_poll = time.monotonic() + self.poll_s

    def catch_up(self, conn: psycopg.Connection) -> int:
        """Publish every journal entry after the cursor made by another console; returns how many."""
        published = 0
        while True:
            rows = conn.execute(
                "SELECT seq, t, kind, operator, console, subject, detail FROM journal "
                "WHERE seq > %s ORDER BY seq LIMIT 1000",
                (self.stats.cursor,),
            ).fetchall()
            if self.health is not None:
                self.health.count(SOURCE, messages=1)  # a successful read is the heartbeat
            if not rows:
                return published
            alarms: list[AlarmTransition] = []
            audit: list[AuditEvent] = []
            for seq, t, kind, operator, console, subject, detail in rows:
                if console != self.store.console:
                    self._decode(seq, t, kind, operator, console, subject, detail, alarms, audit)
                self.stats.cursor = seq
            if alarms:
                self.bus.publish_many(TOPIC_REMOTE_ALARM, alarms)
                self.stats.remote_alarms += len(alarms)
                self.stats.last_lag_ms = (time.time_ns() - alarms[-1].t) / 1e6
            if audit:
                self.bus.publish_many(TOPIC_REMOTE_AUDIT, audit)
                self.stats.remote_audit += len(audit)
            published += len(alarms) + len(audit)
            if self.health is not None:
                self.health.note(SOURCE, last_seq=self.stats.cursor)

    def _decode(self, seq, t, kind, operator, console, subject, detail, alarms: list, audit: list) -> None:
        try:
            data: dict[str, Any] = json.loads(detail)
            if kind == "alarm":
                if data.get("outcome") == "applied":
                    clean = {k: v for k, v in data.items() if k not in _NOT_TRANSITION}
                    alarms.append(msgspec.convert(clean, AlarmTransition))
            else:
                audit.append(
                    AuditEvent(
                        t=t, kind=kind, operator=operator, console=console, subject=subject, detail=data
                    )
                )
        except (ValueError, msgspec.ValidationError) as exc:
            _once.error(
                ("sync-bad", kind), "sync: journal entry %d (%s) unreadable: %s; skipped", seq, kind, exc
            )

    def _set_state(self, connected: bool, detail: str = "") -> None:
        was = self.stats.connected
        self.stats.connected = connected
        if connected and not was:
            _once.clear("sync-down")
            log.info("sync: connected to %s (resuming after entry %d)", self.store.db, self.stats.cursor)
        elif not connected and detail != "stopped":
            if was:
                self.stats.reconnects += 1
            _once.warning("sync-down", "sync: connection lost (%s); reconnecting", detail)
        if self.health is not None:
            if connected:
                state = FeedState.CONNECTED
            else:
                state = FeedState.IDLE if detail == "stopped" else FeedState.RECONNECTING
            self.health.set_state(SOURCE, state, detail)
