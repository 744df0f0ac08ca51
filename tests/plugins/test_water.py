"""Water: flood gauges, rising-rate alarms, a level forecast that brackets the real crossing, flooded
areas and the roads they cut (on the map); quiet on a calm day."""

from __future__ import annotations

from console.catalog import signal_meta
from tests.plugins.checks import assert_leaves_nothing_behind

LEVEL = signal_meta("WaterObserved", "level")


def test_activate_deactivate_leaves_nothing_behind(make_rig):
    assert_leaves_nothing_behind(make_rig, "water")


def test_flood_rules_fire_and_roads_are_drawn(make_rig):
    rig = make_rig("water")
    rig.play("flood", 900)
    desk = rig.department("water")
    assert desk.errors == 0, desk.last_error
    fired = rig.fired("water")
    assert {
        "water.gauge.rising",
        "water.gauge.rising_fast",
        "water.gauge.flood_stage_soon",
        "water.roads.flooded",
    } <= fired
    rising = {a.subject for a in rig.alarms("water") if a.rule_id == "water.gauge.rising"}
    assert len(rising) == 8  # the eight gauges nearest the river bed, no other
    gauges = desk.gauges()
    at_flood_stage = [g for g in gauges if g.state() == "alarm"]
    assert {g.entity for g in at_flood_stage} == rising
    assert all(g.level >= LEVEL.alarm_hi for g in at_flood_stage)
    # flooded area around them (and the 137 flooding reports), the roads crossing it
    pic = desk.picture
    flooded = [r for r in pic.roads if r.state == "flooded"]
    assert len(flooded) >= 10 and pic.reports > 10
    city = desk.city
    assert all(r.road.id in {x.id for x in city.roads} for r in flooded)
    assert {r.cause for r in flooded} & rising  # most roads are explained by a gauge
    features = rig.layer("water.roads").features()
    assert {f.entity for f in features} == {r.road.id for r in pic.roads}
    assert all(f.geometry["type"] == "LineString" for f in features)
    assert {f.id for f in rig.layer("water.areas").features()} >= {"flooded"}
    kpis = rig.kpis("water")
    assert kpis["gauges_above_warning"] == 8 and kpis["roads_flooded"] == len(flooded)
    assert 0 < kpis["people_flooded_area"] < sum(d.population for d in city.districts)
    alarm = rig.engine.get("water.roads.flooded:qom")
    assert alarm is not None and alarm.department == "water"


def test_level_forecast_brackets_the_real_crossing(make_rig):
    """Seven minutes into the flood, the minutes until flood stage are forecast as an interval; the
    crossing that then happens falls inside it for every rising gauge."""
    rig = make_rig("water")
    rig.play("flood", 420)
    desk = rig.department("water")
    start = rig.clock.t
    predicted = {g.entity: g.minutes_to(LEVEL.alarm_hi) for g in desk.gauges() if g.rising}
    assert len(predicted) == 8 and all(p[1] is not None for p in predicted.values())
    actual: dict[str, float] = {}
    while len(actual) < len(predicted) and rig.clock.t - start < 20 * 60 * 10**9:
        rig.play_more(10)
        for g in desk.gauges():
            if g.entity in predicted and g.entity not in actual and g.level >= LEVEL.alarm_hi:
                actual[g.entity] = (rig.clock.t - start) / 60e9
    assert set(actual) == set(predicted)
    for entity, (early, _expected, late) in predicted.items():
        assert early - 0.25 <= actual[entity] <= late + 0.25, (entity, early, actual[entity], late)


def test_calm_day_is_quiet(make_rig):
    rig = make_rig("water")
    rig.play("calm", 1200)
    desk = rig.department("water")
    assert not rig.fired("water"), rig.fired("water")
    assert desk.picture.roads == [] and len(rig.layer("water.roads")) == 0
    assert all(g.state() == "ok" for g in desk.gauges())
    # a flat river: the forecast stays flat and never expects flood stage
    assert all(g.minutes_to(LEVEL.alarm_hi) == (None, None, None) for g in desk.gauges())
    assert rig.kpis("water")["roads_flooded"] == 0
