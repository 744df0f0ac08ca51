"""Geofences: polygons operators draw on the map, saved as GeoJSON (core service "geofences").

The file is `<data dir>/geofences.geojson` (a FeatureCollection; each feature has `id`, `name`,
`created_by`, `created` (ns) in its properties). The store mirrors itself into the "geofences" map
layer; the alarm room turns geofences into rules (`store.all()` + `store.on_change(fn)`;
`store.contains(id, lat, lon)` answers "is this point inside").
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shapely.geometry import Point, shape
from shapely.validation import explain_validity

from console.maplayers import FeatureStyle, MapFeature, MapLayers
from console.model import now_ns
from console.paths import data_dir

log = logging.getLogger(__name__)

GEOFENCE_STYLE = FeatureStyle(color="#80ffdb", fill="#80ffdb", fill_opacity=0.12, weight=2.0, dash="4 4")


class GeofenceError(ValueError):
    pass


class GeofenceStore:
    def __init__(self, path: Path | None = None, layers: MapLayers | None = None):
        self.path = path or data_dir() / "geofences.geojson"
        self._lock = threading.Lock()
        self._features: dict[str, dict[str, Any]] = {}
        self._shapes: dict[str, Any] = {}
        self._listeners: list[Callable[[], None]] = []
        self._layers = layers
        self._load()
        self._mirror()

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            feats = doc.get("features", []) if isinstance(doc, dict) else []
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            log.error("geofences %s unreadable (%s); starting with none (file kept)", self.path, exc)
            return
        for f in feats:
            try:
                self._accept(f)
            except (GeofenceError, KeyError, TypeError, ValueError) as exc:
                log.warning("geofences %s: skipped one feature (%s)", self.path, exc)

    def _accept(self, feature: dict[str, Any]) -> str:
        props = feature.get("properties") or {}
        fid = str(feature.get("id") or props.get("id") or "")
        if not fid:
            raise GeofenceError("geofence without id")
        geom = feature.get("geometry") or {}
        if geom.get("type") not in ("Polygon", "MultiPolygon"):
            raise GeofenceError(f"geofence {fid}: geometry must be a Polygon, not {geom.get('type')!r}")
        shp = shape(geom)
        if shp.is_empty or not shp.is_valid:
            raise GeofenceError(f"geofence {fid}: invalid polygon ({explain_validity(shp)})")
        clean = {
            "type": "Feature",
            "id": fid,
            "geometry": geom,
            "properties": {
                "id": fid,
                "name": str(props.get("name") or fid),
                "created_by": str(props.get("created_by", "")),
                "created": int(props.get("created", 0)),
            },
        }
        with self._lock:
            self._features[fid] = clean
            self._shapes[fid] = shp
        return fid

    def _save(self) -> None:
        with self._lock:
            doc = {"type": "FeatureCollection", "features": list(self._features.values())}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(self.path)

    def _mirror(self) -> None:
        if self._layers is None:
            return
        layer = self._layers.get("geofences")
        if layer is None:
            return
        layer.replace(
            MapFeature(
                id=f["id"],
                geometry=f["geometry"],
                style=GEOFENCE_STYLE,
                title_fa=f["properties"]["name"],
                title_en=f["properties"]["name"],
                props={"geofence.created_by": f["properties"]["created_by"]},
            )
            for f in self.all()
        )

    def _changed(self) -> None:
        self._save()
        self._mirror()
        for fn in list(self._listeners):
            try:
                fn()
            except Exception:
                log.exception("geofence listener failed")

    # -- public -----------------------------------------------------------------------------------------
    def add(self, name: str, geometry: dict[str, Any], operator: str = "") -> str:
        """Save a new geofence; returns its id. Raises GeofenceError for an unusable polygon."""
        name = name.strip()
        if not name:
            raise GeofenceError("a geofence needs a name")
        fid = f"gf-{uuid.uuid4().hex[:8]}"
        self._accept(
            {
                "id": fid,
                "geometry": geometry,
                "properties": {"name": name, "created_by": operator, "created": now_ns()},
            }
        )
        self._changed()
        return fid

    def remove(self, fid: str) -> bool:
        with self._lock:
            found = self._features.pop(fid, None) is not None
            self._shapes.pop(fid, None)
        if found:
            self._changed()
        return found

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(f) for f in self._features.values()]

    def get(self, fid: str) -> dict[str, Any] | None:
        with self._lock:
            f = self._features.get(fid)
        return dict(f) if f else None

    def contains(self, fid: str, lat: float, lon: float) -> bool:
        with self._lock:
            shp = self._shapes.get(fid)
        return bool(shp is not None and shp.covers(Point(lon, lat)))

    def on_change(self, fn: Callable[[], None]) -> Callable[[], None]:
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn) if fn in self._listeners else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._features)
