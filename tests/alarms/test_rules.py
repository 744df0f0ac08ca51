"""Each rule type against hand-made timelines; TOML loading with clear errors; the index routes only."""

from __future__ import annotations

import pytest

from console.alarms.evaluators import RollingZ
from console.alarms.index import RuleIndex
from console.alarms.rules import (
    Anomaly,
    Area,
    Composite,
    CountInArea,
    Geofence,
    RateOfChange,
    RuleError,
    Stale,
    Threshold,
    band_rules,
    load_rule_files,
    load_rules_text,
    render_message,
    rule_from_dict,
)
from console.geo import LocalProjection
from console.model import Priority
from console.paths import resource
from tests.alarms.conftest import NS, T0, reading

QOM = (34.6401, 50.8764)


def index(*rules) -> RuleIndex:
    idx = RuleIndex(LocalProjection(*QOM), started_ns=T0)
    idx.add_many(rules)
    return idx


def feed(idx: RuleIndex, *readings) -> list[tuple[str, bool]]:
    out = []
    for r in readings:
        idx.evaluate(r.topic, [r], out)
    return [(c.subject, c.active) for c in out]


def test_threshold_with_deadband():
    idx = index(Threshold(id="lvl", topic="water/gauge", key="level", high=3.0, deadband=0.2))
    seq = [2.9, 3.0, 3.1, 2.9, 2.85, 2.79, 3.0]
    got = [feed(idx, reading(level=v, t_s=i)) for i, v in enumerate(seq)]
    assert got == [[], [("g1", True)], [], [], [], [("g1", False)], [("g1", True)]]


def test_threshold_low_and_on_off_delays():
    rule = Threshold(id="v", topic="energy/substation", key="voltage", low=15, on_delay_s=10, off_delay_s=30)
    idx = index(rule)

    def at(t, v):
        return feed(idx, reading(topic="energy/substation", entity="s1", t_s=t, voltage=v))

    assert at(0, 14) == []  # below, but not yet for 10 s
    assert at(5, 16) == []  # recovered: the on-delay restarts
    assert at(6, 14) == []
    assert at(15, 13) == []  # 9 s below
    assert at(16, 13) == [("s1", True)]  # 10 s below
    assert at(20, 16) == []  # back, off-delay starts
    assert at(30, 14) == []  # dipped again: off-delay restarts
    assert at(31, 16) == []
    assert at(60, 16) == []
    assert at(61, 16) == [("s1", False)]


def test_threshold_ignores_nan_and_other_keys_and_entities():
    idx = index(Threshold(id="lvl", topic="water/gauge", entity="g1", key="level", high=3.0))
    assert feed(idx, reading(level=float("nan")), reading(rate=9.0), reading(entity="g2", level=9)) == []
    assert feed(idx, reading(level=5.0)) == [("g1", True)]
    assert feed(idx, reading(level=float("nan"))) == []  # NaN never clears an alarm either


def test_rate_of_change_needs_history_then_rises_and_falls():
    rule = RateOfChange(id="rise", topic="water/gauge", key="level", limit=0.6, per_s=3600, window_s=600)
    idx = index(rule)
    levels = [(0, 1.0), (120, 1.0), (240, 1.01), (360, 1.02)]
    assert feed(idx, *(reading(level=v, t_s=t) for t, v in levels)) == []
    # +0.12 m in 10 minutes = 0.72 m/h
    got = feed(idx, reading(level=1.10, t_s=480), reading(level=1.13, t_s=600))
    assert got == [("g1", True)]
    assert feed(idx, reading(level=1.13, t_s=599)) == []  # out of order: ignored
    steady = [reading(level=1.13, t_s=600 + 60 * k) for k in range(1, 12)]
    assert feed(idx, *steady)[-1:] == [("g1", False)]


def test_rate_both_directions():
    rule = RateOfChange(id="swing", topic="t/x", key="v", limit=1.0, per_s=1, window_s=4, direction="both")
    idx = index(rule)
    got = feed(idx, *(reading(topic="t/x", v=v, t_s=t) for t, v in [(0, 10), (2, 10), (4, 2)]))
    assert got == [("g1", True)]


def test_stale_on_tick_and_recovery():
    idx = index(
        Stale(id="quiet", topic="water/gauge", after_s=90),
        Stale(id="g9", topic="water/gauge", entity="g9", after_s=60),
    )
    feed(idx, reading(level=1, t_s=0), reading(entity="g2", level=1, t_s=50))
    assert [(c.rule.id, c.subject) for c in idx.tick(T0 + 61 * NS)] == [("g9", "g9")]  # never heard from
    assert [(c.subject, c.active) for c in idx.tick(T0 + 91 * NS)] == [("g1", True)]
    assert idx.tick(T0 + 95 * NS) == []  # raised once
    assert feed(idx, reading(level=1, t_s=96)) == [("g1", False)]
    assert [(c.subject, c.value) for c in idx.tick(T0 + 141 * NS)] == [("g2", 91.0)]


def test_geofence_enter_exit_dwell_polygon_and_circle():
    ring = ((50.87, 34.63), (50.89, 34.63), (50.89, 34.65), (50.87, 34.65))
    rules = [
        Geofence(id="in", topic="vehicle/bus", area=Area(polygon=ring), mode="enter"),
        Geofence(id="out", topic="vehicle/bus", area=Area(center=QOM, radius_m=3000), mode="exit"),
        Geofence(id="dw", topic="vehicle/bus", area=Area(polygon=ring), mode="dwell", dwell_s=120),
    ]
    idx = index(*rules)

    def at(t, lat, lon):
        out = []
        idx.evaluate("vehicle/bus", [reading(topic="vehicle/bus", entity="b7", t_s=t, lat=lat, lon=lon)], out)
        return sorted((c.rule.id, c.active) for c in out)

    assert at(0, 34.60, 50.80) == [("out", True)]  # outside both, ~8 km away
    assert at(10, 34.64, 50.88) == [("in", True), ("out", False)]
    assert at(100, 34.641, 50.881) == []
    assert at(131, 34.642, 50.882) == [("dw", True)]
    assert at(140, 34.66, 50.88) == [("dw", False), ("in", False)]
    assert feed(idx, reading(topic="vehicle/bus", entity="b7", t_s=150)) == []  # no position


def test_count_in_area_clusters_137_reports():
    rule = CountInArea(
        id="flood137", topic="report/137", count=5, radius_m=300, window_s=600, match={"category": "flood"}
    )
    idx = index(rule)
    lat0, lon0 = 34.64, 50.88

    def report(k, t, dlat=0.0, category="flood"):
        return reading(
            topic="report/137", entity=f"r{k}", t_s=t, lat=lat0 + dlat, lon=lon0, attrs={"category": category}
        )

    assert feed(idx, *(report(k, 10 * k, dlat=k * 0.0003) for k in range(4))) == []
    assert feed(idx, report(90, 45, category="pothole")) == []  # does not match
    assert feed(idx, report(91, 46, dlat=0.05)) == []  # far away
    got = feed(idx, report(4, 50, dlat=0.0005))
    assert len(got) == 1 and got[0][1] and got[0][0].startswith("cluster:")
    assert feed(idx, report(5, 60, dlat=0.0001)) == []  # joins the active cluster
    assert idx.tick(T0 + 300 * NS) == []
    cleared = idx.tick(T0 + 650 * NS)  # reports older than 10 minutes fall out
    assert [(c.subject, c.active) for c in cleared] == [(got[0][0], False)]
    assert not idx._topics["report/137"].buckets  # no per-entity memory on a report topic


def test_anomaly_rolling_z():
    idx = index(
        Anomaly(id="load", topic="energy/substation", key="load", window=30, z=4, z_clear=2, min_samples=10)
    )
    base = [50 + (k % 5) * 0.5 for k in range(30)]
    assert (
        feed(
            idx, *(reading(topic="energy/substation", entity="s1", t_s=k, load=v) for k, v in enumerate(base))
        )
        == []
    )
    assert feed(idx, reading(topic="energy/substation", entity="s1", t_s=31, load=80)) == [("s1", True)]
    back = [reading(topic="energy/substation", entity="s1", t_s=32 + k, load=51) for k in range(3)]
    assert feed(idx, *back)[:1] == [("s1", False)]


def test_rolling_z_matches_numpy():
    import numpy as np

    rng = np.random.default_rng(7)
    xs = rng.normal(100, 5, 500)
    roll = RollingZ(window=50, min_samples=10)
    for i, x in enumerate(xs):
        z = roll.push(float(x))
        prev = xs[max(0, i - 50) : i]
        if len(prev) >= 10:
            expect = (x - prev.mean()) / prev.std(ddof=1)
            assert z == pytest.approx(expect, rel=1e-6, abs=1e-6)
        else:
            assert z is None


def test_composite_and_within_window_and_or():
    a = Threshold(id="a", topic="water/gauge", key="level", high=3)
    b = CountInArea(id="b", topic="report/137", count=2, radius_m=100, window_s=60)
    both = Composite(id="both", of=("a", "b"), op="and", window_s=300)
    either = Composite(id="either", of=("a", "b"), op="or")
    idx = index(a, b, both, either)
    assert [(c.rule.id, c.active) for c in idx.child_changed("a", "a:g1", True, T0)] == [("either", True)]
    assert [(c.rule.id, c.active) for c in idx.child_changed("b", "b:x", True, T0 + 200 * NS)] == [
        ("both", True)
    ]
    got = idx.child_changed("a", "a:g1", False, T0 + 400 * NS)
    assert [(c.rule.id, c.active) for c in got] == [("both", False)]
    assert idx.child_changed("b", "b:x", False, T0 + 500 * NS)[0].rule.id == "either"
    # too far apart: no AND
    idx.child_changed("a", "a:g1", True, T0 + 1000 * NS)
    assert all(c.rule.id != "both" for c in idx.child_changed("b", "b:x", True, T0 + 1400 * NS))
    with pytest.raises(ValueError, match="cycle"):
        idx.add(Composite(id="a", of=("either", "b")))


def test_rule_validation_messages():
    with pytest.raises(ValueError, match="needs high, low or both"):
        Threshold(id="x", key="v")
    with pytest.raises(RuleError, match=r"f.toml: rule 'x': priority 'urgent' is not one of minor"):
        rule_from_dict(
            {"id": "x", "type": "threshold", "key": "v", "high": 1, "priority": "urgent"}, "f.toml"
        )
    with pytest.raises(RuleError, match="type 'magic' is not one of threshold"):
        rule_from_dict({"id": "x", "type": "magic"}, "f.toml")
    with pytest.raises(RuleError, match="duplicate rule ids"):
        load_rules_text(
            '[[rule]]\nid="a"\ntype="stale"\nafter_s=1\n[[rule]]\nid="a"\ntype="stale"\nafter_s=2\n', "d.toml"
        )
    with pytest.raises(RuleError, match="not valid TOML"):
        load_rules_text("[[rule", "bad.toml")
    with pytest.raises(RuleError, match=r"Object missing required field `after_s`"):
        load_rules_text('[[rule]]\nid="a"\ntype="stale"\n', "m.toml")
    with pytest.raises(RuleError, match="unknown top-level keys"):
        load_rules_text("rules = 1\n", "u.toml")


def test_shipped_rule_files_load():
    rules, errors = load_rule_files(resource("rules"))
    assert not errors, errors
    kinds = {r.kind for r in rules}
    assert {"threshold", "rate", "stale", "geofence", "count", "anomaly", "composite"} <= kinds
    assert any(r.priority is Priority.EXTREME for r in rules)
    index(*rules)  # they index together (composites refer to existing rules, no cycles)


def test_band_rules_from_the_catalog():
    rules = {r.id: r for r in band_rules()}
    pm = rules["band.air/station.pm25.alarm_hi"]
    assert pm.high == 55.5 and pm.priority is Priority.SEVERE and pm.deadband == 7.5 and pm.on_delay_s == 20
    assert rules["band.traffic/segment.speed.warn_lo"].low == 20


def test_message_templates_fall_back_on_a_bad_template():
    rule = Threshold(
        id="lvl",
        topic="water/gauge",
        key="level",
        high=3,
        unit="m",
        title_en="Water high",
        message_en="{name} at {value} {unit}",
        message_fa="{oops}",
    )
    idx = index(rule)
    out = []
    idx.evaluate("water/gauge", [reading(level=3.456, attrs={"name": "Gauge 1"})], out)
    assert render_message(rule, out[0], "en", lambda v, d: f"{v:.{d}f}") == "Gauge 1 at 3.46 m"
    assert (
        render_message(rule, out[0], "fa", lambda v, d: f"{v:.{d}f}") == "Gauge 1 — 3.46 متر"
    )  # the unit in Persian


def test_fence_grid_gives_the_same_answers_as_every_fence():
    import random

    from console.alarms.fences import CompiledArea, GeofenceEval

    rng = random.Random(5)
    rules = []
    for k in range(150):
        lat, lon = QOM[0] + rng.uniform(-0.05, 0.05), QOM[1] + rng.uniform(-0.05, 0.05)
        mode = ("enter", "dwell", "exit")[k % 3] if k < 147 else "enter"
        if k % 2:
            area = Area(center=(lat, lon), radius_m=rng.uniform(100, 1500))
        else:
            d = rng.uniform(0.002, 0.02)
            area = Area(
                polygon=((lon - d, lat - d), (lon + d, lat - d), (lon + d, lat + d), (lon - d, lat + d))
            )
        rules.append(
            Geofence(
                id=f"f{k}", topic="vehicle/bus", area=area, mode=mode, dwell_s=30 if mode == "dwell" else 0
            )
        )
    idx = index(*rules)
    brute = {(r.id, v): GeofenceEval(r, CompiledArea(r.area)) for r in rules for v in range(4)}
    pos = {v: [QOM[0], QOM[1]] for v in range(4)}
    for step in range(600):
        for v in range(4):
            pos[v][0] += rng.uniform(-0.003, 0.003)
            pos[v][1] += rng.uniform(-0.003, 0.003)
            r = reading(topic="vehicle/bus", entity=f"b{v}", t_s=step * 5, lat=pos[v][0], lon=pos[v][1])
            got = []
            idx.evaluate("vehicle/bus", [r], got)
            expect = [ev.update(r) for (rid, vv), ev in brute.items() if vv == v]
            want = sorted((c.rule.id, c.active) for c in expect if c is not None)
            assert sorted((c.rule.id, c.active) for c in got) == want, (step, v)
