"""The simulated city: deterministic per seed, the fleet the issue asks for, and scenarios that do
what other rooms test their rules against (run offline with `play`, as fast as the CPU allows)."""

from __future__ import annotations

import base64
import io
import statistics
from collections import Counter

import msgspec
import pytest
from PIL import Image

from console.city import load_city
from console.geo import haversine_m
from console.sim import SOURCES, World, play
from console.sim.fleet import split_fleet
from console.sim.scenario import ScenarioError, load_scenario, parse_scenario, scenario_names

START = 1_795_000_000 * 10**9


def run(name: str, seconds: float, vehicles: int = 60, seed: int = 7):
    last: dict[tuple[str, str], object] = {}
    history: dict[str, list[tuple[float, object]]] = {}
    reports = []
    per_tick: dict[str, list[float]] = {}
    for s, out in play(name, seconds, vehicles=vehicles, seed=seed, start_ns=START):
        for sid, items in out.items():
            per_tick.setdefault(sid, []).append(s)
            for r in items:
                last[(sid, r.entity)] = r
                history.setdefault(r.entity, []).append((s, r))
            if sid == "sim.137":
                reports.extend(items)
    return last, history, reports, per_tick


def latest(last, sid):
    return {e: r for (s, e), r in last.items() if s == sid}


def test_same_seed_same_city_day():
    enc = msgspec.json.Encoder()
    a = World(scenario="earthquake", seed=3, vehicles=200, start_ns=START)
    b = World(scenario="earthquake", seed=3, vehicles=200, start_ns=START)
    c = World(scenario="earthquake", seed=4, vehicles=200, start_ns=START)
    differs = False
    for _ in range(40):
        oa, ob, oc = a.step(), b.step(), c.step()
        assert {k: [enc.encode(r) for r in v] for k, v in oa.items()} == {
            k: [enc.encode(r) for r in v] for k, v in ob.items()
        }
        differs = differs or [r.lat for r in oa["sim.bus"]] != [r.lat for r in oc["sim.bus"]]
    assert differs


def test_fleet_sizes_routes_and_scaling():
    assert split_fleet(1400) == (300, 1000, 100)
    w = World(seed=1, vehicles=1400, start_ns=START)
    out = w.step()
    assert (len(out["sim.bus"]), len(out["sim.taxi"]), len(out["sim.service"])) == (300, 1000, 100)
    assert len(w.fleet.routes) >= 30
    city = load_city("qom")
    min_lon, min_lat, max_lon, max_lat = city.bbox
    for _ in range(30):
        out = w.step()
    for r in out["sim.bus"] + out["sim.taxi"]:
        assert min_lat - 0.01 < r.lat < max_lat + 0.01 and min_lon - 0.01 < r.lon < max_lon + 0.01
        assert 0 <= r.values["speed"] < 130 and 0 <= r.values["heading"] <= 360
    moving = [r for r in out["sim.taxi"] if r.values["speed"] > 5]
    assert len(moving) > 500
    big = World(seed=1, vehicles=10_000, start_ns=START)
    out = big.step()
    assert sum(len(out[s]) for s in ("sim.bus", "sim.taxi", "sim.service")) == 10_000
    assert len(big.fleet.routes) >= 30


def test_buses_follow_their_route_along_the_road_graph():
    w = World(seed=2, vehicles=140, start_ns=START)
    g = w.graph
    for _ in range(120):
        w.step()
        for i in range(w.fleet.count):
            a, b = int(w.fleet.a[i]), int(w.fleet.b[i])
            assert (a, b) in g.edge  # always on a real road
            if w.fleet.kind[i] == 0:
                nodes = w.fleet.routes[w.fleet.route[i]].nodes
                assert a in nodes and b in nodes


def test_every_source_reports_at_its_cadence_and_every_site_is_there():
    _, _, _, per_tick = run("calm", 61, vehicles=30)
    assert len(per_tick["sim.bus"]) == 61
    assert per_tick["sim.air"] == [0, 10, 20, 30, 40, 50, 60]
    assert per_tick["sim.parking"] == [0, 30, 60]
    w = World(seed=1, vehicles=30, start_ns=START)
    out = w.step()
    sizes = {sid: len(v) for sid, v in out.items()}
    assert sizes["sim.air"] == 40 and sizes["sim.traffic"] >= 200 and sizes["sim.parking"] == 30
    assert sizes["sim.water"] == 20 and sizes["sim.substation"] == 12 and sizes["sim.solar"] == 8
    assert sizes["sim.weather"] == 4 and sizes["sim.terminal"] == 4
    assert {s.id for s in SOURCES} >= set(out)
    for sid, items in out.items():
        assert [r.seq for r in items] == list(range(1, len(items) + 1)), sid


def test_flood_rising_water_heavy_rain_and_flood_reports():
    last, history, reports, _ = run("flood", 600)
    wx = latest(last, "sim.weather")
    assert min(r.values["precipitation"] for r in wx.values()) > 25  # alarm band is 30 mm/h
    levels = sorted(r.values["level"] for r in latest(last, "sim.water").values())
    assert sum(lv > 2.5 for lv in levels) >= 6  # the gauges near the river passed the warning band
    rising = [
        e
        for e, h in history.items()
        if e.startswith("gauge") and h[-1][1].values["level"] - h[0][1].values["level"] > 1.2
    ]
    assert 6 <= len(rising) <= 10
    floods = [r for r in reports if r.attrs["category"] == "flooding"]
    assert len(floods) >= 20
    centre = (34.612, 50.845)
    assert statistics.median(haversine_m(*centre, r.lat, r.lon) for r in floods) < 2500


def test_air_pollution_episode_rises_across_stations():
    _, history, reports, _ = run("air-pollution", 600)
    start = [h[0][1].values["pm25"] for e, h in history.items() if e.startswith("aq-")]
    end = [h[-1][1].values["pm25"] for e, h in history.items() if e.startswith("aq-")]
    assert statistics.mean(end) > 3 * statistics.mean(start)
    assert sum(e > s for s, e in zip(start, end, strict=True)) == len(start)  # every station rises
    aqi_end = [h[-1][1].values["aqi"] for e, h in history.items() if e.startswith("aq-")]
    assert statistics.median(aqi_end) > 150
    assert any(r.attrs["category"] == "air_pollution" for r in reports)


def test_earthquake_trips_substations_and_floods_137():
    last, history, reports, _ = run("earthquake", 600)
    subs = latest(last, "sim.substation")
    tripped = [r for r in subs.values() if r.attrs["status"] == "tripped"]
    assert len(tripped) == 5
    assert all(r.values["load"] == 0 and r.values["voltage"] == 0 for r in tripped)
    before = [r for s, r in history[tripped[0].entity] if s < 30]
    assert before and before[-1].values["load"] > 10 and before[-1].values["voltage"] > 18
    quake = [r for r in reports if r.attrs.get("cause") == "earthquake"]
    assert len(quake) >= 100
    epicentre = (34.596, 50.880)
    assert statistics.median(haversine_m(*epicentre, r.lat, r.lon) for r in quake) < 2500
    early = [r for r in quake if (r.t - START) / 1e9 < 180]
    assert len(early) > len(quake) / 2  # most calls come in the first minutes


def test_major_accident_speed_collapse_and_witness_reports():
    _, history, reports, _ = run("major-accident", 180)
    seg = history["seg-031"]
    before = [r.values["speed"] for s, r in seg if s < 20]
    after = [r.values["speed"] for s, r in seg if s >= 90]
    assert min(before) > 25 and max(after) < 10
    assert [r.values["occupancy"] for s, r in seg][-1] > 60
    far = history["seg-001"]
    assert far[-1][1].values["speed"] > 15  # elsewhere traffic flows
    accident = [r for r in reports if r.attrs["category"] == "accident"]
    assert len(accident) >= 5
    assert all(
        r.attrs["segment"] in ("seg-031", "seg-030", "seg-032")
        or haversine_m(r.lat, r.lon, 34.6545, 50.8586) < 1500
        for r in accident
    )


def test_feed_outage_silences_one_source_without_sequence_gaps():
    _, history, _, per_tick = run("feed-outage", 340, vehicles=30)
    bus_ticks = per_tick["sim.bus"]
    assert not [s for s in bus_ticks if 20 <= s < 320]
    assert 19 in bus_ticks and 320 in bus_ticks
    assert len(per_tick["sim.taxi"]) == 340  # everything else keeps flowing
    seqs = [r.seq for s, r in history["bus-0001"]]
    assert seqs == sorted(seqs)


def test_137_reports_carry_persian_text_district_and_a_png():
    _, _, reports, _ = run("earthquake", 90)
    r = reports[0]
    assert r.topic == "report/137" and r.etype == "CitizenReport"
    a = r.attrs
    assert any("\u0600" <= ch <= "\u06ff" for ch in a["text"])
    assert a["district"].startswith("d") and a["district_fa"].startswith("منطقه")
    assert a["category_fa"] and a["category_en"] and 1 <= r.values["urgency"] <= 4
    head, b64 = a["image"].split(",", 1)
    assert head == "data:image/png;base64"
    png = base64.b64decode(b64)
    assert len(png) < 16_000
    img = Image.open(io.BytesIO(png))
    assert img.size == (160, 120) and len(img.convert("RGB").getcolors(4096)) > 4


def test_scenarios_load_and_bad_ones_are_refused():
    names = scenario_names()
    assert set(names) >= {"calm", "flood", "air-pollution", "earthquake", "major-accident", "feed-outage"}
    for n in names:
        sc = load_scenario(n)
        assert sc.title_fa and sc.title_en
    with pytest.raises(ScenarioError, match="unknown event kind"):
        parse_scenario('[[events]]\nkind = "meteor"\n', "x")
    with pytest.raises(ScenarioError, match="unknown field"):
        parse_scenario('[[events]]\nkind = "rain"\nstrength = 3\n', "x")
    with pytest.raises(ScenarioError, match="silence needs a source"):
        parse_scenario('[[events]]\nkind = "silence"\nat = 1\n', "x")


def test_report_categories_cover_every_scenario_event():
    from console.sim.reports import CATEGORIES

    for n in scenario_names():
        for ev in load_scenario(n).events:
            if ev.kind == "reports":
                assert ev.category in CATEGORIES, (n, ev.category)
    counts = Counter(c.urgency for c in CATEGORIES.values())
    assert counts[4] >= 3
