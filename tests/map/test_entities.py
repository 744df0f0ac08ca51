from __future__ import annotations

import numpy as np
import pytest

from console.bus import FeedBus
from console.city import load_city
from console.entities import EntityState, Trail
from console.health import FeedHealth, FeedState
from console.mapstyle import KIND_CODE, LEVEL_ALARM, LEVEL_OK, LEVEL_WARN, split_style
from console.model import Reading
from tests.map.fleet import Fleet, air_readings, segment_readings, vehicle

T0 = 1_770_000_000_000_000_000


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def city():
    return load_city("qom")


@pytest.fixture
def clock():
    return Clock()


def test_diff_add_move_restyle_remove(city, clock):
    st = EntityState(city=city, clock=clock)
    cur = st.cursor()
    st.ingest("vehicle/bus", [vehicle("bus-1", 34.64, 50.87, T0), vehicle("bus-2", 34.65, 50.88, T0)])
    d = cur.take()
    assert sorted(d.add_ids) == ["bus-1", "bus-2"]
    assert len(d.up_slot) == 2 and not len(d.rm_slot)
    kinds = {split_style(int(s))[0] for s in d.up_style}
    assert kinds == {KIND_CODE["bus"]}
    assert not cur.take()  # nothing changed: empty diff
    st.ingest("vehicle/bus", [vehicle("bus-1", 34.641, 50.87, T0 + 10**9, heading=90)])
    d = cur.take()
    assert list(d.add_ids) == [] and len(d.up_slot) == 1
    slot = st.get("bus-1").slot
    assert int(d.up_slot[0]) == slot
    assert d.up_lat[0] == pytest.approx(34.641, abs=1e-5) and int(d.up_heading[0]) == 90
    st.ingest(
        "vehicle/bus", [vehicle("bus-1", 34.641, 50.87, T0 + 2 * 10**9, heading=90, status="emergency")]
    )
    d = cur.take()
    assert len(d.up_slot) == 1 and split_style(int(d.up_style[0]))[1] == LEVEL_ALARM
    assert st.remove("bus-2")
    d = cur.take()
    assert len(d.rm_slot) == 1 and not len(d.up_slot)
    assert st.count() == 1


def test_two_cursors_are_independent_and_coalesce(city, clock):
    st = EntityState(city=city, clock=clock)
    a, b = st.cursor(), st.cursor()
    for k in range(5):
        st.ingest("vehicle/taxi", [vehicle("taxi-1", 34.6 + k * 0.001, 50.9, T0 + k * 10**9, fleet="taxi")])
        assert len(a.take().up_slot) == 1
    d = b.take()  # b looked only now: one coalesced add with the latest position
    assert d.add_ids == ["taxi-1"] and d.up_lat[0] == pytest.approx(34.604, abs=1e-5)


def test_slot_reuse_is_seen_as_add_not_move(city, clock):
    st = EntityState(city=city, clock=clock)
    cur = st.cursor()
    st.ingest("vehicle/bus", [vehicle("bus-1", 34.64, 50.87, T0)])
    cur.take()
    st.remove("bus-1")
    st.ingest("vehicle/bus", [vehicle("bus-9", 34.60, 50.80, T0)])
    d = cur.take()
    assert d.add_ids == ["bus-9"]
    assert st.get("bus-9").slot == int(d.add_slot[0])


def test_stale_by_age_and_by_source_health(city, clock):
    health = FeedHealth()
    health.register("avl", stale_after_s=10)
    health.set_state("avl", FeedState.CONNECTED)
    st = EntityState(health=health, city=city, clock=clock)
    cur = st.cursor()
    st.ingest("vehicle/bus", [vehicle("bus-1", 34.64, 50.87, T0, source="avl")])
    st.ingest("air/station", air_readings(city, T0, np.random.default_rng(1))[:1])
    cur.take()
    clock.now += 20  # vehicles go stale after 15 s, air stations after 120 s
    d = cur.take()
    assert len(d.up_slot) == 1 and split_style(int(d.up_style[0]))[2] is True
    assert st.get("bus-1").stale and not st.get("aq-01").stale
    st.ingest("vehicle/bus", [vehicle("bus-1", 34.64, 50.87, T0 + 20 * 10**9, source="avl")])
    assert split_style(int(cur.take().up_style[0]))[2] is False
    health.set_state("avl", FeedState.DOWN, "gone")
    clock.now += 1
    d = cur.take()
    assert split_style(int(d.up_style[0]))[2] is True  # source down: grey, even though fresh


def test_segments_and_places_get_positions_from_the_city(city, clock):
    st = EntityState(city=city, clock=clock)
    rng = np.random.default_rng(3)
    st.ingest("traffic/segment", segment_readings(city, T0, rng))
    assert st.count(["segment"]) == len(city.roads)
    info = st.get("seg-001")
    a, b = city.nodes[city.roads[0].a], city.nodes[city.roads[0].b]
    assert info.lat == pytest.approx((a.lat + b.lat) / 2)
    # a sensor reading without a position at a known place
    r = Reading(
        source="s",
        seq=1,
        topic="water/gauge",
        entity="gauge-01",
        etype="WaterObserved",
        t=T0,
        values={"level": 3.7},
    )
    st.ingest("water/gauge", [r])
    g = st.get("gauge-01")
    assert g.kind == "water" and g.level == LEVEL_ALARM
    # no position and not a known place: counted, not drawn
    st.ingest(
        "water/gauge",
        [Reading(source="s", seq=2, topic="water/gauge", entity="x", etype="WaterObserved", t=T0)],
    )
    assert st.counters["no_position"] == 1 and st.get("x") is None


def test_segment_level_follows_speed_against_the_limit(city, clock):
    st = EntityState(city=city, clock=clock)
    road = city.roads[0]
    for speed, level in ((road.speed_limit_kmh * 0.9, LEVEL_OK), (road.speed_limit_kmh * 0.5, LEVEL_WARN)):
        st.ingest(
            "traffic/segment",
            [
                Reading(
                    source="t",
                    seq=1,
                    topic="traffic/segment",
                    entity=road.id,
                    etype="TrafficFlowObserved",
                    t=T0,
                    values={"speed": speed},
                )
            ],
        )
        assert st.get(road.id).level == level


def test_bad_input_is_counted_never_raised(city, clock):
    st = EntityState(city=city, clock=clock)
    st.ingest("vehicle/bus", ["not a reading", {"entity": "x"}, None])
    st.ingest("vehicle/bus", [vehicle("bus-1", 95.0, 50.0, T0), vehicle("bus-2", float("nan"), 50.0, T0)])
    assert st.counters["ignored"] == 3 and st.counters["bad_position"] == 2 and st.count() == 0
    st.ingest("vehicle/bus", [vehicle("bus-1", 34.6, 50.8, T0)])
    st.ingest("vehicle/bus", [vehicle("bus-1", 34.6, 500.0, T0 + 10**9)])  # keeps the last good position
    assert st.get("bus-1").lon == pytest.approx(50.8)
    st.ingest("cap/alert", [vehicle("cap-1", 34.6, 50.8, T0)])  # CAP areas are the alarm room's layer
    assert st.get("cap-1") is None


def test_trail_ring_keeps_points_a_step_apart_and_turns(city, clock):
    st = EntityState(city=city, clock=clock, trail_minutes=2, trail_step_s=5)
    for s in range(0, 300):  # 5 minutes at 1 Hz going north
        st.ingest("vehicle/bus", [vehicle("bus-1", 34.6 + s * 1e-4, 50.8, T0 + s * 10**9, heading=0)])
    tr = st.trail("bus-1", minutes=2)
    assert isinstance(tr, Trail)
    assert 20 <= len(tr) <= 25  # 2 minutes at one point per 5 s
    assert np.all(np.diff(tr.t) >= 5 * 10**9)
    assert tr.lat[-1] == pytest.approx(34.6 + 295 * 1e-4, abs=1e-5)
    # a sharp turn is kept even within the step
    st.ingest("vehicle/bus", [vehicle("bus-1", 34.63, 50.801, T0 + 301 * 10**9, heading=90)])
    turned = st.trail("bus-1", minutes=2)
    assert turned.t[-1] == T0 + 301 * 10**9 and turned.heading[-1] == 90
    lat, _lon, _hd = turned.at(int(tr.t[-2] + (tr.t[-1] - tr.t[-2]) // 2))
    assert tr.lat[-2] < lat < tr.lat[-1]


def test_trail_asks_history_provider_for_older_points(city, clock):
    st = EntityState(city=city, clock=clock, trail_minutes=1, trail_step_s=5)
    for s in range(0, 60, 5):
        st.ingest("vehicle/bus", [vehicle("bus-1", 34.6, 50.8 + s * 1e-4, T0 + s * 10**9)])
    asked = []

    class Storage:
        def trail(self, entity, since_ns, until_ns):
            asked.append((entity, since_ns, until_ns))
            t = np.arange(since_ns, until_ns, 10 * 10**9, dtype=np.int64)
            n = len(t)
            return Trail(
                t, np.full(n, 34.5), np.full(n, 50.7), np.zeros(n, np.float32), np.zeros(n, np.float32)
            )

    st.set_history_provider(Storage())
    tr = st.trail("bus-1", minutes=10)
    assert asked and asked[0][0] == "bus-1"
    assert np.all(np.diff(tr.t) > 0) and tr.lat[0] == 34.5 and tr.lat[-1] == pytest.approx(34.6)


def test_bus_worker_subscription_end_to_end(city):
    bus = FeedBus()
    st = EntityState(bus, city=city)
    st.attach()
    fleet = Fleet(city, 500)
    for topic, items in fleet.readings(T0).items():
        bus.publish_many(topic, items)
    assert bus.drain_workers(5)
    assert st.count(["bus", "taxi", "service"]) == 500
    d = st.cursor().take()
    assert len(d.add_ids) == 500
    st.detach()
    bus.close()


def test_ten_thousand_vehicles_diff_is_cheap(city, clock):
    import time

    st = EntityState(city=city, clock=clock)
    fleet = Fleet(city, 10_000)
    cur = st.cursor()
    for topic, items in fleet.readings(T0).items():
        st.ingest(topic, items)
    cur.take()
    fleet.step(1.0)
    batches = fleet.readings(T0 + 10**9)
    t0 = time.perf_counter()
    for topic, items in batches.items():
        st.ingest(topic, items)
    ingest_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    d = cur.take()
    take_s = time.perf_counter() - t0
    assert len(d.up_slot) == 10_000 and not d.add_ids
    assert take_s < 0.05, take_s
    assert ingest_s < 1.0, ingest_s  # one second of a 10k fleet ingested in well under a second
