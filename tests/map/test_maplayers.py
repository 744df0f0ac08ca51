from __future__ import annotations

import json

import pytest

from console.geofences import GeofenceError, GeofenceStore
from console.maplayers import (
    FeatureError,
    FeatureStyle,
    MapFeature,
    MapLayer,
    MapLayers,
    alarm_style,
    area_style,
    layer_from_geojson,
    validate,
)
from console.model import Priority
from console.plugins import LayerSpec, Registry


def test_layer_changes_since_gives_only_what_changed():
    layer = MapLayer("alarms", "هشدارها", "Alarms")
    first = layer.changes_since(-1)
    assert first.reset and first.upserts == []
    a = MapFeature.point("a1", 34.64, 50.88, style=alarm_style(Priority.SEVERE, unacknowledged=True))
    b = MapFeature.circle_area("cap-1", 34.6, 50.9, 2500, style=area_style(Priority.EXTREME))
    layer.upsert(a, b)
    ch = layer.changes_since(first.version)
    assert not ch.reset and {f.id for f in ch.upserts} == {"a1", "cap-1"} and ch.removes == []
    v = ch.version
    assert layer.changes_since(v).upserts == [] and layer.changes_since(v).removes == []
    layer.upsert(
        MapFeature.point("a1", 34.64, 50.88, style=alarm_style(Priority.SEVERE, unacknowledged=False))
    )
    layer.remove("cap-1")
    ch = layer.changes_since(v)
    assert [f.id for f in ch.upserts] == ["a1"] and not ch.upserts[0].style.pulse
    assert ch.removes == ["cap-1"]


def test_replace_keeps_unchanged_features_quiet():
    layer = MapLayer("k", "k", "k")
    feats = [MapFeature.point(f"p{i}", 34.6, 50.8 + i * 0.01) for i in range(3)]
    layer.replace(feats)
    v = layer.version
    layer.replace(feats)  # same content: no change at all
    assert layer.version == v
    layer.replace(feats[:2])
    ch = layer.changes_since(v)
    assert ch.upserts == [] and ch.removes == ["p2"]


def test_tombstone_overflow_forces_a_reset_for_old_consumers():
    layer = MapLayer("k", "k", "k")
    layer.TOMBSTONES = 10
    layer.upsert(*[MapFeature.point(f"p{i}", 34.6, 50.8) for i in range(40)])
    v = layer.version
    for i in range(30):
        layer.remove(f"p{i}")
    ch = layer.changes_since(v)
    assert ch.reset and len(ch.upserts) == 10


@pytest.mark.parametrize(
    "feature",
    [
        MapFeature(id="x"),
        MapFeature(id="x", geometry={"type": "Point", "coordinates": [50.8, 95.0]}),
        MapFeature(id="x", geometry={"type": "Blob", "coordinates": [1, 2]}),
        MapFeature(id="x", geometry={"type": "Polygon", "coordinates": []}),
        MapFeature.circle_area("x", 34.6, 50.8, -5),
        MapFeature.point("x", 34.6, 50.8, style=FeatureStyle(symbol="star")),
        MapFeature.point("", 34.6, 50.8),
    ],
)
def test_invalid_features_are_rejected_with_a_reason(feature):
    with pytest.raises(FeatureError):
        validate(feature)
    layer = MapLayer("k", "k", "k")
    assert layer.upsert(feature) == 0 and layer.rejected == 1 and len(layer) == 0


def test_feature_geojson_anchor_and_bounds():
    poly = MapFeature.polygon(
        "z", [[(50.8, 34.6), (50.9, 34.6), (50.9, 34.7), (50.8, 34.6)]], title_fa="ناحیه"
    )
    assert poly.anchor() == pytest.approx((34.65, 50.85))
    gj = poly.to_geojson()
    assert gj["geometry"]["type"] == "Polygon" and gj["properties"]["title_fa"] == "ناحیه"
    circ = MapFeature.circle_area("c", 34.6, 50.8, 1000)
    assert circ.to_geojson()["properties"]["radius_m"] == 1000
    _w, s, _e, n = circ.bounds()
    assert n - s == pytest.approx(2 * 1000 / 111_320, rel=1e-3)
    assert json.dumps(gj)  # JSON-able as is


def test_registry_follows_plugin_layers():
    layers = MapLayers()
    assert [layer.key for layer in layers.layers()] == ["cap", "geofences", "alarms"]
    reg = Registry("map_layers")
    layers.follow_plugins(reg)
    gj = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "cam-1",
                "properties": {"name_fa": "دوربین", "name_en": "Camera"},
                "geometry": {"type": "Point", "coordinates": [50.88, 34.64]},
            },
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [500, 34.64]}},
        ],
    }
    spec = LayerSpec("traffic", "traffic.cameras", "دوربین‌ها", "Cameras", gj)
    reg.add(spec)
    cams = layers.layer("traffic.cameras")
    assert cams.owner == "traffic" and len(cams) == 1 and cams.rejected == 1
    assert cams.get("cam-1").title("en") == "Camera"
    own = MapLayer("traffic.jams", "ترافیک", "Jams")
    spec2 = LayerSpec("traffic", "traffic.jams", "", "", own)
    reg.add(spec2)
    assert layers.get("traffic.jams") is own
    reg.add(LayerSpec("bad", "bad.layer", "", "", 42))  # not a layer: logged, ignored
    assert layers.get("bad.layer") is None
    reg.remove(spec)
    reg.remove(spec2)
    assert layers.get("traffic.cameras") is None and layers.get("traffic.jams") is None


def test_find_by_ref_or_entity():
    layers = MapLayers()
    layers.layer("alarms").upsert(MapFeature.point("al-7", 34.6, 50.8, entity="aq-03"))
    assert layers.find("alarms:al-7")[1].id == "al-7"
    assert layers.find("aq-03")[1].id == "al-7"
    assert layers.find("nothing") is None


def test_layer_from_geojson_rejects_garbage_features():
    layer = layer_from_geojson(
        "g", {"features": [None, {"geometry": {"type": "Point", "coordinates": [50, 34]}}]}, "", ""
    )
    assert len(layer) == 1 and layer.rejected == 1


SQUARE = {
    "type": "Polygon",
    "coordinates": [[[50.8, 34.6], [50.9, 34.6], [50.9, 34.7], [50.8, 34.7], [50.8, 34.6]]],
}


def test_geofences_saved_as_geojson_and_mirrored(tmp_path):
    layers = MapLayers()
    path = tmp_path / "gf.geojson"
    store = GeofenceStore(path, layers)
    changes = []
    store.on_change(lambda: changes.append(1))
    fid = store.add("بازار", SQUARE, operator="op1")
    assert changes and store.contains(fid, 34.65, 50.85) and not store.contains(fid, 34.5, 50.85)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["features"][0]["properties"]["name"] == "بازار"
    assert layers.layer("geofences").get(fid).title("fa") == "بازار"
    again = GeofenceStore(path, MapLayers())  # survives a restart
    assert again.get(fid)["properties"]["created_by"] == "op1"
    with pytest.raises(GeofenceError):
        store.add("bow", {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]})
    with pytest.raises(GeofenceError):
        store.add("", SQUARE)
    assert store.remove(fid) and len(layers.layer("geofences")) == 0


def test_broken_geofence_file_is_reported_not_fatal(tmp_path, caplog):
    path = tmp_path / "gf.geojson"
    path.write_text("{not json", encoding="utf-8")
    store = GeofenceStore(path, MapLayers())
    assert len(store) == 0 and "unreadable" in caplog.text
    assert path.read_text(encoding="utf-8") == "{not json"  # kept for the operator to inspect
