"""Geofences drawn by operators on the map (console/geofences.py) become alarm rules.

Each drawn polygon is an "enter" rule for every vehicle (`vehicle/+`), priority Minor, owned by
"geofences"; a MultiPolygon gives one rule per part (outer rings; holes are not supported by rule
areas and are ignored, which errs on the side of alarming). Drawing, changing or deleting a geofence
adds, replaces or removes its rules at once (the store's `on_change`).
"""

from __future__ import annotations

import logging
from typing import Any

from console.alarms.rules import Area, Geofence, Rule
from console.model import Priority

log = logging.getLogger(__name__)
OWNER = "geofences"


def rules_for(feature: dict[str, Any]) -> list[Rule]:
    geom = feature.get("geometry") or {}
    name = str((feature.get("properties") or {}).get("name") or feature.get("id"))
    polygons = [geom["coordinates"]] if geom.get("type") == "Polygon" else geom.get("coordinates", [])
    out: list[Rule] = []
    for k, rings in enumerate(polygons):
        ring = tuple((float(x), float(y)) for x, y, *_ in rings[0])
        suffix = f".{k + 1}" if len(polygons) > 1 else ""
        out.append(
            Geofence(
                id=f"geofence.{feature['id']}{suffix}",
                topic="vehicle/+",
                priority=Priority.MINOR,
                area=Area(polygon=ring),
                mode="enter",
                title_fa=f"ورود به حصار «{name}»",
                title_en=f"Entered geofence “{name}”",
                owner=OWNER,
            )
        )
    return out


class GeofenceRules:
    def __init__(self, engine: Any, store: Any):
        self.engine = engine
        self.store = store
        self.current: dict[str, Rule] = {}
        self.stop = store.on_change(self.sync)
        self.sync()

    def sync(self) -> None:
        wanted: dict[str, Rule] = {}
        for feature in self.store.all():
            try:
                for rule in rules_for(feature):
                    wanted[rule.id] = rule
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                log.warning("geofence %s: not usable as an alarm rule (%s)", feature.get("id"), exc)
        for rule_id in set(self.current) - set(wanted):
            self.engine.remove_rule(rule_id)
        for rule_id, rule in wanted.items():
            if self.current.get(rule_id) != rule:
                self.engine.add_rule(rule)
        self.current = wanted
