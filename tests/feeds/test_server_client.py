"""The simulator's websocket server and the production client, in one process over real sockets:
resume, gap notices, epochs, hostile frames, standard endpoints, staleness, journal, replay."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import msgspec
import websockets

from console.bus import FeedBus
from console.core import Core
from console.feeds.base import Backoff
from console.feeds.quarantine import Quarantine
from console.feeds.replay import ReplayFeed
from console.feeds.websocket import WebSocketFeed
from console.health import FeedHealth, FeedState, SourceStatus
from console.settings import Settings
from console.sim.scenario import parse_scenario
from console.sim.server import SimServer
from console.sim.world import SOURCES, World
from tests.feeds.conftest import free_port


def arun(coro, timeout: float = 40.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


class Rig:
    """bus + health + quarantine + a collector of (source, seq) and readings per topic."""

    def __init__(self, clock=time.monotonic):
        self.bus = FeedBus()
        self.health = FeedHealth(clock=clock)
        self.quarantine = Quarantine(self.bus, self.health)
        self.seen: list[tuple[str, int]] = []
        self.by_topic: dict[str, list] = {}
        self.bus.subscribe("#", self._collect, name="collector")

    def _collect(self, topic, items):
        if topic == "feeds/quarantine":
            return
        self.seen.extend((r.source, r.seq) for r in items)
        self.by_topic.setdefault(topic, []).extend(items)

    def stat(self, source: str) -> SourceStatus:
        return self.health.get(source) or SourceStatus(source)

    def client(self, url, **kw) -> WebSocketFeed:
        kw.setdefault("backoff", Backoff(0.02, 0.2))
        return WebSocketFeed(url, self.bus, self.health, self.quarantine, **kw)

    def assert_exactly_once(self):
        counts = Counter(self.seen)
        assert not [k for k, n in counts.items() if n > 1], "duplicates delivered"
        by: dict[str, list[int]] = {}
        for s, q in self.seen:
            by.setdefault(s, []).append(q)
        for s, qs in by.items():
            assert qs == list(range(qs[0], qs[0] + len(qs))), f"{s}: not contiguous"
        return by


async def until(pred, timeout=10.0, step=0.02, pump: FeedBus | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pump is not None:
            pump.flush()
        if pred():
            return True
        await asyncio.sleep(step)
    return False


def test_embedded_core_serves_every_source_through_the_production_client():
    async def body():
        core = Core(Settings(vehicles=120), load_plugins=False)
        topics = Counter()
        core.bus.subscribe("#", lambda t, items: topics.update({t: len(items)}))
        await core.async_start()
        try:
            ok = await until(
                lambda: (
                    all(s.state is FeedState.CONNECTED for s in core.health.snapshot())
                    and topics["air/station"] > 0
                ),
                10,
            )
            assert ok, [(s.source, s.state) for s in core.health.snapshot()]
            assert "simulator" in core.services and "feeds" in core.services and "quarantine" in core.services
            assert {s.source for s in core.health.snapshot()} >= {
                "sim.bus",
                "sim.air",
                "sim.137",
                "sim.traffic",
            }
            assert f"feeds {len(SOURCES)}/{len(SOURCES)} up" in core.status_line()
            assert topics["vehicle/taxi"] > 0 and topics["traffic/segment"] >= 200
        finally:
            await core.async_stop()

    arun(body())


def test_resume_after_dropped_connections_is_exactly_once():
    rig = Rig()

    async def body():
        server = SimServer(World(seed=5, vehicles=150), speed=25)
        await server.async_start()
        client = rig.client(server.url, name="t")
        pump = asyncio.create_task(rig.bus.async_pump(100))
        await client.async_start()
        for _ in range(4):
            await asyncio.sleep(0.4)
            assert client.drop_connection() or server.kick_clients()
        await asyncio.sleep(0.8)
        await client.async_stop()
        await server.async_stop()
        pump.cancel()
        rig.bus.flush()
        return client

    client = arun(body())
    by = rig.assert_exactly_once()
    assert len(by["sim.bus"]) > 150 * 10
    assert client.connects >= 5
    st = rig.health.get("sim.bus")
    assert st.reconnects >= 4 and st.gaps == 0 and st.missing == 0


def test_server_says_gap_when_a_slow_client_fell_out_of_the_buffer():
    rig = Rig()

    async def body():
        server = SimServer(World(seed=5, vehicles=100), speed=10, buffer_bytes=60_000)
        await server.async_start()
        client = rig.client(server.url, name="t")
        await client.async_start()
        await until(lambda: rig.stat("sim.bus").messages > 0, pump=rig.bus)
        await client.async_stop()
        server.advance(40)  # the world moves on while the console is away; the buffer forgets
        await client.async_start()
        await until(lambda: rig.stat("sim.bus").missing > 0, pump=rig.bus)
        await asyncio.sleep(0.3)
        await client.async_stop()
        await server.async_stop()
        rig.bus.flush()

    arun(body())
    st = rig.health.get("sim.bus")
    assert st.gaps >= 1 and st.missing > 0
    assert st.duplicates == 0
    counts = Counter(rig.seen)
    assert max(counts.values()) == 1


def test_new_epoch_resets_the_sequence_instead_of_dropping_everything():
    rig = Rig()
    port = free_port()

    async def body():
        a = SimServer(World(seed=1, vehicles=50, start_ns=1_000 * 10**9), port=port, speed=20)
        await a.async_start()
        client = rig.client(a.url, name="t")
        await client.async_start()
        await until(lambda: rig.stat("sim.bus").messages > 200, pump=rig.bus)
        await a.async_stop()
        b = SimServer(World(seed=1, vehicles=50, start_ns=2_000 * 10**9), port=port, speed=20)
        await b.async_start()
        before = rig.stat("sim.bus").messages
        await until(lambda: rig.stat("sim.bus").messages > before + 200, pump=rig.bus)
        await client.async_stop()
        await b.async_stop()
        return client

    client = arun(body())
    st = rig.health.get("sim.bus")
    assert st.duplicates == 0 and st.gaps == 0
    assert client.trackers["sim.bus"].epoch.endswith(f"{2_000_000:x}")


def test_hostile_frames_are_quarantined_and_the_client_lives_on():
    rig = Rig()
    port = free_port()
    good = {
        "type": "batch",
        "source": "x",
        "epoch": "e",
        "items": [
            {
                "source": "x",
                "seq": 1,
                "topic": "air/station",
                "entity": "a",
                "etype": "AirQualityObserved",
                "t": 1,
                "values": {"pm25": 3},
            }
        ],
    }
    frames = [
        b"{not json",
        b'{"type":"batch","source":"x","epoch":"e","items":[{"seq":"one"}]}',
        b'{"type":"batch","source":"x","epoch":"e","items":[{"source":"x","seq":1,"topic":"t","entity":"a","etype":"E","t":1,"values":{"v":NaN}}]}',
        b'{"type":"warp"}',
        b"[" * 100_000,
        "نوشتهٔ بی‌معنا",
        msgspec.json.encode(good),
        b"x" * (9 * 1024 * 1024),  # over max_size: the client closes (1009) and reconnects
    ]

    async def hostile(ws):
        await ws.recv()
        for f in frames:
            await ws.send(f)
        await ws.wait_closed()

    async def body():
        async with websockets.serve(hostile, "127.0.0.1", port, max_size=None, compression=None):
            client = rig.client(f"ws://127.0.0.1:{port}/", name="hostile")
            await client.async_start()
            await until(
                lambda: (
                    client.connects + client.disconnects >= 1
                    and rig.stat("hostile").quarantined >= 6
                    and client.disconnects >= 1
                ),
                pump=rig.bus,
            )
            await client.async_stop()

    arun(body())
    q = rig.quarantine.records("hostile")
    kinds = Counter(r.kind for r in q)
    assert kinds["bad-json"] >= 3 and kinds["bad-frame"] >= 2
    assert all(r.reason for r in q)
    assert [r.values for r in rig.by_topic.get("air/station", [])] == [{"pm25": 3.0}]


def test_ngsi_ld_endpoint_runs_the_codec_end_to_end():
    rig = Rig()

    async def body():
        server = SimServer(World(seed=9, vehicles=20), speed=20)
        await server.async_start()
        native = rig.client(server.url, name="native")
        ld = rig.client(server.url + "ngsi-ld", name="ld", format="ngsi-ld")
        await native.async_start()
        await ld.async_start()
        await until(
            lambda: (
                sum(r.source == "ld" for r in rig.by_topic.get("air/station", [])) >= 80
                and any(r.source == "ld" for r in rig.by_topic.get("parking/lot", []))
            ),
            pump=rig.bus,
        )
        for c in (native, ld):
            await c.async_stop()
        await server.async_stop()

    arun(body())
    air = rig.by_topic["air/station"]
    native = {(r.entity, r.t // 1_000_000): r for r in air if r.source == "sim.air"}  # NGSI times are in ms
    ld = [r for r in air if r.source == "ld"]
    matched = 0
    for r in ld:
        twin = native.get((r.entity.rsplit(":", 1)[-1], r.t // 1_000_000))
        if twin is None:
            continue
        matched += 1
        assert r.values["aqi"] == twin.values["aqi"] and r.values["pm25"] == twin.values["pm25"]
        assert r.values["no2"] == twin.values["no2"] and (r.lat, r.lon) == (twin.lat, twin.lon)
    assert matched >= 40
    parking = [r for r in rig.by_topic["parking/lot"] if r.source == "ld"]
    assert parking and all(0 <= r.values["occupancy"] <= 100 for r in parking)
    assert rig.health.get("ld").state in (FeedState.CONNECTED, FeedState.IDLE)


def test_gtfs_rt_endpoint_positions_and_accident_alert():
    rig = Rig()
    scenario = parse_scenario(
        '[[events]]\nkind = "speed_drop"\nat = 1\nintensity = 0.1\nsegments = ["seg-031"]\n', "accident-now"
    )

    async def body():
        server = SimServer(World(scenario=scenario, seed=9, vehicles=70), speed=10)
        await server.async_start()
        gt = rig.client(server.url + "gtfs-rt", name="gtfs", format="gtfs-rt")
        await gt.async_start()
        await until(
            lambda: (
                len(rig.by_topic.get("transit/alert", [])) >= 1
                and len(rig.by_topic.get("vehicle/bus", [])) >= 30
            ),
            pump=rig.bus,
        )
        await gt.async_stop()
        await server.async_stop()

    arun(body())
    buses = rig.by_topic["vehicle/bus"]
    assert all(r.source == "gtfs" and r.entity.startswith("bus-") and r.lat for r in buses)
    assert len({r.seq for r in buses}) == len(buses)
    alert = rig.by_topic["transit/alert"][0]
    assert alert.attrs["effect"] == "SIGNIFICANT_DELAYS" and "seg-031" in str(alert.attrs["informed"])
    assert "تصادف" in alert.attrs["header"]


def test_a_silent_source_goes_stale_while_the_others_stay_live():
    scenario = parse_scenario(
        '[[events]]\nkind = "silence"\nat = 3\nuntil = 60\nsource = "sim.bus"\n', "quiet-buses"
    )
    speed = 20.0
    t0 = time.monotonic()
    rig = Rig(clock=lambda: t0 + (time.monotonic() - t0) * speed)  # health judges in simulated seconds

    async def body():
        server = SimServer(World(scenario=scenario, seed=3, vehicles=60), speed=speed)
        await server.async_start()
        client = rig.client(server.url, name="t")
        await client.async_start()
        states = []

        async def watch():
            while True:
                rig.health.evaluate()
                states.append((rig.health.state_of("sim.bus"), rig.health.state_of("sim.taxi")))
                await asyncio.sleep(0.05)

        w = asyncio.create_task(watch())
        await until(lambda: FeedState.STALE in [s for s, _ in states], 8, pump=rig.bus)
        stale_taxi = [t for b, t in states if b is FeedState.STALE]
        await until(lambda: states[-1][0] is FeedState.CONNECTED, 8, pump=rig.bus)
        w.cancel()
        stale_now = rig.health.stale_sources()
        await client.async_stop()
        await server.async_stop()
        assert rig.health.stale_sources() >= {"sim.bus", "sim.taxi"}  # a stopped link is never "live"
        return stale_taxi, states, stale_now

    stale_taxi, states, stale_now = arun(body())
    assert stale_taxi and all(t is FeedState.CONNECTED for t in stale_taxi)
    assert states[-1][0] is FeedState.CONNECTED  # recovered when the buses spoke again
    assert "sim.bus" not in stale_now


def test_journal_lets_a_restarted_server_continue_the_same_sequence(tmp_path):
    rig = Rig()
    port = free_port()

    async def body():
        a = SimServer(World(seed=4, vehicles=40), port=port, speed=20, journal_dir=tmp_path / "j")
        await a.async_start()
        client = rig.client(a.url, name="t")
        await client.async_start()
        await until(lambda: rig.stat("sim.bus").messages > 300, pump=rig.bus)
        await client.async_stop()
        a.advance(30)  # emitted while nobody listened
        last_a = a.logs["sim.bus"].last_seq
        epoch_a = a.logs["sim.bus"].epoch
        await a.async_stop()
        b = SimServer(World(seed=4, vehicles=40), port=port, speed=20, journal_dir=tmp_path / "j")
        assert b.logs["sim.bus"].epoch == epoch_a and b.logs["sim.bus"].last_seq == last_a
        await b.async_start()
        await client.async_start()
        await until(lambda: rig.stat("sim.bus").last_seq > last_a + 100, pump=rig.bus)
        await client.async_stop()
        await b.async_stop()

    arun(body())
    rig.assert_exactly_once()
    st = rig.health.get("sim.bus")
    assert st.gaps == 0 and st.duplicates == 0


def test_recorded_session_replays_with_the_same_sequences(tmp_path):
    record = tmp_path / "session.jsonl"
    live = Rig()

    async def capture():
        server = SimServer(World(seed=8, vehicles=30), speed=20)
        await server.async_start()
        client = live.client(server.url, name="t", record=str(record))
        await client.async_start()
        await until(lambda: live.stat("sim.bus").messages > 200, pump=live.bus)
        await client.async_stop()
        await server.async_stop()
        live.bus.flush()

    arun(capture())
    replay = Rig()

    async def play():
        feed = ReplayFeed(str(record), replay.bus, replay.health, replay.quarantine, speed=0)
        await feed.async_start()
        await until(lambda: feed.finished.is_set(), pump=replay.bus)
        await feed.async_stop()
        replay.bus.flush()

    arun(play())
    assert sorted(replay.seen) == sorted(live.seen)
    replay.assert_exactly_once()
    assert Path(record).stat().st_size > 10_000


def test_corpus_file_replays_through_its_codec(corpus):
    rig = Rig()

    async def play():
        feed = ReplayFeed(
            str(corpus / "gtfs-rt/transitland-lib/ct-vehicle-positions.pb"),
            rig.bus,
            rig.health,
            rig.quarantine,
            speed=0,
        )
        await feed.async_start()
        await until(lambda: feed.finished.is_set(), pump=rig.bus)
        await feed.async_stop()
        rig.bus.flush()

    arun(play())
    assert len(rig.by_topic["vehicle/bus"]) == 14
    assert rig.stat("replay:ct-vehicle-positions.pb").messages == 14


def test_headless_run_records_a_session_that_replays(tmp_path):
    import subprocess
    import sys

    from tests.feeds.test_cli_feeds import ROOT

    rec = tmp_path / "s.jsonl"
    env = {
        "RASAD_CONFIG_DIR": str(tmp_path / "c"),
        "RASAD_DATA_DIR": str(tmp_path / "d"),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    out = subprocess.run(
        [
            sys.executable,
            "main.py",
            "run",
            "--headless",
            "--no-plugins",
            "--vehicles",
            "30",
            "--seconds",
            "2",
            "--record",
            str(rec),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    lines = rec.read_bytes().splitlines()
    assert len(lines) > 10 and all(line.startswith(b'{"type":"batch"') for line in lines)
