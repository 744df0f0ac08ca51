"""Map feature layers: how other rooms and plugins put things on the map (Qt-free).

The contract
------------
- A `MapFeature` is one thing to draw: a GeoJSON geometry (Point, MultiPoint, LineString,
  MultiLineString, Polygon, MultiPolygon; lon/lat order as GeoJSON says) *or* a `Circle` (centre and
  radius in metres, e.g. a CAP `<circle>`), a `FeatureStyle`, a bilingual title, optional `entity`
  (the entity or alarm id a click on it selects), `priority` and `props` (shown in the details
  panel as key → value; keys may be i18n keys).
- A `MapLayer` holds features by id; `upsert`, `remove`, `replace` and `clear` are thread-safe and
  cheap. It has a key, bilingual title, z order, default visibility and legend entries. Consumers
  (the map widget) poll `changes_since(version)` and receive only what changed.
- `MapLayers` (core service "maplayers") is the registry. Built-in layers: "alarms" (alarm points;
  unacknowledged ones pulse: `FeatureStyle.pulse=True`), "cap" (CAP alert areas: polygons and
  circles), "geofences" (drawn by operators, see console.geofences). Plugins register layers with
  `ctx.add_map_layer(layer)` where `layer` is a `MapLayer` or a GeoJSON FeatureCollection (dict);
  they appear and disappear with the plugin.

Example (the alarm room):
    layers = core.services["maplayers"]
    layers.layer("alarms").upsert(MapFeature.point(
        alarm.id, lat, lon, style=alarm_style(Priority.SEVERE, unacknowledged=True),
        title_fa=..., title_en=..., entity=alarm.entity, priority=3, props={"state": "unack"}))
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from console.mapstyle import PRIORITY_COLOURS
from console.model import Priority
from console.plugins import Registry

log = logging.getLogger(__name__)

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
SYMBOLS = ("circle", "square", "triangle", "diamond")
_versions = itertools.count(1)


class FeatureError(ValueError):
    """A feature that cannot be drawn; the message says which and why."""


class FeatureStyle(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    color: str = "#4cc9f0"  # stroke / point colour (CSS colour)
    fill: str = ""  # fill colour; "" = same as color
    fill_opacity: float = 0.22
    weight: float = 2.0  # stroke width, px
    opacity: float = 0.95
    radius_px: float = 7.0  # points
    dash: str = ""  # SVG dash array, e.g. "6 4"
    symbol: str = "circle"  # points: circle | square | triangle | diamond
    pulse: bool = False  # animated halo (unacknowledged alarms)
    label: str = ""  # short text drawn beside a point (e.g. priority digit)


class Circle(msgspec.Struct, frozen=True):
    lat: float
    lon: float
    radius_m: float


class MapFeature(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    geometry: dict[str, Any] | None = None
    circle: Circle | None = None
    style: FeatureStyle = FeatureStyle()
    title_fa: str = ""
    title_en: str = ""
    entity: str = ""
    priority: int = 0
    props: dict[str, Any] = {}
    t: int = 0  # ns, when the thing it shows happened

    # -- constructors --------------------------------------------------------------------------------
    @classmethod
    def point(cls, id: str, lat: float, lon: float, **kw: Any) -> MapFeature:
        return cls(id=id, geometry={"type": "Point", "coordinates": [lon, lat]}, **kw)

    @classmethod
    def polygon(cls, id: str, rings: list[list[tuple[float, float]]], **kw: Any) -> MapFeature:
        """`rings`: outer ring then holes, each a list of (lon, lat)."""
        return cls(
            id=id, geometry={"type": "Polygon", "coordinates": [[list(p) for p in r] for r in rings]}, **kw
        )

    @classmethod
    def circle_area(cls, id: str, lat: float, lon: float, radius_m: float, **kw: Any) -> MapFeature:
        return cls(id=id, circle=Circle(lat, lon, radius_m), **kw)

    @classmethod
    def from_geojson(cls, feature: dict[str, Any], *, fallback_id: str = "", **kw: Any) -> MapFeature:
        """A GeoJSON Feature dict; `properties.title_fa/title_en/entity` are honoured."""
        props = dict(feature.get("properties") or {})
        fid = str(feature.get("id") or props.pop("id", "") or fallback_id)
        return cls(
            id=fid,
            geometry=feature.get("geometry"),
            title_fa=str(props.pop("title_fa", props.get("name_fa", props.get("name", "")))),
            title_en=str(props.pop("title_en", props.get("name_en", props.get("name", "")))),
            entity=str(props.pop("entity", "")),
            props=props,
            **kw,
        )

    # -- reading -------------------------------------------------------------------------------------
    def title(self, language: str) -> str:
        return (self.title_fa if language == "fa" else self.title_en) or self.title_en or self.id

    def anchor(self) -> tuple[float, float] | None:
        """(lat, lon) to pan to: the circle centre, the point, or the centre of the bounding box."""
        if self.circle is not None:
            return self.circle.lat, self.circle.lon
        box = self.bounds()
        if box is None:
            return None
        return (box[1] + box[3]) / 2, (box[0] + box[2]) / 2

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(min_lon, min_lat, max_lon, max_lat)."""
        if self.circle is not None:
            dlat = self.circle.radius_m / 111_320.0
            dlon = dlat / max(0.05, math.cos(math.radians(self.circle.lat)))
            return (
                self.circle.lon - dlon,
                self.circle.lat - dlat,
                self.circle.lon + dlon,
                self.circle.lat + dlat,
            )
        pts = list(_positions(self.geometry["coordinates"])) if self.geometry else []
        if not pts:
            return None
        lons = [p[0] for p in pts]
        lats = [p[1] for p in pts]
        return min(lons), min(lats), max(lons), max(lats)

    def to_geojson(self) -> dict[str, Any]:
        """The feature as the page draws it (GeoJSON Feature; circles as a Point + radius_m)."""
        geometry = self.geometry
        props: dict[str, Any] = {
            "id": self.id,
            "title_fa": self.title_fa,
            "title_en": self.title_en,
            "entity": self.entity,
            "priority": self.priority,
            "style": msgspec.to_builtins(self.style),
        }
        if self.circle is not None:
            geometry = {"type": "Point", "coordinates": [self.circle.lon, self.circle.lat]}
            props["radius_m"] = self.circle.radius_m
        return {"type": "Feature", "id": self.id, "geometry": geometry, "properties": props}


def _positions(coords: Any) -> Iterable[tuple[float, float]]:
    if not coords:
        return
    if isinstance(coords[0], int | float):
        yield float(coords[0]), float(coords[1])
        return
    for c in coords:
        yield from _positions(c)


def validate(feature: MapFeature) -> MapFeature:
    """Raise FeatureError for a feature the page could not draw (bad geometry, NaN, out of range)."""
    if not feature.id:
        raise FeatureError("feature without id")
    if (feature.geometry is None) == (feature.circle is None):
        raise FeatureError(f"feature {feature.id!r}: needs exactly one of geometry or circle")
    if feature.circle is not None:
        c = feature.circle
        if not (_ok_lat(c.lat) and _ok_lon(c.lon)) or not (0 < c.radius_m < 2_000_000):
            raise FeatureError(
                f"feature {feature.id!r}: circle out of range ({c.lat}, {c.lon}, {c.radius_m} m)"
            )
    else:
        gtype = feature.geometry.get("type")
        if gtype not in GEOMETRY_TYPES:
            raise FeatureError(f"feature {feature.id!r}: geometry type {gtype!r} not in {GEOMETRY_TYPES}")
        try:
            pts = list(_positions(feature.geometry.get("coordinates")))
        except (TypeError, IndexError) as exc:
            raise FeatureError(f"feature {feature.id!r}: malformed coordinates ({exc})") from None
        if not pts:
            raise FeatureError(f"feature {feature.id!r}: no coordinates")
        bad = next(((lon, lat) for lon, lat in pts if not (_ok_lat(lat) and _ok_lon(lon))), None)
        if bad is not None:
            raise FeatureError(f"feature {feature.id!r}: position {bad} is not lon/lat on Earth")
    if feature.style.symbol not in SYMBOLS:
        raise FeatureError(f"feature {feature.id!r}: symbol {feature.style.symbol!r} not in {SYMBOLS}")
    return feature


def _ok_lat(v: float) -> bool:
    return isinstance(v, int | float) and -90.0 <= v <= 90.0


def _ok_lon(v: float) -> bool:
    return isinstance(v, int | float) and -180.0 <= v <= 180.0


def alarm_style(priority: Priority | int, *, unacknowledged: bool) -> FeatureStyle:
    """The one look of an alarm on the map: colour by priority, pulsing while unacknowledged."""
    p = Priority(max(1, min(4, int(priority))))
    return FeatureStyle(
        color=PRIORITY_COLOURS[p],
        fill=PRIORITY_COLOURS[p],
        fill_opacity=0.85,
        radius_px=6.0 + 1.5 * int(p),
        weight=2.0,
        pulse=unacknowledged,
        symbol="diamond",
        label="",
    )


def area_style(priority: Priority | int) -> FeatureStyle:
    """CAP alert areas: a translucent fill in the priority colour, dashed outline."""
    p = Priority(max(1, min(4, int(priority))))
    return FeatureStyle(color=PRIORITY_COLOURS[p], fill_opacity=0.18, weight=2.5, dash="8 5")


class LegendItem(msgspec.Struct, frozen=True):
    color: str
    label_fa: str
    label_en: str
    symbol: str = "circle"


class Changes(msgspec.Struct, frozen=True):
    version: int
    reset: bool  # True: drop everything you had, `upserts` is the whole layer
    upserts: list[MapFeature]
    removes: list[str]


class MapLayer:
    """A named set of features. Thread-safe; listeners are told the layer changed (not what)."""

    TOMBSTONES = 5000

    def __init__(
        self,
        key: str,
        title_fa: str,
        title_en: str,
        *,
        z: int = 0,
        visible: bool = True,
        legend: Iterable[LegendItem] = (),
        owner: str = "",
    ):
        self.key = key
        self.title_fa = title_fa
        self.title_en = title_en
        self.z = z
        self.visible = visible
        self.legend = list(legend)
        self.owner = owner
        self._lock = threading.Lock()
        self._items: dict[str, tuple[int, MapFeature]] = {}
        self._removed: dict[str, int] = {}
        self._floor = 0  # versions at or below this may have lost their tombstones
        self._version = 0
        self._listeners: list[Callable[[MapLayer], None]] = []
        self.rejected = 0

    def title(self, language: str) -> str:
        return self.title_fa if language == "fa" else self.title_en

    @property
    def version(self) -> int:
        return self._version

    def on_change(self, fn: Callable[[MapLayer], None]) -> Callable[[], None]:
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn) if fn in self._listeners else None

    def _notify(self) -> None:
        for fn in list(self._listeners):
            try:
                fn(self)
            except Exception:
                log.exception("map layer %s listener failed", self.key)

    def upsert(self, *features: MapFeature) -> int:
        """Add or replace features by id; invalid ones are rejected with one log line each. Returns accepted."""
        good = []
        for f in features:
            try:
                good.append(validate(f))
            except FeatureError as exc:
                self.rejected += 1
                log.warning("map layer %s: rejected %s", self.key, exc)
        if not good:
            return 0
        with self._lock:
            v = self._version = next(_versions)
            for f in good:
                self._items[f.id] = (v, f)
                self._removed.pop(f.id, None)
        self._notify()
        return len(good)

    def remove(self, *ids: str) -> int:
        with self._lock:
            gone = [i for i in ids if i in self._items]
            if not gone:
                return 0
            v = self._version = next(_versions)
            for i in gone:
                del self._items[i]
                self._removed[i] = v
            self._prune()
        self._notify()
        return len(gone)

    def replace(self, features: Iterable[MapFeature]) -> None:
        """Make the layer hold exactly `features` (those with the same content keep their version)."""
        new: dict[str, MapFeature] = {}
        for f in features:
            try:
                new[f.id] = validate(f)
            except FeatureError as exc:
                self.rejected += 1
                log.warning("map layer %s: rejected %s", self.key, exc)
        with self._lock:
            v = next(_versions)
            changed = False
            for fid in [i for i in self._items if i not in new]:
                del self._items[fid]
                self._removed[fid] = v
                changed = True
            for fid, f in new.items():
                old = self._items.get(fid)
                if old is None or old[1] != f:
                    self._items[fid] = (v, f)
                    self._removed.pop(fid, None)
                    changed = True
            if changed:
                self._version = v
                self._prune()
        if changed:
            self._notify()

    def clear(self) -> None:
        self.replace(())

    def _prune(self) -> None:
        if len(self._removed) > self.TOMBSTONES:
            ordered = sorted(self._removed.items(), key=lambda kv: kv[1])
            cut = len(ordered) - self.TOMBSTONES // 2
            self._floor = max(self._floor, ordered[cut - 1][1])
            self._removed = dict(ordered[cut:])

    def get(self, fid: str) -> MapFeature | None:
        with self._lock:
            item = self._items.get(fid)
        return item[1] if item else None

    def features(self) -> list[MapFeature]:
        with self._lock:
            return [f for _, f in self._items.values()]

    def find_entity(self, entity: str) -> MapFeature | None:
        with self._lock:
            return next((f for _, f in self._items.values() if f.entity == entity), None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def changes_since(self, version: int = -1) -> Changes:
        """What changed after `version` (-1: never looked, so everything, as a reset)."""
        with self._lock:
            if version < 0 or version < self._floor:
                return Changes(self._version, True, [f for _, f in self._items.values()], [])
            ups = [f for v, f in self._items.values() if v > version]
            rem = [i for i, v in self._removed.items() if v > version]
            return Changes(self._version, False, ups, rem)

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title_fa": self.title_fa,
            "title_en": self.title_en,
            "z": self.z,
            "visible": self.visible,
            "owner": self.owner,
            "legend": [msgspec.to_builtins(i) for i in self.legend],
        }


def layer_from_geojson(
    key: str, collection: dict[str, Any], title_fa: str, title_en: str, **kw: Any
) -> MapLayer:
    """A static layer from a GeoJSON FeatureCollection; unusable features are rejected and counted."""
    layer = MapLayer(key, title_fa or key, title_en or key, **kw)
    feats = []
    for i, f in enumerate(collection.get("features") or []):
        try:
            feats.append(MapFeature.from_geojson(f, fallback_id=f"{key}-{i + 1}"))
        except (TypeError, ValueError, AttributeError, msgspec.ValidationError) as exc:
            layer.rejected += 1
            log.warning("map layer %s: feature %d unusable (%s)", key, i + 1, exc)
    layer.replace(feats)
    return layer


# Built-in layers: key -> (title_fa, title_en, z)
BUILTIN = {
    "cap": ("هشدارهای همگانی", "Public alerts (CAP)", 10),
    "geofences": ("حصارهای جغرافیایی", "Geofences", 20),
    "alarms": ("هشدارها", "Alarms", 40),
}


class MapLayers:
    """Core service "maplayers": the registry of feature layers, observable (a plugins.Registry
    underneath, so a failing listener is contained), thread-safe, looked up by key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._layers: dict[str, MapLayer] = {}
        self._observed = Registry("maplayers")
        self._from_plugins: dict[int, str] = {}
        for key, (fa, en, z) in BUILTIN.items():
            self.add(MapLayer(key, fa, en, z=z, owner="core"))

    def add(self, layer: MapLayer) -> MapLayer:
        with self._lock:
            if layer.key in self._layers:
                raise ValueError(f"map layer {layer.key!r} already exists")
            self._layers[layer.key] = layer
        self._observed.add(layer)
        return layer

    def remove(self, key: str) -> None:
        with self._lock:
            layer = self._layers.pop(key, None)
        if layer is not None:
            self._observed.remove(layer)

    def layer(self, key: str) -> MapLayer:
        with self._lock:
            return self._layers[key]

    def get(self, key: str) -> MapLayer | None:
        with self._lock:
            return self._layers.get(key)

    def layers(self) -> list[MapLayer]:
        with self._lock:
            return sorted(self._layers.values(), key=lambda layer: (layer.z, layer.key))

    def on_change(
        self, added: Callable[[MapLayer], None], removed: Callable[[MapLayer], None]
    ) -> Callable[[], None]:
        """Listen for layers coming and going; returns the function that stops listening."""
        return self._observed.on_change(added, removed)

    def find(self, ref: str) -> tuple[MapLayer, MapFeature] | None:
        """A feature by "layer:feature-id", or the first feature whose `entity` is `ref`."""
        if ":" in ref:
            key, fid = ref.split(":", 1)
            layer = self.get(key)
            feature = layer.get(fid) if layer else None
            if feature is not None:
                return layer, feature
        for layer in self.layers():
            feature = layer.find_entity(ref)
            if feature is not None:
                return layer, feature
        return None

    # -- plugin registrations (PluginHost.map_layers holds LayerSpec items) --------------------------------
    def follow_plugins(self, registry: Any) -> Callable[[], None]:
        for spec in registry.items():
            self._plugin_added(spec)
        return registry.on_change(self._plugin_added, self._plugin_removed)

    def _plugin_added(self, spec: Any) -> None:
        layer = spec.layer
        if isinstance(layer, dict):
            layer = layer_from_geojson(spec.key, layer, spec.title_fa, spec.title_en, owner=spec.plugin)
        if not isinstance(layer, MapLayer):
            log.error(
                "plugin %s: map layer %s is a %s, expected MapLayer or a GeoJSON FeatureCollection",
                spec.plugin,
                spec.key,
                type(layer).__name__,
            )
            return
        layer.owner = layer.owner or spec.plugin
        try:
            self.add(layer)
        except ValueError as exc:
            log.error("plugin %s: %s", spec.plugin, exc)
            return
        with self._lock:
            self._from_plugins[id(spec)] = layer.key

    def _plugin_removed(self, spec: Any) -> None:
        with self._lock:
            key = self._from_plugins.pop(id(spec), None)
        if key is not None:
            self.remove(key)
