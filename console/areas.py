"""Areas departments draw and warn about: buffers around sites, service areas, what lies inside (Qt-free).

Geometry is shapely in lon/lat (GeoJSON order); distances are done in metres on the city's
`LocalProjection` (exact enough within a city). An area becomes a map feature (`geojson`), CAP
polygons (`cap_polygons`: closed rings of (lat, lon), simplified to a bounded number of points),
and the districts and roads it touches (with the share of each district it covers, to estimate
the people affected).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon, mapping, shape
from shapely.ops import unary_union

from console.geo import LocalProjection


def projection_for(city: Any) -> LocalProjection:
    lat, lon = city.center
    return LocalProjection(lat, lon)


def _to_lonlat(proj: LocalProjection):
    def back(xy: np.ndarray) -> np.ndarray:
        lat, lon = proj.to_latlon(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return back


def buffered_area(points: Iterable[tuple[float, float, float]], proj: LocalProjection) -> Any:
    """Union of circles (lat, lon, radius m) as one lon/lat geometry; None when there are none."""
    circles = [Point(*proj.to_xy(lat, lon)).buffer(r, quad_segs=12) for lat, lon, r in points if r > 0]
    if not circles:
        return None
    return shapely.transform(unary_union(circles), _to_lonlat(proj))


def service_areas(sites: list[tuple[str, float, float]], city: Any) -> dict[str, Any]:
    """Nearest-site cells (Voronoi) of (id, lat, lon) sites, clipped to the city: a site's service
    area when the network's real feeder map is not known (an approximation, and said so)."""
    if not sites:
        return {}
    boundary = city_outline(city)
    if len(sites) == 1:
        return {sites[0][0]: boundary}
    pts = MultiPoint([(lon, lat) for _id, lat, lon in sites])
    cells = shapely.voronoi_polygons(pts, extend_to=boundary.envelope.buffer(0.05))
    out: dict[str, Any] = {}
    for cell in cells.geoms:
        for sid, lat, lon in sites:
            if cell.covers(Point(lon, lat)) and sid not in out:
                out[sid] = cell.intersection(boundary)
                break
    return out


_OUTLINES: dict[int, Any] = {}


def city_outline(city: Any) -> Any:
    key = id(city)
    if key not in _OUTLINES:
        _OUTLINES[key] = unary_union(
            [shape(f["geometry"]) for f in city.districts_geojson()["features"]]
        ).buffer(0)
    return _OUTLINES[key]


def geojson(geometry: Any) -> dict[str, Any] | None:
    """A lon/lat shapely geometry as a GeoJSON geometry for a MapFeature (None when empty)."""
    if geometry is None or geometry.is_empty:
        return None
    if geometry.geom_type not in ("Polygon", "MultiPolygon", "LineString", "MultiLineString", "Point"):
        polys = [g for g in getattr(geometry, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
        if not polys:
            return None
        geometry = unary_union(polys)
    return mapping(geometry)


def cap_polygons(geometry: Any, max_points: int = 60) -> list[list[tuple[float, float]]]:
    """Closed rings of (lat, lon) for CAP <polygon> (outer rings only; CAP has no holes), each
    simplified until it has at most `max_points` points."""
    if geometry is None or geometry.is_empty:
        return []
    polys = [geometry] if geometry.geom_type == "Polygon" else list(getattr(geometry, "geoms", []))
    rings = []
    for poly in polys:
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        ring, tol = poly.exterior, 0.0002
        while len(ring.coords) > max_points:
            ring = Polygon(ring).simplify(tol, preserve_topology=True).exterior
            tol *= 2
        coords = [(round(lat, 5), round(lon, 5)) for lon, lat in ring.coords]
        if coords[0] != coords[-1]:
            coords.append(coords[0])
        if len(coords) >= 4:
            rings.append(coords)
    return rings


@dataclass(frozen=True)
class DistrictShare:
    district: Any  # console.city.District
    share: float  # fraction of the district's area inside the area (0..1)

    @property
    def people(self) -> float:
        """People in the covered part, assuming they are spread evenly over the district."""
        return self.district.population * self.share


def districts_in(city: Any, geometry: Any, min_share: float = 0.01) -> list[DistrictShare]:
    """Districts the area covers, with the covered share of each (largest first)."""
    if geometry is None or geometry.is_empty or city is None:
        return []
    out = []
    for d in city.districts:
        poly = shape(d.geometry) if d.geometry else Polygon(d.ring)
        if not poly.intersects(geometry):
            continue
        share = poly.intersection(geometry).area / poly.area if poly.area else 0.0
        if share >= min_share:
            out.append(DistrictShare(d, min(1.0, share)))
    return sorted(out, key=lambda s: s.share, reverse=True)


_ROAD_LINES: dict[int, np.ndarray] = {}


def _road_lines(city: Any) -> np.ndarray:
    key = id(city)
    if key not in _ROAD_LINES:
        lines = []
        for road in city.roads:
            (alat, alon), (blat, blon) = city.road_coords(road)
            lines.append(LineString([(alon, alat), (blon, blat)]))
        _ROAD_LINES[key] = np.array(lines, dtype=object)
    return _ROAD_LINES[key]


def roads_within(city: Any, geometry: Any) -> list[Any]:
    """Roads (console.city.Road) that cross the area (one vectorised test over all roads)."""
    if geometry is None or geometry.is_empty or city is None:
        return []
    hits = shapely.intersects(_road_lines(city), geometry)
    return [road for road, hit in zip(city.roads, hits.tolist(), strict=True) if hit]
