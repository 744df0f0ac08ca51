"""The simulated city: fleet + fixed sites + 137 reports, driven by a scenario, one tick at a time.

`World.step()` advances simulated time by `dt` and returns the Readings each source emits on that
tick ({source id: [Reading, ...]}), with per-source sequence numbers. Message times are
`start_ns + tick * dt`, so a run is reproducible from (seed, scenario, vehicles, start_ns).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from console.catalog import TOPICS, stale_after_for
from console.city import City, load_city
from console.geo import haversine_m_np
from console.i18n import local_time
from console.model import Reading, now_ns
from console.sim.effects import Effects, EffectState, PlannedReport
from console.sim.elements import TrafficElements
from console.sim.fleet import BUS, SERVICE, TAXI, Fleet, split_fleet
from console.sim.graph import RoadGraph
from console.sim.intercity import Intercity
from console.sim.parks import Parks
from console.sim.physics import day_of_year, sun_elevation_deg
from console.sim.reports import BACKGROUND, CATEGORIES, photo_data_uri, report_text
from console.sim.scenario import Scenario, load_scenario
from console.sim.sensors import Air, Clock, Gauges, Parking, Solar, Substations, Traffic, Weather
from console.sim.taxis import TaxiMarket
from console.sim.transit import BusNetwork
from console.sim.works import Works


@dataclass(frozen=True)
class SourceDef:
    id: str
    topic: str
    period_s: float  # 0: event-driven

    @property
    def etype(self) -> str:
        return TOPICS[self.topic][0]

    @property
    def title_fa(self) -> str:
        return TOPICS[self.topic][1]

    @property
    def title_en(self) -> str:
        return TOPICS[self.topic][2]

    @property
    def stale_after_s(self) -> float:
        return stale_after_for(self.etype)


SOURCES: tuple[SourceDef, ...] = (
    SourceDef("sim.bus", "vehicle/bus", 1.0),
    SourceDef("sim.taxi", "vehicle/taxi", 1.0),
    SourceDef("sim.service", "vehicle/service", 1.0),
    SourceDef("sim.traffic", "traffic/segment", 5.0),
    SourceDef("sim.air", "air/station", 10.0),
    SourceDef("sim.parking", "parking/lot", 30.0),
    SourceDef("sim.substation", "energy/substation", 5.0),
    SourceDef("sim.solar", "energy/solar", 10.0),
    SourceDef("sim.water", "water/gauge", 10.0),
    SourceDef("sim.weather", "weather/station", 30.0),
    SourceDef("sim.terminal", "transit/terminal", 30.0),
    SourceDef("sim.137", "report/137", 0.0),
    # what the departments' own systems add (console/sim/elements, transit, intercity, taxis, works, parks)
    SourceDef("sim.element", "traffic/element", 10.0),
    SourceDef("sim.route", "transit/route", 60.0),
    SourceDef("sim.intercity", "transit/service", 30.0),
    SourceDef("sim.demand", "taxi/demand", 30.0),
    SourceDef("sim.works", "works/site", 30.0),
    SourceDef("sim.parks", "parks/green", 60.0),
    SourceDef("sim.facility", "parks/facility", 60.0),
)
SOURCE_BY_ID = {s.id: s for s in SOURCES}
BACKGROUND_REPORTS_PER_MIN = 0.6
BLOCKED_FACTOR = 0.3  # a road slowed below this share of its speed is avoided (buses detour)
FLEETS = {"bus": BUS, "taxi": TAXI, "service": SERVICE}


class World:
    def __init__(
        self,
        *,
        scenario: Scenario | str = "calm",
        seed: int = 1405,
        vehicles: int = 1400,
        start_ns: int | None = None,
        dt: float = 1.0,
        city: City | None = None,
        timezone: str = "Asia/Tehran",
    ):
        self.scenario = load_scenario(scenario) if isinstance(scenario, str) else scenario
        self.seed = seed
        self.city = city or load_city("qom")
        self.graph = RoadGraph(self.city)
        self.dt = dt
        self.start_ns = now_ns() if start_ns is None else start_ns
        self.tz = timezone
        self.tick = 0
        root = np.random.default_rng(seed)
        rngs = root.spawn(12)
        self.fleet = Fleet(self.graph, split_fleet(vehicles), rngs[0])
        self.traffic = Traffic(self.graph, rngs[1])
        places = self.city.places
        self.air = Air(places["air"], rngs[2])
        self.parking = Parking(places["parking"], rngs[3])
        self.substations = Substations(places["substation"], rngs[4])
        self.solar = Solar(places["solar"], rngs[5])
        self.gauges = Gauges(places["gauge"], rngs[6])
        self.weather = Weather(places["weather"], rngs[7])
        self.terminals = Intercity(places["terminal"], rngs[8])
        self.effects = Effects(self.scenario, self.city, self.graph, rngs[9])
        extra = root.spawn(6)  # spawned after the first 12, so the older models' streams stay as they were
        self.elements = TrafficElements(self.graph, places["substation"], extra[0])
        self.network = BusNetwork(self.fleet, self.graph, extra[1])
        self.market = TaxiMarket(self.fleet, self.graph, self.city, extra[2])
        self.works = Works(self.graph, self.fleet, extra[3])
        self.parks = Parks(places.get("green", []), places["substation"], extra[4])
        self._broken: dict[int, np.ndarray] = {}  # breakdown event -> vehicles standing
        self._last_due: dict[str, float] = {}
        self._report_rng = rngs[10]
        self._text_rng = random.Random(seed * 7919 + 137)
        self._planned: list[PlannedReport] = list(self.effects.reports)
        self._report_no = 0
        self.next_seq: dict[str, int] = {s.id: 1 for s in SOURCES}
        self.round_start: dict[str, int] = {s.id: 1 for s in SOURCES}
        self._period_ticks = {s.id: max(1, round(s.period_s / dt)) if s.period_s else 0 for s in SOURCES}
        self.silenced: set[str] = set()
        self.rebase(self.start_ns)

    def rebase(self, start_ns: int) -> None:
        """Move the clock's origin (before the first tick: when the server actually starts ticking)."""
        self.start_ns = start_ns
        local = local_time(start_ns, self.timezone_name)
        self._hour0 = local.hour + local.minute / 60 + local.second / 3600
        self.terminals.timetable(self._hour0)
        self.fleet.lay_out(self.traffic.expected(self._hour0))  # buses start on the hour's timetable

    @property
    def timezone_name(self) -> str:
        return self.tz

    @property
    def s(self) -> float:
        """Simulated seconds since the start."""
        return self.tick * self.dt

    def t_ns(self) -> int:
        return self.start_ns + round(self.s * 1e9)

    def t_of(self, s: float) -> int:
        """The message time (ns) of simulated second s."""
        return self.start_ns + round(s * 1e9)

    def clock(self) -> Clock:
        t_utc = self.t_ns() / 1e9
        lat, lon = self.city.center
        return Clock(
            hour=(self._hour0 + self.s / 3600.0) % 24,
            sun=sun_elevation_deg(t_utc, lat, lon),
            doy=day_of_year(t_utc),
        )

    # -- one tick -----------------------------------------------------------------------------------
    def step(self) -> dict[str, list[Reading]]:
        s, dt = self.s, self.dt
        moving = dt if self.tick else 0.0
        fx = self.effects.state(s)
        self.silenced = fx.silenced
        clock = self.clock()
        self.weather.update(clock, fx)
        self.works.update(s, moving, fx)
        fx.road_factor = fx.road_factor * self.works.road_factor()
        self.traffic.update(clock, fx)
        self._breakdowns(fx)
        schedule = self.traffic.expected(clock.hour)
        self.fleet.step(moving, self.traffic.speed, schedule, fx.road_factor < BLOCKED_FACTOR)
        lat, lon, _hdg = self.fleet.positions()
        self.network.update(fx, lat, lon)
        self.market.step(s, moving, clock, fx, lat, lon)
        self.terminals.update(s, moving, clock, fx)
        self.gauges.update(moving, fx)
        due = {sid for sid, k in self._period_ticks.items() if k and self.tick % k == 0} - fx.silenced
        t = self.t_ns()
        out: dict[str, list[Reading]] = {}
        if "sim.air" in due:
            self.air.update(clock, fx, float(np.mean(self.weather.wind)))
        if "sim.parking" in due:
            self.parking.update(clock, fx)
        if "sim.substation" in due or fx.outage is not None:
            self.substations.update(clock, fx)
        if "sim.solar" in due:
            self.solar.update(clock, fx)
        if "sim.element" in due:
            self.elements.update(s, fx, self.traffic)
        if "sim.parks" in due or "sim.facility" in due:
            self.parks.update(self._since("parks", s), clock, fx, float(np.mean(self.weather.temp)))
        for kind, sid in ((BUS, "sim.bus"), (TAXI, "sim.taxi"), (SERVICE, "sim.service")):
            if sid in due:
                out[sid] = self._vehicles(kind, sid, t, (lat, lon, _hdg))
        sites = {
            "sim.traffic": self.traffic.rows,
            "sim.air": self.air.rows,
            "sim.parking": self.parking.rows,
            "sim.substation": self.substations.rows,
            "sim.solar": self.solar.rows,
            "sim.water": self.gauges.rows,
            "sim.weather": self.weather.rows,
            "sim.terminal": self.terminals.rows,
            "sim.element": self.elements.rows,
            "sim.route": lambda: self.network.route_rows(schedule),
            "sim.intercity": lambda: self.terminals.service_rows(self.t_of),
            "sim.demand": self.market.rows,
            "sim.works": lambda: self.works.rows(self.t_of),
            "sim.parks": self.parks.rows,
            "sim.facility": self.parks.facility_rows,
        }
        for sid, rows in sites.items():
            if sid in due:
                out[sid] = self._sites(sid, rows(), t)
        if "sim.137" not in fx.silenced:
            reports = self._reports(s, dt, t, fx)
            if reports:
                out["sim.137"] = reports
                self.works.observe(reports)
        for sid, items in out.items():
            self.round_start[sid] = items[0].seq if items else self.next_seq[sid]
        self.tick += 1
        return out

    def _since(self, key: str, s: float) -> float:
        """Seconds since a periodic model last advanced (0 the first time)."""
        last = self._last_due.get(key)
        self._last_due[key] = s
        return 0.0 if last is None else s - last

    def _breakdowns(self, fx: EffectState) -> None:
        """Vehicles a scenario's `breakdown` stops: the nearest ones when it starts, until it ends."""
        active = {b.event for b in fx.breakdowns}
        for event in [e for e in self._broken if e not in active]:
            self.fleet.held[self._broken.pop(event)] = False
        for b in fx.breakdowns:
            if b.event in self._broken:
                continue
            f = self.fleet
            candidates = np.flatnonzero((f.kind == FLEETS[b.fleet]) & ~f.held)
            lat, lon, _ = f.positions()
            d = haversine_m_np(b.lat, b.lon, lat[candidates], lon[candidates])
            chosen = candidates[np.argsort(d, kind="stable")[: b.count]]
            f.held[chosen] = True
            self._broken[b.event] = chosen

    def _seqs(self, sid: str, n: int) -> range:
        """Reserve n sequence numbers of a source (a silenced source reserves none, so it has no gaps)."""
        first = self.next_seq[sid]
        self.next_seq[sid] = first + n
        return range(first, first + n)

    def _vehicles(self, kind: int, sid: str, t: int, pos: tuple[np.ndarray, ...]) -> list[Reading]:
        f = self.fleet
        idx = np.flatnonzero(f.kind == kind)
        if not len(idx):
            return []
        lat, lon, hdg = pos
        spd = f.displayed_speed()
        lat_l, lon_l = np.round(lat[idx], 6).tolist(), np.round(lon[idx], 6).tolist()
        hdg_l = np.rint(hdg[idx]).astype(np.int64).tolist()
        spd_l = np.round(spd[idx], 1).tolist()
        idx_l = idx.tolist()
        if kind == BUS:
            occ = np.rint(f.occupancy[idx]).astype(np.int64).tolist()
            more_values, more_attrs = self.network.extras(idx)
            values = [
                {"speed": v, "heading": h, "occupancy": o, **m}
                for v, h, o, m in zip(spd_l, hdg_l, occ, more_values, strict=True)
            ]
            attrs = [
                {"route": f.routes[r].id if r >= 0 else "", **m}
                for r, m in zip(f.route[idx].tolist(), more_attrs, strict=True)
            ]
        else:
            values = [{"speed": v, "heading": h} for v, h in zip(spd_l, hdg_l, strict=True)]
            if kind == TAXI:
                attrs = [
                    {"status": "hired" if h else "free", "payment": pay}
                    for h, pay in zip(f.hired[idx].tolist(), self.market.payment(), strict=True)
                ]
            else:
                crews = self.works.crews()
                attrs = [
                    {"task": f.task[i], "status": "available"}
                    if i not in crews
                    else {"task": f.task[i], "status": crews[i][0], "site": crews[i][1]}
                    for i in idx_l
                ]
        ids, topic = f.ids, SOURCE_BY_ID[sid].topic
        return [
            Reading(
                source=sid,
                seq=q,
                topic=topic,
                entity=ids[i],
                etype="Vehicle",
                t=t,
                values=v,
                attrs=a,
                lat=la,
                lon=lo,
            )
            for q, i, v, a, la, lo in zip(
                self._seqs(sid, len(idx_l)), idx_l, values, attrs, lat_l, lon_l, strict=True
            )
        ]

    def _sites(self, sid: str, rows, t: int) -> list[Reading]:
        d = SOURCE_BY_ID[sid]
        rows = list(rows)
        return [
            Reading(
                source=sid,
                seq=q,
                topic=d.topic,
                entity=e,
                etype=d.etype,
                t=t,
                values=v,
                attrs=a,
                lat=la,
                lon=lo,
            )
            for q, (e, v, a, la, lo) in zip(self._seqs(sid, len(rows)), rows, strict=True)
        ]

    # -- 137 ----------------------------------------------------------------------------------------
    def _reports(self, s: float, dt: float, t: int, fx) -> list[Reading]:
        due: list[tuple[str, float, float]] = []
        while self._planned and self._planned[0].s < s + dt:
            p = self._planned.pop(0)
            due.append((p.category, p.lat, p.lon))
        rng = self._report_rng
        for _ in range(int(rng.poisson(BACKGROUND_REPORTS_PER_MIN * dt / 60.0))):
            cats = list(BACKGROUND)
            w = np.array([BACKGROUND[c] for c in cats], dtype=float)
            cat = cats[int(rng.choice(len(cats), p=w / w.sum()))]
            node = int(rng.integers(len(self.graph.node_ids)))
            due.append(
                (
                    cat,
                    float(self.graph.lat[node] + rng.normal(0, 0.002)),
                    float(self.graph.lon[node] + rng.normal(0, 0.002)),
                )
            )
        return [self._report(cat, lat, lon, t, fx) for cat, lat, lon in due]

    def _report(self, category: str, lat: float, lon: float, t: int, fx) -> Reading:
        self._report_no += 1
        no = self._report_no
        cat = CATEGORIES[category]
        g = self.graph
        road = int(np.argmin(haversine_m_np(lat, lon, g.road_mid_lat, g.road_mid_lon)))
        street = g.roads[road].name_fa
        district = self.city.district_at(lat, lon)
        district_fa = district.name_fa if district else "خارج از محدوده"
        rid = f"137-{self.seed % 1000:03d}{no:06d}"
        local = local_time(t, self.tz)
        image, digest = photo_data_uri(category, self.seed * 1_000_003 + no, f"{rid} {local:%H:%M}")
        attrs: dict[str, Any] = {
            "report_id": rid,
            "category": category,
            "category_fa": cat.title_fa,
            "category_en": cat.title_en,
            "text": report_text(category, street, district_fa, self._text_rng),
            "street": street,
            "segment": g.roads[road].id,
            "district": district.id if district else "outside",
            "district_fa": district_fa,
            "status": "new",
            "image": image,
            "image_sha256": digest,
        }
        if fx.quake is not None and category in (
            "building_damage",
            "gas_leak",
            "trapped_people",
            "power_outage",
        ):
            attrs["cause"] = "earthquake"
        return Reading(
            source="sim.137",
            seq=self._seqs("sim.137", 1)[0],
            topic="report/137",
            entity=rid,
            etype="CitizenReport",
            t=t,
            values={"count": 1.0, "urgency": float(cat.urgency)},
            attrs=attrs,
            lat=round(lat, 6),
            lon=round(lon, 6),
        )


def play(
    scenario: str = "calm",
    seconds: float = 600.0,
    *,
    seed: int = 1405,
    vehicles: int = 1400,
    start_ns: int = 1_795_000_000 * 10**9,
    dt: float = 1.0,
):
    """Offline, as fast as the CPU allows: yields (sim seconds, {source: [Reading]}) tick by tick.

    For tests of rules and views: `for s, batch in play("flood", 900): ...` is deterministic.
    """
    world = World(scenario=scenario, seed=seed, vehicles=vehicles, start_ns=start_ns, dt=dt)
    while world.s < seconds:
        s = world.s
        yield s, world.step()
