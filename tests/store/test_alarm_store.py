"""Alarm transitions through the bus into the store: durable, journaled, first acknowledgement wins."""

from __future__ import annotations

import threading

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
    store, _bus = make_store(db_url)
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
    """Two consoles (two stores, one database) acknowledge 30 alarms at the same moment. desk-2's
    acknowledgements are 1 ms earlier: desk-2 holds every attribution, whichever commit landed first."""
    a, _ = make_store(db_url, console="desk-1")
    b, _ = make_store(db_url, console="desk-2")
    ids = [f"gauge-{i}" for i in range(30)]
    a.record_transitions([activate(i) for i in ids])
    results: dict[str, list] = {"desk-1": [], "desk-2": []}
    go = threading.Barrier(2)

    def acker(store, who, t):
        go.wait()
        for i in ids:
            results[who] += store.record_transitions([ack(i, who, t=t, console=who)])

    threads = [
        threading.Thread(target=acker, args=(a, "desk-1", T0 + S + 1_000_000)),
        threading.Thread(target=acker, args=(b, "desk-2", T0 + S)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with a.db.read.connect() as conn:
        states = alarms.states(conn)
    assert all(states[i].state == "acked" and states[i].acked_by == "desk-2" for i in ids)
    for i in ids:
        by_seq = sorted(
            (r for w in results.values() for r in w if r.transition.alarm_id == i), key=lambda r: r.seq
        )
        first, second = by_seq
        if first.transition.console == "desk-2":  # the earlier one committed first: the later is kept aside
            assert first.applied and not second.applied and second.found_state == AlarmState.ACKED
        else:  # the later one committed first, then the earlier took the attribution over
            assert first.applied and second.applied and second.found_state == AlarmState.ACKED
    # the snapshot (what a restarting console restores) says desk-2 too
    with a.db.read.connect() as conn:
        snap = {tr.alarm_id: tr for tr in alarms.snapshot(conn).alarms}
    assert all(snap[i].console == "desk-2" and snap[i].operator == "desk-2" for i in ids)
    assert a.verify_journal(use_anchor=False).ok


def test_earlier_acknowledgement_arriving_later_takes_the_attribution(db_url, make_store):
    store, _ = make_store(db_url)
    store.record_transitions([activate("a1", t=T0)])
    store.record_transitions([ack("a1", "ali", t=T0 + 5 * S, console="desk-2")])
    late_but_earlier = store.record_transitions([ack("a1", "sara", t=T0 + 3 * S, console="desk-1")])
    later = store.record_transitions([ack("a1", "mina", t=T0 + 9 * S, console="desk-3")])
    stale = store.record_transitions([ack("a1", "reza", t=T0 - S, console="desk-4")])  # before this episode
    assert late_but_earlier[0].applied and not later[0].applied and not stale[0].applied
    with store.db.read.connect() as conn:
        row = alarms.states(conn)["a1"]
    assert (row.acked_by, row.acked_console, row.acked_t) == ("sara", "desk-1", T0 + 3 * S)


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
