"""Traffic control centre, Qt-free: segment speeds, congestion by district, slowest corridors,
accident detection and the traffic elements (signals, cameras, counters).

Accident detection: a segment whose speed over the last 15 s falls below `drop_ratio` of its own
recent past (the median of 1-10 minutes ago) by at least `drop_kmh` is a *sudden drop*; dropped
segments that touch (share an intersection) are one incident, since a crash's queue spills back
along the roads that feed it. A drop explained by a known work-zone closure is not an
incident. Citizen reports of an accident (categories in `report_categories`) within `report_radius_m`
of the incident's segments in the last `report_window_s` raise the confidence: 0.5 for a drop alone
(suspected), +0.2 per report (confirmed from 0.7). The incident clears when every segment is back to
`recover_ratio` of its speed before. Incidents are published on `derived/traffic/accident` (RoadAccident);
district figures on `derived/traffic/district`; rules.toml judges both.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from console.departments import Desk, Districts, KpiSpec, mean
from console.geo import haversine_m
from console.maplayers import FeatureStyle, MapFeature
from console.model import Reading

NS = 1_000_000_000
HISTORY_S = 660.0


@dataclass
class Segment:
    id: str
    name_fa: str
    name_en: str
    cls: str
    limit: float
    district: str
    length_m: float
    coords: list[list[float]]  # [[lon, lat], [lon, lat]]
    lat: float
    lon: float
    nodes: tuple[int, int] = (0, 0)


@dataclass
class Incident:
    id: str
    segments: dict[str, float]  # segment -> its speed before the drop
    lat: float
    lon: float
    detected: int
    district: str
    name_fa: str
    name_en: str
    reports: set[str] = field(default_factory=set)
    drop_pct: float = 0.0
    speed: float = 0.0
    status: str = "suspected"  # suspected | confirmed | explained | cleared

    @property
    def confidence(self) -> float:
        if self.status == "cleared":
            return 0.0
        if self.status == "explained":
            return 0.2
        return min(1.0, 0.5 + 0.2 * len(self.reports))


class TrafficDesk(Desk):
    def __init__(self, dept: Any):
        super().__init__(dept)
        self.districts = Districts(dept.city)
        self.segment_table = self.table()
        self.elements = self.table()
        self.segs: dict[str, Segment] = {}
        city = dept.city
        if city is not None:
            for r in city.roads:
                (la, lo), (lb, lob) = city.road_coords(r)
                self.segs[r.id] = Segment(
                    r.id,
                    r.name_fa,
                    r.name_en,
                    r.cls,
                    r.speed_limit_kmh,
                    r.district,
                    r.length_m,
                    [[round(lo, 6), round(la, 6)], [round(lob, 6), round(lb, 6)]],
                    (la + lb) / 2,
                    (lo + lob) / 2,
                    (r.a, r.b),
                )
        self.history: dict[str, deque[tuple[int, float]]] = {}
        self.reports: deque[tuple[int, str, float, float]] = deque()
        self.closed: dict[str, str] = {}  # segment -> work site explaining a slowdown there
        self.incidents: dict[str, Incident] = {}
        self.district_stats: dict[str, dict[str, float]] = {}
        self.corridors: list[dict[str, Any]] = []
        self.now = 0
        self._incident_no = 0
        self.incident_layer = self.layer(
            "traffic.incidents", "تصادف‌های تشخیص‌داده‌شده", "Detected accidents", 35,
            ("#ff6b6b", "تصادف تأییدشده", "Confirmed accident", "diamond"),
            ("#d29922", "افت ناگهانی سرعت", "Sudden speed drop", "diamond"),
        )  # fmt: skip
        self.slow_layer = self.layer(
            "traffic.slow", "معابر کند", "Slow segments", 15,
            ("#ff6b6b", "زیر ۲۵٪ سرعت مجاز", "Below 25% of the limit"),
            ("#d29922", "زیر ۵۰٪ سرعت مجاز", "Below 50% of the limit"),
        )  # fmt: skip

    # -- wiring ---------------------------------------------------------------------------------------
    def subscriptions(self):
        return {
            "traffic/segment": self.on_segments,
            "traffic/element": self.elements.on_readings,
            "report/137": self.on_reports,
            "works/site": self.on_works,
        }

    def layers(self):
        return [self.incident_layer, self.slow_layer]

    def kpis(self):
        return [
            KpiSpec(
                "mobility",
                "traffic.mean_speed",
                "سرعت میانگین شبکه",
                "Network mean speed",
                self.mean_speed,
                "km/h",
            ),
            KpiSpec(
                "mobility",
                "traffic.congestion",
                "شاخص تراکم شهر",
                "City congestion index",
                self.city_congestion,
                "%",
            ),
            KpiSpec(
                "infrastructure",
                "traffic.elements_online",
                "تجهیزات ترافیکی برخط",
                "Traffic elements online",
                self.elements_online_pct,
                "%",
            ),
            KpiSpec(
                "people", "traffic.open_accidents", "تصادف‌های باز", "Open accidents", self.open_accidents
            ),
        ]

    # -- inputs ---------------------------------------------------------------------------------------
    def on_reports(self, topic: str, items: list[Any]) -> None:
        cats = set(self.param("report_categories", ["accident", "road_blocked"]))
        with self.lock:
            for r in items:
                if isinstance(r, Reading) and r.lat is not None and r.attrs.get("category") in cats:
                    self.reports.append((r.t, r.entity, r.lat, r.lon))

    def on_works(self, topic: str, items: list[Any]) -> None:
        with self.lock:
            for r in items:
                if not isinstance(r, Reading):
                    continue
                seg = str(r.attrs.get("segment", ""))
                closure = r.attrs.get("closure_planned", r.attrs.get("closure", "none"))
                active = closure != "none" and r.attrs.get("status") != "done"
                if active:
                    self.closed[seg] = r.entity
                elif self.closed.get(seg) == r.entity:
                    del self.closed[seg]

    def on_segments(self, topic: str, items: list[Any]) -> None:
        self.segment_table.on_readings(topic, items)
        with self.lock:
            now = self.now
            for r in items:
                if not isinstance(r, Reading) or "speed" not in r.values:
                    continue
                h = self.history.setdefault(r.entity, deque())
                h.append((r.t, float(r.values["speed"])))
                now = max(now, r.t)
                while h and now - h[0][0] > HISTORY_S * NS:
                    h.popleft()
            self.now = now
            while self.reports and now - self.reports[0][0] > 3 * self.param("report_window_s", 900.0) * NS:
                self.reports.popleft()
            self._detect(now)
            self._districts()
            self._corridors()
            incidents = [self._incident_row(i) for i in self.incidents.values()]
            districts = [self._district_row(d, v) for d, v in self.district_stats.items()]
            self.incidents = {k: v for k, v in self.incidents.items() if v.status != "cleared"}
            self._draw()
        self.emit("accident", incidents, now, etype="RoadAccident")
        self.emit("district", districts, now, etype="TrafficDistrict")

    # -- accident detection ---------------------------------------------------------------------------
    def _drop(self, seg: str, now: int) -> tuple[float, float] | None:
        """(speed before, speed now) if the segment's speed fell suddenly; None otherwise."""
        h = self.history.get(seg)
        if not h or len(h) < 4:
            return None
        recent = [v for t, v in h if now - t <= 15 * NS]
        before = [v for t, v in h if 60 * NS <= now - t <= 600 * NS]
        if not recent or len(before) < 2:
            return None
        was, is_ = statistics.median(before), sum(recent) / len(recent)
        if is_ < self.param("drop_ratio", 0.5) * was and was - is_ >= self.param("drop_kmh", 12.0):
            return was, is_
        return None

    def _touches(self, seg: Segment, inc: Incident) -> bool:
        return any(set(seg.nodes) & set(self.segs[s].nodes) for s in inc.segments if s in self.segs)

    def _detect(self, now: int) -> None:
        for seg_id in self.history:
            seg = self.segs.get(seg_id)
            if seg is None or any(seg_id in i.segments for i in self.incidents.values()):
                continue
            drop = self._drop(seg_id, now)
            if drop is None:
                continue
            touching = [i for i in self.incidents.values() if i.status != "cleared" and self._touches(seg, i)]
            if touching:
                target = touching[0]
                target.segments[seg_id] = drop[0]
                for other in touching[1:]:  # the queues met: one incident
                    target.segments.update(other.segments)
                    target.reports |= other.reports
                    del self.incidents[other.id]
                continue
            self._incident_no += 1
            self.incidents[f"acc-{self._incident_no:03d}"] = Incident(
                f"acc-{self._incident_no:03d}",
                {seg_id: drop[0]},
                seg.lat,
                seg.lon,
                now,
                seg.district,
                seg.name_fa,
                seg.name_en,
            )
        recover = self.param("recover_ratio", 0.8)
        window = self.param("report_window_s", 900.0) * NS
        report_radius = self.param("report_radius_m", 500.0)
        for inc in self.incidents.values():
            speeds = {s: self.history[s][-1][1] for s in inc.segments if self.history.get(s)}
            if speeds and all(
                speeds[s] >= recover * before for s, before in inc.segments.items() if s in speeds
            ):
                inc.status = "cleared"
                continue
            worst = min(
                inc.segments, key=lambda s: speeds.get(s, inc.segments[s]) / max(inc.segments[s], 1.0)
            )
            inc.speed = speeds.get(worst, 0.0)
            inc.drop_pct = round(100.0 * (1.0 - inc.speed / max(inc.segments[worst], 1.0)))
            near: list[tuple[float, float]] = []
            for t, rid, lat, lon in self.reports:
                if inc.detected - window <= t <= now and any(
                    haversine_m(lat, lon, self.segs[s].lat, self.segs[s].lon) <= report_radius
                    for s in inc.segments
                ):
                    inc.reports.add(rid)
                    near.append((lat, lon))
            if near:  # the scene: the incident's segment closest to where the witnesses are
                clat, clon = sum(p[0] for p in near) / len(near), sum(p[1] for p in near) / len(near)
                scene = self.segs[
                    min(
                        inc.segments,
                        key=lambda s: haversine_m(clat, clon, self.segs[s].lat, self.segs[s].lon),
                    )
                ]
                inc.lat, inc.lon, inc.district = scene.lat, scene.lon, scene.district
                inc.name_fa, inc.name_en = scene.name_fa, scene.name_en
            if all(s in self.closed for s in inc.segments):
                inc.status = "explained"
            else:
                inc.status = "confirmed" if inc.confidence >= 0.7 else "suspected"

    def _incident_row(self, inc: Incident):
        values = {
            "confidence": round(inc.confidence, 2),
            "reports": float(len(inc.reports)),
            "drop_pct": float(inc.drop_pct),
            "speed": round(inc.speed, 1),
        }
        attrs = {
            "status": inc.status,
            "segments": sorted(inc.segments),
            "name_fa": inc.name_fa,
            "name_en": inc.name_en,
            "district": inc.district,
            "detected": inc.detected,
            "detected_by": "traffic",
        }
        return inc.id, values, attrs, round(inc.lat, 6), round(inc.lon, 6)

    # -- districts and corridors ----------------------------------------------------------------------
    def _live_segments(self) -> list[tuple[Segment, float]]:
        out = []
        for row in self.segment_table.rows():
            seg = self.segs.get(row.entity)
            speed = row.value("speed")
            if seg is not None and speed is not None and not row.stale:
                out.append((seg, speed))
        return out

    def _districts(self) -> None:
        live = self._live_segments()
        slow = self.param("slow_ratio", 0.5)
        stats: dict[str, dict[str, float]] = {}
        for d in self.districts.ids():
            segs = [(s, v) for s, v in live if s.district == d]
            els = [r for r in self.elements.rows() if r.district == d]
            if not segs and not els:
                continue
            st: dict[str, float] = {"segments": float(len(segs))}
            if segs:
                length = sum(s.length_m for s, _ in segs)
                speed = sum(s.length_m * v for s, v in segs) / length
                limit = sum(s.length_m * s.limit for s, _ in segs) / length
                st["speed"] = round(speed, 1)
                st["congestion"] = round(max(0.0, 100.0 * (1.0 - speed / limit)), 1)
                st["slow_segments"] = float(sum(1 for s, v in segs if v < slow * s.limit))
            if els:
                down = [r for r in els if r.stale or r.value("online") == 0.0]
                st["signals_down"] = float(sum(1 for r in down if r.reading.attrs.get("kind") == "signal"))
                st["elements_offline_pct"] = round(100.0 * len(down) / len(els), 1)
            stats[d] = st
        self.district_stats = stats

    def _district_row(self, d: str, st: dict[str, float]):
        place = self.districts.places.get(d)
        attrs = {
            "district": d,
            "name_fa": place.name_fa if place else d,
            "name_en": place.name_en if place else d,
        }
        return d, dict(st), attrs, (place.lat if place else None), (place.lon if place else None)

    def _corridors(self) -> None:
        groups: dict[str, list[tuple[Segment, float]]] = {}
        for seg, v in self._live_segments():
            groups.setdefault(seg.name_en, []).append((seg, v))
        rows = []
        for name, segs in groups.items():
            length = sum(s.length_m for s, _ in segs)
            speed = sum(s.length_m * v for s, v in segs) / length
            limit = sum(s.length_m * s.limit for s, _ in segs) / length
            worst = min(segs, key=lambda x: x[1] / x[0].limit)
            rows.append(
                {
                    "entity": worst[0].id,
                    "name_fa": segs[0][0].name_fa,
                    "name_en": name,
                    "speed": round(speed, 1),
                    "limit": limit,
                    "tti": round(limit / max(speed, 1.0), 2),  # travel time index against the limit
                    "km": round(length / 1000.0, 1),
                    "worst": worst[0].id,
                    "worst_speed": round(worst[1], 1),
                }
            )
        rows.sort(key=lambda r: -r["tti"])
        self.corridors = rows

    # -- map ------------------------------------------------------------------------------------------
    def _draw(self) -> None:
        feats = []
        for inc in self.incidents.values():
            if inc.status == "cleared":
                continue
            colour = (
                "#ff6b6b"
                if inc.status == "confirmed"
                else "#d29922"
                if inc.status == "suspected"
                else "#8b98a5"
            )
            feats.append(
                MapFeature.point(
                    inc.id,
                    inc.lat,
                    inc.lon,
                    style=FeatureStyle(
                        color=colour,
                        fill=colour,
                        fill_opacity=0.9,
                        radius_px=9,
                        symbol="diamond",
                        pulse=inc.status == "confirmed",
                    ),
                    title_fa=f"تصادف — {inc.name_fa}",
                    title_en=f"Accident — {inc.name_en}",
                    entity=inc.id,
                    priority=3 if inc.status == "confirmed" else 1,
                    props={"status": inc.status, "reports": len(inc.reports), "drop %": inc.drop_pct},
                    t=inc.detected,
                )
            )
        self.incident_layer.replace(feats)
        slow = []
        for seg, v in self._live_segments():
            ratio = v / seg.limit
            if ratio < self.param("slow_ratio", 0.5):
                colour = "#ff6b6b" if ratio < 0.25 else "#d29922"
                slow.append(
                    MapFeature(
                        id=seg.id,
                        geometry={"type": "LineString", "coordinates": seg.coords},
                        style=FeatureStyle(color=colour, weight=6, opacity=0.85),
                        title_fa=seg.name_fa,
                        title_en=seg.name_en,
                        entity=seg.id,
                        props={"speed km/h": round(v), "limit km/h": round(seg.limit)},
                    )
                )
        self.slow_layer.replace(slow)

    # -- views and KPIs -------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "districts": {d: dict(v) for d, v in self.district_stats.items()},
                "corridors": list(self.corridors),
                "incidents": [self._incident_row(i) for i in self.incidents.values()],
                "elements": self.elements.rows(),
                "segments": self.segment_table.rows(),
            }

    def mean_speed(self) -> float | None:
        with self.lock:
            live = self._live_segments()
        if not live:
            return None
        return round(sum(s.length_m * v for s, v in live) / sum(s.length_m for s, _ in live), 1)

    def city_congestion(self) -> float | None:
        with self.lock:
            live = self._live_segments()
        if not live:
            return None
        speed = sum(s.length_m * v for s, v in live)
        limit = sum(s.length_m * s.limit for s, _ in live)
        return round(max(0.0, 100.0 * (1.0 - speed / limit)), 1)

    def elements_online_pct(self) -> float | None:
        rows = self.elements.rows()
        if not rows:
            return None
        return round(100.0 * sum(1 for r in rows if not r.stale and r.value("online") == 1.0) / len(rows), 1)

    def open_accidents(self) -> float | None:
        with self.lock:
            if not self.history:
                return None
            return float(sum(1 for i in self.incidents.values() if i.status in ("suspected", "confirmed")))


__all__ = ["Incident", "TrafficDesk", "mean"]
