"""Qt-free logic of the parking department: lots, districts, one-hour forecasts, map layers.

Every lot's occupancy is kept for a few hours (LatestTable history). Once per forecast step of
data time the lots' recent series are put on a one-minute grid and forecast together
(console.forecast: damped-trend smoothing, 80 % interval); districts are the capacity-weighted sum
of their live lots. Both are published as derived readings (`derived/parking/forecast` per lot,
`derived/parking/district` per district) for the rules in rules.toml, and drawn on two map layers.
A lot whose feed is stale has no forecast and does not count in its district: unknown, not zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from console import i18n
from console.departments import Department, Row, RowView
from console.forecast import NS, Forecast, forecast_many
from console.maplayers import FeatureStyle, LegendItem, MapFeature
from console.model import Reading

DEFAULTS = {
    "full_pct": 97.0,  # a lot at or above this occupancy is full
    "busy_pct": 85.0,  # ... and busy from here
    "forecast_horizon_min": 60.0,
    "forecast_window_min": 90.0,  # how much recent history the forecast looks at
    "forecast_step_s": 60.0,  # grid of the forecast (and how often it is recomputed, in data time)
    "forecast_level": 0.8,  # coverage of the interval shown and published
    "forecast_min_points": 10,  # filled grid steps needed before a forecast is made
}
COLOURS = {"ok": "#3fb950", "busy": "#d29922", "full": "#ff6b6b", "unknown": "#8b98a5"}


@dataclass(frozen=True)
class LotState(RowView):
    capacity: float | None
    forecast: Forecast | None
    horizon_min: float
    full_pct: float

    @property
    def occupancy(self) -> float | None:
        return self.row.value("occupancy")

    @property
    def free(self) -> float | None:
        return self.row.value("free")

    def next(self) -> tuple[float, float, float] | None:
        """(mean, lo, hi) occupancy at the forecast horizon; None without a forecast."""
        return None if self.forecast is None else self.forecast.at(self.horizon_min)

    def minutes_to_full(self) -> float | None:
        """Expected minutes until full (0 when full now); None when not expected within the horizon."""
        if self.occupancy is not None and self.occupancy >= self.full_pct and not self.row.stale:
            return 0.0
        if self.forecast is None:
            return None
        return self.forecast.crossing(self.full_pct)[1]


@dataclass(frozen=True)
class DistrictState:
    district: str
    lots: int
    live_lots: int
    capacity: float | None
    free: float | None

    @property
    def occupancy(self) -> float | None:
        if not self.capacity or self.free is None:
            return None
        return 100.0 * (1.0 - self.free / self.capacity)


def lot_capacity(row: Row) -> float | None:
    """Spaces of a lot: as the feed states it, else from free spaces and occupancy; None when unknowable."""
    cap = row.reading.attrs.get("capacity")
    if isinstance(cap, int | float) and cap > 0:
        return float(cap)
    occ, free = row.value("occupancy"), row.value("free")
    if occ is not None and free is not None and occ < 100.0:
        return free / (1.0 - occ / 100.0)
    return None


def level_of(occupancy: float | None, busy: float, full: float) -> str:
    if occupancy is None:
        return "unknown"
    return "full" if occupancy >= full else "busy" if occupancy >= busy else "ok"


class ParkingDesk(Department):
    def __init__(self, folder: Path):
        super().__init__(
            "parking", folder, ("parking/lot",), history={"occupancy": 3 * 3600.0}, defaults=DEFAULTS
        )
        self._forecasts: dict[str, Forecast] = {}
        self._computed_t = 0
        self.districts_layer = None
        self.forecast_layer = None

    # -- wiring --------------------------------------------------------------------------------------
    def activate(self, ctx) -> None:
        super().activate(ctx)
        legend = [
            LegendItem(COLOURS["ok"], "خلوت", "Spaces available", "square"),
            LegendItem(COLOURS["busy"], "شلوغ", "Busy", "square"),
            LegendItem(COLOURS["full"], "پر", "Full", "square"),
        ]
        self.districts_layer = self.add_layer(
            "districts", "اشغال پارکینگ در مناطق", "Parking occupancy by district", z=12, legend=legend
        )
        self.forecast_layer = self.add_layer(
            "forecast",
            "پارکینگ‌های رو به پر شدن",
            "Lots expected full within the hour",
            z=32,
            legend=[LegendItem(COLOURS["full"], "پر در افق پیش‌بینی", "Full within the horizon", "diamond")],
        )
        self.add_kpi(
            "mobility",
            "parking_occupancy",
            self.city_occupancy,
            "اشغال پارکینگ‌های شهر",
            "City parking occupancy",
            "%",
        )
        self.add_kpi(
            "mobility", "parking_free_spaces", self.free_spaces, "جای خالی پارکینگ", "Free parking spaces"
        )
        self.add_kpi("mobility", "parking_lots_full", self.lots_full, "پارکینگ‌های پر", "Full parking lots")
        self.add_kpi(
            "economy",
            "parking_occupied_spaces",
            self.occupied_spaces,
            "جای پارک اشغال‌شده",
            "Occupied parking spaces",
        )

    # -- state ---------------------------------------------------------------------------------------
    @property
    def horizon_min(self) -> float:
        return float(self.config["forecast_horizon_min"])

    def lots(self) -> list[LotState]:
        full = float(self.config["full_pct"])
        return [
            LotState(row, lot_capacity(row), self._forecasts.get(row.entity), self.horizon_min, full)
            for row in sorted(self.table.rows(), key=lambda r: r.entity)
        ]

    def districts(self, lots: list[LotState] | None = None) -> list[DistrictState]:
        lots = self.lots() if lots is None else lots
        groups: dict[str, list[LotState]] = {}
        for lot in lots:
            groups.setdefault(lot.row.district or "?", []).append(lot)
        out = []
        for district, members in sorted(groups.items()):
            live = [x for x in members if not x.row.stale and x.capacity is not None and x.free is not None]
            out.append(
                DistrictState(
                    district,
                    len(members),
                    len(live),
                    sum(x.capacity for x in live) if live else None,
                    sum(x.free for x in live) if live else None,
                )
            )
        return out

    def _live(self) -> list[LotState]:
        return [x for x in self.lots() if not x.row.stale and x.capacity is not None and x.free is not None]

    def city_occupancy(self) -> float | None:
        live = self._live()
        capacity = sum(x.capacity for x in live)
        return 100.0 * (1.0 - sum(x.free for x in live) / capacity) if capacity else None

    def free_spaces(self) -> float | None:
        live = self._live()
        return float(sum(x.free for x in live)) if live else None

    def occupied_spaces(self) -> float | None:
        live = self._live()
        return float(sum(x.capacity - x.free for x in live)) if live else None

    def lots_full(self) -> float | None:
        live = [x for x in self.lots() if not x.row.stale and x.occupancy is not None]
        return float(sum(1 for x in live if x.occupancy >= self.config["full_pct"])) if live else None

    def expected_full(self, lots: list[LotState] | None = None) -> list[LotState]:
        """Lots not full now whose forecast reaches full within the horizon, soonest first."""
        out = [
            x
            for x in (self.lots() if lots is None else lots)
            if not x.row.stale and (m := x.minutes_to_full()) is not None and m > 0
        ]
        return sorted(out, key=lambda x: x.minutes_to_full())

    # -- per batch -----------------------------------------------------------------------------------
    def update(self, topic: str, items: list) -> None:
        step_ns = int(float(self.config["forecast_step_s"]) * NS)
        newest = self.table.newest_t
        if newest - self._computed_t < step_ns:
            return
        self._computed_t = newest
        self._forecast()
        lots = self.lots()
        districts = self.districts(lots)
        self.publish(self._derived(lots, districts))
        self._draw(lots, districts)

    def _forecast(self) -> None:
        cfg = self.config
        rows = [r for r in self.table.rows() if not r.stale]
        series = [self.table.history(r.entity, "occupancy") for r in rows]
        fits = forecast_many(
            series,
            horizon_s=float(cfg["forecast_horizon_min"]) * 60.0,
            step_s=float(cfg["forecast_step_s"]),
            window_s=float(cfg["forecast_window_min"]) * 60.0,
            end_ns=self.table.newest_t,
            level=float(cfg["forecast_level"]),
            min_points=int(cfg["forecast_min_points"]),
            bounds=(0.0, 100.0),
        )
        self._forecasts = {r.entity: f for r, f in zip(rows, fits, strict=True) if f is not None}

    def _derived(self, lots: list[LotState], districts: list[DistrictState]) -> list[Reading]:
        out = []
        for lot in lots:
            nxt = lot.next()
            if nxt is None:
                continue
            r = lot.row.reading
            out.append(
                self.derive(
                    "forecast",
                    lot.entity,
                    {
                        "occupancy_next": round(nxt[0], 1),
                        "occupancy_next_lo": round(nxt[1], 1),
                        "occupancy_next_hi": round(nxt[2], 1),
                        "horizon_min": self.horizon_min,
                    },
                    etype="ParkingForecast",
                    attrs={"district": lot.row.district, "name_fa": r.attrs.get("name_fa", "")},
                    lat=r.lat,
                    lon=r.lon,
                )
            )
        for d in districts:
            occ = d.occupancy
            centre = self.district_centre(d.district)
            if occ is None or centre is None:
                continue
            out.append(
                self.derive(
                    "district",
                    d.district,
                    {"occupancy": round(occ, 1), "free": d.free, "capacity": d.capacity, "lots": d.live_lots},
                    etype="ParkingDistrict",
                    attrs={
                        "district": d.district,
                        "name_fa": self.district_name(d.district, "fa"),
                        "name_en": self.district_name(d.district, "en"),
                    },
                    lat=centre[0],
                    lon=centre[1],
                )
            )
        return out

    def _draw(self, lots: list[LotState], districts: list[DistrictState]) -> None:
        busy, full = float(self.config["busy_pct"]), float(self.config["full_pct"])
        features = []
        for d in districts:
            geometry = self.district_geometry(d.district)
            if geometry is None:
                continue
            occ = d.occupancy
            colour = COLOURS[level_of(occ, busy, full)]
            pct = "—" if occ is None else f"{occ:.0f}%"
            features.append(
                MapFeature(
                    id=d.district,
                    geometry=geometry,
                    style=FeatureStyle(color=colour, fill=colour, fill_opacity=0.22, weight=1.5, dash="4 3"),
                    title_fa=f"{self.district_name(d.district, 'fa')} — اشغال {i18n.number(occ, 0, 'fa')}٪",
                    title_en=f"{self.district_name(d.district, 'en')} — parking {pct}",
                    props={
                        "parking.col.occupancy": "—" if occ is None else round(occ),
                        "parking.col.free": "—" if d.free is None else round(d.free),
                        "parking.col.capacity": "—" if d.capacity is None else round(d.capacity),
                        "parking.col.lots": d.live_lots,
                    },
                )
            )
        self.districts_layer.replace(features)
        soon = []
        for lot in self.expected_full(lots):
            r = lot.row.reading
            if r.lat is None or r.lon is None:
                continue
            minutes = lot.minutes_to_full()
            soon.append(
                MapFeature.point(
                    f"forecast-{lot.entity}",
                    r.lat,
                    r.lon,
                    style=FeatureStyle(
                        color=COLOURS["full"],
                        fill=COLOURS["full"],
                        symbol="diamond",
                        radius_px=9.0,
                        fill_opacity=0.5,
                    ),
                    title_fa=f"{self.place_name(lot.entity, 'fa', lot.row)}: پر تا {i18n.number(minutes, 0, 'fa')} دقیقهٔ دیگر",
                    title_en=f"{self.place_name(lot.entity, 'en', lot.row)}: full in {minutes:.0f} min",
                    entity=lot.entity,
                    props={
                        "parking.col.occupancy": round(lot.occupancy or 0),
                        "parking.col.minutes_to_full": round(minutes),
                    },
                    t=self.table.newest_t,
                )
            )
        self.forecast_layer.replace(soon)
