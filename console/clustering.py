"""Vehicle clustering for the map, in Python/Cython (markercluster cannot keep up with moving markers).

Vehicles in view are binned on a grid of `cell_px` screen pixels at the page's zoom (web mercator,
cells anchored to the world grid so clusters do not jump while panning). Cells holding two or more
vehicles become one bubble (centroid, count, fleet mix); lone vehicles are drawn as themselves.
The kernel is `console.kernels.load("cluster")`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from console import kernels
from console.mapstyle import KIND_CODE, VEHICLE_KINDS
from console.mapwire import ClusterFrame

TILE_PX = 256.0
MAX_LAT = 85.05112878


class Viewport(NamedTuple):
    zoom: float  # Leaflet zoom, may be fractional (zoomSnap 0.25)
    west: float
    south: float
    east: float
    north: float


def world_px(lat, lon, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """Web-mercator world pixel coordinates at `zoom` (what Leaflet's map.project gives)."""
    scale = TILE_PX * 2.0**zoom
    lat = np.clip(np.asarray(lat, np.float64), -MAX_LAT, MAX_LAT)
    x = (np.asarray(lon, np.float64) + 180.0) / 360.0 * scale
    s = np.sin(np.radians(lat))
    y = (0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
    return x, y


def latlon_of_px(x, y, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    scale = TILE_PX * 2.0**zoom
    lon = np.asarray(x, np.float64) / scale * 360.0 - 180.0
    n = math.pi - 2.0 * math.pi * np.asarray(y, np.float64) / scale
    lat = np.degrees(np.arctan(np.sinh(n)))
    return lat, lon


def cluster_vehicles(
    slot: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    kind: np.ndarray,
    view: Viewport,
    *,
    visible: tuple[str, ...] = VEHICLE_KINDS,
    cell_px: float = 64.0,
    margin: float = 0.5,
) -> ClusterFrame:
    """Clusters of the vehicles inside `view` (plus `margin` of its size on each side)."""
    module, _ = kernels.load("cluster")
    group = np.full(len(slot), -1, np.int32)
    for i, name in enumerate(VEHICLE_KINDS):
        if name in visible:
            group[kind == KIND_CODE[name]] = i
    px, py = world_px(lat, lon, view.zoom)
    x0, y0 = world_px(view.north, view.west, view.zoom)
    x1, y1 = world_px(view.south, view.east, view.zoom)
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    cx0, cy0 = math.floor((x0 - mx) / cell_px), math.floor((y0 - my) / cell_px)
    nx = max(1, math.ceil((x1 + mx) / cell_px) - cx0)
    ny = max(1, math.ceil((y1 + my) / cell_px) - cy0)
    cell_of, count, sum_x, sum_y, mix = module.grid_cluster(
        px, py, group, cx0, cy0, float(cell_px), nx, ny, len(VEHICLE_KINDS)
    )
    many = np.flatnonzero(count >= 2)
    cx = sum_x[many] / count[many]
    cy = sum_y[many] / count[many]
    clat, clon = latlon_of_px(cx, cy, view.zoom)
    lone_cells = count[cell_of.clip(0)] == 1
    single = slot[(cell_of >= 0) & lone_cells]
    return ClusterFrame(
        clat.astype(np.float32),
        clon.astype(np.float32),
        count[many].astype(np.uint32),
        mix[many].astype(np.uint32),
        np.asarray(single, np.uint32),
        float(view.zoom),
    )
