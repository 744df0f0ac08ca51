"""Heatmap overlays for the map: an image the page lays over the city (Qt-free).

- Air quality: inverse-distance-weighted grid of the non-stale stations' latest `metric` (AQI by
  default, coloured by the US EPA bands; other metrics by their catalog warn/alarm bands), faded
  out with distance from the nearest station so the map never paints a value where nobody measures.
- Citizen reports: kernel density of open 137 reports.
The grid rows are evenly spaced in web-mercator y, so Leaflet's imageOverlay places pixels exactly.
Kernels: `console.kernels.load("heat")` (Cython, numpy twin).
"""

from __future__ import annotations

import io
import time
from typing import NamedTuple

import numpy as np
import shapely
from PIL import Image
from shapely.ops import unary_union

from console import kernels
from console.catalog import signal_meta
from console.clustering import latlon_of_px, world_px
from console.entities import EntityState
from console.geo import LocalProjection
from console.mapstyle import AQI_BANDS, REPORT_COLOUR, hex_rgb

HEAT_ZOOM = 16  # reference zoom for the mercator grid (only ratios matter)
FULL_ALPHA_M = 1200.0  # full opacity within this distance of a station
ZERO_ALPHA_M = 3000.0  # transparent beyond
MAX_ALPHA = 90
METRICS = ("aqi", "pm25", "pm10", "no2", "o3", "co", "noise", "reports")


class HeatOverlay(NamedTuple):
    png: bytes
    south: float
    west: float
    north: float
    east: float
    metric: str
    stations: int
    vmin: float
    vmax: float
    kernel: str
    ms: float


def grid_axes(bbox: tuple[float, float, float, float], nx: int, ny: int):
    """Cell-centre lat/lon of an nx x ny grid over bbox (min_lon, min_lat, max_lon, max_lat)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    x0, y0 = world_px(max_lat, min_lon, HEAT_ZOOM)
    x1, y1 = world_px(min_lat, max_lon, HEAT_ZOOM)
    xs = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
    ys = y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny  # north to south: image row order
    lat, _ = latlon_of_px(np.full(ny, x0), ys, HEAT_ZOOM)
    _, lon = latlon_of_px(xs, np.full(nx, y0), HEAT_ZOOM)
    return lat, lon


def city_area(city) -> shapely.Geometry | None:
    """The union of the city's districts: the heat is painted only where the city is."""
    if city is None or not city.districts:
        return None
    return unary_union([shapely.geometry.shape(f["geometry"]) for f in city.districts_geojson()["features"]])


_MASKS: dict[tuple, np.ndarray] = {}


def area_mask(area, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Boolean grid (rows = lat, columns = lon): cell centre inside `area` (cached per grid)."""
    key = (id(area), lat.tobytes(), lon.tobytes())
    mask = _MASKS.get(key)
    if mask is None:
        lon2, lat2 = np.meshgrid(lon, lat)
        mask = shapely.contains_xy(area, lon2, lat2)
        if len(_MASKS) > 8:
            _MASKS.clear()
        _MASKS[key] = mask
    return mask


def colour_aqi(value: np.ndarray) -> np.ndarray:
    uppers = np.array([b[0] for b in AQI_BANDS])
    table = np.array([hex_rgb(b[1]) for b in AQI_BANDS], np.uint8)
    idx = np.clip(np.searchsorted(uppers, np.nan_to_num(value, nan=0.0), side="left"), 0, len(table) - 1)
    return table[idx]


def colour_bands(value: np.ndarray, metric: str) -> np.ndarray:
    """Catalog bands of AirQualityObserved/<metric>: below warn, warn..alarm, alarm..1.5 alarm, above."""
    m = signal_meta("AirQualityObserved", metric)
    warn = m.warn_hi if m.warn_hi is not None else (m.hi or 100.0) * 0.5
    alarm = m.alarm_hi if m.alarm_hi is not None else (m.hi or 100.0) * 0.8
    uppers = np.array([warn, alarm, alarm * 1.5, np.inf])
    table = np.array([hex_rgb(AQI_BANDS[i][1]) for i in (0, 2, 3, 4)], np.uint8)
    idx = np.clip(np.searchsorted(uppers, np.nan_to_num(value, nan=0.0), side="right"), 0, 3)
    return table[idx]


def _png(rgba: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG", optimize=False, compress_level=3)
    return buf.getvalue()


def _metric_grid(bbox: tuple[float, float, float, float], size: tuple[int, int]):
    """Grid axes in degrees (lat rows, lon columns) and in metres of a local projection."""
    nx, ny = size
    lat, lon = grid_axes(bbox, nx, ny)
    proj = LocalProjection((bbox[1] + bbox[3]) / 2, (bbox[0] + bbox[2]) / 2)
    gx, _ = proj.to_xy(np.full(nx, proj.lat0), lon)
    _, gy = proj.to_xy(lat, np.full(ny, proj.lon0))
    return lat, lon, proj, gx, gy


def station_rgba(module, proj: LocalProjection, gx, gy, lat, lon, values, metric: str) -> np.ndarray:
    """RGBA grid of station values interpolated by inverse distance, coloured by `metric`'s bands and
    faded out with the distance to the nearest station (no colour where nobody measures)."""
    sx, sy = proj.to_xy(np.asarray(lat, np.float64), np.asarray(lon, np.float64))
    value, nearest = module.idw(sx, sy, np.asarray(values, np.float64), gx, gy, 2.0)
    rgb = colour_aqi(value) if metric == "aqi" else colour_bands(value, metric)
    fade = np.clip((ZERO_ALPHA_M - nearest) / (ZERO_ALPHA_M - FULL_ALPHA_M), 0.0, 1.0)
    rgba = np.empty((len(gy), len(gx), 4), np.uint8)
    rgba[..., :3] = rgb
    rgba[..., 3] = (fade * MAX_ALPHA).astype(np.uint8)
    return rgba


def station_heat(
    lat, lon, values, bbox: tuple[float, float, float, float], metric: str = "aqi", size=(240, 240), area=None
) -> np.ndarray | None:
    """The same overlay as an RGBA array from plain station lists (department panels); None without stations."""
    if len(values) == 0:
        return None
    module, _kernel = kernels.load("heat")
    glat, glon, proj, gx, gy = _metric_grid(bbox, size)
    rgba = station_rgba(module, proj, gx, gy, lat, lon, values, metric)
    if area is not None:
        rgba[~area_mask(area, glat, glon), 3] = 0
    return rgba


def build_heat(
    state: EntityState,
    bbox: tuple[float, float, float, float],
    metric: str = "aqi",
    size: tuple[int, int] = (320, 320),
    area=None,
) -> HeatOverlay | None:
    """The overlay for `metric` over `bbox` (painted only inside `area` when given), or None when nothing
    fresh measures it."""
    t0 = time.perf_counter()
    module, kernel = kernels.load("heat")
    nx, ny = size
    lat, lon, proj, gx, gy = _metric_grid(bbox, size)
    if metric == "reports":
        snap = state.snapshot(["report"])
        openish = snap["level"] > 0
        if not openish.any():
            return None
        sx, sy = proj.to_xy(snap["lat"][openish], snap["lon"][openish])
        dens = module.density(sx, sy, np.ones(len(sx)), gx, gy, 600.0)
        peak = float(dens.max()) or 1.0
        level = np.clip(dens / peak, 0.0, 1.0)
        rgba = np.zeros((ny, nx, 4), np.uint8)
        rgba[..., :3] = hex_rgb(REPORT_COLOUR)
        rgba[..., 3] = (level * MAX_ALPHA).astype(np.uint8)
        rgba[level < 0.05, 3] = 0
        count, vmin, vmax = int(openish.sum()), 0.0, peak
    else:
        snap = state.snapshot(["air"])
        fresh = ~snap["stale"]
        values = state.values(snap["slot"][fresh], metric)
        ok = ~np.isnan(values)
        if not ok.any():
            return None
        values = values[ok]
        rgba = station_rgba(
            module, proj, gx, gy, snap["lat"][fresh][ok], snap["lon"][fresh][ok], values, metric
        )
        count, vmin, vmax = len(values), float(values.min()), float(values.max())
    if area is not None:
        rgba[~area_mask(area, lat, lon), 3] = 0
    min_lon, min_lat, max_lon, max_lat = bbox
    return HeatOverlay(
        _png(rgba),
        min_lat,
        min_lon,
        max_lat,
        max_lon,
        metric,
        count,
        vmin,
        vmax,
        kernel,
        (time.perf_counter() - t0) * 1000.0,
    )
