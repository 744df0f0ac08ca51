"""Readings: write-behind through the bus, back-pressure, spill when the database is away, tiers, history."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import sqlalchemy as sa

from console.store import tiers
from tests.store.factories import T0, S, bus_fix, reading

MIN = 60 * S


def _count(store, table: str) -> int:
    with store.db.read.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def test_readings_from_the_bus_are_stored(db_url, make_store):
    store, bus = make_store(db_url)
    batch = [
        bus_fix(
            "bus-12",
            i,
            lat=34.64 + i * 1e-4,
            lon=50.88,
            values={"speed": 30.0 + i, "occupancy": 50},
            attrs={"route": "۱۲", "status": "ok" if i < 5 else "late"},
        )
        for i in range(10)
    ]
    bus.publish_many("vehicle/bus", batch)
    bus.publish_many("vehicle/bus", batch[:3])  # a replay after a reconnect: duplicates
    bus.publish("vehicle/bus", reading("gauge-1", T0, level=float("nan"), flow=2.0))
    bus.publish("alarm/transition-not-a-reading", {"x": 1})
    assert store.flush()
    w = store.writer.stats
    assert w.values == 2 * 10 + 2 * 3 + 1 and w.invalid == 1 and w.duplicates == 6
    assert _count(store, "readings") == 21
    assert _count(store, "positions") == 10
    assert _count(store, "entity_attrs") == 2  # stored only when the attributes changed
    t, v = store.samples("bus-12/speed", T0, T0 + 10 * S)
    assert t.tolist() == [T0 + i * S for i in range(10)] and v.tolist() == [30.0 + i for i in range(10)]
    tt, lat, _lon = store.track("bus-12", T0 + 2 * S, T0 + 5 * S)
    assert tt.tolist() == [T0 + 2 * S, T0 + 3 * S, T0 + 4 * S] and lat[0] == pytest.approx(34.6402)
    assert '"late"' in store.history_provider.attrs_at("bus-12", T0 + 7 * S)
    assert store.track("nobody", T0, T0 + S)[0].size == 0


def test_back_pressure_blocks_the_producer_and_drops_nothing(sqlite_url, make_store):
    store, bus = make_store(sqlite_url, store_queue_max=500, store_batch_max=200)
    blocker = store.db.durable.connect()
    blocker.begin()  # BEGIN IMMEDIATE: holds SQLite's write lock, the writer has to wait
    try:
        for i in range(30):
            bus.publish_many(
                "water/gauge", [reading(f"g{j}", T0 + i * S, level=float(i)) for j in range(100)]
            )
        deadline = time.monotonic() + 10
        while store.writer.stats.blocked == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert store.writer.stats.blocked >= 1
        assert store.writer.stats.queued <= 500
        assert bus.backlog() > 0  # the rest waits in the bus, not dropped
    finally:
        blocker.rollback()
        blocker.close()
    assert store.flush(30)
    assert store.writer.stats.values == 3000 and _count(store, "readings") == 3000
    assert store.writer.stats.spilled == 0


def test_database_away_spills_to_disk_and_writes_back(pg_server, pg_url, make_store):
    store, bus = make_store(pg_url)
    store.writer.spill_after_s = 0.3
    dbname = pg_url.rsplit("/", 1)[1]
    pg_server.admin(f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS false")
    pg_server.admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{dbname}'")
    try:
        for i in range(5):
            bus.publish_many(
                "water/gauge", [reading("g1", T0 + (i * 100 + j) * S, level=float(j)) for j in range(100)]
            )
            time.sleep(0.1)
        deadline = time.monotonic() + 15
        while store.writer.stats.spilled < 500 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.writer.stats.spilled == 500
        assert list((store.spill_dir / "spill").glob("*.msgpack"))
    finally:
        pg_server.admin(f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS true")
    bus.publish("water/gauge", reading("g1", T0 + 10_000 * S, level=1.0))  # the next write succeeds ...
    assert store.flush(20)
    assert store.writer.stats.replayed == 500  # ... and the spilled readings follow it
    assert _count(store, "readings") == 501
    assert not list((store.spill_dir / "spill").glob("*.msgpack"))


def test_spill_at_stop_is_written_at_next_start(pg_server, pg_url, make_store):
    store, bus = make_store(pg_url)
    store.writer.spill_after_s = 60
    dbname = pg_url.rsplit("/", 1)[1]
    pg_server.admin(f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS false")
    pg_server.admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{dbname}'")
    bus.publish_many("water/gauge", [reading("g1", T0 + j * S, level=float(j)) for j in range(50)])
    store.writer.flush_s = 0.01
    time.sleep(0.3)
    store.writer.stop(timeout=0.5)  # the database never came back before stop
    assert store.writer.stats.spilled == 50
    pg_server.admin(f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS true")
    again, _ = make_store(pg_url)
    assert again.flush(20) and again.writer.flush(20)
    deadline = time.monotonic() + 10
    while _count(again, "readings") < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _count(again, "readings") == 50


def _fill(store, n: int, signal_entity: str = "g1", step: int = S, t0: int = T0) -> np.ndarray:
    rng = np.random.default_rng(7)
    v = np.cumsum(rng.normal(0, 1, n))
    for i in range(0, n, 5000):
        store.writer.write_batch(
            [reading(signal_entity, t0 + k * step, level=float(v[k])) for k in range(i, min(n, i + 5000))]
        )
    return v


def test_seal_and_rollup_keep_history_whole(db_url, make_store):
    store, _ = make_store(db_url)
    n = 3 * 3600  # three hours at 1 Hz
    v = _fill(store, n)
    t = T0 + np.arange(n) * S
    with store.db.bulk.begin() as conn:
        sealed = tiers.seal(conn, T0 + 2 * 3600 * S)
    assert sealed == 2 * 3600
    assert _count(store, "readings") == 3600 and _count(store, "reading_blocks") == 1
    ts, vs = store.samples("g1/level", T0, T0 + n * S)
    assert np.array_equal(ts, t) and np.array_equal(vs, v)
    # a late reading inside the sealed range lands in the hot table and is merged in time order
    store.writer.write_batch([reading("g1", T0 + 10 * S + 1, level=999.0)])
    ts, vs = store.samples("g1/level", T0, T0 + 20 * S)
    assert ts[11] == T0 + 10 * S + 1 and vs[11] == 999.0 and (np.diff(ts) > 0).all()
    # the first hour rolls up into 60 minutes
    with store.db.bulk.begin() as conn:
        tiers.seal(conn, T0 + 2 * 3600 * S)
        rolled = tiers.rollup(conn, T0 + 2 * 3600 * S)
    assert rolled == 2 and _count(store, "readings_1m") == 120 and _count(store, "reading_blocks") == 0
    with store.db.read.connect() as conn:
        first = conn.execute(
            sa.text("SELECT n, vmin, vmax, vsum FROM readings_1m ORDER BY minute LIMIT 1")
        ).one()
    minute0 = np.append(v[:60], 999.0)  # with the late reading
    assert (
        first.n == 61
        and first.vmin == pytest.approx(minute0.min())
        and first.vmax == pytest.approx(minute0.max())
    )
    assert first.vsum == pytest.approx(minute0.sum())
    ts, vs = store.samples("g1/level", T0, T0 + n * S)
    assert len(ts) == 120 * 2 + 3600  # min and max per rolled-up minute, then raw samples
    assert vs.max() == pytest.approx(max(v.max(), 999.0))


def test_rollup_merges_into_existing_minutes(sqlite_url, make_store):
    store, _ = make_store(sqlite_url)
    store.writer.write_batch([reading("g1", T0 + k * S, level=float(k)) for k in range(30)])
    with store.db.bulk.begin() as conn:
        tiers.seal(conn, T0 + 3600 * S)
        tiers.rollup(conn, T0 + 3600 * S)
    store.writer.write_batch([reading("g1", T0 + k * S, level=float(k)) for k in range(30, 60)])
    with store.db.bulk.begin() as conn:
        tiers.seal(conn, T0 + 3600 * S)
        tiers.rollup(conn, T0 + 3600 * S)
    with store.db.read.connect() as conn:
        assert conn.execute(sa.text("SELECT n, vmin, vmax, vsum FROM readings_1m")).one() == (
            60,
            0.0,
            59.0,
            1770.0,
        )


def test_positions_thin_to_one_per_minute(sqlite_url, make_store):
    store, _ = make_store(sqlite_url)
    store.writer.write_batch(
        [bus_fix("bus-1", i, lat=34.6 + i * 1e-3, step=10 * S) for i in range(60)]
    )  # 10 minutes, one fix every 10 s
    with store.db.bulk.begin() as conn:
        tiers.rollup(conn, T0 + 5 * MIN + 5 * S)
    t, _lat, _ = store.track("bus-1", T0, T0 + 20 * MIN)
    old = t[t < T0 + 5 * MIN]
    assert len(old) == 5 and all((x - T0) % MIN == 50 * S for x in old)  # the last fix of each minute
    assert len(t) == 5 + 30


def test_history_decimates_with_min_and_max(db_url, make_store):
    store, _ = make_store(db_url)
    n = 20_000
    v = _fill(store, n)
    with store.db.bulk.begin() as conn:
        tiers.seal(conn, T0 + n * S // 2)  # half sealed, half recent: both tiers in one query
    store.writer.write_batch([reading("g1", T0 + 12_345 * S + 1, level=1e6)])  # a one-sample spike
    t, out = store.history("g1/level", T0, T0 + n * S, 400)
    assert len(t) <= 400 and (np.diff(t) > 0).all()
    assert out.max() == 1e6 and out.min() == pytest.approx(v.min())
    assert store.history("unknown/level", T0, T0 + S, 100)[0].size == 0


def test_writer_survives_concurrent_history_reads(sqlite_url, make_store):
    store, bus = make_store(sqlite_url)
    stop = threading.Event()
    errors = []

    def reader():
        while not stop.is_set():
            try:
                store.history("g1/level", T0, T0 + 10_000 * S, 100)
                time.sleep(0.002)
            except Exception as exc:  # pragma: no cover - the assertion below reports it
                errors.append(exc)

    th = threading.Thread(target=reader)
    th.start()
    for i in range(20):
        bus.publish_many(
            "water/gauge", [reading("g1", T0 + (i * 200 + k) * S, level=float(k)) for k in range(200)]
        )
    assert store.flush(20)
    stop.set()
    th.join()
    assert not errors and _count(store, "readings") == 4000


def test_trail_for_the_map_and_core_wiring(sqlite_url, make_store):
    store, _ = make_store(sqlite_url)
    store.writer.write_batch(
        [
            bus_fix(
                "bus-3",
                i,
                lat=34.6 + i * 1e-4,
                values={"speed": 20.0 + i, **({"heading": 90.0} if i % 2 else {})},
            )
            for i in range(10)
        ]
    )
    trail = store.trail("bus-3", T0 + 2 * S, T0 + 5 * S)  # inclusive at both ends
    assert trail.t.tolist() == [T0 + k * S for k in range(2, 6)]
    assert trail.speed.tolist() == [22.0, 23.0, 24.0, 25.0] and trail.speed.dtype == np.float32
    assert np.isnan(trail.heading[0]) and trail.heading[1] == 90.0
    assert store.trail("bus-3", T0 + 100 * S, T0 + 200 * S) is None

    from console.core import Core
    from console.settings import Settings

    core = Core(Settings(db=sqlite_url), load_plugins=False)
    store2 = core.services["store"]
    assert core.services["history"] is store2
    assert core.services["series"].history is store2
    assert core.services["entities"]._providers == [store2]
    from console.alarms.engine import AlarmStateProvider

    assert isinstance(store2, AlarmStateProvider)
    assert "sync" not in core.services  # SQLite: one console
    core.bus.close()
