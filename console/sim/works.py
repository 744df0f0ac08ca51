"""Civil works: planned work sites (contractors, at most a lane closed) and emergency works that a
scenario's damage calls for, each with its crew, progress and the road closure it imposes.

Planned sites exist from the start and progress slowly. Emergency sites are opened by the works
department a few minutes after citizen reports of flooding, blocked roads or building damage (one
site per 400 m); the nearest free service vehicle with a fitting task is sent there along the road
graph (avoiding blocked roads) and works until the job is done, then it is free again. Once the crew
is at work, a full closure blocks the segment (traffic crawls, vehicles route around it) and a lane
closure slows it.

Published every 30 s on `works/site` (WorkSite): values {progress (%), lanes_closed}; attrs {kind:
planned|emergency, task, status: reported|dispatched|in_progress|done, closure: none|lane|full (in
force), closure_planned (what the site will impose once work starts), segment, crew (vehicle id or
contractor; crew_fa/crew_en name a contractor), crew_status: none|en_route|on_site|contractor,
opened (int ns), name_fa, name_en, district}. Service vehicles (`vehicle/service`) gain attrs {status:
available|en_route|on_site, site}.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from console.geo import haversine_m
from console.model import Reading
from console.sim.effects import EffectState
from console.sim.fleet import SERVICE, Fleet
from console.sim.graph import RoadGraph
from console.sim.sensors import Row

# report category -> (task, closure, fitting vehicle tasks, minutes of work)
EMERGENCY = {
    "flooding": ("drainage", "full", ("water-network", "road-maintenance", "street-cleaning"), (25, 50)),
    "road_blocked": ("debris", "full", ("road-maintenance", "street-cleaning", "green-space"), (20, 40)),
    "building_damage": ("shoring", "lane", ("road-maintenance",), (40, 80)),
}
PLANNED = (
    ("asphalt", "lane"),
    ("water-network", "lane"),
    ("sewer", "none"),
    ("road-maintenance", "lane"),
    ("green-space", "none"),
    ("street-lighting", "none"),
)
TASK_NAMES = {
    "asphalt": ("آسفالت", "Resurfacing"),
    "water-network": ("شبکهٔ آب", "Water main"),
    "sewer": ("فاضلاب", "Sewer"),
    "road-maintenance": ("نگهداری معابر", "Road maintenance"),
    "green-space": ("فضای سبز", "Green space"),
    "street-lighting": ("روشنایی معابر", "Street lighting"),
    "drainage": ("تخلیهٔ آب‌گرفتگی", "Flood drainage"),
    "debris": ("آواربرداری", "Debris clearance"),
    "shoring": ("ایمن‌سازی ساختمان", "Building shoring"),
}
CONTRACTORS = (  # (fa, en)
    ("پیمانکار عمران‌سازان", "Omran-Sazan (contractor)"),
    ("پیمانکار راه‌آوران", "Rah-Avaran (contractor)"),
    ("پیمانکار آبفا", "Abfa (contractor)"),
    ("پیمانکار سبزینه", "Sabzineh (contractor)"),
)
MERGE_RADIUS_M = 400.0
CLOSURE_FACTOR = {"none": 1.0, "lane": 0.7, "full": 0.12}


@dataclass
class Site:
    id: str
    kind: str
    task: str
    closure: str
    road: int
    lat: float
    lon: float
    opened_s: float
    status: str = "reported"
    crew: int = -1  # fleet index, -1: a contractor or nobody yet
    contractor: tuple[str, str] = ("", "")
    progress: float = 0.0
    work_s: float = 3600.0
    done_s: float | None = None
    fits: tuple[str, ...] = field(default_factory=tuple)


class Works:
    def __init__(self, graph: RoadGraph, fleet: Fleet, rng: np.random.Generator):
        self.g = graph
        self.fleet = fleet
        self.rng = rng
        self.sites: list[Site] = []
        self.pending: list[tuple[float, str, float, float, int]] = []  # (open at s, category, lat, lon, road)
        self.count = 0
        self.s = 0.0
        major = [ri for ri, c in enumerate(graph.road_cls) if c in ("arterial", "ring")]
        local = [ri for ri, c in enumerate(graph.road_cls) if c == "local"]
        for k, (task, closure) in enumerate(PLANNED):  # a lane closed on main roads, verge works elsewhere
            pool = major if closure == "lane" else local
            ri = int(pool[int(rng.integers(len(pool)))]) if pool else int(rng.integers(len(graph.roads)))
            site = self._new("planned", task, closure, ri, -float(rng.uniform(2, 30)) * 86400.0)
            site.status, site.contractor = "in_progress", CONTRACTORS[k % len(CONTRACTORS)]
            site.progress = float(rng.uniform(10, 80))
            site.work_s = float(rng.uniform(10, 40)) * 86400.0

    def _new(self, kind: str, task: str, closure: str, road: int, opened_s: float) -> Site:
        self.count += 1
        g = self.g
        site = Site(
            id=f"ws-{self.count:03d}",
            kind=kind,
            task=task,
            closure=closure,
            road=road,
            lat=float(g.road_mid_lat[road]),
            lon=float(g.road_mid_lon[road]),
            opened_s=opened_s,
        )
        self.sites.append(site)
        return site

    # -- reports -> emergency sites ---------------------------------------------------------------
    def observe(self, reports: list[Reading]) -> None:
        for r in reports:
            if r.attrs.get("category") not in EMERGENCY or r.lat is None:
                continue
            road = self.g.road_index.get(str(r.attrs.get("segment", "")))
            if road is None:
                continue
            near = any(
                haversine_m(r.lat, r.lon, la, lo) < MERGE_RADIUS_M
                for _t, c, la, lo, _r in self.pending
                if c == r.attrs["category"]
            ) or any(
                s.status != "done"
                and s.kind == "emergency"
                and haversine_m(r.lat, r.lon, s.lat, s.lon) < MERGE_RADIUS_M
                for s in self.sites
            )
            if not near:
                delay = float(self.rng.uniform(120.0, 420.0))  # triage at the works desk
                self.pending.append((self.s + delay, r.attrs["category"], r.lat, r.lon, road))

    # -- one tick ---------------------------------------------------------------------------------
    def update(self, s: float, dt: float, fx: EffectState) -> None:
        self.s = s
        f = self.fleet
        for item in [p for p in self.pending if p[0] <= s]:
            self.pending.remove(item)
            _at, category, _lat, _lon, road = item
            task, closure, fits, minutes = EMERGENCY[category]
            site = self._new("emergency", task, closure, road, s)
            site.fits = fits
            site.work_s = float(self.rng.uniform(*minutes)) * 60.0
        for site in self.sites:
            if site.kind == "emergency" and site.status in ("reported", "dispatched") and site.crew < 0:
                self._dispatch(site)
            if site.status == "dispatched" and f.held[site.crew] and site.crew not in f.plan:
                site.status = "in_progress"
            if site.status == "in_progress":
                site.progress = min(100.0, site.progress + 100.0 * dt / site.work_s)
                if site.progress >= 100.0:
                    site.status, site.done_s = "done", s
                    if site.crew >= 0:
                        f.release(site.crew)
        self.sites = [x for x in self.sites if x.done_s is None or s - x.done_s < 600.0]

    def _dispatch(self, site: Site) -> None:
        f = self.fleet
        busy = {x.crew for x in self.sites if x.crew >= 0 and x.status != "done"}
        free = [
            i
            for i in np.flatnonzero(f.kind == SERVICE).tolist()
            if i not in busy and not f.held[i] and i not in f.plan
        ]
        if not free:
            return
        g = self.g
        target = int(g.road_a[site.road])
        lat, lon = f.positions()[:2]
        dist = {i: haversine_m(site.lat, site.lon, float(lat[i]), float(lon[i])) for i in free}
        fitting = [i for i in free if f.task[i] in site.fits] or free
        crew = min(fitting, key=lambda i: (dist[i], i))
        if f.send(crew, target):
            site.crew, site.status = crew, "dispatched"

    def road_factor(self) -> np.ndarray:
        """Closures in force: a site closes its road once work is under way (its crew has set up)."""
        factor = np.ones(len(self.g.roads))
        for site in self.sites:
            if site.status == "in_progress":
                factor[site.road] = min(factor[site.road], CLOSURE_FACTOR[site.closure])
        return factor

    def crews(self) -> dict[int, tuple[str, str]]:
        """Service vehicles at work: fleet index -> (en_route|on_site, site id); the others are available."""
        return {
            site.crew: ("on_site" if site.status == "in_progress" else "en_route", site.id)
            for site in self.sites
            if site.crew >= 0 and site.status in ("dispatched", "in_progress")
        }

    def rows(self, t_of: Callable[[float], int]) -> Iterator[Row]:
        g, f = self.g, self.fleet
        for site in self.sites:
            road = g.roads[site.road]
            fa, en = TASK_NAMES[site.task]
            crew_names = {}
            if site.contractor[0]:
                crew, crew_status = site.contractor[1], "contractor"
                crew_names = {"crew_fa": site.contractor[0], "crew_en": site.contractor[1]}
            elif site.crew >= 0:
                crew = f.ids[site.crew]
                crew_status = "on_site" if site.status in ("in_progress", "done") else "en_route"
            else:
                crew, crew_status = "", "none"
            closure = site.closure if site.status == "in_progress" else "none"  # in force once work started
            lanes = {"none": 0, "lane": 1, "full": int(g.lanes[site.road])}[closure]
            yield (
                site.id,
                {"progress": float(round(site.progress)), "lanes_closed": float(lanes)},
                {
                    "kind": site.kind,
                    "task": site.task,
                    "status": site.status,
                    "closure": closure,
                    "closure_planned": site.closure if site.status != "done" else "none",
                    "segment": road.id,
                    "crew": crew,
                    "crew_status": crew_status,
                    **crew_names,
                    "opened": t_of(site.opened_s),
                    "name_fa": f"{fa} — {road.name_fa}",
                    "name_en": f"{en} — {road.name_en}",
                    "district": road.district,
                },
                round(site.lat, 6),
                round(site.lon, 6),
            )
