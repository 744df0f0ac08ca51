"""The compiled alarm kernel and its pure-Python twin give the same answers on the same streams."""

from __future__ import annotations

import importlib
import random

import pytest

from console.alarms.rules import Anomaly, RateOfChange, Threshold
from console.kernels import load
from tests.alarms.conftest import reading

P = importlib.import_module("console.kernels.alarmeval")
try:
    C = importlib.import_module("console.kernels._alarmeval")
except ImportError:  # pragma: no cover - the build is broken; test_kernel_is_compiled says so
    C = None

RULES = [
    Threshold(id="hi", topic="t/x", key="v", high=60, deadband=3),
    Threshold(id="lo", topic="t/x", key="v", low=20, high=80, deadband=1, on_delay_s=3, off_delay_s=5),
    RateOfChange(
        id="rate", topic="t/x", key="v", limit=4, per_s=60, window_s=30, direction="both", deadband=0.5
    ),
    Anomaly(id="z", topic="t/x", key="v", window=40, z=3.0, z_clear=1.5, min_samples=10),
]


def stream(seed: int, n: int = 3000):
    rng = random.Random(seed)
    v, out = 50.0, []
    for k in range(n):
        v += rng.gauss(0, 2.5)
        if rng.random() < 0.01:
            v += rng.choice([-40, 40])
        v = min(120, max(-20, v))
        t = k * 1.0 + (rng.random() < 0.02) * -3.0  # a few out-of-order samples
        value = float("nan") if rng.random() < 0.005 else v
        out.append(reading(topic="t/x", entity=f"e{k % 3}", t_s=t, v=value))
    return out


def run(mod, readings):
    buckets, evs = {}, {}

    def make(entity):
        entries = []
        for rule in RULES:
            cls = {
                "hi": mod.ThresholdEval,
                "lo": mod.DelayedThresholdEval,
                "rate": mod.RateEval,
                "z": mod.AnomalyEval,
            }[rule.id]
            ev = evs[(rule.id, entity)] = cls(rule)
            entries.append(mod.value_entry("v", ev))
        buckets[entity] = tuple(entries)
        return buckets[entity]

    out = []
    for k in range(0, len(readings), 97):
        mod.evaluate(buckets, readings[k : k + 97], out, make)
    return [
        (c.rule.id, c.subject, c.active, c.t, None if c.value is None else round(c.value, 6)) for c in out
    ]


def test_kernel_is_compiled():
    _mod, kind = load("alarmeval")
    assert C is not None and kind == "cython", "the alarm kernel did not build (make venv)"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_evaluators_agree(seed):
    readings = stream(seed)
    ours, twin = run(C, readings), run(P, readings)
    assert twin and ours == twin
    assert {c[0] for c in twin} == {"hi", "lo", "rate", "z"}  # every evaluator fired in the stream


def test_rolling_z_agrees():
    rng = random.Random(9)
    a, b = C.RollingZ(30, 5), P.RollingZ(30, 5)
    for _ in range(5000):
        x = rng.gauss(1e6, 3)
        za, zb = a.push(x), b.push(x)
        assert (za is None) == (zb is None)
        if za is not None:
            assert za == pytest.approx(zb, rel=1e-6, abs=1e-6)
    assert a.mean_std() == pytest.approx(b.mean_std(), rel=1e-9)


def test_fence_grid_agrees():
    rng = random.Random(4)
    shapes, boxes = [], []
    for k in range(60):
        lat, lon = 34.64 + rng.uniform(-0.03, 0.03), 50.88 + rng.uniform(-0.03, 0.03)
        if k % 3:
            r = rng.uniform(0.0005, 0.004)
            shapes.append(("circle", lat, lon, 0.82, r * r))
            boxes.append((lon - r / 0.82, lat - r, lon + r / 0.82, lat + r))
        else:
            d = rng.uniform(0.001, 0.006)
            lons, lats = (
                [lon - d, lon + d, lon + d, lon, lon - d],
                [lat - d, lat - d, lat + d, lat + 2 * d, lat + d],
            )
            shapes.append(("ring", lons, lats))
            boxes.append((min(lons), min(lats), max(lons), max(lats)))
    gc_, gp = C.FenceGrid(shapes, boxes, 0.002), P.FenceGrid(shapes, boxes, 0.002)
    hits = 0
    for _ in range(20000):
        lat, lon = 34.64 + rng.uniform(-0.035, 0.035), 50.88 + rng.uniform(-0.035, 0.035)
        a, b = gc_.hits(lat, lon), gp.hits(lat, lon)
        assert a == b
        hits += bool(a)
    assert hits > 1000


def test_stale_core_agrees():
    rule = Threshold(id="s", topic="t/x", key="v", high=1)  # StaleCore only needs an id for its changes
    a, b = C.StaleCore(rule, 10), P.StaleCore(rule, 10)
    for core in (a, b):
        core.stale.add("e1")
    seq = [reading(topic="t/x", entity=f"e{k % 3}", t_s=(k * 7) % 50) for k in range(200)]
    got_a = [(c.subject, c.active) if c else None for c in map(a.update, seq)]
    got_b = [(c.subject, c.active) if c else None for c in map(b.update, seq)]
    assert got_a == got_b and ("e1", False) in got_a
    assert (a.last, a.due, a.stale) == (b.last, b.due, b.stale)


def test_value_entry_refuses_a_foreign_evaluator():
    bucket = {"e0": (C.value_entry("v", P.ThresholdEval(RULES[0])),)}
    with pytest.raises(TypeError):
        C.evaluate(bucket, [reading(topic="t/x", entity="e0", v=1.0)], [], None)
