"""Taxi management, Qt-free: fleet positions and where free taxis are, payment terminals, and
shortage areas (ride demand against free taxis, per district).

Every `publish_every_s` of data time the desk counts the live taxis per district (free, hired,
payment terminal state) and sets them against the dispatch system's demand (`taxi/demand`: people
waiting, requests per hour, waits). A district is short of taxis when people wait and there are few
free taxis to take them: `shortage` = people waiting per free taxi there. Published on
`derived/taxi/district` per district and for the whole city (entity "all").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from console.departments import Desk, Districts, KpiSpec
from console.maplayers import FeatureStyle, MapFeature

NS = 1_000_000_000
CELL_M = 600.0


class TaxiDesk(Desk):
    def __init__(self, dept: Any):
        super().__init__(dept)
        self.districts = Districts(dept.city)
        self.taxis = self.table()
        self.demand = self.table()
        self.stats: dict[str, dict[str, float]] = {}
        self.density: list[tuple[float, float, int]] = []  # (lat, lon, free taxis) per grid cell
        self.shortage_layer = self.layer(
            "taxi.shortage", "کمبود تاکسی", "Taxi shortage", 8,
            ("#ff6b6b", "کمبود شدید", "Severe shortage", "square"),
            ("#d29922", "کمبود", "Shortage", "square"),
        )  # fmt: skip
        self.density_layer = self.layer(
            "taxi.free", "تاکسی‌های آزاد", "Free taxis", 9,
            ("#f4d35e", "تاکسی آزاد (تراکم)", "Free taxis (density)", "square"),
            visible=False,
        )  # fmt: skip

    def subscriptions(self):
        return {"vehicle/taxi": self.on_taxis, "taxi/demand": self.demand.on_readings}

    def layers(self):
        return [self.shortage_layer, self.density_layer]

    def kpis(self):
        return [
            KpiSpec("mobility", "taxi.free", "تاکسی‌های آزاد", "Free taxis", lambda: self._city("free")),
            KpiSpec(
                "people",
                "taxi.waiting",
                "مسافران منتظر تاکسی",
                "People waiting for a taxi",
                lambda: self._city("waiting"),
            ),
            KpiSpec(
                "economy",
                "taxi.payment_online",
                "پایانه‌های پرداخت برقرار",
                "Payment terminals online",
                lambda: (
                    None
                    if self._city("payment_offline_pct") is None
                    else 100.0 - self._city("payment_offline_pct")
                ),
                "%",
            ),
        ]

    def on_taxis(self, topic: str, items: list[Any]) -> None:
        _readings, now = self.batch(self.taxis, topic, items)
        with self.lock:
            if not now or not self.due(now, default=10.0):
                return
            self._count()
            rows = [self._row(d, st) for d, st in self.stats.items()]
            self._draw()
        self.emit("district", rows, now, etype="TaxiSupply")

    def _count(self) -> None:
        live = [r for r in self.taxis.rows() if not r.stale and r.reading.lat is not None]
        where = (
            self.districts.locate([r.reading.lat for r in live], [r.reading.lon for r in live])
            if live
            else []
        )
        stats: dict[str, dict[str, float]] = {}
        for d in [*self.districts.ids(), "all"]:
            stats[d] = {"free": 0.0, "hired": 0.0, "payment_ok": 0.0, "payment_known": 0.0}
        for row, d in zip(live, where, strict=True):
            for key in (d, "all") if d else ("all",):
                st = stats[key]
                st["hired" if row.reading.attrs.get("status") == "hired" else "free"] += 1
                pay = row.reading.attrs.get("payment")
                if pay is not None:
                    st["payment_known"] += 1
                    st["payment_ok"] += pay == "ok"
        demand = {r.entity: r for r in self.demand.rows() if not r.stale}
        for d, st in stats.items():
            known, ok = st.pop("payment_known"), st.pop("payment_ok")
            if known:
                st["payment_offline_pct"] = round(100.0 * (known - ok) / known, 1)
            rows = list(demand.values()) if d == "all" else [demand[d]] if d in demand else []
            if rows:
                waiting = sum(r.value("waiting") or 0.0 for r in rows)
                st["waiting"] = waiting
                st["requests_h"] = sum(r.value("requests") or 0.0 for r in rows)
                st["abandoned"] = sum(r.value("abandoned") or 0.0 for r in rows)
                waits = [r.value("wait_min") for r in rows if r.value("wait_min") is not None]
                if waits:
                    st["wait_min"] = round(max(waits), 1)
                st["shortage"] = round(waiting / max(1.0, st["free"]), 2)
        self.stats = {d: st for d, st in stats.items() if st["free"] + st["hired"] or "waiting" in st}
        self._grid(live)

    def _grid(self, live) -> None:
        free = [r for r in live if r.reading.attrs.get("status") != "hired"]
        if not free:
            self.density = []
            return
        lat = np.array([r.reading.lat for r in free])
        lon = np.array([r.reading.lon for r in free])
        dlat = CELL_M / 111_195.0
        dlon = dlat / np.cos(np.radians(float(lat.mean())))
        cells: dict[tuple[int, int], int] = {}
        for i, j in zip(
            np.floor(lat / dlat).astype(int).tolist(), np.floor(lon / dlon).astype(int).tolist(), strict=True
        ):
            cells[(i, j)] = cells.get((i, j), 0) + 1
        self.density = [((i + 0.5) * dlat, (j + 0.5) * dlon, n) for (i, j), n in cells.items()]

    def _row(self, d: str, st: dict[str, float]):
        place = self.districts.places.get(d)
        names = (
            ("کل شهر", "Whole city") if d == "all" else ((place.name_fa, place.name_en) if place else (d, d))
        )
        attrs = {"district": d if d != "all" else "", "name_fa": names[0], "name_en": names[1]}
        return d, dict(st), attrs, (place.lat if place else None), (place.lon if place else None)

    def _city(self, key: str) -> float | None:
        with self.lock:
            return self.stats.get("all", {}).get(key)

    def _draw(self) -> None:
        city = self.dept.city
        feats = []
        severe, short = self.param("severe_shortage", 4.0), self.param("shortage", 2.0)
        for d in city.districts if city is not None else []:
            st = self.stats.get(d.id, {})
            index = st.get("shortage")
            if index is None or index < short:
                continue
            colour = "#ff6b6b" if index >= severe else "#d29922"
            feats.append(
                MapFeature.polygon(
                    d.id,
                    [list(d.ring)],
                    style=FeatureStyle(color=colour, fill_opacity=0.25, weight=2),
                    title_fa=f"کمبود تاکسی — {d.name_fa}",
                    title_en=f"Taxi shortage — {d.name_en}",
                    entity=d.id,
                    props={"waiting": st.get("waiting"), "free taxis": st.get("free")},
                )
            )
        self.shortage_layer.replace(feats)
        top = max((n for _, _, n in self.density), default=1)
        self.density_layer.replace(
            MapFeature.circle_area(
                f"cell-{k}",
                lat,
                lon,
                CELL_M / 2,
                style=FeatureStyle(color="#f4d35e", fill_opacity=0.1 + 0.5 * n / top, weight=0),
                title_fa=f"{n} تاکسی آزاد",
                title_en=f"{n} free taxis",
                props={"free taxis": n},
            )
            for k, (lat, lon, n) in enumerate(self.density)
        )

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"stats": {d: dict(v) for d, v in self.stats.items()}, "taxis": self.taxis.rows()}
