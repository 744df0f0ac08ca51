"""Qt-free logic of the environment department: AQI per station and pollutant, episodes, heat, noise.

Per air-quality batch (every station reports every ~10 s):
- each station's AQI (as reported; computed from its concentrations when the feed has none), its
  dominant pollutant and every sub-index (console/airquality.py, US EPA);
- a derived reading `derived/environment/episode` for the city: how many live stations are in each
  AQI category or worse (`usg`, `unhealthy`, `very_unhealthy`, `hazardous`), the max and mean.
  The episode rules of rules.toml judge it ("AQI ≥ 151 at ≥ 3 stations for ≥ 10 minutes");
- map layers (AQI per station with its value, noise, the episode area: circles around the stations at
  or above `episode_aqi`, merged) and a heat image of AQI over the city for the panel.

Episodes follow the alarm engine, not a second opinion: when an alarm of an episode rule
(`episode_rules` prefix) activates, the episode starts and a public warning is drafted at once
(warning.py → console/capdrafts.py) for a crisis manager to review and publish; when it clears, the
episode ends and an unpublished draft expires.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from console import i18n
from console.airquality import POLLUTANTS, USG, AqiResult, aqi_of, category, category_colour
from console.areas import buffered_area, city_outline, districts_in, geojson, projection_for
from console.catalog import signal_meta
from console.departments import Department, RowView, mean
from console.forecast import NS
from console.heatmap import station_heat
from console.maplayers import FeatureStyle, LegendItem, MapFeature, area_style
from console.mapstyle import AQI_BANDS
from console.model import AlarmState, AlarmTransition, Priority

DEFAULTS = {
    "episode_aqi": 151.0,  # a station at or above this AQI counts towards the episode area
    "episode_radius_m": 1500.0,  # the area around each such station that a warning covers
    "episode_rules": "environment.episode",  # rule-id prefix: their alarms start episodes and drafts
    "warning_hours": 6.0,  # validity of a drafted warning
    "heat_cells": 200,  # heat image resolution (cells per side)
}
CATEGORY_KEYS = ("usg", "unhealthy", "very_unhealthy", "hazardous")  # AQI ≥ 101, 151, 201, 301
CATEGORY_FLOORS = (USG, 151, 201, 301)
NOISE = signal_meta("AirQualityObserved", "noise")


@dataclass(frozen=True)
class StationState(RowView):
    result: AqiResult  # computed from the concentrations

    @property
    def aqi(self) -> float | None:
        """The AQI the station reports; computed from its concentrations when it reports none."""
        reported = self.row.value("aqi")
        return reported if reported is not None else self.result.aqi

    @property
    def noise(self) -> float | None:
        return self.row.value("noise")


@dataclass
class Episode:
    """One air-pollution episode: from the first episode alarm until the last of them clears."""

    alarm_ids: set[str]  # the episode alarms standing now
    priority: Priority
    started: int
    stations: list[str]
    max_aqi: float | None
    dominant: str
    districts: list[str]
    draft_id: str = ""
    draft_error: str = ""
    ended: int | None = None
    area: Any = field(default=None, repr=False)
    first_alarm: str = ""  # the alarm that started it (what a click on its area selects)


class EnvDesk(Department):
    def __init__(self, folder: Path, drafts: Any = None):
        super().__init__(
            "environment",
            folder,
            ("air/station",),
            history={"aqi": 3 * 3600.0, "noise": 3 * 3600.0},
            defaults=DEFAULTS,
        )
        self.drafts = drafts  # console.capdrafts.CapDrafts; default store when None
        self._computed_t = 0
        self.episodes: list[Episode] = []
        self._episode_lock = threading.Lock()
        self.heat: tuple[np.ndarray, tuple[float, float, float, float]] | None = None
        self.aqi_layer = self.noise_layer = self.episode_layer = None
        self.counts: dict[str, float] = {}
        self.exposed: float | None = None

    # -- wiring --------------------------------------------------------------------------------------
    def activate(self, ctx) -> None:
        super().activate(ctx)
        if self.drafts is None:
            from console.capdrafts import default_store

            self.drafts = ctx.service("cap_drafts") or default_store()
        legend = [LegendItem(colour, *self.both(key), "circle") for _upper, colour, key in AQI_BANDS]
        self.aqi_layer = self.add_layer(
            "aqi", "شاخص کیفیت هوای ایستگاه‌ها", "AQI per station", z=30, legend=legend
        )
        self.noise_layer = self.add_layer(
            "noise",
            "تراز صدا",
            "Noise levels",
            z=29,
            visible=False,
            legend=[
                LegendItem("#d29922", f"≥ {NOISE.warn_hi:g} dB(A)", f"≥ {NOISE.warn_hi:g} dB(A)", "triangle"),
                LegendItem(
                    "#ff6b6b", f"≥ {NOISE.alarm_hi:g} dB(A)", f"≥ {NOISE.alarm_hi:g} dB(A)", "triangle"
                ),
            ],
        )
        self.episode_layer = self.add_layer(
            "episode", "محدودهٔ آلودگی هوا", "Air-pollution episode area", z=11
        )
        ctx.subscribe("alarm/transition", self.on_transitions, worker=True)
        self.add_kpi("environment", "aqi_mean", self.mean_aqi, "میانگین شاخص کیفیت هوا", "Mean AQI", "AQI")
        self.add_kpi(
            "environment", "aqi_max", self.max_aqi, "بیشینهٔ شاخص کیفیت هوا", "Highest station AQI", "AQI"
        )
        self.add_kpi(
            "environment",
            "stations_unhealthy",
            lambda: self.counts.get("unhealthy"),
            "ایستگاه‌های با هوای ناسالم",
            "Stations with unhealthy air",
        )
        self.add_kpi(
            "people",
            "people_unhealthy_air",
            self.people_exposed,
            "جمعیت در معرض هوای ناسالم",
            "People in districts with unhealthy air",
        )
        self.add_kpi(
            "environment", "noise_mean", self.mean_noise, "میانگین تراز صدا", "Mean noise level", "dB(A)"
        )

    @staticmethod
    def both(key: str) -> tuple[str, str]:
        return i18n.tr(key, "fa"), i18n.tr(key, "en")

    # -- state ---------------------------------------------------------------------------------------
    def stations(self) -> list[StationState]:
        return [
            StationState(r, aqi_of(r.reading.values))
            for r in sorted(self.table.rows(), key=lambda r: r.entity)
        ]

    def live(self) -> list[StationState]:
        return [s for s in self.stations() if not s.row.stale and s.aqi is not None]

    def mean_aqi(self) -> float | None:
        return mean(s.aqi for s in self.live())

    def max_aqi(self) -> float | None:
        live = self.live()
        return max(s.aqi for s in live) if live else None

    def mean_noise(self) -> float | None:
        return mean(s.noise for s in self.stations() if not s.row.stale)

    def people_exposed(self) -> float | None:
        """About how many people live inside the area around the stations at or above the episode AQI
        (district population times the share of the district the area covers); None without data."""
        return self.exposed

    def pollutant_summary(self) -> list[dict[str, Any]]:
        """Per pollutant over the live stations: max (and where), mean, stations over its bands, dominance."""
        live = self.live()
        out = []
        for p in POLLUTANTS:
            meta = signal_meta("AirQualityObserved", p)
            vals = [(s.row.value(p), s) for s in live if s.row.value(p) is not None]
            if not vals:
                out.append({"pollutant": p, "meta": meta, "n": 0})
                continue
            top, where = max(vals, key=lambda x: x[0])
            out.append(
                {
                    "pollutant": p,
                    "meta": meta,
                    "n": len(vals),
                    "max": top,
                    "where": where,
                    "mean": sum(v for v, _ in vals) / len(vals),
                    "over_warn": sum(1 for v, _ in vals if meta.warn_hi is not None and v >= meta.warn_hi),
                    "over_alarm": sum(1 for v, _ in vals if meta.alarm_hi is not None and v >= meta.alarm_hi),
                    "max_sub": max((s.result.sub.get(p, 0.0) for _, s in vals), default=None),
                    "dominant_at": sum(1 for s in live if s.result.dominant == p),
                }
            )
        return out

    def current_episode(self) -> Episode | None:
        with self._episode_lock:
            return next((e for e in reversed(self.episodes) if e.ended is None), None)

    # -- per batch -----------------------------------------------------------------------------------
    def update(self, topic: str, items: list) -> None:
        newest = self.table.newest_t
        if newest - self._computed_t < 5 * NS:  # one evaluation per reporting round
            return
        self._computed_t = newest
        stations = self.stations()
        live = [s for s in stations if not s.row.stale and s.aqi is not None]
        counts: dict[str, float] = {"stations": float(len(live))}
        for key, floor in zip(CATEGORY_KEYS, CATEGORY_FLOORS, strict=True):
            counts[key] = float(sum(1 for s in live if s.aqi >= floor))
        if live:
            counts["max_aqi"] = float(max(s.aqi for s in live))
            counts["mean_aqi"] = round(sum(s.aqi for s in live) / len(live), 1)
        self.counts = counts
        above = [s for s in live if s.aqi >= float(self.config["episode_aqi"])]
        area = self._episode_area(above)
        self.exposed = sum(sh.people for sh in districts_in(self.city, area)) if live else None
        if live:
            lat, lon = self._centre(above or live)
            self.publish(
                [self.derive("episode", self.city_key, counts, etype="AirQualityEpisode", lat=lat, lon=lon)]
            )
        self._draw(stations, area)
        self._heat(live)

    @property
    def city_key(self) -> str:
        return getattr(self.city, "key", "city")

    @staticmethod
    def _centre(stations: list[StationState]) -> tuple[float | None, float | None]:
        pts = [(s.row.reading.lat, s.row.reading.lon) for s in stations if s.row.reading.lat is not None]
        if not pts:
            return None, None
        return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)

    def _episode_area(self, above: list[StationState]) -> Any:
        if self.city is None:
            return None
        radius = float(self.config["episode_radius_m"])
        pts = [(s.row.reading.lat, s.row.reading.lon, radius) for s in above if s.row.reading.lat is not None]
        return buffered_area(pts, projection_for(self.city))

    def _draw(self, stations: list[StationState], area: Any) -> None:
        aqi_features, noise_features = [], []
        for s in stations:
            r = s.row.reading
            if r.lat is None or r.lon is None:
                continue
            name_fa, name_en = self.place_name(s.entity, "fa", s.row), self.place_name(s.entity, "en", s.row)
            if s.aqi is not None:
                colour = "#8b98a5" if s.row.stale else category_colour(s.aqi)
                dominant = s.result.dominant
                aqi_features.append(
                    MapFeature.point(
                        f"aqi-{s.entity}",
                        r.lat,
                        r.lon,
                        style=FeatureStyle(
                            color=colour, fill=colour, fill_opacity=0.85, radius_px=8.0, label=f"{s.aqi:.0f}"
                        ),
                        title_fa=f"{name_fa}: شاخص {i18n.number(s.aqi, 0, 'fa')}",
                        title_en=f"{name_en}: AQI {s.aqi:.0f}",
                        entity=s.entity,
                        props={
                            "environment.col.aqi": round(s.aqi),
                            "environment.col.category": i18n.tr(AQI_BANDS[category(s.aqi)][2]),
                            "environment.col.dominant": signal_meta("AirQualityObserved", dominant).title_en
                            if dominant
                            else "—",
                        },
                        t=r.t,
                    )
                )
            noise = s.noise
            if noise is not None and not s.row.stale and noise >= (NOISE.warn_hi or 70.0):
                loud = noise >= (NOISE.alarm_hi or 85.0)
                colour = "#ff6b6b" if loud else "#d29922"
                noise_features.append(
                    MapFeature.point(
                        f"noise-{s.entity}",
                        r.lat,
                        r.lon,
                        style=FeatureStyle(
                            color=colour, fill=colour, symbol="triangle", radius_px=8.0, label=f"{noise:.0f}"
                        ),
                        title_fa=f"{name_fa}: {i18n.number(noise, 0, 'fa')} دسی‌بل",
                        title_en=f"{name_en}: {noise:.0f} dB(A)",
                        entity=s.entity,
                        props={"environment.col.noise": round(noise)},
                        t=r.t,
                    )
                )
        self.aqi_layer.replace(aqi_features)
        self.noise_layer.replace(noise_features)
        shape_ = geojson(area)
        episode = self.current_episode()
        if shape_ is None:
            self.episode_layer.clear()
            return
        priority = episode.priority if episode is not None else Priority.MODERATE
        self.episode_layer.replace(
            [
                MapFeature(
                    id="episode",
                    geometry=shape_,
                    style=area_style(priority),
                    title_fa="محدودهٔ هوای ناسالم",
                    title_en="Area with unhealthy air",
                    entity=episode.first_alarm if episode is not None else "",
                    priority=int(priority),
                    props={
                        "environment.col.stations": int(self.counts.get("unhealthy", 0)),
                        "environment.col.max_aqi": round(self.counts.get("max_aqi", 0)),
                    },
                    t=self.table.newest_t,
                )
            ]
        )

    def _heat(self, live: list[StationState]) -> None:
        city = self.city
        if city is None or not live:
            self.heat = None
            return
        cells = int(self.config["heat_cells"])
        bbox = city.bbox
        pts = [(s.row.reading.lat, s.row.reading.lon, s.aqi) for s in live if s.row.reading.lat is not None]
        lat, lon, val = (np.array(x, np.float64) for x in zip(*pts, strict=True))
        rgba = station_heat(lat, lon, val, bbox, "aqi", (cells, cells), city_outline(city))
        self.heat = None if rgba is None else (rgba, bbox)

    # -- episodes (alarm transitions, on their own worker thread) --------------------------------------
    def on_transitions(self, topic: str, items: list) -> None:
        prefix = str(self.config["episode_rules"])
        for tr in items:
            if not isinstance(tr, AlarmTransition) or not tr.rule_id.startswith(prefix):
                continue
            try:
                if tr.action == "activate" and tr.from_state in (AlarmState.NORMAL, AlarmState.RTN_UNACK):
                    self._begin(tr)
                elif tr.action == "clear":
                    self._end(tr)
            except Exception as exc:
                self._failed("episode", exc)

    def _begin(self, tr: AlarmTransition) -> None:
        """An episode alarm activated: start an episode, or join the open one (re-drafting its warning
        when the new alarm is more severe)."""
        with self._episode_lock:
            episode = next((e for e in self.episodes if e.ended is None), None)
            if episode is not None:
                known = tr.alarm_id in episode.alarm_ids
                episode.alarm_ids.add(tr.alarm_id)
                if known or tr.priority <= episode.priority:
                    return
                episode.priority = tr.priority
        with self._batch_lock:
            band = float(self.config["episode_aqi"])
            live = self.live()
            above = sorted((s for s in live if s.aqi >= band), key=lambda s: -s.aqi)
            area = self._episode_area(above)
            shares = districts_in(self.city, area)
            top = above[0] if above else (max(live, key=lambda s: s.aqi) if live else None)
        with self._episode_lock:
            if episode is None:
                episode = Episode(
                    first_alarm=tr.alarm_id,
                    alarm_ids={tr.alarm_id},
                    priority=tr.priority,
                    started=tr.t,
                    stations=[],
                    max_aqi=None,
                    dominant="",
                    districts=[],
                )
                self.episodes.append(episode)
                del self.episodes[:-50]
            episode.stations = [s.entity for s in above]
            episode.max_aqi = top.aqi if top else None
            episode.dominant = top.result.dominant if top else ""
            episode.districts = [sh.district.id for sh in shares]
            episode.area = area
        self._draft(episode, tr, live, above, shares)

    def _draft(self, episode: Episode, tr: AlarmTransition, live: list, above: list, shares: list) -> None:
        from .warning import draft_warning

        previous = self.drafts.get(episode.draft_id) if episode.draft_id else None
        try:
            draft = draft_warning(self, episode, tr, live, above, shares, previous)
        except Exception as exc:  # the episode stands even if its warning cannot be drafted
            episode.draft_error = f"{type(exc).__name__}: {exc}"
            self._failed("CAP draft", exc)
            return
        if previous is not None and previous.state == "draft":
            self.drafts.expire(previous.identifier, f"superseded by {draft.identifier} ({draft.severity})")
        episode.draft_id, episode.draft_error = draft.identifier, ""

    def _end(self, tr: AlarmTransition) -> None:
        with self._episode_lock:
            episode = next((e for e in self.episodes if e.ended is None and tr.alarm_id in e.alarm_ids), None)
            if episode is None:
                return
            episode.alarm_ids.discard(tr.alarm_id)
            if episode.alarm_ids:
                return
            episode.ended = tr.t
        if episode.draft_id:
            self.drafts.expire(episode.draft_id, "the episode ended before the warning was published")
