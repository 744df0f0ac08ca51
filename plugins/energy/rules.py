"""Qt-free logic of the energy department: substations, outage areas, solar against its expectation.

- A substation is *de-energised* when its feed says it tripped or its voltage is at or below
  `outage_voltage_kv`. A substation whose feed is stale is *unknown*, never counted as an outage.
- Its *service area* is approximated by the nearest-substation cells of the city (the feeder map is
  not known to the console; the panel and the map say so). The outage area is the union of the
  cells of de-energised substations; the districts it covers and the people in them (population
  times covered share) are what the crisis cell needs.
- Solar: each plant's production against its expected (clear-sky, diurnal) production; the
  missing share of the expected production is what the rules judge (0 at night: nothing is
  expected, nothing is missing, and an alarm raised in the afternoon clears).
Derived readings: `derived/energy/grid` (city) and `derived/energy/solar` (per plant).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from shapely.ops import unary_union

from console import i18n
from console.areas import DistrictShare, districts_in, geojson, service_areas
from console.departments import Department, Row, RowView
from console.forecast import NS
from console.maplayers import FeatureStyle, LegendItem, MapFeature, area_style
from console.model import Priority

DEFAULTS = {
    "outage_voltage_kv": 1.0,  # at or below: de-energised
    "busy_load_pct": 85.0,  # map/panel colours
    "overload_pct": 100.0,
    "solar_min_expected_pct": 5.0,  # below this share of capacity expected, the ratio is not judged (night)
}
COLOURS = {"ok": "#3fb950", "busy": "#d29922", "over": "#ff6b6b", "out": "#e5383b", "unknown": "#8b98a5"}


@dataclass(frozen=True)
class SubstationState(RowView):
    out: bool  # de-energised (and the feed is live)
    since: int | None  # ns: first reading seen de-energised


@dataclass(frozen=True)
class Outage:
    substations: list[SubstationState]
    area: Any  # lon/lat geometry (None without city)
    districts: list[DistrictShare]
    by_substation: dict[str, list[DistrictShare]]  # the districts (and shares) of each one's area

    @property
    def people(self) -> float:
        return sum(d.people for d in self.districts)


@dataclass(frozen=True)
class PlantState(RowView):
    capacity: float | None
    min_expected_pct: float

    @property
    def power(self) -> float | None:
        return self.row.value("power")

    @property
    def expected(self) -> float | None:
        return self.row.value("expected")

    @property
    def judged(self) -> bool:
        """Enough sun expected to compare production with it (not at night, not at dawn)."""
        e, cap = self.expected, self.capacity
        return e is not None and cap is not None and e >= cap * self.min_expected_pct / 100.0

    @property
    def ratio(self) -> float | None:
        """Production / expected production while the sun is up; None otherwise."""
        return self.power / self.expected if self.judged and self.power is not None else None

    @property
    def shortfall_pct(self) -> float | None:
        """Share of the expected production that is missing, in %, while the sun is up; 0 when nothing
        meaningful is expected (night, dawn: nothing is missing); None without data."""
        p, e = self.power, self.expected
        if p is None or e is None or self.capacity is None:
            return None
        if not self.judged:
            return 0.0
        return max(0.0, (1.0 - p / e) * 100.0)


class EnergyDesk(Department):
    def __init__(self, folder: Path):
        super().__init__(
            "energy",
            folder,
            ("energy/substation", "energy/solar"),
            history={"load": 3 * 3600.0, "power": 3 * 3600.0, "expected": 3 * 3600.0},
            defaults=DEFAULTS,
        )
        self._since: dict[str, int] = {}
        self._cells: dict[str, Any] = {}
        self._cells_for: tuple = ()
        self._computed = 0
        self.outage = Outage([], None, [], {})
        self.load_layer = self.outage_layer = self.solar_layer = None

    # -- wiring --------------------------------------------------------------------------------------
    def activate(self, ctx) -> None:
        super().activate(ctx)
        self.outage_layer = self.add_layer(
            "outage",
            "محدودهٔ قطع برق (تقریبی)",
            "Power outage areas (approximate)",
            z=14,
            legend=[LegendItem(COLOURS["out"], "بی‌برق", "Without power", "square")],
        )
        self.load_layer = self.add_layer(
            "load",
            "بار پست‌ها در محدودهٔ خدمت (تقریبی)",
            "Substation load by service area (approximate)",
            z=9,
            visible=False,
            legend=[
                LegendItem(COLOURS["ok"], "عادی", "Normal", "square"),
                LegendItem(COLOURS["busy"], "پربار", "Heavily loaded", "square"),
                LegendItem(COLOURS["over"], "اضافه‌بار", "Overloaded", "square"),
            ],
        )
        self.solar_layer = self.add_layer(
            "solar",
            "نیروگاه‌های خورشیدی: تولید در برابر انتظار",
            "Solar plants: production against expected",
            z=31,
            legend=[
                LegendItem(COLOURS["ok"], "مطابق انتظار", "As expected", "square"),
                LegendItem(COLOURS["busy"], "کمتر از انتظار", "Below expected", "square"),
                LegendItem(COLOURS["unknown"], "شب یا نامعلوم", "Night or unknown", "square"),
            ],
        )
        self.add_kpi(
            "infrastructure",
            "substations_in_service",
            self.in_service_pct,
            "پست‌های برق در مدار",
            "Substations in service",
            "%",
        )
        self.add_kpi("infrastructure", "grid_load", self.grid_load_pct, "بار شبکه", "Grid load", "%")
        self.add_kpi(
            "people", "people_without_power", self.people_without_power, "جمعیت بی‌برق", "People without power"
        )
        self.add_kpi(
            "environment", "solar_power", self.solar_power_kw, "تولید خورشیدی", "Solar production", "kW"
        )
        self.add_kpi(
            "environment",
            "solar_performance",
            self.solar_ratio_pct,
            "عملکرد خورشیدی",
            "Solar performance",
            "%",
        )

    # -- state ---------------------------------------------------------------------------------------
    def _of(self, topic: str) -> list[Row]:
        return sorted((r for r in self.table.rows() if r.reading.topic == topic), key=lambda r: r.entity)

    def is_out(self, row: Row) -> bool:
        if row.stale:
            return False
        v = row.value("voltage")
        return row.reading.attrs.get("status") == "tripped" or (
            v is not None and v <= float(self.config["outage_voltage_kv"])
        )

    def substations(self) -> list[SubstationState]:
        return [
            SubstationState(r, self.is_out(r), self._since.get(r.entity))
            for r in self._of("energy/substation")
        ]

    def plants(self) -> list[PlantState]:
        cut = float(self.config["solar_min_expected_pct"])
        out = []
        for r in self._of("energy/solar"):
            cap = r.reading.attrs.get("capacity_kw")
            out.append(PlantState(r, float(cap) if isinstance(cap, int | float) and cap > 0 else None, cut))
        return out

    def in_service_pct(self) -> float | None:
        live = [s for s in self.substations() if not s.row.stale]
        return 100.0 * sum(1 for s in live if not s.out) / len(live) if live else None

    def grid_load_pct(self) -> float | None:
        """Load of the energised live substations against their rating (from load and load %)."""
        load = rated = 0.0
        for s in self.substations():
            mw, pct = s.value("load"), s.value("load_pct")
            if s.row.stale or s.out or mw is None or not pct:
                continue
            load += mw
            rated += mw / (pct / 100.0)
        return 100.0 * load / rated if rated else None

    def people_without_power(self) -> float | None:
        live = [s for s in self.substations() if not s.row.stale]
        return self.outage.people if live else None

    def solar_power_kw(self) -> float | None:
        vals = [p.power for p in self.plants() if not p.row.stale and p.power is not None]
        return float(sum(vals)) if vals else None

    def solar_ratio_pct(self) -> float | None:
        judged = [p for p in self.plants() if not p.row.stale and p.ratio is not None]
        expected = sum(p.expected for p in judged)
        return 100.0 * sum(p.power for p in judged) / expected if expected else None

    def solar_history(self) -> tuple[Any, Any, Any]:
        """City totals over time: (t ns, power kW, expected kW), on the plants' common report times."""
        totals: dict[int, list[float]] = {}
        for p in self.plants():
            tp, vp = self.table.history(p.entity, "power")
            te, ve = self.table.history(p.entity, "expected")
            for t, v in zip(tp.tolist(), vp.tolist(), strict=True):
                totals.setdefault(t, [0.0, 0.0])[0] += v
            for t, v in zip(te.tolist(), ve.tolist(), strict=True):
                totals.setdefault(t, [0.0, 0.0])[1] += v
        ts = sorted(totals)
        return (
            np.array(ts, np.int64),
            np.array([totals[t][0] for t in ts]),
            np.array([totals[t][1] for t in ts]),
        )

    # -- per batch -----------------------------------------------------------------------------------
    def update(self, topic: str, items: list) -> None:
        newest = self.table.newest_t
        if newest - self._computed < 2 * NS:  # substations report every 5 s, plants every 10 s
            return
        self._computed = newest
        self._substations()  # both, whatever arrived: a silent feed turns its sites unknown
        self._solar()

    def _substations(self) -> None:
        subs = self.substations()
        for s in subs:
            if s.out:
                self._since.setdefault(s.entity, s.row.reading.t)
            elif not s.row.stale:
                self._since.pop(s.entity, None)
        subs = self.substations()
        cells = self._service_cells(subs)
        out = [s for s in subs if s.out]
        area = None
        if cells and out:
            area = unary_union([cells[s.entity] for s in out if s.entity in cells])
        by_sub = {s.entity: districts_in(self.city, cells.get(s.entity)) for s in out}
        self.outage = Outage(out, area, districts_in(self.city, area), by_sub)
        live = [s for s in subs if not s.row.stale]
        if live:
            centre = self.city.center if self.city is not None else (None, None)
            values = {
                "substations": float(len(live)),
                "substations_out": float(len(out)),
                "people_without_power": round(self.outage.people),
                "districts_affected": float(len(self.outage.districts)),
            }
            load = self.grid_load_pct()
            if load is not None:
                values["load_pct"] = round(load, 1)
            self.publish(
                [self.derive("grid", self.city_key, values, etype="PowerGrid", lat=centre[0], lon=centre[1])]
            )
        self._draw_substations(subs, cells)

    @property
    def city_key(self) -> str:
        return getattr(self.city, "key", "city")

    def _service_cells(self, subs: list[SubstationState]) -> dict[str, Any]:
        if self.city is None:
            return {}
        sites = tuple(
            (s.entity, s.row.reading.lat, s.row.reading.lon) for s in subs if s.row.reading.lat is not None
        )
        if sites != self._cells_for:  # substations do not move: computed once per set of sites
            self._cells = service_areas(list(sites), self.city)
            self._cells_for = sites
        return self._cells

    def load_level(self, s: SubstationState) -> str:
        if s.row.stale:
            return "unknown"
        if s.out:
            return "out"
        pct = s.value("load_pct")
        if pct is None:
            return "unknown"
        return (
            "over"
            if pct >= self.config["overload_pct"]
            else "busy"
            if pct >= self.config["busy_load_pct"]
            else "ok"
        )

    def _draw_substations(self, subs: list[SubstationState], cells: dict[str, Any]) -> None:
        load_features, outage_features = [], []
        for s in subs:
            shape_ = geojson(cells.get(s.entity))
            if shape_ is None:
                continue
            name_fa, name_en = self.place_name(s.entity, "fa", s.row), self.place_name(s.entity, "en", s.row)
            level = self.load_level(s)
            colour = COLOURS[level]
            pct = s.value("load_pct")
            load_features.append(
                MapFeature(
                    id=s.entity,
                    geometry=shape_,
                    style=FeatureStyle(color=colour, fill=colour, fill_opacity=0.15, weight=1.0),
                    title_fa=f"{name_fa}: بار {i18n.number(pct, 0, 'fa')}٪",
                    title_en=f"{name_en}: load {'—' if pct is None else f'{pct:.0f}%'}",
                    entity=s.entity,
                    props={
                        "energy.col.load_pct": "—" if pct is None else round(pct),
                        "energy.map.approximate": "✓",
                    },
                )
            )
            if s.out:
                shares = self.outage.by_substation.get(s.entity, [])
                people = sum(d.people for d in shares)
                outage_features.append(
                    MapFeature(
                        id=s.entity,
                        geometry=shape_,
                        style=area_style(Priority.SEVERE),
                        title_fa=f"قطع برق: {name_fa}",
                        title_en=f"Power outage: {name_en}",
                        entity=s.entity,
                        priority=int(Priority.SEVERE),
                        props={
                            "energy.col.people": round(people, -2),
                            "energy.col.districts": ", ".join(sh.district.name_en for sh in shares),
                            "energy.map.approximate": "✓",
                        },
                        t=s.since or 0,
                    )
                )
        self.load_layer.replace(load_features)
        self.outage_layer.replace(outage_features)

    def _solar(self) -> None:
        plants = self.plants()
        derived, features = [], []
        for p in plants:
            r = p.row.reading
            short = p.shortfall_pct
            if not p.row.stale and short is not None:
                values = {"shortfall_pct": round(short, 1)}
                if p.ratio is not None:
                    values["ratio"] = round(p.ratio, 3)
                derived.append(
                    self.derive("solar", p.entity, values, etype="SolarPerformance", lat=r.lat, lon=r.lon)
                )
            if r.lat is None or r.lon is None:
                continue
            ratio = p.ratio
            colour = (
                COLOURS["unknown"]
                if p.row.stale or ratio is None
                else (COLOURS["ok"] if ratio >= 0.8 else COLOURS["busy"])
            )
            features.append(
                MapFeature.point(
                    f"solar-{p.entity}",
                    r.lat,
                    r.lon,
                    style=FeatureStyle(
                        color=colour,
                        fill=colour,
                        symbol="square",
                        radius_px=7.0,
                        label="" if ratio is None else f"{ratio * 100:.0f}%",
                    ),
                    title_fa=f"{self.place_name(p.entity, 'fa', p.row)}: {i18n.number(p.power, 0, 'fa')} کیلووات",
                    title_en=f"{self.place_name(p.entity, 'en', p.row)}: {p.power or 0:.0f} kW",
                    entity=p.entity,
                    props={
                        "energy.col.power": p.power,
                        "energy.col.expected": p.expected,
                        "energy.col.ratio": "—" if ratio is None else round(ratio * 100),
                    },
                    t=r.t,
                )
            )
        self.publish(derived)
        self.solar_layer.replace(features)
