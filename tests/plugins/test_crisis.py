"""The crisis cell's overview: alarms by district and priority, affected districts and people,
nearest available vehicles on the road network, and the gate in front of a public warning (CAP)."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest

from console.alarms.alarm import Alarm
from console.city import load_city
from console.entities import EntityState
from console.geo import haversine_m
from console.model import AlarmState, Operator, Priority, Reading, Role
from tests.plugins.conftest import START_NS, folder

overview = importlib.import_module("plugins.crisis.overview")
routing = importlib.import_module("plugins.crisis.routing")
warning = importlib.import_module("plugins.crisis.warning")
CONFIG = overview.load_config(folder("crisis") / "crisis.toml")
QOM = load_city("qom")


def alarm(aid, priority, district="", lat=None, lon=None, state=AlarmState.UNACK, rule="r", **kw):
    return Alarm(
        id=aid,
        rule_id=rule,
        priority=Priority(priority),
        state=state,
        active=True,
        district=district,
        lat=lat,
        lon=lon,
        title_fa=f"هشدار {aid}",
        title_en=f"alarm {aid}",
        raised_t=START_NS,
        **kw,
    )


def centre(district_id):
    d = next(d for d in QOM.districts if d.id == district_id)
    ring = d.ring[:-1]
    return sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring)


def test_board_counts_active_alarms_by_district_and_priority_and_estimates_people():
    lat, lon = centre("d6")
    alarms = [
        alarm("x1", 4, "d6", lat, lon),
        alarm("x2", 3, "d6", lat, lon, state=AlarmState.ACKED),
        alarm("x3", 2, "d2", *centre("d2")),  # moderate: listed, does not affect
        alarm("x4", 4, "", state=AlarmState.UNACK),  # a composite: no place
        alarm("gone", 4, "d1", *centre("d1"), state=AlarmState.RTN_UNACK),  # returned to normal: not active
        alarm("shelved", 4, "d1", *centre("d1"), state=AlarmState.SHELVED),
    ]
    ov = overview.build_overview(alarms, overview.CityAreas(QOM), CONFIG, lambda a: 1000.0)
    assert [a.id for a in ov.alarms][2:] == ["x2", "x3"] and {a.id for a in ov.alarms[:2]} == {"x1", "x4"}
    rows = {r.id: r for r in ov.districts}
    assert rows["d6"].counts == {1: 0, 2: 0, 3: 1, 4: 1} and rows["d6"].unacked == 1 and rows["d6"].affected
    assert rows["d2"].total == 1 and not rows["d2"].affected
    assert rows[overview.UNPLACED].counts[4] == 1 and rows["d1"].total == 0
    assert ov.affected_population == sum(r.population for r in ov.affected)
    circle = math.pi * 1000.0**2
    d6_area = overview.CityAreas(QOM).shapes["d6"].area
    assert rows["d6"].share == pytest.approx(
        min(1.0, circle / d6_area), rel=0.05
    )  # 1 km circle well inside d6
    assert ov.people_estimate == pytest.approx(sum(r.people for r in ov.districts), rel=1e-9)
    assert 0 < ov.people_estimate < ov.affected_population


def test_an_alarm_area_reaching_over_a_border_affects_the_neighbour_too():
    areas = overview.CityAreas(QOM)
    lat, lon = centre("d6")
    big = alarm("wide", 4, "d6", lat, lon)
    ov = overview.build_overview([big], areas, CONFIG, lambda a: 6000.0)
    rows = {r.id: r for r in ov.districts}
    neighbours = [r for r in ov.affected if r.id != "d6"]
    assert neighbours and all(r.total == 0 and r.top == 0 and 0 < r.share <= 1 for r in neighbours)
    assert set(ov.touched["wide"]) == {r.id for r in ov.affected} and rows["d6"].affected


def test_no_alarms_means_nobody_affected():
    ov = overview.build_overview([], overview.CityAreas(QOM), CONFIG, lambda a: 500.0)
    assert ov.alarms == [] and ov.affected == [] and ov.people_estimate == 0 and ov.affected_population == 0
    assert len(ov.districts) == len(QOM.districts)


def test_road_tree_matches_brute_force_and_is_never_shorter_than_the_straight_line():
    router = routing.RoadRouter(QOM)
    lat, lon = centre("d3")
    tree = router.tree(lat, lon)
    assert np.isfinite(tree.time_s).all()  # the generated city is connected
    lat2, lon2 = centre("d7")
    metres, seconds = router.route(tree, np.array([lat2]), np.array([lon2]))
    assert metres[0] >= haversine_m(lat, lon, lat2, lon2) * 0.999
    slowest = (router.limit_kmh * router.params.free_flow_factor).min() / 3.6
    assert seconds[0] <= metres[0] / min(slowest, router.params.access_speed_kmh / 3.6) + 1
    jam = router.tree(lat, lon, {rid: 5.0 for rid in router.road_ids})  # live speeds are used
    assert router.route(jam, np.array([lat2]), np.array([lon2]))[1][0] > seconds[0] * 2
    assert jam.live_segments == len(router.road_ids)


def vehicle(entity, topic, lat, lon, t_s=0, **attrs):
    return Reading(
        source="sim." + topic.split("/")[1],
        seq=1,
        topic=topic,
        entity=entity,
        etype="Vehicle",
        t=START_NS + t_s * 10**9,
        values={"speed": 20.0},
        attrs=attrs,
        lat=lat,
        lon=lon,
    )


def test_nearest_available_vehicles_by_eta_leave_busy_and_stale_ones_out():
    now = {"t": 0.0}
    state = EntityState(city=QOM, clock=lambda: now["t"])
    lat, lon = centre("d4")
    state.ingest(
        "vehicle/service", [vehicle("svc-stale", "vehicle/service", lat, lon + 0.0005, task="waste")]
    )
    now["t"] = 100.0  # vehicles go stale after 15 s of silence
    state.ingest(
        "vehicle/service",
        [
            vehicle("svc-near", "vehicle/service", lat + 0.002, lon, task="waste"),
            vehicle("svc-far", "vehicle/service", lat + 0.03, lon, task="waste"),
        ],
    )
    state.ingest(
        "vehicle/taxi",
        [
            vehicle("taxi-hired", "vehicle/taxi", lat + 0.001, lon, status="hired"),
            vehicle("taxi-free", "vehicle/taxi", lat - 0.01, lon, status="free"),
        ],
    )
    state.ingest("vehicle/bus", [vehicle("bus-broken", "vehicle/bus", lat, lon + 0.001, status="breakdown")])
    d = overview.nearest_vehicles(state, lat, lon, CONFIG.dispatch, routing.RoadRouter(QOM))
    ids = [c.entity for c in d.candidates]
    assert set(ids) == {"svc-near", "taxi-free", "svc-far"} and ids[-1] == "svc-far"
    assert d.unavailable == 2 and d.considered == 5 and d.method == "road"
    assert [c.seconds for c in d.candidates] == sorted(c.seconds for c in d.candidates)
    assert all(c.method == "road" and c.seconds > 0 and c.metres >= c.straight_m * 0.99 for c in d.candidates)
    near = next(c for c in d.candidates if c.entity == "svc-near")
    assert near.status == "waste" and near.kind == "service"
    straight = overview.nearest_vehicles(state, lat, lon, CONFIG.dispatch, None)
    assert straight.method == "straight" and all(c.seconds is None for c in straight.candidates)
    assert [c.entity for c in straight.candidates] == ["svc-near", "taxi-free", "svc-far"]


def test_warning_draft_in_both_languages_from_the_alarm_and_the_districts_it_touches():
    from console import i18n
    from console.departments import load_strings

    i18n.add_strings(load_strings(folder("crisis") / "strings.toml"))
    lat, lon = centre("d6")
    a = alarm(
        "c137.cluster.gas_leak:cluster:1:2",
        4,
        "d6",
        lat,
        lon,
        message_fa="۴ گزارش نشت گاز",
        message_en="4 gas-leak reports",
    )
    ov = overview.build_overview([a], overview.CityAreas(QOM), CONFIG, lambda _a: 600.0)
    name = {d.id: d for d in QOM.districts}
    draft = warning.draft_from_alarm(a, ov, CONFIG, lambda d, lang: name[d].name(lang), 600.0)
    assert draft.severity == "Extreme" and draft.circles == [(lat, lon, 0.6)] and draft.problems() == []
    assert "نشت گاز" in draft.texts["fa"]["description"] and "gas-leak" in draft.texts["en"]["description"]
    residents = i18n.number(name["d6"].population, 0, "fa")
    assert "District 6" in draft.texts["en"]["headline"] and residents in draft.texts["fa"]["description"]
    assert draft.texts["fa"]["instruction"] == CONFIG.cap.instruction[Priority.EXTREME][0]
    draft.texts["en"]["headline"] = ""
    assert draft.problems() == ["en: headline is empty"]
    assert not warning.may_publish(Operator("ali", roles=frozenset({Role.OPERATOR})))
    assert warning.may_publish(Operator("maryam", roles=frozenset({Role.CRISIS_MANAGER})))
    assert warning.cap_unavailable(None)
