"""Qt panel of the water department (imported only when the console builds the panel)."""

from __future__ import annotations

from console import i18n
from widgets.department_panel import DepartmentPanel
from widgets.forecast_chart import ForecastChart

from .rules import COLOURS, LEVEL, ROAD_COLOURS, WaterDesk

NS = 1_000_000_000
TILE = {"ok": "ok", "rising": "warn", "warn": "warn", "alarm": "alarm", "unknown": "stale"}


class WaterPanel(DepartmentPanel):
    title_fa = "آب و سیلاب"
    title_en = "Water and floods"

    def __init__(self, desk: WaterDesk, parent=None):
        self.desk = desk
        self.selected: str | None = None
        self._drawn: tuple = ()
        super().__init__(desk, parent)

    def build(self) -> None:
        self.add_table(
            "gauges",
            *self.both("water.tab.gauges"),
            [
                self.column("name", "water.col.gauge", sort_by="entity"),
                self.column("district", "col.district"),
                self.column("level", "water.col.level", "number", 2),
                self.column("rise", "water.col.rise", "number", 2),
                self.column("rate", "water.col.rate", "number", 2),
                self.column("level_60", "water.col.level_60", "number", 2, render=self._level_text),
                self.column("to_alarm", "water.col.to_alarm", "text"),
                self.column("status", "water.col.status"),
            ],
            on_select=self._on_select,
        )
        self.add_table(
            "roads",
            *self.both("water.tab.roads"),
            [
                self.column("name", "water.col.road", sort_by="entity"),
                self.column("district", "col.district"),
                self.column("class", "water.col.class"),
                self.column("state", "water.col.state"),
                self.column("cause", "water.col.cause"),
                self.column("distance", "water.col.distance", "number"),
            ],
        )
        self.chart = ForecastChart(self)
        self.add_tab(self.chart, *self.both("water.tab.trend"))

    def _on_select(self, row: dict) -> None:
        self.selected = row.get("entity")
        self._draw_chart(self.desk.gauges())

    def refresh(self) -> None:
        desk, lang = self.desk, i18n.lang()
        gauges = desk.gauges()
        live = [g for g in gauges if not g.row.stale and g.level is not None]
        pic = desk.picture
        states = [g.state() for g in live]
        top = max(live, key=lambda g: g.level, default=None)
        rising = sorted((g for g in live if g.rising), key=lambda g: -g.rise_m_h)
        flooded = [r for r in pic.roads if r.state == "flooded"]
        above = desk.gauges_above_warning()
        self.set_tiles(
            [
                self.tile(
                    "above",
                    "water.tile.above",
                    above,
                    status="alarm"
                    if "alarm" in states
                    else ("warn" if above else ("ok" if live else "none")),
                    detail=i18n.tr("water.tile.above_detail", n=len(live), alarm=states.count("alarm")),
                ),
                self.tile(
                    "max",
                    "water.tile.max",
                    desk.max_level(),
                    unit=i18n.tr("water.unit.m"),
                    decimals=2,
                    status=TILE[top.state()] if top else "none",
                    detail=i18n.tr(
                        "water.tile.max_detail",
                        name=desk.place_name(top.entity, lang, top.row),
                        warn=i18n.number(LEVEL.warn_hi, 1),
                        alarm=i18n.number(LEVEL.alarm_hi, 1),
                    )
                    if top
                    else "",
                ),
                self.tile(
                    "rising",
                    "water.tile.rising",
                    float(len(rising)) if live else None,
                    status="warn" if rising else ("ok" if live else "none"),
                    detail=i18n.tr(
                        "water.tile.rising_detail",
                        name=desk.place_name(rising[0].entity, lang, rising[0].row),
                        rate=i18n.number(rising[0].rise_m_h, 1),
                    )
                    if rising
                    else "",
                ),
                self.tile(
                    "roads",
                    "water.tile.roads",
                    desk.roads_flooded(),
                    status="alarm" if flooded else ("ok" if live else "none"),
                    detail=i18n.tr(
                        "water.tile.roads_detail",
                        km=i18n.number(sum(r.road.length_m for r in flooded) / 1000.0, 1),
                        people=i18n.number(round(pic.people, -3), 0),
                    )
                    if live
                    else "",
                ),
            ]
        )
        self.set_note(i18n.tr("water.note.reports", n=pic.reports) if pic.reports else "")
        rows = []
        for g in gauges:
            state = g.state()
            nxt = g.forecast.at(60.0) if g.forecast is not None else None
            early, expected, late = g.minutes_to(LEVEL.alarm_hi)
            rows.append(
                {
                    "entity": g.entity,
                    "name": desk.place_name(g.entity, lang, g.row),
                    "district": desk.district_name(g.row.district, lang),
                    "level": g.level,
                    "rise": g.rise_m_h,
                    "rate": g.reported_rate,
                    "level_60": None if nxt is None else nxt[0],
                    "to_alarm": self._minutes(early, expected, late),
                    "status": i18n.tr(f"water.status.{state}"),
                    "_colour": COLOURS[state],
                }
            )
        self.set_rows("gauges", rows)
        self.set_rows(
            "roads",
            [
                {
                    "entity": r.road.id,
                    "name": r.road.name_fa if lang == "fa" else r.road.name_en,
                    "district": desk.district_name(r.road.district, lang),
                    "class": i18n.tr(f"water.class.{r.road.cls}"),
                    "state": i18n.tr(f"water.road.{r.state}"),
                    "cause": i18n.tr("water.cause.reports")
                    if r.cause == "137"
                    else desk.place_name(r.cause, lang),
                    "distance": r.distance_m,
                    "_colour": ROAD_COLOURS[r.state],
                }
                for r in pic.roads
            ],
        )
        self._draw_chart(gauges)
        self.show_provenance([g.row for g in gauges])

    @staticmethod
    def _level_text(value, row) -> str:
        """A forecast at the top of the gauge's range means "at least that": the gauge reads no higher."""
        if value is None:
            return "—"
        text = i18n.number(value, 2)
        return f"≥ {text}" if LEVEL.hi is not None and value >= LEVEL.hi - 1e-6 else text

    @staticmethod
    def _minutes(early: float | None, expected: float | None, late: float | None) -> str:
        """ "12 (8–20)" minutes to flood stage; "0" when there; "—" when not expected in the horizon."""
        if expected is None and early is None:
            return "—"
        if expected == 0.0:
            return i18n.number(0)
        mid = "—" if expected is None else i18n.number(expected, 0)
        lo = i18n.number(early, 0) if early is not None else "—"
        hi = i18n.number(late, 0) if late is not None else "…"
        return f"{mid} ({lo}–{hi})"

    def _draw_chart(self, gauges) -> None:
        desk, lang = self.desk, i18n.lang()
        cfg = desk.config
        by_id = {g.entity: g for g in gauges}
        gauge = by_id.get(self.selected or "") or max(
            (g for g in gauges if not g.row.stale and g.level is not None),
            key=lambda g: g.level,
            default=None,
        )
        if gauge is None:
            self.chart.clear(i18n.tr("water.trend.pick"))
            self._drawn = ()
            return
        drawn = (gauge.entity, desk.table.newest_t, id(gauge.forecast), lang)
        if drawn == self._drawn:
            return
        self._drawn = drawn
        name = desk.place_name(gauge.entity, lang, gauge.row)
        window = round(cfg["forecast_window_min"])
        t, v = desk.table.history(gauge.entity, "level")
        keep = t >= desk.table.newest_t - window * 60 * NS
        title = (
            i18n.tr(
                "water.trend.title",
                name=name,
                window=window,
                h=round(cfg["forecast_horizon_min"]),
                p=round(cfg["forecast_level"] * 100),
            )
            if gauge.forecast is not None
            else i18n.tr("water.trend.no_forecast", name=name)
        )
        self.chart.show_series(
            title,
            desk.table.newest_t,
            [("level", t[keep], v[keep], "#4cc9f0")],
            gauge.forecast,
            limits=[(LEVEL.warn_hi, COLOURS["warn"]), (LEVEL.alarm_hi, COLOURS["alarm"])],
            decimals=1,
        )
