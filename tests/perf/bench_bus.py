"""FeedBus throughput: publish + per-tick batched delivery, beside a bare list append (the floor)."""

from __future__ import annotations

import time

from console.bus import FeedBus
from tests.perf.report import Report

N = 1_000_000


def run(report: Report) -> None:
    bus = FeedBus()
    got = [0]
    bus.subscribe("vehicle/#", lambda t, items: got.__setitem__(0, got[0] + len(items)))
    bus.subscribe("vehicle/bus", lambda t, items: None)
    t0 = time.perf_counter()
    batch = list(range(100))
    for i in range(N // 100):
        bus.publish_many("vehicle/bus", batch)
        if i % 50 == 0:
            bus.flush()
    bus.flush()
    ours = N / (time.perf_counter() - t0)
    assert got[0] == N
    sink: list[int] = []
    t0 = time.perf_counter()
    for _ in range(N // 100):
        sink.extend(batch)
    floor = N / (time.perf_counter() - t0)
    report.add(
        "bus",
        "publish_many+flush, 2 subscribers",
        ours,
        "items/s",
        peer="list.extend",
        peer_value=floor,
        ratio=ours / floor,
        target=">= 2,000,000 items/s",
        passed=ours >= 2_000_000,
    )
