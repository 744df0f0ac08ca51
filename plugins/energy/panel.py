"""Qt panel of the energy department (imported only when the console builds the panel)."""

from __future__ import annotations

from console import i18n
from widgets.department_panel import DepartmentPanel
from widgets.forecast_chart import ForecastChart

from .rules import COLOURS, EnergyDesk

STATUS_TILE = {"ok": "ok", "busy": "warn", "over": "alarm", "out": "alarm", "unknown": "stale"}


class EnergyPanel(DepartmentPanel):
    title_fa = "برق و انرژی"
    title_en = "Energy"

    def __init__(self, desk: EnergyDesk, parent=None):
        self.desk = desk
        self._drawn: tuple = ()
        super().__init__(desk, parent)

    def build(self) -> None:
        self.add_table(
            "substations",
            *self.both("energy.tab.substations"),
            [
                self.column("name", "energy.col.substation", sort_by="entity"),
                self.column("district", "col.district"),
                self.column("load", "energy.col.load", "number", 1),
                self.column("load_pct", "energy.col.load_pct", "number"),
                self.column("voltage", "energy.col.voltage", "number", 2),
                self.column("frequency", "energy.col.frequency", "number", 2),
                self.column("status", "energy.col.status"),
            ],
        )
        self.add_table(
            "outages",
            *self.both("energy.tab.outages"),
            [
                self.column("name", "energy.col.substation", sort_by="entity"),
                self.column("since", "energy.col.since", "time"),
                self.column("people", "energy.col.people", "number"),
                self.column("districts", "energy.col.districts"),
            ],
        )
        self.add_table(
            "solar",
            *self.both("energy.tab.solar"),
            [
                self.column("name", "energy.col.plant", sort_by="entity"),
                self.column("district", "col.district"),
                self.column("power", "energy.col.power", "number"),
                self.column("expected", "energy.col.expected", "number"),
                self.column("ratio", "energy.col.ratio", "number"),
                self.column("capacity", "energy.col.capacity", "number"),
            ],
        )
        self.chart = ForecastChart(self)
        self.add_tab(self.chart, *self.both("energy.tab.solar_chart"))

    def refresh(self) -> None:
        desk, lang = self.desk, i18n.lang()
        subs = desk.substations()
        live = [s for s in subs if not s.row.stale]
        outage = desk.outage
        load = desk.grid_load_pct()
        top = max(
            (s for s in live if not s.out and s.value("load_pct") is not None),
            key=lambda s: s.value("load_pct"),
            default=None,
        )
        ratio = desk.solar_ratio_pct()
        sep = "، " if lang == "fa" else ", "
        self.set_tiles(
            [
                self.tile(
                    "in_service",
                    "energy.tile.in_service",
                    desk.in_service_pct(),
                    unit="%",
                    status="alarm" if outage.substations else ("ok" if live else "none"),
                    detail=i18n.tr(
                        "energy.tile.in_service_detail", up=len(live) - len(outage.substations), n=len(live)
                    )
                    if live
                    else "",
                ),
                self.tile(
                    "people",
                    "energy.tile.people",
                    None if not live else round(outage.people, -2),
                    status="alarm" if outage.substations else ("ok" if live else "none"),
                    detail=i18n.tr(
                        "energy.tile.people_detail",
                        n=len(outage.substations),
                        districts=sep.join(
                            desk.district_name(d.district.id, lang) for d in outage.districts[:4]
                        ),
                    )
                    if outage.substations
                    else i18n.tr("energy.tile.no_outage"),
                ),
                self.tile(
                    "load",
                    "energy.tile.load",
                    load,
                    unit="%",
                    status="ok"
                    if load is not None and load < desk.config["busy_load_pct"]
                    else ("warn" if load else "none"),
                    detail=i18n.tr(
                        "energy.tile.load_detail",
                        name=desk.place_name(top.entity, lang, top.row),
                        pct=round(top.value("load_pct")),
                    )
                    if top
                    else "",
                ),
                self.tile(
                    "solar",
                    "energy.tile.solar",
                    desk.solar_power_kw(),
                    unit=i18n.tr("energy.unit.kw"),
                    status="none" if ratio is None else ("ok" if ratio >= 80 else "warn"),
                    detail=i18n.tr("energy.tile.solar_detail", ratio=round(ratio))
                    if ratio is not None
                    else i18n.tr("energy.tile.solar_night"),
                ),
            ]
        )
        self.set_note(i18n.tr("energy.outage.note") if outage.substations else "")
        self.set_rows(
            "substations",
            [
                {
                    "entity": s.entity,
                    "name": desk.place_name(s.entity, lang, s.row),
                    "district": desk.district_name(s.row.district, lang),
                    "load": s.value("load"),
                    "load_pct": s.value("load_pct"),
                    "voltage": s.value("voltage"),
                    "frequency": s.value("frequency"),
                    "status": i18n.tr(f"energy.status.{desk.load_level(s)}"),
                    "_colour": COLOURS[desk.load_level(s)],
                }
                for s in subs
            ],
        )
        self._outages()
        self._solar()
        self.show_provenance([s.row for s in subs] + [p.row for p in desk.plants()])

    def _outages(self) -> None:
        desk, lang = self.desk, i18n.lang()
        rows = []
        sep = "، " if lang == "fa" else ", "
        for s in desk.outage.substations:
            shares = desk.outage.by_substation.get(s.entity, [])
            rows.append(
                {
                    "entity": s.entity,
                    "name": desk.place_name(s.entity, lang, s.row),
                    "since": s.since,
                    "people": round(sum(d.people for d in shares), -2),
                    "districts": sep.join(
                        f"{desk.district_name(d.district.id, lang)} ({i18n.number(d.share * 100, 0)}٪)"
                        if lang == "fa"
                        else f"{desk.district_name(d.district.id, lang)} ({d.share * 100:.0f}%)"
                        for d in shares
                    ),
                    "_colour": COLOURS["out"],
                }
            )
        self.set_rows("outages", rows)

    def _solar(self) -> None:
        desk, lang = self.desk, i18n.lang()
        rows = []
        for p in desk.plants():
            ratio = p.ratio
            rows.append(
                {
                    "entity": p.entity,
                    "name": desk.place_name(p.entity, lang, p.row),
                    "district": desk.district_name(p.row.district, lang),
                    "power": p.power,
                    "expected": p.expected,
                    "ratio": None if ratio is None else ratio * 100.0,
                    "capacity": p.capacity,
                    "_colour": COLOURS["unknown"]
                    if p.row.stale or ratio is None
                    else (COLOURS["ok"] if ratio >= 0.8 else COLOURS["busy"]),
                }
            )
        self.set_rows("solar", rows)
        drawn = (desk.table.newest_t, lang)
        if drawn == self._drawn:
            return
        self._drawn = drawn
        t, power, expected = desk.solar_history()
        self.chart.show_series(
            i18n.tr("energy.chart.title"),
            desk.table.newest_t,
            [("expected", t, expected, "#4cc9f0"), ("power", t, power, COLOURS["ok"])],
            y_range=(0.0, max(1.0, float(max(expected.max(initial=0.0), power.max(initial=0.0))) * 1.1)),
        )
