"""Several consoles on one real PostgreSQL: LISTEN/NOTIFY, first acknowledgement wins, resync by sequence."""

from __future__ import annotations

import threading
import time

import pytest

from console.model import AlarmState, AuditEvent
from console.sync import Sync
from tests.store.factories import T0, S, ack, activate

pytestmark = pytest.mark.postgres


class Desk:
    """One console: its store, bus and sync, and what arrived on `alarm/remote` / `audit/remote` (with when)."""

    def __init__(self, make_store, url: str, name: str):
        self.name = name
        self.store, self.bus = make_store(url, console=name)
        self.sync = Sync(self.store, self.bus, poll_s=2.0)
        self.remote: list[tuple[float, object]] = []
        self.audit: list[object] = []
        self.cond = threading.Condition()
        self.bus.subscribe("alarm/remote", self._on_remote, worker=True, name=f"{name}:remote")
        self.bus.subscribe("audit/remote", lambda t, items: self.audit.extend(items), worker=True)
        self.sync.start()

    def _on_remote(self, topic, items):
        now = time.monotonic()
        with self.cond:
            self.remote.extend((now, i) for i in items)
            self.cond.notify_all()

    def wait_for(self, pred, timeout: float = 5.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: pred(self.remote), timeout)

    def wait_connected(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.sync.stats.connected:
            assert time.monotonic() < deadline, f"{self.name}: sync never connected"
            time.sleep(0.02)


@pytest.fixture
def desks(pg_url, make_store):
    made: list[Desk] = []

    def make(n: int) -> list[Desk]:
        for i in range(n):
            made.append(Desk(make_store, pg_url, f"desk-{i + 1}"))
        for d in made:
            d.wait_connected()
        return made

    yield make
    for d in made:
        d.sync.stop()


def _acks_of(alarm_id):
    return lambda got: any(tr.alarm_id == alarm_id and tr.action == "ack" for _, tr in got)


def test_two_consoles_see_each_others_acks_within_500ms(desks):
    a, b = desks(2)
    a.bus.publish_many("alarm/transition", [activate(f"gauge-{i}") for i in range(10)])
    assert b.wait_for(lambda got: len(got) >= 10)
    latencies = []
    for i in range(10):
        t0 = time.monotonic()
        a.bus.publish("alarm/transition", ack(f"gauge-{i}", "sara"))
        assert b.wait_for(_acks_of(f"gauge-{i}"), timeout=2.0)
        arrived = next(t for t, tr in b.remote if tr.alarm_id == f"gauge-{i}" and tr.action == "ack")
        latencies.append(arrived - t0)
    assert max(latencies) < 0.5, latencies
    # a console never hears its own transitions back
    assert a.remote == []
    got = [tr for _, tr in b.remote if tr.action == "ack"]
    assert got[0].operator == "sara" and got[0].console == "desk-1" and got[0].to_state == AlarmState.ACKED
    # audit entries (a note, a sign-in) reach the other console too
    a.bus.publish(
        "audit/event",
        AuditEvent(t=T0, kind="note", operator="sara", subject="gauge-1", detail={"text": "تیم اعزام شد"}),
    )
    deadline = time.monotonic() + 2
    while not b.audit and time.monotonic() < deadline:
        time.sleep(0.01)
    assert b.audit and b.audit[0].detail["text"] == "تیم اعزام شد" and b.audit[0].console == "desk-1"


def test_five_consoles_in_sync_and_one_winner_per_alarm(desks):
    """Five desks acknowledge the same five alarms at once; desk-k's acknowledgements are made k ms
    after desk-1's. Every desk and the database end with desk-1 as the acknowledger, whatever order the
    commits land in; every desk hears desk-1's acknowledgements within 500 ms; superseded ones are
    never published."""
    ds = desks(5)
    ids = [f"gauge-{i}" for i in range(5)]
    ds[0].store.record_transitions([activate(i) for i in ids])
    for d in ds[1:]:
        assert d.wait_for(lambda got: len(got) >= 5)
    go = threading.Barrier(5)
    t_start = []

    def ack_all(k, d):
        go.wait()
        t_start.append(time.monotonic())
        for i in ids:
            d.bus.publish("alarm/transition", ack(i, d.name, t=T0 + S + k * 1_000_000, console=d.name))

    threads = [threading.Thread(target=ack_all, args=(k, d)) for k, d in enumerate(ds)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for d in ds:
        assert d.store.flush(10)
    with ds[0].store.db.read.connect() as conn:
        from console.store import alarms

        states = alarms.states(conn, ids)
        superseded = {
            (tr.alarm_id, tr.console)
            for _, outcome, tr in alarms.transitions_after(conn, 0)
            if outcome == "superseded"
        }
    assert all(states[i].state == "acked" and states[i].acked_console == "desk-1" for i in ids)
    for d in ds[1:]:
        for aid in ids:
            assert d.wait_for(
                lambda got, aid=aid: any(
                    tr.alarm_id == aid and tr.action == "ack" and tr.console == "desk-1" for _, tr in got
                ),
                timeout=2.0,
            ), (d.name, aid)
            heard = [
                (t, tr)
                for t, tr in d.remote
                if tr.alarm_id == aid and tr.action == "ack" and tr.console == "desk-1"
            ]
            assert len(heard) == 1 and heard[0][0] - min(t_start) < 0.5
    for d in ds:
        heard = {(tr.alarm_id, tr.console) for _, tr in d.remote if tr.action == "ack"}
        assert not heard & superseded
    assert ds[0].store.verify_journal(use_anchor=False).ok


def test_resync_by_sequence_after_the_connection_is_cut(pg_server, pg_url, desks):
    a, b = desks(2)
    dbname = pg_url.rsplit("/", 1)[1]
    a.store.record_transitions([activate("gauge-1"), activate("gauge-2")])
    assert b.wait_for(lambda got: len(got) == 2)
    # cut b's sync connection and keep it out while a acknowledges
    pg_server.admin(f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS false")
    try:
        pg_server.admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rasad-sync:desk-2'"
        )
        deadline = time.monotonic() + 5
        while b.sync.stats.connected and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not b.sync.stats.connected
        a.store.record_transitions([ack("gauge-1", "sara"), ack("gauge-2", "sara")])
        time.sleep(0.3)
        assert not b.wait_for(_acks_of("gauge-1"), timeout=0.2)  # nothing can arrive while cut off
    finally:
        pg_server.admin(f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS true")
    assert b.wait_for(lambda got: _acks_of("gauge-1")(got) and _acks_of("gauge-2")(got), timeout=10)
    assert b.sync.stats.reconnects >= 1 and b.sync.stats.cursor == a.store.verify_journal().head_seq
    acks = [tr.alarm_id for _, tr in b.remote if tr.action == "ack"]
    assert acks == ["gauge-1", "gauge-2"]  # each once, in order


def test_sync_is_idle_on_sqlite(sqlite_url, make_store):
    store, bus = make_store(sqlite_url)
    s = Sync(store, bus)
    s.start()
    assert s._thread is None
    s.stop()
