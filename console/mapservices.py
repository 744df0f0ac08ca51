"""The map room's core services: "entities" (EntityState), "maplayers" (MapLayers), "geofences"."""

from __future__ import annotations

import logging
from typing import Any

from console.entities import EntityState
from console.geofences import GeofenceStore
from console.maplayers import MapLayers

log = logging.getLogger(__name__)


def city_or_none(key: str) -> Any:
    from console.city import load_city

    try:
        return load_city(key)
    except KeyError as exc:
        log.warning("map: %s; entities need their own positions", exc)
        return None


def add_map_services(core: Any) -> None:
    s = core.settings
    city = city_or_none(s.city)
    core.add_service(
        "entities",
        EntityState(
            core.bus,
            core.health,
            city,
            trail_minutes=s.map.trail_minutes,
            trail_step_s=s.map.trail_step_s,
        ),
    )
    layers = MapLayers()
    layers.follow_plugins(core.plugins.map_layers)
    core.add_service("maplayers", layers)
    core.add_service("geofences", GeofenceStore(layers=layers))
