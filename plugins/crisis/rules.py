"""Qt-free logic of the crisis cell's plugin: the overview wired to the console's services.

`CrisisDepartment` reads the alarm engine ("alarms"), entity state ("entities") and the city's
districts and roads; it keeps two map layers (affected districts shaded by their highest priority;
the nearest available vehicles to the selected alarm, joined to it) and contributes KPIs. Its
rules.toml adds composite alarms that confirm a disaster from independent evidence.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from console import i18n
from console.departments import Department
from console.maplayers import FeatureStyle, MapFeature, MapLayer, area_style
from console.mapstyle import PRIORITY_COLOURS
from console.model import AlarmTransition, Priority

from .overview import (
    CityAreas,
    CrisisConfig,
    Dispatch,
    Overview,
    build_overview,
    load_config,
    nearest_vehicles,
)
from .routing import RoadRouter
from .warning import WarningDraft, draft_from_alarm

NAME = "crisis"
AFFECTED = "crisis.affected"
DISPATCH = "crisis.dispatch"
CACHE_S = 1.0
TIMELINE = 500  # alarm transitions kept for the timeline
SHOWN_ON_MAP = 5  # nearest vehicles drawn for the selected alarm


class CrisisDepartment(Department):
    def __init__(self, folder: Path):
        super().__init__(name=NAME, folder=folder, topics=())
        self.crisis_config: CrisisConfig = load_config(folder / "crisis.toml")
        self.affected_layer = MapLayer(
            AFFECTED, "مناطق متأثر از هشدارها", "Districts affected by alarms", z=12
        )
        self.dispatch_layer = MapLayer(
            DISPATCH, "نزدیک‌ترین خودروهای آماده", "Nearest available vehicles", z=45
        )
        self._lock = threading.Lock()
        self._cache: tuple[float, Overview] | None = None
        self._areas: CityAreas | None = None
        self._router: RoadRouter | None = None
        self.timeline: deque[AlarmTransition] = deque(maxlen=TIMELINE)

    def activate(self, ctx: Any) -> None:
        super().activate(ctx)  # strings.toml, rules.toml (composite confirmations)
        ctx.subscribe("alarm/transition", self.on_transitions)
        self.every(1.0, self.update_affected, "map")  # the affected districts follow the alarms, panel or not
        ctx.add_map_layer(self.affected_layer, self.affected_layer.title_fa, self.affected_layer.title_en)
        ctx.add_map_layer(self.dispatch_layer, self.dispatch_layer.title_fa, self.dispatch_layer.title_en)
        ctx.add_kpi(
            "people",
            "crisis_people_in_alarm_areas",
            lambda: self._kpi(lambda ov: round(ov.people_estimate)),
            title_fa="جمعیت برآوردی در محدودهٔ هشدارها",
            title_en="People in alarm areas (estimate)",
        )
        ctx.add_kpi(
            "governance",
            "crisis_severe_alarms_active",
            lambda: self._kpi(lambda ov: ov.count(int(Priority.SEVERE))),
            title_fa="هشدارهای شدید و بحرانی فعال",
            title_en="Active severe and extreme alarms",
        )
        ctx.add_kpi(
            "infrastructure",
            "crisis_districts_affected",
            lambda: self._kpi(lambda ov: len(ov.affected)),
            title_fa="مناطق متأثر",
            title_en="Districts affected",
        )

    def on_transitions(self, topic: str, items: list[Any]) -> None:
        """Bus callback: the alarm journal as it happens, for the cell's timeline."""
        self.timeline.extend(tr for tr in items if isinstance(tr, AlarmTransition))

    def _kpi(self, fn) -> float | None:
        ov = self.overview()
        return None if ov is None else float(fn(ov))

    # -- geography -------------------------------------------------------------------------------------
    def areas(self) -> CityAreas | None:
        if self._areas is None and self.city is not None:
            self._areas = CityAreas(self.city)
        return self._areas

    def router(self) -> RoadRouter | None:
        city = self.city
        if self._router is None and city is not None and city.roads:
            self._router = RoadRouter(city, self.crisis_config.dispatch.routing)
        return self._router

    def radius_of(self, alarm: Any, rules: dict[str, Any] | None = None) -> float | None:
        """The radius of an alarm's area: its count rule's, else the assumed one for its priority."""
        if rules is None:
            engine = self.service("alarms")
            rules = {r.id: r for r in engine.rules()} if engine is not None else {}
        rule = rules.get(alarm.rule_id)
        radius = getattr(rule, "radius_m", None) if rule is not None and rule.kind == "count" else None
        return radius or self.crisis_config.point_radius_m.get(Priority(int(alarm.priority)))

    # -- the picture -----------------------------------------------------------------------------------
    def overview(self, max_age_s: float = CACHE_S) -> Overview | None:
        """Active alarms by district and priority, affected districts, people estimate (None: no alarm engine)."""
        engine = self.service("alarms")
        if engine is None:
            return None
        now = time.monotonic()
        with self._lock:
            if self._cache is not None and now - self._cache[0] < max_age_s:
                return self._cache[1]
        _version, alarms = engine.snapshot()
        rules = {r.id: r for r in engine.rules()}
        ov = build_overview(alarms, self.areas(), self.crisis_config, lambda a: self.radius_of(a, rules))
        with self._lock:
            self._cache = (now, ov)
        return ov

    def nearest(self, alarm: Any) -> Dispatch | None:
        """Nearest available vehicles to an alarm (None: no entity state or the alarm has no place)."""
        entities = self.service("entities")
        if entities is None or alarm is None or alarm.lat is None or alarm.lon is None:
            return None
        return nearest_vehicles(entities, alarm.lat, alarm.lon, self.crisis_config.dispatch, self.router())

    def draft(self, alarm: Any, overview: Overview) -> WarningDraft:
        return draft_from_alarm(
            alarm, overview, self.crisis_config, self.district_name, self.radius_of(alarm)
        )

    def timezone(self) -> str:
        return getattr(getattr(self.ctx, "settings", None), "timezone", "") or "Asia/Tehran"

    # -- map -------------------------------------------------------------------------------------------
    def update_affected(self, overview: Overview | None = None) -> None:
        """Affected districts on the map, shaded by their highest priority."""
        overview = overview or self.overview()
        if overview is None:
            return
        city = self.city
        lang = i18n.lang()
        feats = []
        rings = {d.id: d.ring for d in city.districts} if city is not None else {}
        for row in overview.affected:
            if row.id not in rings:
                continue
            top = max(row.top, int(self.crisis_config.affected_min))
            feats.append(
                MapFeature.polygon(
                    row.id,
                    [list(rings[row.id])],
                    style=area_style(top),
                    title_fa=row.name_fa,
                    title_en=row.name_en,
                    priority=top,
                    props={
                        "crisis.prop.population": i18n.number(row.population, 0, lang),
                        "crisis.prop.alarms": row.total,
                        "crisis.prop.people": i18n.number(row.people, 0, lang),
                    },
                )
            )
        self.affected_layer.replace(feats)

    def update_dispatch(self, alarm: Any = None, dispatch: Dispatch | None = None) -> None:
        """The nearest vehicles to the selected alarm, joined to it on the map (none: cleared)."""
        self.dispatch_layer.replace(self._dispatch_features(alarm, dispatch))

    def _dispatch_features(self, alarm: Any, dispatch: Dispatch | None) -> list[MapFeature]:
        if alarm is None or dispatch is None or alarm.lat is None:
            return []
        colour = PRIORITY_COLOURS[Priority(int(alarm.priority))]
        out = []
        for rank, c in enumerate(dispatch.candidates[:SHOWN_ON_MAP], start=1):
            out.append(
                MapFeature(
                    id=f"to-{c.entity}",
                    geometry={"type": "LineString", "coordinates": [[c.lon, c.lat], [alarm.lon, alarm.lat]]},
                    style=FeatureStyle(color=colour, weight=1.5, dash="4 6", opacity=0.8),
                    title_fa=f"{c.entity} ← {alarm.title('fa')}",
                    title_en=f"{c.entity} → {alarm.title('en')}",
                    entity=c.entity,
                )
            )
            out.append(
                MapFeature.point(
                    f"rank-{c.entity}",
                    c.lat,
                    c.lon,
                    style=FeatureStyle(
                        color="#ffffff", fill=colour, symbol="circle", radius_px=9, label=i18n.digits(rank)
                    ),
                    title_fa=f"{rank}. {c.entity}",
                    title_en=f"{rank}. {c.entity}",
                    entity=c.entity,
                )
            )
        return out
