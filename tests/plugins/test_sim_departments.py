"""The simulator's department systems (console/sim/elements, transit, intercity, taxis, works, parks):
what the mobility plugins rely on, checked at the source."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from console.geo import haversine_m_np
from console.i18n import local_time
from console.sim import World
from console.sim.fleet import BUS
from console.sim.scenario import ScenarioError, parse_scenario
from tests.plugins.rig import START


@pytest.mark.parametrize("vehicles", [1400, 200])  # about 10 buses a line, or one or two
def test_buses_start_one_timetabled_headway_apart_and_on_time(vehicles):
    w = World(seed=3, vehicles=vehicles, start_ns=START)
    f = w.fleet
    w.step()
    buses = np.flatnonzero(f.kind == 0)
    # a jitter of at most 0.15 headway and 60 s (a lone bus's headway is most of an hour), layovers included
    assert np.abs(f.delay[buses]).max() < 120
    for r in range(len(f.routes)):
        mine = buses[f.route[buses] == r]
        length = f.routes[r].length_m
        cycle = np.sort(np.where(f.route_dir[mine] > 0, f.route_m[mine], 2 * length - f.route_m[mine]))
        gaps = np.diff(np.concatenate([cycle, [cycle[0] + 2 * length]]))
        assert gaps.min() > 0.2 * 2 * length / len(mine), f.routes[r].id  # nobody starts bunched


def test_a_blocked_road_makes_buses_detour_and_rejoin():
    w = World(scenario="major-accident", seed=5, vehicles=1400, start_ns=START)
    seen_detour = rejoined = 0
    for _ in range(600):
        before = set(w.fleet.detour)
        w.step()
        seen_detour = max(seen_detour, len(w.fleet.detour))
        rejoined += len(before - set(w.fleet.detour))
    assert seen_detour >= 2 and rejoined >= 1
    g = w.graph
    for i in np.flatnonzero(w.fleet.kind == 0).tolist():  # on its route or on a detour, always on a road
        assert (int(w.fleet.a[i]), int(w.fleet.b[i])) in g.edge


def test_bus_lines_and_their_detours_keep_out_of_the_shrine_precinct():
    """The pedestrian precinct round the shrine (the rule bus.shrine.zone watches it): taxis may
    cross the central square, bus lines go round it, and so do buses detouring round blocked roads
    next to it (whose shortest way round would cross it)."""
    w = World(seed=5, vehicles=1400, start_ns=START)
    g, f = w.graph, w.fleet
    zone = w.city.no_bus[0]
    assert zone.id == "shrine" and g.no_bus, "roads of the synthetic graph do cross the precinct"
    on_routes = {g.edge[(u, v)] for r in f.routes for u, v in itertools.pairwise(r.nodes)}
    assert not on_routes & g.no_bus
    next_to_it = {ri for nb in g.no_bus for ri in g.adjacent_roads(nb, 1)} - g.no_bus
    blocked = np.zeros(len(g.roads), dtype=bool)
    blocked[sorted(next_to_it & on_routes)] = True
    buses = f.kind == BUS
    detoured: set[int] = set()
    for _ in range(200):
        f.step(1.0, w.traffic.speed, None, blocked)
        detoured |= set(f.detour)
        lat, lon, _ = f.positions()
        assert haversine_m_np(zone.lat, zone.lon, lat[buses], lon[buses]).min() > zone.radius_m
    assert len(detoured) >= 10  # (without the zone in the detours' way, they came to 212 m of it)


def test_earthquake_outages_breakdowns_and_emergency_works():
    w = World(scenario="earthquake", seed=1405, vehicles=700, start_ns=START)
    outs = {}
    for _ in range(420):
        for sid, items in w.step().items():
            outs.setdefault(sid, {}).update({r.entity: r for r in items})
    elements = outs["sim.element"].values()
    assert sum(r.attrs["status"] == "offline" for r in elements) > 20  # power and network
    assert {r.attrs.get("reason") for r in elements} >= {"power", "network"}
    signals = [r for r in elements if r.attrs["kind"] == "signal" and r.attrs.get("reason") == "power"]
    assert any(r.attrs["status"] == "on_battery" for r in signals)  # UPS-backed signals still run
    assert sum(r.attrs["payment"] == "offline" for r in outs["sim.taxi"].values()) > 50
    assert sum(r.attrs["wifi"] == "offline" for r in outs["sim.bus"].values()) > 15
    stopped = [r for r in outs["sim.bus"].values() if r.values["speed"] == 0 and r.values["delay"] > 200]
    assert len(stopped) >= 3  # the three broken-down buses (and anyone at a stop)
    sites = [r for r in outs["sim.works"].values() if r.attrs["kind"] == "emergency"]
    assert sites and all(r.attrs["opened"] > START for r in sites)
    crews = [r for r in outs["sim.service"].values() if r.attrs["status"] != "available"]
    assert crews and all(r.attrs["site"].startswith("ws-") for r in crews)
    cancelled = [r for r in outs["sim.intercity"].values() if r.attrs["status"] == "cancelled"]
    assert len(cancelled) >= 5


def test_intercity_timetable_on_five_minute_marks_of_local_time():
    w = World(seed=1, vehicles=20, start_ns=START)
    out = w.step()
    services = out["sim.intercity"]
    assert {r.attrs["terminal"] for r in services} == {"term-01", "term-02", "term-03", "term-04"}
    for r in services:
        local = local_time(r.attrs["scheduled"], "Asia/Tehran")
        assert local.minute % 5 == 0 and local.second == 0
        assert r.attrs["expected"] - r.attrs["scheduled"] == int(r.values["delay"] * 60e9)
    assert [r.attrs["mode"] for r in out["sim.terminal"]].count("rail") == 1


def test_irrigation_controllers_follow_window_soil_and_rain():
    from console.sim.effects import EffectState
    from console.sim.sensors import Clock

    w = World(scenario="calm", seed=1, vehicles=20, start_ns=START)
    p = w.parks
    p.moisture[:] = 18.0  # dry enough that every controller wants water in its window
    for start, _hours in {p.window[i] for i in range(p.n)}:
        clock = Clock(hour=start + 0.5, sun=20.0, doy=320.0)
        in_window = [i for i in range(p.n) if p.window[i][0] == start]
        p.update(60.0, clock, EffectState(road_factor=np.ones(1)), 15.0)
        assert all(p.state[i] == "on" for i in in_window)
        p.update(60.0, clock, EffectState(rain_mm_h=20.0, road_factor=np.ones(1)), 15.0)
        for i in in_window:  # smart controllers hold for the rain, plain timers keep watering
            assert p.state[i] == ("rain_hold" if p.sensor[i] else "on")
            assert (p.flow[i] > 0) == (not p.sensor[i])
    wet = p.moisture.copy()
    p.update(3600.0, Clock(hour=15.5, sun=35.0, doy=200.0), EffectState(road_factor=np.ones(1)), 32.0)
    assert (p.moisture < wet).all()  # a hot dry hour outside the windows dries every park
    assert sum(not s for s in p.sensor) >= 1


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[[events]]\nkind = "breakdown"\nfleet = "tram"\ncount = 2\n', "breakdown needs"),
        ('[[events]]\nkind = "telecom_outage"\nintensity = 3\n', "fraction"),
    ],
)
def test_new_event_kinds_are_validated(text, needle):
    with pytest.raises(ScenarioError, match=needle):
        parse_scenario(text, "x")
