"""Helpers for the alarm tests: readings on a fake timeline and a fake clock."""

from __future__ import annotations

import itertools

import pytest

from console.model import Reading

NS = 1_000_000_000
T0 = 1_760_000_000 * NS  # a fixed moment, so runs are reproducible
_seq = itertools.count(1)


def reading(
    topic="water/gauge",
    entity="g1",
    t_s=0.0,
    lat=None,
    lon=None,
    etype="WaterObserved",
    attrs=None,
    **values,
):
    return Reading(
        source="test",
        seq=next(_seq),
        topic=topic,
        entity=entity,
        etype=etype,
        t=T0 + int(t_s * NS),
        values={k: float(v) for k, v in values.items()},
        attrs=attrs or {},
        lat=lat,
        lon=lon,
    )


class FakeClock:
    def __init__(self, t_s: float = 0.0):
        self.t = T0 + int(t_s * NS)

    def __call__(self) -> int:
        return self.t

    def advance(self, seconds: float) -> int:
        self.t += int(seconds * NS)
        return self.t

    def at(self, t_s: float) -> int:
        self.t = T0 + int(t_s * NS)
        return self.t


@pytest.fixture
def clock():
    return FakeClock()


class Rig:
    """An engine on a real FeedBus, driven synchronously: what it published is collected per topic."""

    def __init__(self, engine, bus):
        self.engine = engine
        self.bus = bus
        self.published: dict[str, list] = {}
        bus.subscribe("alarm/#", self._collect, name="rig")
        bus.subscribe("audit/#", self._collect, name="rig-audit")

    def _collect(self, topic, items):
        self.published.setdefault(topic, []).extend(items)

    def feed(self, *readings):
        by_topic: dict[str, list] = {}
        for r in readings:
            by_topic.setdefault(r.topic, []).append(r)
        for topic, items in by_topic.items():
            self.engine.process(topic, items)
        self.bus.flush()

    def tick(self):
        self.engine.tick()
        self.bus.flush()

    def transitions(self, alarm_id=None):
        self.bus.flush()
        out = self.published.get("alarm/transition", [])
        return [t for t in out if alarm_id is None or t.alarm_id == alarm_id]

    def actions(self, alarm_id):
        return [(t.action, t.to_state.value) for t in self.transitions(alarm_id)]

    def audits(self):
        self.bus.flush()
        return self.published.get("audit/event", [])

    def annunciations(self):
        self.bus.flush()
        return self.published.get("alarm/annunciation", [])

    def state(self, alarm_id):
        a = self.engine.get(alarm_id)
        return a.state.value if a else None


@pytest.fixture
def make_rig(tmp_path, clock):
    from console.alarms.config import AlarmConfig
    from console.alarms.engine import AlarmEngine
    from console.bus import FeedBus

    rigs = []

    def make(*rules, config=None, city=None, services=None, registry=None, console="desk-1"):
        bus = FeedBus()
        cfg = config or AlarmConfig(band_rules=False, console=console)
        engine = AlarmEngine(
            bus,
            config=cfg,
            clock=clock,
            rule_folders=[],
            city=city,
            services=services,
            registry=registry,
        )
        for rule in rules:
            assert engine.add_rule(rule), engine.rule_errors
        rig = Rig(engine, bus)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.engine.stop()
        rig.bus.close()
