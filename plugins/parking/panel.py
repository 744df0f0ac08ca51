"""Qt panel of the parking department (imported only when the console builds the panel)."""

from __future__ import annotations

from console import i18n
from widgets.department_panel import DepartmentPanel
from widgets.forecast_chart import ForecastChart

from .rules import COLOURS, ParkingDesk, level_of


class ParkingPanel(DepartmentPanel):
    title_fa = "پارکینگ‌های شهری"
    title_en = "Parking"

    def __init__(self, desk: ParkingDesk, parent=None):
        self.desk = desk
        self.selected: str | None = None
        self._drawn: tuple = ()
        super().__init__(desk, parent)

    def build(self) -> None:
        cfg = self.desk.config
        h, p = round(cfg["forecast_horizon_min"]), round(cfg["forecast_level"] * 100)
        self.add_table(
            "lots",
            *self.both("parking.tab.lots"),
            [
                self.column("name", "parking.col.lot", sort_by="entity"),
                self.column("district", "col.district"),
                self.column("occupancy", "parking.col.occupancy", "number"),
                self.column("free", "parking.col.free", "number"),
                self.column("capacity", "parking.col.capacity", "number"),
                self.column("next", "parking.col.forecast", "number", h=h),
                self.column("interval", "parking.col.interval", p=p),
                self.column("minutes", "parking.col.minutes_to_full", "number"),
                self.column("status", "parking.col.status"),
            ],
            on_select=self._on_select,
        )
        self.add_table(
            "districts",
            *self.both("parking.tab.districts"),
            [
                self.column("name", "col.district", sort_by="entity"),
                self.column("lots", "parking.col.lots", "number"),
                self.column("occupancy", "parking.col.occupancy", "number"),
                self.column("free", "parking.col.free", "number"),
                self.column("capacity", "parking.col.capacity", "number"),
                self.column("status", "parking.col.status"),
            ],
        )
        self.chart = ForecastChart(self)
        self.add_tab(self.chart, *self.both("parking.tab.trend"))

    def _on_select(self, row: dict) -> None:
        self.selected = row.get("entity")
        self._draw_chart(self.desk.lots())

    # -- refresh -------------------------------------------------------------------------------------
    def refresh(self) -> None:
        desk, lang = self.desk, i18n.lang()
        cfg = desk.config
        busy, full = cfg["busy_pct"], cfg["full_pct"]
        lots = desk.lots()
        soon = desk.expected_full(lots)
        live = [x for x in lots if not x.row.stale]
        h = round(cfg["forecast_horizon_min"])
        soon_detail = (
            i18n.tr(
                "parking.tile.soon_detail",
                name=desk.place_name(soon[0].entity, lang, soon[0].row),
                minutes=round(soon[0].minutes_to_full()),
            )
            if soon
            else ("" if any(x.forecast for x in lots) else i18n.tr("parking.tile.no_forecast"))
        )
        full_now = desk.lots_full()
        self.set_tiles(
            [
                self.tile(
                    "occupancy",
                    "parking.tile.occupancy",
                    desk.city_occupancy(),
                    unit="%",
                    status=self._status(desk.city_occupancy(), busy, full),
                    detail=i18n.tr("parking.tile.of_lots", n=len(live)),
                ),
                self.tile("free", "parking.tile.free", desk.free_spaces(), status="ok" if live else "none"),
                self.tile(
                    "full",
                    "parking.tile.full",
                    full_now,
                    status="alarm" if full_now else ("ok" if full_now is not None else "none"),
                ),
                self.tile(
                    "soon",
                    "parking.tile.soon",
                    float(len(soon)) if any(x.forecast for x in lots) else None,
                    status="warn" if soon else "ok",
                    detail=soon_detail,
                    fmt={"h": h},
                ),
            ]
        )
        rows = []
        for lot in lots:
            nxt = lot.next()
            minutes = lot.minutes_to_full()
            level = "stale" if lot.row.stale else level_of(lot.occupancy, busy, full)
            rows.append(
                {
                    "entity": lot.entity,
                    "name": desk.place_name(lot.entity, lang, lot.row),
                    "district": desk.district_name(lot.row.district, lang),
                    "occupancy": lot.occupancy,
                    "free": lot.free,
                    "capacity": lot.capacity,
                    "next": None if nxt is None else nxt[0],
                    "interval": "—" if nxt is None else f"{i18n.number(nxt[1], 0)}–{i18n.number(nxt[2], 0)}",
                    "minutes": minutes,
                    "status": i18n.tr(f"parking.status.{level}"),
                    "_colour": COLOURS.get(level, COLOURS["unknown"]),
                }
            )
        self.set_rows("lots", rows)
        self.set_rows(
            "districts",
            [
                {
                    "entity": d.district,
                    "name": desk.district_name(d.district, lang),
                    "lots": d.live_lots,
                    "occupancy": d.occupancy,
                    "free": d.free,
                    "capacity": d.capacity,
                    "status": i18n.tr(f"parking.status.{level_of(d.occupancy, busy, full)}"),
                    "_colour": COLOURS[level_of(d.occupancy, busy, full)],
                }
                for d in desk.districts(lots)
            ],
        )
        self._draw_chart(lots)
        self.show_provenance([x.row for x in lots])

    @staticmethod
    def _status(value: float | None, busy: float, full: float) -> str:
        level = level_of(value, busy, full)
        return {"ok": "ok", "busy": "warn", "full": "alarm"}.get(level, "none")

    def _draw_chart(self, lots) -> None:
        desk, lang = self.desk, i18n.lang()
        cfg = desk.config
        by_id = {x.entity: x for x in lots}
        lot = by_id.get(self.selected or "")
        if lot is None:  # nothing chosen yet: the lot closest to full (forecast first)
            ranked = sorted(
                (x for x in lots if not x.row.stale),
                key=lambda x: -(x.next()[0] if x.next() else (x.occupancy or 0.0)),
            )
            lot = ranked[0] if ranked else None
        if lot is None:
            self.chart.clear(i18n.tr("parking.trend.pick"))
            self._drawn = ()
            return
        drawn = (lot.entity, desk.table.newest_t, id(lot.forecast), lang)
        if drawn == self._drawn:
            return  # nothing new to draw
        self._drawn = drawn
        name = desk.place_name(lot.entity, lang, lot.row)
        t, v = desk.table.history(lot.entity, "occupancy")
        window = round(cfg["forecast_window_min"])
        if lot.forecast is None:
            title = i18n.tr(
                "parking.trend.no_forecast",
                name=name,
                n=len({int(x // 60_000_000_000) for x in t}),
                need=int(cfg["forecast_min_points"]),
            )
        else:
            title = i18n.tr(
                "parking.trend.title",
                name=name,
                window=window,
                h=round(cfg["forecast_horizon_min"]),
                p=round(cfg["forecast_level"] * 100),
            )
        now = desk.table.newest_t
        keep = t >= now - window * 60 * 1_000_000_000
        self.chart.show_series(
            title,
            now,
            [("occupancy", t[keep], v[keep], COLOURS["ok"])],
            lot.forecast,
            limits=[(cfg["full_pct"], COLOURS["full"]), (cfg["busy_pct"], COLOURS["busy"])],
            y_range=(0.0, 100.0),
        )
