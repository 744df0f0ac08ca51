"""The real page in QtWebEngine: no CDN, diffs applied, clicks returned, selection, features, heat, replay."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from console.city import load_city
from console.maplayers import MapFeature, alarm_style, area_style
from console.model import Priority, Reading
from tests.map.fleet import Fleet, air_readings, segment_readings, vehicle
from tests.map.harness import spin

pytestmark = pytest.mark.gui
T0 = 1_770_000_000_000_000_000
URL_RE = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.I)


def test_page_is_local_only(harness):
    h = harness()
    html = h.web.handler.page_html.decode("utf-8")
    assert not URL_RE.findall(html), URL_RE.findall(html)[:5]
    assert "cdn" not in html.lower()
    # every library the page needs came through rasad: (leaflet, markercluster, qwebchannel, ours)
    loaded = h.js_json(
        "JSON.stringify([typeof L, typeof L.markerClusterGroup, typeof QWebChannel, typeof RasadMap.boot, L.version])"
    )
    assert loaded == ["object", "function", "function", "function", "1.9.3"]
    seen = h.web.guard.seen()
    assert any(u.endswith("/leaflet/leaflet.js") for u in seen)
    assert any(u.endswith("/qwebchannel.js") for u in seen)
    assert all(u.split(":", 1)[0] in ("rasad", "qrc", "data", "blob") for u in seen), seen
    assert not h.web.guard.blocked
    # and the guard stops the page from reaching out even if something tried
    h.js(
        "fetch('https://tile.example.org/1/1/1.png').catch(() => 0); new Image().src = 'http://cdn.example.com/x.js'; 1"
    )
    assert spin(lambda: len(h.web.guard.blocked) >= 2, 10)
    assert {u.split("/")[2] for u in h.web.guard.blocked} == {"tile.example.org", "cdn.example.com"}


def test_entity_diffs_are_applied(harness):
    h = harness()
    h.feed(
        [vehicle("bus-1", 34.64, 50.87, T0, heading=45), vehicle("bus-2", 34.65, 50.88, T0)], "vehicle/bus"
    )
    assert h.flush()
    e = h.entity("bus-1")
    assert e["lat"] == pytest.approx(34.64, abs=1e-5) and e["heading"] == 45
    h.feed([vehicle("bus-1", 34.642, 50.871, T0 + 10**9, heading=90, status="emergency")], "vehicle/bus")
    assert h.flush()
    e = h.entity("bus-1")
    assert e["lat"] == pytest.approx(34.642, abs=1e-5) and e["heading"] == 90
    assert (e["style"] >> 5) & 7 == 2  # alarm level drawn
    h.state.remove("bus-2")
    assert h.flush()
    assert h.entity("bus-2") is None and h.stats()["alive"] == 1
    assert h.widget.stats["acks"] >= 3 and not h.web.bridge.errors


def test_segments_restyle_the_road_layer(harness):
    h = harness()
    city = load_city("qom")
    road = city.roads[0]
    slow = Reading(
        source="t",
        seq=1,
        topic="traffic/segment",
        entity=road.id,
        etype="TrafficFlowObserved",
        t=T0,
        values={"speed": road.speed_limit_kmh * 0.1},
    )
    h.feed([slow], "traffic/segment")
    assert h.flush()
    style = h.js_json(f"RasadMap.roadStyle({json.dumps(road.id)})")
    assert style["color"] == "#d00000"  # jammed
    h.js("document.querySelector('body'); 1")
    h.widget.panel.checks["segments"].setChecked(False)  # the switch puts the plain road back
    assert h.wait_js(
        f"RasadMap.roadStyle({json.dumps(road.id)})", lambda v: json.loads(v)["color"] != "#d00000"
    )


def test_click_on_a_vehicle_comes_back_and_opens_details(harness, qtbot):
    h = harness()
    h.feed([vehicle("taxi-7", 34.6401, 50.8764, T0, fleet="taxi", heading=10)], "vehicle/taxi")
    h.set_view(34.6401, 50.8764, 16)
    assert h.flush()
    with qtbot.waitSignal(h.widget.sig_entity_selected, timeout=5000) as sig:
        h.js("RasadMap.clickAt(34.6401, 50.8764); 1")
    assert sig.args == ["taxi-7"]
    assert h.widget.details.isVisible()
    shown = h.widget.details.describe()
    assert "taxi-7" in shown["title"] and shown["kind"] == "تاکسی"
    assert any("۳۰" in v for v in shown["rows"].values())  # speed 30 in Persian digits


def test_select_pans_to_entities_and_features(harness):
    h = harness()
    h.feed([vehicle("bus-9", 34.70, 50.95, T0)], "vehicle/bus")
    assert h.flush()
    assert h.widget.select("bus-9")
    assert h.wait_js("RasadMap.map().getCenter().lat", lambda v: abs(v - 34.70) < 1e-3)
    h.core.services["maplayers"].layer("alarms").upsert(
        MapFeature.point(
            "al-1", 34.60, 50.80, entity="aq-01", style=alarm_style(Priority.EXTREME, unacknowledged=True)
        )
    )
    assert h.flush()
    assert h.widget.select("aq-01")  # an entity no reading placed yet, but an alarm names it
    assert h.wait_js("RasadMap.map().getCenter().lng", lambda v: abs(v - 50.80) < 1e-3)
    assert h.widget.details.describe()["kind"] == "هشدارها"
    assert not h.widget.select("nothing-here")


def test_feature_layers_reach_the_page_and_clicks_return(harness, qtbot):
    h = harness()
    layers = h.core.services["maplayers"]
    layers.layer("alarms").upsert(
        MapFeature.point(
            "al-1",
            34.64,
            50.88,
            entity="bus-1",
            title_fa="هشدار ۱",
            title_en="Alarm 1",
            style=alarm_style(Priority.SEVERE, unacknowledged=True),
        ),
        MapFeature.point("al-2", 34.65, 50.89, style=alarm_style(Priority.MINOR, unacknowledged=False)),
    )
    layers.layer("cap").upsert(
        MapFeature.circle_area("cap-1", 34.62, 50.86, 1500, style=area_style(Priority.SEVERE))
    )
    assert h.flush()
    feats = dict(h.stats()["features"])
    assert feats["alarms"] == 2 and feats["cap"] == 1
    assert h.js("document.querySelectorAll('.rasad-pulse').length") == 1  # only the unacknowledged one pulses
    layers.layer("alarms").upsert(
        MapFeature.point(
            "al-1", 34.64, 50.88, entity="bus-1", style=alarm_style(Priority.SEVERE, unacknowledged=False)
        )
    )
    assert h.flush()
    assert h.wait_js("document.querySelectorAll('.rasad-pulse').length", lambda v: v == 0)
    with qtbot.waitSignal(h.widget.sig_feature_selected, timeout=5000) as sig:
        h.js(
            "document.querySelector('.leaflet-marker-icon.rasad-feature').dispatchEvent(new MouseEvent('click', {bubbles: true})); 1"
        )
    assert sig.args[0] == "alarms"
    layers.layer("alarms").remove("al-1", "al-2")
    assert h.flush()
    assert h.wait_js("RasadMap.stats()", lambda v: dict(json.loads(v)["features"])["alarms"] == 0)


def test_clusters_and_fleet_switches(harness):
    h = harness()
    city = load_city("qom")
    h.feed(Fleet(city, 3000).readings(T0))
    h.set_view(*city.center, 12)
    assert h.flush()
    s = h.stats()
    assert s["alive"] == 3000 and s["clusters"] > 0 and s["drawn"] < 3000
    h.widget.panel.checks["taxi"].setChecked(False)
    assert h.flush()
    h.set_view(*city.center, 16)
    assert h.flush()
    assert h.stats()["clusters"] == 0  # zoomed in past cluster_below_zoom: every vehicle drawn


def test_stale_source_is_drawn_grey(harness):
    from console.health import FeedState

    h = harness()
    h.core.health.register("avl-x")
    h.core.health.set_state("avl-x", FeedState.CONNECTED)
    h.feed([vehicle("bus-3", 34.64, 50.87, T0, source="avl-x")], "vehicle/bus")
    assert h.flush()
    assert not h.entity("bus-3")["style"] & 256
    h.core.health.set_state("avl-x", FeedState.DOWN, "socket closed")
    h.state._health_checked = -1e9
    assert h.flush()
    assert h.entity("bus-3")["style"] & 256


def test_heatmap_overlay_is_an_image_from_the_kernel(harness):
    h = harness()
    city = load_city("qom")
    h.feed(air_readings(city, T0, np.random.default_rng(4)), "air/station")
    h.widget._heat_busy = False
    fut = h.widget.request_heat()
    assert fut is not None
    assert spin(lambda: h.widget.last_heat is not None, 20)
    assert h.wait_js(
        "(document.querySelector('img.rasad-heat') || {}).src || ''", lambda v: v.startswith("data:image")
    )
    assert h.widget.last_heat.stations == 40


def test_track_replay_draws_the_trail_and_moves_the_ghost(harness):
    h = harness(trail_step_s=5.0)
    for s in range(0, 600, 5):
        h.feed([vehicle("bus-5", 34.60 + s * 1e-4, 50.85, T0 + s * 10**9, heading=0)], "vehicle/bus")
    assert h.flush()
    assert h.widget.select("bus-5")
    replay = h.widget.details.replay
    assert replay.isVisible() and len(replay.trail) >= 100
    assert h.wait_js("RasadMap.trailLength()", lambda v: v == len(replay.trail))
    replay.slider.setValue(0)
    assert "۱۴۰" in replay.time_label.text()  # a Jalali year, Persian digits
    lat0 = replay.trail.at(replay.time_at(0))[0]
    assert lat0 == pytest.approx(replay.trail.lat[0])
    replay.minutes.setValue(2)
    assert len(replay.trail) <= 26


def test_geofence_drawn_on_the_map_is_saved(harness, tmp_path):
    h = harness()
    h.widget.ask_name = lambda: "میدان"
    store = h.core.services["geofences"]
    store.path = tmp_path / "gf.geojson"
    h.js("RasadMap.drawPolygon([[34.64, 50.87], [34.65, 50.87], [34.65, 50.89]]); 1")
    assert spin(lambda: len(store) == 1, 10)
    gf = store.all()[0]
    assert gf["properties"]["name"] == "میدان" and store.contains(gf["id"], 34.646, 50.875)
    assert h.flush()
    assert h.wait_js("RasadMap.stats()", lambda v: dict(json.loads(v)["features"]).get("geofences") == 1)
    assert json.loads(store.path.read_text(encoding="utf-8"))["features"][0]["geometry"]["type"] == "Polygon"


def test_language_switch_relabels_page_and_panels(harness):
    from console import i18n

    h = harness()
    assert h.widget.panel.checks["bus"].text() == "اتوبوس‌ها"
    i18n.set_lang("en")
    h.widget.retranslate()
    assert h.widget.panel.checks["bus"].text() == "Buses"
    assert h.wait_js("document.body.innerText", lambda v: "District 1" in v)


def test_page_memory_does_not_grow_with_sustained_updates(harness):
    h = harness()
    city = load_city("qom")
    fleet = Fleet(city, 5000)
    rng = np.random.default_rng(1)
    h.set_view(*city.center, 13)

    def run(seconds: int, start: int) -> None:
        for k in range(seconds):
            fleet.step(1.0)
            h.feed(fleet.readings(T0 + (start + k) * 10**9))
            h.feed(segment_readings(city, T0 + (start + k) * 10**9, rng), "traffic/segment")
            assert h.flush()

    run(10, 0)
    warm = h.renderer_rss_kb()
    run(40, 10)
    after = h.renderer_rss_kb()
    assert warm and after
    assert after - warm < 40_000, (warm, after)  # < 40 MB over 40 more seconds of a 5,000-vehicle fleet
    assert h.stats()["alive"] == 5000 + len(city.roads)
