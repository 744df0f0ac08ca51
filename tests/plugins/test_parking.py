"""Parking: occupancy per lot and district, full-lot alarms, a one-hour forecast that is honest."""

from __future__ import annotations

import numpy as np

from console.model import Reading
from tests.plugins.checks import assert_leaves_nothing_behind
from tests.plugins.rig import START_NS

NS = 1_000_000_000


def lot_reading(entity: str, t_s: float, occupancy: float, capacity: int = 400, seq: int = 0) -> Reading:
    free = float(round(capacity * (1 - occupancy / 100.0)))
    return Reading(
        source="test.parking",
        seq=seq or int(t_s) + 1,
        topic="parking/lot",
        entity=entity,
        etype="OffStreetParking",
        t=START_NS + int(t_s * NS),
        values={"occupancy": float(round(occupancy)), "free": free},
        attrs={"capacity": capacity, "district": "d3", "name_fa": "پارکینگ آزمایشی"},
        lat=34.64,
        lon=50.88,
    )


def test_activate_deactivate_leaves_nothing_behind(make_rig):
    assert_leaves_nothing_behind(make_rig, "parking")


def test_calm_day_lots_districts_forecasts_and_quiet_rules(make_rig):
    rig = make_rig("parking")
    rig.play("calm", 1500)
    desk = rig.department("parking")
    lots = desk.lots()
    assert len(lots) == 30 and all(not x.row.stale for x in lots)
    assert all(x.capacity and x.capacity > 100 for x in lots)
    forecast = [x for x in lots if x.forecast is not None]
    assert len(forecast) == 30  # 25 minutes of data: every lot has its forecast
    for x in forecast:
        mean, lo, hi = x.next()
        assert 0.0 <= lo <= mean <= hi <= 100.0
        assert abs(mean - x.occupancy) < 25  # a calm afternoon: no wild extrapolation
    kpis = rig.kpis("parking")
    assert 40 < kpis["parking_occupancy"] < 90 and kpis["parking_lots_full"] == 0
    assert kpis["parking_free_spaces"] + kpis["parking_occupied_spaces"] == sum(x.capacity for x in lots)
    # districts: capacity-weighted, drawn on the map, published for the rules
    districts = desk.districts()
    assert sum(d.lots for d in districts) == 30
    assert len(rig.layer("parking.districts")) == len([d for d in districts if d.district != "?"])
    assert not rig.fired("parking"), rig.fired("parking")


def test_no_forecast_without_enough_history(make_rig):
    rig = make_rig("parking")
    rig.play("calm", 240)  # 4 minutes: fewer than the 10 grid minutes a forecast needs
    desk = rig.department("parking")
    assert all(x.forecast is None and x.next() is None for x in desk.lots())
    assert len(rig.layer("parking.forecast")) == 0


def test_filling_lot_raises_forecast_then_full_alarm(make_rig):
    rig = make_rig("parking")
    rng = np.random.default_rng(7)
    occ, t = 55.0, 0.0
    forecast_fired_at = full_fired_at = None
    while t < 7200 and full_fired_at is None:
        occ = min(100.0, occ + 0.6 * 30 / 60 + rng.normal(0, 0.4))  # +0.6 %/min
        rig.publish(lot_reading("park-test", t, occ))
        fired = rig.fired("parking")
        if forecast_fired_at is None and "parking.lot.full_within_hour" in fired:
            forecast_fired_at = (t, occ)
        if "parking.lot.full" in fired:
            full_fired_at = (t, occ)
        t += 30
    assert forecast_fired_at is not None and full_fired_at is not None
    # the forecast warned well before the lot was actually full
    assert forecast_fired_at[0] < full_fired_at[0] - 15 * 60
    assert forecast_fired_at[1] < 90
    lot = rig.department("parking").lots()[0]
    assert lot.minutes_to_full() == 0.0
    alarm = next(a for a in rig.alarms("parking") if a.rule_id == "parking.lot.full_within_hour")
    assert alarm.subject == "park-test" and alarm.department == "parking"
    assert alarm.lat is not None and alarm.district  # placed on the map, in a district


def test_stale_lot_counts_as_unknown_not_zero(make_rig):
    rig = make_rig("parking")
    for k in range(40):
        readings = [lot_reading("a", k * 30, 60)]
        if k < 5:  # "b" falls silent after two minutes
            readings.append(lot_reading("b", k * 30, 80))
        rig.publish(*readings)
    desk = rig.department("parking")
    lots = {x.entity: x for x in desk.lots()}
    assert lots["b"].row.stale and not lots["a"].row.stale
    assert lots["b"].forecast is None  # no forecast from a silent feed
    (d3,) = desk.districts()
    assert d3.lots == 2 and d3.live_lots == 1 and round(d3.occupancy) == 60
