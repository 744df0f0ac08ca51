"""Parks plugin: soil moisture and irrigation, the earthquake's burst pipes and broken facilities."""

from __future__ import annotations


def test_green_spaces_report_moisture_and_irrigation(make_rig):
    rig = make_rig("parks")
    rig.run("calm", 125, vehicles=20)
    desk = rig.department("parks").state
    snap = desk.snapshot()
    assert len(snap["parks"]) == 16 and len(snap["facilities"]) > 40
    assert 12 < desk.mean_moisture() < 42 and desk.water_today() > 0
    assert desk.facilities_ok_pct() > 95  # planned maintenance is not "out of order"
    assert len(rig.layers.layer("parks.green")) == 16
    assert not rig.activations("parks")


def test_earthquake_leaks_and_facilities_out_of_order(make_rig):
    rig = make_rig("parks")
    rig.run("earthquake", 390, vehicles=20)
    fired = {a.rule_id for a in rig.activations("parks")}
    assert {"parks.leak", "parks.facilities"} <= fired
    status = rig.department("parks").state.snapshot()["status"]
    assert any(st["leak"] for st in status.values())
