"""Terminals plugin: the boards, and the earthquake's cancellations."""

from __future__ import annotations


def test_boards_show_departures_and_arrivals_with_their_states(make_rig):
    rig = make_rig("terminals")
    rig.run("calm", 65, vehicles=20)
    snap = rig.department("terminals").state.snapshot()
    services = [r for r in snap["services"] if not r.stale]
    directions = {r.reading.attrs["direction"] for r in services}
    assert directions == {"departure", "arrival"}
    assert {r.reading.attrs["terminal"] for r in services} == {"term-01", "term-02", "term-03", "term-04"}
    assert all(r.reading.attrs["expected"] >= r.reading.attrs["scheduled"] for r in services)
    assert set(snap["boards"]) == {"term-01", "term-02", "term-03", "term-04"}
    assert all(b["cancelled"] == 0 for b in snap["boards"].values())
    assert not rig.activations("terminals")


def test_earthquake_cancellations_fire(make_rig):
    rig = make_rig("terminals")
    rig.run("earthquake", 95, vehicles=20)
    fired = {a.alarm_id for a in rig.activations("terminals")}
    assert {f"terminals.cancellations:term-0{k}" for k in (1, 2, 4)} <= fired
    desk = rig.department("terminals").state
    assert desk.cancelled() >= 9
    statuses = {r.reading.attrs["status"] for r in desk.snapshot()["services"]}
    assert "cancelled" in statuses
