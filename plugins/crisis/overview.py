"""The crisis cell's picture of the city, Qt-free.

- `build_overview`: the active alarms (Unacknowledged- or Acknowledged-Active, from the alarm
  engine) by district and priority, the districts they affect and an estimate of the people in the
  alarm areas. An alarm affects people when its priority is at least `affected_min_priority`. Its area
  is its CAP geometry, else a circle: the count rule's radius for clusters, an assumed radius per
  priority for point alarms (crisis.toml). People are estimated from district populations assuming
  uniform density (share of each district's area covered × its population) and labelled so.
- `nearest_vehicles`: available vehicles (not stale, status not unavailable) nearest to a place by
  travel time on the road network (routing.py), prefiltered by straight-line distance; without a road
  graph the straight line is used and said to be.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, Polygon, shape
from shapely.ops import unary_union

from console.geo import LocalProjection
from console.mapstyle import KINDS
from console.model import Priority

from .routing import RoadRouter, RoutingParams, straight_line

ACTIVE = ("unack", "acked")
UNPLACED = ""  # district id of alarms without a place (composites, city-wide)


# -- configuration -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DispatchConfig:
    kinds: tuple[str, ...] = ("service", "taxi", "bus")
    candidates: int = 8
    prefilter: int = 60
    unavailable: frozenset[str] = frozenset()
    routing: RoutingParams = field(default_factory=RoutingParams)


@dataclass(frozen=True)
class CapDefaults:
    expires_h: float = 6.0
    instruction: dict[Priority, tuple[str, str]] = field(default_factory=dict)  # (fa, en)


@dataclass(frozen=True)
class CrisisConfig:
    affected_min: Priority = Priority.SEVERE
    point_radius_m: dict[Priority, float] = field(default_factory=dict)
    dispatch: DispatchConfig = field(default_factory=DispatchConfig)
    cap: CapDefaults = field(default_factory=CapDefaults)


def _priority(value: Any, where: str) -> Priority:
    try:
        return Priority[str(value).strip().upper()]
    except KeyError:
        names = ", ".join(p.name.lower() for p in Priority)
        raise ValueError(f"{where}: {value!r} is not one of {names}") from None


def load_config(path: Path) -> CrisisConfig:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    where = path.name
    radii = {
        _priority(k, f"{where}: point_radius_m"): float(v) for k, v in raw.get("point_radius_m", {}).items()
    }
    d = raw.get("dispatch", {})
    kinds = tuple(d.get("kinds", ("service", "taxi", "bus")))
    known = {name for name, _ in KINDS.values()}
    bad = [k for k in kinds if k not in known]
    if bad:
        raise ValueError(f"{where}: dispatch.kinds {bad} are not entity kinds")
    dispatch = DispatchConfig(
        kinds=kinds,
        candidates=int(d.get("candidates", 8)),
        prefilter=int(d.get("prefilter", 60)),
        unavailable=frozenset(str(s).casefold() for s in d.get("unavailable", ())),
        routing=RoutingParams(
            free_flow_factor=float(d.get("free_flow_factor", 0.8)),
            min_speed_kmh=float(d.get("min_speed_kmh", 5.0)),
            access_speed_kmh=float(d.get("access_speed_kmh", 20.0)),
        ),
    )
    c = raw.get("cap", {})
    instruction = {
        _priority(k, f"{where}: cap.instruction"): (str(v["fa"]), str(v["en"]))
        for k, v in c.get("instruction", {}).items()
    }
    return CrisisConfig(
        affected_min=_priority(raw.get("affected_min_priority", "severe"), f"{where}: affected_min_priority"),
        point_radius_m=radii,
        dispatch=dispatch,
        cap=CapDefaults(
            expires_h=float(c.get("expires_h", 6.0)),
            instruction=instruction,
        ),
    )


# -- areas ---------------------------------------------------------------------------------------------
class CityAreas:
    """District polygons in local metres, for overlaying alarm areas (shapely)."""

    def __init__(self, city):
        self.city = city
        self.proj = LocalProjection(*city.center)
        self.districts = {d.id: d for d in city.districts}
        self.shapes = {
            d.id: self.to_metres(shape(d.geometry) if d.geometry else Polygon(d.ring)) for d in city.districts
        }

    def to_metres(self, geom):
        """A lon/lat geometry on the city's local metric plane."""
        return shapely.transform(
            geom, lambda lonlat: np.column_stack(self.proj.to_xy(lonlat[:, 1], lonlat[:, 0]))
        )

    def alarm_area(self, alarm: Any, radius_m: float | None):
        """The area an alarm covers, in local metres, or None (no place, or a point with no radius)."""
        if alarm.geometry:
            try:
                return self.to_metres(shape(alarm.geometry))
            except (ValueError, TypeError, AttributeError):
                pass  # an unusable geometry falls back to the alarm's point
        if alarm.lat is None or alarm.lon is None or not radius_m:
            return None
        x, y = self.proj.to_xy(alarm.lat, alarm.lon)
        return Point(float(x), float(y)).buffer(radius_m, quad_segs=16)

    def districts_touching(self, area) -> list[str]:
        return [did for did, poly in self.shapes.items() if poly.intersects(area)]

    def covered_share(self, union) -> dict[str, float]:
        """District id -> share (0..1) of its area inside `union`."""
        out = {}
        for did, poly in self.shapes.items():
            if poly.area > 0 and poly.intersects(union):
                out[did] = min(1.0, poly.intersection(union).area / poly.area)
        return out


# -- the overview --------------------------------------------------------------------------------------
@dataclass
class DistrictRow:
    id: str
    name_fa: str
    name_en: str
    population: int
    counts: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 5), 0))
    unacked: int = 0
    affected: bool = False
    share: float = 0.0  # of its area inside affecting alarm areas
    people: float = 0.0  # estimate: share × population

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def top(self) -> int:
        return max((p for p, n in self.counts.items() if n), default=0)

    def name(self, language: str) -> str:
        return self.name_fa if language == "fa" else self.name_en


@dataclass
class Overview:
    alarms: list[Any]  # active alarms, most urgent first
    districts: list[DistrictRow]  # every district, then the unplaced row
    affected_population: int  # people living in affected districts
    people_estimate: float  # people inside affecting alarm areas (uniform density)
    areas: dict[str, Any] = field(default_factory=dict)  # alarm id -> area (local metres) when affecting
    touched: dict[str, list[str]] = field(default_factory=dict)  # alarm id -> district ids its area touches

    @property
    def affected(self) -> list[DistrictRow]:
        return [d for d in self.districts if d.affected]

    def count(self, min_priority: int = 1) -> int:
        return sum(1 for a in self.alarms if int(a.priority) >= min_priority)


def is_active(alarm: Any) -> bool:
    return alarm.state.value in ACTIVE


def build_overview(
    alarms: Iterable[Any],
    areas: CityAreas | None,
    config: CrisisConfig,
    radius_of: Callable[[Any], float | None],
) -> Overview:
    active = sorted((a for a in alarms if is_active(a)), key=lambda a: (-int(a.priority), -a.raised_t))
    rows: dict[str, DistrictRow] = {}
    if areas is not None:
        for d in areas.city.districts:
            rows[d.id] = DistrictRow(d.id, d.name_fa, d.name_en, int(d.population))
    unplaced = DistrictRow(UNPLACED, "", "", 0)
    shapes, touched = {}, {}
    for a in active:
        row = rows.get(a.district, unplaced)
        row.counts[int(a.priority)] += 1
        row.unacked += a.state.value == "unack"
        if a.priority < config.affected_min:
            continue
        if a.district in rows:
            rows[a.district].affected = True
        area = areas.alarm_area(a, radius_of(a)) if areas is not None else None
        if area is not None and not area.is_empty:
            shapes[a.id] = area
            touched[a.id] = areas.districts_touching(area)
            for did in touched[a.id]:
                rows[did].affected = True
    estimate = 0.0
    if shapes:
        for did, share in areas.covered_share(unary_union(list(shapes.values()))).items():
            rows[did].share = share
            rows[did].people = share * rows[did].population
            estimate += rows[did].people
    districts = sorted(rows.values(), key=lambda r: (-r.top, -r.total, r.id))
    if unplaced.total:
        districts.append(unplaced)
    return Overview(
        alarms=active,
        districts=districts,
        affected_population=sum(r.population for r in districts if r.affected),
        people_estimate=estimate,
        areas=shapes,
        touched=touched,
    )


# -- dispatch ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    entity: str
    kind: str
    status: str  # what the vehicle says it is doing (status, task or route)
    lat: float
    lon: float
    straight_m: float
    metres: float  # on the road network, or the straight line when `method` says so
    seconds: float | None  # ETA; None when only the straight line is known
    method: str  # "road" | "straight"


@dataclass(frozen=True)
class Dispatch:
    candidates: list[Candidate]
    method: str  # "road" | "straight"
    live_segments: int = 0
    segments: int = 0
    considered: int = 0  # vehicles of the dispatch kinds that are fresh
    unavailable: int = 0  # of the prefiltered ones, refused for their status


def live_segment_speeds(entities: Any) -> dict[str, float]:
    """Fresh traffic-segment speeds (km/h) from entity state: segment id -> speed."""
    snap = entities.snapshot(["segment"])
    slots = snap["slot"]
    if not len(slots):
        return {}
    speeds = entities.values(slots, "speed")
    out = {}
    for slot, v, stale in zip(slots.tolist(), speeds.tolist(), snap["stale"].tolist(), strict=True):
        entity = entities.ids[slot]
        if entity and not stale and v == v:
            out[entity] = float(v)
    return out


def _status(reading: Any) -> str:
    if reading is None:
        return ""
    a = reading.attrs
    return str(a.get("status") or a.get("task") or a.get("route") or "")


def nearest_vehicles(
    entities: Any, lat: float, lon: float, config: DispatchConfig, router: RoadRouter | None
) -> Dispatch:
    entities.refresh()  # judge staleness now, not when the map last looked
    snap = entities.snapshot(config.kinds)
    fresh = ~snap["stale"]
    slots, vlat, vlon, kind = snap["slot"][fresh], snap["lat"][fresh], snap["lon"][fresh], snap["kind"][fresh]
    if not len(slots):
        return Dispatch([], "road" if router else "straight")
    straight = straight_line(lat, lon, vlat, vlon)
    order = np.argsort(straight)[: max(config.prefilter, config.candidates)]
    picked, refused = [], 0
    for i in order.tolist():
        info = entities.at_slot(int(slots[i]))
        if info is None or info.stale:
            continue
        status = _status(info.reading)
        if (
            str((info.reading.attrs.get("status") if info.reading else "") or "").casefold()
            in config.unavailable
        ):
            refused += 1
            continue
        picked.append((i, info.id, status))
    if not picked:
        return Dispatch([], "road" if router else "straight", considered=len(slots), unavailable=refused)
    idx = np.array([p[0] for p in picked])
    if router is not None:
        tree = router.tree(lat, lon, live_segment_speeds(entities))
        metres, seconds = router.route(tree, vlat[idx], vlon[idx])
        method, live, total = "road", tree.live_segments, tree.segments
    else:
        metres, seconds = straight[idx], np.full(len(idx), np.nan)
        method, live, total = "straight", 0, 0
    out = []
    for j, (i, entity, status) in enumerate(picked):
        road_ok = method == "road" and math.isfinite(float(seconds[j]))
        out.append(
            Candidate(
                entity=entity,
                kind=KINDS[int(kind[i])][0],
                status=status,
                lat=float(vlat[i]),
                lon=float(vlon[i]),
                straight_m=float(straight[i]),
                metres=float(metres[j]) if road_ok else float(straight[i]),
                seconds=float(seconds[j]) if road_ok else None,
                method="road" if road_ok else "straight",
            )
        )
    out.sort(key=lambda c: (c.seconds is None, c.seconds if c.seconds is not None else c.metres))
    return Dispatch(out[: config.candidates], method, live, total, len(slots), refused)
