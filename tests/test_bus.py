from __future__ import annotations

import asyncio
import threading
import time

import pytest

from console.bus import FeedBus, topic_matches


@pytest.mark.parametrize(
    ("pattern", "topic", "ok"),
    [
        ("#", "a/b", True),
        ("a/#", "a/b/c", True),
        ("a/#", "b/a", False),
        ("a/+", "a/b", True),
        ("a/+", "a/b/c", False),
        ("a/+/c", "a/x/c", True),
        ("a/b", "a/b", True),
        ("a/b", "a/bc", False),
        ("a/b/c", "a/b", False),
    ],
)
def test_topic_patterns(pattern, topic, ok):
    assert topic_matches(pattern, topic) is ok


def test_batched_delivery_per_tick_in_order():
    bus = FeedBus()
    got = []
    bus.subscribe("vehicle/#", lambda topic, items: got.append((topic, list(items))))
    for i in range(5):
        bus.publish("vehicle/bus", i)
    bus.publish_many("vehicle/taxi", ["a", "b"])
    bus.publish("air/station", "ignored")
    assert got == []  # nothing until the tick
    assert bus.flush() == 7
    assert got == [("vehicle/bus", [0, 1, 2, 3, 4]), ("vehicle/taxi", ["a", "b"])]
    assert bus.flush() == 0


def test_unsubscribe_stops_delivery_and_is_idempotent():
    bus = FeedBus()
    got = []
    unsub = bus.subscribe("x", lambda t, items: got.extend(items))
    bus.publish("x", 1)
    unsub()
    unsub()
    bus.publish("x", 2)
    bus.flush()
    assert got == []
    assert bus.subscriber_count() == 0


def test_raising_subscriber_is_contained_and_counted():
    bus = FeedBus()
    good = []

    def bad(topic, items):
        raise ValueError("boom")

    bus.subscribe("t", bad, name="bad")
    bus.subscribe("t", lambda t, items: good.extend(items), name="good")
    bus.publish("t", 1)
    bus.flush()
    bus.publish("t", 2)
    bus.flush()
    assert good == [1, 2]
    stats = {s["name"]: s for s in bus.stats()["subscribers"]}
    assert stats["bad"]["errors"] == 2


def test_slow_inline_subscriber_is_served_last_after_first_offence():
    bus = FeedBus(slow_call_s=0.02)
    order: list[str] = []

    def slow(topic, items):
        order.append("slow")
        time.sleep(0.05)

    bus.subscribe("t", slow, name="slow")
    bus.subscribe("t", lambda t, i: order.append("fast"), name="fast")
    bus.publish("t", 1)
    bus.flush()
    assert order == ["slow", "fast"]  # first offence: registration order
    order.clear()
    for _ in range(3):
        bus.publish("t", 1)
        bus.flush()
    assert order == ["fast", "slow"] * 3
    assert {s["name"]: s["slow"] for s in bus.stats()["subscribers"]}["slow"] is True


def test_slow_worker_subscriber_never_delays_inline_ones():
    bus = FeedBus()
    release = threading.Event()
    worker_got: list[int] = []

    def heavy(topic, items):
        release.wait(5)
        worker_got.extend(items)

    fast: list[int] = []
    bus.subscribe("t", heavy, worker=True, name="heavy")
    bus.subscribe("t", lambda t, i: fast.extend(i), name="fast")
    t0 = time.perf_counter()
    for i in range(1000):
        bus.publish("t", i)
        if i % 100 == 0:
            bus.flush()
    bus.flush()
    assert time.perf_counter() - t0 < 0.5
    assert fast == list(range(1000))
    release.set()
    assert bus.drain_workers(5)
    assert worker_got == list(range(1000))  # nothing lost, in order
    bus.close()


def test_drop_oldest_counts_what_it_drops():
    bus = FeedBus()
    got = []
    bus.subscribe("t", lambda t, i: got.extend(i), max_pending=3, overflow="drop-oldest", name="latest")
    for i in range(10):
        bus.publish("t", i)
    bus.flush()
    assert got == [7, 8, 9]
    assert bus.stats()["subscribers"][0]["dropped"] == 7


def test_publish_is_thread_safe():
    bus = FeedBus()
    got = []
    bus.subscribe("t/#", lambda t, i: got.extend(i))

    def producer(k):
        for i in range(5000):
            bus.publish(f"t/{k}", (k, i))

    threads = [threading.Thread(target=producer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bus.flush()
    assert len(got) == 20000
    for k in range(4):
        assert [i for kk, i in got if kk == k] == list(range(5000))


def test_async_pump_delivers_on_the_loop():
    async def scenario():
        bus = FeedBus()
        seen = asyncio.Event()
        bus.subscribe("t", lambda t, i: seen.set())
        task = asyncio.create_task(bus.async_pump(100))
        bus.publish("t", 1)
        await asyncio.wait_for(seen.wait(), 1)
        task.cancel()

    asyncio.run(scenario())


def test_back_pressure_waits_for_capacity():
    async def scenario():
        bus = FeedBus(capacity=10)
        gate = threading.Event()
        bus.subscribe("t", lambda t, i: gate.wait(2), worker=True)
        bus.publish_many("t", range(50))
        waiter = asyncio.create_task(bus.async_wait_capacity())
        await asyncio.sleep(0.05)
        assert not waiter.done()
        gate.set()
        await asyncio.wait_for(waiter, 2)
        bus.close()

    asyncio.run(scenario())


def test_an_unsubscribed_worker_gets_nothing_more_of_the_batch_in_delivery():
    """Unsubscribing means nothing more, even from a batch being delivered (the alarm engine stops
    before the operator's logout is journaled: no transition may come after it)."""
    bus = FeedBus()
    got: list[str] = []
    started, gate = threading.Event(), threading.Event()
    worker: list[threading.Thread] = []

    def callback(topic, items):
        if topic == "x/first":
            worker.append(threading.current_thread())
            started.set()
            gate.wait(10)
            return
        got.append(topic)
        unsubscribe()  # from inside: "x/b", in the same batch, is not delivered

    unsubscribe = bus.subscribe("x/#", callback, name="probe", worker=True)
    bus.publish("x/first", 1)
    assert started.wait(10)
    bus.publish("x/a", 2)
    bus.publish("x/b", 3)  # both wait for the worker: one batch
    gate.set()
    worker[0].join(10)
    assert got == ["x/a"] and not worker[0].is_alive()
    bus.close()
