"""Qt panel of the environment department (imported only when the console builds the panel)."""

from __future__ import annotations

from console import i18n
from console.airquality import category, category_colour
from console.catalog import signal_meta
from console.mapstyle import AQI_BANDS
from widgets.cap_drafts import CapDraftsView
from widgets.department_panel import DepartmentPanel
from widgets.heat_view import HeatView, MapPoint
from widgets.records_table import Column

from .rules import NOISE, EnvDesk

GREY = "#8b98a5"
NOISE_COLOURS = {"ok": "#3fb950", "warn": "#d29922", "alarm": "#ff6b6b"}


def title(meta, lang: str) -> str:
    return meta.title_fa if lang == "fa" else meta.title_en


def pollutant_title(key: str, lang: str) -> str:
    return title(signal_meta("AirQualityObserved", key), lang) if key else "—"


def _tile_status(aqi: float | None) -> str:
    c = category(aqi)
    return "none" if c < 0 else "ok" if c <= 1 else "warn" if c == 2 else "alarm"


def noise_level(db: float | None) -> str:
    if db is None:
        return "ok"
    return "alarm" if db >= (NOISE.alarm_hi or 85.0) else "warn" if db >= (NOISE.warn_hi or 70.0) else "ok"


class EnvironmentPanel(DepartmentPanel):
    title_fa = "محیط زیست و کیفیت هوا"
    title_en = "Environment and air quality"

    def __init__(self, desk: EnvDesk, parent=None):
        self.desk = desk
        self._heat_key: tuple = ()
        super().__init__(desk, parent)

    def build(self) -> None:
        self.add_table(
            "stations",
            *self.both("environment.tab.stations"),
            [
                self.column("name", "environment.col.station", sort_by="entity"),
                self.column("district", "col.district"),
                self.column("aqi", "environment.col.aqi", "number"),
                self.column("category", "environment.col.category"),
                self.column("dominant", "environment.col.dominant"),
                *[self._pollutant_column(p) for p in ("pm25", "pm10", "no2", "o3", "co")],
                self.column("noise", "environment.col.noise", "number"),
            ],
        )
        self.add_table(
            "pollutants",
            *self.both("environment.tab.pollutants"),
            [
                self.column("name", "environment.col.pollutant"),
                self.column("unit", "environment.col.unit"),
                self.column("max", "environment.col.max", "number", decimals=1),
                self.column("where", "environment.col.where"),
                self.column("mean", "environment.col.mean", "number", decimals=1),
                self.column("over_warn", "environment.col.over_warn", "number"),
                self.column("over_alarm", "environment.col.over_alarm", "number"),
                self.column("max_sub", "environment.col.max_sub", "number"),
                self.column("dominant_at", "environment.col.dominant_at", "number"),
            ],
        )
        self.heat = HeatView(self)
        self.add_tab(self.heat, *self.both("environment.tab.heat"))
        self.add_table(
            "noise",
            *self.both("environment.tab.noise"),
            [
                self.column("name", "environment.col.station", sort_by="entity"),
                self.column("district", "col.district"),
                self.column("noise", "environment.col.noise", "number"),
                self.column("status", "environment.col.noise_status"),
            ],
        )
        self.warnings = CapDraftsView(
            self.desk.drafts, self.desk.service("alarms"), "plugin:environment", self
        )
        self.add_tab(self.warnings, *self.both("environment.tab.warning"))

    def _pollutant_column(self, p: str):
        meta = signal_meta("AirQualityObserved", p)
        return Column(
            p, f"{meta.title_fa} ({meta.unit})", f"{meta.title_en} ({meta.unit})", "number", meta.decimals
        )

    # -- refresh -------------------------------------------------------------------------------------
    def refresh(self) -> None:
        desk, lang = self.desk, i18n.lang()
        stations = desk.stations()
        live = [s for s in stations if not s.row.stale and s.aqi is not None]
        counts = desk.counts
        mean_aqi, max_aqi = desk.mean_aqi(), desk.max_aqi()
        top = max(live, key=lambda s: s.aqi) if live else None
        episode = desk.current_episode()
        people = desk.people_exposed()
        floor = round(float(desk.config["episode_aqi"]))
        self.set_tiles(
            [
                self.tile(
                    "mean",
                    "environment.tile.mean",
                    mean_aqi,
                    status=_tile_status(mean_aqi),
                    detail=i18n.tr(AQI_BANDS[category(mean_aqi)][2]) if mean_aqi is not None else "",
                ),
                self.tile(
                    "max",
                    "environment.tile.max",
                    max_aqi,
                    status=_tile_status(max_aqi),
                    detail=i18n.tr(
                        "environment.tile.at",
                        station=desk.place_name(top.entity, lang, top.row),
                        pollutant=pollutant_title(top.result.dominant, lang),
                    )
                    if top
                    else "",
                ),
                self.tile(
                    "unhealthy",
                    "environment.tile.unhealthy",
                    counts.get("unhealthy") if live else None,
                    status="alarm" if counts.get("unhealthy") else ("ok" if live else "none"),
                    detail=i18n.tr("environment.tile.of", n=len(live), floor=floor),
                ),
                self._episode_tile(episode, people),
            ]
        )
        self._stations(stations)
        self._pollutants()
        self._noise(stations)
        self._draw_heat(live)
        self.warnings.refresh(i18n.tr("environment.warning.none"))
        self.show_provenance([s.row for s in stations])

    def _episode_tile(self, episode, people):
        people_text = (
            i18n.tr("environment.tile.people", people=i18n.number(round(people, -3), 0)) if people else ""
        )
        if episode is None:
            return self.tile(
                "episode",
                "environment.tile.episode",
                None,
                status="ok",
                detail=i18n.tr("environment.tile.no_episode") + (f"\n{people_text}" if people_text else ""),
            )
        start = i18n.format_clock(i18n.local_time(episode.started, self.desk.timezone), seconds=False)
        detail = i18n.tr("environment.tile.episode_since", start=start, n=len(episode.stations))
        if episode.draft_error:
            detail += "\n" + i18n.tr("environment.warning.error", reason=episode.draft_error)
        elif people_text:
            detail += "\n" + people_text
        minutes = max(0.0, (self.desk.table.newest_t - episode.started) / 60e9)
        return self.tile(
            "episode",
            "environment.tile.episode",
            minutes,
            unit=i18n.tr("environment.unit.min"),
            status="alarm",
            detail=detail,
        )

    def _stations(self, stations) -> None:
        desk, lang = self.desk, i18n.lang()
        rows = []
        for s in stations:
            row = {
                "entity": s.entity,
                "name": desk.place_name(s.entity, lang, s.row),
                "district": desk.district_name(s.row.district, lang),
                "aqi": s.aqi,
                "category": i18n.tr("environment.status.stale")
                if s.row.stale
                else (i18n.tr(AQI_BANDS[category(s.aqi)][2]) if s.aqi is not None else "—"),
                "dominant": pollutant_title(s.result.dominant, lang),
                "noise": s.noise,
                "_colour": GREY if s.row.stale else category_colour(s.aqi),
            }
            for p in ("pm25", "pm10", "no2", "o3", "co"):
                row[p] = s.row.value(p)
            rows.append(row)
        self.set_rows("stations", rows)

    def _pollutants(self) -> None:
        desk, lang = self.desk, i18n.lang()
        rows = []
        for item in desk.pollutant_summary():
            meta = item["meta"]
            where = item.get("where")
            rows.append(
                {
                    "name": title(meta, lang),
                    "unit": meta.unit,
                    "max": item.get("max"),
                    "where": desk.place_name(where.entity, lang, where.row) if where else "—",
                    "entity": where.entity if where else None,
                    "mean": item.get("mean"),
                    "over_warn": item.get("over_warn"),
                    "over_alarm": item.get("over_alarm"),
                    "max_sub": item.get("max_sub"),
                    "dominant_at": item.get("dominant_at"),
                    "_colour": category_colour(item.get("max_sub"))
                    if item.get("max_sub") is not None
                    else GREY,
                }
            )
        self.set_rows("pollutants", rows)

    def _noise(self, stations) -> None:
        desk, lang = self.desk, i18n.lang()
        rows = []
        for s in sorted(stations, key=lambda s: -(s.noise or 0.0)):
            level = noise_level(s.noise)
            rows.append(
                {
                    "entity": s.entity,
                    "name": desk.place_name(s.entity, lang, s.row),
                    "district": desk.district_name(s.row.district, lang),
                    "noise": s.noise,
                    "status": i18n.tr("environment.status.stale")
                    if s.row.stale
                    else i18n.tr(f"environment.noise.{level}"),
                    "_colour": GREY if s.row.stale else NOISE_COLOURS[level],
                }
            )
        self.set_rows("noise", rows)

    def _draw_heat(self, live) -> None:
        desk = self.desk
        heat = desk.heat
        key = (id(heat), i18n.lang(), len(live))
        if key == self._heat_key:
            return
        self._heat_key = key
        city = desk.city
        outlines = [list(d.ring) for d in city.districts] if city is not None else []
        points = [
            MapPoint(s.row.reading.lat, s.row.reading.lon, category_colour(s.aqi), i18n.number(s.aqi, 0))
            for s in live
            if s.row.reading.lat is not None
        ]
        legend = [(colour, i18n.tr(k)) for _u, colour, k in AQI_BANDS]
        if heat is None:
            self.heat.set_scene(
                None,
                city.bbox if city is not None else None,
                outlines=outlines,
                caption=i18n.tr("environment.heat.none"),
                legend=legend,
            )
            return
        rgba, bbox = heat
        self.heat.set_scene(
            rgba,
            bbox,
            outlines=outlines,
            points=points,
            caption=i18n.tr("environment.heat.caption", n=len(live)),
            legend=legend,
        )
