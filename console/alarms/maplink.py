"""Alarms on the map: the engine's standing alarms as points in the "alarms" layer (unacknowledged
ones pulse), CAP alert areas as polygons in the "cap" layer. Qt-free; the map widget draws layers.

Fed by diffs (`AlarmEngine.changes_since`), so a refresh costs only what changed; it runs on the
bus loop when alarm transitions are delivered and on the engine's ticker for the rest (remote and
restored changes). Hidden alarms (shelved, suppressed by design, out of service) are not drawn: the
map shows what needs the room, like the banner.
"""

from __future__ import annotations

import threading
from typing import Any

from console import i18n
from console.alarms.alarm import Alarm
from console.maplayers import MapFeature, alarm_style, area_style


class AlarmMapLink:
    def __init__(self, engine: Any, layers: Any):
        self.engine = engine
        self.points = layers.get("alarms")
        self.areas = layers.get("cap")
        self.version = 0
        self._areas_of: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def refresh(self, *_: Any) -> int:
        """Bring the layers up to the engine's state; returns how many alarms changed."""
        if self.engine.version == self.version:
            return 0
        with self._lock:
            self.version, changed = self.engine.changes_since(self.version)
            for a in changed:
                self._update(a)
            return len(changed)

    def _update(self, a: Alarm) -> None:
        shown = a.standing and not a.hidden
        if self.points is not None:
            if shown and a.lat is not None and a.lon is not None:
                self.points.upsert(
                    MapFeature.point(
                        a.id,
                        a.lat,
                        a.lon,
                        style=alarm_style(a.priority, unacknowledged=a.unacked),
                        title_fa=a.title("fa"),
                        title_en=a.title("en"),
                        entity="" if a.kind in ("cap", "count", "composite") else a.subject,
                        priority=int(a.priority),
                        props=self._props(a),
                        t=a.raised_t,
                    )
                )
            else:
                self.points.remove(a.id)
        if self.areas is not None:
            old = self._areas_of.pop(a.id, [])
            if old:
                self.areas.remove(*old)
            shapes = (a.geometry or {}).get("geometries", []) if shown else []
            ids = []
            for k, geom in enumerate(shapes):
                fid = f"{a.id}#{k}"
                ids.append(fid)
                self.areas.upsert(
                    MapFeature(
                        id=fid,
                        geometry={"type": geom["type"], "coordinates": geom["coordinates"]},
                        style=area_style(a.priority),
                        title_fa=a.title("fa"),
                        title_en=a.title("en"),
                        priority=int(a.priority),
                        props=self._props(a),
                        t=a.raised_t,
                    )
                )
            if ids:
                self._areas_of[a.id] = ids

    @staticmethod
    def _props(a: Alarm) -> dict[str, Any]:
        lang = i18n.lang()
        props = {
            "alarms.col.priority": i18n.tr(f"alarms.priority.{a.priority.name.lower()}", lang),
            "alarms.col.state": i18n.tr(f"alarms.state.{a.state.value}", lang),
            "alarms.col.message": a.message(lang),
        }
        if a.cap:
            props["alarms.col.area"] = (
                "، ".join(a.cap.get("areas", [])[:3])
                if lang == "fa"
                else ", ".join(a.cap.get("areas", [])[:3])
            )
        return props
