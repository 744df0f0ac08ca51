"""Energy: substation load, outage areas on an earthquake (districts, people, map), solar against its
expectation; quiet on a calm day."""

from __future__ import annotations

import msgspec

from tests.plugins.checks import assert_leaves_nothing_behind

NS = 1_000_000_000


def test_activate_deactivate_leaves_nothing_behind(make_rig):
    assert_leaves_nothing_behind(make_rig, "energy")


def test_earthquake_outage_areas(make_rig):
    rig = make_rig("energy")
    rig.play("earthquake", 150)  # the quake trips the five substations nearest the epicentre at 30 s
    desk = rig.department("energy")
    assert desk.errors == 0, desk.last_error
    out = desk.outage.substations
    assert len(out) == 5 and all(s.out and s.since is not None for s in out)
    assert {"energy.substation.outage", "energy.outage.widespread", "energy.outage.people"} <= rig.fired(
        "energy"
    )
    outage_alarms = [a for a in rig.alarms("energy") if a.rule_id == "energy.substation.outage"]
    assert {a.subject for a in outage_alarms} == {s.entity for s in out}
    # the affected area: the de-energised substations' service cells, the districts under them
    city = desk.city
    districts = {d.district.id for d in desk.outage.districts}
    epicentre = city.district_at(34.596, 50.880)
    assert epicentre.id in districts
    people = desk.outage.people
    assert 50_000 < people < sum(d.population for d in city.districts)
    assert rig.kpis("energy")["people_without_power"] == people
    assert rig.kpis("energy")["substations_in_service"] == 100.0 * 7 / 12
    # on the map: one outage area per de-energised substation, selectable as that substation
    features = rig.layer("energy.outage").features()
    assert sorted(f.entity for f in features) == sorted(s.entity for s in out)
    assert all(f.geometry["type"] in ("Polygon", "MultiPolygon") for f in features)
    # the grid's derived reading carries the figures the rules judged
    assert rig.engine.get("energy.outage.widespread:qom").priority.name == "EXTREME"


def test_stale_substation_is_unknown_not_an_outage(make_rig):
    rig = make_rig("energy")
    rig.play("earthquake", 60)
    desk = rig.department("energy")
    assert len(desk.outage.substations) == 5
    # the substation feed falls silent while the solar plants go on reporting for 3 more minutes
    for k in range(1, 19):
        rig.publish(
            *[
                msgspec.structs.replace(
                    p.row.reading, t=p.row.reading.t + 10 * NS, seq=p.row.reading.seq + 1000 * k
                )
                for p in desk.plants()
            ]
        )
    subs = desk.substations()
    assert all(s.row.stale and not s.out for s in subs)  # unknown, never "out"
    assert desk.outage.substations == [] and len(rig.layer("energy.outage")) == 0
    kpis = rig.kpis("energy")
    assert kpis["substations_in_service"] is None and kpis["people_without_power"] is None
    assert kpis["solar_power"] is not None


def test_calm_day_is_quiet_and_solar_meets_its_expectation(make_rig):
    rig = make_rig("energy")
    rig.play("calm", 1200)
    desk = rig.department("energy")
    assert not rig.fired("energy"), rig.fired("energy")
    assert desk.outage.substations == [] and len(rig.layer("energy.outage")) == 0
    kpis = rig.kpis("energy")
    assert 40 < kpis["grid_load"] < 90 and kpis["people_without_power"] == 0
    assert 85 < kpis["solar_performance"] < 115  # producing as the sun allows
    t, power, expected = desk.solar_history()
    assert len(t) > 100 and abs(power.sum() / expected.sum() - 1.0) < 0.15


def test_flood_clouds_solar_shortfall(make_rig):
    rig = make_rig("energy")
    rig.play("flood", 1300, until=lambda r: "energy.solar.shortfall" in r.fired("energy"))
    desk = rig.department("energy")
    assert "energy.solar.shortfall" in rig.fired("energy")
    assert rig.kpis("energy")["solar_performance"] < 50
    assert all(p.shortfall_pct > 50 for p in desk.plants() if p.judged)
