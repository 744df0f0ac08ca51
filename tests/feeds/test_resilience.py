"""Exactly once through chaos: 100 connections cut at random byte offsets (mid-frame) by a proxy and
5 simulator processes killed with SIGKILL and restarted; every message the console received arrived
exactly once and without holes, checked by (source, seq)."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter, defaultdict

import pytest

from console.bus import FeedBus
from console.feeds.base import Backoff
from console.feeds.quarantine import Quarantine
from console.feeds.websocket import WebSocketFeed
from console.health import FeedHealth
from console.sim.journal import Journal
from tests.feeds.chaos import ChaosProxy

DROPS = 100
KILLS = 5


@pytest.mark.slow
def test_exactly_once_through_100_drops_and_5_kills(sim_process):
    sim = sim_process("--speed", "5", "--vehicles", "300", "--scenario", "earthquake")
    sim.start()
    rng = random.Random(20261125)
    received: list[tuple[str, int]] = []
    bus = FeedBus()
    bus.subscribe(
        "#", lambda topic, items: received.extend((r.source, r.seq) for r in items), name="collector"
    )
    health = FeedHealth()
    quarantine = Quarantine(bus, health)

    async def scenario() -> dict:
        proxy = ChaosProxy(sim.port, rng)
        proxy.max_drops = DROPS
        port = await proxy.start()
        client = WebSocketFeed(
            f"ws://127.0.0.1:{port}/",
            bus,
            health,
            quarantine,
            name="chaos",
            backoff=Backoff(0.01, 0.15, rng),
            ping_interval=1.0,
            ping_timeout=2.0,
            open_timeout=2.0,
        )
        pump = asyncio.create_task(bus.async_pump(100))
        await client.async_start()
        started = time.monotonic()
        kills = 0
        next_kill = started + 3.0
        while proxy.drops < DROPS or kills < KILLS:
            await asyncio.sleep(0.05)
            if kills < KILLS and time.monotonic() >= next_kill:
                await asyncio.to_thread(sim.kill)
                kills += 1
                await asyncio.sleep(rng.uniform(0.0, 0.4))
                await asyncio.to_thread(sim.start)
                next_kill = time.monotonic() + rng.uniform(3.0, 6.0)
            assert time.monotonic() - started < 75, (
                f"chaos phase too slow: {proxy.drops} drops, {kills} kills"
            )
        proxy.cutting = False
        # let the client catch up with the live stream, then stop the simulator cleanly
        await asyncio.sleep(2.5)
        await asyncio.to_thread(sim.stop)
        await asyncio.sleep(0.5)
        await client.async_stop()
        pump.cancel()
        await proxy.stop()
        bus.flush()
        return {
            "drops": proxy.drops,
            "kills": kills,
            "connects": client.connects,
            "trackers": client.trackers,
        }

    outcome = asyncio.run(scenario())
    assert outcome["drops"] >= DROPS and outcome["kills"] == KILLS
    assert outcome["connects"] >= DROPS + KILLS

    # exactly once: no (source, seq) twice, and each source's seqs form one unbroken run
    counts = Counter(received)
    dupes = [k for k, n in counts.items() if n > 1]
    assert not dupes, f"delivered twice: {dupes[:10]}"
    by_source: dict[str, list[int]] = defaultdict(list)
    for src, seq in received:
        by_source[src].append(seq)
    journal = Journal(sim.journal).load()
    for src, seqs in by_source.items():
        assert seqs == sorted(seqs), f"{src}: out of order"
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"{src}: hole after {_first_hole(seqs)}"
        _epoch, first, items = journal[src]
        assert seqs[-1] <= first + len(items) - 1  # never more than the simulator emitted
    # the fast sources kept flowing across every kill and reached (almost) the simulator's end
    _epoch, first, items = journal["sim.bus"]
    assert by_source["sim.bus"][-1] >= first + len(items) - 1 - 300 * 10
    assert len(received) > 20_000
    assert all(st.missing == 0 and st.gaps == 0 for st in health.snapshot())
    assert quarantine.records() == []


def _first_hole(seqs: list[int]) -> int:
    for a, b in itertools.pairwise(seqs):
        if b != a + 1:
            return a
    return -1
