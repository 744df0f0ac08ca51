"""Alarm transitions through the bus into the store: durable, journaled, first acknowledgement wins."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from console.model import AlarmState, AuditEvent
from console.store import alarms
from tests.store.factories import T0, S, ack, activate, transition


def test_transitions_from_the_bus_are_stored_and_journaled(db_url, make_store):
    store, bus = make_store(db_url)
    got_superseded = []
    bus.subscribe("alarm/superseded", lambda t, items: got_superseded.extend(items))
    bus.publish_many("alarm/transition", [activate("a1", district="پردیسان"), activate("a2")])
    bus.publish("alarm/transition", ack("a1", "sara"))
    bus.publish("audit/event", AuditEvent(t=T0, kind="login", operator="sara"))
    assert store.flush()
    with store.db.read.connect() as conn:
        states = alarms.states(conn)
        hist = alarms.history(conn, "a1")
    assert states["a1"].state == "acked" and states["a1"].acked_by == "sara"
    assert states["a1"].acked_console == "desk-1" and states["a1"].district == "پردیسان"
    assert states["a2"].state == "unack"
    assert [(o, tr.action) for _, o, tr in hist] == [("applied", "activate"), ("applied", "ack")]
    v = store.verify_journal()
    assert v.ok and v.entries == 4, v.line()
    assert store.anchor.read() == (v.head_seq, v.head_hash)
    assert got_superseded == []


def test_second_acknowledgement_is_recorded_not_applied(db_url, make_store):
    store, bus = make_store(db_url)
    store.record_transitions([activate("a1")])
    first = store.record_transitions([ack("a1", "sara", console="desk-1")])
    late = store.record_transitions([ack("a1", "ali", console="desk-2", t=T0 + 2 * S)])
    assert first[0].applied and not late[0].applied
    assert late[0].found_state == AlarmState.ACKED
    with store.db.read.connect() as conn:
        row = alarms.states(conn)["a1"]
        hist = alarms.history(conn, "a1")
    assert row.acked_by == "sara" and row.version == 2
    assert [(o, tr.operator) for _, o, tr in hist] == [
        ("applied", ""),
        ("applied", "sara"),
        ("superseded", "ali"),
    ]
    assert store.counts["superseded"] == 1


def test_concurrent_acknowledgements_from_two_consoles_one_winner(db_url, make_store):
    """Two consoles (two stores, one database) acknowledge 30 alarms at the same moment."""
    a, _ = make_store(db_url, console="desk-1")
    b, _ = make_store(db_url, console="desk-2")
    ids = [f"gauge-{i}" for i in range(30)]
    a.record_transitions([activate(i) for i in ids])
    results: dict[str, list] = {"desk-1": [], "desk-2": []}
    go = threading.Barrier(2)

    def acker(store, who):
        go.wait()
        for i in ids:
            results[who] += store.record_transitions([ack(i, who)])

    threads = [threading.Thread(target=acker, args=(s, w)) for s, w in ((a, "desk-1"), (b, "desk-2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with a.db.read.connect() as conn:
        states = alarms.states(conn)
        superseded = conn.execute(
            sa.text("SELECT count(*) FROM alarm_transitions WHERE outcome = 'superseded'")
        ).scalar()
    for i in ids:
        winners = [r for w in results.values() for r in w if r.transition.alarm_id == i and r.applied]
        assert len(winners) == 1, i
        assert states[i].acked_by == winners[0].transition.operator
    assert superseded == len(ids)
    assert a.verify_journal(use_anchor=False).ok


def test_snapshot_restores_non_normal_alarms(db_url, make_store):
    store, _ = make_store(db_url)
    store.record_transitions(
        [
            activate("a1"),
            activate("a2"),
            ack("a2", "sara"),
            activate("a3"),
            transition("a3", "clear", AlarmState.UNACK, AlarmState.RTN_UNACK, T0 + 3 * S),
            transition("a3", "ack", AlarmState.RTN_UNACK, AlarmState.NORMAL, T0 + 4 * S, operator="sara"),
            activate("a4"),
            transition(
                "a4",
                "shelve",
                AlarmState.UNACK,
                AlarmState.SHELVED,
                T0 + 5 * S,
                operator="reza",
                note="pump service",
            ),
        ]
    )
    store.close()
    again, _ = make_store(db_url)
    snap = again.alarm_snapshot()
    by_id = {tr.alarm_id: tr for tr in snap.alarms}
    assert set(by_id) == {"a1", "a2", "a4"}
    assert by_id["a1"].to_state == AlarmState.UNACK
    assert by_id["a2"].to_state == AlarmState.ACKED and by_id["a2"].operator == "sara"
    assert by_id["a4"].to_state == AlarmState.SHELVED and by_id["a4"].note == "pump service"
    assert snap.seq == 8


def test_bad_items_on_alarm_topics_are_ignored(sqlite_url, make_store, caplog):
    store, bus = make_store(sqlite_url)
    bus.publish("alarm/transition", {"not": "a transition"})
    bus.publish("alarm/transition", activate("a1"))
    assert store.flush()
    assert store.counts["transitions"] == 1
    assert "non-transition" in caplog.text
