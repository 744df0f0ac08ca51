"""Bus plugin: detours around the crash are off-route alarms, broken-down buses are long stops,
the earthquake's network failure takes Wi-Fi down; headways are measured from the buses' tracks."""

from __future__ import annotations

import numpy as np

from console.model import Reading
from plugins.bus.rules import Route, _to_polyline
from tests.plugins.rig import START


def test_major_accident_detours_are_off_route_and_jammed_buses_long_stops(make_rig):
    rig = make_rig("bus")
    rig.run("major-accident", 420, vehicles=600)
    fired = [a for a in rig.activations("bus")]
    off = [a for a in fired if a.rule_id == "bus.off-route"]
    assert off, [a.alarm_id for a in fired]
    desk = rig.department("bus").state
    snap = desk.snapshot()
    statuses = {info[0] for _row, info in snap["buses"] if info}
    assert "off_route" in statuses
    assert any(f.props.get("status") == "off_route" for f in rig.layers.layer("bus.issues").features())
    lines = snap["lines"]
    assert lines["all"]["buses"] == 129 and lines["all"]["off_route"] >= 1
    assert len(rig.layers.layer("bus.routes")) == 30


def test_earthquake_breakdowns_are_long_stops_and_wifi_goes_down(make_rig):
    rig = make_rig("bus")
    rig.run("earthquake", 380, vehicles=600)
    fired = {a.alarm_id for a in rig.activations("bus")}
    assert sum(1 for a in fired if a.startswith("bus.long-stop:")) == 3  # the scenario stops three buses
    assert "bus.wifi:all" in fired
    kpis = {k.name: k.fn() for k in rig.host.kpis.items()}
    assert kpis["bus.wifi"] < 80 and 0 <= kpis["bus.on_time"] <= 100 and kpis["bus.mean_delay"] is not None


def test_polyline_distance_and_position_along_it():
    xs, ys = np.array([0.0, 1000.0, 1000.0]), np.array([0.0, 0.0, 500.0])
    route = Route("R", "", "", [], xs, ys, np.array([0.0, 1000.0, 1500.0]), 300.0, 600.0)
    dist, along = _to_polyline(np.array([500.0, 1100.0, 1000.0]), np.array([30.0, 250.0, 500.0]), route)
    assert np.allclose(dist, [30.0, 100.0, 0.0]) and np.allclose(along, [500.0, 1250.0, 1500.0])


def _bus(entity: str, t_s: float, route_m: float) -> Reading:
    # a straight route eastwards from the city centre; positions follow route_m
    lat, lon = 34.64, 50.88 + route_m / 91_600.0
    return Reading(
        source="t",
        seq=int(t_s),
        topic="vehicle/bus",
        entity=entity,
        etype="Vehicle",
        t=START + int(t_s * 1e9),
        values={"speed": 20.0, "delay": 0.0},
        lat=lat,
        lon=lon,
        attrs={"route": "R99", "dir": 1, "route_m": route_m, "wifi": "online"},
    )


def test_headway_is_how_long_ago_the_bus_ahead_passed(make_rig):
    rig = make_rig("bus")
    shape = [[50.88, 34.64], [50.88 + 5000 / 91_600.0, 34.64]]
    rig.bus.publish(
        "transit/route",
        Reading(
            source="t",
            seq=1,
            topic="transit/route",
            entity="R99",
            etype="TransitRoute",
            t=START,
            values={"headway_s": 150.0, "run_time_s": 900.0},
            attrs={"name_fa": "خط ۹۹", "name_en": "Line 99", "shape": shape},
        ),
    )
    for k in range(0, 181):  # the leader left 30 s before the follower, both at 5 m/s
        rig.publish(_bus("lead", k, 150 + 5 * k), _bus("follow", k, 5 * k))
    tracks = rig.department("bus").state.tracks
    assert abs(tracks["follow"].headway_s - 30.0) <= 5.0
    assert tracks["follow"].ratio is not None and tracks["follow"].ratio < 0.25
    assert tracks["follow"].status == "bunched"
