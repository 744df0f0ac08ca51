"""MQTT against a real mosquitto: the simulator's bridge publishes batches, the console's MQTT client
(persistent session, QoS 1) receives them exactly once across its own disconnections."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from console.bus import FeedBus
from console.feeds.base import Backoff
from console.feeds.mqtt import MqttFeed
from console.feeds.quarantine import Quarantine
from console.health import FeedHealth, FeedState
from console.sim.mqtt_bridge import MqttBridge
from console.sim.server import SimServer
from console.sim.world import World

pytestmark = pytest.mark.mqtt


async def until(pred, bus: FeedBus, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bus.flush()
        if pred():
            return True
        await asyncio.sleep(0.02)
    return False


def test_simulator_to_mosquitto_to_console_exactly_once(mosquitto):
    host, port = mosquitto
    bus = FeedBus()
    health = FeedHealth()
    seen: list[tuple[str, int]] = []
    bus.subscribe("#", lambda t, items: seen.extend((r.source, r.seq) for r in items if hasattr(r, "seq")))
    q = Quarantine(bus, health)

    async def body():
        server = SimServer(World(seed=11, vehicles=300), speed=10)
        bridge = MqttBridge(server, host, port)
        client = MqttFeed(
            f"mqtt://{host}:{port}",
            bus,
            health,
            q,
            topic="rasad/#",
            client_id="rasad-test",
            backoff=Backoff(0.05, 0.5),
        )
        await client.async_start()
        await until(lambda: health.get(f"link:{client.name}") is not None and client.connects >= 1, bus)
        await server.async_start()
        await bridge.async_start()
        assert await until(
            lambda: health.get("sim.bus") is not None and health.get("sim.bus").messages > 300, bus
        )
        for _ in range(2):  # the console goes away; the broker keeps its session's messages
            await client.async_stop()
            await asyncio.sleep(0.6)
            await client.async_start()
            mark = health.get("sim.bus").messages
            assert await until(lambda m=mark: health.get("sim.bus").messages > m + 300, bus)
        assert client.drop_connection()  # and a network cut, not a clean disconnect
        mark = health.get("sim.bus").messages
        assert await until(lambda: health.get("sim.bus").messages > mark + 300, bus)
        await bridge.async_stop()
        await asyncio.sleep(0.3)
        bus.flush()
        states = {s.source: s.state for s in health.snapshot()}
        await client.async_stop()
        await server.async_stop()
        return bridge, client, states

    bridge, client, states = asyncio.run(asyncio.wait_for(body(), 60))
    assert bridge.published > 50 and bridge.dropped == 0
    assert client.connects >= 4
    assert states["sim.bus"] is FeedState.CONNECTED
    counts = Counter(seen)
    assert max(counts.values()) == 1
    by: dict[str, list[int]] = {}
    for s, n in seen:
        by.setdefault(s, []).append(n)
    for s, ns in by.items():
        assert sorted(ns) == list(range(min(ns), max(ns) + 1)), f"{s}: hole"
    assert len(by["sim.bus"]) > 1000
    st = health.get("sim.bus")
    assert st.gaps == 0 and st.missing == 0
    assert q.records() == []
